import MachModel
import Testing

/// The mach_port calls and their error codes: docs/gnumach.md §3 ("Port RPCs").
@Suite struct PortCallTests {
  @Test func section3_deallocateDropsOneUref() {
    var f = Fixture()
    let (r, s) = f.channel()
    _ = f.k.portModRefs(f.a, s, right: PortRight.send.rawValue, delta: 2)
    #expect(f.k.portDeallocate(f.a, s) == KernReturn.success)
    #expect(f.urefs(f.a, s, .send) == 2)
    #expect(f.k.portDeallocate(f.a, s) == KernReturn.success)
    #expect(f.k.portDeallocate(f.a, s) == KernReturn.success)
    #expect(f.entry(f.a, s) == nil)
    #expect(f.k.portDeallocate(f.a, s) == KernReturn.invalidName)
    #expect(f.sendRights(f.b, r)! == 0)
    f.invariantsHold()
  }

  @Test func section3_deallocateOnReceiveOnlyOrASetIsInvalidRight() {
    var f = Fixture()
    let r = f.receiveRight(f.a)
    let (_, set) = f.k.portAllocate(f.a, right: PortRight.portSet.rawValue)
    #expect(f.k.portDeallocate(f.a, r) == KernReturn.invalidRight)
    #expect(f.k.portDeallocate(f.a, set) == KernReturn.invalidRight)
    #expect(f.type(f.a, r) == PortType.receive)
  }

  @Test func section3_deallocateOnSendReceiveDropsTheSendRight() {
    var f = Fixture()
    let r = f.receiveRight(f.a)
    _ = f.give(f.a, r, MsgType.makeSend, to: f.a)
    #expect(f.k.portDeallocate(f.a, r) == KernReturn.success)
    #expect(f.type(f.a, r) == PortType.receive)
    f.invariantsHold()
  }

  @Test func section3_destroyRemovesEveryRightUnderTheName() {
    var f = Fixture()
    let (r, s) = f.channel()
    _ = f.k.portModRefs(f.a, s, right: PortRight.send.rawValue, delta: 3)
    #expect(f.k.portDestroy(f.a, s) == KernReturn.success)
    #expect(f.entry(f.a, s) == nil)
    #expect(f.sendRights(f.b, r)! == 0)
    #expect(f.k.portDestroy(f.a, s) == KernReturn.invalidName)
    f.invariantsHold()
  }

  @Test func section3_modRefsOnReceiveTakesOnlyZeroOrMinusOne() {
    var f = Fixture()
    let r = f.receiveRight(f.a)
    #expect(f.k.portModRefs(f.a, r, right: PortRight.receive.rawValue, delta: 0) == KernReturn.success)
    #expect(f.k.portModRefs(f.a, r, right: PortRight.receive.rawValue, delta: 1) == KernReturn.invalidValue)
    #expect(f.k.portModRefs(f.a, r, right: PortRight.receive.rawValue, delta: -2) == KernReturn.invalidValue)
    #expect(f.k.portModRefs(f.a, r, right: PortRight.send.rawValue, delta: 1) == KernReturn.invalidRight)
    #expect(f.k.portModRefs(f.a, r, right: 7, delta: 1) == KernReturn.invalidValue)
    #expect(f.k.portModRefs(f.a, r, right: PortRight.receive.rawValue, delta: -1) == KernReturn.success)
    #expect(f.entry(f.a, r) == nil)
    f.invariantsHold()
  }

  @Test func section3_modRefsMinusOneOnSendReceiveLeavesADeadNameAtOnce() {
    var f = Fixture()
    let r = f.receiveRight(f.a)
    _ = f.give(f.a, r, MsgType.makeSend, to: f.a)
    #expect(f.k.portModRefs(f.a, r, right: PortRight.receive.rawValue, delta: -1) == KernReturn.success)
    #expect(f.entry(f.a, r)!.type == PortType.deadName)
    #expect(f.urefs(f.a, r, .deadName) == 1)
    f.invariantsHold()
  }

