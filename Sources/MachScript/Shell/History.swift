import MachModel

/// What the model went through, so that any moment since history began can be rebuilt
/// (docs/shell.md, "Going back"). The model is deterministic: from a copy of the kernel, the
/// same changes and steps in the same order give the same kernel, byte for byte. So the
/// history keeps
///
/// - every event since it began, in order: each change the shell made to the model (a
///   closure over the values it used, replayed as it ran) and each step the model took;
/// - a checkpoint, a copy of the kernel, every `spacing` events (a kernel is a value: the copy
///   shares its storage until the live one changes it);
/// - marks: after each event that made trace records, the last record's `seq` (the moment a
///   record was made is just after the step or change that made it).
///
/// A past kernel is its nearest checkpoint with the events after it replayed. Checkpoints
/// take at most `byteLimit` bytes: past it, every other one goes and the spacing doubles (a
/// rebuild replays at most `spacing` events), and past the largest spacing the oldest go, with
/// the events before the next, and history then begins there.
struct History {
  enum Event {
    case step
    /// A change, and about how many bytes it keeps alive (its closure and what it captured).
    case change((inout Kernel) -> Void, bytes: Int32)
  }

  /// About what a change's closure takes beyond what it says it carries.
  static let changeOverhead = 64

  struct Checkpoint {
    /// The number of events before it.
    var event: Int
    var kernel: Kernel
    var bytes: Int
  }

  /// `set history off` stops recording (and forgets what was recorded).
  private(set) var isOn = true
  /// `set history_bytes`: what checkpoints and events may take.
  private(set) var byteLimit = History.defaultByteLimit
  static let defaultByteLimit = 64 << 20
  static let firstSpacing = 1024
  static let largestSpacing = 1 << 16

  /// Events from number `firstEvent` on.
  private var events: [Event] = []
  private(set) var firstEvent = 0
  private var checkpoints: [Checkpoint] = []
  private var checkpointBytes = 0
  private(set) var spacing = History.firstSpacing
  /// (number of events so far, last `seq`) after each event that made records, in order.
  private var marks: [Mark] = []

  /// An event that made records: the number of events then, the last record's `seq`, and the
  /// shell's serving threads (the shell's servers are not the model's, but `info threads`
  /// shows them).
  struct Mark {
    var event: Int
    var seq: UInt64
    var serving: [ThreadIndex]
  }
  private var lastSeq: UInt64 = 0

  /// The number of events so far.
  var eventCount: Int { firstEvent + events.count }

  /// The first record that can be reached, when history has begun.
  var firstReachableSeq: UInt64? { marks.first { $0.event >= (checkpoints.first?.event ?? Int.max) }?.seq }

  /// What the history takes, in bytes (checkpoints at their estimate, and the events).
  var bytes: Int {
    checkpointBytes + changeBytes + events.count * MemoryLayout<Event>.stride + marks.count * MemoryLayout<Mark>.stride
  }
  /// What the changes kept alive take (`Event.change`'s bytes).
  private var changeBytes = 0

  private static func bytes(of events: some Sequence<Event>) -> Int {
    events.reduce(0) { total, e in if case .change(_, let b) = e { total + Int(b) } else { total } }
  }

  // MARK: - Recording

  /// Begins a history at `kernel` (the first checkpoint), `seq` being the last record's.
  mutating func begin(_ kernel: Kernel, seq: UInt64) {
    events = []
    changeBytes = 0
    marks = []
    checkpoints = []
    checkpointBytes = 0
    firstEvent = 0
    spacing = Self.firstSpacing
    lastSeq = seq
    if isOn { addCheckpoint(kernel, event: 0) }
  }

  mutating func setOn(_ on: Bool, kernel: Kernel, seq: UInt64) {
    isOn = on
    begin(kernel, seq: seq)
  }

  mutating func setByteLimit(_ n: Int) {
    byteLimit = n
    enforceBudget()
  }

  /// The model took a step; `kernel` is the kernel after it, `seq` the last record's, and
  /// `serving` the shell's serving threads.
  @inline(__always)
  mutating func recordStep(_ kernel: Kernel, seq: UInt64, serving: @autoclosure () -> [ThreadIndex]) {
    guard isOn else { return }
    events.append(.step)
    after(kernel, seq: seq, serving: serving)
  }

  /// The shell changed the model with `change`; `kernel` is the kernel after it.
  mutating func recordChange(
    _ change: @escaping (inout Kernel) -> Void, carrying: Int, kernel: Kernel, seq: UInt64,
    serving: @autoclosure () -> [ThreadIndex]
  ) {
    guard isOn else { return }
    let bytes = Int32(clamping: carrying + Self.changeOverhead)
    events.append(.change(change, bytes: bytes))
    changeBytes += Int(bytes)
    after(kernel, seq: seq, serving: serving)
  }

