import Foundation
import TestSupport
import Testing

@testable import MachScript

/// A seeded fuzz test that runs on every `scripts/test`: the lessons and golden scripts,
/// mutated (lines dropped, doubled and swapped, words inserted, numbers pushed to their
/// limits, text cut short), each run through the shell on a fresh model. A trap ends the test
/// process, which fails the run; loops are cut after a fixed number of steps. The same seed
/// makes the same mutants, so a failure repeats. `scripts/fuzz` is the long, coverage-guided
/// version.
@Suite struct MutationFuzzTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

  static var seeds: [String] {
    ["Examples", "Tests/GoldenTests/scripts"].flatMap { folder in
      ((try? FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(folder).path)) ?? [])
        .filter { $0.hasSuffix(".msh") }.sorted().map { "\(folder)/\($0)" }
    }
  }

  static let words = [
    "spawn x", "kill", "suspend", "resume", "abort", "send", "receive", "rpc", "serve", "reply", "trace", "watch",
    "step", "continue", "advance", "wait", "run", "source \"x.msh\"", "quit", "while true { }", "repeat 99999 {",
    "}", "{", "(", ")", "[", "]", "[[[[", "&", "id", "body", "int32(", "port(", "ool(", "bytes(", "timeout",
    "thread 2", "do {", "stop", "break", "return", ".self", ".1", ":9", "+", "and", "not", "==", "in", "matches",
    "\"", "\\", "#", ";", "\n", "\r\n", "\u{FEFF}", "é", "let x =", "def f(a) { f(a) }", "f(1)", "info port",
    "move p to", "notify", "sync", "set trace_limit 1", "set kmsg_limit 0", "trace export \"-\"", "decode(msg)",
  ]

  static let limits = [
    "0", "-1", "2147483647", "2147483648", "-2147483648", "4294967295", "4294967296", "9223372036854775807",
    "-9223372036854775808", "99999999999999999999",
  ]

  static func mutate(_ text: String, _ rng: inout SplitMix64) -> String {
    var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    for _ in 0..<(1 + rng.below(3)) {
      guard !lines.isEmpty else { break }
      let i = rng.below(lines.count)
      switch rng.below(7) {
      case 0: lines.remove(at: i)
      case 1: lines.insert(lines[i], at: i)
      case 2: lines.swapAt(i, rng.below(lines.count))
      case 3:
        var chars = Array(lines[i])
        chars.insert(contentsOf: " " + words[rng.below(words.count)] + " ", at: rng.below(chars.count + 1))
        lines[i] = String(chars)
      case 4:
        let parts = lines[i].split(separator: " ", omittingEmptySubsequences: false).map { part in
          part.allSatisfy(\.isNumber) && !part.isEmpty && rng.below(2) == 0
            ? limits[rng.below(limits.count)] : String(part)
        }
        lines[i] = parts.joined(separator: " ")
      case 5:
        var chars = Array(lines[i])
        if !chars.isEmpty { chars.removeSubrange(rng.below(chars.count)..<chars.count) }
        lines[i] = String(chars)
      default:
        lines = Array(lines.prefix(i + 1))
      }
    }
    return lines.joined(separator: "\n")
  }

  @Test(arguments: seeds)
  func mutantsNeverTrap(_ path: String) throws {
    let text = try String(contentsOf: Self.root.appendingPathComponent(path), encoding: .utf8)
    var rng = SplitMix64(state: UInt64(truncatingIfNeeded: path.utf8.reduce(5381) { ($0 &* 33) &+ Int($1) }))
    for _ in 0..<300 {
      let mutant = Self.mutate(text, &rng)
      if let dump = ProcessInfo.processInfo.environment["MUTANT_DUMP"] {  // the last one tried, per seed
        try? mutant.write(toFile: dump + "/" + (path as NSString).lastPathComponent, atomically: false, encoding: .utf8)
      }
      let shell = ShellUnderTest()
      var polls = 0
      shell.session.interpreter.interruptRequested = {
        polls += 1
        return polls > 3000
      }
      shell.run(mutant)
    }
  }
}
