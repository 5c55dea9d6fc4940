import Foundation
import TestSupport
import Testing

@testable import MachScript

@Suite struct ParserTests {
  @Test(arguments: [
    ("1 + 2 * 3", "(+ 1 (* 2 3))"),
    ("(1 + 2) * 3", "(* (+ 1 2) 3)"),
    ("not a and b or c", "(or (and (not a) b) c)"),
    ("a || b && !c", "(or a (and b (not c)))"),
    ("x in [1, 2, 3]", "(in x [1 2 3])"),
    ("routine matches \"^mach_\"", "(matches routine \"^mach_\")"),
    ("names contains \"a\"", "(contains names \"a\")"),
    ("n-1", "(- n 1)"),
    ("n - 1", "(- n 1)"),
    ("-5 + 2", "(+ -5 2)"),
    ("- x", "(- x)"),
    ("7 % 3 / 2", "(/ (% 7 3) 2)"),
    ("server:3", "(port server 3)"),
    ("client:0x10", "(port client 16)"),
    ("t:(n + 1)", "(port t (+ n 1))"),
    ("client.1", "(thread client 1)"),
    ("client.self", "(self client)"),
    ("client.1.self", "(self (thread client 1))"),
    ("m.body[0].value", "(. (at (. m body) 0) value)"),
    ("len([1, [2]])", "(len [1 [2]])"),
    ("hex(-1)", "(hex -1)"),
    ("true == nil", "(== true nil)"),
    ("(allocate server)", "{allocate server}"),
  ])
  func expressions(source: String, expected: String) {
    #expect(parsed(source) == [expected])
  }

  @Test(arguments: [
    ("let p = allocate server", "let p {allocate server}"),
    ("x = x + 1", "set x (+ x 1)"),
    ("if a { print 1 } else if b { print 2 } else { print 3 }", "if a <print 1> elif b <print 2> else <print 3>"),
    ("while i < 3 {\n  i = i + 1\n}", "while (< i 3) <set i (+ i 1)>"),
    ("repeat 100 { send p }", "repeat 100 <{send p}>"),
    ("for r in records(dir == \"send\") { print r }", "for r (records (== dir \"send\")) <print r>"),
    ("def f(a, b) { return a + b }", "def f(a b) <return (+ a b)>"),
    ("print 1, \"two\", x", "print 1 \"two\" x"),
    (
      "expect rc == MACH_SEND_TIMED_OUT, \"timed out\"",
      "expect (== rc MACH_SEND_TIMED_OUT) msg \"timed out\" 'rc == MACH_SEND_TIMED_OUT'"
    ),
    ("help trace", "help trace"),
    ("explain last", "explain last"),
    ("quit 3", "quit 3"),
    ("source \"lib.msh\"", "source \"lib.msh\""),
    ("greet \"bob\" 3", "{greet \"bob\" 3}"),
    ("a; b", "a"),
  ])
  func statements(source: String, expected: String) {
    #expect(parsed(source).first == expected)
  }

