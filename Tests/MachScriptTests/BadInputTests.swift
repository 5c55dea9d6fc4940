import MachModel
import TestSupport
import Testing

@testable import MachScript

/// Input that used to crash, hang or mislead the shell: each is now a positioned error, a
/// return code, or a line that says what happened.
@Suite struct BadInputTests {
  @Test(arguments: [
    ("spawn a\ninfo port a:5", "t.msh:2:11: error: a:5 names no right in a's space"),
    ("spawn a\ninfo port a:0", "t.msh:2:11: error: a:0 names no right in a's space"),
    (
      "advance 18500000000000000",
      "t.msh:1:9: error: advance 18500000000000000 would take virtual time past its end "
        + "(at most 9223372036854775 ms from now)"
    ),
    ("advance -1", "t.msh:1:9: error: cannot go back in time"),
    (
      "spawn a\nlet p = allocate a\nnotify p no_senders to p sync 4294967296",
      "t.msh:3:31: error: sync 4294967296 is out of range (0 to 4294967295)"
    ),
    (
      "spawn a\nsend a:1 body int32(2147483648)",
      "t.msh:2:21: error: an int32 2147483648 is out of range (-2147483648 to 2147483647)"
    ),
    ("let l = []\nrepeat 300 { l = [l] }", "t.msh:2:18: error: lists nest deeper than 256 levels"),
    ("quit -1", "t.msh:1:6: error: an exit status -1 is out of range (0 to 255)"),
    (
      "spawn a\nsend a:1 body ool(4294901760)",
      "t.msh:2:19: error: an out-of-line size 4294901760 is out of range "
        + "(0 to 536870911: its size in bits must fit in 32 bits)"
    ),
    (
      "spawn a\nsend a:1 id 99999999999",
      "t.msh:2:13: error: an id 99999999999 is out of range (-2147483648 to 2147483647)"
    ),
    (
      "spawn a\nsend a:1 timeout 4294967296",
      "t.msh:2:18: error: a timeout 4294967296 is out of range (0 to 4294967295)"
    ),
    ("step 0", "t.msh:1:6: error: step needs a count of 1 or more, not 0"),
    (
      "step 9223372036854775807",
      "t.msh:1:6: error: a number of records 9223372036854775807 is out of range (1 to 2147483647)"
    ),
    ("wait 5", "t.msh:1:6: error: wait takes a pending operation (as `let r = receive p &` gives), not an int"),
    ("spawn a\nthread a\nkill a.1\nraise a.1 EXC_BAD_ACCESS", "t.msh:4:7: error: a.1 is terminated"),
    ("suspend shell", "t.msh:1:1: error: the shell cannot suspend itself: its thread carries out your commands"),
    ("abort shell.1", "t.msh:1:7: error: the shell's own threads are not for abort: they carry out your commands"),
    (
      "spawn server\nspawn client\nlet p = allocate server\nlet s = insert client make_send p\nserve s with echo",
      "t.msh:5:7: error: serve needs a receive right or a port set; client:2 holds a send right only"
    ),
    (
      "spawn server\nlet d = allocate server dead\nserve d with echo",
      "t.msh:3:7: error: serve needs a receive right or a port set; server:2 holds a dead name only"
    ),
    (
      "spawn server\nlet p = allocate server\nkill server\nserve p with echo",
      "t.msh:4:7: error: server is terminated: nothing can serve its ports"
    ),
  ])
  func isAPositionedError(source: String, error: String) {
    let (_, err, outcome) = ShellUnderTest().run(source)
    #expect(err.split(separator: "\n").first.map(String.init) == error, "\(source)")
    if case .error = outcome {} else { Issue.record("\(source) did not fail") }
  }

  /// Every message id of the 32-bit range is sent, received, traced and named.
  @Test func everyMessageIdDecodes() {
    let shell = ShellUnderTest()
    shell.run("spawn a\nspawn b\nlet p = allocate a\nlet s = insert b make_send p\ntrace a\ntrace b")
    for id in [Int32.min, Int32.min + 99, Int32.min + 100, -1, 0, Int32.max - 100, Int32.max] {
      let (out, err, _) = shell.run("send s id \(id)\nprint (receive p).id, routine(\(id)) == routine(\(id))")
      #expect(err == "")
      #expect(out == "\(id) true\n")
    }
    let (out, _, _) = shell.run("print count(msgid == \(Int32.min)), count(msgid == \(Int32.max))")
    #expect(out == "2 2\n")
  }

  /// A server whose receive fails for good ends, and says why, instead of spinning.
  @Test func aServerWhoseReceiveFailsForGoodEnds() {
    let shell = ShellUnderTest()
    let (out, err, _) = shell.run(
      """
      spawn server
      let p = allocate server
      let ps = allocate server portset
      let t = serve p with echo
      move p to ps
      print t.state
      """)
    #expect(err == "")
    #expect(out == "[server.2] serve p with echo ended: MACH_RCV_PORT_CHANGED\nidle\n")
  }

