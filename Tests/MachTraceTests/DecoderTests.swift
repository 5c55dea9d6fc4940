import Foundation
import MachModel
import MachTrace
import TestSupport
import Testing

/// A small traced world: the shell, a client traced into the shell's log, and a server.
struct TracedWorld {
  var k = Kernel.booted()
  var decoder = TraceDecoder()
  var client: TaskIndex = 0, server: TaskIndex = 0
  var ct: ThreadIndex = 0, st: ThreadIndex = 0

  init(traceServer: Bool = false) {
    client = k.createTask(name: "client", parent: Kernel.shellTask)
    server = k.createTask(name: "server", parent: Kernel.shellTask)
    _ = k.giveTaskSelfName(client)
    _ = k.giveTaskSelfName(server)
    ct = k.createThread(in: client)
    st = k.createThread(in: server)
    let (_, port) = k.portAllocate(Kernel.shellTask, right: PortRight.receive.rawValue)
    _ = k.setHostDrained(Kernel.shellTask, port)
    for t in traceServer ? [client, server] : [client] {
      let (_, o, _) = k.portExtractRight(Kernel.shellTask, port, disposition: MsgType.makeSend)
      _ = k.taskSetSpecialPort(t, slot: SpecialPort.taskTrace, right: o)
    }
  }

  mutating func records() -> [TraceRecord] { decoder.records(k.takeTraceLog()) }
  var names: TraceNames { TraceNames(k) }
}

@Suite struct DecoderTests {
  @Test func aKernelRpcGivesARequestAndAPairedReply() {
    var w = TracedWorld()
    _ = w.k.rpc(w.ct, RoutineTable.routine(named: "mach_port_allocate")!, target: 1, arguments: [.int(1)])
    let r = w.records()
    #expect(r.count == 2)
    #expect(r[0].routine == "mach_port_allocate" && r[0].direction == .send && r[0].dest == 1 && r[0].code == nil)
    #expect(r[0].reply == 2 && r[0].rights == 1)  // the reply right in the header
    #expect(r[1].routine == "mach_port_allocate-reply" && r[1].direction == .receive)
    #expect(r[1].dest == 2 && r[1].reply == 0)  // after the swap: the port it arrived on
    #expect(r[1].code == KernReturn.success && r[1].answers == r[0].seq)
    #expect(r.map(\.seq) == [1, 2])
  }

  @Test func kernelCopiesArePairedInTheKernelsForm() {
    var w = TracedWorld()
    // The shell suspends the client: the client's trace gets the kernel's view (T12).
    let routine = RoutineTable.routine(named: "task_suspend")!
    let (_, o, type) = w.k.portExtractRight(w.client, 1, disposition: MsgType.copySend)
    let target = w.k.copyoutKernelRight(Kernel.shellTask, o, carriedType: type)
    _ = w.k.rpc(w.k.task(Kernel.shellTask).threads[0], routine, target: target, arguments: [])
    let r = w.records()
    #expect(r.map(\.kind) == [.task, .task])
    #expect(r[0].dest >= 0xc000_0000 && r[0].reply >= 0xc000_0000)
    #expect(r[1].dest == r[0].reply && r[1].answers == r[0].seq && r[1].code == KernReturn.success)
    #expect(r[1].routine == "task_suspend-reply")
  }

  @Test func aReplyWithAnUnknownIdIsStillPairedByItsPort() {
    var w = TracedWorld(traceServer: true)
    let (_, service) = w.k.portAllocate(w.server, right: PortRight.receive.rawValue)
    let (_, o, type) = w.k.portExtractRight(w.server, service, disposition: MsgType.makeSend)
    let send = w.k.copyoutKernelRight(w.client, o, carriedType: type)
    let (_, reply) = w.k.portAllocate(w.client, right: PortRight.receive.rawValue)
    var m = MessageBuilder(
      remote: send, remoteDisposition: MsgType.copySend, local: reply, localDisposition: MsgType.makeSendOnce, id: 31000
    )
    m.string("hello")
    _ = w.k.machMsg(w.ct, .send(m.finish()))
    _ = w.k.machMsg(w.st, .receive(service))
    let so = MessageView(w.k.thread(w.st).message)!.remotePort
    var answer = MessageBuilder(remote: so, remoteDisposition: MsgType.moveSendOnce, id: 31100)
    answer.int32([0])
    _ = w.k.machMsg(w.st, .send(answer.finish()))
    _ = w.k.machMsg(w.ct, .receive(reply))
    let r = w.records()
    #expect(r.map(\.msgid) == [31000, 31000, 31100, 31100])
    #expect(r.map(\.answers) == [nil, nil, 2, 1])  // the server's reply answers its receive
    #expect(r[0].routine == "")
  }

