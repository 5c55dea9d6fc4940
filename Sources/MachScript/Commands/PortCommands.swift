import MachModel

// Ports and rights: special ports through the shell, and the mach_port calls a thread of the
// task itself makes (the shortcut trap where GNU Mach has one, else the RPC; docs/shell.md §4,
// §5).

extension CommandRegistry {
  static let ports: [CommandEntry] = [
    CommandEntry(
      "setport", .ports, usage: ["setport TASK|THREAD SLOT PORTREF"],
      summary: "set a special port to a right made from PORTREF", returns: "rc",
      help: """
        mach_port_extract_right into the shell (copy_send, or make_send from a receive right), then
        task_set_special_port or thread_set_special_port. SLOT is kernel, exception, bootstrap,
        trace or a number.
        """, required: [.taskOrThread, .words { Words.slots.map(\.0) }, .port]
    ) { s, c in try s.setport(c) },
    CommandEntry(
      "getport", .ports, usage: ["getport TASK|THREAD SLOT"], summary: "get_special_port into the shell",
      returns: "`shell:N`, or nil", required: [.taskOrThread, .words { Words.slots.map(\.0) }]
    ) { s, c in try s.getport(c) },
    CommandEntry(
      "allocate", .ports, usage: ["allocate TASK [receive|portset|dead]"],
      summary: "mach_port_allocate by a thread of TASK", returns: "port ref",
      help: "The shortcut trap, or the RPC to the task's port when the task is traced.",
      required: [.task], optional: [.words { Words.rights.map(\.0) }]
    ) { s, c in try s.allocate(c) },
    CommandEntry(
      "insert", .ports, usage: ["insert TASK RIGHT PORTREF [name N]"],
      summary: "give TASK a right made from PORTREF", returns: "port ref",
      help: """
        mach_port_extract_right into the shell, then mach_port_insert_right into TASK, under the name
        TASK already has for the port, else the lowest free name (or `name N`).
        """, required: [.task, .words { Words.dispositions.map(\.0) }, .port],
      options: ["name": .atom(.anything)]
    ) { s, c in try s.insert(c) },
    CommandEntry(
      "deallocate", .ports, usage: ["deallocate PORTREF"], summary: "mach_port_deallocate by a thread of the task",
      returns: "rc", required: [.port]
    ) { s, c in try s.portCall(c, "mach_port_deallocate") { p in [.name(p.name)] } },
    CommandEntry(
      "destroy", .ports, usage: ["destroy PORTREF"], summary: "mach_port_destroy by a thread of the task",
      returns: "rc", required: [.port]
    ) { s, c in try s.portCall(c, "mach_port_destroy") { p in [.name(p.name)] } },
    CommandEntry(
      "modrefs", .ports, usage: ["modrefs PORTREF RIGHT DELTA"], summary: "mach_port_mod_refs by a thread of the task",
      returns: "rc", required: [.port, .words { Words.rights.map(\.0) }, .anything]
    ) { s, c in
      try s.portCall(c, "mach_port_mod_refs") { p in
        [.name(p.name), .int(Int32(try s.rightKind(c.arguments[1]))), .int(try s.int32(c.arguments[2], "a delta"))]
      }
    },
    CommandEntry(
      "qlimit", .ports, usage: ["qlimit PORTREF N"], summary: "mach_port_set_qlimit by a thread of the task",
      returns: "rc", required: [.port, .anything]
    ) { s, c in
      try s.portCall(c, "mach_port_set_qlimit") { p in
        [.name(p.name), .int(try s.int32(c.arguments[1], "a queue limit"))]
      }
    },
    CommandEntry(
      "move", .ports, usage: ["move PORTREF to PORTSET|none"], summary: "mach_port_move_member", returns: "rc",
      required: [.port], options: ["to": .atom(.port)]
    ) { s, c in try s.move(c) },
    CommandEntry(
      "notify", .ports, usage: ["notify PORTREF no_senders|dead_name|port_destroyed to PORTREF [sync N]"],
      summary: "mach_port_request_notification",
      returns: "rc",
      help: "The notification comes on a send-once right made from the second port; the previous one is destroyed.",
      required: [.port, .words { Words.notifications.map(\.0) }],
      options: ["to": .atom(.port), "sync": .atom(.anything)]
    ) { s, c in try s.notify(c) },
  ]
}

