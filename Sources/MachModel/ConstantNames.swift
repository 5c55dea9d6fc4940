// GNU Mach's names for the numbers of Constants.swift, as its i386 headers of 2018 spell them
// (`include/mach/message.h`, `include/mach/port.h`, `include/mach/notify.h`,
// `include/mach/exception.h`, `include/mach/task_special_ports.h`,
// `include/mach/thread_special_ports.h`). Return codes have ReturnCodeNames. A user of the
// model (the shell's constants and words) reads these tables instead of keeping copies.

extension MsgType {
  /// Every `MACH_MSG_TYPE_*` name with its `msgt_name` value, aliases included
  /// (`MACH_MSG_TYPE_PORT_SEND` is `MACH_MSG_TYPE_MOVE_SEND`'s number).
  public static let names: [(String, UInt32)] = [
    ("MACH_MSG_TYPE_UNSTRUCTURED", unstructured), ("MACH_MSG_TYPE_BIT", unstructured),
    ("MACH_MSG_TYPE_BOOLEAN", unstructured), ("MACH_MSG_TYPE_INTEGER_16", integer16),
    ("MACH_MSG_TYPE_INTEGER_32", integer32), ("MACH_MSG_TYPE_CHAR", char), ("MACH_MSG_TYPE_BYTE", byte),
    ("MACH_MSG_TYPE_INTEGER_8", byte), ("MACH_MSG_TYPE_REAL", real), ("MACH_MSG_TYPE_INTEGER_64", integer64),
    ("MACH_MSG_TYPE_STRING", string), ("MACH_MSG_TYPE_STRING_C", string), ("MACH_MSG_TYPE_PORT_NAME", portName),
    ("MACH_MSG_TYPE_MOVE_RECEIVE", moveReceive), ("MACH_MSG_TYPE_MOVE_SEND", moveSend),
    ("MACH_MSG_TYPE_MOVE_SEND_ONCE", moveSendOnce), ("MACH_MSG_TYPE_COPY_SEND", copySend),
    ("MACH_MSG_TYPE_MAKE_SEND", makeSend), ("MACH_MSG_TYPE_MAKE_SEND_ONCE", makeSendOnce),
    ("MACH_MSG_TYPE_PORT_RECEIVE", portReceive), ("MACH_MSG_TYPE_PORT_SEND", portSend),
    ("MACH_MSG_TYPE_PORT_SEND_ONCE", portSendOnce), ("MACH_MSG_TYPE_PROTECTED_PAYLOAD", protectedPayload),
  ]

  /// The six dispositions a sender names a right with (`MACH_MSG_TYPE_MOVE_RECEIVE` …
  /// `MACH_MSG_TYPE_MAKE_SEND_ONCE`, 16…21), in number order.
  public static let dispositionNames: [(String, UInt32)] = names.filter {
    isPort($0.1) && !$0.0.hasPrefix("MACH_MSG_TYPE_PORT_")
  }
}

extension MachMsgReturn {
  /// The bits OR'ed into a receive error (`MACH_MSG_IPC_SPACE` …).
  public static let bitNames: [(String, ReturnCode)] = [
    ("MACH_MSG_IPC_SPACE", ipcSpace), ("MACH_MSG_VM_SPACE", vmSpace), ("MACH_MSG_IPC_KERNEL", ipcKernel),
    ("MACH_MSG_VM_KERNEL", vmKernel),
  ]
}

extension PortRight {
  /// `MACH_PORT_RIGHT_SEND` …
  public var cName: String {
    switch self {
    case .send: return "MACH_PORT_RIGHT_SEND"
    case .receive: return "MACH_PORT_RIGHT_RECEIVE"
    case .sendOnce: return "MACH_PORT_RIGHT_SEND_ONCE"
    case .portSet: return "MACH_PORT_RIGHT_PORT_SET"
    case .deadName: return "MACH_PORT_RIGHT_DEAD_NAME"
    }
  }

  /// The `MACH_PORT_TYPE_*` bit an entry has for the right.
  public var typeBit: UInt32 {
    switch self {
    case .send: return PortType.send
    case .receive: return PortType.receive
    case .sendOnce: return PortType.sendOnce
    case .portSet: return PortType.portSet
    case .deadName: return PortType.deadName
    }
  }
}

extension MachPort {
  /// `MACH_PORT_NULL`, `MACH_PORT_DEAD` and the queue limits of `include/mach/port.h`.
  public static let names: [(String, UInt32)] = [
    ("MACH_PORT_NULL", null), ("MACH_PORT_DEAD", dead), ("MACH_PORT_QLIMIT_DEFAULT", qlimitDefault),
    ("MACH_PORT_QLIMIT_MAX", qlimitMax),
  ]
}

extension NotifyID {
  /// `MACH_NOTIFY_*` message ids.
  public static let names: [(String, Int32)] = [
    ("MACH_NOTIFY_FIRST", first), ("MACH_NOTIFY_PORT_DELETED", portDeleted),
    ("MACH_NOTIFY_MSG_ACCEPTED", msgAccepted), ("MACH_NOTIFY_PORT_DESTROYED", portDestroyed),
    ("MACH_NOTIFY_NO_SENDERS", noSenders), ("MACH_NOTIFY_SEND_ONCE", sendOnce),
    ("MACH_NOTIFY_DEAD_NAME", deadName), ("MACH_NOTIFY_LAST", last),
  ]

  /// The notifications `mach_port_request_notification` registers (`ipc_port_request_*`):
  /// `MACH_NOTIFY_PORT_DESTROYED`, `MACH_NOTIFY_NO_SENDERS`, `MACH_NOTIFY_DEAD_NAME`.
  public static let requestable: [(String, Int32)] = names.filter {
    [portDestroyed, noSenders, deadName].contains($0.1)
  }
}

extension SpecialPort {
  /// `TASK_*_PORT` slot names (the trace facility adds `TASK_TRACE_PORT`).
  public static let taskNames: [(String, Int32)] = [
    ("TASK_KERNEL_PORT", taskKernel), ("TASK_EXCEPTION_PORT", taskException),
    ("TASK_BOOTSTRAP_PORT", taskBootstrap), ("TASK_TRACE_PORT", taskTrace),
  ]
  /// `THREAD_*_PORT` slot names.
  public static let threadNames: [(String, Int32)] = [
    ("THREAD_KERNEL_PORT", threadKernel), ("THREAD_EXCEPTION_PORT", threadException),
  ]
}

extension ExceptionType {
  /// `EXC_*` names.
  public static let names: [(String, Int32)] = [
    ("EXC_BAD_ACCESS", badAccess), ("EXC_BAD_INSTRUCTION", badInstruction), ("EXC_ARITHMETIC", arithmetic),
    ("EXC_EMULATION", emulation), ("EXC_SOFTWARE", software), ("EXC_BREAKPOINT", breakpoint),
  ]
}
