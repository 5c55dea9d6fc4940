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
      options: ["thread": .atom(.anything), "with": .word(ServerTable.Kind.words.map(\.0))], takesBlock: true
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
    let t: ThreadIndex
    if let n = c.option("thread") {
      t = try actingThread(p.task, number: n.values[0], at: c.location)
    } else {
      guard let thread = try newThread(in: p.task, at: c.location) else { return .nil }
      t = thread
    }
    servers.start(t, ServerTable.Server(port: p.name, kind: kind))
    serveLoop(t)
    pump()
    return threadValue(t)
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
