import Foundation
import TestSupport
import Testing

@testable import MachScript

/// The command registry is the one source of the parser's syntax, `help`, Tab and the docs'
/// command table: these tests fail when any of them drifts from it.
@Suite struct RegistryTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

  /// docs/language.md's command table, between its markers, is `CommandRegistry.markdownTable`
  /// (`UPDATE_DOCS=1 swift test --filter RegistryTests` writes it there).
  @Test func docsCommandTableIsTheRegistrys() throws {
    let text = try String(contentsOf: Self.root.appendingPathComponent("docs/language.md"), encoding: .utf8)
    let begin = "<!-- commands: made from CommandRegistry; RegistryTests checks it -->\n"
    let end = "\n<!-- end of commands -->"
    let start = try #require(text.range(of: begin))
    let stop = try #require(text.range(of: end, range: start.upperBound..<text.endIndex))
    let table = String(text[start.upperBound..<stop.lowerBound])
    if table != CommandRegistry.markdownTable && ProcessInfo.processInfo.environment["UPDATE_DOCS"] == "1" {
      let updated = text.replacingCharacters(
        in: start.upperBound..<stop.lowerBound, with: CommandRegistry.markdownTable)
      try updated.write(to: Self.root.appendingPathComponent("docs/language.md"), atomically: true, encoding: .utf8)
      return
    }
    #expect(table == CommandRegistry.markdownTable, "UPDATE_DOCS=1 swift test rewrites it")
  }

  /// Every usage line of every entry parses, with each optional part present and absent and
  /// each choice taken, as the command (or statement) it documents.
  @Test(arguments: CommandRegistry.entries.map(\.name))
  func usageLinesParse(_ name: String) throws {
    let entry = try #require(CommandRegistry.entry(named: name))
    for usage in entry.usage {
      for instance in UsageExpander.instances(of: usage) {
        let (statements, diagnostics) = Parser.parse(instance, file: "usage")
        #expect(diagnostics.isEmpty, "\(usage) as «\(instance)»: \(diagnostics.map(\.message))")
        guard diagnostics.isEmpty, let first = statements.first else { continue }
        if entry.isStatement {
          #expect(!"\(first)".hasPrefix("command("), "«\(instance)» is not the statement \(name)")
        } else if case .command(let c) = first {
          #expect(c.name == name, "«\(instance)» parsed as \(c.name)")
        } else if case .let(_, .command(let c), _) = first {
          #expect(c.name == name)
        } else {
          Issue.record("«\(instance)» is not a command: \(first)")
        }
      }
    }
  }

  /// The statement entries are exactly the keywords the parser's grammar reads.
  @Test func statementEntriesAreTheParsersKeywords() {
    #expect(CommandRegistry.statementWords == Parser.statementKeywords)
  }

  /// `help NAME` shows every command and statement with its usage; `help` alone lists them by
  /// group, each entry once.
  @Test func helpCoversEveryEntry() {
    let overview = Help.text([])
    for group in CommandGroup.allCases { #expect(overview.contains(group.title + ":")) }
    for e in CommandRegistry.entries {
      let shown = Help.text(e.name.split(separator: " ").map(String.init))
      #expect(shown.contains(e.usage[0]) || Help.topics[e.name] != nil, "help \(e.name)")
      for usage in e.usage { #expect(overview.contains(usage), "\(e.name) in help") }
    }
  }

  @Test func everyCommandHasAHandlerAndEveryEntryAGroupAndSummary() {
    for e in CommandRegistry.entries {
      #expect(!e.summary.isEmpty, "\(e.name)")
      #expect(!e.usage.isEmpty, "\(e.name)")
      #expect(e.usage.allSatisfy { $0.hasPrefix(e.name.split(separator: " ")[0] + "") }, "\(e.name)")
      if !e.isStatement { #expect(e.run != nil) }
    }
    #expect(Set(CommandRegistry.entries.map(\.name)).count == CommandRegistry.entries.count, "names are unique")
  }

  @Test(arguments: [
    ("spwan a", "t.msh:1:1: error: unknown command or procedure 'spwan' (did you mean 'spawn'?)"),
    ("frobnicate 1", "t.msh:1:1: error: unknown command or procedure 'frobnicate'"),
    ("def greet(x) { }\ngreat 1", "t.msh:2:1: error: unknown command or procedure 'great' (did you mean 'greet'?)"),
    (
      "spawn server\nallocate server bogus",
      "t.msh:2:17: error: a right kind must be one of send, receive, send_once, portset or dead, not 'bogus'"
    ),
    (
      "spawn a\nlet p = allocate a\nnotify p no_sender to p",
      "t.msh:3:10: error: a notification must be one of port_destroyed, no_senders or dead_name, not 'no_sender'"
    ),
    ("set output fancy", "t.msh:1:12: error: output must be one of rpctrace, verbose or json, not 'fancy'"),
    (
      "set colour on",
      "t.msh:1:5: error: unknown setting 'colour' "
        + "(output, color, echo, timestamps, pagination, kmsg_limit, max_msg_bytes, trace_limit, trace_bytes, "
        + "history or history_bytes)"
    ),
    ("spawn a\nthread a.1", "t.msh:2:8: error: expected a task, found a thread"),
    ("repeat \"x\" { }", "t.msh:1:8: error: repeat count must be an int, not a string"),
    (
      "spawn a\nsend a:1 id 99999999999",
      "t.msh:2:13: error: an id 99999999999 is out of range (-2147483648 to 2147483647)"
    ),
    ("quit 256", "t.msh:1:6: error: an exit status 256 is out of range (0 to 255)"),
    ("spawn server\nprint servr", "t.msh:2:7: error: unknown name 'servr' (did you mean 'server'?)"),
    ("watchs", "t.msh:1:1: error: unknown name 'watchs' (did you mean 'watch'?)"),
  ])
  func badArgumentsSayWhatTheyTake(source: String, error: String) {
    let shell = ShellUnderTest()
    let (_, err, outcome) = shell.run(source)
    #expect(err.split(separator: "\n").first.map(String.init) == error)
    if case .error = outcome {} else { Issue.record("\(source) did not fail") }
  }
}

/// Turns a usage line into commands the parser must accept: placeholders become sample atoms,
/// `[…]` parts are taken and left out, `a|b` choices are each taken.
enum UsageExpander {
  static func instances(of usage: String) -> [String] {
    var results: [String] = []
    for variant in variants(tokens(usage)) {
      var text = variant.joined(separator: " ")
      while text.contains("  ") { text = text.replacingOccurrences(of: "  ", with: " ") }
      text = text.replacingOccurrences(of: ", )", with: ")")
      while text.hasSuffix(" ") || text.hasSuffix(",") { text.removeLast() }
      if !results.contains(text) { results.append(text) }
      if results.count >= 64 { break }
    }
    return results
  }

  /// Words and brackets: a word's leading `[`s and trailing `]`s are tokens of their own.
  static func tokens(_ usage: String) -> [String] {
    var out: [String] = []
    for var word in usage.split(separator: " ").map(String.init) {
      while word.hasPrefix("[") {
        out.append("[")
        word.removeFirst()
      }
      var closing = 0
      while word.hasSuffix("]") {
        closing += 1
        word.removeLast()
      }
      if !word.isEmpty { out.append(word) }
      out += Array(repeating: "]", count: closing)
    }
    return out
  }

  /// Every way through the optional groups (all in, all out, each alone) and choices.
  static func variants(_ tokens: [String]) -> [[String]] {
    // Find the top-level optional groups.
    var groups: [Range<Int>] = []
    var depth = 0
    var start = 0
    for (i, t) in tokens.enumerated() {
      if t == "[" {
        if depth == 0 { start = i }
        depth += 1
      } else if t == "]" {
        depth -= 1
        if depth == 0 { groups.append(start..<(i + 1)) }
      }
    }
    var choicesOfGroups: [[Bool]] = [groups.map { _ in true }, groups.map { _ in false }]
    for i in groups.indices { choicesOfGroups.append(groups.indices.map { $0 == i }) }
    var out: [[String]] = []
    for present in choicesOfGroups {
      var words: [String] = []
      var i = 0
      while i < tokens.count {
        if let g = groups.firstIndex(where: { $0.lowerBound == i }) {
          if present[g] {
            let inner = Array(tokens[(groups[g].lowerBound + 1)..<(groups[g].upperBound - 1)])
            words += variants(inner).first ?? []
          }
          i = groups[g].upperBound
          continue
        }
        words.append(tokens[i])
        i += 1
      }
      for chosen in choices(words) { out.append(chosen.map(sample)) }
    }
    return out
  }

  /// `a|b|c` in a word: one variant per alternative (the others take the first).
  static func choices(_ words: [String]) -> [[String]] {
    var out = [words.map { first($0) }]
    for (i, w) in words.enumerated() where w.contains("|") {
      for alternative in w.split(separator: "|").dropFirst() {
        var v = words.map { first($0) }
        v[i] = String(alternative)
        out.append(v)
      }
    }
    return out
  }

  static func first(_ word: String) -> String { word.contains("|") ? String(word.split(separator: "|")[0]) : word }

  /// A placeholder's sample value; words in lower case and punctuation stay as they are.
  static func sample(_ word: String) -> String {
    var out = ""
    var name = ""
    func flush() {
      guard !name.isEmpty else { return }
      out += name.count > 1 || name == "N" || name == "F" || name == "P" || name == "T" ? value(name) : name
      name = ""
    }
    for c in word {
      if c.isUppercase || (c == "_" && !name.isEmpty) || (c.isNumber && !name.isEmpty) {
        name.append(c)
      } else {
        flush()
        out.append(c == "…" ? " " : c)
      }
    }
    flush()
    return out
  }

  static func value(_ placeholder: String) -> String {
    switch placeholder {
    case "PORTREF", "PORTSET", "P": return "a:1"
    case "TASK", "T": return "a"
    case "THREAD": return "a.1"
    case "FILTER", "F": return "msgid == 1"
    case "ITEM": return "int32(1)"
    case "RIGHT": return "make_send"
    case "SLOT": return "trace"
    case "EXC": return "EXC_BAD_ACCESS"
    case "FILE": return "f"
    case "FIELD": return "routine"
    case "WATCH", "PENDING", "LIST", "EXPR", "MESSAGE", "RECORD": return "x"
    case "CODE", "STATUS", "N", "MS", "BYTES", "DELTA", "ID", "INT": return "1"
    case "TOPIC": return "trace"
    case "COMMAND": return "watches"
    case "NAME", "ROUTINE", "TARGET", "ARG", "PARAM": return "x"
    default: return "x"
    }
  }
}
