// The libFuzzer target behind scripts/fuzz: each input is a script, run through the parser,
// the interpreter and the shell on a fresh model. A trap, a sanitizer report or a timeout is
// a finding; a script error is not. Loops are cut after a fixed number of steps (as Ctrl-C
// would cut them), so every input ends.

import MachScript

final class Discard: ScriptOutput {
  func write(_ text: String) {}
  func writeError(_ text: String) {}
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
  let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
  let session = Session(output: Discard())
  var polls = 0
  session.interpreter.interruptRequested = {
    polls += 1
    return polls > 20_000
  }
  _ = session.run(source: text, file: "fuzz.msh")
  return 0
}
