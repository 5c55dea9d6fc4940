import MachModel
import MachTrace

/// `trace export "FILE.html"`: a session as one self-contained web page (docs/trace.md,
/// "The page"): every script and style inline, the records as JSON in the page.
///
/// - a sequence diagram drawn as SVG, one lifeline per task (and the kernel, and ports whose
///   receiver is not known), an arrow per message with its routine, replies dashed, errors red,
///   exceptions and kernel-object copies in colours of their own; only the rows in view are
///   drawn, so 10,000 records scroll as 10 do;
/// - a slider over the records; selecting one (a click, the arrow keys, or `#select=N` in the
///   address) shows it decoded (its fields, body, and the request or reply it pairs with) and
///   the port spaces of the tasks it involves as they were then, rebuilt from the history
///   (the page says when that moment cannot be rebuilt);
/// - the filter the export used, and `trace stats` as a table.
extension Session {
  /// The page of `records` (in order), or why it is not written.
  func page(_ records: [TraceRecord], filter: String?) -> Result<String, FileProblem> {
    let names = traceNames
    // Lifelines: tasks in order of appearance, then the kernel and ports, as arrows need them.
    var lanes: [String] = []
    var laneIndex: [String: Int] = [:]
    func lane(_ name: String) -> Int {
      if let i = laneIndex[name] { return i }
      laneIndex[name] = lanes.count
      lanes.append(name)
      return lanes.count - 1
    }
    for r in records where r.origin != .raw { _ = lane(names.task(r.task)) }
    let spaces = portSpaces(records)
    var rows: [String] = []
    rows.reserveCapacity(records.count)
    /// A request's destination lane, for its reply to come from.
    var requestTo: [UInt64: Int] = [:]
    for (i, r) in records.enumerated() {
      var fields: [(String, String)] = []
      var from: Int? = nil, to: Int? = nil
      let kind: String
      if r.origin == .raw {
        kind = "raw"
      } else {
        let who = lane(names.task(r.task))
        let other = peerName(r).map(lane) ?? (r.origin == .live || r.origin == .jsonl ? lane("port \(r.dest)") : nil)
        if r.direction == .send {
          (from, to) = (who, other)
          if let seq = r.seq, let other { requestTo[seq] = other }
        } else if let asked = r.answers, let origin = requestTo[asked] {
          (from, to) = (origin, who)  // a reply comes from where its request went
        } else {
          (from, to) = (other ?? who, who)
        }
        switch r.kind {
        case .task, .thread: kind = "kobject"
        case .taskException, .threadException: kind = "exception"
        case .normal:
          kind =
            r.retval != 0 || (r.code ?? 0) != 0 ? "error" : (r.answers != nil || r.code != nil ? "reply" : "request")
        }
      }
      for (key, value) in recordFields(r).sorted(by: { $0.key < $1.key }) { fields.append((key, value.printed)) }
      let body: [String]
      if case .list(let items) = bodyValue(r) { body = items.map(\.printed) } else { body = [] }
      var json = "{\"seq\":\(r.seq.map(String.init) ?? "null"),\"kind\":\(TraceFormat.json(kind))"
      json += ",\"from\":\(from.map(String.init) ?? "null"),\"to\":\(to.map(String.init) ?? "null")"
      json +=
        ",\"label\":\(TraceFormat.json(r.origin == .raw ? "raw" : r.routine.isEmpty ? String(r.msgid) : r.routine))"
      json += ",\"line\":\(TraceFormat.json(TraceFormat.rpctrace.render(r, names: names)))"
      json += ",\"answers\":\(r.answers.map(String.init) ?? "null")"
      json +=
        ",\"fields\":[" + fields.map { "[\(TraceFormat.json($0.0)),\(TraceFormat.json($0.1))]" }.joined(separator: ",")
      json += "],\"body\":[" + body.map(TraceFormat.json).joined(separator: ",") + "]"
      json += ",\"spaces\":" + (spaces[i] ?? "null") + "}"
      rows.append(json)
    }
    let stats = TraceStats(records, replies: intake.buffer) { r in
      r.origin == .raw ? "(raw)" : r.routine.isEmpty ? String(r.msgid) : r.routine
    }
    let data =
      "{\"lanes\":[" + lanes.map(TraceFormat.json).joined(separator: ",") + "],\"filter\":"
      + (filter.map(TraceFormat.json) ?? "null") + ",\"history\":\(history.isOn)"
      + ",\"stats\":" + TraceFormat.json(stats.table(by: "routine")) + ",\"records\":[\n"
      + rows.joined(separator: ",\n") + "\n]}"
    // `</` cannot appear inside a script element.
    let safe = data.replacingOccurrences(of: "</", with: "<\\/")
    let text = Self.pageTemplate.replacingOccurrences(of: "@DATA@", with: safe)
    guard text.utf8.count <= pageByteLimit else {
      return .failure(
        FileProblem(
          "the page would take \(Self.size(text.utf8.count)), past the \(Self.size(pageByteLimit)) a browser opens "
            + "comfortably: select fewer records with `where`"))
    }
    return .success(text)
  }

