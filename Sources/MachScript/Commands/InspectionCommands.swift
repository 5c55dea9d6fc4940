import MachModel

// Inspection: the model's state as tables (nothing crosses the kernel), and the console.

extension CommandRegistry {
  static let inspection: [CommandEntry] = [
    CommandEntry(
      "info tasks", .inspection, usage: ["info tasks [at N|at time T]"], summary: "every task: state, threads, names",
      options: ["at": .atoms(.anything)]
    ) { s, c in try s.atMoment(c) { s.infoTasks() } },
    CommandEntry(
      "info task", .inspection, usage: ["info task TASK [at N|at time T]"],
      summary: "a task's special and registered ports, threads", required: [.task], options: ["at": .atoms(.anything)]
    ) { s, c in try s.atMoment(c) { try s.infoTask(c) } },
    CommandEntry(
      "info threads", .inspection, usage: ["info threads TASK [at N|at time T]"],
      summary: "a task's threads and what they wait in", required: [.task], options: ["at": .atoms(.anything)]
    ) { s, c in try s.atMoment(c) { try s.infoThreads(c) } },
    CommandEntry(
      "info ports", .inspection, usage: ["info ports TASK [at N|at time T]"],
      summary: "a task's names: rights, urefs, port, queue",
      required: [.task], options: ["at": .atoms(.anything)]
    ) { s, c in try s.atMoment(c) { try s.infoPorts(c) } },
    CommandEntry(
      "info port", .inspection, usage: ["info port PORTREF [at N|at time T]"], summary: "one name", required: [.port],
      options: ["at": .atoms(.anything)]
    ) {
      s, c in try s.atMoment(c) { try s.infoPort(c) }
    },
    CommandEntry(
      "info queue", .inspection, usage: ["info queue PORTREF [at N|at time T]"],
      summary: "a receive right's queue and counts", required: [.port], options: ["at": .atoms(.anything)]
    ) { s, c in try s.atMoment(c) { try s.infoQueue(c) } },
    CommandEntry(
      "console", .inspection, usage: ["console"], summary: "the kernel's console lines", returns: "their list"
    ) { s, _ in s.console() },
  ]
}

extension Session {
  /// Runs an `info` command as it is, or with `at N` / `at time T` on the model as it was
  /// just after record N was made (or the last record at or before time T), staying in the
  /// present (docs/shell.md, "Going back").
  func atMoment(_ c: Command, _ body: () throws -> Value) throws -> Value {
    guard let at = c.option("at") else { return try body() }
    let values = at.values
    let seq: UInt64
    if values.count == 2, case .name("time", _) = values[0] {
      let t = try integer(values[1], "a virtual time")
      guard t >= 0, let found = record(atTime: UInt64(t)) else {
        throw ScriptError("no record was made at or before time \(t)", at: values[1].start)
      }
      seq = found
    } else {
      guard values.count == 1 else { throw ScriptError("at takes a record number or `time T`", at: values[0].start) }
      let n = try integer(values[0], "a record number")
      guard n >= 1 else { throw ScriptError("record numbers start at 1, not \(n)", at: values[0].start) }
      seq = UInt64(n)
    }
    return try lookingAt(record: seq, at: values[0].start, body)
  }

  func infoTasks() -> Value {
    let width = max(10, (kernel.tasks.map(\.name.count).max() ?? 0) + 2)
    func row(_ columns: [String]) -> String {
      zip(columns, [width, 12, 9]).map { $0 + String(repeating: " ", count: max(1, $1 - $0.count)) }.joined()
        + columns[3]
    }
    output.write(row(["TASK", "STATE", "THREADS", "NAMES"]) + "\n")
    for (i, t) in kernel.tasks.enumerated() {
      let live = t.threads.filter { kernel.threads[Int($0)].state != .terminated }.count
      output.write(row([t.name, taskState(TaskIndex(i)), String(live), String(t.space.count)]) + "\n")
    }
    return .nil
  }

