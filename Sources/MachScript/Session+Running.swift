import MachModel
import MachTrace

// Running the model for commands: waiting in virtual time, pending operations and their
// completion lines, servers, and draining the trace ports the shell holds.

extension Session {
  /// Issues an operation on thread `t` and waits for it as language.md §5 says: the model runs
  /// other threads and servers, and fires timers due no later than `deadline` (a command with
  /// no timeout never lets time pass). Returns the finished value, or a pending handle (with
  /// `rc` set to MACH_SEND_IN_PROGRESS / MACH_RCV_IN_PROGRESS) when the model can go no
  /// further. `background` (a trailing `&`) returns the handle without waiting.
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
    if !background && blockDepth == 0 {
      pump()
      while !stopped && kernel.threads[Int(t)].state != .idle && kernel.threads[Int(t)].state != .terminated {
        guard let due = deadline, let next = kernel.nextDeadline(), next <= due else { break }
        kernel.fireNextTimer()
        pump()
      }
      // A watch may stop the model after the operation completed: it returns its result.
      if kernel.threads[Int(t)].state == .idle {
        _ = kernel.takeCompletions { $0 == t }  // left there when a watch stopped the model: the result is read here
        setRC(kernel.threads[Int(t)].result, machMsg: true)
        return finish(self, kernel.threads[Int(t)].result)
      }
    }
    let handle = PendingHandle(thread: t, command: command, finish: finish)
    pendings.append(handle)
    setRC(code, machMsg: true)
    return .pending(handle)
  }

  /// Runs the model until no thread can run without time passing, or a watch stops it:
  /// completions of pending operations print `[TASK.N] COMMAND -> VALUE`, servers handle what
  /// they received, and trace copies enter the buffer, each matched against the watches. The
  /// model runs one thread step at a time so that it stops after the step that made a
  /// matching record (details.md §7). Inside a block it does nothing (details.md §6).
  /// A pump inside a pump (a completion that destroys a handed-back message runs the model
  /// on) neither ends a stop nor runs a stopped model.
  func pump() {
    guard blockDepth == 0 else { return }
    if pumpDepth > 0 && stopped { return }
    pumpDepth += 1
    defer { pumpDepth -= 1 }
    if pumpDepth == 1 { stopped = false }
    drainTrace()
    outer: while !stopped {
      while kernel.step() {
        drainTrace()
        if stopped { break outer }
        if interpreter.interruptRequested() {
          interruptedByUser()
          break outer
        }
      }
      let completions = kernel.takeCompletions()
      if completions.isEmpty { break }
      for c in completions {
        if servers[c.thread] != nil {
          serve(c.thread, received: c.result)
        } else if let handle = pendings.first(where: { !$0.isDone && $0.thread == c.thread }) {
          complete(handle, c.result)
        }
      }
      drainTrace()
    }
    if stopped {
      // The model stops, but operations that already ended are done: their handles complete
      // (servers handle what they received when the model runs again).
      let waiting = Set(pendings.filter { !$0.isDone }.map(\.thread))
      for c in kernel.takeCompletions(where: waiting.contains) {
        if let handle = pendings.first(where: { !$0.isDone && $0.thread == c.thread }) { complete(handle, c.result) }
      }
    }
    interpreter.now = .int(Int64(kernel.now))
    // A pending operation whose thread died is done, with nil (details.md §5).
    for p in pendings where !p.isDone && kernel.threads[Int(p.thread)].state == .terminated {
      p.isDone = true
      p.value = .nil
    }
    pendings.removeAll { $0.isDone }
  }

  private func complete(_ p: PendingHandle, _ code: ReturnCode) {
    p.isDone = true
    p.rc = code
    let rc = interpreter.rc  // a later completion never writes the global rc (details.md §5)
    p.value = p.finish(self, code)
    if case .code(let c, _) = interpreter.rc { p.rc = c }
    interpreter.rc = rc
    var result = p.value.literal
    if case .code(let c, _) = p.value { result = colors.code(result, success: c == 0) }
    output.write("[\(colors.who(label(p.thread)))] \(p.command) -> \(result)\n")
  }

  /// Lets time pass up to `target`, firing timers in order and running the model after each.
  /// A stop leaves the rest for `continue` (details.md §7).
  func advance(to target: UInt64) {
    pump()
    while !stopped, let next = kernel.nextDeadline(), next <= target {
      kernel.fireNextTimer()
      pump()
    }
    if stopped {
      interrupted = .advance(to: target)
      return
    }
    kernel.advance(by: target - kernel.now)
    pump()
    if stopped { interrupted = .advance(to: target) }
  }

  /// Runs and lets time pass until no timer is left, or `until` holds. A stop leaves the rest
  /// for `continue`.
  func waitUntilQuiet(until done: @escaping () -> Bool = { false }) {
    pump()
    while !stopped, !done(), kernel.nextDeadline() != nil {
      kernel.fireNextTimer()
      pump()
    }
    if stopped && !done() { interrupted = .wait(until: done) }
  }

  // MARK: - Trace

  /// Takes the copies that reached the shell's trace ports into the buffer, in `seq` order:
  /// records held by an earlier stop first. Each record is shown live when a filter asks for
  /// it, counted by `step`, and matched against the watches; after one that stops the model
  /// the rest are held. Records a do block makes are matched after the block returns.
  func drainTrace() {
    while !stopped {
      if !watches.isEmpty && interpreter.interruptRequested() {  // a do block feeding itself
        interruptedByUser()
        return
      }
      let batch: [TraceRecord]
      if !heldRecords.isEmpty {
        batch = heldRecords
        heldRecords = []
      } else {
        let log = kernel.takeTraceLog()
        if log.isEmpty { return }
        batch = decoder.records(log)
      }
      let names = TraceNames(kernel)
      for (i, record) in batch.enumerated() {
        admit(record, names: names)
        if stopped || i == batch.count - 1 { interpreter.last = recordValue(record, names: names) }
        if stopped {
          heldRecords = Array(batch[(i + 1)...])
          return
        }
      }
    }
  }

  private func admit(_ record: TraceRecord, names: TraceNames) {
    records.append(record)
    var shown = false
    var live = isInteractive && !liveOff
    if let filter = liveFilter {
      do {
        live = try filter.test(record)
      } catch {
        // Like a watch's: the live filter goes, and its error is reported at its position
        // once the running command returns (details.md §6).
        liveFilter = nil
        liveOff = true
        live = false
        if blockError == nil, let e = error as? ScriptError {
          blockError = ScriptError("\(e.message) (in the live filter, now off)", at: e.location)
        }
      }
    }
    if live {
      output.write(format.render(record, names: names, colors: colors) + "\n")
      shown = true
    }
    if let n = stepsLeft {
      if !shown { output.write(format.render(record, names: names, colors: colors) + "\n") }
      stepsLeft = n - 1
      if n == 1 {
        stepsLeft = nil
        stopHere()
      }
    }
    guard !watches.isEmpty else { return }
    for w in watches where w.enabled && !w.removed {
      check(w, record, names: names)
    }
    watches.removeAll { $0.removed }
  }

  /// Matches one record against one watch: counts the hit, skips it while `ignore` lasts,
  /// then runs the do block or stops the model.
  private func check(_ w: Watch, _ record: TraceRecord, names: TraceNames) {
    do {
      guard try w.filter.test(record) else { return }
    } catch {
      fail(w, error)
      return
    }
    w.hits += 1
    if w.ignoreLeft > 0 {
      w.ignoreLeft -= 1
      return
    }
    if w.once { remove(w) }
    guard let block = w.block else {
      announce(w, record, names: names)
      return
    }
    interpreter.last = recordValue(record, names: names)
    blockDepth += 1
    interpreter.stopAllowed = true
    interpreter.stopRequested = false
    defer {
      blockDepth -= 1
      interpreter.stopAllowed = false
    }
    do {
      try interpreter.runBlock(block, with: ["msg": recordValue(record, names: names)])
    } catch {
      fail(w, error)
      return
    }
    if interpreter.stopRequested { announce(w, record, names: names) }
  }

  /// A runtime error in a watch's filter or block: the watch is removed, and the error is
  /// reported at its position once the running command returns (details.md §6).
  private func fail(_ w: Watch, _ error: Error) {
    remove(w)
    if blockError == nil, let e = error as? ScriptError { blockError = e }
  }

  private func announce(_ w: Watch, _ record: TraceRecord, names: TraceNames) {
    output.write("watch \(w.id) hit: \(TraceFormat.rpctrace.render(record, names: names, colors: colors))\n")
    stopHere()
  }

  /// Stops the model after the current record. At the prompt the rest of the line is
  /// abandoned.
  func stopHere() {
    stopped = true
    if isInteractive { interpreter.abandonLine = true }
  }

  /// Ctrl-C while the model runs: it stops as at a watch (so `continue` resumes it), and
  /// the command reports "interrupted" when it returns.
  func interruptedByUser() {
    userInterrupted = true
    stopped = true
  }

  func remove(_ w: Watch) {
    w.removed = true
    w.enabled = false
  }

  func recordValue(_ r: TraceRecord) -> Value { recordValue(r, names: TraceNames(kernel)) }

  func recordValue(_ r: TraceRecord, names: TraceNames) -> Value {
    .record(r, line: TraceFormat.rpctrace.render(r, names: names))
  }

  /// A record's fields as the language sees them (language.md §6, details.md §8).
  func recordFields(_ r: TraceRecord, withBody: Bool = false) -> [String: Value] {
    var fields: [String: Value] = [
      "seq": r.seq.map { .int(Int64($0)) } ?? .nil,
      "time": .int(Int64(r.time)),
      "task": taskValue(r.task),
      "thread": r.thread.map(threadValue) ?? .nil,
      "dir": .string(r.direction == .send ? "send" : "receive"),
      "type": .string(r.kind.name),
      "retval": .code(r.retval, fromMachMsg: true),
      "code": r.code.map { .code($0, fromMachMsg: false) } ?? .nil,
      "msgid": .int(Int64(r.msgid)),
      "routine": .string(r.routine),
      "dest": .int(Int64(r.dest)),
      "reply": .int(Int64(r.reply)),
      "size": .int(Int64(r.size)),
      "complex": .bool(r.complex),
      "ool": .int(Int64(r.ool)),
      "rights": .int(Int64(r.rights)),
      "answers": r.answers.map { .int(Int64($0)) } ?? .nil,
    ]
    if withBody { fields["body"] = .list(r.body.map { itemValue($0, in: r.task) }) }
    return fields
  }

  /// Compiles a filter when its command runs (details.md §7, §9).
  func compileFilter(_ e: Expr) throws -> Filter { try FilterCompiler(session: self).compile(e) }
}
