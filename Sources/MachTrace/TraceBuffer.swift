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

  /// The records that pass `test`, in order.
  public func filter(_ test: (TraceRecord) throws -> Bool) rethrows -> [TraceRecord] {
    var kept: [TraceRecord] = []
    for i in head..<storage.count where try test(storage[i]) { kept.append(storage[i]) }
    for i in 0..<head where try test(storage[i]) { kept.append(storage[i]) }
    return kept
  }

  /// The records that pass `test`, which reads each record in place (see below).
  public func filter(whereRecordAt test: (UnsafePointer<TraceRecord>) -> Bool) -> [TraceRecord] {
    storage.withUnsafeBufferPointer { records in
      guard let base = records.baseAddress else { return [] }
      var kept: [TraceRecord] = []
      for i in head..<records.count where test(base + i) { kept.append(records[i]) }
      for i in 0..<head where test(base + i) { kept.append(records[i]) }
      return kept
    }
  }

  /// How many records pass `test`.
  public func count(where test: (TraceRecord) throws -> Bool) rethrows -> Int {
    var n = 0
    for i in head..<storage.count where try test(storage[i]) { n += 1 }
    for i in 0..<head where try test(storage[i]) { n += 1 }
    return n
  }

  /// How many records pass `test`, which reads each record in place through a pointer valid
  /// only during the call: the filters' hot loop. Handing a record over by value would copy
  /// it (a retain and a release of its bytes) for every record.
  public func count(whereRecordAt test: (UnsafePointer<TraceRecord>) -> Bool) -> Int {
    storage.withUnsafeBufferPointer { records in
      guard let base = records.baseAddress else { return 0 }
      var n = 0
      for i in head..<records.count where test(base + i) { n += 1 }
      for i in 0..<head where test(base + i) { n += 1 }
      return n
    }
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
