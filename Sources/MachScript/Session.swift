import MachModel
import MachTrace

/// The shell's side of a script: the kernel model, the `shell` task that carries out the
/// omnipotent commands (kernel.md, "Who does what"), the trace buffer, servers and pending
/// operations. It runs the commands the interpreter hands it.
public final class Session: ScriptHost {
  public internal(set) var kernel = Kernel.booted()
  public let interpreter: Interpreter
  public var output: ScriptOutput { interpreter.output }
  /// Reads a file for `source` and `msgids load` (the executable gives the real one).
  public var readFile: (String) -> String? = { _ in nil }
  /// Writes a file for `trace export`: nil when written, else why not.
  public var writeFile: (String, String) -> String? = { _, _ in "no file system" }
  /// Live records and completion lines also print at the prompt.
  public var isInteractive = false

  let shell = Kernel.shellTask
  var shellThread: ThreadIndex { kernel.tasks[Int(shell)].threads[0] }
  /// The shell's name for each task's port: it holds a send right to every task it creates.
  var taskPorts: [TaskIndex: PortName] = [Kernel.shellTask: 1]
  /// Trace ports the shell holds and drains, by traced task.
  var shellTracePorts: [TaskIndex: PortName] = [:]
  /// The shell's send rights to thread ports, by thread (see `threadPortInShell`).
  var shellThreadPorts: [ThreadIndex: PortName] = [:]

  // The trace buffer.
  public internal(set) var records = TraceBuffer()
  var decoder = TraceDecoder()
  /// The live display filter (`filter F`); `filter off` sets `liveOff`. With neither, records
  /// show live at the prompt only (details.md §1).
  var liveFilter: Filter? = nil
  var liveOff = false
  public var format: TraceFormat = .rpctrace
  public var echo = false
  /// Colour for trace lines and completions (`set color`, `--color`); off by default.
  public var colors = TraceColors.none

  /// Replies the shell has seen requested: (task, its reply port's name, the reply's id). A
  /// message arriving there with that id is a MIG reply (details.md §8).
  struct ExpectedReply: Hashable {
    var task: TaskIndex
    var port: PortName
    var id: Int32
  }
  var expectedReplies: Set<ExpectedReply> = []
  /// Operations in progress, in the order they were issued.
  var pendings: [PendingHandle] = []

  /// Threads serving a port (`serve`).
  struct Server {
    var port: PortName
    var kind: String
    var block: [Stmt]?
  }
  var servers: [ThreadIndex: Server] = [:]
  /// The message a serve block is handling: its thread, the request, whether it was answered.
  var currentServe: (ThreadIndex, MessageView, Bool)? = nil
  /// A runtime error in a serve or do block, raised once the command that ran it returns.
  var blockError: ScriptError? = nil
  /// Serve and do blocks being run: inside one, a command runs only its own thread and
  /// never waits (details.md §6).
  var blockDepth = 0

  // Watches (details.md §7).
  var watches: [Watch] = []
  var nextWatchID = 1
  /// A watch (or the end of a `step`) stopped the model; cleared when the model runs again.
  var stopped = false
  /// Records the kernel made in the step that stopped the model, after the one that stopped
  /// it: they enter the buffer when the model runs again.
  var heldRecords: [TraceRecord] = []
  /// A `wait` or `advance` a stop interrupted: `continue` and `step` resume it.
  enum Interrupted {
    case advance(to: UInt64)
    case wait(until: () -> Bool)
  }
  var interrupted: Interrupted? = nil
  /// Records still to let in before `step` stops the model.
  var stepsLeft: Int? = nil
  /// Pumps running, one inside another (see `pump`).
  var pumpDepth = 0
  /// Ctrl-C stopped the model; the running command reports it.
  var userInterrupted = false

  public init(output: ScriptOutput) {
    interpreter = Interpreter(output: output)
    interpreter.host = self
    interpreter.setGlobal("shell", .task(shell, "shell"))
    interpreter.setGlobal("args", .list([]))
    setRC(0, machMsg: false)
    interpreter.last = .nil
    interpreter.now = .int(0)
  }

  /// Runs a whole script; afterwards lists operations still pending on standard error.
  public func run(source: String, file: String) -> RunOutcome {
    let outcome = interpreter.run(source: source, file: file)
    return outcome
  }

  /// A watch or `step` stopped the model and nothing has run it since (`continue` resumes).
  public var isStopped: Bool { stopped || interrupted != nil || !heldRecords.isEmpty }

  /// The operations still pending, as `[TASK.N] COMMAND` lines (shown at exit).
  public var pendingLines: [String] {
    pendings.filter { !$0.isDone }.map { "[\(label($0.thread))] \($0.command)" }
  }

  func setRC(_ code: ReturnCode, machMsg: Bool) {
    interpreter.rc = .code(code, fromMachMsg: machMsg)
  }

  // MARK: - Names

  func taskValue(_ t: TaskIndex) -> Value { .task(t, kernel.tasks[Int(t)].name) }

