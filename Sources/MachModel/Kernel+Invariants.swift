// The model's invariants (docs/model.md, "Invariants"), checked from tests after every step.

extension Kernel {
  /// Checks every invariant and returns a description of each violation (empty when all hold):
  /// - every message in use is in exactly one place: one port or set queue, or one thread's
  ///   hands; the budget counts exactly the budgeted ones;
  /// - each port's queued-message count matches its messages, wherever they are queued;
  /// - each object's send and send-once right counts equal the rights held in entries, carried
  ///   in messages, and held by the kernel (notification requests, msg-accepted requests);
  /// - receive rights and their ports agree; every entry names a live slot; the reverse map
  ///   (port → name) matches the entries;
  /// - blocked threads sit in the queue they wait on; runnable ones in the run queue.
  public func checkInvariants() -> [String] {
    var problems: [String] = []
    var place = [Int: String]()  // kmsg → where it was found

    func found(_ k: Int32, _ where_: String) {
      if let other = place[Int(k)] {
        problems.append("message \(k) is in two places: \(other) and \(where_)")
      }
      place[Int(k)] = where_
    }

    var queued = [Int: UInt32]()  // port → messages queued for it
    for (i, p) in objects.enumerated() where !p.isReclaimed {
      var k = p.queue.head
      var steps = 0
      while k >= 0 && steps <= kmsgs.count {
        found(k, "queue of object \(i)")
        if !kmsgs[Int(k)].isInUse { problems.append("free message \(k) is queued on object \(i)") }
        let d = Int(destination(of: k))
        if d >= 0 {
          queued[d, default: 0] += 1
          if p.isSet && objects[d].portSet != Int32(i) {
            problems.append("message \(k) for port \(d) is on set \(i), which the port is not in")
          }
          if !p.isSet && d != i { problems.append("message \(k) for port \(d) is on port \(i)'s queue") }
          if !p.isSet && p.portSet >= 0 { problems.append("port \(i) is in a set but has its own queue") }
        }
        k = kmsgs[Int(k)].next
        steps += 1
      }
    }
    for (t, th) in threads.enumerated() where th.traceKmsg >= 0 {
      found(th.traceKmsg, "trace wait of thread \(t)")
    }
    for (t, th) in threads.enumerated() where th.kmsg >= 0 {
      found(th.kmsg, "thread \(t)")
      // A message handed off to a receiver stays counted on its port until the receiver runs.
      if th.state == .runnable && th.resumeFrom == .blockedInReceive && !kmsgs[Int(th.kmsg)].isExceptionHandOff {
        let d = Int(destination(of: th.kmsg))
        if d >= 0 { queued[d, default: 0] += 1 }
      }
    }
    let inUse = kmsgs.indices.filter { kmsgs[$0].isInUse }
    for k in inUse where place[k] == nil {
      problems.append("message \(k) is in use but in no queue and no thread's hands")
    }
    for k in place.keys where !kmsgs[k].isInUse {
      problems.append("message \(k) is referenced but free")
    }
    // Budgeted: user messages and trace copies in buffers, plus send copies taken and not yet
    // emitted.
    let budgeted =
      inUse.filter { kmsgs[$0].isBudgeted }.count + threads.filter(\.hasSnapshotCopy).count
      + (traceLog.pendingThread >= 0 ? 1 : 0)
    if budgeted != budgetedMessages {
      problems.append("budget counts \(budgetedMessages) messages, \(budgeted) are budgeted")
    }
    for (i, p) in objects.enumerated() where !p.isReclaimed && !p.isSet && p.isActive {
      if p.messageCount != queued[i, default: 0] {
        problems.append("port \(i) counts \(p.messageCount) queued messages, \(queued[i, default: 0]) are queued")
      }
    }

    // Right counts.
    var send = [Int: UInt32](), sendOnce = [Int: UInt32]()
    for (t, task) in tasks.enumerated() {
      for name in task.space.names {
        guard let e = task.space.lookup(name) else { continue }
        if e.object >= 0 && (e.object >= objects.count || objects[Int(e.object)].isReclaimed) {
          problems.append("task \(t) name \(name) refers to a freed object \(e.object)")
          continue
        }
        if e.has(PortType.send) { send[Int(e.object), default: 0] += 1 }
        if e.has(PortType.sendOnce) { sendOnce[Int(e.object), default: 0] += 1 }
        if e.has(PortType.deadName) && e.object >= 0 {
          problems.append("dead name \(name) in task \(t) names an object")
        }
        if e.has(PortType.receive) {
          if objects[Int(e.object)].receiver != .task(TaskIndex(t), name: name) {
            problems.append(
              "task \(t) holds receive right \(name) but port \(e.object) says \(objects[Int(e.object)].receiver)")
          }
        }
        if e.has(PortType.send | PortType.receive), task.space.name(of: e.object) != name {
          problems.append("task \(t): reverse map of object \(e.object) is not \(name)")
        }
        if e.has(PortType.dnRequest) { problems.append("entry type holds request bits") }
      }
    }
    for k in inUse {
      let bytes = kmsgs[k].bytes
      let bits = kmsgs[k].bits
      for (offset, type) in [
        (MsgHeader.remoteOffset, MsgHeader.remote(bits)), (MsgHeader.localOffset, MsgHeader.local(bits)),
      ] {
        guard let o = Self.object(at: bytes.word(at: offset)) else { continue }
        if type == MsgType.portSend { send[Int(o), default: 0] += 1 }
        if type == MsgType.portSendOnce { sendOnce[Int(o), default: 0] += 1 }
      }
      if kmsgs[k].acceptedNotify >= 0 { sendOnce[Int(kmsgs[k].acceptedNotify), default: 0] += 1 }
      guard bits & MsgHeader.complexBit != 0 else { continue }
      var offset = MsgHeader.size
      let end = kmsgs[k].size
      var oolIndex = 0
      while offset < end, case .success(let d) = TypeDescriptor.parse(bytes, at: offset, end: end) {
        let data = offset + d.descriptorLength
        if !d.isInline {
          if d.isPort && oolIndex < kmsgs[k].outOfLine.count {
            let addresses = kmsgs[k].outOfLine[oolIndex].bytes
            for i in 0..<addresses.count / 4 {
              guard let o = Self.object(at: addresses.word(at: 4 * i)) else { continue }
              if d.name == MsgType.portSend { send[Int(o), default: 0] += 1 }
              if d.name == MsgType.portSendOnce { sendOnce[Int(o), default: 0] += 1 }
            }
          }
          oolIndex += 1
        } else if d.isPort {
          for i in 0..<Int(d.number) {
            guard let o = Self.object(at: bytes.word(at: data + 4 * i)) else { continue }
            if d.name == MsgType.portSend { send[Int(o), default: 0] += 1 }
            if d.name == MsgType.portSendOnce { sendOnce[Int(o), default: 0] += 1 }
          }
        }
        offset = data + d.bodyDataLength
      }
    }
    for p in objects where !p.isReclaimed {
      if p.noSendersNotify >= 0 { sendOnce[Int(p.noSendersNotify), default: 0] += 1 }
      if p.portDestroyedNotify >= 0 { sendOnce[Int(p.portDestroyedNotify), default: 0] += 1 }
      for r in p.deadNameRequests.requests { sendOnce[Int(r.notify), default: 0] += 1 }
    }
    for (o, n) in kernelHeldSendRights() { send[o, default: 0] += n }
    for (i, p) in objects.enumerated() where !p.isReclaimed && !p.isSet {
      if p.sendRights != send[i, default: 0] {
        problems.append("port \(i) counts \(p.sendRights) send rights, \(send[i, default: 0]) exist")
      }
      if p.sendOnceRights != sendOnce[i, default: 0] {
        problems.append("port \(i) counts \(p.sendOnceRights) send-once rights, \(sendOnce[i, default: 0]) exist")
      }
      if case .task(let t, let name) = p.receiver, p.isActive {
        if tasks[Int(t)].space.lookup(name)?.object != Int32(i) {
          problems.append("port \(i) says task \(t) holds it as \(name), which names something else")
        }
      }
      if !p.isActive && p.sendRights == 0 && p.sendOnceRights == 0 {
        problems.append("dead port \(i) has no references but was not reclaimed")
      }
    }

    // Threads.
    for (t, th) in threads.enumerated() {
      switch th.state {
      case .blockedInSend:
        if !threadsIn(objects[Int(th.waitingOn)].blockedSenders).contains(ThreadIndex(t)) {
          problems.append("thread \(t) is blocked in send but not queued on \(th.waitingOn)")
        }
      case .blockedInTrace:
        if th.traceKmsg < 0 || !threadsIn(objects[Int(th.waitingOn)].blockedSenders).contains(ThreadIndex(t)) {
          problems.append("thread \(t) waits for its trace port but holds no copy or is not queued")
        }
      case .blockedInReceive:
        if !threadsIn(objects[Int(th.waitingOn)].receivers).contains(ThreadIndex(t)) {
          problems.append("thread \(t) is blocked in receive but not queued on \(th.waitingOn)")
        }
      case .runnable:
        if !threadsIn(runQueue).contains(ThreadIndex(t)) && !parkedThreads.contains(ThreadIndex(t)) {
          problems.append("runnable thread \(t) is neither in the run queue nor set aside")
        }
      default:
        break
      }
    }
    return problems
  }
}
