import MachModel
import MachTrace
import MigDefs

// rpc and raise (docs/shell.md §5): a MIG request with the thread's reply port, and an
// exception the kernel raises for a thread.

extension CommandRegistry {
  static let rpcCommands: [CommandEntry] = [
    CommandEntry(
      "rpc", .messages,
      usage: [
        "rpc ROUTINE(TARGET, ARG …) [timeout MS] [thread N] [&]",
        "rpc ID(TARGET, INT …) [timeout MS] [thread "
          + "N] [&]",
      ],
      summary: "a MIG request, with the thread's reply port, and its reply",
      returns: "the reply, nil, or a pending handle",
      help: """
        The reply's out-arguments are fields of the returned message, named as the routine names
        them. A numbered routine, or one only a loaded .msgids file names, carries its ints as
        INTEGER_32 items. An out-of-line port array (as mach_ports_register takes) is a list of
        port refs in the target's space, or nil, sent copy_send from the caller's memory. With
        `timeout`, MACH_SEND_TIMEOUT|MACH_RCV_TIMEOUT. After a receive error, or a send error that
        hands the request back (which the shell then destroys), the reply port is replaced.
        """,
      required: [.routine], options: ["timeout": .atom(.anything), "thread": .atom(.anything)]
    ) { s, c in try s.rpc(c) },
    CommandEntry(
      "raise", .messages, usage: ["raise THREAD EXC [code N] [subcode N]"],
      summary: "an exception, raised by the kernel for THREAD",
      returns: "KERN_SUCCESS or KERN_TERMINATED",
      help: "exception_raise to the thread's exception port, then the task's; with no handler the task is terminated.",
      required: [.thread, .anything],
      options: ["code": .atom(.anything), "subcode": .atom(.anything)]
    ) { s, c in try s.raise(c) },
  ]
}

extension Session {
  func rpc(_ c: Command) throws -> Value {
    guard case .call(let name, let args, let at) = c.arguments[0], !args.isEmpty else {
      throw ScriptError("rpc needs ROUTINE(TARGET, ARG …)", at: c.arguments[0].location)
    }
    let routine: Routine
    if let id = Int32(name) {
      guard let r = RoutineTable.routine(id: id) else {
        if let loaded = intake.definitions.routinesByID[id] { return try typedRPC(loaded, args, c, at: at) }
        return try rawRPC(id, args, c)
      }
      routine = r
    } else if let r = RoutineTable.routine(named: name) {
      routine = r
    } else if let loaded = intake.definitions.routinesByName[name] {
      return try typedRPC(loaded, args, c, at: at)
    } else if let id = intake.msgids.id(of: name) {
      return try rawRPC(id, args, c)  // a routine a loaded .msgids file names: by its id, ints only
    } else {
      let hint =
        CommandRegistry.nearest(to: name, among: RoutineTable.served.map(\.name)).map {
          "; did you mean '\($0)'?"
        } ?? ""
      throw ScriptError(
        "unknown routine '\(name)' (not in the built-in table, a loaded .defs file nor a loaded .msgids file\(hint))",
        at: at)
    }
    let target = try port(args[0])
    guard args.count - 1 == routine.inputs.count else {
      let n = routine.inputs.count
      throw ScriptError(
        "\(routine.name) takes \(n) argument\(n == 1 ? "" : "s") after the target, not \(args.count - 1)", at: at)
    }
    let values = try zip(routine.inputs, args.dropFirst()).map { try migArgument($0, $1, target: target.task) }
    let t = try actingThread(target.task, number: c.option("thread")?.values[0], at: c.location)
    noteWithoutReplyPort(t)
    let timeout = try deadline(c)
    // The outcome when mach_msg ended at once; otherwise the reply is read when it completes.
    var immediate: RPCOutcome? = nil
    return perform(
      t, command: c.source, deadline: timeout?.due, background: c.background,
      start: { s in
        let outcome = s.mutate { k in k.rpc(t, routine, target: target.name, arguments: values, timeout: timeout?.ms) }
        if case .inProgress = outcome { return MachMsgReturn.rcvInProgress }
        immediate = outcome
        return MachMsgReturn.success
      },
      finish: { s, code in
        switch immediate ?? (s.mutate { k in k.finishRPC(t, routine, code) }) {
        case .completed(let reply):
          s.setRC(reply.retCode, machMsg: false)
          var m = s.messageValue(s.kernel.threads[Int(t)].message, in: target.task, retval: reply.retCode)
          m.routine = routine.name + "-reply"
          m.outputs = reply.outputs.map { out in
            let type = routine.outputs.first { $0.name == out.name }?.type
            return (out.name, s.migValue(out.value, in: target.task, type: type))
          }
          return .message(m)
        case .failed(let code):
          s.setRC(code, machMsg: code & 0x1000_0000 != 0 && code > 0)
          s.destroyHandedBack(t)  // a send that failed after copy-in gave the request back
          return .nil
        case .inProgress:
          return .nil
        }
      })
  }

