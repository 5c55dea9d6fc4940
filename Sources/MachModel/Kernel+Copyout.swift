// Translating a kernel message into a receiver's names (`ipc_kmsg_copyout_header/body`,
// `_dest`, `_pseudo`), and destroying messages (`ipc_kmsg_destroy`, `ipc_kmsg_clean`);
// docs/gnumach.md §1.1, §1.2, §1.5, §2.3.

extension Kernel {
  /// Copies out the header of `k` into `task`'s space, reversing it as GNU Mach does: the
  /// reply right becomes the remote port, the destination becomes the local port (the
  /// receiver's name for its receive right, DEAD if the port died, NULL if the right moved
  /// on), and the right that carried the message is consumed. Answers MACH_RCV_HEADER_ERROR
  /// with nothing changed when a dead-name request cannot be made.
  mutating func copyoutHeader(_ k: Int32, to task: TaskIndex, deadNameNotify: ObjectIndex = -1) -> ReturnCode {
    let bits = kmsgs[Int(k)].bits
    let destType = MsgHeader.remote(bits)
    let replyType = MsgHeader.local(bits)
    let destAddress = kmsgs[Int(k)].bytes.word(at: MsgHeader.remoteOffset)
    let replyAddress = kmsgs[Int(k)].bytes.word(at: MsgHeader.localOffset)

    var replyName = replyAddress
    if let r = Self.object(at: replyAddress) {
      if objects[Int(r)].isActive {
        // MACH_RCV_NOTIFY: a reply right that lands under a new name gets a dead-name request
        // to the notify port; a send right the receiver already holds does not.
        let reused =
          deadNameNotify >= 0 && replyType != MsgType.portSendOnce && tasks[Int(task)].space.name(of: r) != nil
        // A request table that cannot grow fails the header before anything moves
        // (ipc_port_dngrow's KERN_RESOURCE_SHORTAGE in ipc_kmsg_copyout_header).
        if deadNameNotify >= 0 && !reused && objects[Int(r)].deadNameRequests.isFull {
          return MachMsgReturn.rcvHeaderError | MachMsgReturn.ipcKernel
        }
        replyName = copyoutRight(task, r, replyType)
        if deadNameNotify >= 0 && !reused && MachPort.isValid(replyName), var e = entry(task, replyName) {
          objects[Int(deadNameNotify)].sendOnceRights += 1  // ipc_port_make_sonce
          _ = objects[Int(r)].deadNameRequests.insert(
            DeadNameRequest(task: task, name: replyName, notify: deadNameNotify))
          e.hasDeadNameRequest = true
          setEntry(task, replyName, e)
        }
      } else {
        releaseRight(r, replyType)
        replyName = MachPort.dead
      }
    }
    // exception_raise's hand-off does its own copy-out of the destination (the "optimized
    // ipc_object_copyout_dest" of kern/exception.c), which gives the receive right's name even
    // when the port has a protected payload.
    let (destName, localType) = copyoutDestination(
      destAddress, destType, to: task, payload: !kmsgs[Int(k)].isExceptionHandOff)
    let newBits =
      (bits & MsgHeader.otherMask & ~MsgHeader.circularBit)
      | MsgHeader.bits(remote: replyType, local: localType)
    kmsgs[Int(k)].bytes.setHeaderPorts(bits: newBits, remote: replyName, local: destName)
    return MachMsgReturn.success
  }

  /// `ipc_object_copyout_dest`: consumes the destination right the message carried and
  /// answers the name the receiver knows the port by (its receive right's name; MACH_PORT_DEAD
  /// if the port died, null if the receiver does not hold the receive right), with the local
  /// type. With `payload`, a port with a protected payload answers the payload instead
  /// (`ipc_kmsg_copyout_header`).
  private mutating func copyoutDestination(
    _ address: UInt32, _ destType: UInt32, to task: TaskIndex, payload: Bool
  ) -> (PortName, UInt32) {
    guard let d = Self.object(at: address) else { return (MachPort.null, destType) }
    var destName = MachPort.null
    var localType = destType
    if !objects[Int(d)].isActive {
      destName = MachPort.dead
    } else if payload && objects[Int(d)].hasProtectedPayload {
      destName = objects[Int(d)].protectedPayload
      localType = MsgType.protectedPayload
    } else if case .task(let owner, let name) = objects[Int(d)].receiver, owner == task {
      destName = name
    }
    if destType == MsgType.portSend {
      releaseSend(d)
    } else {
      objects[Int(d)].sendOnceRights -= 1
      reclaimIfUnreferenced(d)
    }
    return (destName, localType)
  }

