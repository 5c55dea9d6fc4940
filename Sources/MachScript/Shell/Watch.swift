import MachTrace

/// A watch (docs/language.md, Watches): a breakpoint on the trace stream. Its value stays
/// readable after it is removed, with `enabled` false. Its counts change as records are
/// matched (`TraceIntake.match`).
public final class Watch: @unchecked Sendable {
  /// Numbered from 1 and never reused.
  public let id: Int
  let filter: Filter
  /// The filter as written, for `watches`.
  public let text: String
  public let once: Bool
  /// Matches still to skip (`ignore N`); the do block does not run for them.
  private var ignoreLeft: Int
  public let ignore: Int
  let block: [Stmt]?
  /// Where the `watch` command was, for errors about the watch itself.
  let location: SourceLocation
  /// Every matching record, ignored or not.
  public private(set) var hits = 0
  public private(set) var enabled = true
  public private(set) var removed = false

  init(id: Int, filter: Filter, text: String, once: Bool, ignore: Int, block: [Stmt]?, location: SourceLocation) {
    self.location = location
    self.id = id
    self.filter = filter
    self.text = text
    self.once = once
    self.ignore = ignore
    self.ignoreLeft = ignore
    self.block = block
  }

  /// What one record does to a watch.
  enum Firing {
    case none
    /// The watch fires: run its block, or stop the model.
    case fires
    /// Its filter failed: the watch is gone, and the error is reported.
    case failed(Error)
  }

  /// Matches `record`: every match counts as a hit, `ignore` skips the first ones, and `once`
  /// removes the watch when it fires.
  func match(_ record: TraceRecord) -> Firing {
    guard enabled && !removed else { return .none }
    do {
      guard try filter.test(record) else { return .none }
    } catch {
      remove()
      return .failed(error)
    }
    hits += 1
    if ignoreLeft > 0 {
      ignoreLeft -= 1
      return .none
    }
    if once { remove() }
    return .fires
  }

  func setEnabled(_ on: Bool) { enabled = on }

  func remove() {
    removed = true
    enabled = false
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
