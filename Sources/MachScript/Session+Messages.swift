import MachModel
import MachTrace

// send, receive, rpc, raise, serve and reply (language.md §5; details.md §5, §11, §12).

extension Session {
  // MARK: - Building messages

  /// The body items of `send … body ITEM …`, encoded as MIG would (language.md §5).
  func appendItems(_ exprs: [Expr], to m: inout MessageBuilder, task: TaskIndex) throws {
    for e in exprs {
      guard case .call(let kind, let args, let at) = e else {
        throw ScriptError("a body item is int32(…), int64(…), bytes(…), string(…), port(…) or ool(…)", at: e.location)
      }
      switch kind {
      case "int32":
        m.int32(try args.map { Int32(truncatingIfNeeded: try integer($0, "an int32")) })
      case "int64":
        m.int64(try args.map { try integer($0, "an int64") })
      case "bytes":
        guard args.count == 1 else { throw ScriptError("bytes takes a string or a count", at: at) }
        switch try interpreter.evaluate(args[0]) {
        case .string(let s): m.byteArray(Array(s.utf8))
        case .int(let n):
          guard n >= 0, n <= 1 << 20 else { throw ScriptError("bytes(\(n)): between 0 and 1048576", at: at) }
          m.byteArray([UInt8](repeating: 0, count: Int(n)))
        case let v: throw ScriptError("bytes takes a string or a count, not \(v.kindWithArticle)", at: at)
        }
      case "string":
        guard args.count == 1, case .string(let s) = try interpreter.evaluate(args[0]) else {
          throw ScriptError("string takes one string", at: at)
        }
        m.string(s)
      case "port":
        guard args.count == 2 else { throw ScriptError("port takes a port reference and a right", at: at) }
        let p = try port(args[0])
        guard p.task == task else { throw ScriptError("the port must be a name in the sender's space (\(kernel.tasks[Int(task)].name))", at: args[0].location) }
        m.ports([p.name], disposition: try disposition(args[1]))
      case "ool":
        guard args.count == 1 else { throw ScriptError("ool takes a size", at: at) }
        let size = try uint32(args[0], "an out-of-line size")
        // ool(SIZE) first vm_allocates SIZE bytes in the sender (details.md §11).
        let (kr, address) = kernel.vmAllocate(task, size: size)
        guard kr == KernReturn.success else { throw ScriptError("no room for \(size) bytes in \(kernel.tasks[Int(task)].name)", at: at) }
        m.outOfLine(address: address, size: size)
      default:
        throw ScriptError("unknown body item '\(kind)'", at: at)
      }
    }
  }

  func deadline(_ c: Command) throws -> (UInt32, UInt64)? {
    guard let t = c.option("timeout") else { return nil }
    let ms = try uint32(t.values[0], "a timeout")
    return (ms, kernel.now + UInt64(ms) * 1000)
  }

  // MARK: - send and receive

  func send(_ c: Command) throws -> Value {
    let dest = try port(c.arguments[0])
    let t = try actingThread(dest.task, number: c.option("thread")?.values[0], at: c.location)
    let id = try c.option("id").map { Int32(truncatingIfNeeded: try integer($0.values[0], "an id")) } ?? 0
    var destDisposition = MsgType.copySend
    if kernel.tasks[Int(dest.task)].space.lookup(dest.name)?.has(PortType.sendOnce) == true { destDisposition = MsgType.moveSendOnce }
    if let d = c.option("dest") { destDisposition = try disposition(d.values[0]) }
    var reply = MachPort.null, replyDisposition: UInt32 = 0
    if let r = c.option("reply") {
      let p = try port(r.values[0])
      guard p.task == dest.task else { throw ScriptError("the reply port must be a name in the sender's space", at: r.location) }
      reply = p.name
      replyDisposition = r.values.count > 1 ? try disposition(r.values[1]) : MsgType.makeSendOnce
    }
    if MachPort.isValid(reply) { expectedReplies.insert(ExpectedReply(task: dest.task, port: reply, id: id &+ 100)) }
    var m = MessageBuilder(remote: dest.name, remoteDisposition: destDisposition, local: reply, localDisposition: replyDisposition, id: id)
    try appendItems(c.option("body")?.values ?? [], to: &m, task: dest.task)
    let message = m.finish()
    let timeout = try deadline(c)
    let options: MachMsgOptions = timeout == nil ? [] : .sendTimeout
    return perform(t, command: c.source, deadline: timeout?.1, background: c.background, start: { s in
      let code = s.kernel.machMsg(t, .send(message, options: options, timeout: timeout?.0 ?? 0))
      s.setRC(code, machMsg: true)
      return code
    }, finish: { s, code in
      s.setRC(code, machMsg: true)
      if code != MachMsgReturn.success { s.destroyHandedBack(t) }
      return .code(code, fromMachMsg: true)
    })
  }

