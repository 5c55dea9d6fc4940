// Section numbers in this module's comments (§2.4, §3) are those of docs/gnumach.md, which
// states each GNU Mach rule with the file and function that set it; T1…T14 and D1…D5 are the
// trace facility's clauses in docs/trace.md.

/// The GNU Mach kernel model: every port, task, thread and message, the run queue and the
/// virtual clock. A value type whose operations are `mutating` methods: the model is a pure
/// state machine that never calls out, so that every host (a shell, a test, a benchmark) drives it
/// the same way and the same calls always give the same results.
///
/// Contracts kept by every operation (checked by `checkInvariants()`):
/// - every kernel message is in exactly one place (a queue, or a thread's hands) or was
///   destroyed, and each destruction is counted by reason;
/// - a port's send-right count is the number of entries holding send rights for it, plus the
///   send rights carried in messages, plus those held by the kernel; likewise send-once;
/// - an operation that fails with a header or argument error changes nothing.
public struct Kernel: Sendable {
  /// Ports and port sets. Slots of dead, unreferenced objects are reused (LIFO).
  public internal(set) var objects: ContiguousArray<Port> = []
  var freeObjects: [ObjectIndex] = []
  public internal(set) var tasks: [KTask] = []
  public internal(set) var threads: [KThread] = []
  var kmsgs: ContiguousArray<KMsg> = []
  var freeKMsg: Int32 = -1

  /// The message-buffer budget (`set kmsg_limit`): at most this many user messages and trace
  /// copies alive at once; nil for no limit.
  public var kmsgLimit: Int? = nil
  public internal(set) var budgetedMessages = 0
  /// The largest message the kernel allocates a buffer for (`set max_msg_bytes`): a larger
  /// send fails as `ipc_kmsg_get` fails when `ikm_alloc` cannot allocate it, with
  /// MACH_SEND_NO_BUFFER. GNU Mach's bound is what kalloc can give; the model's is explicit,
  /// so that a script cannot take all of the machine's memory.
  public var maxMessageBytes = Kernel.defaultMaxMessageBytes
  public static let defaultMaxMessageBytes = 16 << 20

  /// Virtual time in microseconds.
  public internal(set) var now: UInt64 = 0
  var timers = TimerQueue()
  var staleTimers = 0
  var pendingDestruction: [Int32] = []
  var isDestroying = false
  var runQueue = ThreadQueue()
  /// How many tasks and threads have been suspended (count above zero) at some point and not
  /// resumed since; while it is 0 nothing needs checking for suspension.
  var suspensions = 0
  /// Runnable threads set aside because they or their task are suspended.
  var parkedThreads: [ThreadIndex] = []
  /// The thread whose request the kernel-object server is running (`current_thread()`),
  /// or -1.
  var kernelCaller: ThreadIndex = -1
  /// The request whose reply its caller may receive without the queue (`takeReplyDirectly`),
  /// or -1; and that reply, once made, until the caller's receive half takes it.
  var directRequest: Int32 = -1
  var directReply: DirectReply? = nil
  /// Scratch space for an RPC's request message.
  var requestBytes: [UInt8] = []

  /// Calls that finished after blocking, in the order they finished; drained by the caller.
  public internal(set) var completions: [Completion] = []
  /// Messages destroyed, by reason.
  public internal(set) var destroyedMessages = DestroyCounts()
  /// Copies that reached host-drained trace ports, not yet taken (`takeTraceLog`).
  public internal(set) var traceLog = TraceLog()
  /// The number of trace copies made so far: the last copy's `seq`.
  public internal(set) var traceSeq: UInt64 = 0
  /// The kernel console (printf lines), oldest first: the last `consoleLimit` lines, as a
  /// kernel's message buffer keeps only the latest output.
  public internal(set) var console: [String] = []
  /// Console lines that no longer fit and were dropped, oldest first.
  public internal(set) var consoleDropped = 0
  public static let consoleLimit = 1000

  /// task_create and thread_create answer KERN_RESOURCE_SHORTAGE once this many tasks (or
  /// threads) have been made, as GNU Mach does when its zones are exhausted: the model keeps
  /// every task and thread it made, so that names in scripts and traces stay meaningful.
  public var taskLimit = 1 << 16
  public var threadLimit = 1 << 18

  /// The most objects the model holds at once (addresses stay below 0xe0000000).
  public static let maxObjects = 1 << 24
  /// The objects this kernel may hold (at most `maxObjects`): past it, making a port fails as
  /// GNU Mach's `ipc_port_alloc` fails when its zone is exhausted. Tests lower it.
  public var objectLimit = Kernel.maxObjects

  public init() {}

  // MARK: - Identities

  /// The kernel address that stands for an object in kernel-form messages and in the kernel's
  /// own view (prints like a kernel pointer; never MACH_PORT_NULL or MACH_PORT_DEAD).
  @inline(__always)
  public static func address(of object: ObjectIndex) -> UInt32 {
    0xc000_0000 &+ (UInt32(bitPattern: object) &<< 5)
  }

