// The kernel-object server (`ipc_kobject_server`, docs/gnumach.md §6): a message sent to a
// task or thread port is served synchronously in the sender's thread, by msgid, and the
// reply (id + 100) is queued to the request's reply port ignoring qlimit, or handed straight
// to a caller about to receive it there (`kernel_send`, `takeReplyDirectly`).

extension Kernel {
  /// A message `k` (kernel form) reached a port the kernel receives on. Task and thread
  /// ports are served; an exception reply goes to the thread waiting for it; anything else is
  /// consumed.
  mutating func deliverToKernel(_ k: Int32, port o: ObjectIndex) {
    switch objects[Int(o)].kernelObject {
    case .task, .thread: serveKernelObject(k)
    case .exceptionReply(let t): takeExceptionReply(k, for: t)
    case .none:
      discardForDeadDestination(k)
    }
  }

  /// `ipc_kobject_server` for request `k`: dispatch by msgid through the routine table
  /// (MIG_BAD_ID when none matches), MIG's argument checks (MIG_BAD_ARGUMENTS), the routine,
  /// then the reply. The destination right is released; on success the routine has consumed
  /// the rights in the body, otherwise the body is destroyed (apart from the reply port).
  mutating func serveKernelObject(_ k: Int32) {
    let bits = kmsgs[Int(k)].bits
    let dest = destination(of: k)
    let replyAddress = kmsgs[Int(k)].bytes.word(at: MsgHeader.localOffset)
    let id = Int32(bitPattern: kmsgs[Int(k)].bytes.word(at: MsgHeader.idOffset))
    // Only this request's own reply may skip the queue, not one served on the way.
    let replyDirectly = k == directRequest
    directRequest = -1

    // T12: a request to a task's (or one of its threads') kernel port from another task is
    // traced to that task's trace port, in kernel form, and so is the reply.
    var traced: (task: TaskIndex, thread: ThreadIndex, kind: TraceMessage.Kind)? = nil
    if let owner = taskOf(port: dest) {
      if owner != kmsgs[Int(k)].sender { traced = (owner, -1, .task) }
    } else if let thread = threadOf(port: dest), threads[Int(thread)].task != kmsgs[Int(k)].sender {
      traced = (threads[Int(thread)].task, thread, .thread)
    }
    if let tr = traced {
      _ = kernelCopy(
        task: tr.task, thread: tr.thread, direction: .receive, kind: tr.kind, bytes: kmsgs[Int(k)].bytes,
        length: kmsgs[Int(k)].size)
    }

    var code: ReturnCode
    var outputs = ReplyValues.none
    if let routine = RoutineTable.unretainedRoutine(id: id) {
      var args = KernelArgs()
      if routine._withUnsafeGuaranteedRef({ kernelArguments(k, $0, into: &args) }) {
        (code, outputs) = perform(id, on: dest, args)
      } else {
        code = MigReturn.badArguments
      }
    } else {
      code = MigReturn.badID
    }

    // The destination right that carried the request.
    if MsgHeader.remote(bits) == MsgType.portSend {
      releaseSend(dest)
    } else {
      objects[Int(dest)].sendOnceRights -= 1  // released without a notification
      reclaimIfUnreferenced(dest)
    }
    kmsgs[Int(k)].bytes.setWord(MachPort.null, at: MsgHeader.remoteOffset)
    if code != KernReturn.success && code != MigReturn.noReply {
      releaseBodyRights(k, upTo: kmsgs[Int(k)].size)
    }
    if code != MigReturn.noReply, let reply = Self.object(at: replyAddress) {
      sendKernelReply(
        to: reply, type: MsgHeader.local(bits), id: id &+ 100, code: code, outputs, traced: traced,
        directTo: replyDirectly ? kernelCaller : -1)
    } else {
      releaseReplyValues(outputs)
      if let reply = Self.object(at: replyAddress), code != MigReturn.noReply {
        releaseRight(reply, MsgHeader.local(bits))
      }
    }
    destroyedMessages[.consumedByKernel, default: 0] += 1
    freeKMsgBuffer(k)
  }

