import MachModel
import MachTrace

// send and receive: mach_msg by a thread of the task that holds the name (docs/shell.md §5,
// §11).

extension CommandRegistry {
  static let messages: [CommandEntry] = [
    CommandEntry(
      "send", .messages,
      usage: [
        "send PORTREF [id N] [reply PORTREF [RIGHT]] [body ITEM …] [dest RIGHT] [timeout MS] [thread N] [&]"
      ],
      summary: "mach_msg send", returns: "rc",
      help: """
        Body items: int32(v, …), int64(v, …), bytes("text" or N), string("text"),
        port(PORTREF, RIGHT), ool(SIZE). A send to a send-once right uses move_send_once.
        """,
      required: [.port],
      options: [
        "id": .atom(.anything), "reply": .reply, "body": .atoms(.bodyItem), "timeout": .atom(.anything),
        "thread": .atom(.anything), "dest": .word { Words.dispositions.map(\.0) },
      ]
    ) { s, c in try s.send(c) },
    CommandEntry(
      "receive", .messages, usage: ["receive PORTREF [max BYTES] [large] [timeout MS] [thread N] [&]"],
      summary: "mach_msg receive", returns: "message, or nil", required: [.port],
      options: ["max": .atom(.anything), "large": .flag, "timeout": .atom(.anything), "thread": .atom(.anything)]
    ) { s, c in try s.receive(c) },
  ]

  /// The body item constructors, for Tab and errors.
  static let bodyItems = ["int32", "int64", "bytes", "string", "port", "ool"]
}

extension Session {
  /// The body items of `send … body ITEM …`, encoded as MIG would.
  func appendItems(_ exprs: [Expr], to m: inout MessageBuilder, task: TaskIndex) throws {
    for e in exprs {
      guard case .call(let kind, let args, let at) = e else {
        throw ScriptError(
          "a body item is int32(…), int64(…), bytes(…), string(…), port(…) or ool(…)", at: e.location)
      }
      switch kind {
      case "int32":
        m.int32(try args.map { try int32($0, "an int32") })
      case "int64":
        m.int64(try args.map { try integer($0, "an int64") })
      case "bytes":
        guard args.count == 1 else { throw ScriptError("bytes takes a string or a count", at: at) }
        switch try evaluate(args[0]) {
        case .string(let s): m.byteArray(RawBytes.bytes(of: s))
        case .int(let n):
          guard n >= 0, n <= 1 << 20 else { throw ScriptError("bytes(\(n)): between 0 and 1048576", at: at) }
          m.byteArray([UInt8](repeating: 0, count: Int(n)))
        case let v: throw ScriptError("bytes takes a string or a count, not \(v.kindWithArticle)", at: at)
        }
      case "string":
        guard args.count == 1, case .string(let s) = try evaluate(args[0]) else {
          throw ScriptError("string takes one string", at: at)
        }
        var data = RawBytes.bytes(of: s)
        data.append(0)  // MACH_MSG_TYPE_STRING, number = length + 1 for the NUL
        m.append(TypeDescriptor(name: MsgType.string, size: 8, number: UInt32(data.count)), data: data)
      case "port":
        guard args.count == 2 else { throw ScriptError("port takes a port reference and a right", at: at) }
        let p = try port(args[0])
        guard p.task == task else {
          throw ScriptError(
            "the port must be a name in the sender's space (\(kernel.tasks[Int(task)].name))", at: args[0].location)
        }
        m.ports([p.name], disposition: try disposition(args[1]))
      case "ool":
        guard args.count == 1 else { throw ScriptError("ool takes a size", at: at) }
        // The descriptor counts bits in 32 bits (`ipc_kmsg_copyin_body` computes number × size
        // in a vm_size_t): a larger region would wrap.
        let size = try integer(args[0], "an out-of-line size", as: UInt32.self)
        guard size <= Self.maxOutOfLineBytes else {
          throw ScriptError(
            "an out-of-line size \(size) is out of range (0 to \(Self.maxOutOfLineBytes): "
              + "its size in bits must fit in 32 bits)",
            at: args[0].start)
        }
        // ool(SIZE) first vm_allocates SIZE bytes in the sender (docs/shell.md §11).
        let (kr, address) = mutate { k in k.vmAllocate(task, size: size) }
        guard kr == KernReturn.success else {
          throw ScriptError("no room for \(size) bytes in \(kernel.tasks[Int(task)].name)", at: at)
        }
        m.outOfLine(address: address, size: size)
      default:
        throw ScriptError(
          "unknown body item '\(kind)' (\(Words.choices(CommandRegistry.bodyItems.map { $0 + "(…)" })))", at: at)
      }
    }
  }

