/// The trace buffer: records in arrival order, bounded to `limit` records and to `byteLimit`
/// bytes (a record costs its copied message plus its fixed size). When a bound is reached the
/// oldest records make room for the newest, and `dropped` counts how many went that way.
/// Appending is amortised O(1) and never moves the records already held (except when the ring
/// grows), and a dropped record's memory is released at once.
public struct TraceBuffer: RandomAccessCollection, Sendable {
  /// A ring: `count` records from `start`, wrapping at `storage.count`.
  private var storage: [TraceRecord] = []
  private var start = 0
  public private(set) var count = 0
  public private(set) var limit: Int
  public private(set) var byteLimit: Int
  /// What the records held cost, as `cost(of:)` counts it.
  public private(set) var bytes = 0
  /// Records pushed out by newer ones since the buffer was made.
  public private(set) var dropped = 0

  /// 64 MB: a thousand 64 KB messages, or some 300,000 small ones.
  public static let defaultByteLimit = 64 << 20

  public init(limit: Int = 1_000_000, byteLimit: Int = TraceBuffer.defaultByteLimit) {
    precondition(limit >= 1 && byteLimit >= 1, "a trace buffer holds at least one record")
    self.limit = limit
    self.byteLimit = byteLimit
  }

  /// What a record costs against `byteLimit`: its message bytes, its routine name and its
  /// fixed part.
  public static func cost(of r: TraceRecord) -> Int {
    r.bytes.count + r.routine.utf8.count + MemoryLayout<TraceRecord>.stride
  }

  public var startIndex: Int { 0 }
  public var endIndex: Int { count }

  /// The `i`th record from the oldest.
  public subscript(i: Int) -> TraceRecord { storage[slot(i)] }

  private func slot(_ i: Int) -> Int {
    let j = start + i
    return j < storage.count ? j : j - storage.count
  }

  public mutating func append(_ record: TraceRecord) {
    if count == limit { dropOldest() }
    if count == storage.count { grow() }
    storage[slot(count)] = record
    count += 1
    bytes += Self.cost(of: record)
    while bytes > byteLimit && count > 1 { dropOldest() }
  }

  /// Appends `records` in order, as one `append` each would (the same drops), but an empty
  /// buffer takes the array itself as its ring when all fit: a loaded file's million records
  /// are not copied again.
  public mutating func append(contentsOf records: [TraceRecord]) {
    guard count == 0, !records.isEmpty else {
      for r in records { append(r) }
      return
    }
    // The newest records that fit both bounds; the older ones count as dropped.
    var kept = 0
    var keptBytes = 0
    for r in records.reversed() {
      let cost = Self.cost(of: r)
      if kept == limit || (kept > 0 && keptBytes + cost > byteLimit) { break }
      kept += 1
      keptBytes += cost
    }
    dropped += records.count - kept
    storage = kept == records.count ? records : Array(records.suffix(kept))
    start = 0
    count = kept
    bytes = keptBytes
  }

  private mutating func dropOldest() {
    bytes -= Self.cost(of: storage[start])
    storage[start] = TraceRecord.released  // its message goes now, not when the slot is reused
    start += 1
    if start == storage.count { start = 0 }
    count -= 1
    dropped += 1
  }

  /// Doubles the ring (up to `limit`), laying the records out from slot 0.
  private mutating func grow() { grow(to: Swift.min(limit, Swift.max(16, storage.count * 2))) }

  private mutating func grow(to size: Int) {
    var larger: [TraceRecord] = []
    larger.reserveCapacity(size)
    for i in 0..<count { larger.append(self[i]) }
    while larger.count < larger.capacity { larger.append(TraceRecord.released) }
    storage = larger
    start = 0
  }

  /// The two runs of slots that hold the records, oldest first.
  private var runs: (Range<Int>, Range<Int>) {
    let end = start + count
    if end <= storage.count { return (start..<end, 0..<0) }
    return (start..<storage.count, 0..<(end - storage.count))
  }

