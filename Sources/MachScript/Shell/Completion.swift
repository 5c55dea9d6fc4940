import MachModel
import MachTrace

/// What Tab completes: the word before the cursor, and the candidates for it.
public struct Completions: Equatable, Sendable {
  /// The text the candidates replace (a candidate starts with it).
  public var word: String
  public var candidates: [String]
}

// Tab completion from the registry: what each position of a command takes (task names after
// `kill`, routine names after `rpc`, a setting's values after `set NAME`), option words,
// filter fields, a value's fields after `.`, and file names inside the string of `source "`,
// `msgids load "`, `trace export "` and `trace load "`.

extension Session {
  /// The candidates for the end of `line` (the text before the cursor), sorted.
  public func complete(line: String) -> Completions {
    var result = rawCompletions(line)
    result.candidates = Array(Set(result.candidates.filter { $0.hasPrefix(result.word) && !$0.hasPrefix("__") }))
      .sorted()
    return result
  }

  private func rawCompletions(_ line: String) -> Completions {
    let statement = Self.currentStatement(line)
    if let string = Self.openString(statement) {
      return stringCompletions(statement: statement, partial: string)
    }
    let word = String(line.reversed().prefix { $0.isLetter || $0.isNumber || $0 == "_" }.reversed())
    let before = line.dropLast(word.count)
    if before.last == "." {
      let base = String(before.dropLast().reversed().prefix { $0.isLetter || $0.isNumber || $0 == "_" }.reversed())
      return Completions(word: word, candidates: fieldNames(of: base))
    }
    let opened = statement.filter { $0 == "(" || $0 == "[" }.count
    if opened > statement.filter({ $0 == ")" || $0 == "]" }).count {
      return Completions(word: word, candidates: expressionWords(word) + kernel.tasks.map(\.name))
    }
    let words = statement.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
    let typed = statement.hasSuffix(" ") || statement.hasSuffix("\t") || words.isEmpty ? words : Array(words.dropLast())
    guard let first = typed.first else {
      return Completions(word: word, candidates: CommandRegistry.leadingWords + interpreter.procedureNames)
    }
    return Completions(word: word, candidates: argumentCompletions(first, Array(typed.dropFirst()), word: word))
  }

  /// The candidates after a command word and the words typed after it.
  private func argumentCompletions(_ first: String, _ rest: [String], word: String) -> [String] {
    if first == "help" {
      return Array(Help.topics.keys) + Array(Help.aliases.keys)
        + CommandRegistry.entries.map { String($0.name.split(separator: " ")[0]) }
    }
    if first == "set" {
      if rest.isEmpty { return SettingsTable.entries.map(\.name) }
      guard rest.count == 1, let entry = SettingsTable.entries.first(where: { $0.name == rest[0] }) else { return [] }
      return entry.values.split(separator: "|").map(String.init).filter { $0 != "N" }
    }
    guard let spec = CommandRegistry.specs[first] else {
      return expressionWords(word)  // an expression, or a procedure's arguments
    }
    var name = first
    var args = rest
    if !spec.subcommands.isEmpty {
      if let sub = rest.first, CommandRegistry.entry(named: first + " " + sub) != nil {
        name += " " + sub
        args.removeFirst()
      } else if rest.isEmpty {
        let bare = CommandRegistry.entry(named: first).map { kindWords($0.required.first ?? .anything, word) } ?? []
        return Array(spec.subcommands.keys) + bare
      }
    }
    guard let entry = CommandRegistry.entry(named: name) else { return [] }
    // The value of the option just typed, or of the last option that takes many.
    let unused = entry.options.keys.filter { !args.contains($0) }
    if let lastOption = args.lastIndex(where: { entry.options[$0] != nil }) {
      let kind = entry.options[args[lastOption]]!
      let valuesTyped = args.count - lastOption - 1
      switch kind {
      case .filter, .atoms: return kindWords(kind.completes!, word) + unused
      case .reply where valuesTyped == 1: return Words.dispositions.map(\.0) + unused
      default:
        if valuesTyped == 0, let k = kind.completes { return kindWords(k, word) }
        return unused
      }
    }
    if entry.filterArgument { return kindWords(.filter, word) + (args.isEmpty ? [] : unused) }
    let positions = entry.required + entry.optional
    if args.count < positions.count {
      return kindWords(positions[args.count], word) + (args.count >= entry.required.count ? unused : [])
    }
    return unused
  }

