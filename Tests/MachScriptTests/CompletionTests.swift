@testable import MachScript
import TestSupport
import Testing

/// Tab completion (issue 5): what the prompt offers for the word being typed.
@Suite struct CompletionTests {
  static func offered(_ line: String, setup: String = "spawn server") -> Set<String> {
    let session = Session(output: CapturedOutput())
    _ = session.run(source: setup, file: "setup.msh")
    return Set(session.complete(line: line).candidates)
  }

  @Test(arguments: [
    ("wat", ["watch", "watches"]),
    ("cont", ["continue"]),
    ("spawn client par", ["parent"]),
    ("trace st", ["stats"]),
    ("trace export \"f\" format me", ["mermaid"]),
    ("watch ms", ["msgid"]),
    ("trace stats by ro", ["routine"]),
    ("trace show where dir == \"se", ["\"send\""]),
    ("watch code != 0 on", ["once"]),
    ("info ports ser", ["server"]),
    ("unwatch al", ["all"]),
    ("abo", ["abort"]),
    ("rpc thread_ab", ["thread_abort"]),
    ("rpc mach_ports_l", ["mach_ports_lookup"]),
  ])
  func completes(line: String, expected: [String]) {
    #expect(Self.offered(line) == Set(expected), "\(line)")
  }
}
