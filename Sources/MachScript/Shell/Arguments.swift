import MachModel

// Arguments coerced in one place, each error worded once: "WHAT must be an int, not a
// string", "WHAT N is out of range (MIN to MAX)", "WHAT must be one of a, b or c, not 'x'".

extension Session {
  func evaluate(_ e: Expr) throws -> Value { try interpreter.evaluate(e) }

  func integer(_ e: Expr, _ what: String) throws -> Int64 { try interpreter.integer(e, what) }

  /// An int that must fit `T` (a 32-bit field of a message, a count).
  func integer<T: FixedWidthInteger>(_ e: Expr, _ what: String, as: T.Type) throws -> T {
    let n = try integer(e, what)
    guard let v = T(exactly: n) else {
      throw ScriptError("\(what) \(n) is out of range (\(T.min) to \(T.max))", at: e.start)
    }
    return v
  }

  func uint32(_ e: Expr, _ what: String) throws -> UInt32 { try integer(e, what, as: UInt32.self) }

  func int32(_ e: Expr, _ what: String) throws -> Int32 { try integer(e, what, as: Int32.self) }

  /// One of the words of `table`, or a number the table's values are (a constant such as
  /// MACH_MSG_TYPE_MAKE_SEND) when `number` accepts it.
  func choice<T>(
    _ e: Expr, _ table: [(String, T)], _ what: String, number: ((Int64) -> T?)? = nil
  ) throws -> T {
    let words = Words.choices(table.map(\.0))
    if case .name(let w, _) = e {
      if let v = Words.value(w, in: table) { return v }
      if interpreter.lookup(w) == nil {
        throw ScriptError("\(what) must be one of \(words), not '\(w)'", at: e.start)
      }
    }
    let v = try evaluate(e)
    if let number, let n = v.integer {
      if let chosen = number(n) { return chosen }
      throw ScriptError("\(what) \(n) is not one of \(words)", at: e.start)
    }
    throw ScriptError("\(what) must be one of \(words), not \(v.kindWithArticle)", at: e.start)
  }

  func task(_ e: Expr) throws -> TaskIndex {
    switch try evaluate(e) {
    case .task(let t, _): return t
    case .string(let s):
      if let i = kernel.tasks.firstIndex(where: { $0.name == s }) { return TaskIndex(i) }
      throw ScriptError("no task is named \(Value.quoted(s))", at: e.start)
    case let v: throw ScriptError("expected a task, found \(v.kindWithArticle)", at: e.start)
    }
  }

  func port(_ e: Expr) throws -> (task: TaskIndex, name: PortName) {
    switch try evaluate(e) {
    case .port(let t, _, let n): return (t, n)
    case let v:
      throw ScriptError("expected a port reference such as server:3, found \(v.kindWithArticle)", at: e.start)
    }
  }

  func thread(_ e: Expr, for what: String) throws -> ThreadIndex {
    guard case .thread(let t, _) = try evaluate(e) else {
      throw ScriptError("\(what) needs a thread (such as server.1)", at: e.start)
    }
    return t
  }

  /// A disposition word or its `MACH_MSG_TYPE_*` number (16…21).
  func disposition(_ e: Expr) throws -> UInt32 {
    try choice(e, Words.dispositions, "a right") { n in
      UInt32(exactly: n).flatMap { MsgType.isPort($0) ? $0 : nil }
    }
  }

  /// A right kind word or a number (`MACH_PORT_RIGHT_*`; the kernel answers a bad one).
  func rightKind(_ e: Expr) throws -> UInt32 {
    try choice(e, Words.rights.map { ($0.0, $0.1.rawValue) }, "a right kind") { UInt32(exactly: $0) }
  }

  /// A special port slot word or a number (the kernel answers a bad one).
  func slot(_ e: Expr) throws -> Int32 {
    try choice(e, Words.slots, "a special port slot") { Int32(exactly: $0) }
  }

  /// The lowest-numbered idle thread of `task` (or thread N), for task-performed commands.
  func actingThread(_ task: TaskIndex, number: Expr? = nil, at: SourceLocation) throws -> ThreadIndex {
    let threads = kernel.tasks[Int(task)].threads
    let name = kernel.tasks[Int(task)].name
    if let number {
      let n = try integer(number, "a thread number")
      guard n >= 1, n <= threads.count else { throw ScriptError("\(name) has no thread \(n)", at: number.location) }
      let t = threads[Int(n - 1)]
      guard isFree(t) else {
        let why = kernel.threads[Int(t)].state == .terminated ? "terminated" : "busy"
        throw ScriptError("\(label(t)) is \(why)", at: number.location)
      }
      return t
    }
    guard kernel.tasks[Int(task)].isActive else { throw ScriptError("\(name) is terminated", at: at) }
    if let t = threads.first(where: isFree) { return t }
    let busy = threads.filter { kernel.threads[Int($0)].state != .terminated }.map(label)
    guard !busy.isEmpty else { throw ScriptError("\(name) has no thread left (each has terminated)", at: at) }
    throw ScriptError("\(name) has no idle thread (busy: \(busy.joined(separator: ", ")))", at: at)
  }

  /// A thread a command can use: idle, not serving, not holding the result of an operation
  /// whose pending handle has not yet taken it (inside a block the model does not run, so an
  /// operation that ended there waits for the next run), and not the thread of a command
  /// still running (a do block runs while the command that let its record in waits).
  func isFree(_ t: ThreadIndex) -> Bool {
    kernel.threads[Int(t)].state == .idle && !servers.isServing(t) && operations.waiting(on: t) == nil
      && !operations.isPerforming(t)
  }

  /// `timeout MS`: the milliseconds and the virtual deadline in µs.
  func deadline(_ c: Command) throws -> (ms: UInt32, due: UInt64)? {
    guard let t = c.option("timeout") else { return nil }
    let ms = try uint32(t.values[0], "a timeout")
    return (ms, kernel.now + UInt64(ms) * 1000)
  }
}
