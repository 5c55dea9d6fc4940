import MachModel
import MigDefs

/// A message body read against a routine's declaration (a loaded .defs file): each item of
/// the request's `in`/`inout` arguments, or of the reply's RetCode and `out`/`inout`
/// arguments, named. Reading stops at the first item that does not match its declaration,
/// which MIG's server stubs answer with MIG_BAD_ARGUMENTS (a client's with MIG_TYPE_ERROR):
/// the items from there on stay unnamed, shown raw, never guessed.
public struct MigDecoded: Equatable, Sendable {
  public struct Named: Equatable, Sendable {
    public var name: String
    public var item: TraceItem
  }

  public let routine: MigRoutine
  public let isReply: Bool
  /// Every item of the body, in order (a reply's RetCode first).
  public let items: [TraceItem]
  /// Where the arguments start in `items` (after a reply's RetCode), and how many were read.
  let firstArgument: Int
  let argumentCount: Int
  /// The reply's RetCode (nil for a request).
  public let retCode: ReturnCode?
  /// Why reading stopped early (nil when the body matched its declaration).
  public let mismatch: String?

  /// The routine's arguments that were read, in order.
  public var arguments: [Named] {
    var named: [Named] = []
    forEachArgument { named.append(Named(name: $0, item: $1)) }
    return named
  }

  /// The items that follow the last matching one, unnamed.
  public var raw: [TraceItem] { Array(items.dropFirst(firstArgument + argumentCount)) }

  /// Calls `body` with each argument read, in order, without building a list.
  public func forEachArgument(_ body: (String, TraceItem) -> Void) {
    var seen = 0
    let parameters = routine.arguments
    for i in parameters.indices where seen < argumentCount {
      let d = parameters[i].direction
      guard isReply ? d.isInReplyBody : d.isInRequestBody else { continue }
      body(parameters[i].name, items[firstArgument + seen])
      seen += 1
    }
  }

  public subscript(_ name: String) -> TraceItem? { arguments.first { $0.name == name }?.item }
}

/// Encoding and decoding MIG messages by their declarations, on i386 (docs/trace.md,
/// "Loaded interfaces").
public enum MigCodec {
  /// The items of a message body (`bytes` a whole message) read against `routine`: its
  /// request, or with `reply` its reply. A reply whose RetCode is not KERN_SUCCESS carries
  /// nothing else, as MIG's server stubs send it.
  public static func decode(_ bytes: [UInt8], as routine: MigRoutine, reply: Bool) -> MigDecoded {
    var items: [TraceItem] = []
    if let view = MessageView(bytes), case .success(let all) = view.items() {
      items = all.map(TraceItem.init)
    }
    func result(_ first: Int, _ count: Int, _ code: ReturnCode?, _ mismatch: String?) -> MigDecoded {
      MigDecoded(
        routine: routine, isReply: reply, items: items, firstArgument: first, argumentCount: count, retCode: code,
        mismatch: mismatch)
    }
    var code: ReturnCode? = nil
    var next = 0
    if reply {
      guard let first = items.first, first.type == "int32", first.number == 1, case .ints(let v) = first.value else {
        return result(0, 0, nil, "a reply starts with its RetCode, an int32")
      }
      code = ReturnCode(truncatingIfNeeded: v.first ?? 0)
      next = 1
      if code != KernReturn.success {
        return result(1, 0, code, items.count > 1 ? "an error reply carries its RetCode alone" : nil)
      }
    }
    let start = next
    // By index: an argument is read in place, not copied with its type's annotations.
    let arguments = routine.arguments
    for i in arguments.indices {
      let direction = arguments[i].direction
      guard reply ? direction.isInReplyBody : direction.isInRequestBody else { continue }
      guard next < items.count else {
        return result(start, next - start, code, "'\(arguments[i].name)' is missing")
      }
      if let why = mismatch(items[next], arguments[i].type.layout) {
        return result(start, next - start, code, "'\(arguments[i].name)' \(why)")
      }
      next += 1
    }
    if next < items.count {
      let extra = items.count - next
      return result(start, next - start, code, "\(extra) item\(extra == 1 ? "" : "s") more than declared")
    }
    return result(start, next - start, code, nil)
  }

  /// Why `item` is not a value of `type` (nil when it is). Rights may be in either form: the
  /// disposition a sender wrote, or the right a receiver holds.
  static func mismatch(_ item: TraceItem, _ type: MigTypeInfo.Layout) -> String? {
    let name = item.msgtName
    let isPort = type.inName == IPCTypeName.polymorphic || IPCTypeName.isPort(type.inName)
    if isPort || IPCTypeName.isPort(name) {
      guard IPCTypeName.isPort(name) else { return "should be a right, not \(item.type)" }
      guard isPort else { return "should be \(typeWord(type.inName)), not a right" }
      if type.outName != IPCTypeName.polymorphic && IPCTypeName.carried(name) != type.outName
        && !(type.inName == name)
      {
        return "should carry \(TraceItem.rightWord(type.outName)), not \(TraceItem.rightWord(name))"
      }
    } else if name != type.inName {
      return "should be \(typeWord(type.inName)), not \(item.type)"
    }
    if Int(item.elementBits) != type.elementBits {
      return "should have \(type.elementBits)-bit elements, not \(item.elementBits)-bit"
    }
    let outOfLine = item.type == "ool"
    if outOfLine != type.isOutOfLine {
      return type.isOutOfLine ? "should be out of line" : "should be inline"
    }
    let count = item.number
    switch type.shape {
    case .single:
      if count != 1 { return "should be one value, not \(count)" }
    case .fixed(let n):
      if count != n { return "should have \(n) elements, not \(count)" }
    case .variable(let max?):
      if count > max { return "should have at most \(max) elements, not \(count)" }
    case .variable(nil):
      break
    }
    return nil
  }

