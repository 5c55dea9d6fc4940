// Rights moving between spaces and the kernel: `ipc_right_check`, `ipc_right_copyin(_check)`,
// `ipc_object_copyout`, `ipc_object_destroy` (docs/gnumach.md §1.5, §2.5, §3).

/// The outcome of copying one right in from a space.
struct CopyinOutcome {
  /// The object now held by the kernel, or -1 for MACH_PORT_DEAD.
  var object: ObjectIndex
  /// A cancelled dead-name request's send-once right: it gets a port-deleted notification
  /// for `name` once the copy-in is complete (-1 when none).
  var deletedNotify: ObjectIndex = -1
}

extension Kernel {
  @inline(__always)
  func entry(_ task: TaskIndex, _ name: PortName) -> Entry? { tasks[Int(task)].space.lookup(name) }

  @inline(__always)
  mutating func setEntry(_ task: TaskIndex, _ name: PortName, _ e: Entry) {
    tasks[Int(task)].space.update(name, e)
  }

  /// Frees `name` once its entry holds no right.
  mutating func freeEntryIfEmpty(_ task: TaskIndex, _ name: PortName) {
    if let e = entry(task, name), e.type == 0 { tasks[Int(task)].space.free(name) }
  }

  /// Frees a name whose entry has been emptied (type 0 set by the caller).
  mutating func freeName(_ task: TaskIndex, _ name: PortName) {
    tasks[Int(task)].space.free(name)
  }

  // MARK: - Lazy death (ipc_right_check)

  /// If `name` holds a send or send-once right to a dead port, turns it into a dead name now
  /// (keeping the urefs of a send right; one for a send-once right; one more when a dead-name
  /// request was registered) and returns true. Returns false for a live right.
  @discardableResult
  mutating func checkRight(_ task: TaskIndex, _ name: PortName) -> Bool {
    guard var e = entry(task, name), e.has(PortType.sendRights), e.object >= 0 else { return false }
    let o = e.object
    guard !objects[Int(o)].isActive else { return false }
    if e.has(PortType.send) {
      objects[Int(o)].sendRights -= 1
      tasks[Int(task)].space.setName(nil, of: o)
    } else {
      objects[Int(o)].sendOnceRights -= 1
      e.urefs = 1
    }
    Self.turnIntoDeadName(&e)
    setEntry(task, name, e)
    reclaimIfUnreferenced(o)
    return true
  }

  /// The entry becomes a dead name keeping its urefs, plus one for a registered dead-name
  /// request, whose notification the port's death sends (`ipc_right_check`).
  static func turnIntoDeadName(_ e: inout Entry) {
    e.type = PortType.deadName
    e.object = -1
    e.hasMsgAcceptedRequest = false
    if e.hasDeadNameRequest {
      e.hasDeadNameRequest = false
      e.urefs += 1
    }
  }

  // MARK: - Copy-in

  /// `ipc_right_copyin_check`: whether `disposition` could be copied in from `name` with dead
  /// names allowed, without changing anything.
  @inline(__always)  // called from mutating code: a call would copy the whole kernel
  func copyinCheck(_ task: TaskIndex, _ name: PortName, _ disposition: UInt32) -> Bool {
    guard let e = entry(task, name) else { return false }
    switch disposition {
    case MsgType.makeSend, MsgType.makeSendOnce, MsgType.moveReceive:
      return e.has(PortType.receive)
    case MsgType.copySend, MsgType.moveSend, MsgType.moveSendOnce:
      if e.has(PortType.deadName) { return true }
      guard e.has(PortType.sendRights) else { return false }
      if !objects[Int(e.object)].isActive { return true }
      return disposition == MsgType.moveSendOnce ? e.has(PortType.sendOnce) : e.has(PortType.send)
    default:
      return false
    }
  }

