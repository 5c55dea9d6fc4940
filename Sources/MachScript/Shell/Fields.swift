import MachModel
import MachTrace

// `TASK:NAME`, `TASK.N`, `X.self` and `value.field` for the shell's kinds of value
// (docs/language.md, Values).

extension Session {
  public func reference(_ e: Expr, in interpreter: Interpreter) throws -> Value {
    switch e {
    case .portRef(let t, let n, _):
      let task = try self.task(t)
      return portValue(task, try uint32(n, "a port name"))
    case .threadRef(let t, let n, let at):
      let task = try self.task(t)
      let threads = kernel.tasks[Int(task)].threads
      guard n >= 1, n <= threads.count else {
        throw ScriptError("\(kernel.tasks[Int(task)].name) has no thread \(n)", at: at)
      }
      return threadValue(threads[Int(n - 1)])
    case .selfRef(let x, let at):
      return try selfReference(of: try interpreter.evaluate(x), at: at)
    default:
      return try interpreter.evaluate(e)
    }
  }

  /// The fields of each kind of value, by kind (Tab offers them after a `.`).
  static let fieldNames: [String: [String]] = [
    "task": ["name", "state", "threads", "self"],
    "thread": ["task", "state", "self"],
    "port reference": ["task", "name", "port", "rights", "urefs", "queued", "qlimit", "seqno"],
    "message": ["id", "size", "seqno", "dest", "reply", "complex", "body", "retval"],
    "watch": ["id", "hits", "enabled"],
    "pending operation": ["done", "value", "rc", "thread", "command"],
  ]

  public func field(_ value: Value, _ name: String, at: SourceLocation) throws -> Value {
    func missing() -> ScriptError {
      var known: [String]
      switch value {
      case .record: known = FilterCompiler.fields.sorted()
      case .fields(let fields): known = fields.map(\.0)
      case .message(let m): known = Self.fieldNames["message"]! + m.outputs.map(\.0)
      default: known = Self.fieldNames[value.kindName] ?? []
      }
      let list = known.isEmpty ? "" : " (its fields: \(known.joined(separator: ", ")))"
      return ScriptError("\(value.kindWithArticle) has no field '\(name)'\(list)", at: at)
    }
    switch value {
    case .task(let t, let n):
      switch name {
      case "name": return .string(n)
      case "state": return .string(taskState(t))
      case "threads": return .list(kernel.tasks[Int(t)].threads.map(threadValue))
      case "self": return try selfReference(of: value, at: at)
      default: throw missing()
      }
    case .thread(let t, _):
      switch name {
      case "task": return taskValue(kernel.threads[Int(t)].task)
      case "state": return .string(threadState(t))
      case "self": return try selfReference(of: value, at: at)
      default: throw missing()
      }
    case .port(let t, _, let n):
      return try portField(t, n, name, at: at)
    case .message(let m):
      switch name {
      case "id": return .int(Int64(m.id))
      case "size": return .int(Int64(m.size))
      case "seqno": return .int(Int64(m.seqno))
      case "dest": return m.dest
      case "reply": return m.reply
      case "complex": return .bool(m.complex)
      case "body": return .list(bodyValues(m))
      case "retval": return m.retval.map { .code($0, fromMachMsg: false) } ?? .nil
      default:
        if let v = m.outputs.first(where: { $0.0 == name })?.1 { return v }
        throw missing()
      }
    case .record(let r, _):
      guard let v = recordFields(r, withBody: name == "body", withArgs: name == "args")[name] else { throw missing() }
      return v
    case .fields(let fields):
      guard let v = fields.first(where: { $0.0 == name })?.1 else { throw missing() }
      return v
    case .watch(let w):
      switch name {
      case "id": return .int(Int64(w.id))
      case "hits": return .int(Int64(w.hits))
      case "enabled": return .bool(w.enabled && !w.removed)
      default: throw missing()
      }
    case .pending(let handle):
      guard let p = handle else { throw missing() }
      switch name {
      case "done": return .bool(p.isDone)
      case "value": return p.value
      case "rc": return p.isDone ? .code(p.rc, fromMachMsg: true) : .nil
      case "thread": return threadValue(p.thread)
      case "command": return .string(p.command)
      default: throw missing()
      }
    default:
      throw missing()
    }
  }

  /// `TASK.self` (what `mach_task_self()` returns in the task: name 1 after glibc's
  /// start-up) and `TASK.N.self` (made the first time it is used, docs/shell.md §3).
  func selfReference(of value: Value, at: SourceLocation) throws -> Value {
    switch value {
    case .task(let t, _):
      guard let name = kernel.tasks[Int(t)].space.name(of: kernel.tasks[Int(t)].kernelPort) else {
        throw ScriptError("\(kernel.tasks[Int(t)].name) holds no send right to its own task port", at: at)
      }
      return portValue(t, name)
    case .thread(let th, _):
      let task = kernel.threads[Int(th)].task
      if let name = kernel.tasks[Int(task)].space.name(of: kernel.threads[Int(th)].kernelPort) {
        return portValue(task, name)
      }
      return portValue(task, mutate { k in k.giveThreadSelfName(th) })
    default:
      throw ScriptError("'self' needs a task or a thread, found \(value.kindWithArticle)", at: at)
    }
  }

  func portField(_ t: TaskIndex, _ n: PortName, _ name: String, at: SourceLocation) throws -> Value {
    switch name {
    case "task": return taskValue(t)
    case "name": return .int(Int64(n))
    case "port":
      guard let o = kernel.tasks[Int(t)].space.lookup(n)?.object, o >= 0 else { return .nil }
      return .string(address(o))
    case "rights":
      return .list(rightWords(kernel.tasks[Int(t)].space.lookup(n)?.type ?? 0).map(Value.string))
    case "urefs": return .int(Int64(kernel.tasks[Int(t)].space.lookup(n)?.urefs ?? 0))
    case "queued", "qlimit", "seqno":
      guard let s = kernel.portGetReceiveStatus(t, n).1 else { return .nil }
      return .int(Int64(name == "queued" ? s.messageCount : name == "qlimit" ? s.qlimit : s.seqno))
    default:
      throw ScriptError("a port reference has no field '\(name)'", at: at)
    }
  }
}
