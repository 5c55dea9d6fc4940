import MachModel
import Testing

/// thread_abort (2064): docs/gnumach.md §4 ("Other task and thread calls"), the interrupted
/// codes of §2.2 and §2.4, the exception reply port of §5, and docs/trace.md T7/T9.
@Suite struct ThreadAbortTests {
  /// A second thread in the task of `thread`, and `thread`'s port named in that task: the
  /// party that aborts it.
  func aborter(_ s: inout System, for thread: ThreadIndex) -> (ThreadIndex, PortName) {
    let task = s.k.thread(thread).task
    return (s.k.createThread(in: task), s.k.giveThreadSelfName(thread))
  }

  /// The shell's send right to `thread`'s kernel port.
  func shellName(_ s: inout System, of thread: ThreadIndex) -> PortName {
    let task = s.k.thread(thread).task
    let (_, o, type) = s.k.portExtractRight(task, s.k.giveThreadSelfName(thread), disposition: MsgType.copySend)
    return s.k.copyoutKernelRight(s.shell, o, carriedType: type)
  }

  @Test func section2_4_anAbortedSendIsInterruptedAndTheMessageComesBack() {
    var s = System()
    let (a, _, at) = s.spawn("a")
    let (r, send) = s.channel(from: a, to: a)
    _ = s.k.portSetQlimit(a, r, qlimit: 0)
    let m = MessageBuilder(remote: send, remoteDisposition: MsgType.copySend, id: 7).finish()
    #expect(s.k.machMsg(at, .send(m, options: .sendTimeout, timeout: 500)) == MachMsgReturn.sendInProgress)
    #expect(s.k.thread(at).state == .blockedInSend)
    let (helper, name) = aborter(&s, for: at)
    #expect(s.call("thread_abort", name, [], thread: helper)?.retCode == KernReturn.success)
    s.k.run()
    #expect(s.k.takeCompletions() == [Completion(thread: at, result: MachMsgReturn.sendInterrupted)])
    // Pseudo-received back: the header is not reversed, the destination right is the sender's again.
    let back = MessageView(s.k.thread(at).message)!
    #expect(back.id == 7 && back.remotePort == send && back.remoteBits == MsgType.portSend)
    #expect(s.k.portGetReceiveStatus(a, r).1!.messageCount == 0)
    #expect(s.k.nextDeadline() == nil)  // the send's timer went with the wait
    s.invariantsHold()
  }

  @Test func section2_2_anAbortedReceiveEndsWithRcvInterruptedAndTakesNothing() {
    var s = System()
    let (a, _, at) = s.spawn("a")
    let (r, send) = s.channel(from: a, to: a)
    #expect(s.k.machMsg(at, .receive(r, options: .receiveTimeout, timeout: 100)) == MachMsgReturn.rcvInProgress)
    let (helper, name) = aborter(&s, for: at)
    #expect(s.call("thread_abort", name, [], thread: helper)?.retCode == KernReturn.success)
    s.k.run()
    #expect(s.k.takeCompletions() == [Completion(thread: at, result: MachMsgReturn.rcvInterrupted)])
    #expect(s.k.nextDeadline() == nil)
    // The thread no longer waits on the port: a message now stays queued.
    let m = MessageBuilder(remote: send, remoteDisposition: MsgType.copySend, id: 8).finish()
    #expect(s.k.machMsg(helper, .send(m)) == MachMsgReturn.success)
    #expect(s.k.portGetReceiveStatus(a, r).1!.messageCount == 1)
    s.invariantsHold()
  }

  @Test func section4_threadAbortRefusesTheCallerItselfAndAPortThatIsNoThread() {
    var s = System()
    let (_, aName, at) = s.spawn("a")
    let own = s.k.giveThreadSelfName(at)
    #expect(s.call("thread_abort", own, [], thread: at)?.retCode == KernReturn.invalidArgument)
    // A task port reaches the routine as a null thread.
    #expect(s.call("thread_abort", aName, [])?.retCode == KernReturn.invalidArgument)
    // An idle thread waits for nothing: success, and nothing happens.
    let name = shellName(&s, of: at)
    #expect(s.call("thread_abort", name, [])?.retCode == KernReturn.success)
    #expect(s.k.thread(at).state == .idle && s.k.takeCompletions().isEmpty)
    s.invariantsHold()
  }

  @Test func section4_aSuspendedThreadFinishesItsAbortedCallWhenResumed() {
    var s = System()
    let (a, _, at) = s.spawn("a")
    let (r, _) = s.channel(from: a, to: a)
    #expect(s.k.machMsg(at, .receive(r)) == MachMsgReturn.rcvInProgress)
    let name = shellName(&s, of: at)
    #expect(s.call("thread_suspend", name, [])?.retCode == KernReturn.success)
    #expect(s.call("thread_abort", name, [])?.retCode == KernReturn.success)
    s.k.run()
    #expect(s.k.takeCompletions().isEmpty)  // it cannot run yet
    #expect(s.call("thread_resume", name, [])?.retCode == KernReturn.success)
    s.k.run()
    #expect(s.k.takeCompletions() == [Completion(thread: at, result: MachMsgReturn.rcvInterrupted)])
    s.invariantsHold()
  }

