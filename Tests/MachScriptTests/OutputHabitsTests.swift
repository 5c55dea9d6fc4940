import TestSupport
import Testing

@testable import MachScript

/// Output as users of gdb, strace and rpctrace expect it (issue 13).
@Suite struct OutputHabitsTests {
  @Test func explainExplainsEveryCodeAndExceptions() {
    let shell = ShellUnderTest()
    let (out, _, _) = shell.run("explain MIG_BAD_ID\nexplain EXC_BAD_ACCESS")
    let lines = out.split(separator: "\n").map(String.init)
    #expect(lines[0] == "MIG_BAD_ID (-303): the server has no routine with that message id")
    #expect(lines[1].hasPrefix("EXC_BAD_ACCESS (exception 1): a memory access failed"))
    let (last, _, _) = shell.run("spawn a\ntrace a\nsend a:9 id 8\nexplain last")
    #expect(
      last.hasSuffix(
        "  MACH_SEND_INVALID_DEST (0x10000003): the destination name is not a send or send-once right "
          + "in the sender's space, or names a dead port\n"))
    let (_, err, _) = shell.run("explain 99999999999")
    #expect(err.hasPrefix("t.msh:1:9: error: explain needs a return code or a record"))
  }

  @Test func elseOnTheNextLineSaysWhere() {
    let (_, err, _) = ShellUnderTest().run("if true { print 1 }\nelse { print 2 }")
    #expect(err.hasPrefix("t.msh:2:1: error: 'else' must follow the '}' of its 'if' on the same line: } else {"))
  }

  /// JSON keeps the disposition a send copy's port item was sent with, as rpctrace shows it.
  @Test func jsonKeepsTheDisposition() {
    let (out, _, _) = ShellUnderTest().run(
      "spawn a\nlet p = allocate a\nlet s = insert a make_send p\ntrace a\nsend s id 3 body port(p, make_send)\n"
        + "trace show last 1\ntrace show last 1 format json")
    let lines = out.split(separator: "\n").map(String.init)
    #expect(lines[0].hasSuffix("(2(make_send))"))
    #expect(lines[1].contains(#"{"name": 2, "right": "send", "disposition": "make_send"}"#))
  }

  /// An exception handler that is not traced still gets its reply arrow, as an untraced
  /// server's RPC reply does.
  @Test func mermaidDrawsTheExceptionReply() {
    let (out, _, _) = ShellUnderTest().run(
      """
      spawn server
      spawn client
      let h = allocate server
      serve h with exc_handler
      setport client exception h
      trace client
      raise client.1 EXC_BAD_ACCESS
      trace export "-" format mermaid
      """)
    #expect(out.contains("    client->>server: exception_raise\n"))
    #expect(out.contains("    server-->>client: exception_raise-reply\n"))
  }

  @Test func helpHasAFunctionsTopic() {
    let (out, _, _) = ShellUnderTest().run("help functions")
    #expect(out.contains("decode(MESSAGE)"))
  }

  @Test func traceShowTakesFirstAndJsonl() {
    let shell = ShellUnderTest()
    shell.run("spawn a\ntrace a\nlet p = allocate a\nlet q = allocate a")
    let (first, _, _) = shell.run("trace show first 2")
    #expect(first.split(separator: "\n").map { $0.prefix(2) } == ["1 ", "2 "])
    let (range, _, _) = shell.run("trace show seq 2..3")
    #expect(range.split(separator: "\n").map { $0.prefix(2) } == ["2 ", "3 "])
    let (json, _, _) = shell.run("trace show first 1 format jsonl")
    #expect(json.hasPrefix("{\"schema\": 1, \"seq\": 1,"))
  }

  @Test func exportSaysWhatItWrote() {
    let shell = ShellUnderTest()
    final class Memory: ExportFile {
      var text = ""
      func write(_ t: String) throws { text += t }
      func commit() throws {}
      func abandon() {}
    }
    shell.session.createFile = { _ in .success(Memory()) }
    let (_, err, _) = shell.run("spawn a\ntrace a\nlet p = allocate a\ntrace export \"t.jsonl\"")
    #expect(err == "wrote 3 records to t.jsonl\n")
  }

  @Test func aMissingFieldListsTheFields() {
    let (_, err, _) = ShellUnderTest().run("spawn a\nprint a.nme")
    #expect(err.hasPrefix("t.msh:2:8: error: a task has no field 'nme' (its fields: name, state, threads, self)"))
  }

  /// A typed rpc's reply prints with its RetCode and named out-arguments.
  @Test func anRPCReplyShowsItsOutArguments() {
    let (out, _, _) = ShellUnderTest().run("spawn client\nprint (rpc task_threads(client.self))")
    #expect(out == "task_threads-reply(KERN_SUCCESS, thread_list: [client:3])\n")
  }

  /// Records already in the buffer take the names of a `.msgids` file loaded afterwards.
  @Test func recordsTakeTheNamesOfALaterMsgidsFile() {
    let shell = ShellUnderTest()
    shell.session.readFile = { _ in .success("io 21000 io_read 1 21001 21101\n") }
    shell.run(
      "spawn reader\nspawn file\nlet fp = allocate file\nlet to_file = insert reader make_send fp\n"
        + "serve fp with echo\ntrace reader\nrpc 21001(to_file, 512, 0)")
    let (before, _, _) = shell.run("print first(msgid == 21001).routine == \"\"")
    #expect(before == "true\n")
    let (after, _, _) = shell.run(
      "msgids load \"io.msgids\"\nprint first(msgid == 21001).routine, first(msgid == 21101).routine")
    #expect(after == "io_read io_read-reply\n")
  }

  /// `set timestamps`: virtual time before rpctrace lines, as strace -t and -r show it.
  @Test(arguments: [("absolute", "0.005000"), ("relative", "0.005000"), ("delta", "0.000000"), ("off", "")])
  func timestampsPrefixRpctraceLines(mode: String, lastStamp: String) {
    let (out, _, _) = ShellUnderTest().run(
      "spawn a\ntrace a\nlet p = allocate a\nadvance 5\nlet q = allocate a\nset timestamps \(mode)\ntrace show")
    let lines = out.split(separator: "\n").map(String.init)
    #expect(lines.count == 5)
    #expect(lines[3].hasPrefix(mode == "off" ? "4 " : "0.005000 4 "))
    #expect(lines[4].hasPrefix(lastStamp.isEmpty ? "5 " : lastStamp + " 5 "))
  }

  /// trace stats counts records, and says how many messages it counts twice because both ends
  /// are traced.
  @Test func statsSayWhichMessagesCountTwice() {
    let script = "spawn a\nspawn b\nlet p = allocate a\nlet s = insert b make_send p\ntrace a\ntrace b\n"
    let (both, _, _) = ShellUnderTest().run(script + "send s id 1\nreceive p\ntrace stats")
    #expect(both.contains("(records: 1 message was traced at both ends and counts twice"))
    let (queued, _, _) = ShellUnderTest().run(script + "send s id 1\ntrace stats")
    #expect(!queued.contains("(records:"), "not yet received: one record")
  }

  /// `\xNN` in a string is the byte NN: bytes(…) and string(…) send it as itself.
  @Test func backslashXIsAByte() {
    let (out, err, _) = ShellUnderTest().run(
      """
      spawn a
      let p = allocate a
      let s = insert a make_send p
      send s id 3 body bytes("\\xff\\x01A") string("\\xfe")
      let m = receive p
      print m.body[0].value, "\\xffb", ["\\xff"], len("\\xff"), "\\xff" == "ÿ"
      """)
    #expect(err == "")
    #expect(out == "[255, 1, 65] \\xffb [\"\\xff\"] 1 false\n")
    let shell = ShellUnderTest()
    shell.run("spawn a\nlet p = allocate a\nlet s = insert a make_send p\nsend s id 3 body string(\"\\xfe\")")
    let (raw, _, _) = shell.run("let m = receive p\nprint m.size")
    #expect(raw == "32\n", "a 2-byte string item: the byte and the NUL, padded to 4")
  }
}