  /// A failed send's message handed back to its sender is destroyed as mach_msg_destroy
  /// would: the rights in it are released, with their notifications (details.md §4).
  func destroyHandedBack(_ t: ThreadIndex) {
    let bytes = kernel.threads[Int(t)].message
    guard let view = MessageView(bytes) else { return }
    destroyUserMessage(view, in: kernel.threads[Int(t)].task)
  }

  /// mach_msg_destroy in user space: deallocates every right the message names in `task`'s
  /// space (the header's too) and the out-of-line regions.
  func destroyUserMessage(_ view: MessageView, in task: TaskIndex) {
    for (name, type) in [(view.remotePort, view.remoteBits), (view.localPort, view.localBits)]
    where MachPort.isValid(name) && MsgType.isPort(type) {
      release(name, type, in: task)
    }
    if case .success(let items) = view.items() {
      for item in items {
        if !item.descriptor.isInline {
          _ = kernel.vmDeallocate(task, address: item.words.first ?? 0, size: UInt32(clamping: item.descriptor.inlineDataLength))
        } else if item.descriptor.isPort {
          for name in item.words where MachPort.isValid(name) { release(name, item.descriptor.name, in: task) }
        }
      }
    }
    pump()
  }

  private func release(_ name: PortName, _ type: UInt32, in task: TaskIndex) {
    if type == MsgType.portReceive {
      _ = kernel.portModRefs(task, name, right: PortRight.receive.rawValue, delta: -1)
    } else {
      _ = kernel.portDeallocate(task, name)
    }
  }

  func receive(_ c: Command) throws -> Value {
    let p = try port(c.arguments[0])
    let t = try actingThread(p.task, number: c.option("thread")?.values[0], at: c.location)
    let max = try c.option("max").map { try uint32($0.values[0], "a buffer size") } ?? 1 << 20
    let large = c.option("large") != nil
    let timeout = try deadline(c)
    var options: MachMsgOptions = large ? .receiveLarge : []
    if timeout != nil { options.insert(.receiveTimeout) }
    return perform(t, command: c.source, deadline: timeout?.1, background: c.background, start: { s in
      let code = s.kernel.machMsg(t, .receive(p.name, size: max, options: options, timeout: timeout?.0 ?? 0))
      s.setRC(code, machMsg: true)
      return code
    }, finish: { s, code in
      s.setRC(code, machMsg: true)
      guard code == MachMsgReturn.success || code == MachMsgReturn.rcvTooLarge else { return .nil }
      return .message(s.messageValue(s.kernel.threads[Int(t)].message, in: p.task))
    })
  }

  /// A received message as a value: names become port refs in the receiver's space. The
  /// body's items are made only when `.body` is read.
  func messageValue(_ bytes: [UInt8], in task: TaskIndex, retval: ReturnCode? = nil) -> MessageValue {
    let v = MessageView(bytes)!
    var code = retval
    // A MIG reply: an id 100 above a request id, and one inline INTEGER_32 first.
    let expected = expectedReplies.remove(ExpectedReply(task: task, port: v.localPort, id: v.id)) != nil
    if code == nil, expected || decoder.msgids.isReplyID(v.id), bytes.count >= 32, v.size >= 32, bytes.word(at: 24) == 0x1001_2002 {
      code = ReturnCode(bitPattern: bytes.word(at: 28))
    }
    return MessageValue(
      id: v.id, size: v.size, seqno: v.seqno,
      // With a protected payload the local slot holds the payload, not a name (§1.6).
      dest: v.localBits == MsgType.protectedPayload ? .int(Int64(v.localPort))
        : MachPort.isValid(v.localPort) ? portValue(task, v.localPort) : .nil,
      reply: MachPort.isValid(v.remotePort) ? portValue(task, v.remotePort) : .nil,
      complex: v.isComplex, task: task, retval: code, bytes: bytes)
  }

  /// The typed items of a received message, as values.
  func bodyValues(_ m: MessageValue) -> [Value] {
    guard let v = MessageView(m.bytes), v.size > UInt32(MsgHeader.size), case .success(let items) = v.items() else { return [] }
    return items.map { itemValue(TraceItem($0), in: m.task) }
  }

