// The mach_port subsystem as the kernel serves it (`ipc/mach_port.c`, `ipc/ipc_right.c`),
// called with the target task's space and arguments already in kernel form. Each returns
// the routine's kern_return_t and changes nothing on error (docs/gnumach.md §3).

/// `mach_port_status_t`, as mach_port_get_receive_status returns it.
public struct PortStatus: Equatable, Sendable {
  public var portSet: PortName
  public var seqno: UInt32
  public var makeSendCount: UInt32
  public var qlimit: UInt32
  public var messageCount: UInt32
  public var sendOnceRights: UInt32
  /// `mps_srights`: 1 if send rights to the port exist, else 0. GNU Mach reports only that much
  /// (`statusp->mps_srights = port->ip_srights > 0` in `mach_port_get_receive_status`); the
  /// count itself is `Kernel.sendRightCount`.
  public var sendRights: UInt32
  public var hasPortDestroyedRequest: Bool
  public var hasNoSendersRequest: Bool
}

extension Kernel {
  func spaceIsUsable(_ task: TaskIndex) -> Bool {
    task >= 0 && Int(task) < tasks.count && tasks[Int(task)].space.isActive
  }

  /// The live receive right under `name`, or the error GNU Mach gives.
  @inline(__always)  // called from mutating code: a call would copy the whole kernel
  func receiveRight(_ task: TaskIndex, _ name: PortName) -> Result<ObjectIndex, KernError> {
    guard spaceIsUsable(task) else { return .failure(KernError(KernReturn.invalidTask)) }
    guard let e = entry(task, name) else { return .failure(KernError(KernReturn.invalidName)) }
    guard e.has(PortType.receive) else { return .failure(KernError(KernReturn.invalidRight)) }
    return .success(e.object)
  }

  // MARK: - Allocation and naming

  /// mach_port_allocate: a new receive right (qlimit 5, seqno 0, mscount 0), an empty port
  /// set, or a dead name with one uref, under a name chosen by GNU Mach's rule.
  public mutating func portAllocate(_ task: TaskIndex, right: UInt32) -> (ReturnCode, PortName) {
    guard spaceIsUsable(task) else { return (KernReturn.invalidTask, 0) }
    switch right {
    case PortRight.receive.rawValue, PortRight.portSet.rawValue:
      let isSet = right == PortRight.portSet.rawValue
      guard let o = newObject(isSet: isSet, receiver: .inTransit) else { return (KernReturn.resourceShortage, 0) }
      let type = isSet ? PortType.portSet : PortType.receive
      let name = tasks[Int(task)].space.allocate(
        Entry(type: type, urefs: 0, object: o, hasDeadNameRequest: false, hasMsgAcceptedRequest: false))
      objects[Int(o)].receiver = .task(task, name: name)
      if !isSet { tasks[Int(task)].space.setName(name, of: o) }
      return (KernReturn.success, name)
    case PortRight.deadName.rawValue:
      let name = tasks[Int(task)].space.allocate(
        Entry(type: PortType.deadName, urefs: 1, object: -1, hasDeadNameRequest: false, hasMsgAcceptedRequest: false))
      return (KernReturn.success, name)
    default:
      return (KernReturn.invalidValue, 0)
    }
  }

  /// mach_port_allocate_name: as mach_port_allocate, under a name the caller chooses.
  public mutating func portAllocateName(_ task: TaskIndex, right: UInt32, name: PortName) -> ReturnCode {
    guard spaceIsUsable(task) else { return KernReturn.invalidTask }
    guard MachPort.isValid(name) else { return KernReturn.invalidValue }
    guard
      right == PortRight.receive.rawValue || right == PortRight.portSet.rawValue
        || right == PortRight.deadName.rawValue
    else { return KernReturn.invalidValue }
    guard entry(task, name) == nil else { return KernReturn.nameExists }
    if right == PortRight.deadName.rawValue {
      tasks[Int(task)].space.install(
        name,
        Entry(type: PortType.deadName, urefs: 1, object: -1, hasDeadNameRequest: false, hasMsgAcceptedRequest: false))
      return KernReturn.success
    }
    let isSet = right == PortRight.portSet.rawValue
    guard let o = newObject(isSet: isSet, receiver: .task(task, name: name)) else { return KernReturn.resourceShortage }
    tasks[Int(task)].space.install(
      name,
      Entry(
        type: isSet ? PortType.portSet : PortType.receive, urefs: 0, object: o,
        hasDeadNameRequest: false, hasMsgAcceptedRequest: false))
    if !isSet { tasks[Int(task)].space.setName(name, of: o) }
    return KernReturn.success
  }

