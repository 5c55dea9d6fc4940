/// A registered dead-name request: when the port dies, `name` in `task`'s space gets a
/// dead-name notification through the send-once right to `notify`.
struct DeadNameRequest: Equatable, Sendable {
  var task: TaskIndex
  var name: PortName
  var notify: ObjectIndex
}

/// A port's dead-name requests, kept in slots as GNU Mach keeps them (`ip_dnrequests`,
/// ipc/ipc_port.c), because the slot order is the order in which a dying port's
/// notifications go out:
///
/// - `ipc_port_dnrequest` takes the head of a LIFO free list; `ipc_port_dncancel` puts the
///   slot back at the head, so replacing a request reuses its slot.
/// - When no slot is free, `ipc_port_dngrow` moves to the next size of `ipc_table_dnrequests`
///   (ipc/ipc_table.c) and pushes the new slots lowest first, so the highest is used first.
/// - `ipc_port_destroy` notifies in slot order, lowest first.
///
/// With requests A, B, C on a fresh port the slots are 1, 3, 2, and the notifications go out
/// A, C, B.
struct DeadNameTable: Sendable {
  /// Slot `i` is GNU Mach's index `i + 1` (index 0 is the table's header there).
  private var slots: [DeadNameRequest?] = []
  /// Free slots; the last element is the list's head.
  private var free: [Int32] = []
  /// The position in `tableSizes` of the current table, or -1 before the first request.
  private var size = -1

  /// Table sizes in elements, header included: `ipc_table_fill(ipc_table_dnrequests, 63, 2,
  /// sizeof(struct ipc_port_request))` with i386's 8-byte element and 4096-byte page: powers
  /// of two up to a page, then steps of one page, two, four and eight pages, fifteen of each.
  /// The 64th size is zero: the table cannot grow past the last one.
  static let tableSizes: [Int] = {
    let elementSize = 8
    let pageSize = 4096
    let count = 63
    var sizes: [Int] = []
    var bytes = 1
    while sizes.count < count && bytes < pageSize {
      if bytes >= 2 * elementSize { sizes.append(bytes / elementSize) }
      bytes <<= 1
    }
    var step = pageSize
    while sizes.count < count {
      for _ in 0..<15 where sizes.count < count {
        sizes.append(bytes / elementSize)
        bytes += step
      }
      if step < pageSize << 3 { step <<= 1 }
    }
    return sizes
  }()

  /// The most requests one port can hold (the last table's size, less its header).
  static var capacity: Int { tableSizes[tableSizes.count - 1] - 1 }

  /// True when a new request would need a table larger than the largest
  /// (`ipc_port_dngrow` answers KERN_RESOURCE_SHORTAGE).
  var isFull: Bool { free.isEmpty && size == Self.tableSizes.count - 1 }

  /// `ipc_port_dnrequest`, growing first when no slot is free. False when the table is full.
  mutating func insert(_ request: DeadNameRequest) -> Bool {
    if free.isEmpty {
      guard size + 1 < Self.tableSizes.count else { return false }
      size += 1
      let old = slots.count
      let new = Self.tableSizes[size] - 1
      slots.append(contentsOf: repeatElement(nil, count: new - old))
      free.append(contentsOf: (old..<new).map(Int32.init))
    }
    let slot = Int(free.removeLast())
    slots[slot] = request
    return true
  }

  /// `ipc_port_dncancel`: removes the request of `name` in `task`'s space and returns its
  /// send-once right, or -1 when there is none.
  mutating func remove(task: TaskIndex, name: PortName) -> ObjectIndex {
    guard let slot = slots.firstIndex(where: { $0?.task == task && $0?.name == name }) else { return -1 }
    let notify = slots[slot]!.notify
    slots[slot] = nil
    free.append(Int32(slot))
    return notify
  }

  /// `mach_port_rename`: the request keeps its slot under the new name.
  mutating func rename(task: TaskIndex, from old: PortName, to new: PortName) {
    guard let slot = slots.firstIndex(where: { $0?.task == task && $0?.name == old }) else { return }
    slots[slot]!.name = new
  }

  /// Every request in slot order, the order `ipc_port_destroy` notifies them.
  var requests: [DeadNameRequest] { slots.compactMap { $0 } }

  /// Empties the table (the port died), returning its requests in slot order.
  mutating func removeAll() -> [DeadNameRequest] {
    let all = requests
    self = DeadNameTable()
    return all
  }
}
