// Terminating threads and tasks (`thread_terminate`, `task_terminate`): a thread's mach_msg
// is abandoned, and a task's threads stop before its space is destroyed
// (mach-semantics.md §4, "Other task and thread calls").

extension Kernel {
  /// Stops thread `t` for good. A call in progress is abandoned: the thread leaves any queue
  /// it waits in, and a message in its hands (one it was sending, or one handed to it but not
  /// yet copied out) is destroyed with its rights.
  public mutating func terminateThread(_ t: ThreadIndex) {
    guard t >= 0, Int(t) < threads.count, threads[Int(t)].state != .terminated else { return }
    cancelTimer(t)
    let o = threads[Int(t)].waitingOn
    switch threads[Int(t)].state {
    case .blockedInSend: removeThread(t, from: .senders, of: o)
    case .blockedInReceive: removeThread(t, from: .receivers, of: o)
    case .runnable:
      var q = runQueue
      _ = unlink(t, from: &q)
      runQueue = q
    default: break
    }
    let k = threads[Int(t)].kmsg
    if k >= 0 {
      threads[Int(t)].kmsg = -1
      if threads[Int(t)].state == .runnable && threads[Int(t)].resumeFrom == .blockedInReceive {
        uncount(k)
      }
      destroyMessage(k, reason: .threadTerminated)
    }
    threads[Int(t)].state = .terminated
    threads[Int(t)].call = CallParameters()
    threads[Int(t)].waitingOn = -1
  }

  /// Stops every thread of `task`, then destroys its space (`destroySpace`) and marks it
  /// terminated. A second call does nothing.
  public mutating func terminateTask(_ task: TaskIndex) {
    guard isValidTask(task) else { return }
    tasks[Int(task)].isActive = false
    for t in tasks[Int(task)].threads { terminateThread(t) }
    destroySpace(task)
  }
}
