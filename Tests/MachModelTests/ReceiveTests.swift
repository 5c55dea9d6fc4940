import MachModel
import Testing

/// mach_msg's receive half: docs/gnumach.md §2.3, §2.6, §2.7, port sets.
@Suite struct ReceiveTests {
  @Test func section2_6_seqnoIsStampedAtDequeueAndCanBeSet() {
    var f = Fixture()
    let (r, s) = f.channel()
    for _ in 0..<3 { _ = f.send(f.ta, Fixture.message(to: s)) }
    var seqnos: [UInt32] = []
    for _ in 0..<2 {
      _ = f.receive(f.tb, r)
      seqnos.append(f.message(f.tb)!.seqno)
    }
    #expect(seqnos == [0, 1])
    #expect(f.k.portSetSeqno(f.b, r, seqno: 40) == KernReturn.success)
    _ = f.receive(f.tb, r)
    #expect(f.message(f.tb)!.seqno == 40)
    #expect(f.status(f.b, r)!.seqno == 41)
  }

  @Test func section2_7_waitingReceiversGetMessagesFirstInFirstOut() {
    var f = Fixture()
    let (r, s) = f.channel()
    let tb2 = f.k.createThread(in: f.b)
    #expect(f.receive(f.tb, r) == MachMsgReturn.rcvInProgress)
    #expect(f.receive(tb2, r) == MachMsgReturn.rcvInProgress)
    _ = f.send(f.ta, Fixture.message(to: s, id: 1))
    _ = f.send(f.ta, Fixture.message(to: s, id: 2))
    #expect(f.k.takeCompletions().map(\.thread) == [f.tb, tb2])
    #expect(f.message(f.tb)!.id == 1 && f.message(f.tb)!.seqno == 0)
    #expect(f.message(tb2)!.id == 2 && f.message(tb2)!.seqno == 1)
    #expect(f.status(f.b, r)!.messageCount == 0)
    f.invariantsHold()
  }

  /// ipc_kmsg_copyout_dest (`ipc/ipc_kmsg.c`): the header handed back with MACH_RCV_TOO_LARGE
  /// names the receive right even when the port has a protected payload, and its bits keep the
  /// reply's type, MACH_MSGH_BITS(reply_type, dest_type) = 0x1112 for a make-send-once reply,
  /// though the reply port is null.
  @Test func ipc_kmsg_copyout_dest_keepsTheReplyTypeAndTheReceiveRightsName() {
    var f = Fixture()
    let (r, s) = f.channel()
    #expect(f.k.portSetProtectedPayload(f.b, r, payload: 0xbeef) == KernReturn.success)
    let reply = f.receiveRight(f.a)
    let m = Fixture.message(to: s, reply: reply, replyDisposition: MsgType.makeSendOnce) { $0.int32([1, 2, 3, 4]) }
    _ = f.send(f.ta, m)
    #expect(f.receive(f.tb, r, size: 24) == MachMsgReturn.rcvTooLarge)
    let h = f.message(f.tb)!
    #expect(h.localPort == r && h.remotePort == MachPort.null)
    #expect(h.bits == 0x1112)
    f.invariantsHold()
  }

  @Test func section2_3_tooLargeWithoutRcvLargeDequeuesAndDestroys() {
    var f = Fixture()
    let (r, s) = f.channel()
    let reply = f.receiveRight(f.a)
    let m = Fixture.message(to: s, reply: reply, replyDisposition: MsgType.makeSendOnce) { $0.int32([1, 2, 3, 4]) }
    _ = f.send(f.ta, m)
    #expect(f.receive(f.tb, r, size: 24) == MachMsgReturn.rcvTooLarge)
    let h = f.message(f.tb)!
    #expect(h.bytes.count == 24)
    #expect(h.size == 44)  // the real size
    #expect(h.localPort == r && h.remotePort == MachPort.null && h.id == 1000)
    #expect(f.status(f.b, r)!.messageCount == 0)
    #expect(f.status(f.b, r)!.seqno == 1)  // the seqno was consumed
    // The destroyed send-once reply right produced a send-once notification.
    #expect(f.receive(f.ta, reply) == MachMsgReturn.success)
    #expect(f.message(f.ta)!.id == NotifyID.sendOnce)
    #expect(f.k.destroyedMessages[.tooLarge] == 1)
    f.invariantsHold()
  }

