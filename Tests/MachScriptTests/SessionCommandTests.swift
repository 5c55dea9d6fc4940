import MachModel
import TestSupport
import Testing

@testable import MachScript

/// Commands run against a `Session`, without the binary: what each returns and what it changes
/// in the model, as `print` shows it.
@Suite struct SessionCommandTests {
  static let twoTasks = "spawn a\nspawn b\n"

  @Test(arguments: [
    // spawn: name 1 in a new task is its own task port (glibc's start-up).
    ("print a, a.state, len(a.threads), a.self", "a running 1 a:1"),
    // allocate: a receive right, no urefs, the default queue limit.
    ("let p = allocate a\nprint p, p.rights, p.urefs, p.qlimit, p.queued", "a:2 [\"receive\"] 0 5 0"),
    // insert make_send: the lowest free name in b; a second insert reuses it (one more uref).
    (
      "let p = allocate a\nlet s = insert b make_send p\nlet s2 = insert b make_send p\nprint s, s2 == s, s.urefs",
      "b:2 true 2"
    ),
    ("let ps = allocate a portset\nprint ps.rights", "[\"portset\"]"),
    ("let d = allocate a dead\nprint d.rights", "[\"dead\"]"),
    // modrefs and deallocate: the urefs go, then the name.
    (
      "let p = allocate a\nlet s = insert b make_send p\nlet s2 = insert b make_send p\nprint (modrefs s send "
        + "-1), s.urefs, (deallocate s), s.rights",
      "KERN_SUCCESS 1 KERN_SUCCESS []"
    ),
    // A message and its fields, as the receiver sees them.
    (
      "let q = allocate a\nlet sq = insert b make_send q\nsend sq id 5 body int32(7)\nlet m = receive q\nprint "
        + "m.id, m.size, m.body[0].value, m.dest, m.reply",
      "5 32 7 a:2 nil"
    ),
    // ipc_kmsg_copyout_header: a reply right that died in transit arrives as MACH_PORT_DEAD,
    // which is not the same as no reply port.
    (
      "let p = allocate a\nlet q = allocate a\nlet d = insert b make_send q\ndestroy q\nlet s = insert b make_send p\n"
        + "send s reply d copy_send\nlet m = receive p\nprint m.reply == MACH_PORT_DEAD, m.reply == nil\n"
        + "send s\nprint (receive p).reply",
      "true false\nnil"
    ),
    ("let q = allocate a\nprint (qlimit q 1), q.qlimit", "KERN_SUCCESS 1"),
    ("print (kill b), b.state", "KERN_SUCCESS terminated"),
    // A right whose port died stays a send right until its next use (ipc_right_check), and
    // info ports says its port is dead meanwhile.
    (
      "let p = allocate a\nlet s = insert b make_send p\nkill a\ninfo ports b\nsend s\ninfo ports b",
      "NAME      RIGHTS            UREFS PORT        QUEUE\n1         send              1     0xc00000a0  -\n"
        + "2         send (dead port)  1     0xc00000e0  -\n"
        + "NAME      RIGHTS            UREFS PORT        QUEUE\n1         send              1     0xc00000a0  -\n"
        + "2         dead              1     null        -"
    ),
    ("print (getport a kernel), (getport a trace)", "shell:3 nil"),
    // The shell's names: 1 its own port, 2 its thread's reply port, 3 and 4 the task ports of a
    // and b. setport's extracted right takes 5 and leaves it; getport's right reuses it.
    ("let q = allocate a\nprint (setport a bootstrap q), (getport a bootstrap)", "KERN_SUCCESS shell:5"),
    ("thread a\nprint len(a.threads), a.2.state", "2 idle"),
    ("suspend a\nprint a.state, a.1.state\nresume a\nprint a.state", "suspended suspended\nrunning"),
    // A server answers; the reply's fields.
    (
      "let p = allocate a\nlet s = insert b make_send p\nserve p with echo\nlet r = rpc 1000(s, 4)\nprint r.id, "
        + "r.retval, r.body[1].value",
      "1100 KERN_SUCCESS 4"
    ),
    // A kernel RPC's out-arguments are fields named by the routine.
    ("let r = rpc mach_port_allocate(a.self, MACH_PORT_RIGHT_RECEIVE)\nprint r.retval, r.name", "KERN_SUCCESS a:3"),
    // Trace: the reply to the shell's task_set_special_port is the first record.
    ("trace a\nprint count(true), first(true).routine", "1 task_set_special_port-reply"),
    ("trace a\nlet p = allocate a\nprint count(routine == \"mach_port_allocate\")", "1"),
    ("let w = watch msgid == 1 once\nprint w, w.hits, w.enabled\nunwatch w\nprint w.enabled", "watch 1 0 true\nfalse"),
    ("advance 3\nprint now", "3000"),
    ("set trace_limit 7\nprint records(true) == []", "true"),
  ])
  func command(source: String, printed: String) {
    let shell = ShellUnderTest()
    let (out, err, outcome) = shell.run(Self.twoTasks + source)
    #expect(err == "", "\(source)")
    #expect(outcome == .completed)
    #expect(out == printed + "\n", "\(source)")
  }

