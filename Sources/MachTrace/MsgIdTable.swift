import MachModel
import MigDefs

/// One routine a message id can stand for.
public struct MsgIdEntry: Equatable, Sendable {
  public var subsystem: String
  public var routine: String
  /// The reply's id (request + 100), or nil for a simpleroutine.
  public var replyID: Int32?
  /// Order of loading: built-in entries are 0, each loaded file one more.
  public var generation: Int
}

/// Message ids and their routine names: built in for GNU Mach's kernel subsystems,
/// notifications, exc and the trace message (docs/trace.md, "The trace stream in the shell"), plus
/// Hurd `.msgids` files loaded on request. Nothing is loaded implicitly.
public struct MsgIdTable: Sendable {
  /// Every routine known for an id, oldest first (more than one when subsystems collide).
  private var byID: [Int32: [MsgIdEntry]] = [:]
  private var generations = 0

  /// The subsystems the kernel serves (a task or thread port's destination serves these).
  public static let kernelSubsystems: Set<String> = [
    "mach", "mach_port", "mach_host", "device", "gnumach", "mach4", "memory_object",
  ]

  /// The built-in table.
  public init() {
    for (subsystem, routines) in Self.builtIn {
      for (id, name, simple) in routines {
        add(MsgIdEntry(subsystem: subsystem, routine: name, replyID: simple ? nil : id + 100, generation: 0), id: id)
      }
    }
  }

  private mutating func add(_ entry: MsgIdEntry, id: Int32) {
    if byID[id]?.contains(where: { $0.subsystem == entry.subsystem && $0.routine == entry.routine }) == true { return }
    byID[id, default: []].append(entry)
  }

  /// The routine name of `id`: its own entry, or `ROUTINE-reply` when it is 100 above a
  /// routine's request id; "" when unknown. Where subsystems share the id, the one the
  /// destination serves wins (`servedByKernel` for kernel ports), else the latest loaded.
  public func name(of id: Int32, servedByKernel: Bool = false) -> String {
    if let entry = entry(for: id, servedByKernel: servedByKernel) { return entry.routine }
    // An id within 100 of Int32.min answers no request (the subtraction would wrap).
    if let requestID = Self.requestID(ofReply: id), let request = entry(for: requestID, servedByKernel: servedByKernel),
      request.replyID == id
    {
      return request.routine + "-reply"
    }
    return ""
  }

  /// The request id a reply id answers (100 less), or nil where that would wrap past
  /// Int32.min: every 32-bit id must decode.
  static func requestID(ofReply id: Int32) -> Int32? {
    let (request, overflow) = id.subtractingReportingOverflow(100)
    return overflow ? nil : request
  }

  /// Every entry, by id.
  public var entriesByID: [Int32: [MsgIdEntry]] { byID }

  /// Every routine name the table knows.
  public var routineNames: [String] { byID.values.flatMap { $0.map(\.routine) } }

  /// Whether `id` is the reply id of a known routine.
  public func isReplyID(_ id: Int32) -> Bool {
    guard let requestID = Self.requestID(ofReply: id) else { return false }
    return byID[requestID]?.contains { $0.replyID == id } == true
  }

  /// The id of the routine called `name` (the first entry, by id), if any.
  public func id(of name: String) -> Int32? {
    byID.filter { $0.value.contains { $0.routine == name } }.keys.min()
  }

  func entry(for id: Int32, servedByKernel: Bool) -> MsgIdEntry? {
    guard let entries = byID[id], !entries.isEmpty else { return nil }
    if entries.count > 1, servedByKernel, let k = entries.last(where: { Self.kernelSubsystems.contains($0.subsystem) })
    {
      return k
    }
    return entries.max { $0.generation < $1.generation }
  }

  /// What loading a file reported.
  public struct LoadReport: Equatable, Sendable {
    public var routines = 0
    /// One line per id that another subsystem already uses: `ID: A/routine vs B/routine`.
    public var collisions: [String] = []
  }

