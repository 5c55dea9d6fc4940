import MachModel
import MachTrace
import MigDefs

/// Why a file could not be read: "No such file or directory", "not a regular file", "larger
/// than the 16 MB limit".
public struct FileProblem: Error, Sendable, CustomStringConvertible {
  public let description: String
  public init(_ description: String) { self.description = description }
}

/// A file `trace export` fills a piece at a time: written under a temporary name and renamed
/// into place by `commit`, so that a failed export never leaves a truncated file.
public protocol ExportFile: AnyObject {
  func write(_ text: String) throws
  func commit() throws
  /// Removes what was written.
  func abandon()
}

/// The most a script, a sourced file or a msgids file may hold (standard input too).
public let maxScriptBytes = 16 << 20
/// The largest file `trace load` reads: 1 GB, some ten million lines of rpctrace.
public let maxTraceFileBytes = 1 << 30

/// The shell over the model: the kernel, the `shell` task whose thread carries out the
/// commands only a privileged task could (docs/shell.md §4), the trace intake, servers and
/// pending operations, and the run state. The interpreter runs the language and hands every
/// command here; the registry says which handler runs it.
public final class Session: ScriptHost {
  // The model and the shell's state are read and changed on every command: their accesses
  // are not checked at run time (the compiler still checks what it can; nothing here is
  // shared between threads). Measured: 6% fewer instructions per send/receive round trip.

  /// The model the commands act on, to read. Every change goes through `mutate` (or
  /// `stepModel`), which the history records so that any past moment can be rebuilt
  /// (docs/shell.md, "Going back").
  public var kernel: Kernel { _read { yield live } }
  @exclusivity(unchecked) var live: Kernel
  /// What has happened to the model, to go back in time.
  @exclusivity(unchecked) var history = History()
  /// Where the session is while it looks at the past (`goto`); nil in the present.
  var past: PastMoment? = nil
  /// The serving threads of the moment `info … at N` shows.
  var viewedServing: [ThreadIndex]? = nil
  /// The largest page `trace export … html` writes (64 MB: a browser still opens it).
  public var pageByteLimit = 64 << 20
  /// Called with the records each change or step made, the kernel just after, and the
  /// shell's serving threads (for tests: the moment `goto` must rebuild).
  public var recordsMade: ((ClosedRange<UInt64>, Kernel, [ThreadIndex]) -> Void)? = nil
  /// Asks the user a yes-or-no question at the prompt (the executable gives the real one);
  /// nil in a script, where the answer is yes.
  public var confirm: ((String) -> Bool)? = nil
  /// The kernel's trace log as last drained: its storage is handed back at each drain
  /// (`Kernel.drainTraceLog`), so draining allocates nothing once it has grown.
  var drainedLog = TraceLog()
  public let interpreter: Interpreter
  public var output: ScriptOutput { interpreter.output }
  /// Reads a file for `source` and `msgids load` (the executable gives the real one): its
  /// text, or why not.
  public var readFile: (String) -> Result<String, FileProblem> = { _ in .failure(FileProblem("no file system")) }
  /// Reads a file for `trace load` as bytes (the executable gives the real one, with a
  /// larger limit than a script's); without it, `readFile`'s text.
  public var readBytes: ((String) -> Result<[UInt8], FileProblem>)? = nil
  /// Opens a file for `trace export` (the executable gives the real one), or says why not.
  public var createFile: (String) -> Result<any ExportFile, FileProblem> = { _ in
    .failure(FileProblem("no file system"))
  }
  /// The entries of a folder, for Tab in a file name ("/" ends a folder's name); nil when
  /// it cannot be read.
  public var listDirectory: (String) -> [String]? = { _ in nil }
  /// How `defs load` reads .defs files: include folders and macros from the command line,
  /// and the file system (the executable gives the real one).
  public var defsOptions = DefsOptions(systemDirectories: [], fileSystem: InMemoryFileSystem([:]))
  /// At the prompt: records and completion lines show as they come, and a stop abandons
  /// the rest of the input line.
  public var isInteractive = false
  /// What `set` changes (`info settings` lists them).
  public var settings = Settings()
  /// When the last record shown live was made (`set timestamps delta`).
  var lastLiveTime: UInt64? = nil

  /// The task the shell's commands act from, and its one thread.
  public let shell: TaskIndex
  var shellThread: ThreadIndex { kernel.tasks[Int(shell)].threads[0] }
  @exclusivity(unchecked) var rights: ShellRights
  @exclusivity(unchecked) var intake = TraceIntake()
  @exclusivity(unchecked) var runState = RunState()
  @exclusivity(unchecked) var operations = Operations()
  @exclusivity(unchecked) var servers = ServerTable()

  public init(output: ScriptOutput) {
    (live, shell) = Self.bootedKernel()
    rights = ShellRights(shell: shell)
    interpreter = Interpreter(output: output)
    interpreter.host = self
    interpreter.setGlobal("shell", .task(shell, "shell"))
    interpreter.setGlobal("args", .list([]))
    setRC(0, machMsg: false)
    history.begin(live, seq: 0)
  }

