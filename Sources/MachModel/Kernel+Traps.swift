// The RPC shortcut traps (`kern/ipc_mig.c` `syscall_*`, docs/gnumach.md §8), the
// `mach_reply_port` trap, and the user-side stub that falls back on the RPC, as glibc's
// shortcut stubs do.

/// The traps that do an RPC's work without a message.
public enum ShortcutTrap: Int32, CaseIterable, Sendable {
  case vmAllocate = -65
  case vmDeallocate = -66
  case taskCreate = -68
  case taskTerminate = -69
  case taskSuspend = -70
  case taskSetSpecialPort = -71
  case machPortAllocate = -72
  case machPortDeallocate = -73
  case machPortInsertRight = -74
  case machPortAllocateName = -75

  /// The routine the trap stands in for.
  public var routine: Routine {
    let name: String
    switch self {
    case .vmAllocate: name = "vm_allocate"
    case .vmDeallocate: name = "vm_deallocate"
    case .taskCreate: name = "task_create"
    case .taskTerminate: name = "task_terminate"
    case .taskSuspend: name = "task_suspend"
    case .taskSetSpecialPort: name = "task_set_special_port"
    case .machPortAllocate: name = "mach_port_allocate"
    case .machPortDeallocate: name = "mach_port_deallocate"
    case .machPortInsertRight: name = "mach_port_insert_right"
    case .machPortAllocateName: name = "mach_port_allocate_name"
    }
    return RoutineTable.routine(named: name)!
  }

  /// The trap that shortcuts `routine`, if any.
  public init?(routine: Routine) {
    guard let trap = Self.allCases.first(where: { $0.routine.id == routine.id }) else { return nil }
    self = trap
  }
}

/// The result of a user-side RPC stub.
public enum RPCOutcome: Equatable, Sendable {
  /// The reply, decoded (from the trap, or from the reply message).
  case completed(MigReply)
  /// The RPC's mach_msg blocked; its end arrives in `completions`, and the reply can then be
  /// read with `Kernel.decodeReply`.
  case inProgress
  /// mach_msg failed, or the reply was not this routine's (MIG_REPLY_MISMATCH,
  /// MIG_SERVER_DIED for a send-once notification, MIG_TYPE_ERROR).
  case failed(ReturnCode)
}

extension Kernel {
  /// Performs a shortcut trap for thread `t`: `target` must name, in the caller's space, a
  /// send right to a live task port, and the caller must have no trace port (docs/trace.md T11);
  /// otherwise MACH_SEND_INTERRUPTED, before anything observable happens. Any other code is
  /// the routine's own. Rights in `arguments` are copied in from the caller's space; rights
  /// in the results are copied out into it.
  public mutating func trap(
    _ t: ThreadIndex, _ trap: ShortcutTrap, target: PortName, arguments: [MigValue]
  ) -> (ReturnCode, [MigValue]) {
    let task = threads[Int(t)].task
    guard tasks[Int(task)].isActive else { return (MachMsgReturn.sendInterrupted, []) }
    if tasks[Int(task)].specialPorts[Int(SpecialPort.taskTrace)] >= 0 { return (MachMsgReturn.sendInterrupted, []) }
    guard let e = entry(task, target), e.has(PortType.send), e.object >= 0, taskOf(port: e.object) != nil else {
      return (MachMsgReturn.sendInterrupted, [])
    }
    let routine = trap.routine
    let inputs = routine.inputs
    guard inputs.count == arguments.count, inputs.count <= KernelArgs.capacity else {
      return (MigReturn.badArguments, [])
    }
    var args = KernelArgs()
    for (arg, value) in zip(inputs, arguments) {
      switch (arg.type, value) {
      case (.int32, .int(let v)), (.boolean, .int(let v)): args.append(.int(v))
      case (.portName, .name(let n)): args.append(.name(n))
      case (.port, .port(let n, _)), (.polyPort, .port(let n, _)):
        // A trap takes a name; the kernel copies in the routine's own disposition
        // (COPY_SEND for a mach_port_t), or the caller's for a polymorphic right.
        var d = MsgType.copySend
        if case .port(let fixed) = arg.type { d = fixed }
        if case .port(_, let chosen) = value, arg.type == .polyPort { d = chosen }
        guard MachPort.isValid(n) else {
          args.append(.right(-1, carriedType: MsgType.carriedType(d)))
          continue
        }
        guard entry(task, n) != nil else { releaseKernelArgs(args); return (KernReturn.invalidName, []) }
        guard let c = copyinRight(task, n, d, deadOK: true) else {
          releaseKernelArgs(args); return (KernReturn.invalidRight, [])
        }
        freeEntryIfEmpty(task, n)
        if c.deletedNotify >= 0 { sendNotification(to: c.deletedNotify, id: NotifyID.portDeleted, .name(n)) }
        args.append(.right(c.object, carriedType: MsgType.carriedType(d)))
      default:
        releaseKernelArgs(args)
        return (MigReturn.badArguments, [])
      }
    }
    let (code, outputs) = perform(routine.id, on: e.object, args)
    guard code == KernReturn.success else {
      releaseKernelArgs(args)
      releaseReplyValues(outputs)
      return (code, [])
    }
    let results: [MigValue] = outputs.map {
      switch $0 {
      case .int(let v): return .int(v)
      case .name(let n): return .name(n)
      case .right(let o, let carried):
        return .port(copyoutKernelRight(task, o, carriedType: carried), disposition: carried)
      default: return .int(0)  // no trap has other kinds of results
      }
    }
    return (code, results)
  }

