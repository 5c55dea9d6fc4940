// Translating a message from the sender's names into kernel form: `ipc_kmsg_copyin_header`
// and `ipc_kmsg_copyin_body` (docs/gnumach.md §1.1, §1.2, §1.5, §1.7, §2.5).

extension Kernel {
  /// Copies in the header of kmsg `k` from `task`'s space. Atomic: on error nothing changed.
  /// On success the remote and local fields hold kernel addresses (or NULL/DEAD) and the bits
  /// hold the carried types.
  mutating func copyinHeader(_ k: Int32, from task: TaskIndex, notify: PortName) -> ReturnCode {
    let bits = kmsgs[Int(k)].bytes.word(at: MsgHeader.bitsOffset) & ~MsgHeader.circularBit
    let destName = kmsgs[Int(k)].bytes.word(at: MsgHeader.remoteOffset)
    let replyName = kmsgs[Int(k)].bytes.word(at: MsgHeader.localOffset)
    let destType = MsgHeader.remote(bits)
    let replyType = MsgHeader.local(bits)

    guard MsgType.isPortAnySend(destType),
      replyType == 0 ? replyName == MachPort.null : MsgType.isPortAnySend(replyType)
    else { return MachMsgReturn.sendInvalidHeader }
    guard tasks[Int(task)].space.isActive else { return MachMsgReturn.sendInvalidDest }
    // MACH_SEND_CANCEL: `notify` must name a receive right; a port-deleted notification the
    // destination's copy-in would send there is cancelled.
    var cancelled: ObjectIndex = -1
    if notify != MachPort.null {
      guard let n = entry(task, notify), n.has(PortType.receive) else { return MachMsgReturn.sendInvalidNotify }
      cancelled = n.object
    }

    // The common RPC header, a live send right for the destination and a receive right to make
    // the reply's send-once right from, under two names: what the general path below does for
    // it, without its lookups and rewrites (`mach_msg_trap`'s fast path in ipc/mach_msg.c
    // takes the same case, MACH_MSGH_BITS(COPY_SEND, MAKE_SEND_ONCE), by itself).
    if destType == MsgType.copySend, replyType == MsgType.makeSendOnce, destName != replyName, cancelled < 0,
      let d = entry(task, destName), d.has(PortType.send), objects[Int(d.object)].isActive,
      let r = entry(task, replyName), r.has(PortType.receive)
    {
      objects[Int(d.object)].sendRights += 1
      objects[Int(r.object)].sendOnceRights += 1
      let newBits = (bits & MsgHeader.otherMask) | MsgHeader.bits(remote: MsgType.portSend, local: MsgType.portSendOnce)
      kmsgs[Int(k)].bytes.setHeaderPorts(
        bits: newBits, remote: Self.address(of: d.object), local: Self.address(of: r.object))
      return MachMsgReturn.success
    }

    var dest: CopyinOutcome
    var reply = CopyinOutcome(object: -1)
    var replyAddress: UInt32

    if destName == replyName {
      // Destination and reply are the same name: the 25 combinations of ipc_kmsg_copyin_header.
      guard entry(task, destName) != nil else { return MachMsgReturn.sendInvalidDest }
      guard copyinCheck(task, replyName, replyType) else { return MachMsgReturn.sendInvalidReply }
      if destType == MsgType.moveSendOnce || replyType == MsgType.moveSendOnce {
        return MachMsgReturn.sendInvalidDest
      }
      let makes: Set<UInt32> = [MsgType.makeSend, MsgType.makeSendOnce]
      if makes.contains(destType) || makes.contains(replyType) {
        guard let d = copyinRight(task, destName, destType, deadOK: false) else { return MachMsgReturn.sendInvalidDest }
        dest = d
        reply = copyinRight(task, replyName, replyType, deadOK: true)!
      } else if destType == MsgType.copySend && replyType == MsgType.copySend {
        guard let d = copyinRight(task, destName, destType, deadOK: false) else { return MachMsgReturn.sendInvalidDest }
        dest = d
        objects[Int(d.object)].sendRights += 1
        reply = CopyinOutcome(object: d.object)
      } else if destType == MsgType.moveSend && replyType == MsgType.moveSend {
        // ipc_right_copyin_two: two send rights for one name, which needs two urefs.
        guard let e = entry(task, destName), e.has(PortType.send), e.urefs >= 2, !checkRight(task, destName),
          let d = copyinRight(task, destName, MsgType.moveSend, deadOK: false)
        else { return MachMsgReturn.sendInvalidDest }
        dest = d
        reply = copyinRight(task, destName, MsgType.moveSend, deadOK: false)!
      } else {
        // COPY_SEND with MOVE_SEND, either way round: one move, then duplicate it.
        guard let d = copyinRight(task, destName, MsgType.moveSend, deadOK: false) else {
          return MachMsgReturn.sendInvalidDest
        }
        if d.object >= 0 { objects[Int(d.object)].sendRights += 1 }
        dest = CopyinOutcome(object: d.object, deletedNotify: destType == MsgType.moveSend ? d.deletedNotify : -1)
        reply = CopyinOutcome(object: d.object, deletedNotify: destType == MsgType.moveSend ? -1 : d.deletedNotify)
      }
      freeEntryIfEmpty(task, destName)
      replyAddress = reply.object >= 0 ? Self.address(of: reply.object) : MachPort.dead
    } else if !MachPort.isValid(replyName) {
      // No reply port: just the destination.
      guard entry(task, destName) != nil,
        let d = copyinRight(task, destName, destType, deadOK: false)
      else { return MachMsgReturn.sendInvalidDest }
      dest = d
      freeEntryIfEmpty(task, destName)
      replyAddress = replyName
    } else {
      guard entry(task, destName) != nil else { return MachMsgReturn.sendInvalidDest }
      guard entry(task, replyName) != nil, copyinCheck(task, replyName, replyType) else {
        return MachMsgReturn.sendInvalidReply
      }
      guard let d = copyinRight(task, destName, destType, deadOK: false) else { return MachMsgReturn.sendInvalidDest }
      dest = d
      reply = copyinRight(task, replyName, replyType, deadOK: true)!
      freeEntryIfEmpty(task, destName)
      freeEntryIfEmpty(task, replyName)
      replyAddress = reply.object >= 0 ? Self.address(of: reply.object) : MachPort.dead
    }

    if dest.deletedNotify >= 0 && dest.deletedNotify == cancelled {
      objects[Int(cancelled)].sendOnceRights -= 1  // ipc_port_release_sonce: no notification
      reclaimIfUnreferenced(cancelled)
    } else if dest.deletedNotify >= 0 {
      sendNotification(to: dest.deletedNotify, id: NotifyID.portDeleted, .name(destName))
    }
    if reply.deletedNotify >= 0 {
      sendNotification(to: reply.deletedNotify, id: NotifyID.portDeleted, .name(replyName))
    }

    let newBits =
      (bits & MsgHeader.otherMask)
      | MsgHeader.bits(
        remote: MsgType.carriedType(destType), local: replyType == 0 ? 0 : MsgType.carriedType(replyType))
    kmsgs[Int(k)].bytes.setHeaderPorts(bits: newBits, remote: Self.address(of: dest.object), local: replyAddress)
    return MachMsgReturn.success
  }