extension Session {
  /// setport T SLOT PORTREF: extract_right into the shell, then set_special_port.
  func setport(_ c: Command) throws -> Value {
    let target = try evaluate(c.arguments[0])
    let slot = try self.slot(c.arguments[1])
    return try setSpecialPort(target, slot: slot, from: try port(c.arguments[2]), c)
  }

  /// Copies a send right (or makes one from a receive right) from `source` into the shell and
  /// moves it into the task's or thread's slot.
  func setSpecialPort(
    _ target: Value, slot: Int32, from source: (task: TaskIndex, name: PortName), _ c: Command
  ) throws -> Value {
    let holdsSend = kernel.tasks[Int(source.task)].space.lookup(source.name)?.has(PortType.send) == true
    guard
      let extracted = try shellRPC(
        "mach_port_extract_right", taskPort(source.task),
        [.name(source.name), .int(Int32(holdsSend ? MsgType.copySend : MsgType.makeSend))], at: c.location),
      extracted.retCode == 0, case .port(let inShell, _)? = extracted["poly"]
    else { return interpreter.rc }
    let right = MigValue.port(inShell, disposition: MsgType.moveSend)
    switch target {
    case .task(let t, _):
      _ = try shellRPC("task_set_special_port", taskPort(t), [.int(slot), right], at: c.location)
    case .thread(let th, _):
      _ = try shellRPC("thread_set_special_port", threadPortInShell(th), [.int(slot), right], at: c.location)
    default:
      throw ScriptError("\(c.name) needs a task or a thread", at: c.arguments[0].location)
    }
    return interpreter.rc
  }

  func getport(_ c: Command) throws -> Value {
    let target = try evaluate(c.arguments[0])
    let slot = try self.slot(c.arguments[1])
    let reply: MigReply?
    switch target {
    case .task(let t, _):
      reply = try shellRPC("task_get_special_port", taskPort(t), [.int(slot)], at: c.location)
    case .thread(let th, _):
      reply = try shellRPC("thread_get_special_port", threadPortInShell(th), [.int(slot)], at: c.location)
    default: throw ScriptError("getport needs a task or a thread", at: c.arguments[0].location)
    }
    guard let reply, reply.retCode == 0, case .port(let name, _)? = reply["special_port"], MachPort.isValid(name)
    else { return .nil }
    return portValue(shell, name)
  }

  /// A task-performed call: the shortcut trap where GNU Mach has one, else the RPC to the
  /// task's own port (a trap's fallback is invisible, docs/shell.md §5). It waits like any
  /// command: a call that blocks (the task is suspended, or its trace port is full) returns a
  /// pending handle, and `finish` makes the command's value from the reply (nil when mach_msg
  /// failed) once it comes.
  func taskCall(
    _ task: TaskIndex, _ routineName: String, _ args: [MigValue], _ c: Command,
    finish: @escaping (Session, MigReply?) -> Value
  ) throws -> Value {
    let t = try actingThread(task, at: c.location)
    let me = kernel.tasks[Int(task)].space.name(of: kernel.tasks[Int(task)].kernelPort) ?? MachPort.null
    let routine = RoutineTable.routine(named: routineName)!
    var immediate: RPCOutcome? = nil
    return perform(
      t, command: c.source, deadline: nil, background: c.background,
      start: { s in
        let outcome = s.mutate { k in k.call(t, routine, target: me, arguments: args) }
        guard case .inProgress = outcome else {
          immediate = outcome
          return MachMsgReturn.success
        }
        let receiving = s.kernel.threads[Int(t)].state == .blockedInReceive
        return receiving ? MachMsgReturn.rcvInProgress : MachMsgReturn.sendInProgress
      },
      finish: { s, code in
        switch immediate ?? (s.mutate { k in k.finishRPC(t, routine, code) }) {
        case .completed(let reply):
          s.setRC(reply.retCode, machMsg: false)
          return finish(s, reply)
        case .failed(let code):
          s.setRC(code, machMsg: true)
          return finish(s, nil)
        case .inProgress:
          return finish(s, nil)
        }
      })
  }