  private mutating func releaseKernelArgs(_ args: KernelArgs) {
    for case .right(let o, let type) in args { releaseRight(o, type) }
  }

  /// The `mach_reply_port` trap (-26): a new receive right in the caller's space.
  public mutating func machReplyPort(_ t: ThreadIndex) -> PortName {
    portAllocate(threads[Int(t)].task, right: PortRight.receive.rawValue).1
  }

  /// The thread's MIG reply port: made by `mach_reply_port` on its first RPC and kept for
  /// the thread's life (glibc's per-thread reply port, docs/shell.md §3).
  public mutating func migReplyPort(_ t: ThreadIndex) -> PortName {
    if threads[Int(t)].migReplyName == MachPort.null { threads[Int(t)].migReplyName = machReplyPort(t) }
    return threads[Int(t)].migReplyName
  }

  /// A user-side stub for `routine` on thread `t`, as glibc generates it: the shortcut trap
  /// first, when there is one; on MACH_SEND_INTERRUPTED (or with no trap) the RPC through
  /// mach_msg, with a send-once right to the thread's MIG reply port.
  ///
  /// A suspended thread cannot enter a trap: its call waits, as the RPC (whose mach_msg starts
  /// when the thread resumes, with the same result).
  public mutating func call(_ t: ThreadIndex, _ routine: Routine, target: PortName, arguments: [MigValue]) -> RPCOutcome
  {
    if let shortcut = ShortcutTrap(routine: routine), !isSuspended(t) {
      let (code, results) = trap(t, shortcut, target: target, arguments: arguments)
      if code != MachMsgReturn.sendInterrupted {
        var reply = MigReply(retCode: code, names: routine.outputNames)
        for (_, value) in zip(routine.outputNames, results) { reply.append(value) }
        return .completed(reply)
      }
    }
    return rpc(t, routine, target: target, arguments: arguments)
  }

  /// The RPC itself: mach_msg with MACH_SEND_MSG|MACH_RCV_MSG on the thread's reply port;
  /// with `timeout` (ms), also MACH_SEND_TIMEOUT|MACH_RCV_TIMEOUT, as a MIG stub given one.
  public mutating func rpc(
    _ t: ThreadIndex, _ routine: Routine, target: PortName, arguments: [MigValue], timeout: UInt32? = nil
  ) -> RPCOutcome {
    let reply = migReplyPort(t)
    let options: MachMsgOptions =
      timeout == nil ? [.send, .receive] : [.send, .receive, .sendTimeout, .receiveTimeout]
    var call = MachMsgCall(options: options, receiveSize: 8192, receiveName: reply, timeout: timeout ?? 0)
    // The request is written into the kernel's request buffer, reused from call to call and
    // moved (never copied) in and out of the call.
    swap(&call.message, &requestBytes)
    defer { swap(&call.message, &requestBytes) }
    let error: MigError?
    if arguments.contains(where: \.isNameList) {
      guard let placed = placeOutOfLineArguments(t, routine, arguments) else { return .failed(MigReturn.badArguments) }
      error = Mig.request(routine, target: target, reply: reply, arguments: placed, into: &call.message)
    } else {
      error = Mig.request(routine, target: target, reply: reply, arguments: arguments, into: &call.message)
    }
    guard error == nil else { return .failed(MigReturn.badArguments) }
    call.sendSize = UInt32(call.message.count)
    let code = machMsg(t, call)
    if code == MachMsgReturn.rcvInProgress || code == MachMsgReturn.sendInProgress { return .inProgress }
    return finishRPC(t, routine, code)
  }