  /// What an argument of `kind` can be.
  private func kindWords(_ kind: ArgumentKind, _ word: String) -> [String] {
    switch kind {
    case .anything: return expressionWords(word)
    case .task, .taskOrThread, .thread: return kernel.tasks.map(\.name) + variables(word)
    case .port: return kernel.tasks.map(\.name) + variables(word)
    case .routine: return RoutineTable.served.map(\.name) + intake.msgids.routineNames
    case .words(let words): return words()
    case .filter:
      return Array(FilterCompiler.fields) + FilterCompiler.directions.map(Value.quoted)
        + FilterCompiler.kinds.map(Value.quoted) + ["and", "or", "not", "in", "contains", "matches"]
        + variables(word) + Builtins.names
    case .setting: return SettingsTable.entries.map(\.name)
    case .helpTopic: return Array(Help.topics.keys)
    case .file: return ["\""]
    case .bodyItem: return CommandRegistry.bodyItems
    case .watch: return ["all"] + intake.watches.map { String($0.id) }
    }
  }

  /// Names an expression can use: variables, procedures, functions, and the constants once
  /// the word starts with a capital (they all do).
  private func expressionWords(_ word: String) -> [String] {
    variables(word) + Builtins.names + ["true", "false", "nil"]
  }

  private func variables(_ word: String) -> [String] {
    var names = interpreter.globalNames + interpreter.procedureNames
    if word.first?.isUppercase == true { names += Words.constants.keys }
    return names
  }

  /// The fields of the variable `base`'s value.
  private func fieldNames(of base: String) -> [String] {
    guard let value = interpreter.lookup(base) else { return [] }
    switch value {
    case .record: return Array(FilterCompiler.fields)
    case .message(let m): return Self.fieldNames["message"]! + m.outputs.map(\.0)
    case .fields(let fields): return fields.map(\.0)
    default: return Self.fieldNames[value.kindName] ?? []
    }
  }

  /// Inside a string: file names after `source`, `msgids load`, `defs load`, `trace export` and
  /// `trace load`; the
  /// strings a filter compares `dir` and `type` with.
  private func stringCompletions(statement: String, partial: String) -> Completions {
    let words = statement.split(separator: " ").map(String.init)
    let fileCommand =
      words.first == "source" || words.starts(with: ["msgids", "load"]) || words.starts(with: ["trace", "export"])
      || words.starts(with: ["trace", "load"]) || words.starts(with: ["defs", "load"])
    if fileCommand && words.count <= 3 {
      let slash = partial.lastIndex(of: "/")
      let folder = slash.map { String(partial[...$0]) } ?? ""
      let entries = listDirectory(folder.isEmpty ? "." : folder) ?? []
      return Completions(word: partial, candidates: entries.map { folder + $0 })
    }
    let quoted = FilterCompiler.directions + FilterCompiler.kinds
    return Completions(word: "\"" + partial, candidates: quoted.map(Value.quoted))
  }

  /// The statement the cursor is in: after the last `;`, `{` or `}` outside a string.
  static func currentStatement(_ line: String) -> String {
    var start = line.startIndex
    var inString = false
    var escaped = false
    for i in line.indices {
      let c = line[i]
      if inString {
        if escaped { escaped = false } else if c == "\\" { escaped = true } else if c == "\"" { inString = false }
      } else if c == "\"" {
        inString = true
      } else if c == ";" || c == "{" || c == "}" {
        start = line.index(after: i)
      }
    }
    return String(line[start...]).drop { $0 == " " || $0 == "\t" }.description
  }

  /// The text of a string still open at the end of `statement`, if one is.
  static func openString(_ statement: String) -> String? {
    var open: String.Index? = nil
    var escaped = false
    for i in statement.indices {
      let c = statement[i]
      if open != nil {
        if escaped { escaped = false } else if c == "\\" { escaped = true } else if c == "\"" { open = nil }
      } else if c == "\"" {
        open = i
      }
    }
    return open.map { String(statement[statement.index(after: $0)...]) }
  }
}
