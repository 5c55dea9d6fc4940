import MachModel
import MachTrace

// The functions and statements the interpreter leaves to the shell: `count`, `first`,
// `records`, `decode`; `source`, `help`, `explain`.

extension Session {
  public func call(_ name: String, _ args: [Expr], in interpreter: Interpreter, at: SourceLocation) throws -> Value? {
    switch name {
    case "count", "first", "records":
      guard args.count == 1 else { throw ScriptError("'\(name)' takes a filter", at: at) }
      let filter = try compileFilter(args[0])
      let buffer = intake.buffer
      switch name {
      case "count":
        if let fast = filter.clauses { return .int(Int64(fast.count(in: buffer))) }
        return .int(Int64(try buffer.count(where: filter.test)))
      case "first": return try buffer.first(where: filter.test).map(recordValue) ?? .nil
      default: return .list(try buffer.filter(filter.test).map(recordValue))
      }
    case "decode":
      guard args.count == 1 else { throw ScriptError("'decode' takes a received message", at: at) }
      guard case .message(let m) = try interpreter.evaluate(args[0]) else {
        throw ScriptError(
          "'decode' takes a received trace message (receive it from a trace port)", at: args[0].location)
      }
      let space = kernel.tasks[Int(m.task)].space
      let result = intake.decode(traceMessage: m.bytes) { [kernel] name in
        guard let o = space.lookup(name)?.object, o >= 0 else { return (nil, nil) }
        return (kernel.taskOf(port: o), kernel.threadOf(port: o))
      }
      switch result {
      case .success(let record): return recordValue(record)
      case .failure(let error): throw ScriptError("cannot decode: \(error)", at: args[0].location)
      }
    default:
      return nil
    }
  }

  public func statement(_ s: Stmt, in interpreter: Interpreter) throws {
    switch s {
    case .source(let e, let at):
      guard case .string(let path) = try interpreter.evaluate(e) else {
        throw ScriptError("'source' needs a file name", at: at)
      }
      let resolved = path.hasPrefix("/") ? path : directory(of: at.file) + path
      guard interpreter.runDepth <= Interpreter.maxSourceDepth else {
        throw ScriptError(
          "source nests deeper than \(Interpreter.maxSourceDepth) files (does a file source itself?)", at: at)
      }
      let text: String
      switch readFile(resolved) {
      case .success(let t): text = t
      case .failure(let problem): throw ScriptError("cannot read \(Value.quoted(resolved)): \(problem)", at: at)
      }
      if case .error = interpreter.run(source: text, file: resolved) {
        throw ScriptError("errors in \(Value.quoted(resolved))", at: at)
      }
    case .help(let topic, _):
      output.write(Help.text(topic, procedures: interpreter.procedureNames) + "\n")
    case .explain(let e, let at):
      // An exception constant (EXC_BAD_ACCESS is 1, as KERN_INVALID_ADDRESS is) is explained
      // as an exception.
      if case .name(let n, _)? = e, let exception = Words.value(n, in: ExceptionType.names) {
        output.write(Explain.exception(n, exception) + "\n")
        return
      }
      let v: Value = try e.map { try interpreter.evaluate($0) } ?? (interpreter.rc)
      output.write(try Explain.text(v, session: self, at: e?.start ?? at) + "\n")
    default:
      break
    }
  }

  private func directory(of file: String) -> String {
    guard let slash = file.lastIndex(of: "/") else { return "" }
    return String(file[...slash])
  }
}
