import MachModel
import MachTrace

// The filter compiler: operators on compiled parts, typed where the parts are (docs/shell.md
// §9): a comparison of a field with a constant compiles to a closure on that field alone.

extension FilterCompiler {
  // MARK: - Operators

  func binary(_ op: String, _ l: Node, _ r: Node, at: SourceLocation) throws -> Node {
    switch op {
    case "and", "or":
      let a = try boolGetter(l, op, at: at), b = try boolGetter(r, op, at: at)
      return op == "and" ? .bool { try a($0) && b($0) } : .bool { try a($0) || b($0) }
    case "==", "!=", "<", "<=", ">", ">=":
      if case .constant = l, !isConstant(r) { return try comparison(Self.flipped(op), r, l, at: at) }
      return try comparison(op, l, r, at: at)
    case "in":
      return try membership(l, r, at: at)
    case "contains", "matches":
      if op == "matches" || !isValueNode(l), case .constant(let c) = r, !Self.isString(c) {
        throw ScriptError("'\(op)' needs a string on its right, not \(c.kindWithArticle)", at: at)
      }
      if case .string(let f) = l, case .constant(.string(let s)) = r {
        if op == "contains" { return .bool { try f($0).contains(s) } }
        let regex = try interpreter.regex(s, at: at)
        return .bool { (try? regex.firstMatch(in: try f($0))) != nil }
      }
      if case .choice(_, let valid, let f) = l, case .constant(.string(let s)) = r {
        let hits = try valid.map {
          op == "contains" ? $0.contains(s) : (try interpreter.regex(s, at: at).firstMatch(in: $0)) != nil
        }
        return .bool { hits[try f($0)] }
      }
      return try generic(op, l, r, at: at)
    default:
      return try arithmetic(op, l, r, at: at)
    }
  }

  static func flipped(_ op: String) -> String {
    ["<": ">", "<=": ">=", ">": "<", ">=": "<="][op] ?? op
  }

  func comparison(_ op: String, _ l: Node, _ r: Node, at: SourceLocation) throws -> Node {
    guard case .constant(let c) = r else {
      if case .int(let f, _) = l, case .int(let g, _) = r {
        return .bool { rec in
          guard let x = try f(rec), let y = try g(rec) else { return false }
          return Self.order(op, x, y)
        }
      }
      return try generic(op, l, r, at: at)
    }
    let isEquality = op == "==" || op == "!="
    let negate = op == "!="
    func mismatch() -> ScriptError {
      ScriptError("'\(op)' cannot compare \(kind(l)) with \(c.kindWithArticle)", at: at)
    }
    switch l {
    case .int(let f, _):
      if case .nil = c {
        guard isEquality else { throw mismatch() }
        return .bool { try (f($0) == nil) != negate }
      }
      guard let y = c.integer else { throw mismatch() }
      return .bool { rec in
        guard let x = try f(rec) else { return false }
        return Self.order(op, x, y)
      }
    case .choice(let name, let valid, let f):
      guard case .string(let s) = c else {
        throw ScriptError(
          "'\(name)' is a string (\(Self.spelled(valid))); it cannot be compared with \(c.kindWithArticle)", at: at)
      }
      guard isEquality else { throw ScriptError("'\(name)' can only be compared with == or !=", at: at) }
      guard let i = valid.firstIndex(of: s) else {
        throw ScriptError("'\(name)' is \(Self.spelled(valid)), never \(Value.quoted(s))", at: at)
      }
      return .bool { try (f($0) == i) != negate }
    case .string(let f):
      guard case .string(let s) = c else { throw mismatch() }
      return .bool { Self.order(op, try f($0), s) }
    case .bool(let f):
      guard case .bool(let b) = c, isEquality else { throw mismatch() }
      return .bool { try (f($0) == b) != negate }
    case .task(let f):
      guard isEquality else { throw mismatch() }
      switch c {
      case .task(let t, _): return .bool { try (f($0) == t) != negate }
      case .string(let s):
        if let index = session.taskIndex(named: s) {
          return .bool { try (f($0) == index) != negate }
        }
        unowned let session = self.session  // a filter lives in the session: no cycle
        return .bool { try (session.taskName(f($0)) == s) != negate }
      default: throw mismatch()
      }
    case .thread(let f):
      guard isEquality else { throw mismatch() }
      switch c {
      case .nil: return .bool { try (f($0) == nil) != negate }
      case .thread(let t, _):
        return .bool { rec in
          guard let x = try f(rec) else { return false }
          return (x == t) != negate
        }
      case .string(let s):
        unowned let session = self.session  // a filter lives in the session: no cycle
        return .bool { rec in
          guard let x = try f(rec) else { return false }
          return (session.threadLabel(x) == s) != negate
        }
      default: throw mismatch()
      }
    default:
      return try generic(op, l, r, at: at)
    }
  }

