import MachModel
import Testing

/// Rights in messages: docs/gnumach.md §1.5, §1.1 (header swap), §3 (urefs).
@Suite struct RightTransferTests {
  /// Sends one body item carrying `name` with `disposition` from a to b and returns the name
  /// b receives.
  func transfer(
    _ f: inout Fixture, _ name: PortName, _ disposition: UInt32, over channel: (PortName, PortName)
  ) -> PortName {
    let m = Fixture.message(to: channel.1) { $0.ports([name], disposition: disposition) }
    #expect(f.send(f.ta, m) == MachMsgReturn.success)
    #expect(f.receive(f.tb, channel.0) == MachMsgReturn.success)
    let item = try! f.message(f.tb)!.items().get()[0]
    #expect(item.descriptor.name == MsgType.carriedType(disposition))
    return item.words[0]
  }

  @Test func section1_5_copySendReusesTheReceiversNameAndAddsAUref() {
    var f = Fixture()
    let c = f.channel()
    let p = f.receiveRight(f.a)
    let first = transfer(&f, p, MsgType.makeSend, over: c)
    let second = transfer(&f, p, MsgType.makeSend, over: c)
    #expect(first == second)
    #expect(f.urefs(f.b, first, .send) == 2)
    #expect(f.status(f.a, p)!.makeSendCount == 2)
    #expect(f.sendRights(f.a, p)! == 1)  // one entry holds them
    f.invariantsHold()
  }

  @Test func section1_5_copySendLeavesTheSendersUrefs() {
    var f = Fixture()
    let c = f.channel()
    let p = f.receiveRight(f.b)
    let s = f.give(f.b, p, MsgType.makeSend, to: f.a)
    let got = transfer(&f, s, MsgType.copySend, over: c)
    #expect(got == p)  // b holds the receive right: same name, now send+receive
    #expect(f.type(f.b, p) == PortType.sendReceive)
    #expect(f.urefs(f.a, s, .send) == 1)
    f.invariantsHold()
  }

  @Test func section1_5_moveSendTakesTheLastUrefAndTheName() {
    var f = Fixture()
    let c = f.channel()
    let p = f.receiveRight(f.a)
    let s = f.give(f.a, p, MsgType.makeSendOnce, to: f.a)
    _ = transfer(&f, s, MsgType.moveSendOnce, over: c)
    #expect(f.entry(f.a, s) == nil)
    let (_, sendName) = (0, f.give(f.a, p, MsgType.makeSend, to: f.a))
    #expect(sendName == p)
    _ = transfer(&f, p, MsgType.moveSend, over: c)
    #expect(f.type(f.a, p) == PortType.receive)  // the receive right keeps the name
    f.invariantsHold()
  }

  @Test func section1_5_sendOnceRightsAlwaysGetNewNames() {
    var f = Fixture()
    let c = f.channel()
    let p = f.receiveRight(f.a)
    let n1 = transfer(&f, p, MsgType.makeSendOnce, over: c)
    let n2 = transfer(&f, p, MsgType.makeSendOnce, over: c)
    #expect(n1 != n2)
    #expect(f.type(f.b, n1) == PortType.sendOnce && f.type(f.b, n2) == PortType.sendOnce)
    #expect(f.status(f.a, p)!.sendOnceRights == 2)
    f.invariantsHold()
  }

  @Test func section1_5_moveReceiveMovesThePortAndResetsSeqnoAndMscount() {
    var f = Fixture()
    let c = f.channel()
    let p = f.receiveRight(f.a)
    let s = f.give(f.a, p, MsgType.makeSend, to: f.a)
    #expect(s == p)
    _ = f.k.portSetSeqno(f.a, p, seqno: 9)
    let got = transfer(&f, p, MsgType.moveReceive, over: c)
    #expect(f.type(f.a, p) == PortType.send)  // a keeps its send right under the name
    #expect(f.type(f.b, got) == PortType.receive)
    #expect(f.status(f.b, got)!.seqno == 0 && f.status(f.b, got)!.makeSendCount == 0)
    // a's send right now reaches b.
    _ = f.send(f.ta, Fixture.message(to: p, id: 5))
    #expect(f.receive(f.tb, got) == MachMsgReturn.success)
    #expect(f.message(f.tb)!.id == 5)
    f.invariantsHold()
  }