  @Test func section3_modRefsOnSendAndDeadNames() {
    var f = Fixture()
    let (_, s) = f.channel()
    #expect(f.k.portModRefs(f.a, s, right: PortRight.send.rawValue, delta: -2) == KernReturn.invalidValue)
    #expect(f.k.portModRefs(f.a, s, right: PortRight.send.rawValue, delta: 65535) == KernReturn.urefsOverflow)
    #expect(f.k.portModRefs(f.a, s, right: PortRight.deadName.rawValue, delta: 1) == KernReturn.invalidRight)
    let (_, d) = f.k.portAllocate(f.a, right: PortRight.deadName.rawValue)
    #expect(f.k.portModRefs(f.a, d, right: PortRight.deadName.rawValue, delta: 4) == KernReturn.success)
    #expect(f.urefs(f.a, d, .deadName) == 5)
    #expect(f.k.portModRefs(f.a, d, right: PortRight.deadName.rawValue, delta: -5) == KernReturn.success)
    #expect(f.entry(f.a, d) == nil)
    #expect(f.k.portModRefs(f.a, s, right: PortRight.send.rawValue, delta: -1) == KernReturn.success)
    #expect(f.entry(f.a, s) == nil)
    f.invariantsHold()
  }

  @Test func section3_modRefsOnADeadPortsSendRightAsDeadName() {
    var f = Fixture()
    let (r, s) = f.channel()
    _ = f.k.portDestroy(f.b, r)
    #expect(f.k.portModRefs(f.a, s, right: PortRight.send.rawValue, delta: -1) == KernReturn.invalidRight)
    #expect(f.k.portModRefs(f.a, s, right: PortRight.deadName.rawValue, delta: -1) == KernReturn.success)
    #expect(f.entry(f.a, s) == nil)
    f.invariantsHold()
  }

  @Test func section3_getRefsReportsZeroForAMissingRight() {
    var f = Fixture()
    let r = f.receiveRight(f.a)
    #expect(f.k.portGetRefs(f.a, r, right: PortRight.send.rawValue) == (KernReturn.success, 0))
    #expect(f.k.portGetRefs(f.a, r, right: PortRight.receive.rawValue) == (KernReturn.success, 1))
    #expect(f.k.portGetRefs(f.a, r, right: 8).0 == KernReturn.invalidValue)
    #expect(f.k.portGetRefs(f.a, 99, right: 0).0 == KernReturn.invalidName)
  }

  @Test func section3_insertRightErrors() {
    var f = Fixture()
    let p = f.receiveRight(f.b)
    let q = f.receiveRight(f.b)
    let (_, o, type) = f.k.portExtractRight(f.b, p, disposition: MsgType.makeSend)
    #expect(f.k.portInsertRight(f.a, 10, right: o, carriedType: type) == KernReturn.success)
    #expect(f.type(f.a, 10) == PortType.send)
    // The same port's send right under the same name: one more uref.
    let (_, o2, _) = f.k.portExtractRight(f.b, p, disposition: MsgType.makeSend)
    #expect(f.k.portInsertRight(f.a, 10, right: o2, carriedType: type) == KernReturn.success)
    #expect(f.urefs(f.a, 10, .send) == 2)
    // Under another name: the space already holds that port.
    let (_, o3, _) = f.k.portExtractRight(f.b, p, disposition: MsgType.makeSend)
    #expect(f.k.portInsertRight(f.a, 11, right: o3, carriedType: type) == KernReturn.rightExists)
    f.k.releaseKernelRight(o3, carriedType: type)
    // Another port under a taken name.
    let (_, o4, _) = f.k.portExtractRight(f.b, q, disposition: MsgType.makeSend)
    #expect(f.k.portInsertRight(f.a, 10, right: o4, carriedType: type) == KernReturn.nameExists)
    #expect(f.k.portInsertRight(f.a, 0, right: o4, carriedType: type) == KernReturn.invalidValue)
    f.k.releaseKernelRight(o4, carriedType: type)
    // A dead right.
    #expect(f.k.portInsertRight(f.a, 12, right: -1, carriedType: type) == KernReturn.invalidCapability)
    f.invariantsHold()
  }

  /// ipc_object_rename (`ipc/ipc_object.c`): the new name is checked before the old one, so a
  /// rename from a missing name to a taken one is KERN_NAME_EXISTS.
  @Test func ipc_object_rename_checksTheNewNameFirst() {
    var f = Fixture()
    let p = f.receiveRight(f.a)
    #expect(f.k.portRename(f.a, 0x777, p) == KernReturn.nameExists)
    #expect(f.k.portRename(f.a, 0x777, 0x778) == KernReturn.invalidName)
  }