  func infoTask(_ c: Command) throws -> Value {
    let t = try task(c.arguments[0])
    let k = kernel.tasks[Int(t)]
    output.write("task \(k.name): \(taskState(t)), port \(address(k.kernelPort))\n")
    for (name, slot) in Words.slots {
      output.write("  \(name): \(address(k.specialPorts[Int(slot)]))\n")
    }
    output.write("  registered: \(k.registeredPorts.map(address).joined(separator: " "))\n")
    // A terminated thread keeps its number (no other thread takes it), and is shown as ended.
    let threads = k.threads.map {
      kernel.threads[Int($0)].state == .terminated ? "\(label($0)) (terminated)" : label($0)
    }
    output.write("  threads: \(threads.joined(separator: " "))\n")
    return .nil
  }

  func infoThreads(_ c: Command) throws -> Value {
    let t = try task(c.arguments[0])
    for th in kernel.tasks[Int(t)].threads {
      let exception = address(kernel.threads[Int(th)].specialPorts[Int(SpecialPort.threadException)])
      output.write("\(label(th)) \(threadStateDetail(th)) exception \(exception)\n")
    }
    return .nil
  }

  func infoPorts(_ c: Command) throws -> Value {
    let t = try task(c.arguments[0])
    output.write(pad(["NAME", "RIGHTS", "UREFS", "PORT", "QUEUE"]) + "\n")
    for n in kernel.tasks[Int(t)].space.names { output.write(portLine(t, n) + "\n") }
    return .nil
  }

  func infoPort(_ c: Command) throws -> Value {
    let p = try port(c.arguments[0])
    guard kernel.tasks[Int(p.task)].space.lookup(p.name) != nil else {
      let task = kernel.tasks[Int(p.task)].name
      throw ScriptError("\(task):\(p.name) names no right in \(task)'s space", at: c.arguments[0].start)
    }
    output.write(pad(["NAME", "RIGHTS", "UREFS", "PORT", "QUEUE"]) + "\n")
    output.write(portLine(p.task, p.name) + "\n")
    return .nil
  }

  func infoQueue(_ c: Command) throws -> Value {
    let p = try port(c.arguments[0])
    let name = "\(kernel.tasks[Int(p.task)].name):\(p.name)"
    guard let s = kernel.portGetReceiveStatus(p.task, p.name).1 else {
      throw ScriptError("\(name) is not a receive right", at: c.location)
    }
    var line =
      "\(name) queue \(s.messageCount)/\(s.qlimit), seqno \(s.seqno), mscount \(s.makeSendCount), send rights "
      + "\(kernel.sendRightCount(p.task, p.name) ?? 0), send-once rights \(s.sendOnceRights)"
    if let o = kernel.tasks[Int(p.task)].space.lookup(p.name)?.object, kernel.objects[Int(o)].hasProtectedPayload {
      line += ", protected payload \(kernel.objects[Int(o)].protectedPayload)"
    }
    output.write(line + "\n")
    return .nil
  }

  func console() -> Value {
    if kernel.consoleDropped > 0 {
      let n = kernel.consoleDropped
      output.writeError(
        "note: \(n) older console line\(n == 1 ? " was" : "s were") dropped (the console keeps the newest "
          + "\(Kernel.consoleLimit))\n"
      )
    }
    for line in kernel.console { output.write(line + "\n") }
    return .list(kernel.console.map(Value.string))
  }

  private func portLine(_ t: TaskIndex, _ n: PortName) -> String { pad(portColumns(t, n)) }

  /// A name's row of `info ports`: name, rights, urefs, port, queue. The entry is shown as the
  /// space holds it: a right to a port that has died stays a send or send-once right until its
  /// next use turns it into a dead name (`ipc_right_check`, ipc/ipc_right.c), and is marked
  /// `(dead port)` meanwhile.
  func portColumns(_ t: TaskIndex, _ n: PortName) -> [String] {
    guard let e = kernel.tasks[Int(t)].space.lookup(n) else { return [String(n), "", "0", "null", "-"] }
    var queue = "-"
    if let s = kernel.portGetReceiveStatus(t, n).1 { queue = "\(s.messageCount)/\(s.qlimit)" }
    var rights = rightWords(e.type).joined(separator: "+")
    if e.object >= 0 && !kernel.objects[Int(e.object)].isActive { rights += " (dead port)" }
    return [String(n), rights, String(e.urefs), address(e.object), queue]
  }

  private func pad(_ columns: [String]) -> String {
    let widths = [10, 18, 6, 12, 6]
    return columns.enumerated().map { i, c in
      i == columns.count - 1 ? c : c + String(repeating: " ", count: max(1, widths[i] - c.count))
    }.joined()
  }
}
