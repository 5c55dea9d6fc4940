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

extension MigValue {
  /// An out-of-line array of rights given as names (`ports`), which a stub must first write
  /// into the caller's memory.
  var isNameList: Bool {
    if case .ports = self { return true } else { return false }
  }
}

/// A decoded MIG reply: the routine's return code and its out-arguments, by name.
///
/// The names are the routine's own (`Routine.outputNames`, shared, never copied), and a reply
/// with one out-argument (nearly every kernel routine) holds its value inline: decoding a
/// reply allocates nothing unless a value is an array.
public struct MigReply: Equatable, Sendable {
  public var retCode: ReturnCode
  private var names: [String]
  private var values: Values

  /// The out-argument values, in order; `.one` keeps the common case out of the heap.
  private enum Values: Equatable, Sendable {
    case none
    case one(MigValue)
    case many([MigValue])
  }

  public init(retCode: ReturnCode, outputs: [(name: String, value: MigValue)]) {
    self.retCode = retCode
    names = outputs.map(\.name)
    values = outputs.count == 1 ? .one(outputs[0].value) : outputs.isEmpty ? .none : .many(outputs.map(\.value))
  }

  /// A reply of `retCode` whose out-arguments are named `names` in order, none decoded yet.
  init(retCode: ReturnCode, names: [String]) {
    self.retCode = retCode
    self.names = names
    values = .none
  }

  /// Appends the next out-argument's value (its name is the next of `names`).
  mutating func append(_ value: MigValue) {
    switch values {
    case .none: values = .one(value)
    case .one(let first): values = .many([first, value])
    case .many(var all):
      values = .none
      all.append(value)
      values = .many(all)
    }
  }

  public var count: Int {
    switch values {
    case .none: return 0
    case .one: return 1
    case .many(let all): return all.count
    }
  }

  /// The `i`th out-argument's value.
  public func value(at i: Int) -> MigValue {
    switch values {
    case .none: preconditionFailure("a reply with no out-arguments")
    case .one(let v):
      precondition(i == 0, "index out of range")
      return v
    case .many(let all): return all[i]
    }
  }

  /// The out-arguments as (name, value) pairs, in order.
  public var outputs: [(name: String, value: MigValue)] { (0..<count).map { (names[$0], value(at: $0)) } }

  public static func == (a: MigReply, b: MigReply) -> Bool {
    a.retCode == b.retCode && a.count == b.count && a.values == b.values
      && a.names.prefix(a.count) == b.names.prefix(b.count)
  }

  public subscript(_ name: String) -> MigValue? {
    for i in 0..<count where names[i] == name { return value(at: i) }
    return nil
  }
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
    let bits = MsgHeader.bits(remote: targetDisposition, local: reply == MachPort.null ? 0 : replyDisposition)
    if let words = routine.requestWords,
      writeOneWordRequest(words, arguments, bits: bits, target: target, reply: reply, id: routine.id, into: &bytes)
    {
      return nil
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

  /// The common request, every argument one inline word (`Routine.requestWords`), written
  /// into `bytes` in place (its storage reused, its count made the message's size); false when
  /// some argument is not a value its word takes, with `bytes` left for the general path to
  /// overwrite.
  private static func writeOneWordRequest(
    _ words: [RequestWord], _ arguments: [MigValue], bits: UInt32, target: PortName, reply: PortName, id: Int32,
    into bytes: inout [UInt8]
  ) -> Bool {
    let size = MsgHeader.size + 8 * words.count
    if bytes.count > size {
      bytes.removeLast(bytes.count - size)
    } else if bytes.count < size {
      bytes.append(contentsOf: repeatElement(0, count: size - bytes.count))
    }
    return bytes.withUnsafeMutableBytes { raw in
      var w = WordWriter(raw)
      w.header(bits: bits, size: UInt32(size), remote: target, local: reply, id: id)
      var complex = false
      for i in words.indices {
        guard let item = words[i].item(arguments[i]) else { return false }
        if MsgType.isPort(item.name) { complex = true }
        w.put((item.name & 0xff) | 32 << 8 | 1 << 16 | 1 << 28)
        w.put(item.word)
      }
      if complex { raw.storeBytes(of: (bits | MsgHeader.complexBit).littleEndian, toByteOffset: 0, as: UInt32.self) }
      return true
    }
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
    var reply = MigReply(retCode: code, names: routine.outputNames)
    guard code == KernReturn.success else { return .success(reply) }
    var offset = MsgHeader.size + 8
    for arg in routine.outputs {
      // The common item, one inline 32-bit word under a short descriptor, is read directly.
      if offset + 8 <= end, let value = oneWordValue(bytes.word(at: offset), bytes.word(at: offset + 4), as: arg.type) {
        reply.append(value)
        offset += 8
        continue
      }
      guard case .success(let d) = TypeDescriptor.parse(bytes, at: offset, end: end) else {
        return .failure(.typeError)
      }
      let data = offset + d.descriptorLength
      guard let value = value(in: bytes, d, at: data, as: arg.type, readMemory: readMemory) else {
        return .failure(.typeError)
      }
      reply.append(value)
      offset = data + d.bodyDataLength
    }
    guard offset == end else { return .failure(.typeError) }
    return .success(reply)
  }

  /// The value of an item whose short descriptor word is `descriptor` and whose one data
  /// word is `word`, read as `type`, when the descriptor is that of one inline 32-bit element
  /// (as `value(in:…)` would read it); nil otherwise, for the general reading.
  @inline(__always)
  static func oneWordValue(_ descriptor: UInt32, _ word: UInt32, as type: MigType) -> MigValue? {
    guard descriptor & 0xffff_ff00 == 32 << 8 | 1 << 16 | 1 << 28 else { return nil }
    let name = descriptor & 0xff
    switch type {
    case .int32, .boolean: return .int(Int32(bitPattern: word))
    case .portName: return name == MsgType.portName ? .name(word) : nil
    case .port, .polyPort:
      return MsgType.isPort(name) || name == MsgType.portName ? .port(word, disposition: name) : nil
    default: return nil
    }
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
