import MachModel
import Testing

/// Port death and notifications: docs/gnumach.md §3 ("Port death", "Notifications").
@Suite struct NotificationTests {
  /// A send-once right to a fresh notify port in `task`: (the port's name, the kernel right).
  func notifyPort(_ f: inout Fixture, _ task: TaskIndex) -> (PortName, ObjectIndex) {
    let n = f.receiveRight(task)
    let (_, so, _) = f.k.portExtractRight(task, n, disposition: MsgType.makeSendOnce)
    return (n, so)
  }

  /// Receives the next notification on `port` and returns (id, first body word or nil).
  func next(_ f: inout Fixture, _ thread: ThreadIndex, _ port: PortName) -> (Int32, UInt32?)? {
    guard f.receive(thread, port, options: .receiveTimeout) == MachMsgReturn.success else { return nil }
    let m = f.message(thread)!
    #expect(m.remotePort == MachPort.null)  // notifications have no reply port
    #expect(m.localBits == MsgType.portSendOnce)
    return (m.id, (try? m.items().get())?.first?.words.first)
  }

  /// ipc_right_dnrequest (`ipc/ipc_right.c`): on a dead name without `sync` (or with no notify
  /// port) the request is KERN_INVALID_ARGUMENT; on a name that holds no port or dead name
  /// (a port set) KERN_INVALID_RIGHT.
  @Test func ipc_right_dnrequest_onADeadNameWithoutSyncIsInvalidArgument() {
    var f = Fixture()
    let (r, s) = f.channel()
    let (_, notify) = notifyPort(&f, f.a)
    _ = f.k.portDestroy(f.b, r)
    #expect(f.type(f.a, s) == PortType.deadName)
    let noSync = f.k.portRequestNotification(f.a, s, id: NotifyID.deadName, sync: 0, notify: notify)
    #expect(noSync.0 == KernReturn.invalidArgument)
    let noNotify = f.k.portRequestNotification(f.a, s, id: NotifyID.deadName, sync: 1, notify: -1)
    #expect(noNotify.0 == KernReturn.invalidArgument)
    let (_, set) = f.k.portAllocate(f.a, right: PortRight.portSet.rawValue)
    let onSet = f.k.portRequestNotification(f.a, set, id: NotifyID.deadName, sync: 0, notify: notify)
    #expect(onSet.0 == KernReturn.invalidRight)
    f.k.releaseKernelRight(notify, carriedType: MsgType.portSendOnce)  // on error it stays the caller's
    f.invariantsHold()
  }

  /// ipc_right_destroy and ipc_right_clean (`ipc/ipc_right.c`): a name holding the receive
  /// right and the port's only send right, with a no-senders request: the request is taken as
  /// the send-right count reaches zero, the port is destroyed, then a real no-senders
  /// notification (70, with the make-send count) goes out, not a send-once one (71).
  @Test(arguments: [false, true])
  func ipc_right_destroy_sendsNoSendersForTheLastSendRightUnderTheReceiveName(byTaskDeath: Bool) {
    var f = Fixture()
    let (n, so) = notifyPort(&f, f.b)
    let r = f.receiveRight(f.a)
    let (_, o, type) = f.k.portExtractRight(f.a, r, disposition: MsgType.makeSend)
    #expect(f.k.portInsertRight(f.a, r, right: o, carriedType: type) == KernReturn.success)
    #expect(f.type(f.a, r) == PortType.sendReceive && f.sendRights(f.a, r) == 1)
    #expect(f.k.portRequestNotification(f.a, r, id: NotifyID.noSenders, sync: 0, notify: so).0 == KernReturn.success)
    if byTaskDeath {
      _ = f.k.terminateTask(f.a)
    } else {
      #expect(f.k.portDestroy(f.a, r) == KernReturn.success)
    }
    let got = next(&f, f.tb, n)
    #expect(got?.0 == NotifyID.noSenders && got?.1 == 1)
    #expect(next(&f, f.tb, n) == nil)
    f.invariantsHold()
  }

