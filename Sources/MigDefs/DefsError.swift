// Where a .defs diagnostic points, and the error itself, printed as machsh prints its own:
// `FILE:LINE:COL: error: MESSAGE`, the source line, and a caret under the column.

/// A place in a source file: 1-based line and column.
public struct DefsLocation: Equatable, Hashable, Sendable {
  public var file: String
  public var line: Int
  public var column: Int

  public init(file: String, line: Int, column: Int) {
    self.file = file
    self.line = line
    self.column = column
  }
}

/// Why a .defs file could not be read, preprocessed or parsed.
public struct DefsError: Error, Equatable, Sendable, CustomStringConvertible {
  public var location: DefsLocation
  public var message: String
  /// The text of the line the location is on ("" when there is none, as for a missing file).
  public var sourceLine: String

  public init(_ message: String, at location: DefsLocation, sourceLine: String = "") {
    self.message = message
    self.location = location
    self.sourceLine = sourceLine
  }

  /// Three lines: the position and message, the source line, a caret under the column.
  public var description: String {
    let head = "\(location.file):\(location.line):\(location.column): error: \(message)"
    guard !sourceLine.isEmpty else { return head }
    // The caret lines up under tabs as the source line does.
    var caret = ""
    for c in sourceLine.prefix(max(0, location.column - 1)) { caret.append(c == "\t" ? "\t" : " ") }
    caret.append("^")
    return head + "\n" + sourceLine + "\n" + caret
  }
}