  /// Records up to `seq` came from a loaded file: their moment is now.
  mutating func noteRecord(seq: UInt64, serving: [ThreadIndex]) {
    guard isOn, seq > lastSeq else { return }
    lastSeq = seq
    marks.append(Mark(event: eventCount, seq: seq, serving: serving))
  }

  /// The shell's serving threads when record `seq` was taken in.
  func serving(atRecord seq: UInt64) -> [ThreadIndex] {
    var low = 0, high = marks.count
    while low < high {
      let mid = (low + high) / 2
      if marks[mid].seq < seq { low = mid + 1 } else { high = mid }
    }
    return low < marks.count ? marks[low].serving : []
  }

  @inline(__always)
  private mutating func after(_ kernel: Kernel, seq: UInt64, serving: () -> [ThreadIndex]) {
    if seq > lastSeq {
      lastSeq = seq
      marks.append(Mark(event: eventCount, seq: seq, serving: serving()))
    }
    let since = eventCount - (checkpoints.last?.event ?? 0)
    // A checkpoint every `spacing` events; and one now when the events since the last one
    // put the history over its budget, so that the older ones can go.
    if since >= spacing || (since >= 64 && bytes > byteLimit) { addCheckpoint(kernel, event: eventCount) }
  }

  private mutating func addCheckpoint(_ kernel: Kernel, event: Int) {
    let bytes = kernel.footprint
    checkpoints.append(Checkpoint(event: event, kernel: kernel, bytes: bytes))
    checkpointBytes += bytes
    enforceBudget()
  }

  /// Thins the checkpoints, then drops the oldest, until the history fits `byteLimit`.
  private mutating func enforceBudget() {
    while bytes > byteLimit && checkpoints.count > 1 {
      if spacing < Self.largestSpacing {
        spacing *= 2
        var kept: [Checkpoint] = []
        for (i, c) in checkpoints.enumerated() where i % 2 == 0 || i == checkpoints.count - 1 { kept.append(c) }
        checkpoints = kept
      } else {
        checkpoints.removeFirst()
        let begin = checkpoints[0].event
        changeBytes -= Self.bytes(of: events.prefix(begin - firstEvent))
        events.removeFirst(begin - firstEvent)
        firstEvent = begin
        marks.removeAll { $0.event < begin }
      }
      checkpointBytes = checkpoints.reduce(0) { $0 + $1.bytes }
    }
  }

  // MARK: - Rebuilding

  /// The number of events after which record `seq` existed (the event that made it), or nil
  /// when no mark reaches it.
  func event(madeRecord seq: UInt64) -> Int? {
    var low = 0, high = marks.count
    while low < high {
      let mid = (low + high) / 2
      if marks[mid].seq < seq { low = mid + 1 } else { high = mid }
    }
    return low < marks.count ? marks[low].event : nil
  }

  /// The last record `seq` that existed after `event` events.
  func seq(afterEvent event: Int) -> UInt64 {
    var low = 0, high = marks.count
    while low < high {
      let mid = (low + high) / 2
      if marks[mid].event <= event { low = mid + 1 } else { high = mid }
    }
    return low == 0 ? 0 : marks[low - 1].seq
  }

  /// The kernel after `event` events: its nearest checkpoint, replayed. Nil before history
  /// begins. `interrupted` is asked between events: a true answer stops the rebuild (nil).
  func kernel(afterEvent event: Int, interrupted: () -> Bool = { false }) -> Kernel? {
    guard event <= eventCount, let c = checkpoints.last(where: { $0.event <= event }) else { return nil }
    var k = c.kernel
    var scratch = TraceLog()
    return replay(&k, from: c.event, to: event, scratch: &scratch, interrupted: interrupted) ? k : nil
  }

  /// Replays events `from..<to` on `kernel`, which stands after `from` events; false when
  /// `interrupted` says so (between events, every 1,024).
  func replay(
    _ kernel: inout Kernel, from: Int, to: Int, scratch: inout TraceLog, interrupted: () -> Bool = { false }
  ) -> Bool {
    guard from >= firstEvent, from <= to, to <= eventCount else { return false }
    var n = 0
    for i in from..<to {
      switch events[i - firstEvent] {
      case .step: _ = kernel.step()
      case .change(let change, _): change(&kernel)
      }
      kernel.drainTraceLog(into: &scratch)  // the records exist already
      n += 1
      if n & 1023 == 0 && interrupted() { return false }
    }
    return true
  }

  /// Forgets the events after `event` (a change made in the past starts a new history from
  /// there).
  mutating func truncate(after event: Int) {
    guard event < eventCount else { return }
    changeBytes -= Self.bytes(of: events.suffix(eventCount - event))
    events.removeLast(eventCount - event)
    checkpoints.removeAll { $0.event > event }
    checkpointBytes = checkpoints.reduce(0) { $0 + $1.bytes }
    marks.removeAll { $0.event > event }
    lastSeq = marks.last?.seq ?? 0
  }
}
