/// `trace stats` (docs/language.md, Commands; issue 6): per routine, or per any field, how many records,
/// how many errors, how many bytes, and for requests how many were answered, with the
/// latency to their reply in virtual time. Like `strace -c` and Wireshark's service response
/// time tables.
///
/// - An **error** is a record with `retval != 0`, or a MIG reply whose RetCode is not 0
///   (docs/shell.md §8).
/// - A **request** is a record that names a reply port and is not itself a reply (no
///   `answers`, no `code`: `TraceRecord.expectsReply`). It is **answered** when a record of
///   `replies` (the whole buffer, so that `where dir == "send"` still sees the replies)
///   answers it; its latency is the
///   reply's `time` minus its own.
public struct TraceStats: Sendable {
  public struct Row: Equatable, Sendable {
    public var key: String
    public var count = 0
    public var errors = 0
    public var bytes = 0
    public var requests = 0
    public var answered = 0
    public var minLatency: UInt64? = nil
    public var maxLatency: UInt64 = 0
    public var totalLatency: UInt64 = 0

    public var unanswered: Int { requests - answered }
    /// Mean latency in µs, rounded down; nil when nothing was answered.
    public var averageLatency: UInt64? { answered == 0 ? nil : totalLatency / UInt64(answered) }
  }

  /// Rows by decreasing count, then key; `total` sums every row.
  public private(set) var rows: [Row] = []
  public private(set) var total = Row(key: "total")

  /// Counts `records` (in `seq` order), grouped by `key`; requests are paired with their
  /// replies among `replies`.
  public init<Records: Sequence, Replies: Sequence>(
    _ records: Records, replies: Replies, key: (TraceRecord) -> String
  ) where Records.Element == TraceRecord, Replies.Element == TraceRecord {
    var replyTime: [UInt64: UInt64] = [:]
    for r in replies {
      if let asked = r.answers { replyTime[asked] = r.time }
    }
    var index: [String: Int] = [:]
    for r in records {
      let k = key(r)
      let i: Int
      if let found = index[k] {
        i = found
      } else {
        i = rows.count
        index[k] = i
        rows.append(Row(key: k))
      }
      rows[i].count += 1
      rows[i].bytes += Int(r.size)
      if r.retval != 0 || (r.code ?? 0) != 0 { rows[i].errors += 1 }
      guard r.expectsReply else { continue }
      rows[i].requests += 1
      if let seq = r.seq, let answered = replyTime[seq] {
        let latency = answered >= r.time ? answered - r.time : 0
        rows[i].answered += 1
        rows[i].totalLatency += latency
        rows[i].maxLatency = max(rows[i].maxLatency, latency)
        rows[i].minLatency = min(rows[i].minLatency ?? latency, latency)
      }
    }
    rows.sort { $0.count != $1.count ? $0.count > $1.count : $0.key < $1.key }
    for row in rows {
      total.count += row.count
      total.errors += row.errors
      total.bytes += row.bytes
      total.requests += row.requests
      total.answered += row.answered
      total.totalLatency += row.totalLatency
      total.maxLatency = max(total.maxLatency, row.maxLatency)
      if let m = row.minLatency { total.minLatency = min(total.minLatency ?? m, m) }
    }
  }

  /// The table, headed by the grouping field's name; `-` where a column does not apply.
  public func table(by field: String) -> String {
    let header = [
      field.uppercased(), "CALLS", "ERRORS", "BYTES", "ANSWERED", "UNANSWERED", "MIN_US", "AVG_US", "MAX_US",
    ]
    func cells(_ r: Row) -> [String] {
      let answeredOnes = r.answered > 0
      return [
        r.key, String(r.count), String(r.errors), String(r.bytes),
        r.requests > 0 ? String(r.answered) : "-", r.requests > 0 ? String(r.unanswered) : "-",
        answeredOnes ? String(r.minLatency ?? 0) : "-", r.averageLatency.map(String.init) ?? "-",
        answeredOnes ? String(r.maxLatency) : "-",
      ]
    }
    let lines = [header] + rows.map(cells) + [cells(total)]
    let widths = header.indices.map { c in lines.map { $0[c].count }.max()! }
    return lines.map { line in
      line.enumerated().map { c, cell in
        c == 0
          ? cell + String(repeating: " ", count: widths[c] - cell.count)
          : String(repeating: " ", count: widths[c] - cell.count) + cell
      }.joined(separator: "  ")
    }.joined(separator: "\n")
  }
}