  @Test func section5_anAbortedExceptionWaitResumesTheThreadWithoutAnAnswer() {
    var s = System()
    let (victim, _, vt) = s.spawn("victim")
    let (h, _, ht) = s.spawn("handler")
    let (_, port) = s.k.portAllocate(h, right: PortRight.receive.rawValue)
    let (_, o, _) = s.k.portExtractRight(h, port, disposition: MsgType.makeSend)
    #expect(s.k.taskSetSpecialPort(victim, slot: SpecialPort.taskException, right: o) == KernReturn.success)
    #expect(
      s.k.raiseException(vt, exception: ExceptionType.breakpoint, code: 0, subcode: 0) == MachMsgReturn.rcvInProgress)
    #expect(s.k.machMsg(ht, .receive(port)) == MachMsgReturn.success)
    let request = MessageView(s.k.thread(ht).message)!
    let name = shellName(&s, of: vt)
    #expect(s.call("thread_abort", name, [])?.retCode == KernReturn.success)
    s.k.run()
    // mach_msg_abort_rpc destroyed the reply port: the kernel's wait ends with PORT_DIED and
    // the thread goes on; the task is not terminated and no other handler is tried.
    #expect(s.k.takeCompletions() == [Completion(thread: vt, result: MachMsgReturn.rcvPortDied)])
    #expect(s.k.task(victim).isActive && s.k.task(victim).suspendCount == 0 && s.k.thread(vt).state == .idle)
    // The handler's answer now goes to a dead port.
    var reply = MessageBuilder(remote: request.remotePort, remoteDisposition: MsgType.moveSendOnce, id: 2500)
    reply.int32([KernReturn.success])
    #expect(s.k.machMsg(ht, .send(reply.finish())) == MachMsgReturn.sendInvalidDest)
    // A later exception gets a new reply port and is answered as usual.
    #expect(
      s.k.raiseException(vt, exception: ExceptionType.breakpoint, code: 0, subcode: 0) == MachMsgReturn.rcvInProgress)
    #expect(s.k.machMsg(ht, .receive(port)) == MachMsgReturn.success)
    var again = MessageBuilder(
      remote: MessageView(s.k.thread(ht).message)!.remotePort, remoteDisposition: MsgType.moveSendOnce, id: 2500)
    again.int32([KernReturn.success])
    #expect(s.k.machMsg(ht, .send(again.finish())) == MachMsgReturn.success)
    s.k.run()
    #expect(s.k.takeCompletions() == [Completion(thread: vt, result: KernReturn.success)])
    s.invariantsHold()
  }

  @Test func T7_anInterruptedSendIsCopiedWithItsCodeAnInterruptedReceiveIsNot() {
    var s = System()
    let (a, aName, at) = s.spawn("a")
    _ = s.traceToLog(aName)
    let (r, send) = s.channel(from: a, to: a)
    _ = s.k.portSetQlimit(a, r, qlimit: 0)
    let name = shellName(&s, of: at)
    _ = s.logged()
    let m = MessageBuilder(remote: send, remoteDisposition: MsgType.copySend, id: 9).finish()
    #expect(s.k.machMsg(at, .send(m)) == MachMsgReturn.sendInProgress)
    #expect(s.call("thread_abort", name, [])?.retCode == KernReturn.success)
    s.k.run()
    let afterSend = s.logged().filter { $0.0 == .normal }
    #expect(afterSend.map(\.2) == [9] && afterSend.map(\.3) == [MachMsgReturn.sendInterrupted])
    #expect(s.k.machMsg(at, .receive(r)) == MachMsgReturn.rcvInProgress)
    #expect(s.call("thread_abort", name, [])?.retCode == KernReturn.success)
    s.k.run()
    #expect(s.logged().filter { $0.0 == .normal }.isEmpty)
    #expect(s.k.takeCompletions().map(\.result) == [MachMsgReturn.sendInterrupted, MachMsgReturn.rcvInterrupted])
    s.invariantsHold()
  }

  @Test func T9_aThreadWaitingForTraceRoomIsNotAbortable() {
    var s = System()
    let (tracer, _, tt) = s.spawn("tracer")
    let (traced, _, xt) = s.spawn("traced")
    let port = s.traceThroughQueue(of: traced, to: tracer, qlimit: 1)
    let (_, send) = s.channel(from: traced, to: traced)
    let m = MessageBuilder(remote: send, remoteDisposition: MsgType.copySend, id: 3).finish()
    #expect(s.k.machMsg(xt, .send(m)) == MachMsgReturn.success)
    #expect(s.k.machMsg(xt, .send(m)) == MachMsgReturn.sendInProgress)
    #expect(s.k.thread(xt).state == .blockedInTrace)
    let name = shellName(&s, of: xt)
    #expect(s.call("thread_abort", name, [])?.retCode == KernReturn.aborted)
    #expect(s.k.thread(xt).state == .blockedInTrace)  // the copy is not lost
    // The abort's own `thread` copies (T12) went in ignoring qlimit; drain until room is made.
    for _ in 0..<3 { #expect(s.k.machMsg(tt, .receive(port)) == MachMsgReturn.success) }
    s.k.run()
    #expect(s.k.takeCompletions() == [Completion(thread: xt, result: MachMsgReturn.success)])
    s.invariantsHold()
  }
}
