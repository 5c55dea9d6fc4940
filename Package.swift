// swift-tools-version: 6.1
// Tools version 6.x: every target builds in the Swift 6 language mode.
import PackageDescription

let package = Package(
  name: "machsh",
  products: [
    .library(name: "MachModel", targets: ["MachModel"]),
    .library(name: "MachTrace", targets: ["MachTrace"]),
    .library(name: "MachScript", targets: ["MachScript"]),
    .executable(name: "mach-demo", targets: ["mach-demo"]),
  ],
  targets: [
    // The kernel model: GNU Mach IPC as bytes, spaces, rights, ports, mach_msg, virtual time.
    // No I/O and no dependencies; it knows nothing of the shell.
    .target(name: "MachModel"),
    // What a user sees of the trace: records decoded from trace copies, the msgids tables,
    // request/reply pairing, and the output formats.
    .target(name: "MachTrace", dependencies: ["MachModel"]),
    // The command language: lexer, parser and diagnostics (the evaluator joins it). Knows
    // nothing of terminals.
    .target(name: "MachScript", dependencies: ["MachModel", "MachTrace"]),
    // A small narrated walk through the model (the README's first command until the shell lands).
    .executableTarget(name: "mach-demo", dependencies: ["MachModel", "MachTrace"]),
    // The benchmark behind scripts/bench: prints `NAME VALUE UNIT` lines. Release builds only.
    .executableTarget(name: "machsh-bench", dependencies: ["MachModel"]),
    .testTarget(name: "MachModelTests", dependencies: ["MachModel"]),
    .testTarget(name: "MachTraceTests", dependencies: ["MachTrace", "MachModel"]),
    .testTarget(name: "MachScriptTests", dependencies: ["MachScript"]),
  ]
)
