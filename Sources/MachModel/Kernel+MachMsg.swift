// mach_msg for a thread: the send half (`mach_msg_send`, `ipc_kmsg_get`, `ipc_mqueue_send`),
// the receive half (`mach_msg_receive`, `ipc_mqueue_receive`), and their continuations after
// blocking (docs/gnumach.md §2).

extension Kernel {
  /// Performs mach_msg for thread `t`. Returns the call's code when it completes at once, or
  /// MACH_SEND_IN_PROGRESS / MACH_RCV_IN_PROGRESS when the thread blocks; the final code then
  /// arrives in `completions` (and `thread(t).result`) when a later step completes it.
  /// The received message, a too-large header, or a failed send handed back is left in
  /// `thread(t).message`. A thread that is not idle gets KERN_FAILURE and nothing changes.
  ///
  /// A suspended thread (or a thread of a suspended task) makes the call when it resumes:
  /// until then the call is in progress.
  public mutating func machMsg(_ t: ThreadIndex, _ call: MachMsgCall) -> ReturnCode {
    guard t >= 0, Int(t) < threads.count, threads[Int(t)].state == .idle,
      tasks[Int(threads[Int(t)].task)].isActive
    else { return KernReturn.failure }
    threads[Int(t)].messageLength = 0
    threads[Int(t)].completesAsynchronously = false
    if suspensions > 0 && isSuspended(t) {
      threads[Int(t)].deferredCall = call
      threads[Int(t)].state = .runnable
      threads[Int(t)].resumeFrom = .idle
      threads[Int(t)].completesAsynchronously = true
      parkedThreads.append(t)
      return call.options.contains(.send) ? MachMsgReturn.sendInProgress : MachMsgReturn.rcvInProgress
    }
    return start(t, call)
  }

  /// mach_msg proper, for a thread that is running.
  @inline(__always)
  mutating func start(_ t: ThreadIndex, _ call: MachMsgCall) -> ReturnCode {
    if !call.options.contains(.send) && !call.options.contains(.receive) {
      return finish(t, MachMsgReturn.success)  // MACH_MSG_OPTION_NONE: the null trap
    }
    threads[Int(t)].call = CallParameters(call)
    threads[Int(t)].receivePending = call.options.contains(.receive)
    if call.options.contains(.send) {
      return afterSendHalf(t, sendHalf(t, call.message, size: call.sendSize))
    }
    return continueAfterSend(t)
  }

  /// Where the send half stopped: blocked on a full queue, at a kernel port (served once the
  /// sender's copy is queued, D3), or done with a code. The send's trace copy goes out here.
  mutating func afterSendHalf(_ t: ThreadIndex, _ code: ReturnCode) -> ReturnCode {
    if code == MachMsgReturn.sendInProgress {
      parkSendCopy(t)
      return block(t, .blockedInSend)
    }
    if code == Self.toKernel { return sendCopyThen(t, retval: MachMsgReturn.success, .serveHeld) }
    if traceLog.pendingThread == t {  // the traced common case: the copy is completed where it lies
      completeSendCopyInLog(retval: code)
    } else if threads[Int(t)].hasSnapshotCopy {
      return sendCopyThen(t, retval: code, .sendDone(code))
    }
    return code == MachMsgReturn.success ? continueAfterSend(t) : finish(t, code)
  }

  /// Copies kernel message `k`'s first `length` bytes into thread `t`'s message (the copy-out
  /// into the receiver's buffer). The buffer is moved out of its table and back rather than
  /// read in place, which from a mutating method would retain and release it.
  @inline(__always)
  mutating func handToThread(_ t: ThreadIndex, kmsg k: Int32, length: Int) {
    var bytes: [UInt8] = []
    swap(&bytes, &kmsgs[Int(k)].bytes)
    threads[Int(t)].setMessage(bytes, length: length)
    swap(&bytes, &kmsgs[Int(k)].bytes)
  }

