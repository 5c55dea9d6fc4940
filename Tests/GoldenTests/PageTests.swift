import Foundation
import Testing

/// The browser: `MACHSH_BROWSER` (set by scripts/test, which then requires it), else
/// `chromium` where Debian puts it.
let pageBrowser: String? = {
  if let set = ProcessInfo.processInfo.environment["MACHSH_BROWSER"], !set.isEmpty { return set }
  return ["/usr/bin/chromium", "/usr/local/bin/chromium"].first { FileManager.default.isExecutableFile(atPath: $0) }
}()

/// `trace export "FILE.html"` opened in a real browser (headless Chromium, which
/// `scripts/ensure-deps --browser` installs and `scripts/test` requires): the page renders,
/// draws an arrow per message, shows the selected record decoded and the port spaces as they
/// were at it, and stays light at 10,000 records.
@Suite(.enabled(if: pageBrowser != nil, "no chromium: scripts/ensure-deps --browser installs it"))
struct PageTests {
  static var browser: String? { pageBrowser }

  /// The DOM of `page` once its script ran, selecting record index `select`.
  static func dom(_ page: URL, select: Int) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: browser!)
    process.arguments = [
      "--headless=new", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=5000", "--dump-dom",
      page.absoluteString + "#select=\(select)",
    ]
    let out = Pipe()
    process.standardOutput = out
    process.standardError = FileHandle.nullDevice
    try process.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return String(decoding: data, as: UTF8.self)
  }

  /// The text of the element with `id` (its first text run, tags stripped).
  static func text(_ dom: String, id: String) -> String? {
    guard let start = dom.range(of: "id=\"\(id)\"") else { return nil }
    let after = dom[start.upperBound...]
    guard let open = after.firstIndex(of: ">") else { return nil }
    let rest = after[after.index(after: open)...]
    guard let close = rest.range(of: "</") else { return nil }
    return String(rest[..<close.lowerBound])
  }

  /// The rows of the port table of `task`, as cell texts.
  static func portRows(_ dom: String, task: String) -> [[String]] {
    guard let start = dom.range(of: "data-task=\"\(task)\""), let end = dom[start.upperBound...].range(of: "</table>")
    else { return [] }
    let table = dom[start.upperBound..<end.lowerBound]
    return table.components(separatedBy: "<tr>").dropFirst(2).map { row in
      row.components(separatedBy: "<td>").dropFirst().map { String($0.prefix { $0 != "<" }) }
    }
  }

  static func page(_ script: String, name: String) throws -> URL {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("machsh-page-\(getpid())")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let url = folder.appendingPathComponent(name)
    let result = try GoldenTests.run(arguments: ["-c", script + "\ntrace export \"\(url.path)\""])
    #expect(result.contains("wrote a page of "), "\(result)")
    return url
  }

  static let session = """
    spawn server
    spawn client
    let p = allocate server
    let s = insert client make_send p
    trace client
    trace server
    send s id 100 body int32(1)
    receive p
    send s id 101 body port(s, copy_send)
    receive p
    send client:77 id 102
    """

  @Test func thePageShowsARecordAndThePortSpacesAtIt() throws {
    let url = try Self.page(Self.session, name: "session.html")
    defer { try? FileManager.default.removeItem(at: url) }
    // Record index 2 is the client's first send: the message is queued on the server's port.
    let first = try Self.dom(url, select: 2)
    #expect(first.contains("data-ready=\"yes\""))
    #expect(first.contains("data-arrows=\"7\""), "one arrow per record of the session")
    #expect(Self.text(first, id: "line") == "3 client.1 -&gt; 2 100 (1)")
    #expect(Self.text(first, id: "position") == "record 3 of 7 (seq 3)")
    #expect(Self.portRows(first, task: "server").contains(["2", "receive", "0", "0xc00000e0", "1/5"]))
    // Index 3, the server's receive: the queue is empty again.
    let later = try Self.dom(url, select: 3)
    #expect(Self.text(later, id: "line") == "4 server.1 &lt;- 2 100 (1)")
    #expect(Self.portRows(later, task: "server").contains(["2", "receive", "0", "0xc00000e0", "0/5"]))
    #expect(Self.portRows(later, task: "client") == [])  // a receive involves its receiver only
    // The error is an arrow of its own colour.
    #expect(later.contains("class=\"row error"))
  }

  /// 10,000 records: the page draws only the rows in view.
  @Test func tenThousandRecordsStayLight() throws {
    let url = try Self.page(Self.session + "\nrepeat 5000 {\n  send s id 100\n  receive p\n}", name: "big.html")
    defer { try? FileManager.default.removeItem(at: url) }
    let dom = try Self.dom(url, select: 9000)
    #expect(dom.contains("data-ready=\"yes\""))
    #expect(dom.contains("data-arrows=\"10007\""))
    let drawn = dom.components(separatedBy: "class=\"row ").count - 1
    #expect(drawn > 0 && drawn < 200, "\(drawn) rows drawn")
    #expect(Self.text(dom, id: "position") == "record 9001 of 10007 (seq 9001)")
  }
}
