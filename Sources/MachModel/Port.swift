/// Who holds a port's receive right.
public enum Receiver: Equatable, Sendable {
  /// A task's space, under `name`.
  case task(TaskIndex, name: PortName)
  /// Carried in a message (`ip_receiver == IS_NULL` while in transit).
  case inTransit
  /// The kernel: a kernel object (`ip_receiver == ipc_space_kernel`).
  case kernel
}

/// What a kernel-held port stands for (`ip_kobject` / `IKOT_*`).
public enum KernelObject: Equatable, Sendable {
  case none
  case task(TaskIndex)
  case thread(ThreadIndex)
  /// The port on which a thread raising an exception waits for the handler's reply
  /// (`ith_rpc_reply`): the kernel receives on it on the thread's behalf.
  case exceptionReply(ThreadIndex)
}

/// A FIFO of kernel messages, linked through `KMsg.next`.
struct MessageQueue: Sendable {
  var head: Int32 = -1
  var tail: Int32 = -1
  var isEmpty: Bool { head < 0 }
}

/// A FIFO of threads, linked through `KThread.next`.
struct ThreadQueue: Sendable {
  var head: Int32 = -1
  var tail: Int32 = -1
  var isEmpty: Bool { head < 0 }
}

/// A port or a port set (`struct ipc_port` / `struct ipc_pset`, both `ipc_object`s).
///
/// A port set owns the message queue and the waiting receivers of all its members: as in
/// GNU Mach, joining a set moves the member's queued messages to the set's queue, and leaving
/// moves them back (docs/gnumach.md §2.6: the seqno still comes from the member).
public struct Port: Sendable {
  public var isSet: Bool
  /// Alive (`ip_active`); false once destroyed, until the last reference goes.
  public var isActive: Bool = true
  /// Copies to this port go to the kernel's trace log, drained by the host in batches.
  public var isHostDrained = false
  /// The slot is back in the free pool (a dead object nothing refers to).
  var isReclaimed = false
  public var receiver: Receiver
  public var kernelObject: KernelObject = .none
  public var qlimit: UInt32 = MachPort.qlimitDefault
  public var messageCount: UInt32 = 0
  public var seqno: UInt32 = 0
  public var makeSendCount: UInt32 = 0
  /// Send rights in existence: one per entry holding send rights (whatever its urefs), per
  /// right in a message, per kernel slot.
  public var sendRights: UInt32 = 0
  public var sendOnceRights: UInt32 = 0
  /// mach_port_set_protected_payload (docs/gnumach.md §1.6): while set, a message received
  /// through this port carries `protectedPayload` in its local-port slot instead of a name.
  public var hasProtectedPayload = false
  public var protectedPayload: UInt32 = 0
  /// The set this port belongs to, or -1.
  public var portSet: ObjectIndex = -1
  /// For a receive right in transit: the port whose message carries it (`ip_destination`).
  var destination: ObjectIndex = -1
  /// No-senders request: the port whose send-once right gets the notification, or -1.
  var noSendersNotify: ObjectIndex = -1
  var noSendersSync: UInt32 = 0
  /// Port-destroyed request (the backup's send-once right), or -1.
  var portDestroyedNotify: ObjectIndex = -1
  var deadNameRequests = DeadNameTable()
  var queue = MessageQueue()
  var receivers = ThreadQueue()
  var blockedSenders = ThreadQueue()

  init(isSet: Bool, receiver: Receiver) {
    self.isSet = isSet
    self.receiver = receiver
  }

  /// The task holding the receive right, if a task does.
  public var receiverTask: TaskIndex? {
    if case .task(let t, _) = receiver { return t }
    return nil
  }
}
