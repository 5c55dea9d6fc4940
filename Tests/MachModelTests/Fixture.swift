import MachModel
import Testing

// Tests are named after the rule they check: `section2_4_…` after docs/gnumach.md §2.4, `t7_…`
// after the trace clause T7 of docs/trace.md, or after the GNU Mach function that sets the rule.

/// Two tasks, `a` and `b`, each with one thread, and helpers that read like the C they stand
/// for. Every helper goes through the model's public API.
struct Fixture {
  var k = Kernel()
  let a: TaskIndex
  let b: TaskIndex
  let ta: ThreadIndex
  let tb: ThreadIndex

  init() {
    a = k.createTask(name: "a")
    b = k.createTask(name: "b")
    ta = k.createThread(in: a)
    tb = k.createThread(in: b)
  }

  /// mach_port_allocate(task, MACH_PORT_RIGHT_RECEIVE).
  mutating func receiveRight(_ task: TaskIndex) -> PortName {
    let (kr, name) = k.portAllocate(task, right: PortRight.receive.rawValue)
    #expect(kr == KernReturn.success)
    return name
  }

  /// Gives `to` a right made from `name` in `from` (extract + insert, as the shell's `insert`).
  mutating func give(_ from: TaskIndex, _ name: PortName, _ disposition: UInt32, to: TaskIndex) -> PortName {
    let (kr, o, type) = k.portExtractRight(from, name, disposition: disposition)
    #expect(kr == KernReturn.success)
    return k.copyoutKernelRight(to, o, carriedType: type)
  }

  /// A receive right in `b` and a send right to it in `a`: (b's name, a's name).
  mutating func channel() -> (receive: PortName, send: PortName) {
    let r = receiveRight(b)
    let s = give(b, r, MsgType.makeSend, to: a)
    return (r, s)
  }

  mutating func send(
    _ thread: ThreadIndex, _ message: [UInt8], options: MachMsgOptions = [], timeout: UInt32 = 0
  ) -> ReturnCode {
    let code = k.machMsg(thread, .send(message, options: options, timeout: timeout))
    k.run()
    return code
  }

  mutating func receive(
    _ thread: ThreadIndex, _ name: PortName, size: UInt32 = 8192, options: MachMsgOptions = [], timeout: UInt32 = 0
  ) -> ReturnCode {
    let code = k.machMsg(thread, .receive(name, size: size, options: options, timeout: timeout))
    k.run()
    return code
  }

  /// The message the thread's last call left behind.
  func message(_ thread: ThreadIndex) -> MessageView? { MessageView(k.thread(thread).message) }

  func entry(_ task: TaskIndex, _ name: PortName) -> Entry? { k.task(task).space.lookup(name) }

  mutating func type(_ task: TaskIndex, _ name: PortName) -> UInt32 { k.portType(task, name).1 }

  mutating func urefs(_ task: TaskIndex, _ name: PortName, _ right: PortRight) -> UInt32 {
    k.portGetRefs(task, name, right: right.rawValue).1
  }

  func status(_ task: TaskIndex, _ name: PortName) -> PortStatus? { k.portGetReceiveStatus(task, name).1 }
  func sendRights(_ task: TaskIndex, _ name: PortName) -> UInt32? { k.sendRightCount(task, name) }

  /// A simple message to `dest` (COPY_SEND unless told), with an optional reply port.
  static func message(
    to dest: PortName, _ disposition: UInt32 = MsgType.copySend, reply: PortName = 0,
    replyDisposition: UInt32 = 0, id: Int32 = 1000, body: (inout MessageBuilder) -> Void = { _ in }
  ) -> [UInt8] {
    var m = MessageBuilder(
      remote: dest, remoteDisposition: disposition, local: reply, localDisposition: replyDisposition, id: id)
    body(&m)
    return m.finish()
  }

  func invariantsHold(sourceLocation: SourceLocation = #_sourceLocation) {
    let problems = k.checkInvariants()
    #expect(problems == [], sourceLocation: sourceLocation)
  }
}
