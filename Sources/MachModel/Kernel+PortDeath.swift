// The death of ports (`ipc_port_clear_receiver`, `ipc_port_destroy`); docs/gnumach.md §3,
// "Port death".

extension Kernel {
  /// `ipc_port_clear_receiver`: the receive right leaves its holder. The port leaves its set,
  /// threads receiving on it get MACH_RCV_PORT_DIED, and its make-send count and seqno reset.
  mutating func clearReceiver(_ o: ObjectIndex) {
    removeFromSet(o)
    wakeReceivers(of: o, with: MachMsgReturn.rcvPortDied)
    objects[Int(o)].makeSendCount = 0
    objects[Int(o)].seqno = 0
    objects[Int(o)].hasProtectedPayload = false  // a payload belongs to the old receiver (§1.6)
    objects[Int(o)].protectedPayload = 0
  }

  /// The receive right of `o` is destroyed (`ipc_port_destroy`). With a port-destroyed
  /// request the right goes to the backup instead (unless that would be circular). Otherwise
  /// the port dies: blocked senders wake and see a dead destination, a pending no-senders
  /// request gets a send-once notification, queued messages are destroyed, and every
  /// dead-name request gets its dead-name notification. Other holders' rights turn into dead
  /// names lazily.
  mutating func destroyPort(_ o: ObjectIndex) {
    guard objects[Int(o)].isActive else { return }
    if case .task = objects[Int(o)].receiver { clearReceiver(o) }
    let backup = objects[Int(o)].portDestroyedNotify
    if backup >= 0 {
      objects[Int(o)].portDestroyedNotify = -1
      objects[Int(o)].receiver = .inTransit
      objects[Int(o)].destination = -1
      if !isCircular(receive: o, destination: backup) {
        sendNotification(to: backup, id: NotifyID.portDestroyed, .receive(o))
        return
      }
      objects[Int(backup)].sendOnceRights -= 1
      reclaimIfUnreferenced(backup)
    }
    objects[Int(o)].isActive = false
    while let s = popThread(.senders, of: o) {
      cancelTimer(s)
      threads[Int(s)].waitResult = MachMsgReturn.success
      makeRunnable(s)
    }
    let ns = objects[Int(o)].noSendersNotify
    if ns >= 0 {
      objects[Int(o)].noSendersNotify = -1
      notifySendOnce(ns)
    }
    while let k = popMessage(o) { destroyMessage(k, reason: .portDied) }
    objects[Int(o)].messageCount = 0
    // ipc_port_destroy notifies in the request table's slot order (see DeadNameTable).
    for r in objects[Int(o)].deadNameRequests.removeAll() {
      sendNotification(to: r.notify, id: NotifyID.deadName, .name(r.name))
    }
    reclaimIfUnreferenced(o)
  }
}
