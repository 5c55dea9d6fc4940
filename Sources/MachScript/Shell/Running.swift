import MachModel
import MachTrace

// Running the model for commands (docs/language.md, Waiting): waiting in virtual time,
// pending operations and their completion lines, servers, and taking in the trace. When the
// model may run and when it stops is `RunState`'s.

extension Session {
  /// Issues an operation on thread `t` and waits for it: the model runs other threads and
  /// servers, and fires timers due no later than `deadline` (a command with no timeout never
  /// lets time pass). Returns the finished value, or a pending handle (with `rc` set to
  /// MACH_SEND_IN_PROGRESS / MACH_RCV_IN_PROGRESS) when the model can go no further.
  /// `background` (a trailing `&`) returns the handle without waiting.
  func perform(
    _ t: ThreadIndex, command: String, deadline: UInt64?, background: Bool,
    start: (Session) -> ReturnCode, finish: @escaping (Session, ReturnCode) -> Value
  ) -> Value {
    let code = start(self)
    let inProgress = code == MachMsgReturn.sendInProgress || code == MachMsgReturn.rcvInProgress
    if !inProgress {
      let value = finish(self, code)
      if !background { pump() }
      return value
    }
    if !background && !runState.inBlock {
      // While the model runs for this command, a do block must not take its thread: the
      // operation's result is read from the thread when it ends.
      operations.beginPerforming(t)
      defer { operations.endPerforming(t) }
      pump()
      while !runState.isHalted && kernel.threads[Int(t)].state != .idle && kernel.threads[Int(t)].state != .terminated {
        guard let due = deadline, let next = mutate({ k in k.nextDeadline() }), next <= due else { break }
        mutate { k in k.fireNextTimer() }
        pump()
      }
      // A watch may stop the model after the operation completed: it returns its result.
      if kernel.threads[Int(t)].state == .idle {
        _ = mutate { k in k.takeCompletions { $0 == t } }  // left there when a watch stopped the model
        setRC(kernel.threads[Int(t)].result, machMsg: true)
        return finish(self, kernel.threads[Int(t)].result)
      }
    }
    let handle = PendingHandle(thread: t, command: command, finish: finish)
    operations.add(handle)
    setRC(code, machMsg: true)
    return .pending(handle)
  }

  /// Runs the model until no thread can run without time passing, or it stops: completions
  /// of pending operations print `[TASK.N] COMMAND -> VALUE`, servers handle what they
  /// received, and trace copies enter the buffer, each matched against the watches. The model
  /// runs one thread step at a time, so that it stops after the step that made a matching
  /// record.
  func pump() {
    guard runState.enterPump() else { return }
    defer { runState.exitPump() }
    for t in servers.takePaused() { serveLoop(t) }
    drainTrace()
    outer: while !runState.isHalted {
      if interpreter.interruptRequested() {  // servers that never block, feeding each other
        runState.interrupt()
        break
      }
      while stepModel() {
        drainTrace()
        if runState.isHalted { break outer }
        if interpreter.interruptRequested() {
          runState.interrupt()
          break outer
        }
      }
      let completions = mutate { k in k.takeCompletions() }
      if completions.isEmpty { break }
      for c in completions {
        if servers.isServing(c.thread) {
          serve(c.thread, received: c.result)
        } else if let handle = operations.waiting(on: c.thread) {
          complete(handle, c.result)
        }
      }
      drainTrace()
    }
    if runState.isHalted {
      // The model stops, but operations that already ended are done: their handles complete
      // (servers handle what they received when the model runs again).
      let waiting = Set(operations.waiting.map(\.thread))
      for c in (mutate { k in k.takeCompletions(where: waiting.contains) }) {
        if let handle = operations.waiting(on: c.thread) { complete(handle, c.result) }
      }
    }
    interpreter.now = .int(Int64(clamping: kernel.now))
    // A pending operation whose thread died is done, with nil (docs/shell.md §5).
    for p in operations.waiting where kernel.threads[Int(p.thread)].state == .terminated {
      p.complete(value: .nil, rc: p.rc)
    }
    operations.sweep()
  }

  private func complete(_ p: PendingHandle, _ code: ReturnCode) {
    let rc = interpreter.rc  // a later completion never writes the global rc (docs/shell.md §5)
    p.complete(value: .nil, rc: code)  // done before `finish` runs the model on
    let value = p.finish(self, code)
    var finalRC = code
    if case .code(let c, _) = interpreter.rc { finalRC = c }
    p.complete(value: value, rc: finalRC)
    interpreter.rc = rc
    var result = value.literal
    if case .code(let c, _) = value { result = settings.colors.code(result, success: c == 0) }
    output.write("[\(settings.colors.who(label(p.thread)))] \(p.command) -> \(result)\n")
  }

  /// Lets time pass up to `target`, firing timers in order and running the model after each.
  /// A stop leaves the rest for `continue`.
  func advance(to target: UInt64) {
    pump()
    while !runState.isHalted, let next = mutate({ k in k.nextDeadline() }), next <= target {
      mutate { k in k.fireNextTimer() }
      pump()
    }
    if runState.isHalted {
      runState.keep(.advance(to: target))
      return
    }
    mutate { k in k.advance(by: target - k.now) }
    pump()
    if runState.isHalted { runState.keep(.advance(to: target)) }
  }

