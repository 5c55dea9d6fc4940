import MachModel

/// The rights the shell task holds for its work, by what they stand for: a send right to the
/// kernel port of every task it created, the trace ports it drains, and send rights to thread
/// ports (docs/shell.md §3, §4).
struct ShellRights {
  private var taskPorts: [TaskIndex: PortName]
  /// Trace ports the shell holds and drains, by traced task.
  private var tracePorts: [TaskIndex: PortName] = [:]
  private var threadPorts: [ThreadIndex: PortName] = [:]

  init(shell: TaskIndex) { taskPorts = [shell: 1] }

  /// The shell's name for a task's kernel port (null for a task it did not create).
  func taskPort(_ t: TaskIndex) -> PortName { taskPorts[t] ?? MachPort.null }

  mutating func setTaskPort(_ t: TaskIndex, _ name: PortName) { taskPorts[t] = name }

  func tracePort(of t: TaskIndex) -> PortName? { tracePorts[t] }

  /// Records `name` as `t`'s trace port; returns the one it replaces.
  mutating func setTracePort(of t: TaskIndex, _ name: PortName) -> PortName? {
    tracePorts.updateValue(name, forKey: t)
  }

  /// Whether some task still uses `name` as its trace port.
  func isTracePort(_ name: PortName) -> Bool { tracePorts.values.contains(name) }

  func threadPort(of t: ThreadIndex) -> PortName? { threadPorts[t] }

  mutating func setThreadPort(of t: ThreadIndex, _ name: PortName) { threadPorts[t] = name }
}

extension Session {
  /// An RPC from the shell's thread, which always completes: kernel ports answer at once.
  /// Sets `rc` and runs the model on.
  func shellRPC(_ name: String, _ target: PortName, _ args: [MigValue], at: SourceLocation) throws -> MigReply? {
    let outcome = mutate { [shellThread] k in
      k.rpc(shellThread, RoutineTable.routine(named: name)!, target: target, arguments: args)
    }
    defer { pump() }
    switch outcome {
    case .completed(let reply):
      setRC(reply.retCode, machMsg: false)
      return reply
    case .failed(let code):
      setRC(code, machMsg: true)
      return nil
    case .inProgress:
      throw ScriptError("the shell's \(name) did not complete", at: at)
    }
  }

  func taskPort(_ t: TaskIndex) -> PortName { rights.taskPort(t) }

  /// The shell's send right to a thread's kernel port: taken once, as a copy of the right the
  /// kernel holds (what thread_get_special_port(THREAD_KERNEL_PORT) gives), and kept, as the
  /// shell keeps its task ports. Nothing changes in the thread's own task. Once the thread is
  /// gone the name is a dead name, so an RPC through it gets MACH_SEND_INVALID_DEST.
  func threadPortInShell(_ th: ThreadIndex) -> PortName {
    let space = kernel.tasks[Int(shell)].space
    if let name = rights.threadPort(of: th), let e = space.lookup(name),
      e.has(PortType.deadName) || (e.has(PortType.send) && e.object == kernel.threads[Int(th)].kernelPort)
    {
      return name
    }
    let (code, right) = mutate { k in k.threadGetSpecialPort(th, slot: SpecialPort.threadKernel) }
    let name =
      code == KernReturn.success && right >= 0
      ? mutate { [shell] k in k.copyoutKernelRight(shell, right, carriedType: MsgType.portSend) }
      : mutate { [shell] k in k.portAllocate(shell, right: PortRight.deadName.rawValue) }.1  // the thread is gone
    rights.setThreadPort(of: th, name)
    return name
  }
}
