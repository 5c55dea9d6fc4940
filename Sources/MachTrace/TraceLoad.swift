import MachModel

/// The formats `trace load` reads.
public enum TraceLoadFormat: String, CaseIterable, Sendable {
  /// An rpctrace log, any version (`RpctraceLog`).
  case rpctrace
  /// machsh's own JSON Lines export (`JSONLRecord`).
  case jsonl

  /// The format a file's text is in: JSON Lines when its first line that is not blank starts
  /// with `{`, else an rpctrace log (whose lines never do).
  public static func detect(_ text: UnsafeBufferPointer<UInt8>) -> TraceLoadFormat {
    for c in text where c != 0x20 && c != 0x09 && c != 0x0a && c != 0x0d {
      return c == UInt8(ascii: "{") ? .jsonl : .rpctrace
    }
    return .rpctrace
  }
}

/// The records of a loaded file, numbered to follow the buffer's last record.
public struct TraceLoad: Sendable {
  public var records: [TraceRecord]
  public var report: LoadReport
  public var format: TraceLoadFormat
  /// The highest `seq` given out.
  public var lastSeq: UInt64

  /// Reads `text` in `format` (detected when nil). Records are numbered after `after`, the
  /// last `seq` the buffer has seen: an rpctrace log's in order, a JSON Lines file's keeping
  /// the numbers it has (less the gap to `after`), so that a file exported from a fresh
  /// session and loaded into another reads back the same; a record whose number would not
  /// follow the one before takes the next free one, and `answers` follows its request.
  public init(
    _ text: UnsafeBufferPointer<UInt8>, format: TraceLoadFormat?, after: UInt64, msgids: MsgIdTable,
    names: inout LoadedNames
  ) {
    self.format = format ?? TraceLoadFormat.detect(text)
    switch self.format {
    case .rpctrace:
      let log = RpctraceLog(text, msgids: msgids, names: &names)
      records = log.records
      report = log.report
      for i in records.indices {
        records[i].seq = records[i].seq.map { $0 + after }
        records[i].answers = records[i].answers.map { $0 + after }
      }
      lastSeq = after + UInt64(records.count)
    case .jsonl:
      (records, report, lastSeq) = Self.readJSONL(text, after: after, names: &names)
    }
  }

  static func readJSONL(
    _ text: UnsafeBufferPointer<UInt8>, after: UInt64, names: inout LoadedNames
  ) -> (
    [TraceRecord], LoadReport, UInt64
  ) {
    var records: [TraceRecord] = []
    var report = LoadReport()
    var last = after
    var offset = after
    var renumbered: [UInt64: UInt64] = [:]
    forEachLine(text) { range, number in
      let line = text[range]
      guard line.contains(where: { $0 != 0x20 && $0 != 0x09 }) else { return }
      switch JSONLRecord.record(line, names: &names) {
      case .success(var r):
        let own = r.seq
        var seq = own.map { $0 &+ offset } ?? last + 1
        if seq <= last {
          if let own { offset = last + 1 - own }
          seq = last + 1
        }
        if let own { renumbered[own] = seq }
        r.seq = seq
        r.answers = r.answers.map { renumbered[$0] ?? $0 &+ offset }
        if r.origin == .jsonl { r.line = number }
        last = seq
        if r.answers != nil || r.code != nil {
          report.replies += 1
        } else if r.direction == .send && r.origin != .raw {
          report.requests += 1
        }
        if r.origin == .raw { report.noteNotUnderstood(number) }
        records.append(r)
      case .failure:
        last += 1
        records.append(TraceRecord.raw(Array(line), seq: last, time: records.last?.time ?? 0, line: number))
        report.noteNotUnderstood(number)
      }
    }
    let answered = Set(records.compactMap(\.answers))
    report.unanswered = records.count { $0.expectsReply && !answered.contains($0.seq ?? 0) }
    report.records = records.count
    return (records, report, last)
  }
}

/// Calls `body` with each line of `text`: its range without the `\n` (and a `\r` before it),
/// and its number from 1.
func forEachLine(_ text: UnsafeBufferPointer<UInt8>, _ body: (Range<Int>, UInt32) -> Void) {
  var start = 0
  var number: UInt32 = 0
  while start < text.count {
    var end = start
    while end < text.count && text[end] != 0x0a { end += 1 }
    number &+= 1
    let content = end > start && text[end - 1] == 0x0d ? end - 1 : end
    body(start..<content, number)
    start = end + 1
  }
}
