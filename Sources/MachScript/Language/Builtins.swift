import MachModel
import MachTrace

/// The built-in functions of docs/language.md, Expressions that need no kernel: `len`, `hex`, `name`,
/// `routine`. (`count`, `first`, `records` and `decode` read the trace buffer: the shell's.)
enum Builtins {
  static let names: Set<String> = ["len", "hex", "name", "routine", "count", "first", "records", "decode"]
  /// `routine(ID)` without a shell: the built-in table only.
  static let builtInRoutineName: @Sendable (Int32) -> String = { MsgIdTable().name(of: $0) }

  static let comparisons: Set<String> = ["==", "!=", "<", "<=", ">", ">=", "in", "contains", "matches"]

  static func call(_ name: String, _ args: [Value], routineName: (Int32) -> String, at: SourceLocation) throws -> Value
  {
    func one() throws -> Value {
      guard args.count == 1 else { throw ScriptError("'\(name)' takes 1 argument, not \(args.count)", at: at) }
      return args[0]
    }
    func integer() throws -> Int64 {
      let v = try one()
      guard let n = v.integer else { throw ScriptError("'\(name)' needs an int, not \(v.kindWithArticle)", at: at) }
      return n
    }
    switch name {
    case "len":
      switch try one() {
      case .list(let items): return .int(Int64(items.count))
      case .string(let s): return .int(Int64(s.count))
      case let v: throw ScriptError("'len' needs a list or a string, not \(v.kindWithArticle)", at: at)
      }
    case "hex":
      let n = try integer()
      return .string((n < 0 ? "-0x" : "0x") + String(n.magnitude, radix: 16))
    case "name":
      let n = try integer()
      guard let code = Int32(exactly: n) else { return .string(String(n)) }
      if case .code(let c, let m) = args[0] { return .string(ReturnCodeNames.name(of: c, fromMachMsg: m)) }
      return .string(ReturnCodeNames.name(of: code))
    case "routine":
      let n = try integer()
      guard let id = Int32(exactly: n) else { return .string("") }
      return .string(routineName(id))
    case "count", "first", "records", "decode":
      throw ScriptError("'\(name)' reads the trace buffer: it needs the machsh shell", at: at)
    default:
      throw ScriptError("unknown function '\(name)'", at: at)
    }
  }
}
