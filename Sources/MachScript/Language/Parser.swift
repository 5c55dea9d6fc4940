/// Parses a whole source into statements (language.md §1, §3, §4, §5; details.md §2). Every
/// syntax error is collected: after one, the parser resynchronises at the next statement, so
/// a script with three mistakes shows three. An unclosed bracket or block is reported where it
/// opened, marked `isUnexpectedEnd` so that the prompt can ask for more lines.
public struct Parser {
  private var tokens: [Token]
  private let chars: [Character]
  private var p = 0
  /// Brackets open around the current token: newlines inside them do not end a statement.
  private var nesting = 0
  /// Option words that end a filter expression in the command being parsed.
  private var stopWords: Set<String> = []
  /// How deeply expressions and blocks nest here; past `maxDepth` the input is refused
  /// rather than risk the stack.
  private var depth = 0
  static let maxDepth = 100
  /// The brackets open around the current token, innermost last: an error at the end of the
  /// input inside them is reported where the innermost one opened.
  private var openers: [Token] = []
  public private(set) var diagnostics: [Diagnostic] = []
  /// Syntax errors collected before the parser gives up on a file.
  static let maxDiagnostics = 1000
  static let tooMany = "too many errors; the rest of the file was not read"

  /// Parses `source`; the statements are meaningful only when there are no diagnostics.
  public static func parse(_ source: String, file: String) -> (statements: [Stmt], diagnostics: [Diagnostic]) {
    var lexer = Lexer(source, file: file)
    let tokens = lexer.tokenize()
    var parser = Parser(tokens: tokens, chars: Array(source))
    let statements = parser.statementList(inBlock: false, opener: nil)
    var all = (lexer.diagnostics + parser.diagnostics).filter { $0.message != Self.tooMany }.sorted {
      ($0.location.line, $0.location.column) < ($1.location.line, $1.location.column)
    }
    if all.count >= maxDiagnostics {
      all = Array(all.prefix(maxDiagnostics))
      all.append(Diagnostic(Self.tooMany, at: all[all.count - 1].location))
    }
    return (statements, all)
  }

  private init(tokens: [Token], chars: [Character]) {
    self.tokens = tokens
    self.chars = chars
  }

  // MARK: - Tokens

  private var token: Token {
    var i = p
    if nesting > 0 { while tokens[i].kind == .newline { i += 1 } }
    return tokens[i]
  }

  private mutating func advance() {
    if nesting > 0 { while tokens[p].kind == .newline { p += 1 } }
    if tokens[p].kind != .end { p += 1 }
  }

  private var previous: Token? { p > 0 ? tokens[p - 1] : nil }

  private func next(_ n: Int = 1) -> Token { tokens[min(p + n, tokens.count - 1)] }

  private var atStatementEnd: Bool {
    switch token.kind {
    case .newline, .end: return true
    case .symbol(let s): return s == ";" || s == "}"
    default: return false
    }
  }

  private func error(_ message: String, at location: SourceLocation? = nil) -> Diagnostic {
    if token.kind == .end, let opener = openers.last {
      return Diagnostic("unclosed '\(opener.text)'", at: opener.location, unexpectedEnd: true)
    }
    return Diagnostic(message, at: location ?? token.location, unexpectedEnd: token.kind == .end)
  }

  private mutating func expect(_ symbol: String, _ what: String) throws {
    guard token.isSymbol(symbol) else { throw error("expected \(what), found \(token.text)") }
    advance()
  }

  private func text(from start: Token, to end: Token) -> String {
    guard start.start <= end.end, end.end <= chars.count else { return "" }
    return String(chars[start.start..<end.end])
  }

  // MARK: - Statements

