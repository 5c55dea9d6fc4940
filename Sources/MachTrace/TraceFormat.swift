import MachModel
import MigDefs

/// The output formats of trace records (docs/trace.md, "Output formats"; docs/trace.md shows each).
public enum TraceFormat: String, CaseIterable, Sendable {
  case rpctrace, verbose, json

  /// The text of `record`: one line for rpctrace and json, several for verbose (no final
  /// newline).
  /// `colors` apply to the rpctrace format only; verbose and json stay plain.
  public func render(_ record: TraceRecord, names: TraceNames, colors: TraceColors = .none) -> String {
    switch self {
    case .rpctrace: return Self.rpctraceLine(record, names: names, colors: colors)
    case .verbose: return Self.verboseText(record, names: names)
    case .json: return Self.jsonLine(record, names: names)
    }
  }

  // MARK: - rpctrace

  /// `SEQ WHO ARROW PORT ROUTINE (ARGS) = CODE (reply to SEQ)`: who is the thread (`task.N`)
  /// or the task, with the copy's type in brackets when it is not `normal`; `->` for a send,
  /// `<-` for a receive; the port as the task names it (a kernel address in hex for kernel
  /// copies); the arguments in rpctrace's style; `= NAME` for a mach_msg error or a MIG
  /// reply's RetCode.
  public static func rpctraceLine(_ r: TraceRecord, names: TraceNames, colors: TraceColors = .none) -> String {
    if r.origin == .rpctrace || r.origin == .raw { return loadedLine(r, names: names, colors: colors) }
    var line = r.seq.map(String.init) ?? "-"
    line += " " + colors.who(who(r, names))
    line += " " + colors.arrow(r.direction) + " "
    line += port(r.dest, kernel: r.isKernelForm)
    line += " " + (r.routine.isEmpty ? String(r.msgid) : r.routine)
    line += " ("
    if let (decoded, isReply) = declared(r, names) {
      var first = true
      decoded.forEachArgument { name, item in
        if !first { line += ", " }
        first = false
        line += name
        line += "="
        line += argument(item, r)
      }
      for item in decoded.items.dropFirst(decoded.firstArgument + decoded.argumentCount) {
        if !first { line += ", " }
        first = false
        line += argument(item, r)
      }
      line += ")"
      if let why = decoded.mismatch { line += " [\(isReply ? "MIG_TYPE_ERROR" : "MIG_BAD_ARGUMENTS"): \(why)]" }
    } else {
      for (i, item) in r.body.dropFirst(r.code != nil ? 1 : 0).enumerated() {
        if i > 0 { line += ", " }
        line += argument(item, r)
      }
      line += ")"
    }
    if r.retval != MachMsgReturn.success {
      line += " = " + colors.code(ReturnCodeNames.name(of: r.retval, fromMachMsg: true), success: false)
    } else if let code = r.code {
      line += " = " + colors.code(ReturnCodeNames.name(of: code), success: code == 0)
    }
    if let answers = r.answers { line += " (reply to \(answers))" }
    return line
  }

  /// A record of an rpctrace log: `SEQ TASK -> DEST ROUTINE (VALUES)` for a request,
  /// `SEQ TASK <- ROUTINE (VALUES) = RET (reply to SEQ)` for its reply, with the destination and
  /// the RetCode as the log wrote them; a raw line as `SEQ raw FILE:LINE: TEXT`.
  static func loadedLine(_ r: TraceRecord, names: TraceNames, colors: TraceColors) -> String {
    var line = r.seq.map(String.init) ?? "-"
    if r.origin == .raw {
      return line + " " + colors.who("raw") + " \(names.file(of: r)):\(r.line): "
        + String(decoding: r.bytes, as: UTF8.self)
    }
    let parts = RpctraceLog.parts(of: r)
    line += " " + colors.who(names.task(r.task)) + " " + colors.arrow(r.direction) + " "
    if r.direction == .send { line += parts.destination.trimmingSpaces + " " }
    line += r.routine.isEmpty ? String(r.msgid) : r.routine
    // With a loaded .defs file declaring the routine, the values are named as a live
    // record's arguments are.
    var labels: [String] = []
    if let (routine, isReply) = names.definitions.routine(id: r.msgid) {
      labels = routine.arguments.filter { isReply ? $0.direction.isInReplyBody : $0.direction.isInRequestBody }
        .map(\.name)
    }
    let shown = parts.values.enumerated().map { i, v in i < labels.count ? labels[i] + "=" + v.text : v.text }
    line += " (" + shown.joined(separator: ", ") + ")"
    if r.direction == .receive { line += " = " + colors.code(parts.result, success: r.retval == 0) }
    if let answers = r.answers { line += " (reply to \(answers))" }
    return line
  }

