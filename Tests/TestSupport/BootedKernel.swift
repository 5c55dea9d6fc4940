import MachModel
import MachScript
import MachTrace

extension Kernel {
  /// A kernel with a first task named "shell" with one thread, holding its own task port as
  /// name 1 (as glibc's start-up gives every task). Model tests use it as a task to act from;
  /// the shell's own boot (`Session.bootedKernel`) also makes its thread's reply port.
  public static func booted() -> Kernel {
    var k = Kernel()
    let shell = k.createTask(name: "shell")
    _ = k.createThread(in: shell)
    _ = k.giveTaskSelfName(shell)
    return k
  }

  /// The first task of `booted()`.
  public static let shellTask: TaskIndex = 0
}

extension TraceRecord {
  /// A send record of message 1000 by task 1, for tests that need a record but no model.
  public static func sample(seq: UInt64?) -> TraceRecord {
    TraceRecord(
      seq: seq, time: 0, task: 1, thread: 1, direction: .send, kind: .normal, retval: 0, code: nil, msgid: 1000,
      routine: "", dest: 2, reply: 3, size: 24, complex: false, ool: 0, rights: 0, answers: nil, bytes: [])
  }
}
