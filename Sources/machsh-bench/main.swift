// The benchmark behind scripts/bench. Prints one `NAME VALUE UNIT [(min A, max B)]` line per
// figure, measured on a release build. Absolute times do not travel between machines, so each
// speed figure is measured next to a floor in the same process, the two interleaved
// repetition by repetition, and judged by their ratio: each ratio is the median of the
// per-repetition ratios, printed with their spread. Names on the command line pick figures
// (all when none is given).
import Foundation
import MachModel
import MachScript
import MachTrace
import MigDefs

/// Repetitions of every interleaved measurement.
let repetitions = 7

/// Nanoseconds per iteration of `body(iterations)`, in this thread's CPU time
/// (CLOCK_THREAD_CPUTIME_ID, user and system): on a shared virtual machine wall time also
/// counts the time other tenants take, which moved single figures by a third from one
/// repetition to the next, while the work itself, page faults included, is what CPU time
/// counts. The benchmark runs on one thread.
func nanoseconds(iterations: Int, _ body: (Int) -> Void) -> Double {
  func now() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
    return Double(t.tv_sec) * 1e9 + Double(t.tv_nsec)
  }
  let start = now()
  body(iterations)
  return (now() - start) / Double(iterations)
}

/// A figure's samples, one per repetition.
struct Samples {
  var values: [Double] = []
  var median: Double { values.sorted()[values.count / 2] }
  var spread: String {
    String(format: "(min %.2f, max %.2f)", values.min() ?? 0, values.max() ?? 0)
  }
  mutating func append(_ v: Double) { values.append(v) }
  /// The per-repetition ratios self / other.
  static func / (a: Samples, b: Samples) -> Samples { Samples(values: zip(a.values, b.values).map { $0 / $1 }) }
}

/// Prints `name median unit (min, max)`.
func report(_ name: String, _ s: Samples, _ unit: String, digits: Int = 1) {
  print("\(name) \(String(format: "%.\(digits)f", s.median)) \(unit) \(s.spread)")
}

/// The message every round trip moves: a header, one type descriptor and 64 bytes of inline
/// data, to `dest` with COPY_SEND.
func roundTripMessage(to dest: PortName) -> [UInt8] {
  var m = MessageBuilder(remote: dest, remoteDisposition: MsgType.copySend, id: 100)
  m.byteArray([UInt8](repeating: 0x5a, count: 64))
  return m.finish()
}

/// queue_floor_ns: what any model of message passing pays at least, the round trip's message
/// moved from one owner to another through a plain Swift queue of byte buffers with no Mach
/// semantics: the sender's bytes copied into a fresh buffer (the kernel's copy-in), queued,
/// dequeued, and copied into the receiver's buffer (the copy-out).
struct QueueFloor {
  let message = roundTripMessage(to: 1)
  var queue: [[UInt8]] = []
  var head = 0
  var received: [UInt8] = []

  mutating func run(_ n: Int) -> Int {
    var moved = 0
    for _ in 0..<n {
      let copy = [UInt8](unsafeUninitializedCapacity: message.count) { buffer, count in
        _ = message.withUnsafeBytes { memcpy(buffer.baseAddress!, $0.baseAddress!, message.count) }
        count = message.count
      }
      queue.append(copy)
      let m = queue[head]
      head += 1
      if head == queue.count {
        queue.removeAll(keepingCapacity: true)
        head = 0
      }
      received.removeAll(keepingCapacity: true)
      received.append(contentsOf: m)
      moved += received.count
    }
    return moved
  }
}

/// ipc_roundtrip_ns: one send plus one receive of the round trip's message between two tasks
/// through one port, with the model's full semantics.
struct IPCRoundTrip {
  var k = Kernel()
  let client: ThreadIndex, server: ThreadIndex
  let sendCall: MachMsgCall, receiveCall: MachMsgCall

  init() {
    let c = k.createTask(name: "client")
    let s = k.createTask(name: "server")
    client = k.createThread(in: c)
    server = k.createThread(in: s)
    let (_, port) = k.portAllocate(s, right: PortRight.receive.rawValue)
    let (_, object, type) = k.portExtractRight(s, port, disposition: MsgType.makeSend)
    sendCall = .send(roundTripMessage(to: k.copyoutKernelRight(c, object, carriedType: type)))
    receiveCall = .receive(port, size: 1024)
  }

  /// `n` round trips; returns the number of calls that failed.
  mutating func run(_ n: Int) -> Int {
    var failures = 0
    for _ in 0..<n {
      failures += k.machMsg(client, sendCall) != 0 ? 1 : 0
      failures += k.machMsg(server, receiveCall) != 0 ? 1 : 0
    }
    return failures
  }
}

