import MachModel
import MachScript
import TestSupport
import Testing

/// Going back (docs/shell.md, "Going back"): the history rebuilds every past moment exactly.
@Suite struct TimeTravelTests {
  /// What the user can see of the model: the tables of `info`, for every task.
  static let look = "info tasks\ninfo ports a\ninfo ports b\ninfo ports c\ninfo threads a\ninfo threads b"

  /// A random session of the three tasks: ports, rights, messages that may be queued, taken or
  /// refused, kernel RPCs, an echo server, suspensions. Every command is one that cannot fail
  /// as a script (a full queue or a missing message is a return code).
  static func randomSession(_ rng: inout SplitMix64, steps: Int) -> String {
    var lines = [
      "spawn a", "spawn b", "spawn c", "trace a", "trace b", "trace c",
      "let p0 = allocate a", "let p1 = allocate b", "let p2 = allocate c", "let p3 = allocate b",
      "let s0 = insert b make_send p0", "let s1 = insert a make_send p1", "let s2 = insert a make_send p2",
      "let s3 = insert c make_send p3", "serve p3 with echo",
    ]
    let tasks = ["a", "b", "c"]
    let senders = ["s0", "s1", "s2", "s3"]
    for i in 0..<steps {
      switch rng.next() % 8 {
      case 0, 1, 2: lines.append("send \(senders[Int(rng.next() % 4)]) id \(100 + i) body int32(\(i)) timeout 0")
      case 3, 4: lines.append("receive p\(rng.next() % 3) timeout 0")
      case 5: lines.append("rpc mach_port_allocate(\(tasks[Int(rng.next() % 3)]).self, MACH_PORT_RIGHT_RECEIVE)")
      case 6: lines.append("advance \(1 + rng.next() % 5)")
      default:
        let t = tasks[Int(rng.next() % 2)]
        lines.append("suspend \(t).1")
        lines.append("resume \(t).1")
      }
    }
    return lines.joined(separator: "\n")
  }

