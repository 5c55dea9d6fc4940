import MachModel
import MachTrace

extension Session {
  /// Words Tab can complete at the end of `line`: commands and statement words at the start
  /// of a statement; after a command, its options and subcommands, task names, variables,
  /// constants, routine names, right words and record fields (in filters).
  public func completions(line: String, word: String) -> [String] {
    let statementStart = line.split(whereSeparator: { $0 == ";" || $0 == "{" }).last.map(String.init) ?? line
    let words = statementStart.split(separator: " ").map(String.init)
    let atStart = words.isEmpty || (words.count == 1 && !statementStart.hasSuffix(" "))
    if atStart {
      return (Array(CommandTable.specs.keys) + Array(CommandTable.statementWords)).filter { $0.hasPrefix(word) }
    }
    var candidates: [String] = []
    if let spec = CommandTable.specs[words[0]] {
      candidates += spec.options.keys
      candidates += spec.subcommands.keys
      for sub in spec.subcommands.values { candidates += sub.options.keys }
    }
    if ["rpc"].contains(words[0]) { candidates += RoutineTable.served.map(\.name) }
    candidates += kernel.tasks.map(\.name)
    candidates += interpreter.globalNames
    candidates += Constants.all.keys
    candidates += Array(Self.dispositions.keys) + Array(Self.rightKinds.keys) + Array(Self.slots.keys)
    candidates += ["echo", "sink", "exc_handler", "rpctrace", "verbose", "json", "on", "off"]
    candidates += TraceExport.allCases.map(\.rawValue) + ["all"]
    if words.contains(where: { ["where", "watch", "filter", "by"].contains($0) }) || line.contains("(") {
      candidates += FilterCompiler.fields
      candidates += FilterCompiler.directions.map(Value.quoted) + FilterCompiler.kinds.map(Value.quoted)
    }
    candidates += ["len", "hex", "name", "routine", "count", "first", "records", "decode"]
    return Array(Set(candidates.filter { $0.hasPrefix(word) && !$0.hasPrefix("__") }))
  }
}