  func label(_ t: ThreadIndex) -> String {
    let task = kernel.threads[Int(t)].task
    let n = (kernel.tasks[Int(task)].threads.firstIndex(of: t) ?? 0) + 1
    return "\(kernel.tasks[Int(task)].name).\(n)"
  }

  func threadValue(_ t: ThreadIndex) -> Value { .thread(t, label(t)) }

  func portValue(_ task: TaskIndex, _ name: PortName) -> Value {
    .port(task: task, taskName: kernel.tasks[Int(task)].name, name: name)
  }

  // MARK: - Arguments

  func task(_ e: Expr) throws -> TaskIndex {
    switch try interpreter.evaluate(e) {
    case .task(let t, _): return t
    case .string(let s):
      if let i = kernel.tasks.firstIndex(where: { $0.name == s }) { return TaskIndex(i) }
      throw ScriptError("no task is named \(Value.quoted(s))", at: e.location)
    case let v: throw ScriptError("expected a task, found \(v.kindWithArticle)", at: e.location)
    }
  }

  func port(_ e: Expr) throws -> (task: TaskIndex, name: PortName) {
    switch try interpreter.evaluate(e) {
    case .port(let t, _, let n): return (t, n)
    case let v: throw ScriptError("expected a port reference such as server:3, found \(v.kindWithArticle)", at: e.location)
    }
  }

  func integer(_ e: Expr, _ what: String) throws -> Int64 {
    let v = try interpreter.evaluate(e)
    guard let n = v.integer else { throw ScriptError("\(what) must be an int, found \(v.kindWithArticle)", at: e.location) }
    return n
  }

  func uint32(_ e: Expr, _ what: String) throws -> UInt32 {
    let n = try integer(e, what)
    guard let v = UInt32(exactly: n) else { throw ScriptError("\(what) \(n) is out of range", at: e.location) }
    return v
  }

  /// The lowest-numbered idle thread of `task` (or thread N), for task-performed commands.
  func actingThread(_ task: TaskIndex, number: Expr? = nil, at: SourceLocation) throws -> ThreadIndex {
    let threads = kernel.tasks[Int(task)].threads
    if let number {
      let n = try integer(number, "a thread number")
      guard n >= 1, n <= threads.count else { throw ScriptError("\(kernel.tasks[Int(task)].name) has no thread \(n)", at: number.location) }
      let t = threads[Int(n - 1)]
      guard kernel.threads[Int(t)].state == .idle, servers[t] == nil else {
        throw ScriptError("\(label(t)) is busy", at: number.location)
      }
      return t
    }
    guard kernel.tasks[Int(task)].isActive else { throw ScriptError("\(kernel.tasks[Int(task)].name) is terminated", at: at) }
    if let t = threads.first(where: { kernel.threads[Int($0)].state == .idle && servers[$0] == nil }) { return t }
    let busy = threads.filter { kernel.threads[Int($0)].state != .terminated }.map(label)
    throw ScriptError("\(kernel.tasks[Int(task)].name) has no idle thread (busy: \(busy.joined(separator: ", ")))", at: at)
  }

  // MARK: - References and fields

  public func reference(_ e: Expr, in interpreter: Interpreter) throws -> Value {
    switch e {
    case .portRef(let t, let n, _):
      let task = try self.task(t)
      return portValue(task, try uint32(n, "a port name"))
    case .threadRef(let t, let n, let at):
      let task = try self.task(t)
      let threads = kernel.tasks[Int(task)].threads
      guard n >= 1, n <= threads.count else { throw ScriptError("\(kernel.tasks[Int(task)].name) has no thread \(n)", at: at) }
      return threadValue(threads[Int(n - 1)])
    case .selfRef(let x, let at):
      return try selfReference(of: try interpreter.evaluate(x), at: at)
    default:
      return try interpreter.evaluate(e)
    }
  }

