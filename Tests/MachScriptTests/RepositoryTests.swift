import Foundation
import Testing

/// The repository reads whole on its own: every file that Sources/, docs/ and the README name
/// is in it, nothing points outside it, and every `docs/shell.md §N` or `docs/gnumach.md §N`
/// names a section that exists. (GNU Mach's own files, `ipc/ipc_right.c` and the like, are
/// cited by design and not checked.)
@Suite struct RepositoryTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

  /// Every file of the repository, as a path from its root.
  static let files: [String] = {
    var found: [String] = []
    let enumerator = FileManager.default.enumerator(atPath: root.path)
    while let path = enumerator?.nextObject() as? String {
      if path.hasPrefix(".build") || path.hasPrefix(".git") || path.contains("/.build") {
        enumerator?.skipDescendants()
        continue
      }
      found.append(path)
    }
    return found
  }()

  /// The texts to check: Swift sources, the docs and the README.
  static let texts: [(String, String)] = files.filter {
    ($0.hasPrefix("Sources/") && $0.hasSuffix(".swift")) || ($0.hasPrefix("docs/") && $0.hasSuffix(".md"))
      || $0 == "README.md"
  }.sorted().compactMap { path in
    (try? String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)).map { (path, $0) }
  }

  /// A name is there when it is a path from the root, the end of one (`Shell/Running.swift`),
  /// or, without a folder, the name of some file.
  static func exists(_ name: String) -> Bool {
    files.contains { $0 == name || $0.hasSuffix("/" + name) }
  }

  @Test func everyFileNamedIsInTheRepository() throws {
    let pattern = try Regex(#"[A-Za-z0-9_./+-]*[A-Za-z0-9_]\.(md|msh|swift|expected)\b"#)
    var missing: [String] = []
    for (path, text) in Self.texts {
      for match in text.matches(of: pattern) {
        let name = String(text[match.range])
        if !Self.exists(name) { missing.append("\(path): \(name)") }
      }
    }
    #expect(missing.isEmpty, "\(missing.joined(separator: "\n"))")
  }

  @Test func nothingPointsOutsideTheRepository() {
    for (path, text) in Self.texts {
      #expect(!text.contains("../shared"), "\(path)")
      for page in ["details.md", "kernel.md", "mach-semantics.md", "architecture.md", "tracing-tools.md"] {
        #expect(!text.contains(page), "\(path) names \(page)")
      }
    }
  }

  @Test(arguments: ["docs/shell.md", "docs/gnumach.md"])
  func sectionReferencesExist(_ page: String) throws {
    let doc = try String(contentsOf: Self.root.appendingPathComponent(page), encoding: .utf8)
    let headings = Set(
      doc.split(separator: "\n").compactMap { line -> String? in
        guard line.hasPrefix("#") else { return nil }
        let words = line.drop { $0 == "#" || $0 == " " }.split(separator: " ")
        return words.first.map { String($0.hasSuffix(".") ? $0.dropLast() : $0) }
      })
    let reference = try Regex(#"\#(page) (§[0-9.]+(, §[0-9.]+)*)"#)
    let number = try Regex(#"[0-9]+(\.[0-9]+)?"#)
    for (path, text) in Self.texts {
      for match in text.matches(of: reference) {
        for n in text[match.range].matches(of: number) {
          let section = String(text[match.range][n.range])
          #expect(headings.contains(section), "\(path): \(page) §\(section) is not a section")
        }
      }
    }
  }
}
