import MachModel
import MachTrace

// The commands of language.md §5, carried out by the party kernel.md "Who does what" names,
// with the sequences and return values of details.md §4 and §5.

extension Session {
  public func run(_ c: Command, in interpreter: Interpreter) throws -> Value {
    let value = try dispatch(c)
    if userInterrupted {
      userInterrupted = false
      throw ScriptError("interrupted (the model is stopped; 'continue' resumes it)", at: c.location)
    }
    if let e = blockError {
      blockError = nil
      throw e
    }
    return value
  }

  private func dispatch(_ c: Command) throws -> Value {
    switch c.name {
    case "spawn": return try spawn(c)
    case "thread": return try threadCommand(c)
    case "kill", "suspend", "resume", "abort": return try taskRPC(c)
    case "setport", "trace": return try setport(c)
    case "untrace": return try untrace(c)
    case "getport": return try getport(c)
    case "allocate": return try allocate(c)
    case "insert": return try insert(c)
    case "deallocate", "destroy", "modrefs", "qlimit", "move", "notify": return try portCommand(c)
    case "send": return try send(c)
    case "receive": return try receive(c)
    case "rpc": return try rpc(c)
    case "raise": return try raise(c)
    case "serve": return try serveCommand(c)
    case "reply": return try replyCommand(c)
    case "trace show": return try traceShow(c)
    case "trace stats": return try traceStats(c)
    case "trace export": return try traceExport(c)
    case "trace clear":
      records.removeAll()
      interpreter.last = .nil
      return .nil
    case "filter":
      if case .name("off", _) = c.arguments[0] {
        liveFilter = nil
        liveOff = true
      } else {
        liveFilter = try compileFilter(c.arguments[0])
        liveOff = false
      }
      return .nil
    case "info tasks", "info task", "info threads", "info ports", "info port", "info queue": return try info(c)
    case "console":
      if kernel.consoleDropped > 0 {
        let n = kernel.consoleDropped
        output.writeError("note: \(n) older console line\(n == 1 ? " was" : "s were") dropped (the console keeps the newest \(Kernel.consoleLimit))\n")
      }
      for line in kernel.console { output.write(line + "\n") }
      return .list(kernel.console.map(Value.string))
    case "set": return try set(c)
    case "advance":
      let ms = try integer(c.arguments[0], "a number of milliseconds")
      guard ms >= 0 else { throw ScriptError("cannot go back in time", at: c.arguments[0].location) }
      try notInBlock(c)
      advance(to: kernel.now &+ UInt64(ms) * 1000)
      return .nil
    case "wait":
      try notInBlock(c)
      if let e = c.arguments.first, case .pending(let handle?) = try interpreter.evaluate(e) {
        waitUntilQuiet { handle.isDone }
        return handle.isDone ? handle.value : .pending(handle)
      }
      waitUntilQuiet()
      return .nil
    case "run":
      try notInBlock(c)
      pump()
      return .nil
    case "watch": return try watch(c)
    case "unwatch", "enable", "disable": return try unwatch(c)
    case "watches":
      listWatches()
      return .nil
    case "continue", "step":
      try notInBlock(c)
      return try resume(c)
    case "msgids load": return try loadMsgids(c)
    default:
      throw ScriptError("internal error: no handler for '\(c.name)' (please report it)", at: c.location)
    }
  }

  // MARK: - Tasks and threads (the shell's RPCs)

  /// An RPC from the shell's thread, which always completes: kernel ports answer at once.
  func shellRPC(_ name: String, _ target: PortName, _ args: [MigValue], at: SourceLocation) throws -> MigReply? {
    let outcome = kernel.rpc(shellThread, RoutineTable.routine(named: name)!, target: target, arguments: args)
    return try settle(outcome, blocked: ScriptError("the shell's \(name) did not complete", at: at))
  }

  func taskPort(_ t: TaskIndex) -> PortName { taskPorts[t] ?? MachPort.null }

