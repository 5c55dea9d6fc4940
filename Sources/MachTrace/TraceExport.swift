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

  /// The records a writer goes through: calls `visit` with each, in order. An export may go
  /// through them twice (mermaid names its participants first), so it is a function, not a
  /// sequence: the records stay where they are, and memory stays flat however many there are.
  public typealias Records = (_ visit: (TraceRecord) throws -> Void) throws -> Void

  /// Writes the export of `records` through `out`, a piece at a time. `peer` names the other
  /// end of a record where it can be told: for a send copy, the task holding the receive right
  /// of its destination ("kernel" for a kernel object).
  public func write(
    _ records: Records, names: TraceNames, peer: @escaping (TraceRecord) -> String?,
    to out: @escaping (String) throws -> Void
  ) throws {
    switch self {
    case .jsonl: try records { try out(TraceFormat.jsonLine($0, names: names) + "\n") }
    case .rpctrace: try records { try out(TraceFormat.rpctraceLine($0, names: names) + "\n") }
    case .mermaid: try Self.mermaid(records, names: names, peer: peer, to: out)
    case .chrome: try Self.chrome(records, names: names, to: out)
    }
  }

  /// The whole export as one text.
  public func render(_ records: [TraceRecord], names: TraceNames, peer: @escaping (TraceRecord) -> String?) -> String {
    var text = ""
    try? write({ visit in for r in records { try visit(r) } }, names: names, peer: peer) { text += $0 }
    return text
  }

  static func label(_ r: TraceRecord) -> String { r.routine.isEmpty ? String(r.msgid) : r.routine }

  static func isReply(_ r: TraceRecord) -> Bool { r.code != nil || r.answers != nil }

  // MARK: - Mermaid

  /// One arrow per message a traced task sends (its `send` copies, `normal` or exception),
  /// from the task to the receiver of the destination; and one per reply a traced task
  /// receives to a request it sent the kernel, a task with no records here, or a port whose
  /// receiver is not known, since no `send` copy shows those. Any other message received
  /// from such a task has no arrow: the trace does not say who sent it.
  static func mermaid(
    _ records: Records, names: TraceNames, peer: @escaping (TraceRecord) -> String?,
    to out: @escaping (String) throws -> Void
  ) throws {
    // First the participants, in order of appearance, then the arrows: two passes.
    var traced = Set<String>()
    try records { if $0.origin != .raw { traced.insert(names.task($0.task)) } }
    var participants: [String] = []
    var seen = Set<String>()
    try arrows(records, names: names, peer: peer, traced: traced) { from, to, _ in
      for id in [from, to] where seen.insert(id).inserted { participants.append(id) }
    }
    try out("sequenceDiagram\n")
    for id in participants { try out("    participant \(id)\n") }
    try arrows(records, names: names, peer: peer, traced: traced) { from, to, arrow in try out(arrow + "\n") }
  }

  /// Calls `emit` with each arrow: its two participant ids and its line.
  private static func arrows(
    _ records: Records, names: TraceNames, peer: @escaping (TraceRecord) -> String?, traced: Set<String>,
    emit: @escaping (String, String, String) throws -> Void
  ) throws {
    var untracedPeer: [UInt64: String] = [:]  // request seq → the kernel or an untraced receiver
    try records { r in
      guard r.origin != .raw else { return }  // a line of a loaded file that is not a message
      let who = names.task(r.task)
      switch (r.kind, r.direction) {
      case (.normal, .send), (.taskException, .send), (.threadException, .send):
        let target = peer(r) ?? "port \(r.dest)"
        // A receiver with no send copies here (the kernel, an untraced task, or a port whose
        // receiver is not known, as in an rpctrace log) has its reply drawn from the reply.
        if !traced.contains(target), let seq = r.seq { untracedPeer[seq] = target }
        let from = mermaidID(who), to = mermaidID(target)
        try emit(from, to, "    \(from)\(isReply(r) ? "-->>" : "->>")\(to): \(label(r))\(result(r))")
      case (.normal, .receive), (.taskException, .receive), (.threadException, .receive):
        // A reply to a request sent to the kernel or to an untraced task (an exception
        // handler's answer too): no send copy shows it, so its arrow is drawn from here.
        guard let asked = r.answers, let sender = untracedPeer.removeValue(forKey: asked) else { return }
        let from = mermaidID(sender), to = mermaidID(who)
        try emit(from, to, "    \(from)-->>\(to): \(label(r))\(result(r))")
      default:
        return
      }
    }
  }

  private static func result(_ r: TraceRecord) -> String {
    // An rpctrace log's reply: its RetCode as the log wrote it (with strerror's words).
    if r.origin == .rpctrace && r.retval != 0 { return " = " + RpctraceLog.parts(of: r).result }
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
  static func chrome(_ records: Records, names: TraceNames, to out: @escaping (String) throws -> Void) throws {
    var seenTasks = Set<TaskIndex>()
    var seenThreads = Set<Int64>()  // pid << 32 | tid: a task's own track is tid 0 in each
    /// What a reply needs of its request, kept until the reply comes.
    struct Request {
      var label: String
      var time: UInt64
      var pid: Int32
      var tid: Int32
    }
    var requests: [UInt64: Request] = [:]
    var first = true
    func event(_ text: String) throws {
      try out((first ? "" : ",\n") + "  " + text)
      first = false
    }
    /// Model tasks and threads from 1; loaded ones (negative indices) from 1,000,001.
    func track(_ r: TraceRecord) -> (pid: Int32, tid: Int32) {
      func number(_ i: Int32) -> Int32 { LoadedNames.isLoaded(i) ? 1_000_001 + LoadedNames.first - i : i + 1 }
      return (number(r.task), r.thread.map(number) ?? 0)
    }
    try out("{\"traceEvents\": [\n")
    try records { r in
      guard r.origin != .raw else { return }
      let (pid, tid) = track(r)
      if seenTasks.insert(r.task).inserted {
        try event(
          #"{"name": "process_name", "ph": "M", "pid": \#(pid), "args": {"name": "#
            + #"\#(TraceFormat.json(names.task(r.task)))}}"#)
      }
      if seenThreads.insert(Int64(pid) << 32 | Int64(UInt32(bitPattern: tid))).inserted {
        let threadName = names.thread(r.thread) ?? names.task(r.task)
        try event(
          #"{"name": "thread_name", "ph": "M", "pid": \#(pid), "tid": \#(tid), "args": {"name": "#
            + #"\#(TraceFormat.json(threadName))}}"#)
      }
      let args =
        #"{"seq": \#(r.seq.map(String.init) ?? "null"), "dir": "\#(r.direction == .send ? "send" : "receive")", "#
        + #""type": "\#(r.kind.name)", "msgid": \#(r.msgid), "retval": "#
        + #"\#(TraceFormat.json(ReturnCodeNames.name(of: r.retval, fromMachMsg: true)))}"#
      try event(
        #"{"name": \#(TraceFormat.json(label(r))), "cat": "\#(r.kind.name)", "ph": "i", "s": "t", "ts": "#
          + #"\#(r.time), "pid": \#(pid), "tid": \#(tid), "args": \#(args)}"#)
      if let seq = r.seq, !isReply(r) { requests[seq] = Request(label: label(r), time: r.time, pid: pid, tid: tid) }
      if let asked = r.answers, let request = requests.removeValue(forKey: asked) {
        let duration = r.time >= request.time ? r.time - request.time : 0
        try event(
          #"{"name": \#(TraceFormat.json(request.label)), "cat": "rpc", "ph": "X", "ts": \#(request.time), "#
            + #""dur": \#(duration), "pid": \#(request.pid), "tid": \#(request.tid), "args": {"request": \#(asked), "#
            + #""reply": \#(r.seq.map(String.init) ?? "null")}}"#)
      }
    }
    try out("\n], \"displayTimeUnit\": \"ms\"}\n")
  }
}
