import Testing

@testable import MachModel

/// The order of a dying port's dead-name notifications follows GNU Mach's request table
/// (`ip_dnrequests`): `ipc_port_dngrow` hands out new slots from the top, `ipc_port_dncancel`
/// returns a slot to the head of the free list, and `ipc_port_destroy` walks slot order.
@Suite struct DeadNameOrderTests {
  /// A port in b, `count` send-once rights to it in a (each its own name, so each can hold
  /// its own request), and a notify port in a with a request registered for each name in
  /// turn. Answers (b's receive name, a's names in request order, the notify port's name).
  func requests(_ f: inout Fixture, count: Int) -> (PortName, [PortName], PortName) {
    let r = f.receiveRight(f.b)
    let names = (0..<count).map { _ in f.give(f.b, r, MsgType.makeSendOnce, to: f.a) }
    let n = f.receiveRight(f.a)
    for name in names { request(&f, name, notify: n) }
    return (r, names, n)
  }

  func request(_ f: inout Fixture, _ name: PortName, notify n: PortName) {
    let (_, so, _) = f.k.portExtractRight(f.a, n, disposition: MsgType.makeSendOnce)
    let (kr, previous) = f.k.portRequestNotification(f.a, name, id: NotifyID.deadName, sync: 0, notify: so)
    #expect(kr == KernReturn.success)
    if previous >= 0 { f.k.releaseKernelRight(previous, carriedType: MsgType.portSendOnce) }
  }

  /// Destroys `r` in b and answers the names the dead-name notifications on `n` carry.
  func notifiedNames(_ f: inout Fixture, destroying r: PortName, notify n: PortName) -> [PortName] {
    #expect(f.k.portDestroy(f.b, r) == KernReturn.success)
    var names: [PortName] = []
    while f.receive(f.ta, n, options: .receiveTimeout) == MachMsgReturn.success, let m = f.message(f.ta) {
      if m.id == NotifyID.deadName, let name = (try? m.items().get())?.first?.words.first { names.append(name) }
    }
    return names
  }

  @Test func ipc_port_dngrow_threeRequestsAreNotifiedInSlotOrder() {
    var f = Fixture()
    let (r, x, n) = requests(&f, count: 3)
    // Slots 1, 3, 2: the first table holds one request, the second adds slots 2 and 3 and
    // hands out 3 first.
    #expect(notifiedNames(&f, destroying: r, notify: n) == [x[0], x[2], x[1]])
    f.invariantsHold()
  }

  @Test func ipc_port_dngrow_sevenRequestsFillThreeTables() {
    var f = Fixture()
    let (r, x, n) = requests(&f, count: 7)
    // Slots 1 | 3 2 | 7 6 5 4.
    #expect(notifiedNames(&f, destroying: r, notify: n) == [x[0], x[2], x[1], x[6], x[5], x[4], x[3]])
    f.invariantsHold()
  }

  /// ipc_right_dnrequest cancels the old request before it makes the new one, so a
  /// replaced request keeps its slot, and with it its place in the order.
  @Test func ipc_right_dnrequest_aReplacedRequestKeepsItsSlot() {
    var f = Fixture()
    let (r, x, n) = requests(&f, count: 3)
    request(&f, x[0], notify: n)
    #expect(notifiedNames(&f, destroying: r, notify: n) == [x[0], x[2], x[1]])
    f.invariantsHold()
  }

  /// ipc_port_dncancel puts the slot at the free list's head: the next request takes it.
  @Test func ipc_port_dncancel_theNextRequestTakesTheCancelledSlot() {
    var f = Fixture()
    let (r, x, n) = requests(&f, count: 3)
    let (kr, previous) = f.k.portRequestNotification(f.a, x[0], id: NotifyID.deadName, sync: 0, notify: -1)
    #expect(kr == KernReturn.success && previous >= 0)
    f.k.releaseKernelRight(previous, carriedType: MsgType.portSendOnce)
    let d = f.give(f.b, r, MsgType.makeSendOnce, to: f.a)
    request(&f, d, notify: n)
    #expect(notifiedNames(&f, destroying: r, notify: n) == [d, x[2], x[1]])
    f.invariantsHold()
  }

