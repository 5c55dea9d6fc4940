// Exceptions (`kern/exception.c`, docs/gnumach.md §5): exception_raise to the thread's
// exception port, then the task's, then task_terminate; the raising thread waits for each
// reply on a port the kernel receives on.

/// An exception being delivered for a thread.
struct PendingException: Sendable {
  var exception: Int32
  var code: Int32
  var subcode: Int32
  /// The handler being tried: the thread's exception port, then the task's.
  var triedTaskPort: Bool
  /// The code the last reply carried (MIG_REPLY_MISMATCH for a malformed reply).
  var replyCode: ReturnCode = 0
  /// The reply came while the thread still waited to queue its exception copy.
  var replyArrived = false
  /// The reply as the kernel received it, for the faulting task's trace port (T13).
  var replyBytes: [UInt8]? = nil
  /// thread_abort destroyed the reply port while the thread waited (`mach_msg_abort_rpc`).
  var abandoned = false
}

extension Kernel {
  /// Raises `exception` in thread `t`, as the kernel does on a fault: exception_raise goes to
  /// the thread's exception port, else the task's, and the thread waits for the reply.
  /// Returns KERN_SUCCESS when a handler answered with success, KERN_TERMINATED when no
  /// handler accepted and the task was terminated, or MACH_RCV_IN_PROGRESS while the thread
  /// waits (the final code then arrives in `completions`). A thread that is not idle gets
  /// KERN_FAILURE.
  public mutating func raiseException(_ t: ThreadIndex, exception: Int32, code: Int32, subcode: Int32) -> ReturnCode {
    guard t >= 0, Int(t) < threads.count, threads[Int(t)].state == .idle, tasks[Int(threads[Int(t)].task)].isActive
    else { return KernReturn.failure }
    threads[Int(t)].completesAsynchronously = false
    threads[Int(t)].pendingException = PendingException(
      exception: exception, code: code, subcode: subcode, triedTaskPort: false)
    let result = tryExceptionHandler(t, from: 0)
    if result == MachMsgReturn.rcvInProgress { threads[Int(t)].completesAsynchronously = true }
    return result
  }

  /// Sends exception_raise to the next handler from `stage` on (0: the thread's exception
  /// port, 1: the task's), skipping null or dead slots; with no handler left
  /// (`exception_no_server`), terminates the task and answers KERN_TERMINATED.
  private mutating func tryExceptionHandler(_ t: ThreadIndex, from stage: Int) -> ReturnCode {
    let task = threads[Int(t)].task
    for s in stage..<2 {
      let port =
        s == 1
        ? tasks[Int(task)].specialPorts[Int(SpecialPort.taskException)]
        : threads[Int(t)].specialPorts[Int(SpecialPort.threadException)]
      guard port >= 0 && objects[Int(port)].isActive else { continue }
      threads[Int(t)].pendingException!.triedTaskPort = s == 1
      guard sendExceptionRaise(t, to: port) else {
        // No port left to wait for the reply on: the exception cannot be delivered.
        threads[Int(t)].pendingException = nil
        return finish(t, KernReturn.resourceShortage)
      }
      return MachMsgReturn.rcvInProgress
    }
    threads[Int(t)].pendingException = nil
    threads[Int(t)].state = .idle
    threads[Int(t)].result = KernReturn.terminated
    if threads[Int(t)].completesAsynchronously {
      completions.append(Completion(thread: t, result: KernReturn.terminated))
    }
    terminateTask(task)
    return KernReturn.terminated
  }

  /// Builds exception_raise (2400) in kernel form and sends it with MACH_SEND_ALWAYS:
  /// MACH_MSGH_BITS(PORT_SEND, PORT_SEND_ONCE) | COMPLEX, the reply right a send-once right
  /// to the thread's kernel reply port, the body thread, task, exception, code, subcode.
  /// A handler already waiting on the port gets it directly with seqno 0, leaving the port's
  /// seqno and count alone (the fast path of `exception_raise`, §2.6).
  private mutating func sendExceptionRaise(_ t: ThreadIndex, to port: ObjectIndex) -> Bool {
    let task = threads[Int(t)].task
    guard let reply = exceptionReplyPort(t), let k = allocKMsg(budgeted: false) else { return false }
    let e = threads[Int(t)].pendingException!
    objects[Int(port)].sendRights += 1
    objects[Int(reply)].sendOnceRights += 1
    let threadRight = copyKernelSendRight(threads[Int(t)].specialPorts[Int(SpecialPort.threadKernel)])
    let taskRight = copyKernelSendRight(tasks[Int(task)].specialPorts[Int(SpecialPort.taskKernel)])
    var bytes: [UInt8] = []
    bytes.appendWord(MsgHeader.bits(remote: MsgType.portSend, local: MsgType.portSendOnce, complex: true))
    bytes.appendWord(64)
    bytes.appendWord(Self.address(of: port))
    bytes.appendWord(Self.address(of: reply))
    bytes.appendWord(0)
    bytes.appendWord(2400)
    for right in [threadRight, taskRight] {
      bytes.appendWord(0x1001_2011)
      bytes.appendWord(right >= 0 ? Self.address(of: right) : MachPort.null)
    }
    for v in [e.exception, e.code, e.subcode] {
      bytes.appendWord(0x1001_2002)
      bytes.appendWord(UInt32(bitPattern: v))
    }
    kmsgs[Int(k)].bytes = bytes
    threads[Int(t)].state = .blockedInException
    threads[Int(t)].pendingException!.replyArrived = false
    deliverExceptionRaise(k, to: port)
    // T13: the faulting task's trace port sees exception_raise go out; the thread waits for
    // room there if it must (T9).
    let kind: TraceMessage.Kind = e.triedTaskPort ? .taskException : .threadException
    _ = kernelCopy(
      task: task, thread: t, direction: .send, kind: kind, bytes: bytes, length: bytes.count, waiter: t,
      then: .exceptionSent)
    return true
  }