  /// Copies in the body of kmsg `k` (already past header copy-in). Not atomic: on error the
  /// caller destroys the message with `destroyPartial`, which releases the header rights and
  /// the body rights copied so far. Returns the code and, on error, the offset reached.
  /// Clears the complex bit when the body carries nothing complex; sets CIRCULAR when a
  /// receive right would travel inside its own loop.
  mutating func copyinBody(_ k: Int32, from task: TaskIndex) -> (ReturnCode, copiedUpTo: Int) {
    let bits = kmsgs[Int(k)].bits
    guard bits & MsgHeader.complexBit != 0 else { return (MachMsgReturn.success, 0) }
    let end = kmsgs[Int(k)].size
    let destObject = Self.object(at: kmsgs[Int(k)].bytes.word(at: MsgHeader.remoteOffset)) ?? -1
    var offset = MsgHeader.size
    var complex = false
    var circular = false
    while offset < end {
      let parsed = TypeDescriptor.parse(kmsgs[Int(k)].bytes, at: offset, end: end)
      guard case .success(let d) = parsed else {
        let code = parsed == .failure(.truncated) ? MachMsgReturn.sendMsgTooSmall : MachMsgReturn.sendInvalidType
        return (code, offset)
      }
      let data = offset + d.descriptorLength
      if !d.isInline {
        complex = true
        let address = kmsgs[Int(k)].bytes.word(at: data)
        guard UInt64(d.inlineDataLength) <= UInt64(UInt32.max) else { return (MachMsgReturn.sendInvalidMemory, offset) }
        let length = UInt32(d.inlineDataLength)
        guard tasks[Int(task)].map.contains(address: address, size: length) else {
          return (MachMsgReturn.sendInvalidMemory, offset)
        }
        var bytes = tasks[Int(task)].map.read(address: address, size: length)
        if d.isPort {
          // An out-of-line port array: the names are read from the sender's memory.
          guard let addresses = copyinPortArray(bytes, count: Int(d.number), d.name, from: task) else {
            return (MachMsgReturn.sendInvalidRight, offset)
          }
          bytes = addresses
          setDescriptorName(k, at: offset, d, MsgType.carriedType(d.name))
        }
        if d.deallocate { tasks[Int(task)].map.deallocate(address: address, size: length) }
        kmsgs[Int(k)].outOfLine.append(OutOfLineCopy(size: length, bytes: bytes))
      } else if d.isPort {
        complex = true
        for i in 0..<Int(d.number) {
          let at = data + 4 * i
          let name = kmsgs[Int(k)].bytes.word(at: at)
          guard MachPort.isValid(name) else { continue }  // NULL and DEAD pass as they are
          guard entry(task, name) != nil, let c = copyinRight(task, name, d.name, deadOK: true) else {
            return (MachMsgReturn.sendInvalidRight, at)
          }
          freeEntryIfEmpty(task, name)
          if c.deletedNotify >= 0 { sendNotification(to: c.deletedNotify, id: NotifyID.portDeleted, .name(name)) }
          kmsgs[Int(k)].bytes.setWord(c.object >= 0 ? Self.address(of: c.object) : MachPort.dead, at: at)
          if d.name == MsgType.moveReceive, c.object >= 0 {
            objects[Int(c.object)].destination = destObject
            if destObject >= 0 && isCircular(receive: c.object, destination: destObject) { circular = true }
          }
        }
        // The descriptor now says what the rights are carried as.
        setDescriptorName(k, at: offset, d, MsgType.carriedType(d.name))
      }
      offset = data + d.bodyDataLength
    }
    var newBits = kmsgs[Int(k)].bits
    if !complex { newBits &= ~MsgHeader.complexBit }
    if circular { newBits |= MsgHeader.circularBit }
    kmsgs[Int(k)].bytes.setWord(newBits, at: MsgHeader.bitsOffset)
    return (MachMsgReturn.success, end)
  }

