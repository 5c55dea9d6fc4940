import MachModel
import MachTrace

// Settings and time: `set`, `info settings`, and letting virtual time pass.

extension CommandRegistry {
  static let settings: [CommandEntry] = [
    CommandEntry(
      "set", .settings, usage: SettingsTable.entries.map { "set \($0.name) \($0.values)" },
      summary: "change a setting (`info settings` lists them)", required: [.setting, .anything]
    ) { s, c in try s.set(c) },
    CommandEntry(
      "info settings", .settings, usage: ["info settings"],
      summary: "the settings, their values and the values they take"
    ) { s, _ in s.showSettings() },
    CommandEntry("show", .settings, usage: ["show"], summary: "the same as `info settings`, as in gdb") { s, _ in
      s.showSettings()
    },
    CommandEntry(
      "advance", .settings, usage: ["advance MS"], summary: "let MS milliseconds of virtual time pass",
      required: [.anything]
    ) { s, c in
      let ms = try s.integer(c.arguments[0], "a number of milliseconds")
      guard ms >= 0 else { throw ScriptError("cannot go back in time", at: c.arguments[0].start) }
      // Virtual time is an int of µs in the language (`now`): it ends at Int64.max.
      let left = (UInt64(Int64.max) - s.kernel.now) / 1000
      guard UInt64(ms) <= left else {
        throw ScriptError(
          "advance \(ms) would take virtual time past its end (at most \(left) ms from now)",
          at: c.arguments[0].start)
      }
      try s.notInBlock(c)
      s.advance(to: s.kernel.now + UInt64(ms) * 1000)
      return .nil
    },
    CommandEntry(
      "wait", .settings, usage: ["wait [PENDING]"],
      summary: "run until nothing is left to happen, or PENDING is done",
      returns: "nil, or the operation's value", optional: [.anything]
    ) { s, c in
      try s.notInBlock(c)
      if let e = c.arguments.first {
        switch try s.evaluate(e) {
        case .pending(let handle?):
          s.waitUntilQuiet { handle.isDone }
          return handle.isDone ? handle.value : .pending(handle)
        case .pending(nil):
          break
        case let v:
          throw ScriptError(
            "wait takes a pending operation (as `let r = receive p &` gives), not \(v.kindWithArticle)",
            at: e.start)
        }
      }
      s.waitUntilQuiet()
      return .nil
    },
    CommandEntry("run", .settings, usage: ["run"], summary: "run the model until no thread can move") { s, c in
      try s.notInBlock(c)
      s.pump()
      return .nil
    },
  ]
}

/// Every `set` option: its name, the values it takes, how to read and change it.
enum SettingsTable {
  struct Entry: Sendable {
    let name: String
    /// The values, in usage notation (`on|off`).
    let values: String
    let summary: String
    let current: @Sendable (Session) -> String
    let apply: @Sendable (Session, Expr) throws -> Void
  }

