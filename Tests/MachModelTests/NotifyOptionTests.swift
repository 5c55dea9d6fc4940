import MachModel
import Testing

/// The `notify` argument of mach_msg with MACH_SEND_CANCEL and MACH_RCV_NOTIFY
/// (docs/gnumach.md §2.1, §2.2; `mach_msg_send`, `mach_msg_receive`,
/// `ipc_kmsg_copyin_header`, `ipc_kmsg_copyout_header`).
@Suite struct NotifyOptionTests {
  func notifyPort(_ f: inout Fixture, _ task: TaskIndex) -> (PortName, ObjectIndex) {
    let n = f.receiveRight(task)
    let (_, so, _) = f.k.portExtractRight(task, n, disposition: MsgType.makeSendOnce)
    return (n, so)
  }

  /// A send right in a (one uref) with a dead-name request whose notifications go to a's `n`.
  func watchedSendRight(_ f: inout Fixture) -> (send: PortName, notify: PortName) {
    let (_, s) = f.channel()
    let (n, so) = notifyPort(&f, f.a)
    #expect(f.k.portRequestNotification(f.a, s, id: NotifyID.deadName, sync: 0, notify: so).0 == KernReturn.success)
    return (s, n)
  }

  @Test func section2_2_sendCancelWithoutANotifyReceiveRightIsInvalidNotifyAndChangesNothing() {
    var f = Fixture()
    let (s, _) = watchedSendRight(&f)
    let m = Fixture.message(to: s, MsgType.moveSend)
    for notify in [MachPort.null, s] {  // none, and a name that holds no receive right
      #expect(
        f.k.machMsg(f.ta, MachMsgCall(options: [.send, .sendCancel], message: m, notify: notify))
          == MachMsgReturn.sendInvalidNotify)
      #expect(f.urefs(f.a, s, .send) == 1)
    }
    f.invariantsHold()
  }

  /// Moving the last uref of a name with a dead-name request frees the name, which sends a
  /// port-deleted notification; MACH_SEND_CANCEL with the request's notify port cancels it.
  @Test func section2_1_sendCancelSuppressesThePortDeletedNotificationToNotify() {
    for cancel in [false, true] {
      var f = Fixture()
      let (s, n) = watchedSendRight(&f)
      let m = Fixture.message(to: s, MsgType.moveSend)
      let call =
        cancel
        ? MachMsgCall(options: [.send, .sendCancel], message: m, notify: n)
        : MachMsgCall(options: .send, message: m)
      #expect(f.k.machMsg(f.ta, call) == MachMsgReturn.success)
      #expect(f.entry(f.a, s) == nil)
      #expect(f.status(f.a, n)!.messageCount == (cancel ? 0 : 1))
      #expect(f.status(f.a, n)!.sendOnceRights == (cancel ? 0 : 1))  // the notification's own
      f.invariantsHold()
    }
  }

  /// MACH_RCV_NOTIFY: the reply right received under a new name gets a dead-name request to
  /// `notify`; when the reply port dies, the receiver hears of it.
  @Test func section2_1_receiveNotifyRegistersADeadNameRequestForTheReplyRight() {
    var f = Fixture()
    let (r, s) = f.channel()
    let q = f.receiveRight(f.a)
    let n = f.receiveRight(f.b)
    _ = f.send(f.ta, Fixture.message(to: s, reply: q, replyDisposition: MsgType.makeSendOnce))
    #expect(
      f.k.machMsg(f.tb, MachMsgCall(options: [.receive, .receiveNotify], receiveSize: 8192, receiveName: r, notify: n))
        == MachMsgReturn.success)
    let reply = f.message(f.tb)!.remotePort
    #expect(f.type(f.b, reply) & PortType.dnRequest != 0)
    #expect(f.k.portDestroy(f.a, q) == KernReturn.success)
    #expect(f.receive(f.tb, n, options: .receiveTimeout) == MachMsgReturn.success)
    #expect(f.message(f.tb)?.id == NotifyID.deadName)
    f.invariantsHold()
  }

  /// With no usable notify the message is lost as a too-large one is: the header alone comes
  /// back, the reply right is destroyed (a send-once reply sends its notification), the seqno
  /// is consumed.
  @Test func section2_2_receiveNotifyWithoutANotifyReceiveRightIsInvalidNotifyAndLosesTheMessage() {
    var f = Fixture()
    let (r, s) = f.channel()
    let q = f.receiveRight(f.a)
    _ = f.send(
      f.ta, Fixture.message(to: s, reply: q, replyDisposition: MsgType.makeSendOnce, id: 31) { $0.int32([1, 2]) })
    #expect(
      f.k.machMsg(
        f.tb,
        MachMsgCall(options: [.receive, .receiveNotify], receiveSize: 8192, receiveName: r, notify: MachPort.null))
        == MachMsgReturn.rcvInvalidNotify)
    let header = f.message(f.tb)!
    #expect(header.id == 31 && header.localPort == r && header.remotePort == MachPort.null)
    #expect(f.status(f.b, r)!.messageCount == 0 && f.status(f.b, r)!.seqno == 1)
    #expect(f.receive(f.ta, q, options: .receiveTimeout) == MachMsgReturn.success)
    #expect(f.message(f.ta)?.id == NotifyID.sendOnce)
    #expect(f.k.destroyedMessages[.invalidNotify] == 1)
    f.invariantsHold()
  }

  /// `ipc_kmsg_copyout_header` (`ipc/ipc_kmsg.c`) checks `notify` also when the message has no
  /// reply port ("must check notify even though it won't be used"), and `mach_msg_receive`
  /// answers a null one MACH_RCV_INVALID_NOTIFY before copyout. So a bogus name fails even
  /// with nothing to register; only a receive right of the receiver passes.
  @Test func ipc_kmsg_copyout_header_checksNotifyEvenWithoutAReplyPort() {
    var f = Fixture()
    let (r, s) = f.channel()
    let n = f.receiveRight(f.b)
    func receive(_ f: inout Fixture, notify: PortName) -> ReturnCode {
      _ = f.send(f.ta, Fixture.message(to: s, id: 32))
      let call = MachMsgCall(options: [.receive, .receiveNotify], receiveSize: 8192, receiveName: r, notify: notify)
      return f.k.machMsg(f.tb, call)
    }
    #expect(receive(&f, notify: 0x999) == MachMsgReturn.rcvInvalidNotify)
    #expect(receive(&f, notify: MachPort.null) == MachMsgReturn.rcvInvalidNotify)
    #expect(receive(&f, notify: r) == MachMsgReturn.success)  // the port received from is one too
    #expect(receive(&f, notify: n) == MachMsgReturn.success)
    #expect(f.message(f.tb)!.id == 32 && f.status(f.b, r)!.seqno == 4)
    f.invariantsHold()
  }

  /// docs/trace.md T7: a receive that hands the header back with MACH_RCV_INVALID_NOTIFY is copied,
  /// as the header alone, like a too-large one.
  @Test func T7_aReceiveWithAnInvalidNotifyIsCopiedAsTheHeader() {
    var s = System()
    let (a, aName, at) = s.spawn("a")
    _ = s.traceToLog(aName)
    let (r, send) = s.channel(from: a, to: a)
    var m = MessageBuilder(remote: send, remoteDisposition: MsgType.copySend, id: 12)
    m.int32([5])
    _ = s.k.machMsg(at, .send(m.finish()))
    _ = s.k.takeTraceLog()
    #expect(
      s.k.machMsg(at, MachMsgCall(options: [.receive, .receiveNotify], receiveSize: 8192, receiveName: r, notify: 0))
        == MachMsgReturn.rcvInvalidNotify)
    let log = s.k.takeTraceLog()
    #expect(log.entries.map(\.retval) == [MachMsgReturn.rcvInvalidNotify])
    #expect(log.entries.first?.length == MsgHeader.size)
    s.invariantsHold()
  }
}
