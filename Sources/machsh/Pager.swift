import Glibc

/// gdb's paging at the prompt: after a screenful of output from one statement, ask
/// "--Type <RET> for more, q to quit--" before going on; `q` drops the rest of that
/// statement's output. Only at the prompt on a terminal, and only while `set pagination on`.
final class Pager {
  /// Whether paging applies now (the prompt sets it per statement from the setting).
  var isOn = false
  private var lines = 0
  private var quiet = false

  /// A new statement starts: a fresh screenful.
  func reset() {
    lines = 0
    quiet = false
  }

  /// The text to write now: all of it, or what fits before the reader said `q`.
  func pass(_ text: String) -> String {
    guard isOn, !quiet else { return quiet ? "" : text }
    let height = Self.terminalHeight()
    var out = ""
    for line in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
      if line.offset > 0 {
        out += "\n"
        lines += 1
      }
      if lines >= height - 1 {
        SystemIO.write(out, to: 1)
        out = ""
        if !askForMore() {
          quiet = true
          return ""
        }
        lines = 0
      }
      out += line.element
    }
    return out
  }

  /// Asks on the terminal; false when the reader typed `q`.
  private func askForMore() -> Bool {
    SystemIO.write("--Type <RET> for more, q to quit--", to: 1)
    let answer = readLine() ?? "q"
    return !answer.hasPrefix("q")
  }

  private static func terminalHeight() -> Int {
    var size = winsize()
    return ioctl(1, UInt(TIOCGWINSZ), &size) == 0 && size.ws_row > 2 ? Int(size.ws_row) : 24
  }
}
