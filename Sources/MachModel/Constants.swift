// GNU Mach's numbers, as the i386 headers of 2018 define them (docs/gnumach.md §1.4, §2.1,
// §2.2, §3, §4, §5, §6, §10). Each group is a caseless enum of static constants so that the
// model reads like the C it follows: `MachMsgReturn.sendTimedOut`, `KernReturn.invalidName`.

/// A Mach return code (`mach_msg_return_t`, `kern_return_t` and MIG codes share one type).
public typealias ReturnCode = Int32

/// A port name in some task's IPC space (`mach_port_t` as user space sees it).
public typealias PortName = UInt32

/// `mach_msg_return_t` values (`include/mach/message.h`, docs/gnumach.md §2.2).
public enum MachMsgReturn {
  public static let success: ReturnCode = 0x0000_0000
  /// Special bits that can be OR'ed into a receive error.
  public static let ipcSpace: ReturnCode = 0x0000_2000
  public static let vmSpace: ReturnCode = 0x0000_1000
  public static let ipcKernel: ReturnCode = 0x0000_0800
  public static let vmKernel: ReturnCode = 0x0000_0400

  public static let sendInProgress: ReturnCode = 0x1000_0001
  public static let sendInvalidData: ReturnCode = 0x1000_0002
  public static let sendInvalidDest: ReturnCode = 0x1000_0003
  public static let sendTimedOut: ReturnCode = 0x1000_0004
  public static let sendWillNotify: ReturnCode = 0x1000_0005
  public static let sendNotifyInProgress: ReturnCode = 0x1000_0006
  public static let sendInterrupted: ReturnCode = 0x1000_0007
  public static let sendMsgTooSmall: ReturnCode = 0x1000_0008
  public static let sendInvalidReply: ReturnCode = 0x1000_0009
  public static let sendInvalidRight: ReturnCode = 0x1000_000a
  public static let sendInvalidNotify: ReturnCode = 0x1000_000b
  public static let sendInvalidMemory: ReturnCode = 0x1000_000c
  public static let sendNoBuffer: ReturnCode = 0x1000_000d
  public static let sendNoNotify: ReturnCode = 0x1000_000e
  public static let sendInvalidType: ReturnCode = 0x1000_000f
  public static let sendInvalidHeader: ReturnCode = 0x1000_0010

  public static let rcvInProgress: ReturnCode = 0x1000_4001
  public static let rcvInvalidName: ReturnCode = 0x1000_4002
  public static let rcvTimedOut: ReturnCode = 0x1000_4003
  public static let rcvTooLarge: ReturnCode = 0x1000_4004
  public static let rcvInterrupted: ReturnCode = 0x1000_4005
  public static let rcvPortChanged: ReturnCode = 0x1000_4006
  public static let rcvInvalidNotify: ReturnCode = 0x1000_4007
  public static let rcvInvalidData: ReturnCode = 0x1000_4008
  public static let rcvPortDied: ReturnCode = 0x1000_4009
  public static let rcvInSet: ReturnCode = 0x1000_400a
  public static let rcvHeaderError: ReturnCode = 0x1000_400b
  public static let rcvBodyError: ReturnCode = 0x1000_400c
}

/// `kern_return_t` values (`include/mach/kern_return.h`, docs/gnumach.md §10).
public enum KernReturn {
  public static let success: ReturnCode = 0
  public static let invalidAddress: ReturnCode = 1
  public static let protectionFailure: ReturnCode = 2
  public static let noSpace: ReturnCode = 3
  public static let invalidArgument: ReturnCode = 4
  public static let failure: ReturnCode = 5
  public static let resourceShortage: ReturnCode = 6
  public static let notReceiver: ReturnCode = 7
  public static let noAccess: ReturnCode = 8
  public static let memoryFailure: ReturnCode = 9
  public static let memoryError: ReturnCode = 10
  public static let notInSet: ReturnCode = 12
  public static let nameExists: ReturnCode = 13
  public static let aborted: ReturnCode = 14
  public static let invalidName: ReturnCode = 15
  public static let invalidTask: ReturnCode = 16
  public static let invalidRight: ReturnCode = 17
  public static let invalidValue: ReturnCode = 18
  public static let urefsOverflow: ReturnCode = 19
  public static let invalidCapability: ReturnCode = 20
  public static let rightExists: ReturnCode = 21
  public static let invalidHost: ReturnCode = 22
  public static let memoryPresent: ReturnCode = 23
  public static let writeProtectionFailure: ReturnCode = 24
  public static let terminated: ReturnCode = 26
  public static let timedOut: ReturnCode = 27
  public static let interrupted: ReturnCode = 28
}

/// MIG's error codes (`include/mach/mig_errors.h`, docs/gnumach.md §6).
public enum MigReturn {
  public static let typeError: ReturnCode = -300
  public static let replyMismatch: ReturnCode = -301
  public static let remoteError: ReturnCode = -302
  public static let badID: ReturnCode = -303
  public static let badArguments: ReturnCode = -304
  public static let noReply: ReturnCode = -305
  public static let exception: ReturnCode = -306
  public static let arrayTooLarge: ReturnCode = -307
  public static let serverDied: ReturnCode = -308
  public static let destroyRequest: ReturnCode = -309
}