  /// The record's body read by its routine's declaration, when a loaded .defs file declares
  /// the routine (and whether the record is its reply).
  public static func declared(_ r: TraceRecord, _ names: TraceNames) -> (MigDecoded, isReply: Bool)? {
    guard let (routine, isReply) = names.definitions.routine(id: r.msgid) else { return nil }
    return (MigCodec.decode(r.bytes, as: routine, reply: isReply), isReply)
  }

  static func who(_ r: TraceRecord, _ names: TraceNames) -> String {
    var text = names.thread(r.thread) ?? names.task(r.task)
    if r.kind != .normal { text += " [\(r.kind.name)]" }
    return text
  }

  static func port(_ value: UInt32, kernel: Bool) -> String {
    if value == MachPort.dead { return "DEAD" }
    return kernel && value != 0 ? hex(value) : String(value)
  }

  static func hex(_ v: UInt32) -> String { "0x" + String(v, radix: 16) }

  /// One argument: integers in decimal, strings quoted and cut at 40 characters, arrays in
  /// braces (cut after 16 elements), rights with their disposition, out-of-line regions as
  /// `ool{ADDRESS SIZE}`.
  static func argument(_ item: TraceItem, _ r: TraceRecord) -> String {
    switch item.value {
    case .ints(let v):
      if item.number == 1 && item.type != "byte" && item.type != "char" { return String(v.first ?? 0) }
      let shown = v.prefix(16).map(String.init).joined(separator: " ")
      return "{" + shown + (v.count > 16 ? " ...}" : "}")
    case .string(let s):
      let cut = s.count > 40 ? String(s.prefix(40)) + "..." : s
      return quoted(cut)
    case .ports(let names, _):
      // A send copy shows the disposition the task asked for; others the right carried.
      let word =
        r.direction == .send && r.kind == .normal
        ? TraceItem.dispositionWord(item.msgtName) : item.value.rightWord
      let each = names.map { port($0, kernel: r.isKernelForm) + "(\(word))" }
      return each.count == 1 ? each[0] : "{" + each.joined(separator: " ") + "}"
    case .ool(let address, let size):
      return "ool{\(hex(address)) \(size)}"
    }
  }

  /// A string as C writes it: `\\`, `\"`, `\n`, `\t`, `\r`, `\0` and `\xNN` for every other
  /// control character, so that a record stays on one line and reads back unambiguously.
  /// `rawByte` names scalars that stand for a single byte (written `\xNN` too).
  public static func quoted(_ s: String, rawByte: (Unicode.Scalar) -> UInt8? = { _ in nil }) -> String {
    var out = "\""
    for c in s.unicodeScalars {
      switch c {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\t": out += "\\t"
      case "\r": out += "\\r"
      case "\0": out += "\\0"
      case _ where c.value < 0x20 || c.value == 0x7f:
        let h = String(c.value, radix: 16)
        out += "\\x" + (h.count == 1 ? "0" + h : h)
      case _ where rawByte(c) != nil:
        out += "\\x" + String(rawByte(c)!, radix: 16)
      default: out.unicodeScalars.append(c)
      }
    }
    return out + "\""
  }

  // MARK: - verbose

