/// Index of a thread in the kernel's thread table.
public typealias ThreadIndex = Int32
/// Index of a task in the kernel's task table.
public typealias TaskIndex = Int32

/// What a thread is doing, as the model schedules it.
public enum ThreadRunState: Equatable, Sendable {
  /// No operation in progress.
  case idle
  /// Waiting in the run queue to finish its operation.
  case runnable
  /// Blocked in mach_msg's send half (full queue).
  case blockedInSend
  /// Blocked in mach_msg's receive half (empty queue).
  case blockedInReceive
  /// Waiting for an exception handler's reply.
  case blockedInException
  /// Waiting for room on its task's trace port to queue a copy (docs/trace.md T9).
  case blockedInTrace
  case terminated
}

/// One mach_msg call: the trap's arguments, with the send buffer as bytes.
public struct MachMsgCall: Sendable {
  public var options: MachMsgOptions
  /// The message to send (user form); `sendSize` bytes of it are read.
  public var message: [UInt8]
  public var sendSize: UInt32
  public var receiveSize: UInt32
  public var receiveName: PortName
  /// Milliseconds, for MACH_SEND_TIMEOUT and MACH_RCV_TIMEOUT.
  public var timeout: UInt32
  public var notify: PortName

  public init(
    options: MachMsgOptions, message: [UInt8] = [], sendSize: UInt32? = nil,
    receiveSize: UInt32 = 0, receiveName: PortName = MachPort.null, timeout: UInt32 = 0,
    notify: PortName = MachPort.null
  ) {
    self.options = options
    self.message = message
    self.sendSize = sendSize ?? UInt32(message.count)
    self.receiveSize = receiveSize
    self.receiveName = receiveName
    self.timeout = timeout
    self.notify = notify
  }

  /// A plain send of `message` (its length as `send_size`).
  public static func send(_ message: [UInt8], options: MachMsgOptions = [], timeout: UInt32 = 0) -> MachMsgCall {
    MachMsgCall(options: options.union(.send), message: message, timeout: timeout)
  }

  /// A plain receive on `name` into a buffer of `size` bytes.
  public static func receive(
    _ name: PortName, size: UInt32 = 8192, options: MachMsgOptions = [], timeout: UInt32 = 0
  ) -> MachMsgCall {
    MachMsgCall(options: options.union(.receive), receiveSize: size, receiveName: name, timeout: timeout)
  }
}

/// mach_msg's arguments other than the send buffer, kept while a call is in progress.
struct CallParameters: Sendable {
  var options: MachMsgOptions = []
  var receiveSize: UInt32 = 0
  var receiveName: PortName = 0
  var timeout: UInt32 = 0
  var notify: PortName = 0

  init() {}
  init(_ call: MachMsgCall) {
    options = call.options
    receiveSize = call.receiveSize
    receiveName = call.receiveName
    timeout = call.timeout
    notify = call.notify
  }
}

/// A thread (`struct thread` with its IPC state `ith_*`).
public struct KThread: Sendable {
  public var task: TaskIndex
  /// The thread's place among its task's threads, from 1, in creation order.
  public internal(set) var number: Int32 = 0
  public var state: ThreadRunState = .idle
  /// The thread's kernel port (`ith_self`), a port the kernel receives on.
  public var kernelPort: ObjectIndex = -1
  /// Send rights the kernel holds for the thread's special ports, by slot
  /// (THREAD_KERNEL_PORT 1 = `ith_sself`, THREAD_EXCEPTION_PORT 3); -1 for null.
  public var specialPorts = PortSlots()
  public var suspendCount = 0
  /// glibc's per-thread MIG reply port, a name in the task's space (0 until the first RPC).
  public internal(set) var migReplyName: PortName = 0
  /// The port the kernel receives exception replies on for this thread, or -1.
  var exceptionReplyPort: ObjectIndex = -1
  /// The exception being delivered, while the thread waits for handlers.
  var pendingException: PendingException? = nil
  /// The send hook's copy of the message being sent, kept until the send's code is known.
  var traceSnapshot: [UInt8] = []
  var traceSnapshotLength = 0
  /// Whether the send copy waiting for the send's code is in `traceSnapshot`, for a trace
  /// message. (A copy for a host-drained port waits in the log: `TraceLog.pendingThread`.)
  var hasSnapshotCopy = false
  /// A trace message waiting for room on the trace port, and what to do once it is queued.
  var traceKmsg: Int32 = -1
  var traceContinuation: TraceContinuation = .none
  /// A call made while the thread was suspended, started when it resumes.
  var deferredCall: MachMsgCall? = nil
  /// Where the thread blocked, while it waits in the run queue.
  var resumeFrom: ThreadRunState = .idle
  /// The call blocked on the way, so its end is reported in `Kernel.completions`.
  var completesAsynchronously = false
  /// The scalar arguments of the call in progress (the message bytes are copied into a kernel
  /// buffer at once, so the thread keeps no reference to the caller's buffer).
  var call = CallParameters()
  /// The receive half still has to run after the send half.
  var receivePending = false
  /// thread_terminate on itself: GNU Mach sets AST_TERMINATE and returns KERN_SUCCESS, the
  /// thread finishes its mach_msg (the reply included) and terminates on its way out of the
  /// kernel (`thread_terminate`, kern/thread.c).
  var terminatesAtCallEnd = false
  /// The message held: being sent while blocked, or handed off to this receiver.
  var kmsg: Int32 = -1
  /// What the waker decided (`ith_state`): the receive's code, or the blocked send's.
  var waitResult: ReturnCode = 0
  /// For a receiver: the buffer size offered while blocked (`ith_msize`); after a too-large
  /// wake-up, the real size.
  var waitSize: UInt32 = 0
  var seqno: UInt32 = 0
  /// The object (port or set) this thread is queued on while blocked.
  var waitingOn: ObjectIndex = -1
  /// Link in a thread queue.
  var next: Int32 = -1
  /// Pending timeout, as an id in the timer queue, or -1.
  var timer: Int32 = -1
  /// The bytes of the last completed call: the received message, the header of a too-large
  /// one, or a failed send handed back (empty when the call left none).
  public var message: [UInt8] { Array(messageBuffer[0..<messageLength]) }
  /// Reused across calls; only the first `messageLength` bytes are the message.
  var messageBuffer: [UInt8] = []
  var messageLength = 0
  /// The return code of the last completed call.
  public internal(set) var result: ReturnCode = 0

  init(task: TaskIndex) { self.task = task }
}

extension KThread {
  /// Leaves `bytes[0..<length]` as the thread's message, reusing its buffer.
  mutating func setMessage(_ bytes: [UInt8], length: Int) {
    messageBuffer.overwritePrefix(with: bytes, length: length)
    messageLength = length
  }
}