  static func typeWord(_ type: MigTypeInfo) -> String { typeWord(type.inName) }

  static func typeWord(_ inName: UInt32) -> String {
    switch inName {
    case 0: return "a boolean"
    case 1, 2, 11: return "an integer"
    case 8, 9: return "bytes"
    case 12: return "a string"
    case 15: return "a port name"
    default:
      return inName == IPCTypeName.polymorphic || IPCTypeName.isPort(inName) ? "a right" : "type \(inName)"
    }
  }
}

/// One argument's value for `MigCodec.request`, in user form (names in the sender's space).
public enum MigInput: Equatable, Sendable {
  /// Integers (booleans too); 8-bit elements take them as bytes.
  case ints([Int64])
  case bytes([UInt8])
  /// A string, for c_string and MACH_MSG_TYPE_STRING types (or 8-bit arrays).
  case string(String)
  /// Bare names (MACH_MSG_TYPE_PORT_NAME).
  case names([PortName])
  /// Rights, with the disposition to send them with (nil: the type's own).
  case rights([PortName], disposition: UInt32?)
}

/// Why a request could not be built: the argument, and what is wrong with its value.
public struct MigEncodeError: Error, Equatable, Sendable {
  /// The argument's index among the request's body arguments, or nil for the whole request.
  public var argument: Int?
  public var message: String
}

extension MigCodec {
  struct Problem: Error {
    var message: String
    init(_ message: String) { self.message = message }
  }

  /// The request MIG's user stub for `routine` would send: the header's destination `target`
  /// (sent as the request port's type says, COPY_SEND for a `mach_port_t`), reply port `reply`
  /// (MAKE_SEND_ONCE; none for a simpleroutine), id, and one item per `in`/`inout` argument
  /// in order. Out-of-line data is handed to `placeOutOfLine`, which returns its address in
  /// the sender's memory (nil: no room).
  public static func request(
    _ routine: MigRoutine, target: PortName, reply: PortName, arguments: [MigInput],
    placeOutOfLine: ([UInt8]) -> UInt32?
  ) -> Result<[UInt8], MigEncodeError> {
    let declared = routine.arguments.filter(\.direction.isInRequestBody)
    guard declared.count == arguments.count else {
      return .failure(
        MigEncodeError(
          argument: nil,
          message: "\(routine.name) takes \(declared.count) argument\(declared.count == 1 ? "" : "s") "
            + "after the target, not \(arguments.count)"))
    }
    let targetType = routine.arguments.first { $0.direction == .requestPort }?.type
    var targetDisposition = targetType?.inName ?? MsgType.copySend
    if targetDisposition == IPCTypeName.polymorphic { targetDisposition = MsgType.copySend }
    let hasReply = routine.kind.hasReply && reply != MachPort.null
    var m = MessageBuilder(
      remote: target, remoteDisposition: targetDisposition, local: hasReply ? reply : MachPort.null,
      localDisposition: hasReply ? MsgType.makeSendOnce : 0, id: routine.id)
    for (index, (argument, value)) in zip(declared, arguments).enumerated() {
      switch item(argument, value, placeOutOfLine: placeOutOfLine) {
      case .success(let (descriptor, data)): m.append(descriptor, data: data)
      case .failure(let problem): return .failure(MigEncodeError(argument: index, message: problem.message))
      }
    }
    return .success(m.finish())
  }

  /// The items of `routine`'s reply after its RetCode: one per `out`/`inout` argument, in
  /// order, as MIG's server stub writes them (a right with its type's disposition, or the one
  /// given for a polymorphic type). Whether they make the message complex comes back too.
  public static func replyItems(
    _ routine: MigRoutine, arguments: [MigInput], placeOutOfLine: ([UInt8]) -> UInt32?
  ) -> Result<(items: [UInt8], complex: Bool), MigEncodeError> {
    let declared = routine.arguments.filter(\.direction.isInReplyBody)
    guard declared.count == arguments.count else {
      return .failure(
        MigEncodeError(
          argument: nil,
          message: "\(routine.name)'s reply takes \(declared.count) value\(declared.count == 1 ? "" : "s")"))
    }
    var m = MessageBuilder(remote: 0, remoteDisposition: 0, id: 0)
    for (index, (argument, value)) in zip(declared, arguments).enumerated() {
      switch item(argument, value, placeOutOfLine: placeOutOfLine) {
      case .success(let (descriptor, data)): m.append(descriptor, data: data)
      case .failure(let problem): return .failure(MigEncodeError(argument: index, message: problem.message))
      }
    }
    let bytes = m.finish()
    return .success((Array(bytes[MsgHeader.size...]), MessageView(bytes)?.isComplex ?? false))
  }