  /// Internal: the message in the thread's hands goes to a kernel port.
  static let toKernel: ReturnCode = -1

  /// Runs the receive half, if the call has one, and finishes the call unless it blocks.
  mutating func continueAfterSend(_ t: ThreadIndex) -> ReturnCode {
    guard threads[Int(t)].receivePending else { return finish(t, MachMsgReturn.success) }
    threads[Int(t)].receivePending = false
    let code: ReturnCode
    if let direct = directReply, direct.thread == t {  // the kernel's reply, past the queue
      directReply = nil
      code = completeReceive(t, direct.kmsg, seqno: direct.seqno)
    } else {
      code = receiveHalf(t)
    }
    if code == MachMsgReturn.rcvInProgress { return block(t, .blockedInReceive) }
    if tasks[Int(threads[Int(t)].task)].specialPorts[Int(SpecialPort.taskTrace)] < 0 { return finish(t, code) }
    return receiveCopyThen(t, code)
  }

  private mutating func block(_ t: ThreadIndex, _ state: ThreadRunState) -> ReturnCode {
    threads[Int(t)].state = state
    threads[Int(t)].completesAsynchronously = true
    // A thread that terminated itself in this call is gone rather than waiting: nothing will
    // ever run it again to finish the call.
    if threads[Int(t)].terminatesAtCallEnd { terminateThread(t) }
    return state == .blockedInSend ? MachMsgReturn.sendInProgress : MachMsgReturn.rcvInProgress
  }

  /// Ends the call with `code`; a call that blocked on the way reports in `completions`. A
  /// thread that terminated itself in the call terminates now; one terminated during it (its
  /// task terminated by the call) stays so.
  @discardableResult
  @inline(__always)  // on every call's path; the rare endings are out of line
  mutating func finish(_ t: ThreadIndex, _ code: ReturnCode) -> ReturnCode {
    if threads[Int(t)].state == .terminated || threads[Int(t)].terminatesAtCallEnd {
      return finishTerminated(t, code)
    }
    threads[Int(t)].state = .idle
    threads[Int(t)].result = code
    threads[Int(t)].call = CallParameters()
    threads[Int(t)].receivePending = false
    if threads[Int(t)].completesAsynchronously {
      completions.append(Completion(thread: t, result: code))
    }
    return code
  }

  /// `finish` for a thread terminated during its call (its task terminated by the call), or
  /// terminating at its end (thread_terminate on itself).
  @inline(never)
  private mutating func finishTerminated(_ t: ThreadIndex, _ code: ReturnCode) -> ReturnCode {
    threads[Int(t)].result = code
    threads[Int(t)].call = CallParameters()
    threads[Int(t)].receivePending = false
    if threads[Int(t)].completesAsynchronously {
      completions.append(Completion(thread: t, result: code))
    }
    if threads[Int(t)].state != .terminated {
      threads[Int(t)].state = .idle  // its call is over: terminateThread has no queue to take it from
      terminateThread(t)
    }
    return code
  }

  // MARK: - Send

