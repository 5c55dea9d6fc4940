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
  /// The lines of every file read, by path.
  public private(set) var sources: [String: [Substring]] = [:]
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
    let body = (try? DefsLexer.tokens(of: Substring(value), file: "<command line>", lineNumber: 1)) ?? []
    macros[name] = Macro(body: body, isFunctionLike: false)
  }

  public mutating func undefine(_ name: String) { macros[name] = nil }

  public func isDefined(_ name: String) -> Bool { macros[name] != nil }

  /// The text of line `location.line` of its file, or "".
  public func sourceLine(at location: DefsLocation) -> String {
    guard let lines = sources[location.file], location.line >= 1, location.line <= lines.count else { return "" }
    return String(lines[location.line - 1])
  }

  /// The tokens of the file at `path`, preprocessed.
  public mutating func tokens(ofFile path: String) throws(DefsError) -> [DefsToken] {
    guard let text = fileSystem.contents(of: path) else {
      throw DefsError("cannot read '\(path)'", at: DefsLocation(file: path, line: 1, column: 1))
    }
    return try tokens(ofSource: text, named: path)
  }

  /// The tokens of `text`, preprocessed as a file named `name`.
  public mutating func tokens(ofSource text: String, named name: String) throws(DefsError) -> [DefsToken] {
    var out: [DefsToken] = []
    try process(text, named: name, into: &out)
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

  private mutating func process(_ text: String, named file: String, into out: inout [DefsToken]) throws(DefsError) {
    let lines = Self.blankComments(text).split(separator: "\n", omittingEmptySubsequences: false)
    sources[file] = text.split(separator: "\n", omittingEmptySubsequences: false)
    var stack: [Conditional] = []
    var index = 0
    while index < lines.count {
      let number = index + 1
      var line = lines[index]
      index += 1
      // A backslash at the end of a line joins the next one to it.
      while line.hasSuffix("\\"), index < lines.count {
        line = line.dropLast() + " " + lines[index]
        index += 1
      }
      let active = stack.last?.active ?? true
      let trimmed = line.drop { $0 == " " || $0 == "\t" }
      guard trimmed.hasPrefix("#") else {
        if active {
          let tokens = try DefsLexer.tokens(of: line, file: file, lineNumber: number)
          out += try expand(tokens, hiding: [])
        }
        continue
      }
      let directiveColumn = line.count - trimmed.count + 1
      let rest = trimmed.dropFirst()
      let tokens = try DefsLexer.tokens(
        of: rest, file: file, lineNumber: number, startColumn: directiveColumn + 1)
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
    _ rest: Substring, directive: DefsToken, from file: String, into out: inout [DefsToken]
  ) throws(DefsError) {
    let operand = rest.drop { $0 == " " || $0 == "\t" }.dropFirst("include".count).drop { $0 == " " || $0 == "\t" }
    let location = directive.location
    guard let open = operand.first, open == "\"" || open == "<",
      let close = operand.dropFirst().firstIndex(of: open == "<" ? ">" : "\"")
    else {
      throw DefsError(
        "#include expects \"FILE\" or <FILE>", at: location, sourceLine: sourceLine(at: location))
    }
    let name = String(operand[operand.index(after: operand.startIndex)..<close])
    guard includeDepth < 200 else {
      throw DefsError("#include nested too deeply", at: location, sourceLine: sourceLine(at: location))
    }
    if let builtin = MachineTypes.builtinFile(named: name) {
      includeDepth += 1
      defer { includeDepth -= 1 }
      try process(builtin.text, named: builtin.path, into: &out)
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
        try process(text, named: path, into: &out)
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
  static func blankComments(_ text: String) -> String {
    var out = String.UnicodeScalarView()
    let chars = Array(text.unicodeScalars)
    var i = 0
    while i < chars.count {
      let c = chars[i]
      if c == "/", i + 1 < chars.count, chars[i + 1] == "*" {
        out.append(" ")
        out.append(" ")
        i += 2
        while i < chars.count, !(chars[i] == "*" && i + 1 < chars.count && chars[i + 1] == "/") {
          out.append(chars[i] == "\n" ? "\n" : " ")
          i += 1
        }
        if i < chars.count {
          out.append(" ")
          out.append(" ")
          i += 2
        }
      } else if c == "/", i + 1 < chars.count, chars[i + 1] == "/" {
        while i < chars.count, chars[i] != "\n" {
          out.append(" ")
          i += 1
        }
      } else if c == "\"" {
        out.append(c)
        i += 1
        while i < chars.count, chars[i] != "\"", chars[i] != "\n" {
          if chars[i] == "\\", i + 1 < chars.count, chars[i + 1] != "\n" {
            out.append(chars[i])
            i += 1
          }
          out.append(chars[i])
          i += 1
        }
        if i < chars.count, chars[i] == "\"" {
          out.append(chars[i])
          i += 1
        }
      } else {
        out.append(c)
        i += 1
      }
    }
    return String(out)
  }
}
