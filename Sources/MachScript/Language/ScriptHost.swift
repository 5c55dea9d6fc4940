import MachModel
import MachTrace

/// Where a script's output goes; the shell decides what standard output and standard error
/// are. The interpreter never touches a terminal.
public protocol ScriptOutput: AnyObject {
  func write(_ text: String)
  func writeError(_ text: String)
}

/// What runs the kernel commands, `source`, `help` and `explain` for the interpreter: the
/// shell's session over the model. The interpreter itself runs the language.
public protocol ScriptHost: AnyObject {
  func run(_ command: Command, in interpreter: Interpreter) throws -> Value
  /// `TASK:NAME`, `TASK.N`, `X.self`.
  func reference(_ e: Expr, in interpreter: Interpreter) throws -> Value
  /// `value.name` for the host's kinds of value.
  func field(_ value: Value, _ name: String, at: SourceLocation) throws -> Value
  /// A function the host provides (`count`, `first`, `records`, `decode`), or nil.
  func call(_ name: String, _ args: [Expr], in interpreter: Interpreter, at: SourceLocation) throws -> Value?
  /// `source`, `help`, `explain`.
  func statement(_ s: Stmt, in interpreter: Interpreter) throws
  /// `stop` in a block: throws where it is not allowed.
  func stop(at: SourceLocation) throws
  /// A stop at the prompt abandons the rest of the input line.
  var abandonsLine: Bool { get }
  /// A new input line begins.
  func lineStarts()
  /// `routine(ID)`: the routine name the shell knows for an id, or "".
  func routineName(_ id: Int32) -> String
}

/// An error of the script itself (docs/shell.md §1: syntax and runtime errors), with where.
public struct ScriptError: Error, Equatable, Sendable {
  public var message: String
  public var location: SourceLocation
  public init(_ message: String, at location: SourceLocation) {
    self.message = message
    self.location = location
  }
  public var diagnostic: Diagnostic { Diagnostic(message, at: location) }
}

/// How a run ended.
public enum RunOutcome: Equatable, Sendable {
  case completed
  /// An error stopped the script (status 2).
  case error(Diagnostic)
  /// `quit [CODE]`.
  case quit(Int32?)
}
