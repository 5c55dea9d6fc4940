import MachModel
import MachTrace

// Tracing (docs/trace.md): setting trace ports, and reading the buffer.

extension CommandRegistry {
  static let tracing: [CommandEntry] = [
    CommandEntry(
      "trace", .tracing, usage: ["trace TASK [to PORTREF]"],
      summary: "set TASK's trace port",
      returns: "rc",
      help: "A new port of the shell's, drained into the trace buffer; or, with `to`, a right made from PORTREF.",
      required: [.task], options: ["to": .atom(.port)]
    ) { s, c in try s.trace(c) },
    CommandEntry(
      "untrace", .tracing, usage: ["untrace TASK"], summary: "clear the trace port", returns: "rc", required: [.task]
    ) { s, c in
      let t = try s.task(c.arguments[0])
      let null = MigValue.port(0, disposition: MsgType.copySend)
      _ = try s.shellRPC(
        "task_set_special_port", s.taskPort(t), [.int(SpecialPort.taskTrace), null], at: c.location)
      return s.interpreter.rc
    },
    CommandEntry(
      "trace show", .tracing,
      usage: ["trace show [where FILTER] [seq N..N] [first N] [last N] [format rpctrace|verbose|json|jsonl]"],
      summary: "print the buffer",
      options: [
        "where": .filter, "seq": .range, "first": .atom(.anything), "last": .atom(.anything),
        "format": .word { TraceFormat.allCases.map(\.rawValue) + ["jsonl"] },
      ]
    ) { s, c in try s.traceShow(c) },
    CommandEntry(
      "trace stats", .tracing, usage: ["trace stats [where FILTER] [by FIELD]"],
      summary: "calls, errors, bytes and latency per routine",
      help:
        "A row per routine (or FIELD): calls, errors, bytes, requests answered and unanswered, min/avg/max "
        + "latency in µs.",
      options: ["where": .filter, "by": .word { FilterCompiler.fields.sorted().filter { $0 != "body" } }]
    ) { s, c in try s.traceStats(c) },
    CommandEntry(
      "trace export", .tracing,
      usage: ["trace export \"FILE\" [where FILTER] [format jsonl|rpctrace|mermaid|chrome|html]"],
      summary: "write the records to a file",
      help:
        "\"-\" is standard output. Without `format`, the file's extension chooses (.jsonl, .txt, .mmd, .json, .html). "
        + "html is a page to look at: the sequence diagram, each record decoded, and the port spaces at it.",
      required: [.file],
      options: ["where": .filter, "format": .word { TraceExport.allCases.map(\.rawValue) + ["html"] }]
    ) { s, c in try s.traceExport(c) },
    CommandEntry(
      "trace load", .tracing, usage: ["trace load \"FILE\" [format rpctrace|jsonl]"],
      summary: "read an rpctrace log or a JSON Lines export into the buffer",
      help:
        "Its records enter the buffer as live ones do, after them, and watches fire on them. Without `format`, "
        + "a file whose first line starts with `{` is JSON Lines. Lines that are not records are kept as `raw` ones.",
      required: [.file], options: ["format": .word { TraceLoadFormat.allCases.map(\.rawValue) }]
    ) { s, c in try s.traceLoad(c) },
    CommandEntry("trace clear", .tracing, usage: ["trace clear"], summary: "empty the buffer") { s, _ in
      s.intake.clear()
      s.interpreter.last = .nil
      return .nil
    },
    CommandEntry(
      "filter", .tracing, usage: ["filter FILTER", "filter off"],
      summary: "show the records that pass as they arrive",
      help: "At the prompt every record shows as it arrives until `filter off`; in a script, only with a filter.",
      required: [.filter], filterArgument: true
    ) { s, c in
      if case .name("off", _) = c.arguments[0] {
        s.intake.setLiveFilter(nil)
      } else {
        s.intake.setLiveFilter(try s.compileFilter(c.arguments[0]))
      }
      return .nil
    },
    CommandEntry(
      "msgids load", .tracing, usage: ["msgids load \"FILE\""], summary: "Hurd .msgids routine names", required: [.file]
    ) { s, c in try s.loadMsgids(c) },
  ]
}

