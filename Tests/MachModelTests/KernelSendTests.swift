import Testing

@testable import MachModel

/// GNU Mach's `kernel_send` path in `mach_msg_trap` (ipc/mach_msg.c): the reply to a kernel
/// RPC made with exactly MACH_SEND_MSG|MACH_RCV_MSG skips the reply port's queue when the
/// caller would take it from there next anyway. These tests hold the shortcut to the rule
/// that it changes nothing a task can see: every outcome matches the queue's.
@Suite struct KernelSendTests {
  let allocate = RoutineTable.routine(named: "mach_port_allocate")!

  /// The shell's receive right to take replies on.
  func replyPort(_ s: inout System) -> PortName {
    s.k.portAllocate(s.shell, right: PortRight.receive.rawValue).1
  }

  /// `routine`'s request to `target` by `thread` in one mach_msg, its reply received on `reply`
  /// with `options` (a MACH_RCV_TIMEOUT of a second, when asked for) into `size` bytes.
  static func rpc(
    _ s: inout System, _ routine: Routine, target: PortName, _ arguments: [MigValue] = [], reply: PortName,
    options: MachMsgOptions, size: UInt32 = 8192, thread: ThreadIndex
  ) -> ReturnCode {
    let request = try! Mig.request(routine, target: target, reply: reply, arguments: arguments).get()
    let call = MachMsgCall(
      options: options, message: request, receiveSize: size, receiveName: reply,
      timeout: options.contains(.receiveTimeout) ? 1000 : 0)
    return s.k.machMsg(thread, call)
  }

  /// mach_port_allocate(RECEIVE) on the shell's own task port (name 1) by `thread`, its reply
  /// received on `reply` with `options` into a buffer of `size` bytes.
  func allocateRPC(
    _ s: inout System, reply: PortName, options: MachMsgOptions = [.send, .receive], size: UInt32 = 8192,
    thread: ThreadIndex? = nil
  ) -> ReturnCode {
    Self.rpc(
      &s, allocate, target: 1, [.int(Int32(PortRight.receive.rawValue))], reply: reply, options: options,
      size: size, thread: thread ?? s.st)
  }

  /// What a caller can see after an RPC: the code, the message in its hands, the reply port's
  /// status, and the names its space holds.
  struct Seen: Equatable {
    var code: ReturnCode
    var message: [UInt8]
    var status: PortStatus?
    var names: [PortName]
  }

  func seen(_ s: inout System, _ code: ReturnCode, reply: PortName) -> Seen {
    Seen(
      code: code, message: s.k.thread(s.st).message, status: s.k.portGetReceiveStatus(s.shell, reply).1,
      names: s.k.portNames(s.shell).1.map(\.name))
  }

  /// Three RPCs past the queue and three through it (MACH_RCV_TIMEOUT keeps a call off the
  /// shortcut, and a reply already queued is taken at once): the same replies, seqnos 0, 1, 2
  /// stamped in order, the same port status and names.
  @Test func kernel_send_aReplyPastTheQueueIsTheOneTheQueueGives() {
    var direct = System(), queued = System()
    let r1 = replyPort(&direct), r2 = replyPort(&queued)
    #expect(r1 == r2)
    for expectedSeqno: UInt32 in 0..<3 {
      let a = allocateRPC(&direct, reply: r1)
      let b = allocateRPC(&queued, reply: r2, options: [.send, .receive, .receiveTimeout])
      let seenDirect = seen(&direct, a, reply: r1)
      #expect(seenDirect == seen(&queued, b, reply: r2))
      #expect(a == MachMsgReturn.success)
      let m = MessageView(seenDirect.message)!
      #expect(m.id == allocate.id + 100)
      #expect(m.seqno == expectedSeqno)
      #expect(seenDirect.status?.messageCount == 0)
    }
    direct.invariantsHold()
    queued.invariantsHold()
  }

  /// A message already queued on the reply port is received first; the reply waits behind it
  /// (`kernel_send` falls back on `ipc_mqueue_send_always` when the queue is not empty).
  @Test func kernel_send_aMessageAlreadyQueuedComesFirst() {
    var s = System()
    let reply = replyPort(&s)
    let early = Fixture.message(to: reply, MsgType.makeSend, id: 1000)
    #expect(s.k.machMsg(s.st, .send(early)) == MachMsgReturn.success)
    #expect(allocateRPC(&s, reply: reply) == MachMsgReturn.success)
    #expect(MessageView(s.k.thread(s.st).message)!.id == 1000)
    #expect(s.k.portGetReceiveStatus(s.shell, reply).1?.messageCount == 1)
    #expect(s.k.machMsg(s.st, .receive(reply, options: .receiveTimeout)) == MachMsgReturn.success)
    let m = MessageView(s.k.thread(s.st).message)!
    #expect(m.id == allocate.id + 100)
    #expect(m.seqno == 1)
    s.invariantsHold()
  }