  /// One argument of a typed routine, as MIG's stub would pass it.
  private func migArgument(_ arg: MigArgument, _ e: Expr, target: TaskIndex) throws -> MigValue {
    let v = try evaluate(e)
    let space = "\(kernel.tasks[Int(target)].name)'s space"
    switch (arg.type, v) {
    case (.port(let d), .port(let t, _, let n)):
      guard t == target else { throw ScriptError("\(arg.name) must be a name in \(space)", at: e.location) }
      return .port(n, disposition: d)
    case (.polyPort, .port(let t, _, let n)):
      guard t == target else { throw ScriptError("\(arg.name) must be a name in \(space)", at: e.location) }
      return .port(n, disposition: MsgType.copySend)
    case (.outOfLinePorts, .list(let items)):
      // An array of send rights (copy_send), each a name in the target's space or nil.
      let names = try items.map { item -> PortName in
        switch item {
        case .nil: return MachPort.null
        case .port(let t, _, let n) where t == target: return n
        default:
          throw ScriptError(
            "\(arg.name) is a list of ports in \(space) (or nil), not \(item.kindWithArticle)", at: e.location)
        }
      }
      return .ports(names, disposition: MsgType.copySend)
    case (.outOfLinePorts, let v):
      throw ScriptError("\(arg.name) is a list of ports, not \(v.kindWithArticle)", at: e.location)
    case (.portName, .port(_, _, let n)): return .name(n)
    case (.portName, _), (.port, _), (.polyPort, _): return .name(try uint32(e, arg.name))
    default: return .int(try int32(e, arg.name))
    }
  }

  /// A thread's first RPC makes its reply port with the mach_reply_port trap, which gives
  /// MACH_PORT_NULL when the kernel has no ports left; the RPC then goes without a reply port
  /// and its receive fails with MACH_RCV_INVALID_NAME, as in GNU Mach. A note says why.
  private func noteWithoutReplyPort(_ t: ThreadIndex) {
    let reply = mutate { k in k.migReplyPort(t) }
    guard reply == MachPort.null else { return }
    output.writeError(
      "note: \(label(t)) has no reply port: mach_reply_port gave MACH_PORT_NULL (the kernel has no ports left)\n")
  }

  /// `rpc ID(TARGET, INT …)` for an id outside the routine table: a MIG-style request whose
  /// body is the ints, each an INTEGER_32 item (`rpc 2999(t.self)` gets MIG_BAD_ID from a
  /// kernel port; a served port answers as its server does).
  private func rawRPC(_ id: Int32, _ args: [Expr], _ c: Command) throws -> Value {
    let target = try port(args[0])
    let values = try args.dropFirst().map { try int32($0, "an argument of a numbered rpc") }
    let t = try actingThread(target.task, number: c.option("thread")?.values[0], at: c.location)
    noteWithoutReplyPort(t)
    let reply = mutate { k in k.migReplyPort(t) }
    operations.expectReply(task: target.task, port: reply, id: id &+ 100)
    var builder = MessageBuilder(
      remote: target.name, remoteDisposition: MsgType.copySend, local: reply, localDisposition: MsgType.makeSendOnce,
      id: id)
    for v in values { builder.int32([v]) }
    let m = builder.finish()
    let timeout = try deadline(c)
    let options: MachMsgOptions =
      timeout == nil ? [.send, .receive] : [.send, .receive, .sendTimeout, .receiveTimeout]
    return perform(
      t, command: c.source, deadline: timeout?.due, background: c.background,
      start: { s in
        s.mutate(carrying: m.count) { k in
          k.machMsg(
            t,
            MachMsgCall(options: options, message: m, receiveSize: 8192, receiveName: reply, timeout: timeout?.ms ?? 0))
        }
      },
      finish: { s, code in
        guard code == MachMsgReturn.success else {
          let handedBack = s.kernel.threads[Int(t)].message.count >= MsgHeader.size
          if Kernel.replacesReplyPort(code, handedBack: handedBack) { s.mutate { k in k.discardMigReplyPort(t) } }
          s.destroyHandedBack(t)  // a send that failed after copy-in gave the request back
          s.setRC(code, machMsg: true)
          return .nil
        }
        let value = s.messageValue(s.kernel.threads[Int(t)].message, in: target.task)
        s.setRC(value.retval ?? MigReturn.replyMismatch, machMsg: false)
        return .message(value)
      })
  }

