import MachModel

// serve and reply (docs/shell.md §12): a thread that loops, receiving on a port and handling
// each message; the loop itself is Shell/Servers.swift.

extension CommandRegistry {
  static let serverCommands: [CommandEntry] = [
    CommandEntry(
      "serve", .messages,
      usage: ["serve PORTREF [thread N] with echo|sink|exc_handler", "serve PORTREF [thread N] { … }"],
      summary: "a server loop on PORTREF", returns: "the thread",
      help: """
        The loop runs on a new thread unless `thread N`. echo answers each request with its own
        body, sink destroys what it receives, exc_handler answers exception_raise with
        KERN_SUCCESS. A block runs for each message, with `msg` bound; `reply` answers it.
        """,
      required: [.port],
      options: ["thread": .atom(.anything), "with": .word { ServerTable.Kind.words.map(\.0) }], takesBlock: true
    ) { s, c in try s.serveCommand(c) },
    CommandEntry(
      "reply", .messages, usage: ["reply [body ITEM …] [code CODE]"],
      summary: "inside a serve block: answers `msg`", returns: "rc, or nil with no reply port",
      options: ["body": .atoms(.bodyItem), "code": .atom(.anything)]
    ) { s, c in try s.replyCommand(c) },
  ]
}

extension Session {
  func serveCommand(_ c: Command) throws -> Value {
    let p = try port(c.arguments[0])
    let kind: ServerTable.Kind
    if let with = c.option("with") {
      kind = try choice(with.values[0], ServerTable.Kind.words, "serve … with")
    } else if let block = c.block {
      kind = .block(block)
    } else {
      throw ScriptError("serve needs 'with echo|sink|exc_handler' or a block", at: c.location)
    }
    try checkServable(p, c)
    let t: ThreadIndex
    if let n = c.option("thread") {
      t = try actingThread(p.task, number: n.values[0], at: c.location)
    } else {
      guard let thread = try newThread(in: p.task, at: c.location) else { return .nil }
      t = thread
    }
    servers.start(t, ServerTable.Server(port: p.name, kind: kind, command: c.source))
    serveLoop(t)
    if !runState.isHalted { pump() }  // Ctrl-C in the loop: the stop stands
    return threadValue(t)
  }

  /// A server receives on a receive right or a port set of a live task: anything else is an
  /// error that names what the name holds.
  private func checkServable(_ p: (task: TaskIndex, name: PortName), _ c: Command) throws {
    let taskName = kernel.tasks[Int(p.task)].name
    guard kernel.tasks[Int(p.task)].isActive else {
      throw ScriptError("\(taskName) is terminated: nothing can serve its ports", at: c.arguments[0].start)
    }
    let type = kernel.tasks[Int(p.task)].space.lookup(p.name)?.type ?? 0
    guard type & (PortType.receive | PortType.portSet) == 0 else { return }
    let holds = rightWords(type).map { $0 == "dead" ? "a dead name" : "a \($0) right" }
    throw ScriptError(
      "serve needs a receive right or a port set; \(taskName):\(p.name) "
        + (holds.isEmpty ? "names no right" : "holds \(holds.joined(separator: " and ")) only"),
      at: c.arguments[0].start)
  }

  /// `reply [body ITEM …] [code CODE]`, inside a serve block.
  func replyCommand(_ c: Command) throws -> Value {
    guard let current = servers.current else { throw ScriptError("'reply' belongs in a serve block", at: c.location) }
    if current.answered { throw ScriptError("this message was already answered", at: c.location) }
    let code = try c.option("code").map { try int32($0.values[0], "a code") } ?? KernReturn.success
    var m = MessageBuilder(remote: 0, remoteDisposition: 0, id: 0)
    try appendItems(c.option("body")?.values ?? [], to: &m, task: kernel.threads[Int(current.thread)].task)
    let built = m.finish()
    let items = Array(built[MsgHeader.size...])
    servers.markAnswered()
    guard
      let result = sendReply(
        current.thread, to: current.request, code: code, body: items, complex: MessageView(built)!.isComplex)
    else { return .nil }
    setRC(result, machMsg: true)
    return .code(result, fromMachMsg: true)
  }
}
