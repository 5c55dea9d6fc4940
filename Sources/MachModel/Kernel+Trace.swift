// The kernel trace facility proposed for GNU Mach in March 2018 (docs/trace.md T1–T14, D1–D5):
// copies of every message a task sends or receives go to its TASK_TRACE_PORT.

/// What a thread does once its trace copy is queued (T9: the copy may have to wait).
enum TraceContinuation: Sendable {
  case none
  /// The send half ended with this code.
  case sendDone(ReturnCode)
  /// The send reached a kernel port: serve the held request, then go on.
  case serveHeld
  /// The receive half ended with this code.
  case receiveDone(ReturnCode)
  /// exception_raise went out: wait for the handler's reply.
  case exceptionSent
  /// The handler's reply arrived: act on it.
  case exceptionReplied
}

/// Where the bytes of a copy are. They are read in place when the copy is made: an array
/// handed to a mutating `Kernel` method would be retained and released around the call, two
/// atomic operations per traced message.
enum CopySource {
  /// The message handed back to thread `t` (`KThread.messageBuffer`).
  case received(ThreadIndex)
  /// Thread `t`'s pending send copy (`KThread.traceSnapshot`).
  case snapshot(ThreadIndex)
  /// A message the kernel built for the occasion.
  case bytes([UInt8])
}

extension Kernel {
  /// The trace port `task` has now (D5), if it is set.
  @inline(__always)
  func tracePort(of task: TaskIndex) -> ObjectIndex? {
    let o = tasks[Int(task)].specialPorts[Int(SpecialPort.taskTrace)]
    return o >= 0 ? o : nil
  }

  /// Copies to this port (whose receive right `task` holds as `name`) go straight into
  /// `traceLog` instead of its queue: the host drains it in batches, as a debugger does for the
  /// trace ports it holds (docs/shell.md §6: never queued, no back-pressure).
  public mutating func setHostDrained(_ task: TaskIndex, _ name: PortName, _ drained: Bool = true) -> ReturnCode {
    switch receiveRight(task, name) {
    case .failure(let e): return e.code
    case .success(let o):
      objects[Int(o)].isHostDrained = drained
      return KernReturn.success
    }
  }

  /// Takes the copies that reached host-drained ports since the last call.
  public mutating func takeTraceLog() -> TraceLog {
    var log = TraceLog()
    swap(&log, &traceLog)
    return log
  }

  /// Moves the copies made so far into `log`, whose previous entries are discarded, and keeps
  /// `log`'s storage for the copies that follow: a host that drains through the same log
  /// allocates nothing once the log has grown to its batch size. (A log taken afresh each
  /// time grows from nothing each time: on Linux that costs a page fault for every 4 KB of
  /// copies, which made a traced round trip cost twice an untraced one.)
  public mutating func drainTraceLog(into log: inout TraceLog) {
    log.removeAll()
    swap(&log, &traceLog)
  }

  // MARK: - Budget

  /// Takes a message buffer for a copy (D4). On shortage the copy is dropped and one line goes
  /// to the console (T10); the traced operation is unaffected.
  @inline(__always)
  mutating func reserveTraceBuffer(task: TaskIndex, thread: ThreadIndex, msgid: Int32) -> Bool {
    guard hasBufferToSpare else {
      noteDroppedCopy(task: task, thread: thread, msgid: msgid)
      return false
    }
    budgetedMessages += 1
    return true
  }

  /// Whether the budget has a message buffer left for a copy (D4).
  @inline(__always)
  var hasBufferToSpare: Bool { kmsgLimit.map { budgetedMessages < $0 } ?? true }

  /// Whether a copy of a message with id `id` to trace port `port` takes the hooks' short path
  /// straight into the log: not a trace message (D1), a live port the host drains, a buffer to
  /// spare. Every other copy goes the general way (`emitCopy`).
  @inline(__always)
  func copiesStraightIntoLog(_ id: Int32, port: ObjectIndex) -> Bool {
    id != TraceMessage.id && objects[Int(port)].isActive && objects[Int(port)].isHostDrained && hasBufferToSpare
  }

