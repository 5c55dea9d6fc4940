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

/// Splits one line of source (comments already blanked) into tokens.
enum DefsLexer {
  static let twoCharacterOperators: Set<String> = ["||", "&&", "==", "!=", "<=", ">=", "<<", ">>"]

  /// The tokens of `line`, the `lineNumber`th line of `file`; the first column is 1. A
  /// character that starts no token is an error.
  static func tokens(
    of line: Substring, file: String, lineNumber: Int, startColumn: Int = 1
  ) throws(DefsError)
    -> [DefsToken]
  {
    var result: [DefsToken] = []
    let chars = Array(line.unicodeScalars)
    var i = 0
    func location(_ at: Int) -> DefsLocation { DefsLocation(file: file, line: lineNumber, column: startColumn + at) }
    while i < chars.count {
      let c = chars[i]
      if c == " " || c == "\t" || c == "\r" || c == "\u{0C}" || c == "\u{0B}" {
        i += 1
      } else if c == "_" || isLetter(c) {
        let start = i
        while i < chars.count, chars[i] == "_" || isLetter(chars[i]) || ("0"..."9").contains(chars[i]) { i += 1 }
        result.append(DefsToken(.identifier, String(String.UnicodeScalarView(chars[start..<i])), at: location(start)))
      } else if ("0"..."9").contains(c) {
        let start = i
        while i < chars.count, chars[i] == "_" || isLetter(chars[i]) || ("0"..."9").contains(chars[i]) { i += 1 }
        result.append(DefsToken(.number, String(String.UnicodeScalarView(chars[start..<i])), at: location(start)))
      } else if c == "\"" {
        let start = i
        i += 1
        var text = String.UnicodeScalarView()
        while i < chars.count, chars[i] != "\"" {
          if chars[i] == "\\", i + 1 < chars.count { i += 1 }
          text.append(chars[i])
          i += 1
        }
        guard i < chars.count else {
          throw DefsError("unterminated string", at: location(start), sourceLine: String(line))
        }
        i += 1
        result.append(DefsToken(.string, String(text), at: location(start)))
      } else if c.isASCII, "#;:,()[]{}=^*+-/|<>!&~%.?'".unicodeScalars.contains(c) {
        if i + 1 < chars.count {
          let pair = String(String.UnicodeScalarView([c, chars[i + 1]]))
          if twoCharacterOperators.contains(pair) {
            result.append(DefsToken(.punctuation, pair, at: location(i)))
            i += 2
            continue
          }
        }
        result.append(DefsToken(.punctuation, String(c), at: location(i)))
        i += 1
      } else {
        throw DefsError("unexpected character '\(c)'", at: location(i), sourceLine: String(line))
      }
    }
    return result
  }

  private static func isLetter(_ c: Unicode.Scalar) -> Bool { ("a"..."z").contains(c) || ("A"..."Z").contains(c) }
}
