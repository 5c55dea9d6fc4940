// Scheduling and virtual time. One FIFO run queue: a woken thread joins the tail, and a thread
// that runs goes on until its call ends or it blocks again. Time is virtual, in microseconds,
// and passes only when the caller asks for it (`advance`, `runAdvancingTime`); timers due at
// the same instant fire in the order they were set.

extension Kernel {
  /// Puts a blocked thread on the run queue, remembering where it blocked.
  mutating func makeRunnable(_ t: ThreadIndex) {
    threads[Int(t)].resumeFrom = threads[Int(t)].state
    threads[Int(t)].state = .runnable
    threads[Int(t)].waitingOn = -1
    var q = runQueue
    link(t, at: &q)
    runQueue = q
  }

  /// Whether any thread is waiting to run.
  public var hasRunnableThreads: Bool { !runQueue.isEmpty }

  /// Runs the thread at the head of the run queue until its call ends or it blocks again.
  /// Returns false when no thread was runnable.
  @discardableResult
  public mutating func step() -> Bool {
    while true {
      var q = runQueue
      guard let t = unlinkFirst(&q) else { return false }
      runQueue = q
      if suspensions > 0 && isSuspended(t) {
        parkedThreads.append(t)  // runs again when resumed
        continue
      }
      resume(t)
      return true
    }
  }

  /// Runs threads until none is runnable, without letting time pass.
  public mutating func run() {
    while step() {}
  }

  private mutating func resume(_ t: ThreadIndex) {
    let woken = threads[Int(t)].waitResult
    switch threads[Int(t)].resumeFrom {
    case .idle:
      // A call made while the thread was suspended starts now.
      guard let call = threads[Int(t)].deferredCall else { return }
      threads[Int(t)].deferredCall = nil
      threads[Int(t)].state = .idle
      _ = start(t, call)
    case .blockedInSend:
      threads[Int(t)].state = .idle
      if woken == MachMsgReturn.sendTimedOut {
        _ = afterSendHalf(t, sendTimedOut(t))
      } else if woken == MachMsgReturn.sendInterrupted {
        _ = afterSendHalf(t, handBack(t, woken))  // thread_abort: the message comes back
      } else {
        _ = afterSendHalf(t, deliverHeldMessage(t))  // retrying: the send re-checks the queue
      }
    case .blockedInTrace:
      resumeTraceWait(t)
    case .blockedInException:
      resumeAfterExceptionReply(t)
    case .blockedInReceive:
      threads[Int(t)].state = .idle
      if woken == MachMsgReturn.success {
        let k = threads[Int(t)].kmsg
        threads[Int(t)].kmsg = -1
        uncount(k)
        _ = receiveCopyThen(t, completeReceive(t, k, seqno: threads[Int(t)].seqno))
      } else if woken == MachMsgReturn.rcvTooLarge {
        threads[Int(t)].setMessage(Self.sizeOnlyHeader(threads[Int(t)].waitSize), length: MsgHeader.size)
        _ = receiveCopyThen(t, woken)
      } else {
        finish(t, woken)
      }
    default:
      break
    }
  }

  // MARK: - Timers

  mutating func setTimer(_ t: ThreadIndex, milliseconds: UInt32) {
    let deadline = now &+ UInt64(milliseconds) &* 1000
    threads[Int(t)].timer = timers.add(deadline: deadline, thread: t)
  }

  mutating func cancelTimer(_ t: ThreadIndex) {
    guard threads[Int(t)].timer >= 0 else { return }
    threads[Int(t)].timer = -1
    staleTimers += 1
    if staleTimers > 1024 && staleTimers * 2 > timers.count {
      let live = threads
      timers.compact { live[Int($0.thread)].timer == $0.id }
      staleTimers = 0
    }
  }

  /// The deadline of the earliest pending timeout, if any.
  public mutating func nextDeadline() -> UInt64? {
    while let first = timers.earliest, threads[Int(first.thread)].timer != first.id {
      _ = timers.popEarliest()
      staleTimers = max(0, staleTimers - 1)
    }
    return timers.earliest?.deadline
  }

  /// Fires the earliest pending timeout, moving the clock to its deadline. Returns false when
  /// none is pending.
  @discardableResult
  public mutating func fireNextTimer() -> Bool {
    guard nextDeadline() != nil, let timer = timers.popEarliest() else { return false }
    let t = timer.thread
    now = max(now, timer.deadline)
    threads[Int(t)].timer = -1
    let o = threads[Int(t)].waitingOn
    switch threads[Int(t)].state {
    case .blockedInSend:
      removeThread(t, from: .senders, of: o)
      threads[Int(t)].waitResult = MachMsgReturn.sendTimedOut
      makeRunnable(t)
    case .blockedInReceive:
      removeThread(t, from: .receivers, of: o)
      threads[Int(t)].waitResult = MachMsgReturn.rcvTimedOut
      makeRunnable(t)
    default:
      break
    }
    return true
  }

  /// Lets `microseconds` of virtual time pass: timers due by then fire in order, and the
  /// model runs to quiescence after each.
  public mutating func advance(by microseconds: UInt64) {
    let target = now &+ microseconds
    run()
    while let deadline = nextDeadline(), deadline <= target {
      fireNextTimer()
      run()
    }
    now = max(now, target)
  }

  /// Runs, letting time pass, until no thread can run and no timer is left.
  public mutating func runAdvancingTime() {
    run()
    while fireNextTimer() { run() }
  }

  /// Takes the completions recorded so far.
  /// Takes the completions of the threads `which` selects, leaving the others.
  public mutating func takeCompletions(where which: (ThreadIndex) -> Bool) -> [Completion] {
    let taken = completions.filter { which($0.thread) }
    completions.removeAll { which($0.thread) }
    return taken
  }

  public mutating func takeCompletions() -> [Completion] {
    let c = completions
    completions.removeAll()
    return c
  }
}
