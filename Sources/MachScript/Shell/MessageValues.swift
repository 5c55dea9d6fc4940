import MachModel
import MachTrace
import MigDefs

// Messages, MIG replies and trace records as values (docs/language.md, Values; docs/shell.md
// §8, §11).

extension Session {
  /// A received message as a value: names become port refs in the receiver's space. The
  /// body's items are made only when `.body` is read.
  func messageValue(_ bytes: [UInt8], in task: TaskIndex, retval: ReturnCode? = nil) -> MessageValue {
    guard let v = MessageView(bytes) else {  // no message where one was expected: say so, no trap
      return MessageValue(
        id: 0, size: UInt32(clamping: bytes.count), seqno: 0, dest: .nil, reply: .nil, complex: false, task: task,
        retval: retval, bytes: bytes)
    }
    var code = retval
    // A MIG reply: an id 100 above a request id, and one inline INTEGER_32 first.
    let expected = operations.takeExpectedReply(task: task, port: v.localPort, id: v.id)
    if code == nil, expected || intake.msgids.isReplyID(v.id), bytes.count >= 32, v.size >= 32,
      bytes.word(at: 24) == 0x1001_2002
    {
      code = ReturnCode(bitPattern: bytes.word(at: 28))
    }
    var m = MessageValue(
      id: v.id, size: v.size, seqno: v.seqno,
      // With a protected payload the local slot holds the payload, not a name.
      dest: v.localBits == MsgType.protectedPayload
        ? .int(Int64(v.localPort)) : MachPort.isValid(v.localPort) ? portValue(task, v.localPort) : .nil,
      // A reply right that died in transit arrives as MACH_PORT_DEAD (`ipc_kmsg_copyout_header`),
      // which a script must be able to tell from no reply port at all.
      reply: v.remotePort == MachPort.dead
        ? .int(Int64(MachPort.dead)) : MachPort.isValid(v.remotePort) ? portValue(task, v.remotePort) : .nil,
      complex: v.isComplex, task: task, retval: code, bytes: bytes)
    // A message of a routine of a loaded .defs file: its arguments by name, as far as the
    // body matches the declaration.
    if let (routine, isReply) = intake.definitions.routine(id: v.id) {
      let decoded = MigCodec.decode(bytes, as: routine, reply: isReply)
      let parameters = routine.arguments
      m.outputs = decoded.arguments.compactMap { named in
        parameters.first { $0.name == named.name }.map { (named.name, typedValue(named.item, for: $0, in: task)) }
      }
      m.routine = routine.name + (isReply ? "-reply" : "")
      if isReply { m.retval = decoded.retCode }
    }
    return m
  }

  /// The typed items of a received message, as values.
  func bodyValues(_ m: MessageValue) -> [Value] {
    guard let v = MessageView(m.bytes), v.size > UInt32(MsgHeader.size), case .success(let items) = v.items() else {
      return []
    }
    return items.map { itemValue(TraceItem($0), in: m.task) }
  }

  /// An item as a value: `type`, `number`, `value` (docs/shell.md §11).
  func itemValue(_ item: TraceItem, in task: TaskIndex?) -> Value {
    var fields: [(String, Value)] = [("type", .string(item.type)), ("number", .int(Int64(item.number)))]
    switch item.value {
    case .ints(let v):
      let values = v.map { Value.int($0) }
      let scalar = item.number == 1 && item.type != "byte" && item.type != "char"
      fields.append(("value", scalar ? values.first ?? .nil : .list(values)))
    case .string(let s): fields.append(("value", .string(s)))
    case .ports(let names, let right):
      let refs = names.map { name in
        guard let task, MachPort.isValid(name) else { return Value.int(Int64(name)) }
        return portValue(task, name)
      }
      fields.append(("value", refs.count == 1 ? refs[0] : .list(refs)))
      fields.append(("right", .string(right)))
    case .ool(let address, let size):
      fields.append(("value", .fields([("address", .int(Int64(address))), ("size", .int(Int64(size)))])))
    }
    return .fields(fields)
  }

  /// A MIG reply's out-argument as a value.
  func migValue(_ v: MigValue, in task: TaskIndex, type: MigType?) -> Value {
    switch v {
    case .int(let n): return .int(Int64(n))
    case .name(let n), .port(let n, _): return MachPort.isValid(n) ? portValue(task, n) : .nil
    case .ints(let values):
      if case .structure(let fields)? = type {
        return .fields(zip(fields, values).map { ($0.0, Value.int(Int64($0.1))) })
      }
      return .list(values.map { .int(Int64($0)) })
    case .names(let names), .ports(let names, _):
      return .list(names.map { $0 == MachPort.null ? .nil : portValue(task, $0) })
    case .outOfLinePorts: return .nil  // a request's form; replies carry `.ports`
    }
  }

  func recordValue(_ r: TraceRecord) -> Value { recordValue(r, names: traceNames) }

  /// How records are spelled now: task and thread names, and the loaded interfaces.
  var traceNames: TraceNames {
    var names = TraceNames(kernel)
    names.definitions = intake.definitions
    names.loaded = intake.loaded
    return names
  }