  /// The rpctrace line, then the decoded header, every typed item and a hex dump.
  public static func verboseText(_ r: TraceRecord, names: TraceNames) -> String {
    var lines = [rpctraceLine(r, names: names)]
    if r.origin == .rpctrace || r.origin == .raw {
      // A record of a loaded log: where it is, its text, and the values read from it.
      lines.append("  from: \(names.file(of: r)):\(r.line)")
      if r.origin == .rpctrace {
        lines.append("  text: " + String(decoding: r.bytes, as: UTF8.self))
        for (i, v) in RpctraceLog.parts(of: r).values.enumerated() { lines.append("  value \(i + 1): \(v.text)") }
      }
      return lines.joined(separator: "\n")
    }
    lines.append(
      "  copy: \(r.kind.name) \(r.direction == .send ? "send" : "receive"), retval "
        + "\(ReturnCodeNames.name(of: r.retval, fromMachMsg: true)), time \(r.time) us"
    )
    if let v = MessageView(r.bytes) {
      var bits = "remote \(dispositionOrType(v.remoteBits)), local \(dispositionOrType(v.localBits))"
      if v.isComplex { bits += ", complex" }
      lines.append(
        "  header: bits \(hex(v.bits)) (\(bits)), size \(v.size), remote "
          + "\(port(v.remotePort, kernel: r.isKernelForm)), local \(port(v.localPort, kernel: r.isKernelForm)), "
          + "seqno \(v.seqno), id \(v.id)"
      )
      let declared = declared(r, names)
      // Item names by position: a reply's RetCode first, then the declared arguments.
      var itemNames: [String] = declared?.1 == true ? ["RetCode"] : []
      itemNames += declared?.0.arguments.map(\.name) ?? []
      if case .success(let items) = v.items() {
        for (i, item) in items.enumerated() {
          let d = item.descriptor
          let flags =
            (d.isInline ? "" : ", out-of-line") + (d.isLongForm ? ", long" : "")
            + (d.deallocate ? ", deallocate" : "")
          let shape = "name \(d.name), size \(d.size), number \(d.number)\(flags)"
          let label = i < itemNames.count ? " (\(itemNames[i]))" : ""
          lines.append("  item \(i + 1)\(label): \(TraceItem(item).type) \(argument(TraceItem(item), r)) [\(shape)]")
        }
      }
      if let (decoded, isReply) = declared, let why = decoded.mismatch {
        lines.append("  not as declared (\(isReply ? "MIG_TYPE_ERROR" : "MIG_BAD_ARGUMENTS")): \(why)")
      }
    }
    for offset in stride(from: 0, to: r.bytes.count, by: 16) {
      let row = r.bytes[offset..<min(offset + 16, r.bytes.count)].map { byte in
        let h = String(byte, radix: 16)
        return h.count == 1 ? "0" + h : h
      }
      let label = String(offset, radix: 16)
      lines.append(
        "  " + String(repeating: "0", count: max(0, 4 - label.count)) + label + "  " + row.joined(separator: " "))
    }
    return lines.joined(separator: "\n")
  }

  static func dispositionOrType(_ name: UInt32) -> String {
    switch name {
    case 0: return "none"
    case 16...21: return TraceItem.dispositionWord(name)
    default: return String(name)
    }
  }

  // MARK: - json

  /// One JSON object with the keys of docs/shell.md §8, in a fixed order.
  public static func jsonLine(_ r: TraceRecord, names: TraceNames) -> String {
    var fields: [(String, String)] = [
      ("schema", "1"),
      ("seq", r.seq.map(String.init) ?? "null"),
      ("time", String(r.time)),
      ("task", r.origin == .raw ? "null" : json(names.task(r.task))),
      ("thread", names.thread(r.thread).map(json) ?? "null"),
      ("type", json(r.typeName)),
      ("dir", json(r.direction == .send ? "send" : "receive")),
      ("retval", String(r.retval)),
      ("retval_name", json(ReturnCodeNames.name(of: r.retval, fromMachMsg: true))),
      ("code", r.code.map { String($0) } ?? "null"),
      ("code_name", r.code.map { json(ReturnCodeNames.name(of: $0)) } ?? "null"),
      ("msgid", String(r.msgid)),
      ("routine", json(r.routine)),
      ("dest", String(r.dest)),
      ("reply", String(r.reply)),
      ("size", String(r.size)),
      ("complex", r.complex ? "true" : "false"),
      ("ool", String(r.ool)),
      ("rights", String(r.rights)),
      ("answers", r.answers.map(String.init) ?? "null"),
      ("peer", peerName(r, names).map(json) ?? "null"),
    ]
    if r.origin == .rpctrace || r.origin == .raw {
      // A record of a loaded log: where it came from, and the values the log printed.
      fields.append(("origin", json(r.origin == .raw ? "raw" : "rpctrace")))
      fields.append(("line", String(r.line)))
      let values = r.origin == .raw ? [] : RpctraceLog.parts(of: r).values
      fields.append(("body", "[" + values.map(jsonValue).joined(separator: ", ") + "]"))
    } else {
      fields.append(("body", "[" + r.body.map { jsonItem($0, r) }.joined(separator: ", ") + "]"))
    }
    if let (decoded, _) = declared(r, names) {  // a routine of a loaded .defs file
      let args = decoded.arguments.map { "\(json($0.name)): \(jsonItem($0.item, r))" }
      fields.append(("args", "{" + args.joined(separator: ", ") + "}"))
      fields.append(("args_mismatch", decoded.mismatch.map(json) ?? "null"))
    }
    fields.append(
      (
        "bytes",
        json(
          r.bytes.map { b in
            let h = String(b, radix: 16); return h.count == 1 ? "0" + h : h
          }.joined())
      ))
    return "{" + fields.map { "\(json($0.0)): \($0.1)" }.joined(separator: ", ") + "}"
  }

