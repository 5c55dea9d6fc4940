import MachModel
import MachTrace

/// Where a script's output goes; the shell decides what standard output and standard error
/// are. The interpreter never touches a terminal.
public protocol ScriptOutput: AnyObject {
  func write(_ text: String)
  func writeError(_ text: String)
}

/// What runs the kernel commands, `source`, `help` and `explain` for the interpreter: the
/// shell's session over the model. The interpreter itself runs the language.
public protocol ScriptHost: AnyObject {
  func run(_ command: Command, in interpreter: Interpreter) throws -> Value
  /// `TASK:NAME`, `TASK.N`, `X.self`.
  func reference(_ e: Expr, in interpreter: Interpreter) throws -> Value
  /// `value.name` for the host's kinds of value.
  func field(_ value: Value, _ name: String, at: SourceLocation) throws -> Value
  /// A function the host provides (`count`, `first`, `records`, `decode`), or nil.
  func call(_ name: String, _ args: [Expr], in interpreter: Interpreter, at: SourceLocation) throws -> Value?
  /// `source`, `help`, `explain`.
  func statement(_ s: Stmt, in interpreter: Interpreter) throws
  /// `stop` in a block: throws where it is not allowed.
  func stop(at: SourceLocation) throws
  /// A stop at the prompt abandons the rest of the input line.
  var abandonsLine: Bool { get }
  /// A new input line begins.
  func lineStarts()
  /// `routine(ID)`: the routine name the shell knows for an id, or "".
  func routineName(_ id: Int32) -> String
}

/// An error of the script itself (details.md §1: syntax and runtime errors), with where.
public struct ScriptError: Error, Equatable, Sendable {
  public var message: String
  public var location: SourceLocation
  public init(_ message: String, at location: SourceLocation) {
    self.message = message
    self.location = location
  }
  public var diagnostic: Diagnostic { Diagnostic(message, at: location) }
}

/// How a run ended.
public enum RunOutcome: Equatable, Sendable {
  case completed
  /// An error stopped the script (status 2).
  case error(Diagnostic)
  /// `quit [CODE]`.
  case quit(Int32?)
}

/// Runs the language (language.md §3, §4; details.md §2): lexical scopes, procedures with a
/// call-depth limit, loops with `break`, `print`, `expect`. Kernel commands go to the host.
public final class Interpreter {
  public let output: ScriptOutput
  public weak var host: ScriptHost?
  /// Scopes, global first.
  private var scopes: [[String: Value]] = [[:]]
  private var procedures: [String: (params: [String], body: [Stmt], at: SourceLocation)] = [:]
  private var callDepth = 0
  private var loopDepth = 0
  public static let maxCallDepth = 200
  /// Syntax errors shown for one file; the rest are counted (a binary file is not a script).
  public static let maxShownSyntaxErrors = 50
  /// Variables the shell keeps (language.md §3).
  public static let readOnly: Set<String> = ["rc", "last", "msg", "now"]
  /// The read-only variables the host keeps current: `rc`, `last`, `now` (`msg` is bound in
  /// blocks).
  public var rc: Value = .code(0, fromMachMsg: false)
  public var last: Value = .nil
  public var now: Value = .int(0)
  /// Expectations that failed so far (exit status 1 when any did).
  public private(set) var failedExpectations = 0
  /// Source texts by file label, to render diagnostics with their lines.
  public private(set) var sources: [String: String] = [:]
  /// Called with the value and source text of each top-level expression or command statement
  /// (the prompt prints values; `set echo on` prints `> SOURCE` and the value).
  public var showValue: ((Value, String) -> Void)? = nil
  private var runDepth = 0
  /// Serve and do blocks running (`source` and `quit` are errors inside them).
  private var blocksRunning = 0
  private struct Abandon: Error {}
  /// Polled at loop iterations and calls: true stops the run with "interrupted" (Ctrl-C).
  public var interruptRequested: () -> Bool = { false }
  private var regexes: [String: Regex<AnyRegexOutput>] = [:]

  public init(output: ScriptOutput) {
    self.output = output
  }

  private enum Flow {
    case normal
    case breakLoop(SourceLocation)
    case returned(Value)
  }

  private struct Quit: Error { var code: Int32? }

  // MARK: - Running

