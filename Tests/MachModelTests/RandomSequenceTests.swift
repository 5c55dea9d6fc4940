import MachModel
import TestSupport
import Testing

/// A small, seeded generator (xorshift64*), so that every run of a seed is the same run.
struct SeededGenerator: RandomNumberGenerator {
  var state: UInt64
  init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 | 1 }
  mutating func next() -> UInt64 {
    state ^= state >> 12
    state ^= state << 25
    state ^= state >> 27
    return state &* 0x2545_F491_4F6C_DD1D
  }
}

/// Long random sequences of model operations, with every invariant of docs/model.md checked after
/// every step, and nothing left behind once every space is destroyed.
@Suite struct RandomSequenceTests {
  static let dispositions: [UInt32] = [
    MsgType.moveReceive, MsgType.moveSend, MsgType.moveSendOnce, MsgType.copySend, MsgType.makeSend,
    MsgType.makeSendOnce,
  ]

  struct World {
    var k = Kernel.booted()
    var rng: SeededGenerator
    var tasks: [TaskIndex] { (0..<k.tasks.count).map { TaskIndex($0) } }
    var threads: [ThreadIndex] { (0..<k.threads.count).map { ThreadIndex($0) } }

    init(seed: UInt64) {
      rng = SeededGenerator(seed: seed)
      for i in 0..<3 {
        let t = k.createTask(name: "t\(i)", parent: Kernel.shellTask)
        _ = k.giveTaskSelfName(t)
        _ = k.createThread(in: t)
        _ = k.createThread(in: t)
      }
      for t in tasks.dropFirst() where chance(70) { _ = trace(t) }
    }

    mutating func pick<T>(_ xs: [T]) -> T { xs[Int.random(in: 0..<xs.count, using: &rng)] }
    mutating func chance(_ percent: Int) -> Bool { Int.random(in: 0..<100, using: &rng) < percent }

    /// A name the task holds (usually), or a random small number.
    mutating func name(in task: TaskIndex) -> PortName {
      let names = k.task(task).space.names
      if names.isEmpty || chance(8) { return PortName.random(in: 0...12, using: &rng) }
      return pick(names)
    }

    mutating func message(from task: TaskIndex) -> [UInt8] {
      let dest = name(in: task)
      let destType =
        chance(85)
        ? pick([MsgType.copySend, MsgType.makeSend, MsgType.moveSendOnce, MsgType.makeSendOnce, MsgType.moveSend])
        : pick(Array(0...22))
      let hasReply = chance(50)
      var m = MessageBuilder(
        remote: dest, remoteDisposition: destType, local: hasReply ? name(in: task) : 0,
        localDisposition: hasReply ? pick(RandomSequenceTests.dispositions.filter { $0 != MsgType.moveReceive }) : 0,
        id: Int32.random(in: 1...5000, using: &rng))
      for _ in 0..<Int.random(in: 0...2, using: &rng) {
        switch Int.random(in: 0..<4, using: &rng) {
        case 0: m.int32([Int32.random(in: 0...100, using: &rng)])
        case 1: m.ports([name(in: task), name(in: task)], disposition: pick(RandomSequenceTests.dispositions))
        case 2: m.byteArray([UInt8](repeating: 7, count: Int.random(in: 0...40, using: &rng)))
        default: m.outOfLine(address: 0x10000, size: UInt32.random(in: 0...5000, using: &rng), deallocate: chance(30))
        }
      }
      var bytes = m.finish()
      if chance(5) { bytes[Int.random(in: 0..<bytes.count, using: &rng)] ^= 0xff }  // corrupt a byte
      return bytes
    }

    /// One random operation; returns a description for failure messages.
    /// A random value for a MIG argument of `type`, from `task`'s point of view.
    mutating func value(_ type: MigType, in task: TaskIndex) -> MigValue {
      switch type {
      case .int32, .boolean: return .int(Int32.random(in: -1...6, using: &rng))
      case .portName: return .name(name(in: task))
      case .port, .polyPort: return .port(name(in: task), disposition: pick(RandomSequenceTests.dispositions))
      case .structure(let fields): return .ints(fields.map { _ in 0 })
      case .outOfLinePorts:
        let count = Int.random(in: 0...5, using: &rng)
        return .ports((0..<count).map { _ in name(in: task) }, disposition: pick(RandomSequenceTests.dispositions))
      default: return .int(0)
      }
    }

    /// Gives `victim` a trace port held by a random live task: drained by the host, or an
    /// ordinary port with a small queue (so that back-pressure happens).
    mutating func trace(_ victim: TaskIndex) -> String {
      let holder = pick(tasks.filter { k.task($0).isActive })
      let (kr, port) = k.portAllocate(holder, right: PortRight.receive.rawValue)
      guard kr == KernReturn.success else { return "no trace port" }
      if chance(50) {
        _ = k.setHostDrained(holder, port)
      } else {
        _ = k.portSetQlimit(holder, port, qlimit: UInt32.random(in: 0...2, using: &rng))
      }
      let (_, o, _) = k.portExtractRight(holder, port, disposition: MsgType.makeSend)
      if k.taskSetSpecialPort(victim, slot: SpecialPort.taskTrace, right: o) != KernReturn.success {
        k.releaseKernelRight(o, carriedType: MsgType.portSend)
      }
      return "trace \(victim) to \(holder):\(port)"
    }

