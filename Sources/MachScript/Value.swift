import MachModel

/// A value of the language (language.md §2). Return codes are a kind of their own so that
/// they print by name (details.md §10); they compare equal to ints of the same value.
public indirect enum Value: Sendable {
  case int(Int64)
  /// A return code; `fromMachMsg` makes 0 print as MACH_MSG_SUCCESS rather than KERN_SUCCESS.
  case code(ReturnCode, fromMachMsg: Bool)
  case string(String)
  case bool(Bool)
  case `nil`
  case list([Value])

  /// The kind's name, as errors say it.
  public var kindName: String {
    switch self {
    case .int: return "int"
    case .code: return "return code"
    case .string: return "string"
    case .bool: return "bool"
    case .nil: return "nil"
    case .list: return "list"
    }
  }

  /// The kind with its article: "an int", "a string".
  public var kindWithArticle: String {
    let k = kindName
    return ("aeiou".contains(k.first!) ? "an " : "a ") + k
  }

  /// The integer an int or a return code stands for.
  public var integer: Int64? {
    switch self {
    case .int(let v): return v
    case .code(let c, _): return Int64(c)
    default: return nil
    }
  }

  /// How the value prints at top level: strings bare, everything else as it reads.
  public var printed: String {
    if case .string(let s) = self { return s }
    return literal
  }

  /// How the value prints inside a list: strings quoted, so that it can be typed back in.
  public var literal: String {
    switch self {
    case .int(let v): return String(v)
    case .code(let c, let m): return ReturnCodeNames.name(of: c, fromMachMsg: m)
    case .string(let s): return Self.quoted(s)
    case .bool(let b): return b ? "true" : "false"
    case .nil: return "nil"
    case .list(let items): return "[" + items.map(\.literal).joined(separator: ", ") + "]"
    }
  }

  static func quoted(_ s: String) -> String {
    var out = "\""
    for c in s.unicodeScalars {
      switch c {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\t": out += "\\t"
      case "\r": out += "\\r"
      case "\0": out += "\\0"
      case _ where c.value < 0x20 || c.value == 0x7f:
        let h = String(c.value, radix: 16)
        out += "\\x" + (h.count == 1 ? "0" + h : h)
      default: out.unicodeScalars.append(c)
      }
    }
    return out + "\""
  }

  /// Equality as `==` sees it: ints and return codes by value, lists element-wise.
  public static func equal(_ a: Value, _ b: Value) -> Bool {
    if let x = a.integer, let y = b.integer { return x == y }
    switch (a, b) {
    case (.string(let x), .string(let y)): return x == y
    case (.bool(let x), .bool(let y)): return x == y
    case (.nil, .nil): return true
    case (.list(let x), .list(let y)): return x.count == y.count && zip(x, y).allSatisfy { equal($0, $1) }
    default: return false
    }
  }

  /// Truth for `if`, `while`, `and`, `or`, `not`: only booleans.
  public var bool: Bool? {
    if case .bool(let b) = self { return b }
    return nil
  }
}