  func recordValue(_ r: TraceRecord, names: TraceNames) -> Value {
    .record(r, line: TraceFormat.rpctrace.render(r, names: names))
  }

  /// A record's fields as the language sees them (docs/language.md, Filters; docs/shell.md §8).
  func recordFields(_ r: TraceRecord, withBody: Bool = false, withArgs: Bool = false) -> [String: Value] {
    var fields: [String: Value] = [
      "seq": r.seq.map { .int(Int64($0)) } ?? .nil,
      "time": .int(Int64(clamping: r.time)),
      "task": taskValue(r.task),
      "thread": r.thread.map(threadValue) ?? .nil,
      "dir": .string(r.direction == .send ? "send" : "receive"),
      "type": .string(r.typeName),
      "retval": .code(r.retval, fromMachMsg: true),
      "code": r.code.map { .code($0, fromMachMsg: false) } ?? .nil,
      "msgid": .int(Int64(r.msgid)),
      "routine": .string(r.routine),
      "dest": .int(Int64(r.dest)),
      "reply": .int(Int64(r.reply)),
      "size": .int(Int64(r.size)),
      "complex": .bool(r.complex),
      "ool": .int(Int64(r.ool)),
      "rights": .int(Int64(r.rights)),
      "answers": r.answers.map { .int(Int64($0)) } ?? .nil,
    ]
    if withBody { fields["body"] = bodyValue(r) }
    if withArgs { fields["args"] = argsValue(r) }
    return fields
  }

  /// A record's `body`: its typed items; for a record of an rpctrace log, the values the log
  /// printed; for a raw line, nil. Ports of a record that is not live are plain numbers (the
  /// model has no such task).
  func bodyValue(_ r: TraceRecord) -> Value {
    switch r.origin {
    case .live: return .list(r.body.map { itemValue($0, in: r.task) })
    case .jsonl: return .list(r.body.map { itemValue($0, in: nil) })
    case .rpctrace: return .list(RpctraceLog.parts(of: r).values.map(Self.logValue))
    case .raw: return .nil
    }
  }

  /// A value of an rpctrace log: ints, reals (as strings, the language has no reals),
  /// strings, lists, port rights by the names the log gave them, nil for `(null)`.
  static func logValue(_ v: LogValue) -> Value {
    switch v {
    case .int(let n): return .int(n)
    case .real(let d): return .string(String(d))
    case .string(let s): return .string(s)
    case .array(let a): return .list(a.map(logValue))
    case .portNames(let names): return .list(names.map { .int(Int64($0)) })
    case .right(let name): return .string(name.trimmingSpaces)
    case .null: return .nil
    case .dead: return .string("(dead)")
    }
  }

  /// A record's arguments by name, when a loaded .defs file declares its routine: a record
  /// of fields (as far as the body matches the declaration); nil otherwise. Ports are the
  /// names the record shows.
  func argsValue(_ r: TraceRecord) -> Value {
    guard r.origin == .live || r.origin == .jsonl else { return loggedArgsValue(r) }
    guard let (routine, isReply) = intake.definitions.routine(id: r.msgid) else { return .nil }
    let decoded = MigCodec.decode(r.bytes, as: routine, reply: isReply)
    return .fields(
      decoded.arguments.compactMap { named in
        routine.arguments.first { $0.name == named.name }.map { p in
          (named.name, recordArgumentValue(named.item, for: p))
        }
      })
  }

  /// The arguments of a record of an rpctrace log by name, when a loaded .defs file declares
  /// its routine: the values the log printed, named in the order of the request's (or the
  /// reply's) body, as far as both go. The log does not type them: they are as `body` has
  /// them.
  func loggedArgsValue(_ r: TraceRecord) -> Value {
    guard r.origin == .rpctrace, let (routine, _) = intake.definitions.routine(id: r.msgid)
    else { return .nil }
    let isReply = r.direction == .receive
    let names = routine.arguments.filter { isReply ? $0.direction.isInReplyBody : $0.direction.isInRequestBody }.map(
      \.name)
    let values = RpctraceLog.parts(of: r).values
    return .fields(zip(names, values).map { ($0, Self.logValue($1)) })
  }

  /// An argument of a record: ints, strings, port names as numbers (a record's names are not
  /// refs: a kernel-form copy holds addresses), out-of-line regions as `address`/`size`.
  private func recordArgumentValue(_ item: TraceItem, for p: MigParameter) -> Value {
    switch item.value {
    case .ints(let v):
      if !p.type.fieldNames.isEmpty { return .fields(zip(p.type.fieldNames, v).map { ($0.0, Value.int($0.1)) }) }
      return p.type.shape == .single ? .int(v.first ?? 0) : .list(v.map(Value.int))
    case .string(let s): return .string(s)
    case .ports(let names, _):
      return p.type.shape == .single ? .int(Int64(names.first ?? 0)) : .list(names.map { .int(Int64($0)) })
    case .ool(let address, let size):
      return .fields([("address", .int(Int64(address))), ("size", .int(Int64(size)))])
    }
  }

  /// Compiles a filter when its command runs (docs/shell.md §7, §9).
  func compileFilter(_ e: Expr) throws -> Filter { try FilterCompiler(session: self).compile(e) }
}
