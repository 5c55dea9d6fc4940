import MachModel
import Testing

@Test func roundTripDeliversTheMessageWithTheHeaderSwapped() {
  var f = Fixture()
  let (r, s) = f.channel()
  let reply = f.receiveRight(f.a)
  let m = Fixture.message(to: s, reply: reply, replyDisposition: MsgType.makeSendOnce) { $0.int32([7]) }
  #expect(f.send(f.ta, m) == MachMsgReturn.success)
  #expect(f.receive(f.tb, r) == MachMsgReturn.success)
  let got = f.message(f.tb)!
  #expect(got.localPort == r)
  #expect(got.id == 1000)
  #expect(got.localBits == MsgType.portSend)
  #expect(got.remoteBits == MsgType.portSendOnce)
  f.invariantsHold()
}