  @Test(arguments: [
    (
      "send server:3 id 7 reply client:4 make_send body int32(1, 2) string(\"x\") timeout 10 thread 2",
      "{send (port server 3) id=7 reply=(port client 4),make_send body=(int32 1 2),(string \"x\") timeout=10 thread=2}"
    ),
    ("send p body int32(-1) -2 id 3", "{send p body=(int32 -1),-2 id=3}"),
    ("receive server:3 max 100 large timeout 5", "{receive (port server 3) max=100 large timeout=5}"),
    (
      "rpc task_get_special_port(client.self, TASK_BOOTSTRAP_PORT) timeout 5",
      "{rpc (task_get_special_port (self client) TASK_BOOTSTRAP_PORT) timeout=5}"
    ),
    ("rpc 2999(t.self)", "{rpc (2999 (self t))}"),
    (
      "trace show where retval != 0 and task == client last 5 format json",
      "{trace show where=(and (!= retval 0) (== task client)) last=5 format=json}"
    ),
    ("trace stats by routine", "{trace stats by=routine}"),
    ("trace export \"out.json\" format chrome", "{trace export \"out.json\" format=chrome}"),
    ("trace client to server:3", "{trace client to=(port server 3)}"),
    ("trace clear", "{trace clear}"),
    (
      "watch msgid == 2400 once ignore 2 do { print msg; stop }",
      "{watch (== msgid 2400) once ignore=2 do=<print msg; stop>}"
    ),
    ("serve server:3 thread 2 with echo", "{serve (port server 3) thread=2 with=echo}"),
    ("serve p { reply body int32(1) code KERN_FAILURE }", "{serve p <{reply body=(int32 1) code=KERN_FAILURE}>}"),
    ("info ports client", "{info ports client}"),
    ("info tasks", "{info tasks}"),
    ("insert client make_send server:3 name 7", "{insert client make_send (port server 3) name=7}"),
    ("move p to none", "{move p to=none}"),
    ("notify p dead_name to q sync 1", "{notify p dead_name to=q sync=1}"),
    ("msgids load \"hurd.msgids\"", "{msgids load \"hurd.msgids\"}"),
    ("set output json", "{set output json}"),
    ("spawn client parent server", "{spawn client parent=server}"),
    // A required argument comes before options, and a single option value may be any word.
    ("spawn parent", "{spawn parent}"),
    ("spawn child parent parent", "{spawn child parent=parent}"),
    ("send s id 1 reply reply", "{send s id=1 reply=reply}"),
    ("receive p &", "{receive p &}"),
    ("raise client.1 EXC_BAD_ACCESS code 1", "{raise (thread client 1) EXC_BAD_ACCESS code=1}"),
    ("filter dir == \"send\"", "{filter (== dir \"send\")}"),
    ("unwatch all", "{unwatch all}"),
    ("step", "{step}"),
  ])
  func commands(source: String, expected: String) {
    #expect(parsed(source) == [expected])
  }

  @Test func commandsKeepTheirSourceText() {
    let (statements, _) = Parser.parse("x = 1\nsend server:3 id 7   # comment\n", file: "t")
    guard case .command(let c) = statements[1] else { Issue.record(); return }
    #expect(c.source == "send server:3 id 7")
  }

  static let errorCases: [(String, [String])] = [
    ("send", ["error 1:1 'send' needs 1 argument, found 0"]),
    (
      "info bogus",
      ["error 1:6 info needs one of: defs, port, ports, queue, routine, settings, task, tasks, threads; found bogus"]
    ),
    ("def send() { }", ["error 1:5 'send' is a command; a procedure cannot take its name"]),
    // `reply with NAME = VALUE, …` (a loaded routine's out-arguments by name).
    ("reply with total 1", ["error 1:18 expected '=' after 'total', found 1"]),
    ("reply with = 1", ["error 1:12 'with' needs NAME = VALUE, found ="]),
    ("reply with a = 1, ", ["error 1:19 'with' needs NAME = VALUE, found end of input"]),
    ("reply with a = 1 with b = 2", ["error 1:18 option 'with' given twice"]),
    ("defs load", ["error 1:1 'defs load' needs 1 argument, found 0"]),
    ("let = 3", ["error 1:5 expected a variable name, found ="]),
    ("a == b == c", ["error 1:8 comparisons do not chain; use 'and'"]),
    ("receive p bogus", ["error 1:11 unexpected bogus in 'receive' (options: large, max, thread, timeout)"]),
    ("send p id 1 id 2", ["error 1:13 option 'id' given twice"]),
    ("print (1 + ", ["error 1:7 unclosed '('"]),
    ("if x {\n  print 1\n", ["error 1:6 unclosed '{'"]),
    ("x = [1, 2", ["error 1:5 unclosed '['"]),
    ("}", ["error 1:1 unexpected '}'"]),
    ("if x\n{ }", ["error 1:5 expected '{' on the same line, found end of line"]),
    // Three mistakes, three diagnostics: the parser resynchronises at each statement.
    (
      "let a = \nlet b = 2 +\nsend\n",
      [
        "error 1:9 expected an expression, found end of line",
        "error 2:12 expected an expression, found end of line",
        "error 3:1 'send' needs 1 argument, found 0",
      ]
    ),
  ]

  @Test(arguments: errorCases)
  func errorsHavePositions(source: String, expected: [String]) {
    #expect(parsed(source) == expected)
  }

  @Test func anUnclosedBlockAsksForMoreInput() {
    let (_, diagnostics) = Parser.parse("while x {\n  print 1", file: "<repl>")
    #expect(diagnostics.count == 1 && diagnostics[0].isUnexpectedEnd)
    let (_, complete) = Parser.parse("print (1 +\n 2)", file: "<repl>")
    #expect(complete.isEmpty)
  }