/// kernel_rpc_ns: a mach_port_allocate RPC plus a mach_port_destroy RPC from a task to its
/// own task port (real messages through the kernel-object server, not the shortcut traps).
struct KernelRPCPair {
  var k: Kernel
  let thread: ThreadIndex, me: PortName
  let allocate = RoutineTable.routine(named: "mach_port_allocate")!
  let destroy = RoutineTable.routine(named: "mach_port_destroy")!

  init() {
    let (kernel, shellTask) = Session.bootedKernel()
    k = kernel
    let task = k.createTask(name: "client", parent: shellTask)
    thread = k.createThread(in: task)
    me = k.giveTaskSelfName(task)
  }

  /// The argument lists, built once and updated in place, as the round trip reuses its
  /// message: what is timed is the RPC, not the caller's array allocation.
  var allocateArguments: [MigValue] = [.int(Int32(PortRight.receive.rawValue))]
  var destroyArguments: [MigValue] = [.name(0)]

  mutating func run(_ n: Int) -> Int {
    var failures = 0
    for _ in 0..<n {
      guard case .completed(let made) = k.rpc(thread, allocate, target: me, arguments: allocateArguments),
        case .name(let name)? = made["name"]
      else {
        failures += 1
        continue
      }
      destroyArguments[0] = .name(name)
      guard case .completed(let gone) = k.rpc(thread, destroy, target: me, arguments: destroyArguments),
        gone.retCode == 0
      else {
        failures += 1
        continue
      }
    }
    return failures
  }
}

/// The IPC figures, each repetition timing the floor, the round trip and the RPC pair back to
/// back: queue_floor_ns, ipc_roundtrip_ns, ipc_to_floor_ratio, kernel_rpc_ns,
/// kernel_rpc_to_ipc_ratio.
func ipcFigures(_ wanted: Set<String>) {
  let names: Set<String> = [
    "queue_floor_ns", "ipc_roundtrip_ns", "ipc_to_floor_ratio", "kernel_rpc_ns", "kernel_rpc_to_ipc_ratio",
  ]
  guard wanted.isEmpty || !wanted.isDisjoint(with: names) else { return }
  var floor = QueueFloor(), ipc = IPCRoundTrip(), rpc = KernelRPCPair()
  var failures = ipc.run(100_000) + rpc.run(20_000)
  var moved = floor.run(100_000)
  var floorNs = Samples(), ipcNs = Samples(), rpcNs = Samples()
  for _ in 0..<repetitions {
    floorNs.append(nanoseconds(iterations: 1_000_000) { moved += floor.run($0) })
    ipcNs.append(nanoseconds(iterations: 1_000_000) { failures += ipc.run($0) })
    rpcNs.append(nanoseconds(iterations: 200_000) { failures += rpc.run($0) })
  }
  precondition(failures == 0 && moved > 0, "ipc figures: the model misbehaved")
  precondition(ipc.k.checkInvariants().isEmpty && rpc.k.checkInvariants().isEmpty, "ipc figures: broken invariants")
  func show(_ name: String, _ s: Samples, _ unit: String, digits: Int = 1) {
    if wanted.isEmpty || wanted.contains(name) { report(name, s, unit, digits: digits) }
  }
  show("queue_floor_ns", floorNs, "ns")
  show("ipc_roundtrip_ns", ipcNs, "ns")
  show("ipc_to_floor_ratio", ipcNs / floorNs, "x", digits: 2)
  show("kernel_rpc_ns", rpcNs, "ns")
  show("kernel_rpc_to_ipc_ratio", rpcNs / ipcNs, "x", digits: 2)
}

/// ipc_roundtrip_ns alone, for the shell figures' ratio (CPU time against CPU time).
func ipcRoundTripCPU() -> Double {
  var ipc = IPCRoundTrip()
  var failures = ipc.run(100_000)
  var s = Samples()
  for _ in 0..<5 { s.append(nanoseconds(iterations: 1_000_000) { failures += ipc.run($0) }) }
  precondition(failures == 0, "ipc_roundtrip: the model misbehaved")
  return s.median
}

/// The ipc_roundtrip workload, set up three ways for the tracing figures.
struct RoundTrip {
  var (k, shellTask) = Session.bootedKernel()
  var client: ThreadIndex = 0, server: ThreadIndex = 0, proxy: ThreadIndex = 0
  var sendCall = MachMsgCall.send([])
  var receiveCall = MachMsgCall.receive(0)
  var proxyReceive = MachMsgCall.receive(0)
  var forward: [UInt8] = []
  /// The host's side of the trace log, drained every 4,096 round trips (`drainTraceLog`).
  var drained = TraceLog()
  var toServer: PortName = 0
  let viaProxy: Bool

  enum Setup { case plain, traced, proxied }

