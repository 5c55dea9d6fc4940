import MachScript

/// Output captured in memory: what a script printed on standard output and standard error.
public final class CapturedOutput: ScriptOutput {
  public var out = ""
  public var err = ""
  public init() {}
  public func write(_ text: String) { out += text }
  public func writeError(_ text: String) { err += text }
}

/// Runs `source` through the interpreter alone (no shell) and returns (stdout, stderr, outcome).
public func run(_ source: String) -> (String, String, RunOutcome) {
  let output = CapturedOutput()
  let interpreter = Interpreter(output: output)
  let outcome = interpreter.run(source: source, file: "t.msh")
  return (output.out, output.err, outcome)
}

/// A shell session over a fresh model, its output captured: commands run as in the binary,
/// without it.
public struct ShellUnderTest {
  public let session: Session
  public let output: CapturedOutput

  public init(interactive: Bool = false) {
    output = CapturedOutput()
    session = Session(output: output)
    session.isInteractive = interactive
  }

  /// Runs `source` as a script file `t.msh`; returns what it printed since the last call.
  @discardableResult
  public func run(_ source: String) -> (out: String, err: String, outcome: RunOutcome) {
    let before = (output.out.count, output.err.count)
    let outcome = session.run(source: source, file: "t.msh")
    return (String(output.out.dropFirst(before.0)), String(output.err.dropFirst(before.1)), outcome)
  }

  /// The value of a global variable, as it prints.
  public func value(_ name: String) -> String? { session.interpreter.global(name)?.printed }
}