  private mutating func statementList(inBlock: Bool, opener: Token?) -> [Stmt] {
    var statements: [Stmt] = []
    let saved = nesting
    nesting = 0
    defer { nesting = saved }
    while true {
      while token.kind == .newline || token.isSymbol(";") { advance() }
      if token.kind == .end { return statements }  // an open block reports itself
      if token.isSymbol("}") {
        if inBlock { return statements }
        diagnostics.append(error("unexpected '}'"))
        advance()
        continue
      }
      do {
        statements.append(try statement())
        if !atStatementEnd { throw error("expected the end of the statement, found \(token.text)") }
      } catch let d as Diagnostic {
        diagnostics.append(d)
        if diagnostics.count == Self.maxDiagnostics {
          // Past this, the input is not a script (a binary file, say): stop reading it.
          diagnostics.append(Diagnostic(Self.tooMany, at: token.location))
          p = tokens.count - 1
          openers = []
          return statements
        }
        synchronize()
      } catch {}
    }
  }

  /// Skips to the end of the current statement (outside any bracket opened since), and past
  /// a block that starts the next line (the block of a construct that failed).
  private mutating func synchronize() {
    var depth = 0
    nesting = 0
    openers = []
    while true {
      switch token.kind {
      case .end: return
      case .newline where depth == 0:
        var i = p
        while tokens[i].kind == .newline { i += 1 }
        guard tokens[i].isSymbol("{") else { return }
        p = i  // skip the orphan block too
        continue
      case .symbol(let s):
        if (s == ";" || s == "}") && depth == 0 { return }
        if s == "(" || s == "[" || s == "{" { depth += 1 }
        if (s == ")" || s == "]" || s == "}") && depth > 0 { depth -= 1 }
      default: break
      }
      advance()
    }
  }

  private mutating func block() throws -> [Stmt] {
    guard token.isSymbol("{") else { throw error("expected '{' on the same line, found \(token.text)") }
    try enter()
    defer { depth -= 1 }
    let opener = token
    advance()
    let body = statementList(inBlock: true, opener: opener)
    if token.isSymbol("}") { advance() } else { throw Diagnostic("unclosed '{'", at: opener.location, unexpectedEnd: true) }
    return body
  }

  private mutating func identifier(_ what: String) throws -> String {
    guard let w = token.word, !CommandRegistry.reserved.contains(w) else { throw error("expected \(what), found \(token.text)") }
    advance()
    return w
  }

  private mutating func statement() throws -> Stmt {
    let first = token
    let at = first.location
    guard let word = first.word else { return try expressionStatement() }
    switch word {
    case "let":
      advance()
      let name = try identifier("a variable name")
      try expect("=", "'='")
      return .let(name, try valueOrCommand(), at)
    case "if":
      advance()
      var arms = [(try expression(), try block())]
      var otherwise: [Stmt]? = nil
      while token.isWord("else") {
        advance()
        if token.isWord("if") {
          advance()
          arms.append((try expression(), try block()))
        } else {
          otherwise = try block()
          break
        }
      }
      return .if(arms, else: otherwise, at)
    case "while":
      advance()
      return .while(try expression(), try block(), at)
    case "repeat":
      advance()
      return .repeat(try expression(), try block(), at)
    case "for":
      advance()
      let name = try identifier("a loop variable")
      guard token.isWord("in") else { throw error("expected 'in', found \(token.text)") }
      advance()
      return .for(name, try expression(), try block(), at)
    case "def":
      advance()
      let nameToken = token
      let name = try identifier("a procedure name")
      if CommandRegistry.specs[name] != nil || CommandRegistry.statementWords.contains(name) {
        throw Diagnostic("'\(name)' is a command; a procedure cannot take its name", at: nameToken.location)
      }
      try expect("(", "'('")
      var params: [String] = []
      if !token.isSymbol(")") {
        repeat {
          if token.isSymbol(",") { advance() }
          params.append(try identifier("a parameter name"))
        } while token.isSymbol(",")
      }
      try expect(")", "')'")
      return .def(name, params, try block(), at)
    case "return":
      advance()
      return .return(atStatementEnd ? nil : try expression(), at)
    case "break":
      advance()
      return .break(at)
    case "stop":
      advance()
      return .stop(at)
    case "print":
      advance()
      var values: [Expr] = []
      if !atStatementEnd {
        values.append(try expression())
        while token.isSymbol(",") {
          advance()
          values.append(try expression())
        }
      }
      return .print(values, at)
    case "expect":
      advance()
      let start = token
      let condition = try expression()
      let text = self.text(from: start, to: previous ?? start)
      var message: Expr? = nil
      if token.isSymbol(",") {
        advance()
        message = try expression()
      }
      return .expect(condition, message: message, text: text, at)
    case "source":
      advance()
      return .source(try expression(), at)
    case "help":
      advance()
      var topic: [String] = []
      while let w = token.word, !atStatementEnd {
        topic.append(w)
        advance()
      }
      return .help(topic, at)
    case "explain":
      advance()
      return .explain(atStatementEnd ? nil : try expression(), at)
    case "quit":
      advance()
      return .quit(atStatementEnd ? nil : try expression(), at)
    default:
      if CommandRegistry.specs[word] != nil { return .command(try command()) }
      if next().isSymbol("=") && !CommandRegistry.reserved.contains(word) {
        advance()
        advance()
        return .assign(word, try valueOrCommand(), at)
      }
      if isProcedureCommand(word) { return .command(try procedureCommand()) }
      return try expressionStatement()
    }
  }

