import MachModel

/// What loading a file gave (the summary line of `trace load`).
public struct LoadReport: Equatable, Sendable {
  public var records = 0
  public var requests = 0
  public var replies = 0
  /// Requests that wait for a reply the file does not have.
  public var unanswered = 0
  /// Lines, or parts of lines, that are not records: kept as `raw` records.
  public var notUnderstood = 0
  /// The line of the first of them.
  public var firstNotUnderstood: UInt32? = nil

  public init() {}

  mutating func noteNotUnderstood(_ line: UInt32) {
    notUnderstood += 1
    if firstNotUnderstood == nil { firstNotUnderstood = line }
  }
}

/// Reads an rpctrace log into records (docs/trace.md, "rpctrace logs"): every output version of
/// GNU Hurd's `utils/rpctrace.c` in use, told apart line by line, not by a version switch.
///
/// - A request (`DEST->NAME (ARGS)`) is a `send` record of the task its destination names
///   (`pidN`, or `untraced` for `pid-1`); its reply a `receive` record of the same task that
///   `answers` it, with the request's routine and the reply's RetCode as both `code` and
///   `retval` (rpctrace shows no mach_msg codes).
/// - Pairing follows the log: a reply on the request's own line; `N... = ` (late 2013 on)
///   with the latest open request the log closed with ` ...N`; `reply(W:…) W > ` (before
///   2012) with the latest closed with ` > W ...`; a reply at the start of a line with the
///   latest request whose line was left open (glued requests, 2012–2013, or a program's output
///   in between).
/// - Anything else is a `raw` record, whole or after the part of the line that was read.
///   `Child N exited with M` is a raw record that counts as understood.
///
/// A record's `bytes` hold its text as the log wrote it (`TraceRecord.origin == .rpctrace`),
/// and its values are read from there on demand (`RpctraceLog.values(of:)`).
public struct RpctraceLog {
  public private(set) var records: [TraceRecord] = []
  public private(set) var report = LoadReport()
  private let msgids: MsgIdTable
  private var idsByName: [String: Int32] = [:]
  private var routineCache: [Int32: String] = [:]
  /// Requests waiting for their reply, as record positions: those the log closed with a
  /// reply port's number, and those whose line it left open (latest last).
  private var closed: [UInt32: [Int]] = [:]
  private var lineOpen: [Int] = []
  private var time: UInt64 = 0
  /// Before 2012 rpctrace traced one task and named no pids: its records belong to the task
  /// the log names elsewhere (`taskPID`, `Child PID`), or to `traced`.
  private let singleTask: String?
  /// Tasks by pid (-1 for `untraced`, Int64.min for a name with no pid).
  private var taskByPid: [Int64: TaskIndex] = [:]
  /// Routines by the bytes of the name a request gave.
  private var routineByName: [[UInt8]: (msgid: Int32, routine: String)] = [:]

  /// Reads `text`, naming tasks in `names`.
  public init(_ text: UnsafeBufferPointer<UInt8>, msgids: MsgIdTable, names: inout LoadedNames) {
    self.msgids = msgids
    singleTask = Self.singleTaskName(text)
    for (id, entries) in msgids.entriesByID {
      for e in entries where idsByName[e.routine].map({ id < $0 }) ?? true { idsByName[e.routine] = id }
    }
    // Room for two records a line without growing (pages not written cost nothing).
    records.reserveCapacity(2 * (text.count { $0 == 0x0a } + 1))
    forEachLine(text) { line, number in
      if !line.isEmpty { read(text, from: line.lowerBound, to: line.upperBound, line: number, names: &names) }
    }
    report.records = records.count
    // Every reply answers one request (a reply with none is a raw record).
    report.unanswered = records.count { $0.expectsReply } - report.replies
  }