  /// The request's in-arguments, checked as MIG's server stubs check them: each item's type,
  /// size and count, and the message's total size, appended to `args` (empty at the call);
  /// false for MIG_BAD_ARGUMENTS.
  mutating func kernelArguments(_ k: Int32, _ routine: Routine, into args: inout KernelArgs) -> Bool {
    let descriptors = routine.inputDescriptors
    guard descriptors.count <= KernelArgs.capacity else { return false }
    let end = kmsgs[Int(k)].size
    var offset = MsgHeader.size
    // Nearly every item is one inline 32-bit word whose descriptor is exactly the one its type
    // calls for (as MIG's server stubs compare it); such an item needs no general parse, and
    // its msgt_name says how to read it.
    for (i, expected) in descriptors.enumerated() {
      guard expected != 0, offset + 8 <= end, kmsgs[Int(k)].bytes.word(at: offset) == expected else {
        return parseArguments(k, routine, from: i, at: offset, into: &args)
      }
      let value = kmsgs[Int(k)].bytes.word(at: offset + 4)
      let name = expected & 0xff
      if name == MsgType.portName {
        args.append(.name(value))
      } else if MsgType.isPort(name) {
        args.append(.right(Self.object(at: value) ?? -1, carriedType: name))
      } else {
        args.append(.int(Int32(bitPattern: value)))
      }
      offset += 8
    }
    return offset == end
  }

  /// `kernelArguments` from the `first`th in-argument on, at `offset`, by the general parse.
  private mutating func parseArguments(
    _ k: Int32, _ routine: Routine, from first: Int, at start: Int, into args: inout KernelArgs
  ) -> Bool {
    let end = kmsgs[Int(k)].size
    // The request is moved out while it is read (a copy would be retained) and put back.
    var bytes: [UInt8] = []
    swap(&bytes, &kmsgs[Int(k)].bytes)
    defer { swap(&bytes, &kmsgs[Int(k)].bytes) }
    var offset = start
    var outOfLineIndex = 0
    for i in first..<routine.inputs.count {
      let arg = routine.inputs[i]
      var outOfLine = false
      if case .outOfLinePorts = arg.type { outOfLine = true }
      guard case .success(let d) = TypeDescriptor.parse(bytes, at: offset, end: end), d.size == 32,
        d.isInline != outOfLine
      else {
        return false
      }
      let data = offset + d.descriptorLength
      switch arg.type {
      case .int32, .boolean:
        guard d.name == arg.type.carriedName, d.number == 1 else { return false }
        args.append(.int(Int32(bitPattern: bytes.word(at: data))))
      case .portName:
        guard d.name == MsgType.portName, d.number == 1 else { return false }
        args.append(.name(bytes.word(at: data)))
      case .port, .polyPort:
        let expected = arg.type.carriedName
        guard d.number == 1, expected == 0 ? MsgType.isPort(d.name) : d.name == expected else { return false }
        args.append(.right(Self.object(at: bytes.word(at: data)) ?? -1, carriedType: d.name))
      case .structure(let fields):
        guard d.name == MsgType.integer32, Int(d.number) == fields.count else { return false }
        args.append(.ints((0..<fields.count).map { Int32(bitPattern: bytes.word(at: data + 4 * $0)) }))
      case .outOfLinePorts:
        // The copy object holds the rights as kernel addresses, 4 bytes each.
        guard d.name == MsgType.portSend, outOfLineIndex < kmsgs[Int(k)].outOfLine.count else { return false }
        let addresses = kmsgs[Int(k)].outOfLine[outOfLineIndex].bytes
        outOfLineIndex += 1
        args.append(
          .rights(
            (0..<Int(d.number)).map { i in
              4 * i + 4 <= addresses.count ? Self.object(at: addresses.word(at: 4 * i)) ?? -1 : -1
            }))
      case .outOfLineNames, .outOfLineInts:
        return false  // no served routine takes these in a request
      }
      offset = data + d.bodyDataLength
    }
    return offset == end
  }

