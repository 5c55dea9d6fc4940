import MachModel

/// The file formats of `trace export` (docs/language.md, Commands; issue 6). Each renders a whole set of
/// records as the text of one file, ending in a newline.
public enum TraceExport: String, CaseIterable, Sendable {
  /// JSON Lines: one record per line, the JSON object of docs/shell.md §8 (with `"schema": 1`).
  case jsonl
  /// The rpctrace lines of `trace show`.
  case rpctrace
  /// A Mermaid sequence diagram: tasks as participants, requests solid, replies dashed.
  case mermaid
  /// Chrome Trace Event Format JSON, which Perfetto and chrome://tracing open: one track per
  /// task, a slice from each request to its reply, an instant for every other record.
  case chrome

  /// `peer` names the other end of a record where it can be told: for a send copy, the task
  /// holding the receive right of its destination ("kernel" for a kernel object).
  public func render(_ records: [TraceRecord], names: TraceNames, peer: (TraceRecord) -> String?) -> String {
    switch self {
    case .jsonl: return records.map { TraceFormat.jsonLine($0, names: names) + "\n" }.joined()
    case .rpctrace: return records.map { TraceFormat.rpctraceLine($0, names: names) + "\n" }.joined()
    case .mermaid: return Self.mermaid(records, names: names, peer: peer)
    case .chrome: return Self.chrome(records, names: names)
    }
  }

  static func label(_ r: TraceRecord) -> String { r.routine.isEmpty ? String(r.msgid) : r.routine }

  static func isReply(_ r: TraceRecord) -> Bool { r.code != nil || r.answers != nil }

  // MARK: - Mermaid

  /// One arrow per message a traced task sends (its `send` copies, `normal` or exception),
  /// from the task to the receiver of the destination; and one per reply a traced task
  /// receives to a request it sent the kernel or a task with no records here, since no `send`
  /// copy shows those. Any other message received from such a task has no arrow: the trace
  /// does not say who sent it.
  static func mermaid(_ records: [TraceRecord], names: TraceNames, peer: (TraceRecord) -> String?) -> String {
    var participants: [String] = []
    func participant(_ name: String) -> String {
      let id = mermaidID(name)
      if !participants.contains(id) { participants.append(id) }
      return id
    }
    var arrows: [String] = []
    let traced = Set(records.map { names.task($0.task) })
    var untracedPeer: [UInt64: String] = [:]  // request seq → the kernel or an untraced receiver
    for r in records {
      let who = names.task(r.task)
      switch (r.kind, r.direction) {
      case (.normal, .send), (.taskException, .send), (.threadException, .send):
        let from = participant(who)
        let target = peer(r) ?? "port \(r.dest)"
        let to = participant(target)
        if target == "kernel" || (peer(r) != nil && !traced.contains(target)), let seq = r.seq {
          untracedPeer[seq] = target
        }
        arrows.append("    \(from)\(isReply(r) ? "-->>" : "->>")\(to): \(label(r))\(result(r))")
      case (.normal, .receive):
        guard let asked = r.answers, let sender = untracedPeer[asked] else { continue }
        let from = participant(sender), to = participant(who)
        arrows.append("    \(from)-->>\(to): \(label(r))\(result(r))")
      default:
        continue
      }
    }
    let header = participants.map { "    participant \($0)" }
    return (["sequenceDiagram"] + header + arrows).joined(separator: "\n") + "\n"
  }

  private static func result(_ r: TraceRecord) -> String {
    if r.retval != 0 { return " = " + ReturnCodeNames.name(of: r.retval, fromMachMsg: true) }
    if let code = r.code, code != 0 { return " = " + ReturnCodeNames.name(of: code) }
    return ""
  }

  /// A participant id Mermaid accepts: letters, digits and `_`.
  static func mermaidID(_ name: String) -> String {
    String(name.map { $0.isLetter || $0.isNumber || $0 == "_" ? $0 : "_" })
  }

  // MARK: - Chrome Trace Event Format

  /// `{"traceEvents": [...], "displayTimeUnit": "ms"}`: a process per task (named by
  /// metadata events), a thread track per traced thread (the task's own track for `task`
  /// copies); a complete event (`X`) from each request to the reply that answers it, and an
  /// instant event (`i`) for every record. Timestamps are the virtual µs.
  static func chrome(_ records: [TraceRecord], names: TraceNames) -> String {
    var events: [String] = []
    var seenTasks: [TaskIndex] = []
    var seenThreads: [Int32] = []
    var bySeq: [UInt64: TraceRecord] = [:]
    func track(_ r: TraceRecord) -> (pid: Int32, tid: Int32) { (r.task + 1, (r.thread ?? -1) + 1) }
    for r in records {
      let (pid, tid) = track(r)
      if !seenTasks.contains(r.task) {
        seenTasks.append(r.task)
        events.append(
          #"{"name": "process_name", "ph": "M", "pid": \#(pid), "args": {"name": "#
            + #"\#(TraceFormat.json(names.task(r.task)))}}"#
        )
      }
      if !seenThreads.contains(tid) {
        seenThreads.append(tid)
        let threadName = names.thread(r.thread) ?? names.task(r.task)
        events.append(
          #"{"name": "thread_name", "ph": "M", "pid": \#(pid), "tid": \#(tid), "args": {"name": "#
            + #"\#(TraceFormat.json(threadName))}}"#
        )
      }
      let args =
        #"{"seq": \#(r.seq.map(String.init) ?? "null"), "dir": "\#(r.direction == .send ? "send" : "receive")", "#
        + #""type": "\#(r.kind.name)", "msgid": \#(r.msgid), "retval": "#
        + #"\#(TraceFormat.json(ReturnCodeNames.name(of: r.retval, fromMachMsg: true)))}"#
      events.append(
        #"{"name": \#(TraceFormat.json(label(r))), "cat": "\#(r.kind.name)", "ph": "i", "s": "t", "ts": "#
          + #"\#(r.time), "pid": \#(pid), "tid": \#(tid), "args": \#(args)}"#
      )
      if let seq = r.seq { bySeq[seq] = r }
      if let asked = r.answers, let request = bySeq[asked] {
        let (rpid, rtid) = track(request)
        let duration = r.time >= request.time ? r.time - request.time : 0
        events.append(
          #"{"name": \#(TraceFormat.json(label(request))), "cat": "rpc", "ph": "X", "ts": \#(request.time), "#
            + #""dur": \#(duration), "pid": \#(rpid), "tid": \#(rtid), "args": {"request": \#(asked), "reply": "#
            + #"\#(r.seq.map(String.init) ?? "null")}}"#
        )
      }
    }
    return "{\"traceEvents\": [\n" + events.map { "  " + $0 }.joined(separator: ",\n")
      + "\n], \"displayTimeUnit\": \"ms\"}\n"
  }
}
