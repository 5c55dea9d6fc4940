import MachModel
import MachScript
import MachTrace
import MigDefs
import TestSupport
import Testing

/// `trace load` in the shell (docs/trace.md, "Loading a trace"): records from files enter the
/// buffer as live ones do, and the JSON Lines export reads back as it was written.
@Suite struct TraceLoadTests {
  /// A shell whose `trace load` reads `files` (by name) from memory.
  static func shell(_ files: [String: String]) -> ShellUnderTest {
    let shell = ShellUnderTest()
    shell.session.readBytes = { path in
      files[path].map { .success(Array($0.utf8)) } ?? .failure(FileProblem("No such file or directory"))
    }
    return shell
  }

  /// A session with a record of every kind: sends and receives, a task's and a thread's
  /// kernel-object copies (T12), both exception types (T13), errors, out-of-line data and
  /// rights.
  static let everyKind = """
    spawn server
    spawn client
    let p = allocate server
    let s = insert client make_send p
    let handler = allocate server
    serve handler with exc_handler
    setport client exception handler
    trace client
    trace server
    send s id 100 body int32(7) string("seven") bytes(3)
    receive p
    send s id 101 body ool(8192) port(s, copy_send)
    receive p
    send client:77 id 102
    rpc task_get_special_port(client.self, TASK_BOOTSTRAP_PORT)
    suspend client.1
    resume client.1
    raise client.1 EXC_BAD_ACCESS code 1
    let tp = allocate server
    setport client.1 exception tp
    raise client.1 EXC_ARITHMETIC &
    receive tp
    """