  /// The send half up to the queue: `ipc_kmsg_get`, copy-in, then delivery. Returns
  /// MACH_SEND_IN_PROGRESS when the thread must block with the message in its hands.
  mutating func sendHalf(_ t: ThreadIndex, _ message: [UInt8], size sendSize: UInt32) -> ReturnCode {
    let task = threads[Int(t)].task
    let size = Int(sendSize)
    guard size >= MsgHeader.size, size % 4 == 0 else { return MachMsgReturn.sendMsgTooSmall }
    guard size <= message.count else { return MachMsgReturn.sendInvalidData }
    guard size <= maxMessageBytes, let k = allocKMsg(budgeted: true) else { return MachMsgReturn.sendNoBuffer }
    kmsgs[Int(k)].bytes.overwritePrefix(with: message, length: size)
    kmsgs[Int(k)].bytes.setWord(UInt32(size), at: MsgHeader.sizeOffset)
    kmsgs[Int(k)].sender = task
    // T3/T8: the copy is of the kernel's message, whose msgh_size `ipc_kmsg_get` has just set.
    let tracePort = tasks[Int(task)].specialPorts[Int(SpecialPort.taskTrace)]
    if tracePort >= 0 {
      takeSendCopy(t, task: task, port: tracePort, kmsg: k, length: size)
    }

    // Only MACH_SEND_CANCEL hands `notify` to copy-in (`mach_msg_send`); MACH_SEND_NOTIFY
    // reads it only if the send would block (`registerMsgAccepted`).
    var cancel = MachPort.null
    if threads[Int(t)].call.options.contains(.sendCancel) {
      cancel = threads[Int(t)].call.notify
      guard cancel != MachPort.null else {
        freeKMsgBuffer(k)
        return MachMsgReturn.sendInvalidNotify
      }
    }
    let header = copyinHeader(k, from: task, notify: cancel)
    guard header == MachMsgReturn.success else {
      freeKMsgBuffer(k)
      return header
    }
    let (body, copiedUpTo) = copyinBody(k, from: task)
    guard body == MachMsgReturn.success else {
      destroyPartial(k, copiedUpTo: copiedUpTo)
      if body == MachMsgReturn.sendMsgTooSmall { dropSendCopy(t) }  // T7: no copy
      return body
    }
    threads[Int(t)].kmsg = k
    return deliverHeldMessage(t)
  }

  /// `ipc_mqueue_send` for the message in `t`'s hands: to a dead port it is destroyed and the
  /// send succeeds; a full queue blocks the sender unless the destination is a send-once
  /// right; MACH_SEND_TIMEOUT bounds the wait; MACH_SEND_NOTIFY force-queues instead.
  mutating func deliverHeldMessage(_ t: ThreadIndex) -> ReturnCode {
    let k = threads[Int(t)].kmsg
    let o = destination(of: k)
    if traceLog.pendingThread == t { traceLog.setPendingPeer(receiverPeer(o)) }
    let options = threads[Int(t)].call.options
    if !objects[Int(o)].isActive {
      threads[Int(t)].kmsg = -1
      discardForDeadDestination(k)
      return MachMsgReturn.success
    }
    if case .kernel = objects[Int(o)].receiver {
      // Kernel ports have no queue and no limit: the kernel takes the message once the
      // sender's trace copy is out (D3).
      return Self.toKernel
    }
    let sendOnce = MsgHeader.remote(kmsgs[Int(k)].bits) == MsgType.portSendOnce
    // MACH_SEND_ALWAYS from a user is ignored: `mach_msg_send` passes `ipc_mqueue_send` only
    // `option & MACH_SEND_TIMEOUT`. The kernel's own messages never come this way.
    if objects[Int(o)].messageCount < objects[Int(o)].qlimit || sendOnce {
      threads[Int(t)].kmsg = -1
      if kmsgs[Int(k)].bits & MsgHeader.circularBit != 0 {
        destroyMessage(k, reason: .circular)  // "don't allow the creation of a circular loop"
      } else {
        enqueue(k, on: o)
      }
      return MachMsgReturn.success
    }
    // The queue is full.
    let notify = options.contains(.sendNotify)
    let timeout = options.contains(.sendTimeout) ? threads[Int(t)].call.timeout : 0
    if (notify || options.contains(.sendTimeout)) && timeout == 0 {
      return sendTimedOut(t)
    }
    pushThread(t, on: .senders, of: o)
    threads[Int(t)].waitingOn = o
    if notify || options.contains(.sendTimeout) { setTimer(t, milliseconds: timeout) }
    return MachMsgReturn.sendInProgress
  }

