/// A place in a source: the file label (a path, `<command-line>`, `<stdin>`, `<repl>`), and a
/// line and a column counted in characters, both from 1.
public struct SourceLocation: Equatable, Hashable, Sendable, CustomStringConvertible {
  public var file: String
  public var line: Int
  public var column: Int

  public init(file: String, line: Int, column: Int) {
    self.file = file
    self.line = line
    self.column = column
  }

  public var description: String { "\(file):\(line):\(column)" }
}

/// An error the user sees: where, what, and notes pointing elsewhere (such as the line where an
/// unclosed bracket opened). One renderer prints every diagnostic the same way.
public struct Diagnostic: Error, Equatable, Sendable {
  public var location: SourceLocation
  public var message: String
  public var notes: [(message: String, location: SourceLocation)]
  /// The input ended inside a construct: at the prompt, more lines may finish it.
  public var isUnexpectedEnd: Bool

  public init(
    _ message: String, at location: SourceLocation, notes: [(String, SourceLocation)] = [], unexpectedEnd: Bool = false
  ) {
    self.message = message
    self.location = location
    self.notes = notes.map { (message: $0.0, location: $0.1) }
    self.isUnexpectedEnd = unexpectedEnd
  }

  public static func == (a: Diagnostic, b: Diagnostic) -> Bool {
    a.location == b.location && a.message == b.message && a.isUnexpectedEnd == b.isUnexpectedEnd
      && a.notes.elementsEqual(b.notes) { $0.message == $1.message && $0.location == $1.location }
  }

  /// `FILE:LINE:COL: error: MESSAGE`, the source line and a caret under the column (tabs in
  /// the line are kept under the caret, so it lines up); then each note the same way.
  public func rendered(source: String) -> String {
    rendered(lines: Self.lines(of: source))
  }

  /// The same, with the source already cut into lines (`lines(of:)`), for many diagnostics
  /// of one file.
  public func rendered(lines: [Substring]) -> String {
    var out = Self.render(kind: "error", message, at: location, lines: lines)
    for note in notes { out += "\n" + Self.render(kind: "note", note.message, at: note.location, lines: lines) }
    return out
  }

  public static func lines(of source: String) -> [Substring] {
    source.split(separator: "\n", omittingEmptySubsequences: false)
  }

  static func render(kind: String, _ message: String, at location: SourceLocation, lines: [Substring]) -> String {
    var out = "\(location): \(kind): \(message)"
    guard location.line >= 1, location.line <= lines.count else { return out }
    // A line longer than 200 characters shows a window of 200 around the column, with "..."
    // where it is cut, so the caret stays under the error however far along the line it is.
    let line = Array(lines[location.line - 1])
    let column = max(0, min(location.column - 1, line.count))
    let start = line.count <= 200 ? 0 : max(0, min(column - 100, line.count - 200))
    let end = min(line.count, start + 200)
    let lead = start > 0 ? "..." : ""
    out += "\n" + lead + String(line[start..<end]) + (end < line.count ? "..." : "") + "\n"
    let under: [Character] = line[start..<column].map { $0 == "\t" ? "\t" : " " }
    out += String(repeating: " ", count: lead.count) + String(under) + "^"
    return out
  }
}