  /// Runs the served routine with msgid `id` (its arguments already checked) on the object
  /// behind `port`. A port of the wrong kind reaches the routine as null, as MIG's conversion
  /// functions make it.
  mutating func perform(_ id: Int32, on port: ObjectIndex, _ a: KernelArgs) -> (ReturnCode, ReplyValues) {
    // A port stands for at most one object: read which once (`taskOf`, `threadOf`).
    var task: TaskIndex? = nil
    var thread: ThreadIndex? = nil
    if port >= 0, Int(port) < objects.count, objects[Int(port)].isActive {
      switch objects[Int(port)].kernelObject {
      case .task(let t): task = t
      case .thread(let t): thread = t
      default: break
      }
    }
    if RoutineTable.machPortIDs.contains(id) {
      guard let task else { return (KernReturn.invalidTask, .none) }
      return performPortCall(id, task, a)
    }
    switch id {
    case 2007:  // task_create
      guard let task else { return (KernReturn.invalidTask, .none) }
      guard tasks.count < taskLimit, canMakeObject else { return (KernReturn.resourceShortage, .none) }
      let child = createTask(name: "task\(tasks.count + 1)", parent: task)
      if a[0].int != 0 { tasks[Int(child)].map = tasks[Int(task)].map }
      return (
        KernReturn.success,
        .one(.right(copyKernelSendRight(tasks[Int(child)].specialPorts[1]), carriedType: MsgType.portSend))
      )
    case 2008:  // task_terminate
      return (terminateTask(task), .none)
    case 2011:  // task_threads
      guard let task, tasks[Int(task)].isActive else { return (KernReturn.invalidArgument, .none) }
      let rights = tasks[Int(task)].threads.filter { threads[Int($0)].state != .terminated }.map {
        copyKernelSendRight(threads[Int($0)].specialPorts[Int(SpecialPort.threadKernel)])
      }
      return (KernReturn.success, .one(.outOfLineRights(rights)))
    case 2016:  // thread_terminate
      guard let thread else { return (KernReturn.invalidArgument, .none) }
      if thread == kernelCaller {
        threads[Int(thread)].terminatesAtCallEnd = true  // at the end of this very call
      } else {
        terminateThread(thread)
      }
      return (KernReturn.success, .none)
    case 2021:  // vm_allocate
      guard let task else { return (KernReturn.invalidArgument, .none) }
      if a[2].int != 0 {
        let (code, address) = vmAllocate(task, size: a[1].uint)
        return (code, .one(.int(Int32(bitPattern: address))))
      }
      let (code, address) = vmAllocate(task, at: a[0].uint, size: a[1].uint)
      return (code, .one(.int(Int32(bitPattern: address))))
    case 2023:  // vm_deallocate
      guard let task else { return (KernReturn.invalidArgument, .none) }
      return (vmDeallocate(task, address: a[0].uint, size: a[1].uint), .none)
    case 2033:  // mach_ports_register: the rights replace the registered ones (ipc_tt.c)
      guard let task, tasks[Int(task)].isActive, case .rights(let rights) = a[0],
        rights.count <= tasks[Int(task)].registeredPorts.count
      else { return (KernReturn.invalidArgument, .none) }
      let old = tasks[Int(task)].registeredPorts
      for i in old.indices { tasks[Int(task)].registeredPorts[i] = i < rights.count ? rights[i] : -1 }
      for o in old where o >= 0 { releaseSend(o) }
      return (KernReturn.success, .none)
    case 2034:  // mach_ports_lookup: copies of all four, null where none is registered
      guard let task, tasks[Int(task)].isActive else { return (KernReturn.invalidArgument, .none) }
      return (
        KernReturn.success,
        .one(.outOfLineRights(tasks[Int(task)].registeredPorts.map { $0 >= 0 ? copyKernelSendRight($0) : -1 }))
      )
    case 2056: return (taskSuspend(task), .none)  // task_suspend
    case 2057: return (taskResume(task), .none)  // task_resume
    case 2058:  // task_get_special_port
      let (code, right) = taskGetSpecialPort(task, slot: a[0].int)
      return (code, .one(.right(right, carriedType: MsgType.portSend)))
    case 2059:  // task_set_special_port
      guard case .right(let right, _) = a[1] else { return (MigReturn.badArguments, .none) }
      return (taskSetSpecialPort(task, slot: a[0].int, right: right), .none)
    case 2061:  // thread_create
      guard let task, tasks[Int(task)].isActive else { return (KernReturn.invalidArgument, .none) }
      guard threads.count < threadLimit, canMakeObject else { return (KernReturn.resourceShortage, .none) }
      let t = createThread(in: task, suspended: true)
      return (
        KernReturn.success,
        .one(.right(copyKernelSendRight(threads[Int(t)].specialPorts[1]), carriedType: MsgType.portSend))
      )
    case 2062: return (threadSuspend(thread), .none)  // thread_suspend
    case 2063: return (threadResume(thread), .none)  // thread_resume
    case 2064: return (threadAbort(thread, caller: kernelCaller), .none)  // thread_abort
    case 2067:  // thread_get_special_port
      let (code, right) = threadGetSpecialPort(thread, slot: a[0].int)
      return (code, .one(.right(right, carriedType: MsgType.portSend)))
    case 2068:  // thread_set_special_port
      guard case .right(let right, _) = a[1] else { return (MigReturn.badArguments, .none) }
      return (threadSetSpecialPort(thread, slot: a[0].int, right: right), .none)
    default:
      return (MigReturn.badID, .none)
    }
  }