  @Test func aServerWhosePortDiesEnds() {
    let shell = ShellUnderTest()
    let (out, _, _) = shell.run("spawn server\nlet p = allocate server\nserve p with echo\ndestroy p")
    #expect(out == "[server.2] serve p with echo ended: MACH_RCV_PORT_DIED\n")
  }

  /// A do block that keeps making the records it watches for is stopped, in bounded memory.
  @Test func aDoBlockFeedingItselfIsStopped() {
    let (out, err, outcome) = ShellUnderTest().run(
      """
      spawn a
      spawn b
      thread b
      let p = allocate a
      let s = insert b make_send p
      trace b
      set trace_limit 100
      watch dir == "send" and msgid == 7 do {
        receive p timeout 0
        send s id 7 thread 2
      }
      send s id 7
      print "not reached"
      """)
    #expect(out == "")
    #expect(
      err.hasPrefix(
        "t.msh:8:1: error: watch 1's do block keeps making records that fire it (10000 in one run): "
          + "the watch is removed"))
    if case .error = outcome {} else { Issue.record("the script went on") }
  }

  /// Every long chain is refused before its tree exists: operators, fields, indexes, `.self`.
  @Test(arguments: ["1 + ", "true and ", "\"a\" + ", "x.self", "l[0]"])
  func longChainsAreRefused(_ piece: String) {
    let chain: String
    switch piece {
    case "x.self": chain = "a" + String(repeating: ".self", count: 5000)
    case "l[0]": chain = "l" + String(repeating: "[0]", count: 5000)
    default: chain = String(repeating: piece, count: 5000) + (piece.hasPrefix("true") ? "true" : "1")
    }
    let (_, err, _) = ShellUnderTest().run("spawn a\nlet l = [0]\nprint " + chain)
    #expect(err.contains("error: a statement chains more than 1000 operators; split it with variables"), "\(piece)")
  }

  /// `matches` with a new pattern each time keeps a bounded cache.
  @Test func manyPatternsKeepABoundedCache() {
    let shell = ShellUnderTest()
    let (out, _, _) = shell.run(
      "let n = 0\nlet i = 0\nrepeat 1000 { i = i + 1\n if \"x\" + hex(i) matches hex(i) { n = n + 1 } }\nprint n")
    #expect(out == "1000\n")
    #expect(shell.session.interpreter.regexCount <= Interpreter.maxRegexes)
  }

  /// A do block that runs while a command waits for its thread's result cannot take that
  /// thread (it would overwrite the result): found by the mutation fuzz test.
  @Test func aDoBlockCannotTakeTheThreadOfTheCommandThatLetItsRecordIn() {
    let (_, err, _) = ShellUnderTest().run(
      """
      spawn server
      spawn client
      let p = allocate server
      let q = insert client make_send p
      trace client
      serve p with echo
      watch dir == "receive" do {
        let r = rpc 1000(q, 1)
      }
      let r2 = rpc 1000(q, 2)
      """)
    #expect(err.hasPrefix("t.msh:8:11: error: client has no idle thread (busy: client.1)"))
  }

  /// A task whose threads have all terminated (thread_terminate on its own thread, kern/thread.c)
  /// says so, rather than listing no busy threads; a terminated thread named by number is
  /// terminated, not busy, and `info task` shows it as such.
  @Test func aTaskWithNoThreadLeftSaysSo() {
    let setup = """
      spawn c
      let th = c.threads[0]
      let r = rpc thread_terminate(th.self)

      """
    let (_, err, _) = ShellUnderTest().run(setup + "let s = rpc mach_port_allocate(c.self, MACH_PORT_RIGHT_RECEIVE)")
    #expect(err.hasPrefix("t.msh:4:9: error: c has no thread left (each has terminated)"), "\(err)")
    let (_, named, _) = ShellUnderTest().run(setup + "send c.self id 5 thread 1")
    #expect(named.hasPrefix("t.msh:4:25: error: c.1 is terminated"), "\(named)")
    let (out, _, _) = ShellUnderTest().run(setup + "info task c")
    #expect(out.contains("  threads: c.1 (terminated)\n"), "\(out)")
  }

  /// A script with Windows line ends and a byte-order mark runs as written.
  @Test func windowsLineEndsAndAByteOrderMarkRead() {
    let (out, err, outcome) = ShellUnderTest().run("\u{FEFF}spawn a\r\nprint a.name\r\nprint \"x\"\r\n")
    #expect(err == "")
    #expect(outcome == .completed)
    #expect(out == "a\nx\n")
  }

  /// The caret stays under an error past column 200.
  @Test func aLongLineShowsAWindowAroundTheError() {
    let line =
      "print " + String(repeating: "1 + ", count: 100) + "nosuch + " + String(repeating: "2 + ", count: 100) + "3"
    let (_, err, _) = ShellUnderTest().run(line)
    let lines = err.split(separator: "\n").map(String.init)
    #expect(lines.count == 3)
    #expect(lines[1].hasPrefix("...") && lines[1].hasSuffix("..."))
    let caret = lines[2].count - 1
    #expect(Array(lines[1])[caret...].starts(with: "nosuch"))
  }
}