extension Session {
  /// trace T [to PORTREF]: without `to`, a new port in the shell, drained into the trace
  /// buffer (the old one is destroyed once no task uses it; docs/shell.md §4).
  func trace(_ c: Command) throws -> Value {
    let target = try evaluate(c.arguments[0])
    if let to = c.option("to") {
      return try setSpecialPort(target, slot: SpecialPort.taskTrace, from: try port(to.values[0]), c)
    }
    guard case .task(let t, _) = target else { throw ScriptError("trace needs a task", at: c.arguments[0].location) }
    let (allocated, name) = mutate { [shell] k in k.portAllocate(shell, right: PortRight.receive.rawValue) }
    guard allocated == KernReturn.success else {  // the kernel is out of ports
      setRC(allocated, machMsg: false)
      return interpreter.rc
    }
    _ = mutate { [shell] k in k.setHostDrained(shell, name) }
    let old = rights.setTracePort(of: t, name)
    let right = MigValue.port(name, disposition: MsgType.makeSend)
    _ = try shellRPC("task_set_special_port", taskPort(t), [.int(SpecialPort.taskTrace), right], at: c.location)
    if let old, !rights.isTracePort(old) { _ = mutate { [shell] k in k.portDestroy(shell, old) } }
    return interpreter.rc
  }

  func traceShow(_ c: Command) throws -> Value {
    var shown = try selectedRecords(c)
    if let range = c.option("seq") {
      let low = try integer(range.values[0], "a record number"), high = try integer(range.values[1], "a record number")
      guard low <= high else {
        throw ScriptError("seq \(low)..\(high) is empty: the first number is the lower", at: range.values[0].start)
      }
      shown = shown.filter { r in r.seq.map { Int64(clamping: $0) >= low && Int64(clamping: $0) <= high } ?? false }
    }
    if let f = c.option("first") {
      let n = try integer(f.values[0], "a count")
      guard n >= 0 else { throw ScriptError("first needs a count of 0 or more, not \(n)", at: f.values[0].start) }
      shown = Array(shown.prefix(Int(clamping: n)))
    }
    if let l = c.option("last") {
      let n = try integer(l.values[0], "a count")
      guard n >= 0 else { throw ScriptError("last needs a count of 0 or more, not \(n)", at: l.values[0].start) }
      shown = Array(shown.suffix(Int(clamping: n)))
    }
    var f = settings.format
    if let fmt = c.option("format") {
      // `jsonl` is what the export calls the same lines.
      f = try choice(fmt.values[0], TraceFormat.allCases.map { ($0.rawValue, $0) } + [("jsonl", .json)], "format")
    }
    guard !shown.isEmpty else {
      output.write("no records\n")  // as `trace stats` says
      return .nil
    }
    let names = traceNames
    let first = intake.buffer.first?.time ?? 0
    var previous: UInt64? = nil
    for r in shown {
      let stamp = f == .rpctrace ? settings.timestamps.prefix(r.time, first: first, previous: &previous) : ""
      output.write(stamp + f.render(r, names: names, colors: settings.colors) + "\n")
    }
    return .nil
  }

  /// The records of the buffer that pass the command's `where` filter, in order.
  func selectedRecords(_ c: Command) throws -> [TraceRecord] {
    noteDropped()
    let buffer = intake.buffer
    guard let w = c.option("where") else { return Array(buffer) }
    let filter = try compileFilter(w.values[0])
    if let fast = filter.clauses { return buffer.filter(whereRecordAt: { fast.test($0) }) }
    return try buffer.filter(filter.test)
  }

