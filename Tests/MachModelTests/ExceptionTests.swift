import MachModel
import Testing

/// Exceptions: docs/gnumach.md §5 and the fast-path quirk of §2.6.
@Suite struct ExceptionTests {
  /// A task `handler` with a receive right set as `target`'s exception port (thread or task
  /// slot): (handler task, its thread, the exception port's name in it).
  func handler(_ s: inout System, for thread: ThreadIndex, taskSlot: Bool) -> (TaskIndex, ThreadIndex, PortName) {
    let (h, _, ht) = s.spawn("handler\(taskSlot)")
    let (_, port) = s.k.portAllocate(h, right: PortRight.receive.rawValue)
    let (_, o, _) = s.k.portExtractRight(h, port, disposition: MsgType.makeSend)
    if taskSlot {
      #expect(
        s.k.taskSetSpecialPort(s.k.thread(thread).task, slot: SpecialPort.taskException, right: o) == KernReturn.success
      )
    } else {
      #expect(s.k.threadSetSpecialPort(thread, slot: SpecialPort.threadException, right: o) == KernReturn.success)
    }
    return (h, ht, port)
  }

  /// The handler receives exception_raise and answers with `code`.
  func answer(_ s: inout System, _ ht: ThreadIndex, _ port: PortName, code: ReturnCode) -> MessageView {
    #expect(s.k.machMsg(ht, .receive(port)) == MachMsgReturn.success)
    let request = MessageView(s.k.thread(ht).message)!
    var reply = MessageBuilder(remote: request.remotePort, remoteDisposition: MsgType.moveSendOnce, id: 2500)
    reply.int32([code])
    #expect(s.k.machMsg(ht, .send(reply.finish())) == MachMsgReturn.success)
    s.k.run()
    return request
  }

  @Test func section5_exceptionRaiseCarriesThreadTaskAndCodesToTheTaskPort() {
    var s = System()
    let (victim, _, vt) = s.spawn("victim")
    let (_, ht, port) = handler(&s, for: vt, taskSlot: true)
    #expect(
      s.k.raiseException(vt, exception: ExceptionType.badAccess, code: 1, subcode: 0x1234)
        == MachMsgReturn.rcvInProgress)
    #expect(s.k.thread(vt).state == .blockedInException)
    let request = answer(&s, ht, port, code: KernReturn.success)
    #expect(request.id == 2400 && request.size == 64 && request.isComplex)
    #expect(request.remoteBits == MsgType.portSendOnce && request.localBits == MsgType.portSend)
    let items = try! request.items().get()
    #expect(items.map(\.descriptor.name) == [MsgType.portSend, MsgType.portSend, 2, 2, 2])
    #expect(items[2].words == [1] && items[3].words == [1] && items[4].words == [0x1234])
    #expect(s.k.takeCompletions() == [Completion(thread: vt, result: KernReturn.success)])
    #expect(s.k.task(victim).isActive && s.k.task(victim).suspendCount == 0)
    s.invariantsHold()
  }

  @Test func section5_theThreadPortIsTriedFirstAndAFailureMovesOnToTheTaskPort() {
    var s = System()
    let (_, _, vt) = s.spawn("victim")
    let (_, tht, tport) = handler(&s, for: vt, taskSlot: false)
    let (_, kht, kport) = handler(&s, for: vt, taskSlot: true)
    _ = s.k.raiseException(vt, exception: ExceptionType.breakpoint, code: 0, subcode: 0)
    _ = answer(&s, tht, tport, code: KernReturn.failure)
    #expect(s.k.takeCompletions().isEmpty)
    _ = answer(&s, kht, kport, code: KernReturn.success)
    #expect(s.k.takeCompletions() == [Completion(thread: vt, result: KernReturn.success)])
    s.invariantsHold()
  }

  @Test func section5_withNoHandlerTheTaskIsTerminated() {
    var s = System()
    let (victim, _, vt) = s.spawn("victim")
    #expect(s.k.raiseException(vt, exception: ExceptionType.arithmetic, code: 0, subcode: 0) == KernReturn.terminated)
    #expect(s.k.task(victim).isActive == false)
    #expect(s.k.thread(vt).state == .terminated)
    s.invariantsHold()
  }

  @Test func section5_aFailingLastHandlerTerminatesTheTask() {
    var s = System()
    let (victim, _, vt) = s.spawn("victim")
    let (_, ht, port) = handler(&s, for: vt, taskSlot: true)
    _ = s.k.raiseException(vt, exception: ExceptionType.software, code: 0, subcode: 0)
    _ = answer(&s, ht, port, code: KernReturn.invalidArgument)
    #expect(s.k.takeCompletions() == [Completion(thread: vt, result: KernReturn.terminated)])
    #expect(s.k.task(victim).isActive == false)
    s.invariantsHold()
  }

  @Test func section5_aDroppedReplyRightIsASendOnceNotificationAndMovesOn() {
    var s = System()
    let (victim, _, vt) = s.spawn("victim")
    let (_, ht, port) = handler(&s, for: vt, taskSlot: true)
    _ = s.k.raiseException(vt, exception: ExceptionType.software, code: 0, subcode: 0)
    #expect(s.k.machMsg(ht, .receive(port)) == MachMsgReturn.success)
    let reply = MessageView(s.k.thread(ht).message)!.remotePort
    #expect(s.k.portDeallocate(s.k.thread(ht).task, reply) == KernReturn.success)  // send-once notification
    s.k.run()
    #expect(s.k.takeCompletions() == [Completion(thread: vt, result: KernReturn.terminated)])
    #expect(s.k.task(victim).isActive == false)
    s.invariantsHold()
  }

  @Test func section5_aMalformedReplyIsAMismatch() {
    var s = System()
    let (victim, _, vt) = s.spawn("victim")
    let (_, ht, port) = handler(&s, for: vt, taskSlot: true)
    _ = s.k.raiseException(vt, exception: ExceptionType.software, code: 0, subcode: 0)
    _ = s.k.machMsg(ht, .receive(port))
    let reply = MessageView(s.k.thread(ht).message)!.remotePort
    var m = MessageBuilder(remote: reply, remoteDisposition: MsgType.moveSendOnce, id: 2500)
    m.int32([0, 0])  // a RetCode of KERN_SUCCESS, but the wrong size
    _ = s.k.machMsg(ht, .send(m.finish()))
    s.k.run()
    #expect(s.k.takeCompletions() == [Completion(thread: vt, result: KernReturn.terminated)])
    #expect(s.k.task(victim).isActive == false)
  }

  @Test func section2_6_theFastPathHandsOffWithSeqnoZeroAndLeavesThePortAlone() {
    var s = System()
    let (_, _, vt) = s.spawn("victim")
    let (h, ht, port) = handler(&s, for: vt, taskSlot: true)
    _ = s.k.portSetSeqno(h, port, seqno: 7)
    #expect(s.k.machMsg(ht, .receive(port)) == MachMsgReturn.rcvInProgress)  // waiting: fast path
    _ = s.k.raiseException(vt, exception: ExceptionType.software, code: 0, subcode: 0)
    s.k.run()
    #expect(MessageView(s.k.thread(ht).message)!.seqno == 0)
    #expect(s.k.portGetReceiveStatus(h, port).1!.seqno == 7)
    #expect(s.k.portGetReceiveStatus(h, port).1!.messageCount == 0)
    s.invariantsHold()
  }

  /// exception_raise (kern/exception.c) takes `ip_pset`'s queue when the handler's port is
  /// in a set: a handler waiting on the set gets the message by hand-off, seqno 0, and the
  /// member's sequence number and count stay as they were.
  @Test func exception_raise_theFastPathTakesAWaitingReceiverOfThePortsSet() {
    var s = System()
    let (_, _, vt) = s.spawn("victim")
    let (h, ht, port) = handler(&s, for: vt, taskSlot: true)
    let (_, set) = s.k.portAllocate(h, right: PortRight.portSet.rawValue)
    #expect(s.k.portMoveMember(h, port, after: set) == KernReturn.success)
    _ = s.k.portSetSeqno(h, port, seqno: 7)
    #expect(s.k.machMsg(ht, .receive(set)) == MachMsgReturn.rcvInProgress)
    _ = s.k.raiseException(vt, exception: ExceptionType.software, code: 0, subcode: 0)
    s.k.run()
    let request = MessageView(s.k.thread(ht).message)!
    #expect(request.id == 2400 && request.seqno == 0 && request.localPort == port)
    #expect(s.k.portGetReceiveStatus(h, port).1!.seqno == 7)
    #expect(s.k.portGetReceiveStatus(h, port).1!.messageCount == 0)
    s.invariantsHold()
  }

  /// exception_raise's hand-off copies the destination out itself ("optimized
  /// ipc_object_copyout_dest", kern/exception.c): the handler sees its receive right's name
  /// and MACH_MSG_TYPE_PORT_SEND even when the port has a protected payload; a queued
  /// exception, copied out by ipc_kmsg_copyout_header, carries the payload.
  @Test func exception_raise_theHandOffIgnoresAProtectedPayload() {
    var s = System()
    let (_, _, vt) = s.spawn("victim")
    let (h, ht, port) = handler(&s, for: vt, taskSlot: true)
    #expect(s.k.portSetProtectedPayload(h, port, payload: 0xfeed) == KernReturn.success)
    #expect(s.k.machMsg(ht, .receive(port)) == MachMsgReturn.rcvInProgress)
    _ = s.k.raiseException(vt, exception: ExceptionType.software, code: 0, subcode: 0)
    s.k.run()
    let handedOff = MessageView(s.k.thread(ht).message)!
    #expect(handedOff.localPort == port && handedOff.localBits == MsgType.portSend)

    let (_, _, vt2) = s.spawn("victim2")
    let (h2, ht2, port2) = handler(&s, for: vt2, taskSlot: true)
    #expect(s.k.portSetProtectedPayload(h2, port2, payload: 0xbeef) == KernReturn.success)
    _ = s.k.raiseException(vt2, exception: ExceptionType.software, code: 0, subcode: 0)
    #expect(s.k.machMsg(ht2, .receive(port2)) == MachMsgReturn.success)
    let queued = MessageView(s.k.thread(ht2).message)!
    #expect(queued.localPort == 0xbeef && queued.localBits == MsgType.protectedPayload)
    s.invariantsHold()
  }

  /// exception_raise hands off only to a receiver in mach_msg_continue, or in
  /// mach_msg_receive_continue without MACH_RCV_NOTIFY: a MACH_RCV_NOTIFY receiver gets the
  /// message through the queue, with the port's next sequence number.
  @Test func exception_raise_aReceiverWithReceiveNotifyTakesTheSlowPath() {
    var s = System()
    let (_, _, vt) = s.spawn("victim")
    let (h, ht, port) = handler(&s, for: vt, taskSlot: true)
    let (_, notify) = s.k.portAllocate(h, right: PortRight.receive.rawValue)
    _ = s.k.portSetSeqno(h, port, seqno: 7)
    let call = MachMsgCall(options: [.receive, .receiveNotify], receiveSize: 8192, receiveName: port, notify: notify)
    #expect(s.k.machMsg(ht, call) == MachMsgReturn.rcvInProgress)
    _ = s.k.raiseException(vt, exception: ExceptionType.software, code: 0, subcode: 0)
    s.k.run()
    #expect(MessageView(s.k.thread(ht).message)!.seqno == 7)
    #expect(s.k.portGetReceiveStatus(h, port).1!.seqno == 8)
    s.invariantsHold()
  }

  @Test func section2_6_theSlowPathQueuesAndStampsTheSeqno() {
    var s = System()
    let (_, _, vt) = s.spawn("victim")
    let (h, ht, port) = handler(&s, for: vt, taskSlot: true)
    _ = s.k.portSetSeqno(h, port, seqno: 7)
    _ = s.k.portSetQlimit(h, port, qlimit: 0)  // kernel messages ignore qlimit
    _ = s.k.raiseException(vt, exception: ExceptionType.software, code: 0, subcode: 0)
    #expect(s.k.portGetReceiveStatus(h, port).1!.messageCount == 1)
    #expect(s.k.machMsg(ht, .receive(port)) == MachMsgReturn.success)
    #expect(MessageView(s.k.thread(ht).message)!.seqno == 7)
    s.invariantsHold()
  }
}