  /// `NAME a b`: a procedure called as a command, when an argument follows the name on the
  /// same line after a space.
  private func isProcedureCommand(_ word: String) -> Bool {
    guard !CommandRegistry.reserved.contains(word), !["contains", "matches"].contains(word) else { return false }
    let n = next()
    guard n.spaceBefore else { return false }
    switch n.kind {
    case .integer, .string: return true
    case .identifier(let w): return !CommandRegistry.reserved.contains(w) && w != "contains" && w != "matches"
    case .symbol(let s): return s == "[" || (s == "-" && next(2).kind != .newline && !next(2).spaceBefore && isInteger(next(2)))
    default: return false
    }
  }

  private func isInteger(_ t: Token) -> Bool {
    if case .integer = t.kind { return true }
    return false
  }

  private mutating func procedureCommand() throws -> Command {
    let first = token
    let name = first.word!
    advance()
    var args: [Expr] = []
    while !atStatementEnd && !token.isSymbol("&") { args.append(try atom()) }
    return Command(name: name, location: first.location, arguments: args, options: [], block: nil, background: false,
                   source: text(from: first, to: previous ?? first))
  }

  private mutating func expressionStatement() throws -> Stmt {
    let start = token
    let e = try expression()
    return .expression(e, text: text(from: start, to: previous ?? start), start.location)
  }

  /// The right of `let`/`=`: a command, or an expression.
  private mutating func valueOrCommand() throws -> Expr {
    if let w = token.word, CommandRegistry.specs[w] != nil { return .command(try command()) }
    return try expression()
  }

  // MARK: - Commands

  private mutating func command() throws -> Command {
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
    return Command(name: fullName, location: first.location, arguments: args, options: options, block: body,
                   background: background, source: text(from: first, to: previous ?? first))
  }

  private mutating func commandArgument(_ command: String) throws -> Expr {
    // `rpc 2999(t.self)`: a numeric routine id called like a routine.
    if command == "rpc", case .integer(let id) = token.kind, next().isSymbol("("), !next().spaceBefore {
      let at = token.location
      advance()
      return .call(String(id), try callArguments(), at)
    }
    return try atom()
  }