  /// When the ring has dropped records, a note on standard error says how many.
  func noteDropped() {
    let buffer = intake.buffer
    guard buffer.dropped > 0 else { return }
    let n = buffer.dropped
    let keeps =
      buffer.count == buffer.limit
      ? "the newest \(buffer.limit); set trace_limit"
      : "the newest records within \(buffer.byteLimit) bytes; set trace_bytes"
    output.writeError("note: \(n) older record\(n == 1 ? " was" : "s were") dropped (the buffer keeps \(keeps))\n")
  }

  /// `trace stats [where F] [by FIELD]`: the table of `TraceStats`.
  func traceStats(_ c: Command) throws -> Value {
    var field = "routine"
    if let by = c.option("by") {
      guard case .name(let w, _) = by.values[0], FilterCompiler.fields.contains(w), w != "body" else {
        throw ScriptError(
          "trace stats can group by a record field (routine, msgid, task, thread, dir, type, retval, code, …)",
          at: by.values[0].location)
      }
      field = w
    }
    let selected = try selectedRecords(c)
    guard !selected.isEmpty else {
      output.write("no records\n")
      return .nil
    }
    let stats = TraceStats(selected, replies: intake.buffer) { r in
      if r.origin == .raw { return "(raw)" }  // a line of a loaded file that is not a record
      if field == "routine" { return r.routine.isEmpty ? String(r.msgid) : r.routine }
      return self.recordFields(r)[field]?.printed ?? "nil"
    }
    output.write(stats.table(by: field) + "\n")
    // The table counts records. A message between two traced tasks makes two: its sender's
    // send copy and its receiver's receive copy. Say how many count twice: for each receiver
    // and message id, the sends to it that it was also seen to receive.
    struct Key: Hashable {
      var task: TaskIndex
      var msgid: Int32
    }
    var sent: [Key: Int] = [:]
    var received: [Key: Int] = [:]
    for r in selected where r.kind == .normal && r.retval == 0 {
      if r.direction == .send, r.peer != TraceEntry.noPeer && r.peer != TraceEntry.kernelPeer {
        sent[Key(task: r.peer, msgid: r.msgid), default: 0] += 1
      } else if r.direction == .receive {
        received[Key(task: r.task, msgid: r.msgid), default: 0] += 1
      }
    }
    let twice = sent.reduce(0) { $0 + min($1.value, received[$1.key] ?? 0) }
    if twice > 0 {
      let one = twice == 1
      output.write(
        "(records: \(twice) message\(one ? " was" : "s were") traced at both ends and count\(one ? "s" : "") twice, "
          + "as a send and as a receive; add `where dir == \"send\"` to count each once)\n")
    }
    return .nil
  }

  /// `trace load "FILE" [format rpctrace|jsonl]`: the summary goes to standard error, then the
  /// records go in as the model runs (watches fire on them; a stop holds the rest for
  /// `continue`).
  func traceLoad(_ c: Command) throws -> Value {
    guard case .string(let path) = try evaluate(c.arguments[0]), !path.isEmpty else {
      throw ScriptError("trace load needs a file name string", at: c.arguments[0].start)
    }
    var format: TraceLoadFormat? = nil
    if let f = c.option("format") {
      format = try choice(f.values[0], TraceLoadFormat.allCases.map { ($0.rawValue, $0) }, "format")
    }
    switch loadTrace(path, format: format) {
    case .success(let summary): output.writeError(summary + "\n")
    case .failure(let problem):
      throw ScriptError("cannot load \(Value.quoted(path)): \(problem)", at: c.arguments[0].start)
    }
    return .nil
  }