  /// `ipc_right_copyin`: takes `disposition` of the right named `name` out of `task`'s space
  /// into the kernel. With `deadOK`, a dead name (or a right to a dead port) copies in as
  /// MACH_PORT_DEAD. Returns nil, changing nothing, when the right cannot be copied in. An
  /// emptied entry is freed by the caller (`freeEntryIfEmpty`), as GNU Mach's callers do.
  mutating func copyinRight(
    _ task: TaskIndex, _ name: PortName, _ disposition: UInt32, deadOK: Bool
  ) -> CopyinOutcome? {
    guard var e = entry(task, name) else { return nil }
    switch disposition {
    case MsgType.makeSend:
      guard e.has(PortType.receive) else { return nil }
      objects[Int(e.object)].makeSendCount &+= 1
      objects[Int(e.object)].sendRights += 1
      return CopyinOutcome(object: e.object)

    case MsgType.makeSendOnce:
      guard e.has(PortType.receive) else { return nil }
      objects[Int(e.object)].sendOnceRights += 1
      return CopyinOutcome(object: e.object)

    case MsgType.moveReceive:
      guard e.has(PortType.receive) else { return nil }
      let o = e.object
      var outcome = CopyinOutcome(object: o)
      if e.has(PortType.send) {
        e.type = PortType.send
      } else {
        outcome.deletedNotify = cancelDeadNameRequest(task, name, &e)
        e.type = 0
        e.object = -1
        tasks[Int(task)].space.setName(nil, of: o)
      }
      setEntry(task, name, e)
      clearReceiver(o)
      objects[Int(o)].receiver = .inTransit
      return outcome

    case MsgType.copySend, MsgType.moveSend, MsgType.moveSendOnce:
      if e.has(PortType.sendRights), checkRight(task, name) {
        e = entry(task, name)!
      }
      if e.has(PortType.deadName) {
        guard deadOK else { return nil }
        if disposition != MsgType.copySend {
          e.urefs -= 1
          if e.urefs == 0 { e.type = 0 }
          setEntry(task, name, e)
        }
        return CopyinOutcome(object: -1)
      }
      let o = e.object
      if disposition == MsgType.moveSendOnce {
        guard e.has(PortType.sendOnce) else { return nil }
        var outcome = CopyinOutcome(object: o)
        outcome.deletedNotify = cancelDeadNameRequest(task, name, &e)
        e.type = 0
        e.object = -1
        setEntry(task, name, e)
        return outcome
      }
      guard e.has(PortType.send) else { return nil }
      if disposition == MsgType.copySend {
        objects[Int(o)].sendRights += 1
        return CopyinOutcome(object: o)
      }
      // MOVE_SEND
      var outcome = CopyinOutcome(object: o)
      if e.urefs == 1 {
        if e.has(PortType.receive) {
          e.type = PortType.receive
          e.urefs = 0
        } else {
          outcome.deletedNotify = cancelDeadNameRequest(task, name, &e)
          e.type = 0
          e.object = -1
          e.hasMsgAcceptedRequest = false
          tasks[Int(task)].space.setName(nil, of: o)
        }
      } else {
        e.urefs -= 1
        objects[Int(o)].sendRights += 1
      }
      setEntry(task, name, e)
      return outcome

    default:
      return nil
    }
  }

  /// Removes the dead-name request of `name` (whose entry is `e`), if any, and returns the
  /// send-once right that must now get a port-deleted notification (-1 when none).
  mutating func cancelDeadNameRequest(_ task: TaskIndex, _ name: PortName, _ e: inout Entry) -> ObjectIndex {
    guard e.hasDeadNameRequest else { return -1 }
    e.hasDeadNameRequest = false
    guard e.object >= 0 else { return -1 }
    let o = e.object
    return objects[Int(o)].deadNameRequests.remove(task: task, name: name)
  }

  // MARK: - Copy-out

