import MachModel
import Testing

/// A decoded trace message (D2), read from a tracer's receive buffer.
struct TraceCopy {
  var task: PortName, thread: PortName, direction: UInt32, kind: UInt32, retval: ReturnCode, message: [UInt8]
  init?(_ bytes: [UInt8]) {
    guard let v = MessageView(bytes), v.id == TraceMessage.id, case .success(let items) = v.items(), items.count == 6
    else { return nil }
    task = items[0].words[0]
    thread = items[1].words[0]
    direction = items[2].words[0]
    kind = items[3].words[0]
    retval = ReturnCode(bitPattern: items[4].words[0])
    message = items[5].data
  }
  var view: MessageView { MessageView(message)! }
}

extension System {
  /// Gives `task` a trace port whose receive right the shell holds and drains into the log.
  mutating func traceToLog(_ taskName: PortName) -> PortName {
    let (_, port) = k.portAllocate(shell, right: PortRight.receive.rawValue)
    #expect(k.setHostDrained(shell, port) == KernReturn.success)
    #expect(
      call(
        "task_set_special_port", taskName, [.int(SpecialPort.taskTrace), .port(port, disposition: MsgType.makeSend)])?
        .retCode == KernReturn.success)
    return port
  }

  /// Makes a receive right in `tracer`, with queue limit `qlimit`, the trace port of `traced`;
  /// returns its name in `tracer`.
  mutating func traceThroughQueue(of traced: TaskIndex, to tracer: TaskIndex, qlimit: UInt32) -> PortName {
    let (_, port) = k.portAllocate(tracer, right: PortRight.receive.rawValue)
    _ = k.portSetQlimit(tracer, port, qlimit: qlimit)
    let (_, o, _) = k.portExtractRight(tracer, port, disposition: MsgType.makeSend)
    #expect(k.taskSetSpecialPort(traced, slot: SpecialPort.taskTrace, right: o) == KernReturn.success)
    return port
  }

  /// A receive right in `a` and a send right to it in `b`: (a's name, b's name).
  mutating func channel(from b: TaskIndex, to a: TaskIndex) -> (PortName, PortName) {
    let (_, r) = k.portAllocate(a, right: PortRight.receive.rawValue)
    let (_, o, type) = k.portExtractRight(a, r, disposition: MsgType.makeSend)
    return (r, k.copyoutKernelRight(b, o, carriedType: type))
  }

  /// A task traced to the log with a port it receives from and sends to (its names for both),
  /// and the log emptied of the set-up's copies.
  mutating func tracedTaskWithOwnPort() -> (task: TaskIndex, thread: ThreadIndex, receive: PortName, send: PortName) {
    let (a, aName, at) = spawn("a")
    _ = traceToLog(aName)
    let (r, send) = channel(from: a, to: a)
    _ = logged()
    return (a, at, r, send)
  }

  /// The log's entries with their message ids, as (kind, direction, msgid, retval).
  mutating func logged() -> [(TraceMessage.Kind, TraceMessage.Direction, Int32, ReturnCode)] {
    let log = k.takeTraceLog()
    return log.entries.map { ($0.kind, $0.direction, MessageView(log.bytes(of: $0))?.id ?? -1, $0.retval) }
  }
}

