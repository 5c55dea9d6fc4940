/// A JSON value, as `JSONValue.parse` reads one (RFC 8259): enough to read back the lines of
/// a machsh JSON Lines export without Foundation, whose reader costs a dictionary of boxed
/// values per line.
public enum JSONValue: Equatable, Sendable {
  case null
  case bool(Bool)
  /// A number without fraction or exponent that fits in 64 bits.
  case int(Int64)
  case double(Double)
  case string(String)
  case array([JSONValue])
  /// Members in the order written (a later duplicate key wins in `subscript`).
  case object([(String, JSONValue)])

  public static func == (a: JSONValue, b: JSONValue) -> Bool {
    switch (a, b) {
    case (.null, .null): return true
    case (.bool(let x), .bool(let y)): return x == y
    case (.int(let x), .int(let y)): return x == y
    case (.double(let x), .double(let y)): return x == y
    case (.string(let x), .string(let y)): return x == y
    case (.array(let x), .array(let y)): return x == y
    case (.object(let x), .object(let y)):
      return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
    default: return false
    }
  }

  /// The member `key` of an object; nil for a missing key or a value that is not an object.
  public subscript(key: String) -> JSONValue? {
    guard case .object(let members) = self else { return nil }
    return members.last { $0.0 == key }?.1
  }

  /// Why a text is not one JSON value, and at which byte (from 0).
  public struct ParseError: Error, Equatable, Sendable {
    public var offset: Int
    public var message: String
  }

  /// Reads `text` as exactly one JSON value (whitespace around it allowed). Nesting deeper
  /// than 100 is an error, not a stack overflow.
  public static func parse(_ text: some Collection<UInt8>) -> Result<JSONValue, ParseError> {
    var reader = Reader(bytes: Array(text))
    do {
      reader.skipSpace()
      let value = try reader.value(depth: 0)
      reader.skipSpace()
      guard reader.at == reader.bytes.count else { throw reader.error("text after the value") }
      return .success(value)
    } catch let e as ParseError {
      return .failure(e)
    } catch {
      return .failure(ParseError(offset: 0, message: "\(error)"))
    }
  }

  private struct Reader {
    let bytes: [UInt8]
    var at = 0

    func error(_ message: String) -> ParseError { ParseError(offset: at, message: message) }

    var peek: UInt8? { at < bytes.count ? bytes[at] : nil }

    mutating func skipSpace() {
      while let c = peek, c == 0x20 || c == 0x09 || c == 0x0a || c == 0x0d { at += 1 }
    }

    mutating func expect(_ word: String) throws {
      for c in word.utf8 {
        guard peek == c else { throw error("expected \(word)") }
        at += 1
      }
    }

    mutating func value(depth: Int) throws -> JSONValue {
      guard depth < 100 else { throw error("nested too deeply") }
      switch peek {
      case UInt8(ascii: "{"):
        at += 1
        var members: [(String, JSONValue)] = []
        skipSpace()
        if peek == UInt8(ascii: "}") {
          at += 1
          return .object(members)
        }
        while true {
          skipSpace()
          guard peek == UInt8(ascii: "\"") else { throw error("expected a member name") }
          let key = try string()
          skipSpace()
          try expect(":")
          skipSpace()
          members.append((key, try value(depth: depth + 1)))
          skipSpace()
          if peek == UInt8(ascii: ",") {
            at += 1
            continue
          }
          try expect("}")
          return .object(members)
        }
      case UInt8(ascii: "["):
        at += 1
        var elements: [JSONValue] = []
        skipSpace()
        if peek == UInt8(ascii: "]") {
          at += 1
          return .array(elements)
        }
        while true {
          skipSpace()
          elements.append(try value(depth: depth + 1))
          skipSpace()
          if peek == UInt8(ascii: ",") {
            at += 1
            continue
          }
          try expect("]")
          return .array(elements)
        }
      case UInt8(ascii: "\""): return .string(try string())
      case UInt8(ascii: "t"):
        try expect("true")
        return .bool(true)
      case UInt8(ascii: "f"):
        try expect("false")
        return .bool(false)
      case UInt8(ascii: "n"):
        try expect("null")
        return .null
      case let c? where c == UInt8(ascii: "-") || (c >= 0x30 && c <= 0x39): return try number()
      default: throw error(peek == nil ? "the text ends where a value should be" : "expected a value")
      }
    }

    mutating func number() throws -> JSONValue {
      let start = at
      if peek == UInt8(ascii: "-") { at += 1 }
      func digits() throws {
        guard let c = peek, c >= 0x30 && c <= 0x39 else { throw error("expected a digit") }
        while let c = peek, c >= 0x30 && c <= 0x39 { at += 1 }
      }
      if peek == UInt8(ascii: "0") { at += 1 } else { try digits() }
      var integral = true
      if peek == UInt8(ascii: ".") {
        at += 1
        try digits()
        integral = false
      }
      if peek == UInt8(ascii: "e") || peek == UInt8(ascii: "E") {
        at += 1
        if peek == UInt8(ascii: "+") || peek == UInt8(ascii: "-") { at += 1 }
        try digits()
        integral = false
      }
      let text = String(decoding: bytes[start..<at], as: UTF8.self)
      if integral, let n = Int64(text) { return .int(n) }
      guard let d = Double(text) else { throw ParseError(offset: start, message: "a number out of range") }
      return .double(d)
    }

    mutating func string() throws -> String {
      at += 1  // the opening quote
      var out: [UInt8] = []
      while true {
        guard let c = peek else { throw error("the string does not end") }
        at += 1
        switch c {
        case UInt8(ascii: "\""):
          guard let s = String(validating: out, as: UTF8.self) else { throw error("the string is not UTF-8") }
          return s
        case UInt8(ascii: "\\"):
          guard let e = peek else { throw error("the string does not end") }
          at += 1
          switch e {
          case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
          case UInt8(ascii: "b"): out.append(0x08)
          case UInt8(ascii: "f"): out.append(0x0c)
          case UInt8(ascii: "n"): out.append(0x0a)
          case UInt8(ascii: "r"): out.append(0x0d)
          case UInt8(ascii: "t"): out.append(0x09)
          case UInt8(ascii: "u"):
            var scalar = try hex4()
            if scalar >= 0xd800 && scalar < 0xdc00 {  // a surrogate pair
              try expect("\\u")
              let low = try hex4()
              guard low >= 0xdc00 && low < 0xe000 else { throw error("a lone surrogate") }
              scalar = 0x10000 + (scalar - 0xd800) << 10 + (low - 0xdc00)
            }
            guard let u = Unicode.Scalar(scalar) else { throw error("a lone surrogate") }
            out.append(contentsOf: Array(String(u).utf8))
          default: throw error("an unknown escape")
          }
        case 0..<0x20: throw error("a control character in a string")
        default: out.append(c)
        }
      }
    }

    mutating func hex4() throws -> UInt32 {
      var v: UInt32 = 0
      for _ in 0..<4 {
        guard let c = peek, let d = hexDigitValue(c) else { throw error("expected four hex digits") }
        v = v << 4 | UInt32(d)
        at += 1
      }
      return v
    }

  }
}

/// The value of an ASCII hex digit, either case.
func hexDigitValue(_ c: UInt8) -> UInt8? {
  switch c {
  case 0x30...0x39: return c - 0x30
  case 0x61...0x66: return c - 0x61 + 10
  case 0x41...0x46: return c - 0x41 + 10
  default: return nil
  }
}