  /// An item as JSON. A port of a send copy also keeps the disposition the task asked for
  /// (`"disposition": "make_send"`), as the rpctrace line shows it.
  static func jsonItem(_ item: TraceItem, _ r: TraceRecord) -> String {
    var value: String
    switch item.value {
    case .ints(let v):
      value =
        item.number == 1 && item.type != "byte" && item.type != "char"
        ? String(v.first ?? 0) : "[" + v.map(String.init).joined(separator: ", ") + "]"
    case .string(let s): value = json(s)
    case .ports(let names, let right):
      let asked =
        r.direction == .send && r.kind == .normal
        ? ", \"disposition\": \(json(TraceItem.dispositionWord(item.msgtName)))" : ""
      let each = names.map { "{\"name\": \($0), \"right\": \(json(right))\(asked)}" }
      value = each.count == 1 ? each[0] : "[" + each.joined(separator: ", ") + "]"
    case .ool(let address, let size): value = "{\"address\": \(address), \"size\": \(size)}"
    }
    return "{\"type\": \(json(item.type)), \"value\": \(value)}"
  }

  /// Who held the receive right of a send copy's destination when it was made
  /// (`TraceEntry.peer`): a task's name, "kernel", or nil when not known.
  static func peerName(_ r: TraceRecord, _ names: TraceNames) -> String? {
    switch r.peer {
    case TraceEntry.noPeer: return nil
    case TraceEntry.kernelPeer: return "kernel"
    default: return names.task(r.peer)
    }
  }

  /// A value of an rpctrace log as JSON: `{"type": "int", "value": 5}`.
  static func jsonValue(_ v: LogValue) -> String {
    let (type, value): (String, String)
    switch v {
    case .int(let n): (type, value) = ("int", String(n))
    case .real(let d): (type, value) = ("real", d.isFinite ? String(d) : json(String(d)))
    case .string(let s): (type, value) = ("string", json(s))
    case .array(let a): (type, value) = ("array", "[" + a.map(jsonValue).joined(separator: ", ") + "]")
    case .portNames(let n): (type, value) = ("port_name", "[" + n.map(String.init).joined(separator: ", ") + "]")
    case .right(let name): (type, value) = ("right", json(name.trimmingSpaces))
    case .null: (type, value) = ("right", "null")
    case .dead: (type, value) = ("right", json("dead"))
    }
    return "{\"type\": \(json(type)), \"value\": \(value)}"
  }

  /// A JSON string literal.
  public static func json(_ s: String) -> String {
    var out = "\""
    for scalar in s.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      case _ where scalar.value < 0x20:
        let h = String(scalar.value, radix: 16)
        out += "\\u" + String(repeating: "0", count: 4 - h.count) + h
      default: out.unicodeScalars.append(scalar)
      }
    }
    return out + "\""
  }
}

extension TraceValue {
  var rightWord: String {
    if case .ports(_, let right) = self { return right }
    return ""
  }
}
