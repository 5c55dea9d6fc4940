import MachModel
import MachTrace
import MigDefs

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
      "reply", .messages, usage: ["reply [body ITEM …] [code CODE]", "reply with NAME = VALUE … [code CODE]"],
      summary: "inside a serve block: answers `msg`", returns: "rc, or nil with no reply port",
      help: """
        `with NAME = VALUE, …` answers a routine of a loaded .defs file: each of its out-arguments by name
        (pairs separated by commas), typed
        as the routine declares it (values as `rpc` takes them). With a code other than
        KERN_SUCCESS the reply carries the code alone, as MIG's server stubs send it.
        """,
      options: ["body": .atoms(.bodyItem), "code": .atom(.anything), "with": .named]
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
    let task = kernel.threads[Int(current.thread)].task
    var items: [UInt8]
    var complex: Bool
    if let with = c.option("with") {
      guard c.option("body") == nil else {
        throw ScriptError("reply takes 'body' or 'with', not both", at: with.location)
      }
      (items, complex) = try typedReplyItems(with, request: current.request, code: code, task: task)
    } else {
      var m = MessageBuilder(remote: 0, remoteDisposition: 0, id: 0)
      try appendItems(c.option("body")?.values ?? [], to: &m, task: task)
      let built = m.finish()
      items = Array(built[MsgHeader.size...])
      complex = MessageView(built)!.isComplex
    }
    servers.markAnswered()
    guard let result = sendReply(current.thread, to: current.request, code: code, body: items, complex: complex)
    else { return .nil }
    setRC(result, machMsg: true)
    return .code(result, fromMachMsg: true)
  }

  /// `reply with NAME = VALUE, …`: the out-arguments of the loaded routine `request` calls, by
  /// name; every one must be given (none with an error code).
  private func typedReplyItems(
    _ with: CommandOption, request: MessageView, code: ReturnCode, task: TaskIndex
  )
    throws -> (items: [UInt8], complex: Bool)
  {
    guard let routine = intake.definitions.routinesByID[request.id], routine.kind.hasReply else {
      throw ScriptError(
        "reply with: message id \(request.id) is no routine of a loaded .defs file (defs load \"FILE\")",
        at: with.location)
    }
    let outputs = routine.arguments.filter(\.direction.isInReplyBody)
    var given: [String: (Expr, Value)] = [:]
    for i in stride(from: 0, to: with.values.count, by: 2) {
      guard case .name(let n, let at) = with.values[i] else { continue }
      guard outputs.contains(where: { $0.name == n }) else {
        let names = outputs.map(\.name).joined(separator: ", ")
        throw ScriptError("\(routine.name) has no out-argument '\(n)' (its out-arguments: \(names))", at: at)
      }
      guard given[n] == nil else { throw ScriptError("'\(n)' given twice", at: at) }
      given[n] = (with.values[i + 1], try evaluate(with.values[i + 1]))
    }
    guard code == KernReturn.success else {
      if let first = given.values.first {
        throw ScriptError("an error reply carries its code alone", at: first.0.location)
      }
      return ([], false)
    }
    let missing = outputs.filter { given[$0.name] == nil }.map(\.name)
    guard missing.isEmpty else {
      throw ScriptError("\(routine.name)'s reply needs \(missing.joined(separator: ", "))", at: with.location)
    }
    let inputs = try outputs.map { p in
      try migInput(given[p.name]!.1, for: p, from: task, at: given[p.name]!.0.location)
    }
    let built = MigCodec.replyItems(routine, arguments: inputs) { placeOutOfLine($0, in: task) }
    switch built {
    case .success(let r): return r
    case .failure(let e):
      let p = e.argument.map { outputs[$0] }
      throw ScriptError(
        (p.map { "\($0.name) " } ?? "") + e.message, at: p.map { given[$0.name]!.0.location } ?? with.location)
    }
  }
}
