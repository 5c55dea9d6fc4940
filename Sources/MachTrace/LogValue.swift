/// An argument or reply value as an rpctrace log prints it (`print_contents`, `print_data`).
public enum LogValue: Equatable, Sendable {
  case int(Int64)
  /// `%g`: MACH_MSG_TYPE_REAL.
  case real(Double)
  /// A string or char array, its escapes undone (rpctrace cuts it at 80 characters).
  case string(String)
  /// `{a b c}`: an array of two or more elements (an empty one prints nothing).
  case array([LogValue])
  /// `pn{ 5 6}`: MACH_MSG_TYPE_PORT_NAME, plain numbers.
  case portNames([UInt32])
  /// A port right, named as rpctrace named it: `task5(pid12)`, `  3<--41(pid12)`,
  /// `reply(41:dir_lookup)`, … (a right to a port rpctrace had no name for prints as a
  /// number, and reads as `int`).
  case right(String)
  /// `(null)` and `(dead)`: MACH_PORT_NULL and MACH_PORT_DEAD in a right's place.
  case null
  case dead

  /// The value as machsh prints an argument.
  public var text: String {
    switch self {
    case .int(let v): return String(v)
    case .real(let v): return String(v)
    case .string(let s): return TraceFormat.quoted(s)
    case .array(let a): return "{" + a.map(\.text).joined(separator: " ") + "}"
    case .portNames(let n): return "pn{" + n.map(String.init).joined(separator: " ") + "}"
    case .right(let name): return name
    case .null: return "(null)"
    case .dead: return "(dead)"
    }
  }

  /// Reads the values between `start` and `end`, which `RpctraceSyntax.valuesEnd` accepted.
  static func values(_ text: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) -> [LogValue] {
    var out: [LogValue] = []
    var i = start
    while true {
      while i < end, RpctraceSyntax.isSpace(text[i]) { i += 1 }
      guard i < end else { return out }
      if text[i] == UInt8(ascii: "\"") {
        // The string's end: the first quote after which the rest still reads, as
        // `RpctraceSyntax.valuesEnd` found it.
        var q = i + 1
        var close = end - 1
        while q < end {
          if text[q] == UInt8(ascii: "\""),
            q + 1 >= end || RpctraceSyntax.isSpace(text[q + 1]),
            RpctraceSyntax(text, from: q + 1, to: end).valuesEnd(closing: false) == end
          {
            close = q
            break
          }
          q += 1
        }
        out.append(.string(unescape(text, from: i + 1, to: close)))
        i = close + 1
        continue
      }
      guard let e = RpctraceSyntax.simpleValueEnd(text, from: i, end: end) else { return out }
      out.append(simpleValue(text, from: i, to: e))
      i = e
    }
  }

  static func simpleValue(_ text: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) -> LogValue {
    let token = text[start..<end]
    if token.first == UInt8(ascii: "{") || token.starts(with: Array("pn{".utf8)) {
      let pn = token.first == UInt8(ascii: "p")
      var items: [LogValue] = []
      var i = start + (pn ? 3 : 1)
      while i < end - 1 {
        if RpctraceSyntax.isSpace(text[i]) {
          i += 1
          continue
        }
        guard let e = RpctraceSyntax.atomEnd(text, from: i, end: end - 1) else { break }
        items.append(atom(text, from: i, to: e))
        i = e
      }
      if pn {
        return .portNames(
          items.compactMap { if case .int(let v) = $0 { return UInt32(exactly: v) } else { return nil } })
      }
      return .array(items)
    }
    return atom(text, from: start, to: end)
  }

  static func atom(_ text: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) -> LogValue {
    let s = String(decoding: text[start..<end], as: UTF8.self)
    if s == "(null)" { return .null }
    if s == "(dead)" { return .dead }
    if let v = Int64(s) { return .int(v) }
    if let first = s.utf8.first,
      first == UInt8(ascii: "-") || RpctraceSyntax.isDigit(first) || s == "inf" || s == "nan",
      !s.contains("<--"), let d = Double(s)
    {
      return .real(d)
    }
    return .right(s)
  }

  /// A string's text with rpctrace's escapes undone (`\n`, `\t`, `\0`, … and `\xHH`, since
  /// late 2013; a lone backslash stays one).
  static func unescape(_ text: UnsafeBufferPointer<UInt8>, from start: Int, to end: Int) -> String {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(end - start)
    var i = start
    while i < end {
      let c = text[i]
      if c == UInt8(ascii: "\\"), i + 1 < end {
        let e = text[i + 1]
        let simple: UInt8? =
          switch e {
          case UInt8(ascii: "0"): 0
          case UInt8(ascii: "a"): 7
          case UInt8(ascii: "b"): 8
          case UInt8(ascii: "f"): 12
          case UInt8(ascii: "n"): 10
          case UInt8(ascii: "r"): 13
          case UInt8(ascii: "t"): 9
          case UInt8(ascii: "v"): 11
          default: nil
          }
        if let simple {
          bytes.append(simple)
          i += 2
          continue
        }
        if e == UInt8(ascii: "x"), i + 3 < end, let h = hexDigitValue(text[i + 2]),
          let l = hexDigitValue(text[i + 3])
        {
          bytes.append(h << 4 | l)
          i += 4
          continue
        }
      }
      bytes.append(c)
      i += 1
    }
    return String(decoding: bytes, as: UTF8.self)
  }
}

extension String {
  /// The string without the spaces rpctrace pads names with.
  public var trimmingSpaces: String {
    let u = Array(utf8)
    guard let first = u.firstIndex(where: { $0 != 0x20 }), let last = u.lastIndex(where: { $0 != 0x20 }) else {
      return ""
    }
    return String(decoding: u[first...last], as: UTF8.self)
  }
}
