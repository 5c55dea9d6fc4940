/// A kernel message buffer (`struct ipc_kmsg`): the message in kernel form (port fields hold
/// kernel object addresses, see `Kernel.address(of:)`), where it is, and what it carries that
/// the bytes do not (out-of-line copy objects, a msg-accepted request).
struct KMsg: Sendable {
  var bytes: [UInt8] = []
  var isInUse = false
  /// Counts against `kmsgLimit` (user messages and trace copies do; kernel messages do not).
  var isBudgeted = false
  /// Next message in the queue it sits on, or in the free pool.
  var next: Int32 = -1
  /// Out-of-line regions, in body order (the copy objects).
  var outOfLine: [OutOfLineCopy] = []
  /// A MACH_SEND_NOTIFY request: the notify port (send-once right held) and the sender's name.
  var acceptedNotify: ObjectIndex = -1
  var acceptedName: PortName = 0
  /// Handed to a receiver by the exception fast path: never counted on its port.
  var isExceptionHandOff = false
  /// The task that sent it (for notifications, the kernel: -1).
  var sender: TaskIndex = -1

  /// Taken from the pool: in use, on no queue, from no task, with no out-of-line regions
  /// (whose storage is kept) and no msg-accepted request. The bytes are left as they are.
  mutating func reset(budgeted: Bool) {
    isInUse = true
    isBudgeted = budgeted
    next = -1
    acceptedNotify = -1
    sender = -1
    isExceptionHandOff = false
    if !outOfLine.isEmpty { outOfLine.removeAll(keepingCapacity: true) }
  }

  var size: Int { Int(bytes.word(at: MsgHeader.sizeOffset)) }
  var bits: UInt32 { bytes.word(at: MsgHeader.bitsOffset) }
}

/// An out-of-line region in transit (`vm_map_copy_t`): its size and the bytes written in it
/// (zeros beyond). For a port array the bytes hold kernel addresses, 4 per element.
struct OutOfLineCopy: Sendable {
  var size: UInt32
  var bytes: [UInt8]
}