  private mutating func deliverExceptionRaise(_ k: Int32, to port: ObjectIndex) {
    // exception_raise's fast path takes the first receiver waiting on the port's queue, which
    // is its set's queue when the port is in a set; the message is uncounted and has seqno 0,
    // so neither the port's count nor its sequence number moves.
    let queue = queueOwner(port)
    if case .task = objects[Int(port)].receiver, let handler = popThread(.receivers, of: queue) {
      // A receiver that asked for MACH_RCV_NOTIFY, or whose buffer is too small, is left to
      // the slow path.
      if UInt32(64) <= threads[Int(handler)].waitSize && !threads[Int(handler)].call.options.contains(.receiveNotify) {
        cancelTimer(handler)
        kmsgs[Int(k)].isExceptionHandOff = true
        threads[Int(handler)].kmsg = k
        threads[Int(handler)].seqno = 0
        threads[Int(handler)].waitResult = MachMsgReturn.success
        makeRunnable(handler)
        return
      }
      pushThreadFirst(handler, on: .receivers, of: queue)
    }
    deliverFromKernel(k)
  }

  /// The port on which thread `t` waits for exception replies (`ith_rpc_reply`), made on
  /// first use; the kernel receives on it. nil when no port can be made.
  private mutating func exceptionReplyPort(_ t: ThreadIndex) -> ObjectIndex? {
    if threads[Int(t)].exceptionReplyPort >= 0 { return threads[Int(t)].exceptionReplyPort }
    guard let o = newObject(isSet: false, receiver: .kernel) else { return nil }
    objects[Int(o)].kernelObject = .exceptionReply(t)
    threads[Int(t)].exceptionReplyPort = o
    return o
  }

  /// A message reached thread `t`'s exception reply port: judged as `exception_parse_reply`
  /// does (bits exactly MACH_MSGH_BITS(PORT_SEND_ONCE, 0), 32 bytes, id 2500, an INTEGER_32
  /// RetCode; anything else, a send-once notification included, is MIG_REPLY_MISMATCH),
  /// then destroyed. The thread resumes to act on it.
  mutating func takeExceptionReply(_ k: Int32, for t: ThreadIndex) {
    let bytes = kmsgs[Int(k)].bytes
    var code = MigReturn.replyMismatch
    if kmsgs[Int(k)].bits == MsgHeader.bits(remote: MsgType.portSendOnce, local: 0), kmsgs[Int(k)].size == 32,
      bytes.word(at: MsgHeader.idOffset) == 2500, bytes.word(at: 24) == 0x1001_2002
    {
      code = ReturnCode(bitPattern: bytes.word(at: 28))
    }
    let reply = destination(of: k)
    guard threads[Int(t)].pendingException != nil else {
      discardForDeadDestination(k)  // no exception in progress: nobody is listening
      return
    }
    if tracePort(of: threads[Int(t)].task) != nil {
      threads[Int(t)].pendingException!.replyBytes = Array(bytes[0..<kmsgs[Int(k)].size])
    }
    objects[Int(reply)].sendOnceRights -= 1  // the right that carried the reply is consumed
    kmsgs[Int(k)].bytes.setWord(MachPort.null, at: MsgHeader.remoteOffset)
    destroyMessage(k, reason: .consumedByKernel)
    threads[Int(t)].pendingException!.replyCode = code
    if threads[Int(t)].state == .blockedInException {
      makeRunnable(t)
    } else {
      threads[Int(t)].pendingException!.replyArrived = true
    }
  }

  /// The raising thread runs again after a reply: success resumes it; anything else moves
  /// on to the next handler (thread port, task port, then termination).
  mutating func resumeAfterExceptionReply(_ t: ThreadIndex) {
    if threads[Int(t)].pendingException!.abandoned {
      // The kernel's wait on the dead reply port ends with MACH_RCV_PORT_DIED and the thread
      // returns to user mode with no handler's answer (`exception_raise_continue_slow`).
      threads[Int(t)].pendingException = nil
      finish(t, MachMsgReturn.rcvPortDied)
      return
    }
    if let reply = threads[Int(t)].pendingException!.replyBytes {
      threads[Int(t)].pendingException!.replyBytes = nil
      let kind: TraceMessage.Kind = threads[Int(t)].pendingException!.triedTaskPort ? .taskException : .threadException
      if kernelCopy(
        task: threads[Int(t)].task, thread: t, direction: .receive, kind: kind, bytes: reply, length: reply.count,
        waiter: t, then: .exceptionReplied)
      {
        return
      }
    }
    actOnExceptionReply(t)
  }

  /// Success resumes the thread; anything else moves on to the next handler.
  mutating func actOnExceptionReply(_ t: ThreadIndex) {
    let e = threads[Int(t)].pendingException!
    if e.replyCode == KernReturn.success {
      threads[Int(t)].pendingException = nil
      finish(t, KernReturn.success)
      return
    }
    threads[Int(t)].state = .idle
    _ = tryExceptionHandler(t, from: e.triedTaskPort ? 2 : 1)
  }
}
