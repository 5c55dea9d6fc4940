import MachModel
import MachScript

extension Kernel {
  /// A kernel as the shell boots it (`Session.bootedKernel`): a first task named "shell" with
  /// one thread, holding its own task port as name 1. Model tests use it as a privileged task
  /// to act from.
  public static func booted() -> Kernel { Session.bootedKernel().0 }

  /// The first task of `booted()`.
  public static let shellTask: TaskIndex = 0
}
