import MachModel

/// ANSI colours for terminal output: task and thread names, the direction arrow, and return
/// codes (green for success, red for an error). Disabled, every function returns its text
/// unchanged, so pipes and files never see an escape sequence.
public struct TraceColors: Sendable, Equatable {
  public var enabled: Bool

  public init(enabled: Bool) { self.enabled = enabled }

  public static let none = TraceColors(enabled: false)

  /// Whether colour suits this output: on a terminal, unless `NO_COLOR` is set to anything
  /// but the empty string (no-color.org).
  public static func suits(isTerminal: Bool, noColor: String?) -> Bool {
    isTerminal && (noColor ?? "").isEmpty
  }

  public func who(_ text: String) -> String { paint(text, "36") }

  public func arrow(_ direction: TraceMessage.Direction) -> String {
    direction == .send ? paint("->", "33") : paint("<-", "35")
  }

  /// A return code's name: green when it is a success, red otherwise.
  public func code(_ name: String, success: Bool) -> String { paint(name, success ? "32" : "31") }

  public func paint(_ text: String, _ sgr: String) -> String {
    enabled ? "\u{1B}[\(sgr)m\(text)\u{1B}[0m" : text
  }
}