    mutating func step() -> String {
      // Keep three live tasks besides the shell: exceptions and task_terminate kill them.
      if tasks.filter({ k.task($0).isActive }).count < 4 {
        let t = k.createTask(name: "t\(k.tasks.count)", parent: Kernel.shellTask)
        _ = k.giveTaskSelfName(t)
        _ = k.createThread(in: t)
        _ = k.createThread(in: t)
        if chance(50) { _ = trace(t) }
        return "new task \(t)"
      }
      let task = pick(tasks.filter { k.task($0).isActive })
      let owned = threads.filter { k.thread($0).task == task }
      guard !owned.isEmpty else { return "no thread" }
      let thread = pick(owned)
      let idle = k.thread(thread).state == .idle && k.task(task).isActive
      if chance(2) {
        // A protected payload set or cleared on some name (§1.6).
        let n = name(in: task)
        let code =
          chance(70)
          ? k.portSetProtectedPayload(task, n, payload: UInt32.random(in: 0...9, using: &rng))
          : k.portClearProtectedPayload(task, n)
        return "payload \(n): \(code)"
      }
      if chance(3) {
        // thread_abort of any thread, whatever it waits in (§4).
        let victim = pick(threads)
        return "abort \(victim): \(k.threadAbort(victim))"
      }
      if chance(15) {
        guard idle else { return "busy" }
        switch Int.random(in: 0..<7, using: &rng) {
        case 0, 1, 2:
          // A kernel RPC (or its shortcut trap) with random arguments, to a random name.
          let routine = pick(RoutineTable.served.filter { $0.name != "task_terminate" || chance(10) })
          let args = routine.inputs.map { value($0.type, in: task) }
          let target = chance(70) ? 1 : name(in: task)
          let outcome =
            chance(50)
            ? k.call(thread, routine, target: target, arguments: args)
            : k.rpc(thread, routine, target: target, arguments: args)
          return "rpc \(routine.name) from \(thread): \(outcome)"
        case 3:
          guard task != Kernel.shellTask else { return "not the shell" }
          _ = k.raiseException(thread, exception: Int32.random(in: 1...6, using: &rng), code: 0, subcode: 0)
          return "raise in \(thread)"
        case 4:
          let n = name(in: task)
          let (kr, o, _) = k.portExtractRight(task, n, disposition: pick([MsgType.makeSend, MsgType.copySend]))
          guard kr == KernReturn.success else { return "no exception port" }
          if chance(50) {
            if k.taskSetSpecialPort(pick(tasks), slot: SpecialPort.taskException, right: o) != KernReturn.success {
              k.releaseKernelRight(o, carriedType: MsgType.portSend)
            }
          } else if k.threadSetSpecialPort(pick(threads), slot: SpecialPort.threadException, right: o)
            != KernReturn.success
          {
            k.releaseKernelRight(o, carriedType: MsgType.portSend)
          }
          return "exception port \(n)"
        case 5:
          // A trace port: a receive right of some task (sometimes drained by the host), or none.
          let victim = pick(tasks)
          if chance(25) {
            _ = k.taskSetSpecialPort(victim, slot: SpecialPort.taskTrace, right: -1)
            return "untrace \(victim)"
          }
          return trace(victim)
        default:
          if chance(50) { _ = k.taskSuspend(pick(tasks)) } else { _ = k.taskResume(pick(tasks)) }
          return "suspend/resume"
        }
      }
      switch Int.random(in: 0..<100, using: &rng) {
      case 0..<10:
        let right = pick([
          PortRight.receive.rawValue, PortRight.receive.rawValue, PortRight.portSet.rawValue,
          PortRight.deadName.rawValue,
        ])
        _ = k.portAllocate(task, right: right)
        return "allocate \(right) in \(task)"
      case 10..<20:
        let n = name(in: task)
        let d = pick(RandomSequenceTests.dispositions)
        let (kr, o, type) = k.portExtractRight(task, n, disposition: d)
        guard kr == KernReturn.success else { return "extract \(n) failed" }
        let to = pick(tasks)
        if chance(70) {
          _ = k.copyoutKernelRight(to, o, carriedType: type)
        } else if k.portInsertRight(to, PortName.random(in: 1...20, using: &rng), right: o, carriedType: type)
          != KernReturn.success
        {
          k.releaseKernelRight(o, carriedType: type)
        }
        return "give \(n) of \(task) as \(d) to \(to)"
      case 20..<42:
        guard idle else { return "busy" }
        var opts: MachMsgOptions = chance(30) ? [.sendTimeout] : (chance(10) ? [.sendNotify] : [])
        if chance(10) { opts.insert(.sendCancel) }
        let call = MachMsgCall(
          options: opts.union(.send), message: message(from: task),
          timeout: UInt32.random(in: 0...3, using: &rng), notify: name(in: task))
        _ = k.machMsg(thread, call)
        return "send from \(thread)"
      case 42..<62:
        guard idle else { return "busy" }
        let opts: MachMsgOptions = [
          chance(75) ? .receiveTimeout : [], chance(30) ? .receiveLarge : [], chance(10) ? .receiveNotify : [],
        ]
        var call = MachMsgCall.receive(
          name(in: task), size: UInt32.random(in: 24...120, using: &rng), options: opts,
          timeout: UInt32.random(in: 0...3, using: &rng))
        call.notify = name(in: task)
        _ = k.machMsg(thread, call)
        return "receive on \(thread)"
      case 62..<66:
        guard idle else { return "busy" }
        let call = MachMsgCall(
          options: [.send, .receive, .receiveTimeout], message: message(from: task), receiveSize: 200,
          receiveName: name(in: task), timeout: 2)
        _ = k.machMsg(thread, call)
        return "rpc from \(thread)"
      case 66..<72:
        _ = k.portDeallocate(task, name(in: task))
        return "deallocate"
      case 72..<76:
        _ = k.portDestroy(task, name(in: task))
        return "destroy"
      case 76..<81:
        _ = k.portModRefs(
          task, name(in: task), right: UInt32.random(in: 0...4, using: &rng),
          delta: Int32.random(in: -2...2, using: &rng))
        return "mod_refs"
      case 81..<84:
        _ = k.portMoveMember(task, name(in: task), after: chance(30) ? 0 : name(in: task))
        return "move_member"
      case 84..<88:
        let n = name(in: task)
        let (kr, o, _) = k.portExtractRight(task, name(in: task), disposition: MsgType.makeSendOnce)
        let id = pick([NotifyID.noSenders, NotifyID.deadName, NotifyID.portDestroyed])
        let (rkr, previous) = k.portRequestNotification(
          task, n, id: id, sync: UInt32.random(in: 0...1, using: &rng), notify: kr == KernReturn.success ? o : -1)
        if rkr != KernReturn.success && kr == KernReturn.success {
          k.releaseKernelRight(o, carriedType: MsgType.portSendOnce)
        }
        if previous >= 0 { k.releaseKernelRight(previous, carriedType: MsgType.portSendOnce) }
        return "request \(id) on \(n)"
      case 88..<91:
        _ = k.portSetQlimit(task, name(in: task), qlimit: UInt32.random(in: 0...6, using: &rng))
        return "qlimit"
      case 91..<93:
        _ = k.vmAllocate(task, size: UInt32.random(in: 1...9000, using: &rng))
        return "vm_allocate"
      case 93..<97:
        k.advance(by: UInt64.random(in: 0...3000, using: &rng))
        return "advance"
      case 97:
        if chance(20) { k.terminateTask(task) }
        return "terminate \(task)"
      default:
        k.run()
        return "run"
      }
    }
  }