  /// Parses all of `source` first; with syntax errors, reports every one and runs nothing.
  public func run(source: String, file: String) -> RunOutcome {
    sources[file] = source
    if runDepth == 0 { host?.lineStarts() }
    runDepth += 1
    defer { runDepth -= 1 }
    let (statements, diagnostics) = Parser.parse(source, file: file)
    if let first = diagnostics.first {
      let lines = Diagnostic.lines(of: source)
      for d in diagnostics.prefix(Self.maxShownSyntaxErrors) { output.writeError(d.rendered(lines: lines) + "\n") }
      if diagnostics.count > Self.maxShownSyntaxErrors {
        output.writeError("\(file): \(diagnostics.count - Self.maxShownSyntaxErrors) more errors not shown\n")
      }
      return .error(first)
    }
    do {
      for s in statements {
        switch s {
        case .expression(let e, let text, _):
          let v = try evaluate(e)
          showValue?(v, text)
        case .command(let c):
          let v = try run(c)
          showValue?(v, c.source)
        default:
          if case .breakLoop(let at) = try execute(s) { throw ScriptError("'break' outside a loop", at: at) }
        }
        if abandonsLine { throw Abandon() }
      }
      return .completed
    } catch let e as ScriptError {
      output.writeError(e.diagnostic.rendered(source: sources[e.location.file] ?? source) + "\n")
      return .error(e.diagnostic)
    } catch let q as Quit {
      return .quit(q.code)
    } catch is Abandon {
      return .completed
    } catch {
      return .completed
    }
  }

  /// Evaluates `e` with `names` in an innermost scope (a filter sees a record's fields as bare
  /// names, shadowing variables).
  public func evaluate(_ e: Expr, with names: [String: Value]) throws -> Value {
    scopes.append(names)
    defer { scopes.removeLast() }
    return try evaluate(e)
  }

  /// Runs a serve or do block in a new scope with `names` bound (`msg`). The block has its
  /// own `rc`: the global one is as it was once the block returns (details.md §5).
  public func runBlock(_ block: [Stmt], with names: [String: Value]) throws {
    scopes.append(names)
    let savedRC = rc
    blocksRunning += 1
    defer {
      scopes.removeLast()
      rc = savedRC
      blocksRunning -= 1
    }
    _ = try execute(block)
  }

  /// The names of global variables.
  public var globalNames: [String] { Array(scopes[0].keys) }

  /// The names of the procedures defined so far.
  public var procedureNames: [String] { Array(procedures.keys) }

  private var abandonsLine: Bool { host?.abandonsLine ?? false }

  /// What `name` stands for now: a variable of any scope, a read-only variable, a constant.
  public func lookup(_ name: String) -> Value? {
    for scope in scopes.reversed() { if let v = scope[name] { return v } }
    switch name {
    case "rc": return rc
    case "last": return last
    case "now": return now
    default: return Words.constants[name]
    }
  }

  /// The value of a global variable, if set.
  public func global(_ name: String) -> Value? { scopes[0][name] }

  /// Sets a global variable (the shell binds `args`, task names...).
  public func setGlobal(_ name: String, _ value: Value) { scopes[0][name] = value }

  private func execute(_ statements: [Stmt]) throws -> Flow {
    for s in statements {
      let flow = try execute(s)
      if abandonsLine { throw Abandon() }
      if case .normal = flow { continue }
      return flow
    }
    return .normal
  }

  private func inScope<T>(_ body: () throws -> T) rethrows -> T {
    scopes.append([:])
    defer { scopes.removeLast() }
    return try body()
  }

