// The one table of kernel-served routines: msgid, name, MIG arguments, reply id
// (docs/gnumach.md §6; `include/mach/mach.defs`, `include/mach/mach_port.defs`). The
// kernel-object server, the client stubs (`MigRequest`) and the trace decoder all read it.

/// How MIG carries one argument on i386.
public enum MigType: Equatable, Sendable {
  /// A 32-bit integer (`int`, `integer_t`, `vm_size_t`, `mach_port_right_t`, ...):
  /// MACH_MSG_TYPE_INTEGER_32.
  case int32
  /// `boolean_t`: MACH_MSG_TYPE_BOOLEAN, 32 bits.
  case boolean
  /// `mach_port_name_t`: MACH_MSG_TYPE_PORT_NAME, not translated.
  case portName
  /// A port right. `disposition` is what a client sends by default in a request
  /// (COPY_SEND for `mach_port_t`, MOVE_SEND_ONCE for `mach_port_send_once_t`); in a reply
  /// the kernel moves the right it names.
  case port(disposition: UInt32)
  /// `mach_port_poly_t`: the client chooses the disposition.
  case polyPort
  /// A structure sent as an array of INTEGER_32, with GNU Mach's C field names.
  case structure(fields: [String])
  /// An out-of-line array (`^array[] of ...`): of PORT_NAME, INTEGER_32, or send rights.
  case outOfLineNames
  case outOfLineInts
  case outOfLinePorts

  /// The msgt_name a well-formed message carries for this type, once in kernel form
  /// (rights as carried types).
  var carriedName: UInt32 {
    switch self {
    case .int32, .structure, .outOfLineInts: return MsgType.integer32
    case .boolean: return MsgType.unstructured
    case .portName, .outOfLineNames: return MsgType.portName
    case .port(let d): return MsgType.carriedType(d)
    case .polyPort: return 0
    case .outOfLinePorts: return MsgType.portSend
    }
  }
}

extension MigType {
  /// The short-form descriptor word of a well-formed one-word inline item of this type, once
  /// in kernel form (name, size 32, number 1, inline); nil for types that are not one word or
  /// whose name is the sender's choice.
  var singleWordDescriptor: UInt32? {
    switch self {
    case .int32, .boolean, .portName, .port:
      return carriedName | 32 << 8 | 1 << 16 | 1 << 28
    case .polyPort, .structure, .outOfLineNames, .outOfLineInts, .outOfLinePorts:
      return nil
    }
  }
}

/// How a user stub writes an in-argument of a type that travels as one inline word: which
/// values it takes and the descriptor name it sends them under, worked out once per routine
/// (`Routine.requestWords`) so that `Mig.request` reads no `MigType` per call. The general
/// path (`Mig.request`'s builder) takes the same values.
struct RequestWord: Sendable {
  enum Kind: UInt8, Sendable {
    /// An `.int`, under `name` (INTEGER_32, or UNSTRUCTURED for a boolean).
    case integer
    /// A `.name` or the name of a `.port`, as PORT_NAME.
    case portName
    /// A `.name`, sent with the type's disposition `name`, or a `.port` with its own.
    case port
    /// A `.port`, with its own disposition.
    case polyPort
  }
  let kind: Kind
  let name: UInt32

  init?(_ type: MigType) {
    switch type {
    case .int32: (kind, name) = (.integer, MsgType.integer32)
    case .boolean: (kind, name) = (.integer, MsgType.unstructured)
    case .portName: (kind, name) = (.portName, MsgType.portName)
    case .port(let d): (kind, name) = (.port, d)
    case .polyPort: (kind, name) = (.polyPort, 0)
    case .structure, .outOfLineNames, .outOfLineInts, .outOfLinePorts: return nil
    }
  }

