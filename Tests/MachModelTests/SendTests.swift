import MachModel
import Testing

/// mach_msg's send half: docs/gnumach.md §1.1, §1.5, §2.1, §2.2, §2.4, §2.5.
@Suite struct SendTests {
  @Test func section1_1_kernelOverwritesMsghSizeWithSendSize() {
    var f = Fixture()
    let (r, s) = f.channel()
    var m = Fixture.message(to: s) { $0.int32([1]) }
    m.setWord(9999, at: MsgHeader.sizeOffset)
    #expect(f.send(f.ta, m) == MachMsgReturn.success)
    #expect(f.receive(f.tb, r) == MachMsgReturn.success)
    #expect(f.message(f.tb)!.size == 32)
  }

  @Test(arguments: [UInt32(20), 26, 0])
  func section2_2_sendSizeBelowHeaderOrUnalignedIsMsgTooSmall(size: UInt32) {
    var f = Fixture()
    let (_, s) = f.channel()
    let m = Fixture.message(to: s) { $0.int32([1, 2]) }
    let code = f.k.machMsg(f.ta, MachMsgCall(options: .send, message: m, sendSize: size))
    #expect(code == MachMsgReturn.sendMsgTooSmall)
    #expect(f.k.messagesInUse == 0)
    f.invariantsHold()
  }

  @Test func section2_2_sendSizeBeyondTheBufferIsInvalidData() {
    var f = Fixture()
    let (_, s) = f.channel()
    let m = Fixture.message(to: s)
    #expect(f.k.machMsg(f.ta, MachMsgCall(options: .send, message: m, sendSize: 64)) == MachMsgReturn.sendInvalidData)
  }

  @Test func section1_1_moveReceiveInTheHeaderIsInvalidHeader() {
    var f = Fixture()
    let r = f.receiveRight(f.a)
    let before = f.k.checkInvariants()
    #expect(f.send(f.ta, Fixture.message(to: r, MsgType.moveReceive)) == MachMsgReturn.sendInvalidHeader)
    #expect(f.type(f.a, r) == PortType.receive)
    #expect(before == [] && f.k.messagesInUse == 0)
  }

