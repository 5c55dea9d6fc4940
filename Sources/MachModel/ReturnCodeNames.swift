// Symbolic names of return codes, as GNU Mach's headers spell them.

/// Names of every return code the model can produce, and the rule for choosing among the
/// three families that share small numbers (docs/shell.md §10): values with 0x10000000 set are
/// mach_msg codes, -300...-309 are MIG codes, everything else is a kern_return_t.
public enum ReturnCodeNames {
  public static let machMsg: [(String, ReturnCode)] = [
    ("MACH_MSG_SUCCESS", MachMsgReturn.success),
    ("MACH_SEND_IN_PROGRESS", MachMsgReturn.sendInProgress),
    ("MACH_SEND_INVALID_DATA", MachMsgReturn.sendInvalidData),
    ("MACH_SEND_INVALID_DEST", MachMsgReturn.sendInvalidDest),
    ("MACH_SEND_TIMED_OUT", MachMsgReturn.sendTimedOut),
    ("MACH_SEND_WILL_NOTIFY", MachMsgReturn.sendWillNotify),
    ("MACH_SEND_NOTIFY_IN_PROGRESS", MachMsgReturn.sendNotifyInProgress),
    ("MACH_SEND_INTERRUPTED", MachMsgReturn.sendInterrupted),
    ("MACH_SEND_MSG_TOO_SMALL", MachMsgReturn.sendMsgTooSmall),
    ("MACH_SEND_INVALID_REPLY", MachMsgReturn.sendInvalidReply),
    ("MACH_SEND_INVALID_RIGHT", MachMsgReturn.sendInvalidRight),
    ("MACH_SEND_INVALID_NOTIFY", MachMsgReturn.sendInvalidNotify),
    ("MACH_SEND_INVALID_MEMORY", MachMsgReturn.sendInvalidMemory),
    ("MACH_SEND_NO_BUFFER", MachMsgReturn.sendNoBuffer),
    ("MACH_SEND_NO_NOTIFY", MachMsgReturn.sendNoNotify),
    ("MACH_SEND_INVALID_TYPE", MachMsgReturn.sendInvalidType),
    ("MACH_SEND_INVALID_HEADER", MachMsgReturn.sendInvalidHeader),
    ("MACH_RCV_IN_PROGRESS", MachMsgReturn.rcvInProgress),
    ("MACH_RCV_INVALID_NAME", MachMsgReturn.rcvInvalidName),
    ("MACH_RCV_TIMED_OUT", MachMsgReturn.rcvTimedOut),
    ("MACH_RCV_TOO_LARGE", MachMsgReturn.rcvTooLarge),
    ("MACH_RCV_INTERRUPTED", MachMsgReturn.rcvInterrupted),
    ("MACH_RCV_PORT_CHANGED", MachMsgReturn.rcvPortChanged),
    ("MACH_RCV_INVALID_NOTIFY", MachMsgReturn.rcvInvalidNotify),
    ("MACH_RCV_INVALID_DATA", MachMsgReturn.rcvInvalidData),
    ("MACH_RCV_PORT_DIED", MachMsgReturn.rcvPortDied),
    ("MACH_RCV_IN_SET", MachMsgReturn.rcvInSet),
    ("MACH_RCV_HEADER_ERROR", MachMsgReturn.rcvHeaderError),
    ("MACH_RCV_BODY_ERROR", MachMsgReturn.rcvBodyError),
  ]

  public static let kern: [(String, ReturnCode)] = [
    ("KERN_SUCCESS", 0), ("KERN_INVALID_ADDRESS", 1), ("KERN_PROTECTION_FAILURE", 2),
    ("KERN_NO_SPACE", 3), ("KERN_INVALID_ARGUMENT", 4), ("KERN_FAILURE", 5),
    ("KERN_RESOURCE_SHORTAGE", 6), ("KERN_NOT_RECEIVER", 7), ("KERN_NO_ACCESS", 8),
    ("KERN_MEMORY_FAILURE", 9), ("KERN_MEMORY_ERROR", 10), ("KERN_NOT_IN_SET", 12),
    ("KERN_NAME_EXISTS", 13), ("KERN_ABORTED", 14), ("KERN_INVALID_NAME", 15),
    ("KERN_INVALID_TASK", 16), ("KERN_INVALID_RIGHT", 17), ("KERN_INVALID_VALUE", 18),
    ("KERN_UREFS_OVERFLOW", 19), ("KERN_INVALID_CAPABILITY", 20), ("KERN_RIGHT_EXISTS", 21),
    ("KERN_INVALID_HOST", 22), ("KERN_MEMORY_PRESENT", 23),
    ("KERN_WRITE_PROTECTION_FAILURE", 24), ("KERN_TERMINATED", 26), ("KERN_TIMEDOUT", 27),
    ("KERN_INTERRUPTED", 28),
  ]

  public static let mig: [(String, ReturnCode)] = [
    ("MIG_TYPE_ERROR", -300), ("MIG_REPLY_MISMATCH", -301), ("MIG_REMOTE_ERROR", -302),
    ("MIG_BAD_ID", -303), ("MIG_BAD_ARGUMENTS", -304), ("MIG_NO_REPLY", -305),
    ("MIG_EXCEPTION", -306), ("MIG_ARRAY_TOO_LARGE", -307), ("MIG_SERVER_DIED", -308),
    ("MIG_DESTROY_REQUEST", -309),
  ]

  /// The symbolic name of `code`, with any special bits spelled as `|MACH_MSG_IPC_SPACE`
  /// and so on; a number in decimal when the code has no name.
  /// With `fromMachMsg`, 0 is MACH_MSG_SUCCESS rather than KERN_SUCCESS.
  public static func name(of code: ReturnCode, fromMachMsg: Bool = false) -> String {
    if code == 0 { return fromMachMsg ? "MACH_MSG_SUCCESS" : "KERN_SUCCESS" }
    if code > 0 && code & 0x1000_0000 != 0 {
      let specialBits = code & 0x3c00
      let base = code & ~0x3c00
      guard let (name, _) = machMsg.first(where: { $0.1 == base }) else { return String(code) }
      var text = name
      for (bit, bitName) in [
        (MachMsgReturn.ipcSpace, "MACH_MSG_IPC_SPACE"), (MachMsgReturn.vmSpace, "MACH_MSG_VM_SPACE"),
        (MachMsgReturn.ipcKernel, "MACH_MSG_IPC_KERNEL"), (MachMsgReturn.vmKernel, "MACH_MSG_VM_KERNEL"),
      ] where specialBits & bit != 0 {
        text += "|" + bitName
      }
      return text
    }
    if (-309 ... -300).contains(code), let (name, _) = mig.first(where: { $0.1 == code }) {
      return name
    }
    if let (name, _) = kern.first(where: { $0.1 == code }) { return name }
    return String(code)
  }
}
