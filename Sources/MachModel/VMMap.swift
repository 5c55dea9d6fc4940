/// A task's address space, as far as IPC needs it: which page-aligned regions exist, so that
/// out-of-line memory has real addresses in the sender's and the receiver's maps, and what
/// bytes arrived in them out of line. Memory is zero-filled: a region keeps only the bytes
/// written into it by a message (`contents`, shorter than the region when the rest is zero).
public struct VMMap: Sendable, Equatable {
  public static let pageSize: UInt32 = 4096
  /// The lowest address `allocate(size:)` hands out (docs/shell.md §11).
  public static let lowestAddress: UInt32 = 0x10000

  public struct Region: Sendable, Equatable {
    public var address: UInt32
    public var size: UInt32
    /// The first bytes of the region; the rest reads as zeros.
    public var contents: [UInt8] = []
    var end: UInt64 { UInt64(address) + UInt64(size) }
  }

  /// Allocated regions, sorted by address, never overlapping.
  public private(set) var regions: [Region] = []

  public init() {}

  static func roundUp(_ size: UInt32) -> UInt64 {
    (UInt64(size) + UInt64(pageSize) - 1) / UInt64(pageSize) * UInt64(pageSize)
  }

  /// vm_allocate with `anywhere`: the lowest free page-aligned range from 0x10000, holding
  /// `contents` at its start. Returns nil when the 32-bit space has no room (KERN_NO_SPACE).
  public mutating func allocate(size: UInt32, contents: [UInt8] = []) -> UInt32? {
    let length = Self.roundUp(max(size, 1))
    var candidate = UInt64(Self.lowestAddress)
    for r in regions {
      if r.end <= candidate { continue }
      if candidate + length <= UInt64(r.address) { break }
      candidate = r.end
    }
    guard candidate + length <= 0x1_0000_0000 else { return nil }
    insert(Region(address: UInt32(candidate), size: UInt32(length), contents: Self.trimmed(contents)))
    return UInt32(candidate)
  }

  /// vm_allocate at a fixed address; false when any page of the range is taken.
  public mutating func allocate(at address: UInt32, size: UInt32) -> Bool {
    guard address % Self.pageSize == 0 else { return false }
    let end = UInt64(address) + Self.roundUp(max(size, 1))
    guard end <= 0x1_0000_0000 else { return false }
    if regions.contains(where: { UInt64($0.address) < end && $0.end > UInt64(address) }) { return false }
    insert(Region(address: address, size: UInt32(end - UInt64(address))))
    return true
  }

  private mutating func insert(_ region: Region) {
    let i = regions.firstIndex { $0.address > region.address } ?? regions.count
    regions.insert(region, at: i)
  }

  /// vm_deallocate: removes every page of [address, address+size) that is allocated.
  public mutating func deallocate(address: UInt32, size: UInt32) {
    guard size > 0 else { return }
    let start = UInt64(address) / UInt64(Self.pageSize) * UInt64(Self.pageSize)
    let end = UInt64(address) + Self.roundUp(size)
    var kept: [Region] = []
    for r in regions {
      let rs = UInt64(r.address)
      if r.end <= start || rs >= end {
        kept.append(r)
        continue
      }
      if rs < start {
        kept.append(
          Region(address: r.address, size: UInt32(start - rs), contents: Array(r.contents.prefix(Int(start - rs)))))
      }
      if r.end > end {
        let cut = Int(end - rs)
        let tail = cut < r.contents.count ? Array(r.contents[cut...]) : []
        kept.append(Region(address: UInt32(end), size: UInt32(r.end - end), contents: tail))
      }
    }
    regions = kept
  }

  /// Whether every byte of [address, address+size) lies in allocated regions.
  public func contains(address: UInt32, size: UInt32) -> Bool {
    if size == 0 { return true }
    var cursor = UInt64(address)
    let end = UInt64(address) + UInt64(size)
    for r in regions {
      if r.end <= cursor { continue }
      if UInt64(r.address) > cursor { return false }
      cursor = r.end
      if cursor >= end { return true }
    }
    return cursor >= end
  }

  /// The bytes of [address, address+size), which must be allocated (zeros where nothing was
  /// written), without trailing zeros.
  public func read(address: UInt32, size: UInt32) -> [UInt8] {
    var out: [UInt8] = []
    let start = UInt64(address), end = UInt64(address) + UInt64(size)
    for r in regions where r.end > start && UInt64(r.address) < end && !r.contents.isEmpty {
      let from = max(start, UInt64(r.address))
      let to = min(end, UInt64(r.address) + UInt64(r.contents.count))
      guard from < to else { continue }
      let outOffset = Int(from - start)
      if out.count < outOffset { out.append(contentsOf: repeatElement(0, count: outOffset - out.count)) }
      out.append(contentsOf: r.contents[Int(from - UInt64(r.address))..<Int(to - UInt64(r.address))])
    }
    return out
  }

  /// Writes `bytes` at `address`, inside one allocated region; false (nothing written) when
  /// the range is not inside one region.
  @discardableResult
  public mutating func write(_ bytes: [UInt8], at address: UInt32) -> Bool {
    guard
      let i = regions.firstIndex(where: {
        UInt64($0.address) <= UInt64(address) && UInt64(address) + UInt64(bytes.count) <= $0.end
      })
    else { return false }
    let offset = Int(address - regions[i].address)
    if regions[i].contents.count < offset + bytes.count {
      regions[i].contents.append(contentsOf: repeatElement(0, count: offset + bytes.count - regions[i].contents.count))
    }
    regions[i].contents.replaceSubrange(offset..<offset + bytes.count, with: bytes)
    regions[i].contents = Self.trimmed(regions[i].contents)
    return true
  }

  static func trimmed(_ bytes: [UInt8]) -> [UInt8] {
    guard let last = bytes.lastIndex(where: { $0 != 0 }) else { return [] }
    return last == bytes.count - 1 ? bytes : Array(bytes[...last])
  }
}
