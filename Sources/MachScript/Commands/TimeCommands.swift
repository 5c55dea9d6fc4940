import MachModel
import MachTrace

// Going back in time (docs/shell.md, "Going back"): moving the session to the moment a record
// was made, and looking at the model as it was there.

extension CommandRegistry {
  static let timeCommands: [CommandEntry] = [
    CommandEntry(
      "goto", .watches, usage: ["goto N", "goto time T", "goto end"],
      summary: "go to the moment record N was made (or virtual time T), or back to the present",
      help:
        "The model is rebuilt as it was just after the step or change that made record N; "
        + "`step` and `continue` then go forward through the recorded history. Variables, settings and watches "
        + "stay as they are.",
      required: [.anything], optional: [.anything]
    ) { s, c in try s.gotoCommand(c) },
    CommandEntry(
      "reverse-step", .watches, usage: ["reverse-step [N]"], summary: "go back N records (1 by default)",
      optional: [.anything]
    ) { s, c in try s.reverseStep(c) },
    CommandEntry(
      "reverse-continue", .watches, usage: ["reverse-continue"],
      summary: "go back to the last record an enabled watch matches"
    ) { s, c in try s.reverseContinue(c) },
  ]

  /// Commands that never change the model: run in the past, they keep the recorded history.
  static let keepHistory: Set<String> = [
    "goto", "reverse-step", "reverse-continue", "step", "continue", "info tasks", "info task", "info threads",
    "info ports", "info port", "info queue", "info settings", "info watches", "info defs", "info routine", "console",
    "trace show", "trace stats", "trace export", "trace clear", "filter", "watch", "unwatch", "enable", "disable",
    "help", "show", "msgids load", "defs load", "explain",
  ]
}

extension Session {
  func gotoCommand(_ c: Command) throws -> Value {
    try notInBlock(c)
    if case .name("end", _) = c.arguments[0], c.arguments.count == 1 {
      returnToPresent()
      return .nil
    }
    if case .name("time", _) = c.arguments[0], c.arguments.count == 2 {
      let t = try integer(c.arguments[1], "a virtual time")
      guard t >= 0, let seq = record(atTime: UInt64(t)) else {
        let range = reachableRecords().map { " (history holds records \($0.lowerBound) to \($0.upperBound))" } ?? ""
        throw ScriptError("no record was made at or before time \(t)\(range)", at: c.arguments[1].start)
      }
      try travel(to: seq, at: c.arguments[1].start)
      showPosition()
      return .nil
    }
    guard c.arguments.count == 1 else {
      throw ScriptError("goto takes a record number, `time T` or `end`", at: c.arguments[1].start)
    }
    let n = try integer(c.arguments[0], "a record number")
    guard n >= 1 else { throw ScriptError("record numbers start at 1, not \(n)", at: c.arguments[0].start) }
    try travel(to: UInt64(n), at: c.arguments[0].start)
    showPosition()
    return .nil
  }

  /// The record the session is at, as `step` prints one.
  func showPosition() {
    guard let seq = past?.seq ?? intake.buffer.last?.seq, let r = buffered(seq) else { return }
    output.write(settings.format.render(r, names: traceNames, colors: settings.colors) + "\n")
  }

  /// The position in the buffer of the first record whose `seq` is `seq` or more (seqs grow
  /// along the buffer; a load may leave gaps).
  func bufferPosition(_ seq: UInt64) -> Int {
    let buffer = intake.buffer
    var low = 0, high = buffer.count
    while low < high {
      let mid = (low + high) / 2
      if (buffer[mid].seq ?? 0) < seq { low = mid + 1 } else { high = mid }
    }
    return low
  }

  /// The record `seq` of the buffer.
  func buffered(_ seq: UInt64) -> TraceRecord? {
    let i = bufferPosition(seq)
    return i < intake.buffer.count && intake.buffer[i].seq == seq ? intake.buffer[i] : nil
  }

  /// The records the model made after `seq`, oldest first.
  func records(after seq: UInt64) -> [TraceRecord] {
    intake.buffer[bufferPosition(seq + 1)...].filter { $0.origin == .live }
  }