  /// The mach_port routines, on the task's space.
  mutating func performPortCall(_ id: Int32, _ task: TaskIndex, _ a: KernelArgs) -> (ReturnCode, ReplyValues) {
    switch id {
    case 3200:
      let (code, list) = portNames(task)
      return (
        code, .many([.outOfLineNames(list.map(\.name)), .outOfLineInts(list.map { Int32(bitPattern: $0.type) })])
      )
    case 3201:
      let (code, type) = portType(task, a[0].name)
      return (code, .one(.int(Int32(bitPattern: type))))
    case 3202: return (portRename(task, a[0].name, a[1].name), .none)
    case 3203: return (portAllocateName(task, right: a[0].uint, name: a[1].name), .none)
    case 3204:
      let (code, name) = portAllocate(task, right: a[0].uint)
      return (code, .one(.name(name)))
    case 3205: return (portDestroy(task, a[0].name), .none)
    case 3206: return (portDeallocate(task, a[0].name), .none)
    case 3207:
      let (code, refs) = portGetRefs(task, a[0].name, right: a[1].uint)
      return (code, .one(.int(Int32(bitPattern: refs))))
    case 3208: return (portModRefs(task, a[0].name, right: a[1].uint, delta: a[2].int), .none)
    case 3210: return (portSetQlimit(task, a[0].name, qlimit: a[1].uint), .none)
    case 3211: return (portSetMscount(task, a[0].name, mscount: a[1].uint), .none)
    case 3212:
      let (code, members) = portGetSetStatus(task, a[0].name)
      return (code, .one(.outOfLineNames(members)))
    case 3213: return (portMoveMember(task, a[0].name, after: a[1].name), .none)
    case 3214:
      guard case .right(let notify, _) = a[3] else { return (MigReturn.badArguments, .none) }
      let (code, previous) = portRequestNotification(task, a[0].name, id: a[1].int, sync: a[2].uint, notify: notify)
      return (code, .one(.right(previous, carriedType: MsgType.portSendOnce)))
    case 3215:
      guard case .right(let o, let type) = a[1] else { return (MigReturn.badArguments, .none) }
      return (portInsertRight(task, a[0].name, right: o, carriedType: type), .none)
    case 3216:
      let (code, o, type) = portExtractRight(task, a[0].name, disposition: a[1].uint)
      return (code, .one(.right(o, carriedType: type)))
    case 3217:
      let (code, s) = portGetReceiveStatus(task, a[0].name)
      guard let s else { return (code, .none) }
      let fields =
        [s.portSet, s.seqno, s.makeSendCount, s.qlimit, s.messageCount, s.sendOnceRights, s.sendRights]
        .map { Int32(bitPattern: $0) } + [s.hasPortDestroyedRequest ? 1 : 0, s.hasNoSendersRequest ? 1 : 0]
      return (code, .one(.ints(fields)))
    case 3218: return (portSetSeqno(task, a[0].name, seqno: a[1].uint), .none)
    case 3221: return (portSetProtectedPayload(task, a[0].name, payload: a[1].uint), .none)
    case 3222: return (portClearProtectedPayload(task, a[0].name), .none)
    default: return (MigReturn.badID, .none)
    }
  }

