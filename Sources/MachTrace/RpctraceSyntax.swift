/// The pieces of rpctrace's output, read from bytes (GNU Hurd, `utils/rpctrace.c`:
/// `print_request_header`, `print_reply_header`, `print_contents`, `print_data`). The
/// rules, with the versions that write them, are in docs/trace.md, "rpctrace logs".
///
/// A cursor over one line; each reader returns nil, and leaves the cursor where it was, when
/// the text there is not what it reads.
struct RpctraceSyntax {
  let text: UnsafeBufferPointer<UInt8>
  var at: Int
  let end: Int

  init(_ text: UnsafeBufferPointer<UInt8>, from start: Int = 0, to end: Int? = nil) {
    self.text = text
    self.at = start
    self.end = end ?? text.count
  }

  var atEnd: Bool { at >= end }
  var peek: UInt8? { at < end ? text[at] : nil }

  func byte(_ i: Int) -> UInt8? { i < end ? text[i] : nil }

  static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
  static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 }
  static func isNameByte(_ c: UInt8) -> Bool {
    (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || isDigit(c) || c == 0x5f || c == 0x2d
  }

  /// Whether `word` is next (the cursor moves past it when it is).
  mutating func take(_ word: StaticString) -> Bool {
    let n = word.utf8CodeUnitCount
    guard at + n <= end else { return false }
    let w = word.utf8Start
    for i in 0..<n where text[at + i] != w[i] { return false }
    at += n
    return true
  }

  func looksAt(_ word: StaticString) -> Bool {
    var copy = self
    return copy.take(word)
  }

  /// Moves to the end when only spaces and tabs are left (an edited log's trailing blanks).
  mutating func skipBlankEnd() {
    var i = at
    while i < end && Self.isSpace(text[i]) { i += 1 }
    if i == end { at = end }
  }

  mutating func skipSpaces() {
    while let c = peek, Self.isSpace(c) { at += 1 }
  }

  /// Decimal digits as an unsigned number (at most 20 digits).
  mutating func unsigned() -> UInt64? {
    let start = at
    var v: UInt64 = 0
    while let c = peek, Self.isDigit(c) {
      let (m, o1) = v.multipliedReportingOverflow(by: 10)
      let (s, o2) = m.addingReportingOverflow(UInt64(c - 0x30))
      guard !o1 && !o2 else {
        at = start
        return nil
      }
      v = s
      at += 1
    }
    return at > start ? v : nil
  }

  mutating func hexNumber() -> UInt64? {
    let start = at
    guard take("0x") else { return nil }
    var v: UInt64 = 0
    var digits = 0
    while let c = peek, let d = hexDigitValue(c), digits < 16 {
      v = v << 4 | UInt64(d)
      at += 1
      digits += 1
    }
    if digits == 0 || (peek.map { hexDigitValue($0) != nil } ?? false) {
      at = start
      return nil
    }
    return v
  }

  // MARK: - Timestamps (rpctrace -t, 2025)

  /// `HH:MM:SS `, `HH:MM:SS.UUUUUU ` or `SECONDS.UUUUUU `: the time in µs (since midnight for
  /// the first two).
  mutating func timestamp() -> UInt64? {
    let start = at
    func fail() -> UInt64? {
      at = start
      return nil
    }
    guard let first = unsigned() else { return fail() }
    let digits = at - start
    var micros: UInt64
    if take(":") {
      guard first < 24, digits == 2, let m = unsigned(), m < 60, take(":"), let s = unsigned(), s < 61 else {
        return fail()
      }
      micros = ((first * 60 + m) * 60 + s) * 1_000_000
      if take(".") {
        let u0 = at
        guard let u = unsigned(), at - u0 == 6 else { return fail() }
        micros += u
      }
    } else {
      guard take("."), first < 1 << 40 else { return fail() }
      let u0 = at
      guard let u = unsigned(), at - u0 == 6 else { return fail() }
      micros = first * 1_000_000 + u
    }
    guard take(" ") else { return fail() }
    return micros
  }

  // MARK: - Requests

  /// A request's header, `DEST->NAME (`: the destination and the routine as written, trimmed
  /// (`%4s`/`%4u` and `%5s`/`%5u` pad them with spaces).
  mutating func requestHeader() -> (dest: Range<Int>, name: Range<Int>)? {
    let start = at
    skipSpaces()
    let destStart = at
    guard destination() else {
      at = start
      return nil
    }
    let dest = destStart..<at
    guard take("->") else {
      at = start
      return nil
    }
    skipSpaces()
    let nameStart = at
    while let c = peek, Self.isNameByte(c) { at += 1 }
    let name = nameStart..<at
    guard !name.isEmpty, take(" (") else {
      at = start
      return nil
    }
    return (dest, name)
  }

  /// One of the destination names rpctrace gives a port: a bare number (`%u`), `taskP(pidN)`,
  /// `threadP(pidN)`, `FWD<--WRAP(pidN)` (2012 on), `taskPID` (before 2012), or a reply port's
  /// `reply(W:ROUTINE)`.
  mutating func destination() -> Bool {
    let start = at
    if unsigned() != nil {
      if take("<--") {  // FWD<--WRAP(pidN)
        guard unsigned() != nil, pidSuffix() else {
          at = start
          return false
        }
      }
      return true
    }
    if take("task") || take("thread") {
      guard unsigned() != nil else {
        at = start
        return false
      }
      _ = pidSuffix()  // `taskPID` before 2012 has none
      return true
    }
    if replyName() { return true }
    at = start
    return false
  }

  /// `(pidN)`, N possibly -1.
  mutating func pidSuffix() -> Bool {
    let start = at
    guard take("(pid") else { return false }
    _ = take("-")
    guard unsigned() != nil, take(")") else {
      at = start
      return false
    }
    return true
  }

  /// `reply(W:ROUTINE)` or `reply(W:ID)`: a reply port's wrapper.
  mutating func replyName() -> Bool {
    let start = at
    guard take("reply("), unsigned() != nil, take(":") else {
      at = start
      return false
    }
    while let c = peek, Self.isNameByte(c) { at += 1 }
    guard take(")") else {
      at = start
      return false
    }
    return true
  }

  /// The pid a destination name carries (`(pidN)`), if any.
  static func pid(in name: UnsafeBufferPointer<UInt8>.SubSequence) -> Int64? {
    guard name.last == UInt8(ascii: ")"), let open = name.lastIndex(of: UInt8(ascii: "(")) else { return nil }
    var c = RpctraceSyntax(name.base, from: open, to: name.endIndex)
    guard c.take("(pid") else { return nil }
    let negative = c.take("-")
    guard let n = c.unsigned(), n <= UInt64(Int64.max), c.take(")"), c.atEnd else { return nil }
    return negative ? -Int64(n) : Int64(n)
  }

  /// The number a destination name gives `dest`: a bare port number, WRAP of
  /// `FWD<--WRAP(pidN)`, P of `taskP(pidN)` and `threadP(pidN)`, W of `reply(W:…)`; 0 for
  /// `taskPID` (before 2012, a pid).
  static func portNumber(_ name: UnsafeBufferPointer<UInt8>.SubSequence) -> UInt32 {
    var c = RpctraceSyntax(name.base, from: name.startIndex, to: name.endIndex)
    let number: UInt64?
    if c.take("reply(") || c.take("thread") {
      number = c.unsigned()
    } else if c.take("task") {
      number = c.unsigned()
      if !c.looksAt("(") { return 0 }
    } else {
      number = c.unsigned()
      if c.take("<--") { return c.unsigned().flatMap { UInt32(exactly: $0) } ?? 0 }
    }
    return number.flatMap { UInt32(exactly: $0) } ?? 0
  }

  // MARK: - Values

  /// The values of a request up to its closing `)`, or of a reply up to the end: returns
  /// where they end, or nil. Values are separated by spaces (a port right adds one of its
  /// own; an empty array prints nothing at all). A string may hold a bare `"` (rpctrace
  /// prints `"` and `\` as they are): its end is the first quote after which the rest of the
  /// values still read, found once per position (`failed` remembers positions that do not).
  func valuesEnd(closing: Bool) -> Int? {
    var failed = Set<Int>()
    return valuesEnd(from: at, closing: closing, failed: &failed)
  }

  private func valuesEnd(from start: Int, closing: Bool, failed: inout Set<Int>) -> Int? {
    var i = start
    while true {
      while let c = byte(i), Self.isSpace(c) { i += 1 }
      guard let c = byte(i) else { return closing ? nil : i }
      if closing && c == UInt8(ascii: ")") {
        // A `)` ends the values unless it starts something else.
        return i
      }
      if c == UInt8(ascii: "\"") {
        if failed.contains(i) { return nil }
        var q = i + 1
        while q < end {
          if text[q] == UInt8(ascii: "\"") {
            let after = q + 1
            if after >= end || Self.isSpace(text[after]) || (closing && text[after] == UInt8(ascii: ")")) {
              if let e = valuesEnd(from: after, closing: closing, failed: &failed) { return e }
            }
          }
          q += 1
        }
        failed.insert(i)
        return nil
      }
      guard let next = Self.simpleValueEnd(text, from: i, end: end) else { return nil }
      i = next
    }
  }

  /// Where a value other than a string ends: a number, `{…}`, `pn{…}`, `(null)`, `(dead)`, or
  /// a port's name.
  static func simpleValueEnd(_ text: UnsafeBufferPointer<UInt8>, from start: Int, end: Int) -> Int? {
    var c = RpctraceSyntax(text, from: start, to: end)
    if c.take("pn{") || c.take("{") {
      while let b = c.peek, b != UInt8(ascii: "}") {
        if isSpace(b) {
          c.at += 1
          continue
        }
        guard let e = atomEnd(text, from: c.at, end: end) else { return nil }
        c.at = e
      }
      return c.take("}") ? c.at : nil
    }
    return atomEnd(text, from: start, end: end)
  }

  /// A number, a real (`%g`), `(null)`, `(dead)`, or a port's name.
  static func atomEnd(_ text: UnsafeBufferPointer<UInt8>, from start: Int, end: Int) -> Int? {
    var c = RpctraceSyntax(text, from: start, to: end)
    if c.take("(null)") || c.take("(dead)") { return c.at }
    if c.destination() || c.replyName() || c.take("reply?") {
      if let b = c.peek, !isSpace(b) && b != UInt8(ascii: ")") && b != UInt8(ascii: "}") {
        c.at = start  // a longer number: read as one below
      } else {
        return c.at
      }
    }
    return c.realEnd()
  }

  /// `%d` or `%g`: an integer, or a real with a fraction or exponent, `inf` or `nan`.
  mutating func realEnd() -> Int? {
    let start = at
    _ = take("-")
    if take("inf") || take("nan") { return boundary(start) }
    guard unsigned() != nil else {
      at = start
      return nil
    }
    if take(".") {
      guard unsigned() != nil else {
        at = start
        return nil
      }
    }
    if take("e") {
      _ = take("+") || take("-")
      guard unsigned() != nil else {
        at = start
        return nil
      }
    }
    return boundary(start)
  }

  private mutating func boundary(_ start: Int) -> Int? {
    if let b = peek, !Self.isSpace(b) && b != UInt8(ascii: ")") && b != UInt8(ascii: "}") {
      at = start
      return nil
    }
    return at
  }

  // MARK: - Replies

  /// ` = RET` or ` =(GOT != WANT) RET` after a request (since 2012, and the normal case
  /// before): the RetCode rpctrace printed, and the ids when it says they differ.
  mutating func replyResult() -> (ret: Int32, ids: (got: UInt32, want: UInt32)?)? {
    let start = at
    guard take(" =") else { return nil }
    var ids: (UInt32, UInt32)? = nil
    if take("(") {
      guard let got = unsigned(), take(" != "), let want = unsigned(), take(") "),
        let g = UInt32(exactly: got), let w = UInt32(exactly: want)
      else {
        at = start
        return nil
      }
      ids = (g, w)
    } else if !take(" ") {
      at = start
      return nil
    }
    guard let ret = returnCode() else {
      at = start
      return nil
    }
    return (ret, ids)
  }

  /// `0`, `0x…`, or `0x… (strerror text)` (the text may hold parentheses of its own).
  mutating func returnCode() -> Int32? {
    let start = at
    if let v = hexNumber() {
      guard let code = UInt32(exactly: v) else {
        at = start
        return nil
      }
      if looksAt(" (") {
        let save = at
        at += 2
        var depth = 1
        while let c = peek, depth > 0 {
          if c == UInt8(ascii: "(") { depth += 1 }
          if c == UInt8(ascii: ")") { depth -= 1 }
          at += 1
        }
        if depth != 0 { at = save }
      }
      return Int32(bitPattern: code)
    }
    if take("0") {
      if let c = peek, Self.isDigit(c) {
        at = start
        return nil
      }
      return 0
    }
    return nil
  }
}
