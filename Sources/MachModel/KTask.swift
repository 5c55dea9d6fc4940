/// A task (`struct task` with its IPC state `itk_*`): a space, threads, a memory map.
public struct KTask: Sendable {
  public var name: String
  public var space = IPCSpace()
  public var threads: [ThreadIndex] = []
  public var isActive = true
  public var map = VMMap()

  init(name: String) { self.name = name }
}