  /// The round trip (issue 17): export in JSON Lines, load into a fresh session, export
  /// again: the same bytes, for a trace with every type of record.
  @Test func jsonLinesReadBackAsWritten() {
    let first = ShellUnderTest()
    first.run(Self.everyKind)
    let exported = first.run(#"trace export "-" format jsonl"#).out
    for field in [
      #""type": "normal""#, #""type": "task""#, #""type": "thread""#, #""type": "task_exception""#,
      #""type": "thread_exception""#, #""dir": "send""#, #""dir": "receive""#, #""retval": 268435459"#,
      #""type": "ool""#, #""right": "send""#,
    ] {
      #expect(exported.contains(field), "the trace should hold a record with \(field)")
    }
    let second = Self.shell(["t.jsonl": exported])
    let load = second.run(#"trace load "t.jsonl""#)
    #expect(load.err.hasPrefix("loaded \(exported.split(separator: "\n").count) records from t.jsonl (jsonl): "))
    #expect(second.run(#"trace export "-" format jsonl"#).out == exported)
    // And every other view agrees: the rpctrace lines and the stats.
    for command in ["trace show", "trace stats", "trace show format verbose"] {
      #expect(second.run(command).out == first.run(command).out, "\(command)")
    }
  }

  /// Records loaded into a session that already has some follow them, and live ones follow
  /// the loaded: `seq` never repeats, and `answers` follows its request.
  @Test func loadedRecordsAreNumberedAfterTheBuffer() {
    let first = ShellUnderTest()
    first.run("spawn a\ntrace a\nrpc mach_port_allocate(a.self, MACH_PORT_RIGHT_RECEIVE)")
    let exported = first.run(#"trace export "-" format jsonl"#).out
    let shell = Self.shell(["t.jsonl": exported])
    shell.run("spawn b\ntrace b\nrpc mach_port_allocate(b.self, MACH_PORT_RIGHT_RECEIVE)")
    let before = shell.run("print count(true)").out
    shell.run(#"trace load "t.jsonl""#)
    shell.run("rpc mach_port_allocate(b.self, MACH_PORT_RIGHT_RECEIVE)")
    let lines = shell.run("trace show").out.split(separator: "\n")
    let seqs = lines.map { Int($0.split(separator: " ")[0])! }
    #expect(before == "3\n" && seqs == Array(1...8))
    guard seqs.count == 8 else { return }
    // b's three, a's three as they were exported (numbered after b's), then b's next two.
    #expect(lines[3...5].allSatisfy { $0.contains(" a") } && lines[6...].allSatisfy { $0.contains(" b.1 ") })
    #expect(lines[5].hasSuffix("(reply to 5)") && lines[7].hasSuffix("(reply to 7)"))
  }

  static let log = """
      4<--33(pid12)->dir_lookup ("etc/passwd" 1 0) = 0x40000002 (No such file or directory) 
      4<--33(pid12)->dir_lookup ("etc/motd" 1 0) = 0 1 ""    7<--37(pid12)
    hello
      7<--37(pid12)->io_read (0 -1 100) ...45
      8<--39(pid13)->io_write ("x" 1) = 0 1
    45... = 0 "motd\\n"
    task90(pid12)->vm_deallocate (4096 8192) 

    """

  /// Filters see a loaded log's fields: the task by the name the log gave it, `type ==
  /// "raw"`, `body`, and a reply's RetCode as `retval` (rpctrace shows no mach_msg codes).
  @Test func filtersReadALoadedLog() {
    let shell = Self.shell(["r.log": Self.log])
    let load = shell.run(#"trace load "r.log""#)
    #expect(
      load.err
        == "loaded 10 records from r.log (rpctrace): 5 requests, 4 replies, 1 unanswered, "
        + "1 line not understood (first at r.log:3)\n")
    shell.run(
      """
      let failed = count(routine == "dir_lookup" and retval != 0)
      let pid12 = count(task == "pid12")
      let raw = count(type == "raw")
      let first = (records(routine == "dir_lookup"))[0].body
      let read = (records(routine == "io_read" and dir == "receive"))[0]
      """)
    #expect(shell.value("failed") == "1" && shell.value("pid12") == "7" && shell.value("raw") == "1")
    #expect(shell.value("first") == #"["etc/passwd", 1, 0]"#)
    #expect(shell.value("read.answers") == nil)
    #expect(shell.run("print read.answers, read.task, read.body").out == "6 pid12 [\"motd\\n\"]\n")
    let stats = shell.run("trace stats").out
    #expect(stats.contains("\nio_read            2       0      0         1           0 "))
    #expect(stats.contains("\n(raw)              1       0      0         -           - "))
  }

  /// Watches fire as the records go in; a stop holds the rest, and `step` walks through them
  /// one by one, as through a live trace.
  @Test func watchesAndStepWalkALoadedLog() {
    let shell = Self.shell(["r.log": Self.log])
    shell.run(#"watch routine == "dir_lookup" and retval != 0 do { print "failed:", msg.body }"#)
    shell.run(#"watch routine == "io_read""#)
    let load = shell.run(#"trace load "r.log""#)
    #expect(load.out == "failed: []\nwatch 2 hit: 6 pid12 -> 7<--37(pid12) io_read (0, -1, 100)\n")
    #expect(shell.run("print count(true)").out == "6\n")
    let step = shell.run("step")
    #expect(step.out == "7 pid13 -> 8<--39(pid13) io_write (\"x\", 1)\n")
    // The reply is an io_read record too: the watch stops there, then the log ends.
    #expect(shell.run("continue").out == "watch 2 hit: 9 pid12 <- io_read (\"motd\\n\") = 0 (reply to 6)\n")
    shell.run("continue")
    #expect(shell.run("print count(true)").out == "10\n")
  }

  /// A file that cannot be read, a folder, or a binary file is an error at the file name, and
  /// loads nothing; so is a format the shell does not read.
  @Test func badFilesLoadNothing() {
    let shell = Self.shell(["bin": "ab\u{0}cd", "ok.log": Self.log])
    shell.run("spawn a\ntrace a\nrpc mach_port_allocate(a.self, MACH_PORT_RIGHT_RECEIVE)")
    for (source, error) in [
      (#"trace load "missing.log""#, #"t.msh:1:12: error: cannot load "missing.log": No such file or directory"#),
      (#"trace load "bin""#, #"t.msh:1:12: error: cannot load "bin": a binary file (it holds NUL bytes), not a trace"#),
      (#"trace load "ok.log" format pcap"#, "t.msh:1:28: error: format must be one of rpctrace or jsonl, not 'pcap'"),
      ("trace load 5", "t.msh:1:12: error: trace load needs a file name string"),
    ] {
      let r = shell.run(source)
      #expect(r.err.split(separator: "\n").first.map(String.init) == error, "\(source)")
    }
    #expect(shell.run("print count(true)").out == "3\n")
    shell.run("rpc mach_port_allocate(a.self, MACH_PORT_RIGHT_RECEIVE)")
    #expect(shell.run("trace show last 1").out.hasPrefix("5 a.1 <- "))
  }

  /// The buffer's bounds hold for loaded records: the oldest go, with the usual note.
  @Test func theRingBoundsALoad() {
    let shell = Self.shell(["r.log": Self.log])
    shell.run("set trace_limit 4")
    shell.run(#"trace load "r.log""#)
    let shown = shell.run("trace show")
    #expect(shown.out.split(separator: "\n").count == 4)
    #expect(shown.err.contains("note: 6 older records were dropped"))
  }

  /// A `.defs` file that declares a routine names the values of its calls in a log: the
  /// request's in-arguments, the reply's out-arguments, in the order of their bodies.
  @Test func loadedDefinitionsNameALogsValues() {
    let shell = Self.shell(["kv.log": "  4<--33(pid3)->kv_put (\"colour\" 3) = 0 1\n"])
    let defs = """
      subsystem kv 7000;
      type mach_port_t = MACH_MSG_TYPE_COPY_SEND;
      type int = MACH_MSG_TYPE_INTEGER_32;
      type boolean_t = MACH_MSG_TYPE_BOOLEAN;
      type key_t = c_string[*:32];
      routine kv_put(server : mach_port_t; key : key_t; value : int; out was_new : boolean_t);

      """
    shell.session.defsOptions = DefsOptions(systemDirectories: [], fileSystem: InMemoryFileSystem(["kv.defs": defs]))
    #expect(shell.run(#"defs load "kv.defs""#).err == "")
    shell.run(#"trace load "kv.log""#)
    #expect(
      shell.run("print (records(true))[0].args, (records(true))[1].args").out
        == "{key: \"colour\", value: 3} {was_new: 1}\n")
    #expect(shell.run(#"print count(args.key == "colour")"#).out == "1\n")
    #expect(
      shell.run("trace show").out
        == "1 pid3 -> 4<--33(pid3) kv_put (key=\"colour\", value=3)\n2 pid3 <- kv_put (was_new=1) = 0 (reply to 1)\n")
  }

  /// A loaded rpctrace log exported in JSON Lines reads back as the same records, raw lines
  /// included.
  @Test func aLoadedLogRoundTripsThroughJSONLines() {
    let first = Self.shell(["r.log": Self.log])
    first.run(#"trace load "r.log""#)
    let exported = first.run(#"trace export "-" format jsonl"#).out
    #expect(exported.contains(#""origin": "rpctrace""#) && exported.contains(#""origin": "raw""#))
    let second = Self.shell(["r.jsonl": exported])
    second.run(#"trace load "r.jsonl""#)
    #expect(second.run(#"trace export "-" format jsonl"#).out == exported)
    #expect(
      second.run("trace show").out.replacingOccurrences(of: "r.jsonl", with: "r.log") == first.run("trace show").out)
  }

  /// A JSON Lines export with bytes flipped or cut loads without a crash: every line that is
  /// not a record is a raw one, and the rest read back.
  @Test func damagedJSONLinesLoadWhatTheyCan() {
    let first = ShellUnderTest()
    first.run(Self.everyKind)
    let exported = Array(first.run(#"trace export "-" format jsonl"#).out.utf8)
    var rng = SplitMix64(state: 1717)
    for round in 0..<60 {
      var damaged = Array(exported.prefix(Int(rng.next() % UInt64(exported.count + 1))))
      for _ in 0..<(round % 5) where !damaged.isEmpty {
        damaged[Int(rng.next() % UInt64(damaged.count))] = UInt8(truncatingIfNeeded: rng.next() % 128)
      }
      let text = String(decoding: damaged, as: UTF8.self).replacingOccurrences(of: "\u{0}", with: " ")
      let shell = Self.shell(["d.jsonl": text])
      let r = shell.run(#"trace load "d.jsonl" format jsonl"#)
      let lines = text.split(separator: "\n").filter { !$0.allSatisfy { $0 == " " || $0 == "\t" || $0 == "\r" } }.count
      #expect(r.err.hasPrefix("loaded \(lines) record"), "round \(round): \(r.err)")
      #expect(shell.session.records.count == lines)
    }
  }

  /// A loaded log exports as a Mermaid diagram: calls from the task that made them, a task's
  /// own task port served by the kernel.
  @Test func aLoadedLogDrawsAsMermaid() {
    let shell = Self.shell(["r.log": Self.log])
    shell.run(#"trace load "r.log""#)
    let diagram = shell.run(#"trace export "-" format mermaid"#).out
    #expect(diagram.contains("pid12->>port_33: dir_lookup"))
    #expect(diagram.contains("pid12->>kernel: vm_deallocate"))
  }
}
