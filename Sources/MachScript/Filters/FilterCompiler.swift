import MachModel
import MachTrace

/// A filter (docs/language.md, Filters, docs/shell.md §9), compiled once when its command runs.
struct Filter {
  let expr: Expr
  /// Whether a record passes. Throws only for what no check can rule out before the records
  /// are seen (a division by zero, an index out of range in `body[i]`).
  let test: (TraceRecord) throws -> Bool
  /// The commonest filters in their fast form, which reads records in place.
  var clauses: FilterClauses? = nil
}

/// Compiles filter expressions into closures over a record, checking them first: an unknown
/// name, a comparison of `dir` with an int or with a string it never holds, or an operator
/// given the wrong kinds is an error at its position before any record is examined.
///
/// Bare names that are record fields read the record; every other name (a variable, a
/// constant, `rc`) is read once, here (docs/shell.md §7). A part of the filter that reads no
/// field is evaluated here too. Comparisons on the scalar fields compile to typed closures;
/// anything else (`body`, function calls on fields) evaluates through the interpreter.
/// Comparing a nil field (`code`, `answers`, `seq`, `thread`) with a value that is not nil is
/// false, whatever the operator (docs/shell.md §8); `== nil` and `!= nil` test for it.
struct FilterCompiler {
  unowned let session: Session
  var interpreter: Interpreter { session.interpreter }
  /// Which parts of the filter read a field, found once for the whole filter (asking each
  /// part afresh would walk the tree again at every node: quadratic in the filter's length).
  let mentions = FieldMentions()

  /// The record fields, as bare names in a filter: the scalar ones of `FilterClauses.Field`,
  /// then `routine` and `body`.
  static let fields = Set(FilterClauses.Field.allCases.map(\.rawValue) + ["routine", "body", "args"])
  static let directions = ["send", "receive"]
  static let kinds = TraceRecord.typeNames

  typealias Get<T> = (TraceRecord) throws -> T

  /// A compiled part of a filter, typed as far as compiling can tell.
  enum Node {
    case constant(Value)
    /// An int field; nil where the field is nil. `isCode` for `retval` and `code`.
    case int(Get<Int64?>, isCode: Bool)
    case bool(Get<Bool>)
    case string(Get<String>)
    /// `dir` or `type`: an index into `valid`.
    case choice(field: String, valid: [String], Get<Int>)
    case task(Get<TaskIndex>)
    case thread(Get<ThreadIndex?>)
    /// Anything else, evaluated as a value.
    case value(Get<Value>)
  }

  func compile(_ e: Expr) throws -> Filter {
    try rejectCommands(e)
    mentions.fill(e)
    let node = try self.node(e)  // checks the whole filter first
    unowned let session = self.session  // a filter lives in the session: no cycle
    if let fast = FilterClauses.make(
      e, constant: { try session.interpreter.evaluate($0) },
      taskIndex: { session.taskIndex(named: $0) }, threadIndex: { session.threadIndex(labelled: $0) })
    {
      return Filter(expr: e, test: { fast.test($0) }, clauses: fast)
    }
    switch node {
    case .bool(let f): return Filter(expr: e, test: f)
    case .constant(.bool(let b)): return Filter(expr: e, test: { _ in b })
    case .value(let f):
      return Filter(expr: e) { r in
        let v = try f(r)
        guard let b = v.bool else {
          throw ScriptError("a filter must be a bool, not \(v.kindWithArticle)", at: e.location)
        }
        return b
      }
    default:
      throw ScriptError("a filter must be a bool, not \(kind(node))", at: e.location)
    }
  }

  // MARK: - Nodes

  private func node(_ e: Expr) throws -> Node {
    guard mentions(e) else { return .constant(try interpreter.evaluate(e)) }
    switch e {
    case .name(let n, _):
      return field(n)
    case .unary("not", let x, let at):
      let f = try boolGetter(try node(x), "not", at: at)
      return .bool { try !f($0) }
    case .unary(_, let x, let at):
      let f = try intGetter(try node(x), "-", at: at)
      return .int({ r in try f(r).map { try Interpreter.arithmetic("-", 0, $0, at: at) } }, isCode: false)
    case .binary(let op, let l, let r, let at):
      return try binary(op, try node(l), try node(r), at: at)
    case .field(.name("args", _), let name, _):
      // `args.NAME`: nil for a record whose routine no loaded .defs file declares, or that
      // has no such argument, so that a filter over a mixed trace is simply false there.
      unowned let session = self.session  // a filter lives in the session: no cycle
      return .value { r in
        guard case .fields(let fields) = session.argsValue(r) else { return .nil }
        return fields.first { $0.0 == name }?.1 ?? .nil
      }
    default:
      return try general(e)
    }
  }