  init(_ setup: Setup) {
    viaProxy = setup == .proxied
    let c = k.createTask(name: "client", parent: shellTask)
    let s = k.createTask(name: "server", parent: shellTask)
    client = k.createThread(in: c)
    server = k.createThread(in: s)
    let (_, port) = k.portAllocate(s, right: PortRight.receive.rawValue)
    var dest = port
    var destTask = s
    if setup == .proxied {
      // rpctrace's design: the client holds a send right to a wrapper port of the proxy,
      // which receives every message and re-sends it to the real port.
      let p = k.createTask(name: "proxy", parent: shellTask)
      proxy = k.createThread(in: p)
      let (_, wrapper) = k.portAllocate(p, right: PortRight.receive.rawValue)
      let (_, o, type) = k.portExtractRight(s, port, disposition: MsgType.makeSend)
      toServer = k.copyoutKernelRight(p, o, carriedType: type)
      proxyReceive = .receive(wrapper, size: 1024)
      dest = wrapper
      destTask = p
    }
    let (_, o, type) = k.portExtractRight(destTask, dest, disposition: MsgType.makeSend)
    let send = k.copyoutKernelRight(c, o, carriedType: type)
    if setup == .traced {
      // Both tasks traced to a port a third task holds, drained by the host in batches.
      let d = k.createTask(name: "drainer", parent: shellTask)
      let (_, trace) = k.portAllocate(d, right: PortRight.receive.rawValue)
      _ = k.setHostDrained(d, trace)
      for t in [c, s] {
        let (_, right, _) = k.portExtractRight(d, trace, disposition: MsgType.makeSend)
        _ = k.taskSetSpecialPort(t, slot: SpecialPort.taskTrace, right: right)
      }
    }
    var m = MessageBuilder(remote: send, remoteDisposition: MsgType.copySend, id: 100)
    m.byteArray([UInt8](repeating: 0x5a, count: 64))
    sendCall = .send(m.finish())
    receiveCall = .receive(port, size: 1024)
  }

  /// `n` round trips; returns the number of calls that failed.
  mutating func run(_ n: Int) -> Int {
    var failures = 0
    for i in 0..<n {
      failures += k.machMsg(client, sendCall) == 0 ? 0 : 1
      if viaProxy {
        failures += k.machMsg(proxy, proxyReceive) == 0 ? 0 : 1
        k.copyMessage(of: proxy, into: &forward)
        forward.setHeaderPorts(
          bits: MsgHeader.bits(remote: MsgType.copySend, local: 0) | (forward.word(at: 0) & MsgHeader.complexBit),
          remote: toServer, local: MachPort.null)
        failures += k.machMsg(proxy, .send(forward)) == 0 ? 0 : 1
      }
      failures += k.machMsg(server, receiveCall) == 0 ? 0 : 1
      if i & 4095 == 4095 { k.drainTraceLog(into: &drained) }
    }
    return failures
  }
}

/// trace_overhead_ratio and proxy_overhead_ratio, measured in one run: the median over
/// repetitions of (traced / untraced) and (proxied / untraced), each repetition timing the
/// three setups in turn, slice by slice.
func tracingFigures(_ wanted: Set<String>) {
  guard wanted.isEmpty || wanted.contains("trace_overhead_ratio") || wanted.contains("proxy_overhead_ratio") else {
    return
  }
  var plain = RoundTrip(.plain), traced = RoundTrip(.traced), proxied = RoundTrip(.proxied)
  var failures = plain.run(100_000) + traced.run(100_000) + proxied.run(100_000)
  var a = Samples(), b = Samples(), c = Samples()
  for _ in 0..<repetitions {
    // Each repetition: ten slices of 50,000 round trips per setup, taken in turn, and each
    // setup's median slice, so that another tenant's burst on a shared machine moves one slice
    // of one setup rather than the whole repetition's ratio.
    var slices = (Samples(), Samples(), Samples())
    for _ in 0..<10 {
      let n = 50_000
      slices.0.append(nanoseconds(iterations: n) { failures += plain.run($0) })
      slices.1.append(nanoseconds(iterations: n) { failures += traced.run($0) })
      slices.2.append(nanoseconds(iterations: n) { failures += proxied.run($0) })
    }
    a.append(slices.0.median)
    b.append(slices.1.median)
    c.append(slices.2.median)
  }
  precondition(failures == 0, "tracing ratios: the model misbehaved")
  precondition(traced.k.traceSeq > 0 && traced.k.checkInvariants().isEmpty && proxied.k.checkInvariants().isEmpty)
  report("trace_overhead_ratio", b / a, "x", digits: 2)
  report("proxy_overhead_ratio", c / a, "x", digits: 2)
}

