/// A token of the command language (docs/language.md, Lexical rules).
public struct Token: Equatable, Sendable {
  public enum Kind: Equatable, Sendable {
    case identifier(String)
    case integer(Int64)
    case string(String)
    /// Punctuation and operators: `( ) [ ] { } , ; : . & == != < <= > >= + - * / % || && !` and `=`.
    case symbol(String)
    /// The end of a line (statements end there, except inside brackets).
    case newline
    case end
  }

  public var kind: Kind
  public var location: SourceLocation
  /// Whitespace (or the start of the line) stood just before the token.
  public var spaceBefore: Bool
  /// Character offsets of the token in the source.
  public var start: Int = 0
  public var end: Int = 0

  public func isSymbol(_ s: String) -> Bool { kind == .symbol(s) }
  public func isWord(_ w: String) -> Bool { kind == .identifier(w) }

  public var word: String? {
    if case .identifier(let w) = kind { return w }
    return nil
  }

  /// How the token reads in a message.
  public var text: String {
    switch kind {
    case .identifier(let w): return w
    case .integer(let v): return String(v)
    case .string(let s): return "\"" + s + "\""
    case .symbol(let s): return s
    case .newline: return "end of line"
    case .end: return "end of input"
    }
  }
}
