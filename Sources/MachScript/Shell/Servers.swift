import MachModel
import MachTrace

/// The threads serving a port (`serve`), and the message a serve block is handling.
struct ServerTable {
  enum Kind: Equatable {
    case echo, sink, excHandler
    case block([Stmt])

    /// The words `serve … with` takes.
    static let words: [(String, Kind)] = [("echo", .echo), ("sink", .sink), ("exc_handler", .excHandler)]
  }

  struct Server {
    var port: PortName
    var kind: Kind
    /// The `serve` command as written, for the line that says the loop ended.
    var command: String
  }

  /// The message a serve block is handling: its thread, the request, whether it was answered.
  struct Handling {
    var thread: ThreadIndex
    var request: MessageView
    var answered: Bool
  }

  private var byThread: [ThreadIndex: Server] = [:]
  private(set) var current: Handling? = nil
  /// Servers whose loop Ctrl-C cut short while idle: they receive again when the model runs.
  private var paused: [ThreadIndex] = []

  subscript(t: ThreadIndex) -> Server? { byThread[t] }

  func isServing(_ t: ThreadIndex) -> Bool { byThread[t] != nil }

  /// The serving threads, in order (one array, shared by the history's marks until it changes).
  private(set) var serving: [ThreadIndex] = []

  mutating func start(_ t: ThreadIndex, _ server: Server) {
    byThread[t] = server
    serving = byThread.keys.sorted()
  }

  mutating func end(_ t: ThreadIndex) {
    byThread[t] = nil
    serving = byThread.keys.sorted()
  }

  mutating func pause(_ t: ThreadIndex) { paused.append(t) }

  mutating func takePaused() -> [ThreadIndex] {
    defer { paused = [] }
    return paused
  }

  mutating func beginHandling(_ t: ThreadIndex, _ request: MessageView) {
    current = Handling(thread: t, request: request, answered: false)
  }

  mutating func markAnswered() { current?.answered = true }

  mutating func endHandling() { current = nil }
}

// The server loop (docs/shell.md §12): receive, handle, receive again, until the receive
// blocks; a receive that fails for good ends the loop, as a real server thread's would, with
// a line saying why. Ctrl-C stops a loop that never blocks (two servers answering each other).

extension Session {
  /// Receives until the thread blocks; handles each message it gets.
  func serveLoop(_ t: ThreadIndex) {
    while let server = servers[t], kernel.threads[Int(t)].state == .idle {
      if interpreter.interruptRequested() {
        runState.interrupt()
        servers.pause(t)
        return
      }
      let code = mutate { k in k.machMsg(t, .receive(server.port, size: 1 << 20)) }
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
      // An interrupted receive (thread_abort) receives again, as does one whose message was too
      // large (it is gone); any other error will not change by itself: the loop ends.
      guard code != MachMsgReturn.rcvInterrupted && code != MachMsgReturn.rcvTooLarge else { return }
      servers.end(t)
      let why = ReturnCodeNames.name(of: code, fromMachMsg: code != KernReturn.failure)
      output.write("[\(settings.colors.who(label(t)))] \(server.command) ended: \(why)\n")
      return
    }
    let task = kernel.threads[Int(t)].task
    let bytes = kernel.threads[Int(t)].message
    let view = MessageView(bytes)!
    switch server.kind {
    case .echo:
      sendReply(
        t, to: view, code: KernReturn.success, body: Array(bytes[MsgHeader.size..<Int(view.size)]),
        complex: view.isComplex)
    case .sink:
      destroyUserMessage(view, in: task)
    case .excHandler:
      if view.id == 2400, case .success(let items) = view.items() {
        sendReply(t, to: view, code: KernReturn.success, body: [], complex: false)
        for item in items.prefix(2) where item.descriptor.isPort {
          for name in item.words where MachPort.isValid(name) { _ = mutate { k in k.portDeallocate(task, name) } }
        }
      } else {
        sendReply(t, to: view, code: MigReturn.badID, body: [], complex: false)
      }
    case .block(let block):
      let message = messageValue(bytes, in: task)
      servers.beginHandling(t, view)
      runState.enterBlock(.serve)
      defer {
        servers.endHandling()
        _ = runState.exitBlock()
      }
      do {
        try interpreter.runBlock(block, with: ["msg": .message(message)])
      } catch let e as ScriptError {
        // A runtime error in a block is reported at its position; the server is removed.
        servers.end(t)
        runState.report(e)
      } catch {}
    }
  }

  /// Answers `request` through its reply port: id + 100, MOVE_SEND_ONCE (MOVE_SEND when the
  /// reply right is a send right), the RetCode, then `body`. No reply port, no reply.
  @discardableResult
  func sendReply(
    _ t: ThreadIndex, to request: MessageView, code: ReturnCode, body: [UInt8], complex: Bool
  )
    -> ReturnCode?
  {
    guard MachPort.isValid(request.remotePort) else { return nil }
    let disposition = request.remoteBits == MsgType.portSend ? MsgType.moveSend : MsgType.moveSendOnce
    var m = MessageBuilder(remote: request.remotePort, remoteDisposition: disposition, id: request.id &+ 100)
    m.int32([code])
    var bytes = m.finish()
    bytes.append(contentsOf: body)
    bytes.setWord(UInt32(bytes.count), at: MsgHeader.sizeOffset)
    if complex { bytes.setWord(bytes.word(at: 0) | MsgHeader.complexBit, at: 0) }
    return mutate(carrying: bytes.count) { k in k.machMsg(t, .send(bytes)) }
  }
}