  /// The descriptor name and word that carry `value`; nil when this argument does not take it.
  @inline(__always)
  func item(_ value: MigValue) -> (name: UInt32, word: UInt32)? {
    switch (kind, value) {
    case (.integer, .int(let v)): return (name, UInt32(bitPattern: v))
    case (.portName, .name(let n)), (.portName, .port(let n, _)): return (MsgType.portName, n)
    case (.port, .name(let n)): return (name, n)
    case (.port, .port(let n, let d)), (.polyPort, .port(let n, let d)): return MsgType.isPort(d) ? (d, n) : nil
    default: return nil
    }
  }
}

/// One argument of a routine.
public struct MigArgument: Equatable, Sendable {
  public enum Direction: Sendable { case input, output, inout_ }
  public var name: String
  public var type: MigType
  public var direction: Direction

  public var isInput: Bool { direction != .output }
  public var isOutput: Bool { direction != .input }
}

/// What the routine's target (the header's destination) must be.
public enum MigTarget: Equatable, Sendable {
  /// `task_t`, `vm_task_t`, `ipc_space_t`: a task's kernel port.
  case task
  /// `thread_t`: a thread's kernel port.
  case thread
  /// A port served by user code (no kernel conversion).
  case port
}

/// A MIG routine or simpleroutine. A class: the table's entries are shared, never copied, so
/// passing one around on the RPC path costs one reference count, not one per field.
public final class Routine: Equatable, Sendable {
  public let id: Int32
  public let name: String
  public let subsystem: String
  public let target: MigTarget
  /// The target's argument name in the .defs (`target_task`, `task`, ...).
  public let targetName: String
  public let arguments: [MigArgument]
  public let isSimple: Bool
  /// The arguments a request carries, and those a reply carries, in order.
  public let inputs: [MigArgument]
  public let outputs: [MigArgument]
  /// The out-arguments' names, in order (what a decoded reply names its values by).
  public let outputNames: [String]
  /// Whether a reply carries an out-of-line array (which its reader finds in memory).
  public let hasOutOfLineOutputs: Bool
  /// Each in-argument's `MigType.singleWordDescriptor`, 0 where it has none: the server's fast
  /// path compares a request's items against these words.
  let inputDescriptors: [UInt32]
  /// How a user stub writes each in-argument, when every one travels as one inline word; nil
  /// otherwise (`Mig.request`'s short path).
  let requestWords: [RequestWord]?

  public init(
    id: Int32, name: String, subsystem: String, target: MigTarget, targetName: String,
    arguments: [MigArgument], isSimple: Bool
  ) {
    self.id = id
    self.name = name
    self.subsystem = subsystem
    self.target = target
    self.targetName = targetName
    self.arguments = arguments
    self.isSimple = isSimple
    inputs = arguments.filter(\.isInput)
    outputs = arguments.filter(\.isOutput)
    outputNames = outputs.map(\.name)
    inputDescriptors = inputs.map { $0.type.singleWordDescriptor ?? 0 }
    let words = inputs.compactMap { RequestWord($0.type) }
    requestWords = words.count == inputs.count ? words : nil
    hasOutOfLineOutputs = outputs.contains {
      switch $0.type {
      case .outOfLineNames, .outOfLineInts, .outOfLinePorts: return true
      default: return false
      }
    }
  }

  /// id + 100 for a routine; nil for a simpleroutine (no reply).
  public var replyID: Int32? { isSimple ? nil : id + 100 }

  public static func == (a: Routine, b: Routine) -> Bool {
    a === b
      || (a.id == b.id && a.name == b.name && a.subsystem == b.subsystem && a.target == b.target
        && a.targetName == b.targetName && a.arguments == b.arguments && a.isSimple == b.isSimple)
  }
}

/// The routines the kernel serves, by msgid.
public enum RoutineTable {
  private static func arg(_ name: String, _ type: MigType, _ direction: MigArgument.Direction = .input) -> MigArgument {
    MigArgument(name: name, type: type, direction: direction)
  }

  private static func routine(
    _ id: Int32, _ name: String, _ subsystem: String, _ target: MigTarget, _ targetName: String,
    _ args: [MigArgument] = []
  ) -> Routine {
    Routine(
      id: id, name: name, subsystem: subsystem, target: target, targetName: targetName, arguments: args, isSimple: false
    )
  }

