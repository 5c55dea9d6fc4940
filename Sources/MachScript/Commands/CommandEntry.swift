/// One command or statement keyword of the language (a class: entries are shared, never copied):
/// how the parser reads it, how `help`,
/// Tab and docs/language.md describe it, and what runs it. Every entry lives in
/// `CommandRegistry`; adding a command is adding one entry (with its handler) to one file.
public final class CommandEntry: Sendable {
  /// `send`, `trace show`, `info ports`; for a statement keyword, the keyword (`let`).
  public let name: String
  public let group: CommandGroup
  /// The forms the parser accepts, one line each, in the notation of `help`: WORDS in capitals
  /// are placeholders, `[…]` is optional, `a|b` is a choice, `…` repeats what precedes it.
  public let usage: [String]
  /// One line for `help` and the docs' command table.
  public let summary: String
  /// What the command evaluates to (the docs' command table); empty for statements.
  public let returns: String
  /// More for `help NAME`; empty when the summary says it all.
  public let help: String
  /// What each leading argument takes, required ones first: the parser counts them, Tab
  /// completes them.
  let required: [ArgumentKind]
  let optional: [ArgumentKind]
  /// The only argument is a filter expression (`watch`, `filter`).
  let filterArgument: Bool
  /// Keyword options, by the word that starts them.
  let options: [String: OptionKind]
  /// `serve P { … }`.
  let takesBlock: Bool
  /// Runs the command; nil for a statement keyword, which the interpreter runs.
  let run: (@Sendable (Session, Command) throws -> Value)?

  init(
    _ name: String, _ group: CommandGroup, usage: [String], summary: String, returns: String = "nil",
    help: String = "", required: [ArgumentKind] = [], optional: [ArgumentKind] = [], filterArgument: Bool = false,
    options: [String: OptionKind] = [:], takesBlock: Bool = false,
    run: @escaping @Sendable (Session, Command) throws -> Value
  ) {
    self.name = name
    self.group = group
    self.usage = usage
    self.summary = summary
    self.returns = returns
    self.help = help
    self.required = required
    self.optional = optional
    self.filterArgument = filterArgument
    self.options = options
    self.takesBlock = takesBlock
    self.run = run
  }

  /// A statement keyword: the parser's grammar reads it and the interpreter runs it.
  init(statement name: String, usage: [String], summary: String, help: String = "") {
    self.name = name
    self.group = .language
    self.usage = usage
    self.summary = summary
    self.returns = ""
    self.help = help
    self.required = []
    self.optional = []
    self.filterArgument = false
    self.options = [:]
    self.takesBlock = false
    self.run = nil
  }

  public var isStatement: Bool { run == nil }

  /// What the parser needs of a command.
  var spec: CommandSpec {
    CommandSpec(
      arguments: required.count...(required.count + optional.count), filterArgument: filterArgument,
      options: options, takesBlock: takesBlock)
  }
}

/// The groups `help` lists commands in, in that order.
public enum CommandGroup: String, CaseIterable, Sendable {
  case tasks, ports, messages, tracing, watches, inspection, settings, language

  var title: String {
    switch self {
    case .tasks: return "Tasks and threads"
    case .ports: return "Ports and rights"
    case .messages: return "Messages"
    case .tracing: return "Tracing"
    case .watches: return "Watches"
    case .inspection: return "Inspection"
    case .settings: return "Settings and time"
    case .language: return "Language"
    }
  }
}

/// What an argument or an option's value takes, for Tab (the parser reads any atom there).
enum ArgumentKind: Sendable {
  /// A new name, or anything: nothing to offer.
  case anything
  case task
  /// A task or a thread.
  case taskOrThread
  case thread
  case port
  case routine
  /// One of these words (made only when Tab asks).
  case words(@Sendable () -> [String])
  case filter
  case setting
  case helpTopic
  case file
  case bodyItem
  case watch
}

/// How a keyword option takes its value.
enum OptionKind: Sendable {
  /// A word alone: `large`, `once`.
  case flag
  /// One argument atom: `timeout 10`, `thread 2`.
  case atom(ArgumentKind)
  /// Atoms up to the next option word: `body int32(1) port(p, copy_send)`.
  case atoms(ArgumentKind)
  /// A port ref then, optionally, a right word: `reply p make_send`.
  case reply
  /// A filter expression up to the next option word: `where retval != 0`.
  case filter
  /// Two atoms around `..`: `seq 10..20`.
  case range
  /// A block: `do { … }`.
  case block
  /// `NAME = VALUE` pairs, separated by commas: `reply with amount = 5, data = "hi"`.
  case named
  /// A bare word: `format json`, `by routine`, `with echo` (the words, for Tab).
  case word(@Sendable () -> [String])

  /// What Tab offers for the option's value.
  var completes: ArgumentKind? {
    switch self {
    case .flag, .block, .range, .named: return nil
    case .atom(let k), .atoms(let k): return k
    case .reply: return .port
    case .filter: return .filter
    case .word(let w): return .words(w)
    }
  }
}

/// What the parser reads after a command word: how many leading arguments (and whether the
/// one is a filter), its keyword options, and its subcommands. Built from the registry.
struct CommandSpec: Sendable {
  var arguments: ClosedRange<Int> = 0...0
  var filterArgument = false
  var options: [String: OptionKind] = [:]
  var takesBlock = false
  /// `trace show …`, `info ports …`: the first word picks the subcommand.
  var subcommands: [String: CommandSpec] = [:]
  /// The form used when the first word is not a subcommand (`trace TASK [to P]`).
  var otherwise: Box? = nil

  final class Box: Sendable {
    let spec: CommandSpec
    init(_ spec: CommandSpec) { self.spec = spec }
  }
}
