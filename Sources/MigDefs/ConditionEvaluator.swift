// C's integer constant expressions, as `#if` evaluates them: `|| && | ^ & == != < > <= >= << >>
// + - * / %`, unary `! - + ~`, `?:` and parentheses, over 64-bit integers.

struct ConditionEvaluator {
  struct Failure: Error {
    var message: String
    var location: DefsLocation?
  }

  let tokens: [DefsToken]
  var position = 0

  init(tokens: [DefsToken]) { self.tokens = tokens }

  mutating func evaluate() throws(Failure) -> Int64 {
    let value = try conditional()
    if position < tokens.count {
      throw Failure(message: "unexpected '\(tokens[position].text)' in #if", location: tokens[position].location)
    }
    return value
  }

  private static let levels: [[String]] = [
    ["||"], ["&&"], ["|"], ["^"], ["&"], ["==", "!="], ["<", ">", "<=", ">="], ["<<", ">>"], ["+", "-"],
    ["*", "/", "%"],
  ]

  private mutating func conditional() throws(Failure) -> Int64 {
    let condition = try binary(0)
    guard peek("?") else { return condition }
    position += 1
    let yes = try conditional()
    guard peek(":") else { throw failure("expected ':' in #if") }
    position += 1
    let no = try conditional()
    return condition != 0 ? yes : no
  }

  private mutating func binary(_ level: Int) throws(Failure) -> Int64 {
    guard level < Self.levels.count else { return try unary() }
    var left = try binary(level + 1)
    while position < tokens.count, tokens[position].kind == .punctuation,
      Self.levels[level].contains(tokens[position].text)
    {
      let op = tokens[position]
      position += 1
      let right = try binary(level + 1)
      switch op.text {
      case "||": left = (left != 0 || right != 0) ? 1 : 0
      case "&&": left = (left != 0 && right != 0) ? 1 : 0
      case "|": left |= right
      case "^": left ^= right
      case "&": left &= right
      case "==": left = left == right ? 1 : 0
      case "!=": left = left != right ? 1 : 0
      case "<": left = left < right ? 1 : 0
      case ">": left = left > right ? 1 : 0
      case "<=": left = left <= right ? 1 : 0
      case ">=": left = left >= right ? 1 : 0
      case "<<": left = right >= 0 && right < 64 ? left << right : 0
      case ">>": left = right >= 0 && right < 64 ? left >> right : 0
      case "+": left = left &+ right
      case "-": left = left &- right
      case "*": left = left &* right
      default:
        guard right != 0 else { throw Failure(message: "division by zero in #if", location: op.location) }
        left =
          op.text == "/"
          ? left.dividedReportingOverflow(by: right).partialValue
          : left.remainderReportingOverflow(dividingBy: right).partialValue
      }
    }
    return left
  }

  private mutating func unary() throws(Failure) -> Int64 {
    guard position < tokens.count else { throw failure("#if expression ends too soon") }
    let t = tokens[position]
    position += 1
    switch t.kind {
    case .number:
      guard let v = t.integerValue else { throw Failure(message: "bad number '\(t.text)'", location: t.location) }
      return v
    case .identifier:
      return 0  // an identifier that is not a macro
    case .string:
      throw Failure(message: "a string in #if", location: t.location)
    case .punctuation:
      switch t.text {
      case "!": return try unary() == 0 ? 1 : 0
      case "-": return 0 &- (try unary())
      case "+": return try unary()
      case "~": return ~(try unary())
      case "(":
        let v = try conditional()
        guard peek(")") else { throw failure("expected ')' in #if") }
        position += 1
        return v
      default:
        throw Failure(message: "unexpected '\(t.text)' in #if", location: t.location)
      }
    }
  }

  private func peek(_ p: String) -> Bool { position < tokens.count && tokens[position].isPunctuation(p) }

  private func failure(_ message: String) -> Failure {
    Failure(message: message, location: position < tokens.count ? tokens[position].location : tokens.last?.location)
  }
}
