import MachModel
import Testing

/// docs/gnumach.md §1.1 (header) and §1.2 (typed body).
@Suite struct MessageLayoutTests {
  @Test func section1_2_shortDescriptorBitsMatchGcc() {
    var bytes: [UInt8] = []
    TypeDescriptor(name: MsgType.integer32, size: 32, number: 1).encode(into: &bytes)
    #expect(bytes.word(at: 0) == 0x1001_2002)
    bytes = []
    TypeDescriptor(name: MsgType.copySend, size: 32, number: 1).encode(into: &bytes)
    #expect(bytes.word(at: 0) == 0x1001_2013)
  }

  @Test func section1_2_longFormHasZeroShortFieldsAndTwelveBytes() {
    var bytes: [UInt8] = []
    let d = TypeDescriptor(name: MsgType.byte, size: 8, number: 5000)
    #expect(d.isLongForm)
    d.encode(into: &bytes)
    #expect(bytes.count == 12)
    #expect(bytes.word(at: 0) == 0x3000_0000)  // inline + longform, name/size/number 0
    #expect(bytes.word(at: 4) == 0x0008_0009)
    #expect(bytes.word(at: 8) == 5000)
    #expect(TypeDescriptor.parse(bytes + [UInt8](repeating: 0, count: 5000), at: 0, end: 5012) == .success(d))
  }

  @Test(arguments: [
    (UInt32(0x9001_2002), "unused bit set"),
    (UInt32(0x3000_0002), "long form with a name in the short header"),
    (UInt32(0x1001_1013), "port with size 16"),
    (UInt32(0x5001_2002), "deallocate on inline data"),
  ])
  func section1_2_sendSideChecksGiveInvalidType(word: UInt32, why: String) {
    var bytes: [UInt8] = []
    bytes.appendWord(word)
    bytes.appendWord(0)
    bytes.appendWord(0)
    #expect(TypeDescriptor.parse(bytes, at: 0, end: 12) == .failure(.invalid), "\(why)")
  }

  @Test func section1_2_dataPastTheEndIsTruncated() {
    var bytes: [UInt8] = []
    bytes.appendWord(0x1003_2002)  // three INTEGER_32, 12 bytes of data
    bytes.appendWord(1)
    #expect(TypeDescriptor.parse(bytes, at: 0, end: 8) == .failure(.truncated))
  }

  @Test func section1_2_inlineDataIsPaddedToFourBytes() {
    var m = MessageBuilder(remote: 1, remoteDisposition: MsgType.copySend, id: 1)
    m.byteArray([1, 2, 3, 4, 5])
    m.int32([9])
    let bytes = m.finish()
    #expect(bytes.count == 24 + 4 + 8 + 4 + 4)
    let items = try! MessageView(bytes)!.items().get()
    #expect(items.count == 2)
    #expect(items[0].data == [1, 2, 3, 4, 5])
    #expect(items[1].words == [9])
  }

  @Test func section1_2_stringCarriesItsNul() {
    var m = MessageBuilder(remote: 1, remoteDisposition: MsgType.copySend, id: 1)
    m.string("hi")
    let items = try! MessageView(m.finish())!.items().get()
    #expect(items[0].descriptor.name == MsgType.string)
    #expect(items[0].descriptor.number == 3)
    #expect(items[0].data == [104, 105, 0])
  }

  @Test func section1_2_outOfLineIsALongFormDescriptorAndAnAddress() {
    var m = MessageBuilder(remote: 1, remoteDisposition: MsgType.copySend, id: 1)
    m.outOfLine(address: 0x10000, size: 100)
    let bytes = m.finish()
    #expect(bytes.count == 24 + 12 + 4)
    let v = MessageView(bytes)!
    #expect(v.isComplex)
    let item = try! v.items().get()[0]
    #expect(!item.descriptor.isInline)
    #expect(item.words == [0x10000])
  }

  @Test func section1_1_headerBitsPackRemoteAndLocalDispositions() {
    #expect(MsgHeader.bits(remote: MsgType.copySend, local: MsgType.makeSendOnce) == 0x1513)
    let m = MessageBuilder(
      remote: 3, remoteDisposition: MsgType.copySend, local: 4, localDisposition: MsgType.makeSendOnce, id: 77
    ).finish()
    let v = MessageView(m)!
    #expect(v.remoteBits == MsgType.copySend && v.localBits == MsgType.makeSendOnce)
    #expect(v.remotePort == 3 && v.localPort == 4 && v.id == 77 && v.size == 24)
  }

  @Test func section2_2_returnCodesHaveGnuMachValuesAndNames() {
    #expect(MachMsgReturn.sendTimedOut == 0x1000_0004)
    #expect(MachMsgReturn.rcvTooLarge == 0x1000_4004)
    #expect(MachMsgReturn.sendInvalidHeader == 0x1000_0010)
    #expect(MachMsgReturn.rcvBodyError == 0x1000_400c)
    #expect(
      ReturnCodeNames.name(of: MachMsgReturn.rcvBodyError | MachMsgReturn.ipcSpace)
        == "MACH_RCV_BODY_ERROR|MACH_MSG_IPC_SPACE")
    #expect(ReturnCodeNames.name(of: -303) == "MIG_BAD_ID")
    #expect(ReturnCodeNames.name(of: 19) == "KERN_UREFS_OVERFLOW")
    #expect(ReturnCodeNames.name(of: 0, fromMachMsg: true) == "MACH_MSG_SUCCESS")
    #expect(ReturnCodeNames.name(of: 0) == "KERN_SUCCESS")
  }
}
