import TestSupport
import Testing

@testable import MachModel

/// The shell task, a spawned child, and RPC helpers: what the shell does, through the model.
struct System {
  var k = Kernel.booted()
  let shell = Kernel.shellTask
  var st: ThreadIndex { k.task(shell).threads[0] }

  /// The shell's RPC: the reply or a failure code.
  mutating func call(_ name: String, _ target: PortName, _ args: [MigValue], thread: ThreadIndex? = nil) -> MigReply? {
    let routine = RoutineTable.routine(named: name)!
    guard case .completed(let reply) = k.rpc(thread ?? st, routine, target: target, arguments: args) else { return nil }
    return reply
  }

  /// spawn: task_create from the shell's own task port, thread_create, thread_resume, and
  /// glibc's start-up in the child. Returns (task, its name in the shell, its first thread).
  mutating func spawn(_ name: String, parent: PortName = 1) -> (TaskIndex, PortName, ThreadIndex) {
    let created = call("task_create", parent, [.int(0)])!
    guard case .port(let child, _) = created["child_task"]! else { fatalError() }
    let task = k.taskOf(port: k.task(shell).space.lookup(child)!.object)!
    k.setTaskName(task, name)
    let thread = call("thread_create", child, [])!
    guard case .port(let threadName, _) = thread["child_thread"]! else { fatalError() }
    #expect(call("thread_resume", threadName, [])?.retCode == KernReturn.success)
    _ = k.giveTaskSelfName(task)
    return (task, child, k.task(task).threads[0])
  }

  func invariantsHold(sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(k.checkInvariants() == [], sourceLocation: sourceLocation)
  }
}

/// Tasks, threads and kernel objects: docs/gnumach.md §4 and §6.
@Suite struct KernelObjectTests {
  /// ipc_task_terminate (`kern/ipc_tt.c`) destroys the task's space before its kernel port:
  /// the dead-name notification for a port the task held comes before the one for its task
  /// port.
  @Test func ipc_task_terminate_destroysTheSpaceBeforeTheTaskPort() {
    var s = System()
    let (child, childName, _) = s.spawn("child")
    let (_, r) = s.k.portAllocate(child, right: PortRight.receive.rawValue)
    let (_, o, type) = s.k.portExtractRight(child, r, disposition: MsgType.makeSend)
    let held = s.k.copyoutKernelRight(s.shell, o, carriedType: type)
    let (_, n) = s.k.portAllocate(s.shell, right: PortRight.receive.rawValue)
    for name in [childName, held] {  // requested for the task port first
      let (_, so, _) = s.k.portExtractRight(s.shell, n, disposition: MsgType.makeSendOnce)
      #expect(s.k.portRequestNotification(s.shell, name, id: NotifyID.deadName, sync: 0, notify: so).0 == 0)
    }
    #expect(s.k.terminateTask(child) == KernReturn.success)
    var dead: [UInt32] = []
    while s.k.machMsg(s.st, .receive(n, options: .receiveTimeout)) == MachMsgReturn.success {
      let m = MessageView(s.k.thread(s.st).message)!
      #expect(m.id == NotifyID.deadName)
      dead.append(try! m.items().get()[0].words[0])
    }
    #expect(dead == [held, childName])
    s.invariantsHold()
  }

  @Test func section4_theShellTaskHoldsItsOwnTaskPortAsNameOne() {
    let s = System()
    #expect(s.k.task(s.shell).name == "shell")
    #expect(s.k.task(s.shell).space.lookup(1)?.object == s.k.task(s.shell).kernelPort)
    s.invariantsHold()
  }

  @Test func section6_taskCreateGivesANewTaskWithNoThreadsNamedTaskK() {
    var s = System()
    let reply = s.call("task_create", 1, [.int(0)])!
    #expect(reply.retCode == KernReturn.success)
    guard case .port(let name, let type) = reply["child_task"]! else { Issue.record("no port"); return }
    #expect(type == MsgType.portSend)
    let child = s.k.taskOf(port: s.k.task(s.shell).space.lookup(name)!.object)!
    #expect(s.k.task(child).name == "task2")
    #expect(s.k.task(child).threads.isEmpty)
    s.invariantsHold()
  }