/// `machsh-bench --profile WORKLOAD [N]`: runs one workload N times (default 1,000,000) and
/// nothing else, for `perf record` or `valgrind --tool=callgrind` (README).
func profile(_ arguments: [String]) -> Never {
  let n = arguments.count > 1 ? Int(arguments[1]) ?? 1_000_000 : 1_000_000
  var failures = 0
  switch arguments.first {
  case "ipc":
    var ipc = IPCRoundTrip()
    failures = ipc.run(n)
  case "rpc":
    var rpc = KernelRPCPair()
    failures = rpc.run(n)
  case "traced":
    var traced = RoundTrip(.traced)
    failures = traced.run(n)
  case "floor":
    var floor = QueueFloor()
    failures = floor.run(n) > 0 ? 0 : 1
  default:
    FileHandle.standardError.write(Data("usage: machsh-bench --profile ipc|rpc|traced|floor [N]\n".utf8))
    exit(2)
  }
  exit(failures == 0 ? 0 : 1)
}

if CommandLine.arguments.dropFirst().first == "--profile" { profile(Array(CommandLine.arguments.dropFirst(2))) }
let wanted = Set(CommandLine.arguments.dropFirst())
ipcFigures(wanted)
tracingFigures(wanted)

/// Discards a session's output.
final class Silent: ScriptOutput {
  func write(_ text: String) {}
  func writeError(_ text: String) { FileHandle.standardError.write(Data(text.utf8)) }
}

/// Resident memory of this process, in bytes (/proc/self/statm).
func residentBytes() -> Double {
  guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
  let fields = text.split(separator: " ")
  return Double(fields.count > 1 ? Int(fields[1]) ?? 0 : 0) * Double(sysconf(Int32(_SC_PAGESIZE)))
}

