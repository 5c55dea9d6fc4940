// The C preprocessing MIG runs its input through (MIG hands each .defs file to cpp):
// comments, `#include` along include folders, object-like `#define` and `#undef`, and the
// conditionals `#if`, `#ifdef`, `#ifndef`, `#elif`, `#else`, `#endif` with `defined`. The
// output is the file's tokens, each still carrying the file, line and column it was written at.

/// Runs the preprocessor over .defs files. Macros persist from file to file, as they do within
/// one cpp run; every file read is kept, for diagnostics.
public struct DefsPreprocessor: Sendable {
  /// `-I` folders, searched before the system's.
  public var includeDirectories: [String]
  /// Folders searched last for `#include <…>` and `#include "…"`.
  public var systemDirectories: [String]
  public var fileSystem: any DefsFileSystem

  struct Macro: Sendable {
    var body: [DefsToken]
    /// `#define NAME(ARGS) …`: kept so that `#ifdef` sees it, but never expanded (no MIG input
    /// relies on one).
    var isFunctionLike: Bool
  }

  private(set) var macros: [String: Macro] = [:]
  /// Every file read, by path: its bytes and where each line starts.
  private var sources: [String: SourceText] = [:]

  struct SourceText: Sendable {
    var bytes: [UInt8]
    var lineStarts: [Int]

    init(_ bytes: [UInt8]) {
      self.bytes = bytes
      var starts = [0]
      for (i, b) in bytes.enumerated() where b == 10 { starts.append(i + 1) }
      lineStarts = starts
    }

    /// The bytes of line `n` (from 1), without its newline.
    func line(_ n: Int) -> ArraySlice<UInt8> {
      guard n >= 1, n <= lineStarts.count else { return [] }
      let start = lineStarts[n - 1]
      var end = n < lineStarts.count ? lineStarts[n] - 1 : bytes.count
      if end > start, bytes[end - 1] == 13 { end -= 1 }  // a CRLF file's CR
      return bytes[start..<max(start, end)]
    }
  }
  private var includeDepth = 0

  /// The symbols a MIG run of this model defines: an i386 GNU system. Clients add their own
  /// (`KERNEL_USER`, `KERNEL_SERVER`, …) with `define`.
  public static let predefined: [String: String] = ["__i386__": "1", "i386": "1", "__GNU__": "1", "__gnu_hurd__": "1"]

  public init(
    includeDirectories: [String] = [], systemDirectories: [String] = LocalFileSystem.systemIncludeDirectories,
    fileSystem: any DefsFileSystem = LocalFileSystem(), defines: [String: String] = [:]
  ) {
    self.includeDirectories = includeDirectories
    self.systemDirectories = systemDirectories
    self.fileSystem = fileSystem
    for (name, value) in Self.predefined.merging(defines, uniquingKeysWith: { $1 }) {
      define(name, value)
    }
  }

  /// `-D NAME=VALUE`: defines `name` as the tokens of `value` (`-D NAME` is `NAME=1`).
  public mutating func define(_ name: String, _ value: String = "1") {
    let body =
      (try? DefsLexer.tokens(of: ArraySlice(value.utf8), file: "<command line>", lineNumber: 1) { value }) ?? []
    macros[name] = Macro(body: body, isFunctionLike: false)
  }

  public func isDefined(_ name: String) -> Bool { macros[name] != nil }

  /// The text of line `location.line` of its file, or "".
  public func sourceLine(at location: DefsLocation) -> String {
    guard let text = sources[location.file] else { return "" }
    return String(decoding: text.line(location.line), as: UTF8.self)
  }

  /// The tokens of the file at `path`, preprocessed.
  public mutating func tokens(ofFile path: String) throws(DefsError) -> [DefsToken] {
    guard let text = fileSystem.contents(of: path) else {
      throw DefsError(
        "cannot read '\(path)' (no such file, not a regular text file, or larger than 16 MB)",
        at: DefsLocation(file: path, line: 1, column: 1))
    }
    return try tokens(ofSource: text, named: path)
  }

  /// The tokens of `text`, preprocessed as a file named `name`.
  public mutating func tokens(ofSource text: String, named name: String) throws(DefsError) -> [DefsToken] {
    var out: [DefsToken] = []
    try process(Array(text.utf8), named: name, into: &out)
    return out
  }

  // MARK: - Files

  private struct Conditional {
    var location: DefsLocation
    /// Whether the enclosing text is kept.
    var parentActive: Bool
    /// Whether a branch of this conditional has been taken.
    var taken: Bool
    /// Whether the current branch is kept.
    var active: Bool
    var sawElse = false
  }

