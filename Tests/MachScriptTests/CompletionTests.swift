import TestSupport
import Testing

@testable import MachScript

/// Tab completion: what the prompt offers for the word being typed, position by position, as
/// the registry says each position takes.
@Suite struct CompletionTests {
  static let setup = """
    spawn server
    let p = allocate server
    let msg1 = receive p timeout 0
    let w = watch msgid == 5
    def greet(who) { print who }
    """

  static func offered(_ line: String) -> Set<String> {
    let shell = ShellUnderTest()
    shell.run(setup)
    shell.session.listDirectory = { folder in
      switch folder {
      case ".": return ["Examples/", "notes.msh", "run.msh"]
      case "Examples/": return ["01-ports.msh", "02-round-trip.msh"]
      default: return nil
      }
    }
    return Set(shell.session.complete(line: line).candidates)
  }

  @Test(arguments: [
    ("wat", ["watch", "watches"]),
    ("cont", ["continue"]),
    ("gre", ["greet"]),
    ("spawn client par", ["parent"]),
    ("trace st", ["stats"]),
    ("trace export \"f\" format me", ["mermaid"]),
    ("watch ms", ["msgid", "msg1"]),
    ("trace stats by ro", ["routine"]),
    ("trace show where dir == \"se", ["\"send\""]),
    ("watch code != 0 on", ["once"]),
    ("info ports ser", ["server"]),
    ("info se", ["settings"]),
    ("kill se", ["server"]),
    ("unwatch al", ["all"]),
    ("abo", ["abort"]),
    ("rpc thread_ab", ["thread_abort"]),
    ("rpc mach_ports_l", ["mach_ports_lookup"]),
    ("send p id 1 thr", ["thread"]),
    ("send p reply p make_send_o", ["make_send_once"]),
    ("send p body int", ["int32", "int64"]),
    ("notify p no", ["no_senders"]),
    ("insert server copy", ["copy_send"]),
    ("allocate server po", ["portset"]),
    ("setport server tr", ["trace"]),
    ("serve p with ex", ["exc_handler"]),
    ("set ou", ["output"]),
    ("set output ve", ["verbose"]),
    ("set color o", ["on", "off"]),
    ("help wat", ["watch", "watches"]),
    ("help fil", ["filter", "filters"]),
    ("print p.ur", ["urefs"]),
    ("print server.th", ["threads"]),
    ("print w.hi", ["hits"]),
    ("print MACH_SEND_TIM", ["MACH_SEND_TIMED_OUT"]),
    ("source \"Ex", ["Examples/"]),
    ("source \"Examples/02", ["Examples/02-round-trip.msh"]),
    ("msgids load \"no", ["notes.msh"]),
    ("rpc mach_port_allocate(ser", ["server"]),
  ])
  func completes(line: String, expected: [String]) {
    #expect(Self.offered(line) == Set(expected), "\(line)")
  }

  /// A command word is followed by what its first position takes, not by every constant.
  @Test func afterACommandWordOnlyItsArgumentsAreOffered() {
    let afterKill = Self.offered("kill ")
    #expect(afterKill.contains("server"))
    #expect(!afterKill.contains("MACH_SEND_TIMED_OUT"))
    #expect(Self.offered("set ") == Set(SettingsTable.entries.map(\.name)))
  }

  /// The word being completed: a file name inside a string is completed whole.
  @Test func theWordIsWhatTheCandidatesReplace() {
    let shell = ShellUnderTest()
    shell.session.listDirectory = { _ in ["a.msh"] }
    #expect(shell.session.complete(line: "source \"a.").word == "a.")
    #expect(shell.session.complete(line: "spawn x; kil").word == "kil")
    #expect(shell.session.complete(line: "spawn x; kil").candidates == ["kill"])
  }
}