  /// ipc_object_copyout_name (`ipc/ipc_object.c`): a send right to a port the task holds under
  /// another name is KERN_RIGHT_EXISTS even when the target name is taken by something else.
  @Test func ipc_object_copyout_name_rightExistsComesBeforeNameExists() {
    var f = Fixture()
    let p = f.receiveRight(f.b)
    let s = f.give(f.b, p, MsgType.makeSend, to: f.a)
    let other = f.receiveRight(f.a)
    let (_, o, type) = f.k.portExtractRight(f.b, p, disposition: MsgType.makeSend)
    #expect(s != other)
    #expect(f.k.portInsertRight(f.a, other, right: o, carriedType: type) == KernReturn.rightExists)
    f.k.releaseKernelRight(o, carriedType: type)
    f.invariantsHold()
  }

  /// mach_port_set_qlimit (`ipc/mach_port.c`) checks the limit before the name;
  /// mach_port_request_notification checks a port-destroyed request's `sync` before the name.
  @Test func mach_port_set_qlimit_andPortDestroyedRequestsCheckTheValueFirst() {
    var f = Fixture()
    #expect(f.k.portSetQlimit(f.a, 0x777, qlimit: 17) == KernReturn.invalidValue)
    #expect(f.k.portSetQlimit(f.a, 0x777, qlimit: 16) == KernReturn.invalidName)
    let bad = f.k.portRequestNotification(f.a, 0x777, id: NotifyID.portDestroyed, sync: 1, notify: -1)
    #expect(bad.0 == KernReturn.invalidValue)
    let unnamed = f.k.portRequestNotification(f.a, 0x777, id: NotifyID.portDestroyed, sync: 0, notify: -1)
    #expect(unnamed.0 == KernReturn.invalidName)
  }

  /// ipc_right_delta (`ipc/ipc_right.c`): for a send or send-once right the delta is checked
  /// before `ipc_right_check` notices that the port died.
  @Test func ipc_right_delta_checksTheDeltaBeforeThePortsDeath() {
    var f = Fixture()
    let (r, s) = f.channel()
    let (r2, _) = f.channel()
    let so = f.give(f.b, r2, MsgType.makeSendOnce, to: f.a)
    _ = f.k.portDestroy(f.b, r)
    _ = f.k.portDestroy(f.b, r2)
    #expect(f.k.portModRefs(f.a, s, right: PortRight.send.rawValue, delta: -2) == KernReturn.invalidValue)
    #expect(f.k.portModRefs(f.a, so, right: PortRight.sendOnce.rawValue, delta: 1) == KernReturn.invalidValue)
    #expect(f.entry(f.a, s)!.type == PortType.send && f.entry(f.a, so)!.type == PortType.sendOnce)  // not checked
    #expect(f.k.portModRefs(f.a, s, right: PortRight.send.rawValue, delta: -1) == KernReturn.invalidRight)
    #expect(f.entry(f.a, s)!.type == PortType.deadName)
    f.invariantsHold()
  }

  @Test func section3_extractRightTakesTheRightOutOfTheSpace() {
    var f = Fixture()
    let p = f.receiveRight(f.a)
    #expect(f.k.portExtractRight(f.a, p, disposition: MsgType.copySend).0 == KernReturn.invalidRight)
    #expect(f.k.portExtractRight(f.a, 77, disposition: MsgType.copySend).0 == KernReturn.invalidName)
    #expect(f.k.portExtractRight(f.a, p, disposition: MsgType.integer32).0 == KernReturn.invalidValue)
    let (kr, o, type) = f.k.portExtractRight(f.a, p, disposition: MsgType.moveReceive)
    #expect(kr == KernReturn.success && type == MsgType.portReceive)
    #expect(f.entry(f.a, p) == nil)
    #expect(f.k.portInsertRight(f.b, 5, right: o, carriedType: type) == KernReturn.success)
    #expect(f.type(f.b, 5) == PortType.receive)
    f.invariantsHold()
  }

  @Test func section3_receiveStatusReportsTheCounts() {
    var f = Fixture()
    let (r, s) = f.channel()
    _ = f.send(f.ta, Fixture.message(to: s))
    let st = f.status(f.b, r)!
    #expect(st.messageCount == 1 && st.sendRights == 1 && st.makeSendCount == 1 && st.qlimit == 5)
    #expect(f.sendRights(f.b, r) == 2)
    #expect(f.k.portSetMscount(f.b, r, mscount: 9) == KernReturn.success)
    #expect(f.status(f.b, r)!.makeSendCount == 9)
    #expect(f.k.portGetReceiveStatus(f.a, s).0 == KernReturn.invalidRight)
    #expect(f.k.portSetQlimit(f.a, s, qlimit: 3) == KernReturn.invalidRight)
  }