  private mutating func process(_ text: [UInt8], named file: String, into out: inout [DefsToken]) throws(DefsError) {
    let source = SourceText(text)
    sources[file] = source
    let blanked = Self.blankComments(text)
    var stack: [Conditional] = []
    var index = 0
    let lineCount = source.lineStarts.count
    func lineBytes(_ n: Int) -> ArraySlice<UInt8> {
      let start = source.lineStarts[n - 1]
      var end = n < lineCount ? source.lineStarts[n] - 1 : blanked.count
      if end > start, blanked[end - 1] == 13 { end -= 1 }
      return blanked[start..<max(start, end)]
    }
    while index < lineCount {
      let number = index + 1
      var line = lineBytes(number)
      index += 1
      // A backslash at the end of a line joins the next one to it.
      while line.last == 92, index < lineCount {
        line = ArraySlice(Array(line.dropLast()) + [32] + Array(lineBytes(index + 1)))
        index += 1
      }
      let thisLine = { String(decoding: source.line(number), as: UTF8.self) }
      let active = stack.last?.active ?? true
      let trimmed = line.drop { $0 == 32 || $0 == 9 }
      guard trimmed.first == 35 else {  // not a `#` line
        if active, !trimmed.isEmpty {
          let tokens = try DefsLexer.tokens(of: line, file: file, lineNumber: number, sourceLine: thisLine)
          out += try expand(tokens, hiding: [])
        }
        continue
      }
      let directiveColumn = DefsLexer.characters(line[line.startIndex..<trimmed.startIndex]) + 1
      let rest = trimmed.dropFirst()
      let tokens = try DefsLexer.tokens(
        of: rest, file: file, lineNumber: number, startColumn: directiveColumn + 1, sourceLine: thisLine)
      guard let directive = tokens.first else { continue }  // a lone `#`
      let arguments = Array(tokens.dropFirst())
      func fail(_ message: String, at token: DefsToken? = nil) -> DefsError {
        let location = (token ?? directive).location
        return DefsError(message, at: location, sourceLine: sourceLine(at: location))
      }
      switch directive.text {
      case "if", "ifdef", "ifndef":
        var value = false
        if active {
          if directive.text == "if" {
            value = try evaluate(arguments, at: directive)
          } else {
            guard let name = arguments.first, name.kind == .identifier else {
              throw fail("#\(directive.text) needs a macro name")
            }
            value = isDefined(name.text) == (directive.text == "ifdef")
          }
        }
        stack.append(Conditional(location: directive.location, parentActive: active, taken: value, active: value))
      case "elif":
        guard var top = stack.popLast() else { throw fail("#elif without #if") }
        guard !top.sawElse else { throw fail("#elif after #else") }
        let value = top.parentActive && !top.taken ? try evaluate(arguments, at: directive) : false
        top.active = value
        top.taken = top.taken || value
        stack.append(top)
      case "else":
        guard var top = stack.popLast() else { throw fail("#else without #if") }
        guard !top.sawElse else { throw fail("#else after #else") }
        top.sawElse = true
        top.active = top.parentActive && !top.taken
        top.taken = true
        stack.append(top)
      case "endif":
        guard stack.popLast() != nil else { throw fail("#endif without #if") }
      case _ where !active:
        continue
      case "define":
        guard let name = arguments.first, name.kind == .identifier else { throw fail("#define needs a macro name") }
        var body = Array(arguments.dropFirst())
        var isFunctionLike = false
        if let open = body.first, open.isPunctuation("("),
          open.location.column == name.location.column + name.text.count
        {
          isFunctionLike = true
          if let close = body.firstIndex(where: { $0.isPunctuation(")") }) {
            body = Array(body[(close + 1)...])
          }
        }
        macros[name.text] = Macro(body: body, isFunctionLike: isFunctionLike)
      case "undef":
        guard let name = arguments.first, name.kind == .identifier else { throw fail("#undef needs a macro name") }
        macros[name.text] = nil
      case "include":
        try include(rest, directive: directive, from: file, into: &out)
      case "error":
        let message = arguments.map(\.text).joined(separator: " ")
        throw fail("#error \(message)")
      case "pragma", "line", "ident", "warning":
        continue
      default:
        throw fail("unknown preprocessor directive '#\(directive.text)'")
      }
    }
    if let open = stack.last {
      throw DefsError("#if without #endif", at: open.location, sourceLine: sourceLine(at: open.location))
    }
  }