  /// Runs and lets time pass until no timer is left, or `until` holds. A stop leaves the rest
  /// for `continue`.
  func waitUntilQuiet(until done: @escaping () -> Bool = { false }) {
    pump()
    while !runState.isHalted, !done(), mutate({ k in k.nextDeadline() }) != nil {
      mutate { k in k.fireNextTimer() }
      pump()
    }
    if runState.isHalted && !done() { runState.keep(.wait(until: done)) }
  }

  /// `continue` and `step`: finishes a cut-short wait or advance, or else runs the model;
  /// with `steps`, it stops again after that many records.
  func resume(steps: Int?) {
    switch runState.resume(steps: steps) {
    case .advance(let target)?: advance(to: target)
    case .wait(let done)?: waitUntilQuiet(until: done)
    case nil: pump()
    }
    runState.endStep()
  }

  // MARK: - Trace

  /// Takes the copies that reached the shell's trace ports into the buffer, in `seq` order:
  /// records held by an earlier stop first. Each record is shown live when asked for, counted
  /// by `step`, and matched against the watches; after one that stops the model the rest are
  /// held. Records a do block makes are matched after the block returns.
  func drainTrace() {
    var fromBlocks = 0  // records made by do blocks, in this drain
    var blocksRan: [Watch] = []  // the watches whose blocks ran on the last batch
    while !runState.isHalted {
      if !intake.watches.isEmpty && interpreter.interruptRequested() {  // a do block feeding itself
        runState.interrupt()
        return
      }
      var batch = runState.takeHeld()
      if batch.isEmpty {
        live.drainTraceLog(into: &drainedLog)  // not an event: a rebuild drains its own
        if drainedLog.isEmpty { return }
        batch = intake.decode(drainedLog)
      }
      if !blocksRan.isEmpty {
        fromBlocks += batch.count
        if fromBlocks > Self.maxRecordsFromBlocks {
          stopFeedback(blocksRan)
          blocksRan = []
        }
      }
      blocksRan = []
      let names = traceNames
      if !intake.examinesRecords && !runState.isStepping && batch.allSatisfy({ $0.origin != .live }) {
        // A loaded file's records that nothing examines: into the buffer at once.
        intake.admitAll(batch)
        if let last = batch.last { interpreter.last = recordValue(last, names: names) }
        continue
      }
      for (i, record) in batch.enumerated() {
        blocksRan += admit(record, names: names)
        if runState.isHalted || i == batch.count - 1 { interpreter.last = recordValue(record, names: names) }
        if runState.isHalted {
          runState.hold(batch[(i + 1)...])
          return
        }
      }
    }
  }

  /// How many records do blocks may make, one firing another, in one run of the model before
  /// the watches that keep firing are removed (a block that sends what it watches for).
  static let maxRecordsFromBlocks = 10_000

  /// A feedback loop: the watches whose blocks made the last records are removed, with an
  /// error at the first one.
  private func stopFeedback(_ watches: [Watch]) {
    guard let first = watches.first else { return }
    for w in watches { intake.remove(w) }
    runState.report(
      ScriptError(
        "watch \(first.id)'s do block keeps making records that fire it (\(Self.maxRecordsFromBlocks) in one run): "
          + "the watch\(watches.count == 1 ? " is" : "es are") removed", at: first.location))
  }

  /// Takes one record in; returns the watches whose do block it ran.
  @discardableResult
  private func admit(_ record: TraceRecord, names: TraceNames) -> [Watch] {
    // At the prompt every live record shows as it comes; a loaded file's only through a live
    // filter or a step (a log of a million lines would otherwise scroll past).
    let (live, error) = intake.admit(record, showAll: isInteractive && record.origin == .live)
    if let error { runState.report(error) }
    if live || runState.isStepping {
      var stamp = ""
      if settings.format == .rpctrace {
        var previous = lastLiveTime
        stamp = settings.timestamps.prefix(record.time, first: intake.buffer.first?.time ?? 0, previous: &previous)
        lastLiveTime = previous
      }
      output.write(stamp + settings.format.render(record, names: names, colors: settings.colors) + "\n")
    }
    _ = runState.countStep(interactive: isInteractive)
    guard !intake.watches.isEmpty else { return [] }
    var ran: [Watch] = []
    for w in intake.activeWatches {
      switch w.match(record) {
      case .none: break
      case .failed(let e):
        if let e = e as? ScriptError { runState.report(e) }
      case .fires:
        fire(w, record, names: names)
        if w.block != nil && !ran.contains(where: { $0 === w }) { ran.append(w) }
      }
    }
    intake.sweep()
    return ran
  }

  /// A watch fired: run its do block (which may `stop`), or stop the model.
  private func fire(_ w: Watch, _ record: TraceRecord, names: TraceNames) {
    guard let block = w.block else {
      announce(w, record, names: names)
      return
    }
    interpreter.last = recordValue(record, names: names)
    runState.enterBlock(.watchDo(stopRequested: false))
    var failed = false
    do {
      try interpreter.runBlock(block, with: ["msg": recordValue(record, names: names)])
    } catch {
      failed = true
      w.remove()
      if let e = error as? ScriptError { runState.report(e) }
    }
    if runState.exitBlock() && !failed { announce(w, record, names: names) }
  }

  private func announce(_ w: Watch, _ record: TraceRecord, names: TraceNames) {
    output.write("watch \(w.id) hit: \(TraceFormat.rpctrace.render(record, names: names, colors: settings.colors))\n")
    runState.stopAtWatch(interactive: isInteractive)
  }
}
