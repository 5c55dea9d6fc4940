// Task and thread calls as the kernel serves them (`kern/ipc_tt.c`, `kern/task.c`,
// `kern/thread.c`): special ports, suspension (docs/gnumach.md §4).

extension Kernel {
  /// task_get_special_port: a copy of the send right in `slot` (-1 for a null slot).
  /// KERN_INVALID_ARGUMENT for a bad slot or no task, KERN_FAILURE for a dying task.
  public mutating func taskGetSpecialPort(_ task: TaskIndex?, slot: Int32) -> (ReturnCode, ObjectIndex) {
    guard let task, task >= 0, Int(task) < tasks.count else { return (KernReturn.invalidArgument, -1) }
    guard
      [SpecialPort.taskKernel, SpecialPort.taskException, SpecialPort.taskBootstrap, SpecialPort.taskTrace].contains(
        slot)
    else { return (KernReturn.invalidArgument, -1) }
    guard tasks[Int(task)].isActive else { return (KernReturn.failure, -1) }
    return (KernReturn.success, copyKernelSendRight(tasks[Int(task)].specialPorts[Int(slot)]))
  }

  /// task_set_special_port: `right` (a send right the kernel now holds, or -1) replaces the
  /// slot's right, which is released. On error the right stays with the caller.
  public mutating func taskSetSpecialPort(_ task: TaskIndex?, slot: Int32, right: ObjectIndex) -> ReturnCode {
    guard let task, task >= 0, Int(task) < tasks.count else { return KernReturn.invalidArgument }
    guard
      [SpecialPort.taskKernel, SpecialPort.taskException, SpecialPort.taskBootstrap, SpecialPort.taskTrace].contains(
        slot)
    else { return KernReturn.invalidArgument }
    guard tasks[Int(task)].isActive else { return KernReturn.failure }
    let old = tasks[Int(task)].specialPorts[Int(slot)]
    tasks[Int(task)].specialPorts[Int(slot)] = right
    if old >= 0 { releaseSend(old) }
    return KernReturn.success
  }

  /// thread_get_special_port (THREAD_KERNEL_PORT 1, THREAD_EXCEPTION_PORT 3).
  public mutating func threadGetSpecialPort(_ thread: ThreadIndex?, slot: Int32) -> (ReturnCode, ObjectIndex) {
    guard let thread, thread >= 0, Int(thread) < threads.count else { return (KernReturn.invalidArgument, -1) }
    guard slot == SpecialPort.threadKernel || slot == SpecialPort.threadException else {
      return (KernReturn.invalidArgument, -1)
    }
    guard threads[Int(thread)].state != .terminated else { return (KernReturn.failure, -1) }
    return (KernReturn.success, copyKernelSendRight(threads[Int(thread)].specialPorts[Int(slot)]))
  }

  /// thread_set_special_port.
  public mutating func threadSetSpecialPort(_ thread: ThreadIndex?, slot: Int32, right: ObjectIndex) -> ReturnCode {
    guard let thread, thread >= 0, Int(thread) < threads.count else { return KernReturn.invalidArgument }
    guard slot == SpecialPort.threadKernel || slot == SpecialPort.threadException else {
      return KernReturn.invalidArgument
    }
    guard threads[Int(thread)].state != .terminated else { return KernReturn.failure }
    let old = threads[Int(thread)].specialPorts[Int(slot)]
    threads[Int(thread)].specialPorts[Int(slot)] = right
    if old >= 0 { releaseSend(old) }
    return KernReturn.success
  }

  // MARK: - Suspension

  /// Whether thread `t` may run: neither it nor its task is suspended.
  @inline(__always)  // called from mutating code: a call would copy the whole kernel
  func isSuspended(_ t: ThreadIndex) -> Bool {
    threads[Int(t)].suspendCount > 0 || tasks[Int(threads[Int(t)].task)].suspendCount > 0
  }

  /// task_suspend: one more stop; the task's threads stop at their next step.
  public mutating func taskSuspend(_ task: TaskIndex?) -> ReturnCode {
    guard let task, isValidTask(task) else { return KernReturn.invalidArgument }
    tasks[Int(task)].suspendCount += 1
    if tasks[Int(task)].suspendCount == 1 { suspensions += 1 }
    return KernReturn.success
  }

  /// task_resume: one stop fewer (KERN_FAILURE when not suspended); at zero the task's
  /// threads go on.
  public mutating func taskResume(_ task: TaskIndex?) -> ReturnCode {
    guard let task, isValidTask(task) else { return KernReturn.invalidArgument }
    guard tasks[Int(task)].suspendCount > 0 else { return KernReturn.failure }
    tasks[Int(task)].suspendCount -= 1
    if tasks[Int(task)].suspendCount == 0 { suspensions -= 1 }
    unparkRunnableThreads()
    return KernReturn.success
  }

