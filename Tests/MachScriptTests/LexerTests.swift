import Testing

@testable import MachScript

@Suite struct LexerTests {
  func texts(_ source: String) -> [String] {
    var lexer = Lexer(source, file: "t")
    return lexer.tokenize().map(\.text)
  }

  @Test(arguments: [
    ("send p id 0x2a", ["send", "p", "id", "42", "end of input"]),
    ("a==b != c<=d", ["a", "==", "b", "!=", "c", "<=", "d", "end of input"]),
    ("x # a comment\ny", ["x", "end of line", "y", "end of input"]),
    ("\"a\\n\\t\\\\\\\"\\x41\\0\"", ["\"a\n\t\\\"A\0\"", "end of input"]),
    ("client.1 server:3", ["client", ".", "1", "server", ":", "3", "end of input"]),
    ("a&&b||!c", ["a", "&&", "b", "||", "!", "c", "end of input"]),
  ])
  func tokens(source: String, expected: [String]) {
    #expect(texts(source) == expected)
  }

  @Test func positionsCountCharacters() {
    var lexer = Lexer("é = 1\n  x", file: "t")
    let tokens = lexer.tokenize()
    // The stray character is not a token; the others keep their columns after it.
    #expect(tokens.map { "\($0.location.line):\($0.location.column)" } == ["1:3", "1:5", "1:6", "2:3", "2:4"])
    #expect(lexer.diagnostics.map(\.message) == ["unexpected character U+E9"])
  }

  @Test(arguments: [
    ("\"open", "unterminated string"),
    ("\"bad \\q\"", "unknown escape '\\q'"),
    ("\"\\x4\"", "\\x needs two hexadecimal digits"),
    ("99999999999999999999", "integer literal is too large for 64 bits"),
    ("12ab", "malformed integer literal"),
    ("a @ b", "unexpected character '@'"),
  ])
  func errors(source: String, message: String) {
    var lexer = Lexer(source, file: "t")
    _ = lexer.tokenize()
    #expect(lexer.diagnostics.map(\.message) == [message])
  }
}