  /// The object an address stands for; nil for NULL, DEAD or anything that is not an address.
  @inline(__always)
  public static func object(at address: UInt32) -> ObjectIndex? {
    guard address >= 0xc000_0000, address < 0xe000_0000, address & 0x1f == 0 else { return nil }
    return ObjectIndex((address &- 0xc000_0000) >> 5)
  }

  // MARK: - Tasks and threads

  /// Creates a task with an empty space and no threads, its kernel port, and the send right
  /// to it in TASK_KERNEL_PORT. With a parent, the new task inherits copies of the parent's
  /// exception, bootstrap, trace and registered ports (`ipc_task_init`; docs/trace.md T2).
  public mutating func createTask(name: String, parent: TaskIndex? = nil) -> TaskIndex {
    let t = TaskIndex(tasks.count)
    tasks.append(KTask(name: name))
    if let port = newObject(isSet: false, receiver: .kernel) {
      objects[Int(port)].kernelObject = .task(t)
      tasks[Int(t)].kernelPort = port
      tasks[Int(t)].specialPorts[Int(SpecialPort.taskKernel)] = makeKernelSendRight(port)
    }
    if let p = parent, isValidTask(p) {
      for slot in [SpecialPort.taskException, SpecialPort.taskBootstrap, SpecialPort.taskTrace] {
        tasks[Int(t)].specialPorts[Int(slot)] = copyKernelSendRight(tasks[Int(p)].specialPorts[Int(slot)])
      }
      for i in 0..<4 { tasks[Int(t)].registeredPorts[i] = copyKernelSendRight(tasks[Int(p)].registeredPorts[i]) }
    }
    return t
  }

  /// Creates an idle thread in `task` with its kernel port and a null exception port
  /// (`ipc_thread_init`). `suspended` gives it a suspend count of 1, as thread_create does.
  public mutating func createThread(in task: TaskIndex, suspended: Bool = false) -> ThreadIndex {
    threads.append(KThread(task: task))
    let t = ThreadIndex(threads.count - 1)
    tasks[Int(task)].threads.append(t)
    threads[Int(t)].number = Int32(tasks[Int(task)].threads.count)
    if let port = newObject(isSet: false, receiver: .kernel) {
      objects[Int(port)].kernelObject = .thread(t)
      threads[Int(t)].kernelPort = port
      threads[Int(t)].specialPorts[Int(SpecialPort.threadKernel)] = makeKernelSendRight(port)
    }
    threads[Int(t)].suspendCount = suspended ? 1 : 0
    if suspended { suspensions += 1 }
    return t
  }

  /// A send right made by the kernel from a receive right it holds (`ipc_port_make_send`).
  mutating func makeKernelSendRight(_ o: ObjectIndex) -> ObjectIndex {
    objects[Int(o)].makeSendCount &+= 1
    objects[Int(o)].sendRights += 1
    return o
  }

  /// A copy of a send right the kernel holds (`ipc_port_copy_send`); -1 stays -1.
  mutating func copyKernelSendRight(_ o: ObjectIndex) -> ObjectIndex {
    guard o >= 0 else { return -1 }
    objects[Int(o)].sendRights += 1
    return o
  }

  /// Copies the message thread `t`'s last call left behind into `buffer`, reusing its storage.
  public func copyMessage(of t: ThreadIndex, into buffer: inout [UInt8]) {
    let length = threads[Int(t)].messageLength
    if buffer.count > length { buffer.removeLast(buffer.count - length) }
    buffer.overwritePrefix(with: threads[Int(t)].messageBuffer, length: length)
  }

  public func task(_ t: TaskIndex) -> KTask { tasks[Int(t)] }
  public func thread(_ t: ThreadIndex) -> KThread { threads[Int(t)] }
  public func port(_ o: ObjectIndex) -> Port { objects[Int(o)] }

  /// The task a kernel port stands for, if it is a live task's port.
  @inline(__always)  // called from mutating code: a call would copy the whole kernel
  public func taskOf(port o: ObjectIndex) -> TaskIndex? {
    guard o >= 0, Int(o) < objects.count, objects[Int(o)].isActive, case .task(let t) = objects[Int(o)].kernelObject
    else { return nil }
    return t
  }

  /// The thread a kernel port stands for, if it is a live thread's port.
  @inline(__always)  // called from mutating code: a call would copy the whole kernel
  public func threadOf(port o: ObjectIndex) -> ThreadIndex? {
    guard o >= 0, Int(o) < objects.count, objects[Int(o)].isActive, case .thread(let t) = objects[Int(o)].kernelObject
    else { return nil }
    return t
  }

  /// Renames a task (a host names the tasks task_create made, after the fact).
  public mutating func setTaskName(_ t: TaskIndex, _ name: String) { tasks[Int(t)].name = name }