  /// T10: the console line for a copy dropped for want of a buffer.
  private mutating func noteDroppedCopy(task: TaskIndex, thread: ThreadIndex, msgid: Int32) {
    var from = tasks[Int(task)].name
    if thread >= 0 { from += ".\(threads[Int(thread)].number)" }
    printf("trace: dropped copy of msgid \(msgid) from \(from) (no buffer)")
  }

  // MARK: - Taking and emitting copies

  /// Who holds the receive right of the destination `message` names in `task`'s space, for a
  /// host-drained send copy (`TraceEntry.peer`).
  func peer(of task: TaskIndex, _ message: [UInt8]) -> TaskIndex {
    guard message.count >= MsgHeader.size, let e = entry(task, message.word(at: MsgHeader.remoteOffset)), e.object >= 0
    else {
      return TraceEntry.noPeer
    }
    return receiverPeer(e.object)
  }

  /// `TraceEntry.peer` for a message going to port `o`.
  @inline(__always)
  func receiverPeer(_ o: ObjectIndex) -> TaskIndex {
    switch objects[Int(o)].receiver {
    case .task(let t, _): return t
    case .kernel: return TraceEntry.kernelPeer
    case .inTransit: return TraceEntry.noPeer
    }
  }

  /// The send hook (right after `ipc_kmsg_get`): thread `t` of `task`, whose trace port is
  /// `port`, keeps the message as the task sent it (kernel message `k`'s first `length` bytes,
  /// before copy-in), with a buffer reserved for the copy.
  ///
  /// When the trace port is drained by the host, the copy goes straight into the log, pending,
  /// and becomes its last entry once the send's code is known (nothing else can be copied
  /// within the call, unless it blocks: then `parkSendCopy` takes it back out).
  @inline(__always)
  mutating func takeSendCopy(_ t: ThreadIndex, task: TaskIndex, port: ObjectIndex, kmsg k: Int32, length: Int) {
    let id = Int32(bitPattern: kmsgs[Int(k)].bytes.word(at: MsgHeader.idOffset))
    guard copiesStraightIntoLog(id, port: port) else {
      return takeSendSnapshot(t, task: task, kmsg: k, length: length, id: id)
    }
    budgetedMessages += 1  // the buffer the copy would take (D4)
    // The bytes are read in place (an argument of a mutating Kernel method would be retained).
    let destination = traceLog.appendPending(
      TraceEntry(
        seq: 0, time: 0, task: task, thread: t, direction: .send, kind: .normal, retval: 0,
        port: port, peer: TraceEntry.noPeer, offset: 0, length: 0),  // completed at the send's end
      length: length)
    destination.fill(from: kmsgs[Int(k)].bytes)
  }

  /// `takeSendCopy` for every other case: a trace message is never copied (D1), a copy may be
  /// dropped for want of a buffer (T10), and a copy for a trace port with a queue waits in the
  /// thread until the send's code is known.
  @inline(never)
  private mutating func takeSendSnapshot(_ t: ThreadIndex, task: TaskIndex, kmsg k: Int32, length: Int, id: Int32) {
    guard id != TraceMessage.id, reserveTraceBuffer(task: task, thread: t, msgid: id) else { return }
    threads[Int(t)].traceSnapshot.overwritePrefix(with: kmsgs[Int(k)].bytes, length: length)
    threads[Int(t)].traceSnapshotLength = length
    threads[Int(t)].hasSnapshotCopy = true
  }

  /// A traced send blocks: its copy, if it sits in the log, waits in the thread instead, so
  /// that it is queued when the send's code is known (D3).
  mutating func parkSendCopy(_ t: ThreadIndex) {
    guard traceLog.pendingThread == t else { return }
    threads[Int(t)].hasSnapshotCopy = true
    let bytes = traceLog.removePending()
    threads[Int(t)].traceSnapshot.overwritePrefix(with: bytes, length: bytes.count)
    threads[Int(t)].traceSnapshotLength = bytes.count
  }

  /// Drops a send copy that will not be emitted (MACH_SEND_MSG_TOO_SMALL found in the body).
  mutating func dropSendCopy(_ t: ThreadIndex) {
    if traceLog.pendingThread == t {
      _ = traceLog.removePending()
    } else if threads[Int(t)].hasSnapshotCopy {
      threads[Int(t)].hasSnapshotCopy = false
    } else {
      return
    }
    budgetedMessages -= 1
  }