  /// `pidN` of a log with no `(pid…)` names: from `taskN->` or `Child N`.
  static func singleTaskName(_ text: UnsafeBufferPointer<UInt8>) -> String? {
    let pidMark = Array("(pid".utf8), task = Array("task".utf8), child = Array("Child ".utf8)
    func find(_ needle: [UInt8], from: Int) -> Int? {
      guard needle.count <= text.count else { return nil }
      var i = from
      while i + needle.count <= text.count {
        if text[i] == needle[0] && text[i..<(i + needle.count)].elementsEqual(needle) { return i }
        i += 1
      }
      return nil
    }
    if find(pidMark, from: 0) != nil { return nil }
    func number(at i: Int) -> String? {
      var j = i
      while j < text.count && RpctraceSyntax.isDigit(text[j]) { j += 1 }
      return j > i ? String(decoding: text[i..<j], as: UTF8.self) : nil
    }
    var from = 0
    while let t = find(task, from: from) {
      if let n = number(at: t + 4), t + 4 + n.utf8.count + 1 < text.count, text[t + 4 + n.utf8.count] == 0x2d,
        text[t + 5 + n.utf8.count] == 0x3e
      {
        return "pid" + n
      }
      from = t + 4
    }
    if let c = find(child, from: 0), let n = number(at: c + 6) { return "pid" + n }
    return "traced"
  }

  // MARK: - Lines

  private mutating func read(
    _ text: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int, line: UInt32, names: inout LoadedNames
  ) {
    var c = RpctraceSyntax(text, from: start, to: end)
    if let t = c.timestamp() { time = t }
    // A reply on a line of its own.
    let replyStart = c.at
    if let port = c.unsigned(), c.take("...") {  // N... = RET (late 2013 on)
      if let request = closed[UInt32(truncatingIfNeeded: port)]?.popLast() {
        if reply(text, &c, to: request, line: line) { return }
        closed[UInt32(truncatingIfNeeded: port), default: []].append(request)
      }
      return raw(text, from: start, to: end, line: line)
    }
    c.at = replyStart
    if c.looksAt(" =") {  // the reply of the request whose line was left open
      if let request = lineOpen.popLast() {
        if reply(text, &c, to: request, line: line) { return }
        lineOpen.append(request)
      }
      return raw(text, from: start, to: end, line: line)
    }
    if c.replyName() || c.take("reply?") {  // before 2012: `reply(W:NAME)  W > RET`
      c.skipSpaces()
      if let port = c.unsigned(), c.looksAt(" >") {
        if let request = closed[UInt32(truncatingIfNeeded: port)]?.popLast() {
          if oldReply(text, &c, to: request, line: line) { return }
          closed[UInt32(truncatingIfNeeded: port), default: []].append(request)
        }
        return raw(text, from: start, to: end, line: line)
      }
    }
    c.at = replyStart  // a request to a reply port's wrapper, perhaps
    if c.looksAt("Child ") { return child(text, from: c.at, to: end, line: line) }
    // Requests: one, or several glued together, then what ends the line.
    var any = false
    while let request = self.request(text, &c, line: line, names: &names) {
      any = true
      c.skipBlankEnd()
      if request.oneWay {
        if c.atEnd { return }
        break
      }
      if c.atEnd {
        lineOpen.append(request.index)
        return
      }
      if reply(text, &c, to: request.index, line: line) { return }
      let save = c.at
      if let t = c.timestamp() { time = t }  // rpctrace -t prints the next request's time first
      if c.take(" ..."), let port = c.unsigned(), c.atEnd {  // late 2013 on
        closed[UInt32(truncatingIfNeeded: port), default: []].append(request.index)
        return
      }
      c.at = save
      if c.take(" >") {  // before 2012: ` >   N ...`
        c.skipSpaces()
        if let port = c.unsigned(), c.take(" ..."), c.atEnd {
          closed[UInt32(truncatingIfNeeded: port), default: []].append(request.index)
          return
        }
      }
      c.at = save
      lineOpen.append(request.index)  // a request glued on, a child's exit, or other output
      if c.looksAt("Child ") { return child(text, from: c.at, to: end, line: line) }
    }
    raw(text, from: any ? c.at : start, to: end, line: line)
  }

  private struct Request {
    var index: Int
    var oneWay: Bool
  }