  /// mach_port_get_receive_status (`ipc/mach_port.c`): `mps_srights = port->ip_srights > 0`,
  /// whether send rights exist, not how many.
  @Test func mach_port_get_receive_status_reportsSendRightsAsAFlag() {
    var f = Fixture()
    let (r, s) = f.channel()
    #expect(f.sendRights(f.b, r) == 1 && f.status(f.b, r)!.sendRights == 1)
    #expect(f.k.portModRefs(f.a, s, right: PortRight.send.rawValue, delta: 4) == KernReturn.success)
    _ = f.send(f.ta, Fixture.message(to: s))  // a copy in the queue is a send right too
    #expect(f.sendRights(f.b, r) == 2 && f.status(f.b, r)!.sendRights == 1)
    #expect(f.k.portDestroy(f.a, s) == KernReturn.success)
    _ = f.k.portDestroy(f.b, r)
    let (_, q) = f.k.portAllocate(f.b, right: PortRight.receive.rawValue)
    #expect(f.sendRights(f.b, q) == 0 && f.status(f.b, q)!.sendRights == 0)
  }

  /// ipc_pset_move (`ipc/ipc_pset.c`): moving a port into the set it is already in is a no-op
  /// ("the port is already in the new set: a noop"); its messages keep their place in the
  /// set's queue.
  @Test func ipc_pset_move_intoTheSameSetIsANoop() {
    var f = Fixture()
    let (r1, s1) = f.channel()
    let (r2, s2) = f.channel()
    let (_, set) = f.k.portAllocate(f.b, right: PortRight.portSet.rawValue)
    #expect(f.k.portMoveMember(f.b, r1, after: set) == KernReturn.success)
    #expect(f.k.portMoveMember(f.b, r2, after: set) == KernReturn.success)
    _ = f.send(f.ta, Fixture.message(to: s1, id: 1))
    _ = f.send(f.ta, Fixture.message(to: s2, id: 2))
    #expect(f.k.portMoveMember(f.b, r1, after: set) == KernReturn.success)
    #expect(f.status(f.b, r1)!.portSet == set)
    #expect(f.receive(f.tb, set) == MachMsgReturn.success && f.message(f.tb)!.id == 1)
    f.invariantsHold()
  }

  @Test func section1_7_outOfLineMemoryLandsAtTheReceiversLowestFreePage() {
    var f = Fixture()
    let (r, s) = f.channel()
    #expect(f.k.vmAllocate(f.a, size: 100) == (KernReturn.success, 0x10000))
    #expect(f.k.vmAllocate(f.b, size: 5000) == (KernReturn.success, 0x10000))
    let m = Fixture.message(to: s) { $0.outOfLine(address: 0x10000, size: 100) }
    #expect(f.send(f.ta, m) == MachMsgReturn.success)
    #expect(f.receive(f.tb, r) == MachMsgReturn.success)
    let item = try! f.message(f.tb)!.items().get()[0]
    #expect(item.descriptor.deallocate)  // the receiver owns the region
    #expect(item.words == [0x12000])  // b's 5000 bytes took two pages
    #expect(f.k.task(f.b).map.contains(address: 0x12000, size: 100))
    #expect(f.k.task(f.a).map.contains(address: 0x10000, size: 100))  // not deallocated
    #expect(f.message(f.tb)!.size == 40)  // the region does not count, its address does
  }

  /// vm_allocate (`vm/vm_user.c`): size 0 answers address 0 and allocates nothing; with
  /// `anywhere` false the address is truncated to its page (`trunc_page`) and the size rounded
  /// on its own (`round_page`), so 0x11f00 for 0x200 bytes takes only the page at 0x11000.
  @Test func vm_allocate_sizeZeroIsAddressZeroAndAFixedAddressIsTruncated() {
    var f = Fixture()
    #expect(f.k.vmAllocate(f.a, size: 0) == (KernReturn.success, 0))
    #expect(f.k.vmAllocate(f.a, at: 0x30000, size: 0) == (KernReturn.success, 0))
    #expect(f.k.task(f.a).map.regions.isEmpty)
    #expect(f.k.vmAllocate(f.a, at: 0x11f00, size: 0x200) == (KernReturn.success, 0x11000))
    #expect(f.k.task(f.a).map.contains(address: 0x11000, size: 4096))
    #expect(!f.k.task(f.a).map.contains(address: 0x12000, size: 1))
    #expect(f.k.vmAllocate(f.a, at: 0x11004, size: 1) == (KernReturn.noSpace, 0x11000))
    #expect(f.k.vmAllocate(f.a, at: 0xffff_f010, size: 0x1000) == (KernReturn.success, 0xffff_f000))
    #expect(f.k.vmAllocate(f.a, at: 0xffff_f010, size: 0x1001).0 == KernReturn.invalidAddress)
  }

