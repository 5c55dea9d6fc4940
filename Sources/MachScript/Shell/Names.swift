import MachModel

// How the shell names the model's tasks, threads and ports, and the states it shows.

extension Session {
  /// A record's task: a task of the model, the name a loaded file gave (a string: the model
  /// has no such task), or nil (a raw line of a loaded file).
  func taskValue(_ t: TaskIndex) -> Value {
    if let name = intake.loaded.task(t) { return .string(name) }
    guard t >= 0 && Int(t) < kernel.tasks.count else { return .nil }
    return .task(t, kernel.tasks[Int(t)].name)
  }

  /// The one task, live or loaded, called `name`; nil when there is none, or one of each
  /// (a filter then compares names record by record).
  func taskIndex(named name: String) -> TaskIndex? {
    let live = kernel.tasks.firstIndex { $0.name == name }.map { TaskIndex($0) }
    let loaded = intake.loaded.taskIndex(of: name)
    return live != nil && loaded != nil ? nil : live ?? loaded
  }

  /// The one thread, live or loaded, labelled `label` (`TASK.N`).
  func threadIndex(labelled label: String) -> ThreadIndex? {
    let live = kernel.threads.indices.first { self.label(ThreadIndex($0)) == label }.map { ThreadIndex($0) }
    let loaded = intake.loaded.threadIndex(of: label)
    return live != nil && loaded != nil ? nil : live ?? loaded
  }

  /// A record's thread label, loaded or not.
  func threadLabel(_ t: ThreadIndex) -> String {
    if let label = intake.loaded.thread(t) { return label }
    return t >= 0 && Int(t) < kernel.threads.count ? label(t) : "?"
  }

  /// The name of a record's task, loaded or not ("?" for none).
  func taskName(_ t: TaskIndex) -> String {
    if let name = intake.loaded.task(t) { return name }
    return t >= 0 && Int(t) < kernel.tasks.count ? kernel.tasks[Int(t)].name : "?"
  }

  /// `TASK.N`: the thread's task and its place among the task's threads, from 1.
  func label(_ t: ThreadIndex) -> String {
    let thread = kernel.threads[Int(t)]
    return "\(kernel.tasks[Int(thread.task)].name).\(thread.number)"
  }

  func threadValue(_ t: ThreadIndex) -> Value {
    if let label = intake.loaded.thread(t) { return .string(label) }
    guard t >= 0 && Int(t) < kernel.threads.count else { return .nil }
    return .thread(t, label(t))
  }

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
    return th.state == .idle && !serves(t) ? "idle" : "blocked"
  }

  /// `threadState` with, for `info threads`, what a blocked thread waits in.
  func threadStateDetail(_ t: ThreadIndex) -> String {
    let state = threadState(t)
    guard state == "blocked" else { return state }
    if serves(t) { return "blocked (serving)" }
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