  func reverseStep(_ c: Command) throws -> Value {
    try notInBlock(c)
    let n = try c.arguments.first.map { try integer($0, "a number of records") } ?? 1
    guard n >= 1 else {
      throw ScriptError("reverse-step needs a count of 1 or more, not \(n)", at: c.arguments.first?.start ?? c.location)
    }
    let here = past?.seq ?? (intake.buffer.last?.seq ?? 0) + 1
    // Back from here, N records the model made (or as many as there are).
    var target: UInt64? = nil
    var left = n
    var i = bufferPosition(here)
    while i > 0 && left > 0 {
      i -= 1
      guard intake.buffer[i].origin == .live else { continue }
      target = intake.buffer[i].seq
      left -= 1
    }
    guard let range = reachableRecords(), let target else {
      throw ScriptError("no earlier record to go back to", at: c.location)
    }
    guard target >= range.lowerBound else {
      throw ScriptError(
        "cannot go back \(n) record\(n == 1 ? "" : "s"): history holds records \(range.lowerBound) to "
          + "\(range.upperBound)", at: c.location)
    }
    try travel(to: target, at: c.location)
    showPosition()
    return .nil
  }

  /// Where the enabled watches stop in the recorded history, as in gdb whenever they were set:
  /// each at the records its filter matches, less the first `ignore` of them, and only the
  /// first of the rest for a `once` watch. By `seq`, with the first watch that stops there.
  func watchStops() -> [(seq: UInt64, watch: Watch, record: TraceRecord)] {
    var stops: [UInt64: (Watch, TraceRecord)] = [:]
    for w in intake.activeWatches {
      var matched = 0
      for r in intake.buffer where r.origin == .live {
        guard let seq = r.seq, (try? w.filter.test(r)) == true else { continue }
        matched += 1
        guard matched > w.ignore else { continue }
        if stops[seq] == nil || stops[seq]!.0.id > w.id { stops[seq] = (w, r) }
        if w.once { break }
      }
    }
    return stops.keys.sorted().map { ($0, stops[$0]!.0, stops[$0]!.1) }
  }

  func reverseContinue(_ c: Command) throws -> Value {
    try notInBlock(c)
    let here = past?.seq ?? (intake.buffer.last?.seq ?? 0) + 1
    guard let range = reachableRecords() else { throw ScriptError("no record to go back to", at: c.location) }
    if let stop = watchStops().last(where: { $0.seq < here && $0.seq >= range.lowerBound }) {
      try travel(to: stop.seq, at: c.location)
      let line = TraceFormat.rpctrace.render(stop.record, names: traceNames, colors: settings.colors)
      output.write("watch \(stop.watch.id) hit: \(line)\n")
      return .nil
    }
    throw ScriptError(
      "no earlier record matches an enabled watch (history holds records \(range.lowerBound) to \(range.upperBound))",
      at: c.location)
  }

  /// `step` and `continue` in the past: forward through the recorded history, showing the
  /// records again; at its end, the present.
  func resumeInPast(steps: Int?, at location: SourceLocation) throws {
    guard let p = past else { return }
    let later = records(after: p.seq)
    if let n = steps {
      for r in later.prefix(n) {
        try travel(to: r.seq!, at: location)
        output.write(settings.format.render(r, names: traceNames, colors: settings.colors) + "\n")
        if past == nil { break }
      }
      if later.count <= n && past != nil { returnToPresent() }
      if past == nil { output.writeError("note: at the end of the recorded history: the present\n") }
      return
    }
    if let stop = watchStops().first(where: { $0.seq > p.seq }) {
      try travel(to: stop.seq, at: location)
      let line = TraceFormat.rpctrace.render(stop.record, names: traceNames, colors: settings.colors)
      output.write("watch \(stop.watch.id) hit: \(line)\n")
      return
    }
    returnToPresent()
    output.writeError("note: at the end of the recorded history: the present\n")
  }

  /// Before a command that may change the model runs in the past: at the prompt, the user
  /// says whether to discard the history after this moment (unless it holds no record to
  /// lose); in a script it is discarded.
  func checkChange(_ c: Command) throws {
    guard let p = past, !CommandRegistry.keepHistory.contains(c.name), !c.name.hasPrefix("info ") else { return }
    let later = records(after: p.seq).count
    if later > 0, let confirm, isInteractive,
      !confirm("this discards \(later) recorded record\(later == 1 ? "" : "s") after \(p.seq); go on? (y or n) ")
    {
      throw ScriptError(
        "not done: the session stays at record \(p.seq) ('goto end' returns to the present)", at: c.location)
    }
  }
}