  private func spawn(_ c: Command) throws -> Value {
    guard case .name(let name, let at) = c.arguments[0] else {
      throw ScriptError("spawn needs a task name", at: c.arguments[0].location)
    }
    if name == "shell" || kernel.tasks.contains(where: { $0.name == name }) || interpreter.global(name) != nil
      || Builtins.names.contains(name) || Interpreter.readOnly.contains(name) || Constants.all[name] != nil
    {
      throw ScriptError("'\(name)' is taken: a task needs a name of its own", at: at)
    }
    let parent = try c.option("parent").map { try task($0.values[0]) } ?? shell
    guard let created = try shellRPC("task_create", taskPort(parent), [.int(0)], at: c.location), created.retCode == 0,
      case .port(let childName, _)? = created["child_task"],
      let child = kernel.taskOf(port: kernel.tasks[Int(shell)].space.lookup(childName)?.object ?? -1)
    else { return .nil }
    kernel.setTaskName(child, name)
    taskPorts[child] = childName
    interpreter.setGlobal(name, taskValue(child))
    guard let made = try shellRPC("thread_create", childName, [], at: c.location), made.retCode == 0,
      case .port(let threadName, _)? = made["child_thread"]
    else { return .nil }
    guard try shellRPC("thread_resume", threadName, [], at: c.location)?.retCode == 0 else { return .nil }
    _ = kernel.portDeallocate(shell, threadName)
    _ = kernel.giveTaskSelfName(child)  // glibc's start-up: name 1 is the task's own port
    setRC(0, machMsg: false)
    return taskValue(child)
  }

  private func threadCommand(_ c: Command) throws -> Value {
    let t = try task(c.arguments[0])
    guard let made = try shellRPC("thread_create", taskPort(t), [], at: c.location), made.retCode == 0,
      case .port(let name, _)? = made["child_thread"],
      let thread = kernel.threadOf(port: kernel.tasks[Int(shell)].space.lookup(name)?.object ?? -1)
    else { return .nil }
    guard try shellRPC("thread_resume", name, [], at: c.location)?.retCode == 0 else { return .nil }
    _ = kernel.portDeallocate(shell, name)
    setRC(0, machMsg: false)
    return threadValue(thread)
  }

  /// kill, suspend, resume (a task or a thread) and abort (a thread): one RPC from the shell
  /// to the task's or the thread's kernel port.
  private func taskRPC(_ c: Command) throws -> Value {
    let target = try interpreter.evaluate(c.arguments[0])
    if case .thread(let th, _) = target {
      if kernel.threads[Int(th)].task == shell && c.name != "abort" {
        throw ScriptError("the shell's own threads are not for \(c.name)", at: c.arguments[0].location)
      }
      let routine = ["kill": "thread_terminate", "suspend": "thread_suspend", "resume": "thread_resume", "abort": "thread_abort"][c.name]!
      _ = try shellRPC(routine, try threadPortInShell(th), [], at: c.location)
      return interpreter.rc
    }
    if c.name == "abort" {
      throw ScriptError("abort needs a thread (such as server.1), found \(target.kindWithArticle)", at: c.arguments[0].location)
    }
    let t = try task(c.arguments[0])
    if t == shell && c.name == "kill" { throw ScriptError("the shell cannot kill itself", at: c.location) }
    let routine = ["kill": "task_terminate", "suspend": "task_suspend", "resume": "task_resume"][c.name]!
    _ = try shellRPC(routine, taskPort(t), [], at: c.location)
    return interpreter.rc
  }

  static let slots: [String: Int32] = ["kernel": 1, "exception": 3, "bootstrap": 4, "trace": 5]

  private func slot(_ e: Expr) throws -> Int32 {
    if case .name(let w, _) = e, let s = Self.slots[w] { return s }
    return Int32(truncatingIfNeeded: try integer(e, "a special port slot"))
  }

