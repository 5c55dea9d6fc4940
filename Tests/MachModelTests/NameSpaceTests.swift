import MachModel
import Testing

/// docs/gnumach.md §3, "How names are chosen" and "Entries".
@Suite struct NameSpaceTests {
  @Test func section3_namesStartAtOneAndTakeTheLowestUnused() {
    var f = Fixture()
    #expect((1...4).map { _ in f.receiveRight(f.a) } == [1, 2, 3, 4])
    #expect(f.entry(f.a, 0) == nil)  // 0 is reserved
  }

  @Test func section3_recentlyFreedNamesAreReusedLastInFirstOut() {
    var f = Fixture()
    for _ in 1...5 { _ = f.receiveRight(f.a) }
    #expect(f.k.portDestroy(f.a, 2) == KernReturn.success)
    #expect(f.k.portDestroy(f.a, 4) == KernReturn.success)
    #expect(f.receiveRight(f.a) == 4)
    #expect(f.receiveRight(f.a) == 2)
    #expect(f.receiveRight(f.a) == 6)
  }

  @Test func section3_freeListHoldsAtMost64NamesThenLowestUnused() {
    var f = Fixture()
    for _ in 1...70 { _ = f.receiveRight(f.a) }
    for n in 1...70 { #expect(f.k.portDestroy(f.a, PortName(n)) == KernReturn.success) }
    // Names 1...64 went onto the free list; 65...70 went back to the pool.
    let next = (1...66).map { _ in f.receiveRight(f.a) }
    #expect(Array(next.prefix(64)) == (1...64).reversed().map { PortName($0) })
    #expect(Array(next.suffix(2)) == [65, 66])
    f.invariantsHold()
  }

  @Test func section3_sendAndReceiveShareANameSendOnceGetsItsOwn() {
    var f = Fixture()
    let r = f.receiveRight(f.a)
    #expect(f.give(f.a, r, MsgType.makeSend, to: f.a) == r)
    #expect(f.type(f.a, r) == PortType.sendReceive)
    let so1 = f.give(f.a, r, MsgType.makeSendOnce, to: f.a)
    let so2 = f.give(f.a, r, MsgType.makeSendOnce, to: f.a)
    #expect(so1 != r && so2 != r && so1 != so2)
    #expect(f.type(f.a, so1) == PortType.sendOnce)
    f.invariantsHold()
  }

  @Test func section3_allocateNameTakesTheCallersNameOrSaysWhy() {
    var f = Fixture()
    #expect(f.k.portAllocateName(f.a, right: PortRight.receive.rawValue, name: 0x1234_5678) == KernReturn.success)
    #expect(f.type(f.a, 0x1234_5678) == PortType.receive)
    #expect(f.k.portAllocateName(f.a, right: PortRight.receive.rawValue, name: 0x1234_5678) == KernReturn.nameExists)
    #expect(f.k.portAllocateName(f.a, right: PortRight.receive.rawValue, name: 0) == KernReturn.invalidValue)
    #expect(
      f.k.portAllocateName(f.a, right: PortRight.receive.rawValue, name: MachPort.dead) == KernReturn.invalidValue)
    #expect(f.k.portAllocateName(f.a, right: 9, name: 7) == KernReturn.invalidValue)
    #expect(f.receiveRight(f.a) == 1)  // lowest unused is unaffected
    f.invariantsHold()
  }

  @Test func section3_allocateKinds() {
    var f = Fixture()
    let (kr1, set) = f.k.portAllocate(f.a, right: PortRight.portSet.rawValue)
    let (kr2, dead) = f.k.portAllocate(f.a, right: PortRight.deadName.rawValue)
    let (kr3, _) = f.k.portAllocate(f.a, right: PortRight.send.rawValue)
    #expect(kr1 == KernReturn.success && f.type(f.a, set) == PortType.portSet)
    #expect(kr2 == KernReturn.success && f.type(f.a, dead) == PortType.deadName && f.urefs(f.a, dead, .deadName) == 1)
    #expect(kr3 == KernReturn.invalidValue)
    let r = f.receiveRight(f.a)
    let s = f.status(f.a, r)!
    #expect(s.qlimit == 5 && s.seqno == 0 && s.makeSendCount == 0 && s.sendRights == 0)
  }

  @Test func section3_namesListsEveryNameWithItsType() {
    var f = Fixture()
    let r = f.receiveRight(f.a)
    let (_, d) = f.k.portAllocate(f.a, right: PortRight.deadName.rawValue)
    let (kr, names) = f.k.portNames(f.a)
    #expect(kr == KernReturn.success)
    #expect(names.map(\.name) == [r, d])
    #expect(names.map(\.type) == [PortType.receive, PortType.deadName])
  }

  @Test func section3_renameMovesRightsAndRequests() {
    var f = Fixture()
    let r = f.receiveRight(f.a)
    #expect(f.k.portRename(f.a, r, 50) == KernReturn.success)
    #expect(f.entry(f.a, r) == nil)
    #expect(f.type(f.a, 50) == PortType.receive)
    #expect(f.k.portRename(f.a, 50, 0) == KernReturn.invalidValue)
    #expect(f.k.portRename(f.a, 7, 8) == KernReturn.invalidName)
    let other = f.receiveRight(f.a)
    #expect(f.k.portRename(f.a, 50, other) == KernReturn.nameExists)
    f.invariantsHold()
  }

  @Test func section3_deadTaskSpaceGivesInvalidTask() {
    var f = Fixture()
    f.k.destroySpace(f.a)
    #expect(f.k.portAllocate(f.a, right: PortRight.receive.rawValue).0 == KernReturn.invalidTask)
    #expect(f.k.portDeallocate(f.a, 1) == KernReturn.invalidTask)
  }
}