  /// Queues copy bytes to `task`'s trace port (read now, D5) with the D2 header. A buffer must
  /// already be reserved. A host-drained port takes it into `traceLog`; otherwise it is a
  /// trace message (id 4600). With `waiter`, a full trace queue makes that thread wait until
  /// the copy can be queued (T9), running `then` afterwards; returns true when it waits.
  mutating func emitCopy(
    task: TaskIndex, thread: ThreadIndex, direction: TraceMessage.Direction, kind: TraceMessage.Kind,
    retval: ReturnCode, source: CopySource, length: Int, waiter: ThreadIndex? = nil, then: TraceContinuation = .none
  ) -> Bool {
    guard let port = tracePort(of: task), objects[Int(port)].isActive else {
      budgetedMessages -= 1  // a copy to a dead trace port is destroyed silently
      return false
    }
    traceSeq += 1
    if objects[Int(port)].isHostDrained {
      budgetedMessages -= 1
      let entry = TraceEntry(
        seq: traceSeq, time: now, task: task, thread: thread, direction: direction, kind: kind,
        retval: retval, port: port,
        peer: direction == .send && kind == .normal ? peer(of: task, bytes(of: source)) : TraceEntry.noPeer,
        offset: 0, length: 0)
      let destination = traceLog.appendEntry(entry, length: length)
      switch source {
      case .received(let t): destination.fill(from: threads[Int(t)].messageBuffer)
      case .snapshot(let t): destination.fill(from: threads[Int(t)].traceSnapshot)
      case .bytes(let b): destination.fill(from: b)
      }
      return false
    }
    let bytes = bytes(of: source)
    let k = buildTraceMessage(
      port: port, task: task, thread: thread, direction: direction, kind: kind, retval: retval, bytes: bytes,
      length: length)
    if case .kernel = objects[Int(port)].receiver {
      deliverToKernel(k, port: port)
      return false
    }
    if objects[Int(port)].messageCount < objects[Int(port)].qlimit || waiter == nil {
      enqueue(k, on: port)
      return false
    }
    let t = waiter!
    threads[Int(t)].traceKmsg = k
    threads[Int(t)].traceContinuation = then
    threads[Int(t)].state = .blockedInTrace
    threads[Int(t)].completesAsynchronously = true
    threads[Int(t)].waitingOn = port
    pushThread(t, on: .senders, of: port)
    return true
  }

  /// The array `source` names.
  private func bytes(of source: CopySource) -> [UInt8] {
    switch source {
    case .received(let t): return threads[Int(t)].messageBuffer
    case .snapshot(let t): return threads[Int(t)].traceSnapshot
    case .bytes(let b): return b
    }
  }

  /// A trace message (D2): id 4600, sent COPY_SEND to the trace port, complex, body task,
  /// thread, direction, type, retval, and the message as an inline long-form BYTE array.
  private mutating func buildTraceMessage(
    port: ObjectIndex, task: TaskIndex, thread: ThreadIndex, direction: TraceMessage.Direction,
    kind: TraceMessage.Kind, retval: ReturnCode, bytes: [UInt8], length: Int
  ) -> Int32 {
    let k = allocKMsg(budgeted: false)!
    kmsgs[Int(k)].isBudgeted = true  // the buffer reserved for the copy
    objects[Int(port)].sendRights += 1
    let taskRight = copyKernelSendRight(tasks[Int(task)].specialPorts[Int(SpecialPort.taskKernel)])
    let threadRight =
      thread >= 0 ? copyKernelSendRight(threads[Int(thread)].specialPorts[Int(SpecialPort.threadKernel)]) : -1
    let padded = (length + 3) & ~3
    let size = MsgHeader.size + 8 + 8 + 8 * 3 + 12 + padded
    if kmsgs[Int(k)].bytes.count < size {
      kmsgs[Int(k)].bytes.append(contentsOf: repeatElement(0, count: size - kmsgs[Int(k)].bytes.count))
    }
    kmsgs[Int(k)].bytes.setWords(
      [
        MsgHeader.bits(remote: MsgType.portSend, local: 0, complex: true), UInt32(size), Self.address(of: port),
        MachPort.null, 0, UInt32(bitPattern: TraceMessage.id),
        0x1001_2011, taskRight >= 0 ? Self.address(of: taskRight) : MachPort.null,
        0x1001_2011, threadRight >= 0 ? Self.address(of: threadRight) : MachPort.null,
        0x1001_2002, UInt32(direction.rawValue), 0x1001_2002, UInt32(kind.rawValue),
        0x1001_2002, UInt32(bitPattern: retval),
        0x3000_0000, 0x0008_0009, UInt32(length),
      ], at: 0)
    let dataOffset = size - padded
    kmsgs[Int(k)].bytes.withUnsafeMutableBytes { dst in
      bytes.withUnsafeBytes { src in
        dst.baseAddress!.advanced(by: dataOffset).copyMemory(from: src.baseAddress!, byteCount: length)
      }
      for i in length..<padded { dst[dataOffset + i] = 0 }
    }
    return k
  }

