import MachModel

// How the shell names the model's tasks, threads and ports, and the states it shows.

extension Session {
  func taskValue(_ t: TaskIndex) -> Value { .task(t, kernel.tasks[Int(t)].name) }

  /// `TASK.N`: the thread's task and its place among the task's threads, from 1.
  func label(_ t: ThreadIndex) -> String {
    let thread = kernel.threads[Int(t)]
    return "\(kernel.tasks[Int(thread.task)].name).\(thread.number)"
  }

  func threadValue(_ t: ThreadIndex) -> Value { .thread(t, label(t)) }

  func portValue(_ task: TaskIndex, _ name: PortName) -> Value {
    .port(task: task, taskName: kernel.tasks[Int(task)].name, name: name)
  }

  /// "running", "suspended" or "terminated".
  func taskState(_ t: TaskIndex) -> String {
    let task = kernel.tasks[Int(t)]
    return !task.isActive ? "terminated" : task.suspendCount > 0 ? "suspended" : "running"
  }

  /// "idle", "blocked", "suspended" or "terminated" (a thread's `state` field).
  func threadState(_ t: ThreadIndex) -> String {
    let th = kernel.threads[Int(t)]
    if th.state == .terminated { return "terminated" }
    if th.suspendCount > 0 || kernel.tasks[Int(th.task)].suspendCount > 0 { return "suspended" }
    return th.state == .idle && !servers.isServing(t) ? "idle" : "blocked"
  }

  /// `threadState` with, for `info threads`, what a blocked thread waits in.
  func threadStateDetail(_ t: ThreadIndex) -> String {
    let state = threadState(t)
    guard state == "blocked" else { return state }
    if servers.isServing(t) { return "blocked (serving)" }
    switch kernel.threads[Int(t)].state {
    case .blockedInSend: return "blocked (in send)"
    case .blockedInReceive: return "blocked (in receive)"
    case .blockedInException: return "blocked (in exception)"
    case .blockedInTrace: return "blocked (on its trace port)"
    default: return state
    }
  }

  /// The rights an entry holds, as `info ports` and the `rights` field show them.
  func rightWords(_ type: UInt32) -> [String] {
    PortRight.displayOrder.filter { type & $0.typeBit != 0 }.map(Words.shown)
  }

  /// A port's kernel address as `info` shows it (`0xc0000060`), or "null".
  func address(_ o: ObjectIndex) -> String {
    o >= 0 ? "0x" + String(Kernel.address(of: o), radix: 16) : "null"
  }
}

extension PortRight {
  /// The order `info ports` lists rights in.
  static let displayOrder: [PortRight] = [.send, .receive, .sendOnce, .portSet, .deadName]
}