  /// The property (issue 18): random sessions, a snapshot of the kernel (and the shell's
  /// serving threads) kept at every record as it was made; then `info … at N`, `goto N`, and
  /// `step` forward from there show exactly what the same `info` commands show of the
  /// snapshot, and the invariants hold in every rebuilt kernel.
  @Test func everyPastMomentIsRebuiltExactly() {
    var rng = SplitMix64(state: 18)
    var checked = 0
    for session in 0..<200 {
      let shell = ShellUnderTest()
      var snapshots: [UInt64: (Kernel, [ThreadIndex])] = [:]
      shell.session.recordsMade = { seqs, kernel, serving in
        for seq in seqs { snapshots[seq] = (kernel, serving) }
      }
      let script = Self.randomSession(&rng, steps: 12 + Int(rng.next() % 20))
      let run = shell.run(script)
      shell.session.recordsMade = nil
      #expect(run.err.isEmpty, "session \(session): \(run.err)")
      let seqs = snapshots.keys.sorted()
      guard seqs.count > 2 else { continue }
      func live(_ n: UInt64) -> String {
        let (kernel, serving) = snapshots[n]!
        return shell.session.showing(kernel, serving: serving) { shell.run(Self.look).out }
      }
      for _ in 0..<3 {
        let n = seqs[Int(rng.next() % UInt64(seqs.count))]
        let expected = live(n)
        let lookAt = Self.look.split(separator: "\n").map { "\($0) at \(n)" }.joined(separator: "\n")
        #expect(shell.run(lookAt).out == expected, "session \(session): info at \(n)\n\(script)")
        shell.run("goto \(n)")
        #expect(shell.run(Self.look).out == expected, "session \(session): goto \(n)\n\(script)")
        #expect(shell.session.kernel.checkInvariants().isEmpty, "session \(session): invariants at \(n)")
        if let next = seqs.first(where: { $0 > n }) {
          shell.run("step")
          if shell.session.pastPosition == next { #expect(shell.run(Self.look).out == live(next), "step to \(next)") }
        }
        checked += 1
      }
      shell.run("goto end")
      #expect(shell.session.pastPosition == nil)
    }
    #expect(checked > 400)
  }

  static let scenario = """
    spawn server
    spawn client
    let p = allocate server
    let s = insert client make_send p
    trace client
    trace server
    repeat 3 {
      send s id 100 body int32(1)
      receive p
    }
    """

  /// `goto N` puts the session just after the step that made record N; the prompt says where;
  /// `step` and `continue` go forward through the recorded history and stop at its end.
  @Test func gotoStepAndContinue() {
    let shell = ShellUnderTest()
    shell.run(Self.scenario)
    #expect(shell.run("goto 3").out == "3 client.1 -> 2 100 (1)\n")
    #expect(shell.session.timeTravelPrompt == "at 3 of 8")
    #expect(shell.run("info queue server:2").out.hasPrefix("server:2 queue 1/5"))
    #expect(shell.run("step 2").out == "4 server.1 <- 2 100 (1)\n5 client.1 -> 2 100 (1)\n")
    shell.run("watch msgid == 100 and dir == \"receive\"")
    #expect(shell.run("continue").out == "watch 1 hit: 6 server.1 <- 2 100 (1)\n")
    #expect(shell.run("reverse-continue").out == "watch 1 hit: 4 server.1 <- 2 100 (1)\n")
    #expect(
      shell.run("reverse-step 2").out == "2 server [task] -> 0xc0000040 task_set_special_port-reply () = KERN_SUCCESS\n"
    )
    // `ignore` counts as it would have: a watch that skips its first match stops at the second.
    shell.run("unwatch all\nwatch msgid == 100 and dir == \"receive\" ignore 1")
    #expect(shell.run("goto 1\ncontinue").out.hasSuffix("watch 2 hit: 6 server.1 <- 2 100 (1)\n"))
    #expect(shell.run("reverse-continue").err.contains("no earlier record matches an enabled watch"))
    let end = shell.run("continue\ncontinue\ncontinue\ncontinue")
    #expect(end.err.contains("note: at the end of the recorded history: the present"))
    #expect(shell.session.pastPosition == nil)
    #expect(shell.run("info queue server:2").out.hasPrefix("server:2 queue 0/5"))
  }

  /// A change made in the past drops the records after it, and the new ones follow it.
  @Test func aChangeInThePastStartsANewHistory() {
    let shell = ShellUnderTest()
    shell.run(Self.scenario)
    shell.run("goto 5\nsend s id 200")
    #expect(shell.session.pastPosition == nil)
    let lines = shell.run("trace show").out.split(separator: "\n")
    #expect(lines.count == 6 && lines[5] == "6 client.1 -> 2 200 ()")
    #expect(shell.run("info queue server:2").out.hasPrefix("server:2 queue 2/5"))
  }

  /// At the prompt a change in the past is asked about first; declined, nothing changes.
  @Test func thePromptAsksBeforeDiscardingTheFuture() {
    let shell = ShellUnderTest(interactive: true)
    shell.run(Self.scenario)
    var asked: [String] = []
    var answer = false
    shell.session.confirm = { question in
      asked.append(question)
      return answer
    }
    shell.run("goto 5")
    let refused = shell.run("send s id 200")
    #expect(asked == ["this discards 3 recorded records after 5; go on? (y or n) "])
    #expect(refused.err.contains("not done: the session stays at record 5"))
    #expect(shell.session.pastPosition == 5 && shell.session.records.count == 8)
    shell.run("info ports server")  // looking asks nothing
    #expect(asked.count == 1)
    answer = true
    shell.run("send s id 200")
    #expect(shell.session.pastPosition == nil && shell.session.records.count == 6)
  }

  /// Past `history_bytes` the oldest history goes; `goto` before it names where it begins.
  @Test func aSmallBudgetKeepsTheNewestHistory() {
    let shell = ShellUnderTest()
    shell.run("set history_bytes 200000\n" + Self.scenario + "\nrepeat 3000 {\n  send s id 1\n  receive p\n}")
    let last = shell.session.records.last!.seq!
    let r = shell.run("goto 3")
    #expect(r.err.hasPrefix("t.msh:1:6: error: record 3 cannot be reached: history holds records "))
    #expect(shell.session.historyBytes <= 200_000)
    shell.run("goto \(last - 1)")
    #expect(shell.session.pastPosition == last - 1)
  }

