/// The trace facility's constants (trace.md D2).
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
  /// Global order in which copies were made, from 1 (details.md §6).
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
  var offset: Int
  public var length: Int
}

/// Copies that reached host-drained trace ports, in the order they were made. Message bytes
/// live in one growing byte store, so that a copy costs a memcpy and no allocation; the host
/// takes entries in batches (`Kernel.takeTraceLog`) instead of being woken per copy.
public struct TraceLog: Sendable {
  public private(set) var entries: [TraceEntry] = []
  private var store: [UInt8] = []

  public init() {}

  public var isEmpty: Bool { entries.isEmpty }

  /// The copied message of `entry` (user form for `normal` copies, kernel form otherwise).
  public func bytes(of entry: TraceEntry) -> [UInt8] { Array(store[entry.offset..<entry.offset + entry.length]) }

  mutating func append(_ entry: TraceEntry, bytes source: [UInt8], length: Int) {
    var e = entry
    e.offset = store.count
    e.length = length
    source.withUnsafeBufferPointer { store.append(contentsOf: $0[0..<length]) }
    entries.append(e)
  }

  mutating func removeAll() {
    entries.removeAll(keepingCapacity: true)
    store.removeAll(keepingCapacity: true)
  }
}
