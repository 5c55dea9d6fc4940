import MachModel
import MachTrace

// `serve` and `reply` (language.md §5, "Servers"; details.md §12): a thread that loops,
// receiving on a port and handling each message.

extension Session {
  func serveCommand(_ c: Command) throws -> Value {
    let p = try port(c.arguments[0])
    let kind: String
    if let with = c.option("with"), case .name(let w, let at) = with.values[0] {
      guard ["echo", "sink", "exc_handler"].contains(w) else {
        throw ScriptError("serve … with echo, sink or exc_handler (or a block)", at: at)
      }
      kind = w
    } else if c.block != nil {
      kind = "block"
    } else {
      throw ScriptError("serve needs 'with echo|sink|exc_handler' or a block", at: c.location)
    }
    let t: ThreadIndex
    if let n = c.option("thread") {
      t = try actingThread(p.task, number: n.values[0], at: c.location)
    } else {
      // details.md §4: thread_create(P's task), thread_resume; the new thread runs the loop.
      guard let made = try shellRPC("thread_create", taskPort(p.task), [], at: c.location), made.retCode == 0,
        case .port(let name, _)? = made["child_thread"],
        let thread = kernel.threadOf(port: kernel.tasks[Int(shell)].space.lookup(name)?.object ?? -1)
      else { return .nil }
      _ = try shellRPC("thread_resume", name, [], at: c.location)
      _ = kernel.portDeallocate(shell, name)
      t = thread
    }
    servers[t] = Server(port: p.name, kind: kind, block: c.block)
    serveLoop(t)
    pump()
    return threadValue(t)
  }

  /// Receives until the thread blocks; handles each message it gets.
  func serveLoop(_ t: ThreadIndex) {
    while let server = servers[t], kernel.threads[Int(t)].state == .idle {
      let code = kernel.machMsg(t, .receive(server.port, size: 1 << 20))
      if code == MachMsgReturn.rcvInProgress { return }
      handle(t, code)
    }
  }

  /// A server's receive ended (after blocking): handle it, then receive again.
  func serve(_ t: ThreadIndex, received code: ReturnCode) {
    handle(t, code)
    serveLoop(t)
  }

  private func handle(_ t: ThreadIndex, _ code: ReturnCode) {
    guard let server = servers[t] else { return }
    guard code == MachMsgReturn.success else {
      if code == MachMsgReturn.rcvPortDied || code == MachMsgReturn.rcvInvalidName || code == KernReturn.failure {
        servers[t] = nil  // the loop ends (details.md §12)
      }
      return
    }
    let task = kernel.threads[Int(t)].task
    let bytes = kernel.threads[Int(t)].message
    let view = MessageView(bytes)!
    switch server.kind {
    case "echo":
      sendReply(t, to: view, code: KernReturn.success, body: Array(bytes[MsgHeader.size..<Int(view.size)]), complex: view.isComplex)
    case "sink":
      destroyUserMessage(view, in: task)
    case "exc_handler":
      if view.id == 2400, case .success(let items) = view.items() {
        sendReply(t, to: view, code: KernReturn.success, body: [], complex: false)
        for item in items.prefix(2) where item.descriptor.isPort {
          for name in item.words where MachPort.isValid(name) { _ = kernel.portDeallocate(task, name) }
        }
      } else {
        sendReply(t, to: view, code: MigReturn.badID, body: [], complex: false)
      }
    default:
      let message = messageValue(bytes, in: task)
      currentServe = (t, view, false)
      blockDepth += 1
      defer {
        currentServe = nil
        blockDepth -= 1
      }
      do {
        try interpreter.runBlock(server.block ?? [], with: ["msg": .message(message)])
      } catch let e as ScriptError {
        // A runtime error in a block is reported at its position; the server is removed.
        servers[t] = nil
        blockError = e
      } catch {}
    }
  }

  /// Answers `request` through its reply port: id + 100, MOVE_SEND_ONCE (MOVE_SEND when the
  /// reply right is a send right), the RetCode, then `body`. No reply port, no reply.
  @discardableResult
  func sendReply(_ t: ThreadIndex, to request: MessageView, code: ReturnCode, body: [UInt8], complex: Bool) -> ReturnCode? {
    guard MachPort.isValid(request.remotePort) else { return nil }
    let disposition = request.remoteBits == MsgType.portSend ? MsgType.moveSend : MsgType.moveSendOnce
    var m = MessageBuilder(remote: request.remotePort, remoteDisposition: disposition, id: request.id &+ 100)
    m.int32([code])
    var bytes = m.finish()
    bytes.append(contentsOf: body)
    bytes.setWord(UInt32(bytes.count), at: MsgHeader.sizeOffset)
    if complex { bytes.setWord(bytes.word(at: 0) | MsgHeader.complexBit, at: 0) }
    return kernel.machMsg(t, .send(bytes))
  }

  /// `reply [body ITEM …] [code CODE]`, inside a serve block.
  func replyCommand(_ c: Command) throws -> Value {
    guard let (t, request, replied) = currentServe else { throw ScriptError("'reply' belongs in a serve block", at: c.location) }
    if replied { throw ScriptError("this message was already answered", at: c.location) }
    let code = try c.option("code").map { Int32(truncatingIfNeeded: try integer($0.values[0], "a code")) } ?? KernReturn.success
    var m = MessageBuilder(remote: 0, remoteDisposition: 0, id: 0)
    try appendItems(c.option("body")?.values ?? [], to: &m, task: kernel.threads[Int(t)].task)
    let built = m.finish()
    let items = Array(built[MsgHeader.size...])
    currentServe = (t, request, true)
    guard let result = sendReply(t, to: request, code: code, body: items, complex: MessageView(built)!.isComplex) else { return .nil }
    setRC(result, machMsg: true)
    return .code(result, fromMachMsg: true)
  }
}
