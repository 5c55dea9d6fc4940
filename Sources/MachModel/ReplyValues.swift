// A kernel RPC reply's out-arguments, as the kernel-object server writes them
// (`Kernel.sendKernelReply`).

/// An out-argument of a reply, in kernel form.
enum ReplyValue {
  case int(Int32)
  case name(PortName)
  /// A right moved into the reply (-1 sends MACH_PORT_NULL).
  case right(ObjectIndex, carriedType: UInt32)
  case ints([Int32])
  case outOfLineNames([PortName])
  case outOfLineInts([Int32])
  case outOfLineRights([ObjectIndex])
}

extension ReplyValue {
  /// The bytes its item takes in the reply body: a descriptor and its data, or a long-form
  /// descriptor and the address of the out-of-line copy.
  var bodyLength: Int {
    switch self {
    case .int, .name, .right: return 8
    case .ints(let v): return 4 + 4 * v.count
    case .outOfLineNames, .outOfLineInts, .outOfLineRights: return 16
    }
  }

  /// Whether it makes the reply complex (a right, or out-of-line memory).
  var isComplex: Bool {
    switch self {
    case .int, .name, .ints: return false
    case .right, .outOfLineNames, .outOfLineInts, .outOfLineRights: return true
    }
  }

  /// The copy object an out-of-line array travels in (rights as kernel addresses).
  var outOfLineCopy: OutOfLineCopy? {
    var words: [UInt32]
    switch self {
    case .outOfLineNames(let names): words = names
    case .outOfLineInts(let ints): words = ints.map { UInt32(bitPattern: $0) }
    case .outOfLineRights(let rights): words = rights.map { $0 >= 0 ? Kernel.address(of: $0) : 0 }
    default: return nil
    }
    var bytes: [UInt8] = []
    bytes.reserveCapacity(4 * words.count)
    for w in words { bytes.appendWord(w) }
    return OutOfLineCopy(size: UInt32(4 * words.count), bytes: bytes)
  }

  /// Writes its item: the descriptor, then the data (an out-of-line array's address is filled
  /// in at copy-out).
  func write(to w: inout WordWriter) {
    switch self {
    case .int(let v):
      w.put(0x1001_2002)
      w.put(UInt32(bitPattern: v))
    case .name(let n):
      w.put(0x1001_200f)
      w.put(n)
    case .right(let o, let carried):
      w.put(0x1001_2000 | carried)
      w.put(o >= 0 ? Kernel.address(of: o) : MachPort.null)
    case .ints(let v):
      w.put(0x1000_2002 | UInt32(v.count) << 16)
      for x in v { w.put(UInt32(bitPattern: x)) }
    case .outOfLineNames(let v): Self.writeOutOfLine(&w, name: MsgType.portName, count: v.count)
    case .outOfLineInts(let v): Self.writeOutOfLine(&w, name: MsgType.integer32, count: v.count)
    case .outOfLineRights(let v): Self.writeOutOfLine(&w, name: MsgType.portSend, count: v.count)
    }
  }

  /// A long-form descriptor, not inline, of `count` 32-bit `name` elements, then the address.
  private static func writeOutOfLine(_ w: inout WordWriter, name: UInt32, count: Int) {
    w.put(0x2000_0000)
    w.put(name | 32 << 16)
    w.put(UInt32(count))
    w.put(0)
  }
}

/// A reply's out-arguments, in order. Nearly every routine has at most one, which is held
/// inline, so that serving a request allocates nothing for its outputs.
enum ReplyValues: Sequence {
  case none
  case one(ReplyValue)
  case many([ReplyValue])

  struct Iterator: IteratorProtocol {
    let values: ReplyValues
    var index = 0

    mutating func next() -> ReplyValue? {
      defer { index += 1 }
      switch values {
      case .none: return nil
      case .one(let v): return index == 0 ? v : nil
      case .many(let vs): return index < vs.count ? vs[index] : nil
      }
    }
  }

  func makeIterator() -> Iterator { Iterator(values: self) }
}