  /// setport T SLOT PORTREF, trace T [to PORTREF], trace T (details.md §4).
  private func setport(_ c: Command) throws -> Value {
    let target = try interpreter.evaluate(c.arguments[0])
    let slot: Int32
    var source: (task: TaskIndex, name: PortName)
    if c.name == "trace" {
      slot = SpecialPort.taskTrace
      if let to = c.option("to") {
        source = try port(to.values[0])
      } else {
        // A new port in the shell, drained into the trace buffer.
        guard case .task(let t, _) = target else { throw ScriptError("trace needs a task", at: c.arguments[0].location) }
        if let old = shellTracePorts[t], kernel.tasks[Int(t)].specialPorts[Int(SpecialPort.taskTrace)] >= 0 {
          _ = old  // replaced below; the old port is destroyed once unused (details.md §4)
        }
        let (_, name) = kernel.portAllocate(shell, right: PortRight.receive.rawValue)
        _ = kernel.setHostDrained(shell, name)
        let old = shellTracePorts[t]
        shellTracePorts[t] = name
        _ = try shellRPC("task_set_special_port", taskPort(t), [.int(slot), .port(name, disposition: MsgType.makeSend)], at: c.location)
        if let old, !(shellTracePorts.values.contains(old)) { _ = kernel.portDestroy(shell, old) }
        return interpreter.rc
      }
    } else {
      slot = try self.slot(c.arguments[1])
      source = try port(c.arguments[2])
    }
    let holdsSend = kernel.tasks[Int(source.task)].space.lookup(source.name)?.has(PortType.send) == true
    guard let extracted = try shellRPC(
      "mach_port_extract_right", taskPort(source.task),
      [.name(source.name), .int(Int32(holdsSend ? MsgType.copySend : MsgType.makeSend))], at: c.location),
      extracted.retCode == 0, case .port(let inShell, _)? = extracted["poly"]
    else { return interpreter.rc }
    let right = MigValue.port(inShell, disposition: MsgType.moveSend)
    switch target {
    case .task(let t, _):
      _ = try shellRPC("task_set_special_port", taskPort(t), [.int(slot), right], at: c.location)
    case .thread(let th, _):
      let name = try threadPortInShell(th)
      _ = try shellRPC("thread_set_special_port", name, [.int(slot), right], at: c.location)
    default:
      throw ScriptError("setport needs a task or a thread", at: c.arguments[0].location)
    }
    return interpreter.rc
  }

  /// The shell's send right to a thread's port (copied from the thread's task).
  /// The shell's send right to a thread's kernel port: taken once, as a copy of the right the
  /// kernel holds (what thread_get_special_port(THREAD_KERNEL_PORT) gives), and kept, as the
  /// shell keeps its task ports. Nothing changes in the thread's own task. Once the thread is
  /// gone the name is a dead name, so an RPC through it gets MACH_SEND_INVALID_DEST.
  private func threadPortInShell(_ th: ThreadIndex) throws -> PortName {
    let space = kernel.tasks[Int(shell)].space
    if let name = shellThreadPorts[th], let e = space.lookup(name),
      e.has(PortType.deadName) || (e.has(PortType.send) && e.object == kernel.threads[Int(th)].kernelPort)
    {
      return name
    }
    let (code, right) = kernel.threadGetSpecialPort(th, slot: SpecialPort.threadKernel)
    let name = code == KernReturn.success && right >= 0
      ? kernel.copyoutKernelRight(shell, right, carriedType: MsgType.portSend)
      : kernel.portAllocate(shell, right: PortRight.deadName.rawValue).1  // the thread is gone
    shellThreadPorts[th] = name
    return name
  }

  private func untrace(_ c: Command) throws -> Value {
    let t = try task(c.arguments[0])
    _ = try shellRPC("task_set_special_port", taskPort(t), [.int(SpecialPort.taskTrace), .port(0, disposition: MsgType.copySend)], at: c.location)
    return interpreter.rc
  }

  private func getport(_ c: Command) throws -> Value {
    let target = try interpreter.evaluate(c.arguments[0])
    let slot = try self.slot(c.arguments[1])
    let reply: MigReply?
    switch target {
    case .task(let t, _): reply = try shellRPC("task_get_special_port", taskPort(t), [.int(slot)], at: c.location)
    case .thread(let th, _): reply = try shellRPC("thread_get_special_port", try threadPortInShell(th), [.int(slot)], at: c.location)
    default: throw ScriptError("getport needs a task or a thread", at: c.arguments[0].location)
    }
    guard let reply, reply.retCode == 0, case .port(let name, _)? = reply["special_port"], MachPort.isValid(name) else { return .nil }
    return portValue(shell, name)
  }

