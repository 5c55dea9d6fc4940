import MachModel

// Tasks and threads: RPCs from the shell's thread to kernel ports (docs/shell.md §4).

extension CommandRegistry {
  static let tasks: [CommandEntry] = [
    CommandEntry(
      "spawn", .tasks, usage: ["spawn NAME [parent TASK]"],
      summary: "a new task with one thread, made by the shell", returns: "the task",
      help: """
        task_create, thread_create and thread_resume from the shell; binds NAME to the task. Name 1
        in the new task is its own task port, as glibc's start-up makes it. The child inherits its
        parent's special and registered ports (the shell's when no parent is given).
        """,
      required: [.anything], options: ["parent": .atom(.task)]
    ) { s, c in try s.spawn(c) },
    CommandEntry(
      "thread", .tasks, usage: ["thread TASK"], summary: "thread_create, thread_resume", returns: "the thread",
      required: [.task]
    ) { s, c in try s.threadCommand(c) },
    CommandEntry(
      "kill", .tasks, usage: ["kill TASK|THREAD"], summary: "task_terminate, or thread_terminate for a thread",
      returns: "rc", required: [.taskOrThread]
    ) { s, c in try s.taskOrThreadRPC(c, task: "task_terminate", thread: "thread_terminate") },
    CommandEntry(
      "suspend", .tasks, usage: ["suspend TASK|THREAD"], summary: "task_suspend, or thread_suspend for a thread",
      returns: "rc", required: [.taskOrThread]
    ) { s, c in try s.taskOrThreadRPC(c, task: "task_suspend", thread: "thread_suspend") },
    CommandEntry(
      "resume", .tasks, usage: ["resume TASK|THREAD"], summary: "task_resume, or thread_resume for a thread",
      returns: "rc", required: [.taskOrThread]
    ) { s, c in try s.taskOrThreadRPC(c, task: "task_resume", thread: "thread_resume") },
    CommandEntry(
      "abort", .tasks, usage: ["abort THREAD"],
      summary: "thread_abort: end a blocked send, receive or exception wait", returns: "rc",
      help: """
        From the shell. A blocked send ends MACH_SEND_INTERRUPTED (its message handed back), a
        blocked receive MACH_RCV_INTERRUPTED, an exception wait ends without an answer (`raise`
        returns MACH_RCV_PORT_DIED); a thread waiting for trace room gets KERN_ABORTED.
        """, required: [.thread]
    ) { s, c in try s.taskOrThreadRPC(c, task: nil, thread: "thread_abort") },
  ]
}

extension Session {
  func spawn(_ c: Command) throws -> Value {
    guard case .name(let name, let at) = c.arguments[0] else {
      throw ScriptError("spawn needs a task name", at: c.arguments[0].location)
    }
    if name == "shell" || kernel.tasks.contains(where: { $0.name == name }) || interpreter.lookup(name) != nil
      || Builtins.names.contains(name) || Interpreter.readOnly.contains(name)
    {
      throw ScriptError("'\(name)' is taken: a task needs a name of its own", at: at)
    }
    let parent = try c.option("parent").map { try task($0.values[0]) } ?? shell
    guard let created = try shellRPC("task_create", taskPort(parent), [.int(0)], at: c.location),
      created.retCode == 0, case .port(let childName, _)? = created["child_task"],
      let child = kernel.taskOf(port: kernel.tasks[Int(shell)].space.lookup(childName)?.object ?? -1)
    else { return .nil }
    mutate { k in k.setTaskName(child, name) }
    rights.setTaskPort(child, childName)
    interpreter.setGlobal(name, taskValue(child))
    guard let made = try shellRPC("thread_create", childName, [], at: c.location), made.retCode == 0,
      case .port(let threadName, _)? = made["child_thread"]
    else { return .nil }
    guard try shellRPC("thread_resume", threadName, [], at: c.location)?.retCode == 0 else { return .nil }
    _ = mutate { [shell] k in k.portDeallocate(shell, threadName) }
    _ = mutate { k in k.giveTaskSelfName(child) }  // glibc's start-up: name 1 is the task's own port
    setRC(0, machMsg: false)
    return taskValue(child)
  }

  /// thread_create and thread_resume from the shell: a new thread of `task`.
  func newThread(in task: TaskIndex, at: SourceLocation) throws -> ThreadIndex? {
    guard let made = try shellRPC("thread_create", taskPort(task), [], at: at), made.retCode == 0,
      case .port(let name, _)? = made["child_thread"],
      let thread = kernel.threadOf(port: kernel.tasks[Int(shell)].space.lookup(name)?.object ?? -1)
    else { return nil }
    let resumed = try shellRPC("thread_resume", name, [], at: at)
    _ = mutate { [shell] k in k.portDeallocate(shell, name) }
    return resumed == nil ? nil : thread
  }

  func threadCommand(_ c: Command) throws -> Value {
    let t = try task(c.arguments[0])
    guard let thread = try newThread(in: t, at: c.location), interpreter.rc.integer == 0 else { return .nil }
    setRC(0, machMsg: false)
    return threadValue(thread)
  }

  /// kill, suspend, resume (a task or a thread) and abort (a thread): one RPC from the shell
  /// to the task's or the thread's kernel port.
  func taskOrThreadRPC(_ c: Command, task taskRoutine: String?, thread threadRoutine: String) throws -> Value {
    let target = try evaluate(c.arguments[0])
    if case .thread(let th, _) = target {
      if kernel.threads[Int(th)].task == shell && c.name != "resume" {
        throw ScriptError(
          "the shell's own threads are not for \(c.name): they carry out your commands", at: c.arguments[0].start)
      }
      _ = try shellRPC(threadRoutine, threadPortInShell(th), [], at: c.location)
      return interpreter.rc
    }
    guard let taskRoutine else {
      throw ScriptError(
        "\(c.name) needs a thread (such as server.1), found \(target.kindWithArticle)", at: c.arguments[0].location)
    }
    let t = try task(c.arguments[0])
    if t == shell && c.name == "kill" { throw ScriptError("the shell cannot kill itself", at: c.location) }
    if t == shell && c.name == "suspend" {
      throw ScriptError("the shell cannot suspend itself: its thread carries out your commands", at: c.location)
    }
    _ = try shellRPC(taskRoutine, taskPort(t), [], at: c.location)
    return interpreter.rc
  }
}
