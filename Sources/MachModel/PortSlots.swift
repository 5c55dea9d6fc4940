/// A task's or thread's special-port slots, stored inline (no heap array on the message
/// path, which reads the trace slot for every message): send rights the kernel holds, by slot
/// number 0...5, -1 for null.
public struct PortSlots: Sendable, Equatable, Sequence {
  private var s0: ObjectIndex = -1, s1: ObjectIndex = -1, s2: ObjectIndex = -1
  private var s3: ObjectIndex = -1, s4: ObjectIndex = -1, s5: ObjectIndex = -1

  public init() {}

  public static var count: Int { 6 }
  public var indices: Range<Int> { 0..<6 }

  public subscript(_ slot: Int) -> ObjectIndex {
    @inline(__always) get {
      switch slot {
      case 0: return s0
      case 1: return s1
      case 2: return s2
      case 3: return s3
      case 4: return s4
      default: return s5
      }
    }
    @inline(__always) set {
      switch slot {
      case 0: s0 = newValue
      case 1: s1 = newValue
      case 2: s2 = newValue
      case 3: s3 = newValue
      case 4: s4 = newValue
      default: s5 = newValue
      }
    }
  }

  public func makeIterator() -> IndexingIterator<[ObjectIndex]> { [s0, s1, s2, s3, s4, s5].makeIterator() }
}