  /// A request at the cursor, through its `)` or `);`, recorded.
  private mutating func request(
    _ text: UnsafeBufferPointer<UInt8>, _ c: inout RpctraceSyntax, line: UInt32, names: inout LoadedNames
  ) -> Request? {
    let start = c.at
    guard let (dest, name) = c.requestHeader(), let close = c.valuesEnd(closing: true) else {
      c.at = start
      return nil
    }
    c.at = close + 1
    let oneWay = c.take(";")
    // The task: `pidN` of the destination's name (`untraced` for pid-1), else the one task
    // of a log before 2012, else `untraced`; by pid, so that a line names no string.
    let pid = RpctraceSyntax.pid(in: text[dest]).map { $0 < 0 ? -1 : $0 } ?? Int64.min
    let task: TaskIndex
    if let t = taskByPid[pid] {
      task = t
    } else {
      task = names.task(named: pid == Int64.min ? singleTask ?? "untraced" : pid < 0 ? "untraced" : "pid\(pid)")
      taskByPid[pid] = task
    }
    let (msgid, routine) = routineOf(text[name])
    var r = TraceRecord(
      seq: UInt64(records.count + 1), time: time, task: task, thread: nil, direction: .send, kind: .normal, retval: 0,
      code: nil, msgid: msgid, routine: routine, dest: RpctraceSyntax.portNumber(text[dest]), reply: 0, size: 0,
      complex: false,
      ool: 0, rights: 0, answers: nil, bytes: Array(text[dest.lowerBound..<c.at]))
    r.origin = .rpctrace
    r.line = line
    records.append(r)
    report.requests += 1
    return Request(index: records.count - 1, oneWay: oneWay)
  }

  /// The reply ` = RET VALUES` (or ` =(GOT != WANT) RET VALUES`) at the cursor, to the end of
  /// the line, recorded as the answer to `request`.
  private mutating func reply(
    _ text: UnsafeBufferPointer<UInt8>, _ c: inout RpctraceSyntax, to request: Int, line: UInt32
  )
    -> Bool
  {
    let start = c.at
    guard let (ret, ids) = c.replyResult(), c.atEnd || c.take(" "), c.valuesEnd(closing: false) == c.end else {
      c.at = start
      return false
    }
    addReply(text, from: start + 1, to: c.end, ret: ret, got: ids?.got, to: request, line: line)
    c.at = c.end
    return true
  }

  /// Before 2012: ` > RET VALUES` or ` >(NAME) RET VALUES` after a reply port's name.
  private mutating func oldReply(
    _ text: UnsafeBufferPointer<UInt8>, _ c: inout RpctraceSyntax, to request: Int, line: UInt32
  )
    -> Bool
  {
    let start = c.at
    guard c.take(" >") else { return false }
    var got: UInt32? = nil
    if c.take("(") {  // an unexpected reply id, as a number or a routine's name
      let nameStart = c.at
      while let b = c.peek, RpctraceSyntax.isNameByte(b) { c.at += 1 }
      let token = text[nameStart..<c.at]
      guard !token.isEmpty, c.take(")") else {
        c.at = start
        return false
      }
      got = UInt32(String(decoding: token, as: UTF8.self)) ?? UInt32(bitPattern: routineOf(token).msgid)
    }
    guard c.take(" "), let ret = c.returnCode(), c.atEnd || c.take(" "), c.valuesEnd(closing: false) == c.end else {
      c.at = start
      return false
    }
    addReply(text, from: start + 1, to: c.end, ret: ret, got: got, to: request, line: line)
    c.at = c.end
    return true
  }

  private mutating func addReply(
    _ text: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int, ret: Int32, got: UInt32?, to request: Int,
    line: UInt32
  ) {
    let q = records[request]
    var r = TraceRecord(
      seq: UInt64(records.count + 1), time: time, task: q.task, thread: nil, direction: .receive, kind: .normal,
      retval: ret, code: ret, msgid: got.map { Int32(bitPattern: $0) } ?? (q.msgid == 0 ? 0 : q.msgid &+ 100),
      routine: q.routine, dest: q.reply, reply: 0, size: 0, complex: false, ool: 0, rights: 0,
      answers: q.seq, bytes: Array(text[start..<end]))
    r.origin = .rpctrace
    r.line = line
    records.append(r)
    report.replies += 1
  }

  private mutating func child(_ text: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int, line: UInt32) {
    var c = RpctraceSyntax(text, from: start, to: end)
    let understood = c.take("Child ") && c.unsigned() != nil && c.take(" ")
    appendRaw(text, from: start, to: end, line: line)
    if !understood { report.noteNotUnderstood(line) }
  }