  /// Ctrl-C during a long rebuild (a past moment far from its checkpoint, once a small budget
  /// has thinned them) abandons it at a safe point between replayed events: the session stays
  /// where it was, and the same `goto` without the interrupt goes there.
  @Test func ctrlCAbandonsALongRebuild() {
    let shell = ShellUnderTest()
    shell.run("set history_bytes 600000\n" + Self.scenario + "\nrepeat 6000 {\n  send s id 1\n  receive p\n}")
    let held = shell.run("goto 1").err
    let bounds = (held.split(separator: "\n").first?.split(separator: "records ").last ?? "").split(separator: " ")
      .compactMap { UInt64($0) }
    #expect(bounds.count == 2, "\(held)")
    guard bounds.count == 2 else { return }
    var asked = 0
    shell.session.interpreter.interruptRequested = {
      asked += 1
      return true
    }
    // The records just before a checkpoint are the farthest from the one before: some target
    // needs more than 1,024 replayed events, where the rebuild asks.
    var interrupted: UInt64? = nil
    for target in stride(from: bounds[1] - 1, through: bounds[0], by: -97) {
      let r = shell.run("goto \(target)")
      if r.err.contains("error: interrupted (the session stays where it was)") {
        interrupted = target
        break
      }
      shell.run("goto end")
    }
    #expect(asked > 0 && interrupted != nil, "no rebuild was long enough to be asked")
    guard let target = interrupted else { return }
    #expect(shell.session.pastPosition == nil, "the session stays in the present")
    shell.session.interpreter.interruptRequested = { false }
    shell.run("goto \(target)")
    #expect(shell.session.pastPosition == target)
  }

  /// Variables, settings and watches are not rewound: each keeps what it became after the
  /// record gone back to.
  @Test func whatIsNotRewound() {
    let shell = ShellUnderTest()
    shell.run("let x = 1\nlet w = watch msgid == 100 and dir == \"send\" do { x = x + 1 }\n" + Self.scenario)
    shell.run("set output json")
    let goto = shell.run("goto 3")
    #expect(goto.out.hasPrefix(#"{"schema": 1, "seq": 3,"#), "the output setting stays json")
    #expect(shell.value("x") == "4", "three sends ran the block; going back undoes none")
    #expect(shell.run("print w.hits").out == "3\n")
  }

  /// `goto time T`: the last record made at or before virtual time T.
  @Test func gotoTime() {
    let shell = ShellUnderTest()
    shell.run(
      "spawn server\nspawn client\nlet p = allocate server\nlet s = insert client make_send p\ntrace client\n"
        + "advance 5\nsend s id 1\nadvance 5\nsend s id 2")
    #expect(shell.run("goto time 9999").out == "2 client.1 -> 2 1 ()\n")
    #expect(shell.run("goto time 0").out.hasPrefix("1 client [task] -> "))
    #expect(shell.run("info ports server at time 4999").out.contains("0/5"))
    #expect(shell.run("info ports server at time 5000").out.contains("1/5"))
  }

  /// Bad input: past the end, before history, not a number, with history off.
  @Test func unreachableMomentsAreErrors() {
    let shell = ShellUnderTest()
    shell.run(Self.scenario)
    for (source, error) in [
      ("goto 99", "t.msh:1:6: error: record 99 cannot be reached: history holds records 1 to 8"),
      ("goto 0", "t.msh:1:6: error: record numbers start at 1, not 0"),
      ("info ports server at 42", "t.msh:1:22: error: record 42 cannot be reached: history holds records 1 to 8"),
    ] {
      let r = shell.run(source)
      #expect(r.err.split(separator: "\n").first.map(String.init) == error, "\(source)")
    }
    shell.run("goto end\nset history off")
    #expect(shell.run("goto 3").err.hasPrefix("t.msh:1:6: error: history is off"))
  }
}
