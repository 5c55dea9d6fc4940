import Foundation
import Testing

/// What only the binary can show: input it must refuse without running out of memory, and
/// Ctrl-C stopping a model that never stops by itself.
@Suite struct RobustnessTests {
  /// Runs machsh with `arguments`, standard input from `stdin`, and sends SIGINT after `after`
  /// seconds when given; returns (standard error, exit status, seconds it took to exit after
  /// the signal).
  static func run(
    _ arguments: [String], stdin: String = "/dev/null", interruptAfter after: Double? = nil
  ) throws -> (
    String, Int32, Double
  ) {
    let process = Process()
    process.executableURL = GoldenTests.machsh
    process.currentDirectoryURL = GoldenTests.root
    process.arguments = arguments
    process.standardInput = FileHandle(forReadingAtPath: stdin)
    let err = Pipe()
    process.standardError = err
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    var waited = 0.0
    if let after {
      Thread.sleep(forTimeInterval: after)
      kill(process.processIdentifier, SIGINT)
      let start = Date()
      while process.isRunning && Date().timeIntervalSince(start) < 5 { Thread.sleep(forTimeInterval: 0.01) }
      waited = Date().timeIntervalSince(start)
      if process.isRunning { process.terminate() }
    }
    let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return (text, process.terminationStatus, waited)
  }

  static func script(_ text: String) throws -> String {
    let path = NSTemporaryDirectory() + "machsh-robust-\(getpid())-\(text.hashValue).msh"
    try text.write(toFile: path, atomically: true, encoding: .utf8)
    return path
  }

  @Test(arguments: [
    // A server that answers itself forever.
    """
    spawn a
    let p = allocate a
    let s = insert a make_send p
    serve p { send s id 1 }
    send s id 1
    """,
    // Two servers answering each other forever.
    """
    spawn a
    spawn b
    let pa = allocate a
    let pb = allocate b
    let to_b = insert a make_send pb
    let to_a = insert b make_send pa
    serve pa { send to_b id 1 }
    serve pb { send to_a id 2 }
    send to_b id 0
    """,
    // A watch whose do block feeds itself.
    """
    spawn a
    spawn b
    let p = allocate a
    let s = insert b make_send p
    serve p with sink
    trace a
    watch dir == "receive" and msgid == 7 do { send s id 7 }
    send s id 7
    """,
    "while true { }",
  ])
  func ctrlCStopsAModelThatNeverStops(_ text: String) throws {
    let (err, status, waited) = try Self.run([try Self.script(text)], interruptAfter: 0.5)
    #expect(status == 2, "\(err)")
    #expect(err.contains("error: interrupted"), "\(err)")
    #expect(waited < 1, "it took \(waited) s to stop")
  }

  @Test func scriptsThatNeverEndAreRefused() throws {
    let (err, status, _) = try Self.run(["/dev/zero"])
    #expect(status == 2)
    #expect(err == "machsh: cannot read /dev/zero: larger than the 16 MB limit for a script\n")
    let (stdinErr, stdinStatus, _) = try Self.run([], stdin: "/dev/zero")
    #expect(stdinStatus == 2)
    #expect(stdinErr == "machsh: standard input is larger than the 16 MB limit for a script\n")
    let (sourceErr, sourceStatus, _) = try Self.run(["-c", "source \"/dev/zero\""])
    #expect(sourceStatus == 2)
    #expect(sourceErr.hasPrefix("<command-line>:1:1: error: cannot read \"/dev/zero\": not a regular file\n"))
  }

  /// A failed export leaves no file behind, whole or partial; a NUL in its name is an error.
  @Test func aFailedExportLeavesNoFile() throws {
    let folder = NSTemporaryDirectory() + "machsh-export-\(getpid())"
    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: folder) }
    let good = folder + "/t.jsonl"
    let script = "spawn a\ntrace a\nlet p = allocate a\ntrace export \"\(good)\"\ntrace export \"\(folder)/no/t.jsonl\""
    let (err, status, _) = try Self.run(["-c", script])
    #expect(status == 2)
    #expect(err.contains("cannot write \"\(folder)/no/t.jsonl\": No such file or directory"))
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder) == ["t.jsonl"], "no temporary file is left")
    #expect(try String(contentsOfFile: good, encoding: .utf8).split(separator: "\n").count == 3)
    let (nulErr, nulStatus, _) = try Self.run(["-c", "trace export \"a\\0b.jsonl\""])
    #expect(nulStatus == 2)
    #expect(nulErr.contains("error: a file name cannot hold a NUL byte"))
  }

  /// With -c there is no script file: every word after it is an argument.
  @Test func withDashCEveryWordIsAnArgument() throws {
    #expect(
      try GoldenTests.run(arguments: ["-c", "print args", "a", "b"]) == "[\"a\", \"b\"]\n--- stderr\n--- exit 0\n")
    #expect(
      try GoldenTests.run(arguments: ["-c", "print args", "/nonexistent"])
        == "[\"/nonexistent\"]\n--- stderr\n--- exit 0\n")
  }

  /// At the prompt, as in gdb: an empty line repeats `continue` (and `step N`); a stop that
  /// drops the rest of a line says how much; Ctrl-D in an unfinished block abandons the block.
  @Test func promptHabits() throws {
    let input = """
      spawn s; spawn c; let p = allocate s; let x = insert c make_send p; serve p with echo; trace c
      watch msgid == 5
      send x id 5; print "a"; print "b"

      step

      if true {
      """
    let out = try GoldenTests.run(arguments: ["-i", "/dev/null"], input: input + "\n")
    #expect(out.contains("stopped: 2 commands of this line not run\n"))
    // The empty line after `send` does nothing; the one after `step` repeats the step, which
    // finds nothing stopped any more.
    #expect(out.components(separatedBy: "note: the model is not stopped; 'step' has nothing to resume").count == 2)
    #expect(out.hasSuffix("machsh: the unfinished statement was abandoned\n--- exit 0\n"))
  }

  @Test func aFileThatSourcesItselfIsAnError() throws {
    let path = NSTemporaryDirectory() + "machsh-self-\(getpid()).msh"
    try "source \"\((path as NSString).lastPathComponent)\"\n".write(toFile: path, atomically: true, encoding: .utf8)
    let (err, status, _) = try Self.run([path])
    #expect(status == 2)
    #expect(err.contains("error: source nests deeper than 64 files (does a file source itself?)"))
  }
}
