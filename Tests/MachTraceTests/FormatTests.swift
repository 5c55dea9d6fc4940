import Foundation
import MachModel
import MachTrace
import Testing

/// Golden outputs of each format (docs/trace.md, "Output formats"), on a fixed scenario: the
/// client calls mach_port_allocate on its own task port, then sends a string and a right.
@Suite struct FormatTests {
  static func scenario() -> ([TraceRecord], TraceNames) {
    var w = TracedWorld()
    _ = w.k.rpc(w.ct, RoutineTable.routine(named: "mach_port_allocate")!, target: 1, arguments: [.int(1)])
    let (_, service) = w.k.portAllocate(w.server, right: PortRight.receive.rawValue)
    let (_, o, type) = w.k.portExtractRight(w.server, service, disposition: MsgType.makeSend)
    let send = w.k.copyoutKernelRight(w.client, o, carriedType: type)
    var m = MessageBuilder(remote: send, remoteDisposition: MsgType.copySend, id: 500)
    m.string("hello")
    m.ports([3], disposition: MsgType.makeSend)
    _ = w.k.machMsg(w.ct, .send(m.finish()))
    _ = w.k.machMsg(w.ct, .send(MessageBuilder(remote: 99, remoteDisposition: MsgType.copySend, id: 501).finish()))
    return (w.records(), w.names)
  }

  @Test func rpctraceLines() {
    let (records, names) = Self.scenario()
    let text = records.map { TraceFormat.rpctrace.render($0, names: names) }
    #expect(
      text == [
        "1 client.1 -> 1 mach_port_allocate (1)",
        "2 client.1 <- 2 mach_port_allocate-reply (3) = KERN_SUCCESS (reply to 1)",
        "3 client.1 -> 4 500 (\"hello\", 3(make_send))",
        "4 client.1 -> 99 501 () = MACH_SEND_INVALID_DEST",
      ])
  }

  /// Colour (issue 5): names cyan, `->` yellow and `<-` magenta, codes green on success and
  /// red on error; the text between the escapes is the plain line's.
  @Test func rpctraceColours() {
    let (records, names) = Self.scenario()
    let on = TraceColors(enabled: true)
    let esc = "\u{1B}["
    #expect(
      TraceFormat.rpctrace.render(records[1], names: names, colors: on)
        == "2 \(esc)36mclient.1\(esc)0m \(esc)35m<-\(esc)0m 2 mach_port_allocate-reply (3) = "
        + "\(esc)32mKERN_SUCCESS\(esc)0m (reply to 1)"
    )
    #expect(
      TraceFormat.rpctrace.render(records[3], names: names, colors: on)
        == "4 \(esc)36mclient.1\(esc)0m \(esc)33m->\(esc)0m 99 501 () = \(esc)31mMACH_SEND_INVALID_DEST\(esc)0m")
    for r in records {
      #expect(
        TraceFormat.rpctrace.render(r, names: names, colors: .none) == TraceFormat.rpctrace.render(r, names: names))
      #expect(!TraceFormat.json.render(r, names: names, colors: on).contains(esc))
    }
  }

  /// Colour only on a terminal, and never when NO_COLOR is set to a non-empty value.
  @Test(
    arguments: [
      (true, nil, true), (true, "", true), (true, "1", false), (false, nil, false), (false, "", false),
    ] as [(Bool, String?, Bool)])
  func colourSuitsTerminalsWithoutNoColor(isTerminal: Bool, noColor: String?, expected: Bool) {
    #expect(TraceColors.suits(isTerminal: isTerminal, noColor: noColor) == expected)
  }

  @Test func verboseText() {
    let (records, names) = Self.scenario()
    #expect(
      TraceFormat.verbose.render(records[1], names: names) == """
        2 client.1 <- 2 mach_port_allocate-reply (3) = KERN_SUCCESS (reply to 1)
          copy: normal receive, retval MACH_MSG_SUCCESS, time 0 us
          header: bits 0x1200 (remote none, local move_send_once), size 40, remote 0, local 2, seqno 0, id 3304
          item 1: int32 0 [name 2, size 32, number 1]
          item 2: port_name 3 [name 15, size 32, number 1]
          0000  00 12 00 00 28 00 00 00 00 00 00 00 02 00 00 00
          0010  00 00 00 00 e8 0c 00 00 02 20 01 10 00 00 00 00
          0020  0f 20 01 10 03 00 00 00
        """)
  }

  @Test func jsonLinesParseBackWithEveryKey() throws {
    let (records, names) = Self.scenario()
    let line = TraceFormat.json.render(records[1], names: names)
    #expect(line.hasPrefix("{\"schema\": 1, \"seq\": 2, \"time\": 0, \"task\": \"client\", \"thread\": \"client.1\""))
    let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
    for key in [
      "schema", "seq", "time", "task", "thread", "type", "dir", "retval", "retval_name", "code", "code_name",
      "msgid", "routine", "dest", "reply", "size", "complex", "ool", "rights", "answers", "peer", "body", "bytes",
    ] {
      #expect(object[key] != nil, "missing \(key)")
    }
    #expect(object["routine"] as? String == "mach_port_allocate-reply")
    #expect(object["code_name"] as? String == "KERN_SUCCESS")
    #expect(object["answers"] as? Int == 1)
    let body = object["body"] as! [[String: Any]]
    #expect(body.map { $0["type"] as! String } == ["int32", "port_name"])
    #expect(object["bytes"] as? String == records[1].bytes.map { String(format: "%02x", $0) }.joined())
    // A send copy with a string and a right.
    let third =
      try JSONSerialization.jsonObject(with: Data(TraceFormat.json.render(records[2], names: names).utf8))
      as! [String: Any]
    let items = third["body"] as! [[String: Any]]
    #expect(items[0]["value"] as? String == "hello")
    #expect((items[1]["value"] as? [String: Any])?["right"] as? String == "send")
    #expect(third["code"] is NSNull && third["answers"] is NSNull)
  }

  @Test func jsonEscapesStrings() {
    #expect(TraceFormat.json("a\"b\\c\n\u{1}") == "\"a\\\"b\\\\c\\n\\u0001\"")
  }
}