  /// mach_port_rename moves a request with its entry (`ipc_right_rename`, with
  /// `ipc_port_dnrename` in ipc/ipc_port.h): it keeps its slot, so its place in the order,
  /// and the notification carries the new name.
  @Test func ipc_port_dnrename_aRenamedRequestKeepsItsSlotAndTakesTheNewName() {
    var f = Fixture()
    let (r, x, n) = requests(&f, count: 3)
    #expect(f.k.portRename(f.a, x[2], 0x500) == KernReturn.success)
    #expect(notifiedNames(&f, destroying: r, notify: n) == [x[0], 0x500, x[1]])
    f.invariantsHold()
  }

  /// ipc_table_fill(ipc_table_dnrequests, 63, 2, 8) on i386 (ipc/ipc_table.c): powers of two
  /// up to a page, then page steps; the table that follows the 63rd has size 0.
  @Test func ipc_table_fill_dnrequestTableSizes() {
    let sizes = DeadNameTable.tableSizes
    #expect(sizes.count == 63)
    #expect(Array(sizes.prefix(11)) == [2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 1536])
    #expect(sizes[23] == 8192 && sizes[24] == 9216)  // after 15 one-page steps, two pages
    #expect(sizes.last == 91136)
    #expect(DeadNameTable.capacity == 91135)
  }

  /// ipc_port_dngrow answers KERN_RESOURCE_SHORTAGE once the last table is full:
  /// ipc_right_dnrequest passes it on, leaving the name without a request, and
  /// ipc_kmsg_copyout_header fails a MACH_RCV_NOTIFY receive whose reply right would need a
  /// request with MACH_RCV_HEADER_ERROR|MACH_MSG_IPC_KERNEL, handing back the header alone.
  @Test func ipc_port_dngrow_aFullTableIsResourceShortage() {
    var f = Fixture()
    let r = f.receiveRight(f.b)
    let n = f.receiveRight(f.a)
    let (_, notifyObject, _) = f.k.portExtractRight(f.a, n, disposition: MsgType.makeSendOnce)
    f.k.releaseKernelRight(notifyObject, carriedType: MsgType.portSendOnce)
    var last = KernReturn.success
    for _ in 0...DeadNameTable.capacity {
      let name = f.give(f.b, r, MsgType.makeSendOnce, to: f.a)
      let (_, so, _) = f.k.portExtractRight(f.a, n, disposition: MsgType.makeSendOnce)
      (last, _) = f.k.portRequestNotification(f.a, name, id: NotifyID.deadName, sync: 0, notify: so)
      if last != KernReturn.success {
        #expect(f.type(f.a, name) & PortType.dnRequest == 0)
        f.k.releaseKernelRight(so, carriedType: MsgType.portSendOnce)
      }
    }
    #expect(last == KernReturn.resourceShortage)

    let p = f.receiveRight(f.a)
    let ps = f.give(f.a, p, MsgType.makeSend, to: f.b)
    _ = f.send(f.tb, Fixture.message(to: ps, reply: r, replyDisposition: MsgType.makeSendOnce, id: 9))
    #expect(
      f.k.machMsg(f.ta, MachMsgCall(options: [.receive, .receiveNotify], receiveSize: 8192, receiveName: p, notify: n))
        == MachMsgReturn.rcvHeaderError | MachMsgReturn.ipcKernel)
    let header = f.message(f.ta)!
    #expect(header.id == 9 && header.localPort == p && header.remotePort == MachPort.null)
    #expect(f.k.destroyedMessages[.headerError] == 1)
    // The reply right was destroyed, so r got its send-once notification.
    #expect(f.receive(f.tb, r, options: .receiveTimeout) == MachMsgReturn.success)
    #expect(f.message(f.tb)?.id == NotifyID.sendOnce)
    f.invariantsHold()
  }
}
