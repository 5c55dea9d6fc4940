import MachModel
import MachTrace

/// Where the session stands while it looks at the past (docs/shell.md, "Going back").
struct PastMoment {
  /// The kernel of the present, kept while the session is elsewhere.
  var present: Kernel
  /// The record the session is at, and the number of events after which it was made.
  var seq: UInt64
  var event: Int
  /// The shell's serving threads then.
  var serving: [ThreadIndex]
}

extension Session {
  /// The record the session is at when in the past; nil in the present.
  public var pastPosition: UInt64? { past?.seq }

  /// What the history holds, in bytes (`scripts/bench history_to_live_ratio`).
  public var historyBytes: Int { history.bytes }

  /// The last record's `seq` in the present.
  var presentSeq: UInt64 { intake.buffer.last?.seq ?? 0 }

  /// `[at N of M]` for the prompt while in the past.
  public var timeTravelPrompt: String? {
    guard let past else { return nil }
    return "at \(past.seq) of \(presentSeq)"
  }

  /// The range of records `goto` can reach: from history's first mark, not before the ring's
  /// oldest record, to the present.
  func reachableRecords() -> ClosedRange<UInt64>? {
    guard history.isOn, let first = history.firstReachableSeq, let last = intake.buffer.last?.seq else { return nil }
    let oldest = max(first, intake.buffer.first?.seq ?? first)
    return oldest <= last ? oldest...last : nil
  }

  /// The kernel just after record `seq` was made (nil when it cannot be rebuilt).
  func kernel(atRecord seq: UInt64) -> Kernel? {
    guard let event = history.event(madeRecord: seq) else { return nil }
    return rebuild(afterEvent: event)
  }

  /// The kernel after `event` events: from the session's own past kernel when it is on the
  /// way (going forward replays only what lies between), else from a checkpoint.
  func rebuild(afterEvent event: Int) -> Kernel? {
    if let past, past.event <= event, event - past.event < history.spacing {
      var k = live
      var scratch = TraceLog()
      guard history.replay(&k, from: past.event, to: event, scratch: &scratch) else { return nil }
      return k
    }
    if event == history.eventCount { return past?.present ?? live }
    return history.kernel(afterEvent: event, interrupted: { [unowned self] in interpreter.interruptRequested() })
  }

  /// Moves the session to the moment record `seq` was made; at the last record, to the
  /// present.
  func travel(to seq: UInt64, at location: SourceLocation) throws {
    guard let range = reachableRecords() else {
      throw ScriptError(
        history.isOn ? "no record to go to yet" : "history is off ('set history on' records from then on)", at: location
      )
    }
    guard range.contains(seq) else {
      throw ScriptError(
        "record \(seq) cannot be reached: history holds records \(range.lowerBound) to \(range.upperBound)",
        at: location)
    }
    guard let event = history.event(madeRecord: seq) else {
      throw ScriptError("record \(seq) was not made by the model (it came from a loaded file)", at: location)
    }
    if event == history.eventCount {  // nothing happened since: that moment is the present
      returnToPresent()
      return
    }
    guard let k = rebuild(afterEvent: event) else {
      throw ScriptError("interrupted (the session stays where it was)", at: location)
    }
    let present = past?.present ?? live
    live = k
    past = PastMoment(present: present, seq: seq, event: event, serving: history.serving(atRecord: seq))
  }

  /// Back to the present (`goto end`).
  func returnToPresent() {
    guard let p = past else { return }
    live = p.present
    past = nil
  }

  /// A change to the model while in the past: the history after this moment goes (as in
  /// gdb), with the records made after it, and a new one begins here. At the prompt the
  /// user is asked first (`checkChange`).
  func discardFuture() {
    guard let p = past else { return }
    past = nil
    history.truncate(after: p.event)
    intake.dropRecords(after: p.seq)
  }

  /// Runs `body` with the session's kernel as it was just after record `seq`, then puts the
  /// present back: `info … at N`.
  func lookingAt<T>(record seq: UInt64, at location: SourceLocation, _ body: () throws -> T) throws -> T {
    guard let range = reachableRecords(), range.contains(seq) else {
      let held = reachableRecords().map { "history holds records \($0.lowerBound) to \($0.upperBound)" } ?? "no history"
      throw ScriptError("record \(seq) cannot be reached: \(held)", at: location)
    }
    guard let k = kernel(atRecord: seq) else {
      throw ScriptError("interrupted (the session stays where it was)", at: location)
    }
    return try showing(k, serving: history.serving(atRecord: seq), body)
  }

  /// Runs `body` with the session showing `kernel` and `serving` (for tests: the state a
  /// snapshot kept, through the same `info` code).
  public func showing<T>(_ kernel: Kernel, serving: [ThreadIndex], _ body: () throws -> T) rethrows -> T {
    let saved = (live, viewedServing)
    live = kernel
    viewedServing = serving
    defer { (live, viewedServing) = saved }
    return try body()
  }

  /// Whether thread `t` is one of the shell's servers at the moment the session shows.
  func serves(_ t: ThreadIndex) -> Bool {
    if let serving = viewedServing ?? past?.serving { return serving.contains(t) }
    return servers.isServing(t)
  }

  /// The last record made at or before virtual time `time`, among those `goto` can reach.
  func record(atTime time: UInt64) -> UInt64? {
    guard let range = reachableRecords() else { return nil }
    var found: UInt64? = nil
    for r in intake.buffer where r.origin == .live {
      guard let seq = r.seq, range.contains(seq) else { continue }
      if r.time <= time { found = seq } else { break }
    }
    return found
  }
}
