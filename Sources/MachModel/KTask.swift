/// A task (`struct task` with its IPC state `itk_*`): a space, threads, a memory map, its
/// kernel port and special ports.
public struct KTask: Sendable {
  public var name: String
  public var space = IPCSpace()
  public var threads: [ThreadIndex] = []
  public var isActive = true
  public var map = VMMap()
  /// The task's kernel port (`itk_self`): a port the kernel receives on, standing for the task.
  public var kernelPort: ObjectIndex = -1
  /// Send rights the kernel holds for the special port slots, indexed by slot number
  /// (TASK_KERNEL_PORT 1 = `itk_sself`, TASK_EXCEPTION_PORT 3, TASK_BOOTSTRAP_PORT 4,
  /// TASK_TRACE_PORT 5); -1 for a null slot.
  public var specialPorts = PortSlots()
  /// `mach_ports_register`'s slots (TASK_PORT_REGISTER_MAX = 4).
  public var registeredPorts: [ObjectIndex] = Array(repeating: -1, count: 4)
  public var suspendCount = 0

  init(name: String) { self.name = name }
}