  /// A kernel that has booted the shell: a `shell` task with one thread, holding its own task
  /// port as name 1 as every task glibc starts does (`mach_task_self()`), and its thread's MIG
  /// reply port as name 2.
  public static func bootedKernel() -> (Kernel, shell: TaskIndex) {
    var k = Kernel()
    let shell = k.createTask(name: "shell")
    let thread = k.createThread(in: shell)
    _ = k.giveTaskSelfName(shell)
    _ = k.migReplyPort(thread)  // name 2: the shell's RPCs never find the kernel out of ports
    return (k, shell)
  }

  /// The last record's `seq`: the kernel's count of copies, numbered after loaded records.
  var recordSeq: UInt64 { live.traceSeq + intake.seqOffset }

  /// Changes the model: every change the shell makes goes through here, so that the history
  /// can replay it. `change` must read only the kernel it is given and the values it captured;
  /// `bytes` says how large those are when they are large (a message), for the history's
  /// budget.
  @discardableResult
  func mutate<R>(carrying bytes: Int = 0, _ change: @escaping (inout Kernel) -> R) -> R {
    if past != nil { discardFuture() }
    let seqBefore = recordSeq
    let result = change(&live)
    if history.isOn {
      history.recordChange(
        { k in _ = change(&k) }, carrying: bytes, kernel: live, seq: recordSeq, serving: servers.serving)
    }
    if let made = recordsMade, recordSeq > seqBefore { made(seqBefore + 1...recordSeq, live, servers.serving) }
    return result
  }

  /// Sets the kernel's limit on ports (for tests of running out of them), recorded.
  public func setObjectLimit(_ limit: Int) { mutate { k in k.objectLimit = limit } }

  /// One step of the model (`Kernel.step`), recorded.
  @inline(__always)
  func stepModel() -> Bool {
    if past != nil { discardFuture() }
    let seqBefore = recordSeq
    let moved = live.step()
    history.recordStep(live, seq: recordSeq, serving: servers.serving)
    if let made = recordsMade, recordSeq > seqBefore { made(seqBefore + 1...recordSeq, live, servers.serving) }
    return moved
  }

  /// Runs a whole script.
  public func run(source: String, file: String) -> RunOutcome {
    interpreter.run(source: source, file: file)
  }

  /// A watch, `step` or Ctrl-C stopped the model and nothing has run it since (`continue`
  /// resumes).
  public var isStopped: Bool { runState.canResume }

  /// The trace buffer.
  public var records: TraceBuffer { intake.buffer }

  /// The operations still pending, as `[TASK.N] COMMAND` lines (shown at exit).
  public var pendingLines: [String] {
    operations.waiting.map { "[\(label($0.thread))] \($0.command)" }
  }

  func setRC(_ code: ReturnCode, machMsg: Bool) {
    interpreter.rc = .code(code, fromMachMsg: machMsg)
  }

  /// Loads a `.msgids` file's text into the table the decoder and `routine()` read.
  public func loadMsgids(_ text: String, file: String) -> Result<MsgIdTable.LoadReport, MsgIdTable.FormatError> {
    let result = intake.loadMsgids(text, file: file)
    if case .success(let report) = result {
      for line in report.collisions { output.write("msgids: \(file): id \(line)\n") }
    }
    return result
  }

  // MARK: - ScriptHost

  /// Runs a command through its registry entry, then reports what happened while it ran: a
  /// Ctrl-C that stopped the model, or an error in a serve or do block (docs/shell.md §6).
  public func run(_ c: Command, in interpreter: Interpreter) throws -> Value {
    guard let index = c.entryIndex ?? CommandRegistry.index(of: c.name), let handler = CommandRegistry.handlers[index]
    else {
      throw unknownCommand(c.name, at: c.location)
    }
    if past != nil { try checkChange(c) }
    let value = try handler(self, c)
    if runState.takeInterruptReport() {
      throw ScriptError("interrupted (the model is stopped; 'continue' resumes it)", at: c.location)
    }
    if let e = runState.takeBlockError() { throw e }
    return value
  }

  func unknownCommand(_ name: String, at: SourceLocation) -> ScriptError {
    let names = CommandRegistry.leadingWords + interpreter.procedureNames
    let hint = CommandRegistry.nearest(to: name, among: names).map { " (did you mean '\($0)'?)" } ?? ""
    return ScriptError("unknown command or procedure '\(name)'\(hint)", at: at)
  }

  public func routineName(_ id: Int32) -> String { intake.msgids.name(of: id) }

  public var abandonsLine: Bool { runState.abandonsLine }

  public func lineStarts() { runState.lineStarts() }

  public func stop(at: SourceLocation) throws {
    guard runState.requestStop() else { throw ScriptError("'stop' belongs in a watch's do block", at: at) }
  }
}