  /// Emits the pending send copy of `t` with the send's return code (D3: once it is known),
  /// then runs `then`. Returns the call's code so far, or MACH_SEND_IN_PROGRESS while the
  /// thread waits for room on its trace port.
  mutating func sendCopyThen(_ t: ThreadIndex, retval: ReturnCode, _ then: TraceContinuation) -> ReturnCode {
    if traceLog.pendingThread == t {
      completeSendCopyInLog(retval: retval)
    } else if threads[Int(t)].hasSnapshotCopy {
      threads[Int(t)].hasSnapshotCopy = false
      let waits = emitCopy(
        task: threads[Int(t)].task, thread: t, direction: .send, kind: .normal, retval: retval,
        source: .snapshot(t), length: threads[Int(t)].traceSnapshotLength, waiter: t, then: then)
      if waits { return MachMsgReturn.sendInProgress }
    }
    return runContinuation(t, then)
  }

  /// Emits the send copy that waits in the log (`TraceLog.pendingThread`) with the send's
  /// code: it is still pending there, and the trace port has not changed within the call.
  @inline(__always)
  mutating func completeSendCopyInLog(retval: ReturnCode) {
    budgetedMessages -= 1
    traceSeq += 1
    traceLog.completePending(seq: traceSeq, time: now, retval: retval)
  }

  /// The receive hook (just before mach_msg returns): when a message was handed back (success,
  /// MACH_RCV_TOO_LARGE), the receiver's view of it is copied, then the call ends.
  ///
  /// The common case (`copiesStraightIntoLog`) goes straight into the log here: what
  /// `reserveTraceBuffer` and `emitCopy` would do, without the general path
  /// (`receiveCopyByEmitting`).
  @inline(__always)
  mutating func receiveCopyThen(_ t: ThreadIndex, _ code: ReturnCode) -> ReturnCode {
    let task = threads[Int(t)].task
    guard code == MachMsgReturn.success || code == MachMsgReturn.rcvTooLarge || code == MachMsgReturn.rcvInvalidNotify,
      let port = tracePort(of: task),
      threads[Int(t)].messageLength >= MsgHeader.size
    else { return finish(t, code) }
    let id = Int32(bitPattern: threads[Int(t)].messageBuffer.word(at: MsgHeader.idOffset))
    guard copiesStraightIntoLog(id, port: port) else { return receiveCopyByEmitting(t, code, task: task, id: id) }
    traceSeq += 1
    let length = threads[Int(t)].messageLength
    let destination = traceLog.appendEntry(
      TraceEntry(
        seq: traceSeq, time: now, task: task, thread: t, direction: .receive, kind: .normal, retval: code,
        port: port, peer: TraceEntry.noPeer, offset: 0, length: 0),
      length: length)
    destination.fill(from: threads[Int(t)].messageBuffer)
    return finish(t, code)
  }

