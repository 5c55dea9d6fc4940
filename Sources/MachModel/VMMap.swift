/// A task's address space, as far as IPC needs it: which page-aligned regions exist, so that
/// out-of-line memory has real addresses in the sender's and the receiver's maps. Memory has
/// no contents in the model.
public struct VMMap: Sendable, Equatable {
  public static let pageSize: UInt32 = 4096
  /// The lowest address `allocate(anywhere:)` hands out (details.md §11).
  public static let lowestAddress: UInt32 = 0x10000

  /// Allocated regions, sorted by address, never overlapping.
  public private(set) var regions: [(address: UInt32, size: UInt32)] = []

  public init() {}

  public static func == (a: VMMap, b: VMMap) -> Bool {
    a.regions.elementsEqual(b.regions) { $0.address == $1.address && $0.size == $1.size }
  }

  static func roundUp(_ size: UInt32) -> UInt64 {
    (UInt64(size) + UInt64(pageSize) - 1) / UInt64(pageSize) * UInt64(pageSize)
  }

  /// vm_allocate with `anywhere`: the lowest free page-aligned range from 0x10000.
  /// Returns nil when the 32-bit space has no room (KERN_NO_SPACE).
  public mutating func allocate(size: UInt32) -> UInt32? {
    let length = Self.roundUp(max(size, 1))
    var candidate = UInt64(Self.lowestAddress)
    for r in regions {
      let rs = UInt64(r.address), re = rs + UInt64(r.size)
      if re <= candidate { continue }
      if candidate + length <= rs { break }
      candidate = re
    }
    guard candidate + length <= 0x1_0000_0000 else { return nil }
    let region = (address: UInt32(candidate), size: UInt32(length))
    regions.append(region)
    regions.sort { $0.address < $1.address }
    return region.address
  }

  /// vm_allocate at a fixed address; false when any page of the range is taken.
  public mutating func allocate(at address: UInt32, size: UInt32) -> Bool {
    guard address % Self.pageSize == 0 else { return false }
    let end = UInt64(address) + Self.roundUp(max(size, 1))
    guard end <= 0x1_0000_0000 else { return false }
    for r in regions where UInt64(r.address) < end && UInt64(r.address) + UInt64(r.size) > UInt64(address) {
      return false
    }
    regions.append((address, UInt32(end - UInt64(address))))
    regions.sort { $0.address < $1.address }
    return true
  }

  /// vm_deallocate: removes every page of [address, address+size) that is allocated.
  public mutating func deallocate(address: UInt32, size: UInt32) {
    guard size > 0 else { return }
    let start = UInt64(address) / UInt64(Self.pageSize) * UInt64(Self.pageSize)
    let end = UInt64(address) + Self.roundUp(size)
    var kept: [(address: UInt32, size: UInt32)] = []
    for r in regions {
      let rs = UInt64(r.address), re = UInt64(r.address) + UInt64(r.size)
      if re <= start || rs >= end { kept.append(r); continue }
      if rs < start { kept.append((r.address, UInt32(start - rs))) }
      if re > end { kept.append((UInt32(end), UInt32(re - end))) }
    }
    regions = kept
  }

  /// Whether every byte of [address, address+size) lies in allocated regions.
  public func contains(address: UInt32, size: UInt32) -> Bool {
    if size == 0 { return true }
    var cursor = UInt64(address)
    let end = UInt64(address) + UInt64(size)
    for r in regions {
      let rs = UInt64(r.address), re = UInt64(r.address) + UInt64(r.size)
      if re <= cursor { continue }
      if rs > cursor { return false }
      cursor = re
      if cursor >= end { return true }
    }
    return cursor >= end
  }
}