  private func field(_ name: String) -> Node {
    guard let field = FilterClauses.Field(rawValue: name) else {
      if name == "routine" { return .string { $0.routine } }
      unowned let session = self.session  // a filter lives in the session: no cycle
      return .value { r in session.recordFields(r, withBody: true)[name] ?? .nil }
    }
    switch field {
    case .task: return .task { $0.task }
    case .thread: return .thread { $0.thread }
    case .dir: return .choice(field: "dir", valid: Self.directions, { $0.direction == .send ? 0 : 1 })
    case .type: return .choice(field: "type", valid: Self.kinds, { $0.typeIndex })
    case .complex: return .bool { $0.complex }
    default:
      return .int(
        { r in withUnsafePointer(to: r) { FilterClauses.Clause.read(field, $0) } },
        isCode: field == .retval || field == .code)
    }
  }

  /// A part the typed nodes do not cover: evaluated by the interpreter with the record's
  /// fields bound, and the other names it reads fixed now.
  private func general(_ e: Expr) throws -> Node {
    var captured: [String: Value] = [:]
    for name in Self.freeNames(e) where !Self.fields.contains(name) {
      captured[name] = try interpreter.evaluate(.name(name, e.location))
    }
    unowned let session = self.session  // a filter lives in the session: no cycle
    let withBody = Self.freeNames(e).contains("body")
    let withArgs = Self.freeNames(e).contains("args")
    return .value { r in
      try session.interpreter.evaluate(
        e,
        with: session.recordFields(r, withBody: withBody, withArgs: withArgs).merging(captured) { field, _ in field })
    }
  }

  // MARK: - Getters

  func boolGetter(_ n: Node, _ op: String, at: SourceLocation) throws -> Get<Bool> {
    switch n {
    case .bool(let f): return f
    case .constant(.bool(let b)): return { _ in b }
    case .value(let f):
      return { r in
        let v = try f(r)
        guard let b = v.bool else { throw ScriptError("'\(op)' needs bools, not \(v.kindWithArticle)", at: at) }
        return b
      }
    default: throw ScriptError("'\(op)' needs bools, not \(kind(n))", at: at)
    }
  }

  func intGetter(_ n: Node, _ op: String, at: SourceLocation) throws -> Get<Int64?> {
    switch n {
    case .int(let f, _): return f
    case .constant(let c):
      guard let v = c.integer else { throw ScriptError("'\(op)' needs ints, not \(c.kindWithArticle)", at: at) }
      return { _ in v }
    case .value(let f):
      return { r in
        let v = try f(r)
        if case .nil = v { return nil }
        guard let n = v.integer else { throw ScriptError("'\(op)' needs ints, not \(v.kindWithArticle)", at: at) }
        return n
      }
    default: throw ScriptError("'\(op)' needs ints, not \(kind(n))", at: at)
    }
  }

  func valueGetter(_ n: Node) -> Get<Value> {
    unowned let session = self.session  // a filter lives in the session: no cycle
    switch n {
    case .constant(let v): return { _ in v }
    case .int(let f, let isCode):
      return { r in
        guard let v = try f(r) else { return .nil }
        return isCode ? .code(ReturnCode(truncatingIfNeeded: v), fromMachMsg: true) : .int(v)
      }
    case .bool(let f): return { .bool(try f($0)) }
    case .string(let f): return { .string(try f($0)) }
    case .choice(_, let valid, let f): return { .string(valid[try f($0)]) }
    case .task(let f): return { session.taskValue(try f($0)) }
    case .thread(let f): return { try f($0).map(session.threadValue) ?? .nil }
    case .value(let f): return f
    }
  }

  func kind(_ n: Node) -> String {
    switch n {
    case .constant(let v): return v.kindWithArticle
    case .int(_, let isCode): return isCode ? "a return code" : "an int"
    case .bool: return "a bool"
    case .string, .choice: return "a string"
    case .task: return "a task"
    case .thread: return "a thread"
    case .value: return "a value"
    }
  }

