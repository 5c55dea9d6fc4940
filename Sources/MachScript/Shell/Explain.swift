import MachModel

/// `explain`: what a return code or a record means.
enum Explain {
  /// What each named return code means here: every code of `ReturnCodeNames` has a line
  /// (a test checks it), with the codes the model never produces saying so.
  static let meanings: [ReturnCode: String] = [
    MachMsgReturn.success: "the operation succeeded",
    MachMsgReturn.sendInProgress:
      "the send is blocked (a full queue, or no room on the trace port): the operation is pending",
    MachMsgReturn.sendInvalidData: "the send buffer could not be read (send size beyond the buffer)",
    MachMsgReturn.sendInvalidDest:
      "the destination name is not a send or send-once right in the sender's space, or names a dead port",
    MachMsgReturn.sendTimedOut: "the queue stayed full for the whole send timeout; the message was handed back",
    MachMsgReturn.sendWillNotify:
      "the queue was full: the message was queued anyway and a msg-accepted notification will follow",
    MachMsgReturn.sendNotifyInProgress: "a msg-accepted request is already pending for that destination",
    MachMsgReturn.sendInterrupted:
      "the blocked send was interrupted (thread_abort) and the message handed back; shortcut traps also answer "
      + "it to make the stub send the real RPC",
    MachMsgReturn.sendMsgTooSmall: "the send size is below 24 bytes, not a multiple of 4, or the body runs past it",
    MachMsgReturn.sendInvalidReply: "the reply port is not a right the disposition can be made from",
    MachMsgReturn.sendInvalidRight: "a port right in the body could not be copied in; the message was destroyed",
    MachMsgReturn.sendInvalidNotify:
      "the notify name (MACH_SEND_NOTIFY on a full queue, or MACH_SEND_CANCEL) is not a receive right of the sender",
    MachMsgReturn.sendInvalidMemory: "an out-of-line region is not readable in the sender; the message was destroyed",
    MachMsgReturn.sendNoBuffer: "the kernel has no message buffer left (kmsg_limit)",
    MachMsgReturn.sendNoNotify:
      "the kernel could not allocate a msg-accepted request (never in this model: it has no such shortage)",
    MachMsgReturn.sendInvalidType: "a type descriptor is malformed; the message was destroyed",
    MachMsgReturn.sendInvalidHeader:
      "the header's dispositions are not send dispositions (MOVE_RECEIVE is not allowed there)",
    MachMsgReturn.rcvInProgress: "the receive is waiting for a message: the operation is pending",
    MachMsgReturn.rcvInvalidName: "the receive name is not a receive right or a port set",
    MachMsgReturn.rcvTimedOut: "no message arrived within the receive timeout",
    MachMsgReturn.rcvTooLarge:
      "the message is larger than the buffer: without MACH_RCV_LARGE it was dequeued and destroyed, with it it "
      + "stays queued",
    MachMsgReturn.rcvInterrupted: "the blocked receive was interrupted (thread_abort); nothing was dequeued",
    MachMsgReturn.rcvPortChanged: "the port moved into a set while the thread was receiving on it",
    MachMsgReturn.rcvInvalidNotify:
      "MACH_RCV_NOTIFY without a receive right as notify: the message was dequeued and destroyed, only its "
      + "header came back",
    MachMsgReturn.rcvInvalidData:
      "the receive buffer could not be written (never in this model: buffers are always writable)",
    MachMsgReturn.rcvPortDied:
      "the port (or set) died, or its receive right moved, while receiving; after raise: thread_abort ended the "
      + "wait for the handler",
    MachMsgReturn.rcvInSet: "the port is in a port set: receive on the set",
    MachMsgReturn.rcvHeaderError:
      "a header right could not be copied out for lack of space (never in this model: names never run out)",
    MachMsgReturn.rcvBodyError: "part of the body could not be copied out for lack of space (never in this model)",
    KernReturn.invalidAddress: "the address range is not valid (not page-aligned, outside the map, or not allocated)",
    KernReturn.protectionFailure: "the memory does not allow that access",
    KernReturn.noSpace: "no room: the address range is taken, or the map is full",
    KernReturn.invalidName: "the name denotes no right in the task's space",
    KernReturn.invalidRight: "the name denotes a right of the wrong kind for this call",
    KernReturn.invalidValue: "an argument is out of range",
    KernReturn.invalidArgument:
      "an argument is invalid (a bad slot, a port of the wrong kind, too many ports, or a thread aborting itself)",
    KernReturn.invalidTask: "the target is not a live task",
    KernReturn.nameExists: "the name is already in use",
    KernReturn.rightExists: "the task already holds that port under another name",
    KernReturn.urefsOverflow: "the user reference count would pass 65535",
    KernReturn.invalidCapability: "the right given is null or dead",
    KernReturn.notInSet: "the port is not in a set",
    KernReturn.failure: "the operation failed (a dying task, or nothing to resume)",
    KernReturn.resourceShortage: "the kernel is out of a resource (here: the task or thread limit)",
    KernReturn.aborted:
      "the operation was aborted: thread_abort cannot stop a thread that waits for room on its trace port",
    KernReturn.terminated: "no exception handler accepted: the task was terminated",
    KernReturn.notReceiver: "the caller does not hold the receive right",
    KernReturn.noAccess: "access denied",
    KernReturn.memoryFailure: "the memory object failed",
    KernReturn.memoryError: "the memory object reported an error",
    KernReturn.invalidHost: "the host port is not valid",
    KernReturn.memoryPresent: "the memory is already present",
    KernReturn.writeProtectionFailure: "the memory is write-protected",
    KernReturn.timedOut: "the operation timed out",
    KernReturn.interrupted: "the operation was interrupted",
    MigReturn.typeError: "the reply's items do not have the types the routine returns",
    MigReturn.replyMismatch: "the reply was not the one expected",
    MigReturn.remoteError: "the server reported an error",
    MigReturn.badID: "the server has no routine with that message id",
    MigReturn.badArguments: "the request's arguments have the wrong types or sizes",
    MigReturn.noReply: "the server will answer later, or never (no reply now)",
    MigReturn.exception: "the server raised an exception",
    MigReturn.arrayTooLarge: "an array did not fit in the caller's buffer",
    MigReturn.serverDied: "the server destroyed the reply right without answering",
    MigReturn.destroyRequest: "the server asks for the request to be destroyed",
  ]