  /// The records that pass `test`, in order.
  public func filter(_ test: (TraceRecord) throws -> Bool) rethrows -> [TraceRecord] {
    var kept: [TraceRecord] = []
    let (a, b) = runs
    for i in a where try test(storage[i]) { kept.append(storage[i]) }
    for i in b where try test(storage[i]) { kept.append(storage[i]) }
    return kept
  }

  /// The records that pass `test`, which reads each record in place (see below).
  public func filter(whereRecordAt test: (UnsafePointer<TraceRecord>) -> Bool) -> [TraceRecord] {
    var kept: [TraceRecord] = []
    forEachRun { run in
      for i in run.indices where test(run.baseAddress! + i) { kept.append(run[i]) }
    }
    return kept
  }

  /// How many records pass `test`.
  public func count(where test: (TraceRecord) throws -> Bool) rethrows -> Int {
    var n = 0
    let (a, b) = runs
    for i in a where try test(storage[i]) { n += 1 }
    for i in b where try test(storage[i]) { n += 1 }
    return n
  }

  /// How many records pass `test`, which reads each record in place through a pointer valid
  /// only during the call (handing a record over by value would copy it: a retain and a
  /// release of its bytes for every record). The compiled filters loop over `forEachRun`
  /// themselves; this is for a test written in Swift, such as the bench's native filter.
  public func count(whereRecordAt test: (UnsafePointer<TraceRecord>) -> Bool) -> Int {
    var n = 0
    forEachRun { run in
      for i in run.indices where test(run.baseAddress! + i) { n += 1 }
    }
    return n
  }

  /// Calls `body` with the records in place, oldest first, as at most two contiguous runs
  /// (the ring's two halves), valid only during the call: for loops that read every record
  /// without a call per record (`FilterClauses.count(in:)`).
  public func forEachRun(_ body: (UnsafeBufferPointer<TraceRecord>) -> Void) {
    let (a, b) = runs
    storage.withUnsafeBufferPointer { records in
      guard let base = records.baseAddress else { return }
      for run in [a, b] where !run.isEmpty {
        body(UnsafeBufferPointer(start: base + run.lowerBound, count: run.count))
      }
    }
  }

  /// Gives every record the routine name `name` says now (after a `.msgids` file is loaded,
  /// records already held take its names too).
  public mutating func rename(_ name: (TraceRecord) -> String) {
    let (a, b) = runs
    for i in Array(a) + Array(b) {
      let new = name(storage[i])
      if new != storage[i].routine {
        bytes += new.utf8.count - storage[i].routine.utf8.count
        storage[i].routine = new
      }
    }
  }

  /// Removes the records whose `seq` is above `seq`, newest first.
  public mutating func removeRecords(after seq: UInt64) {
    while count > 0 {
      let i = slot(count - 1)
      guard let s = storage[i].seq, s > seq else { break }
      bytes -= Self.cost(of: storage[i])
      storage[i] = TraceRecord.released
      count -= 1
    }
  }

  /// Empties the buffer (`trace clear`); `dropped` keeps its count.
  public mutating func removeAll() {
    storage.removeAll()
    start = 0
    count = 0
    bytes = 0
  }

  /// Changes the bound on records, keeping the newest (the others count as dropped).
  public mutating func setLimit(_ newLimit: Int) {
    precondition(newLimit >= 1, "a trace buffer holds at least one record")
    limit = newLimit
    while count > limit { dropOldest() }
    compact()
  }

  /// Changes the bound on bytes, keeping the newest records that fit (always at least one).
  public mutating func setByteLimit(_ newLimit: Int) {
    precondition(newLimit >= 1, "a trace buffer holds at least one byte")
    byteLimit = newLimit
    while bytes > byteLimit && count > 1 { dropOldest() }
    compact()
  }

  /// Lays the records out from slot 0 in a ring no larger than they need.
  private mutating func compact() {
    storage = Array(self)
    start = 0
  }
}

extension TraceRecord {
  /// What an emptied slot of the ring holds: nothing that costs memory.
  static let released = TraceRecord(
    seq: nil, time: 0, task: 0, thread: nil, direction: .send, kind: .normal, retval: 0, code: nil, msgid: 0,
    routine: "", dest: 0, reply: 0, size: 0, complex: false, ool: 0, rights: 0, answers: nil, bytes: [])
}