  /// Copies out the body of `k` into `task`: rights get names in the receiver's space (DEAD
  /// for a port that died in transit), out-of-line regions get addresses in its map (with
  /// `msgt_deallocate` set; 0 and size 0 when the map is full).
  mutating func copyoutBody(_ k: Int32, to task: TaskIndex) {
    guard kmsgs[Int(k)].bits & MsgHeader.complexBit != 0 else { return }
    let end = kmsgs[Int(k)].size
    var offset = MsgHeader.size
    var oolIndex = 0
    while offset < end {
      guard case .success(let d) = TypeDescriptor.parse(kmsgs[Int(k)].bytes, at: offset, end: end) else { return }
      let data = offset + d.descriptorLength
      if !d.isInline {
        var copy = kmsgs[Int(k)].outOfLine[oolIndex]
        oolIndex += 1
        if d.isPort { copy.bytes = copyoutPortArray(copy.bytes, d.name, to: task) }
        var word = kmsgs[Int(k)].bytes.word(at: offset) | (1 << 30)
        if copy.size == 0 {
          kmsgs[Int(k)].bytes.setWord(0, at: data)
        } else if let address = tasks[Int(task)].map.allocate(size: copy.size, contents: copy.bytes) {
          kmsgs[Int(k)].bytes.setWord(address, at: data)
        } else {
          // No room in the receiver's map: address 0, size 0 (the rights are gone).
          kmsgs[Int(k)].bytes.setWord(0, at: data)
          if d.isLongForm {
            let w = kmsgs[Int(k)].bytes.word(at: offset + 4)
            kmsgs[Int(k)].bytes.setWord(w & 0xffff, at: offset + 4)
          } else {
            word &= ~0xff00
          }
        }
        kmsgs[Int(k)].bytes.setWord(word, at: offset)
      } else if d.isPort {
        for i in 0..<Int(d.number) {
          let at = data + 4 * i
          guard let o = Self.object(at: kmsgs[Int(k)].bytes.word(at: at)) else { continue }
          let name: PortName
          if objects[Int(o)].isActive {
            name = copyoutRight(task, o, d.name)
          } else {
            releaseRight(o, d.name)
            name = MachPort.dead
          }
          kmsgs[Int(k)].bytes.setWord(name, at: at)
        }
      }
      offset = data + d.bodyDataLength
    }
  }

  /// Turns the kernel addresses of an out-of-line port array into names in `task`.
  mutating func copyoutPortArray(_ addresses: [UInt8], _ carriedType: UInt32, to task: TaskIndex) -> [UInt8] {
    var names: [UInt8] = []
    for i in 0..<addresses.count / 4 {
      let word = addresses.word(at: 4 * i)
      guard let o = Self.object(at: word) else {
        names.appendWord(word)
        continue
      }
      if objects[Int(o)].isActive {
        names.appendWord(copyoutRight(task, o, carriedType))
      } else {
        releaseRight(o, carriedType)
        names.appendWord(MachPort.dead)
      }
    }
    return names
  }

  /// `ipc_kmsg_copyout_dest` (MACH_RCV_TOO_LARGE, MACH_RCV_INVALID_NOTIFY): the destination
  /// is copied out as the local port under the receive right's name (never a protected
  /// payload), the reply right and the whole body are destroyed, and the header alone is
  /// left, with the real `msgh_size`. The bits keep the reply's type,
  /// `MACH_MSGH_BITS(reply_type, dest_type)`, though the reply port is now null (a dead one
  /// stays MACH_PORT_DEAD).
  mutating func copyoutDestOnly(_ k: Int32, to task: TaskIndex) {
    let bits = kmsgs[Int(k)].bits
    let replyType = MsgHeader.local(bits)
    var replyName = kmsgs[Int(k)].bytes.word(at: MsgHeader.localOffset)
    if let r = Self.object(at: replyName) {
      releaseRight(r, replyType)
      replyName = MachPort.null
    }
    releaseBodyRights(k, upTo: kmsgs[Int(k)].size)
    let destAddress = kmsgs[Int(k)].bytes.word(at: MsgHeader.remoteOffset)
    let (destName, destType) = copyoutDestination(destAddress, MsgHeader.remote(bits), to: task, payload: false)
    let newBits =
      (bits & MsgHeader.otherMask & ~MsgHeader.circularBit) | MsgHeader.bits(remote: replyType, local: destType)
    kmsgs[Int(k)].bytes.setHeaderPorts(bits: newBits, remote: replyName, local: destName)
  }