  /// A line of a `.msgids` file that is not `subsystem base routine index request-id reply-id`.
  public struct FormatError: Error, Equatable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public init(file: String, line: Int) {
      self.file = file
      self.line = line
    }
    public var description: String { "\(file):\(line): invalid format" }
  }

  /// Loads Hurd `.msgids` text (`subsystem base routine index request-id reply-id` per line,
  /// `#` comments). A malformed line is an error naming FILE:LINE, and nothing of the file is
  /// loaded. Collisions with ids already known are reported.
  public mutating func load(_ text: String, file: String) -> Result<LoadReport, FormatError> {
    var parsed: [(Int32, MsgIdEntry)] = []
    for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
      let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
      let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
      if fields.isEmpty { continue }
      guard fields.count == 6, Int32(fields[1]) != nil, Int32(fields[3]) != nil,
        let request = Int32(fields[4]), let reply = Int32(fields[5]),
        fields[0].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }),
        fields[2].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" })
      else { return .failure(FormatError(file: file, line: i + 1)) }
      parsed.append(
        (
          request,
          MsgIdEntry(
            subsystem: String(fields[0]), routine: String(fields[2]), replyID: reply == 0 ? nil : reply,
            generation: generations + 1)
        ))
    }
    generations += 1
    var report = LoadReport()
    for (id, entry) in parsed {
      // Another subsystem's routine, or another name for the same subsystem's (a file that
      // renames `task_create`): both are reported; the same routine again is not.
      if let other = byID[id]?.first(where: { $0.subsystem != entry.subsystem || $0.routine != entry.routine }) {
        report.collisions.append("\(id): \(other.subsystem)/\(other.routine) vs \(entry.subsystem)/\(entry.routine)")
      }
      add(entry, id: id)
      report.routines += 1
    }
    return .success(report)
  }

  /// Adds the routines of a loaded .defs file, as a loaded .msgids file's, with the same
  /// collision report.
  public mutating func add(_ file: MigFile) -> LoadReport {
    generations += 1
    var report = LoadReport()
    for r in file.routines {
      let entry = MsgIdEntry(subsystem: r.subsystem, routine: r.name, replyID: r.replyID, generation: generations)
      if let other = byID[r.id]?.first(where: { $0.subsystem != entry.subsystem || $0.routine != entry.routine }) {
        report.collisions.append("\(r.id): \(other.subsystem)/\(other.routine) vs \(entry.subsystem)/\(entry.routine)")
      }
      add(entry, id: r.id)
      report.routines += 1
    }
    return report
  }

  // MARK: - The built-in table

  typealias Routines = [(Int32, String, Bool)]  // id, MIG name, simpleroutine

  static func routines(_ names: [(Int32, String)], simple: Set<Int32> = []) -> Routines {
    names.map { ($0.0, $0.1, simple.contains($0.0)) }
  }

  /// GNU Mach's kernel subsystems and the messages the kernel itself sends, with MIG's
  /// routine names and every id any release used (docs/gnumach.md §6; docs/trace.md D2).
  static let builtIn: [(String, Routines)] = [
    (
      "mach",
      routines(
        [
          (2007, "task_create"), (2008, "task_terminate"), (2009, "task_get_emulation_vector"),
          (2010, "task_set_emulation_vector"), (2011, "task_threads"), (2012, "task_info"),
          (2016, "thread_terminate"), (2017, "thread_get_state"), (2018, "thread_set_state"), (2019, "thread_info"),
          (2021, "vm_allocate"), (2023, "vm_deallocate"), (2024, "vm_protect"), (2025, "vm_inherit"),
          (2026, "vm_read"), (2027, "vm_write"), (2028, "vm_copy"), (2029, "vm_region"), (2030, "vm_statistics"),
          (2033, "mach_ports_register"), (2034, "mach_ports_lookup"), (2039, "memory_object_data_unavailable"),
          (2040, "memory_object_get_attributes"), (2041, "vm_set_default_memory_manager"),
          (2044, "memory_object_lock_request"), (2056, "task_suspend"), (2057, "task_resume"),
          (2058, "task_get_special_port"), (2059, "task_set_special_port"), (2061, "thread_create"),
          (2062, "thread_suspend"), (2063, "thread_resume"), (2064, "thread_abort"),
          (2067, "thread_get_special_port"), (2068, "thread_set_special_port"), (2070, "task_set_emulation"),
          (2071, "task_ras_control"), (2089, "vm_map"), (2090, "memory_object_data_error"),
          (2092, "memory_object_destroy"), (2093, "memory_object_data_supply"), (2094, "memory_object_ready"),
          (2095, "memory_object_change_attributes"), (2099, "vm_machine_attribute"),
        ], simple: [2039, 2044, 2090, 2092, 2093, 2094, 2095])
    ),
    (
      "mach_port",
      routines([
        (3200, "mach_port_names"), (3201, "mach_port_type"), (3202, "mach_port_rename"),
        (3203, "mach_port_allocate_name"), (3204, "mach_port_allocate"), (3205, "mach_port_destroy"),
        (3206, "mach_port_deallocate"), (3207, "mach_port_get_refs"), (3208, "mach_port_mod_refs"),
        (3210, "mach_port_set_qlimit"), (3211, "mach_port_set_mscount"), (3212, "mach_port_get_set_status"),
        (3213, "mach_port_move_member"), (3214, "mach_port_request_notification"), (3215, "mach_port_insert_right"),
        (3216, "mach_port_extract_right"), (3217, "mach_port_get_receive_status"), (3218, "mach_port_set_seqno"),
        (3221, "mach_port_set_protected_payload"), (3222, "mach_port_clear_protected_payload"),
        (3223, "mach_port_set_ktype"),
      ])
    ),
    (
      "mach_host",
      routines([
        (2600, "host_processors"), (2603, "processor_start"), (2604, "processor_exit"),
        (2606, "processor_set_default"), (2608, "processor_set_create"), (2609, "processor_set_destroy"),
        (2611, "processor_assign"), (2612, "processor_get_assignment"), (2613, "thread_assign"),
        (2614, "thread_assign_default"), (2615, "thread_get_assignment"), (2616, "task_assign"),
        (2617, "task_assign_default"), (2618, "task_get_assignment"), (2619, "host_kernel_version"),
        (2620, "thread_priority"), (2621, "thread_max_priority"), (2622, "task_priority"),
        (2623, "processor_set_max_priority"), (2624, "thread_policy"), (2625, "processor_set_policy_enable"),
        (2626, "processor_set_policy_disable"), (2627, "processor_set_tasks"), (2628, "processor_set_threads"),
        (2629, "host_processor_sets"), (2630, "host_processor_set_priv"), (2631, "thread_depress_abort"),
        (2632, "host_set_time"), (2633, "host_adjust_time"), (2634, "host_get_time"), (2635, "host_reboot"),
        (2636, "vm_wire"), (2637, "thread_wire"), (2638, "host_info"), (2639, "processor_info"),
        (2640, "processor_set_info"), (2641, "processor_control"), (2642, "host_get_boot_info"),
        (2643, "host_get_time64"), (2644, "host_set_time64"), (2645, "host_adjust_time64"),
        (2646, "host_get_kernel_version"), (2647, "host_get_uptime64"), (2648, "processor_set_processors"),
        (2649, "task_max_priority"),
      ])
    ),
    (
      "device",
      routines([
        (2800, "device_open"), (2801, "device_close"), (2802, "device_write"), (2803, "device_write_inband"),
        (2804, "device_read"), (2805, "device_read_inband"), (2806, "device_open_new"), (2809, "device_map"),
        (2810, "device_set_status"), (2811, "device_get_status"), (2812, "device_set_filter"),
        (2813, "device_intr_register"), (2814, "device_intr_ack"),
      ])
    ),
    (
      "memory_object",
      routines(
        [
          (2200, "memory_object_init"), (2201, "memory_object_terminate"), (2202, "memory_object_copy"),
          (2203, "memory_object_data_request"), (2204, "memory_object_data_unlock"),
          (2206, "memory_object_lock_completed"), (2207, "memory_object_supply_completed"),
          (2208, "memory_object_data_return"), (2209, "memory_object_change_completed"),
        ], simple: [2200, 2201, 2202, 2203, 2204, 2206, 2207, 2208, 2209])
    ),
    (
      "gnumach",
      routines(
        [
          (4200, "vm_cache_statistics"), (4201, "thread_terminate_release"), (4202, "task_set_name"),
          (4203, "register_new_task_notification"), (4204, "gsync_wait"), (4205, "gsync_wake"),
          (4206, "gsync_requeue"), (4207, "vm_wire_all"), (4208, "vm_object_sync"), (4209, "vm_msync"),
          (4210, "vm_allocate_contiguous"), (4211, "task_set_essential"), (4212, "vm_pages_phys"),
          (4213, "thread_set_name"), (4214, "thread_get_name"), (4215, "vm_set_size_limit"),
          (4216, "vm_get_size_limit"),
        ], simple: [4201, 4202, 4205, 4206, 4211, 4213])
    ),
    (
      "notify",
      routines(
        [
          (65, "mach_notify_port_deleted"), (66, "mach_notify_msg_accepted"), (69, "mach_notify_port_destroyed"),
          (70, "mach_notify_no_senders"), (71, "mach_notify_send_once"), (72, "mach_notify_dead_name"),
        ], simple: [65, 66, 69, 70, 71, 72])
    ),
    ("exc", routines([(2400, "exception_raise")])),
    ("trace", routines([(TraceMessage.id, "mach_trace_message")], simple: [TraceMessage.id])),
  ]
}
