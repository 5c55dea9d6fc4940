import MachModel

/// Why a trace message could not be decoded.
public enum TraceDecodeError: Error, Equatable, Sendable, CustomStringConvertible {
  case notATraceMessage(id: Int32)
  case truncated
  case badItem(index: Int)
  case badValue(String)

  public var description: String {
    switch self {
    case .notATraceMessage(let id): return "not a trace message (id \(id), expected \(TraceMessage.id))"
    case .truncated: return "truncated trace message"
    case .badItem(let i): return "trace message item \(i + 1) has the wrong type"
    case .badValue(let what): return "trace message has a bad \(what)"
    }
  }
}

/// Turns trace copies into records: reads the fields of the copied message, names the
/// routine from the msgids table, recognises MIG replies, and pairs each reply with the request
/// it answers (by task, reply port and id + 100).
public struct TraceDecoder: Sendable {
  public var msgids: MsgIdTable
  /// Added to the kernel's `seq` of each copy: loaded records take numbers too, and live ones
  /// follow them.
  public var seqOffset: UInt64 = 0
  /// Requests waiting for their reply: (task, reply port) → (seq, request id).
  private var pending: [PendingKey: (seq: UInt64, id: Int32)] = [:]

  struct PendingKey: Hashable, Sendable {
    var task: TaskIndex
    var kernelForm: Bool
    var port: UInt32
  }

  public init(msgids: MsgIdTable = MsgIdTable()) {
    self.msgids = msgids
  }

  /// The record of a copy from the kernel's trace log.
  public mutating func record(_ entry: TraceEntry, bytes: [UInt8]) -> TraceRecord {
    var r = Self.fields(
      bytes, task: entry.task, thread: entry.thread >= 0 ? entry.thread : nil, direction: entry.direction,
      kind: entry.kind, retval: entry.retval, msgids: msgids)
    r.seq = entry.seq + seqOffset
    r.time = entry.time
    r.peer = entry.peer
    pair(&r)
    return r
  }

  /// Records of every entry of a log, in order.
  public mutating func records(_ log: TraceLog) -> [TraceRecord] {
    log.entries.map { record($0, bytes: log.bytes(of: $0)) }
  }

  /// Decodes a trace message (id 4600, D2) as a task received it: `resolve` says which task
  /// or thread the task and thread rights in it name. The record has no `seq`.
  public func decode(
    traceMessage bytes: [UInt8], resolve: (PortName) -> (task: TaskIndex?, thread: ThreadIndex?)
  ) -> Result<TraceRecord, TraceDecodeError> {
    guard let view = MessageView(bytes) else { return .failure(.truncated) }
    guard view.id == TraceMessage.id else { return .failure(.notATraceMessage(id: view.id)) }
    guard case .success(let items) = view.items() else { return .failure(.truncated) }
    guard items.count == 6 else { return .failure(.truncated) }
    for (i, item) in items.prefix(2).enumerated()
    where !(item.descriptor.isPort && item.descriptor.number == 1 && item.descriptor.isInline) {
      return .failure(.badItem(index: i))
    }
    for i in 2..<5
    where
      !(items[i].descriptor.name == MsgType.integer32 && items[i].descriptor.number == 1
      && items[i].descriptor.isInline)
    {
      return .failure(.badItem(index: i))
    }
    guard items[5].descriptor.name == MsgType.byte, items[5].descriptor.isInline else {
      return .failure(.badItem(index: 5))
    }
    guard let task = resolve(items[0].words[0]).task else { return .failure(.badValue("task")) }
    let thread = items[1].words[0] == MachPort.null ? nil : resolve(items[1].words[0]).thread
    guard let direction = TraceMessage.Direction(rawValue: UInt8(truncatingIfNeeded: items[2].words[0])),
      items[2].words[0] <= 1
    else {
      return .failure(.badValue("direction"))
    }
    guard items[3].words[0] <= 4, let kind = TraceMessage.Kind(rawValue: UInt8(items[3].words[0])) else {
      return .failure(.badValue("type"))
    }
    let message = items[5].data
    guard message.count >= MsgHeader.size else { return .failure(.badValue("message")) }
    return .success(
      Self.fields(
        message, task: task, thread: thread, direction: direction, kind: kind,
        retval: ReturnCode(bitPattern: items[4].words[0]), msgids: msgids))
  }

  /// The fields a copied message gives (docs/shell.md §8).
  static func fields(
    _ bytes: [UInt8], task: TaskIndex, thread: ThreadIndex?, direction: TraceMessage.Direction,
    kind: TraceMessage.Kind, retval: ReturnCode, msgids: MsgIdTable
  ) -> TraceRecord {
    let view = MessageView(bytes)
    let msgid = view?.id ?? 0
    let remote = view?.remotePort ?? 0
    let local = view?.localPort ?? 0
    // A normal receive has been through the header swap: the port it arrived on is local.
    let swapped = kind == .normal && direction == .receive
    let dest = swapped ? local : remote
    let reply = swapped ? remote : local
    var ool = 0, rights = MachPort.isValid(reply) ? 1 : 0
    var code: ReturnCode? = nil
    let isReply = msgids.isReplyID(msgid)
    if let view, view.isComplex || isReply, case .success(let items) = view.items() {
      for item in items {
        if !item.descriptor.isInline { ool += 1 }
        if item.descriptor.isPort { rights += Int(item.descriptor.number) }
      }
      // A MIG reply: its first item is one inline INTEGER_32, the RetCode.
      if isReply, let first = items.first, first.descriptor.name == MsgType.integer32,
        first.descriptor.number == 1, first.descriptor.isInline
      {
        code = ReturnCode(bitPattern: first.words[0])
      }
    }
    return TraceRecord(
      seq: nil, time: 0, task: task, thread: thread, direction: direction, kind: kind, retval: retval, code: code,
      msgid: msgid, routine: msgids.name(of: msgid, servedByKernel: kind == .task || kind == .thread),
      dest: dest, reply: reply, size: view?.size ?? 0, complex: view?.isComplex ?? false, ool: Int32(clamping: ool),
      rights: Int32(clamping: rights),
      answers: nil, bytes: bytes)
  }

  /// Request/reply pairing: a message with a reply port waits for a message of the same task
  /// to that port with id + 100 (also a MIG reply, though its id be in no table).
  private mutating func pair(_ r: inout TraceRecord) {
    let key = PendingKey(task: r.task, kernelForm: r.isKernelForm, port: r.dest)
    if let request = pending[key], r.msgid == request.id &+ 100 {
      r.answers = request.seq
      pending[key] = nil
      if r.code == nil, let first = r.body.first, first.type == "int32", first.number == 1,
        case .ints(let v) = first.value
      {
        r.code = ReturnCode(truncatingIfNeeded: v[0])
      }
    }
    if MachPort.isValid(r.reply), r.retval == MachMsgReturn.success, let seq = r.seq {
      pending[PendingKey(task: r.task, kernelForm: r.isKernelForm, port: r.reply)] = (seq, r.msgid)
    }
  }
}