  /// The send's wait ran out (or would have to block with a zero timeout). With
  /// MACH_SEND_NOTIFY the message is queued anyway and a msg-accepted request registered
  /// (MACH_SEND_WILL_NOTIFY); otherwise, or if the request cannot be made, the message goes
  /// back to the sender with the error.
  mutating func sendTimedOut(_ t: ThreadIndex) -> ReturnCode {
    let k = threads[Int(t)].kmsg
    let call = threads[Int(t)].call
    var code = MachMsgReturn.sendTimedOut
    if call.options.contains(.sendNotify) {
      code = registerMsgAccepted(t, k)
      if code == MachMsgReturn.sendWillNotify {
        threads[Int(t)].kmsg = -1
        enqueue(k, on: destination(of: k))
        return code
      }
    }
    return handBack(t, code)
  }

  /// `ipc_marequest_create` (`ipc/ipc_marequest.c`): a msg-accepted request whose send-once
  /// right is made from the receive right named by `notify`. If the sender still holds rights
  /// to the destination (`ipc_right_reverse`), that entry carries the request
  /// (MACH_SEND_NOTIFY_IN_PROGRESS if it already does); if not, as after moving its last
  /// send right, the request is made with a null name, and the notification says so.
  private mutating func registerMsgAccepted(_ t: ThreadIndex, _ k: Int32) -> ReturnCode {
    let task = threads[Int(t)].task
    let notify = threads[Int(t)].call.notify
    let notifyEntry = MachPort.isValid(notify) ? entry(task, notify) : nil
    let notifyPort = notifyEntry.flatMap { $0.has(PortType.receive) ? $0.object : nil }
    var name = MachPort.null
    if let held = tasks[Int(task)].space.name(of: destination(of: k)), var e = entry(task, held) {
      if e.hasMsgAcceptedRequest { return MachMsgReturn.sendNotifyInProgress }
      guard notifyPort != nil else { return MachMsgReturn.sendInvalidNotify }
      e.hasMsgAcceptedRequest = true
      setEntry(task, held, e)
      name = held
    }
    guard let n = notifyPort else { return MachMsgReturn.sendInvalidNotify }
    objects[Int(n)].sendOnceRights += 1
    kmsgs[Int(k)].acceptedNotify = n
    kmsgs[Int(k)].acceptedName = name
    return MachMsgReturn.sendWillNotify
  }

  /// A send that failed after copy-in: the message is pseudo-received back into the
  /// sender's buffer, rights and all (`ipc_kmsg_copyout_pseudo` + `ipc_kmsg_put`).
  mutating func handBack(_ t: ThreadIndex, _ code: ReturnCode) -> ReturnCode {
    let k = threads[Int(t)].kmsg
    threads[Int(t)].kmsg = -1
    copyoutPseudo(k, to: threads[Int(t)].task)
    handToThread(t, kmsg: k, length: kmsgs[Int(k)].size)
    freeKMsgBuffer(k)
    return code
  }

  // MARK: - Receive

  /// The receive half: takes the head message of the named port or set, or blocks
  /// (MACH_RCV_IN_PROGRESS), or fails as `ipc_mqueue_copyin` and `ipc_mqueue_receive` do.
  mutating func receiveHalf(_ t: ThreadIndex) -> ReturnCode {
    let task = threads[Int(t)].task
    let call = threads[Int(t)].call
    guard tasks[Int(task)].space.isActive, let e = entry(task, call.receiveName),
      e.has(PortType.receive | PortType.portSet)
    else { return MachMsgReturn.rcvInvalidName }
    let q: ObjectIndex
    if e.has(PortType.receive) {
      if objects[Int(e.object)].portSet >= 0 { return MachMsgReturn.rcvInSet }
      q = e.object
    } else {
      q = e.object
    }
    let large = call.options.contains(.receiveLarge)
    let head = objects[Int(q)].queue.head
    if head >= 0 {
      let size = UInt32(kmsgs[Int(head)].size)
      if large && size > call.receiveSize {
        // MACH_RCV_LARGE: the message stays queued; only its size is written back.
        threads[Int(t)].setMessage(Self.sizeOnlyHeader(size), length: MsgHeader.size)
        return MachMsgReturn.rcvTooLarge
      }
      let k = popMessage(q)!
      let o = destination(of: k)
      let seqno = objects[Int(o)].seqno
      objects[Int(o)].seqno &+= 1
      uncount(k)
      return completeReceive(t, k, seqno: seqno)
    }
    if call.options.contains(.receiveTimeout) && call.timeout == 0 { return MachMsgReturn.rcvTimedOut }
    threads[Int(t)].waitSize = large ? call.receiveSize : UInt32.max
    threads[Int(t)].waitingOn = q
    pushThread(t, on: .receivers, of: q)
    if call.options.contains(.receiveTimeout) { setTimer(t, milliseconds: call.timeout) }
    return MachMsgReturn.rcvInProgress
  }