/// `record_bytes` and `filter_ns_per_record`: a session whose trace buffer holds 1,000,000
/// records of 64-byte messages (1,000,000 traced sends, each received by an untraced server: a 24-byte header,
/// a 4-byte type and 36 bytes of data), then the resident memory they added per record, and
/// the median time per record of `count(F)` with a filter of the issue's shape (compiled
/// once per `count`, like every filter).
func bufferFigures(_ wanted: Set<String>) {
  let names: Set<String> = ["record_bytes", "filter_ns_per_record", "native_filter_ns", "filter_to_native_ratio"]
  guard wanted.isEmpty || !wanted.isDisjoint(with: names) else { return }
  let session = Session(output: Silent())
  // The history is off: this is what a record of the buffer costs (history_to_live_ratio is
  // what the history adds).
  let setup = """
    set history off
    spawn server
    spawn client
    let p = allocate server
    let s = insert client make_send p
    trace client
    trace clear
    set trace_bytes 2000000000
    def traffic(n) {
      repeat n {
        send s id 2400 body bytes(36)
        receive p
      }
    }
    traffic(1000)
    trace clear
    """
  guard case .completed = session.run(source: setup, file: "<bench>") else { fatalError("bench setup failed") }
  let before = residentBytes()
  guard case .completed = session.run(source: "traffic(1000000)", file: "<bench>") else {
    fatalError("bench traffic failed")
  }
  let after = residentBytes()
  precondition(
    session.records.count == 1_000_000 && session.records.first?.size == 64, "record_bytes: unexpected buffer")
  if wanted.isEmpty || wanted.contains("record_bytes") {
    print("record_bytes \(String(format: "%.1f", (after - before) / 1_000_000)) B")
  }
  // native_filter_ns: the same filter as a hand-written Swift closure over the same records,
  // read in place as the compiled filter reads them, with the task's name resolved once.
  let client = session.kernel.tasks.firstIndex { $0.name == "client" }.map { TaskIndex($0) } ?? -1
  var filterNs = Samples(), nativeNs = Samples()
  var agree = true
  for _ in 0..<repetitions {
    var native = 0
    nativeNs.append(
      nanoseconds(iterations: 1_000_000) { _ in
        native = session.records.count(whereRecordAt: {
          $0.pointee.msgid == 2400 && $0.pointee.retval != 0 && $0.pointee.task == client
        })
      })
    filterNs.append(
      nanoseconds(iterations: 1_000_000) { _ in
        guard
          case .completed = session.run(
            source: #"expect count(msgid == 2400 and retval != 0 and task == "client") == 0"#, file: "<bench>"),
          session.interpreter.failedExpectations == 0
        else { fatalError("filter bench failed") }
      })
    agree = agree && native == 0
  }
  precondition(agree && client >= 0, "native filter: unexpected count")
  for (name, s, unit) in [
    ("native_filter_ns", nativeNs, "ns"), ("filter_ns_per_record", filterNs, "ns"),
    ("filter_to_native_ratio", filterNs / nativeNs, "x"),
  ] where wanted.isEmpty || wanted.contains(name) {
    report(name, s, unit, digits: unit == "x" ? 2 : 1)
  }
}

/// `traced_1mb_rss_mb`: the resident memory of a traced run of 1,000 messages of 1 MB (wait4's
/// maximum RSS): the trace buffer keeps trace_bytes of them and the kernel frees the rest as
/// they are received. Measured before anything else grows this process: on Linux a child's
/// maximum RSS starts from its parent's at the fork.
func tracedRSSFigure(_ wanted: Set<String>) {
  let machsh = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(
    "machsh")
  guard FileManager.default.isExecutableFile(atPath: machsh.path) else { return }
  if wanted.isEmpty || wanted.contains("traced_1mb_rss_mb") {
    let script = """
      spawn a
      spawn b
      let p = allocate a
      let s = insert b make_send p
      serve p with sink
      trace a
      trace b
      repeat 1000 { send s id 1 body bytes(1048576) }
      """
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    let path: String = machsh.path
    let words: [String] = [path, "-c", script]
    let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid: pid_t = 0
    var status: Int32 = 0
    var usage = rusage()
    precondition(posix_spawn(&pid, machsh.path, &actions, nil, argv, environ) == 0, "cannot start machsh")
    wait4(pid, &status, 0, &usage)
    precondition(status == 0, "the 1 MB traced run failed")
    print("traced_1mb_rss_mb \(String(format: "%.1f", Double(usage.ru_maxrss) / 1024)) MB")
  }
}

tracedRSSFigure(wanted)
bufferFigures(wanted)

/// Whole-process figures of the shell: `script_roundtrip_ns` (a script doing 100,000 send +
/// receive round trips in a repeat loop, per round trip) and `startup_ms` (`machsh -c 'spawn
/// a'`), medians of 5 runs of the release binary beside this one, each in wall and CPU time;
/// `script_to_ipc_ratio` is the issue's goal (at most 20), CPU against CPU.
func shellFigures(_ wanted: Set<String>) {
  let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
  let machsh = dir.appendingPathComponent("machsh")
  guard FileManager.default.isExecutableFile(atPath: machsh.path) else {
    FileHandle.standardError.write(Data("machsh-bench: build machsh first (release) for the shell figures\n".utf8))
    return
  }
  /// Median whole-process wall time and CPU time (user + system, from the children's rusage),
  /// in ns. The CPU figure is the one to trust on a loaded machine.
  func measure(_ args: [String]) -> (wall: Double, cpu: Double) {
    var samples: [Double] = []
    var cpu: [Double] = []
    func childrenCPU() -> Double {
      var u = rusage()
      getrusage(RUSAGE_CHILDREN.rawValue, &u)
      return Double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) * 1e9 + Double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e3
    }
    // posix_spawn and waitpid: Foundation's Process notices a child's exit only on its own
    // schedule, which added tens of milliseconds to every wall-time sample.
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
    let argv = ([machsh.path] + args).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    for _ in 0..<5 {
      let cpuBefore = childrenCPU()
      var pid: pid_t = 0
      var status: Int32 = 0
      let start = ContinuousClock.now
      precondition(posix_spawn(&pid, machsh.path, &actions, nil, argv, environ) == 0, "cannot start machsh")
      waitpid(pid, &status, 0)
      let d = ContinuousClock.now - start
      precondition(status == 0, "machsh \(args) failed")
      samples.append(Double(d.components.seconds) * 1e9 + Double(d.components.attoseconds) / 1e9)
      cpu.append(childrenCPU() - cpuBefore)
    }
    return (samples.sorted()[2], cpu.sorted()[2])
  }
  if wanted.isEmpty || wanted.contains("script_roundtrip_ns") {
    let script = """
      spawn server
      spawn client
      let p = allocate server
      let s = insert client make_send p
      repeat 100000 {
        send s id 1 body bytes(64)
        receive p
      }
      expect p.queued == 0
      """
    let total = measure(["-c", script])
    print("script_roundtrip_ns \(String(format: "%.1f", total.wall / 100_000)) ns")
    print("script_roundtrip_cpu_ns \(String(format: "%.1f", total.cpu / 100_000)) ns")
    // The issue's goal (at most 20) compares CPU with CPU, so that load does not skew it.
    print("script_to_ipc_ratio \(String(format: "%.1f", total.cpu / 100_000 / ipcRoundTripCPU())) x")
  }
  if wanted.isEmpty || wanted.contains("startup_ms") {
    let startup = measure(["-c", "spawn a"])
    print("startup_ms \(String(format: "%.1f", startup.wall / 1e6)) ms")
    print("startup_cpu_ms \(String(format: "%.1f", startup.cpu / 1e6)) ms")
  }
}

shellFigures(wanted)

