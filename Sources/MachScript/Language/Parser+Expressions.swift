// The parser: expressions, by precedence (docs/language.md, Expressions).

extension Parser {
  // MARK: - Expressions

  /// An argument atom: a literal (a negative one too, when `-` follows a space, `(`, `[` or
  /// `,` and touches the digits), a name, a reference, a call, a field, a list, or anything
  /// in parentheses.
  mutating func atom() throws -> Expr {
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

  mutating func enter() throws {
    depth += 1
    if depth > Self.maxDepth {
      depth -= 1
      throw error("nesting is deeper than \(Self.maxDepth) levels")
    }
  }

  /// One more operator on a left-leaning chain (`1 + 1 + …`, `a and b and …`, `x.self.self…`):
  /// the tree gets one level deeper however flat the text looks, and evaluating or freeing it
  /// recurses that deep. A statement's chained operators share one budget (its tree can be no
  /// deeper), checked as they are read, before a deep tree exists.
  mutating func lengthenChain() throws {
    chain += 1
    if chain > Self.maxChain {
      throw error("a statement chains more than \(Self.maxChain) operators; split it with variables")
    }
  }

  mutating func orExpression() throws -> Expr {
    var left = try andExpression()
    while token.isWord("or") || token.isSymbol("||") {
      try lengthenChain()
      let at = token.location
      advance()
      left = .binary("or", left, try andExpression(), at)
    }
    return left
  }

  mutating func andExpression() throws -> Expr {
    var left = try notExpression()
    while token.isWord("and") || token.isSymbol("&&") {
      try lengthenChain()
      let at = token.location
      advance()
      left = .binary("and", left, try notExpression(), at)
    }
    return left
  }

  mutating func notExpression() throws -> Expr {
    if token.isWord("not") || token.isSymbol("!") {
      let at = token.location
      advance()
      try enter()
      defer { depth -= 1 }
      return .unary("not", try notExpression(), at)
    }
    return try comparison()
  }

  static let comparisonSymbols: Set<String> = ["==", "!=", "<", "<=", ">", ">="]
  static let comparisonWords: Set<String> = ["in", "contains", "matches"]

  func comparisonOperator() -> String? {
    if case .symbol(let s) = token.kind, Self.comparisonSymbols.contains(s) { return s }
    if let w = token.word, Self.comparisonWords.contains(w), !stopWords.contains(w) { return w }
    return nil
  }

  mutating func comparison() throws -> Expr {
    let left = try additive()
    guard let op = comparisonOperator() else { return left }
    let at = token.location
    advance()
    let result = Expr.binary(op, left, try additive(), at)
    if comparisonOperator() != nil { throw error("comparisons do not chain; use 'and'") }
    return result
  }

  mutating func additive() throws -> Expr {
    var left = try multiplicative()
    while token.isSymbol("+") || token.isSymbol("-") {
      try lengthenChain()
      let op = token.text
      let at = token.location
      advance()
      left = .binary(op, left, try multiplicative(), at)
    }
    return left
  }

  mutating func multiplicative() throws -> Expr {
    var left = try unary()
    while token.isSymbol("*") || token.isSymbol("/") || token.isSymbol("%") {
      try lengthenChain()
      let op = token.text
      let at = token.location
      advance()
      left = .binary(op, left, try unary(), at)
    }
    return left
  }

  mutating func unary() throws -> Expr {
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

  func peekLiteral() throws -> Expr? {
    if case .integer(let v) = token.kind { return .literal(.int(v), token.location) }
    return nil
  }

  mutating func primary() throws -> Expr {
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
        // An option word ends an expression only where an operator could come: in an
        // operand's place it is a name (the field `seq` in `where seq > 3`, beside the option
        // `seq 10..20` of `trace show`).
        if CommandRegistry.reserved.contains(w) {
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
      let mark = pushOpener(t)
      defer {
        nesting -= 1
        popOpeners(to: mark)
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
      let mark = pushOpener(t)
      defer {
        nesting -= 1
        popOpeners(to: mark)
      }
      var items: [Expr] = []
      while !token.isSymbol("]") {
        if token.kind == .end { throw Diagnostic("unclosed '['", at: t.location, unexpectedEnd: true) }
        items.append(try expression())
        if token.isSymbol(",") {
          advance()
        } else if !token.isSymbol("]") {
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

  mutating func callArguments() throws -> [Expr] {
    let open = token
    advance()  // (
    nesting += 1
    let mark = pushOpener(open)
    defer {
      nesting -= 1
      popOpeners(to: mark)
    }
    let savedStops = stopWords
    stopWords = []
    defer { stopWords = savedStops }
    var args: [Expr] = []
    while !token.isSymbol(")") {
      if token.kind == .end { throw Diagnostic("unclosed '('", at: open.location, unexpectedEnd: true) }
      args.append(try expression())
      if token.isSymbol(",") {
        advance()
      } else if !token.isSymbol(")") {
        throw error("expected ',' or ')', found \(token.text)")
      }
    }
    advance()
    return args
  }

  /// `.field`, `.N` (thread), `.self`, `[index]`, `:NAME` (port reference). In argument
  /// position a `[` after a space starts the next argument instead.
  mutating func postfix(_ base: Expr, inArgument: Bool) throws -> Expr {
    var e = base
    while true {
      let t = token
      if (t.isSymbol(".") || t.isSymbol(":")) && !t.spaceBefore || t.isSymbol("[") && !(inArgument && t.spaceBefore) {
        try lengthenChain()
      }
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
