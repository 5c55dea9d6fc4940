import CHistEdit
import Glibc

/// The Swift face of libedit (native histedit API): a prompt, persistent history, Tab
/// completion through `complete`, and Ctrl-C that abandons the line being typed. Use it only
/// when standard input and output are terminals.
public final class LineEditor {
  private let el: OpaquePointer
  private let hist: OpaquePointer
  private let historyPath: String?
  private var promptPointer: UnsafeMutablePointer<CChar>? = nil
  /// The prompt shown for the next line.
  public var prompt = "> " {
    didSet { setPromptString() }
  }
  /// The word before the cursor and its candidates, given the whole line up to the cursor.
  public var complete: (_ line: String) -> (word: String, candidates: [String]) = { _ in ("", []) }
  /// Past this many candidates, Tab asks before listing them, as readline does.
  public static let askAbove = 50

  /// What one read gave.
  public enum Input: Equatable {
    case line(String)
    /// Ctrl-C: the line was abandoned.
    case interrupted
    /// Ctrl-D on an empty line, or a read error (the terminal is gone).
    case end
  }

  public init?(program: String, historyPath: String?) {
    shim_set_locale()  // without it libedit drops every non-ASCII byte
    guard let el = shim_el_init(program), let hist = history_init() else { return nil }
    self.el = el
    self.hist = hist
    self.historyPath = historyPath
    shim_history_setsize(hist, 1000)
    shim_history_setunique(hist, 1)
    if let historyPath { shim_history_load(hist, historyPath) }
    shim_el_set_editor(el, "emacs")
    shim_el_set_signal(el, 1)
    shim_el_set_history(el, hist)
    shim_el_set_clientdata(el, Unmanaged.passUnretained(self).toOpaque())
    shim_el_set_prompt(el) { el in LineEditor.from(el).promptPointer }
    shim_el_addfn(el, "machsh-complete", "Complete the word before the cursor") { el, _ in
      LineEditor.from(el).completeWord()
    }
    shim_el_bind(el, "^I", "machsh-complete")
    setPromptString()
  }

  deinit {
    el_end(el)
    history_end(hist)
    free(promptPointer)
  }

  private static func from(_ el: OpaquePointer?) -> LineEditor {
    Unmanaged<LineEditor>.fromOpaque(shim_el_get_clientdata(el!)!).takeUnretainedValue()
  }

  private func setPromptString() {
    free(promptPointer)
    promptPointer = strdup(prompt)
  }

  /// Reads one line (without its newline).
  public func read() -> Input {
    var count: Int32 = 0
    let raw = el_gets(el, &count)
    if Interrupt.consume() {
      print("")
      return .interrupted
    }
    guard let raw, count > 0 else {
      // A signal other than SIGINT retries the read; a read error (the terminal is gone) ends
      // the session, as end of input does, instead of failing again at once forever.
      return count < 0 && errno == EINTR ? .interrupted : .end
    }
    var line = String(cString: raw)
    if line.hasSuffix("\n") { line.removeLast() }
    return .line(line)
  }

  /// Adds a finished statement (several lines, perhaps) to the history and saves it.
  public func remember(_ statement: String) {
    let trimmed = statement.trimmingTrailingSpaces
    guard !trimmed.isEmpty else { return }
    shim_history_enter(hist, trimmed)
    if let historyPath { shim_history_save(hist, historyPath) }
  }

  private func completeWord() -> UInt8 {
    guard let info = el_line(el)?.pointee, let buffer = info.buffer, let cursor = info.cursor else {
      return UInt8(CC_ERROR)
    }
    let length = buffer.distance(to: cursor)
    let line = String(decoding: UnsafeRawBufferPointer(start: buffer, count: length), as: UTF8.self)
    let (word, candidates) = complete(line)
    let matches = candidates.filter { $0.hasPrefix(word) }.sorted()
    guard !matches.isEmpty else { return UInt8(CC_ERROR) }
    if matches.count == 1 {
      let rest = String(matches[0].dropFirst(word.count))
      el_insertstr(el, rest + (matches[0].hasSuffix("/") ? "" : " "))
      return UInt8(CC_REFRESH)
    }
    var common = matches[0]
    for m in matches.dropFirst() {
      while !m.hasPrefix(common) { common.removeLast() }
    }
    if common.count > word.count {
      el_insertstr(el, String(common.dropFirst(word.count)))
      return UInt8(CC_REFRESH)
    }
    if matches.count > Self.askAbove && !confirm("Display all \(matches.count) possibilities? (y or n)") {
      return UInt8(CC_REDISPLAY)
    }
    print("\n" + columns(matches))
    return UInt8(CC_REDISPLAY)
  }

  /// Asks a yes-or-no question as a prompt of its own and reads the answer line: yes when it
  /// starts with 'y' or 'Y' (the line is not kept in the history).
  public func ask(_ question: String) -> Bool {
    let saved = prompt
    prompt = question
    defer { prompt = saved }
    guard case .line(let answer) = read() else { return false }
    return answer.first == "y" || answer.first == "Y"
  }

  /// Asks a yes-or-no question on the terminal and reads one key ('y', 'Y' or space is yes).
  private func confirm(_ question: String) -> Bool {
    print("\n" + question, terminator: "")
    fflush(nil)  // every output stream: Swift 6 forbids naming the global `stdout`
    var key: CChar = 0
    let answer = el_getc(el, &key) == 1 && (key == 0x79 || key == 0x59 || key == 0x20)
    if !answer { print("") }
    return answer
  }

  /// The candidates in columns, as wide as the terminal (80 when it cannot tell).
  private func columns(_ items: [String]) -> String {
    var size = winsize()
    let width = ioctl(1, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 0 ? Int(size.ws_col) : 80
    let cell = (items.map(\.count).max() ?? 0) + 2
    let perLine = max(1, width / cell)
    var lines: [String] = []
    for start in stride(from: 0, to: items.count, by: perLine) {
      let row = items[start..<min(start + perLine, items.count)]
      lines.append(row.map { $0 + String(repeating: " ", count: cell - $0.count) }.joined().trimmingTrailingSpaces)
    }
    return lines.joined(separator: "\n")
  }
}

extension String {
  var trimmingTrailingSpaces: String {
    var s = self
    while s.last == " " || s.last == "\t" { s.removeLast() }
    return s
  }
}