/// Scaling figures: how much longer ten times the work takes, in one session (linear is 10,
/// quadratic 100). Each is the median of three runs of each size.
/// - `insert_scaling`: `insert … make_send_once` without `name` (each takes the lowest free name)
/// - `thread_scaling`: `thread T`, each labelled `T.N`
/// - `filter_and_scaling`: compiling a filter of N `and` terms
/// - `append_scaling`: `l = l + [x]` in a loop
func scalingFigures(_ wanted: Set<String>) {
  func seconds(_ setup: String, _ work: String) -> Double {
    var samples: [Double] = []
    for _ in 0..<3 {
      let session = Session(output: Silent())
      guard case .completed = session.run(source: setup, file: "<bench>") else { fatalError("scaling setup failed") }
      let start = ContinuousClock.now
      guard case .completed = session.run(source: work, file: "<bench>") else { fatalError("scaling work failed") }
      let d = ContinuousClock.now - start
      samples.append(Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18)
    }
    return samples.sorted()[1]
  }
  func andFilter(_ n: Int) -> String {
    "print count(" + (1...n).map { "msgid != \($0)" }.joined(separator: " and ") + ")"
  }
  let cases: [(String, (Int) -> (String, String), Int)] = [
    (
      "insert_scaling", { n in ("spawn a\nspawn b\nlet p = allocate a", "repeat \(n) { insert b make_send_once p }") },
      1000
    ),
    ("thread_scaling", { n in ("spawn a", "repeat \(n) { thread a }") }, 1000),
    ("filter_and_scaling", { n in ("spawn a\ntrace a\nlet p = allocate a", andFilter(n)) }, 90),
    ("append_scaling", { n in ("let l = []", "repeat \(n) { l = l + [1] }") }, 10_000),
  ]
  for (name, script, n) in cases where wanted.isEmpty || wanted.contains(name) {
    let small = script(n), large = script(n * 10)
    let ratio = seconds(large.0, large.1) / seconds(small.0, small.1)
    print("\(name) \(String(format: "%.1f", ratio)) x")
  }
}

scalingFigures(wanted)

/// defs_load_ms: reading every .defs file of gnumach-dev that declares a subsystem (each
/// preprocessed with its includes and parsed, as `defs load` does) into one registry, the
/// fastest of five runs, in CPU time. defs_decode_ratio: the rpctrace line of a traced
/// mach_port_allocate request and reply rendered with mach_port.defs loaded (its arguments named
/// by the declaration) against the same lines with the built-in table alone.
func definitionFigures(_ wanted: Set<String>) {
  let names: Set<String> = ["defs_load_ms", "defs_decode_ratio"]
  guard wanted.isEmpty || !wanted.isDisjoint(with: names) else { return }
  let root = LocalFileSystem.systemIncludeDirectories[1]
  let files = ["mach", "device", "mach_debug", "mach/machine"].flatMap { folder in
    LocalFileSystem().defsFiles(in: root + "/" + folder) ?? []
  }.filter { (LocalFileSystem().contents(of: $0) ?? "").contains("\nsubsystem") }
  guard files.count >= 15 else {
    print("defs_load_ms: gnumach-dev is not installed (scripts/ensure-deps installs it)")
    return
  }
  if wanted.isEmpty || wanted.contains("defs_load_ms") {
    var best = Double.infinity
    var routines = 0
    for _ in 0..<5 {
      let ns = nanoseconds(iterations: 1) { _ in
        var loaded = MigInterfaces()
        for f in files { _ = try? loaded.load(f) }  // device_request.defs is read, then refused
        routines = loaded.routinesByID.count
      }
      best = min(best, ns)
    }
    precondition(routines > 150, "defs_load_ms: \(routines) routines")
    print("defs_load_ms \(String(format: "%.1f", best / 1e6)) ms (\(files.count) files, \(routines) routines)")
  }
  if wanted.isEmpty || wanted.contains("defs_decode_ratio") {
    let session = Session(output: Silent())
    let setup = """
      spawn client
      trace client
      trace clear
      rpc mach_port_allocate(client.self, 1)
      """
    guard case .completed = session.run(source: setup, file: "<bench>"), session.records.count == 2 else {
      fatalError("defs_decode_ratio setup failed")
    }
    let records = [session.records[0], session.records[1]]
    let builtin = TraceNames(session.kernel)
    var declared = builtin
    declared.definitions =
      (try? {
        var loaded = MigInterfaces()
        try loaded.load(root + "/mach/mach_port.defs")
        return loaded
      }()) ?? MigInterfaces()
    let named = records.map { TraceFormat.rpctrace.render($0, names: declared) }
    precondition(named[0].contains("right=1"), "defs_decode_ratio: \(named[0])")
    var plain = Samples(), typed = Samples()
    var length = 0
    // Short batches, alternated, three times as many as the other figures: the two renderings
    // differ by little, and this machine's noise moves a long batch by more than that.
    for _ in 0..<(3 * repetitions) {
      plain.append(
        nanoseconds(iterations: 50_000) { n in
          for i in 0..<n { length &+= TraceFormat.rpctrace.render(records[i & 1], names: builtin).utf8.count }
        })
      typed.append(
        nanoseconds(iterations: 50_000) { n in
          for i in 0..<n { length &+= TraceFormat.rpctrace.render(records[i & 1], names: declared).utf8.count }
        })
    }
    precondition(length > 0)
    report("defs_decode_ratio", typed / plain, "x", digits: 2)
  }
}