  // MARK: - Ports (a thread of the task itself)

  /// A task-performed call: the shortcut trap where GNU Mach has one, else the RPC to the
  /// task's own port (details.md §5: a trap's fallback is invisible). It waits like any
  /// command: a call that blocks (the task is suspended, or its trace port is full) returns a
  /// pending handle, and `finish` makes the command's value from the reply (nil when mach_msg
  /// failed) once it comes.
  private func taskCall(
    _ task: TaskIndex, _ routineName: String, _ args: [MigValue], _ c: Command,
    finish: @escaping (Session, MigReply?) -> Value
  ) throws -> Value {
    let t = try actingThread(task, at: c.location)
    let me = kernel.tasks[Int(task)].space.name(of: kernel.tasks[Int(task)].kernelPort) ?? MachPort.null
    let routine = RoutineTable.routine(named: routineName)!
    var immediate: RPCOutcome? = nil
    return perform(t, command: c.source, deadline: nil, background: c.background, start: { s in
      let outcome = s.kernel.call(t, routine, target: me, arguments: args)
      guard case .inProgress = outcome else {
        immediate = outcome
        return MachMsgReturn.success
      }
      return s.kernel.threads[Int(t)].state == .blockedInReceive ? MachMsgReturn.rcvInProgress : MachMsgReturn.sendInProgress
    }, finish: { s, code in
      switch immediate ?? s.kernel.finishRPC(t, routine, code) {
      case .completed(let reply):
        s.setRC(reply.retCode, machMsg: false)
        return finish(s, reply)
      case .failed(let code):
        s.setRC(code, machMsg: true)
        return finish(s, nil)
      case .inProgress:
        return finish(s, nil)
      }
    })
  }

  /// Sets `rc` from a call's outcome and runs the model on: the reply, nil when mach_msg
  /// failed, or `blocked` thrown when the call could not complete (the shell's own calls on
  /// kernel ports always complete).
  private func settle(_ outcome: RPCOutcome, blocked: ScriptError) throws -> MigReply? {
    defer { pump() }
    switch outcome {
    case .completed(let reply):
      setRC(reply.retCode, machMsg: false)
      return reply
    case .failed(let code):
      setRC(code, machMsg: true)
      return nil
    case .inProgress:
      throw blocked
    }
  }

  static let rightKinds: [String: UInt32] = ["send": 0, "receive": 1, "send_once": 2, "portset": 3, "dead": 4]

  private func rightKind(_ e: Expr) throws -> UInt32 {
    if case .name(let w, _) = e, let r = Self.rightKinds[w] { return r }
    return try uint32(e, "a right kind")
  }

  static let dispositions: [String: UInt32] = [
    "move_receive": 16, "move_send": 17, "move_send_once": 18, "copy_send": 19, "make_send": 20, "make_send_once": 21,
  ]

  func disposition(_ e: Expr) throws -> UInt32 {
    if case .name(let w, _) = e, let d = Self.dispositions[w] { return d }
    let d = try uint32(e, "a disposition")
    guard MsgType.isPort(d) else { throw ScriptError("\(d) is not a port disposition (16...21)", at: e.location) }
    return d
  }

  private func allocate(_ c: Command) throws -> Value {
    let t = try task(c.arguments[0])
    let right = try c.arguments.count > 1 ? rightKind(c.arguments[1]) : PortRight.receive.rawValue
    return try taskCall(t, "mach_port_allocate", [.int(Int32(right))], c) { s, reply in
      guard let reply, reply.retCode == 0, case .name(let name)? = reply["name"] else { return .nil }
      return s.portValue(t, name)
    }
  }

