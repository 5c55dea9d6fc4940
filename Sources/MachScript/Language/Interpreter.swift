import MachModel
import MachTrace

/// Runs the language (docs/language.md, Expressions, §4; docs/shell.md §2): lexical scopes, procedures with a
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
  /// Variables the shell keeps (docs/language.md, Expressions).
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
  /// Called with the source text of each top-level statement just before it runs (`set echo
  /// on` prints `> SOURCE`).
  public var willRun: ((String) -> Void)? = nil
  /// Runs inside runs: a sourced file runs inside the script that sources it.
  public private(set) var runDepth = 0
  /// How deeply `source` may nest.
  public static let maxSourceDepth = 64
  /// Serve and do blocks running (`source` and `quit` are errors inside them).
  private var blocksRunning = 0
  private struct Abandon: Error {}
  /// Polled at loop iterations and calls: true stops the run with "interrupted" (Ctrl-C).
  public var interruptRequested: () -> Bool = { false }
  /// Compiled `matches` patterns. A script that makes a new pattern per record must not grow
  /// it without end: past `maxRegexes` it starts again empty.
  private var regexes: [String: Regex<AnyRegexOutput>] = [:]
  static let maxRegexes = 256
  var regexCount: Int { regexes.count }

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
  public func run(source text: String, file: String) -> RunOutcome {
    let source = Self.normalized(text)
    sources[file] = source
    if runDepth == 0 { host?.lineStarts() }
    runDepth += 1
    defer { runDepth -= 1 }
    let (statements, texts, diagnostics) = Parser.parseWithTexts(source, file: file)
    if let first = diagnostics.first {
      let lines = Diagnostic.lines(of: source)
      for d in diagnostics.prefix(Self.maxShownSyntaxErrors) { output.writeError(d.rendered(lines: lines) + "\n") }
      if diagnostics.count > Self.maxShownSyntaxErrors {
        output.writeError("\(file): \(diagnostics.count - Self.maxShownSyntaxErrors) more errors not shown\n")
      }
      return .error(first)
    }
    var current = 0
    do {
      for (i, s) in statements.enumerated() {
        current = i
        if let willRun, i < texts.count { willRun(texts[i]) }
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
      // A stop at the prompt drops the rest of the line: say how much.
      let skipped = statements.count - current - 1
      if skipped > 0 && runDepth == 1 {
        output.writeError("stopped: \(skipped) command\(skipped == 1 ? "" : "s") of this line not run\n")
      }
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
  /// own `rc`: the global one is as it was once the block returns (docs/shell.md §5).
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
      if try appendInPlace(name, e) { return .normal }
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
    case .return(_, let at) where callDepth == 0:
      throw ScriptError("'return' outside a procedure", at: at)
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
      throw Quit(
        code: try e.map { e in
          let n = try integer(e, "an exit status")
          guard (0...255).contains(n) else {
            throw ScriptError("an exit status \(n) is out of range (0 to 255)", at: e.location)
          }
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

  func checkInterrupt(_ at: SourceLocation) throws {
    if interruptRequested() { throw ScriptError("interrupted", at: at) }
  }

  /// A command statement: a procedure called as a command, or a kernel command for the host.
  func run(_ c: Command) throws -> Value {
    if let proc = procedures[c.name] {
      return try call(c.name, proc, c.arguments.map(evaluate), at: c.location)
    }
    guard let host else { throw ScriptError("unknown command or procedure '\(c.name)'", at: c.location) }
    return try host.run(c, in: self)
  }

  // MARK: - expect

  /// `expect`: a false condition prints `FILE:LINE: expectation failed: TEXT (left: V, right:
  /// V)` on standard error and the script goes on (docs/shell.md §1).
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

  /// `l = l + [x]` (and `s = s + "x"`) on a variable that holds a list (or a string): the
  /// right side is evaluated first, then appended where the variable's value lies, so a loop
  /// that grows a list takes linear time, not quadratic. Only when the right side cannot
  /// change the variable (no procedure call, no command); false when this does not apply.
  private func appendInPlace(_ name: String, _ e: Expr) throws -> Bool {
    guard case .binary("+", .name(let base, _), let rhs, _) = e, base == name, Self.isPure(rhs),
      let i = scopes.lastIndex(where: { $0[name] != nil })
    else { return false }
    let more = try evaluate(rhs)
    return scopes[i][name]!.append(more)  // false: the general path gives the error, or the value
  }

  // MARK: - Procedures and patterns

  /// " (did you mean 'x'?)" for the variable, procedure or command nearest to a name that is
  /// none of them; "" when nothing is near.
  func nearestHint(_ name: String) -> String {
    let names = scopes.flatMap(\.keys) + Array(procedures.keys) + Builtins.names
    let nearest =
      CommandRegistry.nearest(to: name, among: names)
      ?? CommandRegistry.nearest(to: name, among: CommandRegistry.leadingWords)
    return nearest.map { " (did you mean '\($0)'?)" } ?? ""
  }

  /// `NAME(ARG, …)`: a procedure, else a function of the shell, else a built-in one.
  func callFunction(_ name: String, _ args: [Expr], at: SourceLocation) throws -> Value {
    if let proc = procedures[name] { return try call(name, proc, args.map(evaluate), at: at) }
    if let host, let v = try host.call(name, args, in: self, at: at) { return v }
    let routineName = host?.routineName ?? Builtins.builtInRoutineName
    return try Builtins.call(name, args.map(evaluate), routineName: routineName, at: at)
  }

  private func call(
    _ name: String, _ proc: (params: [String], body: [Stmt], at: SourceLocation), _ args: [Value], at: SourceLocation
  ) throws -> Value {
    guard args.count == proc.params.count else {
      throw ScriptError(
        "'\(name)' takes \(proc.params.count) argument\(proc.params.count == 1 ? "" : "s"), not \(args.count)", at: at)
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

  func regex(_ pattern: String, at: SourceLocation) throws -> Regex<AnyRegexOutput> {
    if let r = regexes[pattern] { return r }
    do {
      let r = try Regex(pattern)
      if regexes.count >= Self.maxRegexes { regexes.removeAll(keepingCapacity: true) }
      regexes[pattern] = r
      return r
    } catch {
      throw ScriptError("bad regular expression \(Value.quoted(pattern))", at: at)
    }
  }
}
