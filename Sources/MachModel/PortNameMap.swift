/// A space's reverse map, port → the name it holds send or receive rights under (GNU Mach's
/// `ipc_reverse` lookup, `ipc_hash_lookup`), which copy-out consults for every right it
/// moves in.
///
/// An open-addressing table with linear probing over one array of slots, Fibonacci hashing
/// of the object index, and backward-shift deletion (no tombstones): a lookup, insert or
/// removal touches one or two cache lines and hashes with one multiply, where a `Dictionary`
/// runs SipHash. It is a plain value, copied on write like the rest of the kernel.
struct PortNameMap: Sendable {
  private struct Slot: Sendable {
    var port: ObjectIndex  // `empty` when unused
    var name: PortName
  }
  private static let empty = ObjectIndex.min
  private static let minimumCapacity = 16

  /// A power of two (or empty), never more than 3/4 full.
  private var slots: [Slot] = []
  private(set) var count = 0

  init() {}

  /// The home slot of `port` in a table of `capacity` slots.
  @inline(__always)
  private static func home(_ port: ObjectIndex, capacity: Int) -> Int {
    let hashed = UInt32(bitPattern: port) &* 0x9E37_79B1  // 2^32 / golden ratio
    return Int(hashed >> UInt32(32 - capacity.trailingZeroBitCount))
  }

  /// The slot holding `port`, or the empty slot where it would go.
  @inline(__always)
  private func find(_ port: ObjectIndex) -> (index: Int, found: Bool) {
    let mask = slots.count - 1
    var i = Self.home(port, capacity: slots.count)
    while true {
      let p = slots[i].port
      if p == port { return (i, true) }
      if p == Self.empty { return (i, false) }
      i = (i + 1) & mask
    }
  }

  subscript(port: ObjectIndex) -> PortName? {
    get {
      guard count > 0 else { return nil }
      let (i, found) = find(port)
      return found ? slots[i].name : nil
    }
    set {
      if let name = newValue { insert(port, name) } else { remove(port) }
    }
  }

  private mutating func insert(_ port: ObjectIndex, _ name: PortName) {
    precondition(port != Self.empty, "not a port")
    if 4 * (count + 1) > 3 * slots.count { grow() }
    let (i, found) = find(port)
    slots[i] = Slot(port: port, name: name)
    if !found { count += 1 }
  }

  private mutating func remove(_ port: ObjectIndex) {
    guard count > 0 else { return }
    var (hole, found) = find(port)
    guard found else { return }
    // Backward shift: later slots of the same run move into the hole when their home does not
    // lie cyclically after it, so that every lookup still finds them before an empty slot.
    let mask = slots.count - 1
    var i = hole
    while true {
      i = (i + 1) & mask
      let p = slots[i].port
      if p == Self.empty { break }
      let h = Self.home(p, capacity: slots.count)
      if (i - h) & mask >= (i - hole) & mask {
        slots[hole] = slots[i]
        hole = i
      }
    }
    slots[hole].port = Self.empty
    count -= 1
  }

  private mutating func grow() {
    let old = slots
    slots = [Slot](
      repeating: Slot(port: Self.empty, name: 0), count: Swift.max(Self.minimumCapacity, 2 * old.count))
    for s in old where s.port != Self.empty {
      let (i, _) = find(s.port)
      slots[i] = s
    }
  }
}
