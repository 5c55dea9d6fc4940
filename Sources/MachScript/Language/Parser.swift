/// Parses a whole source into statements (docs/language.md, Lexical rules, §3, §4, §5; docs/shell.md §2). Every
/// syntax error is collected: after one, the parser resynchronises at the next statement, so
/// a script with three mistakes shows three. An unclosed bracket or block is reported where it
/// opened, marked `isUnexpectedEnd` so that the prompt can ask for more lines.
public struct Parser {
  var tokens: [Token]
  private let chars: [Character]
  var p = 0
  /// Brackets open around the current token: newlines inside them do not end a statement.
  var nesting = 0
  /// Option words that end a filter expression in the command being parsed.
  var stopWords: Set<String> = []
  /// How deeply expressions and blocks nest here; past `maxDepth` the input is refused
  /// rather than risk the stack.
  var depth = 0
  static let maxDepth = 100
  /// Operators chained in the statement being read (`lengthenChain`).
  var chain = 0
  static let maxChain = 1000
  /// The brackets open around the current token, innermost last: an error at the end of the
  /// input inside them is reported where the innermost one opened.
  var openers: [Token] = []

  /// Pushes an opening bracket; returns the depth to pop back to (even after an error inside
  /// it unwound the parse).
  mutating func pushOpener(_ t: Token) -> Int {
    openers.append(t)
    return openers.count - 1
  }

  mutating func popOpeners(to mark: Int) {
    if openers.count > mark { openers.removeLast(openers.count - mark) }
  }
  public private(set) var diagnostics: [Diagnostic] = []
  /// The source text of each top-level statement, in order (`set echo on` shows it).
  public private(set) var statementTexts: [String] = []
  /// Syntax errors collected before the parser gives up on a file.
  static let maxDiagnostics = 1000
  static let tooMany = "too many errors; the rest of the file was not read"

  /// Parses `source`; the statements are meaningful only when there are no diagnostics.
  public static func parse(_ source: String, file: String) -> (statements: [Stmt], diagnostics: [Diagnostic]) {
    let parsed = parseWithTexts(source, file: file)
    return (parsed.statements, parsed.diagnostics)
  }

  /// `parse`, with the source text of each top-level statement.
  public static func parseWithTexts(
    _ source: String, file: String
  ) -> (
    statements: [Stmt], texts: [String], diagnostics: [Diagnostic]
  ) {
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
    return (statements, parser.statementTexts, all)
  }

  init(tokens: [Token], chars: [Character]) {
    self.tokens = tokens
    self.chars = chars
  }

  // MARK: - Tokens

  var token: Token {
    var i = p
    if nesting > 0 { while tokens[i].kind == .newline { i += 1 } }
    return tokens[i]
  }

  mutating func advance() {
    if nesting > 0 { while tokens[p].kind == .newline { p += 1 } }
    if tokens[p].kind != .end { p += 1 }
  }

  var previous: Token? { p > 0 ? tokens[p - 1] : nil }

  func next(_ n: Int = 1) -> Token { tokens[min(p + n, tokens.count - 1)] }

  var atStatementEnd: Bool {
    switch token.kind {
    case .newline, .end: return true
    case .symbol(let s): return s == ";" || s == "}"
    default: return false
    }
  }

  func error(_ message: String, at location: SourceLocation? = nil) -> Diagnostic {
    if token.kind == .end, let opener = openers.last {
      return Diagnostic("unclosed '\(opener.text)'", at: opener.location, unexpectedEnd: true)
    }
    return Diagnostic(message, at: location ?? token.location, unexpectedEnd: token.kind == .end)
  }

  mutating func expect(_ symbol: String, _ what: String) throws {
    guard token.isSymbol(symbol) else { throw error("expected \(what), found \(token.text)") }
    advance()
  }

  func text(from start: Token, to end: Token) -> String {
    guard start.start <= end.end, end.end <= chars.count else { return "" }
    return String(chars[start.start..<end.end])
  }

