import ArgumentParser
import Glibc
import LineEditor
import MachScript
import MachTrace
import MigDefs

/// Standard output and standard error, unbuffered enough for interleaving to read right.
final class StandardOutput: ScriptOutput {
  /// Pages standard output at the prompt (`set pagination`).
  let pager = Pager()
  func write(_ text: String) { SystemIO.write(pager.pass(text), to: 1) }
  func writeError(_ text: String) { SystemIO.write(text, to: 2) }
}

@main
struct Machsh: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "machsh",
    abstract: "A debugging shell for Mach IPC tracing, on a model of GNU Mach with its kernel trace facility.",
    discussion: """
      With a FILE, runs it (ARGs are in the list variable `args`) and exits: 0 when all went \
      well, 1 when an expectation failed, 2 when an error stopped the script. Without one, \
      reads commands at a prompt on a terminal, or a script from standard input.
      """,
    version: "machsh 0.1.0")

  /// As ParsableCommand's, except that a bad command line exits 2 like any error that stops a
  /// script (docs/language.md, Running machsh has no other status), not EX_USAGE.
  static func main() {
    do {
      var command = try parseAsRoot()
      try command.run()
    } catch {
      if exitCode(for: error) == .validationFailure {
        SystemIO.write(fullMessage(for: error) + "\n", to: 2)
        Glibc.exit(2)
      }
      exit(withError: error)
    }
  }

  @Option(name: .customShort("c"), help: "Run COMMANDS, then exit.")
  var commands: String?

  @Flag(name: .customShort("i"), help: "Run FILE, then read commands at the prompt.")
  var interactive = false

  @Option(
    name: .customLong("msgids"),
    help: "Load routine names from a Hurd .msgids file, or from every *.msgids file of a folder (repeatable).")
  var msgids: [String] = []

  @Option(
    name: .customLong("defs"),
    help: "Load MIG interface definitions: a .defs file, or every .defs file of a folder (repeatable).")
  var defs: [String] = []

  @Option(
    name: [.customShort("I"), .customLong("defs-include")],
    help: "A folder #include searches in .defs files, before the system's (repeatable).")
  var defsIncludes: [String] = []

  @Option(
    name: [.customShort("D"), .customLong("defs-define")],
    help: "A macro for .defs files: NAME or NAME=VALUE (repeatable; KERNEL_USER and KERNEL_SERVER are off).")
  var defsDefines: [String] = []

  @Option(
    name: .customLong("load"),
    help: "Load an rpctrace log or a JSON Lines export into the trace buffer before the script runs (repeatable).")
  var loads: [String] = []

  @Option(name: .customLong("format"), help: "Trace output format: rpctrace, verbose or json.")
  var format: String = "rpctrace"

  @Option(
    name: .customLong("color"),
    help: "Colour trace lines: auto (on a terminal, unless NO_COLOR is set), always or never.")
  var color: String = "auto"

  @Argument(help: "A script to run.")
  var file: String?

  @Argument(parsing: .captureForPassthrough, help: "Arguments for the script.")
  var args: [String] = []

  func run() throws {
    let output = StandardOutput()
    let session = Session(output: output)
    session.readFile = { SystemIO.readFile($0, regularOnly: true) }
    session.readBytes = { SystemIO.readBytes($0) }
    session.createFile = SystemIO.createFile
    session.listDirectory = { SystemIO.listDirectory($0) }
    guard let chosen = TraceFormat(rawValue: format) else {
      throw ValidationError("--format is rpctrace, verbose or json")
    }
    session.settings.format = chosen
    switch color {
    case "auto":
      let noColor = SystemIO.environment("NO_COLOR")
      session.settings.colors.enabled = TraceColors.suits(isTerminal: isatty(1) != 0, noColor: noColor)
    case "always": session.settings.colors.enabled = true
    case "never": session.settings.colors.enabled = false
    default: throw ValidationError("--color is auto, always or never")
    }
    for path in msgids.flatMap({ SystemIO.msgidsFiles(in: $0) ?? [$0] }) {
      guard case .success(let text) = session.readFile(path) else { throw ValidationError("cannot read \(path)") }
      if case .failure(let e) = session.loadMsgids(text, file: path) {
        output.writeError("\(e)\n")
        throw ExitCode(2)
      }
    }
    var defines: [String: String] = [:]
    for d in defsDefines {
      let parts = d.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
      guard let name = parts.first, !name.isEmpty else { throw ValidationError("-D needs NAME or NAME=VALUE") }
      defines[String(name)] = parts.count > 1 ? String(parts[1]) : "1"
    }
    session.defsOptions = DefsOptions(includeDirectories: defsIncludes, defines: defines)
    for path in defs {
      do {
        let loaded = try session.loadDefinitions(path)
        for line in loaded.collisions { output.write("defs: id \(line)\n") }
      } catch {
        output.writeError("\(error)\n")
        throw ExitCode(2)
      }
    }
    for path in loads {
      switch session.loadTrace(path, format: nil) {
      case .success(let summary): output.writeError(summary + "\n")
      case .failure(let problem):
        output.writeError("machsh: cannot load \(path): \(problem)\n")
        throw ExitCode(2)
      }
    }
    // With -c there is no script file: every word after the options is an argument.
    let arguments = commands != nil ? (file.map { [$0] } ?? []) + args : args
    session.interpreter.setGlobal("args", .list(arguments.map { .string($0) }))
    Interrupt.install()
    session.interpreter.interruptRequested = { Interrupt.consume() }
    // `set echo on`: each statement as `> SOURCE` before it runs, then its value when it has one.
    session.interpreter.willRun = { [unowned session] text in
      if session.settings.echo { output.write("> \(text)\n") }
    }
    session.interpreter.showValue = { [unowned session] value, _ in
      if (session.settings.echo || session.isInteractive) && !isNil(value) { output.write(value.printed + "\n") }
    }

    var outcome = RunOutcome.completed
    if let commands {
      outcome = session.run(source: commands, file: "<command-line>")
    } else if let file {
      let text: String
      switch SystemIO.readFile(file, regularOnly: false) {
      case .success(let t): text = t
      case .failure(let problem):
        output.writeError("machsh: cannot read \(file): \(problem)\n")
        throw ExitCode(2)
      }
      outcome = session.run(source: text, file: file)
      if interactive, !isQuit(outcome) { outcome = Prompt(session: session, output: output).run() }
    } else if isatty(0) != 0 {
      outcome = Prompt(session: session, output: output).run()
    } else {
      guard let text = SystemIO.readAll(0, limit: maxScriptBytes) else {
        output.writeError("machsh: standard input is larger than the \(maxScriptBytes >> 20) MB limit for a script\n")
        throw ExitCode(2)
      }
      outcome = session.run(source: text, file: "<stdin>")
    }
    for line in session.pendingLines { output.writeError("pending at exit: \(line)\n") }
    throw ExitCode(status(outcome, failed: session.interpreter.failedExpectations))
  }

  private func isNil(_ v: Value) -> Bool {
    if case .nil = v { return true }
    return false
  }

  private func isQuit(_ o: RunOutcome) -> Bool {
    if case .quit = o { return true }
    return false
  }

  /// docs/shell.md §1: 2 if an error stopped the script, else 1 if an expectation failed, else
  /// 0; `quit N` overrides.
  private func status(_ outcome: RunOutcome, failed: Int) -> Int32 {
    switch outcome {
    case .quit(let code?): return code
    case .error: return 2
    default: return failed > 0 ? 1 : 0
    }
  }
}

