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

/// Copies that reached host-drained trace ports, in the order they were made. Message bytes
/// live in one byte store that grows by doubling, so that a copy costs a memcpy and no
/// allocation; the host takes entries in batches (`Kernel.drainTraceLog`) instead of being
/// woken per copy.
public struct TraceLog: Sendable {
  public private(set) var entries: ContiguousArray<TraceEntry> = []
  /// The copied messages, back to back, in the first `used` bytes; the rest is room kept for
  /// the copies that follow (a drained log keeps its bytes as scratch).
  private var store = ByteStore(capacity: 0)
  private var used = 0
  /// A send copy taken at the hook whose header waits for the send's end (D3): its bytes are
  /// the store's last `pending.length` bytes, and it becomes an entry at `completePending`.
  /// Kept out of `entries` until then, so that noting its peer and completing it write plain
  /// fields rather than the array (whose every write checks that it is not shared).
  private var pending = TraceEntry(
    seq: 0, time: 0, task: -1, thread: -1, direction: .send, kind: .normal, retval: 0, port: -1,
    peer: TraceEntry.noPeer, offset: 0, length: 0)
  private var hasPending = false

  public init() {}

  /// Empties the log, keeping its storage for the copies that follow.
  mutating func removeAll() {
    entries.removeAll(keepingCapacity: true)
    used = 0
    hasPending = false
  }

  public var isEmpty: Bool { entries.isEmpty }

  /// The copied message of `entry` (user form for `normal` copies, kernel form otherwise).
  public func bytes(of entry: TraceEntry) -> [UInt8] {
    Array(UnsafeBufferPointer(start: store.base + entry.offset, count: entry.length))
  }

  /// Appends `entry` with room for a `length`-byte message, written by `fillLast`. Whatever may
  /// allocate or copy the store happens here, so that a caller can then hand `fillLast` an
  /// array read in place: were there a call between the read and the copy that might free
  /// memory (Array's copy-on-write check is one), the compiler would retain and release the
  /// array around it, two atomic operations per traced message.
  @inline(__always)
  mutating func appendEntry(_ entry: TraceEntry, length: Int) {
    precondition(!hasPending, "a copy made while a send copy is pending")
    entries.append(reserve(entry, length: length))
  }

  /// Makes room at the end of the store for a `length`-byte message, and returns `entry` placed
  /// there.
  @inline(__always)
  private mutating func reserve(_ entry: TraceEntry, length: Int) -> TraceEntry {
    let start = used
    if store.capacity < start + length {
      store = store.copy(keeping: start, capacity: Swift.max(start + length, 2 * store.capacity))
    } else if !isKnownUniquelyReferenced(&store) {
      // Shared with a copy of the kernel: this log's own bytes, no more room than it uses.
      store = store.copy(keeping: start, capacity: start + length)
    }
    used += length
    var e = entry
    e.offset = start
    e.length = length
    return e
  }

  /// Writes the message of the last entry (or of the pending send copy) from `source`, which
  /// holds at least its length. The store is this log's own and large enough (`appendEntry`,
  /// `appendPending`).
  @inline(__always)
  func fillLast(from source: [UInt8]) {
    let e = hasPending ? pending : entries[entries.count - 1]
    source.withUnsafeBytes { src in
      UnsafeMutableRawPointer(store.base + e.offset).copyMemory(from: src.baseAddress!, byteCount: e.length)
    }
  }

  /// Takes a send copy at the hook, before its header is known (D3): `entry`'s seq, time,
  /// retval and peer are filled in later. Its message is written by `fillLast`.
  @inline(__always)
  mutating func appendPending(_ entry: TraceEntry, length: Int) {
    precondition(!hasPending, "two send copies pending")
    pending = reserve(entry, length: length)
    hasPending = true
  }

  /// Notes who receives the pending send copy's message, once its destination is copied in.
  @inline(__always)
  mutating func setPendingPeer(_ peer: TaskIndex) {
    pending.peer = peer
  }

  /// Completes the pending send copy and appends it as the last entry.
  @inline(__always)
  mutating func completePending(seq: UInt64, time: UInt64, retval: ReturnCode) {
    pending.seq = seq
    pending.time = time
    pending.retval = retval
    hasPending = false
    entries.append(pending)
  }

  /// Takes the pending send copy back out, returning its bytes.
  mutating func removePending() -> [UInt8] {
    precondition(hasPending, "no send copy pending")
    hasPending = false
    used = pending.offset
    return bytes(of: pending)
  }
}

/// A trace log's bytes: a buffer the log writes in place once it has made sure, in
/// `TraceLog.appendEntry`, that it is the only owner (copy on write done by hand, so that the
/// write itself has no uniqueness check). Immutable once shared: a log copied with its kernel
/// copies the store before its next write.
final class ByteStore: @unchecked Sendable {
  let base: UnsafeMutablePointer<UInt8>
  let capacity: Int

  init(capacity: Int) {
    self.capacity = capacity
    base = .allocate(capacity: max(capacity, 1))
  }

  deinit { base.deallocate() }

  /// A store of at least `capacity` bytes (4 KB at least) holding this one's first `keeping`
  /// bytes.
  func copy(keeping: Int, capacity: Int) -> ByteStore {
    let fresh = ByteStore(capacity: max(capacity, 4096))
    fresh.base.update(from: base, count: keeping)
    return fresh
  }
}