  @Test func section1_7_outOfLineWithDeallocateMovesTheRegion() {
    var f = Fixture()
    let (_, s) = f.channel()
    _ = f.k.vmAllocate(f.a, size: 4096)
    let m = Fixture.message(to: s) { $0.outOfLine(address: 0x10000, size: 4096, deallocate: true) }
    #expect(f.send(f.ta, m) == MachMsgReturn.success)
    #expect(!f.k.task(f.a).map.contains(address: 0x10000, size: 1))
  }

  /// An out-of-line port array: the names are read from the sender's memory and each right is
  /// copied in; the receiver gets the array in fresh memory with its own names (NULL stays NULL).
  @Test func section1_7_outOfLinePortArraysCarryRightsFromTheSendersMemory() {
    var f = Fixture()
    let (r, s) = f.channel()
    let p = f.receiveRight(f.a)
    let (_, address) = f.k.vmAllocate(f.a, size: 12)
    var names: [UInt8] = []
    for n in [p, MachPort.null, p] { names.appendWord(n) }
    #expect(f.k.writeMemory(f.a, names, at: address) == KernReturn.success)
    let m = Fixture.message(to: s) { $0.outOfLinePorts(address: address, count: 3, disposition: MsgType.makeSend) }
    #expect(f.send(f.ta, m) == MachMsgReturn.success)
    #expect(f.receive(f.tb, r) == MachMsgReturn.success)
    let item = try! f.message(f.tb)!.items().get()[0]
    #expect(item.descriptor.name == MsgType.portSend && item.descriptor.number == 3 && !item.descriptor.isInline)
    let got = f.k.task(f.b).map.read(address: item.words[0], size: 12) + [UInt8](repeating: 0, count: 12)
    let inB = got.word(at: 0)
    #expect(got.word(at: 8) == inB && got.word(at: 4) == MachPort.null)  // one name, two urefs
    #expect(f.urefs(f.b, inB, .send) == 2)
    #expect(f.k.writeMemory(f.a, names, at: 0x70000) == KernReturn.invalidAddress)
    f.invariantsHold()
  }

  @Test func section1_7_unreadableRegionIsInvalidMemory() {
    var f = Fixture()
    let (r, s) = f.channel()
    let m = Fixture.message(to: s) { $0.outOfLine(address: 0x40000, size: 10) }
    #expect(f.send(f.ta, m) == MachMsgReturn.sendInvalidMemory)
    #expect(f.status(f.b, r)!.messageCount == 0)
    f.invariantsHold()
  }

  @Test func section4_terminatingTasksLeavesNothingBehind() {
    var f = Fixture()
    let (r, s) = f.channel()
    let reply = f.receiveRight(f.a)
    _ = f.send(f.ta, Fixture.message(to: s, reply: reply, replyDisposition: MsgType.makeSendOnce))
    let ns = f.receiveRight(f.a)
    let (_, nso, _) = f.k.portExtractRight(f.a, ns, disposition: MsgType.makeSendOnce)
    _ = f.k.portRequestNotification(f.b, r, id: NotifyID.noSenders, sync: 0, notify: nso)
    #expect(f.k.terminateTask(f.a) == KernReturn.success)
    // a's send right was released: no-senders went to a's port, which died with a's space.
    #expect(f.k.terminateTask(f.b) == KernReturn.success)
    #expect(f.k.terminateTask(f.b) == KernReturn.failure)
    f.k.run()
    #expect(f.k.messagesInUse == 0)
    #expect(f.k.objectsInUse == 0)
    #expect(f.k.task(f.a).space.count == 0 && f.k.task(f.b).space.count == 0)
    f.invariantsHold()
  }
}
