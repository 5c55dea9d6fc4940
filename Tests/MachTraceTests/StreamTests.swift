import Foundation
import MachModel
import Testing

@testable import MachTrace

/// The trace buffer, `trace stats` and `trace export` (issue 6), on FormatTests' scenario:
///
///     1 client.1 -> 1 mach_port_allocate (1)
///     2 client.1 <- 2 mach_port_allocate-reply (3) = KERN_SUCCESS (reply to 1)
///     3 client.1 -> 4 500 ("hello", 3(make_send))
///     4 client.1 -> 99 501 () = MACH_SEND_INVALID_DEST
@Suite struct StreamTests {
  /// A record stays at 120 bytes: the buffer's million records are read by every filter, and
  /// at 128 (a power of two) `scripts/bench filter_ns_per_record` went from 4.3 ns to 9.7.
  @Test func aRecordStaysAt120Bytes() {
    #expect(MemoryLayout<TraceRecord>.stride == 120)
  }

  // MARK: - The buffer

  /// A full buffer drops its oldest record for each new one, and says how many it dropped.
  @Test func aFullBufferDropsTheOldestAndCounts() {
    let (records, _) = FormatTests.scenario()
    var buffer = TraceBuffer(limit: 3)
    for r in records + records { buffer.append(r) }
    #expect(buffer.count == 3)
    #expect(buffer.dropped == 5)
    #expect(buffer.map(\.seq) == [2, 3, 4])
    buffer.setLimit(2)
    #expect(buffer.map(\.seq) == [3, 4])
    #expect(buffer.dropped == 6)
    buffer.removeAll()
    #expect(buffer.isEmpty && buffer.dropped == 6)
    buffer.append(records[0])
    #expect(buffer.map(\.seq) == [1])
  }

  /// The buffer is bounded by bytes as well: big records push the oldest out, and the
  /// newest always stays. The ring wraps and grows without losing order.
  @Test func theBufferIsBoundedByBytes() {
    let (records, _) = FormatTests.scenario()
    var big = records[0]
    big.bytes = [UInt8](repeating: 1, count: 10_000)
    let cost = TraceBuffer.cost(of: big)
    var buffer = TraceBuffer(limit: 100, byteLimit: cost * 3)
    for i in 1...10 {
      big.seq = UInt64(i)
      buffer.append(big)
    }
    #expect(buffer.map(\.seq) == [8, 9, 10])
    #expect(buffer.bytes == cost * 3 && buffer.dropped == 7)
    buffer.setByteLimit(1)
    #expect(buffer.map(\.seq) == [10], "the newest record stays, however big")
    var small = TraceBuffer(limit: 5)
    for i in 1...23 {
      var r = records[0]
      r.seq = UInt64(i)
      small.append(r)
    }
    #expect(small.map(\.seq) == [19, 20, 21, 22, 23])
    #expect(small.count(where: { $0.seq! % 2 == 1 }) == 3)
  }

  /// forEachRun hands out the records in place, oldest first, as the ring's two halves once it
  /// has wrapped, and nothing for an empty buffer.
  @Test func forEachRunGivesTheRecordsInOrderAcrossTheWrap() {
    let (records, _) = FormatTests.scenario()
    var ring = TraceBuffer(limit: 5)
    var runs: [[UInt64]] = []
    ring.forEachRun { runs.append($0.map { $0.seq! }) }
    #expect(runs.isEmpty)
    for i in 1...8 {
      var r = records[0]
      r.seq = UInt64(i)
      ring.append(r)
    }
    ring.forEachRun { runs.append($0.map { $0.seq! }) }
    #expect(runs.count == 2 && runs.flatMap { $0 } == [4, 5, 6, 7, 8])
    #expect(runs.flatMap { $0 } == ring.map { $0.seq! })
  }

  // MARK: - Stats

  /// docs/shell.md §8: errors are `retval != 0 or code != 0`; a request is answered when a reply
  /// in the buffer names it.
  @Test func statsCountCallsErrorsBytesAndAnsweredRequests() {
    let (records, _) = FormatTests.scenario()
    let stats = TraceStats(records, replies: records) { $0.routine.isEmpty ? String($0.msgid) : $0.routine }
    let byKey = Dictionary(uniqueKeysWithValues: stats.rows.map { ($0.key, $0) })
    #expect(byKey["mach_port_allocate"]?.requests == 1)
    #expect(byKey["mach_port_allocate"]?.answered == 1)
    #expect(byKey["mach_port_allocate"]?.averageLatency == 0)
    #expect(byKey["501"]?.errors == 1)
    #expect(byKey["501"]?.requests == 0)
    #expect(stats.total.count == 4)
    #expect(stats.total.errors == 1)
    #expect(stats.total.bytes == records.reduce(0) { $0 + Int($1.size) })
    // Only the requests: still answered, since replies come from the whole buffer.
    let sends = TraceStats(records.filter { $0.direction == .send }, replies: records) { _ in "send" }
    #expect(sends.rows[0].answered == 1)
    #expect(sends.table(by: "dir").hasPrefix("DIR"))
  }