  /// A mach_port call on PORTREF by a thread of its task; the command's value is the RetCode,
  /// or mach_msg's code when the call failed.
  func portCall(
    _ c: Command, _ routine: String, _ arguments: ((task: TaskIndex, name: PortName)) throws -> [MigValue]
  )
    throws -> Value
  {
    let p = try port(c.arguments[0])
    return try taskCall(p.task, routine, try arguments(p), c) { s, _ in s.interpreter.rc }
  }

  func allocate(_ c: Command) throws -> Value {
    let t = try task(c.arguments[0])
    let right = try c.arguments.count > 1 ? rightKind(c.arguments[1]) : PortRight.receive.rawValue
    return try taskCall(t, "mach_port_allocate", [.int(Int32(bitPattern: right))], c) { s, reply in
      guard let reply, reply.retCode == 0, case .name(let name)? = reply["name"] else { return .nil }
      return s.portValue(t, name)
    }
  }

  /// insert T RIGHT PORTREF [name N]: extract_right into the shell, insert_right into T.
  func insert(_ c: Command) throws -> Value {
    let t = try task(c.arguments[0])
    let right = try disposition(c.arguments[1])
    let source = try port(c.arguments[2])
    var name: PortName
    if let n = c.option("name") {
      name = try uint32(n.values[0], "a port name")
    } else if right != MsgType.makeSendOnce && right != MsgType.moveSendOnce,
      let o = kernel.tasks[Int(source.task)].space.lookup(source.name)?.object, o >= 0,
      let existing = kernel.tasks[Int(t)].space.name(of: o)
    {
      name = existing
    } else {
      name = kernel.tasks[Int(t)].space.lowestFreeName()
    }
    guard
      let extracted = try shellRPC(
        "mach_port_extract_right", taskPort(source.task), [.name(source.name), .int(Int32(right))], at: c.location),
      extracted.retCode == 0, case .port(let inShell, let carried)? = extracted["poly"]
    else { return .nil }
    let moved: UInt32 =
      carried == MsgType.portReceive
      ? MsgType.moveReceive : carried == MsgType.portSendOnce ? MsgType.moveSendOnce : MsgType.moveSend
    guard
      try shellRPC(
        "mach_port_insert_right", taskPort(t), [.name(name), .port(inShell, disposition: moved)], at: c.location)?
        .retCode == 0
    else { return .nil }
    return portValue(t, name)
  }

  func move(_ c: Command) throws -> Value {
    guard let to = c.option("to") else { throw ScriptError("move needs 'to PORTSET' (or 'to none')", at: c.location) }
    let p = try port(c.arguments[0])
    var after = MachPort.null
    if case .name("none", _) = to.values[0] {
    } else {
      let set = try port(to.values[0])
      guard set.task == p.task else { throw ScriptError("the set must be in the same task", at: to.location) }
      after = set.name
    }
    return try portCall(c, "mach_port_move_member") { p in [.name(p.name), .name(after)] }
  }

  /// notify PORTREF KIND to PORTREF [sync N]; the previous send-once right GNU Mach returns is
  /// destroyed (docs/shell.md §13).
  func notify(_ c: Command) throws -> Value {
    let p = try port(c.arguments[0])
    let id = try choice(c.arguments[1], Words.notifications, "a notification")
    guard let to = c.option("to") else { throw ScriptError("notify needs 'to PORTREF'", at: c.location) }
    let target = try port(to.values[0])
    guard target.task == p.task else { throw ScriptError("the notify port must be in the same task", at: to.location) }
    let sync = try c.option("sync").map { try uint32($0.values[0], "sync") } ?? 0
    let args: [MigValue] = [
      .name(p.name), .int(id), .int(Int32(bitPattern: sync)), .port(target.name, disposition: MsgType.makeSendOnce),
    ]
    return try taskCall(p.task, "mach_port_request_notification", args, c) { s, reply in
      let rc = s.interpreter.rc
      if let reply, case .port(let previous, _)? = reply["previous"], MachPort.isValid(previous) {
        _ = s.mutate { k in k.portDeallocate(p.task, previous) }
        s.pump()
      }
      return rc
    }
  }
}
