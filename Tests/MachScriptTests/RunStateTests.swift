import MachTrace
import TestSupport
import Testing

@testable import MachScript

/// The stop / continue / step / interrupt / nested-run rules of `RunState`, driven directly,
/// then through a session (no binary).
@Suite struct RunStateTests {
  @Test func aWatchStopHaltsTheModelUntilTheNextOuterPump() {
    var s = RunState()
    #expect(s.enterPump() == true)
    s.stopAtWatch(interactive: false)
    #expect(s.isHalted && s.canResume)
    #expect(!s.abandonsLine, "in a script the rest of the input goes on")
    s.exitPump()
    #expect(s.isHalted, "the stop outlives the pump that made it")
    #expect(s.enterPump() == true, "an outer pump runs the model again")
    #expect(!s.isHalted && s.mode == .running)
    s.exitPump()
  }

  @Test func aPumpInsideAPumpNeitherEndsAStopNorRuns() {
    var s = RunState()
    #expect(s.enterPump() == true)
    s.stopAtWatch(interactive: false)
    #expect(s.enterPump() == false, "a nested pump does not run a stopped model")
    #expect(s.isHalted)
    s.exitPump()
    #expect(s.pumpDepth == 0)
    #expect(s.enterPump() == true)
    #expect(s.enterPump() == true, "a nested pump runs a running model")
    #expect(s.pumpDepth == 2)
    s.exitPump()
    s.exitPump()
  }

  @Test func stepCountsRecordsThenStops() {
    var s = RunState()
    s.stopAtWatch(interactive: false)
    let cut = s.resume(steps: 3)
    #expect(cut == nil)
    #expect(s.mode == .stepping(left: 3))
    #expect(s.enterPump() == true, "stepping runs the model")
    #expect(s.countStep(interactive: false) == false)
    #expect(s.countStep(interactive: false) == false)
    #expect(s.countStep(interactive: false) == true, "the third record ends the step")
    #expect(s.mode == .stopped(.stepEnd))
    s.exitPump()
    s.endStep()
    #expect(s.mode == .stopped(.stepEnd), "a step that ended stays stopped")
  }

  @Test func aStepTheModelRanOutOfEndsRunning() {
    var s = RunState()
    _ = s.resume(steps: 5)
    #expect(s.enterPump() == true)
    #expect(s.countStep(interactive: false) == false)
    s.exitPump()
    s.endStep()
    #expect(s.mode == .running)
  }

  @Test func continueFinishesTheWaitAStopCutShort() {
    var s = RunState()
    s.stopAtWatch(interactive: false)
    s.keep(.advance(to: 5000))
    guard case .advance(let target)? = s.resume(steps: nil) else {
      Issue.record("the advance was not kept")
      return
    }
    #expect(target == 5000)
    let again = s.resume(steps: nil)
    #expect(again == nil, "it is finished once")
  }

  @Test func ctrlCStopsTheModelAndIsReportedOnce() {
    var s = RunState()
    #expect(s.enterPump() == true)
    s.interrupt()
    #expect(s.mode == .stopped(.interrupt))
    #expect(!s.abandonsLine, "the command's error ends the line, not the stop")
    s.exitPump()
    #expect(s.takeInterruptReport() == true)
    #expect(s.takeInterruptReport() == false)
    #expect(s.canResume)
  }

  @Test func heldRecordsAreKeptForTheNextRun() {
    var s = RunState()
    let r = TraceRecord.sample(seq: 7)
    s.stopAtWatch(interactive: false)
    s.hold([r][...])
    #expect(s.hasHeld && s.canResume)
    #expect(s.takeHeld().map(\.seq) == [7])
    #expect(!s.hasHeld)
  }

  @Test func insideABlockTheModelNeverRunsAndStopBelongsToDoBlocks() {
    var s = RunState()
    s.enterBlock(.serve)
    #expect(s.inBlock)
    #expect(s.enterPump() == false, "a command in a block runs only its own thread")
    #expect(s.requestStop() == false, "stop in a serve block is an error")
    #expect(s.exitBlock() == false)
    s.enterBlock(.watchDo(stopRequested: false))
    #expect(s.requestStop() == true)
    #expect(s.exitBlock() == true, "the do block asked to stop")
    #expect(!s.inBlock)
  }

