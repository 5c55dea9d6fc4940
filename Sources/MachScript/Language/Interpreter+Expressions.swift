import MachModel

// Evaluating expressions (docs/language.md, Expressions; docs/shell.md §2): ints are 64-bit
// with overflow and division by zero as errors, `and`/`or` short-circuit, comparisons of
// mismatched kinds are errors.

extension Interpreter {
  // MARK: - Expressions

  func truth(_ e: Expr) throws -> Bool {
    let v = try evaluate(e)
    guard let b = v.bool else {
      throw ScriptError("a condition must be a bool, not \(v.kindWithArticle)", at: e.location)
    }
    return b
  }

  /// An int argument: "WHAT must be an int, not a string".
  func integer(_ e: Expr, _ what: String) throws -> Int64 {
    let v = try evaluate(e)
    guard let n = v.integer else {
      throw ScriptError("\(what) must be an int, not \(v.kindWithArticle)", at: e.location)
    }
    return n
  }

  public func evaluate(_ e: Expr) throws -> Value {
    switch e {
    case .literal(let l, _):
      switch l {
      case .int(let v): return .int(v)
      case .string(let s): return .string(s)
      case .bool(let b): return .bool(b)
      case .nil_: return .nil
      }
    case .name(let n, let at):
      if let v = lookup(n) { return v }
      throw ScriptError("unknown name '\(n)'\(nearestHint(n))", at: at)
    case .list(let items, let at):
      let values = try items.map(evaluate)
      // Printing, comparing and freeing a list recurse as deep as it nests: keep it shallow.
      if values.contains(where: { $0.listDepth(upTo: Value.maxListDepth) >= Value.maxListDepth }) {
        throw ScriptError("lists nest deeper than \(Value.maxListDepth) levels", at: at)
      }
      return .list(values)
    case .unary(let op, let x, let at):
      let v = try evaluate(x)
      if op == "not" {
        guard let b = v.bool else { throw ScriptError("'not' needs a bool, not \(v.kindWithArticle)", at: at) }
        return .bool(!b)
      }
      guard let n = v.integer else { throw ScriptError("'-' needs an int, not \(v.kindWithArticle)", at: at) }
      let (r, overflow) = Int64(0).subtractingReportingOverflow(n)
      if overflow { throw ScriptError("integer overflow", at: at) }
      return .int(r)
    case .binary(let op, let l, let r, let at):
      return try binary(op, l, r, at: at)
    case .index(let base, let index, let at):
      let b = try evaluate(base)
      let i = try integer(index, "an index")
      switch b {
      case .list(let items):
        guard i >= 0 && i < items.count else {
          throw ScriptError("index \(i) is out of range (the list has \(items.count))", at: at)
        }
        return items[Int(i)]
      case .string(let s):
        let chars = Array(s)
        guard i >= 0 && i < chars.count else {
          throw ScriptError("index \(i) is out of range (the string has \(chars.count))", at: at)
        }
        return .string(String(chars[Int(i)]))
      default:
        throw ScriptError("\(b.kindWithArticle) cannot be indexed", at: at)
      }
    case .field(let base, let name, let at):
      let b = try evaluate(base)
      if let host { return try host.field(b, name, at: at) }
      throw ScriptError("\(b.kindWithArticle) has no field '\(name)'", at: at)
    case .call(let name, let args, let at):
      return try callFunction(name, args, at: at)
    case .portRef(_, _, let at), .threadRef(_, _, let at), .selfRef(_, let at):
      guard let host else { throw ScriptError("port and thread references need the machsh shell", at: at) }
      return try host.reference(e, in: self)
    case .command(let c):
      return try run(c)
    }
  }