  /// mach_port_names: every name with its type bits, in ascending order.
  public mutating func portNames(_ task: TaskIndex) -> (ReturnCode, [(name: PortName, type: UInt32)]) {
    guard spaceIsUsable(task) else { return (KernReturn.invalidTask, []) }
    return (KernReturn.success, tasks[Int(task)].space.names.map { ($0, portType(task, $0).1) })
  }

  /// mach_port_type: the MACH_PORT_TYPE_* bits of `name` (a right to a dead port is reported,
  /// and from then on held, as a dead name), with the request flags.
  public mutating func portType(_ task: TaskIndex, _ name: PortName) -> (ReturnCode, UInt32) {
    guard spaceIsUsable(task) else { return (KernReturn.invalidTask, 0) }
    guard entry(task, name) != nil else { return (KernReturn.invalidName, 0) }
    checkRight(task, name)
    let e = entry(task, name)!
    var type = e.type
    if e.hasDeadNameRequest { type |= PortType.dnRequest }
    if e.hasMsgAcceptedRequest { type |= PortType.maRequest }
    return (KernReturn.success, type)
  }

  /// mach_port_rename: moves every right (and request) from `old` to `new`.
  public mutating func portRename(_ task: TaskIndex, _ old: PortName, _ new: PortName) -> ReturnCode {
    guard spaceIsUsable(task) else { return KernReturn.invalidTask }
    guard MachPort.isValid(new) else { return KernReturn.invalidValue }
    // ipc_object_rename: the new name is checked first (KERN_NAME_EXISTS), then the old one.
    guard entry(task, new) == nil else { return KernReturn.nameExists }
    guard let e = entry(task, old) else { return KernReturn.invalidName }
    var moved = e
    moved.type = e.type
    tasks[Int(task)].space.install(new, moved)
    var emptied = e
    emptied.type = 0
    setEntry(task, old, emptied)
    freeName(task, old)
    if e.object >= 0 {
      let o = e.object
      if e.has(PortType.send | PortType.receive) { tasks[Int(task)].space.setName(new, of: o) }
      if e.has(PortType.receive | PortType.portSet) { objects[Int(o)].receiver = .task(task, name: new) }
      objects[Int(o)].deadNameRequests.rename(task: task, from: old, to: new)
    }
    return KernReturn.success
  }

  // MARK: - Destroying and dropping rights

