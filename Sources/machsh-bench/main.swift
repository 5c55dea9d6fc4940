// The benchmark behind scripts/bench. Prints one `NAME VALUE UNIT` line per figure; figures
// are medians over repetitions, measured on a release build. Names on the command line pick
// figures (all when none is given).
import Foundation
import MachModel

/// Times `body` over `repetitions` runs of `iterations` and returns the median ns per iteration.
func medianNanoseconds(repetitions: Int = 5, iterations: Int, _ body: (Int) -> Void) -> Double {
  var samples: [Double] = []
  let clock = ContinuousClock()
  body(iterations / 10)  // warm-up
  for _ in 0..<repetitions {
    let elapsed = clock.measure { body(iterations) }
    let ns = Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9
    samples.append(ns / Double(iterations))
  }
  samples.sort()
  return samples[samples.count / 2]
}

/// ipc_roundtrip_ns: one send plus one receive of a message with 64 bytes of inline data
/// between two tasks through one port, with the model's full semantics.
func ipcRoundTrip() -> Double {
  var k = Kernel()
  let client = k.createTask(name: "client")
  let server = k.createTask(name: "server")
  let ct = k.createThread(in: client)
  let st = k.createThread(in: server)
  let (_, port) = k.portAllocate(server, right: PortRight.receive.rawValue)
  let (_, object, type) = k.portExtractRight(server, port, disposition: MsgType.makeSend)
  let send = k.copyoutKernelRight(client, object, carriedType: type)
  var m = MessageBuilder(remote: send, remoteDisposition: MsgType.copySend, id: 100)
  m.byteArray([UInt8](repeating: 0x5a, count: 64))
  let sendCall = MachMsgCall.send(m.finish())
  let receiveCall = MachMsgCall.receive(port, size: 1024)
  var failures = 0
  let ns = medianNanoseconds(iterations: 1_000_000) { n in
    for _ in 0..<n {
      failures += Int(k.machMsg(ct, sendCall) != 0 ? 1 : 0)
      failures += Int(k.machMsg(st, receiveCall) != 0 ? 1 : 0)
    }
  }
  precondition(failures == 0 && k.checkInvariants().isEmpty, "ipc_roundtrip: the model misbehaved")
  return ns
}

/// kernel_rpc_ns: a mach_port_allocate RPC plus a mach_port_destroy RPC from a task to its
/// own task port (real messages through the kernel-object server, not the shortcut traps).
func kernelRPCPair() -> Double {
  var k = Kernel.booted()
  let task = k.createTask(name: "client", parent: Kernel.shellTask)
  let thread = k.createThread(in: task)
  let me = k.giveTaskSelfName(task)
  let allocate = RoutineTable.routine(named: "mach_port_allocate")!
  let destroy = RoutineTable.routine(named: "mach_port_destroy")!
  var failures = 0
  let ns = medianNanoseconds(iterations: 200_000) { n in
    for _ in 0..<n {
      guard case .completed(let made) = k.rpc(thread, allocate, target: me, arguments: [.int(1)]),
        case .name(let name)? = made["name"]
      else { failures += 1; continue }
      guard case .completed(let gone) = k.rpc(thread, destroy, target: me, arguments: [.name(name)]), gone.retCode == 0
      else { failures += 1; continue }
    }
  }
  precondition(failures == 0 && k.checkInvariants().isEmpty, "kernel_rpc: the model misbehaved")
  return ns
}

let figures: [(name: String, unit: String, measure: () -> Double)] = [
  ("ipc_roundtrip_ns", "ns", ipcRoundTrip),
  ("kernel_rpc_ns", "ns", kernelRPCPair),
]

let wanted = Set(CommandLine.arguments.dropFirst())
for figure in figures where wanted.isEmpty || wanted.contains(figure.name) {
  let value = figure.measure()
  print("\(figure.name) \(String(format: "%.1f", value)) \(figure.unit)")
}