  @Test func section1_5_receiveRightArrivingWhereSendRightsAreReusesTheName() {
    var f = Fixture()
    let c = f.channel()
    let p = f.receiveRight(f.a)
    let bName = transfer(&f, p, MsgType.makeSend, over: c)
    let got = transfer(&f, p, MsgType.moveReceive, over: c)
    #expect(got == bName)
    #expect(f.type(f.b, got) == PortType.sendReceive)
    f.invariantsHold()
  }

  @Test func section1_5_aPortThatDiesInTransitArrivesAsDead() {
    var f = Fixture()
    let c = f.channel()
    let p = f.receiveRight(f.a)
    let m = Fixture.message(to: c.1) { $0.ports([p], disposition: MsgType.makeSend) }
    _ = f.send(f.ta, m)
    #expect(f.k.portDestroy(f.a, p) == KernReturn.success)
    #expect(f.receive(f.tb, c.0) == MachMsgReturn.success)
    #expect(try! f.message(f.tb)!.items().get()[0].words == [MachPort.dead])
    f.invariantsHold()
  }

  @Test func section1_5_nullAndDeadPassThroughTheBody() {
    var f = Fixture()
    let c = f.channel()
    let m = Fixture.message(to: c.1) { $0.ports([MachPort.null, MachPort.dead], disposition: MsgType.copySend) }
    #expect(f.send(f.ta, m) == MachMsgReturn.success)
    #expect(f.receive(f.tb, c.0) == MachMsgReturn.success)
    #expect(try! f.message(f.tb)!.items().get()[0].words == [MachPort.null, MachPort.dead])
  }

  @Test func section1_4_portNameItemsAreNotTranslated() {
    var f = Fixture()
    let c = f.channel()
    let m = Fixture.message(to: c.1) { $0.ports([12345], disposition: MsgType.portName) }
    #expect(f.send(f.ta, m) == MachMsgReturn.success)
    #expect(f.receive(f.tb, c.0) == MachMsgReturn.success)
    #expect(try! f.message(f.tb)!.items().get()[0].words == [12345])
  }

  /// ipc_right_copyout and ipc_right_delta (`ipc/ipc_right.c`): a send right's urefs stop at
  /// MACH_PORT_UREFS_MAX − 1 = 65534. A received right past it leaves the count pegged (the
  /// send right is merged and dropped); mod_refs and insert_right answer KERN_UREFS_OVERFLOW.
  @Test func ipc_right_copyout_sendUrefsStopAt65534() {
    var f = Fixture()
    let c = f.channel()
    let p = f.receiveRight(f.a)
    let bName = transfer(&f, p, MsgType.makeSend, over: c)
    #expect(f.k.portModRefs(f.b, bName, right: PortRight.send.rawValue, delta: 65534) == KernReturn.urefsOverflow)
    #expect(f.k.portModRefs(f.b, bName, right: PortRight.send.rawValue, delta: 65533) == KernReturn.success)
    #expect(f.urefs(f.b, bName, .send) == 65534)
    _ = transfer(&f, p, MsgType.makeSend, over: c)
    #expect(f.urefs(f.b, bName, .send) == 65534)
    #expect(f.sendRights(f.a, p) == 1)
    #expect(f.k.portModRefs(f.b, bName, right: PortRight.send.rawValue, delta: 1) == KernReturn.urefsOverflow)
    let (_, o, type) = f.k.portExtractRight(f.a, p, disposition: MsgType.makeSend)
    #expect(f.k.portInsertRight(f.b, bName, right: o, carriedType: type) == KernReturn.urefsOverflow)
    f.k.releaseKernelRight(o, carriedType: type)
    f.invariantsHold()
  }