  private func execute(_ s: Stmt) throws -> Flow {
    switch s {
    case .let(let name, let e, let at):
      if Self.readOnly.contains(name) { throw ScriptError("'\(name)' is read-only", at: at) }
      scopes[scopes.count - 1][name] = try evaluate(e)
    case .assign(let name, let e, let at):
      if Self.readOnly.contains(name) { throw ScriptError("'\(name)' is read-only", at: at) }
      let value = try evaluate(e)
      guard let i = scopes.lastIndex(where: { $0[name] != nil }) else {
        throw ScriptError("unknown variable '\(name)' (use 'let \(name) = ...' to make one)", at: at)
      }
      scopes[i][name] = value
    case .if(let arms, let otherwise, _):
      for (condition, body) in arms where try truth(condition) {
        return try inScope { try execute(body) }
      }
      if let otherwise { return try inScope { try execute(otherwise) } }
    case .while(let condition, let body, _):
      loopDepth += 1
      defer { loopDepth -= 1 }
      while try truth(condition) {
        try checkInterrupt(condition.location)
        switch try inScope({ try execute(body) }) {
        case .breakLoop: return .normal
        case .returned(let v): return .returned(v)
        case .normal: continue
        }
      }
    case .repeat(let count, let body, let at):
      let n = try integer(count, "repeat count")
      guard n >= 0 else { throw ScriptError("repeat count is negative (\(n))", at: at) }
      loopDepth += 1
      defer { loopDepth -= 1 }
      var i: Int64 = 0
      while i < n {
        try checkInterrupt(at)
        switch try inScope({ try execute(body) }) {
        case .breakLoop: return .normal
        case .returned(let v): return .returned(v)
        case .normal: i += 1
        }
      }
    case .for(let name, let e, let body, let at):
      guard case .list(let items) = try evaluate(e) else { throw ScriptError("'for' needs a list", at: e.location) }
      loopDepth += 1
      defer { loopDepth -= 1 }
      for item in items {
        try checkInterrupt(at)
        let flow = try inScope { () throws -> Flow in
          scopes[scopes.count - 1][name] = item
          return try execute(body)
        }
        switch flow {
        case .breakLoop: return .normal
        case .returned(let v): return .returned(v)
        case .normal: continue
        }
      }
    case .def(let name, let params, let body, let at):
      if Builtins.names.contains(name) { throw ScriptError("'\(name)' is a built-in function", at: at) }
      procedures[name] = (params, body, at)
    case .return(let e, _):
      return .returned(try e.map(evaluate) ?? .nil)
    case .break(let at):
      guard loopDepth > 0 else { throw ScriptError("'break' outside a loop", at: at) }
      return .breakLoop(at)
    case .stop(let at):
      guard let host else { throw ScriptError("'stop' belongs in a watch's do block", at: at) }
      try host.stop(at: at)
      return .returned(.nil)
    case .print(let values, _):
      output.write(try values.map { try evaluate($0).printed }.joined(separator: " ") + "\n")
    case .expect(let e, let message, let text, let at):
      try expect(e, message: message, text: text, at: at)
    case .quit(let e, let at):
      guard blocksRunning == 0 else { throw ScriptError("'quit' cannot be used inside a serve or do block", at: at) }
      throw Quit(code: try e.map { e in
        let n = try integer(e, "an exit status")
        guard (0...255).contains(n) else { throw ScriptError("an exit status \(n) is out of range (0 to 255)", at: e.location) }
        return Int32(n)
      })
    case .command(let c):
      _ = try run(c)
    case .source(_, let at) where blocksRunning > 0:
      throw ScriptError("'source' cannot be used inside a serve or do block", at: at)
    case .source, .help, .explain:
      guard let host else { throw ScriptError("this needs the machsh shell", at: location(of: s)) }
      try host.statement(s, in: self)
    case .expression(let e, _, _):
      _ = try evaluate(e)
    }
    return .normal
  }

  private func location(of s: Stmt) -> SourceLocation {
    switch s {
    case .source(_, let l), .help(_, let l), .explain(_, let l): return l
    default: return SourceLocation(file: "", line: 0, column: 0)
    }
  }

  private func checkInterrupt(_ at: SourceLocation) throws {
    if interruptRequested() { throw ScriptError("interrupted", at: at) }
  }

  /// A command statement: a procedure called as a command, or a kernel command for the host.
  private func run(_ c: Command) throws -> Value {
    if let proc = procedures[c.name] {
      return try call(c.name, proc, c.arguments.map(evaluate), at: c.location)
    }
    guard let host else { throw ScriptError("unknown command or procedure '\(c.name)'", at: c.location) }
    return try host.run(c, in: self)
  }

  // MARK: - expect