  @Test func diagnosticsRenderTheLineAndACaret() {
    let source = "x = 1\nsend p bogus\n"
    let (_, diagnostics) = Parser.parse(source, file: "f.msh")
    #expect(
      diagnostics.first?.rendered(source: source) == """
        f.msh:2:8: error: unexpected bogus in 'send' (options: body, dest, id, reply, thread, timeout)
        send p bogus
               ^
        """)
  }

  @Test func deepNestingIsRefusedNotCrashed() {
    let deep = String(repeating: "(", count: 100_000) + "1" + String(repeating: ")", count: 100_000)
    let (_, diagnostics) = Parser.parse(deep, file: "t")
    #expect(diagnostics.map(\.message) == ["nesting is deeper than 100 levels"])
    let blocks = String(repeating: "if x { ", count: 5_000) + String(repeating: "}", count: 5_000)
    #expect(!Parser.parse(blocks, file: "t").diagnostics.isEmpty)
  }

  @Test func randomInputNeverCrashes() {
    var state: UInt64 = 0x1234_5678
    for _ in 0..<300 {
      var bytes: [UInt8] = []
      for _ in 0..<Int(state % 200) {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        bytes.append(UInt8(truncatingIfNeeded: state >> 33))
      }
      let text = String(decoding: bytes, as: UTF8.self)
      _ = Parser.parse(text, file: "fuzz")
    }
    // A long chain is read without recursion, but its tree would be as deep as it is long:
    // past 1000 operators a statement is refused before that tree exists.
    #expect(Parser.parse(String(repeating: "x + ", count: 1000) + "1", file: "t").diagnostics.isEmpty)
    let longLine = String(repeating: "x + ", count: 50_000) + "1"
    #expect(
      Parser.parse(longLine, file: "t").diagnostics.map(\.message) == [
        "a statement chains more than 1000 operators; split it with variables"
      ])
  }
}

extension ParserTests {
  /// Input that is not a script (random bytes, a binary file) stops being read after 1000
  /// errors, and only the first 50 are printed: diagnostics never take more than linear time.
  @Test func tooManyErrorsStopReadingAndPrintingIsCapped() {
    let garbage = String(repeating: "$ ) ]\n", count: 3000)
    let (_, diagnostics) = Parser.parse(garbage, file: "bin")
    #expect(diagnostics.count == Parser.maxDiagnostics + 1)
    #expect(diagnostics.contains { $0.message == "too many errors; the rest of the file was not read" })
    let (out, err, outcome) = run(garbage)
    #expect(out == "")
    guard case .error = outcome else { Issue.record("\(outcome)"); return }
    #expect(err.split(separator: "\n").filter { $0.contains(": error: ") }.count == Interpreter.maxShownSyntaxErrors)
    #expect(
      err.hasSuffix("t.msh: \(Parser.maxDiagnostics + 1 - Interpreter.maxShownSyntaxErrors) more errors not shown\n"))
  }
}

/// Every prefix of every lesson and golden script parses without trapping: at the prompt the
/// parser runs on each partial statement to decide whether to ask for more lines.
@Suite struct PrefixParseTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

  static var scripts: [String] {
    ["Examples", "Tests/GoldenTests/scripts"].flatMap { folder in
      ((try? FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(folder).path)) ?? [])
        .filter { $0.hasSuffix(".msh") }.sorted().map { "\(folder)/\($0)" }
    }
  }

  @Test(arguments: scripts)
  func everyPrefixParses(_ path: String) throws {
    let text = try String(contentsOf: Self.root.appendingPathComponent(path), encoding: .utf8)
    let chars = Array(text)
    // Every line end, and every character inside the first 4000 (every third one past that).
    var cuts = Set(chars.indices.filter { chars[$0] == "\n" })
    for i in stride(from: 0, to: chars.count, by: 1) where i < 4000 || i % 3 == 0 { cuts.insert(i) }
    for cut in cuts.sorted() {
      let (_, diagnostics) = Parser.parse(String(chars[..<cut]), file: path)
      _ = diagnostics.allSatisfy(\.isUnexpectedEnd)  // what the prompt asks
    }
  }

  @Test(arguments: [
    "print (serve p { if true {", "print (serve p { if true { x = }", "let x = (trace show where (msgid == [1,",
    "watch (1 == 1 do { if (",
  ])
  func brokenNestingIsADiagnostic(_ source: String) {
    let (_, diagnostics) = Parser.parse(source, file: "t.msh")
    #expect(!diagnostics.isEmpty)
  }
}