  /// mach_port_destroy (`ipc_right_destroy`): removes every right under `name`. A receive
  /// right destroys its port; a send-once right sends a send-once notification; the last send
  /// right may fire no-senders; a dead-name request gets a port-deleted notification.
  public mutating func portDestroy(_ task: TaskIndex, _ name: PortName) -> ReturnCode {
    guard spaceIsUsable(task) else { return KernReturn.invalidTask }
    guard var e = entry(task, name) else { return KernReturn.invalidName }
    let o = e.object
    if e.has(PortType.portSet) {
      e.type = 0
      setEntry(task, name, e)
      freeName(task, name)
      destroySet(o)
      return KernReturn.success
    }
    if e.has(PortType.deadName) {
      e.type = 0
      setEntry(task, name, e)
      freeName(task, name)
      return KernReturn.success
    }
    if e.has(PortType.receive) {
      let deleted = cancelDeadNameRequest(task, name, &e)
      let noSenders = e.has(PortType.send) ? dropSendTakingNoSendersRequest(o) : nil
      e.type = 0
      setEntry(task, name, e)
      freeName(task, name)
      clearReceiver(o)
      destroyPort(o)
      // ipc_right_destroy: the port dies, then no-senders, then port-deleted.
      if let n = noSenders { sendNotification(to: n.notify, id: NotifyID.noSenders, .count(n.mscount)) }
      if deleted >= 0 { sendNotification(to: deleted, id: NotifyID.portDeleted, .name(name)) }
      return KernReturn.success
    }
    // A send or send-once right.
    if !objects[Int(o)].isActive {
      if e.has(PortType.send) { objects[Int(o)].sendRights -= 1 } else { objects[Int(o)].sendOnceRights -= 1 }
      e.type = 0
      setEntry(task, name, e)
      freeName(task, name)
      reclaimIfUnreferenced(o)
      return KernReturn.success
    }
    let deleted = cancelDeadNameRequest(task, name, &e)
    let wasSend = e.has(PortType.send)
    e.type = 0
    setEntry(task, name, e)
    freeName(task, name)
    if wasSend { releaseSend(o) } else { notifySendOnce(o) }
    if deleted >= 0 { sendNotification(to: deleted, id: NotifyID.portDeleted, .name(name)) }
    return KernReturn.success
  }

  /// mach_port_deallocate (`ipc_right_dealloc`): one uref fewer of a send, send-once or
  /// dead-name right. A bare receive right or a port set gives KERN_INVALID_RIGHT.
  public mutating func portDeallocate(_ task: TaskIndex, _ name: PortName) -> ReturnCode {
    guard spaceIsUsable(task) else { return KernReturn.invalidTask }
    guard entry(task, name) != nil else { return KernReturn.invalidName }
    checkRight(task, name)
    var e = entry(task, name)!
    if e.has(PortType.deadName) {
      e.urefs -= 1
      if e.urefs == 0 { e.type = 0 }
      setEntry(task, name, e)
      freeEntryIfEmpty(task, name)
      return KernReturn.success
    }
    if e.has(PortType.sendOnce) {
      let o = e.object
      let deleted = cancelDeadNameRequest(task, name, &e)
      e.type = 0
      setEntry(task, name, e)
      freeName(task, name)
      notifySendOnce(o)
      if deleted >= 0 { sendNotification(to: deleted, id: NotifyID.portDeleted, .name(name)) }
      return KernReturn.success
    }
    guard e.has(PortType.send) else { return KernReturn.invalidRight }
    return dropSendUrefs(task, name, by: 1)
  }

  /// Takes `delta` urefs off the live send right under `name`, removing the send right (and
  /// the name, unless a receive right shares it) when none is left.
  private mutating func dropSendUrefs(_ task: TaskIndex, _ name: PortName, by delta: UInt32) -> ReturnCode {
    var e = entry(task, name)!
    let o = e.object
    guard e.urefs == delta else {
      e.urefs -= delta
      setEntry(task, name, e)
      return KernReturn.success
    }
    if e.has(PortType.receive) {
      e.type = PortType.receive
      e.urefs = 0
      e.hasMsgAcceptedRequest = false
      setEntry(task, name, e)
      releaseSend(o)
      return KernReturn.success
    }
    let deleted = cancelDeadNameRequest(task, name, &e)
    e.type = 0
    setEntry(task, name, e)
    freeName(task, name)
    releaseSend(o)
    if deleted >= 0 { sendNotification(to: deleted, id: NotifyID.portDeleted, .name(name)) }
    return KernReturn.success
  }

