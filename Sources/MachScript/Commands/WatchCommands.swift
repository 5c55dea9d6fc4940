import MachModel
import MachTrace

// Watches (docs/language.md, Watches): breakpoints on the trace stream, and `continue` and
// `step`. Matching happens as records enter the buffer (Shell/Running.swift).

extension CommandRegistry {
  static let watchCommands: [CommandEntry] = [
    CommandEntry(
      "watch", .watches, usage: ["watch FILTER [once] [ignore N] [do { … }]"],
      summary: "a breakpoint on the trace stream",
      returns: "the watch",
      help: "Stops the model after the first record that matches (help watches).", required: [.filter],
      filterArgument: true,
      options: ["once": .flag, "ignore": .atom(.anything), "do": .block]
    ) { s, c in try s.watch(c) },
    CommandEntry(
      "unwatch", .watches, usage: ["unwatch N|all|WATCH"], summary: "remove a watch, or all", required: [.watch]
    ) { s, c in try s.changeWatch(c) },
    CommandEntry("enable", .watches, usage: ["enable N|all|WATCH"], summary: "switch a watch on", required: [.watch]) {
      s, c in try s.changeWatch(c)
    },
    CommandEntry("disable", .watches, usage: ["disable N|all|WATCH"], summary: "switch a watch off", required: [.watch])
    { s, c in try s.changeWatch(c) },
    CommandEntry("watches", .watches, usage: ["watches"], summary: "list the watches") { s, _ in
      s.listWatches()
      return .nil
    },
    CommandEntry(
      "continue", .watches, usage: ["continue"], summary: "resume the model after a stop",
      help: "A wait or advance that the stop interrupted goes on."
    ) { s, c in try s.resumeCommand(c) },
    CommandEntry(
      "step", .watches, usage: ["step [N]"], summary: "let N records in (printing them), then stop",
      optional: [.anything]
    ) { s, c in try s.resumeCommand(c) },
  ]
}

extension Session {
  func watch(_ c: Command) throws -> Value {
    let filter = try compileFilter(c.arguments[0])
    var ignore = 0
    if let option = c.option("ignore") {
      let n = try integer(option.values[0], "an ignore count")
      guard n >= 0, n <= Int64(Int32.max) else {
        throw ScriptError("ignore count \(n) is out of range", at: option.values[0].location)
      }
      ignore = Int(n)
    }
    let w = intake.addWatch(
      filter, text: filterText(c), once: c.option("once") != nil, ignore: ignore, block: c.option("do")?.block,
      at: c.location)
    return .watch(w)
  }

  /// `unwatch N|all|WATCH`, `enable N|all|WATCH`, `disable N|all|WATCH`.
  func changeWatch(_ c: Command) throws -> Value {
    let argument = c.arguments[0]
    if case .name("all", _) = argument, interpreter.lookup("all") == nil {
      switch c.name {
      case "unwatch": intake.removeAll()
      case "enable": for w in intake.watches { w.setEnabled(true) }
      default: for w in intake.watches { w.setEnabled(false) }
      }
      return .nil
    }
    let w: Watch
    switch try evaluate(argument) {
    case .watch(let given):
      w = given
    case let v:
      guard let n = v.integer else {
        throw ScriptError("'\(c.name)' needs a watch or its number, found \(v.kindWithArticle)", at: argument.location)
      }
      guard let found = intake.watches.first(where: { $0.id == n }) else {
        let known = intake.watches.map { String($0.id) }.joined(separator: ", ")
        throw ScriptError(
          "there is no watch \(n)\(intake.watches.isEmpty ? "" : " (watches: \(known))")", at: argument.location)
      }
      w = found
    }
    guard !w.removed else { throw ScriptError("watch \(w.id) was removed", at: argument.location) }
    switch c.name {
    case "unwatch": intake.remove(w)
    case "enable": w.setEnabled(true)
    default: w.setEnabled(false)
    }
    return .nil
  }

  /// `watches`: number, whether enabled, hits, the filter and its options, like gdb's
  /// `info breakpoints`.
  func listWatches() {
    guard !intake.watches.isEmpty else {
      output.write("no watches\n")
      return
    }
    output.write("WATCH  ENABLED  HITS  FILTER\n")
    for w in intake.watches {
      let options = w.optionsText.isEmpty ? "" : "  (\(w.optionsText))"
      let columns = [String(w.id), w.enabled ? "yes" : "no", String(w.hits)]
      output.write(zip(columns, [7, 9, 6]).map { $0 + String(repeating: " ", count: max(1, $1 - $0.count)) }.joined())
      output.write(w.text + options + "\n")
    }
  }

  /// `continue` and `step [N]`; with nothing stopped, a note.
  func resumeCommand(_ c: Command) throws -> Value {
    try notInBlock(c)
    var steps: Int? = nil
    if c.name == "step" {
      let n = try c.arguments.first.map { try integer($0, "a number of records") } ?? 1
      guard n >= 1 else {
        throw ScriptError("step needs a count of 1 or more, not \(n)", at: c.arguments.first?.start ?? c.location)
      }
      guard n <= Int64(Int32.max) else {
        throw ScriptError(
          "a number of records \(n) is out of range (1 to \(Int32.max))", at: c.arguments.first?.start ?? c.location)
      }
      steps = Int(n)
    }
    if past != nil {
      try resumeInPast(steps: steps, at: c.location)
      return .nil
    }
    guard runState.canResume else {
      output.writeError("note: the model is not stopped; '\(c.name)' has nothing to resume\n")
      return .nil
    }
    resume(steps: steps)
    return .nil
  }

  func notInBlock(_ c: Command) throws {
    guard !runState.inBlock else {
      throw ScriptError("'\(c.name)' cannot be used inside a serve or do block", at: c.location)
    }
  }

  /// The watch's filter as written: the command's text from the filter to its first option.
  private func filterText(_ c: Command) -> String {
    let lines = c.source.split(separator: "\n", omittingEmptySubsequences: false).map(Array.init)
    func offset(_ at: SourceLocation) -> (line: Int, column: Int) {
      (at.line - c.location.line, at.line == c.location.line ? at.column - c.location.column : at.column - 1)
    }
    let start = offset(c.arguments[0].start)
    var end = (line: start.line, column: lines[safe: start.line]?.count ?? 0)
    if let first = c.options.map(\.location).min(by: { ($0.line, $0.column) < ($1.line, $1.column) }) {
      let o = offset(first)
      if o.line == start.line { end.column = o.column }
    }
    guard let line = lines[safe: start.line], start.column >= 0, start.column <= end.column, end.column <= line.count
    else {
      return c.source
    }
    return String(line[start.column..<end.column]).trimmingSpaces
  }
}

extension Array {
  subscript(safe i: Int) -> Element? { i >= 0 && i < count ? self[i] : nil }
}

extension String {
  var trimmingSpaces: String {
    let chars = Array(self)
    guard let first = chars.firstIndex(where: { $0 != " " && $0 != "\t" }) else { return "" }
    let last = chars.lastIndex(where: { $0 != " " && $0 != "\t" })!
    return String(chars[first...last])
  }
}