  @Test func section3_noSendersFiresWhenTheLastSendRightGoes() {
    var f = Fixture()
    let (r, s) = f.channel()
    let (n, so) = notifyPort(&f, f.b)
    #expect(f.k.portRequestNotification(f.b, r, id: NotifyID.noSenders, sync: 0, notify: so).0 == KernReturn.success)
    #expect(f.status(f.b, r)!.hasNoSendersRequest)
    #expect(next(&f, f.tb, n) == nil)
    #expect(f.k.portDeallocate(f.a, s) == KernReturn.success)
    let got = next(&f, f.tb, n)
    #expect(got?.0 == NotifyID.noSenders && got?.1 == 1)  // body: the make-send count
    f.invariantsHold()
  }

  @Test func section3_noSendersFiresAtOnceWhenThereAreNone() {
    var f = Fixture()
    let r = f.receiveRight(f.b)
    let (n, so) = notifyPort(&f, f.b)
    _ = f.k.portRequestNotification(f.b, r, id: NotifyID.noSenders, sync: 0, notify: so)
    #expect(next(&f, f.tb, n)?.0 == NotifyID.noSenders)
    // With sync above the make-send count it waits.
    let (_, so2) = notifyPort(&f, f.b)
    _ = f.k.portRequestNotification(f.b, r, id: NotifyID.noSenders, sync: 1, notify: so2)
    #expect(f.status(f.b, r)!.hasNoSendersRequest)
    f.invariantsHold()
  }

  @Test func section3_requestReturnsThePreviousSendOnceRight() {
    var f = Fixture()
    let (r, _) = f.channel()
    let (_, so1) = notifyPort(&f, f.b)
    let (_, so2) = notifyPort(&f, f.b)
    #expect(f.k.portRequestNotification(f.b, r, id: NotifyID.noSenders, sync: 0, notify: so1).previous == -1)
    #expect(f.k.portRequestNotification(f.b, r, id: NotifyID.noSenders, sync: 0, notify: so2).previous == so1)
    f.k.releaseKernelRight(so1, carriedType: MsgType.portSendOnce)
    f.invariantsHold()
  }

  @Test func section3_deadNameNotificationWhenThePortDies() {
    var f = Fixture()
    let (r, s) = f.channel()
    let (n, so) = notifyPort(&f, f.a)
    #expect(f.k.portRequestNotification(f.a, s, id: NotifyID.deadName, sync: 0, notify: so).0 == KernReturn.success)
    #expect(f.type(f.a, s) & PortType.dnRequest != 0)
    #expect(f.k.portDestroy(f.b, r) == KernReturn.success)
    let got = next(&f, f.ta, n)
    #expect(got?.0 == NotifyID.deadName && got?.1 == s)
    // The name is a dead name with one more uref for the request.
    #expect(f.type(f.a, s) == PortType.deadName)
    #expect(f.urefs(f.a, s, .deadName) == 2)
    f.invariantsHold()
  }