  @Test func section1_5_sameNameForDestinationAndReply() {
    var f = Fixture()
    let p = f.receiveRight(f.a)
    _ = f.give(f.a, p, MsgType.makeSend, to: f.a)
    // COPY_SEND twice: the receiver gets the reply as a send right.
    #expect(f.send(f.ta, Fixture.message(to: p, reply: p, replyDisposition: MsgType.copySend)) == MachMsgReturn.success)
    #expect(f.receive(f.ta, p) == MachMsgReturn.success)
    #expect(f.message(f.ta)!.remotePort == p && f.message(f.ta)!.localPort == p)
    // MOVE_SEND_ONCE on either side is an error: the move would leave nothing for the other.
    let so = f.give(f.a, p, MsgType.makeSendOnce, to: f.a)
    #expect(
      f.send(f.ta, Fixture.message(to: so, MsgType.moveSendOnce, reply: so, replyDisposition: MsgType.moveSendOnce))
        == MachMsgReturn.sendInvalidDest)
    #expect(f.type(f.a, so) == PortType.sendOnce)
    // MOVE_SEND twice needs two urefs: the reply received above added the second.
    #expect(f.urefs(f.a, p, .send) == 2)
    #expect(
      f.send(f.ta, Fixture.message(to: p, MsgType.moveSend, reply: p, replyDisposition: MsgType.moveSend))
        == MachMsgReturn.success)
    #expect(f.type(f.a, p) == PortType.receive)
    _ = f.give(f.a, p, MsgType.makeSend, to: f.a)
    #expect(f.urefs(f.a, p, .send) == 1)
    #expect(
      f.send(f.ta, Fixture.message(to: p, MsgType.moveSend, reply: p, replyDisposition: MsgType.moveSend))
        == MachMsgReturn.sendInvalidDest)
    _ = f.k.portModRefs(f.a, p, right: PortRight.send.rawValue, delta: -1)
    #expect(f.type(f.a, p) == PortType.receive)
    f.invariantsHold()
  }

  @Test func section1_1_receivingConsumesTheCarryingSendRight() {
    var f = Fixture()
    let (r, s) = f.channel()
    _ = f.send(f.ta, Fixture.message(to: s))
    #expect(f.sendRights(f.b, r)! == 2)  // a's entry and the one in the message
    _ = f.receive(f.tb, r)
    #expect(f.sendRights(f.b, r)! == 1)
  }

  /// `ipc_kmsg_copyin_header` for the common RPC header, a COPY_SEND destination and a
  /// MAKE_SEND_ONCE reply under two names (the case `mach_msg_trap`'s fast path takes by
  /// itself): the destination gains a send right and the reply port a send-once right, no
  /// entry of the sender changes, and the receiver gets the reply right as a send-once right.
  @Test func ipc_kmsg_copyin_header_copySendWithMakeSendOnce() {
    var f = Fixture()
    let (r, s) = f.channel()
    let reply = f.receiveRight(f.a)
    let entries = (f.entry(f.a, s), f.entry(f.a, reply))
    let sends = f.k.sendRightCount(f.b, r)!
    let m = Fixture.message(to: s, reply: reply, replyDisposition: MsgType.makeSendOnce)
    #expect(f.send(f.ta, m) == MachMsgReturn.success)
    #expect(f.entry(f.a, s) == entries.0)
    #expect(f.entry(f.a, reply) == entries.1)
    #expect(f.k.sendRightCount(f.b, r) == sends + 1)
    #expect(f.status(f.a, reply)?.sendOnceRights == 1)
    #expect(f.receive(f.tb, r) == MachMsgReturn.success)
    let got = f.message(f.tb)!
    #expect(got.remoteBits == MsgType.portSendOnce)
    #expect(got.localBits == MsgType.portSend)
    #expect(f.entry(f.b, got.remotePort)?.type == PortType.sendOnce)
    #expect(f.k.checkInvariants() == [])
  }

  /// The same header to a port that has died: the send right turns into a dead name
  /// (`ipc_right_check`) and the send fails with MACH_SEND_INVALID_DEST, the reply port
  /// untouched.
  @Test func ipc_kmsg_copyin_header_copySendWithMakeSendOnceToADeadPort() {
    var f = Fixture()
    let (r, s) = f.channel()
    let reply = f.receiveRight(f.a)
    #expect(f.k.portDestroy(f.b, r) == KernReturn.success)
    let m = Fixture.message(to: s, reply: reply, replyDisposition: MsgType.makeSendOnce)
    #expect(f.send(f.ta, m) == MachMsgReturn.sendInvalidDest)
    #expect(f.entry(f.a, s)?.type == PortType.deadName)
    #expect(f.status(f.a, reply)?.sendOnceRights == 0)
    #expect(f.k.checkInvariants() == [])
  }
}
