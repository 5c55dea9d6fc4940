import Glibc
import Synchronization

/// Ctrl-C: a SIGINT handler that only sets a flag, installed without SA_RESTART so that a
/// blocked read returns EINTR. The prompt abandons its line; a running script stops at its next
/// safe point (a loop iteration or a call) when the interpreter polls `consume()`.
public enum Interrupt {
  static let flag = Atomic<Bool>(false)

  public static func install() {
    _ = flag.load(ordering: .relaxed)  // initialise the global now, not inside the handler
    var action = sigaction()
    action.__sigaction_handler.sa_handler = { _ in Interrupt.flag.store(true, ordering: .relaxed) }
    action.sa_flags = 0
    sigemptyset(&action.sa_mask)
    sigaction(SIGINT, &action, nil)
    // A blocked SIGINT is inherited across fork and exec (a parent may block it): unblock it.
    var set = sigset_t()
    sigemptyset(&set)
    sigaddset(&set, SIGINT)
    pthread_sigmask(SIG_UNBLOCK, &set, nil)
  }

  /// Whether Ctrl-C was pressed since the last call; clears the flag.
  public static func consume() -> Bool { flag.exchange(false, ordering: .relaxed) }
}
