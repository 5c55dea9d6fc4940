// Terminating threads and tasks (`thread_terminate`, `task_terminate`): a thread's mach_msg
// is abandoned, and a task's threads stop before its space is destroyed
// (docs/gnumach.md §4, "Other task and thread calls").

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
    case .blockedInTrace: removeThread(t, from: .senders, of: o)
    case .runnable:
      var q = runQueue
      _ = unlink(t, from: &q)
      runQueue = q
      parkedThreads.removeAll { $0 == t }
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
    let traceMessage = threads[Int(t)].traceKmsg
    if traceMessage >= 0 {
      threads[Int(t)].traceKmsg = -1
      destroyMessage(traceMessage, reason: .threadTerminated)
    }
    dropSendCopy(t)
    threads[Int(t)].traceContinuation = .none
    threads[Int(t)].state = .terminated
    threads[Int(t)].call = CallParameters()
    threads[Int(t)].receivePending = false
    threads[Int(t)].terminatesAtCallEnd = false
    threads[Int(t)].deferredCall = nil
    threads[Int(t)].pendingException = nil
    if threads[Int(t)].exceptionReplyPort >= 0 {
      destroyPort(threads[Int(t)].exceptionReplyPort)
      threads[Int(t)].exceptionReplyPort = -1
    }
    threads[Int(t)].waitingOn = -1
    // ipc_thread_terminate: the special ports are released, the kernel port dies.
    for slot in threads[Int(t)].specialPorts.indices {
      let o = threads[Int(t)].specialPorts[slot]
      threads[Int(t)].specialPorts[slot] = -1
      if o >= 0 { releaseSend(o) }
    }
    if threads[Int(t)].kernelPort >= 0 { destroyPort(threads[Int(t)].kernelPort) }
  }

  /// task_terminate: stops every thread of `task`, releases its special ports (the trace
  /// port first), destroys its space, then its kernel port (other holders' rights to it turn
  /// into dead names). KERN_INVALID_ARGUMENT for no task, KERN_FAILURE for a
  /// task already terminated.
  @discardableResult
  public mutating func terminateTask(_ task: TaskIndex?) -> ReturnCode {
    guard let task, task >= 0, Int(task) < tasks.count else { return KernReturn.invalidArgument }
    guard tasks[Int(task)].isActive else { return KernReturn.failure }
    tasks[Int(task)].isActive = false
    for t in tasks[Int(task)].threads { terminateThread(t) }
    for slot in [SpecialPort.taskTrace, SpecialPort.taskKernel, SpecialPort.taskException, SpecialPort.taskBootstrap] {
      let o = tasks[Int(task)].specialPorts[Int(slot)]
      tasks[Int(task)].specialPorts[Int(slot)] = -1
      if o >= 0 { releaseSend(o) }
    }
    for i in 0..<4 {
      let o = tasks[Int(task)].registeredPorts[i]
      tasks[Int(task)].registeredPorts[i] = -1
      if o >= 0 { releaseSend(o) }
    }
    // ipc_task_terminate: the space goes before the kernel port, so notifications for the
    // ports the task held come before the dead-name notification for its task port.
    destroySpace(task)
    if tasks[Int(task)].kernelPort >= 0 { destroyPort(tasks[Int(task)].kernelPort) }
    return KernReturn.success
  }
}