  private mutating func option(_ name: String, _ kind: OptionKind) throws -> CommandOption {
    let at = token.location
    advance()
    var option = CommandOption(name: name, values: [], block: nil, location: at)
    switch kind {
    case .flag: break
    case .atom:
      option.values = [try singleValue()]
    case .atoms:
      while !atStatementEnd && !token.isSymbol("&") && !(token.word.map(stopWords.contains) ?? false) {
        option.values.append(try atom())
      }
    case .reply:
      option.values = [try singleValue()]
      if let w = token.word, Words.value(w, in: Words.dispositions) != nil || w.hasPrefix("MACH_MSG_TYPE_") {
        option.values.append(.name(w, token.location))
        advance()
      }
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
  private mutating func singleValue() throws -> Expr {
    let optionWords = stopWords
    stopWords = []
    defer { stopWords = optionWords }
    return try atom()
  }

  // MARK: - Expressions

  /// An argument atom: a literal (a negative one too, when `-` follows a space, `(`, `[` or
  /// `,` and touches the digits), a name, a reference, a call, a field, a list, or anything
  /// in parentheses.
  private mutating func atom() throws -> Expr {
    if token.isSymbol("-"), case .integer(let v) = next().kind, !next().spaceBefore {
      let before = previous
      if token.spaceBefore || before.map({ $0.isSymbol("(") || $0.isSymbol("[") || $0.isSymbol(",") }) == true {
        let at = token.location
        advance()
        advance()
        return try postfix(.literal(.int(-v), at), inArgument: true)
      }
    }
    return try postfix(try primary(), inArgument: true)
  }

  public mutating func expression() throws -> Expr {
    try enter()
    defer { depth -= 1 }
    return try orExpression()
  }

  private mutating func enter() throws {
    depth += 1
    if depth > Self.maxDepth {
      depth -= 1
      throw error("nesting is deeper than \(Self.maxDepth) levels")
    }
  }

  private mutating func orExpression() throws -> Expr {
    var left = try andExpression()
    while token.isWord("or") || token.isSymbol("||") {
      let at = token.location
      advance()
      left = .binary("or", left, try andExpression(), at)
    }
    return left
  }

  private mutating func andExpression() throws -> Expr {
    var left = try notExpression()
    while token.isWord("and") || token.isSymbol("&&") {
      let at = token.location
      advance()
      left = .binary("and", left, try notExpression(), at)
    }
    return left
  }

  private mutating func notExpression() throws -> Expr {
    if token.isWord("not") || token.isSymbol("!") {
      let at = token.location
      advance()
      try enter()
      defer { depth -= 1 }
      return .unary("not", try notExpression(), at)
    }
    return try comparison()
  }

  private static let comparisonSymbols: Set<String> = ["==", "!=", "<", "<=", ">", ">="]
  private static let comparisonWords: Set<String> = ["in", "contains", "matches"]

  private func comparisonOperator() -> String? {
    if case .symbol(let s) = token.kind, Self.comparisonSymbols.contains(s) { return s }
    if let w = token.word, Self.comparisonWords.contains(w), !stopWords.contains(w) { return w }
    return nil
  }

  private mutating func comparison() throws -> Expr {
    let left = try additive()
    guard let op = comparisonOperator() else { return left }
    let at = token.location
    advance()
    let result = Expr.binary(op, left, try additive(), at)
    if comparisonOperator() != nil { throw error("comparisons do not chain; use 'and'") }
    return result
  }

  private mutating func additive() throws -> Expr {
    var left = try multiplicative()
    while token.isSymbol("+") || token.isSymbol("-") {
      let op = token.text
      let at = token.location
      advance()
      left = .binary(op, left, try multiplicative(), at)
    }
    return left
  }

  private mutating func multiplicative() throws -> Expr {
    var left = try unary()
    while token.isSymbol("*") || token.isSymbol("/") || token.isSymbol("%") {
      let op = token.text
      let at = token.location
      advance()
      left = .binary(op, left, try unary(), at)
    }
    return left
  }

  private mutating func unary() throws -> Expr {
    if token.isSymbol("-") {
      let at = token.location
      advance()
      if case .literal(.int(let v), _) = try peekLiteral() {
        advance()
        return try postfix(.literal(.int(-v), at), inArgument: false)
      }
      try enter()
      defer { depth -= 1 }
      return .unary("-", try unary(), at)
    }
    return try postfix(try primary(), inArgument: false)
  }

  private func peekLiteral() throws -> Expr? {
    if case .integer(let v) = token.kind { return .literal(.int(v), token.location) }
    return nil
  }

  private mutating func primary() throws -> Expr {
    let t = token
    switch t.kind {
    case .integer(let v):
      advance()
      return .literal(.int(v), t.location)
    case .string(let s):
      advance()
      return .literal(.string(s), t.location)
    case .identifier(let w):
      switch w {
      case "true", "false":
        advance()
        return .literal(.bool(w == "true"), t.location)
      case "nil":
        advance()
        return .literal(.nil_, t.location)
      default:
        if CommandRegistry.reserved.contains(w) || stopWords.contains(w) {
          throw error("expected an expression, found '\(w)'")
        }
        advance()
        if token.isSymbol("(") && !token.spaceBefore {
          return .call(w, try callArguments(), t.location)
        }
        return .name(w, t.location)
      }
    case .symbol("("):
      advance()
      nesting += 1
      openers.append(t)
      defer {
        nesting -= 1
        openers.removeLast()
      }
      let inner: Expr
      let savedStops = stopWords
      stopWords = []
      if let w = token.word, CommandRegistry.specs[w] != nil {
        inner = .command(try command())
      } else {
        inner = try expression()
      }
      stopWords = savedStops
      guard token.isSymbol(")") else {
        if token.kind == .end { throw Diagnostic("unclosed '('", at: t.location, unexpectedEnd: true) }
        throw error("expected ')', found \(token.text)")
      }
      advance()
      return inner
    case .symbol("["):
      advance()
      nesting += 1
      openers.append(t)
      defer {
        nesting -= 1
        openers.removeLast()
      }
      var items: [Expr] = []
      while !token.isSymbol("]") {
        if token.kind == .end { throw Diagnostic("unclosed '['", at: t.location, unexpectedEnd: true) }
        items.append(try expression())
        if token.isSymbol(",") { advance() } else if !token.isSymbol("]") {
          throw error("expected ',' or ']', found \(token.text)")
        }
      }
      advance()
      return .list(items, t.location)
    case .end:
      throw error("unexpected end of input")
    default:
      throw error("expected an expression, found \(t.text)")
    }
  }

  private mutating func callArguments() throws -> [Expr] {
    let open = token
    advance()  // (
    nesting += 1
    openers.append(open)
    defer {
      nesting -= 1
      openers.removeLast()
    }
    let savedStops = stopWords
    stopWords = []
    defer { stopWords = savedStops }
    var args: [Expr] = []
    while !token.isSymbol(")") {
      if token.kind == .end { throw Diagnostic("unclosed '('", at: open.location, unexpectedEnd: true) }
      args.append(try expression())
      if token.isSymbol(",") { advance() } else if !token.isSymbol(")") {
        throw error("expected ',' or ')', found \(token.text)")
      }
    }
    advance()
    return args
  }

  /// `.field`, `.N` (thread), `.self`, `[index]`, `:NAME` (port reference). In argument
  /// position a `[` after a space starts the next argument instead.
  private mutating func postfix(_ base: Expr, inArgument: Bool) throws -> Expr {
    var e = base
    while true {
      let t = token
      if t.isSymbol("."), !t.spaceBefore {
        advance()
        switch token.kind {
        case .identifier("self"):
          advance()
          e = .selfRef(e, t.location)
        case .identifier(let f):
          advance()
          e = .field(e, f, t.location)
        case .integer(let n):
          advance()
          e = .threadRef(task: e, number: n, t.location)
        default:
          throw error("expected a field, a thread number or 'self' after '.', found \(token.text)")
        }
      } else if t.isSymbol("["), !(inArgument && t.spaceBefore) {
        advance()
        nesting += 1
        let index = try expression()
        guard token.isSymbol("]") else {
          nesting -= 1
          throw error("expected ']', found \(token.text)")
        }
        nesting -= 1
        advance()
        e = .index(e, index, t.location)
      } else if t.isSymbol(":"), !t.spaceBefore {
        advance()
        switch token.kind {
        case .integer(let n):
          advance()
          e = .portRef(task: e, name: .literal(.int(n), token.location), t.location)
        case .symbol("("):
          e = .portRef(task: e, name: try primary(), t.location)
        default:
          throw error("expected a port name (an integer or a parenthesised expression) after ':', found \(token.text)")
        }
      } else {
        return e
      }
    }
  }
}