  @Test func section2_3_tooLargeWithRcvLargeLeavesTheMessageQueued() {
    var f = Fixture()
    let (r, s) = f.channel()
    _ = f.send(f.ta, Fixture.message(to: s) { $0.int32([1, 2, 3, 4]) })
    #expect(f.receive(f.tb, r, size: 24, options: .receiveLarge) == MachMsgReturn.rcvTooLarge)
    #expect(f.message(f.tb)!.size == 44)
    #expect(f.status(f.b, r)!.messageCount == 1)
    #expect(f.status(f.b, r)!.seqno == 0)
    #expect(f.receive(f.tb, r, size: 44, options: .receiveLarge) == MachMsgReturn.success)
    #expect(f.message(f.tb)!.seqno == 0)
    f.invariantsHold()
  }

  @Test func section2_3_blockedReceiverWithASmallLargeBufferIsWokenWithTheSize() {
    var f = Fixture()
    let (r, s) = f.channel()
    let tb2 = f.k.createThread(in: f.b)
    #expect(f.receive(f.tb, r, size: 24, options: .receiveLarge) == MachMsgReturn.rcvInProgress)
    #expect(f.receive(tb2, r, size: 100, options: .receiveLarge) == MachMsgReturn.rcvInProgress)
    _ = f.send(f.ta, Fixture.message(to: s) { $0.int32([1, 2, 3, 4]) })
    let done = f.k.takeCompletions()
    #expect(
      done == [
        Completion(thread: f.tb, result: MachMsgReturn.rcvTooLarge),
        Completion(thread: tb2, result: MachMsgReturn.success),
      ])
    #expect(f.message(f.tb)!.size == 44)
    #expect(f.message(tb2)!.size == 44)
    f.invariantsHold()
  }

  @Test func section2_2_receiveTimeouts() {
    var f = Fixture()
    let (r, _) = f.channel()
    #expect(f.receive(f.tb, r, options: .receiveTimeout, timeout: 0) == MachMsgReturn.rcvTimedOut)
    #expect(f.receive(f.tb, r, options: .receiveTimeout, timeout: 5) == MachMsgReturn.rcvInProgress)
    f.k.runAdvancingTime()
    #expect(f.k.takeCompletions() == [Completion(thread: f.tb, result: MachMsgReturn.rcvTimedOut)])
    #expect(f.k.now == 5_000)
    f.invariantsHold()
  }

  @Test func section2_2_receiveOnANameThatIsNotAReceiveRightIsInvalidName() {
    var f = Fixture()
    let (_, s) = f.channel()
    #expect(f.receive(f.ta, s) == MachMsgReturn.rcvInvalidName)
    #expect(f.receive(f.ta, 77) == MachMsgReturn.rcvInvalidName)
  }

  @Test func section2_2_receiveOnAMemberOfASetIsInSet() {
    var f = Fixture()
    let (r, _) = f.channel()
    let (_, set) = f.k.portAllocate(f.b, right: PortRight.portSet.rawValue)
    #expect(f.k.portMoveMember(f.b, r, after: set) == KernReturn.success)
    #expect(f.receive(f.tb, r) == MachMsgReturn.rcvInSet)
  }

  @Test func section3_portDeathWakesReceiversWithPortDied() {
    var f = Fixture()
    let (r, _) = f.channel()
    #expect(f.receive(f.tb, r) == MachMsgReturn.rcvInProgress)
    let tb2 = f.k.createThread(in: f.b)
    #expect(f.k.portDestroy(f.b, r) == KernReturn.success)
    f.k.run()
    #expect(f.k.takeCompletions() == [Completion(thread: f.tb, result: MachMsgReturn.rcvPortDied)])
    _ = tb2
    f.invariantsHold()
  }

  @Test func section2_6_portSetsDeliverInArrivalOrderWithMemberSeqnos() {
    var f = Fixture()
    let r1 = f.receiveRight(f.b)
    let r2 = f.receiveRight(f.b)
    let s1 = f.give(f.b, r1, MsgType.makeSend, to: f.a)
    let s2 = f.give(f.b, r2, MsgType.makeSend, to: f.a)
    let (_, set) = f.k.portAllocate(f.b, right: PortRight.portSet.rawValue)
    _ = f.send(f.ta, Fixture.message(to: s1, id: 1))  // queued before r1 joins the set
    #expect(f.k.portMoveMember(f.b, r1, after: set) == KernReturn.success)
    #expect(f.k.portMoveMember(f.b, r2, after: set) == KernReturn.success)
    _ = f.send(f.ta, Fixture.message(to: s2, id: 2))
    _ = f.send(f.ta, Fixture.message(to: s1, id: 3))
    var got: [(Int32, PortName, UInt32)] = []
    for _ in 0..<3 {
      #expect(f.receive(f.tb, set) == MachMsgReturn.success)
      let m = f.message(f.tb)!
      got.append((m.id, m.localPort, m.seqno))
    }
    #expect(got.map(\.0) == [1, 2, 3])
    #expect(got.map(\.1) == [r1, r2, r1])
    #expect(got.map(\.2) == [0, 0, 1])
    #expect(f.k.portGetSetStatus(f.b, set).1 == [r1, r2])
    #expect(f.status(f.b, r1)!.portSet == set)
    f.invariantsHold()
  }

  @Test func section2_6_leavingASetTakesTheMessagesBack() {
    var f = Fixture()
    let (r, s) = f.channel()
    let (_, set) = f.k.portAllocate(f.b, right: PortRight.portSet.rawValue)
    _ = f.k.portMoveMember(f.b, r, after: set)
    _ = f.send(f.ta, Fixture.message(to: s, id: 5))
    #expect(f.k.portMoveMember(f.b, r, after: MachPort.null) == KernReturn.success)
    #expect(f.k.portMoveMember(f.b, r, after: MachPort.null) == KernReturn.notInSet)
    #expect(f.receive(f.tb, set, options: .receiveTimeout) == MachMsgReturn.rcvTimedOut)
    #expect(f.receive(f.tb, r) == MachMsgReturn.success)
    #expect(f.message(f.tb)!.id == 5)
    f.invariantsHold()
  }

  @Test func section2_2_joiningASetWakesReceiversOfThePortWithPortChanged() {
    var f = Fixture()
    let (r, _) = f.channel()
    let (_, set) = f.k.portAllocate(f.b, right: PortRight.portSet.rawValue)
    #expect(f.receive(f.tb, r) == MachMsgReturn.rcvInProgress)
    _ = f.k.portMoveMember(f.b, r, after: set)
    f.k.run()
    #expect(f.k.takeCompletions() == [Completion(thread: f.tb, result: MachMsgReturn.rcvPortChanged)])
    f.invariantsHold()
  }

  @Test func section2_6_queuedMessagesJoiningASetGoToItsWaitingReceiver() {
    var f = Fixture()
    let (r, s) = f.channel()
    let (_, set) = f.k.portAllocate(f.b, right: PortRight.portSet.rawValue)
    _ = f.send(f.ta, Fixture.message(to: s, id: 8))
    #expect(f.receive(f.tb, set) == MachMsgReturn.rcvInProgress)
    _ = f.k.portMoveMember(f.b, r, after: set)
    f.k.run()
    #expect(f.k.takeCompletions() == [Completion(thread: f.tb, result: MachMsgReturn.success)])
    #expect(f.message(f.tb)!.id == 8)
    f.invariantsHold()
  }

  @Test func section3_destroyingASetWakesItsReceiversAndFreesItsMembers() {
    var f = Fixture()
    let (r, s) = f.channel()
    let (_, set) = f.k.portAllocate(f.b, right: PortRight.portSet.rawValue)
    _ = f.k.portMoveMember(f.b, r, after: set)
    #expect(f.receive(f.tb, set) == MachMsgReturn.rcvInProgress)
    #expect(f.k.portModRefs(f.b, set, right: PortRight.portSet.rawValue, delta: -1) == KernReturn.success)
    f.k.run()
    #expect(f.k.takeCompletions() == [Completion(thread: f.tb, result: MachMsgReturn.rcvPortDied)])
    #expect(f.status(f.b, r)!.portSet == MachPort.null)
    _ = f.send(f.ta, Fixture.message(to: s))
    #expect(f.receive(f.tb, r) == MachMsgReturn.success)
    f.invariantsHold()
  }

  @Test func section2_7_sendAndReceiveInOneCallIsAnRpc() {
    var f = Fixture()
    let (r, s) = f.channel()
    let reply = f.receiveRight(f.a)
    let request = Fixture.message(to: s, reply: reply, replyDisposition: MsgType.makeSendOnce, id: 2000)
    let call = MachMsgCall(options: [.send, .receive], message: request, receiveSize: 8192, receiveName: reply)
    #expect(f.k.machMsg(f.ta, call) == MachMsgReturn.rcvInProgress)
    #expect(f.receive(f.tb, r) == MachMsgReturn.success)
    let so = f.message(f.tb)!.remotePort
    _ = f.send(f.tb, Fixture.message(to: so, MsgType.moveSendOnce, id: 2100) { $0.int32([0]) })
    #expect(f.k.takeCompletions() == [Completion(thread: f.ta, result: MachMsgReturn.success)])
    #expect(f.message(f.ta)!.id == 2100)
    #expect(f.message(f.ta)!.localBits == MsgType.portSendOnce)
    f.invariantsHold()
  }
}