  @Test func section4_childrenInheritExceptionBootstrapAndRegisteredPortsNotThreadPorts() {
    var s = System()
    let (_, bootstrap) = s.k.portAllocate(s.shell, right: PortRight.receive.rawValue)
    let (_, exc) = s.k.portAllocate(s.shell, right: PortRight.receive.rawValue)
    for (slot, port) in [(SpecialPort.taskBootstrap, bootstrap), (SpecialPort.taskException, exc)] {
      #expect(
        s.call("task_set_special_port", 1, [.int(slot), .port(port, disposition: MsgType.makeSend)])?.retCode
          == KernReturn.success)
    }
    let (child, childName, thread) = s.spawn("child")
    for (slot, port) in [(SpecialPort.taskBootstrap, bootstrap), (SpecialPort.taskException, exc)] {
      let got = s.call("task_get_special_port", childName, [.int(slot)])!
      #expect(got["special_port"] == .port(port, disposition: MsgType.portSend))
    }
    // A new thread's exception port is null.
    let threadName = s.k.giveThreadSelfName(thread)
    _ = threadName
    #expect(s.k.thread(thread).specialPorts[Int(SpecialPort.threadException)] == -1)
    #expect(s.k.task(child).specialPorts[Int(SpecialPort.taskException)] >= 0)
    s.invariantsHold()
  }

  /// mach_ports_register (2033) stashes up to four send rights in the task, nulls after them;
  /// mach_ports_lookup (2034) hands out copies of all four; task_create copies them into the
  /// child (§4, "Inheritance on task_create"; `kern/ipc_tt.c`).
  @Test func section4_registeredPortsAreSetLookedUpAndInherited() {
    var s = System()
    let (_, childName, _) = s.spawn("child")
    let (_, p) = s.k.portAllocate(s.shell, right: PortRight.receive.rawValue)
    let register = s.call(
      "mach_ports_register", childName, [.ports([p, MachPort.null, p], disposition: MsgType.makeSend)])
    #expect(register?.retCode == KernReturn.success)
    #expect(s.k.sendRightCount(s.shell, p)! == 2)  // held by the kernel for the child
    let expected = MigValue.ports([p, MachPort.null, p, MachPort.null], disposition: MsgType.portSend)
    #expect(s.call("mach_ports_lookup", childName, [])?["init_port_set"] == expected)
    let (_, grandchildName, _) = s.spawn("grandchild", parent: childName)
    #expect(s.call("mach_ports_lookup", grandchildName, [])?["init_port_set"] == expected)
    // More than four is KERN_INVALID_ARGUMENT, and the rights sent are released.
    let before = s.k.sendRightCount(s.shell, p)!
    let five = s.call("mach_ports_register", childName, [.ports([p, p, p, p, p], disposition: MsgType.makeSend)])
    #expect(five?.retCode == KernReturn.invalidArgument)
    #expect(s.k.sendRightCount(s.shell, p)! == before)
    // An empty array clears the slots; the old rights are released.
    #expect(
      s.call("mach_ports_register", childName, [.ports([], disposition: MsgType.makeSend)])?.retCode
        == KernReturn.success)
    #expect(s.k.sendRightCount(s.shell, p)! == before - 2)
    #expect(
      s.call("mach_ports_lookup", childName, [])?["init_port_set"]
        == .ports([0, 0, 0, 0], disposition: MsgType.portSend))
    // A thread port is no task.
    let threadName = s.call("thread_create", childName, [])!["child_thread"]!
    guard case .port(let tn, _) = threadName else { return }
    #expect(s.call("mach_ports_lookup", tn, [])?.retCode == KernReturn.invalidArgument)
    s.invariantsHold()
  }

  /// task_create and thread_create fail with KERN_RESOURCE_SHORTAGE when the kernel cannot
  /// make another task or thread (its zones are exhausted), changing nothing.
  @Test func section4_taskAndThreadCreationRunOutWithResourceShortage() {
    var s = System()
    let (_, childName, _) = s.spawn("child")
    s.k.taskLimit = s.k.tasks.count
    s.k.threadLimit = s.k.threads.count
    let tasks = s.k.tasks.count, threads = s.k.threads.count
    #expect(s.call("task_create", 1, [.int(0)])?.retCode == KernReturn.resourceShortage)
    #expect(s.call("thread_create", childName, [])?.retCode == KernReturn.resourceShortage)
    #expect(s.k.trap(s.st, .taskCreate, target: 1, arguments: [.int(0)]).0 == KernReturn.resourceShortage)
    #expect(s.k.tasks.count == tasks && s.k.threads.count == threads)
    s.invariantsHold()
  }

  @Test func section4_specialPortErrors() {
    var s = System()
    #expect(s.call("task_get_special_port", 1, [.int(2)])?.retCode == KernReturn.invalidArgument)
    #expect(s.call("task_get_special_port", 1, [.int(9)])?.retCode == KernReturn.invalidArgument)
    let reply = s.call("task_get_special_port", 1, [.int(SpecialPort.taskBootstrap)])!
    #expect(reply.retCode == KernReturn.success && reply["special_port"] == .port(0, disposition: MsgType.portSend))
    s.invariantsHold()
  }

  @Test func section6_unknownIdGetsMigBadIdInAReplyOneHundredAbove() {
    var s = System()
    let reply = s.k.migReplyPort(s.st)
    let m = MessageBuilder(
      remote: 1, remoteDisposition: MsgType.copySend, local: reply, localDisposition: MsgType.makeSendOnce, id: 2999
    ).finish()
    #expect(
      s.k.machMsg(s.st, MachMsgCall(options: [.send, .receive], message: m, receiveSize: 100, receiveName: reply))
        == MachMsgReturn.success)
    let v = MessageView(s.k.thread(s.st).message)!
    #expect(v.id == 3099)
    #expect(v.size == 32)
    #expect(try! v.items().get()[0].words == [UInt32(bitPattern: MigReturn.badID)])
    #expect(v.localBits == MsgType.portSendOnce)
    s.invariantsHold()
  }

  @Test func section6_wrongArgumentTypesGetMigBadArguments() {
    var s = System()
    let reply = s.k.migReplyPort(s.st)
    // mach_port_allocate with the right as a PORT_NAME instead of an INTEGER_32.
    var m = MessageBuilder(
      remote: 1, remoteDisposition: MsgType.copySend, local: reply, localDisposition: MsgType.makeSendOnce, id: 3204)
    m.ports([1], disposition: MsgType.portName)
    _ = s.k.machMsg(
      s.st, MachMsgCall(options: [.send, .receive], message: m.finish(), receiveSize: 100, receiveName: reply))
    #expect(
      try! MessageView(s.k.thread(s.st).message)!.items().get()[0].words == [UInt32(bitPattern: MigReturn.badArguments)]
    )
    // A missing argument.
    let short = MessageBuilder(
      remote: 1, remoteDisposition: MsgType.copySend, local: reply, localDisposition: MsgType.makeSendOnce, id: 3204
    ).finish()
    _ = s.k.machMsg(
      s.st, MachMsgCall(options: [.send, .receive], message: short, receiveSize: 100, receiveName: reply))
    #expect(
      try! MessageView(s.k.thread(s.st).message)!.items().get()[0].words == [UInt32(bitPattern: MigReturn.badArguments)]
    )
    s.invariantsHold()
  }

  /// MIG's server stubs check each item's type, size and count, not its layout: an argument
  /// under a long-form descriptor is as good as the short one (the server reads such items
  /// by the general path, the short ones directly), and a word after the last argument is not.
  @Test func section6_argumentsAreCheckedByTypeNotLayout() {
    var s = System()
    let reply = s.k.migReplyPort(s.st)
    func allocate(_ build: (inout MessageBuilder) -> Void) -> (ReturnCode, [UInt32]) {
      var m = MessageBuilder(
        remote: 1, remoteDisposition: MsgType.copySend, local: reply, localDisposition: MsgType.makeSendOnce,
        id: 3204)
      build(&m)
      _ = s.k.machMsg(
        s.st, MachMsgCall(options: [.send, .receive], message: m.finish(), receiveSize: 100, receiveName: reply))
      let items = try! MessageView(s.k.thread(s.st).message)!.items().get()
      return (ReturnCode(bitPattern: items[0].words[0]), items.dropFirst().flatMap(\.words))
    }
    let longForm = TypeDescriptor(name: MsgType.integer32, size: 32, number: 1, isInline: true, longForm: true)
    let (code, name) = allocate { $0.append(longForm, data: [1, 0, 0, 0]) }
    #expect(code == KernReturn.success && name.count == 1)
    #expect(s.k.task(s.shell).space.lookup(name[0])?.type == PortType.receive)
    let (extra, _) = allocate {
      $0.word(MsgType.integer32, PortRight.receive.rawValue)
      $0.word(MsgType.integer32, 0)
    }
    #expect(extra == MigReturn.badArguments)
    s.invariantsHold()
  }

  /// The same when only a later item is in an unusual layout: mach_port_allocate_name (3203)
  /// with its right in the short form and its name in the long form is served, and with a
  /// name of the wrong type it is MIG_BAD_ARGUMENTS.
  @Test func section6_aLaterItemInAnotherLayoutIsStillReadByType() {
    var s = System()
    let reply = s.k.migReplyPort(s.st)
    func allocateName(_ nameType: UInt32) -> ReturnCode {
      var m = MessageBuilder(
        remote: 1, remoteDisposition: MsgType.copySend, local: reply, localDisposition: MsgType.makeSendOnce,
        id: 3203)
      m.word(MsgType.integer32, PortRight.receive.rawValue)
      m.append(
        TypeDescriptor(name: nameType, size: 32, number: 1, isInline: true, longForm: true), data: [77, 0, 0, 0])
      _ = s.k.machMsg(
        s.st, MachMsgCall(options: [.send, .receive], message: m.finish(), receiveSize: 100, receiveName: reply))
      return ReturnCode(bitPattern: try! MessageView(s.k.thread(s.st).message)!.items().get()[0].words[0])
    }
    #expect(allocateName(MsgType.integer32) == MigReturn.badArguments)
    #expect(s.k.task(s.shell).space.lookup(77) == nil)
    #expect(allocateName(MsgType.portName) == KernReturn.success)
    #expect(s.k.task(s.shell).space.lookup(77)?.type == PortType.receive)
    s.invariantsHold()
  }

  /// The server holds a request's arguments inline, in `KernelArgs`: every routine it serves
  /// must fit.
  @Test func section6_everyServedRoutineFitsTheInlineArgumentList() {
    for routine in RoutineTable.served {
      #expect(routine.inputs.count <= KernelArgs.capacity, "\(routine.name)")
    }
  }

  /// The server's routine table is indexed from the mach subsystem's base: no served routine
  /// lies below it, and every one is found by its msgid.
  @Test func section6_everyServedRoutineIsFoundByItsMsgid() {
    for routine in RoutineTable.served {
      #expect(routine.id >= RoutineTable.firstID, "\(routine.name)")
      #expect(RoutineTable.routine(id: routine.id) === routine, "\(routine.name)")
    }
    #expect(RoutineTable.routine(id: RoutineTable.firstID - 1) == nil)
  }

  /// The server sends a request to the mach_port routines (on the target's IPC space) by its
  /// msgid: exactly the routines of `subsystem mach_port 3200` fall in that range.
  @Test func section6_theMachPortSubsystemIsItsMsgidRange() {
    for routine in RoutineTable.served {
      #expect(RoutineTable.machPortIDs.contains(routine.id) == (routine.subsystem == "mach_port"), "\(routine.name)")
    }
  }

  /// A request whose arguments are all one inline word is written in place; it must be the
  /// message MessageBuilder writes, whatever buffer it reuses.
  @Test func mig_aOneWordRequestIsTheMessageTheBuilderWrites() {
    var buffer = [UInt8](repeating: 0xee, count: 100)
    for routine in RoutineTable.served {
      var viaBuilder = MessageBuilder(
        remote: 7, remoteDisposition: MsgType.copySend, local: 9, localDisposition: MsgType.makeSendOnce, id: routine.id
      )
      var arguments: [MigValue] = []
      for (i, arg) in routine.inputs.enumerated() {
        let v = UInt32(40 + i)
        switch arg.type {
        case .int32: arguments.append(.int(Int32(v))); viaBuilder.word(MsgType.integer32, v)
        case .boolean: arguments.append(.int(1)); viaBuilder.word(MsgType.unstructured, 1)
        case .portName: arguments.append(.name(v)); viaBuilder.word(MsgType.portName, v)
        case .port(let d): arguments.append(.name(v)); viaBuilder.word(d, v)
        case .polyPort: arguments.append(.port(v, disposition: MsgType.makeSend)); viaBuilder.word(MsgType.makeSend, v)
        default: break
        }
      }
      guard arguments.count == routine.inputs.count else { continue }  // not all one word
      #expect(Mig.request(routine, target: 7, reply: 9, arguments: arguments, into: &buffer) == nil)
      #expect(buffer == viaBuilder.finish(), "\(routine.name)")
    }
  }

  /// What a one-word argument takes, as MIG's user stubs send it: an integer as INTEGER_32, a
  /// name (or a right's name) as PORT_NAME, a `mach_port_t` with its default disposition or the
  /// one given, a poly port only with a disposition that moves a right. Any other value is
  /// MIG's bad-argument error, whatever buffer the request was to reuse.
  @Test func mig_aOneWordArgumentTakesTheValuesItsTypeTakes() {
    enum Expected: ExpressibleByStringLiteral {
      case item(name: UInt32, word: UInt32)
      case refused(String)
      init(stringLiteral argument: String) { self = .refused(argument) }
    }
    let deallocate = RoutineTable.routine(named: "mach_port_deallocate")!
    let insert = RoutineTable.routine(named: "mach_port_insert_right")!
    let setSpecial = RoutineTable.routine(named: "task_set_special_port")!
    /// The routine, its arguments, and the last item's descriptor name and word, or the
    /// argument MIG refuses.
    let cases: [(Routine, [MigValue], Expected)] = [
      (deallocate, [.name(5)], .item(name: MsgType.portName, word: 5)),
      (deallocate, [.port(5, disposition: MsgType.copySend)], .item(name: MsgType.portName, word: 5)),
      (deallocate, [.int(5)], "name"),
      (insert, [.name(4), .port(5, disposition: MsgType.makeSend)], .item(name: MsgType.makeSend, word: 5)),
      (insert, [.name(4), .port(5, disposition: MsgType.integer32)], "poly"),
      (insert, [.name(4), .name(5)], "poly"),
      (setSpecial, [.int(1), .name(5)], .item(name: MsgType.copySend, word: 5)),
      (setSpecial, [.int(1), .port(5, disposition: MsgType.makeSend)], .item(name: MsgType.makeSend, word: 5)),
      (setSpecial, [.int(1), .int(5)], "special_port"),
      (setSpecial, [.name(1), .name(5)], "which_port"),
    ]
    var buffer = [UInt8](repeating: 0xee, count: 100)
    for (routine, arguments, expected) in cases {
      let error = Mig.request(routine, target: 7, reply: 9, arguments: arguments, into: &buffer)
      guard case .item(let name, let word) = expected else {
        if case .refused(let argument) = expected { #expect(error == .wrongValue(argument: argument), "\(arguments)") }
        continue
      }
      #expect(error == nil, "\(arguments)")
      let view = MessageView(buffer)!
      guard case .success(let items) = view.items(), let item = items.last else {
        Issue.record("\(arguments)")
        continue
      }
      #expect(item.descriptor.name == name && item.words == [word], "\(arguments)")
      #expect(view.isComplex == MsgType.isPort(name), "\(arguments)")
    }
  }

  @Test func section6_aPortOfTheWrongKindReachesTheRoutineAsNull() {
    var s = System()
    let threadName = s.k.giveThreadSelfName(s.st)
    #expect(s.call("task_suspend", threadName, [])?.retCode == KernReturn.invalidArgument)
    #expect(s.call("mach_port_allocate", threadName, [.int(1)])?.retCode == KernReturn.invalidTask)
    #expect(s.call("thread_suspend", 1, [])?.retCode == KernReturn.invalidArgument)
    s.invariantsHold()
  }

  @Test func section6_theReplyIgnoresTheReplyPortsQlimit() {
    var s = System()
    let reply = s.k.migReplyPort(s.st)
    #expect(s.k.portSetQlimit(s.shell, reply, qlimit: 0) == KernReturn.success)
    #expect(s.call("mach_port_allocate", 1, [.int(1)])?.retCode == KernReturn.success)
  }

  @Test func section6_machPortRoutinesThroughTheKernel() {
    var s = System()
    let allocated = s.call("mach_port_allocate", 1, [.int(Int32(PortRight.receive.rawValue))])!
    guard case .name(let n) = allocated["name"]! else { Issue.record(); return }
    #expect(s.k.task(s.shell).space.lookup(n)?.type == PortType.receive)
    let status = s.call("mach_port_get_receive_status", 1, [.name(n)])!
    #expect(status["status"] == .ints([0, 0, 0, 5, 0, 0, 0, 0, 0]))
    let names = s.call("mach_port_names", 1, [])!
    #expect(names.retCode == KernReturn.success)
    if case .names(let list) = names["names"]!, case .ints(let types) = names["types"]! {
      #expect(list.contains(n) && list.contains(1))
      #expect(types[list.firstIndex(of: n)!] == Int32(PortType.receive))
    } else {
      Issue.record("names not decoded")
    }
    #expect(s.call("mach_port_destroy", 1, [.name(n)])?.retCode == KernReturn.success)
    #expect(s.call("mach_port_destroy", 1, [.name(n)])?.retCode == KernReturn.invalidName)
    s.invariantsHold()
  }

  @Test func section6_insertAndExtractRightThroughTheKernel() {
    var s = System()
    let (child, childName, _) = s.spawn("child")
    let (_, p) = s.k.portAllocate(s.shell, right: PortRight.receive.rawValue)
    #expect(
      s.call("mach_port_insert_right", childName, [.name(7), .port(p, disposition: MsgType.makeSend)])?.retCode
        == KernReturn.success)
    #expect(s.k.task(child).space.lookup(7)?.type == PortType.send)
    let extracted = s.call("mach_port_extract_right", childName, [.name(7), .int(Int32(MsgType.moveSend))])!
    #expect(extracted["poly"] == .port(p, disposition: MsgType.portSend))
    #expect(s.k.task(child).space.lookup(7) == nil)
    // A failed insert destroys the right it carried (the request body is destroyed).
    #expect(
      s.call("mach_port_insert_right", childName, [.name(0), .port(p, disposition: MsgType.makeSend)])?.retCode
        == KernReturn.invalidValue)
    s.invariantsHold()
  }

  @Test func section6_taskThreadsReturnsAnOutOfLineArrayOfThreadPorts() {
    var s = System()
    let (_, childName, thread) = s.spawn("child")
    _ = s.call("thread_create", childName, [])
    let reply = s.call("task_threads", childName, [])!
    guard case .ports(let names, let type) = reply["thread_list"]! else { Issue.record(); return }
    #expect(type == MsgType.portSend && names.count == 2)
    #expect(s.k.threadOf(port: s.k.task(s.shell).space.lookup(names[0])!.object) == thread)
    s.invariantsHold()
  }

  @Test func section4_taskTerminateKillsItsPortsAndItsTaskPort() {
    var s = System()
    let (child, childName, _) = s.spawn("child")
    let (_, p) = s.k.portAllocate(child, right: PortRight.receive.rawValue)
    let (_, o, type) = s.k.portExtractRight(child, p, disposition: MsgType.makeSend)
    let shellName = s.k.copyoutKernelRight(s.shell, o, carriedType: type)
    #expect(s.call("task_terminate", childName, [])?.retCode == KernReturn.success)
    #expect(s.k.task(child).isActive == false)
    // The child's receive right died: the shell's send right is dead at its next use.
    #expect(s.k.portType(s.shell, shellName).1 == PortType.deadName)
    // The task port itself is gone: an RPC through it cannot even be sent.
    #expect(
      s.k.rpc(s.st, RoutineTable.routine(named: "task_suspend")!, target: childName, arguments: [])
        == .failed(MachMsgReturn.sendInvalidDest))
    s.invariantsHold()
  }

  @Test func section4_suspendedTasksDoNotRunUntilResumed() {
    var s = System()
    let (child, childName, thread) = s.spawn("child")
    let (_, r) = s.k.portAllocate(child, right: PortRight.receive.rawValue)
    #expect(s.call("task_suspend", childName, [])?.retCode == KernReturn.success)
    #expect(s.k.task(child).suspendCount > 0)
    #expect(s.k.machMsg(thread, .receive(r)) == MachMsgReturn.rcvInProgress)
    let (_, o, type) = s.k.portExtractRight(child, r, disposition: MsgType.makeSend)
    let send = s.k.copyoutKernelRight(s.shell, o, carriedType: type)
    #expect(
      s.k.machMsg(s.st, .send(MessageBuilder(remote: send, remoteDisposition: MsgType.copySend, id: 9).finish()))
        == MachMsgReturn.success)
    s.k.run()
    #expect(s.k.takeCompletions().isEmpty)  // handed off, but the copy-out waits
    #expect(s.call("task_resume", childName, [])?.retCode == KernReturn.success)
    s.k.run()
    #expect(s.k.takeCompletions() == [Completion(thread: thread, result: MachMsgReturn.success)])
    #expect(s.call("task_resume", childName, [])?.retCode == KernReturn.failure)
    s.invariantsHold()
  }

  @Test func section4_threadCreateGivesASuspendedThread() {
    var s = System()
    let (child, childName, _) = s.spawn("child")
    let reply = s.call("thread_create", childName, [])!
    guard case .port(let name, _) = reply["child_thread"]! else { Issue.record(); return }
    let thread = s.k.threadOf(port: s.k.task(s.shell).space.lookup(name)!.object)!
    #expect(s.k.thread(thread).suspendCount == 1)
    #expect(s.k.task(child).threads.count == 2)
    #expect(s.call("thread_resume", name, [])?.retCode == KernReturn.success)
    #expect(s.call("thread_resume", name, [])?.retCode == KernReturn.failure)
    #expect(s.call("thread_terminate", name, [])?.retCode == KernReturn.success)
    #expect(s.k.thread(thread).state == .terminated)
    s.invariantsHold()
  }
}

