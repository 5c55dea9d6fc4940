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
    if !background {
      pump()
      while kernel.threads[Int(t)].state != .idle && kernel.threads[Int(t)].state != .terminated {
        guard let due = deadline, let next = kernel.nextDeadline(), next <= due else { break }
        kernel.fireNextTimer()
        pump()
      }
      if kernel.threads[Int(t)].state == .idle {
        setRC(kernel.threads[Int(t)].result, machMsg: true)
        return finish(self, kernel.threads[Int(t)].result)
      }
    }
    let handle = PendingHandle(thread: t, command: command, finish: finish)
    pendings.append(handle)
    setRC(code, machMsg: true)
    return .pending(handle)
  }

  /// Runs the model until no thread can run without time passing: completions of pending
  /// operations print `[TASK.N] COMMAND -> VALUE`, servers handle what they received, and
  /// trace copies enter the buffer.
  func pump() {
    while true {
      kernel.run()
      drainTrace()
      let completions = kernel.takeCompletions()
      if completions.isEmpty { break }
      for c in completions {
        if servers[c.thread] != nil {
          serve(c.thread, received: c.result)
        } else if let handle = pendings.first(where: { !$0.isDone && $0.thread == c.thread }) {
          complete(handle, c.result)
        }
      }
    }
    drainTrace()
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
    p.value = p.finish(self, code)
    var result = p.value.literal
    if case .code(let c, _) = p.value { result = colors.code(result, success: c == 0) }
    output.write("[\(colors.who(label(p.thread)))] \(p.command) -> \(result)\n")
  }

  /// Lets `microseconds` pass, firing timers in order and running the model after each.
  func advance(by microseconds: UInt64) {
    let target = kernel.now &+ microseconds
    pump()
    while let next = kernel.nextDeadline(), next <= target {
      kernel.fireNextTimer()
      pump()
    }
    kernel.advance(by: target - kernel.now)
    pump()
  }

  /// Runs and lets time pass until no timer is left, or `until` holds.
  func waitUntilQuiet(until done: () -> Bool = { false }) {
    pump()
    while !done(), kernel.nextDeadline() != nil {
      kernel.fireNextTimer()
      pump()
    }
  }

  // MARK: - Trace

  /// Takes the copies that reached the shell's trace ports into the buffer (bounded by
  /// `traceLimit`, oldest dropped first) and shows them live when a filter asks for it.
  func drainTrace() {
    let log = kernel.takeTraceLog()
    guard !log.isEmpty else { return }
    let names = TraceNames(kernel)
    for record in decoder.records(log) {
      records.append(record)
      if records.count > traceLimit {
        records.removeFirst(records.count - traceLimit)
        droppedRecords += 1
      }
      interpreter.last = recordValue(record, names: names)
      if let filter = liveFilter, (try? matches(record, filter)) == true {
        output.write(format.render(record, names: names, colors: colors) + "\n")
      }
    }
  }

  func recordValue(_ r: TraceRecord) -> Value { recordValue(r, names: TraceNames(kernel)) }

  func recordValue(_ r: TraceRecord, names: TraceNames) -> Value {
    .record(r, line: TraceFormat.rpctrace.render(r, names: names))
  }

  /// A record's fields as the language sees them (language.md §6, details.md §8).
  func recordFields(_ r: TraceRecord) -> [String: Value] {
    [
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
  }

  /// Whether `record` passes `filter`, whose bare names are the record's fields.
  func matches(_ record: TraceRecord, _ filter: Expr) throws -> Bool {
    let v = try interpreter.evaluate(filter, with: recordFields(record))
    guard let b = v.bool else { throw ScriptError("a filter must be a bool, not \(v.kindWithArticle)", at: filter.location) }
    return b
  }
}
