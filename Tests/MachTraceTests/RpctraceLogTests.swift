import MachModel
import MachTrace
import TestSupport
import Testing

/// Reading rpctrace logs (docs/trace.md, "rpctrace logs"). Every log here is written from the
/// rules of GNU Hurd's `utils/rpctrace.c` in the version named, not copied from a real run:
/// `print_request_header` (`%4s->%5s (`), `print_contents`/`print_data` (the values),
/// `print_reply_header` (` = RET`, and how an interrupted call is closed and answered).
@Suite struct RpctraceLogTests {
  /// The log's records as `trace show` prints them, and the load's report.
  static func load(_ text: String, msgids: MsgIdTable = MsgIdTable()) -> (lines: [String], report: LoadReport) {
    var loaded = LoadedNames()
    let bytes = Array(text.utf8)
    let load = bytes.withUnsafeBufferPointer {
      TraceLoad($0, format: .rpctrace, after: 0, msgids: msgids, names: &loaded)
    }
    loaded.noteFile("t.log", first: 1)
    var names = TraceNames(Kernel())
    names.loaded = loaded
    return (load.records.map { TraceFormat.rpctrace.render($0, names: names) }, load.report)
  }

  static func records(_ text: String) -> [TraceRecord] {
    var loaded = LoadedNames()
    return Array(text.utf8).withUnsafeBufferPointer {
      TraceLoad($0, format: .rpctrace, after: 0, msgids: MsgIdTable(), names: &loaded).records
    }
  }

  // MARK: - Since late 2013 (b372e439: replies attributable to requests)

