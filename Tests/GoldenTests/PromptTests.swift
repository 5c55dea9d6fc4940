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
    func start(rows: Int = 30) throws {
      try tmux([
        "new-session", "-d", "-s", session, "-x", "100", "-y", String(rows), "HOME=\(home) \(GoldenTests.machsh.path)",
      ])
      pause()
    }

    deinit {
      _ = try? tmux(["kill-server"])
      try? FileManager.default.removeItem(atPath: home)
    }

    struct TmuxTimedOut: Error { let args: [String] }

    /// Runs tmux, giving up after 30 s (a wedged tmux server must fail the test, not hang it).
    /// tmux is started with posix_spawn, an empty signal mask and default signal actions:
    /// Foundation's `Process` leaves the child a mask under which the tmux server that
    /// `new-session` starts never answers its client. Only `capture-pane` output is read,
    /// from a file, once tmux has exited.
    @discardableResult
    func tmux(_ args: [String]) throws -> String {
      let outPath = home + "/tmux.out"
      var actions = posix_spawn_file_actions_t()
      posix_spawn_file_actions_init(&actions)
      defer { posix_spawn_file_actions_destroy(&actions) }
      posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
      posix_spawn_file_actions_addopen(
        &actions, 1, args.first == "capture-pane" ? outPath : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0o644)
      posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
      var attributes = posix_spawnattr_t()
      posix_spawnattr_init(&attributes)
      defer { posix_spawnattr_destroy(&attributes) }
      var none = sigset_t(), all = sigset_t()
      sigemptyset(&none)
      sigfillset(&all)
      posix_spawnattr_setsigmask(&attributes, &none)
      posix_spawnattr_setsigdefault(&attributes, &all)
      posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
      let argv = (["/usr/bin/tmux", "-S", socket] + args).map { strdup($0) } + [nil]
      defer { argv.forEach { free($0) } }
      var pid: pid_t = 0
      guard posix_spawn(&pid, "/usr/bin/tmux", &actions, &attributes, argv, environ) == 0 else {
        throw TmuxTimedOut(args: args)
      }
      var status: Int32 = 0
      var waited = 0
      while waitpid(pid, &status, WNOHANG) == 0 {
        if waited == 1500 {
          kill(pid, SIGKILL)
          waitpid(pid, &status, 0)
          throw TmuxTimedOut(args: args)
        }
        usleep(20_000)
        waited += 1
      }
      guard args.first == "capture-pane" else { return "" }
      return (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
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
    // Two servers that answer each other forever: Ctrl-C stops the model as a watch would.
    try t.keys("spawn a; spawn b; let pa = allocate a; let pb = allocate b", "Enter")
    try t.keys("let to_b = insert a make_send pb; let to_a = insert b make_send pa", "Enter")
    try t.keys("serve pa { send to_b id 1 }; serve pb { send to_a id 2 }", "Enter")
    try t.keys("send to_b id 0", "Enter")
    try t.keys("C-c")
    let stopped = try t.screen()
    #expect(stopped.contains("error: interrupted (the model is stopped; 'continue' resumes it)"), "screen:\n\(stopped)")
    #expect(stopped.split(separator: "\n").last == "machsh [stopped]>")
    // More than 50 candidates: Tab asks first, as readline does; 'n' lists nothing.
    try t.keys("C-u", "rpc ", "Tab")
    let asked = try t.screen()
    #expect(asked.contains("Display all "), "screen:\n\(asked)")
    #expect(asked.contains(" possibilities? (y or n)"))
    try t.keys("n")
    #expect(try t.screen().split(separator: "\n").last?.hasPrefix("machsh [stopped]> rpc") == true)
    // A setting's values after its name.
    try t.keys("C-u", "set output ve", "Tab")
    #expect(try t.screen().contains("set output verbose"))
  }

  /// gdb's paging: a screenful, then "--Type <RET> for more, q to quit--"; RET shows more, q
  /// drops the rest; `set pagination off` lets it run.
  @Test func longOutputPagesAtThePrompt() throws {
    guard Self.hasTmux else { return }
    let t = try Terminal()
    do {
      try t.start(rows: 10)
    } catch is Terminal.TmuxTimedOut {
      return
    }
    try t.keys("let i = 0; repeat 30 { i = i + 1; print i }", "Enter")
    let first = try t.screen()
    #expect(first.contains("\n9\n--Type <RET> for more, q to quit--"), "screen:\n\(first)")
    #expect(!first.contains("\n10\n"))
    try t.keys("Enter")
    #expect(try t.screen().contains("\n18\n--Type <RET> for more, q to quit--"))
    try t.keys("q", "Enter")
    let quit = try t.screen()
    #expect(!quit.contains("\n19\n") && quit.split(separator: "\n").last == "machsh>", "screen:\n\(quit)")
    try t.keys("set pagination off", "Enter")
    try t.keys("repeat 30 { print 7 }", "Enter")
    let free = try t.screen()
    #expect(!free.contains("--Type <RET>") && free.split(separator: "\n").last == "machsh>", "screen:\n\(free)")
  }
}