  @Test func section1_1_aReplyNameWithoutADispositionIsInvalidHeader() {
    var f = Fixture()
    let (_, s) = f.channel()
    let r = f.receiveRight(f.a)
    #expect(f.send(f.ta, Fixture.message(to: s, reply: r, replyDisposition: 0)) == MachMsgReturn.sendInvalidHeader)
    #expect(
      f.send(f.ta, Fixture.message(to: s, reply: r, replyDisposition: MsgType.integer32))
        == MachMsgReturn.sendInvalidHeader)
  }

  @Test func section2_5_unknownOrWrongDestinationIsInvalidDestAndChangesNothing() {
    var f = Fixture()
    let r = f.receiveRight(f.a)
    #expect(f.send(f.ta, Fixture.message(to: 42)) == MachMsgReturn.sendInvalidDest)
    // A receive right alone cannot be the destination of COPY_SEND.
    #expect(f.send(f.ta, Fixture.message(to: r)) == MachMsgReturn.sendInvalidDest)
    let (_, d) = f.k.portAllocate(f.a, right: PortRight.deadName.rawValue)
    #expect(f.send(f.ta, Fixture.message(to: d)) == MachMsgReturn.sendInvalidDest)
    #expect(f.urefs(f.a, d, .deadName) == 1)
    #expect(f.status(f.a, r)!.makeSendCount == 0)
    f.invariantsHold()
  }

  @Test func section2_5_badReplyIsInvalidReplyAndTheDestinationIsUntouched() {
    var f = Fixture()
    let (_, s) = f.channel()
    #expect(
      f.send(f.ta, Fixture.message(to: s, MsgType.moveSend, reply: 77, replyDisposition: MsgType.makeSendOnce))
        == MachMsgReturn.sendInvalidReply)
    #expect(f.urefs(f.a, s, .send) == 1)  // the MOVE_SEND did not happen
    let notReceive = f.give(f.b, f.receiveRight(f.b), MsgType.makeSend, to: f.a)
    #expect(
      f.send(f.ta, Fixture.message(to: s, reply: notReceive, replyDisposition: MsgType.makeSend))
        == MachMsgReturn.sendInvalidReply)
    f.invariantsHold()
  }

  @Test func section2_5_deadReplyTravelsAsMachPortDead() {
    var f = Fixture()
    let (r, s) = f.channel()
    let (_, d) = f.k.portAllocate(f.a, right: PortRight.deadName.rawValue)
    #expect(f.send(f.ta, Fixture.message(to: s, reply: d, replyDisposition: MsgType.moveSend)) == MachMsgReturn.success)
    #expect(f.entry(f.a, d) == nil)  // its one uref moved
    #expect(f.receive(f.tb, r) == MachMsgReturn.success)
    #expect(f.message(f.tb)!.remotePort == MachPort.dead)
    f.invariantsHold()
  }

  @Test func section2_5_bodyErrorDestroysTheMessageIncludingHeaderRights() {
    var f = Fixture()
    let (_, s) = f.channel()
    let reply = f.receiveRight(f.a)
    let m = Fixture.message(to: s, reply: reply, replyDisposition: MsgType.makeSendOnce) {
      $0.ports([999], disposition: MsgType.copySend)
    }
    #expect(f.send(f.ta, m) == MachMsgReturn.sendInvalidRight)
    // The send-once reply right made during header copy-in was destroyed: its send-once
    // notification is waiting on the reply port.
    #expect(f.receive(f.ta, reply) == MachMsgReturn.success)
    #expect(f.message(f.ta)!.id == NotifyID.sendOnce)
    #expect(f.k.destroyedMessages[.bodyError] == 1)
    f.invariantsHold()
  }

  @Test func section1_2_badDescriptorIsInvalidTypeAndDestroysTheMessage() {
    var f = Fixture()
    let (r, s) = f.channel()
    var m = Fixture.message(to: s) { $0.int32([5]) }
    m.setWord(m.word(at: 0) | MsgHeader.complexBit, at: 0)
    m.setWord(0x1001_1013, at: 24)  // a port item of 16 bits
    #expect(f.send(f.ta, m) == MachMsgReturn.sendInvalidType)
    #expect(f.status(f.b, r)!.messageCount == 0)
    f.invariantsHold()
  }

  @Test func section1_2_bodyOverrunIsMsgTooSmallAfterCopyin() {
    var f = Fixture()
    let (r, s) = f.channel()
    var m = Fixture.message(to: s, MsgType.moveSend) { $0.int32([5, 6]) }
    m.setWord(m.word(at: 0) | MsgHeader.complexBit, at: 0)
    m = Array(m[0..<32])  // descriptor says 8 bytes of data, 4 are there
    #expect(f.send(f.ta, m) == MachMsgReturn.sendMsgTooSmall)
    // The destination right was copied in (moved) and then destroyed with the message.
    #expect(f.entry(f.a, s) == nil)
    #expect(f.sendRights(f.b, r)! == 0)
    f.invariantsHold()
  }

  @Test func section1_1_complexBitIsClearedWhenTheBodyCarriesNothingComplex() {
    var f = Fixture()
    let (r, s) = f.channel()
    var m = Fixture.message(to: s) { $0.int32([5]) }
    m.setWord(m.word(at: 0) | MsgHeader.complexBit, at: 0)
    #expect(f.send(f.ta, m) == MachMsgReturn.success)
    #expect(f.receive(f.tb, r) == MachMsgReturn.success)
    #expect(!f.message(f.tb)!.isComplex)
  }

  @Test func section2_1_noOptionsIsTheNullTrap() {
    var f = Fixture()
    #expect(f.k.machMsg(f.ta, MachMsgCall(options: [])) == MachMsgReturn.success)
  }

  @Test func section2_4_fullQueueBlocksTheSender() {
    var f = Fixture()
    let (r, s) = f.channel()
    for i in 0..<5 { #expect(f.send(f.ta, Fixture.message(to: s, id: Int32(i))) == MachMsgReturn.success) }
    #expect(f.send(f.ta, Fixture.message(to: s, id: 5)) == MachMsgReturn.sendInProgress)
    #expect(f.k.thread(f.ta).state == .blockedInSend)
    f.invariantsHold()
    // A receive makes room and wakes the sender, which queues its message.
    #expect(f.receive(f.tb, r) == MachMsgReturn.success)
    #expect(f.k.takeCompletions() == [Completion(thread: f.ta, result: MachMsgReturn.success)])
    #expect(f.status(f.b, r)!.messageCount == 5)
    var ids: [Int32] = []
    for _ in 0..<5 {
      _ = f.receive(f.tb, r)
      ids.append(f.message(f.tb)!.id)
    }
    #expect(ids == [1, 2, 3, 4, 5])
    f.invariantsHold()
  }

  /// mach_msg_send (`ipc/mach_msg.c`) passes only `option & MACH_SEND_TIMEOUT` to
  /// `ipc_mqueue_send`: MACH_SEND_ALWAYS, the kernel's own flag, means nothing from a user.
  /// A full queue blocks or times out the sender as without it.
  @Test func mach_msg_send_ignoresTheKernelsSendAlwaysFromAUser() {
    var f = Fixture()
    let (r, s) = f.channel()
    for i in 0..<5 { _ = f.send(f.ta, Fixture.message(to: s, id: Int32(i)), options: .sendAlways) }
    #expect(f.status(f.b, r)!.messageCount == 5)
    let timedOut = f.send(f.ta, Fixture.message(to: s, id: 5), options: [.sendAlways, .sendTimeout], timeout: 0)
    #expect(timedOut == MachMsgReturn.sendTimedOut)
    #expect(f.send(f.ta, Fixture.message(to: s, id: 6), options: .sendAlways) == MachMsgReturn.sendInProgress)
    #expect(f.k.thread(f.ta).state == .blockedInSend && f.status(f.b, r)!.messageCount == 5)
    f.invariantsHold()
  }

  @Test func section2_4_zeroTimeoutOnAFullQueueTimesOutAtOnceAndHandsTheMessageBack() {
    var f = Fixture()
    let (r, s) = f.channel()
    for _ in 0..<5 { _ = f.send(f.ta, Fixture.message(to: s)) }
    let reply = f.receiveRight(f.a)
    let m = Fixture.message(to: s, MsgType.moveSend, reply: reply, replyDisposition: MsgType.makeSend)
    #expect(f.send(f.ta, m, options: .sendTimeout, timeout: 0) == MachMsgReturn.sendTimedOut)
    // Handed back, dispositions not reversed: the rights are in a's space again.
    let back = f.message(f.ta)!
    #expect(back.remotePort == s && back.remoteBits == MsgType.portSend)
    #expect(back.localPort == reply && back.localBits == MsgType.portSend)
    #expect(f.urefs(f.a, s, .send) == 1)
    #expect(f.type(f.a, reply) == PortType.sendReceive)
    #expect(f.status(f.b, r)!.messageCount == 5)
    f.invariantsHold()
  }

  @Test func section2_4_sendTimeoutFiresAfterTheGivenMilliseconds() {
    var f = Fixture()
    let (_, s) = f.channel()
    for _ in 0..<5 { _ = f.send(f.ta, Fixture.message(to: s)) }
    #expect(f.send(f.ta, Fixture.message(to: s), options: .sendTimeout, timeout: 10) == MachMsgReturn.sendInProgress)
    f.k.advance(by: 9_999)
    #expect(f.k.takeCompletions().isEmpty)
    f.k.advance(by: 1)
    #expect(f.k.takeCompletions() == [Completion(thread: f.ta, result: MachMsgReturn.sendTimedOut)])
    #expect(f.k.now == 10_000)
    #expect(f.k.thread(f.ta).state == .idle)
    f.invariantsHold()
  }

  @Test func section2_4_sendOnceDestinationIgnoresQlimit() {
    var f = Fixture()
    let (r, s) = f.channel()
    for _ in 0..<5 { _ = f.send(f.ta, Fixture.message(to: s)) }
    let so = f.give(f.b, r, MsgType.makeSendOnce, to: f.a)
    #expect(f.send(f.ta, Fixture.message(to: so, MsgType.moveSendOnce)) == MachMsgReturn.success)
    #expect(f.status(f.b, r)!.messageCount == 6)
    f.invariantsHold()
  }

  @Test func section2_4_blockedSendersAreWokenInOrder() {
    var f = Fixture()
    let (r, s) = f.channel()
    let t2 = f.k.createThread(in: f.a)
    for _ in 0..<5 { _ = f.send(f.ta, Fixture.message(to: s)) }
    #expect(f.send(f.ta, Fixture.message(to: s, id: 100)) == MachMsgReturn.sendInProgress)
    #expect(f.send(t2, Fixture.message(to: s, id: 200)) == MachMsgReturn.sendInProgress)
    _ = f.receive(f.tb, r)
    _ = f.receive(f.tb, r)
    #expect(f.k.takeCompletions().map(\.thread) == [f.ta, t2])
    var ids: [Int32] = []
    for _ in 0..<5 {
      _ = f.receive(f.tb, r)
      ids.append(f.message(f.tb)!.id)
    }
    #expect(ids.suffix(2) == [100, 200])
  }

  @Test func section2_4_raisingQlimitWakesThatManySenders() {
    var f = Fixture()
    let (r, s) = f.channel()
    let t2 = f.k.createThread(in: f.a)
    #expect(f.k.portSetQlimit(f.b, r, qlimit: 1) == KernReturn.success)
    _ = f.send(f.ta, Fixture.message(to: s))
    #expect(f.send(f.ta, Fixture.message(to: s)) == MachMsgReturn.sendInProgress)
    #expect(f.send(t2, Fixture.message(to: s)) == MachMsgReturn.sendInProgress)
    #expect(f.k.portSetQlimit(f.b, r, qlimit: 2) == KernReturn.success)
    f.k.run()
    #expect(f.k.takeCompletions().map(\.thread) == [f.ta])
    #expect(f.k.portSetQlimit(f.b, r, qlimit: 17) == KernReturn.invalidValue)
    f.invariantsHold()
  }

  /// ipc_marequest_create (`ipc/ipc_marequest.c`): when the sender moved its last send right
  /// to the destination, the request is still made, with a null name: MACH_SEND_WILL_NOTIFY,
  /// and the msg-accepted notification carries MACH_PORT_NULL. A bad notify name is still
  /// MACH_SEND_INVALID_NOTIFY, and the message comes back.
  @Test func ipc_marequest_create_afterMovingTheLastSendRightRecordsANullName() {
    var f = Fixture()
    let (r, s) = f.channel()
    let notify = f.receiveRight(f.a)
    for _ in 0..<5 { _ = f.send(f.ta, Fixture.message(to: s)) }
    #expect(f.k.portModRefs(f.a, s, right: PortRight.send.rawValue, delta: 1) == KernReturn.success)
    let bad = MachMsgCall(
      options: [.send, .sendNotify], message: Fixture.message(to: s, MsgType.moveSend, id: 8), notify: 0x999)
    #expect(f.k.machMsg(f.ta, bad) == MachMsgReturn.sendInvalidNotify)
    #expect(f.urefs(f.a, s, .send) == 2)  // handed back
    _ = f.k.portModRefs(f.a, s, right: PortRight.send.rawValue, delta: -1)
    let call = MachMsgCall(
      options: [.send, .sendNotify], message: Fixture.message(to: s, MsgType.moveSend, id: 9), notify: notify)
    #expect(f.k.machMsg(f.ta, call) == MachMsgReturn.sendWillNotify)
    #expect(f.entry(f.a, s) == nil && f.status(f.b, r)!.messageCount == 6)
    for _ in 0..<6 { _ = f.receive(f.tb, r) }
    #expect(f.message(f.tb)!.id == 9)
    #expect(f.receive(f.ta, notify) == MachMsgReturn.success)
    let n = f.message(f.ta)!
    #expect(n.id == NotifyID.msgAccepted && (try! n.items().get()[0].words) == [MachPort.null])
    f.invariantsHold()
  }

  @Test func section2_4_sendNotifyForceQueuesAndNotifiesOnDequeue() {
    var f = Fixture()
    let (r, s) = f.channel()
    let notify = f.receiveRight(f.a)
    for _ in 0..<5 { _ = f.send(f.ta, Fixture.message(to: s)) }
    let call = MachMsgCall(options: [.send, .sendNotify], message: Fixture.message(to: s, id: 9), notify: notify)
    #expect(f.k.machMsg(f.ta, call) == MachMsgReturn.sendWillNotify)
    #expect(f.status(f.b, r)!.messageCount == 6)
    #expect(f.type(f.a, s) & PortType.maRequest != 0)
    // A second force-queue while the first is pending.
    #expect(f.k.machMsg(f.ta, call) == MachMsgReturn.sendNotifyInProgress)
    for _ in 0..<6 { _ = f.receive(f.tb, r) }
    #expect(f.message(f.tb)!.id == 9)
    #expect(f.receive(f.ta, notify) == MachMsgReturn.success)
    let n = f.message(f.ta)!
    #expect(n.id == NotifyID.msgAccepted)
    #expect(try! n.items().get()[0].words == [s])
    #expect(f.type(f.a, s) & PortType.maRequest == 0)
    f.invariantsHold()
  }

  /// `mach_msg_send`: MACH_SEND_NOTIFY reads `notify` only when the send would block; then a
  /// name that is no receive right (or none) is MACH_SEND_INVALID_NOTIFY and the message
  /// comes back to the sender.
  @Test func section2_4_sendNotifyReadsNotifyOnlyWhenTheSendWouldBlock() {
    var f = Fixture()
    let (r, s) = f.channel()
    #expect(
      f.k.machMsg(f.ta, MachMsgCall(options: [.send, .sendNotify], message: Fixture.message(to: s), notify: 55))
        == MachMsgReturn.success)
    _ = f.k.portSetQlimit(f.b, r, qlimit: 1)
    for notify in [55, MachPort.null] {
      #expect(
        f.k.machMsg(
          f.ta, MachMsgCall(options: [.send, .sendNotify], message: Fixture.message(to: s, id: 9), notify: notify))
          == MachMsgReturn.sendInvalidNotify)
      #expect(f.message(f.ta)?.id == 9 && f.message(f.ta)?.remotePort == s)  // handed back
    }
    #expect(f.status(f.b, r)!.messageCount == 1)
    f.invariantsHold()
  }

  @Test func section2_4_destinationDeadAfterCopyinIsSuccessAndTheMessageIsDestroyed() {
    var f = Fixture()
    let (r, s) = f.channel()
    for _ in 0..<5 { _ = f.send(f.ta, Fixture.message(to: s)) }
    #expect(f.send(f.ta, Fixture.message(to: s)) == MachMsgReturn.sendInProgress)
    #expect(f.k.portDestroy(f.b, r) == KernReturn.success)
    f.k.run()
    #expect(f.k.takeCompletions() == [Completion(thread: f.ta, result: MachMsgReturn.success)])
    #expect(f.k.destroyedMessages[.portDied] == 5)
    #expect(f.k.destroyedMessages[.deadDestination] == 1)
    #expect(f.k.messagesInUse == 0)
    f.invariantsHold()
  }

  @Test func section2_5_sendRightToADeadPortBecomesADeadNameLazily() {
    var f = Fixture()
    let (r, s) = f.channel()
    #expect(f.k.portDestroy(f.b, r) == KernReturn.success)
    #expect(f.entry(f.a, s)!.type == PortType.send)  // not yet converted
    #expect(f.send(f.ta, Fixture.message(to: s)) == MachMsgReturn.sendInvalidDest)
    #expect(f.entry(f.a, s)!.type == PortType.deadName)
    #expect(f.urefs(f.a, s, .deadName) == 1)
    f.invariantsHold()
  }

  @Test func section1_5_circularReceiveRightIsDestroyedSilently() {
    var f = Fixture()
    let r = f.receiveRight(f.a)
    let s = f.give(f.a, r, MsgType.makeSend, to: f.a)
    #expect(s == r)
    let m = Fixture.message(to: r) { $0.ports([r], disposition: MsgType.moveReceive) }
    #expect(f.send(f.ta, m) == MachMsgReturn.success)
    #expect(f.k.destroyedMessages[.circular] == 1)
    // The receive right travelled in the destroyed message: the port is dead, the send right
    // left under the name is a dead name once used.
    #expect(f.send(f.ta, Fixture.message(to: r)) == MachMsgReturn.sendInvalidDest)
    f.invariantsHold()
  }

  @Test func section2_2_budgetExhaustedIsNoBufferAndChangesNothing() {
    var f = Fixture()
    let (r, s) = f.channel()
    f.k.kmsgLimit = 2
    _ = f.send(f.ta, Fixture.message(to: s))
    _ = f.send(f.ta, Fixture.message(to: s))
    #expect(f.send(f.ta, Fixture.message(to: s, MsgType.moveSend)) == MachMsgReturn.sendNoBuffer)
    #expect(f.urefs(f.a, s, .send) == 1)
    // Kernel messages are outside the budget: a notification still goes out.
    let notify = f.receiveRight(f.b)
    let lonely = f.receiveRight(f.b)
    let (_, so, _) = f.k.portExtractRight(f.b, notify, disposition: MsgType.makeSendOnce)
    _ = f.k.portRequestNotification(f.b, lonely, id: NotifyID.noSenders, sync: 0, notify: so)
    #expect(f.status(f.b, notify)!.messageCount == 1)
    #expect(f.k.budgetedMessages == 2)
    _ = f.receive(f.tb, r)
    #expect(f.k.budgetedMessages == 1)
    f.invariantsHold()
  }
}