  // MARK: - Statements

  mutating func statementList(inBlock: Bool, opener: Token?) -> [Stmt] {
    var statements: [Stmt] = []
    let saved = nesting
    let savedOpeners = openers
    nesting = 0
    defer {
      nesting = saved
      openers = savedOpeners
    }
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
        let outerChain = chain
        chain = 0
        defer { chain = outerChain }
        let first = token
        statements.append(try statement())
        if !inBlock && opener == nil { statementTexts.append(text(from: first, to: previous ?? first)) }
        if !atStatementEnd { throw error("expected the end of the statement, found \(token.text)") }
      } catch let d as Diagnostic {
        diagnostics.append(d)
        if diagnostics.count == Self.maxDiagnostics {
          // Past this, the input is not a script (a binary file, say): stop reading it.
          diagnostics.append(Diagnostic(Self.tooMany, at: token.location))
          p = tokens.count - 1
          return statements
        }
        synchronize()
      } catch {}
    }
  }

  /// Skips to the end of the current statement (outside any bracket opened since), and past
  /// a block that starts the next line (the block of a construct that failed).
  mutating func synchronize() {
    var depth = 0
    nesting = 0
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

  mutating func block() throws -> [Stmt] {
    guard token.isSymbol("{") else { throw error("expected '{' on the same line, found \(token.text)") }
    try enter()
    defer { depth -= 1 }
    let opener = token
    advance()
    let body = statementList(inBlock: true, opener: opener)
    if token.isSymbol("}") {
      advance()
    } else {
      throw Diagnostic("unclosed '{'", at: opener.location, unexpectedEnd: true)
    }
    return body
  }

  mutating func identifier(_ what: String) throws -> String {
    guard let w = token.word, !CommandRegistry.reserved.contains(w) else {
      throw error("expected \(what), found \(token.text)")
    }
    advance()
    return w
  }

  /// The keywords `statement()` reads as statements of their own (each has a registry entry).
  static let statementKeywords: Set<String> = [
    "let", "if", "while", "repeat", "for", "def", "return", "break", "stop", "print", "expect", "source", "help",
    "explain", "quit",
  ]

  mutating func statement() throws -> Stmt {
    let first = token
    let at = first.location
    guard let word = first.word else { return try expressionStatement() }
    switch word {
    case "else":  // a habit from other languages: `}` on one line, `else` on the next
      throw error("'else' must follow the '}' of its 'if' on the same line: } else {")
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
  func isProcedureCommand(_ word: String) -> Bool {
    guard !CommandRegistry.reserved.contains(word), !["contains", "matches"].contains(word) else { return false }
    let n = next()
    guard n.spaceBefore else { return false }
    switch n.kind {
    case .integer, .string: return true
    case .identifier(let w): return !CommandRegistry.reserved.contains(w) && w != "contains" && w != "matches"
    case .symbol(let s):
      return s == "[" || (s == "-" && next(2).kind != .newline && !next(2).spaceBefore && isInteger(next(2)))
    default: return false
    }
  }

  func isInteger(_ t: Token) -> Bool {
    if case .integer = t.kind { return true }
    return false
  }

  mutating func procedureCommand() throws -> Command {
    let first = token
    let name = first.word!
    advance()
    var args: [Expr] = []
    while !atStatementEnd && !token.isSymbol("&") { args.append(try atom()) }
    return Command(
      name: name, location: first.location, arguments: args, options: [], block: nil, background: false,
      source: text(from: first, to: previous ?? first))
  }

  mutating func expressionStatement() throws -> Stmt {
    let start = token
    let e = try expression()
    return .expression(e, text: text(from: start, to: previous ?? start), start.location)
  }

  /// The right of `let`/`=`: a command, or an expression.
  mutating func valueOrCommand() throws -> Expr {
    if let w = token.word, CommandRegistry.specs[w] != nil { return .command(try command()) }
    return try expression()
  }
}