  /// `expect`: a false condition prints `FILE:LINE: expectation failed: TEXT (left: V, right:
  /// V)` on standard error and the script goes on (details.md §1).
  private func expect(_ e: Expr, message: Expr?, text: String, at: SourceLocation) throws {
    var detail = ""
    let ok: Bool
    if case .binary(let op, let l, let r, let opAt) = e, Builtins.comparisons.contains(op) {
      let left = try evaluate(l), right = try evaluate(r)
      ok = try compare(op, left, right, at: opAt)
      detail = " (left: \(left.literal), right: \(right.literal))"
    } else {
      let v = try evaluate(e)
      guard let b = v.bool else { throw ScriptError("expect needs a bool, found \(v.kindWithArticle)", at: e.location) }
      ok = b
    }
    guard !ok else { return }
    failedExpectations += 1
    let what = try message.map { try evaluate($0).printed } ?? text
    output.writeError("\(at.file):\(at.line): expectation failed: \(what)\(detail)\n")
  }

  // MARK: - Expressions

  private func truth(_ e: Expr) throws -> Bool {
    let v = try evaluate(e)
    guard let b = v.bool else { throw ScriptError("a condition must be a bool, not \(v.kindWithArticle)", at: e.location) }
    return b
  }

  /// An int argument: "WHAT must be an int, not a string".
  func integer(_ e: Expr, _ what: String) throws -> Int64 {
    let v = try evaluate(e)
    guard let n = v.integer else { throw ScriptError("\(what) must be an int, not \(v.kindWithArticle)", at: e.location) }
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
      throw ScriptError("unknown name '\(n)'", at: at)
    case .list(let items, _):
      return .list(try items.map(evaluate))
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
        guard i >= 0 && i < items.count else { throw ScriptError("index \(i) is out of range (the list has \(items.count))", at: at) }
        return items[Int(i)]
      case .string(let s):
        let chars = Array(s)
        guard i >= 0 && i < chars.count else { throw ScriptError("index \(i) is out of range (the string has \(chars.count))", at: at) }
        return .string(String(chars[Int(i)]))
      default:
        throw ScriptError("\(b.kindWithArticle) cannot be indexed", at: at)
      }
    case .field(let base, let name, let at):
      let b = try evaluate(base)
      if let host { return try host.field(b, name, at: at) }
      throw ScriptError("\(b.kindWithArticle) has no field '\(name)'", at: at)
    case .call(let name, let args, let at):
      if let proc = procedures[name] { return try call(name, proc, args.map(evaluate), at: at) }
      if let host, let v = try host.call(name, args, in: self, at: at) { return v }
      return try Builtins.call(name, args.map(evaluate), routineName: host?.routineName ?? Builtins.builtInRoutineName, at: at)
    case .portRef(_, _, let at), .threadRef(_, _, let at), .selfRef(_, let at):
      guard let host else { throw ScriptError("port and thread references need the machsh shell", at: at) }
      return try host.reference(e, in: self)
    case .command(let c):
      return try run(c)
    }
  }

  private func call(_ name: String, _ proc: (params: [String], body: [Stmt], at: SourceLocation), _ args: [Value], at: SourceLocation) throws -> Value {
    guard args.count == proc.params.count else {
      throw ScriptError("'\(name)' takes \(proc.params.count) argument\(proc.params.count == 1 ? "" : "s"), not \(args.count)", at: at)
    }
    guard callDepth < Self.maxCallDepth else {
      throw ScriptError("procedures nest deeper than \(Self.maxCallDepth) calls (runaway recursion?)", at: at)
    }
    try checkInterrupt(at)
    callDepth += 1
    let savedScopes = scopes
    let savedLoops = loopDepth
    scopes = [scopes[0], Dictionary(uniqueKeysWithValues: zip(proc.params, args))]
    loopDepth = 0
    defer {
      callDepth -= 1
      let globals = scopes[0]
      scopes = savedScopes
      scopes[0] = globals
      loopDepth = savedLoops
    }
    switch try execute(proc.body) {
    case .returned(let v): return v
    case .breakLoop(let b): throw ScriptError("'break' outside a loop", at: b)
    case .normal: return .nil
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

  /// `+ - * / %` on 64-bit ints (details.md §2): overflow and division by zero are script
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
      guard case .list(let items) = b else { throw ScriptError("'in' needs a list on its right, not \(b.kindWithArticle)", at: at) }
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

  func regex(_ pattern: String, at: SourceLocation) throws -> Regex<AnyRegexOutput> {
    if let r = regexes[pattern] { return r }
    do {
      let r = try Regex(pattern)
      regexes[pattern] = r
      return r
    } catch {
      throw ScriptError("bad regular expression \(Value.quoted(pattern))", at: at)
    }
  }
}