/// `mach_msg` option bits (docs/gnumach.md §2.1).
public struct MachMsgOptions: OptionSet, Sendable, Hashable {
  public let rawValue: UInt32
  public init(rawValue: UInt32) { self.rawValue = rawValue }
  public static let send = MachMsgOptions(rawValue: 0x1)
  public static let receive = MachMsgOptions(rawValue: 0x2)
  public static let sendTimeout = MachMsgOptions(rawValue: 0x10)
  public static let sendNotify = MachMsgOptions(rawValue: 0x20)
  public static let sendInterrupt = MachMsgOptions(rawValue: 0x40)
  public static let sendCancel = MachMsgOptions(rawValue: 0x80)
  public static let receiveTimeout = MachMsgOptions(rawValue: 0x100)
  public static let receiveNotify = MachMsgOptions(rawValue: 0x200)
  public static let receiveInterrupt = MachMsgOptions(rawValue: 0x400)
  public static let receiveLarge = MachMsgOptions(rawValue: 0x800)
  /// Kernel-internal: ignore qlimit (every kernel-originated message).
  public static let sendAlways = MachMsgOptions(rawValue: 0x10000)
}

/// `msgt_name` values (docs/gnumach.md §1.4).
public enum MsgType {
  public static let unstructured: UInt32 = 0
  public static let integer16: UInt32 = 1
  public static let integer32: UInt32 = 2
  public static let char: UInt32 = 8
  public static let byte: UInt32 = 9
  public static let real: UInt32 = 10
  public static let integer64: UInt32 = 11
  public static let string: UInt32 = 12
  public static let portName: UInt32 = 15
  public static let moveReceive: UInt32 = 16
  public static let moveSend: UInt32 = 17
  public static let moveSendOnce: UInt32 = 18
  public static let copySend: UInt32 = 19
  public static let makeSend: UInt32 = 20
  public static let makeSendOnce: UInt32 = 21
  public static let protectedPayload: UInt32 = 23
  /// The carried types a right has after copy-in.
  public static let portReceive: UInt32 = 16
  public static let portSend: UInt32 = 17
  public static let portSendOnce: UInt32 = 18

  /// `MACH_MSG_TYPE_PORT_ANY`: 16...21.
  @inlinable public static func isPort(_ name: UInt32) -> Bool { name >= 16 && name <= 21 }
  /// `MACH_MSG_TYPE_PORT_ANY_SEND`: 17...21.
  @inlinable public static func isPortAnySend(_ name: UInt32) -> Bool { name >= 17 && name <= 21 }

  /// `ipc_object_copyin_type`: the type a right is carried as once copied in.
  @inlinable public static func carriedType(_ disposition: UInt32) -> UInt32 {
    switch disposition {
    case moveReceive: return portReceive
    case moveSend, copySend, makeSend: return portSend
    case moveSendOnce, makeSendOnce: return portSendOnce
    default: return 0
    }
  }
}

/// `mach_port_right_t` (docs/gnumach.md §3).
public enum PortRight: UInt32, Sendable, CaseIterable {
  case send = 0, receive = 1, sendOnce = 2, portSet = 3, deadName = 4
}

/// `MACH_PORT_TYPE_*` bits as they appear in an entry and in `mach_port_type` (§3).
public enum PortType {
  public static let none: UInt32 = 0
  public static let send: UInt32 = 0x10000
  public static let receive: UInt32 = 0x20000
  public static let sendOnce: UInt32 = 0x40000
  public static let portSet: UInt32 = 0x80000
  public static let deadName: UInt32 = 0x100000
  public static let sendReceive: UInt32 = send | receive
  public static let sendRights: UInt32 = send | sendOnce
  public static let dnRequest: UInt32 = 0x8000_0000
  public static let maRequest: UInt32 = 0x4000_0000
  static let typeMask: UInt32 = 0x1f_0000
}

/// Reserved names and limits (docs/gnumach.md §3, §10).
public enum MachPort {
  public static let null: PortName = 0
  public static let dead: PortName = 0xffff_ffff
  @inlinable public static func isValid(_ name: PortName) -> Bool { name != null && name != dead }
  public static let urefsMax: UInt32 = 65535
  /// A send right stops one short of MACH_PORT_UREFS_MAX: `ipc_right_delta` tests
  /// `MACH_PORT_UREFS_OVERFLOW(urefs+1, delta)` and `ipc_right_copyout` stops at
  /// `urefs+1 == MACH_PORT_UREFS_MAX` (`ipc/ipc_right.c`). Dead names reach 65535.
  public static let sendUrefsMax: UInt32 = urefsMax - 1
  public static let qlimitDefault: UInt32 = 5
  public static let qlimitMax: UInt32 = 16
  /// `IS_FREE_LIST_SIZE_LIMIT`: recently freed names kept for reuse, LIFO.
  public static let freeListLimit = 64
}

/// Notification message ids (`include/mach/notify.h`, docs/gnumach.md §3).
public enum NotifyID {
  public static let first: Int32 = 64
  public static let portDeleted: Int32 = 65
  public static let msgAccepted: Int32 = 66
  public static let portDestroyed: Int32 = 69
  public static let noSenders: Int32 = 70
  public static let sendOnce: Int32 = 71
  public static let deadName: Int32 = 72
  public static let last: Int32 = 77
}

/// Task and thread special port slots (§4), and the trace facility's new slot (docs/trace.md T1).
public enum SpecialPort {
  public static let taskKernel: Int32 = 1
  public static let taskException: Int32 = 3
  public static let taskBootstrap: Int32 = 4
  public static let taskTrace: Int32 = 5
  public static let threadKernel: Int32 = 1
  public static let threadException: Int32 = 3
}

/// Exception types (`include/mach/exception.h`, §5).
public enum ExceptionType {
  public static let badAccess: Int32 = 1
  public static let badInstruction: Int32 = 2
  public static let arithmetic: Int32 = 3
  public static let emulation: Int32 = 4
  public static let software: Int32 = 5
  public static let breakpoint: Int32 = 6
}
