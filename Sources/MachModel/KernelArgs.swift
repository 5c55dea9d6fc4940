// A kernel RPC request's in-arguments, as the kernel-object server reads them
// (`Kernel.kernelArguments`).

/// An argument of a request, in kernel form.
enum KernelArg {
  case int(Int32)
  case name(PortName)
  /// A right the request carried (-1 for MACH_PORT_NULL or MACH_PORT_DEAD).
  case right(ObjectIndex, carriedType: UInt32)
  case ints([Int32])
  /// An out-of-line array of rights (-1 for MACH_PORT_NULL or MACH_PORT_DEAD).
  case rights([ObjectIndex])

  var int: Int32 { if case .int(let v) = self { return v } else { return 0 } }
  var name: PortName { if case .name(let n) = self { return n } else { return 0 } }
  var uint: UInt32 { UInt32(bitPattern: int) }
}

/// A request's in-arguments, in order, held inline: no served routine takes more than
/// `capacity` (a test holds the routine table to it), so serving a request allocates nothing
/// for its arguments. A one-word argument is a plain slot, so the list is copied and dropped
/// without any reference counting; the rare array argument lives in `arrays`.
struct KernelArgs: RandomAccessCollection {
  static let capacity = 4

  /// One argument: its case, and its words (an array argument's index in `arrays`).
  private struct Slot {
    var kind: UInt8 = Slot.int
    var word = 0 as UInt32
    var carriedType = 0 as UInt32
    static let int: UInt8 = 0, name: UInt8 = 1, right: UInt8 = 2, ints: UInt8 = 3, rights: UInt8 = 4
  }
  private var s0 = Slot(), s1 = Slot(), s2 = Slot(), s3 = Slot()
  private var arrays: [[Int32]] = []
  private(set) var endIndex = 0

  var startIndex: Int { 0 }

  subscript(i: Int) -> KernelArg {
    precondition(i >= 0 && i < endIndex, "argument index out of range")
    let s: Slot
    switch i {
    case 0: s = s0
    case 1: s = s1
    case 2: s = s2
    default: s = s3
    }
    switch s.kind {
    case Slot.int: return .int(Int32(bitPattern: s.word))
    case Slot.name: return .name(s.word)
    case Slot.right: return .right(ObjectIndex(bitPattern: s.word), carriedType: s.carriedType)
    case Slot.ints: return .ints(arrays[Int(s.word)])
    default: return .rights(arrays[Int(s.word)])
    }
  }

  /// Appends `arg`; there must be room (callers check `capacity` first).
  mutating func append(_ arg: KernelArg) {
    var s = Slot()
    switch arg {
    case .int(let v): s.word = UInt32(bitPattern: v)
    case .name(let n): (s.kind, s.word) = (Slot.name, n)
    case .right(let o, let carried): (s.kind, s.word, s.carriedType) = (Slot.right, UInt32(bitPattern: o), carried)
    case .ints(let v): (s.kind, s.word) = (Slot.ints, UInt32(arrays.count)); arrays.append(v)
    case .rights(let v): (s.kind, s.word) = (Slot.rights, UInt32(arrays.count)); arrays.append(v)
    }
    switch endIndex {
    case 0: s0 = s
    case 1: s1 = s
    case 2: s2 = s
    case 3: s3 = s
    default: preconditionFailure("more than \(Self.capacity) kernel arguments")
    }
    endIndex += 1
  }
}
