import MachModel

/// `help`: the commands by group, one command or statement in detail, and topics. Everything
/// about commands comes from `CommandRegistry`.
enum Help {
  static let topics: [String: String] = [
    "functions": """
    Functions of the language:
      len(LIST or STRING)   hex(INT)   name(CODE)   routine(MSGID)
      count(FILTER)   first(FILTER)   records(FILTER)   the trace buffer's records that pass
      decode(MESSAGE)   a trace message a task received from a trace port (`trace T to P`,
                        then `receive P`), as a record; it does not enter the buffer
    Procedures (`def NAME(PARAM, …) { … }`) are called the same way.
    """,
    "rights": """
    A port has one receive right (its owner receives its messages) and any number of send and
    send-once rights. A task names its rights with small integers: send and receive rights for
    one port share a name, each send-once right has its own. Rights travel in messages with a
    disposition: move_receive, move_send, move_send_once, copy_send, make_send, make_send_once.
    """,
    "messages": """
    A message is a 24-byte header (bits, size, remote port, local port, seqno, id) and typed
    items. On receive the header is swapped: remote is the reply port, local the port the
    message arrived on. A full queue (qlimit, default 5) blocks the sender unless it sends to a
    send-once right. `send … timeout MS` gives MACH_SEND_TIMED_OUT after MS of virtual time.
    `abort THREAD` (thread_abort) ends a blocked send with MACH_SEND_INTERRUPTED, the message
    handed back, and a blocked receive with MACH_RCV_INTERRUPTED.
    """,
    "trace": """
    `trace TASK` gives the task a trace port (special port 5) whose copies enter the trace
    buffer: every message it sends (before copy-in) and receives (after copy-out), requests to
    its task and thread ports from other tasks, and its exceptions. `trace show` prints them.
    `trace load "FILE"` reads an rpctrace log from a Hurd system, or a JSON Lines export, into
    the same buffer (Examples/17-reading-a-real-rpctrace-log.msh); `trace export "F.html"`
    writes a page to look at.
    """,
    "filters": """
    A filter is an expression over a record's fields, which shadow variables of the same name:
      seq time task thread dir type retval code msgid routine dest reply size complex ool
      rights answers body
    with == != < <= > >=, in [..], contains, matches (a regular expression, unanchored),
    and, or, not, and + - * / %. Constants stand for their numbers (MACH_SEND_TIMED_OUT).
    dir is "send" or "receive"; type is "normal", "task", "thread", "task_exception" or
    "thread_exception" ("raw" for a loaded line that is not a record). code is a MIG reply's
    RetCode and nil otherwise: comparing nil with a number is false, so `code != 0` finds
    failing replies. Other variables are read once, when
    the filter's command runs. Filters serve trace show/stats/export, filter, watch, and the
    functions count(F), first(F) and records(F).
      trace show where retval != 0 and task == client
      trace stats where routine matches "^mach_port_" by task
    """,
    "watches": """
    A watch is a breakpoint on the trace stream: `watch FILTER` stops the model after the first
    record that matches ("watch N hit: RECORD"). The command that was running returns a pending
    handle if its own operation had not finished; at the prompt the rest of the line is dropped.
    `continue` resumes (an interrupted wait or advance goes on where it stopped); `step [N]`
    lets N more records in and stops again.
      watch code != 0                      stop on a failing MIG reply
      watch msgid == 1000 ignore 2 once    the third match only, then the watch is gone
      watch dir == "send" do { print msg }   run a block for each match; the model goes on
    In a do block, `msg` is the record and `stop` stops the model. A watch value has id, hits
    (every match, ignored or not) and enabled. `watches` lists them; `unwatch N|all`,
    `enable N`, `disable N` change them. See Examples/12-debugging-with-watches.msh.
    Going back: `goto N` (the moment record N was made), `reverse-step [N]`, `reverse-continue`,
    `goto end`; `info ports TASK at N` shows the past without moving
    (Examples/18-going-back.msh).
    """,
  ]

  /// Other words users try for a topic.
  static let aliases = [
    "tracing": "trace", "right": "rights", "message": "messages", "filter": "filters", "watch": "watches",
    "breakpoints": "watches",
  ]

  /// `help` alone, `help TOPIC`, `help COMMAND` (or a command word with subcommands:
  /// `help info`).
  static func text(_ topic: [String], procedures: [String] = []) -> String {
    guard !topic.isEmpty else { return overview() }
    let word = topic.joined(separator: " ")
    let matching = CommandRegistry.entries.filter { $0.name == word || $0.name.hasPrefix(word + " ") }
    let commands = matching.map(detail).joined(separator: "\n")
    if let text = topics[aliases[word] ?? word] { return matching.isEmpty ? text : text + "\n\n" + commands }
    if !matching.isEmpty { return commands }
    if procedures.contains(word) { return "\(word) is a procedure of this session (def \(word)(…))" }
    let names = CommandRegistry.entries.map(\.name) + topics.keys
    let hint = CommandRegistry.nearest(to: word, among: names).map { " (did you mean '\($0)'?)" } ?? ""
    return "no help for '\(word)'\(hint); try 'help'"
  }

  /// Every command and statement, by group.
  static func overview() -> String {
    let width = 44
    var lines = [
      "Commands by group; help COMMAND for one, help TOPIC for: \(topics.keys.sorted().joined(separator: ", "))."
    ]
    for group in CommandGroup.allCases {
      lines.append("")
      lines.append(group.title + ":")
      for e in CommandRegistry.entries where e.group == group {
        let usage = e.usage[0]
        let gap =
          usage.count < width
          ? String(repeating: " ", count: width - usage.count) : "\n" + String(repeating: " ", count: width + 2)
        lines.append("  " + usage + gap + e.summary)
        for more in e.usage.dropFirst() { lines.append("  " + more) }
      }
    }
    return lines.joined(separator: "\n")
  }

  /// One entry: its usage lines, what it does, what it returns, and more.
  static func detail(_ e: CommandEntry) -> String {
    var lines = e.usage
    lines.append("  " + e.summary)
    if !e.returns.isEmpty && e.returns != "nil" { lines.append("  returns: " + e.returns) }
    if !e.help.isEmpty { lines += e.help.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 } }
    return lines.joined(separator: "\n")
  }
}