  /// mach_port_get_refs: urefs of a send right or dead name; 1 for a send-once, receive or
  /// port-set right; 0 when the name lacks the right.
  public mutating func portGetRefs(_ task: TaskIndex, _ name: PortName, right: UInt32) -> (ReturnCode, UInt32) {
    guard spaceIsUsable(task) else { return (KernReturn.invalidTask, 0) }
    guard let kind = PortRight(rawValue: right) else { return (KernReturn.invalidValue, 0) }
    guard entry(task, name) != nil else { return (KernReturn.invalidName, 0) }
    checkRight(task, name)
    let e = entry(task, name)!
    switch kind {
    case .send: return (KernReturn.success, e.has(PortType.send) ? e.urefs : 0)
    case .deadName: return (KernReturn.success, e.has(PortType.deadName) ? e.urefs : 0)
    case .sendOnce: return (KernReturn.success, e.has(PortType.sendOnce) ? 1 : 0)
    case .receive: return (KernReturn.success, e.has(PortType.receive) ? 1 : 0)
    case .portSet: return (KernReturn.success, e.has(PortType.portSet) ? 1 : 0)
    }
  }

  /// mach_port_mod_refs (`ipc_right_delta`): adds `delta` to the urefs of one kind of right.
  /// Receive, send-once and port-set rights take only 0 or -1 (KERN_INVALID_VALUE otherwise);
  /// -1 on a receive right destroys the port (a send right sharing the name becomes a dead
  /// name at once); urefs cannot pass 65535 (KERN_UREFS_OVERFLOW) or go below 0.
  public mutating func portModRefs(_ task: TaskIndex, _ name: PortName, right: UInt32, delta: Int32) -> ReturnCode {
    guard spaceIsUsable(task) else { return KernReturn.invalidTask }
    guard let kind = PortRight(rawValue: right) else { return KernReturn.invalidValue }
    guard var e = entry(task, name) else { return KernReturn.invalidName }
    switch kind {
    case .receive:
      guard e.has(PortType.receive) else { return KernReturn.invalidRight }
      if delta == 0 { return KernReturn.success }
      guard delta == -1 else { return KernReturn.invalidValue }
      let o = e.object
      var deleted: ObjectIndex = -1
      if e.has(PortType.send) {
        // The remaining send right turns into a dead name now: the port dies "first".
        objects[Int(o)].sendRights -= 1
        tasks[Int(task)].space.setName(nil, of: o)
        Self.turnIntoDeadName(&e)
        setEntry(task, name, e)
      } else {
        deleted = cancelDeadNameRequest(task, name, &e)
        e.type = 0
        setEntry(task, name, e)
        freeName(task, name)
      }
      clearReceiver(o)
      destroyPort(o)
      if deleted >= 0 { sendNotification(to: deleted, id: NotifyID.portDeleted, .name(name)) }
      return KernReturn.success

    case .portSet:
      guard e.has(PortType.portSet) else { return KernReturn.invalidRight }
      if delta == 0 { return KernReturn.success }
      guard delta == -1 else { return KernReturn.invalidValue }
      return portDestroy(task, name)

    case .sendOnce:
      guard e.has(PortType.sendOnce) else { return KernReturn.invalidRight }
      // ipc_right_delta checks the delta before it notices that the port died.
      guard delta == 0 || delta == -1 else { return KernReturn.invalidValue }
      if checkRight(task, name) { return KernReturn.invalidRight }
      if delta == 0 { return KernReturn.success }
      return portDeallocate(task, name)

    case .deadName:
      if e.has(PortType.sendRights) {
        guard checkRight(task, name) else { return KernReturn.invalidRight }
        e = entry(task, name)!
      }
      guard e.has(PortType.deadName) else { return KernReturn.invalidRight }
      let total = Int64(e.urefs) + Int64(delta)
      guard total >= 0 else { return KernReturn.invalidValue }
      guard total <= Int64(MachPort.urefsMax) else { return KernReturn.urefsOverflow }
      e.urefs = UInt32(total)
      if total == 0 { e.type = 0 }
      setEntry(task, name, e)
      freeEntryIfEmpty(task, name)
      return KernReturn.success

    case .send:
      guard e.has(PortType.send) else { return KernReturn.invalidRight }
      // ipc_right_delta checks the delta before it notices that the port died.
      let total = Int64(e.urefs) + Int64(delta)
      guard total >= 0 else { return KernReturn.invalidValue }
      guard total <= Int64(MachPort.sendUrefsMax) else { return KernReturn.urefsOverflow }
      if checkRight(task, name) { return KernReturn.invalidRight }
      if delta == 0 { return KernReturn.success }
      if delta > 0 {
        e.urefs = UInt32(total)
        setEntry(task, name, e)
        return KernReturn.success
      }
      return dropSendUrefs(task, name, by: UInt32(-Int64(delta)))
    }
  }

