// MIG's encoding of requests and replies on i386, for clients of the routine table
// (docs/gnumach.md §6, "MIG conventions").

/// One argument's value in user form (names in the caller's space).
public enum MigValue: Equatable, Sendable {
  case int(Int32)
  /// A bare name (MACH_MSG_TYPE_PORT_NAME).
  case name(PortName)
  /// A right: in a request, the disposition to send it with; in a reply, the type it arrived as.
  case port(PortName, disposition: UInt32)
  /// A structure or an array of integers.
  case ints([Int32])
  /// An out-of-line array of names.
  case names([PortName])
  /// An out-of-line array of rights: as received; in a request to `Kernel.rpc`, the names to
  /// send (the stub writes them into the caller's memory first).
  case ports([PortName], disposition: UInt32)
  /// An out-of-line array of `count` rights at `address` in the sender's memory, each sent
  /// with `disposition` (a request's argument, as MIG's user stub sends it).
  case outOfLinePorts(address: UInt32, count: UInt32, disposition: UInt32)
}

/// A decoded MIG reply: the routine's return code and its out-arguments, by name.
public struct MigReply: Equatable, Sendable {
  public var retCode: ReturnCode
  public var outputs: [(name: String, value: MigValue)]

  public init(retCode: ReturnCode, outputs: [(name: String, value: MigValue)]) {
    self.retCode = retCode
    self.outputs = outputs
  }

  public static func == (a: MigReply, b: MigReply) -> Bool {
    a.retCode == b.retCode && a.outputs.elementsEqual(b.outputs) { $0.name == $1.name && $0.value == $1.value }
  }

  public subscript(_ name: String) -> MigValue? { outputs.first { $0.name == name }?.value }
}

/// Why a request could not be built or a reply could not be read.
public enum MigError: Error, Equatable, Sendable {
  case wrongArgumentCount(expected: Int, got: Int)
  case wrongValue(argument: String)
  /// The message is not this routine's reply (MIG_REPLY_MISMATCH).
  case replyMismatch
  /// The reply's items do not match the routine (MIG_TYPE_ERROR).
  case typeError
}

public enum Mig {
  static let int32Descriptor = TypeDescriptor(name: MsgType.integer32, size: 32, number: 1)

  /// Builds the request message for `routine`: the header's destination is `target` (sent
  /// COPY_SEND) and its reply port `reply` (MAKE_SEND_ONCE), as MIG's user stubs do; the body
  /// holds the in-arguments in order.
  public static func request(
    _ routine: Routine, target: PortName, reply: PortName, arguments: [MigValue],
    targetDisposition: UInt32 = MsgType.copySend, replyDisposition: UInt32 = MsgType.makeSendOnce
  ) -> Result<[UInt8], MigError> {
    var bytes: [UInt8] = []
    if let error = request(
      routine, target: target, reply: reply, arguments: arguments, targetDisposition: targetDisposition,
      replyDisposition: replyDisposition, into: &bytes)
    {
      return .failure(error)
    }
    return .success(bytes)
  }

  /// `request`, written into `bytes` (whose contents are replaced and whose storage is
  /// reused when nothing else holds it); the error, or nil.
  public static func request(
    _ routine: Routine, target: PortName, reply: PortName, arguments: [MigValue],
    targetDisposition: UInt32 = MsgType.copySend, replyDisposition: UInt32 = MsgType.makeSendOnce,
    into bytes: inout [UInt8]
  ) -> MigError? {
    let inputs = routine.inputs
    guard inputs.count == arguments.count else {
      return .wrongArgumentCount(expected: inputs.count, got: arguments.count)
    }
    var m = MessageBuilder(
      remote: target, remoteDisposition: targetDisposition, local: reply,
      localDisposition: reply == MachPort.null ? 0 : replyDisposition, id: routine.id, reusing: consume bytes)
    var failure: MigError? = nil
    for (arg, value) in zip(inputs, arguments) where failure == nil {
      switch (arg.type, value) {
      case (.int32, .int(let v)): m.word(MsgType.integer32, UInt32(bitPattern: v))
      case (.boolean, .int(let v)): m.word(MsgType.unstructured, UInt32(bitPattern: v))
      case (.portName, .name(let n)), (.portName, .port(let n, _)): m.word(MsgType.portName, n)
      case (.port(let d), .name(let n)): m.word(d, n)
      case (.port, .port(let n, let d)), (.polyPort, .port(let n, let d)):
        if MsgType.isPort(d) { m.word(d, n) } else { failure = .wrongValue(argument: arg.name) }
      case (.structure(let fields), .ints(let v)) where v.count == fields.count: m.int32(v)
      case (.outOfLinePorts, .outOfLinePorts(let address, let count, let d)):
        if MsgType.isPort(d) {
          m.outOfLinePorts(address: address, count: count, disposition: d)
        } else {
          failure = .wrongValue(argument: arg.name)
        }
      default: failure = .wrongValue(argument: arg.name)
      }
    }
    bytes = m.takeMessage()
    return failure
  }

