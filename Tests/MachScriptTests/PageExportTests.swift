import MachScript
import TestSupport
import Testing

/// `trace export … html` without a browser (PageTests open it in one): one self-contained
/// file, and the size limit.
@Suite struct PageExportTests {
  static let session = """
    spawn server
    spawn client
    let p = allocate server
    let s = insert client make_send p
    trace client
    send s id 100 body int32(1)
    receive p
    """

  @Test func thePageFetchesNothing() {
    let shell = ShellUnderTest()
    shell.run(Self.session)
    let page = shell.run(#"trace export "-" where dir == "send" format html"#).out
    #expect(page.hasPrefix("<!doctype html>"))
    #expect(!page.contains(" src=") && !page.contains("<link") && !page.contains("@import"))
    #expect(page.contains(#""filter":"dir == \"send\"""#))
    // The traced task, then the receivers its messages went to, in order.
    #expect(page.contains(#""lanes":["client","shell","server"]"#))
  }

  @Test func aPageOverTheLimitIsNotWritten() {
    let shell = ShellUnderTest()
    shell.run(Self.session)
    shell.session.pageByteLimit = 2000
    let r = shell.run(#"trace export "-" format html"#)
    #expect(r.out.isEmpty)
    #expect(
      r.err.split(separator: "\n").first.map(String.init)?.hasPrefix(
        #"t.msh:1:14: error: cannot write "-": the page would take "#) == true)
    #expect(r.err.contains("past the 1 KB a browser opens comfortably: select fewer records with `where`"))
  }
}
