/// Index of a port or port set in the kernel's object table.
public typealias ObjectIndex = Int32

/// One name in a space (`struct ipc_entry`): the rights it holds (MACH_PORT_TYPE_* bits), the
/// user references (16 bits), and the object it names. Dead names hold no object.
public struct Entry: Equatable, Sendable {
  /// `MACH_PORT_TYPE_*` bits of the rights held under this name (0 when the name is free).
  public var type: UInt32
  /// User references: send rights and dead names count them; send-once is always 1; a bare
  /// receive right has 0.
  public var urefs: UInt32
  /// The port or port set named, or -1 for a dead name.
  public var object: ObjectIndex
  /// A dead-name request is registered for this name (`ie_request != 0`).
  public var hasDeadNameRequest: Bool
  /// A msg-accepted request is pending for this name (`IE_BITS_MAREQUEST`).
  public var hasMsgAcceptedRequest: Bool

  /// An unallocated slot. An allocated entry may hold no right for a moment (type 0) while an
  /// operation empties it; it stays allocated until the operation frees its name.
  public static let free = Entry(
    type: 0, urefs: 0, object: Int32.min, hasDeadNameRequest: false, hasMsgAcceptedRequest: false)

  public var isFree: Bool { object == Int32.min }
  public func has(_ bits: UInt32) -> Bool { type & bits != 0 }
}

/// A task's IPC space (`struct ipc_space`): name → entry, with names chosen as GNU Mach
/// chooses them (docs/gnumach.md §3, "How names are chosen"): a recently freed name first,
/// from a LIFO list of at most 64; otherwise the lowest unused name; 0 is reserved.
///
/// Names below `denseLimit` live in an array indexed by name (the common case, and the fast
/// path of every mach_msg); larger names, which only `mach_port_allocate_name` and
/// `insert_right` can create, live in a dictionary.
public struct IPCSpace: Sendable {
  static let denseLimit: PortName = 1 << 16

  private var dense: ContiguousArray<Entry> = [Entry.free]  // name 0 is reserved
  private var sparse: [PortName: Entry] = [:]
  /// Recently freed names, most recent last; at most MachPort.freeListLimit.
  private(set) var freeList: [PortName] = []
  /// No free name below this one exists outside the free list.
  private var lowestUnusedHint: PortName = 1
  /// Reverse map for the entries that hold send or receive rights: the `ipc_hash` that lets
  /// copy-out reuse a name for a port the space already knows.
  private var nameOfPort = PortNameMap()
  public private(set) var count = 0
  public var isActive = true

  public init() {}

  /// The entry under `name`, or nil when the name is free (or null/dead).
  @inline(__always)
  public func lookup(_ name: PortName) -> Entry? {
    if name < PortName(dense.count) {
      let e = dense[Int(name)]
      return e.isFree || name == 0 ? nil : e
    }
    return sparse[name]
  }

  /// Replaces an existing entry (the name must be in use and stay in use).
  @inline(__always)
  mutating func update(_ name: PortName, _ entry: Entry) {
    if name < PortName(dense.count) { dense[Int(name)] = entry } else { sparse[name] = entry }
  }

  /// The name under which this space holds send or receive rights for `port`.
  public func name(of port: ObjectIndex) -> PortName? { nameOfPort[port] }

  mutating func setName(_ name: PortName?, of port: ObjectIndex) { nameOfPort[port] = name }

  /// Allocates a name by GNU Mach's rule and installs `entry` under it.
  mutating func allocate(_ entry: Entry) -> PortName {
    let name: PortName
    if let reused = freeList.popLast() {
      name = reused
    } else {
      name = lowestUnused()
    }
    install(name, entry)
    return name
  }

  /// Installs `entry` under a caller-chosen name (`ipc_entry_alloc_name`). The name must be
  /// free and valid.
  mutating func install(_ name: PortName, _ entry: Entry) {
    precondition(MachPort.isValid(name) && lookup(name) == nil)
    if let i = freeList.lastIndex(of: name) { freeList.remove(at: i) }
    if name < Self.denseLimit {
      while PortName(dense.count) <= name { dense.append(.free) }
      dense[Int(name)] = entry
    } else {
      sparse[name] = entry
    }
    if name == lowestUnusedHint { lowestUnusedHint += 1 }
    count += 1
  }

  /// Frees `name` (`ipc_entry_dealloc`): onto the free list while it has room, else back to
  /// the pool of unused names.
  mutating func free(_ name: PortName) {
    guard let e = lookup(name) else { return }  // never allocated, or freed already
    if e.object >= 0, nameOfPort[e.object] == name { nameOfPort[e.object] = nil }
    if name < PortName(dense.count) { dense[Int(name)] = .free } else { sparse[name] = nil }
    count -= 1
    if freeList.count < MachPort.freeListLimit {
      freeList.append(name)
    } else if name < lowestUnusedHint {
      lowestUnusedHint = name
    }
  }

  /// The lowest name not in use; called only when the free list is empty.
  private mutating func lowestUnused() -> PortName {
    var n = lowestUnusedHint
    while true {
      if n < Self.denseLimit {
        if n >= PortName(dense.count) || dense[Int(n)].isFree { break }
      } else if sparse[n] == nil {
        break
      }
      n += 1
    }
    lowestUnusedHint = n
    return n
  }

  /// The lowest name not in use: the least of the free list and the first unused name from
  /// `lowestUnusedHint` (below which every free name is on the free list). What a caller that
  /// chooses its own names (`mach_port_insert_right`) takes for "the lowest free".
  public func lowestFreeName() -> PortName {
    var n = max(lowestUnusedHint, 1)
    while lookup(n) != nil { n += 1 }
    return min(n, freeList.min() ?? n)
  }

  /// Every name in use, in ascending order (`mach_port_names`).
  public var names: [PortName] {
    var result: [PortName] = []
    for i in 1..<dense.count where !dense[i].isFree { result.append(PortName(i)) }
    result.append(contentsOf: sparse.keys.sorted())
    return result
  }
}