  /// Another thread already waiting on the reply port is handed the reply, as by the queue;
  /// the caller blocks in its receive.
  @Test func kernel_send_aReceiverAlreadyWaitingTakesTheReply() {
    var s = System()
    let reply = replyPort(&s)
    let waiter = s.k.createThread(in: s.shell)
    #expect(s.k.machMsg(waiter, .receive(reply)) == MachMsgReturn.rcvInProgress)
    #expect(allocateRPC(&s, reply: reply) == MachMsgReturn.rcvInProgress)
    s.k.run()
    #expect(s.k.completions.contains(Completion(thread: waiter, result: MachMsgReturn.success)))
    #expect(MessageView(s.k.thread(waiter).message)!.id == allocate.id + 100)
    #expect(s.k.thread(s.st).state == .blockedInReceive)
    s.invariantsHold()
  }

  /// A reply port in a port set cannot be received on by name (MACH_RCV_IN_SET from
  /// `ipc_mqueue_copyin`); the reply goes to the set's queue, where a receive on the set
  /// finds it.
  @Test func kernel_send_aReplyPortInASetIsNotReceivedByName() {
    var s = System()
    let reply = replyPort(&s)
    let set = s.k.portAllocate(s.shell, right: PortRight.portSet.rawValue).1
    #expect(s.k.portMoveMember(s.shell, reply, after: set) == KernReturn.success)
    #expect(allocateRPC(&s, reply: reply) == MachMsgReturn.rcvInSet)
    #expect(s.k.machMsg(s.st, .receive(set, options: .receiveTimeout)) == MachMsgReturn.success)
    #expect(MessageView(s.k.thread(s.st).message)!.id == allocate.id + 100)
    s.invariantsHold()
  }

  /// A reply larger than the caller's buffer is destroyed and only its header handed back
  /// (MACH_RCV_TOO_LARGE, `slow_copyout`), past the queue or through it alike.
  @Test func kernel_send_aReplyTooLargeIsDestroyedAsFromTheQueue() {
    var direct = System(), queued = System()
    let r1 = replyPort(&direct), r2 = replyPort(&queued)
    let a = allocateRPC(&direct, reply: r1, size: UInt32(MsgHeader.size))
    let b = allocateRPC(&queued, reply: r2, options: [.send, .receive, .receiveTimeout], size: UInt32(MsgHeader.size))
    #expect(a == MachMsgReturn.rcvTooLarge)
    #expect(seen(&direct, a, reply: r1) == seen(&queued, b, reply: r2))
    #expect(direct.k.destroyedMessages[.tooLarge] == 1)
    direct.invariantsHold()
  }
}

extension KernelSendTests {
  /// `thread_terminate` on the calling thread (kern/thread.c) sets AST_TERMINATE and returns
  /// KERN_SUCCESS: the thread receives the reply, past the queue or through it alike, and
  /// terminates on its way out of the kernel.
  @Test func thread_terminate_onItselfEndsTheCallThenTheThread() {
    struct Outcome {
      var s: System
      var code: ReturnCode
      var state: ThreadRunState
      var status: PortStatus?
      var message: [UInt8]
    }
    func run(_ options: MachMsgOptions) -> Outcome {
      var s = System()
      let (task, _, child) = s.spawn("child")
      let reply = s.k.portAllocate(task, right: PortRight.receive.rawValue).1
      let me = s.k.giveThreadSelfName(child)
      let terminate = RoutineTable.routine(named: "thread_terminate")!
      let code = Self.rpc(&s, terminate, target: me, reply: reply, options: options, thread: child)
      s.k.run()
      return Outcome(
        s: s, code: code, state: s.k.thread(child).state, status: s.k.portGetReceiveStatus(task, reply).1,
        message: s.k.thread(child).message)
    }
    let direct = run([.send, .receive])
    let queued = run([.send, .receive, .receiveTimeout])
    #expect(direct.state == .terminated)
    #expect(direct.code == MachMsgReturn.success)
    let m = MessageView(direct.message)!
    #expect(m.id == 2116)
    #expect(direct.status?.messageCount == 0)
    #expect(direct.message == queued.message)
    #expect(direct.code == queued.code)
    #expect(direct.state == queued.state)
    #expect(direct.status == queued.status)
    direct.s.invariantsHold()
    queued.s.invariantsHold()
  }

  /// `task_terminate` on the caller's own task (kern/task.c): the caller's thread ends with its
  /// task and stays terminated when its mach_msg returns; it does not come back idle.
  @Test func task_terminate_onItsOwnTaskLeavesTheCallerTerminated() {
    for options: MachMsgOptions in [[.send, .receive], [.send, .receive, .receiveTimeout]] {
      var s = System()
      let (task, _, child) = s.spawn("child")
      let reply = s.k.portAllocate(task, right: PortRight.receive.rawValue).1
      let me = s.k.giveTaskSelfName(task)
      let terminate = RoutineTable.routine(named: "task_terminate")!
      _ = Self.rpc(&s, terminate, target: me, reply: reply, options: options, thread: child)
      s.k.run()
      #expect(s.k.thread(child).state == .terminated, "\(options)")
      #expect(!s.k.task(task).isActive)
      #expect(s.k.machMsg(child, .receive(reply)) == KernReturn.failure)
      s.invariantsHold()
    }
  }
}
