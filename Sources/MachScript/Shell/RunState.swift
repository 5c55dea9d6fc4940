import MachTrace

/// Whether the model may run, and what a stop left behind (docs/language.md, Watches;
/// docs/shell.md §6, §7). Every rule about stopping and resuming lives here:
///
/// - A watch that fires, the end of `step N`, or Ctrl-C stops the model after the thread step
///   that made the record; the records that step made after it are held, and enter the buffer
///   first when the model runs again.
/// - A `wait` or `advance` that a stop cut short is kept, and `continue` or `step` finishes it.
/// - The model runs in pumps. A pump inside a pump (a completion that destroys a handed-back
///   message runs the model on) neither ends a stop nor runs a stopped model; the outermost
///   pump ends a stop (the user asked the model to run again).
/// - Inside a serve or do block the model never runs (a command there runs only its own
///   thread); `stop` is allowed only in a watch's do block.
/// - At the prompt a stop abandons the rest of the input line.
/// - Ctrl-C and errors in blocks are reported once, by the command that was running.
struct RunState {
  enum Mode: Equatable {
    /// The model may run.
    case running
    /// Running for `step`: it stops after `left` more records.
    case stepping(left: Int)
    /// Stopped: nothing runs the model until it is resumed.
    case stopped(Stop)
  }

  enum Stop: Equatable {
    case watch
    case stepEnd
    case interrupt
  }

  /// A wait a stop cut short.
  enum CutShort {
    case advance(to: UInt64)
    case wait(until: () -> Bool)
  }

  /// A block running inside a command.
  enum Block: Equatable {
    case serve
    /// A watch's do block; `stopRequested` once it ran `stop`.
    case watchDo(stopRequested: Bool)
  }

  private(set) var mode = Mode.running
  private var cutShort: CutShort? = nil
  private var held: [TraceRecord] = []
  private(set) var pumpDepth = 0
  private var blocks: [Block] = []
  private var interruptUnreported = false
  private var blockError: ScriptError? = nil
  private var lineAbandoned = false

  /// The model is stopped (the runner must not take another step).
  var isHalted: Bool {
    if case .stopped = mode { return true }
    return false
  }

  /// Something is left for `continue`: a stop, a cut-short wait, or held records.
  var canResume: Bool { isHalted || cutShort != nil || !held.isEmpty }

  var isStepping: Bool {
    if case .stepping = mode { return true }
    return false
  }

  var inBlock: Bool { !blocks.isEmpty }

  // MARK: - Pumps

  /// Starts a pump; false when the model must not run now (inside a block, or a nested pump
  /// while stopped). The outermost pump ends a stop.
  mutating func enterPump() -> Bool {
    guard blocks.isEmpty else { return false }
    if pumpDepth > 0 && isHalted { return false }
    pumpDepth += 1
    if pumpDepth == 1 && isHalted { mode = .running }
    return true
  }

  mutating func exitPump() { pumpDepth -= 1 }

  // MARK: - Stopping

  /// A watch fired, or a do block ran `stop`.
  mutating func stopAtWatch(interactive: Bool) { stop(.watch, interactive: interactive) }

  /// Counts a record let in while stepping; true when it was the step's last (the model is
  /// then stopped).
  mutating func countStep(interactive: Bool) -> Bool {
    guard case .stepping(let left) = mode else { return false }
    if left > 1 {
      mode = .stepping(left: left - 1)
      return false
    }
    stop(.stepEnd, interactive: interactive)
    return true
  }

  /// Ctrl-C while the model ran: it stops as at a watch, and the running command reports it.
  /// The input line goes on (the command's error ends it).
  mutating func interrupt() {
    mode = .stopped(.interrupt)
    interruptUnreported = true
  }

  private mutating func stop(_ reason: Stop, interactive: Bool) {
    mode = .stopped(reason)
    if interactive { lineAbandoned = true }
  }

  /// Records made in the step that stopped the model, after the one that stopped it.
  mutating func hold(_ records: ArraySlice<TraceRecord>) { held = Array(records) }

  /// Records of a loaded file: taken in after any held before them, as the model runs next.
  mutating func holdMore(_ records: [TraceRecord]) {
    if held.isEmpty { held = records } else { held += records }
  }

  mutating func takeHeld() -> [TraceRecord] {
    defer { held = [] }
    return held
  }

  var hasHeld: Bool { !held.isEmpty }

  /// A wait or advance the stop interrupted.
  mutating func keep(_ wait: CutShort) { cutShort = wait }

  // MARK: - Resuming

  /// `continue` (steps nil) or `step N`: the wait to finish, if one was cut short. The mode
  /// is `stepping` for a step.
  mutating func resume(steps: Int?) -> CutShort? {
    if let steps { mode = .stepping(left: steps) }
    defer { cutShort = nil }
    return cutShort
  }

  /// A step ends with its own run, whether its records came, a watch fired or the model went
  /// quiet.
  mutating func endStep() {
    if isStepping { mode = .running }
  }

  // MARK: - Blocks

  mutating func enterBlock(_ block: Block) { blocks.append(block) }

  /// Leaves the innermost block; true when it was a do block that ran `stop`.
  mutating func exitBlock() -> Bool {
    blocks.removeLast() == .watchDo(stopRequested: true)
  }

  /// `stop` in a block: allowed in a watch's do block only.
  mutating func requestStop() -> Bool {
    guard case .watchDo? = blocks.last else { return false }
    blocks[blocks.count - 1] = .watchDo(stopRequested: true)
    return true
  }

  // MARK: - Reports

  /// A runtime error in a serve or do block, or in the live filter: the first one is
  /// reported when the running command returns.
  mutating func report(_ error: ScriptError) {
    if blockError == nil { blockError = error }
  }

  mutating func takeBlockError() -> ScriptError? {
    defer { blockError = nil }
    return blockError
  }

  mutating func takeInterruptReport() -> Bool {
    defer { interruptUnreported = false }
    return interruptUnreported
  }

  // MARK: - Input lines

  var abandonsLine: Bool { lineAbandoned }

  mutating func lineStarts() { lineAbandoned = false }
}
