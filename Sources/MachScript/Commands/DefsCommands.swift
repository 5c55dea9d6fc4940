import MachModel
import MachTrace
import MigDefs

// MIG interface definitions (docs/language.md, "Interfaces"): `defs load` reads .defs files,
// `info defs` and `info routine` show what they declare.

extension CommandRegistry {
  static let definitions: [CommandEntry] = [
    CommandEntry(
      "defs load", .tracing, usage: ["defs load \"PATH\" [include \"DIR\"] [define \"NAME[=VALUE]\"]"],
      summary: "MIG interface definitions: a .defs file, or every .defs file of a folder",
      returns: "the number of routines loaded",
      help: """
        The files are preprocessed as MIG preprocesses them (#include along `include` and --defs-include
        folders, then the system's; #define, #if), on i386. Each routine's requests and replies are then
        named and typed: `rpc` builds them, the trace names their arguments (`args.NAME` in filters), and
        `serve` answers them. KERNEL_USER and KERNEL_SERVER are off unless defined. A file with an error
        loads nothing; two routines may not share an id.
        """,
      required: [.file], options: ["include": .atom(.file), "define": .atom(.anything)]
    ) { s, c in try s.defsLoad(c) },
    CommandEntry(
      "info defs", .inspection, usage: ["info defs"], summary: "the interfaces loaded from .defs files"
    ) { s, _ in s.infoDefs() },
    CommandEntry(
      "info routine", .inspection, usage: ["info routine ROUTINE"],
      summary: "a routine's ids and its declaration", required: [.routine]
    ) { s, c in try s.infoRoutine(c) },
  ]
}

extension Session {
  /// Loads .defs files with the session's options (`--defs`).
  public func loadDefinitions(_ path: String) throws(DefsError) -> (files: [MigFile], collisions: [String]) {
    try intake.loadDefinitions(path, options: defsOptions)
  }

  func defsLoad(_ c: Command) throws -> Value {
    guard case .string(let path) = try evaluate(c.arguments[0]) else {
      throw ScriptError("defs load needs a file or folder name", at: c.arguments[0].location)
    }
    var options = defsOptions
    if let include = c.option("include") {
      guard case .string(let dir) = try evaluate(include.values[0]) else {
        throw ScriptError("include needs a folder name", at: include.location)
      }
      options.includeDirectories.insert(dir, at: 0)
    }
    if let define = c.option("define") {
      guard case .string(let text) = try evaluate(define.values[0]), let name = text.split(separator: "=").first,
        !name.isEmpty
      else {
        throw ScriptError("define needs \"NAME\" or \"NAME=VALUE\"", at: define.location)
      }
      let value = text.contains("=") ? String(text[text.index(after: text.firstIndex(of: "=")!)...]) : "1"
      options.defines[String(name)] = value
    }
    do {
      let (files, collisions) = try intake.loadDefinitions(path, options: options)
      for line in collisions { output.write("defs: id \(line)\n") }
      return .int(Int64(files.reduce(0) { $0 + $1.routines.count }))
    } catch {
      output.writeError(error.description + "\n")
      throw ScriptError("cannot load \(Value.quoted(path)): the error above", at: c.location)
    }
  }

  func infoDefs() -> Value {
    let subsystems = intake.definitions.files.compactMap { f in f.subsystem.map { (f, $0) } }
    guard !subsystems.isEmpty else {
      output.write("no interfaces loaded (defs load \"FILE\")\n")
      return .nil
    }
    for (file, s) in subsystems {
      let ids = file.routines.map(\.id)
      let range = ids.isEmpty ? "no routines" : "\(ids.min()!)…\(ids.max()!)"
      var line = "subsystem \(s.name) \(s.base): \(file.routines.count) routines (\(range))"
      if s.isKernelUser || s.isKernelServer {
        line += s.isKernelServer ? ", KernelServer" : ", KernelUser"
      }
      output.write(line + ", \(file.path)\n")
    }
    return .nil
  }

  func infoRoutine(_ c: Command) throws -> Value {
    let name: String
    switch c.arguments[0] {
    case .name(let n, _): name = n
    default:
      guard case .string(let n) = try evaluate(c.arguments[0]) else {
        throw ScriptError("info routine needs a routine name", at: c.arguments[0].location)
      }
      name = n
    }
    if let r = intake.definitions.routinesByName[name] {
      let reply = r.replyID.map { ", reply \($0)" } ?? " (no reply)"
      output.write(
        "\(r.name): id \(r.id)\(reply), subsystem \(r.subsystem), \(r.location.file):\(r.location.line)\n")
      output.write(r.signature + "\n")
      return .nil
    }
    if let r = RoutineTable.routine(named: name) {
      let reply = r.replyID.map { ", reply \($0)" } ?? " (no reply)"
      output.write("\(r.name): id \(r.id)\(reply), subsystem \(r.subsystem), the built-in table\n")
      var lines = ["\t\(r.targetName) : (the target)"]
      for a in r.arguments {
        let kind = a.direction == .input ? "" : a.direction == .output ? "out " : "inout "
        lines.append("\t\(kind)\(a.name) : \(Self.migSpelling(a.type))")
      }
      output.write("routine \(r.name)(\n" + lines.joined(separator: ";\n") + ");\n")
      return .nil
    }
    let known = Array(intake.definitions.routinesByName.keys) + RoutineTable.served.map(\.name)
    let hint = CommandRegistry.nearest(to: name, among: known).map { " (did you mean '\($0)'?)" } ?? ""
    throw ScriptError("unknown routine '\(name)'\(hint)", at: c.arguments[0].location)
  }
}

extension Session {
  /// A built-in table type as a .defs file would spell it.
  static func migSpelling(_ type: MigType) -> String {
    switch type {
    case .int32: return "int"
    case .boolean: return "boolean_t"
    case .portName: return "mach_port_name_t"
    case .port(let d): return TraceItem.dispositionWord(d)
    case .polyPort: return "mach_port_poly_t"
    case .structure(let fields): return "struct[\(fields.count)] of int"
    case .outOfLineNames: return "^array[] of mach_port_name_t"
    case .outOfLineInts: return "^array[] of int"
    case .outOfLinePorts: return "^array[] of mach_port_t"
    }
  }
}