  // MARK: - Receive-right settings

  /// mach_port_set_qlimit: at most 16 (KERN_INVALID_VALUE past it); raising the limit wakes
  /// as many blocked senders as the limit grew (`ipc_port_set_qlimit`).
  public mutating func portSetQlimit(_ task: TaskIndex, _ name: PortName, qlimit: UInt32) -> ReturnCode {
    guard spaceIsUsable(task) else { return KernReturn.invalidTask }
    // mach_port_set_qlimit checks the limit before it looks up the name.
    guard qlimit <= MachPort.qlimitMax else { return KernReturn.invalidValue }
    return onReceiveRight(task, name) { k, o in
      let old = k.objects[Int(o)].qlimit
      if qlimit > old {
        for _ in 0..<(qlimit - old) { k.wakeOneSender(o) }
      }
      k.objects[Int(o)].qlimit = qlimit
      return KernReturn.success
    }
  }

  public mutating func portSetMscount(_ task: TaskIndex, _ name: PortName, mscount: UInt32) -> ReturnCode {
    onReceiveRight(task, name) { k, o in
      k.objects[Int(o)].makeSendCount = mscount
      return KernReturn.success
    }
  }

  /// mach_port_set_protected_payload (3221, §1.6): messages received through the port now
  /// carry `payload` in the local-port slot, with MACH_MSG_TYPE_PROTECTED_PAYLOAD.
  public mutating func portSetProtectedPayload(_ task: TaskIndex, _ name: PortName, payload: UInt32) -> ReturnCode {
    onReceiveRight(task, name) { k, o in
      k.objects[Int(o)].hasProtectedPayload = true
      k.objects[Int(o)].protectedPayload = payload
      return KernReturn.success
    }
  }

  /// mach_port_clear_protected_payload (3222): received messages name the port again.
  public mutating func portClearProtectedPayload(_ task: TaskIndex, _ name: PortName) -> ReturnCode {
    onReceiveRight(task, name) { k, o in
      k.objects[Int(o)].hasProtectedPayload = false
      k.objects[Int(o)].protectedPayload = 0
      return KernReturn.success
    }
  }

  public mutating func portSetSeqno(_ task: TaskIndex, _ name: PortName, seqno: UInt32) -> ReturnCode {
    onReceiveRight(task, name) { k, o in
      k.objects[Int(o)].seqno = seqno
      return KernReturn.success
    }
  }

  /// Runs `body` on the live receive right under `name`, or answers GNU Mach's error for it.
  private mutating func onReceiveRight(
    _ task: TaskIndex, _ name: PortName, _ body: (inout Kernel, ObjectIndex) -> ReturnCode
  ) -> ReturnCode {
    switch receiveRight(task, name) {
    case .failure(let e): return e.code
    case .success(let o): return body(&self, o)
    }
  }

  /// The number of send rights to the port whose receive right is `name` in `task` (the
  /// kernel's `ip_srights`, which no routine reports), or nil if `name` is not a receive right.
  /// A debugger's view, for `info queue` and for tests.
  public func sendRightCount(_ task: TaskIndex, _ name: PortName) -> UInt32? {
    guard case .success(let o) = receiveRight(task, name) else { return nil }
    return objects[Int(o)].sendRights
  }