definitionFigures(wanted)

/// A log of `lines` lines in rpctrace's current format (late 2013 on), as a multitask trace of
/// one program writes it: mostly calls answered on their own line, some interrupted (` ...N`,
/// answered later by `N... =`), some one-way, strings, arrays, rights and errors. Made from a
/// fixed seed, so every run reads the same text.
func generatedRpctraceLog(lines: Int) -> [UInt8] {
  var state: UInt64 = 0x9e37_79b9_7f4a_7c15
  func next(_ n: UInt64) -> UInt64 {
    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
    return (state >> 33) % n
  }
  let calls = [
    #"dir_lookup ("etc/passwd" 1 0)"#, #"io_write ("hello, world\n" -1)"#, "io_read (0 -1 8192)",
    "io_stat ()", "vm_allocate (0 4096 1)", "io_seek (0 0)",
  ]
  let replies = [
    #" = 0 1 ""    9<--41(pid1234)"#, " = 0 13", " = 0x40000002 (No such file or directory) ", " = 0 {1 2 3 4} 4096",
  ]
  var text = ""
  text.reserveCapacity(lines * 64)
  var written = 0
  while written < lines {
    let port = 30 + next(40)
    let call = calls[Int(next(UInt64(calls.count)))]
    switch next(10) {
    case 0..<7:
      text += "  \(port)<--\(port + 1)(pid1234)->\(call)\(replies[Int(next(UInt64(replies.count)))])\n"
      written += 1
    case 7, 8:
      text += "  \(port)<--\(port + 1)(pid1234)->\(call) ...\(port + 100)\n"
      text += "\(port + 100)...\(replies[Int(next(UInt64(replies.count)))])\n"
      written += 2
    default:
      text += "task131(pid1234)->mach_port_deallocate (pn{ \(port)});\n"
      written += 1
    }
  }
  return Array(text.utf8)
}

/// `trace_load_lines_per_s`: `trace load` of a generated rpctrace log of 1,000,000 lines (read,
/// parsed, paired, numbered, into the buffer), in lines per second of CPU time, the median of
/// three loads into fresh sessions; beside it `load_floor_lines_per_s`, what any loader that
/// keeps each line's text pays (each line found and copied into an array of its own), and
/// their ratio. `loaded_record_bytes`: the resident memory the loaded records added, per
/// record (to compare with `record_bytes`).
func loadFigures(_ wanted: Set<String>) {
  // glibc's malloc_trim, which the Glibc module does not export.
  typealias Trim = @convention(c) (Int) -> Int32
  let trimSymbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim")
  func malloc_trim(_ pad: Int) { if let f = trimSymbol { _ = unsafeBitCast(f, to: Trim.self)(pad) } }
  let names: Set<String> = [
    "trace_load_lines_per_s", "load_floor_lines_per_s", "load_to_floor_ratio", "loaded_record_bytes",
  ]
  guard wanted.isEmpty || !wanted.isDisjoint(with: names) else { return }
  let lines = 1_000_000
  let log = generatedRpctraceLog(lines: lines)
  var loadNs = Samples(), floorNs = Samples()
  var perRecord = Samples()
  for _ in 0..<3 {
    // Each measurement starts with the memory freed before it given back (malloc_trim), so
    // that neither reuses pages the other faulted in, and the resident memory a load adds is
    // the memory its records hold.
    var kept: [[UInt8]] = []
    malloc_trim(0)
    floorNs.append(
      nanoseconds(iterations: lines) { _ in
        kept.reserveCapacity(lines + 1)
        log.withUnsafeBufferPointer { text in
          var start = 0
          while start < text.count {
            var end = start
            while end < text.count && text[end] != 0x0a { end += 1 }
            kept.append(Array(text[start..<end]))
            start = end + 1
          }
        }
      })
    precondition(kept.count == lines, "load floor: \(kept.count) lines")
    kept = []
    let session = Session(output: Silent())
    session.readBytes = { _ in .success(log) }
    guard case .completed = session.run(source: "set trace_limit 5000000\nset trace_bytes 4000000000", file: "<bench>")
    else { fatalError("bench setup failed") }
    malloc_trim(0)
    let before = residentBytes()
    var summary = ""
    loadNs.append(
      nanoseconds(iterations: lines) { _ in
        guard case .success(let s) = session.loadTrace("generated.log", format: nil) else { fatalError("load failed") }
        summary = s
      })
    let after = residentBytes()
    precondition(summary.contains("(rpctrace)") && !summary.contains("not understood"), summary)
    perRecord.append((after - before) / Double(session.records.count))
  }
  let linesPerSecond = Samples(values: loadNs.values.map { 1e9 / $0 })
  let floorPerSecond = Samples(values: floorNs.values.map { 1e9 / $0 })
  for (name, s, unit, digits) in [
    ("trace_load_lines_per_s", linesPerSecond, "lines/s", 0), ("load_floor_lines_per_s", floorPerSecond, "lines/s", 0),
    ("load_to_floor_ratio", loadNs / floorNs, "x", 2), ("loaded_record_bytes", perRecord, "B", 1),
  ] where wanted.isEmpty || wanted.contains(name) {
    report(name, s, unit, digits: digits)
  }
}