  func isValidTask(_ t: TaskIndex) -> Bool { t >= 0 && Int(t) < tasks.count && tasks[Int(t)].isActive }

  // MARK: - Objects

  /// Whether one more port can be made. GNU Mach's `ipc_task_init` and `ipc_thread_init` panic
  /// when their kernel port cannot be allocated; task_create and thread_create here answer
  /// KERN_RESOURCE_SHORTAGE first, as they do past the task and thread limits.
  var canMakeObject: Bool { !freeObjects.isEmpty || objects.count < Swift.min(objectLimit, Self.maxObjects) }

  /// Allocates a port or port set; nil when the object table is full.
  mutating func newObject(isSet: Bool, receiver: Receiver) -> ObjectIndex? {
    let port = Port(isSet: isSet, receiver: receiver)
    if let reused = freeObjects.popLast() {
      objects[Int(reused)] = port
      return reused
    }
    guard objects.count < Swift.min(objectLimit, Self.maxObjects) else { return nil }
    objects.append(port)
    return ObjectIndex(objects.count - 1)
  }

  /// Frees a dead object once nothing refers to it any more.
  mutating func reclaimIfUnreferenced(_ o: ObjectIndex) {
    let p = objects[Int(o)]
    if !p.isActive && p.sendRights == 0 && p.sendOnceRights == 0 && !p.isReclaimed {
      objects[Int(o)].isReclaimed = true
      freeObjects.append(o)
    }
  }

  // MARK: - Kernel message buffers

  /// Allocates a message buffer; nil when a budgeted allocation would pass `kmsgLimit`.
  @inline(__always)
  mutating func allocKMsg(budgeted: Bool) -> Int32? {
    if budgeted, let limit = kmsgLimit, budgetedMessages >= limit { return nil }
    let k: Int32
    if freeKMsg >= 0 {
      k = freeKMsg
      freeKMsg = kmsgs[Int(k)].next
    } else {
      kmsgs.append(KMsg())
      k = Int32(kmsgs.count - 1)
    }
    kmsgs[Int(k)].reset(budgeted: budgeted)  // one access to the table, not one per field
    if budgeted { budgetedMessages += 1 }
    return k
  }

  /// Returns a buffer to the pool (its contents must already be dealt with).
  @inline(__always)
  mutating func freeKMsgBuffer(_ k: Int32) {
    if kmsgs[Int(k)].isBudgeted { budgetedMessages -= 1 }
    kmsgs[Int(k)].isInUse = false
    kmsgs[Int(k)].next = freeKMsg
    freeKMsg = k
  }

  /// Ports and sets whose slot is in use (alive, or dead but still referenced).
  public var objectsInUse: Int { objects.reduce(0) { $0 + ($1.isReclaimed ? 0 : 1) } }

  /// Kernel messages in use right now.
  public var messagesInUse: Int { kmsgs.reduce(0) { $0 + ($1.isInUse ? 1 : 0) } }

  /// Writes a console line; past `consoleLimit` lines the oldest is dropped (lines come only
  /// from rare events, so shifting the array is cheap).
  mutating func printf(_ line: String) {
    console.append(line)
    if console.count > Self.consoleLimit {
      console.removeFirst()
      consoleDropped += 1
    }
  }
}

/// Counts of destroyed messages, by reason.
public struct DestroyCounts: Sendable, Equatable {
  private var counts = [Int](repeating: 0, count: DestroyReason.allCases.count)
  public subscript(_ reason: DestroyReason) -> Int {
    get { counts[reason.rawValue] }
    set { counts[reason.rawValue] = newValue }
  }
  public subscript(_ reason: DestroyReason, default _: Int) -> Int {
    get { counts[reason.rawValue] }
    set { counts[reason.rawValue] = newValue }
  }
}

/// Why a message was destroyed.
public enum DestroyReason: Int, Sendable, CaseIterable {
  /// Its destination died before or while it was queued (sent successfully, then destroyed).
  case deadDestination
  /// A body error during copy-in.
  case bodyError
  /// Received without MACH_RCV_LARGE into a buffer that was too small.
  case tooLarge
  /// Received with MACH_RCV_NOTIFY and a notify name that is no receive right.
  case invalidNotify
  /// Its header could not be copied out (MACH_RCV_HEADER_ERROR: the reply port's dead-name
  /// request table could not grow).
  case headerError
  /// Carried a receive right into a loop of receive rights (`MACH_MSGH_BITS_CIRCULAR`).
  case circular
  /// Queued on a port that died.
  case portDied
  /// Consumed by the kernel (a notification to a kernel port, a kernel RPC request).
  case consumedByKernel
  /// Held by a thread that was terminated.
  case threadTerminated
}

/// A mach_msg call that finished after blocking.
public struct Completion: Equatable, Sendable {
  public var thread: ThreadIndex
  public var result: ReturnCode
  public init(thread: ThreadIndex, result: ReturnCode) {
    self.thread = thread
    self.result = result
  }
}