  /// mach_port_get_receive_status.
  public func portGetReceiveStatus(_ task: TaskIndex, _ name: PortName) -> (ReturnCode, PortStatus?) {
    switch receiveRight(task, name) {
    case .failure(let e): return (e.code, nil)
    case .success(let o):
      let p = objects[Int(o)]
      var setName = MachPort.null
      if p.portSet >= 0, case .task(_, let n) = objects[Int(p.portSet)].receiver { setName = n }
      return (
        KernReturn.success,
        PortStatus(
          portSet: setName, seqno: p.seqno, makeSendCount: p.makeSendCount, qlimit: p.qlimit,
          messageCount: p.messageCount, sendOnceRights: p.sendOnceRights, sendRights: p.sendRights > 0 ? 1 : 0,
          hasPortDestroyedRequest: p.portDestroyedNotify >= 0, hasNoSendersRequest: p.noSendersNotify >= 0)
      )
    }
  }

  // MARK: - Port sets

  /// mach_port_get_set_status: the names of the set's members in this space, ascending.
  public func portGetSetStatus(_ task: TaskIndex, _ name: PortName) -> (ReturnCode, [PortName]) {
    guard spaceIsUsable(task) else { return (KernReturn.invalidTask, []) }
    guard let e = entry(task, name) else { return (KernReturn.invalidName, []) }
    guard e.has(PortType.portSet) else { return (KernReturn.invalidRight, []) }
    let members = tasks[Int(task)].space.names.filter {
      guard let m = entry(task, $0), m.has(PortType.receive) else { return false }
      return objects[Int(m.object)].portSet == e.object
    }
    return (KernReturn.success, members)
  }

  /// mach_port_move_member: puts the receive right `member` into the set `after`, or takes it
  /// out of its set when `after` is MACH_PORT_NULL (KERN_NOT_IN_SET if it is in none).
  public mutating func portMoveMember(_ task: TaskIndex, _ member: PortName, after: PortName) -> ReturnCode {
    guard spaceIsUsable(task) else { return KernReturn.invalidTask }
    guard let m = entry(task, member) else { return KernReturn.invalidName }
    guard m.has(PortType.receive) else { return KernReturn.invalidRight }
    var set: ObjectIndex = -1
    if after != MachPort.null {
      guard let s = entry(task, after) else { return KernReturn.invalidName }
      guard s.has(PortType.portSet) else { return KernReturn.invalidRight }
      set = s.object
    }
    let o = m.object
    if set < 0 {
      guard objects[Int(o)].portSet >= 0 else { return KernReturn.notInSet }
      removeFromSet(o)
      return KernReturn.success
    }
    // ipc_pset_move: "the port is already in the new set: a noop" (its messages keep their place).
    guard objects[Int(o)].portSet != set else { return KernReturn.success }
    removeFromSet(o)
    addToSet(o, set)
    return KernReturn.success
  }

  // MARK: - Notifications

