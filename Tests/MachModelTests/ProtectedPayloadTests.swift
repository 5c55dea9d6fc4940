import MachModel
import Testing

/// Protected payloads (docs/gnumach.md §1.6): mach_port_set_protected_payload (3221) and
/// mach_port_clear_protected_payload (3222).
@Suite struct ProtectedPayloadTests {
  @Test func section1_6_aPayloadTakesTheLocalNamesPlaceOnReceive() {
    var f = Fixture()
    let (r, s) = f.channel()
    #expect(f.k.portSetProtectedPayload(f.b, r, payload: 0xfeed) == KernReturn.success)
    _ = f.send(f.ta, Fixture.message(to: s, id: 1))
    #expect(f.receive(f.tb, r) == MachMsgReturn.success)
    #expect(f.message(f.tb)?.localPort == 0xfeed && f.message(f.tb)?.localBits == MsgType.protectedPayload)
    #expect(f.k.portClearProtectedPayload(f.b, r) == KernReturn.success)
    _ = f.send(f.ta, Fixture.message(to: s, id: 2))
    #expect(f.receive(f.tb, r) == MachMsgReturn.success)
    #expect(f.message(f.tb)?.localPort == r && f.message(f.tb)?.localBits == MsgType.portSend)
    f.invariantsHold()
  }

  @Test func section1_6_thePayloadGoesWhenTheReceiveRightMoves() {
    var f = Fixture()
    let (r, s) = f.channel()
    #expect(f.k.portSetProtectedPayload(f.b, r, payload: 7) == KernReturn.success)
    // b gives its receive right to a.
    let carrier = f.receiveRight(f.a)
    let toA = f.give(f.a, carrier, MsgType.makeSend, to: f.b)
    _ = f.send(f.tb, Fixture.message(to: toA) { $0.ports([r], disposition: MsgType.moveReceive) })
    #expect(f.receive(f.ta, carrier) == MachMsgReturn.success)
    #expect(f.type(f.a, s) & PortType.receive != 0)  // the receive right joined a's send right
    _ = f.send(f.ta, Fixture.message(to: s, id: 3))
    #expect(f.receive(f.ta, s) == MachMsgReturn.success)
    #expect(f.message(f.ta)?.localPort == s && f.message(f.ta)?.localBits == MsgType.portSend)
    f.invariantsHold()
  }

  @Test func section1_6_onlyAReceiveRightTakesAPayload() {
    var f = Fixture()
    let (_, s) = f.channel()
    #expect(f.k.portSetProtectedPayload(f.a, s, payload: 1) == KernReturn.invalidRight)
    #expect(f.k.portSetProtectedPayload(f.a, 77, payload: 1) == KernReturn.invalidName)
    #expect(f.k.portClearProtectedPayload(f.a, 77) == KernReturn.invalidName)
  }

  /// T3: a traced task's receive copy shows the payload, as the task itself sees the message.
  @Test func T3_theReceiveCopyShowsThePayload() {
    var s = System()
    let (a, aName, at) = s.spawn("a")
    _ = s.traceToLog(aName)
    let (r, send) = s.channel(from: a, to: a)
    #expect(s.call("mach_port_set_protected_payload", aName, [.name(r), .int(99)])?.retCode == KernReturn.success)
    _ = s.k.machMsg(at, .send(MessageBuilder(remote: send, remoteDisposition: MsgType.copySend, id: 4).finish()))
    _ = s.k.takeTraceLog()
    #expect(s.k.machMsg(at, .receive(r)) == MachMsgReturn.success)
    let log = s.k.takeTraceLog()
    let copy = MessageView(log.bytes(of: log.entries[0]))!
    #expect(copy.localPort == 99 && copy.localBits == MsgType.protectedPayload)
    s.invariantsHold()
  }
}