  /// `ipc_kmsg_copyout_pseudo`: a send that failed after copy-in hands the message back with
  /// its rights copied out into the sender's space again, dispositions not reversed.
  mutating func copyoutPseudo(_ k: Int32, to task: TaskIndex) {
    let bits = kmsgs[Int(k)].bits
    for (offset, type) in [
      (MsgHeader.remoteOffset, MsgHeader.remote(bits)), (MsgHeader.localOffset, MsgHeader.local(bits)),
    ] {
      if let o = Self.object(at: kmsgs[Int(k)].bytes.word(at: offset)) {
        let name = objects[Int(o)].isActive ? copyoutRight(task, o, type) : MachPort.dead
        if !objects[Int(o)].isActive { releaseRight(o, type) }
        kmsgs[Int(k)].bytes.setWord(name, at: offset)
      }
    }
    kmsgs[Int(k)].bytes.setWord(bits & ~MsgHeader.circularBit, at: MsgHeader.bitsOffset)
    copyoutBody(k, to: task)
  }

  // MARK: - Destruction

  /// Destroys message `k` (`ipc_kmsg_destroy`): releases every right it carries (which may fire
  /// no-senders, send-once notifications, or destroy ports carried as receive rights) and
  /// frees the buffer. Destructions that happen while one is in progress are queued and done
  /// in order, as GNU Mach's `ipc_kmsg_destroy` queue does, so nesting never recurses.
  mutating func destroyMessage(_ k: Int32, reason: DestroyReason) {
    destroyedMessages[reason, default: 0] += 1
    pendingDestruction.append(k)
    guard !isDestroying else { return }
    isDestroying = true
    while let next = pendingDestruction.first {
      pendingDestruction.removeFirst()
      cleanMessage(next, bodyUpTo: kmsgs[Int(next)].size, includeHeader: true)
      freeKMsgBuffer(next)
    }
    isDestroying = false
  }

  /// Destroys a message whose body copy-in stopped at `copiedUpTo` (`ipc_kmsg_clean_partial`):
  /// the header rights and the body rights before that offset are released.
  mutating func destroyPartial(_ k: Int32, copiedUpTo: Int) {
    destroyedMessages[.bodyError, default: 0] += 1
    cleanMessage(k, bodyUpTo: copiedUpTo, includeHeader: true)
    freeKMsgBuffer(k)
  }

  private mutating func cleanMessage(_ k: Int32, bodyUpTo: Int, includeHeader: Bool) {
    let bits = kmsgs[Int(k)].bits
    if includeHeader {
      if let d = Self.object(at: kmsgs[Int(k)].bytes.word(at: MsgHeader.remoteOffset)) {
        releaseRight(d, MsgHeader.remote(bits))
      }
      if let r = Self.object(at: kmsgs[Int(k)].bytes.word(at: MsgHeader.localOffset)) {
        releaseRight(r, MsgHeader.local(bits))
      }
    }
    releaseBodyRights(k, upTo: bodyUpTo)
    let notify = kmsgs[Int(k)].acceptedNotify
    if notify >= 0 {
      kmsgs[Int(k)].acceptedNotify = -1
      clearMsgAcceptedRequest(kmsgs[Int(k)].sender, kmsgs[Int(k)].acceptedName)
      notifySendOnce(notify)
    }
  }