  static func isString(_ v: Value) -> Bool {
    if case .string = v { return true }
    return false
  }

  func isValueNode(_ n: Node) -> Bool {
    if case .value = n { return true }
    return false
  }

  func isConstant(_ n: Node) -> Bool {
    if case .constant = n { return true }
    return false
  }

  func isIntLike(_ n: Node) -> Bool {
    switch n {
    case .int: return true
    case .constant(let c): return c.integer != nil
    default: return false
    }
  }

  static func order<T: Comparable>(_ op: String, _ x: T, _ y: T) -> Bool {
    switch op {
    case "==": return x == y
    case "!=": return x != y
    case "<": return x < y
    case "<=": return x <= y
    case ">": return x > y
    default: return x >= y
    }
  }

  static func spelled(_ valid: [String]) -> String {
    let quoted = valid.map(Value.quoted)
    return quoted.dropLast().joined(separator: ", ") + (quoted.count > 1 ? " or " : "") + quoted.last!
  }

  // MARK: - Walking the expression

  /// Whether `e` reads a record field (a bare field name, not a function or field name).
  static func mentionsField(_ e: Expr) -> Bool {
    !freeNames(e).isDisjoint(with: fields)
  }

  static func freeNames(_ e: Expr) -> Set<String> {
    switch e {
    case .literal, .command: return []
    case .name(let n, _): return [n]
    case .list(let items, _): return items.reduce(into: []) { $0.formUnion(freeNames($1)) }
    case .unary(_, let x, _), .field(let x, _, _), .selfRef(let x, _), .threadRef(let x, _, _): return freeNames(x)
    case .binary(_, let l, let r, _), .index(let l, let r, _), .portRef(let l, let r, _):
      return freeNames(l).union(freeNames(r))
    case .call(_, let args, _): return args.reduce(into: []) { $0.formUnion(freeNames($1)) }
    }
  }

  private func rejectCommands(_ e: Expr) throws {
    switch e {
    case .command(let c): throw ScriptError("a filter cannot run a command ('\(c.name)')", at: c.location)
    case .literal, .name: return
    case .list(let items, _), .call(_, let items, _): try items.forEach(rejectCommands)
    case .unary(_, let x, _), .field(let x, _, _), .selfRef(let x, _), .threadRef(let x, _, _): try rejectCommands(x)
    case .binary(_, let l, let r, _), .index(let l, let r, _), .portRef(let l, let r, _):
      try rejectCommands(l)
      try rejectCommands(r)
    }
  }
}

/// Whether each node of a filter reads a record field, filled in one pass over the filter.
/// A node is known by where it is in the source and what it is.
final class FieldMentions {
  private struct Key: Hashable {
    let location: SourceLocation
    let kind: Int
  }
  private var known: [Key: Bool] = [:]

  private static func key(_ e: Expr) -> Key {
    let kind: Int
    switch e {
    case .literal: kind = 0
    case .name: kind = 1
    case .list: kind = 2
    case .unary: kind = 3
    case .binary: kind = 4
    case .field: kind = 5
    case .index: kind = 6
    case .call: kind = 7
    case .portRef: kind = 8
    case .threadRef: kind = 9
    case .selfRef: kind = 10
    case .command: kind = 11
    }
    return Key(location: e.location, kind: kind)
  }

  /// Records every node of `e`; returns whether `e` reads a field.
  @discardableResult
  func fill(_ e: Expr) -> Bool {
    let result: Bool
    switch e {
    case .literal, .command: result = false
    case .name(let n, _): result = FilterCompiler.fields.contains(n)
    case .list(let items, _), .call(_, let items, _): result = items.map(fill).contains(true)
    case .unary(_, let x, _), .field(let x, _, _), .selfRef(let x, _), .threadRef(let x, _, _): result = fill(x)
    case .binary(_, let l, let r, _), .index(let l, let r, _), .portRef(let l, let r, _):
      let left = fill(l)
      result = fill(r) || left
    }
    known[Self.key(e)] = result
    return result
  }

  func callAsFunction(_ e: Expr) -> Bool { known[Self.key(e)] ?? FilterCompiler.mentionsField(e) }
}