  /// mach_port_request_notification with `notify` a send-once right the kernel now holds
  /// (-1 for none). Returns the previous send-once right registered for the same thing
  /// (-1 for none), which the caller now owns.
  /// - MACH_NOTIFY_NO_SENDERS (receive right): fires at once when there are no senders and
  ///   the make-send count has reached `sync`; else when the last send right goes.
  /// - MACH_NOTIFY_PORT_DESTROYED (receive right, `sync` 0): the receive right goes to
  ///   `notify` instead of dying.
  /// - MACH_NOTIFY_DEAD_NAME (send, send-once or receive right): a dead-name notification
  ///   when the port dies; on a name already dead, with `sync` non-zero, at once (one more
  ///   uref).
  public mutating func portRequestNotification(
    _ task: TaskIndex, _ name: PortName, id: Int32, sync: UInt32, notify: ObjectIndex
  ) -> (ReturnCode, previous: ObjectIndex) {
    guard spaceIsUsable(task) else { return (KernReturn.invalidTask, -1) }
    switch id {
    case NotifyID.noSenders:
      guard let e = entry(task, name) else { return (KernReturn.invalidName, -1) }
      guard e.has(PortType.receive) else { return (KernReturn.invalidRight, -1) }
      let o = e.object
      let previous = objects[Int(o)].noSendersNotify
      if objects[Int(o)].sendRights == 0 && sync <= objects[Int(o)].makeSendCount && notify >= 0 {
        objects[Int(o)].noSendersNotify = -1
        sendNotification(to: notify, id: NotifyID.noSenders, .count(objects[Int(o)].makeSendCount))
      } else {
        objects[Int(o)].noSendersNotify = notify
        objects[Int(o)].noSendersSync = sync
      }
      return (KernReturn.success, previous)

    case NotifyID.portDestroyed:
      // mach_port_request_notification checks `sync` before it looks up the name.
      guard sync == 0 else { return (KernReturn.invalidValue, -1) }
      guard let e = entry(task, name) else { return (KernReturn.invalidName, -1) }
      guard e.has(PortType.receive) else { return (KernReturn.invalidRight, -1) }
      let previous = objects[Int(e.object)].portDestroyedNotify
      objects[Int(e.object)].portDestroyedNotify = notify
      return (KernReturn.success, previous)

    case NotifyID.deadName:
      guard entry(task, name) != nil else { return (KernReturn.invalidName, -1) }
      checkRight(task, name)
      var e = entry(task, name)!
      if e.has(PortType.send | PortType.sendOnce | PortType.receive) {
        let o = e.object
        // ipc_right_dnrequest: the old request's slot goes back to the free list's head, so
        // the new request takes the same slot; a full table that cannot grow is
        // KERN_RESOURCE_SHORTAGE (ipc_port_dngrow), with the old request left in place.
        let previous = e.hasDeadNameRequest ? objects[Int(o)].deadNameRequests.remove(task: task, name: name) : -1
        if notify >= 0
          && !objects[Int(o)].deadNameRequests.insert(DeadNameRequest(task: task, name: name, notify: notify))
        {
          return (KernReturn.resourceShortage, -1)
        }
        e.hasDeadNameRequest = notify >= 0
        setEntry(task, name, e)
        return (KernReturn.success, previous)
      }
      if e.has(PortType.deadName) && sync != 0 && notify >= 0 {
        guard e.urefs < MachPort.urefsMax else { return (KernReturn.urefsOverflow, -1) }
        e.urefs += 1
        setEntry(task, name, e)
        sendNotification(to: notify, id: NotifyID.deadName, .name(name))
        return (KernReturn.success, -1)
      }
      // ipc_right_dnrequest: a dead name without `sync` or a notify port, or any name that
      // holds a port right, is KERN_INVALID_ARGUMENT; only a name with neither (a port set)
      // is KERN_INVALID_RIGHT.
      return (e.has(PortType.deadName) ? KernReturn.invalidArgument : KernReturn.invalidRight, -1)

    default:
      return (KernReturn.invalidValue, -1)
    }
  }

  // MARK: - Moving rights between spaces

