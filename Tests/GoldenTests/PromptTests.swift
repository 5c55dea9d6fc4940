import Foundation
import Testing

/// The prompt on a real terminal, driven through tmux: Tab completion, history, continuation
/// and Ctrl-C. Skipped (with a message) where tmux is missing.
@Suite(.serialized) struct PromptTests {
  static let hasTmux = FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux")

  final class Terminal {
    let session = "machsh-test-\(getpid())"
    let home: String
    /// A tmux server of the test's own: a stale or wedged server left on the default socket by
    /// another run (or another user of the machine) cannot answer for this one.
    let socket: String

    init() throws {
      home = NSTemporaryDirectory() + "machsh-home-\(getpid())"
      socket = home + "/tmux.sock"
      try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
    }

    /// Starts machsh in a detached 100x30 window. Throws `TmuxTimedOut` when tmux itself cannot
    /// start a server here; `new-session -d` returns before the pane's program does anything.
    func start() throws {
      try tmux(["new-session", "-d", "-s", session, "-x", "100", "-y", "30", "HOME=\(home) \(GoldenTests.machsh.path)"])
      pause()
    }

    deinit {
      try? tmux(["kill-server"])
      try? FileManager.default.removeItem(atPath: home)
    }

    struct TmuxTimedOut: Error { let args: [String] }

    /// Runs tmux, giving up after 30 s (a wedged tmux server must fail the test, not hang it).
    /// Only `capture-pane` output is read, once tmux has exited: the server that `new-session`
    /// forks would hold a captured pipe open forever, and a screen fits in the pipe's buffer.
    @discardableResult
    func tmux(_ args: [String]) throws -> String {
      let p = Process()
      p.executableURL = URL(fileURLWithPath: "/usr/bin/tmux")
      p.arguments = ["-S", socket] + args
      p.standardInput = FileHandle.nullDevice
      p.standardError = FileHandle.nullDevice
      let out = Pipe()
      p.standardOutput = args.first == "capture-pane" ? out : FileHandle.nullDevice
      try p.run()
      var waited = 0
      while p.isRunning && waited < 1500 {
        usleep(20_000)
        waited += 1
      }
      if p.isRunning {
        p.terminate()
        throw TmuxTimedOut(args: args)
      }
      guard args.first == "capture-pane" else { return "" }
      return String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    }

    func keys(_ keys: String...) throws {
      try tmux(["send-keys", "-t", session] + keys)
      pause()
    }

    func screen() throws -> String { try tmux(["capture-pane", "-t", session, "-p"]) }

    func pause() { usleep(400_000) }
  }

  @Test func tabCompletesHistoryRecallsAndCtrlCSurvives() throws {
    guard Self.hasTmux else {
      print("PromptTests skipped: tmux is not installed")
      return
    }
    let t = try Terminal()
    do {
      try t.start()
    } catch let error as Terminal.TmuxTimedOut {
      print("PromptTests skipped: tmux could not start a session on this machine (\(error.args.first ?? ""))")
      return
    }
    try t.keys("spa", "Tab")
    let first = try t.screen()
    #expect(first.contains("machsh> spawn"), "screen:\n\(first)")  // capture-pane trims trailing spaces
    try t.keys("srv", "Enter")
    try t.keys("if true {", "Enter")
    #expect(try t.screen().contains("   ..."))
    try t.keys("print srv.name", "Enter", "}", "Enter")
    #expect(try t.screen().contains("\nsrv\n"))
    try t.keys("while true { }", "Enter")
    try t.keys("C-c")
    let interrupted = try t.screen()
    #expect(interrupted.contains("error: interrupted"), "screen:\n\(interrupted)")
    try t.keys("abc", "C-c")
    try t.keys("Up")
    #expect(try t.screen().split(separator: "\n").last(where: { $0.hasPrefix("machsh>") }) == "machsh> while true { }")
    try t.keys("C-u", "print 6 * 7", "Enter")
    #expect(try t.screen().contains("\n42\n"))
  }
}
