/// A literal value in source.
public enum Literal: Equatable, Sendable {
  case int(Int64)
  case string(String)
  case bool(Bool)
  case nil_
}

/// An expression (language.md §3), with where it starts.
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
    case .binary(_, let l, _, _), .field(let l, _, _), .index(let l, _, _), .portRef(let l, _, _), .threadRef(let l, _, _),
      .selfRef(let l, _):
      let s = l.start
      return (s.line, s.column) < (location.line, location.column) ? s : location
    default: return location
    }
  }
}

/// A command with its arguments and options (language.md §5), as written.
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

/// A statement (language.md §4).
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

/// How a keyword option takes its value.
enum OptionKind: Sendable {
  /// A word alone: `large`, `once`.
  case flag
  /// One argument atom: `timeout 10`, `thread 2`.
  case atom
  /// Atoms up to the next option word: `body int32(1) port(p, copy_send)`.
  case atoms
  /// A port ref then, optionally, a right word: `reply p make_send`.
  case reply
  /// A filter expression up to the next option word: `where retval != 0`.
  case filter
  /// A block: `do { … }`.
  case block
  /// A bare word: `format json`, `by routine`, `with echo`.
  case word
}

/// What a command takes: how many leading arguments (and whether the first is a filter),
/// its keyword options, and its subcommands.
struct CommandSpec: Sendable {
  var arguments: ClosedRange<Int> = 0...0
  /// The (only) argument is a filter expression, not an atom.
  var filterArgument = false
  var options: [String: OptionKind] = [:]
  /// `serve P { … }`.
  var takesBlock = false
  /// `trace show …`, `info ports …`: the first word picks the subcommand.
  var subcommands: [String: CommandSpec] = [:]
  /// A spec used when the first word is not a subcommand (`trace TASK [to P]`).
  var otherwise: Box? = nil

  final class Box: Sendable {
    let spec: CommandSpec
    init(_ spec: CommandSpec) { self.spec = spec }
  }
}

/// Every command of language.md §5, with the options details.md §2 lists.
enum CommandTable {
  static let rights = ["move_receive", "move_send", "move_send_once", "copy_send", "make_send", "make_send_once"]

  static let specs: [String: CommandSpec] = [
    "spawn": CommandSpec(arguments: 1...1, options: ["parent": .atom]),
    "thread": CommandSpec(arguments: 1...1),
    "kill": CommandSpec(arguments: 1...1),
    "suspend": CommandSpec(arguments: 1...1),
    "resume": CommandSpec(arguments: 1...1),
    "abort": CommandSpec(arguments: 1...1),
    "setport": CommandSpec(arguments: 3...3),
    "getport": CommandSpec(arguments: 2...2),
    "allocate": CommandSpec(arguments: 1...2),
    "insert": CommandSpec(arguments: 3...3, options: ["name": .atom]),
    "deallocate": CommandSpec(arguments: 1...1),
    "destroy": CommandSpec(arguments: 1...1),
    "modrefs": CommandSpec(arguments: 3...3),
    "move": CommandSpec(arguments: 1...1, options: ["to": .atom]),
    "notify": CommandSpec(arguments: 2...2, options: ["to": .atom, "sync": .atom]),
    "qlimit": CommandSpec(arguments: 2...2),
    "send": CommandSpec(
      arguments: 1...1,
      options: ["id": .atom, "reply": .reply, "body": .atoms, "timeout": .atom, "thread": .atom, "dest": .word]),
    "receive": CommandSpec(arguments: 1...1, options: ["max": .atom, "large": .flag, "timeout": .atom, "thread": .atom]),
    "rpc": CommandSpec(arguments: 1...1, options: ["timeout": .atom, "thread": .atom]),
    "raise": CommandSpec(arguments: 2...2, options: ["code": .atom, "subcode": .atom]),
    "serve": CommandSpec(arguments: 1...1, options: ["thread": .atom, "with": .word], takesBlock: true),
    "reply": CommandSpec(arguments: 0...0, options: ["body": .atoms, "code": .atom]),
    "trace": CommandSpec(
      subcommands: [
        "show": CommandSpec(options: ["where": .filter, "last": .atom, "format": .word]),
        "stats": CommandSpec(options: ["where": .filter, "by": .word]),
        "export": CommandSpec(arguments: 1...1, options: ["where": .filter, "format": .word]),
        "clear": CommandSpec(),
      ],
      otherwise: .init(CommandSpec(arguments: 1...1, options: ["to": .atom]))),
    "untrace": CommandSpec(arguments: 1...1),
    "filter": CommandSpec(arguments: 1...1, filterArgument: true),
    "watch": CommandSpec(arguments: 1...1, filterArgument: true, options: ["once": .flag, "ignore": .atom, "do": .block]),
    "unwatch": CommandSpec(arguments: 1...1),
    "watches": CommandSpec(),
    "enable": CommandSpec(arguments: 1...1),
    "disable": CommandSpec(arguments: 1...1),
    "continue": CommandSpec(),
    "step": CommandSpec(arguments: 0...1),
    "info": CommandSpec(subcommands: [
      "tasks": CommandSpec(), "task": CommandSpec(arguments: 1...1), "threads": CommandSpec(arguments: 1...1),
      "ports": CommandSpec(arguments: 1...1), "port": CommandSpec(arguments: 1...1), "queue": CommandSpec(arguments: 1...1),
    ]),
    "console": CommandSpec(),
    "set": CommandSpec(arguments: 2...2),
    "advance": CommandSpec(arguments: 1...1),
    "wait": CommandSpec(arguments: 0...1),
    "run": CommandSpec(),
    "msgids": CommandSpec(subcommands: ["load": CommandSpec(arguments: 1...1)]),
  ]

  /// Words that start a statement of their own rather than a command.
  static let statementWords: Set<String> = [
    "let", "if", "while", "repeat", "for", "def", "return", "break", "stop", "print", "expect", "source", "help",
    "explain", "quit",
  ]

  /// Reserved outside command position (language.md §1).
  static let reserved: Set<String> = [
    "let", "if", "else", "while", "repeat", "for", "in", "def", "return", "and", "or", "not", "true", "false", "nil",
  ]
}
