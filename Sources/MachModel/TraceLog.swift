/// The trace facility's constants (docs/trace.md D2).
public enum TraceMessage {
  /// `mach_trace_message`: the id of a trace message. Messages with this id are never traced
  /// (D1).
  public static let id: Int32 = 4600

  public enum Direction: UInt8, Sendable {
    case send = 0
    case receive = 1
  }

  /// The RFC's types (T5).
  public enum Kind: UInt8, Sendable, CaseIterable {
    case normal = 0
    case task = 1
    case thread = 2
    case taskException = 3
    case threadException = 4

    public var name: String {
      switch self {
      case .normal: return "normal"
      case .task: return "task"
      case .thread: return "thread"
      case .taskException: return "task_exception"
      case .threadException: return "thread_exception"
      }
    }
  }
}

/// One copy that reached a trace port the host drains (`Kernel.setHostDrained`): the D2
/// header's fields, the copied message's place in the log's byte store, and when and in what
/// order the copy was made.
public struct TraceEntry: Equatable, Sendable {
  /// Global order in which copies were made, from 1 (docs/shell.md §6).
  public var seq: UInt64
  /// Virtual time (µs) when the copy was queued.
  public var time: UInt64
  public var task: TaskIndex
  /// The thread (-1 for a `task`-type copy).
  public var thread: ThreadIndex
  public var direction: TraceMessage.Direction
  public var kind: TraceMessage.Kind
  public var retval: ReturnCode
  /// The trace port the copy went to.
  public var port: ObjectIndex
  /// For a `send` copy of a `normal` message: the task holding the receive right of its
  /// destination when the copy was taken (`kernelPeer` for a kernel object, `noPeer` when
  /// unknown). Not part of the trace message (D2): a note for the host, which reads the log
  /// after the sender's name for the port may be gone.
  public var peer: TaskIndex
  public static let noPeer: TaskIndex = -1
  public static let kernelPeer: TaskIndex = -2
  var offset: Int
  public var length: Int
}

/// Copies that reached host-drained trace ports, in the order they were made. Entries and
/// message bytes live in one storage whose two regions grow by doubling, so that a copy costs
/// one uniqueness check, a few stores and a memcpy, and no allocation; the host takes entries
/// in batches (`Kernel.drainTraceLog`) instead of being woken per copy.
public struct TraceLog: Sendable {
  /// Entries and bytes; the first `count` entries and `used` bytes are this log's, the rest is
  /// room kept for the copies that follow (a drained log keeps its storage as scratch).
  private var storage = TraceLogStorage(entryCapacity: 0, byteCapacity: 0)
  private var count = 0
  private var used = 0
  /// The thread whose send copy, taken at the hook, waits for the send's end (D3), or -1. The
  /// copy sits in the entry slot at `count`, with its bytes the store's last ones, and joins
  /// the log at `completePending`. Nothing is reserved or copied between the two (they happen
  /// within one mach_msg, and a send that blocks takes its copy back out with
  /// `removePending`), so the slot is written in place without another check.
  public private(set) var pendingThread: ThreadIndex = -1

  public init() {}

  /// The entries, oldest first.
  public var entries: Entries { Entries(storage: storage, count: count) }

  public var isEmpty: Bool { count == 0 }

  /// The copied message of `entry`, one of this log's entries (user form for `normal` copies,
  /// kernel form otherwise).
  public func bytes(of entry: TraceEntry) -> [UInt8] {
    precondition(
      entry.offset >= 0 && entry.length >= 0 && entry.offset <= used - entry.length, "not an entry of this log")
    return Array(UnsafeBufferPointer(start: storage.bytes + entry.offset, count: entry.length))
  }

  /// Empties the log, keeping its storage for the copies that follow.
  mutating func removeAll() {
    count = 0
    used = 0
    pendingThread = -1
  }

  /// Appends `entry` with room for a `length`-byte message, which the caller writes at once
  /// through the destination returned. Whatever may allocate or copy the storage happens
  /// here, so that a caller can then hand `CopyDestination.fill` an array read in place: were
  /// there a call between the read and the copy that might free memory (Array's copy-on-write
  /// check is one), the compiler would retain and release the array around it, two atomic
  /// operations per traced message.
  @inline(__always)
  mutating func appendEntry(_ entry: TraceEntry, length: Int) -> CopyDestination {
    precondition(pendingThread < 0, "a copy made while a send copy is pending")
    let destination = place(entry, length: length)
    count += 1
    return destination
  }