  @Test func infoSettingsListsEveryOptionWithItsValue() {
    let shell = ShellUnderTest()
    let (out, _, _) = shell.run("set output json\nset trace_limit 10\ninfo settings")
    let lines = out.split(separator: "\n").map(String.init)
    #expect(lines.count == SettingsTable.entries.count + 1)
    #expect(lines[0].hasPrefix("SETTING"))
    #expect(lines.contains { $0.hasPrefix("output") && $0.contains(" json ") && $0.contains("rpctrace|verbose|json") })
    #expect(lines.contains { $0.hasPrefix("trace_limit") && $0.contains(" 10 ") })
    #expect(shell.run("show").out == shell.run("info settings").out)
  }

  @Test func everySettingReadsBackWhatWasSet() throws {
    let shell = ShellUnderTest()
    for (setting, value) in [
      ("output", "verbose"), ("color", "on"), ("echo", "off"), ("kmsg_limit", "3"), ("trace_limit", "5"),
    ] {
      let (_, err, _) = shell.run("set \(setting) \(value)")
      #expect(err == "")
      let entry = try #require(SettingsTable.entries.first { $0.name == setting })
      #expect(entry.current(shell.session) == value)
    }
  }

  @Test func aCommandThatFailsChangesNothing() {
    let shell = ShellUnderTest()
    shell.run(Self.twoTasks)
    let before = shell.session.kernel.tasks.map(\.space.count)
    let (_, err, _) = shell.run("insert b bogus a:1")
    #expect(err.contains("error: a right must be one of move_receive"))
    #expect(shell.session.kernel.tasks.map(\.space.count) == before)
  }

  @Test func theShellsOwnRightsStayItsOwn() {
    let shell = ShellUnderTest()
    let (_, err, _) = shell.run("kill shell")
    #expect(err.contains("the shell cannot kill itself"))
    let (_, err2, _) = shell.run("suspend shell.1")
    #expect(err2.contains("the shell's own threads are not for suspend"))
  }

  @Test func msgidsLoadReadsThroughTheSessionsFileReader() {
    let shell = ShellUnderTest()
    shell.session.readFile = {
      $0 == "io.msgids" ? .success("io 21000 io_write 0 21000 21100\n") : .failure(FileProblem("No such file"))
    }
    let (out, err, _) = shell.run("msgids load \"io.msgids\"\nprint routine(21000), routine(21100)")
    #expect(err == "")
    #expect(out == "io_write io_write-reply\n")
    let (_, missing, _) = shell.run("msgids load \"nope.msgids\"")
    #expect(missing.contains("cannot read \"nope.msgids\": No such file"))
  }
}
