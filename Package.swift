// swift-tools-version: 6.1
// Tools version 6.x: every target builds in the Swift 6 language mode.
import PackageDescription

let package = Package(
  name: "machsh",
  products: [
    .executable(name: "machsh", targets: ["machsh"]),
    .library(name: "MachModel", targets: ["MachModel"]),
    .library(name: "MachTrace", targets: ["MachTrace"]),
    .library(name: "MachScript", targets: ["MachScript"]),
    .library(name: "MigDefs", targets: ["MigDefs"]),
    .executable(name: "mach-demo", targets: ["mach-demo"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0")
  ],
  targets: [
    // The kernel model: GNU Mach IPC as bytes, spaces, rights, ports, mach_msg, virtual time.
    // No I/O and no dependencies; it knows nothing of the shell.
    .target(name: "MachModel"),
    // MIG's interface definition language: a C preprocessor, the .defs grammar, the i386 ABI.
    // Knows nothing of the model or the shell.
    .target(name: "MigDefs"),
    // What a user sees of the trace: records decoded from trace copies, the msgids tables,
    // request/reply pairing, and the output formats.
    .target(name: "MachTrace", dependencies: ["MachModel", "MigDefs"]),
    // The command language: lexer, parser and diagnostics (the evaluator joins it). Knows
    // nothing of terminals.
    .target(name: "MachScript", dependencies: ["MachModel", "MachTrace", "MigDefs"]),
    // libedit through its native <histedit.h>, with non-variadic shims.
    .systemLibrary(name: "CHistEdit", pkgConfig: "libedit", providers: [.apt(["libedit-dev"])]),
    // The Swift face of libedit: prompt, history, completion, Ctrl-C.
    .target(name: "LineEditor", dependencies: ["CHistEdit"]),
    // The shell: argument parsing, choosing the prompt or a script, exit status.
    //
    // Targets list every module whose types they hold, even through another module: a
    // `Session` holds a `Kernel` by value, so its layout is MachModel's. SwiftPM rebuilds a
    // target only when the modules it lists change, and an incremental build that missed a new
    // stored property in `Kernel` linked a `machsh` that crashed at start-up.
    .executableTarget(
      name: "machsh",
      dependencies: [
        "MachModel", "MachTrace", "MigDefs", "MachScript", "LineEditor",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),
    // A small narrated walk through the model's API, for developers.
    .executableTarget(name: "mach-demo", dependencies: ["MachModel", "MachTrace"]),
    // The benchmark behind scripts/bench: prints `NAME VALUE UNIT` lines. Release builds only.
    .executableTarget(name: "machsh-bench", dependencies: ["MachModel", "MachTrace", "MigDefs", "MachScript"]),
    // What the test targets share: a booted kernel, captured output, a session under test.
    .target(
      name: "TestSupport", dependencies: ["MachModel", "MachTrace", "MigDefs", "MachScript"], path: "Tests/TestSupport"),
    .testTarget(name: "MachModelTests", dependencies: ["MachModel", "TestSupport"]),
    .testTarget(name: "MigDefsTests", dependencies: ["MigDefs", "MachModel", "TestSupport"]),
    .testTarget(name: "MachTraceTests", dependencies: ["MachTrace", "MachModel", "MigDefs", "TestSupport"]),
    .testTarget(
      name: "MachScriptTests", dependencies: ["MachModel", "MachTrace", "MigDefs", "MachScript", "TestSupport"]),
    // Scripts with their expected output and exit status, run through the built machsh.
    .testTarget(name: "GoldenTests", dependencies: ["machsh"], exclude: ["scripts"]),
  ]
)