  /// An out-of-line port array given as names is written into fresh memory of the caller's
  /// task, where MIG's user stub sends it from (the region stays the caller's). nil when the
  /// task has no room.
  private mutating func placeOutOfLineArguments(
    _ t: ThreadIndex, _ routine: Routine, _ arguments: [MigValue]
  ) -> [MigValue]? {
    var placed = arguments
    let task = threads[Int(t)].task
    for (i, value) in arguments.enumerated() {
      guard case .ports(let names, let disposition) = value, i < routine.inputs.count,
        case .outOfLinePorts = routine.inputs[i].type
      else { continue }
      var bytes: [UInt8] = []
      for n in names { bytes.appendWord(n) }
      var address: UInt32 = 0
      if !names.isEmpty {
        guard let a = tasks[Int(task)].map.allocate(size: UInt32(bytes.count), contents: bytes) else { return nil }
        address = a
      }
      placed[i] = .outOfLinePorts(address: address, count: UInt32(names.count), disposition: disposition)
    }
    return placed
  }

  /// Whether a MIG stub whose mach_msg ended with `code` gives up its reply port: after a
  /// receive error, and after a send error that handed the request back (timed out,
  /// interrupted), whose send-once reply right could still bring something to the port.
  /// Errors found before anything was copied in leave the port alone, as MIG's stubs do.
  public static func replacesReplyPort(_ code: ReturnCode, handedBack: Bool) -> Bool {
    guard code > 0, code & 0x1000_0000 != 0 else { return false }
    return code & 0x4000 != 0 || handedBack
  }

  /// Destroys the thread's MIG reply port after a receive error, as MIG's stubs do, so that a
  /// late reply cannot be taken for the next call's; the next RPC makes a new one.
  public mutating func discardMigReplyPort(_ t: ThreadIndex) {
    _ = portDestroy(threads[Int(t)].task, threads[Int(t)].migReplyName)
    threads[Int(t)].migReplyName = MachPort.null
  }

  /// Reads the reply of an RPC whose mach_msg ended with `code` (docs/shell.md §5): the decoded
  /// reply, MIG_SERVER_DIED for a send-once notification, MIG_REPLY_MISMATCH for another id,
  /// or mach_msg's error (after a receive error the thread's reply port is replaced).
  public mutating func finishRPC(_ t: ThreadIndex, _ routine: Routine, _ code: ReturnCode) -> RPCOutcome {
    guard code == MachMsgReturn.success else {
      if Self.replacesReplyPort(code, handedBack: threads[Int(t)].messageLength >= MsgHeader.size) {
        discardMigReplyPort(t)
      }
      return .failed(code)
    }
    // A success with no message in the thread's hands is a caller's mistake, not a reply.
    guard threads[Int(t)].messageLength >= MsgHeader.size else { return .failed(MigReturn.replyMismatch) }
    if Int32(bitPattern: threads[Int(t)].messageBuffer.word(at: MsgHeader.idOffset)) == NotifyID.sendOnce {
      return .failed(MigReturn.serverDied)
    }
    // The message is moved out of the thread while it is read and then put back: read in
    // place, it would be retained and released around the call.
    var message: [UInt8] = []
    swap(&message, &threads[Int(t)].messageBuffer)
    defer { swap(&message, &threads[Int(t)].messageBuffer) }
    let decoded: Result<MigReply, MigError>
    if routine.hasOutOfLineOutputs {  // its arrays are read from the task's memory
      let task = threads[Int(t)].task
      // The closure holds the task table alone: capturing `self` would copy the whole kernel.
      decoded = Mig.decodeReply(routine, message) { [tasks] in tasks[Int(task)].map.read(address: $0, size: $1) }
    } else {
      decoded = Mig.decodeReply(routine, message)
    }
    switch decoded {
    case .success(let reply): return .completed(reply)
    case .failure(.replyMismatch): return .failed(MigReturn.replyMismatch)
    case .failure: return .failed(MigReturn.typeError)
    }
  }
}