  static let sendRight = MigType.port(disposition: MsgType.copySend)
  static let status = MigType.structure(fields: [
    "mps_pset", "mps_seqno", "mps_mscount", "mps_qlimit", "mps_msgcount", "mps_sorights", "mps_srights",
    "mps_pdrequest", "mps_nsrequest",
  ])

  /// Every routine the kernel-object server answers, in msgid order.
  public static let served: [Routine] = [
    routine(
      2007, "task_create", "mach", .task, "target_task",
      [arg("inherit_memory", .boolean), arg("child_task", sendRight, .output)]),
    routine(2008, "task_terminate", "mach", .task, "target_task"),
    routine(2011, "task_threads", "mach", .task, "target_task", [arg("thread_list", .outOfLinePorts, .output)]),
    routine(2016, "thread_terminate", "mach", .thread, "target_thread"),
    routine(
      2021, "vm_allocate", "mach", .task, "target_task",
      [
        arg("address", .int32, .inout_), arg("size", .int32), arg("anywhere", .boolean),
      ]),
    routine(2023, "vm_deallocate", "mach", .task, "target_task", [arg("address", .int32), arg("size", .int32)]),
    routine(2033, "mach_ports_register", "mach", .task, "target_task", [arg("init_port_set", .outOfLinePorts)]),
    routine(2034, "mach_ports_lookup", "mach", .task, "target_task", [arg("init_port_set", .outOfLinePorts, .output)]),
    routine(2056, "task_suspend", "mach", .task, "target_task"),
    routine(2057, "task_resume", "mach", .task, "target_task"),
    routine(
      2058, "task_get_special_port", "mach", .task, "task",
      [arg("which_port", .int32), arg("special_port", sendRight, .output)]),
    routine(
      2059, "task_set_special_port", "mach", .task, "task",
      [arg("which_port", .int32), arg("special_port", sendRight)]),
    routine(2061, "thread_create", "mach", .task, "parent_task", [arg("child_thread", sendRight, .output)]),
    routine(2062, "thread_suspend", "mach", .thread, "target_thread"),
    routine(2063, "thread_resume", "mach", .thread, "target_thread"),
    routine(2064, "thread_abort", "mach", .thread, "target_thread"),
    routine(
      2067, "thread_get_special_port", "mach", .thread, "thread",
      [arg("which_port", .int32), arg("special_port", sendRight, .output)]),
    routine(
      2068, "thread_set_special_port", "mach", .thread, "thread",
      [arg("which_port", .int32), arg("special_port", sendRight)]),
    routine(
      3200, "mach_port_names", "mach_port", .task, "task",
      [arg("names", .outOfLineNames, .output), arg("types", .outOfLineInts, .output)]),
    routine(
      3201, "mach_port_type", "mach_port", .task, "task", [arg("name", .portName), arg("ptype", .int32, .output)]),
    routine(
      3202, "mach_port_rename", "mach_port", .task, "task", [arg("old_name", .portName), arg("new_name", .portName)]),
    routine(
      3203, "mach_port_allocate_name", "mach_port", .task, "task", [arg("right", .int32), arg("name", .portName)]),
    routine(
      3204, "mach_port_allocate", "mach_port", .task, "task", [arg("right", .int32), arg("name", .portName, .output)]),
    routine(3205, "mach_port_destroy", "mach_port", .task, "task", [arg("name", .portName)]),
    routine(3206, "mach_port_deallocate", "mach_port", .task, "task", [arg("name", .portName)]),
    routine(
      3207, "mach_port_get_refs", "mach_port", .task, "task",
      [arg("name", .portName), arg("right", .int32), arg("refs", .int32, .output)]),
    routine(
      3208, "mach_port_mod_refs", "mach_port", .task, "task",
      [arg("name", .portName), arg("right", .int32), arg("delta", .int32)]),
    routine(3210, "mach_port_set_qlimit", "mach_port", .task, "task", [arg("name", .portName), arg("qlimit", .int32)]),
    routine(
      3211, "mach_port_set_mscount", "mach_port", .task, "task", [arg("name", .portName), arg("mscount", .int32)]),
    routine(
      3212, "mach_port_get_set_status", "mach_port", .task, "task",
      [arg("name", .portName), arg("members", .outOfLineNames, .output)]),
    routine(
      3213, "mach_port_move_member", "mach_port", .task, "task", [arg("member", .portName), arg("after", .portName)]),
    routine(
      3214, "mach_port_request_notification", "mach_port", .task, "task",
      [
        arg("name", .portName), arg("id", .int32), arg("sync", .int32),
        arg("notify", .port(disposition: MsgType.makeSendOnce)),
        arg("previous", .port(disposition: MsgType.moveSendOnce), .output),
      ]),
    routine(
      3215, "mach_port_insert_right", "mach_port", .task, "task", [arg("name", .portName), arg("poly", .polyPort)]),
    routine(
      3216, "mach_port_extract_right", "mach_port", .task, "task",
      [
        arg("name", .portName), arg("msgt_name", .int32), arg("poly", .polyPort, .output),
      ]),
    routine(
      3217, "mach_port_get_receive_status", "mach_port", .task, "task",
      [arg("name", .portName), arg("status", status, .output)]),
    routine(3218, "mach_port_set_seqno", "mach_port", .task, "task", [arg("name", .portName), arg("seqno", .int32)]),
    routine(
      3221, "mach_port_set_protected_payload", "mach_port", .task, "task",
      [arg("name", .portName), arg("payload", .int32)]),
    routine(3222, "mach_port_clear_protected_payload", "mach_port", .task, "task", [arg("name", .portName)]),
  ]

