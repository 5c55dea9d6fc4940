/// Every command and statement keyword, once. The parser reads command syntax from here, the
/// session dispatches through it, and `help`, Tab completion and the command table of
/// docs/language.md are made from it (a test compares that table with `markdownTable`).
public enum CommandRegistry {
  /// The entries, grouped as `help` lists them; each group's list is in its own file.
  public static let entries: [CommandEntry] =
    tasks + ports + messages + rpcCommands + serverCommands + tracing + definitions + watchCommands + timeCommands
    + inspection
    + settings + statements

  static let indexByName: [String: Int] = Dictionary(entries.indices.map { (entries[$0].name, $0) }) { a, _ in a }

  public static func entry(named name: String) -> CommandEntry? { index(of: name).map { entries[$0] } }

  static func index(of name: String) -> Int? { indexByName[name] }

  /// The handlers, by entry index: what a parsed command runs (no lookup by name, no copy of
  /// the entry on the hot path).
  static let handlers: [(@Sendable (Session, Command) throws -> Value)?] = entries.map(\.run)

  /// The syntax of each command word: a command's own spec, or, for `trace`, `info` and
  /// `msgids`, the subcommands named `WORD SUB` (and the bare form, when `WORD` has one).
  static let specs: [String: CommandSpec] = {
    var bare: [String: CommandSpec] = [:]
    var subcommands: [String: [String: CommandSpec]] = [:]
    for e in entries where !e.isStatement {
      if let space = e.name.firstIndex(of: " ") {
        let word = String(e.name[..<space]), sub = String(e.name[e.name.index(after: space)...])
        subcommands[word, default: [:]][sub] = e.spec
      } else {
        bare[e.name] = e.spec
      }
    }
    var specs = bare
    for (word, subs) in subcommands {
      specs[word] = CommandSpec(subcommands: subs, otherwise: bare[word].map(CommandSpec.Box.init))
    }
    return specs
  }()

  /// Words that start a statement of their own rather than a command.
  static let statementWords: Set<String> = Set(entries.filter(\.isStatement).map(\.name))

  /// Reserved outside command position (docs/language.md, Lexical rules).
  static let reserved: Set<String> = [
    "let", "if", "else", "while", "repeat", "for", "in", "def", "return", "and", "or", "not", "true", "false", "nil",
  ]

  /// Every word that can start a statement: command words and statement keywords.
  static var leadingWords: [String] { Array(specs.keys) + Array(statementWords) }

  /// The known name nearest to `word` (at most two edits away, and fewer than half its
  /// letters), for "did you mean".
  static func nearest(to word: String, among names: [String]) -> String? {
    let limit = min(2, max(1, word.count / 2))
    var best: (String, Int)? = nil
    for name in names.sorted() {
      let d = editDistance(word, name)
      if d <= limit && d < (best?.1 ?? Int.max) { best = (name, d) }
    }
    return best?.0
  }

  static func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
    var row = Array(0...b.count)
    for i in 1...a.count {
      var previous = row[0]
      row[0] = i
      for j in 1...b.count {
        let saved = row[j]
        row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
        previous = saved
      }
    }
    return row[b.count]
  }

  /// The command table of docs/language.md, made from the entries (commands only; the
  /// statements have their own section there).
  public static var markdownTable: String {
    var lines = ["| command | does | returns |", "|---|---|---|"]
    for e in entries where !e.isStatement {
      let usage = e.usage.map { "`" + $0 + "`" }.joined(separator: " · ")
      lines.append("| " + [usage, e.summary, e.returns].map(escapingBars).joined(separator: " | ") + " |")
    }
    return lines.joined(separator: "\n")
  }

  private static func escapingBars(_ cell: String) -> String {
    cell.split(separator: "|", omittingEmptySubsequences: false).joined(separator: "\\|")
  }
}