  /// `ipc_object_copyout` with overflow allowed (message receive): gives `task` a right of
  /// `carriedType` (PORT_SEND, PORT_SEND_ONCE or PORT_RECEIVE) to the live object `o`,
  /// reusing the space's name for the port when it has one (send and receive rights), else a
  /// new name. A send right's urefs saturate at 65534 (`MachPort.sendUrefsMax`).
  mutating func copyoutRight(_ task: TaskIndex, _ o: ObjectIndex, _ carriedType: UInt32) -> PortName {
    switch carriedType {
    case MsgType.portSend:
      if let name = tasks[Int(task)].space.name(of: o), var e = entry(task, name) {
        if e.has(PortType.send) {
          objects[Int(o)].sendRights -= 1  // merged into the entry's existing send right
          if e.urefs < MachPort.sendUrefsMax { e.urefs += 1 }  // else pegged, as ipc_right_copyout
        } else {
          e.type |= PortType.send
          e.urefs = 1
        }
        setEntry(task, name, e)
        return name
      }
      let name = tasks[Int(task)].space.allocate(
        Entry(type: PortType.send, urefs: 1, object: o, hasDeadNameRequest: false, hasMsgAcceptedRequest: false))
      tasks[Int(task)].space.setName(name, of: o)
      return name

    case MsgType.portSendOnce:
      return tasks[Int(task)].space.allocate(
        Entry(type: PortType.sendOnce, urefs: 1, object: o, hasDeadNameRequest: false, hasMsgAcceptedRequest: false))

    default:  // PORT_RECEIVE
      let name: PortName
      if let existing = tasks[Int(task)].space.name(of: o), var e = entry(task, existing) {
        e.type |= PortType.receive
        setEntry(task, existing, e)
        name = existing
      } else {
        name = tasks[Int(task)].space.allocate(
          Entry(type: PortType.receive, urefs: 0, object: o, hasDeadNameRequest: false, hasMsgAcceptedRequest: false))
        tasks[Int(task)].space.setName(name, of: o)
      }
      objects[Int(o)].receiver = .task(task, name: name)
      objects[Int(o)].destination = -1
      return name
    }
  }

  // MARK: - Releasing rights held by the kernel

  /// `ipc_object_destroy`: the kernel drops a right it holds (in a discarded message, a
  /// cleared slot...): a send right may fire no-senders, a send-once right sends a send-once
  /// notification through itself, a receive right destroys its port. -1 (dead) is a no-op.
  mutating func releaseRight(_ o: ObjectIndex, _ carriedType: UInt32) {
    guard o >= 0 else { return }
    switch carriedType {
    case MsgType.portSend: releaseSend(o)
    case MsgType.portSendOnce: notifySendOnce(o)
    case MsgType.portReceive: destroyPort(o)
    default: break
    }
  }

  /// `ipc_port_release_send`: one send right fewer; the last one fires a registered
  /// no-senders notification (docs/gnumach.md §3).
  mutating func releaseSend(_ o: ObjectIndex) {
    objects[Int(o)].sendRights -= 1
    if objects[Int(o)].sendRights == 0 && objects[Int(o)].isActive {
      let ns = objects[Int(o)].noSendersNotify
      if ns >= 0 {
        objects[Int(o)].noSendersNotify = -1
        sendNotification(to: ns, id: NotifyID.noSenders, .count(objects[Int(o)].makeSendCount))
      }
    }
    reclaimIfUnreferenced(o)
  }

  /// Drops the send right held under the same name as the receive right that is about to
  /// destroy port `o`. If it was the last send right, the port's no-senders request is taken
  /// now, before the port dies, and returned for the caller to send as a real no-senders
  /// notification (70) once the port is destroyed (`ipc_right_destroy`, `ipc_right_clean`).
  mutating func dropSendTakingNoSendersRequest(_ o: ObjectIndex) -> (notify: ObjectIndex, mscount: UInt32)? {
    objects[Int(o)].sendRights -= 1
    let ns = objects[Int(o)].noSendersNotify
    guard objects[Int(o)].sendRights == 0, ns >= 0 else { return nil }
    objects[Int(o)].noSendersNotify = -1
    return (ns, objects[Int(o)].makeSendCount)
  }

  /// A send-once right dropped unused: the send-once notification (71) goes through it.
  mutating func notifySendOnce(_ o: ObjectIndex) {
    sendNotification(to: o, id: NotifyID.sendOnce, .none)
  }
}
