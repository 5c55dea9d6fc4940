import MachModel

/// The predefined constants (language.md §2), with GNU Mach's values: every return code,
/// exception type, special port slot, message type name, port right, notification id and MIG
/// code. Return codes are `.code` values so that they print by name.
public enum Constants {
  public static let all: [String: Value] = {
    var table: [String: Value] = [:]
    for (name, code) in ReturnCodeNames.machMsg { table[name] = .code(code, fromMachMsg: true) }
    for (name, code) in ReturnCodeNames.kern + ReturnCodeNames.mig { table[name] = .code(code, fromMachMsg: false) }
    let ints: [(String, Int64)] = [
      ("MACH_MSG_IPC_SPACE", 0x2000), ("MACH_MSG_VM_SPACE", 0x1000), ("MACH_MSG_IPC_KERNEL", 0x800),
      ("MACH_MSG_VM_KERNEL", 0x400),
      ("EXC_BAD_ACCESS", 1), ("EXC_BAD_INSTRUCTION", 2), ("EXC_ARITHMETIC", 3), ("EXC_EMULATION", 4),
      ("EXC_SOFTWARE", 5), ("EXC_BREAKPOINT", 6),
      ("TASK_KERNEL_PORT", 1), ("TASK_EXCEPTION_PORT", 3), ("TASK_BOOTSTRAP_PORT", 4), ("TASK_TRACE_PORT", 5),
      ("THREAD_KERNEL_PORT", 1), ("THREAD_EXCEPTION_PORT", 3),
      ("MACH_MSG_TYPE_UNSTRUCTURED", 0), ("MACH_MSG_TYPE_BIT", 0), ("MACH_MSG_TYPE_BOOLEAN", 0),
      ("MACH_MSG_TYPE_INTEGER_16", 1), ("MACH_MSG_TYPE_INTEGER_32", 2), ("MACH_MSG_TYPE_CHAR", 8),
      ("MACH_MSG_TYPE_BYTE", 9), ("MACH_MSG_TYPE_INTEGER_8", 9), ("MACH_MSG_TYPE_REAL", 10),
      ("MACH_MSG_TYPE_INTEGER_64", 11), ("MACH_MSG_TYPE_STRING", 12), ("MACH_MSG_TYPE_STRING_C", 12),
      ("MACH_MSG_TYPE_PORT_NAME", 15), ("MACH_MSG_TYPE_MOVE_RECEIVE", 16), ("MACH_MSG_TYPE_MOVE_SEND", 17),
      ("MACH_MSG_TYPE_MOVE_SEND_ONCE", 18), ("MACH_MSG_TYPE_COPY_SEND", 19), ("MACH_MSG_TYPE_MAKE_SEND", 20),
      ("MACH_MSG_TYPE_MAKE_SEND_ONCE", 21), ("MACH_MSG_TYPE_PORT_RECEIVE", 16), ("MACH_MSG_TYPE_PORT_SEND", 17),
      ("MACH_MSG_TYPE_PORT_SEND_ONCE", 18), ("MACH_MSG_TYPE_PROTECTED_PAYLOAD", 23),
      ("MACH_PORT_RIGHT_SEND", 0), ("MACH_PORT_RIGHT_RECEIVE", 1), ("MACH_PORT_RIGHT_SEND_ONCE", 2),
      ("MACH_PORT_RIGHT_PORT_SET", 3), ("MACH_PORT_RIGHT_DEAD_NAME", 4),
      ("MACH_PORT_NULL", 0), ("MACH_PORT_DEAD", 0xffff_ffff),
      ("MACH_NOTIFY_FIRST", 64), ("MACH_NOTIFY_PORT_DELETED", 65), ("MACH_NOTIFY_MSG_ACCEPTED", 66),
      ("MACH_NOTIFY_PORT_DESTROYED", 69), ("MACH_NOTIFY_NO_SENDERS", 70), ("MACH_NOTIFY_SEND_ONCE", 71),
      ("MACH_NOTIFY_DEAD_NAME", 72), ("MACH_NOTIFY_LAST", 77),
      ("MACH_PORT_QLIMIT_DEFAULT", 5), ("MACH_PORT_QLIMIT_MAX", 16),
    ]
    for (name, v) in ints { table[name] = .int(v) }
    table["pending"] = .pending(nil)
    return table
  }()
}