  static let entries: [Entry] = [
    Entry(
      name: "output", values: "rpctrace|verbose|json", summary: "how trace records print",
      current: { $0.settings.format.rawValue },
      apply: { s, e in s.settings.format = try s.choice(e, TraceFormat.allCases.map { ($0.rawValue, $0) }, "output") }),
    Entry(
      name: "color", values: "on|off", summary: "colour in trace lines and completion lines",
      current: { $0.settings.colors.enabled ? "on" : "off" },
      apply: { s, e in s.settings.colors.enabled = try s.choice(e, onOff, "color") }),
    Entry(
      name: "echo", values: "on|off", summary: "print `> SOURCE` and the value of each top-level statement",
      current: { $0.settings.echo ? "on" : "off" },
      apply: { s, e in s.settings.echo = try s.choice(e, onOff, "echo") }),
    Entry(
      name: "timestamps", values: "off|absolute|relative|delta",
      summary: "virtual time before rpctrace lines: since boot, since the first record, since the last line",
      current: { $0.settings.timestamps.rawValue },
      apply: { s, e in
        s.settings.timestamps = try s.choice(e, Timestamps.allCases.map { ($0.rawValue, $0) }, "timestamps")
      }),
    Entry(
      name: "pagination", values: "on|off", summary: "at the prompt, ask for more after a screenful of output",
      current: { $0.settings.pagination ? "on" : "off" },
      apply: { s, e in s.settings.pagination = try s.choice(e, onOff, "pagination") }),
    Entry(
      name: "kmsg_limit", values: "N|off", summary: "kernel message buffers before MACH_SEND_NO_BUFFER",
      current: { $0.kernel.kmsgLimit.map(String.init) ?? "off" },
      apply: { s, e in
        if case .name("off", _) = e {
          s.mutate { k in k.kmsgLimit = nil }
          return
        }
        let n = try s.integer(e, "kmsg_limit")
        guard n >= 0, let limit = Int(exactly: n) else {
          throw ScriptError("kmsg_limit must be 0 or more", at: e.location)
        }
        s.mutate { k in k.kmsgLimit = limit }
      }),
    Entry(
      name: "max_msg_bytes", values: "N", summary: "the largest message the kernel takes (MACH_SEND_NO_BUFFER past it)",
      current: { String($0.kernel.maxMessageBytes) },
      apply: { s, e in
        let n = try s.integer(e, "max_msg_bytes")
        guard n >= 24, let limit = Int(exactly: n) else {
          throw ScriptError("max_msg_bytes must be 24 (a header) or more", at: e.start)
        }
        s.mutate { k in k.maxMessageBytes = limit }
      }),
    Entry(
      name: "trace_limit", values: "N", summary: "records the trace buffer keeps (the oldest go first)",
      current: { String($0.records.limit) },
      apply: { s, e in
        let n = try s.integer(e, "trace_limit")
        guard n >= 1, let limit = Int(exactly: n) else {
          throw ScriptError("trace_limit must be 1 or more", at: e.location)
        }
        s.intake.setLimit(limit)
      }),
    Entry(
      name: "trace_bytes", values: "N", summary: "bytes the trace buffer keeps (the oldest records go first)",
      current: { String($0.records.byteLimit) },
      apply: { s, e in
        let n = try s.integer(e, "trace_bytes")
        guard n >= 1, let limit = Int(exactly: n) else {
          throw ScriptError("trace_bytes must be 1 or more", at: e.start)
        }
        s.intake.setByteLimit(limit)
      }),
    Entry(
      name: "history", values: "on|off", summary: "record the model's history, for goto and reverse-step",
      current: { $0.history.isOn ? "on" : "off" },
      apply: { s, e in
        let on = try s.choice(e, onOff, "history")
        guard on != s.history.isOn else { return }
        s.returnToPresent()
        s.history.setOn(on, kernel: s.kernel, seq: s.recordSeq)
      }),
    Entry(
      name: "history_bytes", values: "N", summary: "bytes the history keeps (the oldest goes first)",
      current: { String($0.history.byteLimit) },
      apply: { s, e in
        let n = try s.integer(e, "history_bytes")
        guard n >= 1, let limit = Int(exactly: n) else {
          throw ScriptError("history_bytes must be 1 or more", at: e.start)
        }
        s.history.setByteLimit(limit)
      }),
  ]

  static let onOff = [("on", true), ("off", false)]
}

extension Session {
  func set(_ c: Command) throws -> Value {
    let names = SettingsTable.entries.map(\.name)
    guard case .name(let setting, let at) = c.arguments[0] else {
      throw ScriptError("set needs a setting (\(Words.choices(names)))", at: c.arguments[0].location)
    }
    guard let entry = SettingsTable.entries.first(where: { $0.name == setting }) else {
      throw ScriptError("unknown setting '\(setting)' (\(Words.choices(names)))", at: at)
    }
    try entry.apply(self, c.arguments[1])
    return .nil
  }

  /// `info settings` and `show`: a table of every setting, its value and the values it takes.
  func showSettings() -> Value {
    let rows =
      [["SETTING", "VALUE", "VALUES", "WHAT"]]
      + SettingsTable.entries.map { [$0.name, $0.current(self), $0.values, $0.summary] }
    let widths = (0..<3).map { column in rows.map { $0[column].count }.max()! + 2 }
    for row in rows {
      let padded = (0..<3).map { row[$0] + String(repeating: " ", count: widths[$0] - row[$0].count) }
      output.write(padded.joined() + row[3] + "\n")
    }
    return .nil
  }

}