/// The trace facility, clause by clause (docs/trace.md T1–T14, D1–D5).
@Suite struct TraceFacilityTests {
  @Test func T1_theTracePortIsTaskSpecialPortFive() {
    var s = System()
    #expect(SpecialPort.taskTrace == 5)
    let (_, childName, _) = s.spawn("child")
    let (_, port) = s.k.portAllocate(s.shell, right: PortRight.receive.rawValue)
    #expect(
      s.call("task_get_special_port", childName, [.int(5)])?["special_port"] == .port(0, disposition: MsgType.portSend))
    #expect(
      s.call("task_set_special_port", childName, [.int(5), .port(port, disposition: MsgType.makeSend)])?.retCode
        == KernReturn.success)
    #expect(
      s.call("task_get_special_port", childName, [.int(5)])?["special_port"]
        == .port(port, disposition: MsgType.portSend))
    s.invariantsHold()
  }

  @Test func T2_childrenOfATracedTaskAreTraced() {
    var s = System()
    let (parent, parentName, pt) = s.spawn("parent")
    _ = s.traceToLog(parentName)
    // The parent creates a child through its own task port: the child inherits the trace port.
    let reply = s.call("task_create", 1, [.int(0)], thread: pt)!
    guard case .port(let childInParent, _) = reply["child_task"]! else { Issue.record(); return }
    let child = s.k.taskOf(port: s.k.task(parent).space.lookup(childInParent)!.object)!
    #expect(s.k.task(child).specialPorts[5] == s.k.task(parent).specialPorts[5])
    let thread = s.k.createThread(in: child)
    _ = s.k.giveTaskSelfName(child)
    _ = s.logged()
    let (r, _) = s.channel(from: child, to: child)
    _ = s.k.machMsg(thread, .receive(r, options: .receiveTimeout))
    // A receive that timed out hands nothing back: no copy (T7). A send is copied.
    #expect(s.logged().isEmpty)
    _ = s.k.machMsg(thread, .send(MessageBuilder(remote: r, remoteDisposition: MsgType.makeSend, id: 77).finish()))
    #expect(s.logged().map(\.2) == [77])
    s.invariantsHold()
  }

  @Test func T3_copiesAreTheMessageAsTheTracedTaskSeesIt() {
    var s = System()
    let (a, aName, at) = s.spawn("a")
    let (b, bName, bt) = s.spawn("b")
    _ = s.traceToLog(aName)
    _ = s.traceToLog(bName)
    let (r, send) = s.channel(from: a, to: b)
    let (_, reply) = s.k.portAllocate(a, right: PortRight.receive.rawValue)
    var m = MessageBuilder(
      remote: send, remoteDisposition: MsgType.copySend, local: reply, localDisposition: MsgType.makeSendOnce, id: 500)
    m.int32([42])
    let sent = m.finish()
    _ = s.k.takeTraceLog()
    #expect(s.k.machMsg(at, .send(sent)) == MachMsgReturn.success)
    #expect(s.k.machMsg(bt, .receive(r)) == MachMsgReturn.success)
    let log = s.k.takeTraceLog()
    #expect(log.entries.count == 2)
    // The send, before copy-in: the sender's names and dispositions, byte for byte.
    #expect(log.bytes(of: log.entries[0]) == sent)
    #expect(log.entries[0].task == a && log.entries[0].thread == at && log.entries[0].direction == .send)
    // The receive, after copy-out: exactly what the receiver got.
    #expect(log.bytes(of: log.entries[1]) == s.k.thread(bt).message)
    let got = MessageView(log.bytes(of: log.entries[1]))!
    #expect(got.localPort == r && got.remoteBits == MsgType.portSendOnce)
    #expect(log.entries[1].task == b && log.entries[1].direction == .receive)
    s.invariantsHold()
  }

  /// Draining the log through one host-side log gives each batch once, in order, with the
  /// bytes of its own copies, and a blocked send's copy (taken back out of the log while it
  /// waits, D3) leaves the log's bytes in step with its entries.
  @Test func drainTraceLogGivesEachBatchOnceWithItsOwnBytes() {
    var s = System()
    let (a, aName, at) = s.spawn("a")
    let (b, _, bt) = s.spawn("b")
    _ = s.traceToLog(aName)
    let (r, send) = s.channel(from: a, to: b)
    var drained = TraceLog()
    s.k.drainTraceLog(into: &drained)
    for id in [Int32(601), 602] {
      var m = MessageBuilder(remote: send, remoteDisposition: MsgType.copySend, id: id)
      m.int32([id])
      #expect(s.k.machMsg(at, .send(m.finish())) == MachMsgReturn.success)
    }
    s.k.drainTraceLog(into: &drained)
    #expect(drained.entries.map { MessageView(drained.bytes(of: $0))!.id } == [601, 602])
    _ = s.k.portSetQlimit(b, r, qlimit: 2)
    var full = MessageBuilder(remote: send, remoteDisposition: MsgType.copySend, id: 603)
    full.int32([1, 2, 3])
    #expect(s.k.machMsg(at, .send(full.finish())) == MachMsgReturn.sendInProgress)  // queue full: waits
    #expect(s.k.machMsg(bt, .receive(r)) == MachMsgReturn.success)
    s.k.run()
    s.k.drainTraceLog(into: &drained)
    #expect(drained.entries.map { MessageView(drained.bytes(of: $0))!.id } == [603])
    #expect(drained.bytes(of: drained.entries[0]).count == MsgHeader.size + 16)
    s.k.drainTraceLog(into: &drained)
    #expect(drained.isEmpty)
    s.invariantsHold()
  }

  /// T3/T8 and `ipc_kmsg_get` (`ipc/ipc_kmsg.c`): the send copy is the kernel's message, whose
  /// msgh_size is the send size, not whatever the user's header said.
  @Test func T3_ipc_kmsg_get_theSendCopyCarriesTheSizeTheKernelUsed() {
    var s = System()
    let (a, aName, at) = s.spawn("a")
    let (b, _, _) = s.spawn("b")
    _ = s.traceToLog(aName)
    let (_, send) = s.channel(from: a, to: b)
    var m = MessageBuilder(remote: send, remoteDisposition: MsgType.copySend, id: 501)
    m.int32([7])
    var sent = m.finish()
    sent.setWord(999, at: MsgHeader.sizeOffset)
    _ = s.k.takeTraceLog()
    #expect(s.k.machMsg(at, .send(sent)) == MachMsgReturn.success)
    let log = s.k.takeTraceLog()
    let copy = log.bytes(of: log.entries[0])
    #expect(copy.word(at: MsgHeader.sizeOffset) == UInt32(sent.count))
    var expected = sent
    expected.setWord(UInt32(sent.count), at: MsgHeader.sizeOffset)
    #expect(copy == expected)
    s.invariantsHold()
  }

  @Test func T4_T14_D2_aTraceMessageCarriesTaskThreadDirectionTypeRetvalAndTheBytes() {
    var s = System()
    let (_, tracerName, tt) = s.spawn("tracer")
    let (traced, tracedName, xt) = s.spawn("traced")
    let (tracer, _) = (s.k.taskOf(port: s.k.task(s.shell).space.lookup(tracerName)!.object)!, 0)
    // The tracer task holds the trace port's receive right; the traced task's port goes to it.
    let (_, port) = s.k.portAllocate(tracer, right: PortRight.receive.rawValue)
    let (_, o, _) = s.k.portExtractRight(tracer, port, disposition: MsgType.makeSend)
    #expect(s.k.taskSetSpecialPort(traced, slot: SpecialPort.taskTrace, right: o) == KernReturn.success)
    _ = tracedName
    let (r, send) = s.channel(from: traced, to: traced)
    let m = MessageBuilder(remote: send, remoteDisposition: MsgType.copySend, id: 9).finish()
    #expect(s.k.machMsg(xt, .send(m)) == MachMsgReturn.success)
    #expect(s.k.machMsg(tt, .receive(port)) == MachMsgReturn.success)
    let raw = MessageView(s.k.thread(tt).message)!
    #expect(raw.id == 4600 && raw.isComplex && raw.size == UInt32(76 + m.count))
    #expect(raw.localBits == MsgType.portSend)  // sent COPY_SEND to the trace port
    let copy = TraceCopy(s.k.thread(tt).message)!
    // T4/T14: send rights to the traced task's and thread's ports, in the tracer's space.
    #expect(s.k.task(tracer).space.lookup(copy.task)?.object == s.k.task(traced).kernelPort)
    #expect(s.k.task(tracer).space.lookup(copy.thread)?.object == s.k.thread(xt).kernelPort)
    #expect(copy.direction == 0 && copy.kind == 0 && copy.retval == MachMsgReturn.success)
    #expect(copy.message == m)
    _ = r
    s.invariantsHold()
  }

  @Test func T5_T12_kernelObjectRequestsFromAnotherTaskAreTracedAsTaskAndThread() {
    var s = System()
    let (_, childName, thread) = s.spawn("child")
    _ = s.traceToLog(childName)
    _ = s.logged()
    #expect(s.call("task_suspend", childName, [])?.retCode == KernReturn.success)
    var got = s.logged()
    #expect(got.map(\.0) == [.task, .task])
    #expect(got.map(\.1) == [.receive, .send])  // the request comes in, the reply goes out
    #expect(got.map(\.2) == [2056, 2156])
    // A thread port: type thread, with that thread in the header.
    let inChild = s.k.giveThreadSelfName(thread)
    let (_, o, type) = s.k.portExtractRight(s.k.thread(thread).task, inChild, disposition: MsgType.copySend)
    let threadName = s.k.copyoutKernelRight(s.shell, o, carriedType: type)
    #expect(
      s.call("thread_get_special_port", threadName, [.int(SpecialPort.threadException)])?.retCode == KernReturn.success)
    let log = s.k.takeTraceLog()
    #expect(log.entries.map(\.kind) == [.thread, .thread])
    #expect(log.entries.map(\.thread) == [thread, thread])
    // The kernel's form: the destination is a kernel address, not a name.
    #expect(log.entries.first.map { MessageView(log.bytes(of: $0))!.remotePort >= 0xc000_0000 } == true)
    got = s.logged()
    #expect(got.isEmpty)
    s.invariantsHold()
  }

  @Test func T12_aTasksOwnRpcsAreTracedOnlyAsNormal() {
    var s = System()
    let (_, childName, thread) = s.spawn("child")
    _ = s.traceToLog(childName)
    _ = s.logged()
    _ = s.k.rpc(thread, RoutineTable.routine(named: "mach_port_allocate")!, target: 1, arguments: [.int(1)])
    let got = s.logged()
    #expect(got.map(\.0) == [.normal, .normal])
    #expect(got.map(\.2) == [3204, 3304])
    s.invariantsHold()
  }

  @Test func D3_anRpcToATracedTasksPortIsTracedInOrder() {
    var s = System()
    let (_, aName, at) = s.spawn("a")
    let (_, bName, _) = s.spawn("b")
    _ = s.traceToLog(aName)
    _ = s.traceToLog(bName)
    // a holds b's task port and calls task_suspend on it.
    let bInA = s.k.giveTaskSelfName(s.k.taskOf(port: s.k.task(s.shell).space.lookup(bName)!.object)!)
    _ = bInA
    let (_, o, type) = s.k.portExtractRight(s.shell, bName, disposition: MsgType.copySend)
    let target = s.k.copyoutKernelRight(s.k.thread(at).task, o, carriedType: type)
    _ = s.logged()
    _ = s.k.rpc(at, RoutineTable.routine(named: "task_suspend")!, target: target, arguments: [])
    let log = s.k.takeTraceLog()
    let order = log.entries.map {
      "\(s.k.task($0.task).name) \($0.kind.name) \($0.direction == .send ? "send" : "receive")"
    }
    // The sender's send copy, the target's request and reply copies, the sender's receive copy.
    #expect(order.suffix(4) == ["a normal send", "b task receive", "b task send", "a normal receive"])
    #expect(log.entries.map(\.seq) == log.entries.map(\.seq).sorted())
    s.invariantsHold()
  }

  @Test func T6_outOfLineMemoryIsCopiedAsItsAddressOnly() {
    var s = System()
    let (a, aName, at) = s.spawn("a")
    let (b, bName, bt) = s.spawn("b")
    _ = s.traceToLog(aName)
    _ = s.traceToLog(bName)
    let (r, send) = s.channel(from: a, to: b)
    _ = s.k.vmAllocate(a, size: 8192)
    _ = s.k.vmAllocate(b, size: 4096)
    var m = MessageBuilder(remote: send, remoteDisposition: MsgType.copySend, id: 1)
    m.outOfLine(address: 0x10000, size: 8000)
    _ = s.k.takeTraceLog()
    _ = s.k.machMsg(at, .send(m.finish()))
    _ = s.k.machMsg(bt, .receive(r))
    let log = s.k.takeTraceLog()
    let sent = MessageView(log.bytes(of: log.entries[0]))!
    let received = MessageView(log.bytes(of: log.entries[1]))!
    #expect(log.entries[0].length == 40 && log.entries[1].length == 40)  // no 8000 bytes of data
    #expect(try! sent.items().get()[0].words == [0x10000])  // the sender's address
    #expect(try! received.items().get()[0].words == [0x11000])  // the receiver's address
    s.invariantsHold()
  }

  @Test func T7_errorsAreCopiedWhenAMessageExistedAtTheHook() {
    var s = System()
    let (a, at, r, send) = s.tracedTaskWithOwnPort()
    _ = s.k.portSetQlimit(a, r, qlimit: 0)
    // A send that times out.
    let m = MessageBuilder(remote: send, remoteDisposition: MsgType.copySend, id: 5).finish()
    #expect(s.k.machMsg(at, .send(m, options: .sendTimeout, timeout: 0)) == MachMsgReturn.sendTimedOut)
    #expect(s.logged().map(\.3) == [MachMsgReturn.sendTimedOut])
    // A bad destination.
    let bad = MessageBuilder(remote: 99, remoteDisposition: MsgType.copySend, id: 6).finish()
    #expect(s.k.machMsg(at, .send(bad)) == MachMsgReturn.sendInvalidDest)
    #expect(s.logged().map(\.3) == [MachMsgReturn.sendInvalidDest])
    // No copy for MACH_SEND_MSG_TOO_SMALL, nor for a receive that hands nothing back.
    #expect(s.k.machMsg(at, MachMsgCall(options: .send, message: m, sendSize: 20)) == MachMsgReturn.sendMsgTooSmall)
    #expect(s.k.machMsg(at, .receive(r, options: .receiveTimeout)) == MachMsgReturn.rcvTimedOut)
    #expect(s.k.machMsg(at, .receive(77)) == MachMsgReturn.rcvInvalidName)
    #expect(s.logged().isEmpty)
    s.invariantsHold()
  }

  @Test func T7_aBodyFoundTooShortAtCopyinTakesBackTheCopyAlreadyInTheLog() {
    // `ipc_kmsg_copyin_body` finds the descriptor's data past msgh_size after the send hook
    // has put the copy in the log: the copy goes, with its buffer, and the log is as before.
    var s = System()
    let (_, at, _, send) = s.tracedTaskWithOwnPort()
    let before = s.k.budgetedMessages
    var m = MessageBuilder(remote: send, remoteDisposition: MsgType.copySend, id: 5)
    m.int32([1, 2, 3])
    var bytes = m.finish()
    bytes.setWord(bytes.word(at: 0) | MsgHeader.complexBit, at: 0)  // copy-in reads the body
    let short = UInt32(MsgHeader.size + 4 + 4)  // the descriptor and one of its three words
    #expect(
      s.k.machMsg(at, MachMsgCall(options: .send, message: bytes, sendSize: short)) == MachMsgReturn.sendMsgTooSmall)
    #expect(s.logged().isEmpty)
    #expect(s.k.budgetedMessages == before)
    let ok = MessageBuilder(remote: send, remoteDisposition: MsgType.copySend, id: 6).finish()
    #expect(s.k.machMsg(at, .send(ok)) == MachMsgReturn.success)
    #expect(s.logged().map(\.2) == [6])
    s.invariantsHold()
  }

  @Test func aCopiedKernelKeepsItsOwnTraceLog() {
    // The kernel is a value: a copy taken mid-session (as a checkpoint is) and the original
    // go on tracing, each into its own log, though the log's bytes were shared at the copy.
    var s = System()
    let (_, at, _, send) = s.tracedTaskWithOwnPort()
    func message(_ id: Int32, _ fill: UInt8) -> [UInt8] {
      var m = MessageBuilder(remote: send, remoteDisposition: MsgType.copySend, id: id)
      m.byteArray([UInt8](repeating: fill, count: 16))
      return m.finish()
    }
    #expect(s.k.machMsg(at, .send(message(1, 0x11))) == MachMsgReturn.success)
    var copy = s.k
    #expect(s.k.machMsg(at, .send(message(2, 0x22))) == MachMsgReturn.success)
    #expect(copy.machMsg(at, .send(message(3, 0x33))) == MachMsgReturn.success)
    for (kernel, ids, last) in [(s.k, [1, 2], UInt8(0x22)), (copy, [1, 3], UInt8(0x33))] {
      var k = kernel
      let log = k.takeTraceLog()
      #expect(log.entries.map { MessageView(log.bytes(of: $0))!.id } == ids.map(Int32.init))
      #expect(log.bytes(of: log.entries[0]).last == 0x11 && log.bytes(of: log.entries[1]).last == last)
    }
  }

  /// The log keeps entries and bytes in storage that grows by doubling: past its first 256
  /// entries and 4 KB every copy keeps its own bytes, and a batch the host still looks at (an
  /// `entries` view kept after the batch went back to the kernel to write into) is not
  /// overwritten by the copies that follow.
  @Test func theLogGrowsAndAHeldBatchStaysAsItWas() {
    var s = System()
    let (_, at, r, send) = s.tracedTaskWithOwnPort()
    /// Each message is sent and received: two copies of it, the second the receiver's view.
    func roundTrips(_ ids: Range<Int32>) {
      for id in ids {
        var m = MessageBuilder(remote: send, remoteDisposition: MsgType.copySend, id: id)
        m.byteArray([UInt8](repeating: UInt8(truncatingIfNeeded: id), count: Int(id % 97)))
        #expect(s.k.machMsg(at, .send(m.finish())) == MachMsgReturn.success)
        #expect(s.k.machMsg(at, .receive(r, size: 256)) == MachMsgReturn.success)
      }
    }
    func check(_ log: TraceLog, _ entries: TraceLog.Entries, _ ids: Range<Int32>) {
      #expect(entries.map { MessageView(log.bytes(of: $0))!.id } == ids.flatMap { [$0, $0] })
      #expect(entries.map(\.direction) == ids.flatMap { _ in [TraceMessage.Direction.send, .receive] })
      for (e, id) in zip(entries, ids.flatMap { [$0, $0] }) {
        let bytes = log.bytes(of: e)
        #expect(bytes.count == MsgHeader.size + 4 + (Int(id % 97) + 3) & ~3)
        #expect(id % 97 == 0 || bytes[MsgHeader.size + 4] == UInt8(truncatingIfNeeded: id))
      }
    }
    var drained = TraceLog()
    roundTrips(0..<300)  // 600 entries and about 35 KB: several doublings of both
    s.k.drainTraceLog(into: &drained)
    let held = drained
    let heldEntries = drained.entries
    check(held, heldEntries, 0..<300)
    roundTrips(300..<350)  // into the log handed back, whose storage `held` still holds
    s.k.drainTraceLog(into: &drained)
    check(drained, drained.entries, 300..<350)
    roundTrips(350..<400)
    s.k.drainTraceLog(into: &drained)
    check(drained, drained.entries, 350..<400)
    check(held, heldEntries, 0..<300)
    s.invariantsHold()
  }

  @Test func T7_aTooLargeReceiveIsCopiedAsTheHeaderWithTheRealSize() {
    var s = System()
    let (a, aName, at) = s.spawn("a")
    _ = s.traceToLog(aName)
    let (r, send) = s.channel(from: a, to: a)
    var m = MessageBuilder(remote: send, remoteDisposition: MsgType.copySend, id: 5)
    m.int32([1, 2, 3])
    _ = s.k.machMsg(at, .send(m.finish()))
    _ = s.k.takeTraceLog()
    #expect(s.k.machMsg(at, .receive(r, size: 24)) == MachMsgReturn.rcvTooLarge)
    let log = s.k.takeTraceLog()
    #expect(log.entries.count == 1 && log.entries[0].retval == MachMsgReturn.rcvTooLarge)
    #expect(log.entries[0].length == 24)
    #expect(MessageView(log.bytes(of: log.entries[0]))!.size == 40)
    s.invariantsHold()
  }

  @Test func T8_tracingChangesNothingInTheTracedMessage() {
    func run(traced: Bool) -> ([UInt8], [UInt8]) {
      var s = System()
      let (a, aName, at) = s.spawn("a")
      let (b, bName, bt) = s.spawn("b")
      if traced {
        _ = s.traceToLog(aName)
        _ = s.traceToLog(bName)
      }
      let (r, send) = s.channel(from: a, to: b)
      let (_, reply) = s.k.portAllocate(a, right: PortRight.receive.rawValue)
      var m = MessageBuilder(
        remote: send, remoteDisposition: MsgType.copySend, local: reply, localDisposition: MsgType.makeSendOnce, id: 1)
      m.ports([reply], disposition: MsgType.makeSend)
      _ = s.k.machMsg(at, .send(m.finish()))
      _ = s.k.machMsg(bt, .receive(r))
      let names = s.k.task(b).space.names.map { UInt8(truncatingIfNeeded: $0) }
      return (s.k.thread(bt).message, names)
    }
    let plain = run(traced: false)
    let traced = run(traced: true)
    #expect(plain.0 == traced.0)
  }

  @Test func T9_fullTraceQueueBlocksTheTracedThread() {
    var s = System()
    let (tracer, tracerName, tt) = s.spawn("tracer")
    _ = tracerName
    let (traced, _, xt) = s.spawn("traced")
    let port = s.traceThroughQueue(of: traced, to: tracer, qlimit: 1)
    let (r, send) = s.channel(from: traced, to: traced)
    let m = MessageBuilder(remote: send, remoteDisposition: MsgType.copySend, id: 3).finish()
    #expect(s.k.machMsg(xt, .send(m)) == MachMsgReturn.success)  // the first copy fits
    #expect(s.k.machMsg(xt, .send(m)) == MachMsgReturn.sendInProgress)  // the second waits
    #expect(s.k.thread(xt).state == .blockedInTrace)
    #expect(s.k.portGetReceiveStatus(traced, r).1!.messageCount == 2)  // the message itself went
    #expect(s.k.machMsg(tt, .receive(port)) == MachMsgReturn.success)
    s.k.run()
    #expect(s.k.takeCompletions() == [Completion(thread: xt, result: MachMsgReturn.success)])
    s.invariantsHold()
  }

  @Test func T9_taskAndThreadCopiesNeverBlockTheSender() {
    var s = System()
    let (tracer, _, _) = s.spawn("tracer")
    let (traced, tracedName, _) = s.spawn("traced")
    let port = s.traceThroughQueue(of: traced, to: tracer, qlimit: 0)
    #expect(s.call("task_suspend", tracedName, [])?.retCode == KernReturn.success)
    #expect(s.k.portGetReceiveStatus(tracer, port).1!.messageCount == 2)
    s.invariantsHold()
  }

  @Test func T10_D4_onShortageACopyIsDroppedWithAConsoleLine() {
    var s = System()
    let (a, at, r, send) = s.tracedTaskWithOwnPort()
    s.k.kmsgLimit = 1
    let m = MessageBuilder(remote: send, remoteDisposition: MsgType.copySend, id: 8).finish()
    // The message takes the only buffer; its copy finds none (a message is allocated first).
    #expect(s.k.machMsg(at, .send(m)) == MachMsgReturn.success)
    #expect(s.logged().isEmpty)
    #expect(s.k.console == ["trace: dropped copy of msgid 8 from a.1 (no buffer)"])
    #expect(s.k.portGetReceiveStatus(a, r).1!.messageCount == 1)
    s.k.kmsgLimit = nil
    s.invariantsHold()
  }

  /// The receive side of T10 for a port the host drains: the message has left its buffer, but
  /// another queued message holds the last one, so the receive's copy finds none.
  @Test func T10_D4_aReceiveCopyWithNoBufferIsDroppedAndTheReceiveSucceeds() {
    var s = System()
    let (a, aName, at) = s.spawn("a")
    _ = s.traceToLog(aName)
    let (r, send) = s.channel(from: a, to: a)
    for id in [21, 22] as [Int32] {
      let m = MessageBuilder(remote: send, remoteDisposition: MsgType.copySend, id: id).finish()
      #expect(s.k.machMsg(at, .send(m)) == MachMsgReturn.success)
    }
    _ = s.logged()
    s.k.kmsgLimit = s.k.budgetedMessages - 1  // the two messages, less the one received
    #expect(s.k.machMsg(at, .receive(r)) == MachMsgReturn.success)
    #expect(s.k.thread(at).message.word(at: MsgHeader.idOffset) == 21)
    #expect(s.logged().isEmpty)
    #expect(s.k.console == ["trace: dropped copy of msgid 21 from a.1 (no buffer)"])
    s.k.kmsgLimit = nil
    #expect(s.k.machMsg(at, .receive(r)) == MachMsgReturn.success)
    #expect(s.logged().count == 1)  // with a buffer again, the copy is made
    s.invariantsHold()
  }

  /// T10's console lines cannot pile up without bound: the console keeps the latest
  /// `Kernel.consoleLimit` lines and counts the ones it let go.
  @Test func T10_theConsoleKeepsItsLatestLines() {
    var s = System()
    let (a, aName, at) = s.spawn("a")
    _ = s.traceToLog(aName)
    let (r, send) = s.channel(from: a, to: a)
    s.k.kmsgLimit = 1
    for id in 1...(Kernel.consoleLimit + 5) {
      let m = MessageBuilder(remote: send, remoteDisposition: MsgType.copySend, id: Int32(id)).finish()
      #expect(s.k.machMsg(at, .send(m)) == MachMsgReturn.success)
      #expect(s.k.machMsg(at, .receive(r)) == MachMsgReturn.success)  // frees the buffer again
    }
    // One line per round: the send's copy finds no buffer (the receive's copy finds the one
    // the message left).
    #expect(s.k.console.count == Kernel.consoleLimit)
    #expect(s.k.consoleDropped == 5)
    #expect(s.k.console.first == "trace: dropped copy of msgid 6 from a.1 (no buffer)")
    #expect(s.k.console.last == "trace: dropped copy of msgid \(Kernel.consoleLimit + 5) from a.1 (no buffer)")
    s.k.kmsgLimit = nil
    s.invariantsHold()
  }

  @Test func T11_aTracedTasksShortcutTrapsFallBackOnTracedRpcs() {
    var s = System()
    let (_, childName, thread) = s.spawn("child")
    _ = s.traceToLog(childName)
    _ = s.logged()
    #expect(s.k.trap(thread, .machPortAllocate, target: 1, arguments: [.int(1)]).0 == MachMsgReturn.sendInterrupted)
    _ = s.k.call(thread, RoutineTable.routine(named: "mach_port_allocate")!, target: 1, arguments: [.int(1)])
    #expect(s.logged().map(\.2) == [3204, 3304])
  }

  @Test func T13_exceptionsAreTracedOnePairPerHandlerTried() {
    var s = System()
    let (victim, victimName, vt) = s.spawn("victim")
    _ = s.traceToLog(victimName)
    let (h, _, ht) = s.spawn("handler")
    var ports: [PortName] = []
    for taskSlot in [false, true] {
      let (_, port) = s.k.portAllocate(h, right: PortRight.receive.rawValue)
      ports.append(port)
      let (_, o, _) = s.k.portExtractRight(h, port, disposition: MsgType.makeSend)
      if taskSlot {
        _ = s.k.taskSetSpecialPort(victim, slot: 3, right: o)
      } else {
        _ = s.k.threadSetSpecialPort(vt, slot: 3, right: o)
      }
    }
    _ = s.logged()
    _ = s.k.raiseException(vt, exception: ExceptionType.breakpoint, code: 0, subcode: 0)
    // The thread's handler refuses, the task's accepts.
    for (port, code) in zip(ports, [KernReturn.failure, KernReturn.success]) {
      #expect(s.k.machMsg(ht, .receive(port)) == MachMsgReturn.success)
      let request = MessageView(s.k.thread(ht).message)!
      var reply = MessageBuilder(remote: request.remotePort, remoteDisposition: MsgType.moveSendOnce, id: 2500)
      reply.int32([code])
      _ = s.k.machMsg(ht, .send(reply.finish()))
      s.k.run()
    }
    let got = s.logged()
    #expect(got.map(\.0) == [.threadException, .threadException, .taskException, .taskException])
    #expect(got.map(\.1) == [.send, .receive, .send, .receive])
    #expect(got.map(\.2) == [2400, 2500, 2400, 2500])
    #expect(s.k.takeCompletions().last == Completion(thread: vt, result: KernReturn.success))
    s.invariantsHold()
  }

  @Test func D1_traceMessagesAreNeverTraced() {
    var s = System()
    let (tracer, tracerName, tt) = s.spawn("tracer")
    // The tracer traces itself into a port it receives from.
    let (_, port) = s.k.portAllocate(tracer, right: PortRight.receive.rawValue)
    let (_, o, _) = s.k.portExtractRight(tracer, port, disposition: MsgType.makeSend)
    _ = s.k.taskSetSpecialPort(tracer, slot: SpecialPort.taskTrace, right: o)
    _ = tracerName
    let (r, send) = s.channel(from: tracer, to: tracer)
    _ = s.k.machMsg(tt, .send(MessageBuilder(remote: send, remoteDisposition: MsgType.copySend, id: 1).finish()))
    #expect(s.k.portGetReceiveStatus(tracer, port).1!.messageCount == 1)
    #expect(s.k.machMsg(tt, .receive(port)) == MachMsgReturn.success)  // a trace message: not copied
    #expect(s.k.portGetReceiveStatus(tracer, port).1!.messageCount == 0)
    #expect(s.k.machMsg(tt, .receive(r)) == MachMsgReturn.success)  // an ordinary one: copied
    #expect(s.k.portGetReceiveStatus(tracer, port).1!.messageCount == 1)
    s.invariantsHold()
  }

  @Test func D5_theTracePortIsReadAsEachMessagePasses() {
    var s = System()
    let (_, childName, _) = s.spawn("child")
    let port = s.traceToLog(childName)
    // The reply to the request that set the trace port is traced there (type task); the
    // request itself came before the port was set.
    #expect(s.logged().map { "\($0.0.name) \($0.2)" } == ["task 2159"])
    // Clearing it: the request is traced to the old port, the reply to none.
    #expect(
      s.call(
        "task_set_special_port", childName, [.int(SpecialPort.taskTrace), .port(0, disposition: MsgType.copySend)])?
        .retCode == KernReturn.success)
    #expect(s.logged().map { "\($0.0.name) \($0.2)" } == ["task 2059"])
    _ = port
    s.invariantsHold()
  }

  @Test func D3_aBlockedSendIsCopiedWhenItsCodeIsKnown() {
    var s = System()
    let (a, at, r, send) = s.tracedTaskWithOwnPort()
    _ = s.k.portSetQlimit(a, r, qlimit: 0)
    #expect(
      s.k.machMsg(
        at,
        .send(
          MessageBuilder(remote: send, remoteDisposition: MsgType.copySend, id: 4).finish(), options: .sendTimeout,
          timeout: 5)) == MachMsgReturn.sendInProgress)
    #expect(s.logged().isEmpty)
    s.k.advance(by: 5_000)
    let log = s.k.takeTraceLog()
    #expect(log.entries.map(\.retval) == [MachMsgReturn.sendTimedOut])
    #expect(log.entries[0].time == 5_000)
    s.invariantsHold()
  }
}