  /// Releases the rights in the body of `k` whose slots lie before `upTo` (those copied in),
  /// including those in out-of-line port arrays.
  mutating func releaseBodyRights(_ k: Int32, upTo: Int) {
    guard kmsgs[Int(k)].bits & MsgHeader.complexBit != 0 else { return }
    let end = kmsgs[Int(k)].size
    var offset = MsgHeader.size
    var oolIndex = 0
    while offset < min(end, upTo) {
      guard case .success(let d) = TypeDescriptor.parse(kmsgs[Int(k)].bytes, at: offset, end: end) else { return }
      let data = offset + d.descriptorLength
      let type = MsgType.carriedType(d.name)
      if !d.isInline {
        if d.isPort, oolIndex < kmsgs[Int(k)].outOfLine.count {
          let addresses = kmsgs[Int(k)].outOfLine[oolIndex].bytes
          kmsgs[Int(k)].outOfLine[oolIndex].bytes = []
          for i in 0..<addresses.count / 4 {
            if let o = Self.object(at: addresses.word(at: 4 * i)) { releaseRight(o, type) }
          }
        }
        oolIndex += 1
      } else if d.isPort {
        for i in 0..<Int(d.number) where data + 4 * i < upTo {
          let at = data + 4 * i
          if let o = Self.object(at: kmsgs[Int(k)].bytes.word(at: at)) {
            kmsgs[Int(k)].bytes.setWord(MachPort.null, at: at)
            releaseRight(o, type)
          }
        }
      }
      offset = data + d.bodyDataLength
    }
  }

  mutating func clearMsgAcceptedRequest(_ task: TaskIndex, _ name: PortName) {
    guard task >= 0, var e = entry(task, name), e.hasMsgAcceptedRequest else { return }
    e.hasMsgAcceptedRequest = false
    setEntry(task, name, e)
  }

  // MARK: - Notifications

  /// What a notification carries after its header.
  enum NotifyBody {
    case none
    /// MACH_MSG_TYPE_PORT_NAME: port-deleted, msg-accepted, dead-name.
    case name(PortName)
    /// INTEGER_32: no-senders' make-send count.
    case count(UInt32)
    /// A receive right: port-destroyed.
    case receive(ObjectIndex)
  }

  /// Sends a notification through the send-once right `soright` (consumed), as
  /// `ipc_notify_*` does: bits MACH_MSGH_BITS(PORT_SEND_ONCE, 0), no reply port, sent with
  /// MACH_SEND_ALWAYS. Kernel messages are outside the budget, so this never fails.
  mutating func sendNotification(to soright: ObjectIndex, id: Int32, _ body: NotifyBody) {
    guard let k = allocKMsg(budgeted: false) else { return }
    var bytes = kmsgs[Int(k)].bytes
    kmsgs[Int(k)].bytes = []
    bytes.removeAll(keepingCapacity: true)
    var complex = false
    var words: [UInt32] = []
    switch body {
    case .none: break
    case .name(let n): words = [0x1001_200f, n]
    case .count(let c): words = [0x1001_2002, c]
    case .receive(let o):
      words = [0x1001_2010, Self.address(of: o)]
      complex = true
    }
    bytes.appendWord(MsgHeader.bits(remote: MsgType.portSendOnce, local: 0, complex: complex))
    bytes.appendWord(UInt32(MsgHeader.size + 4 * words.count))
    bytes.appendWord(Self.address(of: soright))
    bytes.appendWord(MachPort.null)
    bytes.appendWord(0)
    bytes.appendWord(UInt32(bitPattern: id))
    for w in words { bytes.appendWord(w) }
    kmsgs[Int(k)].bytes = bytes
    deliverFromKernel(k)
  }

  /// A message reached a dead port: "pretend it got sent and was then immediately destroyed".
  /// The destination right is dropped without a notification, as `ipc_mqueue_send` does, so
  /// that a send-once notification to a dead port cannot loop.
  mutating func discardForDeadDestination(_ k: Int32) {
    let o = destination(of: k)
    if o >= 0 {
      if MsgHeader.remote(kmsgs[Int(k)].bits) == MsgType.portSend {
        objects[Int(o)].sendRights -= 1
      } else {
        objects[Int(o)].sendOnceRights -= 1
      }
      kmsgs[Int(k)].bytes.setWord(MachPort.null, at: MsgHeader.remoteOffset)
      reclaimIfUnreferenced(o)
    }
    destroyMessage(k, reason: .deadDestination)
  }

  /// Queues a kernel-originated message (`ipc_mqueue_send_always`): no qlimit; a dead
  /// destination destroys it.
  mutating func deliverFromKernel(_ k: Int32) {
    guard let o = Self.object(at: kmsgs[Int(k)].bytes.word(at: MsgHeader.remoteOffset)) else {
      destroyMessage(k, reason: .deadDestination)
      return
    }
    if !objects[Int(o)].isActive {
      discardForDeadDestination(k)
    } else if case .kernel = objects[Int(o)].receiver {
      deliverToKernel(k, port: o)
    } else {
      enqueue(k, on: o)
    }
  }
}