  private func binary(_ op: String, _ l: Expr, _ r: Expr, at: SourceLocation) throws -> Value {
    if op == "and" || op == "or" {
      let a = try evaluate(l)
      guard let x = a.bool else { throw ScriptError("'\(op)' needs bools, not \(a.kindWithArticle)", at: at) }
      if op == "and" && !x { return .bool(false) }
      if op == "or" && x { return .bool(true) }
      let b = try evaluate(r)
      guard let y = b.bool else { throw ScriptError("'\(op)' needs bools, not \(b.kindWithArticle)", at: at) }
      return .bool(y)
    }
    let a = try evaluate(l), b = try evaluate(r)
    if Builtins.comparisons.contains(op) { return .bool(try compare(op, a, b, at: at)) }
    switch (op, a, b) {
    case ("+", .string(let x), .string(let y)): return .string(x + y)
    case ("+", .list(let x), .list(let y)): return .list(x + y)
    default: break
    }
    guard let x = a.integer, let y = b.integer else {
      throw ScriptError("'\(op)' cannot combine \(a.kindWithArticle) and \(b.kindWithArticle)", at: at)
    }
    return .int(try Self.arithmetic(op, x, y, at: at))
  }

  /// `+ - * / %` on 64-bit ints (docs/shell.md §2): overflow and division by zero are script
  /// errors; `/` and `%` truncate toward zero.
  static func arithmetic(_ op: String, _ x: Int64, _ y: Int64, at: SourceLocation) throws -> Int64 {
    let result: (Int64, Bool)
    switch op {
    case "+": result = x.addingReportingOverflow(y)
    case "-": result = x.subtractingReportingOverflow(y)
    case "*": result = x.multipliedReportingOverflow(by: y)
    case "/", "%":
      guard y != 0 else { throw ScriptError("division by zero", at: at) }
      result = op == "/" ? x.dividedReportingOverflow(by: y) : x.remainderReportingOverflow(dividingBy: y)
    default: throw ScriptError("unknown operator '\(op)'", at: at)
    }
    if result.1 { throw ScriptError("integer overflow", at: at) }
    return result.0
  }

  func compare(_ op: String, _ a: Value, _ b: Value, at: SourceLocation) throws -> Bool {
    switch op {
    case "==": return Value.equal(a, b)
    case "!=": return !Value.equal(a, b)
    case "in":
      guard case .list(let items) = b else {
        throw ScriptError("'in' needs a list on its right, not \(b.kindWithArticle)", at: at)
      }
      return items.contains { Value.equal(a, $0) }
    case "contains":
      switch (a, b) {
      case (.string(let s), .string(let t)): return s.contains(t)
      case (.list(let items), _): return items.contains { Value.equal($0, b) }
      default: throw ScriptError("'contains' needs a string or a list on its left, not \(a.kindWithArticle)", at: at)
      }
    case "matches":
      guard case .string(let s) = a, case .string(let pattern) = b else {
        throw ScriptError("'matches' needs a string and a pattern string", at: at)
      }
      return try regex(pattern, at: at).firstMatch(in: s) != nil
    default:
      if let x = a.integer, let y = b.integer { return Self.order(op, x, y) }
      if case .string(let x) = a, case .string(let y) = b { return Self.order(op, x, y) }
      throw ScriptError("'\(op)' cannot compare \(a.kindWithArticle) with \(b.kindWithArticle)", at: at)
    }
  }

  private static func order<T: Comparable>(_ op: String, _ x: T, _ y: T) -> Bool {
    switch op {
    case "<": return x < y
    case "<=": return x <= y
    case ">": return x > y
    default: return x >= y
    }
  }

  // MARK: - Source and purity

  /// Source as people write it: a UTF-8 byte-order mark at the start goes, and Windows line
  /// ends (CR LF) read as newlines.
  public static func normalized(_ source: String) -> String {
    var text = source
    if text.first == "\u{FEFF}" { text.removeFirst() }
    guard text.contains("\r\n") else { return text }
    return text.replacing("\r\n", with: "\n")
  }

  /// Whether evaluating `e` can change a variable: a procedure call or a command can.
  static func isPure(_ e: Expr) -> Bool {
    switch e {
    case .literal, .name: return true
    case .command: return false
    case .call(let f, let args, _): return Builtins.names.contains(f) && args.allSatisfy(isPure)
    case .list(let items, _): return items.allSatisfy(isPure)
    case .unary(_, let x, _), .field(let x, _, _), .selfRef(let x, _), .threadRef(let x, _, _): return isPure(x)
    case .binary(_, let l, let r, _), .index(let l, let r, _), .portRef(let l, let r, _): return isPure(l) && isPure(r)
    }
  }
}
