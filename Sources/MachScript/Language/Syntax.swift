/// A literal value in source.
public enum Literal: Equatable, Sendable {
  case int(Int64)
  case string(String)
  case bool(Bool)
  case nil_
}

/// An expression (docs/language.md, Expressions), with where it starts.
public indirect enum Expr: Equatable, Sendable {
  case literal(Literal, SourceLocation)
  case name(String, SourceLocation)
  case list([Expr], SourceLocation)
  /// `-` or `not`.
  case unary(String, Expr, SourceLocation)
  /// `or and == != < <= > >= in contains matches + - * / %` (`||` is `or`, `&&` is `and`).
  case binary(String, Expr, Expr, SourceLocation)
  case field(Expr, String, SourceLocation)
  case index(Expr, Expr, SourceLocation)
  case call(String, [Expr], SourceLocation)
  /// `TASK:NAME`.
  case portRef(task: Expr, name: Expr, SourceLocation)
  /// `TASK.N`.
  case threadRef(task: Expr, number: Int64, SourceLocation)
  /// `TASK.self`, `TASK.N.self`.
  case selfRef(Expr, SourceLocation)
  /// A command used as a value: `(allocate server)`, `let p = allocate server`.
  case command(Command)

  public var location: SourceLocation {
    switch self {
    case .literal(_, let l), .name(_, let l), .list(_, let l), .unary(_, _, let l), .binary(_, _, _, let l),
      .field(_, _, let l), .index(_, _, let l), .call(_, _, let l), .portRef(_, _, let l), .threadRef(_, _, let l),
      .selfRef(_, let l):
      return l
    case .command(let c): return c.location
    }
  }

  /// Where the expression's text begins (`location` is the operator's, for a binary one).
  public var start: SourceLocation {
    switch self {
    case .binary(_, let l, _, _), .field(let l, _, _), .index(let l, _, _), .portRef(let l, _, _),
      .threadRef(let l, _, _),
      .selfRef(let l, _):
      let s = l.start
      return (s.line, s.column) < (location.line, location.column) ? s : location
    default: return location
    }
  }
}

/// A command with its arguments and options (docs/language.md, Commands), as written.
public struct Command: Equatable, Sendable {
  /// The command, with its subcommand when it has one: `send`, `trace show`, `info ports`.
  public var name: String
  public var location: SourceLocation
  public var arguments: [Expr]
  /// Keyword options in the order given.
  public var options: [CommandOption]
  /// The block of `serve P { … }`.
  public var block: [Stmt]?
  /// A trailing `&`: issue the operation and return at once.
  public var background: Bool
  /// The command's source text, as completion lines print it.
  public var source: String
  /// Where the registry keeps the command's entry (`CommandRegistry.entries`), found once by
  /// the parser; nil for a procedure called as a command.
  var entryIndex: Int? = nil

  public func option(_ name: String) -> CommandOption? { options.first { $0.name == name } }
}

/// One keyword option and what followed it.
public struct CommandOption: Equatable, Sendable {
  public var name: String
  public var values: [Expr]
  /// `do { … }`.
  public var block: [Stmt]?
  public var location: SourceLocation
}

/// A statement (docs/language.md, Statements).
public indirect enum Stmt: Equatable, Sendable {
  case `let`(String, Expr, SourceLocation)
  case assign(String, Expr, SourceLocation)
  /// `if … else if … else`: the conditions with their blocks, then the final else block.
  case `if`([(Expr, [Stmt])], else: [Stmt]?, SourceLocation)
  case `while`(Expr, [Stmt], SourceLocation)
  case `repeat`(Expr, [Stmt], SourceLocation)
  case `for`(String, Expr, [Stmt], SourceLocation)
  case def(String, [String], [Stmt], SourceLocation)
  case `return`(Expr?, SourceLocation)
  case `break`(SourceLocation)
  case stop(SourceLocation)
  case print([Expr], SourceLocation)
  /// `expect EXPR [, "message"]`, with the source text for failure messages.
  case expect(Expr, message: Expr?, text: String, SourceLocation)
  case source(Expr, SourceLocation)
  case help([String], SourceLocation)
  case explain(Expr?, SourceLocation)
  case quit(Expr?, SourceLocation)
  case command(Command)
  case expression(Expr, text: String, SourceLocation)

  public static func == (a: Stmt, b: Stmt) -> Bool { "\(a)" == "\(b)" }
}
