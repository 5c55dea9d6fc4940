import Foundation
import Testing

/// Golden script tests: every `.msh` in Examples/ and Tests/GoldenTests/scripts runs through the
/// built `machsh`; its standard output, standard error and exit status must match the
/// `.expected` file beside it, byte for byte:
///
///     STDOUT…
///     --- stderr
///     STDERR…
///     --- exit N
///
/// `RECORD_GOLDEN=1 swift test` rewrites the expected files from what machsh does.
@Suite struct GoldenTests {
  static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

  static var scripts: [String] {
    var found: [String] = []
    for folder in ["Examples", "Tests/GoldenTests/scripts"] {
      let dir = root.appendingPathComponent(folder)
      let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
      found += names.filter { $0.hasSuffix(".msh") }.sorted().map { "\(folder)/\($0)" }
    }
    return found
  }

  /// The machsh binary beside the test bundle.
  static var machsh: URL {
    var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    while !FileManager.default.fileExists(atPath: dir.appendingPathComponent("machsh").path) && dir.path != "/" {
      dir = dir.deletingLastPathComponent()
    }
    return dir.appendingPathComponent("machsh")
  }

  static func run(_ script: String) throws -> String { try run(arguments: [script]) }

  static func run(arguments: [String], environment: [String: String]? = nil, input: String? = nil) throws -> String {
    let process = Process()
    process.executableURL = machsh
    process.currentDirectoryURL = root
    process.arguments = arguments
    if let environment {
      process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    }
    let stdin = Pipe()
    process.standardInput = input == nil ? FileHandle.nullDevice : stdin
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    if let input {
      stdin.fileHandleForWriting.write(Data(input.utf8))
      try stdin.fileHandleForWriting.close()
    }
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: stdout, as: UTF8.self) + "--- stderr\n" + String(decoding: stderr, as: UTF8.self)
      + "--- exit \(process.terminationStatus)\n"
  }

  @Test func thereAreScripts() {
    #expect(Self.scripts.count >= 2)
    #expect(FileManager.default.isExecutableFile(atPath: Self.machsh.path))
  }

  @Test(arguments: scripts)
  func script(_ path: String) throws {
    let actual = try Self.run(path)
    let expectedURL = Self.root.appendingPathComponent(String(path.dropLast(4)) + ".expected")
    if ProcessInfo.processInfo.environment["RECORD_GOLDEN"] == "1" {
      try actual.write(to: expectedURL, atomically: true, encoding: .utf8)
    }
    let expected = try String(contentsOf: expectedURL, encoding: .utf8)
    #expect(actual == expected, "\(path)")
  }

  /// The command line (docs/language.md, Running machsh, §8): a bad option stops machsh with status 2, like any
  /// error; `--color always` colours trace lines even in a pipe, `never` and the default
  /// (not a terminal here) do not, and `set color` switches it within a script.
  /// `--msgids FOLDER` loads every `*.msgids` file in it, as `--msgids FILE` loads one.
  @Test func msgidsFromAFileOrAFolder() throws {
    let folder = Self.root.appendingPathComponent("Tests/GoldenTests/scripts").path
    for path in [folder, folder + "/hurd.msgids"] {
      #expect(
        try Self.run(arguments: ["--msgids", path, "-c", "print routine(21000), routine(21101)"])
          == "io_write io_read-reply\n--- stderr\n--- exit 0\n")
    }
    #expect(try Self.run(arguments: ["--msgids", "/nonexistent", "-c", "print 1"]).hasSuffix("--- exit 2\n"))
  }

  /// `--defs FILE` loads MIG definitions before the script (`-I DIR` for includes, `-D NAME` for
  /// macros); a file with an error stops machsh with status 2 and the file's own position.
  @Test func defsFromTheCommandLine() throws {
    let scripts = Self.root.appendingPathComponent("Tests/GoldenTests/scripts").path
    #expect(
      try Self.run(arguments: ["--defs", scripts + "/counter.defs", "-c", "print routine(7000), routine(7102)"])
        == "counter_add counter_names-reply\n--- stderr\n--- exit 0\n")
    let broken = try Self.run(arguments: ["--defs", scripts + "/broken.defs", "-c", "print 1"])
    #expect(broken.contains("broken.defs:7:9: error: unknown type 'no_such_type'\n\tsize : no_such_type);\n\t       ^"))
    #expect(broken.hasSuffix("--- exit 2\n"))
    // -D defines a macro: here one the file tests to declare one more routine.
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("machsh-defs-\(getpid())")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: folder) }
    try "type t = MACH_MSG_TYPE_COPY_SEND;\n".write(
      to: folder.appendingPathComponent("t.defs"), atomically: true, encoding: .utf8)
    try "subsystem x 9000;\n#include <t.defs>\n#ifdef EXTRA\nroutine extra(p : t);\n#endif\n".write(
      to: folder.appendingPathComponent("x.defs"), atomically: true, encoding: .utf8)
    let x = folder.appendingPathComponent("x.defs").path
    #expect(
      try Self.run(arguments: ["-I", folder.path, "-D", "EXTRA", "--defs", x, "-c", "print routine(9000)"])
        == "extra\n--- stderr\n--- exit 0\n")
    #expect(try Self.run(arguments: ["--defs", x, "-c", "print 1"]).contains("cannot find include file 't.defs'"))
  }

  /// `--load FILE` takes a trace in before the script runs; a file it cannot read is an
  /// error and exit status 2, before anything runs.
  @Test func loadFromTheCommandLine() throws {
    let log = Self.root.appendingPathComponent("Examples/17-reading-a-real-rpctrace-log.log").path
    let loaded = try Self.run(arguments: ["--load", log, "-c", "print count(retval != 0), count(type == \"raw\")"])
    #expect(loaded.hasPrefix("1 2\n--- stderr\nloaded 20 records from \(log) (rpctrace): 10 requests, 8 replies, "))
    #expect(loaded.hasSuffix("--- exit 0\n"))
    let missing = try Self.run(arguments: ["--load", "/no/such.log", "-c", "print 1"])
    #expect(missing == "--- stderr\nmachsh: cannot load /no/such.log: No such file or directory\n--- exit 2\n")
    let folder = try Self.run(arguments: ["--load", Self.root.appendingPathComponent("Examples").path, "-c", "print 1"])
    #expect(folder.contains("Examples: a folder, not a file\n--- exit 2\n"))
  }

  @Test func commandLineColourAndUsageErrors() throws {
    let bad = try Self.run(arguments: ["--color", "sometimes", "-c", "x = 1"])
    #expect(bad.hasPrefix("--- stderr\nError: --color is auto, always or never\n"))
    #expect(bad.hasSuffix("--- exit 2\n"))
    #expect(try Self.run(arguments: ["--no-such-option"]).hasSuffix("--- exit 2\n"))

    let script = "spawn a\nlet p = allocate a\ntrace a\nsend (insert a make_send p) id 9\ntrace show last 1"
    let plain = "6 a.1 -> 2 9 ()\n--- stderr\n--- exit 0\n"
    let esc = "\u{1B}["
    #expect(try Self.run(arguments: ["-c", script]) == plain)
    #expect(try Self.run(arguments: ["--color", "never", "-c", script]) == plain)
    #expect(
      try Self.run(arguments: ["--color", "always", "-c", script])
        == "6 \(esc)36ma.1\(esc)0m \(esc)33m->\(esc)0m 2 9 ()\n--- stderr\n--- exit 0\n")
    #expect(try Self.run(arguments: ["--color", "always", "-c", "set color off\n" + script]) == plain)
    #expect(try Self.run(arguments: ["-c", "set color on\n" + script], environment: ["NO_COLOR": "1"]).contains(esc))
  }

  /// The README's tour is a real session: its `machsh>` lines, typed at the prompt (plain,
  /// since standard input is a pipe), give back exactly the output shown after each.
  @Test func readmeTourIsCurrent() throws {
    let readme = try String(contentsOf: Self.root.appendingPathComponent("README.md"), encoding: .utf8)
    let block = readme.components(separatedBy: "\n").drop { !$0.hasPrefix("    machsh> ") }
      .prefix { $0.hasPrefix("    ") }.map { String($0.dropFirst(4)) }
    #expect(block.count > 10)
    // A prompt may show the model's state: `machsh [stopped, 1 pending]> `.
    let prompt = try Regex(#"machsh( \[[^\]]*\])?> "#)
    let commands = block.compactMap { line in line.prefixMatch(of: prompt).map { String(line[$0.range.upperBound...]) }
    }
    let actual = try Self.run(arguments: ["-i", "/dev/null"], input: commands.joined(separator: "\n") + "\n")
    // The prompt is written before each line is read; put each typed line back after it.
    let prompts = actual.ranges(of: prompt)
    var transcript: [String] = []
    for (i, range) in prompts.dropLast().enumerated() {
      transcript.append(String(actual[range]) + commands[i])
      let output = actual[range.upperBound..<prompts[i + 1].lowerBound]
      if !output.isEmpty { transcript.append(String(output.dropLast())) }
    }
    #expect(prompts.count == commands.count + 1)
    #expect(actual[prompts.last!.upperBound...] == "--- stderr\n--- exit 0\n")
    #expect(transcript.joined(separator: "\n") == block.joined(separator: "\n"))
  }

}