  public func field(_ value: Value, _ name: String, at: SourceLocation) throws -> Value {
    func missing() -> ScriptError { ScriptError("\(value.kindWithArticle) has no field '\(name)'", at: at) }
    switch value {
    case .task(let t, let n):
      switch name {
      case "name": return .string(n)
      case "state": return .string(kernel.tasks[Int(t)].state)
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
      guard let v = recordFields(r, withBody: name == "body")[name] else { throw missing() }
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
  /// start-up) and `TASK.N.self` (made the first time it is used, details.md §3).
  func selfReference(of value: Value, at: SourceLocation) throws -> Value {
    switch value {
    case .task(let t, _):
      guard let name = kernel.tasks[Int(t)].space.name(of: kernel.tasks[Int(t)].kernelPort) else {
        throw ScriptError("\(kernel.tasks[Int(t)].name) holds no send right to its own task port", at: at)
      }
      return portValue(t, name)
    case .thread(let th, _):
      let task = kernel.threads[Int(th)].task
      if let name = kernel.tasks[Int(task)].space.name(of: kernel.threads[Int(th)].kernelPort) { return portValue(task, name) }
      return portValue(task, kernel.giveThreadSelfName(th))
    default:
      throw ScriptError("'self' needs a task or a thread, found \(value.kindWithArticle)", at: at)
    }
  }

  func threadState(_ t: ThreadIndex) -> String {
    let th = kernel.threads[Int(t)]
    if th.state == .terminated { return "terminated" }
    if th.suspendCount > 0 || kernel.tasks[Int(th.task)].suspendCount > 0 { return "suspended" }
    return th.state == .idle && servers[t] == nil ? "idle" : "blocked"
  }

  /// `threadState` (the `state` field's contract, language.md §2) with, for `info threads`,
  /// what a blocked thread waits in.
  func threadStateDetail(_ t: ThreadIndex) -> String {
    let state = threadState(t)
    guard state == "blocked" else { return state }
    if servers[t] != nil { return "blocked (serving)" }
    switch kernel.threads[Int(t)].state {
    case .blockedInSend: return "blocked (in send)"
    case .blockedInReceive: return "blocked (in receive)"
    case .blockedInException: return "blocked (in exception)"
    case .blockedInTrace: return "blocked (on its trace port)"
    default: return state
    }
  }

  func portField(_ t: TaskIndex, _ n: PortName, _ name: String, at: SourceLocation) throws -> Value {
    switch name {
    case "task": return taskValue(t)
    case "name": return .int(Int64(n))
    case "port":
      guard let o = kernel.tasks[Int(t)].space.lookup(n)?.object, o >= 0 else { return .nil }
      return .string("0x" + String(Kernel.address(of: o), radix: 16))
    case "rights":
      let type = kernel.tasks[Int(t)].space.lookup(n)?.type ?? 0
      var rights: [Value] = []
      for (bit, word) in [(PortType.send, "send"), (PortType.receive, "receive"), (PortType.sendOnce, "send_once"),
                          (PortType.portSet, "portset"), (PortType.deadName, "dead")] where type & bit != 0 {
        rights.append(.string(word))
      }
      return .list(rights)
    case "urefs": return .int(Int64(kernel.tasks[Int(t)].space.lookup(n)?.urefs ?? 0))
    case "queued", "qlimit", "seqno":
      guard let s = kernel.portGetReceiveStatus(t, n).1 else { return .nil }
      return .int(Int64(name == "queued" ? s.messageCount : name == "qlimit" ? s.qlimit : s.seqno))
    default:
      throw ScriptError("a port reference has no field '\(name)'", at: at)
    }
  }

  public func call(_ name: String, _ args: [Expr], in interpreter: Interpreter, at: SourceLocation) throws -> Value? {
    switch name {
    case "count", "first", "records":
      guard args.count == 1 else { throw ScriptError("'\(name)' takes a filter", at: at) }
      let filter = try compileFilter(args[0])
      switch name {
      case "count":
        if let fast = filter.fastTest { return .int(Int64(records.count(whereRecordAt: fast))) }
        return .int(Int64(try records.count(where: filter.test)))
      case "first": return try records.first(where: filter.test).map(recordValue) ?? .nil
      default: return .list(try records.filter(filter.test).map(recordValue))
      }
    case "decode":
      guard args.count == 1 else { throw ScriptError("'decode' takes a received message", at: at) }
      guard case .message(let m) = try interpreter.evaluate(args[0]) else {
        throw ScriptError("'decode' takes a received trace message (receive it from a trace port)", at: args[0].location)
      }
      let space = kernel.tasks[Int(m.task)].space
      let result = decoder.decode(traceMessage: m.bytes) { [kernel] name in
        guard let o = space.lookup(name)?.object, o >= 0 else { return (nil, nil) }
        return (kernel.taskOf(port: o), kernel.threadOf(port: o))
      }
      switch result {
      case .success(let record): return recordValue(record)
      case .failure(let error): throw ScriptError("cannot decode: \(error)", at: args[0].location)
      }
    default:
      return nil
    }
  }

  public func statement(_ s: Stmt, in interpreter: Interpreter) throws {
    switch s {
    case .source(let e, let at):
      guard case .string(let path) = try interpreter.evaluate(e) else { throw ScriptError("'source' needs a file name", at: at) }
      let resolved = path.hasPrefix("/") ? path : directory(of: at.file) + path
      guard let text = readFile(resolved) else { throw ScriptError("cannot read \(Value.quoted(resolved))", at: at) }
      switch interpreter.run(source: text, file: resolved) {
      case .error: throw ScriptError("errors in \(Value.quoted(resolved))", at: at)
      default: break
      }
    case .help(let topic, _):
      output.write(Help.text(topic) + "\n")
    case .explain(let e, let at):
      let v: Value = try e.map { try interpreter.evaluate($0) } ?? (interpreter.rc)
      output.write(try Help.explain(v, session: self, at: at) + "\n")
    default:
      break
    }
  }

  private func directory(of file: String) -> String {
    guard let slash = file.lastIndex(of: "/") else { return "" }
    return String(file[...slash])
  }
}