  /// mach_port_insert_right: puts the kernel-held right `o` (carried as `carriedType`) under
  /// `name` in `task`. The same port's send right under that name gains a uref; the port's
  /// rights under another name give KERN_RIGHT_EXISTS (checked before the name); any other
  /// right under the name gives KERN_NAME_EXISTS; a null or dead right KERN_INVALID_CAPABILITY.
  /// On error the right stays with the caller (the kernel), to be released by it.
  public mutating func portInsertRight(
    _ task: TaskIndex, _ name: PortName, right o: ObjectIndex, carriedType: UInt32
  ) -> ReturnCode {
    guard spaceIsUsable(task) else { return KernReturn.invalidTask }
    guard MachPort.isValid(name) else { return KernReturn.invalidValue }
    guard o >= 0, objects[Int(o)].isActive else { return KernReturn.invalidCapability }
    // ipc_object_copyout_name: a send or receive right finds the port's rights in the space
    // first (`ipc_right_reverse`): under another name that is KERN_RIGHT_EXISTS, whatever is
    // under `name`; under `name` the right joins them. Only then is a taken name
    // KERN_NAME_EXISTS.
    if carriedType != MsgType.portSendOnce, let held = tasks[Int(task)].space.name(of: o) {
      guard held == name, var e = entry(task, name) else { return KernReturn.rightExists }
      if carriedType == MsgType.portSend {
        if e.has(PortType.send) {
          guard e.urefs < MachPort.sendUrefsMax else { return KernReturn.urefsOverflow }  // ipc_right_copyout
          e.urefs += 1
          objects[Int(o)].sendRights -= 1
        } else {
          e.type |= PortType.send
          e.urefs = 1
        }
        setEntry(task, name, e)
        return KernReturn.success
      }
      guard !e.has(PortType.receive) else { return KernReturn.rightExists }
      e.type |= PortType.receive
      setEntry(task, name, e)
      objects[Int(o)].receiver = .task(task, name: name)
      objects[Int(o)].destination = -1
      return KernReturn.success
    }
    guard entry(task, name) == nil else { return KernReturn.nameExists }
    switch carriedType {
    case MsgType.portSend:
      tasks[Int(task)].space.install(
        name, Entry(type: PortType.send, urefs: 1, object: o, hasDeadNameRequest: false, hasMsgAcceptedRequest: false))
      tasks[Int(task)].space.setName(name, of: o)
    case MsgType.portSendOnce:
      tasks[Int(task)].space.install(
        name,
        Entry(type: PortType.sendOnce, urefs: 1, object: o, hasDeadNameRequest: false, hasMsgAcceptedRequest: false))
    default:
      tasks[Int(task)].space.install(
        name,
        Entry(type: PortType.receive, urefs: 0, object: o, hasDeadNameRequest: false, hasMsgAcceptedRequest: false))
      tasks[Int(task)].space.setName(name, of: o)
      objects[Int(o)].receiver = .task(task, name: name)
      objects[Int(o)].destination = -1
    }
    return KernReturn.success
  }

  /// mach_port_extract_right: takes the right `disposition` (a MACH_MSG_TYPE_* port
  /// disposition) of `name` out of `task`'s space into the kernel, as a message would.
  /// Returns the object (-1 for a dead name) and the type it is carried as.
  public mutating func portExtractRight(
    _ task: TaskIndex, _ name: PortName, disposition: UInt32
  ) -> (ReturnCode, object: ObjectIndex, carriedType: UInt32) {
    guard spaceIsUsable(task) else { return (KernReturn.invalidTask, -1, 0) }
    guard MsgType.isPort(disposition) else { return (KernReturn.invalidValue, -1, 0) }
    guard entry(task, name) != nil else { return (KernReturn.invalidName, -1, 0) }
    guard let c = copyinRight(task, name, disposition, deadOK: true) else { return (KernReturn.invalidRight, -1, 0) }
    freeEntryIfEmpty(task, name)
    if c.deletedNotify >= 0 { sendNotification(to: c.deletedNotify, id: NotifyID.portDeleted, .name(name)) }
    return (KernReturn.success, c.object, MsgType.carriedType(disposition))
  }

  /// Releases a right the kernel holds on a caller's behalf (a failed insert, an unused
  /// previous notification right...), with the consequences of `ipc_object_destroy`.
  public mutating func releaseKernelRight(_ o: ObjectIndex, carriedType: UInt32) {
    releaseRight(o, carriedType)
  }

  /// Gives `task` a kernel-held right, as message copy-out would, and returns its name
  /// (MACH_PORT_DEAD for a right to a dead port). Into a dead space the right is destroyed
  /// and the answer is MACH_PORT_NULL.
  public mutating func copyoutKernelRight(_ task: TaskIndex, _ o: ObjectIndex, carriedType: UInt32) -> PortName {
    guard o >= 0 else { return MachPort.dead }
    guard spaceIsUsable(task) else {
      releaseRight(o, carriedType)
      return MachPort.null
    }
    guard objects[Int(o)].isActive else {
      releaseRight(o, carriedType)
      return MachPort.dead
    }
    return copyoutRight(task, o, carriedType)
  }
}

/// A kern_return_t carried as an error.
public struct KernError: Error, Equatable, Sendable {
  public var code: ReturnCode
  public init(_ code: ReturnCode) { self.code = code }
}