  /// Takes `entry.thread`'s send copy at the hook, before its header is known (D3): `entry`'s
  /// seq, time, retval and peer are filled in later. Its message is written through the
  /// destination returned, as for `appendEntry`.
  @inline(__always)
  mutating func appendPending(_ entry: TraceEntry, length: Int) -> CopyDestination {
    precondition(pendingThread < 0, "two send copies pending")
    let destination = place(entry, length: length)
    pendingThread = entry.thread
    return destination
  }

  /// Writes `entry` into the slot at `count`, its message to be the next `length` bytes, and
  /// returns where those bytes go.
  @inline(__always)
  private mutating func place(_ entry: TraceEntry, length: Int) -> CopyDestination {
    if !isKnownUniquelyReferenced(&storage) || storage.entryCapacity == count
      || storage.byteCapacity - used < length
    {
      grow(byteLength: length)
    }
    var e = entry
    e.offset = used
    e.length = length
    (storage.entries + count).initialize(to: e)
    let destination = CopyDestination(start: storage.bytes + used, length: length)
    used += length
    return destination
  }

  /// Makes this log's storage its own, with room for one more entry and `byteLength` more
  /// bytes (a copy shared with a copy of the kernel keeps the shared one as it is).
  @inline(never)
  private mutating func grow(byteLength: Int) {
    let entryCapacity = storage.entryCapacity == count ? Swift.max(2 * count, 256) : storage.entryCapacity
    let byteCapacity =
      storage.byteCapacity - used < byteLength
      ? Swift.max(used + byteLength, 2 * storage.byteCapacity, 4096)
      : storage.byteCapacity
    let fresh = TraceLogStorage(entryCapacity: entryCapacity, byteCapacity: byteCapacity)
    fresh.entries.initialize(from: storage.entries, count: count)
    fresh.bytes.initialize(from: storage.bytes, count: used)
    storage = fresh
  }

  /// Notes who receives the pending send copy's message, once its destination is copied in.
  @inline(__always)
  func setPendingPeer(_ peer: TaskIndex) {
    storage.entries[count].peer = peer
  }

  /// Completes the pending send copy and appends it as the last entry.
  @inline(__always)
  mutating func completePending(seq: UInt64, time: UInt64, retval: ReturnCode) {
    let slot = storage.entries + count
    slot.pointee.seq = seq
    slot.pointee.time = time
    slot.pointee.retval = retval
    pendingThread = -1
    count += 1
  }

  /// Takes the pending send copy back out, returning its bytes.
  mutating func removePending() -> [UInt8] {
    precondition(pendingThread >= 0, "no send copy pending")
    pendingThread = -1
    let pending = storage.entries[count]
    let bytes = bytes(of: pending)
    used = pending.offset
    return bytes
  }

  /// A log's entries, read in place.
  public struct Entries: RandomAccessCollection, Sendable {
    let storage: TraceLogStorage
    public let count: Int
    public var startIndex: Int { 0 }
    public var endIndex: Int { count }

    public subscript(i: Int) -> TraceEntry {
      precondition(i >= 0 && i < count, "trace log entry index out of range")
      return storage.entries[i]
    }
  }
}

/// Where a copy's message goes in a log's storage: valid until the log's next copy is placed,
/// so it is written at once.
struct CopyDestination {
  let start: UnsafeMutablePointer<UInt8>
  let length: Int

  /// Copies the message from `source`, which holds at least `length` bytes.
  @inline(__always)
  func fill(from source: [UInt8]) {
    source.withUnsafeBytes { src in
      UnsafeMutableRawPointer(start).copyMemory(from: src.baseAddress!, byteCount: length)
    }
  }
}

/// A trace log's entries and bytes: buffers the log writes in place once it has made sure, in
/// `TraceLog.place`, that it is the only owner (copy on write done by hand, so that the writes
/// themselves have no uniqueness check). Immutable once shared: a log copied with its kernel
/// copies the storage before its next write. The capacities are constants, so reading them
/// needs no exclusivity check; a log that needs more room gets a new storage.
final class TraceLogStorage: @unchecked Sendable {
  let entries: UnsafeMutablePointer<TraceEntry>
  let entryCapacity: Int
  let bytes: UnsafeMutablePointer<UInt8>
  let byteCapacity: Int

  init(entryCapacity: Int, byteCapacity: Int) {
    self.entryCapacity = entryCapacity
    self.byteCapacity = byteCapacity
    entries = .allocate(capacity: Swift.max(entryCapacity, 1))
    bytes = .allocate(capacity: Swift.max(byteCapacity, 1))
  }

  deinit {
    entries.deallocate()
    bytes.deallocate()
  }
}
