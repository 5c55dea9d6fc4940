import MachTrace

/// A watch (language.md §5 "Watches", details.md §7): a breakpoint on the trace stream. Its
/// value stays readable after it is removed, with `enabled` false.
public final class Watch: @unchecked Sendable {
  /// Numbered from 1 and never reused.
  public let id: Int
  let filter: Filter
  /// The filter as written, for `watches`.
  public let text: String
  public let once: Bool
  /// Matches still to skip (`ignore N`); the do block does not run for them.
  var ignoreLeft: Int
  public let ignore: Int
  let block: [Stmt]?
  /// Every matching record, ignored or not.
  public internal(set) var hits = 0
  public internal(set) var enabled = true
  public internal(set) var removed = false

  init(id: Int, filter: Filter, text: String, once: Bool, ignore: Int, block: [Stmt]?) {
    self.id = id
    self.filter = filter
    self.text = text
    self.once = once
    self.ignore = ignore
    self.ignoreLeft = ignore
    self.block = block
  }

  /// `once, ignore 2, do` — the options as `watches` lists them.
  var optionsText: String {
    var parts: [String] = []
    if once { parts.append("once") }
    if ignore > 0 { parts.append("ignore \(ignore)") }
    if block != nil { parts.append("do") }
    return parts.joined(separator: ", ")
  }
}