  /// `#include "NAME"` or `#include <NAME>`: `rest` is the directive's text after the `#`.
  private mutating func include(
    _ rest: ArraySlice<UInt8>, directive: DefsToken, from file: String, into out: inout [DefsToken]
  ) throws(DefsError) {
    let operand = rest.drop { $0 == 32 || $0 == 9 }.dropFirst("include".count).drop { $0 == 32 || $0 == 9 }
    let location = directive.location
    guard let first = operand.first, first == 34 || first == 60,  // " or <
      let close = operand.dropFirst().firstIndex(of: first == 60 ? 62 : 34)
    else {
      throw DefsError(
        "#include expects \"FILE\" or <FILE>", at: location, sourceLine: sourceLine(at: location))
    }
    let open: Character = first == 60 ? "<" : "\""
    let name = String(decoding: operand[(operand.startIndex + 1)..<close], as: UTF8.self)
    guard includeDepth < 200 else {
      throw DefsError("#include nested too deeply", at: location, sourceLine: sourceLine(at: location))
    }
    if let builtin = MachineTypes.builtinFile(named: name) {
      includeDepth += 1
      defer { includeDepth -= 1 }
      try process(Array(builtin.text.utf8), named: builtin.path, into: &out)
      return
    }
    var candidates: [String] = []
    if open == "\"", let slash = file.lastIndex(of: "/") {
      candidates.append(String(file[..<slash]) + "/" + name)
    } else if open == "\"" {
      candidates.append(name)
    }
    if name.hasPrefix("/") {
      candidates = [name]
    } else {
      candidates += (includeDirectories + systemDirectories).map { ($0.hasSuffix("/") ? $0 : $0 + "/") + name }
    }
    for path in candidates {
      if let text = fileSystem.contents(of: path) {
        includeDepth += 1
        defer { includeDepth -= 1 }
        try process(Array(text.utf8), named: path, into: &out)
        return
      }
    }
    throw DefsError(
      "cannot find include file '\(name)'", at: location, sourceLine: sourceLine(at: location))
  }

  // MARK: - Macros and conditions

  /// `tokens` with every object-like macro replaced by its body, rescanned; a macro is not
  /// expanded inside its own expansion. Expanded tokens take the place of the name they
  /// replace, so that a diagnostic points at what the user wrote.
  private func expand(_ tokens: [DefsToken], hiding: Set<String>) throws(DefsError) -> [DefsToken] {
    guard tokens.contains(where: { $0.kind == .identifier && macros[$0.text] != nil }) else { return tokens }
    var out: [DefsToken] = []
    for token in tokens {
      guard token.kind == .identifier, let macro = macros[token.text], !macro.isFunctionLike,
        !hiding.contains(token.text)
      else {
        out.append(token)
        continue
      }
      let body = macro.body.map { DefsToken($0.kind, $0.text, at: token.location) }
      out += try expand(body, hiding: hiding.union([token.text]))
    }
    return out
  }

  /// The value of a `#if`/`#elif` expression: `defined NAME` and `defined(NAME)` first, then
  /// macros, then any identifier left is 0, as in C.
  private func evaluate(_ tokens: [DefsToken], at directive: DefsToken) throws(DefsError) -> Bool {
    var resolved: [DefsToken] = []
    var i = 0
    while i < tokens.count {
      let t = tokens[i]
      if t.isIdentifier("defined") {
        var j = i + 1
        let parenthesized = j < tokens.count && tokens[j].isPunctuation("(")
        if parenthesized { j += 1 }
        guard j < tokens.count, tokens[j].kind == .identifier else {
          throw DefsError("'defined' needs a macro name", at: t.location, sourceLine: sourceLine(at: t.location))
        }
        let name = tokens[j].text
        j += 1
        if parenthesized {
          guard j < tokens.count, tokens[j].isPunctuation(")") else {
            throw DefsError(
              "expected ')' after 'defined(\(name)'", at: t.location, sourceLine: sourceLine(at: t.location))
          }
          j += 1
        }
        resolved.append(DefsToken(.number, isDefined(name) ? "1" : "0", at: t.location))
        i = j
      } else {
        resolved.append(t)
        i += 1
      }
    }
    let expanded = try expand(resolved, hiding: [])
    guard !expanded.isEmpty else {
      throw DefsError(
        "#\(directive.text) with no expression", at: directive.location, sourceLine: sourceLine(at: directive.location))
    }
    var evaluator = ConditionEvaluator(tokens: expanded)
    do {
      return try evaluator.evaluate() != 0
    } catch let error {
      let where_ = error.location ?? directive.location
      throw DefsError(error.message, at: where_, sourceLine: sourceLine(at: where_))
    }
  }

  /// `text` with every comment replaced by spaces (newlines kept), so that positions stay.
  static func blankComments(_ text: [UInt8]) -> [UInt8] {
    var out = text
    var i = 0
    let n = text.count
    while i < n {
      let c = text[i]
      if c == 47, i + 1 < n, text[i + 1] == 42 {  // /* … */
        out[i] = 32
        out[i + 1] = 32
        i += 2
        while i < n, !(text[i] == 42 && i + 1 < n && text[i + 1] == 47) {
          if text[i] != 10 { out[i] = 32 }
          i += 1
        }
        if i < n {
          out[i] = 32
          out[i + 1] = 32
          i += 2
        }
      } else if c == 47, i + 1 < n, text[i + 1] == 47 {  // // to the end of the line
        while i < n, text[i] != 10 {
          out[i] = 32
          i += 1
        }
      } else if c == 34 {  // a string: comment markers inside it stay
        i += 1
        while i < n, text[i] != 34, text[i] != 10 {
          if text[i] == 92, i + 1 < n, text[i + 1] != 10 { i += 1 }
          i += 1
        }
        if i < n, text[i] == 34 { i += 1 }
      } else {
        i += 1
      }
    }
    return out
  }
}
