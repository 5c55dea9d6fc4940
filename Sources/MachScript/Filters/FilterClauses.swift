import MachModel
import MachTrace

/// The fast form of the commonest filters: a conjunction of comparisons between a scalar
/// field and a constant (`msgid == 2400 and retval != 0 and task == "client"`). It is
/// evaluated by a loop over plain values, with no closure call or reference counting per
/// comparison. `FilterCompiler` uses it once the filter has passed its checks; any other
/// shape keeps the closures.
struct FilterClauses {
  /// The scalar fields, by their names in filters.
  enum Field: String, CaseIterable {
    case seq, time, task, thread, dir, type, retval, code, msgid, dest, reply, size, complex, ool, rights, answers
  }

  enum Op: UInt8 { case eq, ne, lt, le, gt, ge, isNil, notNil }

  struct Clause {
    var field: Field
    var op: Op
    var value: Int64

    /// The field as an integer; nil where the record's field is nil.
    @inline(__always)
    static func read(_ field: Field, _ p: UnsafePointer<TraceRecord>) -> Int64? {
      switch field {
      case .seq: return p.pointee.seq.map { Int64(bitPattern: $0) }
      case .time: return Int64(bitPattern: p.pointee.time)
      case .task: return Int64(p.pointee.task)
      case .thread: return p.pointee.thread.map { Int64($0) }
      case .dir: return p.pointee.direction == .send ? 0 : 1
      case .type: return Int64(p.pointee.typeIndex)
      case .retval: return Int64(p.pointee.retval)
      case .code: return p.pointee.code.map { Int64($0) }
      case .msgid: return Int64(p.pointee.msgid)
      case .dest: return Int64(p.pointee.dest)
      case .reply: return Int64(p.pointee.reply)
      case .size: return Int64(p.pointee.size)
      case .complex: return p.pointee.complex ? 1 : 0
      case .ool: return Int64(p.pointee.ool)
      case .rights: return Int64(p.pointee.rights)
      case .answers: return p.pointee.answers.map { Int64(bitPattern: $0) }
      }
    }

    /// docs/shell.md §8: a nil field compared with a value is false, whatever the operator.
    @inline(__always)
    func holds(_ p: UnsafePointer<TraceRecord>) -> Bool {
      guard let x = Self.read(field, p) else { return op == .isNil }
      switch op {
      case .eq: return x == value
      case .ne: return x != value
      case .lt: return x < value
      case .le: return x <= value
      case .gt: return x > value
      case .ge: return x >= value
      case .isNil: return false
      case .notNil: return true
      }
    }
  }

  let clauses: ContiguousArray<Clause>

  /// Whether the record at `p` passes every clause.
  @inline(__always)
  func test(_ p: UnsafePointer<TraceRecord>) -> Bool {
    clauses.withUnsafeBufferPointer { all in
      for c in all where !c.holds(p) { return false }
      return true
    }
  }

  /// How many records of `buffer` pass: one loop over the records in place, calling `test`
  /// directly (no closure call per record).
  func count(in buffer: TraceBuffer) -> Int {
    var n = 0
    buffer.forEachRun { run in
      for i in run.indices where test(run.baseAddress! + i) { n += 1 }
    }
    return n
  }

  func test(_ r: TraceRecord) -> Bool {
    withUnsafePointer(to: r) { test($0) }
  }

  /// The clauses of `e`, or nil when it has another shape. `constant` evaluates a part that
  /// reads no field; `taskIndex` finds a task by name (nil: no such task yet).
  static func make(
    _ e: Expr, constant: (Expr) throws -> Value, taskIndex: (String) -> TaskIndex?,
    threadIndex: (String) -> ThreadIndex?
  ) -> FilterClauses? {
    var clauses = ContiguousArray<Clause>()
    func collect(_ e: Expr) -> Bool {
      guard case .binary(let op, let l, let r, _) = e else { return false }
      if op == "and" { return collect(l) && collect(r) }
      guard let o = ["==": Op.eq, "!=": .ne, "<": .lt, "<=": .le, ">": .gt, ">=": .ge][op] else { return false }
      if case .name(let n, _) = l, let f = Field(rawValue: n), let c = clause(f, o, r) {
        clauses.append(c)
        return true
      }
      if case .name(let n, _) = r, let f = Field(rawValue: n), let c = clause(f, o.flipped, l) {
        clauses.append(c)
        return true
      }
      return false
    }
    func clause(_ field: Field, _ op: Op, _ other: Expr) -> Clause? {
      guard !FilterCompiler.mentionsField(other), let v = try? constant(other) else { return nil }
      switch (field, v) {
      case (_, .nil):
        guard op == .eq || op == .ne else { return nil }
        return Clause(field: field, op: op == .eq ? .isNil : .notNil, value: 0)
      case (.dir, .string(let s)):
        guard let i = FilterCompiler.directions.firstIndex(of: s), op == .eq || op == .ne else { return nil }
        return Clause(field: field, op: op, value: Int64(i))
      case (.type, .string(let s)):
        guard let i = FilterCompiler.kinds.firstIndex(of: s), op == .eq || op == .ne else { return nil }
        return Clause(field: field, op: op, value: Int64(i))
      case (.task, .task(let t, _)) where op == .eq || op == .ne:
        return Clause(field: field, op: op, value: Int64(t))
      case (.task, .string(let s)) where op == .eq || op == .ne:
        return taskIndex(s).map { Clause(field: field, op: op, value: Int64($0)) }
      case (.thread, .thread(let t, _)) where op == .eq || op == .ne:
        return Clause(field: field, op: op, value: Int64(t))
      case (.thread, .string(let s)) where op == .eq || op == .ne:
        return threadIndex(s).map { Clause(field: field, op: op, value: Int64($0)) }
      case (.complex, .bool(let b)) where op == .eq || op == .ne:
        return Clause(field: field, op: op, value: b ? 1 : 0)
      case (.task, _), (.thread, _), (.dir, _), (.type, _), (.complex, _):
        return nil
      default:
        return v.integer.map { Clause(field: field, op: op, value: $0) }
      }
    }
    return collect(e) && !clauses.isEmpty ? FilterClauses(clauses: clauses) : nil
  }
}

extension FilterClauses.Op {
  /// The operator with its operands swapped: `5 < x` is `x > 5`.
  var flipped: Self {
    switch self {
    case .lt: return .gt
    case .le: return .ge
    case .gt: return .lt
    case .ge: return .le
    default: return self
    }
  }
}