  @Test func theFirstBlockErrorIsReportedOnce() {
    var s = RunState()
    let at = SourceLocation(file: "t.msh", line: 1, column: 1)
    s.report(ScriptError("first", at: at))
    s.report(ScriptError("second", at: at))
    #expect(s.takeBlockError()?.message == "first")
    #expect(s.takeBlockError() == nil)
  }

  @Test func aStopAtThePromptAbandonsTheRestOfTheLine() {
    var s = RunState()
    s.stopAtWatch(interactive: true)
    #expect(s.abandonsLine)
    s.lineStarts()
    #expect(!s.abandonsLine)
  }

  // MARK: - Through a session

  static let serverAndClient = """
    spawn server
    spawn client
    let p = allocate server
    let s = insert client make_send p
    serve p with echo
    trace client
    """

  @Test func aWatchStopLeavesTheRPCPendingAndContinueCompletesIt() {
    let shell = ShellUnderTest()
    shell.run(Self.serverAndClient)
    let (out, _, _) = shell.run(
      """
      watch msgid == 1000
      let r = rpc 1000(s, 1)
      print r == pending
      continue
      print r.done, r.value
      """)
    #expect(out.contains("watch 1 hit: "))
    #expect(out.contains("true\n[client.1] rpc 1000(s, 1) -> message(id 1100"))
    #expect(out.hasSuffix("true message(id 1100, size 40, on client:3)\n"))
    #expect(!shell.session.isStopped)
  }

  @Test func stepLetsRecordsInOneByOne() {
    let shell = ShellUnderTest()
    shell.run(Self.serverAndClient)
    let (out, _, _) = shell.run(
      """
      watch msgid == 1000 once
      let r = rpc 1000(s, 1)
      step
      """)
    let lines = out.split(separator: "\n")
    #expect(lines.count == 3, "\(out)")
    #expect(lines[1].contains("<-"), "step shows the reply record")
    #expect(lines[2].hasPrefix("[client.1] rpc 1000(s, 1) -> message(id 1100"), "and the rpc completes")
    #expect(shell.session.isStopped)
    shell.run("continue")
    #expect(!shell.session.isStopped)
  }

  @Test func aPendingOperationThatEndedAtAStopCompletes() {
    let shell = ShellUnderTest()
    shell.run(Self.serverAndClient)
    // The watch fires on the reply the client receives: the rpc itself has ended.
    let (out, _, _) = shell.run(
      """
      watch dir == "receive" and msgid == 1100
      let r = rpc 1000(s, 1)
      print r == pending, r.id
      """)
    #expect(out.hasSuffix("false 1100\n"), "the rpc returns its reply: \(out)")
    #expect(shell.session.isStopped)
  }

  @Test func stopInADoBlockStopsTheModel() {
    let shell = ShellUnderTest()
    shell.run(Self.serverAndClient)
    let (out, err, _) = shell.run(
      """
      watch msgid == 1000 do { print "seen"
        stop }
      let r = rpc 1000(s, 1)
      """)
    #expect(err == "")
    #expect(out.hasPrefix("seen\nwatch 1 hit: "))
    #expect(shell.session.isStopped)
  }

  @Test func stopOutsideADoBlockIsAnError() {
    let shell = ShellUnderTest()
    let (_, err, _) = shell.run("stop")
    #expect(err.hasPrefix("t.msh:1:1: error: 'stop' belongs in a watch's do block"))
  }

  @Test func continueWithNothingStoppedSaysSo() {
    let shell = ShellUnderTest()
    let (_, err, outcome) = shell.run("continue")
    #expect(err == "note: the model is not stopped; 'continue' has nothing to resume\n")
    #expect(outcome == .completed)
  }

  @Test func ctrlCInARunningModelIsReportedByTheCommand() {
    let shell = ShellUnderTest()
    shell.run(Self.serverAndClient)
    var asked = false
    shell.session.interpreter.interruptRequested = {
      defer { asked = true }
      return !asked
    }
    let (_, err, _) = shell.run("let r = rpc 1000(s, 1)")
    #expect(err.contains("error: interrupted (the model is stopped; 'continue' resumes it)"), "\(err)")
    #expect(shell.session.isStopped)
    shell.session.interpreter.interruptRequested = { false }
    let (out, _, _) = shell.run("continue")
    #expect(out.contains("[client.1] rpc 1000(s, 1) -> message(id 1100"), "\(out)")
  }
}

extension RunState.CutShort: Equatable {
  public static func == (a: Self, b: Self) -> Bool {
    switch (a, b) {
    case (.advance(let x), .advance(let y)): return x == y
    default: return false
    }
  }
}