  // MARK: - Export

  /// JSON Lines: one object per record, `"schema": 1`, parsed back.
  @Test func jsonLinesParseBack() throws {
    let (records, names) = FormatTests.scenario()
    let text = TraceExport.jsonl.render(records, names: names) { _ in nil }
    let lines = text.split(separator: "\n")
    #expect(lines.count == records.count)
    for (line, r) in zip(lines, records) {
      let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
      #expect(object["schema"] as? Int == 1)
      #expect(object["seq"] as? Int == Int(r.seq!))
      #expect(object["msgid"] as? Int == Int(r.msgid))
      #expect(object["task"] as? String == "client")
    }
  }

  /// Chrome Trace Event Format: an object with `traceEvents`, names for the process and
  /// thread tracks, an instant per record and a complete event per answered request.
  @Test func chromeTraceParsesBack() throws {
    let (records, names) = FormatTests.scenario()
    let text = TraceExport.chrome.render(records, names: names) { _ in nil }
    let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    let events = try #require(object["traceEvents"] as? [[String: Any]])
    #expect(events.filter { $0["ph"] as? String == "i" }.count == records.count)
    let slices = events.filter { $0["ph"] as? String == "X" }
    #expect(slices.count == 1)
    #expect(slices.first?["name"] as? String == "mach_port_allocate")
    #expect(
      events.contains {
        $0["name"] as? String == "process_name" && ($0["args"] as? [String: Any])?["name"] as? String == "client"
      })
    #expect(
      events.contains {
        $0["name"] as? String == "thread_name" && ($0["args"] as? [String: Any])?["name"] as? String == "client.1"
      })
  }

  /// Mermaid: tasks as participants, a request solid, its reply dashed, a kernel reply from
  /// the kernel.
  @Test func mermaidDrawsRequestsSolidAndRepliesDashed() {
    let (records, names) = FormatTests.scenario()
    let text = TraceExport.mermaid.render(records, names: names) { r in
      r.msgid == 3204 ? "kernel" : r.msgid == 500 ? "server" : nil
    }
    #expect(
      text == """
        sequenceDiagram
            participant client
            participant kernel
            participant server
            participant port_99
            client->>kernel: mach_port_allocate
            kernel-->>client: mach_port_allocate-reply
            client->>server: 500
            client->>port_99: 501 = MACH_SEND_INVALID_DEST

        """)
  }
}

extension StreamTests {
  /// A reply from an untraced server has no `send` copy: the diagram draws it from the
  /// request's receiver (TraceEntry.peer), dashed.
  @Test func mermaidDrawsRepliesOfUntracedServers() {
    var w = TracedWorld()
    let (_, service) = w.k.portAllocate(w.server, right: PortRight.receive.rawValue)
    let (_, o, type) = w.k.portExtractRight(w.server, service, disposition: MsgType.makeSend)
    let send = w.k.copyoutKernelRight(w.client, o, carriedType: type)
    let (_, replies) = w.k.portAllocate(w.client, right: PortRight.receive.rawValue)
    let request = MessageBuilder(
      remote: send, remoteDisposition: MsgType.copySend, local: replies, localDisposition: MsgType.makeSendOnce, id: 500
    )
    _ = w.k.machMsg(w.ct, .send(request.finish()))
    _ = w.k.machMsg(w.st, .receive(service))
    let replyPort = MessageView(w.k.threads[Int(w.st)].message)!.remotePort
    var reply = MessageBuilder(remote: replyPort, remoteDisposition: MsgType.moveSendOnce, id: 600)
    reply.int32([0])
    _ = w.k.machMsg(w.st, .send(reply.finish()))
    _ = w.k.machMsg(w.ct, .receive(replies))
    let records = w.records()
    let names = w.names
    let text = TraceExport.mermaid.render(records, names: names) { r in r.peer >= 0 ? names.task(r.peer) : nil }
    #expect(
      text == """
        sequenceDiagram
            participant client
            participant server
            client->>server: 500
            server-->>client: 600

        """)
  }
}
