import MachModel
import MachTrace

// trace show, info …, set, msgids load (language.md §5).

extension Session {
  func traceShow(_ c: Command) throws -> Value {
    var shown = try selectedRecords(c)
    if let l = c.option("last") {
      let n = try integer(l.values[0], "a count")
      shown = Array(shown.suffix(max(0, Int(n))))
    }
    var f = format
    if let fmt = c.option("format"), case .name(let w, let at) = fmt.values[0] {
      guard let chosen = TraceFormat(rawValue: w) else { throw ScriptError("format is rpctrace, verbose or json", at: at) }
      f = chosen
    }
    let names = TraceNames(kernel)
    for r in shown { output.write(f.render(r, names: names, colors: colors) + "\n") }
    return .nil
  }

  /// The records of the buffer that pass the command's `where` filter, in order. When the
  /// ring has dropped records, a note on standard error says how many.
  func selectedRecords(_ c: Command) throws -> [TraceRecord] {
    if records.dropped > 0 {
      output.writeError("note: \(records.dropped) older record\(records.dropped == 1 ? " was" : "s were") dropped (the buffer keeps the newest \(records.limit); set trace_limit)\n")
    }
    guard let w = c.option("where") else { return Array(records) }
    let filter = try compileFilter(w.values[0])
    if let fast = filter.fastTest { return records.filter(whereRecordAt: fast) }
    return try records.filter(filter.test)
  }

  /// `trace stats [where F] [by FIELD]`: the table of `TraceStats`.
  func traceStats(_ c: Command) throws -> Value {
    var field = "routine"
    if let by = c.option("by") {
      guard case .name(let w, let at) = by.values[0], FilterCompiler.fields.contains(w), w != "body" else {
        throw ScriptError("trace stats can group by a record field (routine, msgid, task, thread, dir, type, retval, code, …)", at: by.values[0].location)
      }
      _ = at
      field = w
    }
    let selected = try selectedRecords(c)
    guard !selected.isEmpty else {
      output.write("no records\n")
      return .nil
    }
    let stats = TraceStats(selected, replies: records) { r in
      if field == "routine" { return r.routine.isEmpty ? String(r.msgid) : r.routine }
      return self.recordFields(r)[field]?.printed ?? "nil"
    }
    output.write(stats.table(by: field) + "\n")
    return .nil
  }

  /// `trace export "FILE" [where F] [format jsonl|rpctrace|mermaid|chrome]`. Without
  /// `format`, the file's extension chooses (.jsonl, .txt/.log, .mmd/.mermaid, .json), else
  /// JSON Lines. A relative FILE is relative to the working directory, as in a shell; "-" is
  /// standard output.
  func traceExport(_ c: Command) throws -> Value {
    guard case .string(let path) = try interpreter.evaluate(c.arguments[0]), !path.isEmpty else {
      throw ScriptError("trace export needs a file name string", at: c.arguments[0].location)
    }
    var format = TraceExport.jsonl
    if let f = c.option("format") {
      guard case .name(let w, _) = f.values[0], let chosen = TraceExport(rawValue: w) else {
        throw ScriptError("format is jsonl, rpctrace, mermaid or chrome", at: f.values[0].location)
      }
      format = chosen
    } else if let dot = path.lastIndex(of: ".") {
      switch path[path.index(after: dot)...] {
      case "txt", "log": format = .rpctrace
      case "mmd", "mermaid": format = .mermaid
      case "json": format = .chrome
      default: format = .jsonl
      }
    }
    let text = format.render(try selectedRecords(c), names: TraceNames(kernel), peer: peerName)
    if path == "-" {
      output.write(text)
      return .nil
    }
    if let problem = writeFile(path, text) {
      throw ScriptError("cannot write \(Value.quoted(path)): \(problem)", at: c.arguments[0].location)
    }
    return .nil
  }

  /// Who held the receive right of a record's destination: a task's name, or "kernel" for a
  /// kernel object. Taken when the copy was made for a `send` copy; otherwise looked up now
  /// (nil when the port is gone).
  func peerName(_ r: TraceRecord) -> String? {
    if r.peer == TraceEntry.kernelPeer { return "kernel" }
    if r.peer >= 0 { return kernel.tasks[Int(r.peer)].name }
    let object: ObjectIndex?
    if r.kind == .normal {
      object = kernel.tasks[Int(r.task)].space.lookup(r.dest)?.object
    } else {
      object = Kernel.object(at: r.dest)
    }
    guard let o = object, o >= 0, Int(o) < kernel.objects.count, kernel.objects[Int(o)].isActive else { return nil }
    let port = kernel.objects[Int(o)]
    if port.kernelObject != .none { return "kernel" }
    return port.receiverTask.map { kernel.tasks[Int($0)].name }
  }

