/// Splits source text into tokens (docs/language.md, Lexical rules; docs/shell.md §2): identifiers, decimal and
/// hexadecimal integers (64-bit; a minus sign is the parser's business), strings with
/// `\n \t \\ \" \0 \r \xNN` escapes, punctuation, newlines; `#` comments are dropped.
/// Errors (a stray character, an unterminated string, a bad escape, an integer too large) are
/// collected and the lexer goes on.
public struct Lexer {
  private let chars: [Character]
  private let file: String
  private var i = 0
  private var line = 1
  private var column = 1
  public private(set) var diagnostics: [Diagnostic] = []

  public init(_ source: String, file: String) {
    chars = Array(source)
    self.file = file
  }

  private static let twoCharSymbols: Set<String> = ["==", "!=", "<=", ">=", "||", "&&", ".."]
  private static let oneCharSymbols: Set<Character> = [
    "(", ")", "[", "]", "{", "}", ",", ";", ":", ".", "&", "<", ">", "+", "-", "*", "/", "%", "!", "=",
  ]

  private var here: SourceLocation { SourceLocation(file: file, line: line, column: column) }

  private mutating func advance() {
    if chars[i] == "\n" {
      line += 1
      column = 1
    } else {
      column += 1
    }
    i += 1
  }

  /// Every token, ending with `.end`, each with its character offsets.
  public mutating func tokenize() -> [Token] {
    var tokens: [Token] = []
    var startOffset = 0
    var count = 0
    defer { _ = count }
    var space = true
    while i < chars.count {
      if tokens.count > count {  // the token just made ends here
        tokens[tokens.count - 1].start = startOffset
        tokens[tokens.count - 1].end = i
        count = tokens.count
      }
      startOffset = i
      if diagnostics.count >= Parser.maxDiagnostics {
        // Past this, the input is not a script (a binary file, say): stop reading it.
        diagnostics.append(Diagnostic(Parser.tooMany, at: here))
        break
      }
      let c = chars[i]
      let start = here
      if c == "\n" {
        tokens.append(Token(kind: .newline, location: start, spaceBefore: space))
        advance()
        space = true
      } else if c == " " || c == "\t" || c == "\r" {
        advance()
        space = true
      } else if c == "#" {
        while i < chars.count && chars[i] != "\n" { advance() }
      } else if c.isASCII && (c.isLetter || c == "_") {
        var word = ""
        while i < chars.count, chars[i].isASCII, chars[i].isLetter || chars[i].isNumber || chars[i] == "_" {
          word.append(chars[i])
          advance()
        }
        // gdb's `reverse-step` and `reverse-continue` are one word each.
        if word == "reverse", i < chars.count, chars[i] == "-" {
          for rest in ["step", "continue"] where chars[(i + 1)...].starts(with: rest) {
            let after = i + 1 + rest.count
            if after == chars.count || !(chars[after].isLetter || chars[after].isNumber || chars[after] == "_") {
              for _ in 0...rest.count { advance() }
              word += "-" + rest
              break
            }
          }
        }
        tokens.append(Token(kind: .identifier(word), location: start, spaceBefore: space))
        space = false
      } else if c.isASCII && c.isNumber {
        tokens.append(Token(kind: .integer(number(start)), location: start, spaceBefore: space))
        space = false
      } else if c == "\"" {
        tokens.append(Token(kind: .string(string(start)), location: start, spaceBefore: space))
        space = false
      } else if i + 1 < chars.count, Self.twoCharSymbols.contains(String([c, chars[i + 1]])) {
        tokens.append(Token(kind: .symbol(String([c, chars[i + 1]])), location: start, spaceBefore: space))
        advance()
        advance()
        space = false
      } else if Self.oneCharSymbols.contains(c) {
        tokens.append(Token(kind: .symbol(String(c)), location: start, spaceBefore: space))
        advance()
        space = false
      } else {
        let shown =
          c.isASCII && c.asciiValue! >= 0x20
          ? "'\(c)'" : "U+" + String(c.unicodeScalars.first!.value, radix: 16, uppercase: true)
        diagnostics.append(Diagnostic("unexpected character \(shown)", at: start))
        advance()
        space = true
      }
    }
    if tokens.count > count {
      tokens[tokens.count - 1].start = startOffset
      tokens[tokens.count - 1].end = i
    }
    tokens.append(Token(kind: .end, location: here, spaceBefore: true, start: i, end: i))
    return tokens
  }

  private mutating func number(_ start: SourceLocation) -> Int64 {
    var digits = ""
    var radix = 10
    if chars[i] == "0", i + 1 < chars.count, chars[i + 1] == "x" || chars[i + 1] == "X" {
      radix = 16
      advance()
      advance()
    }
    while i < chars.count, chars[i].isASCII, chars[i].isHexDigit || chars[i].isLetter || chars[i] == "_" {
      digits.append(chars[i])
      advance()
    }
    guard !digits.isEmpty, let value = Int64(digits, radix: radix) else {
      if !digits.isEmpty, digits.allSatisfy({ $0.isHexDigit && (radix == 16 || $0.isNumber) }) {
        diagnostics.append(Diagnostic("integer literal is too large for 64 bits", at: start))
      } else {
        diagnostics.append(Diagnostic("malformed integer literal", at: start))
      }
      return 0
    }
    return value
  }

  private mutating func string(_ start: SourceLocation) -> String {
    advance()  // the opening quote
    var text = ""
    while i < chars.count {
      let c = chars[i]
      if c == "\"" {
        advance()
        return text
      }
      if c == "\n" { break }
      if c == "\\" {
        let escapeAt = here
        advance()
        guard i < chars.count, chars[i] != "\n" else { break }
        let e = chars[i]
        advance()
        switch e {
        case "n": text.append("\n")
        case "t": text.append("\t")
        case "r": text.append("\r")
        case "0": text.append("\0")
        case "\\": text.append("\\")
        case "\"": text.append("\"")
        case "x":
          var hex = ""
          while hex.count < 2, i < chars.count, chars[i].isHexDigit {
            hex.append(chars[i])
            advance()
          }
          if hex.count == 2, let v = UInt8(hex, radix: 16) {
            text.unicodeScalars.append(RawBytes.scalar(v))  // ≥ 0x80: the byte itself
          } else {
            diagnostics.append(Diagnostic("\\x needs two hexadecimal digits", at: escapeAt))
          }
        default:
          diagnostics.append(Diagnostic("unknown escape '\\\(e)'", at: escapeAt))
        }
        continue
      }
      text.append(c)
      advance()
    }
    diagnostics.append(Diagnostic("unterminated string", at: start))
    return text
  }
}
