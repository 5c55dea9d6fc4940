import TestSupport
import Testing

@testable import MachScript

/// docs/shell.md §6: inside serve and do blocks, `wait`, `advance`, `run`, `continue`, `step`,
/// `source` and `quit` are errors, reported at their position once the command that ran the
/// block returns.
@Suite struct BlockTests {
  @Test(arguments: [
    ("wait", "t.msh:3:17: error: 'wait' cannot be used inside a serve or do block"),
    ("advance 5", "t.msh:3:17: error: 'advance' cannot be used inside a serve or do block"),
    ("run", "t.msh:3:17: error: 'run' cannot be used inside a serve or do block"),
    ("continue", "t.msh:3:17: error: 'continue' cannot be used inside a serve or do block"),
    ("step 2", "t.msh:3:17: error: 'step' cannot be used inside a serve or do block"),
    ("source \"x.msh\"", "t.msh:3:17: error: 'source' cannot be used inside a serve or do block"),
    ("quit 3", "t.msh:3:17: error: 'quit' cannot be used inside a serve or do block"),
  ])
  func forbiddenInADoBlock(statement: String, message: String) {
    let output = CapturedOutput()
    let session = Session(output: output)
    let outcome = session.run(
      source: "spawn a\ntrace a\nwatch true do { \(statement) }\nallocate a\nprint \"after\"\n", file: "t.msh")
    #expect(outcome != .completed)
    #expect(output.out == "")
    #expect(output.err.split(separator: "\n").first.map(String.init) == message)
  }

  @Test func forbiddenInAServeBlock() {
    let output = CapturedOutput()
    let session = Session(output: output)
    let outcome = session.run(
      source: """
        spawn s
        let p = allocate s
        serve p { advance 1 }
        send p id 1 dest make_send
        print "after"
        """, file: "t.msh")
    #expect(outcome != .completed)
    #expect(output.err.hasPrefix("t.msh:3:11: error: 'advance' cannot be used inside a serve or do block"))
  }
}