  /// insert T RIGHT PORTREF [name N]: extract_right into the shell, insert_right into T
  /// (details.md §3, §4).
  private func insert(_ c: Command) throws -> Value {
    let t = try task(c.arguments[0])
    let right = try disposition(c.arguments[1])
    let source = try port(c.arguments[2])
    var name: PortName
    if let n = c.option("name") {
      name = try uint32(n.values[0], "a port name")
    } else if right != MsgType.makeSendOnce && right != MsgType.moveSendOnce,
      let o = kernel.tasks[Int(source.task)].space.lookup(source.name)?.object, o >= 0,
      let existing = kernel.tasks[Int(t)].space.name(of: o)
    {
      name = existing
    } else {
      name = 1
      while kernel.tasks[Int(t)].space.lookup(name) != nil { name += 1 }
    }
    guard let extracted = try shellRPC("mach_port_extract_right", taskPort(source.task), [.name(source.name), .int(Int32(right))], at: c.location),
      extracted.retCode == 0, case .port(let inShell, let carried)? = extracted["poly"]
    else { return .nil }
    let moved: UInt32 = carried == MsgType.portReceive ? MsgType.moveReceive : carried == MsgType.portSendOnce ? MsgType.moveSendOnce : MsgType.moveSend
    guard try shellRPC("mach_port_insert_right", taskPort(t), [.name(name), .port(inShell, disposition: moved)], at: c.location)?.retCode == 0
    else { return .nil }
    return portValue(t, name)
  }

  private func portCommand(_ c: Command) throws -> Value {
    let p = try port(c.arguments[0])
    /// The command's value: the RetCode, or mach_msg's code when the call failed.
    let result: (Session, MigReply?) -> Value = { s, _ in s.interpreter.rc }
    switch c.name {
    case "deallocate": return try taskCall(p.task, "mach_port_deallocate", [.name(p.name)], c, finish: result)
    case "destroy": return try taskCall(p.task, "mach_port_destroy", [.name(p.name)], c, finish: result)
    case "modrefs":
      let right = try rightKind(c.arguments[1])
      let delta = try integer(c.arguments[2], "a delta")
      return try taskCall(p.task, "mach_port_mod_refs", [.name(p.name), .int(Int32(right)), .int(Int32(truncatingIfNeeded: delta))], c, finish: result)
    case "qlimit":
      let limit = try integer(c.arguments[1], "a queue limit")
      return try taskCall(p.task, "mach_port_set_qlimit", [.name(p.name), .int(Int32(truncatingIfNeeded: limit))], c, finish: result)
    case "move":
      guard let to = c.option("to") else { throw ScriptError("move needs 'to PORTSET' (or 'to none')", at: c.location) }
      var after = MachPort.null
      if case .name("none", _) = to.values[0] {} else {
        let set = try port(to.values[0])
        guard set.task == p.task else { throw ScriptError("the set must be in the same task", at: to.location) }
        after = set.name
      }
      return try taskCall(p.task, "mach_port_move_member", [.name(p.name), .name(after)], c, finish: result)
    default:  // notify PORTREF KIND to PORTREF [sync N]
      guard case .name(let kind, _) = c.arguments[1],
        let id = ["no_senders": NotifyID.noSenders, "dead_name": NotifyID.deadName, "port_destroyed": NotifyID.portDestroyed][kind]
      else { throw ScriptError("notify needs no_senders, dead_name or port_destroyed", at: c.arguments[1].location) }
      guard let to = c.option("to") else { throw ScriptError("notify needs 'to PORTREF'", at: c.location) }
      let target = try port(to.values[0])
      guard target.task == p.task else { throw ScriptError("the notify port must be in the same task", at: to.location) }
      let sync = try c.option("sync").map { try uint32($0.values[0], "sync") } ?? 0
      return try taskCall(p.task, "mach_port_request_notification",
                          [.name(p.name), .int(id), .int(Int32(sync)), .port(target.name, disposition: MsgType.makeSendOnce)], c) { s, reply in
        let rc = s.interpreter.rc
        // The previous send-once right GNU Mach returns is destroyed (details.md §13).
        if let reply, case .port(let previous, _)? = reply["previous"], MachPort.isValid(previous) {
          _ = s.kernel.portDeallocate(p.task, previous)
          s.pump()
        }
        return rc
      }
    }
  }
}