  /// `receiveCopyThen` for every other case: a trace message's own copy is never made (D1), a
  /// copy may be dropped for want of a buffer (T10), and a queued trace port may make the
  /// receiver wait (T9).
  @inline(never)
  private mutating func receiveCopyByEmitting(
    _ t: ThreadIndex, _ code: ReturnCode, task: TaskIndex, id: Int32
  )
    -> ReturnCode
  {
    if id != TraceMessage.id || code != MachMsgReturn.success, reserveTraceBuffer(task: task, thread: t, msgid: id) {
      let waits = emitCopy(
        task: task, thread: t, direction: .receive, kind: .normal, retval: code,
        source: .received(t), length: threads[Int(t)].messageLength, waiter: t,
        then: .receiveDone(code))
      if waits { return MachMsgReturn.rcvInProgress }
    }
    return finish(t, code)
  }

  /// What a thread does once its copy is queued.
  @discardableResult
  mutating func runContinuation(_ t: ThreadIndex, _ c: TraceContinuation) -> ReturnCode {
    switch c {
    case .none:
      return MachMsgReturn.success
    case .sendDone(let code):
      return code == MachMsgReturn.success ? continueAfterSend(t) : finish(t, code)
    case .serveHeld:
      let k = threads[Int(t)].kmsg
      threads[Int(t)].kmsg = -1
      kernelCaller = t  // ipc_kobject_server runs in the sender's thread
      // GNU Mach's `kernel_send` shortcut is taken only by mach_msg(SEND|RCV) with no other
      // option (`mach_msg_trap`'s fast path tests `option == (MACH_SEND_MSG|MACH_RCV_MSG)`).
      directRequest = threads[Int(t)].call.options == [.send, .receive] ? k : -1
      deliverToKernel(k, port: destination(of: k))
      directRequest = -1
      kernelCaller = -1
      return continueAfterSend(t)
    case .receiveDone(let code):
      return finish(t, code)
    case .exceptionSent:
      threads[Int(t)].state = .blockedInException
      if threads[Int(t)].pendingException?.replyArrived == true { makeRunnable(t) }
      return MachMsgReturn.rcvInProgress
    case .exceptionReplied:
      actOnExceptionReply(t)
      return MachMsgReturn.rcvInProgress
    }
  }

  /// A thread waiting for room on its trace port runs again: it queues its copy (or waits
  /// again), then goes on.
  mutating func resumeTraceWait(_ t: ThreadIndex) {
    let k = threads[Int(t)].traceKmsg
    let o = destination(of: k)
    if objects[Int(o)].isActive && objects[Int(o)].messageCount >= objects[Int(o)].qlimit {
      threads[Int(t)].state = .blockedInTrace
      threads[Int(t)].waitingOn = o
      pushThread(t, on: .senders, of: o)
      return
    }
    threads[Int(t)].traceKmsg = -1
    if objects[Int(o)].isActive { enqueue(k, on: o) } else { discardForDeadDestination(k) }
    let c = threads[Int(t)].traceContinuation
    threads[Int(t)].traceContinuation = .none
    threads[Int(t)].state = .idle
    let code = runContinuation(t, c)
    switch code {
    case MachMsgReturn.sendInProgress where threads[Int(t)].state == .idle: threads[Int(t)].state = .blockedInSend
    case MachMsgReturn.rcvInProgress where threads[Int(t)].state == .idle: threads[Int(t)].state = .blockedInReceive
    default: break
    }
  }

  /// A copy made by the kernel on its own account (T12 kernel-object requests and replies,
  /// T13 exception messages): kernel form, never waiting unless a waiter is given.
  mutating func kernelCopy(
    task: TaskIndex, thread: ThreadIndex, direction: TraceMessage.Direction, kind: TraceMessage.Kind,
    bytes: [UInt8], length: Int, waiter: ThreadIndex? = nil, then: TraceContinuation = .none
  ) -> Bool {
    guard tracePort(of: task) != nil else { return false }
    let id = Int32(bitPattern: bytes.word(at: MsgHeader.idOffset))
    guard id != TraceMessage.id, reserveTraceBuffer(task: task, thread: thread, msgid: id) else { return false }
    return emitCopy(
      task: task, thread: thread, direction: direction, kind: kind, retval: MachMsgReturn.success,
      source: .bytes(bytes), length: length, waiter: waiter, then: then)
  }
}
