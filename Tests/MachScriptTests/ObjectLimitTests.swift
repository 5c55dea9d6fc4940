import MachModel
import TestSupport
import Testing

@testable import MachScript

/// When the kernel can make no more ports (GNU Mach's zones exhausted; here `objectLimit`),
/// every command reports the real failure: none claims a success it did not have.
@Suite struct ObjectLimitTests {
  /// A shell whose kernel can make `spare` more ports after `setup`.
  static func shell(spare: Int, setup: String = "") -> ShellUnderTest {
    let shell = ShellUnderTest()
    shell.run(setup)
    let limit = shell.session.kernel.objects.count + spare
    shell.session.setObjectLimit(limit)
    return shell
  }

  /// task_create needs one port, thread_create another: short of either, spawn returns nil
  /// and `rc` is task_create's or thread_create's KERN_RESOURCE_SHORTAGE.
  @Test(arguments: 0...1)
  func spawnReportsTheShortage(spare: Int) {
    let (out, err, _) = Self.shell(spare: spare).run("let t = spawn x\nprint t, rc")
    #expect(err == "")
    #expect(out == "nil KERN_RESOURCE_SHORTAGE\n")
  }

  @Test func spawnWithRoomSucceeds() {
    let (out, _, _) = Self.shell(spare: 2).run("let t = spawn x\nprint t, rc")
    #expect(out == "x KERN_SUCCESS\n")
  }

  @Test func threadReportsTheShortage() {
    let (out, err, _) = Self.shell(spare: 0, setup: "spawn a").run("let t = thread a\nprint t, rc, len(a.threads)")
    #expect(err == "")
    #expect(out == "nil KERN_RESOURCE_SHORTAGE 1\n")
  }

  @Test func traceReportsTheShortage() {
    let (out, err, _) = Self.shell(spare: 0, setup: "spawn a").run("print (trace a), (getport a trace)")
    #expect(err == "")
    #expect(out == "KERN_RESOURCE_SHORTAGE nil\n")
  }

  /// A task's thread makes its reply port on its first RPC; with no port left,
  /// mach_reply_port gives MACH_PORT_NULL and the RPC's receive fails, as in GNU Mach. A note
  /// says why.
  @Test func anRPCWithoutAReplyPortSaysWhy() {
    let (out, err, _) = Self.shell(spare: 0, setup: "spawn a").run(
      "let r = rpc mach_port_allocate(a.self, MACH_PORT_RIGHT_RECEIVE)\nprint r, rc")
    #expect(err == "note: a.1 has no reply port: mach_reply_port gave MACH_PORT_NULL (the kernel has no ports left)\n")
    #expect(out == "nil MACH_RCV_INVALID_NAME\n")
  }

  @Test func allocateReportsTheShortage() {
    let (out, err, _) = Self.shell(spare: 0, setup: "spawn a").run("print (allocate a), rc")
    #expect(err == "")
    #expect(out == "nil KERN_RESOURCE_SHORTAGE\n")
  }
}
