import TestSupport
import Testing

@testable import MachScript

@Suite struct InterpreterTests {
  @Test(arguments: [
    ("print 1 + 2 * 3", "7\n"),
    ("print 7 / 2, -7 / 2, -7 % 3", "3 -3 -1\n"),
    ("print \"a\" + \"b\", [1] + [2, \"x\"]", "ab [1, 2, \"x\"]\n"),
    ("print hex(255), hex(-1), hex(0)", "0xff -0x1 0x0\n"),
    ("print len([1, 2, 3]), len(\"héllo\")", "3 5\n"),
    (
      "print name(4), name(-303), name(0x10000004), name(MACH_SEND_TIMED_OUT)",
      "KERN_INVALID_ARGUMENT MIG_BAD_ID MACH_SEND_TIMED_OUT MACH_SEND_TIMED_OUT\n"
    ),
    (
      "print routine(3204), routine(3304), routine(12345) == \"\"", "mach_port_allocate mach_port_allocate-reply true\n"
    ),
    (
      "print MACH_SEND_TIMED_OUT, MACH_MSG_SUCCESS, KERN_SUCCESS, TASK_TRACE_PORT, [KERN_SUCCESS]",
      "MACH_SEND_TIMED_OUT MACH_MSG_SUCCESS KERN_SUCCESS 5 [KERN_SUCCESS]\n"
    ),
    (
      "print MACH_SEND_TIMED_OUT == 0x10000004, KERN_SUCCESS == 0, MACH_MSG_SUCCESS == KERN_SUCCESS", "true true true\n"
    ),
    ("print nil, true, [1, \"a\", nil], \"s\"", "nil true [1, \"a\", nil] s\n"),
    (
      "print 2 in [1, 2], \"ell\" in [\"hello\"], \"hello\" contains \"ell\", [1, 2] contains 2",
      "true false true true\n"
    ),
    ("print \"mach_port_allocate\" matches \"^mach_port_\", \"task\" matches \"x|y\"", "true false\n"),
    ("print 1 < 2 and \"a\" < \"b\", not (1 >= 2) or false", "true true\n"),
    ("let l = [10, 20, 30]\nprint l[1], \"abc\"[2]", "20 c\n"),
    ("let x = 1\nif x > 0 { print \"pos\" } else { print \"neg\" }", "pos\n"),
    ("let i = 0\nwhile i < 3 { i = i + 1 }\nprint i", "3\n"),
    ("let n = 0\nrepeat 5 { n = n + 2 }\nprint n", "10\n"),
    ("let s = 0\nfor x in [1, 2, 3] { s = s + x }\nprint s", "6\n"),
    ("let i = 0\nwhile true { i = i + 1\n if i == 4 { break } }\nprint i", "4\n"),
    ("def fact(n) { if n <= 1 { return 1 }\n return n * fact(n - 1) }\nprint fact(10)", "3628800\n"),
    ("def greet(who) { print \"hi\", who }\ngreet \"bob\"", "hi bob\n"),
    ("let x = 1\nif true { let x = 2\n print x }\nprint x", "2\n1\n"),
    ("let x = 1\ndef f() { x = x + 1 }\nf()\nprint x", "2\n"),
    ("def f() { }\nprint f()", "nil\n"),
  ])
  func programs(source: String, stdout: String) {
    let (out, err, outcome) = run(source)
    #expect(err == "")
    #expect(outcome == .completed)
    #expect(out == stdout)
  }

  @Test(arguments: [
    ("print 9223372036854775807 + 1", "t.msh:1:27: error: integer overflow"),
    ("print 1 / 0", "t.msh:1:9: error: division by zero"),
    ("print x", "t.msh:1:7: error: unknown name 'x'"),
    ("y = 1", "t.msh:1:1: error: unknown variable 'y' (use 'let y = ...' to make one)"),
    ("if 1 { }", "t.msh:1:4: error: a condition must be a bool, not an int"),
    ("print [1][5]", "t.msh:1:10: error: index 5 is out of range (the list has 1)"),
    ("print \"a\" + 1", "t.msh:1:11: error: '+' cannot combine a string and an int"),
    ("print 1 < \"a\"", "t.msh:1:9: error: '<' cannot compare an int with a string"),
    ("break", "t.msh:1:1: error: 'break' outside a loop"),
    (
      "def f(n) { return f(n + 1) }\nf(0)",
      "t.msh:1:19: error: procedures nest deeper than 200 calls (runaway recursion?)"
    ),
    ("def f(a) { }\nf(1, 2)", "t.msh:2:1: error: 'f' takes 1 argument, not 2"),
    ("let rc = 1", "t.msh:1:1: error: 'rc' is read-only"),
    ("print \"x\" matches \"(\"", "t.msh:1:11: error: bad regular expression \"(\""),
    ("def len(x) { }", "t.msh:1:1: error: 'len' is a built-in function"),
    ("repeat -1 { }", "t.msh:1:1: error: repeat count is negative (-1)"),
  ])
  func runtimeErrorsStopTheScriptWithAPosition(source: String, first: String) {
    let (_, err, outcome) = run(source)
    guard case .error = outcome else { Issue.record("no error for \(source)"); return }
    #expect(err.split(separator: "\n").first.map(String.init) == first)
  }

  @Test func anErrorStopsTheRestOfTheScript() {
    let (out, _, _) = run("print 1\nprint x\nprint 3")
    #expect(out == "1\n")
  }

  @Test func syntaxErrorsAreAllReportedAndNothingRuns() {
    let (out, err, outcome) = run("print 1\nprint (\nlet = 2\n")
    #expect(out == "")
    #expect(err.split(separator: "\n").filter { $0.contains(": error: ") }.count == 2)
    guard case .error = outcome else { Issue.record(); return }
  }

  @Test func failedExpectationsShowBothSidesAndTheScriptGoesOn() {
    let output = CapturedOutput()
    let interpreter = Interpreter(output: output)
    let outcome = interpreter.run(
      source: "let x = 2\nexpect x == 3\nexpect x > 5, \"x is big\"\nexpect x == 2\nprint \"done\"", file: "e.msh")
    #expect(outcome == .completed)
    #expect(interpreter.failedExpectations == 2)
    #expect(
      output.err
        == "e.msh:2: expectation failed: x == 3 (left: 2, right: 3)\ne.msh:3: expectation failed: x is big "
        + "(left: 2, right: 5)\n"
    )
    #expect(output.out == "done\n")
  }

  @Test func quitEndsTheRun() {
    #expect(run("print 1\nquit 3\nprint 2") == ("1\n", "", .quit(3)))
    #expect(run("quit").2 == .quit(nil))
  }

  @Test func anInterruptStopsALoop() {
    let output = CapturedOutput()
    let interpreter = Interpreter(output: output)
    var polls = 0
    interpreter.interruptRequested = {
      polls += 1
      return polls > 1000
    }
    let outcome = interpreter.run(source: "while true { }", file: "i.msh")
    #expect(outcome == .error(Diagnostic("interrupted", at: SourceLocation(file: "i.msh", line: 1, column: 7))))
  }
}
