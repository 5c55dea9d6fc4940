import MachModel
import MachTrace
import MigDefs

// Values of the arguments of routines loaded from .defs files (docs/language.md,
// "Interfaces"): a script's values as MIG would send them, and received items as values.

extension Session {
  /// `value`, given for `parameter` of a loaded routine whose request goes from `task`, as
  /// `MigCodec.request` takes it: ints for integers (a list for an array), a string for a
  /// string or bytes, port refs in `task`'s space (nil for MACH_PORT_NULL) for rights and
  /// names. A polymorphic right goes copy_send, as `rpc` sends a built-in routine's.
  func migInput(
    _ value: Value, for parameter: MigParameter, from task: TaskIndex, at: SourceLocation
  ) throws
    -> MigInput
  {
    let type = parameter.type
    let space = "\(kernel.tasks[Int(task)].name)'s space"
    func name(_ v: Value) throws -> PortName {
      switch v {
      case .port(let t, _, let n):
        guard t == task else { throw ScriptError("\(parameter.name) must be a name in \(space)", at: at) }
        return n
      case .nil: return MachPort.null
      default:
        guard let i = v.integer, let n = UInt32(exactly: i) else {
          throw ScriptError("\(parameter.name) is a port, not \(v.kindWithArticle)", at: at)
        }
        return n
      }
    }
    let elements: [Value]
    if case .list(let items) = value { elements = items } else { elements = [value] }
    if type.isPort {
      let names = try elements.map(name)
      return .rights(
        names, disposition: type.isPolymorphic ? defaultDisposition(type, names.first ?? 0, in: task) : nil)
    }
    if type.inName == MsgType.portName { return .names(try elements.map(name)) }
    if case .string(let s) = value {
      guard type.elementBits == 8 else {
        throw ScriptError("\(parameter.name) is \(describe(type)), not a string", at: at)
      }
      // `RawBytes` lets a script string hold any byte (`"\xff"`).
      if s.unicodeScalars.contains(where: { RawBytes.byte($0) != nil }) {
        return .bytes(s.unicodeScalars.flatMap { c in RawBytes.byte(c).map { [$0] } ?? Array(String(c).utf8) })
      }
      return .string(s)
    }
    let ints = try elements.map { v -> Int64 in
      if case .bool(let b) = v { return b ? 1 : 0 }
      guard let i = v.integer else {
        throw ScriptError("\(parameter.name) is \(describe(type)), not \(v.kindWithArticle)", at: at)
      }
      return i
    }
    return .ints(ints)
  }

  /// The disposition a right of a type MIG leaves to the sender goes with, by what `task`
  /// holds under `name`: a send-once right moves and a receive right makes one (send_once);
  /// a send right is copied and a receive right makes one (send); a receive right moves.
  func defaultDisposition(_ type: MigTypeInfo, _ name: PortName, in task: TaskIndex) -> UInt32 {
    let held = kernel.tasks[Int(task)].space.lookup(name)?.type ?? 0
    switch type.outName {
    case MsgType.portSendOnce:
      return held & PortType.sendOnce != 0 ? MsgType.moveSendOnce : MsgType.makeSendOnce
    case MsgType.portReceive:
      return MsgType.moveReceive
    default:
      if held & PortType.send != 0 || held & PortType.receive == 0 { return MsgType.copySend }
      return MsgType.makeSend
    }
  }

  /// Writes `data` into fresh memory of `task`, where a MIG stub sends out-of-line data from
  /// (the region stays the task's); its address, or nil when the task has no room.
  func placeOutOfLine(_ data: [UInt8], in task: TaskIndex) -> UInt32? {
    let (code, address) = mutate { k in k.vmAllocate(task, size: UInt32(data.count)) }
    guard code == KernReturn.success,
      mutate(carrying: data.count, { k in k.writeMemory(task, data, at: address) }) == KernReturn.success
    else {
      return nil
    }
    return address
  }

  /// A type in words, for errors: "an int", "a string of at most 128 bytes", "a list of ints".
  func describe(_ type: MigTypeInfo) -> String {
    let element =
      type.isPort ? "port" : type.inName == MsgType.portName ? "port name" : type.elementBits == 8 ? "byte" : "int"
    if type.isCString || type.inName == MsgType.string { return "a string" }
    switch type.shape {
    case .single: return element == "int" ? "an int" : "a \(element)"
    case .fixed(let n): return "a list of \(n) \(element)s"
    case .variable(let max?): return "a list of at most \(max) \(element)s"
    case .variable(nil): return "a list of \(element)s"
    }
  }

  /// A received item of a loaded routine's `parameter`, as a value: an int or a list of
  /// ints, a string, port refs in `task`'s space; out-of-line data is read from `task`'s
  /// memory, where the kernel put it.
  func typedValue(_ item: TraceItem, for parameter: MigParameter, in task: TaskIndex) -> Value {
    let type = parameter.type
    func ref(_ n: UInt32) -> Value { MachPort.isValid(n) ? portValue(task, n) : .nil }
    switch item.value {
    case .ints(let v):
      if type.inName == MsgType.portName {
        let refs = v.map { ref(UInt32(truncatingIfNeeded: $0)) }
        return type.shape == .single ? refs.first ?? .nil : .list(refs)
      }
      if !type.fieldNames.isEmpty {
        return .fields(zip(type.fieldNames, v).map { ($0.0, Value.int($0.1)) })
      }
      if type.inName == 0 && type.elementBits == 32 {  // boolean_t: MACH_MSG_TYPE_BOOLEAN
        return type.shape == .single ? .bool((v.first ?? 0) != 0) : .list(v.map { .bool($0 != 0) })
      }
      return type.shape == .single ? .int(v.first ?? 0) : .list(v.map(Value.int))
    case .string(let s):
      return .string(s)
    case .ports(let names, _):
      return type.shape == .single ? ref(names.first ?? 0) : .list(names.map(ref))
    case .ool(let address, let size):
      var bytes = kernel.tasks[Int(task)].map.read(address: address, size: size)
      bytes += repeatElement(0, count: max(0, Int(size) - bytes.count))  // trailing zeros are not stored
      let width = max(1, type.elementBits / 8)
      var elements: [UInt64] = []
      var i = 0
      while i + width <= bytes.count {
        var e: UInt64 = 0
        for j in 0..<width { e |= UInt64(bytes[i + j]) << (8 * UInt64(j)) }
        elements.append(e)
        i += width
      }
      if type.isPort || type.inName == MsgType.portName {
        return .list(elements.map { ref(UInt32(truncatingIfNeeded: $0)) })
      }
      if type.isCString || type.inName == MsgType.string {
        return .string(String(decoding: elements.prefix { $0 != 0 }.map { UInt8($0) }, as: UTF8.self))
      }
      let signed = elements.map { e -> Int64 in
        width >= 8 ? Int64(bitPattern: e) : width == 4 ? Int64(Int32(truncatingIfNeeded: e)) : Int64(e)
      }
      return .list(signed.map(Value.int))
    }
  }
}