  private mutating func raw(_ text: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int, line: UInt32) {
    appendRaw(text, from: start, to: end, line: line)
    report.noteNotUnderstood(line)
  }

  private mutating func appendRaw(_ text: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int, line: UInt32) {
    records.append(TraceRecord.raw(Array(text[start..<end]), seq: UInt64(records.count + 1), time: time, line: line))
  }

  // MARK: - Names

  /// The id and routine a request's name stands for: a bare id (`%5u`, no table entry), or a
  /// name the tables know (its id, and the tables' name for it, so that `io_write_request`
  /// and `io_write` are one routine); an unknown name stays as written, less `_request`.
  private mutating func routineOf(_ token: UnsafeBufferPointer<UInt8>.SubSequence) -> (msgid: Int32, routine: String) {
    let key = Array(token)
    if let known = routineByName[key] { return known }
    let found = lookUpRoutine(token)
    routineByName[key] = found
    return found
  }

  private mutating func lookUpRoutine(
    _ token: UnsafeBufferPointer<UInt8>.SubSequence
  ) -> (msgid: Int32, routine: String) {
    if let first = token.first, RpctraceSyntax.isDigit(first), let id = Int32(String(decoding: token, as: UTF8.self)) {
      return (id, routineName(id))
    }
    var name = String(decoding: token, as: UTF8.self)
    if let id = idsByName[name] { return (id, routineName(id)) }
    if name.hasSuffix("_request") {
      name.removeLast("_request".count)
      if let id = idsByName[name] { return (id, routineName(id)) }
    }
    return (0, name)
  }

  private mutating func routineName(_ id: Int32) -> String {
    if let n = routineCache[id] { return n }
    let n = msgids.name(of: id)
    routineCache[id] = n
    return n
  }

  // MARK: - Reading a record back

  /// The parts of an rpctrace record: a request's destination and values, or a reply's.
  public struct Parts: Equatable, Sendable {
    /// The destination as the log wrote it (a request; "" for a reply).
    public var destination: String
    public var values: [LogValue]
    /// A request sent with no reply port (`);`).
    public var oneWay: Bool
    /// A reply's RetCode as the log wrote it (`0`, `0x40000002 (No such file or directory)`).
    public var result: String = ""
  }

  /// The destination and values of a record of an rpctrace log.
  public static func parts(of r: TraceRecord) -> Parts {
    r.bytes.withUnsafeBufferPointer { text in
      var c = RpctraceSyntax(text)
      if r.direction == .send, let (dest, _) = c.requestHeader(), let close = c.valuesEnd(closing: true) {
        return Parts(
          destination: String(decoding: text[dest], as: UTF8.self),
          values: LogValue.values(text, from: c.at, to: close),
          oneWay: text.last == UInt8(ascii: ";"))
      }
      // A reply's text: `= RET VALUES`, `=(G != W) RET VALUES`, or `> RET VALUES`.
      c.at = 0
      if c.take("=") || c.take(">") {
        if c.take("(") { while let b = c.peek, b != UInt8(ascii: ")") { c.at += 1 }; c.at += 1 }
        c.skipSpaces()
        let codeStart = c.at
        _ = c.returnCode()
        return Parts(
          destination: "", values: LogValue.values(text, from: c.at, to: text.count), oneWay: false,
          result: String(decoding: text[codeStart..<c.at], as: UTF8.self))
      }
      return Parts(destination: "", values: [], oneWay: false)
    }
  }
}

extension TraceRecord {
  /// A line of a loaded file that is not a record, as it was.
  static func raw(_ text: [UInt8], seq: UInt64, time: UInt64, line: UInt32) -> TraceRecord {
    var r = TraceRecord(
      seq: seq, time: time, task: TraceEntry.noPeer, thread: nil, direction: .send, kind: .normal, retval: 0, code: nil,
      msgid: 0, routine: "", dest: 0, reply: 0, size: 0, complex: false, ool: 0, rights: 0, answers: nil, bytes: text)
    r.origin = .raw
    r.line = line
    return r
  }
}
