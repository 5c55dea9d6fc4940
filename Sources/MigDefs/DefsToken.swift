// The tokens of MIG's language and of the C preprocessor lines around it.

/// One token, with where it was written.
public struct DefsToken: Equatable, Sendable {
  public enum Kind: Equatable, Sendable {
    case identifier
    /// A decimal, octal or hexadecimal integer.
    case number
    /// A double-quoted string; `text` holds it without the quotes.
    case string
    /// An operator or punctuation: one character, or one of `|| && == != <= >= << >>`.
    case punctuation
  }

  public var kind: Kind
  public var text: String
  public var location: DefsLocation

  public init(_ kind: Kind, _ text: String, at location: DefsLocation) {
    self.kind = kind
    self.text = text
    self.location = location
  }

  public func isPunctuation(_ p: String) -> Bool { kind == .punctuation && text == p }
  public func isIdentifier(_ word: String) -> Bool { kind == .identifier && text == word }

  /// The value of a number token (C's forms: `0x1f`, `017`, `42`, with an ignored `U`/`L`
  /// suffix); nil for anything else or a value beyond 64 bits.
  public var integerValue: Int64? {
    guard kind == .number else { return nil }
    var digits = Substring(text)
    while let last = digits.last, "uUlL".contains(last) { digits = digits.dropLast() }
    if digits.hasPrefix("0x") || digits.hasPrefix("0X") { return Int64(digits.dropFirst(2), radix: 16) }
    if digits.count > 1 && digits.hasPrefix("0") { return Int64(digits.dropFirst(), radix: 8) }
    return Int64(digits)
  }
}

/// Splits one line of source (comments already blanked) into tokens. The line is UTF-8 bytes;
/// columns count characters (a multi-byte character is one column).
enum DefsLexer {
  /// The tokens of `line`, the `lineNumber`th line of `file`, its first byte at column
  /// `startColumn`. A character that starts no token is an error.
  static func tokens(
    of line: ArraySlice<UInt8>, file: String, lineNumber: Int, startColumn: Int = 1,
    sourceLine: () -> String
  ) throws(DefsError) -> [DefsToken] {
    var result: [DefsToken] = []
    var i = line.startIndex
    var column = startColumn
    func text(_ from: Int, _ to: Int) -> String { String(decoding: line[from..<to], as: UTF8.self) }
    func isIdentifierByte(_ b: UInt8) -> Bool { b == 95 || isLetter(b) || (48...57).contains(b) }
    while i < line.endIndex {
      let c = line[i]
      let location = DefsLocation(file: file, line: lineNumber, column: column)
      if c == 32 || c == 9 || c == 13 || c == 12 || c == 11 {  // space, tab, CR, FF, VT
        i += 1
        column += 1
      } else if c == 95 || isLetter(c) || (48...57).contains(c) {
        let start = i
        while i < line.endIndex, isIdentifierByte(line[i]) { i += 1 }
        result.append(DefsToken((48...57).contains(c) ? .number : .identifier, text(start, i), at: location))
        column += i - start
      } else if c == 34 {  // "
        let start = i
        i += 1
        var bytes: [UInt8] = []
        while i < line.endIndex, line[i] != 34 {
          if line[i] == 92, i + 1 < line.endIndex { i += 1 }  // a backslash keeps what follows
          bytes.append(line[i])
          i += 1
        }
        guard i < line.endIndex else { throw DefsError("unterminated string", at: location, sourceLine: sourceLine()) }
        i += 1
        result.append(DefsToken(.string, String(decoding: bytes, as: UTF8.self), at: location))
        column += characters(line[start..<i])
      } else if c < 128, punctuation.contains(c) {
        if i + 1 < line.endIndex, isTwoCharacterOperator(c, line[i + 1]) {
          result.append(DefsToken(.punctuation, text(i, i + 2), at: location))
          i += 2
          column += 2
        } else {
          result.append(DefsToken(.punctuation, text(i, i + 1), at: location))
          i += 1
          column += 1
        }
      } else {
        var end = i + 1
        while end < line.endIndex, line[end] & 0xc0 == 0x80 { end += 1 }
        throw DefsError("unexpected character '\(text(i, end))'", at: location, sourceLine: sourceLine())
      }
    }
    return result
  }

  /// `#;:,()[]{}=^*+-/|<>!&~%.?'` as bytes.
  private static let punctuation: Set<UInt8> = Set("#;:,()[]{}=^*+-/|<>!&~%.?'".utf8)

  private static func isTwoCharacterOperator(_ a: UInt8, _ b: UInt8) -> Bool {
    switch (a, b) {
    case (124, 124), (38, 38), (61, 61), (33, 61), (60, 61), (62, 61), (60, 60), (62, 62): return true
    default: return false
    }
  }

  private static func isLetter(_ b: UInt8) -> Bool { (97...122).contains(b) || (65...90).contains(b) }

  /// Characters in UTF-8 `bytes`: the bytes that do not continue a character.
  static func characters(_ bytes: ArraySlice<UInt8>) -> Int { bytes.reduce(0) { $0 + ($1 & 0xc0 == 0x80 ? 0 : 1) } }
}
