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

  public init() {}
}