  /// The largest `ool(SIZE)`: 2^29 - 1 bytes, whose size in bits still fits in 32 bits.
  static let maxOutOfLineBytes: UInt32 = (1 << 29) - 1

  func send(_ c: Command) throws -> Value {
    let dest = try port(c.arguments[0])
    let t = try actingThread(dest.task, number: c.option("thread")?.values[0], at: c.location)
    let id = try c.option("id").map { try int32($0.values[0], "an id") } ?? 0
    var destDisposition = MsgType.copySend
    if kernel.tasks[Int(dest.task)].space.lookup(dest.name)?.has(PortType.sendOnce) == true {
      destDisposition = MsgType.moveSendOnce
    }
    if let d = c.option("dest") { destDisposition = try disposition(d.values[0]) }
    var reply = MachPort.null
    var replyDisposition: UInt32 = 0
    if let r = c.option("reply") {
      let p = try port(r.values[0])
      guard p.task == dest.task else {
        throw ScriptError("the reply port must be a name in the sender's space", at: r.location)
      }
      reply = p.name
      replyDisposition = r.values.count > 1 ? try disposition(r.values[1]) : MsgType.makeSendOnce
    }
    if MachPort.isValid(reply) { operations.expectReply(task: dest.task, port: reply, id: id &+ 100) }
    var m = MessageBuilder(
      remote: dest.name, remoteDisposition: destDisposition, local: reply, localDisposition: replyDisposition, id: id)
    try appendItems(c.option("body")?.values ?? [], to: &m, task: dest.task)
    let message = m.finish()
    let timeout = try deadline(c)
    let options: MachMsgOptions = timeout == nil ? [] : .sendTimeout
    return perform(
      t, command: c.source, deadline: timeout?.due, background: c.background,
      start: { s in
        let code = s.mutate(carrying: message.count) { k in
          k.machMsg(t, .send(message, options: options, timeout: timeout?.ms ?? 0))
        }
        s.setRC(code, machMsg: true)
        return code
      },
      finish: { s, code in
        s.setRC(code, machMsg: true)
        if code != MachMsgReturn.success { s.destroyHandedBack(t) }
        return .code(code, fromMachMsg: true)
      })
  }

  /// A failed send's message handed back to its sender is destroyed as mach_msg_destroy
  /// would: the rights in it are released, with their notifications.
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
          let size = UInt32(clamping: item.descriptor.inlineDataLength)
          _ = mutate { k in k.vmDeallocate(task, address: item.words.first ?? 0, size: size) }
        } else if item.descriptor.isPort {
          for name in item.words where MachPort.isValid(name) { release(name, item.descriptor.name, in: task) }
        }
      }
    }
    pump()
  }

  private func release(_ name: PortName, _ type: UInt32, in task: TaskIndex) {
    if type == MsgType.portReceive {
      _ = mutate { k in k.portModRefs(task, name, right: PortRight.receive.rawValue, delta: -1) }
    } else {
      _ = mutate { k in k.portDeallocate(task, name) }
    }
  }

  func receive(_ c: Command) throws -> Value {
    let p = try port(c.arguments[0])
    let t = try actingThread(p.task, number: c.option("thread")?.values[0], at: c.location)
    let max = try c.option("max").map { try uint32($0.values[0], "a buffer size") } ?? 1 << 20
    let timeout = try deadline(c)
    var options: MachMsgOptions = c.option("large") != nil ? .receiveLarge : []
    if timeout != nil { options.insert(.receiveTimeout) }
    return perform(
      t, command: c.source, deadline: timeout?.due, background: c.background,
      start: { s in
        let code = s.mutate { k in
          k.machMsg(t, .receive(p.name, size: max, options: options, timeout: timeout?.ms ?? 0))
        }
        s.setRC(code, machMsg: true)
        return code
      },
      finish: { s, code in
        s.setRC(code, machMsg: true)
        guard code == MachMsgReturn.success || code == MachMsgReturn.rcvTooLarge else { return .nil }
        return .message(s.messageValue(s.kernel.threads[Int(t)].message, in: p.task))
      })
  }
}