  /// One argument's descriptor and data (for out-of-line data, its 4-byte address).
  static func item(
    _ argument: MigParameter, _ value: MigInput, placeOutOfLine: ([UInt8]) -> UInt32?
  ) -> Result<(TypeDescriptor, [UInt8]), Problem> {
    let type = argument.type
    var name = type.inName
    var elements: [UInt64] = []
    switch value {
    case .rights(let names, let disposition):
      guard type.isPort else { return .failure(Problem("is \(typeWord(type)), not a right")) }
      if let d = disposition {
        guard IPCTypeName.isPort(d) else { return .failure(Problem("needs a disposition")) }
        if type.outName != IPCTypeName.polymorphic && IPCTypeName.carried(d) != type.outName {
          return .failure(Problem("carries \(TraceItem.rightWord(type.outName)), not \(TraceItem.rightWord(d))"))
        }
        name = d
      } else if type.isPolymorphic {
        return .failure(Problem("is polymorphic: give its disposition"))
      }
      elements = names.map(UInt64.init)
    case .names(let names):
      guard type.inName == MsgType.portName || type.isPort else {
        return .failure(Problem("is \(typeWord(type)), not a name"))
      }
      if type.isPort {  // a bare name where a right goes: the type's own disposition
        guard !type.isPolymorphic else { return .failure(Problem("is polymorphic: give its disposition")) }
      }
      elements = names.map(UInt64.init)
    case .ints(let ints):
      guard !type.isPort else { return .failure(Problem("is a right, not an integer")) }
      let bits = type.elementBits
      for v in ints {
        if bits < 64 {
          let low = bits >= 32 && type.inName != 9 && type.inName != 8 ? -(Int64(1) << (bits - 1)) : 0
          let high = (Int64(1) << bits) - 1
          guard v >= (bits < 32 ? -(Int64(1) << (bits - 1)) : low), v <= high else {
            return .failure(Problem("takes \(bits)-bit values; \(v) does not fit"))
          }
        }
        elements.append(UInt64(bitPattern: v))
      }
    case .bytes(let bytes):
      guard type.elementBits == 8 else { return .failure(Problem("is \(typeWord(type)), not bytes")) }
      elements = bytes.map(UInt64.init)
    case .string(let s):
      guard type.elementBits == 8 else { return .failure(Problem("is \(typeWord(type)), not a string")) }
      var bytes = Array(s.utf8)
      if type.isCString || type.inName == MsgType.string {
        if case .fixed(let n) = type.shape {
          guard bytes.count < n else {
            return .failure(Problem("holds at most \(n - 1) bytes and a NUL, not \(bytes.count)"))
          }
          bytes += [UInt8](repeating: 0, count: n - bytes.count)
        } else {
          bytes.append(0)
        }
      }
      elements = bytes.map(UInt64.init)
    }
    switch type.shape {
    case .single:
      guard elements.count == 1 else { return .failure(Problem("takes one value, not \(elements.count)")) }
    case .fixed(let n):
      guard elements.count == n else { return .failure(Problem("takes \(n) values, not \(elements.count)")) }
    case .variable(let max?):
      guard elements.count <= max else {
        return .failure(Problem("takes at most \(max) values, not \(elements.count)"))
      }
    case .variable(nil):
      break
    }
    var data: [UInt8] = []
    let bytesPerElement = type.elementBits / 8
    guard bytesPerElement >= 1, type.elementBits % 8 == 0 else {
      return .failure(Problem("has \(type.elementBits)-bit elements, which the shell cannot write"))
    }
    data.reserveCapacity(elements.count * bytesPerElement)
    for e in elements {
      for i in 0..<bytesPerElement { data.append(UInt8(truncatingIfNeeded: e >> (8 * UInt64(i)))) }
    }
    let size = UInt32(type.elementBits)
    let count = UInt32(elements.count)
    if type.isOutOfLine {
      var address: UInt32 = 0
      if !data.isEmpty {
        guard let placed = placeOutOfLine(data) else { return .failure(Problem("does not fit in the sender's memory")) }
        address = placed
      }
      let descriptor = TypeDescriptor(
        name: name, size: size, number: count, isInline: false, longForm: true,
        deallocate: argument.flags.contains("dealloc"))
      var word: [UInt8] = []
      word.appendWord(address)
      return .success((descriptor, word))
    }
    var longForm: Bool? = nil
    if argument.flags.contains("islong") { longForm = true }
    if argument.flags.contains("isnotlong") { longForm = false }
    if case .variable(let max) = type.shape, (max ?? Int.max) > 4095 { longForm = longForm ?? true }
    return .success((TypeDescriptor(name: name, size: size, number: count, longForm: longForm), data))
  }
}
