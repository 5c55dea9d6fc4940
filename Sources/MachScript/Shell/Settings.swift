import MachTrace

/// The shell's own settings (`set`, `info settings`); the model's limits live in the model
/// and the buffer's in the trace intake.
public struct Settings: Sendable {
  /// How trace records print: live, in `trace show` and after `step`.
  public var format: TraceFormat = .rpctrace
  /// Each top-level statement prints `> SOURCE` and its value.
  public var echo = false
  /// Colour for trace lines and completions (`set color`, `--color`); off by default.
  public var colors = TraceColors.none
  /// A virtual-time prefix on rpctrace lines (`set timestamps`), as strace's `-t` and `-r` and
  /// tshark's `-t` give.
  public var timestamps = Timestamps.off
  /// At the prompt on a terminal, long output stops after a screenful and asks for more, as
  /// gdb's does (`set pagination off` lets it run).
  public var pagination = true

  public init() {}
}

/// How rpctrace lines show virtual time: not at all; since boot (`absolute`); since the first
/// record in the buffer (`relative`); since the line shown before it (`delta`). Seconds with
/// microseconds, as `0.001250`.
public enum Timestamps: String, CaseIterable, Sendable {
  case off, absolute, relative, delta

  /// The prefix for a record at `time` (µs); `first` is the buffer's first record's time,
  /// `previous` the time of the line shown before (updated).
  func prefix(_ time: UInt64, first: UInt64, previous: inout UInt64?) -> String {
    defer { previous = time }
    let shown: UInt64
    switch self {
    case .off: return ""
    case .absolute: shown = time
    case .relative: shown = time >= first ? time - first : 0
    case .delta: shown = previous.map { time >= $0 ? time - $0 : 0 } ?? 0
    }
    let micro = String(shown % 1_000_000)
    return "\(shown / 1_000_000)." + String(repeating: "0", count: 6 - micro.count) + micro + " "
  }
}
