// A narrated walk through the kernel model: a first message, a round trip with a send-once
// reply right, a full queue, a port's death seen through a dead-name notification, and the
// kernel trace facility. The output is the same on every run.
import MachModel
import MachTrace

// A first task to act from, as a shell would have: one thread, its own port as name 1.
var kernel = Kernel()
let host = kernel.createTask(name: "host")
_ = kernel.createThread(in: host)
_ = kernel.giveTaskSelfName(host)
let server = kernel.createTask(name: "server")
let client = kernel.createTask(name: "client")
let serverThread = kernel.createThread(in: server)
let clientThread = kernel.createThread(in: client)

func name(_ code: ReturnCode) -> String { ReturnCodeNames.name(of: code) }
func msgName(_ code: ReturnCode) -> String { ReturnCodeNames.name(of: code, fromMachMsg: true) }

@MainActor func show(_ label: String, _ thread: ThreadIndex) {
  guard let m = MessageView(kernel.thread(thread).message) else { return }
  print("  \(label): id \(m.id), size \(m.size), remote \(m.remotePort), local \(m.localPort), seqno \(m.seqno)")
}

print("1. Ports and rights")
let (_, service) = kernel.portAllocate(server, right: PortRight.receive.rawValue)
print("  server allocates a receive right: name \(service) in server's space")
let (_, object, carried) = kernel.portExtractRight(server, service, disposition: MsgType.makeSend)
let clientName = kernel.copyoutKernelRight(client, object, carriedType: carried)
print("  client is given a send right made from it: name \(clientName) in client's space")

print("2. A round trip")
let (_, replyPort) = kernel.portAllocate(client, right: PortRight.receive.rawValue)
var request = MessageBuilder(
  remote: clientName, remoteDisposition: MsgType.copySend, local: replyPort,
  localDisposition: MsgType.makeSendOnce, id: 500)
request.int32([7, 8, 9])
print(
  "  client sends id 500 with a send-once reply right: "
    + "\(msgName(kernel.machMsg(clientThread, .send(request.finish()))))"
)
print("  server receives: \(msgName(kernel.machMsg(serverThread, .receive(service))))")
show("received", serverThread)
let replyName = MessageView(kernel.thread(serverThread).message)!.remotePort
var reply = MessageBuilder(remote: replyName, remoteDisposition: MsgType.moveSendOnce, id: 600)
reply.int32([0])
print(
  "  server replies through the send-once right \(replyName): "
    + "\(msgName(kernel.machMsg(serverThread, .send(reply.finish()))))"
)
print("  client receives: \(msgName(kernel.machMsg(clientThread, .receive(replyPort))))")
show("reply", clientThread)

print("3. A full queue (qlimit \(kernel.portGetReceiveStatus(server, service).1!.qlimit))")
for i in 1...5 {
  let m = MessageBuilder(remote: clientName, remoteDisposition: MsgType.copySend, id: Int32(i))
  _ = kernel.machMsg(clientThread, .send(m.finish()))
}
let sixth = MessageBuilder(remote: clientName, remoteDisposition: MsgType.copySend, id: 6)
let code = kernel.machMsg(clientThread, .send(sixth.finish(), options: .sendTimeout, timeout: 10))
print("  the sixth send with a 10 ms timeout: \(msgName(code)) at t=\(kernel.now) us")
kernel.advance(by: 10_000)
for c in kernel.takeCompletions() {
  print("  completion for client's thread: \(msgName(c.result)) at t=\(kernel.now) us")
}

print("4. A port dies")
let (_, watcher) = kernel.portAllocate(client, right: PortRight.receive.rawValue)
let (_, soObject, soType) = kernel.portExtractRight(client, watcher, disposition: MsgType.makeSendOnce)
_ = soType
let (kr, _) = kernel.portRequestNotification(client, clientName, id: NotifyID.deadName, sync: 0, notify: soObject)
print("  client asks for a dead-name notification on \(clientName): \(name(kr))")
print("  server destroys its receive right: \(name(kernel.portDestroy(server, service)))")
print("  client receives on its notify port: \(msgName(kernel.machMsg(clientThread, .receive(watcher))))")
show("notification", clientThread)
print(
  "  client's name \(clientName) is now type 0x\(String(kernel.portType(client, clientName).1, radix: 16)) "
    + "(MACH_PORT_TYPE_DEAD_NAME)"
)
print("  invariants: \(kernel.checkInvariants().isEmpty ? "hold" : "broken")")

print("5. The kernel trace facility")
let traced = kernel.createTask(name: "traced", parent: host)
let tracedThread = kernel.createThread(in: traced)
_ = kernel.giveTaskSelfName(traced)
let (_, tracePort) = kernel.portAllocate(host, right: PortRight.receive.rawValue)
_ = kernel.setHostDrained(host, tracePort)
let (_, traceRight, _) = kernel.portExtractRight(host, tracePort, disposition: MsgType.makeSend)
print(
  "  the shell sets traced's TASK_TRACE_PORT (5): "
    + "\(name(kernel.taskSetSpecialPort(traced, slot: SpecialPort.taskTrace, right: traceRight)))"
)
let allocate = RoutineTable.routine(named: "mach_port_allocate")!
print("  traced calls mach_port_allocate; its shortcut trap answers MACH_SEND_INTERRUPTED, so the stub sends the RPC")
_ = kernel.call(tracedThread, allocate, target: 1, arguments: [.int(1)])
let bogus = MessageBuilder(remote: 42, remoteDisposition: MsgType.copySend, id: 1234).finish()
print("  traced sends to a name it does not hold: \(msgName(kernel.machMsg(tracedThread, .send(bogus))))")
var decoder = TraceDecoder()
let names = TraceNames(kernel)
print("  the trace, as rpctrace lines:")
for record in decoder.records(kernel.takeTraceLog()) {
  print("    " + TraceFormat.rpctrace.render(record, names: names))
}
print("  invariants: \(kernel.checkInvariants().isEmpty ? "hold" : "broken")")