  /// Copies in every right named in an out-of-line port array, returning their kernel
  /// addresses; on the first name that cannot be copied in, releases those already taken and
  /// returns nil.
  mutating func copyinPortArray(_ names: [UInt8], count: Int, _ disposition: UInt32, from task: TaskIndex) -> [UInt8]? {
    var addresses: [UInt8] = []
    addresses.reserveCapacity(4 * count)
    var names = names  // memory reads leave out trailing zeros: put them back
    if names.count < 4 * count { names.append(contentsOf: repeatElement(0, count: 4 * count - names.count)) }
    for i in 0..<count {
      let name = names.word(at: 4 * i)
      guard MachPort.isValid(name) else {
        addresses.appendWord(name)
        continue
      }
      guard entry(task, name) != nil, let c = copyinRight(task, name, disposition, deadOK: true) else {
        for j in 0..<i {
          if let o = Self.object(at: addresses.word(at: 4 * j)) { releaseRight(o, MsgType.carriedType(disposition)) }
        }
        return nil
      }
      freeEntryIfEmpty(task, name)
      if c.deletedNotify >= 0 { sendNotification(to: c.deletedNotify, id: NotifyID.portDeleted, .name(name)) }
      addresses.appendWord(c.object >= 0 ? Self.address(of: c.object) : MachPort.dead)
    }
    return addresses
  }

  /// Rewrites the `msgt_name` of the descriptor at `offset`.
  mutating func setDescriptorName(_ k: Int32, at offset: Int, _ d: TypeDescriptor, _ name: UInt32) {
    if d.isLongForm {
      let w = kmsgs[Int(k)].bytes.word(at: offset + 4)
      kmsgs[Int(k)].bytes.setWord((w & 0xffff_0000) | name, at: offset + 4)
    } else {
      let w = kmsgs[Int(k)].bytes.word(at: offset)
      kmsgs[Int(k)].bytes.setWord((w & ~0xff) | name, at: offset)
    }
  }

  /// `ipc_port_check_circularity`: whether sending receive right `port` to `destination`
  /// closes a loop (the destination is the port itself, or is in transit towards it).
  @inline(__always)  // called from mutating code: a call would copy the whole kernel
  func isCircular(receive port: ObjectIndex, destination: ObjectIndex) -> Bool {
    var d = destination
    var steps = 0
    while d >= 0 && steps <= objects.count {
      if d == port { return true }
      guard case .inTransit = objects[Int(d)].receiver else { return false }
      d = objects[Int(d)].destination
      steps += 1
    }
    return false
  }
}