/// The prompt: reads a statement (asking for more lines while a bracket or block is open),
/// runs it, and goes on after errors. libedit edits the line on a terminal (history in
/// ~/.machsh_history, Tab completion, Ctrl-C abandons the line); otherwise lines are read plainly.
struct Prompt {
  let session: Session
  let output: StandardOutput

  func run() -> RunOutcome {
    session.isInteractive = true
    let terminal = isatty(0) != 0 && isatty(1) != 0
    let home = SystemIO.environment("HOME")
    let editor = terminal ? LineEditor(program: "machsh", historyPath: home.map { $0 + "/.machsh_history" }) : nil
    if let editor { session.confirm = { editor.ask($0) } }
    editor?.complete = { [session] line in
      let found = session.complete(line: line)
      return (found.word, found.candidates)
    }
    var pending = ""
    var repeatable: String? = nil  // the last `step` or `continue`, which an empty line repeats
    while true {
      let prompt = pending.isEmpty ? promptText() : "   ... "
      let input: LineEditor.Input
      if let editor {
        editor.prompt = prompt
        input = editor.read()
      } else {
        SystemIO.write(prompt, to: 1)
        input = readLine().map { .line($0) } ?? .end
      }
      switch input {
      case .end where !pending.isEmpty:
        // Ctrl-D inside an unfinished block abandons the block, not the shell.
        SystemIO.write("\n", to: 1)
        SystemIO.write("machsh: the unfinished statement was abandoned\n", to: 2)
        pending = ""
        continue
      case .end:
        return .completed
      case .interrupted:
        pending = ""  // Ctrl-C abandons what was being typed
        continue
      case .line(let line):
        pending += pending.isEmpty ? line : "\n" + line
      }
      if needsMore(pending) { continue }
      var source = pending
      pending = ""
      // As in gdb, an empty line repeats `step` (with its count) and `continue`, and nothing else.
      if source.allSatisfy({ $0 == " " || $0 == "\t" }), let again = repeatable {
        source = again
      } else {
        editor?.remember(source)
      }
      let words = source.split(whereSeparator: { $0 == " " || $0 == "\t" })
      repeatable = words.first == "step" && words.count <= 2 || words == ["continue"] ? source : nil
      output.pager.reset()
      output.pager.isOn = terminal && session.settings.pagination
      defer { output.pager.isOn = false }
      if case .quit(let code) = session.run(source: source, file: "<repl>") { return .quit(code) }
    }
  }

  /// `machsh>`, with `stopped` while a watch holds the model and the number of operations
  /// still pending when there are some.
  private func promptText() -> String {
    var state: [String] = []
    if let at = session.timeTravelPrompt { state.append(at) }
    if session.isStopped { state.append("stopped") }
    let pending = session.pendingLines.count
    if pending > 0 { state.append("\(pending) pending") }
    return state.isEmpty ? "machsh> " : "machsh [\(state.joined(separator: ", "))]> "
  }

  /// The input so far ends inside a construct (docs/shell.md §2, the REPL's continuation).
  private func needsMore(_ source: String) -> Bool {
    let diagnostics = Parser.parse(source, file: "<repl>").diagnostics
    return !diagnostics.isEmpty && diagnostics.allSatisfy(\.isUnexpectedEnd)
  }
}