  @Test func aTraceMessageDecodesToTheSameRecordAsTheLog() {
    var k = Kernel.booted()
    let tracer = k.createTask(name: "tracer", parent: Kernel.shellTask)
    let traced = k.createTask(name: "traced", parent: Kernel.shellTask)
    let tt = k.createThread(in: tracer), xt = k.createThread(in: traced)
    let (_, port) = k.portAllocate(tracer, right: PortRight.receive.rawValue)
    let (_, o, _) = k.portExtractRight(tracer, port, disposition: MsgType.makeSend)
    _ = k.taskSetSpecialPort(traced, slot: SpecialPort.taskTrace, right: o)
    let (_, r) = k.portAllocate(traced, right: PortRight.receive.rawValue)
    let (_, so, st) = k.portExtractRight(traced, r, disposition: MsgType.makeSend)
    let send = k.copyoutKernelRight(traced, so, carriedType: st)
    var m = MessageBuilder(remote: send, remoteDisposition: MsgType.copySend, id: 7)
    m.int32([1, 2])
    let sent = m.finish()
    _ = k.machMsg(xt, .send(sent))
    _ = k.machMsg(tt, .receive(port))
    let raw = k.thread(tt).message
    let decoder = TraceDecoder()
    let kk = k
    let record = try! decoder.decode(traceMessage: raw) { name in
      guard let object = kk.task(tracer).space.lookup(name)?.object else { return (nil, nil) }
      return (kk.taskOf(port: object), kk.threadOf(port: object))
    }.get()
    #expect(record.seq == nil && record.task == traced && record.thread == xt)
    #expect(record.msgid == 7 && record.direction == .send && record.bytes == sent)
    #expect(record.body.map(\.type) == ["int32"])
  }

  @Test func malformedTraceMessagesAreClearErrors() {
    let decoder = TraceDecoder()
    let none: (PortName) -> (task: TaskIndex?, thread: ThreadIndex?) = { _ in (0, nil) }
    #expect(decoder.decode(traceMessage: [1, 2, 3], resolve: none) == .failure(.truncated))
    let other = MessageBuilder(remote: 1, remoteDisposition: MsgType.copySend, id: 9).finish()
    #expect(decoder.decode(traceMessage: other, resolve: none) == .failure(.notATraceMessage(id: 9)))
    var wrong = MessageBuilder(remote: 1, remoteDisposition: MsgType.copySend, id: 4600)
    wrong.int32([1, 2, 3, 4, 5, 6])
    #expect(decoder.decode(traceMessage: wrong.finish(), resolve: none) == .failure(.truncated))
    var badTypes = MessageBuilder(remote: 1, remoteDisposition: MsgType.copySend, id: 4600)
    for _ in 0..<5 { badTypes.int32([0]) }
    badTypes.byteArray([UInt8](repeating: 0, count: 24))
    #expect(decoder.decode(traceMessage: badTypes.finish(), resolve: none) == .failure(.badItem(index: 0)))
    var truncatedBody = MessageBuilder(remote: 1, remoteDisposition: MsgType.copySend, id: 4600)
    truncatedBody.int32([0])
    var bytes = truncatedBody.finish()
    bytes.setWord(200, at: 4)
    #expect(decoder.decode(traceMessage: bytes, resolve: none) == .failure(.truncated))
  }
}

extension DecoderTests {
  /// A host-drained send copy notes who received the message (`TraceEntry.peer`): the task
  /// holding the receive right, or the kernel for a kernel object; receive copies note no one.
  @Test func sendCopiesNoteTheirReceiver() {
    var w = TracedWorld()
    let (_, service) = w.k.portAllocate(w.server, right: PortRight.receive.rawValue)
    let (_, o, type) = w.k.portExtractRight(w.server, service, disposition: MsgType.makeSend)
    let send = w.k.copyoutKernelRight(w.client, o, carriedType: type)
    _ = w.k.machMsg(w.ct, .send(MessageBuilder(remote: send, remoteDisposition: MsgType.copySend, id: 500).finish()))
    _ = w.k.rpc(w.ct, RoutineTable.routine(named: "mach_port_allocate")!, target: 1, arguments: [.int(1)])
    let r = w.records()
    #expect(r.map(\.peer) == [w.server, TraceEntry.kernelPeer, TraceEntry.noPeer])
  }
}
