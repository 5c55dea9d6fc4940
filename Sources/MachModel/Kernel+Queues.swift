// Message queues, thread queues, and port sets (`ipc_mqueue_*`, `ipc_pset_*`);
// docs/gnumach.md §2.4, §2.6, §2.7.

extension Kernel {
  /// The object whose queue holds `o`'s messages: its set when it is in one.
  @inline(__always)
  func queueOwner(_ o: ObjectIndex) -> ObjectIndex {
    let s = objects[Int(o)].portSet
    return s >= 0 ? s : o
  }

  /// `ipc_mqueue_send` past the queue-limit check: counts `k` on its live destination `o`
  /// (`ip_msgcount++`), then hands it off or queues it.
  @inline(__always)
  mutating func enqueue(_ k: Int32, on o: ObjectIndex) {
    objects[Int(o)].messageCount += 1
    handOffOrQueue(k, on: o)
  }

  /// Hands `k` to the first receiver waiting on `o`'s queue whose buffer is large enough,
  /// stamping the port's seqno; receivers with a smaller MACH_RCV_LARGE buffer are woken with
  /// MACH_RCV_TOO_LARGE and the size on the way. With no such receiver, queues it at the
  /// tail. The message stays counted in `o`'s `messageCount` until the receiver resumes.
  mutating func handOffOrQueue(_ k: Int32, on o: ObjectIndex) {
    let q = queueOwner(o)
    let size = UInt32(kmsgs[Int(k)].size)
    while let r = popThread(.receivers, of: q) {
      cancelTimer(r)
      if size <= threads[Int(r)].waitSize {
        threads[Int(r)].kmsg = k
        threads[Int(r)].waitResult = MachMsgReturn.success
        threads[Int(r)].seqno = objects[Int(o)].seqno
        objects[Int(o)].seqno &+= 1
        makeRunnable(r)
        return
      }
      threads[Int(r)].waitResult = MachMsgReturn.rcvTooLarge
      threads[Int(r)].waitSize = size
      makeRunnable(r)
    }
    appendMessage(k, to: q)
  }

  /// The end of `ipc_mqueue_receive`: a dequeued (or handed-off) message leaves its live
  /// port's count, which may let one blocked sender retry.
  mutating func uncount(_ k: Int32) {
    guard !kmsgs[Int(k)].isExceptionHandOff else { return }
    let o = destination(of: k)
    guard o >= 0, objects[Int(o)].isActive else { return }
    objects[Int(o)].messageCount -= 1
    if objects[Int(o)].messageCount < objects[Int(o)].qlimit { wakeOneSender(o) }
  }

  @inline(__always)
  mutating func appendMessage(_ k: Int32, to q: ObjectIndex) {
    kmsgs[Int(k)].next = -1
    let tail = objects[Int(q)].queue.tail
    if tail >= 0 { kmsgs[Int(tail)].next = k } else { objects[Int(q)].queue.head = k }
    objects[Int(q)].queue.tail = k
  }

  /// Removes and returns the head of `q`'s queue.
  @inline(__always)
  mutating func popMessage(_ q: ObjectIndex) -> Int32? {
    let k = objects[Int(q)].queue.head
    guard k >= 0 else { return nil }
    objects[Int(q)].queue.head = kmsgs[Int(k)].next
    if objects[Int(q)].queue.head < 0 { objects[Int(q)].queue.tail = -1 }
    kmsgs[Int(k)].next = -1
    return k
  }

  /// Removes from `q`'s queue every message destined to `port`, in order.
  mutating func takeMessages(of port: ObjectIndex, from q: ObjectIndex) -> [Int32] {
    var taken: [Int32] = []
    var kept: [Int32] = []
    while let k = popMessage(q) {
      if Self.object(at: kmsgs[Int(k)].bytes.word(at: MsgHeader.remoteOffset)) == port {
        taken.append(k)
      } else {
        kept.append(k)
      }
    }
    for k in kept { appendMessage(k, to: q) }
    return taken
  }

  /// The destination object of a queued message.
  @inline(__always)
  func destination(of k: Int32) -> ObjectIndex {
    Self.object(at: kmsgs[Int(k)].bytes.word(at: MsgHeader.remoteOffset)) ?? -1
  }

  // MARK: - Thread queues

  /// The thread queues a port or set keeps.
  enum WaitQueue {
    /// Threads blocked receiving on the object.
    case receivers
    /// Threads blocked sending to the port (full queue).
    case senders
  }

  @inline(__always)
  private func queue(_ which: WaitQueue, _ o: ObjectIndex) -> ThreadQueue {
    which == .receivers ? objects[Int(o)].receivers : objects[Int(o)].blockedSenders
  }

  @inline(__always)
  private mutating func setQueue(_ which: WaitQueue, _ o: ObjectIndex, _ q: ThreadQueue) {
    if which == .receivers { objects[Int(o)].receivers = q } else { objects[Int(o)].blockedSenders = q }
  }