  /// Reads `bytes` as `routine`'s reply: id + 100, a RetCode, then (on success) the
  /// out-arguments. Out-of-line arrays are read from the receiver's memory by `readMemory`.
  public static func decodeReply(
    _ routine: Routine, _ bytes: [UInt8], readMemory: (UInt32, UInt32) -> [UInt8] = { _, _ in [] }
  ) -> Result<MigReply, MigError> {
    guard bytes.count >= MsgHeader.size, let replyID = routine.replyID,
      Int32(bitPattern: bytes.word(at: MsgHeader.idOffset)) == replyID
    else { return .failure(.replyMismatch) }
    let end = min(Int(bytes.word(at: MsgHeader.sizeOffset)), bytes.count)
    guard end >= MsgHeader.size + 8, bytes.word(at: MsgHeader.size) == 0x1001_2002 else { return .failure(.typeError) }
    let code = ReturnCode(bitPattern: bytes.word(at: MsgHeader.size + 4))
    var reply = MigReply(retCode: code, outputs: [])
    guard code == KernReturn.success else { return .success(reply) }
    var offset = MsgHeader.size + 8
    for arg in routine.outputs {
      guard case .success(let d) = TypeDescriptor.parse(bytes, at: offset, end: end) else {
        return .failure(.typeError)
      }
      let data = offset + d.descriptorLength
      guard let value = value(in: bytes, d, at: data, as: arg.type, readMemory: readMemory) else {
        return .failure(.typeError)
      }
      reply.outputs.append((arg.name, value))
      offset = data + d.bodyDataLength
    }
    guard offset == end else { return .failure(.typeError) }
    return .success(reply)
  }

  /// The value of the item described by `d` whose data starts at `data` in `bytes` (its
  /// inline words, or the 4-byte address of its out-of-line words), read as `type`; nil when
  /// the item is not of that type.
  static func value(
    in bytes: [UInt8], _ d: TypeDescriptor, at data: Int, as type: MigType, readMemory: (UInt32, UInt32) -> [UInt8]
  ) -> MigValue? {
    func oolWords() -> [UInt32] {
      var words = readMemory(bytes.word(at: data), d.number * 4)  // trailing zeros are not stored
      if words.count < Int(d.number) * 4 {
        words.append(contentsOf: repeatElement(0, count: Int(d.number) * 4 - words.count))
      }
      return (0..<Int(d.number)).map { words.word(at: 4 * $0) }
    }
    switch type {
    case .int32, .boolean:
      guard d.isInline, d.size == 32, d.number == 1 else { return nil }
      return .int(Int32(bitPattern: bytes.word(at: data)))
    case .portName:
      guard d.isInline, d.name == MsgType.portName, d.number == 1 else { return nil }
      return .name(bytes.word(at: data))
    case .port, .polyPort:
      guard d.isInline, d.isPort || d.name == MsgType.portName, d.number == 1 else { return nil }
      return .port(bytes.word(at: data), disposition: d.name)
    case .structure(let fields):
      guard d.isInline, d.name == MsgType.integer32, Int(d.number) == fields.count else { return nil }
      return .ints((0..<fields.count).map { Int32(bitPattern: bytes.word(at: data + 4 * $0)) })
    case .outOfLineNames:
      guard !d.isInline, d.name == MsgType.portName else { return nil }
      return .names(oolWords())
    case .outOfLineInts:
      guard !d.isInline, d.name == MsgType.integer32 else { return nil }
      return .ints(oolWords().map { Int32(bitPattern: $0) })
    case .outOfLinePorts:
      guard !d.isInline, d.isPort else { return nil }
      return .ports(oolWords(), disposition: d.name)
    }
  }
}