  /// The served routines by msgid, less `firstID`: kernel msgids are small and dense enough
  /// (mach 2000-2099, mach_port 3200-3299) that a direct index beats a search.
  /// The lowest msgid served: the mach subsystem's base (`subsystem mach 2000`,
  /// include/mach/mach.defs). A literal, so that a lookup needs no lazy initialisation.
  static let firstID: Int32 = 2000
  private static let byID: [Routine?] = {
    var table = [Routine?](repeating: nil, count: Int(served.map(\.id).max()! - firstID) + 1)
    for r in served { table[Int(r.id - firstID)] = r }
    return table
  }()
  private static let byName: [String: Routine] = Dictionary(uniqueKeysWithValues: served.map { ($0.name, $0) })

  /// The msgids of the `mach_port` subsystem (`subsystem mach_port 3200` in
  /// include/mach/mach_port.defs; a MIG subsystem numbers its routines from its base).
  public static let machPortIDs: Range<Int32> = 3200..<3300

  /// The served routine with this msgid.
  @inline(__always)
  public static func routine(id: Int32) -> Routine? {
    let i = Int(id) - Int(firstID)
    return i >= 0 && i < byID.count ? byID[i] : nil
  }
  /// The served routine with this msgid, for the kernel's server to use without retaining it
  /// (the table holds every routine for the life of the process).
  @inline(__always)
  static func unretainedRoutine(id: Int32) -> Unmanaged<Routine>? {
    let i = Int(id) - Int(firstID)
    return i >= 0 && i < unretainedByID.count ? unretainedByID[i] : nil
  }
  private static let unretainedByID: [Unmanaged<Routine>?] = byID.map { $0.map { Unmanaged.passUnretained($0) } }

  /// The served routine with this name.
  public static func routine(named name: String) -> Routine? { byName[name] }

  /// exception_raise (exc 2400, reply 2500): the message the kernel sends to an exception
  /// port (docs/gnumach.md §5). Its target is the exception port, a user port.
  public static let exceptionRaise = Routine(
    id: 2400, name: "exception_raise", subsystem: "exc", target: .port, targetName: "exception_port",
    arguments: [
      arg("thread", sendRight), arg("task", sendRight), arg("exception", .int32), arg("code", .int32),
      arg("subcode", .int32),
    ], isSimple: false)
}