  @Test func aCallAndItsReplyOnOneLine() {
    let (lines, report) = Self.load(
      """
      task131(pid1234)->task_get_special_port (4) = 0    4<--33(pid1234)
        4<--33(pid1234)->io_write ("hello\\n" -1) = 0 6

      """)
    #expect(
      lines == [
        "1 pid1234 -> task131(pid1234) task_get_special_port (4)",
        "2 pid1234 <- task_get_special_port (4<--33(pid1234)) = 0 (reply to 1)",
        "3 pid1234 -> 4<--33(pid1234) io_write (\"hello\\n\", -1)",
        "4 pid1234 <- io_write (6) = 0 (reply to 3)",
      ])
    #expect(report.requests == 2 && report.replies == 2 && report.unanswered == 0 && report.notUnderstood == 0)
  }

  /// `print_ellipsis` closes an open line with ` ...N` (N, the reply port, is reused); the
  /// reply comes later as `N... = RET` and answers the latest request closed with that N.
  @Test func anInterruptedCallIsAnsweredByItsReplyPort() {
    let (lines, report) = Self.load(
      """
        4<--33(pid7)->dir_lookup ("etc" 0 0) ...45
        4<--33(pid7)->dir_lookup ("usr" 0 0) ...45
        6<--35(pid7)->io_stat () ...46
      45... = 0x40000002 (No such file or directory) 
      46... = 0 {1 2 3}
      45... = 0 1 ""    9<--41(pid7)

      """)
    #expect(
      lines == [
        "1 pid7 -> 4<--33(pid7) dir_lookup (\"etc\", 0, 0)",
        "2 pid7 -> 4<--33(pid7) dir_lookup (\"usr\", 0, 0)",
        "3 pid7 -> 6<--35(pid7) io_stat ()",
        "4 pid7 <- dir_lookup () = 0x40000002 (No such file or directory) (reply to 2)",
        "5 pid7 <- io_stat ({1 2 3}) = 0 (reply to 3)",
        "6 pid7 <- dir_lookup (1, \"\", 9<--41(pid7)) = 0 (reply to 1)",
      ])
    #expect(report.unanswered == 0)
  }

  /// `);` ends a simpleroutine's request: nothing answers it, and it waits for nothing.
  @Test func aOneWayMessageWaitsForNoReply() {
    let (lines, report) = Self.load(
      """
      task131(pid5)->mach_port_deallocate (pn{ 12});
        4<--33(pid5)->io_stat ()

      """)
    #expect(
      lines == [
        "1 pid5 -> task131(pid5) mach_port_deallocate (pn{12})",
        "2 pid5 -> 4<--33(pid5) io_stat ()",
      ])
    #expect(report.requests == 2 && report.unanswered == 1)
  }

  /// The traced program's own output lands between rpctrace's: glued after an open request,
  /// or on a line of its own; the reply then starts a line with ` = `.
  @Test func aProgramsOutputIsRawAndTheReplyStillFindsItsCall() {
    let (lines, report) = Self.load(
      """
        4<--33(pid9)->io_write ("hi\\n" -1)hi
       = 0 3
      some other output
      Child 9 exited with 0

      """)
    #expect(
      lines == [
        "1 pid9 -> 4<--33(pid9) io_write (\"hi\\n\", -1)",
        "2 raw t.log:1: hi",
        "3 pid9 <- io_write (3) = 0 (reply to 1)",
        "4 raw t.log:3: some other output",
        "5 raw t.log:4: Child 9 exited with 0",
      ])
    #expect(report.notUnderstood == 2 && report.firstNotUnderstood == 1 && report.unanswered == 0)
  }

  /// A log may end with the child's exit glued to a call that never returned.
  @Test func aChildsDeathGluedToAnOpenCall() {
    let (lines, report) = Self.load("  4<--33(pid9)->io_read (0 -1 10)Child 9 SIGKILL\n")
    #expect(lines == ["1 pid9 -> 4<--33(pid9) io_read (0, -1, 10)", "2 raw t.log:1: Child 9 SIGKILL"])
    #expect(report.unanswered == 1 && report.notUnderstood == 0)
  }

  /// `=(GOT != WANT)`: a reply whose id is not the request's + 100 still answers it.
  @Test func aReplyWithAnUnexpectedID() {
    let records = Self.records("  4<--33(pid9)->io_stat () =(21148 != 21048) 0x2 (No such file or directory) \n")
    #expect(records.count == 2 && records[1].msgid == 21148 && records[1].answers == 1 && records[1].code == 2)
  }

  /// Tasks: `pidN` of the destination's name; `pid-1` (an untraced task, or the kernel) is
  /// `untraced`; the one of `reply(W:NAME)` is not known (`untraced`).
  @Test func whoSentEachCall() {
    let (lines, _) = Self.load(
      """
      thread55(pid12)->thread_get_state (1 17);
        8<--60(pid-1)->io_write ("x" 1);
      reply(61:dir_lookup)->mach_notify_send_once ();

      """)
    #expect(
      lines == [
        "1 pid12 -> thread55(pid12) thread_get_state (1, 17)",
        "2 untraced -> 8<--60(pid-1) io_write (\"x\", 1)",
        "3 untraced -> reply(61:dir_lookup) mach_notify_send_once ()",
      ])
  }

  /// `print_data`: integers and reals, `{…}` arrays (an empty one prints nothing, leaving two
  /// spaces), `pn{…}` port names (`%3u`), `(null)` and `(dead)` rights, strings with
  /// rpctrace's escapes and a bare `"` or `\` (printed raw since 84932431).
  @Test func values() {
    let records = Self.records(
      #"""
        4<--33(pid1)->x (-5 2.5 1e+10 {1 2}  pn{  5   6} (null) (dead) {  7<--9(pid1) (null)} \#
      "a\tb\x01\0" "say "hi"\" 3);

      """#)
    let values = RpctraceLog.parts(of: records[0]).values
    #expect(
      values == [
        .int(-5), .real(2.5), .real(1e10), .array([.int(1), .int(2)]), .portNames([5, 6]), .null, .dead,
        .array([.right("7<--9(pid1)"), .null]), .string("a\tb\u{01}\0"), .string(#"say "hi"\"#), .int(3),
      ])
  }

  /// A bare id where the tables had no name (`%5u`), and a name they know under another
  /// (`io_write_request` is `io_write`, the same id).
  @Test func routineNamesAndIDs() {
    var msgids = MsgIdTable()
    _ = msgids.load("io 21000 io_write 0 21000 21100\nio_request 21000 io_write_request 0 21000 21100\n", file: "h")
    #expect(Self.load("task3741-> 2008 ();\n").lines == ["1 pid3741 -> task3741 task_terminate ()"])
    let (lines, _) = Self.load(
      """
        4<--33(pid2)->io_write_request ("a" -1);
        4<--33(pid2)->io_write ("b" -1);
        4<--33(pid2)->dir_mkdir_request ("c" 0);

      """, msgids: msgids)
    let records = Self.records("  4<--33(pid2)->dir_mkdir_request (\"c\" 0);\n")
    #expect(lines[0].contains(" io_write (") && lines[1].contains(" io_write ("))
    #expect(records[0].routine == "dir_mkdir" && records[0].msgid == 0)
  }

  /// rpctrace -t (2025) prints a time before each request, `HH:MM:SS`, `HH:MM:SS.UUUUUU` or
  /// `SECONDS.UUUUUU`; before the ellipsis that closes the previous line, it lands on that
  /// line, and belongs to the request after it.
  @Test func timestamps() {
    let records = Self.records(
      """
      00:00:01   4<--33(pid1)->io_stat ()00:00:02.000500  ...45
        4<--33(pid1)->io_read (0 1 1) = 0 ""
      45... = 0
      1700000000.000001   4<--33(pid1)->io_stat () = 0

      """)
    #expect(
      records.map(\.time) == [1_000_000, 2_000_500, 2_000_500, 2_000_500, 1_700_000_000_000_001, 1_700_000_000_000_001])
    #expect(records.map(\.answers) == [nil, nil, 2, 1, nil, 5])
  }

  // MARK: - 2012 to 2013 (54301519, the multitask rewrite)

  /// No ellipsis yet: a request printed while another's line is open is glued to it, and the
  /// first one's reply starts a later line with ` = `.
  @Test func gluedRequests() {
    let (lines, report) = Self.load(
      """
      task131(pid77)->vm_allocate (0 4096 1)  4<--33(pid77)->io_write ("x" -1) = 0 1
       = 0 268435456

      """)
    #expect(
      lines == [
        "1 pid77 -> task131(pid77) vm_allocate (0, 4096, 1)",
        "2 pid77 -> 4<--33(pid77) io_write (\"x\", -1)",
        "3 pid77 <- io_write (1) = 0 (reply to 2)",
        "4 pid77 <- vm_allocate (268435456) = 0 (reply to 1)",
      ])
    #expect(report.unanswered == 0)
  }

  // MARK: - Before 2012

  /// One traced task, `taskPID` its task port, every other port a bare number; an open line
  /// is closed with ` > N ...` and answered by `reply(W:NAME)  W > RET` (or `reply?` for a
  /// port rpctrace named nothing, and `>(ID)` for an unexpected id).
  @Test func theFormatBefore2012() {
    let (lines, report) = Self.load(
      """
      task1234->vm_allocate (0 4096 1) = 0 268435456
         33->dir_lookup ("etc" 0 0) >   44 ...
         51->io_write ("abc" -1) = 0 3
      reply(44:dir_lookup)  44 > 0x40000002 (No such file or directory) 
         33->io_stat () >   45 ...
      reply?  45 >(21148) 0 
      Child 1234 exited with 0

      """)
    #expect(
      lines == [
        "1 pid1234 -> task1234 vm_allocate (0, 4096, 1)",
        "2 pid1234 <- vm_allocate (268435456) = 0 (reply to 1)",
        "3 pid1234 -> 33 dir_lookup (\"etc\", 0, 0)",
        "4 pid1234 -> 51 io_write (\"abc\", -1)",
        "5 pid1234 <- io_write (3) = 0 (reply to 4)",
        "6 pid1234 <- dir_lookup () = 0x40000002 (No such file or directory) (reply to 3)",
        "7 pid1234 -> 33 io_stat ()",
        "8 pid1234 <- io_stat () = 0 (reply to 7)",
        "9 raw t.log:7: Child 1234 exited with 0",
      ])
    #expect(report.unanswered == 0 && report.notUnderstood == 0)
  }

  /// With no `taskPID` line, the one task is named by the child's exit, else `traced`.
  @Test func theOneTaskOfAnOldLog() {
    #expect(Self.load("   33->io_stat ();\nChild 55 exited with 0\n").lines[0] == "1 pid55 -> 33 io_stat ()")
    #expect(Self.load("   33->io_stat ();\n").lines[0] == "1 traced -> 33 io_stat ()")
  }

  // MARK: - Nothing guessed

  /// A line that starts like a request but does not read through is raw, whole; so is a
  /// reply with no call to answer, and a truncated line.
  @Test func whatDoesNotReadIsRawWhole() {
    let (lines, report) = Self.load(
      """
        4<--33(pid1)->dir_lookup ("etc
        4<--33(pid1)->io_stat (1 2
      45... = 0
       = 0 1
        4<--33(pid1)->io_stat () = zero
      \t0x5 (type 99, 1*4)

      """)
    #expect(lines.count == 7)
    #expect(lines.prefix(4).allSatisfy { $0.contains(" raw t.log:") })
    // The fifth line's request did read: its tail is raw, and it waits for its reply.
    #expect(lines[4] == "5 pid1 -> 4<--33(pid1) io_stat ()" && lines[5] == "6 raw t.log:5:  = zero")
    #expect(lines[6] == "7 raw t.log:6: \t0x5 (type 99, 1*4)")
    #expect(report.notUnderstood == 6 && report.firstNotUnderstood == 1 && report.unanswered == 1)
  }

  /// Every prefix of a log, and every byte flipped, loads without a crash and accounts for
  /// every line.
  @Test func mutationsNeverCrash() {
    let log = Array(
      """
      00:00:01 task131(pid1234)->task_get_special_port (4) = 0    4<--33(pid1234)
        4<--33(pid1234)->dir_lookup ("etc/passwd" 1 0) ...45
      45... =(20118 != 20018) 0x40000002 (No such file or directory) {1 2}
      reply(44:dir_lookup)  44 > 0 "a"b" pn{  3}
      Child 1234 exited with 0

      """.utf8)
    var rng = SplitMix64(state: 17)
    for n in 0...log.count {
      var mutated = Array(log.prefix(n))
      if n > 0 { mutated[Int(rng.next() % UInt64(n))] = UInt8(truncatingIfNeeded: rng.next()) }
      var names = LoadedNames()
      let load = mutated.withUnsafeBufferPointer {
        TraceLoad($0, format: .rpctrace, after: 0, msgids: MsgIdTable(), names: &names)
      }
      #expect(load.report.records == load.records.count)
      for r in load.records where r.origin == .rpctrace { _ = RpctraceLog.parts(of: r) }
    }
  }
}