/// Details of `ipc_mqueue_send` / `ipc_mqueue_receive` (docs/gnumach.md §2.4, checked
/// against GNU Mach's ipc/ipc_mqueue.c).
@Suite struct QueueAccountingTests {
  @Test func section2_4_sendOnceToADeadPortIsDroppedWithoutANotification() {
    var f = Fixture()
    let (r, s) = f.channel()
    let p = f.receiveRight(f.a)
    _ = f.send(f.ta, Fixture.message(to: s, reply: p, replyDisposition: MsgType.makeSendOnce))
    _ = f.k.portDestroy(f.a, p)
    // The reply right's port died in transit: it arrives as DEAD, and the send-once
    // notification it owes goes nowhere (GNU Mach drops it rather than loop).
    #expect(f.receive(f.tb, r) == MachMsgReturn.success)
    #expect(f.message(f.tb)!.remotePort == MachPort.dead)
    #expect(f.k.messagesInUse == 0)
    #expect(f.send(f.ta, Fixture.message(to: p, MsgType.copySend)) == MachMsgReturn.sendInvalidDest)
    f.invariantsHold()
  }

  @Test func section2_4_aHandedOffMessageCountsAgainstQlimitUntilTheReceiverRuns() {
    var f = Fixture()
    let (r, s) = f.channel()
    _ = f.k.portSetQlimit(f.b, r, qlimit: 1)
    _ = f.k.machMsg(f.tb, .receive(r))  // blocks; no run afterwards
    #expect(f.k.machMsg(f.ta, .send(Fixture.message(to: s))) == MachMsgReturn.success)  // handed off
    #expect(f.status(f.b, r)!.messageCount == 1)
    let t2 = f.k.createThread(in: f.a)
    #expect(f.k.machMsg(t2, .send(Fixture.message(to: s))) == MachMsgReturn.sendInProgress)
    f.k.run()  // the receiver resumes, the count drops, the blocked sender gets in
    #expect(
      f.k.takeCompletions() == [
        Completion(thread: f.tb, result: MachMsgReturn.success), Completion(thread: t2, result: MachMsgReturn.success),
      ])
    #expect(f.status(f.b, r)!.messageCount == 1)
    f.invariantsHold()
  }

  @Test func section1_5_aCircularMessageWaitsForRoomBeforeItIsDestroyed() {
    var f = Fixture()
    let r = f.receiveRight(f.a)
    _ = f.give(f.a, r, MsgType.makeSend, to: f.a)
    _ = f.k.portSetQlimit(f.a, r, qlimit: 1)
    _ = f.send(f.ta, Fixture.message(to: r))
    let m = Fixture.message(to: r) { $0.ports([r], disposition: MsgType.moveReceive) }
    #expect(f.send(f.ta, m, options: .sendTimeout, timeout: 0) == MachMsgReturn.sendTimedOut)
    #expect(f.type(f.a, r) == PortType.sendReceive)  // handed back with its receive right
    f.invariantsHold()
  }

  /// `ipc_kmsg_get`: a message larger than the kernel will allocate a buffer for fails with
  /// MACH_SEND_NO_BUFFER before copy-in; its rights stay where they were, and no trace copy is
  /// made (T7: no message existed at the hook).
  @Test func ipc_kmsg_get_aMessageTooLargeToAllocateIsNoBuffer() {
    var f = Fixture()
    let (r, s) = f.channel()
    f.k.maxMessageBytes = 64
    var small = MessageBuilder(remote: s, remoteDisposition: MsgType.copySend, id: 1)
    small.byteArray([UInt8](repeating: 7, count: 16))
    #expect(f.send(f.ta, small.finish()) == MachMsgReturn.success)
    var large = MessageBuilder(remote: s, remoteDisposition: MsgType.moveSend, id: 2)
    large.byteArray([UInt8](repeating: 7, count: 100))
    #expect(f.send(f.ta, large.finish()) == MachMsgReturn.sendNoBuffer)
    #expect(f.urefs(f.a, s, .send) == 1, "the move_send was not copied in")
    #expect(f.status(f.b, r)!.messageCount == 1)
    f.invariantsHold()
  }
}