loadFigures(wanted)

/// Going back (docs/shell.md, "Going back"), in one session of 100,000 records (50,000 traced
/// sends, each received by a traced server):
///
/// - `history_overhead_ratio`: the shell's send-and-receive round trip with the history on,
///   against the same with it off, slices interleaved;
/// - `goto_ms`: the worst `goto N` of 100 random records (a rebuild: a checkpoint, the events
///   after it replayed), with `goto_median_ms` beside it;
/// - `history_to_live_ratio`: what the history holds against the live session (the model and
///   its trace buffer).
func historyFigures(_ wanted: Set<String>) {
  let names: Set<String> = ["history_overhead_ratio", "goto_ms", "goto_median_ms", "history_to_live_ratio"]
  guard wanted.isEmpty || !wanted.isDisjoint(with: names) else { return }
  func session(history: Bool) -> Session {
    let s = Session(output: Silent())
    let setup = """
      set history \(history ? "on" : "off")
      set trace_bytes 2000000000
      spawn server
      spawn client
      let p = allocate server
      let s = insert client make_send p
      trace client
      trace server
      def traffic(n) {
        repeat n {
          send s id 2400 body bytes(36)
          receive p
        }
      }
      """
    guard case .completed = s.run(source: setup, file: "<bench>") else { fatalError("bench setup failed") }
    return s
  }
  func run(_ s: Session, _ source: String) {
    guard case .completed = s.run(source: source, file: "<bench>") else { fatalError("bench: \(source) failed") }
  }
  if wanted.isEmpty || wanted.contains("history_overhead_ratio") {
    let on = session(history: true), off = session(history: false)
    run(on, "traffic(2000)")
    run(off, "traffic(2000)")
    var onNs = Samples(), offNs = Samples()
    for _ in 0..<repetitions {
      var slices = (Samples(), Samples())
      for _ in 0..<5 {
        slices.0.append(nanoseconds(iterations: 4000) { _ in run(on, "traffic(4000)") })
        slices.1.append(nanoseconds(iterations: 4000) { _ in run(off, "traffic(4000)") })
      }
      onNs.append(slices.0.median)
      offNs.append(slices.1.median)
    }
    report("history_overhead_ratio", onNs / offNs, "x", digits: 2)
  }
  guard wanted.isEmpty || !wanted.isDisjoint(with: ["goto_ms", "goto_median_ms", "history_to_live_ratio"]) else {
    return
  }
  let s = session(history: true)
  run(s, "traffic(50000)")
  let last = s.records.last?.seq ?? 0
  precondition(s.records.count >= 100_000, "history figures: \(s.records.count) records")
  var state: UInt64 = 0x5eed
  var times: [Double] = []
  for _ in 0..<100 {
    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
    let n = 3 + (state >> 33) % (last - 3)
    let start = ContinuousClock.now
    run(s, "goto \(n)")
    let d = ContinuousClock.now - start
    precondition(s.pastPosition == n, "goto \(n) went to \(String(describing: s.pastPosition))")
    times.append(Double(d.components.seconds) * 1e3 + Double(d.components.attoseconds) / 1e15)
  }
  run(s, "goto end")
  times.sort()
  if wanted.isEmpty || wanted.contains("goto_ms") { print("goto_ms \(String(format: "%.1f", times.last!)) ms") }
  if wanted.isEmpty || wanted.contains("goto_median_ms") {
    print("goto_median_ms \(String(format: "%.2f", times[times.count / 2])) ms")
  }
  if wanted.isEmpty || wanted.contains("history_to_live_ratio") {
    let liveBytes = Double(s.kernel.footprint + s.records.bytes)
    print("history_to_live_ratio \(String(format: "%.2f", Double(s.historyBytes) / liveBytes)) x")
  }
}

historyFigures(wanted)