  func info(_ c: Command) throws -> Value {
    switch c.name {
    case "info tasks":
      output.write(pad(["TASK", "STATE", "THREADS", "NAMES"]) + "\n")
      for (i, t) in kernel.tasks.enumerated() {
        output.write(pad([t.name, t.state, String(t.threads.filter { kernel.threads[Int($0)].state != .terminated }.count), String(t.space.count)]) + "\n")
        _ = i
      }
    case "info task":
      let t = try task(c.arguments[0])
      let k = kernel.tasks[Int(t)]
      output.write("task \(k.name): \(k.state), port \(address(k.kernelPort))\n")
      for (slot, name) in [(1, "kernel"), (3, "exception"), (4, "bootstrap"), (5, "trace")] {
        output.write("  \(name): \(address(k.specialPorts[slot]))\n")
      }
      output.write("  registered: \(k.registeredPorts.map(address).joined(separator: " "))\n")
      output.write("  threads: \(k.threads.map(label).joined(separator: " "))\n")
    case "info threads":
      let t = try task(c.arguments[0])
      for th in kernel.tasks[Int(t)].threads {
        output.write("\(label(th)) \(threadStateDetail(th)) exception \(address(kernel.threads[Int(th)].specialPorts[3]))\n")
      }
    case "info ports":
      let t = try task(c.arguments[0])
      output.write(pad(["NAME", "RIGHTS", "UREFS", "PORT", "QUEUE"]) + "\n")
      for n in kernel.tasks[Int(t)].space.names { output.write(portLine(t, n) + "\n") }
    case "info port":
      let p = try port(c.arguments[0])
      output.write(pad(["NAME", "RIGHTS", "UREFS", "PORT", "QUEUE"]) + "\n")
      output.write(portLine(p.task, p.name) + "\n")
    default:  // info queue
      let p = try port(c.arguments[0])
      guard let s = kernel.portGetReceiveStatus(p.task, p.name).1 else {
        throw ScriptError("\(kernel.tasks[Int(p.task)].name):\(p.name) is not a receive right", at: c.location)
      }
      var line = "\(kernel.tasks[Int(p.task)].name):\(p.name) queue \(s.messageCount)/\(s.qlimit), seqno \(s.seqno), mscount \(s.makeSendCount), send rights \(s.sendRights), send-once rights \(s.sendOnceRights)"
      if let o = kernel.tasks[Int(p.task)].space.lookup(p.name)?.object, kernel.objects[Int(o)].hasProtectedPayload {
        line += ", protected payload \(kernel.objects[Int(o)].protectedPayload)"
      }
      output.write(line + "\n")
    }
    return .nil
  }

  private func address(_ o: ObjectIndex) -> String {
    o >= 0 ? "0x" + String(Kernel.address(of: o), radix: 16) : "null"
  }

  private func portLine(_ t: TaskIndex, _ n: PortName) -> String {
    let e = kernel.tasks[Int(t)].space.lookup(n)!
    var rights: [String] = []
    for (bit, word) in [(PortType.send, "send"), (PortType.receive, "receive"), (PortType.sendOnce, "send_once"),
                        (PortType.portSet, "portset"), (PortType.deadName, "dead")] where e.type & bit != 0 {
      rights.append(word)
    }
    var queue = "-"
    if let s = kernel.portGetReceiveStatus(t, n).1 { queue = "\(s.messageCount)/\(s.qlimit)" }
    return pad([String(n), rights.joined(separator: "+"), String(e.urefs), address(e.object), queue])
  }

  private func pad(_ columns: [String]) -> String {
    let widths = [10, 18, 6, 12, 6]
    return columns.enumerated().map { i, c in
      i == columns.count - 1 ? c : c + String(repeating: " ", count: max(1, widths[i] - c.count))
    }.joined()
  }

  func set(_ c: Command) throws -> Value {
    guard case .name(let setting, let at) = c.arguments[0] else { throw ScriptError("set needs a setting", at: c.location) }
    let value = c.arguments[1]
    func word() -> String? { if case .name(let w, _) = value { return w } else { return nil } }
    switch setting {
    case "output":
      guard let w = word(), let f = TraceFormat(rawValue: w) else { throw ScriptError("set output rpctrace|verbose|json", at: value.location) }
      format = f
    case "echo", "color":
      guard let w = word(), w == "on" || w == "off" else { throw ScriptError("set \(setting) on|off", at: value.location) }
      if setting == "echo" { echo = w == "on" } else { colors.enabled = w == "on" }
    case "kmsg_limit":
      if word() == "off" {
        kernel.kmsgLimit = nil
      } else {
        let n = try integer(value, "a limit")
        guard n >= 0 else { throw ScriptError("kmsg_limit must be 0 or more", at: value.location) }
        kernel.kmsgLimit = Int(n)
      }
    case "trace_limit":
      let n = try integer(value, "a limit")
      guard n >= 1 else { throw ScriptError("trace_limit must be 1 or more", at: value.location) }
      records.setLimit(Int(n))
    default:
      throw ScriptError("unknown setting '\(setting)' (output, color, kmsg_limit, echo, trace_limit)", at: at)
    }
    return .nil
  }

  /// Loads a `.msgids` file's text into the tables the decoder and `routine()` use.
  public func loadMsgids(_ text: String, file: String) -> Result<MsgIdTable.LoadReport, MsgIdTable.FormatError> {
    let result = decoder.msgids.load(text, file: file)
    if case .success(let report) = result {
      interpreter.msgids = decoder.msgids
      for line in report.collisions { output.write("msgids: \(file): id \(line)\n") }
    }
    return result
  }

  func loadMsgids(_ c: Command) throws -> Value {
    guard case .string(let path) = try interpreter.evaluate(c.arguments[0]) else {
      throw ScriptError("msgids load needs a file name", at: c.arguments[0].location)
    }
    guard let text = readFile(path) else { throw ScriptError("cannot read \(Value.quoted(path))", at: c.arguments[0].location) }
    if case .failure(let e) = loadMsgids(text, file: path) { throw ScriptError(e.description, at: c.location) }
    return .nil
  }
}
