import MigDefs
import TestSupport
import Testing

/// No input makes the .defs reader trap or hang: GNU Mach's own files, cut and mutated at
/// random (a fixed seed, so a failure repeats), read to an error or to a result.
struct DefsFuzzTests {
  static let fragments = [
    "#if", "#endif", "#else", "#elif 1", "#define X", "#include \"t.defs\"", "#include <", "/*", "*/", "//",
    "\"", "(", ")", "[", "]", "{", "}", ";", ":", ",", "=", "|", "^", "array[*:", "struct {", "c_string[",
    "routine", "simpleroutine", "skip;", "subsystem", "type", "out", "inout", "polymorphic", "MACH_MSG_TYPE_",
    "0x", "99999999999999999999", "-1", "\\", "\n", "\t", "é", "\u{0}",
  ]

  @Test func mutatedDefinitionsNeverTrap() throws {
    let root = LocalFileSystem.systemIncludeDirectories[1]
    let sources = ["mach/mach_port.defs", "mach/std_types.defs", "mach/mach_types.defs", "device/device.defs"]
      .compactMap { LocalFileSystem().contents(of: root + "/" + $0) }
    #expect(sources.count == 4, "gnumach-dev is installed by scripts/ensure-deps")
    var random = SplitMix64(state: 2026)
    var outcomes = (read: 0, refused: 0)
    for round in 0..<400 {
      var text = Array(sources[round % sources.count])
      for _ in 0..<Int.random(in: 1...6, using: &random) {
        let at = Int.random(in: 0...text.count, using: &random)
        switch Int.random(in: 0..<3, using: &random) {
        case 0: text.insert(contentsOf: Self.fragments.randomElement(using: &random)!, at: at)
        case 1: text.removeSubrange(at..<min(text.count, at + Int.random(in: 1...40, using: &random)))
        default: text = Array(text[..<at])
        }
      }
      // t.defs includes itself: the depth limit, not a hang.
      let files = InMemoryFileSystem(["t.defs": String(text)])
      do {
        _ = try MigInterfaces.read(
          "t.defs",
          options: DefsOptions(
            systemDirectories: [root], fileSystem: MergedFileSystem(first: files, then: LocalFileSystem())))
        outcomes.read += 1
      } catch {
        #expect(error.location.line >= 1 && error.location.column >= 1, "\(error)")
        outcomes.refused += 1
      }
    }
    // Both outcomes happen: the mutations reach past the first error.
    #expect(outcomes.read > 0)
    #expect(outcomes.refused > 0)
  }
}