  @Test func section3_deadNameRequestOnADeadNameWithSyncFiresAtOnce() {
    var f = Fixture()
    let (_, d) = f.k.portAllocate(f.a, right: PortRight.deadName.rawValue)
    let (n, so) = notifyPort(&f, f.a)
    #expect(f.k.portRequestNotification(f.a, d, id: NotifyID.deadName, sync: 1, notify: so).0 == KernReturn.success)
    #expect(next(&f, f.ta, n)?.0 == NotifyID.deadName)
    #expect(f.urefs(f.a, d, .deadName) == 2)
    let (_, so2) = notifyPort(&f, f.a)
    #expect(
      f.k.portRequestNotification(f.a, d, id: NotifyID.deadName, sync: 0, notify: so2).0
        == KernReturn.invalidArgument)  // ipc_right_dnrequest
    f.k.releaseKernelRight(so2, carriedType: MsgType.portSendOnce)
    f.invariantsHold()
  }

  @Test func section3_portDeletedWhenANameWithARequestIsDeallocated() {
    var f = Fixture()
    let (_, s) = f.channel()
    let (n, so) = notifyPort(&f, f.a)
    _ = f.k.portRequestNotification(f.a, s, id: NotifyID.deadName, sync: 0, notify: so)
    #expect(f.k.portDeallocate(f.a, s) == KernReturn.success)
    let got = next(&f, f.ta, n)
    #expect(got?.0 == NotifyID.portDeleted && got?.1 == s)
    f.invariantsHold()
  }

  @Test func section3_sendOnceNotificationWhenASendOnceRightIsDeallocated() {
    var f = Fixture()
    let r = f.receiveRight(f.b)
    let so = f.give(f.b, r, MsgType.makeSendOnce, to: f.a)
    #expect(f.k.portDeallocate(f.a, so) == KernReturn.success)
    #expect(next(&f, f.tb, r)?.0 == NotifyID.sendOnce)
    f.invariantsHold()
  }

  @Test func section3_portDestroyedSendsTheReceiveRightToTheBackup() {
    var f = Fixture()
    let (r, s) = f.channel()
    let (n, so) = notifyPort(&f, f.a)
    #expect(
      f.k.portRequestNotification(f.b, r, id: NotifyID.portDestroyed, sync: 1, notify: so).0 == KernReturn.invalidValue)
    #expect(
      f.k.portRequestNotification(f.b, r, id: NotifyID.portDestroyed, sync: 0, notify: so).0 == KernReturn.success)
    _ = f.send(f.ta, Fixture.message(to: s, id: 3))
    #expect(f.k.portDestroy(f.b, r) == KernReturn.success)
    #expect(f.receive(f.ta, n) == MachMsgReturn.success)
    let m = f.message(f.ta)!
    #expect(m.id == NotifyID.portDestroyed && m.isComplex)
    let item = try! m.items().get()[0]
    #expect(item.descriptor.name == MsgType.portReceive)
    let got = item.words[0]
    #expect(got == s)  // a held send rights for it: the same name, now send+receive
    #expect(f.type(f.a, got) == PortType.sendReceive)
    // The port survived with its queue.
    #expect(f.receive(f.ta, got) == MachMsgReturn.success)
    #expect(f.message(f.ta)!.id == 3)
    f.invariantsHold()
  }

  @Test func section3_portDeathDestroysQueuedMessagesAndTheirRights() {
    var f = Fixture()
    let (r, s) = f.channel()
    let reply = f.receiveRight(f.a)
    _ = f.send(f.ta, Fixture.message(to: s, reply: reply, replyDisposition: MsgType.makeSendOnce))
    let (ns, so) = notifyPort(&f, f.b)
    _ = f.k.portRequestNotification(f.b, r, id: NotifyID.noSenders, sync: 5, notify: so)
    #expect(f.k.portDestroy(f.b, r) == KernReturn.success)
    // The queued message's send-once reply right was destroyed: a send-once notification.
    #expect(next(&f, f.ta, reply)?.0 == NotifyID.sendOnce)
    // The pending no-senders request got a send-once notification.
    #expect(next(&f, f.tb, ns)?.0 == NotifyID.sendOnce)
    #expect(f.k.destroyedMessages[.portDied] == 1)
    f.invariantsHold()
  }

  @Test func section3_unknownNotificationIdIsInvalidValue() {
    var f = Fixture()
    let r = f.receiveRight(f.a)
    #expect(f.k.portRequestNotification(f.a, r, id: 67, sync: 0, notify: -1).0 == KernReturn.invalidValue)
    #expect(
      f.k.portRequestNotification(f.a, 99, id: NotifyID.noSenders, sync: 0, notify: -1).0 == KernReturn.invalidName)
  }
}