  /// An item as a value: `type`, `number`, `value` (details.md §11).
  func itemValue(_ item: TraceItem, in task: TaskIndex) -> Value {
    var fields: [(String, Value)] = [("type", .string(item.type)), ("number", .int(Int64(item.number)))]
    switch item.value {
    case .ints(let v):
      let values = v.map { Value.int($0) }
      fields.append(("value", item.number == 1 && item.type != "byte" && item.type != "char" ? values.first ?? .nil : .list(values)))
    case .string(let s): fields.append(("value", .string(s)))
    case .ports(let names, let right):
      let refs = names.map { MachPort.isValid($0) ? portValue(task, $0) : .int(Int64($0)) }
      fields.append(("value", refs.count == 1 ? refs[0] : .list(refs)))
      fields.append(("right", .string(right)))
    case .ool(let address, let size):
      fields.append(("value", .fields([("address", .int(Int64(address))), ("size", .int(Int64(size)))])))
    }
    return .fields(fields)
  }

  // MARK: - rpc and raise

  func rpc(_ c: Command) throws -> Value {
    guard case .call(let name, let args, let at) = c.arguments[0], !args.isEmpty else {
      throw ScriptError("rpc needs ROUTINE(TARGET, ARG …)", at: c.arguments[0].location)
    }
    let routine: Routine
    if let id = Int32(name) {
      guard let r = RoutineTable.routine(id: id) else {
        return try rawRPC(id, args, c)
      }
      routine = r
    } else if let r = RoutineTable.routine(named: name) {
      routine = r
    } else if let id = decoder.msgids.id(of: name) {
      return try rawRPC(id, args, c)  // a routine a loaded .msgids file names: by its id, ints only
    } else {
      throw ScriptError("unknown routine '\(name)' (not in the built-in table nor in a loaded .msgids file)", at: at)
    }
    let target = try port(args[0])
    guard args.count - 1 == routine.inputs.count else {
      throw ScriptError("\(routine.name) takes \(routine.inputs.count) argument\(routine.inputs.count == 1 ? "" : "s") after the target, not \(args.count - 1)", at: at)
    }
    var values: [MigValue] = []
    for (arg, e) in zip(routine.inputs, args.dropFirst()) {
      let v = try interpreter.evaluate(e)
      switch (arg.type, v) {
      case (.port(let d), .port(let t, _, let n)):
        guard t == target.task else { throw ScriptError("\(arg.name) must be a name in \(kernel.tasks[Int(target.task)].name)'s space", at: e.location) }
        values.append(.port(n, disposition: d))
      case (.polyPort, .port(let t, _, let n)):
        guard t == target.task else { throw ScriptError("\(arg.name) must be a name in \(kernel.tasks[Int(target.task)].name)'s space", at: e.location) }
        values.append(.port(n, disposition: MsgType.copySend))
      case (.outOfLinePorts, .list(let items)):
        // An array of send rights (copy_send), each a name in the target's space or nil.
        let names = try items.map { item -> PortName in
          switch item {
          case .nil: return MachPort.null
          case .port(let t, _, let n) where t == target.task: return n
          default: throw ScriptError("\(arg.name) is a list of ports in \(kernel.tasks[Int(target.task)].name)'s space (or nil), not \(item.kindWithArticle)", at: e.location)
          }
        }
        values.append(.ports(names, disposition: MsgType.copySend))
      case (.outOfLinePorts, let v):
        throw ScriptError("\(arg.name) is a list of ports, not \(v.kindWithArticle)", at: e.location)
      case (.portName, .port(_, _, let n)): values.append(.name(n))
      case (.portName, _): values.append(.name(try uint32(e, arg.name)))
      case (.port, _), (.polyPort, _): values.append(.name(try uint32(e, arg.name)))
      default: values.append(.int(Int32(truncatingIfNeeded: try integer(e, arg.name))))
      }
    }
    let t = try actingThread(target.task, number: c.option("thread")?.values[0], at: c.location)
    let timeout = try deadline(c)
    // The outcome when mach_msg ended at once; otherwise the reply is read when it completes.
    var immediate: RPCOutcome? = nil
    return perform(t, command: c.source, deadline: timeout?.1, background: c.background, start: { s in
      let outcome = s.kernel.rpc(t, routine, target: target.name, arguments: values, timeout: timeout?.0)
      if case .inProgress = outcome { return MachMsgReturn.rcvInProgress }
      immediate = outcome
      return MachMsgReturn.success
    }, finish: { s, code in
      switch immediate ?? s.kernel.finishRPC(t, routine, code) {
      case .completed(let reply):
        s.setRC(reply.retCode, machMsg: false)
        var m = s.messageValue(s.kernel.threads[Int(t)].message, in: target.task, retval: reply.retCode)
        m.outputs = reply.outputs.map { out in
          (out.name, s.migValue(out.value, in: target.task, type: routine.outputs.first { $0.name == out.name }?.type))
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

  /// `rpc 2999(t.self)`: a request with an id the kernel does not serve (MIG_BAD_ID).
  /// `rpc ID(TARGET, INT …)` for an id outside the routine table: a MIG-style request whose
  /// body is the ints, each an INTEGER_32 item (`rpc 2999(t.self)` gets MIG_BAD_ID from a
  /// kernel port; a served port answers as its server does).
  private func rawRPC(_ id: Int32, _ args: [Expr], _ c: Command) throws -> Value {
    let target = try port(args[0])
    var values: [Int32] = []
    for e in args.dropFirst() {
      let n = try integer(e, "an argument of a numbered rpc")
      guard let v = Int32(exactly: n) else { throw ScriptError("\(n) does not fit in an int32 item", at: e.location) }
      values.append(v)
    }
    let t = try actingThread(target.task, number: c.option("thread")?.values[0], at: c.location)
    let reply = kernel.migReplyPort(t)
    expectedReplies.insert(ExpectedReply(task: target.task, port: reply, id: id &+ 100))
    var builder = MessageBuilder(remote: target.name, remoteDisposition: MsgType.copySend, local: reply, localDisposition: MsgType.makeSendOnce, id: id)
    for v in values { builder.int32([v]) }
    let m = builder.finish()
    let timeout = try deadline(c)
    let options: MachMsgOptions = timeout == nil ? [.send, .receive] : [.send, .receive, .sendTimeout, .receiveTimeout]
    return perform(t, command: c.source, deadline: timeout?.1, background: c.background, start: { s in
      s.kernel.machMsg(t, MachMsgCall(options: options, message: m, receiveSize: 8192, receiveName: reply, timeout: timeout?.0 ?? 0))
    }, finish: { s, code in
      guard code == MachMsgReturn.success else {
        let handedBack = s.kernel.threads[Int(t)].message.count >= MsgHeader.size
        if Kernel.replacesReplyPort(code, handedBack: handedBack) { s.kernel.discardMigReplyPort(t) }
        s.destroyHandedBack(t)  // a send that failed after copy-in gave the request back
        s.setRC(code, machMsg: true)
        return .nil
      }
      let value = s.messageValue(s.kernel.threads[Int(t)].message, in: target.task)
      s.setRC(value.retval ?? MigReturn.replyMismatch, machMsg: false)
      return .message(value)
    })
  }

  func migValue(_ v: MigValue, in task: TaskIndex, type: MigType?) -> Value {
    switch v {
    case .int(let n): return .int(Int64(n))
    case .name(let n), .port(let n, _): return MachPort.isValid(n) ? portValue(task, n) : .nil
    case .ints(let values):
      if case .structure(let fields)? = type {
        return .fields(zip(fields, values).map { ($0.0, Value.int(Int64($0.1))) })
      }
      return .list(values.map { .int(Int64($0)) })
    case .names(let names), .ports(let names, _): return .list(names.map { $0 == MachPort.null ? .nil : portValue(task, $0) })
    case .outOfLinePorts: return .nil  // a request's form; replies carry `.ports`
    }
  }

  func raise(_ c: Command) throws -> Value {
    guard case .thread(let t, _) = try interpreter.evaluate(c.arguments[0]) else {
      throw ScriptError("raise needs a thread", at: c.arguments[0].location)
    }
    guard kernel.threads[Int(t)].state == .idle else { throw ScriptError("\(label(t)) is busy", at: c.location) }
    let exception = Int32(truncatingIfNeeded: try integer(c.arguments[1], "an exception"))
    let code = try c.option("code").map { Int32(truncatingIfNeeded: try integer($0.values[0], "a code")) } ?? 0
    let subcode = try c.option("subcode").map { Int32(truncatingIfNeeded: try integer($0.values[0], "a subcode")) } ?? 0
    return perform(t, command: c.source, deadline: nil, background: c.background, start: { s in
      let result = s.kernel.raiseException(t, exception: exception, code: code, subcode: subcode)
      s.setRC(result, machMsg: false)
      return result == KernReturn.terminated || result == KernReturn.success ? result : MachMsgReturn.rcvInProgress
    }, finish: { s, result in
      s.setRC(result, machMsg: false)
      return .code(result, fromMachMsg: false)
    })
  }
}
