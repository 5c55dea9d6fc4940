import MachModel

/// The words the language knows for Mach things, and its predefined constants, made once from
/// the model's own tables (ConstantNames.swift, ReturnCodeNames): a word is the C name in
/// lower case without its prefix (`MACH_MSG_TYPE_MAKE_SEND` is `make_send`, `TASK_TRACE_PORT`
/// is `trace`, `MACH_NOTIFY_NO_SENDERS` is `no_senders`).
public enum Words {
  /// Dispositions, for `insert`, `port(…)`, `reply P RIGHT`, `dest RIGHT`.
  static let dispositions: [(String, UInt32)] = MsgType.dispositionNames.map {
    (word($0.0, droppingPrefix: "MACH_MSG_TYPE_"), $0.1)
  }

  /// Right kinds (`mach_port_right_t`), for `allocate` and `modrefs`, with the short words
  /// `info ports` shows for a port set and a dead name.
  static let rights: [(String, PortRight)] = PortRight.allCases.map { (shown($0), $0) }

  /// The word `info ports` and a port's `rights` field show for a right.
  static func shown(_ right: PortRight) -> String {
    switch right {
    case .portSet: return "portset"
    case .deadName: return "dead"
    default: return word(right.cName, droppingPrefix: "MACH_PORT_RIGHT_")
    }
  }

  /// Task special port slots, for `setport` and `getport`.
  static let slots: [(String, Int32)] = SpecialPort.taskNames.map {
    (word(String($0.0.dropLast("_PORT".count)), droppingPrefix: "TASK_"), $0.1)
  }

  /// The notifications `notify` can request.
  static let notifications: [(String, Int32)] = NotifyID.requestable.map {
    (word($0.0, droppingPrefix: "MACH_NOTIFY_"), $0.1)
  }

  /// Every predefined constant (docs/language.md, Values): return codes as `.code` values, so
  /// that they print by name, and the model's other named numbers as ints.
  public static let constants: [String: Value] = {
    var table: [String: Value] = [:]
    for (name, code) in ReturnCodeNames.machMsg { table[name] = .code(code, fromMachMsg: true) }
    for (name, code) in ReturnCodeNames.kern + ReturnCodeNames.mig { table[name] = .code(code, fromMachMsg: false) }
    var ints: [(String, Int64)] = MachMsgReturn.bitNames.map { ($0.0, Int64($0.1)) }
    ints += ExceptionType.names.map { ($0.0, Int64($0.1)) }
    ints += (SpecialPort.taskNames + SpecialPort.threadNames).map { ($0.0, Int64($0.1)) }
    ints += MsgType.names.map { ($0.0, Int64($0.1)) }
    ints += PortRight.allCases.map { ($0.cName, Int64($0.rawValue)) }
    ints += MachPort.names.map { ($0.0, Int64($0.1)) }
    ints += NotifyID.names.map { ($0.0, Int64($0.1)) }
    for (name, v) in ints { table[name] = .int(v) }
    table["pending"] = .pending(nil)
    return table
  }()

  /// Looks `word` up in `table`.
  static func value<T>(_ word: String, in table: [(String, T)]) -> T? { table.first { $0.0 == word }?.1 }

  /// "a, b or c", for an error that lists the choices.
  static func choices(_ words: [String]) -> String {
    guard words.count > 1 else { return words.first ?? "" }
    return words.dropLast().joined(separator: ", ") + " or " + words.last!
  }

  private static func word(_ cName: String, droppingPrefix prefix: String) -> String {
    String(cName.dropFirst(cName.hasPrefix(prefix) ? prefix.count : 0)).lowercased()
  }
}
