/// The trace buffer: records in arrival order, bounded to `limit` records. When it is full the
/// oldest record makes room for the newest, and `dropped` counts how many went that way.
/// Appending is O(1) and never moves the records already held.
public struct TraceBuffer: RandomAccessCollection, Sendable {
  private var storage: [TraceRecord] = []
  /// Where the oldest record is in `storage` once the ring has wrapped.
  private var head = 0
  public private(set) var limit: Int
  /// Records pushed out by newer ones since the buffer was made.
  public private(set) var dropped = 0

  public init(limit: Int = 1_000_000) {
    precondition(limit >= 1, "a trace buffer holds at least one record")
    self.limit = limit
  }

  public var startIndex: Int { 0 }
  public var endIndex: Int { storage.count }

  /// The `i`th record from the oldest.
  public subscript(i: Int) -> TraceRecord {
    let j = head + i
    return storage[j < storage.count ? j : j - storage.count]
  }

  public mutating func append(_ record: TraceRecord) {
    if storage.count < limit {
      storage.append(record)
      return
    }
    storage[head] = record
    head += 1
    if head == storage.count { head = 0 }
    dropped += 1
  }

  /// Empties the buffer (`trace clear`); `dropped` keeps its count.
  public mutating func removeAll() {
    storage.removeAll()
    head = 0
  }

  /// Changes the bound, keeping the newest records (the others count as dropped).
  public mutating func setLimit(_ newLimit: Int) {
    precondition(newLimit >= 1, "a trace buffer holds at least one record")
    let kept = Array(suffix(newLimit))
    dropped += count - kept.count
    storage = kept
    storage.reserveCapacity(Swift.min(newLimit, 1024))
    head = 0
    limit = newLimit
  }
}
