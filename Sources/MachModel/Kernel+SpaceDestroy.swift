// Destroying a whole space (`ipc_space_destroy` → `ipc_right_clean` per entry), as task
// termination does; docs/gnumach.md §3, §4.

extension Kernel {
  /// Marks `task`'s space dead and cleans every entry in name order: port sets are destroyed,
  /// receive rights destroy their ports (or send them to a port-destroyed backup), send rights
  /// are released (which may fire no-senders), send-once rights send send-once notifications,
  /// and dead-name requests get port-deleted notifications. Afterwards the space is empty.
  public mutating func destroySpace(_ task: TaskIndex) {
    guard task >= 0, Int(task) < tasks.count, tasks[Int(task)].space.isActive else { return }
    tasks[Int(task)].space.isActive = false
    for name in tasks[Int(task)].space.names {
      guard var e = entry(task, name) else { continue }
      let type = e.type
      let o = e.object
      let deleted = cancelDeadNameRequest(task, name, &e)
      e.type = 0
      setEntry(task, name, e)
      freeName(task, name)
      if type & PortType.portSet != 0 {
        destroySet(o)
      } else if type & PortType.receive != 0 {
        let noSenders = type & PortType.send != 0 ? dropSendTakingNoSendersRequest(o) : nil
        clearReceiver(o)
        destroyPort(o)
        // ipc_right_clean: the port dies, then no-senders (then port-deleted, below).
        if let n = noSenders { sendNotification(to: n.notify, id: NotifyID.noSenders, .count(n.mscount)) }
      } else if type & PortType.sendRights != 0 {
        let isSend = type & PortType.send != 0
        if objects[Int(o)].isActive {
          if isSend { releaseSend(o) } else { notifySendOnce(o) }
        } else {
          if isSend { objects[Int(o)].sendRights -= 1 } else { objects[Int(o)].sendOnceRights -= 1 }
          reclaimIfUnreferenced(o)
        }
      }
      if deleted >= 0 { sendNotification(to: deleted, id: NotifyID.portDeleted, .name(name)) }
    }
  }
}