  mutating func pushThread(_ t: ThreadIndex, on which: WaitQueue, of o: ObjectIndex) {
    var q = queue(which, o)
    link(t, at: &q)
    setQueue(which, o, q)
  }

  /// Puts `t` back at the head of a queue (a receiver passed over by the exception fast path).
  mutating func pushThreadFirst(_ t: ThreadIndex, on which: WaitQueue, of o: ObjectIndex) {
    var q = queue(which, o)
    threads[Int(t)].next = q.head
    q.head = t
    if q.tail < 0 { q.tail = t }
    setQueue(which, o, q)
  }

  @inline(__always)
  mutating func popThread(_ which: WaitQueue, of o: ObjectIndex) -> ThreadIndex? {
    var q = queue(which, o)
    let t = unlinkFirst(&q)
    setQueue(which, o, q)
    return t
  }

  @discardableResult
  mutating func removeThread(_ t: ThreadIndex, from which: WaitQueue, of o: ObjectIndex) -> Bool {
    var q = queue(which, o)
    let found = unlink(t, from: &q)
    setQueue(which, o, q)
    return found
  }

  /// Appends `t` to a queue held outside `self` (callers copy the queue out and back).
  mutating func link(_ t: ThreadIndex, at queue: inout ThreadQueue) {
    threads[Int(t)].next = -1
    if queue.tail >= 0 { threads[Int(queue.tail)].next = t } else { queue.head = t }
    queue.tail = t
  }

  @inline(__always)
  mutating func unlinkFirst(_ queue: inout ThreadQueue) -> ThreadIndex? {
    let t = queue.head
    guard t >= 0 else { return nil }
    queue.head = threads[Int(t)].next
    if queue.head < 0 { queue.tail = -1 }
    threads[Int(t)].next = -1
    return t
  }

  mutating func unlink(_ t: ThreadIndex, from queue: inout ThreadQueue) -> Bool {
    var previous: ThreadIndex = -1
    var cursor = queue.head
    while cursor >= 0 {
      if cursor == t {
        let next = threads[Int(t)].next
        if previous >= 0 { threads[Int(previous)].next = next } else { queue.head = next }
        if queue.tail == t { queue.tail = previous }
        threads[Int(t)].next = -1
        return true
      }
      previous = cursor
      cursor = threads[Int(cursor)].next
    }
    return false
  }

  /// The threads in a queue, in order.
  func threadsIn(_ queue: ThreadQueue) -> [ThreadIndex] {
    var result: [ThreadIndex] = []
    var cursor = queue.head
    while cursor >= 0 {
      result.append(cursor)
      cursor = threads[Int(cursor)].next
    }
    return result
  }

  /// Wakes every receiver waiting on object `q` with `code` (`ipc_mqueue_changed`).
  mutating func wakeReceivers(of q: ObjectIndex, with code: ReturnCode) {
    while let r = popThread(.receivers, of: q) {
      cancelTimer(r)
      threads[Int(r)].waitResult = code
      makeRunnable(r)
    }
  }

  /// Wakes the first sender blocked on `o` to retry (`ipc_mqueue_receive` after a dequeue).
  mutating func wakeOneSender(_ o: ObjectIndex) {
    if let s = popThread(.senders, of: o) {
      cancelTimer(s)
      threads[Int(s)].waitResult = MachMsgReturn.success
      makeRunnable(s)
    }
  }

  // MARK: - Port sets

  /// `ipc_pset_add`: receivers waiting on the port itself get MACH_RCV_PORT_CHANGED, and the
  /// port's queued messages move to the set (handed to the set's waiting receivers first).
  mutating func addToSet(_ o: ObjectIndex, _ set: ObjectIndex) {
    wakeReceivers(of: o, with: MachMsgReturn.rcvPortChanged)
    var moved: [Int32] = []
    while let k = popMessage(o) { moved.append(k) }
    objects[Int(o)].portSet = set
    for k in moved { handOffOrQueue(k, on: o) }  // ipc_mqueue_move: still counted on the port
  }

  /// `ipc_pset_remove`: the port's messages move back from the set's queue to its own.
  mutating func removeFromSet(_ o: ObjectIndex) {
    let set = objects[Int(o)].portSet
    guard set >= 0 else { return }
    let moved = takeMessages(of: o, from: set)
    objects[Int(o)].portSet = -1
    for k in moved { appendMessage(k, to: o) }
  }

  /// `ipc_pset_destroy`: members leave, receivers waiting on the set get MACH_RCV_PORT_DIED.
  mutating func destroySet(_ set: ObjectIndex) {
    for i in objects.indices where objects[i].portSet == set && !objects[i].isSet {
      removeFromSet(ObjectIndex(i))
    }
    wakeReceivers(of: set, with: MachMsgReturn.rcvPortDied)
    objects[Int(set)].isActive = false
    reclaimIfUnreferenced(set)
  }
}
