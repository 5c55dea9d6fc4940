import MachModel

/// An operation that did not complete when its command returned (docs/shell.md §5): `done`,
/// `value`, `rc`, `thread`, `command`. Shared, so that every copy of the value sees it finish.
public final class PendingHandle: @unchecked Sendable {
  public let thread: ThreadIndex
  public let command: String
  public private(set) var isDone = false
  public private(set) var value: Value = .nil
  public private(set) var rc: ReturnCode = 0
  /// Makes the command's value once mach_msg ended with the code.
  let finish: (Session, ReturnCode) -> Value

  init(thread: ThreadIndex, command: String, finish: @escaping (Session, ReturnCode) -> Value) {
    self.thread = thread
    self.command = command
    self.finish = finish
  }

  func complete(value: Value, rc: ReturnCode) {
    isDone = true
    self.value = value
    self.rc = rc
  }
}

/// The operations in progress, in the order they were issued, and the replies the shell saw
/// requested: a message with that id arriving on that port is a MIG reply (docs/shell.md §8).
struct Operations {
  private(set) var pending: [PendingHandle] = []

  struct ExpectedReply: Hashable {
    var task: TaskIndex
    var port: PortName
    var id: Int32
  }
  private var expectedReplies: Set<ExpectedReply> = []
  /// Threads whose command is still running (waiting for its operation): a do block that
  /// runs meanwhile must not take them, or it would overwrite the result the command reads.
  private var performing: [ThreadIndex: Int] = [:]

  mutating func beginPerforming(_ t: ThreadIndex) { performing[t, default: 0] += 1 }

  mutating func endPerforming(_ t: ThreadIndex) {
    performing[t, default: 1] -= 1
    if performing[t] == 0 { performing[t] = nil }
  }

  func isPerforming(_ t: ThreadIndex) -> Bool { performing[t] != nil }

  var waiting: [PendingHandle] { pending.filter { !$0.isDone } }

  /// The operation still waiting on thread `t`.
  func waiting(on t: ThreadIndex) -> PendingHandle? { pending.first { !$0.isDone && $0.thread == t } }

  mutating func add(_ handle: PendingHandle) { pending.append(handle) }

  /// Forgets the finished ones.
  mutating func sweep() { pending.removeAll { $0.isDone } }

  mutating func expectReply(task: TaskIndex, port: PortName, id: Int32) {
    expectedReplies.insert(ExpectedReply(task: task, port: port, id: id))
  }

  /// Whether a reply was expected there; it is expected no longer.
  mutating func takeExpectedReply(task: TaskIndex, port: PortName, id: Int32) -> Bool {
    expectedReplies.remove(ExpectedReply(task: task, port: port, id: id)) != nil
  }
}
