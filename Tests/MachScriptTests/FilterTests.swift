import TestSupport
import Testing

@testable import MachScript

/// Filters (docs/language.md, Filters, docs/shell.md §8–§9) over a real trace: the records below, made by
/// running `setup` through a session.
///
///     1 client [task] -> 0xc0000040 task_set_special_port-reply () = KERN_SUCCESS
///     2 client.1 -> 2 1000 (1)
///     3 client.1 <- 3 1100 (1) = KERN_SUCCESS (reply to 2)
///     4 client.1 -> 2 1000 (2)
///     5 client.1 <- 3 1100 (2) = KERN_SUCCESS (reply to 4)
///     6 client.1 -> 9 8 () = MACH_SEND_INVALID_DEST
///     7 client.1 -> 1 task_get_special_port (4)
///     8 client.1 <- 3 task_get_special_port-reply (0(send)) = KERN_SUCCESS (reply to 7)
@Suite struct FilterTests {
  static let setup = """
    spawn server
    spawn client
    let p = allocate server
    let q = insert client make_send p
    trace client
    serve p with echo
    rpc 1000(q, 1)
    rpc 1000(q, 2)
    send client:9 id 8
    rpc task_get_special_port(client.self, TASK_BOOTSTRAP_PORT)

    """

  /// Runs `setup` then `line`; returns (stdout of `line`, stderr).
  static func evaluate(_ line: String) -> (String, String) {
    let output = CapturedOutput()
    let session = Session(output: output)
    _ = session.run(source: setup, file: "setup.msh")
    output.out = ""
    _ = session.run(source: line, file: "t.msh")
    return (output.out, output.err)
  }

  @Test(arguments: [
    ("msgid == 1000", 2),
    ("1000 == msgid", 2),
    ("dir == \"send\"", 5),
    ("dir != \"send\" and type == \"normal\"", 3),
    ("dir matches \"^re\"", 3),
    // docs/shell.md §8: comparing a nil field with a value that is not nil is false.
    ("code != 0", 0),
    ("code == 0", 4),
    ("code == nil", 4),
    ("code != nil", 4),
    ("answers != nil", 3),
    ("answers > 2", 2),
    ("thread == nil", 1),
    // A task or thread compares with its value or its name (docs/language.md, Filters).
    ("task == client", 8),
    ("task == \"client\"", 8),
    ("task == \"nosuch\"", 0),
    ("task in [client, \"server\"]", 8),
    ("thread == client.1", 7),
    ("thread == \"client.1\"", 7),
    // docs/shell.md §9: matches is an unanchored search; contains is a substring; in takes a list.
    ("routine matches \"^task_\"", 3),
    ("routine matches \"special\"", 3),
    ("routine contains \"special\"", 3),
    ("msgid in [1000, 1100]", 4),
    ("type in [\"task\", \"normal\"]", 8),
    // Symbolic constants equal their numbers.
    ("retval == MACH_SEND_INVALID_DEST", 1),
    ("retval in [MACH_SEND_INVALID_DEST]", 1),
    ("code == KERN_SUCCESS", 4),
    ("size + 8 > 40", 3),
    ("40 <= size", 3),
    ("seq % 2 == 0", 4),
    ("not complex", 7),
    ("rights >= 1", 4),
    ("len(body) == 1", 4),
    ("true", 8),
  ])
  func counts(filter: String, expected: Int) {
    let (out, err) = Self.evaluate("print count(\(filter))")
    #expect(err == "")
    #expect(out == "\(expected)\n", "count(\(filter))")
  }

  /// The fast form of a filter (FilterClauses) counts a ring that has wrapped as the general
  /// form does: `msgid != 1000` takes the fast form, `not (msgid == 1000)` the closures.
  @Test func theFastFormCountsAWrappedRingAsTheGeneralFormDoes() {
    let (out, err) = Self.evaluate(
      """
      set trace_limit 5
      rpc 1000(q, 3)
      rpc 1000(q, 4)
      rpc 1000(q, 5)
      print count(msgid != 1000), count(not (msgid == 1000)), count(msgid == 1000 and dir == "send")
      """)
    #expect(err.contains("dropped") || err == "")
    #expect(out == "3 3 2\n")
  }

  /// Variables in a filter are read when the filter is compiled (docs/shell.md §7), and bare
  /// field names shadow variables (docs/language.md, Filters).
  @Test func variablesAreReadAtCompileTimeAndFieldsShadowThem() {
    let (out, err) = Self.evaluate(
      """
      let id = 1000
      let msgid = 5
      let w = watch msgid == id
      id = 8
      print count(msgid == id), count(msgid == 5)
      """)
    #expect(err == "")
    #expect(out == "1 0\n")
  }

  /// docs/shell.md §9: filters are checked when their command runs, before any record is seen;
  /// errors name the position.
  @Test(arguments: [
    (
      "print count(dir == 1)",
      "t.msh:1:17: error: 'dir' is a string (\"send\" or \"receive\"); it cannot be compared with an int"
    ),
    ("print count(dir == \"sent\")", "t.msh:1:17: error: 'dir' is \"send\" or \"receive\", never \"sent\""),
    (
      "print count(type == \"kernel\")",
      "t.msh:1:18: error: 'type' is \"normal\", \"task\", \"thread\", \"task_exception\", "
        + "\"thread_exception\" or \"raw\", never \"kernel\""
    ),
    ("print count(type < \"a\")", "t.msh:1:18: error: 'type' can only be compared with == or !="),
    ("print count(msgid == \"x\")", "t.msh:1:19: error: '==' cannot compare an int with a string"),
    ("print count(task == 3)", "t.msh:1:18: error: '==' cannot compare a task with an int"),
    ("print count(nosuch == 1)", "t.msh:1:13: error: unknown name 'nosuch'"),
    ("print count(size)", "t.msh:1:13: error: a filter must be a bool, not an int"),
    ("print count(msgid and true)", "t.msh:1:19: error: 'and' needs bools, not an int"),
    ("print count(routine matches \"(\")", "t.msh:1:21: error: bad regular expression \"(\""),
    ("print count(msgid in 5)", "t.msh:1:19: error: 'in' needs a list on its right, not an int"),
    ("print count(routine matches 5)", "t.msh:1:21: error: 'matches' needs a string on its right, not an int"),
    ("print count(size / 0 > 1)", "t.msh:1:18: error: division by zero"),
    ("print count(msgid in [1, \"a\"])", "t.msh:1:19: error: 'in' cannot compare an int with a string"),
    ("trace show where (allocate server) == 1", "t.msh:1:19: error: a filter cannot run a command ('allocate')"),
    (
      "watch dir == 2",
      "t.msh:1:11: error: 'dir' is a string (\"send\" or \"receive\"); it cannot be compared with an int"
    ),
  ])
  func errors(line: String, message: String) {
    let (out, err) = Self.evaluate(line)
    #expect(out == "")
    #expect(err.split(separator: "\n").first.map(String.init) == message)
  }

  /// A runtime error in a filter (here a division by zero) names its position.
  @Test func runtimeErrorsNameThePosition() {
    let (_, err) = Self.evaluate("print count(size / (seq - 3) > 0)")
    #expect(err.hasPrefix("t.msh:1:18: error: division by zero"))
  }
}