  public mutating func threadSuspend(_ thread: ThreadIndex?) -> ReturnCode {
    guard let thread, thread >= 0, Int(thread) < threads.count, threads[Int(thread)].state != .terminated
    else { return KernReturn.invalidArgument }
    threads[Int(thread)].suspendCount += 1
    if threads[Int(thread)].suspendCount == 1 { suspensions += 1 }
    return KernReturn.success
  }

  /// thread_resume: KERN_FAILURE when the thread is not suspended.
  public mutating func threadResume(_ thread: ThreadIndex?) -> ReturnCode {
    guard let thread, thread >= 0, Int(thread) < threads.count, threads[Int(thread)].state != .terminated
    else { return KernReturn.invalidArgument }
    guard threads[Int(thread)].suspendCount > 0 else { return KernReturn.failure }
    threads[Int(thread)].suspendCount -= 1
    if threads[Int(thread)].suspendCount == 0 { suspensions -= 1 }
    unparkRunnableThreads()
    return KernReturn.success
  }

  /// thread_abort (2064; `kern/thread.c`, docs/gnumach.md §4): takes `thread` out of the
  /// wait it is in, at a clean point. A blocked send ends with MACH_SEND_INTERRUPTED and the
  /// message handed back (`ipc_mqueue_send`, §2.4); a blocked receive ends with
  /// MACH_RCV_INTERRUPTED; a wait for an exception reply ends because `mach_msg_abort_rpc`
  /// destroys the kernel's reply port: the thread resumes without an answer
  /// (MACH_RCV_PORT_DIED, §5). A thread that waits for nothing is left alone. The thread
  /// finishes its call when it next runs (a suspended thread, once resumed).
  /// KERN_INVALID_ARGUMENT for no thread or for the calling thread itself. KERN_ABORTED when
  /// the thread waits for room on its task's trace port: that wait is not a clean point,
  /// since leaving it would lose a copy (docs/trace.md T9; decision in docs/model.md).
  public mutating func threadAbort(_ thread: ThreadIndex?, caller: ThreadIndex = -1) -> ReturnCode {
    guard let thread, thread >= 0, Int(thread) < threads.count, threads[Int(thread)].state != .terminated,
      thread != caller
    else { return KernReturn.invalidArgument }
    let o = threads[Int(thread)].waitingOn
    switch threads[Int(thread)].state {
    case .blockedInSend:
      cancelTimer(thread)
      removeThread(thread, from: .senders, of: o)
      threads[Int(thread)].waitResult = MachMsgReturn.sendInterrupted
      makeRunnable(thread)
    case .blockedInReceive:
      cancelTimer(thread)
      removeThread(thread, from: .receivers, of: o)
      threads[Int(thread)].waitResult = MachMsgReturn.rcvInterrupted
      makeRunnable(thread)
    case .blockedInException:
      let reply = threads[Int(thread)].exceptionReplyPort
      threads[Int(thread)].exceptionReplyPort = -1
      if reply >= 0 { destroyPort(reply) }
      threads[Int(thread)].pendingException?.abandoned = true
      makeRunnable(thread)
    case .blockedInTrace:
      return KernReturn.aborted
    case .idle, .runnable, .terminated:
      break
    }
    return KernReturn.success
  }

  /// Runnable threads that were set aside while suspended rejoin the run queue, in the order
  /// they were set aside.
  mutating func unparkRunnableThreads() {
    var still: [ThreadIndex] = []
    for t in parkedThreads {
      if isSuspended(t) {
        still.append(t)
      } else {
        var q = runQueue
        link(t, at: &q)
        runQueue = q
      }
    }
    parkedThreads = still
  }

  /// The send rights the kernel holds in special-port slots, per object (for the invariants).
  func kernelHeldSendRights() -> [Int: UInt32] {
    var held: [Int: UInt32] = [:]
    for task in tasks where task.isActive {
      for o in Array(task.specialPorts) + task.registeredPorts where o >= 0 { held[Int(o), default: 0] += 1 }
    }
    for thread in threads where thread.state != .terminated {
      for o in thread.specialPorts where o >= 0 { held[Int(o), default: 0] += 1 }
    }
    return held
  }
}

extension Kernel {
  /// What glibc's start-up does for a new task: a send right to its own task port in its
  /// space (`mach_task_self()`), name 1 in a fresh task. Returns the name.
  public mutating func giveTaskSelfName(_ task: TaskIndex) -> PortName {
    let right = copyKernelSendRight(tasks[Int(task)].specialPorts[Int(SpecialPort.taskKernel)])
    return copyoutKernelRight(task, right, carriedType: MsgType.portSend)
  }

  /// A thread's own kernel port in its task's space (`mach_thread_self()`).
  public mutating func giveThreadSelfName(_ thread: ThreadIndex) -> PortName {
    let right = copyKernelSendRight(threads[Int(thread)].specialPorts[Int(SpecialPort.threadKernel)])
    return copyoutKernelRight(threads[Int(thread)].task, right, carriedType: MsgType.portSend)
  }
}