  /// `rpc ROUTINE(TARGET, ARG …)` for a routine of a loaded .defs file: the request MIG's
  /// user stub builds (each argument checked against its declaration), and for a routine its
  /// reply read by the declaration: MIG_TYPE_ERROR in `rc` when the reply does not match it
  /// (the out-arguments are named as far as it matches), MIG_REPLY_MISMATCH for another id.
  private func typedRPC(_ routine: MigRoutine, _ args: [Expr], _ c: Command, at: SourceLocation) throws -> Value {
    let target = try port(args[0])
    let declared = routine.arguments.filter(\.direction.isInRequestBody)
    guard args.count - 1 == declared.count else {
      let n = declared.count
      throw ScriptError(
        "\(routine.name) takes \(n) argument\(n == 1 ? "" : "s") after the target "
          + "(\(declared.map(\.name).joined(separator: ", "))), not \(args.count - 1)", at: at)
    }
    let inputs = try zip(declared, args.dropFirst()).map {
      try migInput(try evaluate($1), for: $0, from: target.task, at: $1.location)
    }
    let t = try actingThread(target.task, number: c.option("thread")?.values[0], at: c.location)
    let hasReply = routine.kind.hasReply
    var reply = MachPort.null
    if hasReply {
      noteWithoutReplyPort(t)
      reply = mutate { k in k.migReplyPort(t) }
    }
    let task = target.task
    let built = MigCodec.request(routine, target: target.name, reply: reply, arguments: inputs) {
      placeOutOfLine($0, in: task)
    }
    let request: [UInt8]
    switch built {
    case .success(let m): request = m
    case .failure(let e):
      let where_ = e.argument.map { args[$0 + 1].location } ?? at
      let who = e.argument.map { "\(declared[$0].name) " } ?? ""
      throw ScriptError(who + e.message, at: where_)
    }
    if hasReply { operations.expectReply(task: task, port: reply, id: routine.id &+ 100) }
    let timeout = try deadline(c)
    var options: MachMsgOptions = hasReply ? [.send, .receive] : [.send]
    if timeout != nil { options.formUnion(hasReply ? [.sendTimeout, .receiveTimeout] : [.sendTimeout]) }
    return perform(
      t, command: c.source, deadline: timeout?.due, background: c.background,
      start: { s in
        s.mutate(carrying: request.count) { [options, reply] k in
          k.machMsg(
            t,
            MachMsgCall(
              options: options, message: request, receiveSize: 8192, receiveName: reply, timeout: timeout?.ms ?? 0))
        }
      },
      finish: { s, code in
        guard code == MachMsgReturn.success else {
          let handedBack = s.kernel.threads[Int(t)].message.count >= MsgHeader.size
          if hasReply, Kernel.replacesReplyPort(code, handedBack: handedBack) {
            s.mutate { k in k.discardMigReplyPort(t) }
          }
          s.destroyHandedBack(t)  // a send that failed after copy-in gave the request back
          s.setRC(code, machMsg: true)
          return .nil
        }
        guard hasReply else {
          s.setRC(code, machMsg: true)
          return .nil
        }
        let bytes = s.kernel.threads[Int(t)].message
        var m = s.messageValue(bytes, in: task)
        guard m.id == routine.id &+ 100 else {
          s.setRC(MigReturn.replyMismatch, machMsg: false)
          return .message(m)
        }
        let decoded = MigCodec.decode(bytes, as: routine, reply: true)
        let outputs = routine.arguments.filter(\.direction.isInReplyBody)
        m.routine = routine.name + "-reply"
        m.retval = decoded.retCode
        m.outputs = decoded.arguments.compactMap { named in
          outputs.first { $0.name == named.name }.map { (named.name, s.typedValue(named.item, for: $0, in: task)) }
        }
        s.setRC(decoded.mismatch == nil ? decoded.retCode ?? MigReturn.typeError : MigReturn.typeError, machMsg: false)
        return .message(m)
      })
  }

  func raise(_ c: Command) throws -> Value {
    let t = try thread(c.arguments[0], for: "raise")
    guard kernel.threads[Int(t)].state != .terminated else {
      throw ScriptError("\(label(t)) is terminated", at: c.arguments[0].start)
    }
    guard kernel.threads[Int(t)].state == .idle else { throw ScriptError("\(label(t)) is busy", at: c.location) }
    let exception = try int32(c.arguments[1], "an exception")
    let code = try c.option("code").map { try int32($0.values[0], "a code") } ?? 0
    let subcode = try c.option("subcode").map { try int32($0.values[0], "a subcode") } ?? 0
    return perform(
      t, command: c.source, deadline: nil, background: c.background,
      start: { s in
        let result = s.mutate { k in k.raiseException(t, exception: exception, code: code, subcode: subcode) }
        s.setRC(result, machMsg: false)
        return result == KernReturn.terminated || result == KernReturn.success ? result : MachMsgReturn.rcvInProgress
      },
      finish: { s, result in
        s.setRC(result, machMsg: false)
        return .code(result, fromMachMsg: false)
      })
  }
}