  @Test(arguments: Array(UInt64(1)...16))
  func randomOperationsKeepEveryInvariant(seed: UInt64) {
    var w = World(seed: seed)
    var served = 0, raised = 0
    for i in 0..<2500 {
      let what = w.step()
      if what.hasPrefix("rpc"), what.contains("completed") { served += 1 }
      if what.hasPrefix("raise") { raised += 1 }
      if i % 50 == 0 { _ = w.k.takeTraceLog() }
      if Bool.random(using: &w.rng) { w.k.run() }
      let problems = w.k.checkInvariants()
      if !problems.isEmpty {
        Issue.record("seed \(seed), step \(i) (\(what)): \(problems)")
        return
      }
    }
    #expect(w.k.traceSeq > 10, "seed \(seed): the run must make trace copies (\(w.k.traceSeq))")
    #expect(
      served > 0 && raised > 0,
      "seed \(seed): the run must exercise RPCs and exceptions (\(served) served, \(raised) raised)")
    for t in w.tasks { w.k.terminateTask(t) }
    w.k.runAdvancingTime()
    #expect(w.k.tasks.allSatisfy { !$0.isActive })
    #expect(w.k.checkInvariants() == [])
    #expect(w.k.messagesInUse == 0, "seed \(seed)")
    let leftAlive = w.k.objects.enumerated().filter { $0.element.isActive }.map {
      "object \($0.offset) received by \($0.element.receiver)"
    }
    #expect(w.k.objectsInUse == 0, "seed \(seed): \(leftAlive)")
  }

  @Test func theSameSeedGivesTheSameRun() {
    func trace(_ seed: UInt64) -> [String] {
      var w = World(seed: seed)
      var log: [String] = []
      for _ in 0..<300 {
        log.append(w.step())
        w.k.run()
        log.append("\(w.k.now) \(w.k.messagesInUse) \(w.k.takeCompletions().map { "\($0.thread):\($0.result)" })")
      }
      return log
    }
    #expect(trace(42) == trace(42))
  }
}