  func membership(_ l: Node, _ r: Node, at: SourceLocation) throws -> Node {
    guard case .constant(let c) = r else { return try generic("in", l, r, at: at) }
    guard case .list(let items) = c else {
      throw ScriptError("'in' needs a list on its right, not \(c.kindWithArticle)", at: at)
    }
    switch l {
    case .int(let f, _):
      var set = Set<Int64>()
      for item in items {
        guard let n = item.integer else {
          throw ScriptError("'in' cannot compare \(kind(l)) with \(item.kindWithArticle)", at: at)
        }
        set.insert(n)
      }
      return .bool { try f($0).map(set.contains) ?? false }
    case .choice(_, let valid, let f):
      var hits = [Bool](repeating: false, count: valid.count)
      for item in items {
        _ = try comparison("==", l, .constant(item), at: at)  // checks the item as `==` would
        if case .string(let s) = item, let i = valid.firstIndex(of: s) { hits[i] = true }
      }
      return .bool { hits[try f($0)] }
    case .string(let f):
      var set = Set<String>()
      for item in items {
        guard case .string(let s) = item else {
          throw ScriptError("'in' cannot compare \(kind(l)) with \(item.kindWithArticle)", at: at)
        }
        set.insert(s)
      }
      return .bool { set.contains(try f($0)) }
    default:
      let get = valueGetter(l)
      return .bool { rec in
        let v = try get(rec)
        return items.contains { Value.equal(v, $0) }
      }
    }
  }

  func arithmetic(_ op: String, _ l: Node, _ r: Node, at: SourceLocation) throws -> Node {
    if op == "/" || op == "%", case .constant(let c) = r, c.integer == 0 {
      throw ScriptError("division by zero", at: at)
    }
    guard isIntLike(l), isIntLike(r) else { return try generic(op, l, r, at: at) }
    let a = try intGetter(l, op, at: at), b = try intGetter(r, op, at: at)
    return .int(
      { rec in
        guard let x = try a(rec), let y = try b(rec) else { return nil }
        return try Interpreter.arithmetic(op, x, y, at: at)
      }, isCode: false)
  }

  /// An operator on values the typed nodes do not cover, with the interpreter's rules.
  func generic(_ op: String, _ l: Node, _ r: Node, at: SourceLocation) throws -> Node {
    let a = valueGetter(l), b = valueGetter(r)
    let interpreter = self.interpreter
    if Builtins.comparisons.contains(op) {
      return .bool { rec in
        let x = try a(rec), y = try b(rec)
        if Self.isNilField(x, y) || Self.isNilField(y, x) { return false }
        return try interpreter.compare(op, x, y, at: at)
      }
    }
    return .value { rec in
      try interpreter.evaluate(
        .binary(op, .name("$l", at), .name("$r", at), at), with: ["$l": try a(rec), "$r": try b(rec)])
    }
  }

  /// A nil on one side and a value that is not nil on the other (docs/shell.md §8).
  static func isNilField(_ x: Value, _ y: Value) -> Bool {
    guard case .nil = x else { return false }
    if case .nil = y { return false }
    return true
  }
}