/// The shortcut traps and glibc's fallback: docs/gnumach.md §8, docs/trace.md T11.
@Suite struct TrapTests {
  @Test func section8_aTrapDoesTheWorkWithoutAMessage() {
    var s = System()
    let before = s.k.destroyedMessages[.consumedByKernel, default: 0]
    let (code, results) = s.k.trap(s.st, .machPortAllocate, target: 1, arguments: [.int(1)])
    #expect(code == KernReturn.success)
    guard case .name(let n) = results[0] else { Issue.record(); return }
    #expect(s.k.task(s.shell).space.lookup(n)?.type == PortType.receive)
    #expect(s.k.destroyedMessages[.consumedByKernel, default: 0] == before)  // no request was served
    s.invariantsHold()
  }

  /// Every shortcut trap of §8 does its routine's work on the target task, with no request
  /// message served, and answers what the routine answers.
  @Test(arguments: ShortcutTrap.allCases)
  func section8_everyTrapDoesItsRoutinesWorkWithoutAMessage(_ trap: ShortcutTrap) {
    var s = System()
    let (child, childName, _) = s.spawn("child")
    let (_, port) = s.k.portAllocate(s.shell, right: PortRight.receive.rawValue)
    let before = s.k.destroyedMessages[.consumedByKernel, default: 0]
    let tasks = s.k.tasks.count
    var arguments: [MigValue] = []
    switch trap {
    case .vmAllocate: arguments = [.int(0), .int(8192), .int(1)]
    case .vmDeallocate:
      _ = s.k.vmAllocate(child, size: 4096)
      arguments = [.int(0x10000), .int(4096)]
    case .taskCreate: arguments = [.int(0)]
    case .taskTerminate, .taskSuspend: arguments = []
    case .taskSetSpecialPort:
      // The trap copies a send right (COPY_SEND): the shell needs one under the name.
      let (_, o, type) = s.k.portExtractRight(s.shell, port, disposition: MsgType.makeSend)
      _ = s.k.copyoutKernelRight(s.shell, o, carriedType: type)
      arguments = [.int(SpecialPort.taskBootstrap), .port(port, disposition: MsgType.copySend)]
    case .machPortAllocate: arguments = [.int(Int32(PortRight.receive.rawValue))]
    case .machPortDeallocate: arguments = [.name(1)]
    case .machPortInsertRight: arguments = [.name(40), .port(port, disposition: MsgType.makeSend)]
    case .machPortAllocateName: arguments = [.int(Int32(PortRight.portSet.rawValue)), .name(41)]
    }
    let (code, results) = s.k.trap(s.st, trap, target: childName, arguments: arguments)
    #expect(code == KernReturn.success)
    #expect(s.k.destroyedMessages[.consumedByKernel, default: 0] == before)  // nothing was served
    let space = s.k.task(child).space
    switch trap {
    case .vmAllocate:
      #expect(results == [.int(0x10000)] && s.k.task(child).map.contains(address: 0x10000, size: 8192))
    case .vmDeallocate: #expect(!s.k.task(child).map.contains(address: 0x10000, size: 1))
    case .taskCreate:
      #expect(s.k.tasks.count == tasks + 1)
      guard case .port(let n, _)? = results.first else { Issue.record("no child port"); return }
      #expect(s.k.taskOf(port: s.k.task(s.shell).space.lookup(n)!.object) == TaskIndex(tasks))
    case .taskTerminate: #expect(s.k.task(child).isActive == false)
    case .taskSuspend: #expect(s.k.task(child).suspendCount == 1)
    case .taskSetSpecialPort:
      #expect(
        s.k.task(child).specialPorts[Int(SpecialPort.taskBootstrap)] == s.k.task(s.shell).space.lookup(port)!.object)
    case .machPortAllocate:
      guard case .name(let n)? = results.first else { Issue.record("no name"); return }
      #expect(space.lookup(n)?.type == PortType.receive)
    case .machPortDeallocate: #expect(space.lookup(1) == nil)  // the child's only right to its own port
    case .machPortInsertRight: #expect(space.lookup(40)?.object == s.k.task(s.shell).space.lookup(port)!.object)
    case .machPortAllocateName: #expect(space.lookup(41)?.type == PortType.portSet)
    }
    s.invariantsHold()
  }

  @Test func section8_aNameThatIsNotATaskPortGivesSendInterrupted() {
    var s = System()
    let (_, r) = s.k.portAllocate(s.shell, right: PortRight.receive.rawValue)
    #expect(s.k.trap(s.st, .machPortAllocate, target: r, arguments: [.int(1)]).0 == MachMsgReturn.sendInterrupted)
    #expect(s.k.trap(s.st, .taskSuspend, target: 99, arguments: []).0 == MachMsgReturn.sendInterrupted)
  }

  @Test func section8_theStubFallsBackOnTheRpcWhenTheTrapIsInterrupted() {
    var s = System()
    let (child, childName, _) = s.spawn("child")
    // A trace port makes every shortcut trap of the task answer MACH_SEND_INTERRUPTED (T11).
    let (_, trace) = s.k.portAllocate(s.shell, right: PortRight.receive.rawValue)
    #expect(
      s.call(
        "task_set_special_port", childName, [.int(SpecialPort.taskTrace), .port(trace, disposition: MsgType.makeSend)])?
        .retCode == KernReturn.success)
    let thread = s.k.task(child).threads[0]
    #expect(s.k.trap(thread, .machPortAllocate, target: 1, arguments: [.int(1)]).0 == MachMsgReturn.sendInterrupted)
    let before = s.k.destroyedMessages[.consumedByKernel, default: 0]
    let outcome = s.k.call(thread, RoutineTable.routine(named: "mach_port_allocate")!, target: 1, arguments: [.int(1)])
    guard case .completed(let reply) = outcome else { Issue.record("\(outcome)"); return }
    #expect(reply.retCode == KernReturn.success)
    #expect(s.k.destroyedMessages[.consumedByKernel, default: 0] == before + 1)  // a real RPC was served
    s.invariantsHold()
  }

  /// docs/gnumach.md §4: a suspended task's threads do not run, so they cannot enter a trap
  /// either; the stub's call waits (as its RPC) and completes when the task is resumed.
  @Test func section4_aSuspendedThreadsCallWaitsForResume() {
    var s = System()
    let (child, childName, _) = s.spawn("child")
    let thread = s.k.task(child).threads[0]
    #expect(s.call("task_suspend", childName, [])?.retCode == KernReturn.success)
    let outcome = s.k.call(thread, RoutineTable.routine(named: "mach_port_allocate")!, target: 1, arguments: [.int(1)])
    #expect(outcome == .inProgress)
    let names = s.k.task(child).space.count  // its own port and the MIG reply port; nothing allocated
    #expect(s.call("task_resume", childName, [])?.retCode == KernReturn.success)
    s.k.run()
    #expect(s.k.task(child).space.count == names + 1)
    let done = s.k.takeCompletions().first { $0.thread == thread }
    #expect(done?.result == MachMsgReturn.success)
    guard
      case .completed(let reply)? = done.map({
        s.k.finishRPC(thread, RoutineTable.routine(named: "mach_port_allocate")!, $0.result)
      })
    else {
      Issue.record("no reply")
      return
    }
    #expect(reply.retCode == KernReturn.success)
    s.invariantsHold()
  }

  /// docs/shell.md §5 and a MIG stub given a timeout: the RPC's mach_msg carries
  /// MACH_SEND_TIMEOUT|MACH_RCV_TIMEOUT; when no reply comes in time it ends with
  /// MACH_RCV_TIMED_OUT, and after that receive error the thread's reply port is destroyed, so
  /// that a late reply cannot pass for the next call's.
  @Test func details5_anRpcThatTimesOutReplacesTheReplyPort() {
    var s = System()
    let (_, port) = s.k.portAllocate(s.shell, right: PortRight.receive.rawValue)  // nobody serves it
    let (_, o, type) = s.k.portExtractRight(s.shell, port, disposition: MsgType.makeSend)
    let silent = s.k.copyoutKernelRight(s.shell, o, carriedType: type)
    let routine = RoutineTable.routine(named: "mach_port_allocate")!
    #expect(s.k.rpc(s.st, routine, target: silent, arguments: [.int(1)], timeout: 20) == .inProgress)
    let replyPort = s.k.migReplyPort(s.st)
    #expect(s.k.nextDeadline() == 20_000)
    s.k.fireNextTimer()
    s.k.run()
    let done = s.k.takeCompletions().first { $0.thread == s.st }
    #expect(done?.result == MachMsgReturn.rcvTimedOut)
    #expect(s.k.finishRPC(s.st, routine, MachMsgReturn.rcvTimedOut) == .failed(MachMsgReturn.rcvTimedOut))
    #expect(s.k.task(s.shell).space.lookup(replyPort) == nil)  // destroyed
    #expect(s.k.migReplyPort(s.st) != MachPort.null)  // the next RPC makes a new one
    s.invariantsHold()
  }

  /// docs/shell.md §5 and MIG's stubs: a send that fails after the request was copied in and
  /// hands it back (here MACH_SEND_TIMED_OUT) also gives up the reply port, since the
  /// handed-back send-once right could still bring something to it; a send that fails before
  /// copy-in (MACH_SEND_INVALID_DEST) keeps it.
  @Test func details5_aHandedBackRequestReplacesTheReplyPortAnEarlyErrorDoesNot() {
    var s = System()
    let (port, full) = s.channel(from: s.shell, to: s.shell)
    _ = s.k.portSetQlimit(s.shell, port, qlimit: 0)
    let routine = RoutineTable.routine(named: "mach_port_allocate")!
    let first = s.k.migReplyPort(s.st)
    #expect(s.k.rpc(s.st, routine, target: 99, arguments: [.int(1)]) == .failed(MachMsgReturn.sendInvalidDest))
    #expect(s.k.migReplyPort(s.st) == first)
    #expect(
      s.k.rpc(s.st, routine, target: full, arguments: [.int(1)], timeout: 0) == .failed(MachMsgReturn.sendTimedOut))
    #expect(s.k.task(s.shell).space.lookup(first)?.has(PortType.receive) != true)  // destroyed
    #expect(s.k.migReplyPort(s.st) != MachPort.null)
    #expect(Kernel.replacesReplyPort(MachMsgReturn.rcvTimedOut, handedBack: false))
    #expect(!Kernel.replacesReplyPort(MachMsgReturn.sendInvalidDest, handedBack: false))
    #expect(!Kernel.replacesReplyPort(KernReturn.invalidArgument, handedBack: true))
    s.invariantsHold()
  }

  @Test func section8_trapResultsOtherThanInterruptedAreFinal() {
    var s = System()
    let (code, _) = s.k.trap(s.st, .machPortDeallocate, target: 1, arguments: [.name(77)])
    #expect(code == KernReturn.invalidName)
    let outcome = s.k.call(
      s.st, RoutineTable.routine(named: "mach_port_deallocate")!, target: 1, arguments: [.name(77)])
    #expect(outcome == .completed(MigReply(retCode: KernReturn.invalidName, outputs: [])))
  }
}

extension TrapTests {
  @Test func section8_theSetSpecialPortTrapCopiesASendRightWhateverTheCallerAsks() {
    var s = System()
    let (_, r) = s.k.portAllocate(s.shell, right: PortRight.receive.rawValue)
    _ = s.k.giveTaskSelfName(s.shell)
    // COPY_SEND needs a send right: a bare receive right is refused, and nothing moves.
    let (code, _) = s.k.trap(
      s.st, .taskSetSpecialPort, target: 1,
      arguments: [.int(SpecialPort.taskBootstrap), .port(r, disposition: MsgType.moveReceive)])
    #expect(code == KernReturn.invalidRight)
    #expect(s.k.task(s.shell).space.lookup(r)?.type == PortType.receive)
    s.invariantsHold()
  }
}