  /// Reads a trace file and takes its records in, and says what it held: the line
  /// `trace load` and `machsh --load` print. A missing, unreadable or binary file is refused
  /// and changes nothing.
  public func loadTrace(_ path: String, format: TraceLoadFormat?) -> Result<String, FileProblem> {
    guard !path.utf8.contains(0) else { return .failure(FileProblem("the name holds a NUL byte")) }
    let read = readBytes.map { $0(path) } ?? readFile(path).map { Array($0.utf8) }
    let bytes: [UInt8]
    switch read {
    case .success(let b): bytes = b
    case .failure(let problem): return .failure(problem)
    }
    guard !bytes.contains(0) else { return .failure(FileProblem("a binary file (it holds NUL bytes), not a trace")) }
    let load = bytes.withUnsafeBufferPointer {
      intake.load($0, path: path, format: format, kernelSeq: kernel.traceSeq)
    }
    runState.holdMore(load.records)
    pump()
    history.noteRecord(seq: recordSeq, serving: servers.serving)
    let r = load.report
    func count(_ n: Int, _ what: String) -> String { "\(Self.grouped(n)) \(what)" }
    var summary =
      "loaded \(count(r.records, r.records == 1 ? "record" : "records")) from \(path) (\(load.format.rawValue)): "
      + "\(count(r.requests, r.requests == 1 ? "request" : "requests")), "
      + "\(count(r.replies, r.replies == 1 ? "reply" : "replies")), \(Self.grouped(r.unanswered)) unanswered"
    if let first = r.firstNotUnderstood {
      let lines = count(r.notUnderstood, r.notUnderstood == 1 ? "line" : "lines")
      summary += ", \(lines) not understood (first at \(path):\(first))"
    }
    return .success(summary)
  }

  /// `1,204`: a count with its thousands grouped.
  static func grouped(_ n: Int) -> String {
    var digits = String(n.magnitude)
    var i = digits.count - 3
    while i > 0 {
      digits.insert(",", at: digits.index(digits.startIndex, offsetBy: i))
      i -= 3
    }
    return (n < 0 ? "-" : "") + digits
  }

  /// `trace export "FILE" [where F] [format jsonl|rpctrace|mermaid|chrome]`. Without
  /// `format`, the file's extension chooses (.jsonl, .txt/.log, .mmd/.mermaid, .json), else
  /// JSON Lines. A relative FILE is relative to the working directory, as in a shell; "-" is
  /// standard output. The records stream from the buffer to the file: memory stays flat, and
  /// the file appears, whole, only when the export succeeded.
  func traceExport(_ c: Command) throws -> Value {
    guard case .string(let path) = try evaluate(c.arguments[0]), !path.isEmpty else {
      throw ScriptError("trace export needs a file name string", at: c.arguments[0].start)
    }
    guard !path.utf8.contains(0) else {
      throw ScriptError("a file name cannot hold a NUL byte", at: c.arguments[0].start)
    }
    var format = TraceExport.jsonl
    var html = false
    if let f = c.option("format") {
      if case .name("html", _) = f.values[0] {
        html = true
      } else {
        format = try choice(f.values[0], TraceExport.allCases.map { ($0.rawValue, $0) } + [("html", .jsonl)], "format")
      }
    } else if let dot = path.lastIndex(of: ".") {
      switch path[path.index(after: dot)...] {
      case "txt", "log": format = .rpctrace
      case "mmd", "mermaid": format = .mermaid
      case "json": format = .chrome
      case "html", "htm": html = true
      default: format = .jsonl
      }
    }
    if html { return try exportPage(path, c) }
    let records = try selection(c)
    let names = traceNames
    if path == "-" {
      let output = self.output
      try format.write(records, names: names, peer: { [unowned self] in peerName($0) }) { output.write($0) }
      return .nil
    }
    var written = 0
    try writeExport(path, c) { file in
      try format.write(records, names: names, peer: { [unowned self] in peerName($0) }) { try file.write($0) }
      try records { _ in written += 1 }
    }
    output.writeError("wrote \(written) record\(written == 1 ? "" : "s") to \(path)\n")
    return .nil
  }

  /// Writes an export to `path` through `body`: the file appears, whole, only when every write
  /// succeeded; a failure is an error at the command's file name.
  private func writeExport(_ path: String, _ c: Command, _ body: (any ExportFile) throws -> Void) throws {
    let file: any ExportFile
    switch createFile(path) {
    case .success(let f): file = f
    case .failure(let problem):
      throw ScriptError("cannot write \(Value.quoted(path)): \(problem)", at: c.arguments[0].start)
    }
    do {
      try body(file)
      try file.commit()
    } catch let problem as FileProblem {
      file.abandon()
      throw ScriptError("cannot write \(Value.quoted(path)): \(problem)", at: c.arguments[0].start)
    } catch {
      file.abandon()
      throw error
    }
  }