  /// `399 KB`, `12 MB`, `800 bytes`.
  static func size(_ n: Int) -> String {
    n >= 1 << 20 ? "\(n >> 20) MB" : n >= 1024 ? "\(n >> 10) KB" : "\(n) bytes"
  }

  /// The port spaces of the tasks each record involves, as they were just after it was made:
  /// a JSON object `{task: [[name, rights, urefs, port, queue], …]}` per record, nil where the
  /// history cannot rebuild that moment. One walk forward through the history.
  func portSpaces(_ records: [TraceRecord]) -> [Int: String] {
    var result: [Int: String] = [:]
    guard let range = reachableRecords() else { return result }
    var kernel: Kernel? = nil
    var at = 0
    var scratch = TraceLog()
    for (i, r) in records.enumerated() where r.origin == .live {
      guard let seq = r.seq, range.contains(seq), let event = history.event(madeRecord: seq) else { continue }
      if kernel == nil || event < at {
        guard let k = history.kernel(afterEvent: event) else { continue }
        kernel = k
      } else if event > at {
        guard history.replay(&kernel!, from: at, to: event, scratch: &scratch) else { continue }
      }
      at = event
      var tasks = [r.task]
      if r.peer >= 0 { tasks.append(r.peer) }
      let serving = history.serving(atRecord: seq)
      let text = showing(kernel!, serving: serving) { () -> String in
        let parts = tasks.filter { Int($0) < self.kernel.tasks.count }.map { t -> String in
          let rows = self.kernel.tasks[Int(t)].space.names.map { n in
            "[" + self.portColumns(t, n).map(TraceFormat.json).joined(separator: ",") + "]"
          }
          return TraceFormat.json(self.kernel.tasks[Int(t)].name) + ":[" + rows.joined(separator: ",") + "]"
        }
        return "{" + parts.joined(separator: ",") + "}"
      }
      result[i] = text
    }
    return result
  }