  /// Finishes receiving `k`, now out of every queue: a pending msg-accepted request fires,
  /// then the message is copied out into the receiver (or, too large for a receive without
  /// MACH_RCV_LARGE, destroyed leaving only its header).
  mutating func completeReceive(_ t: ThreadIndex, _ k: Int32, seqno: UInt32) -> ReturnCode {
    let task = threads[Int(t)].task
    let call = threads[Int(t)].call
    kmsgs[Int(k)].bytes.setWord(seqno, at: MsgHeader.seqnoOffset)
    let notify = kmsgs[Int(k)].acceptedNotify
    if notify >= 0 {
      kmsgs[Int(k)].acceptedNotify = -1
      clearMsgAcceptedRequest(kmsgs[Int(k)].sender, kmsgs[Int(k)].acceptedName)
      sendNotification(to: notify, id: NotifyID.msgAccepted, .name(kmsgs[Int(k)].acceptedName))
    }
    let size = kmsgs[Int(k)].size
    if !call.options.contains(.receiveLarge) && UInt32(size) > call.receiveSize {
      return handBackHeaderOnly(t, k, destroyed: .tooLarge, code: MachMsgReturn.rcvTooLarge)
    }
    // MACH_RCV_NOTIFY: `notify` must name a receive right of the receiver; the reply right
    // then gets a dead-name request sent there. Otherwise the message is lost as a too-large
    // one is (`mach_msg_receive`, `ipc_kmsg_copyout_header`).
    var deadNameNotify: ObjectIndex = -1
    if call.options.contains(.receiveNotify) {
      guard call.notify != MachPort.null, let n = entry(task, call.notify), n.has(PortType.receive) else {
        return handBackHeaderOnly(t, k, destroyed: .invalidNotify, code: MachMsgReturn.rcvInvalidNotify)
      }
      deadNameNotify = n.object
    }
    let header = copyoutHeader(k, to: task, deadNameNotify: deadNameNotify)
    if header != MachMsgReturn.success {
      return handBackHeaderOnly(t, k, destroyed: .headerError, code: header)
    }
    copyoutBody(k, to: task)
    handToThread(t, kmsg: k, length: size)
    freeKMsgBuffer(k)
    return MachMsgReturn.success
  }

  /// `ipc_kmsg_copyout_dest` then the header alone to the user: the destination becomes the
  /// local name, the reply right and the body are destroyed, `msgh_size` keeps the real size.
  private mutating func handBackHeaderOnly(
    _ t: ThreadIndex, _ k: Int32, destroyed reason: DestroyReason, code: ReturnCode
  ) -> ReturnCode {
    copyoutDestOnly(k, to: threads[Int(t)].task)
    handToThread(t, kmsg: k, length: MsgHeader.size)
    destroyedMessages[reason, default: 0] += 1
    freeKMsgBuffer(k)
    return code
  }

  /// A header whose only meaningful field is `msgh_size` (MACH_RCV_LARGE's answer).
  static func sizeOnlyHeader(_ size: UInt32) -> [UInt8] {
    var bytes = [UInt8](repeating: 0, count: MsgHeader.size)
    bytes.setWord(size, at: MsgHeader.sizeOffset)
    return bytes
  }
}