  /// `trace export` as a page (`PageExport.swift`); says the file's size.
  private func exportPage(_ path: String, _ c: Command) throws -> Value {
    let records = try selectedRecords(c)
    var filter: String? = nil
    if c.option("where") != nil, let at = c.source.range(of: "where ") {
      var text = String(c.source[at.upperBound...])
      if let f = text.range(of: " format ") { text = String(text[..<f.lowerBound]) }
      filter = text.trimmingCharacters(in: .whitespaces)
    }
    let text: String
    switch page(records, filter: filter) {
    case .success(let t): text = t
    case .failure(let problem):
      throw ScriptError("cannot write \(Value.quoted(path)): \(problem)", at: c.arguments[0].start)
    }
    if path == "-" {
      output.write(text)
      return .nil
    }
    try writeExport(path, c) { try $0.write(text) }
    let shown = Self.size(text.utf8.count)
    output.writeError("wrote a page of \(records.count) record\(records.count == 1 ? "" : "s") to \(path) (\(shown))\n")
    return .nil
  }

  /// The records `where` selects, as a function that goes through them in order (for
  /// exports, which may go through them twice without copying them out).
  func selection(_ c: Command) throws -> TraceExport.Records {
    noteDropped()
    let buffer = intake.buffer
    guard let w = c.option("where") else {
      return { visit in for i in buffer.indices { try visit(buffer[i]) } }
    }
    let filter = try compileFilter(w.values[0])
    return { visit in for i in buffer.indices where try filter.test(buffer[i]) { try visit(buffer[i]) } }
  }

  /// Who held the receive right of a record's destination: a task's name, or "kernel" for a
  /// kernel object. Taken when the copy was made for a `send` copy; otherwise looked up now
  /// (nil when the port is gone).
  func peerName(_ r: TraceRecord) -> String? {
    if r.origin != .live {
      // A loaded record: the model's ports say nothing of it. In an rpctrace log a task or
      // thread port (`taskP(pidN)`, `threadP(pidN)`, `taskPID`) is the kernel's.
      if r.peer == TraceEntry.kernelPeer { return "kernel" }
      if let name = intake.loaded.task(r.peer) { return name }
      guard r.origin == .rpctrace, r.direction == .send else { return nil }
      let d = RpctraceLog.parts(of: r).destination.trimmingSpaces
      return d.hasPrefix("task") || d.hasPrefix("thread") ? "kernel" : nil
    }
    if r.peer == TraceEntry.kernelPeer { return "kernel" }
    if r.peer >= 0 { return kernel.tasks[Int(r.peer)].name }
    let object: ObjectIndex?
    if r.kind == .normal {
      object = kernel.tasks[Int(r.task)].space.lookup(r.dest)?.object
    } else {
      object = Kernel.object(at: r.dest)
    }
    guard let o = object, o >= 0, Int(o) < kernel.objects.count, kernel.objects[Int(o)].isActive else { return nil }
    let port = kernel.objects[Int(o)]
    if port.kernelObject != .none { return "kernel" }
    return port.receiverTask.map { kernel.tasks[Int($0)].name }
  }

  func loadMsgids(_ c: Command) throws -> Value {
    guard case .string(let path) = try evaluate(c.arguments[0]) else {
      throw ScriptError("msgids load needs a file name", at: c.arguments[0].location)
    }
    let text: String
    switch readFile(path) {
    case .success(let t): text = t
    case .failure(let problem):
      throw ScriptError("cannot read \(Value.quoted(path)): \(problem)", at: c.arguments[0].location)
    }
    if case .failure(let e) = loadMsgids(text, file: path) { throw ScriptError(e.description, at: c.location) }
    return .nil
  }
}