  static let pageTemplate = #"""
    <!doctype html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <title>machsh trace</title>
    <style>
    :root { --row: 24px; --lane: 170px; font: 13px/1.4 system-ui, sans-serif; color: #1d2433; }
    body { margin: 0; display: grid; grid-template-rows: auto 1fr auto; height: 100vh; }
    header { padding: 8px 16px; background: #1d2433; color: #fff; display: flex; gap: 24px; align-items: baseline; }
    header h1 { font-size: 16px; margin: 0; }
    header .meta { color: #b8c0d8; }
    main { display: grid; grid-template-columns: minmax(0, 1fr) 440px; min-height: 0; }
    #pane { overflow: auto; position: relative; border-right: 1px solid #d5d9e3; }
    #lanes { position: sticky; top: 0; z-index: 2; background: #f4f6fa; height: 28px;
      border-bottom: 1px solid #d5d9e3; }
    #lanes div { position: absolute; top: 5px; width: calc(var(--lane) - 10px); text-align: center; font-weight: 600;
      overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
    svg { display: block; }
    .life { stroke: #c5cbd8; stroke-dasharray: 2 3; }
    .row:hover rect { fill: #eef2fb; }
    .row.selected rect { fill: #dde6fb; }
    .arrow { stroke-width: 1.6; }
    .request .arrow { stroke: #2456c9; } .request text.label { fill: #2456c9; }
    .reply .arrow { stroke: #2456c9; stroke-dasharray: 5 3; } .reply text.label { fill: #2456c9; }
    .error .arrow { stroke: #c62828; } .error text.label { fill: #c62828; }
    .exception .arrow { stroke: #d9730d; stroke-width: 2.4; } .exception text.label { fill: #b35c00; }
    .kobject .arrow { stroke: #7b3fb5; } .kobject text.label { fill: #7b3fb5; }
    .raw text.label { fill: #8a90a0; font-style: italic; }
    text { font-size: 11px; } text.seq { fill: #8a90a0; }
    aside { overflow: auto; padding: 12px 16px; }
    #slider { width: 100%; }
    h2 { font-size: 13px; margin: 14px 0 6px; text-transform: uppercase; letter-spacing: .05em; color: #5a6275; }
    table { border-collapse: collapse; width: 100%; font: 12px/1.35 ui-monospace, monospace; }
    td, th { text-align: left; padding: 2px 6px; border-bottom: 1px solid #eceff5; vertical-align: top; }
    #line { font: 12px/1.4 ui-monospace, monospace; background: #f4f6fa; padding: 6px 8px; word-break: break-all; }
    .note { color: #8a5a00; background: #fff6e0; padding: 6px 8px; }
    a { color: #2456c9; cursor: pointer; }
    footer { max-height: 28vh; overflow: auto; border-top: 1px solid #d5d9e3; padding: 6px 16px; background: #fafbfd; }
    footer pre { margin: 4px 0; font: 12px/1.35 ui-monospace, monospace; }
    .legend span { margin-right: 14px; }
    </style>
    </head>
    <body>
    <header><h1>machsh trace</h1><span class="meta" id="meta"></span>
    <span class="legend meta"><span style="color:#7fa6ff">→ request</span><span style="color:#7fa6ff">⇢ reply</span>
    <span style="color:#ff8a80">error</span><span style="color:#ffb366">exception</span>
    <span style="color:#c9a0f0">kernel object</span></span></header>
    <main>
    <section id="pane" tabindex="0"><div id="lanes"></div>
    <svg id="diagram" xmlns="http://www.w3.org/2000/svg"></svg></section>
    <aside>
    <input type="range" id="slider" min="0" value="0" aria-label="record">
    <div id="position"></div>
    <h2>Record</h2><div id="line"></div>
    <h2>Port spaces at this record</h2><div id="spaces"></div>
    <h2>Fields</h2><table id="fields"></table>
    <h2>Body</h2><table id="body"></table>
    </aside>
    </main>
    <footer><strong>trace stats</strong> <span id="filter"></span><pre id="stats"></pre></footer>
    <script id="data" type="application/json">@DATA@</script>
    <script>
    "use strict";
    const D = JSON.parse(document.getElementById("data").textContent);
    const ROW = 24, LANE = 170, LEFT = 56;
    const pane = document.getElementById("pane"), svg = document.getElementById("diagram");
    const NS = "http://www.w3.org/2000/svg";
    const x = lane => LEFT + lane * LANE + LANE / 2;
    let selected = -1;
    function el(name, attrs, parent) {
      const e = document.createElementNS(NS, name);
      for (const k in attrs) e.setAttribute(k, attrs[k]);
      if (parent) parent.appendChild(e);
      return e;
    }
    const width = LEFT + Math.max(1, D.lanes.length) * LANE, height = D.records.length * ROW + 8;
    svg.setAttribute("width", width); svg.setAttribute("height", height);
    svg.dataset.arrows = D.records.filter(r => r.from !== null && r.to !== null).length;
    const defs = el("defs", {}, svg);
    const colours = [["request", "#2456c9"], ["reply", "#2456c9"], ["error", "#c62828"], ["exception", "#d9730d"],
      ["kobject", "#7b3fb5"]];
    for (const [id, colour] of colours) {
      const m = el("marker", {id: "head-" + id, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7,
        markerHeight: 7, orient: "auto-start-reverse"}, defs);
      el("path", {d: "M0,0 L10,5 L0,10 z", fill: colour}, m);
    }
    const lanesDiv = document.getElementById("lanes");
    lanesDiv.style.width = width + "px";
    D.lanes.forEach((name, i) => {
      const d = document.createElement("div"); d.textContent = name; d.title = name;
      d.style.left = (LEFT + i * LANE + 5) + "px"; lanesDiv.appendChild(d);
      el("line", {class: "life", x1: x(i), x2: x(i), y1: 0, y2: height}, svg);
    });
    const rowsGroup = el("g", {id: "rows"}, svg);
    function drawRows() {
      const top = Math.max(0, pane.scrollTop - 28);
      const first = Math.max(0, Math.floor(top / ROW) - 10);
      const last = Math.min(D.records.length, first + Math.ceil(pane.clientHeight / ROW) + 20);
      rowsGroup.textContent = "";
      for (let i = first; i < last; i++) {
        const r = D.records[i], y = i * ROW + 4;
        const g = el("g", {class: "row " + r.kind + (i === selected ? " selected" : ""), "data-index": i}, rowsGroup);
        el("rect", {x: 0, y: y, width: width, height: ROW, fill: "transparent"}, g);
        el("text", {class: "seq", x: 6, y: y + 16}, g).textContent = r.seq === null ? "-" : r.seq;
        const mid = y + ROW / 2;
        if (r.from !== null && r.to !== null && r.from !== r.to) {
          el("line", {class: "arrow", x1: x(r.from), x2: x(r.to), y1: mid, y2: mid,
            "marker-end": "url(#head-" + r.kind + ")"}, g);
          const left = Math.min(x(r.from), x(r.to));
          el("text", {class: "label", x: left + 8, y: mid - 3}, g).textContent = r.label;
        } else if (r.from !== null || r.to !== null) {
          const at = x(r.from !== null ? r.from : r.to);
          el("circle", {class: "arrow", cx: at, cy: mid, r: 4, fill: "none"}, g);
          el("text", {class: "label", x: at + 8, y: mid + 4}, g).textContent = r.label;
        } else {
          el("text", {class: "label", x: LEFT, y: mid + 4}, g).textContent = r.line;
        }
        g.addEventListener("click", () => select(i));
      }
    }
    function headerRow(t, names) {
      const tr = t.insertRow();
      for (const h of names) { const th = document.createElement("th"); th.textContent = h; tr.appendChild(th); }
    }
    function table(id, rows, header) {
      const t = document.getElementById(id); t.textContent = "";
      if (header) headerRow(t, header);
      for (const row of rows) { const tr = t.insertRow(); for (const c of row) tr.insertCell().textContent = c; }
      return t;
    }
    const bySeq = new Map(D.records.map((r, i) => [r.seq, i]));
    function select(i) {
      if (i < 0 || i >= D.records.length) return;
      selected = i;
      const r = D.records[i];
      slider.value = i;
      document.getElementById("position").textContent = "record " + (i + 1) + " of " + D.records.length
        + (r.seq === null ? "" : " (seq " + r.seq + ")");
      document.getElementById("line").textContent = r.line;
      table("fields", r.fields);
      table("body", r.body.map((v, k) => [k, v]));
      const pair = r.answers !== null ? bySeq.get(r.answers)
        : D.records.findIndex(o => o.answers === r.seq && r.seq !== null);
      if (pair !== undefined && pair >= 0) {
        const tr = document.getElementById("fields").insertRow(0);
        tr.insertCell().textContent = r.answers !== null ? "request" : "reply";
        const a = document.createElement("a"); a.textContent = D.records[pair].line; a.onclick = () => select(pair);
        tr.insertCell().appendChild(a);
      }
      const spaces = document.getElementById("spaces"); spaces.textContent = "";
      if (r.spaces === null) {
        const p = document.createElement("p"); p.className = "note";
        p.textContent = D.history
          ? "Not available: this record's moment is before the history began, or it came from a loaded file."
          : "Not available: the history was off (set history on).";
        spaces.appendChild(p);
      } else {
        for (const task in r.spaces) {
          const h = document.createElement("h3");
          h.textContent = task; h.style.margin = "8px 0 2px"; spaces.appendChild(h);
          const t = document.createElement("table");
          t.className = "space"; t.dataset.task = task; spaces.appendChild(t);
          headerRow(t, ["NAME", "RIGHTS", "UREFS", "PORT", "QUEUE"]);
          for (const row of r.spaces[task]) {
            const tr2 = t.insertRow();
            for (const c of row) tr2.insertCell().textContent = c;
          }
        }
      }
      const y = i * ROW;
      if (y < pane.scrollTop + 28 || y > pane.scrollTop + pane.clientHeight - ROW * 2) {
        pane.scrollTop = Math.max(0, y - pane.clientHeight / 2);
      }
      drawRows();
    }
    const slider = document.getElementById("slider");
    slider.max = Math.max(0, D.records.length - 1);
    slider.addEventListener("input", () => select(+slider.value));
    pane.addEventListener("scroll", drawRows);
    document.addEventListener("keydown", e => {
      if (e.key === "ArrowDown" || e.key === "ArrowRight") { select(selected + 1); e.preventDefault(); }
      if (e.key === "ArrowUp" || e.key === "ArrowLeft") { select(selected - 1); e.preventDefault(); }
    });
    document.getElementById("meta").textContent = D.records.length + " records, " + D.lanes.length + " lifelines";
    document.getElementById("filter").textContent = D.filter === null ? "(every record)" : "where " + D.filter;
    document.getElementById("stats").textContent = D.stats;
    const wanted = /select=(\d+)/.exec(location.hash);
    drawRows();
    select(wanted ? Math.min(+wanted[1], D.records.length - 1) : 0);
    document.body.dataset.ready = "yes";
    </script>
    </body>
    </html>

    """#
}
