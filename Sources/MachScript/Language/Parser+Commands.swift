// The parser: commands, their arguments and options, read as the registry says.

extension Parser {
  // MARK: - Commands

  mutating func command() throws -> Command {
    let first = token
    let name = first.word!
    advance()
    var spec = CommandRegistry.specs[name]!
    var fullName = name
    if !spec.subcommands.isEmpty {
      if let w = token.word, let sub = spec.subcommands[w] {
        fullName += " " + w
        spec = sub
        advance()
      } else if let other = spec.otherwise {
        spec = other.spec
      } else {
        let choices = spec.subcommands.keys.sorted().joined(separator: ", ")
        throw error("\(name) needs one of: \(choices); found \(token.text)")
      }
    }
    var args: [Expr] = []
    var options: [CommandOption] = []
    var body: [Stmt]? = nil
    let savedStops = stopWords
    stopWords = Set(spec.options.keys)
    defer { stopWords = savedStops }
    while !atStatementEnd && !token.isSymbol("&") && !token.isSymbol(")") {
      if args.count < spec.arguments.lowerBound, !spec.filterArgument || spec.options[token.word ?? ""] == nil {
        // A required argument comes first: `spawn parent` names a task "parent".
        let optionWords = stopWords
        stopWords = []
        defer { stopWords = optionWords }
        args.append(spec.filterArgument ? try expression() : try commandArgument(fullName))
      } else if let w = token.word, let kind = spec.options[w] {
        if options.contains(where: { $0.name == w }) { throw error("option '\(w)' given twice") }
        options.append(try option(w, kind))
      } else if spec.takesBlock && token.isSymbol("{") {
        body = try block()
      } else if args.count < spec.arguments.upperBound {
        args.append(spec.filterArgument ? try expression() : try commandArgument(fullName))
      } else {
        let known = spec.options.keys.sorted()
        let hint = known.isEmpty ? "" : " (options: \(known.joined(separator: ", ")))"
        throw error("unexpected \(token.text) in '\(fullName)'\(hint)")
      }
    }
    var background = false
    if token.isSymbol("&") {
      background = true
      advance()
    }
    if args.count < spec.arguments.lowerBound {
      let n = spec.arguments.lowerBound
      throw error("'\(fullName)' needs \(n) argument\(n == 1 ? "" : "s"), found \(args.count)", at: first.location)
    }
    return Command(
      name: fullName, location: first.location, arguments: args, options: options, block: body,
      background: background, source: text(from: first, to: previous ?? first),
      entryIndex: CommandRegistry.index(of: fullName))
  }

  mutating func commandArgument(_ command: String) throws -> Expr {
    // `rpc 2999(t.self)`: a numeric routine id called like a routine.
    if command == "rpc", case .integer(let id) = token.kind, next().isSymbol("("), !next().spaceBefore {
      let at = token.location
      advance()
      return .call(String(id), try callArguments(), at)
    }
    return try atom()
  }

  mutating func option(_ name: String, _ kind: OptionKind) throws -> CommandOption {
    let at = token.location
    advance()
    var option = CommandOption(name: name, values: [], block: nil, location: at)
    switch kind {
    case .flag: break
    case .atom:
      option.values = [try singleValue()]
    case .atoms:
      while !atStatementEnd && !token.isSymbol("&") && !token.isSymbol(")")
        && !(token.word.map(stopWords.contains) ?? false)
      {
        option.values.append(try atom())
      }
    case .reply:
      option.values = [try singleValue()]
      if let w = token.word, Words.value(w, in: Words.dispositions) != nil || w.hasPrefix("MACH_MSG_TYPE_") {
        option.values.append(.name(w, token.location))
        advance()
      }
    case .range:  // `A..B`: two atoms
      option.values = [try singleValue()]
      guard token.isSymbol("..") else { throw error("'\(name)' needs a range such as 10..20, found \(token.text)") }
      advance()
      option.values.append(try singleValue())
    case .named:  // NAME = VALUE, …: the values list alternates names and values
      repeat {
        if !option.values.isEmpty { advance() }  // the comma
        guard let w = token.word else { throw error("'\(name)' needs NAME = VALUE, found \(token.text)") }
        option.values.append(.name(w, token.location))
        advance()
        guard token.isSymbol("=") else { throw error("expected '=' after '\(w)', found \(token.text)") }
        advance()
        option.values.append(try singleValue())
      } while token.isSymbol(",")
    case .filter: option.values = [try expression()]
    case .block: option.block = try block()
    case .word:
      guard let w = token.word else { throw error("'\(name)' needs a word, found \(token.text)") }
      option.values = [.name(w, token.location)]
      advance()
    }
    return option
  }

  /// The one value of an option: it cannot run into the next option, so any word may name it
  /// (`spawn child parent parent`).
  mutating func singleValue() throws -> Expr {
    let optionWords = stopWords
    stopWords = []
    defer { stopWords = optionWords }
    return try atom()
  }
}