  /// Builds and queues the reply: MACH_MSGH_BITS(reply's type, 0), id, the RetCode, then the
  /// out-arguments when the routine succeeded (their rights released otherwise).
  mutating func sendKernelReply(
    to reply: ObjectIndex, type: UInt32, id: Int32, code: ReturnCode, _ outputs: ReplyValues,
    traced: (task: TaskIndex, thread: ThreadIndex, kind: TraceMessage.Kind)? = nil, directTo caller: ThreadIndex = -1
  ) {
    guard let k = allocKMsg(budgeted: false) else { return }
    let success = code == KernReturn.success
    if !success { releaseReplyValues(outputs) }
    var size = MsgHeader.size + 8
    var complex = false
    var copies: [OutOfLineCopy]? = nil  // made only for a reply that has out-of-line arrays
    if success {
      for value in outputs {
        size += value.bodyLength
        if value.isComplex { complex = true }
        if let copy = value.outOfLineCopy { copies = (copies ?? []) + [copy] }
      }
    }
    // The buffer is written in place, in one access; a reused one keeps any longer storage
    // (readers go by msgh_size).
    if kmsgs[Int(k)].bytes.count < size {
      kmsgs[Int(k)].bytes.append(contentsOf: repeatElement(0, count: size - kmsgs[Int(k)].bytes.count))
    }
    let bits = MsgHeader.bits(remote: type, local: 0, complex: complex)
    kmsgs[Int(k)].bytes.withUnsafeMutableBytes { raw in
      var w = WordWriter(raw)
      w.header(bits: bits, size: UInt32(size), remote: Self.address(of: reply), local: MachPort.null, id: id)
      w.put(0x1001_2002)
      w.put(UInt32(bitPattern: code))
      if success { for value in outputs { value.write(to: &w) } }
    }
    if let copies { kmsgs[Int(k)].outOfLine = copies }
    if let tr = traced {  // the trace port is read now: after task_terminate it is gone (D5)
      _ = kernelCopy(
        task: tr.task, thread: tr.thread, direction: .send, kind: tr.kind, bytes: kmsgs[Int(k)].bytes, length: size)
    }
    if caller >= 0, takeReplyDirectly(caller, k) { return }
    deliverFromKernel(k)
  }

  /// GNU Mach's `kernel_send` path in `mach_msg_trap` (ipc/mach_msg.c): the reply to a request
  /// made by mach_msg(SEND|RCV) skips the queue when the caller would take it from there next
  /// anyway: its port is alive, held by the caller's space under the name it receives on, in
  /// no port set, with no message queued and no other receiver waiting. The reply takes the
  /// port's next seqno now, is never counted in its queue, and the caller's receive half copies
  /// it out (`directReply`); too large for the caller's buffer it is destroyed there, as the
  /// queue would have it (`slow_copyout`). Nothing a task can observe differs from the queue.
  mutating func takeReplyDirectly(_ t: ThreadIndex, _ k: Int32) -> Bool {
    guard threads[Int(t)].receivePending, directReply == nil,
      let o = Self.object(at: kmsgs[Int(k)].bytes.word(at: MsgHeader.remoteOffset)), objects[Int(o)].isActive,
      objects[Int(o)].portSet < 0, objects[Int(o)].queue.head < 0, objects[Int(o)].receivers.head < 0
    else { return false }
    // `ip_receiver == space && ip_receiver_name == rcv_name`, as kernel_send tests it.
    guard case .task(let owner, let name) = objects[Int(o)].receiver, owner == threads[Int(t)].task,
      name == threads[Int(t)].call.receiveName, tasks[Int(owner)].space.isActive
    else { return false }
    directReply = DirectReply(thread: t, kmsg: k, seqno: objects[Int(o)].seqno)
    objects[Int(o)].seqno &+= 1
    return true
  }

  /// Releases the rights in out-arguments that will not be sent.
  mutating func releaseReplyValues(_ outputs: ReplyValues) {
    for value in outputs {
      switch value {
      case .right(let o, let carried): releaseRight(o, carried)
      case .outOfLineRights(let rights): for o in rights { releaseRight(o, MsgType.portSend) }
      default: break
      }
    }
  }
}

/// A kernel reply handed to the thread that will receive it (`Kernel.takeReplyDirectly`).
struct DirectReply: Sendable {
  let thread: ThreadIndex
  let kmsg: Int32
  let seqno: UInt32
}