  static func text(_ v: Value, session: Session, at: SourceLocation) throws -> String {
    if case .record(let r, let line) = v {
      let who = r.thread.map { session.label($0) } ?? session.kernel.tasks[Int(r.task)].name
      var s =
        "\(line)\n  \(who) \(r.direction == .send ? "sent" : "received") "
        + "\(r.routine.isEmpty ? "message \(r.msgid)" : r.routine)"
      if r.kind != .normal { s += " (a \(r.kind.name) copy, in the kernel's form)" }
      s += "; mach_msg returned \(ReturnCodeNames.name(of: r.retval, fromMachMsg: true))"
      if let code = r.code { s += "; the reply's RetCode is \(ReturnCodeNames.name(of: code))" }
      if let a = r.answers { s += "; it answers record \(a)" }
      // What the codes mean, as `explain CODE` says it.
      if r.retval != 0 { s += "\n  " + codeLine(r.retval, fromMachMsg: true) }
      if let code = r.code, code != 0 { s += "\n  " + codeLine(code, fromMachMsg: false) }
      return s
    }
    guard let n = v.integer, let code = ReturnCode(exactly: n) else {
      throw ScriptError("explain needs a return code or a record", at: at)
    }
    var fromMachMsg = true
    if case .code(_, let m) = v { fromMachMsg = m }
    return codeLine(code, fromMachMsg: fromMachMsg)
  }

  /// `NAME (0xHEX): meaning`. The special bits of a receive error (MACH_MSG_IPC_SPACE …) are
  /// set aside only for mach_msg codes: MIG codes are negative.
  static func codeLine(_ code: ReturnCode, fromMachMsg: Bool) -> String {
    let name = ReturnCodeNames.name(of: code, fromMachMsg: fromMachMsg)
    let key = code & 0x1000_0000 != 0 && code > 0 ? code & ~0x3c00 : code
    return "\(name) (\(code < 0 ? String(code) : "0x" + String(code, radix: 16))): "
      + (meanings[key] ?? "no description")
  }

  /// An exception type (`include/mach/exception.h`).
  static func exception(_ name: String, _ type: Int32) -> String {
    let meaning: String
    switch type {
    case ExceptionType.badAccess:
      meaning = "a memory access failed; code is a kern_return_t (KERN_INVALID_ADDRESS, KERN_PROTECTION_FAILURE)"
    case ExceptionType.badInstruction: meaning = "an illegal or undefined instruction"
    case ExceptionType.arithmetic: meaning = "an arithmetic fault (division by zero, overflow)"
    case ExceptionType.emulation: meaning = "an instruction to be emulated"
    case ExceptionType.software: meaning = "raised by software"
    default: meaning = "a breakpoint or trace trap"
    }
    return "\(name) (exception \(type)): \(meaning); `raise THREAD \(name)` sends exception_raise (2400) "
      + "to the thread's exception port, then the task's"
  }
}
