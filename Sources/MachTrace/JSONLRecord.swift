import MachModel

/// Reading back a line of machsh's JSON Lines export (`TraceFormat.jsonLine`, schema 1): the
/// fields the line stores, with the message from `bytes`. What the line derives from the
/// message (`body`, `args`, the `_name` fields) is derived again, so that a loaded record
/// exports as the line it came from.
public enum JSONLRecord {
  /// Why a line is not a record of schema 1.
  public struct Problem: Error, Equatable, Sendable, CustomStringConvertible {
    public var description: String
  }

  /// The record of one line, its task and thread named in `names`. Its `seq` and `answers`
  /// are the line's own; the loader renumbers them.
  public static func record(_ line: some Collection<UInt8>, names: inout LoadedNames) -> Result<TraceRecord, Problem> {
    switch JSONValue.parse(line) {
    case .failure(let e): return .failure(Problem(description: "not JSON: \(e.message) at byte \(e.offset + 1)"))
    case .success(let object):
      do {
        return .success(try record(object, names: &names))
      } catch let p as Problem {
        return .failure(p)
      } catch {
        return .failure(Problem(description: "\(error)"))
      }
    }
  }

  static func record(_ o: JSONValue, names: inout LoadedNames) throws -> TraceRecord {
    guard case .object = o else { throw Problem(description: "not a JSON object") }
    guard case .int(1)? = o["schema"] else { throw Problem(description: "not a machsh record (\"schema\": 1)") }
    func int<T: FixedWidthInteger>(_ key: String, _: T.Type) throws -> T {
      guard case .int(let v)? = o[key], let x = T(exactly: v) else {
        throw Problem(description: "\"\(key)\" should be an integer that fits \(T.self)")
      }
      return x
    }
    func optionalInt<T: FixedWidthInteger>(_ key: String, _: T.Type) throws -> T? {
      if case .null? = o[key] { return nil }
      return try int(key, T.self)
    }
    func string(_ key: String) throws -> String {
      guard case .string(let s)? = o[key] else { throw Problem(description: "\"\(key)\" should be a string") }
      return s
    }
    let typeName = try string("type")
    guard let type = TraceRecord.typeNames.firstIndex(of: typeName) else {
      throw Problem(description: "\"type\" should be one of \(TraceRecord.typeNames.joined(separator: ", "))")
    }
    let kind = TraceMessage.Kind(rawValue: UInt8(type)) ?? .normal
    var origin = RecordOrigin.jsonl
    switch o["origin"] {
    case nil: break
    case .string("rpctrace")?: origin = .rpctrace
    case .string("raw")?: origin = .raw
    default: throw Problem(description: "\"origin\" should be \"rpctrace\" or \"raw\"")
    }
    guard (origin == .raw) == (typeName == "raw") else {
      throw Problem(description: "\"type\" is \"raw\" exactly for a record whose origin is \"raw\"")
    }
    let direction: TraceMessage.Direction
    switch try string("dir") {
    case "send": direction = .send
    case "receive": direction = .receive
    default: throw Problem(description: "\"dir\" should be \"send\" or \"receive\"")
    }
    var task = TraceEntry.noPeer
    if case .string(let name)? = o["task"] {
      task = names.task(named: name)
    } else if origin != .raw || o["task"] != .null {
      throw Problem(description: "\"task\" should be a string")
    }
    var thread: ThreadIndex? = nil
    if case .string(let label)? = o["thread"] {
      thread = names.thread(named: label)
    } else if o["thread"] != .null {
      throw Problem(description: "\"thread\" should be a string or null")
    }
    guard case .bool(let complex)? = o["complex"] else {
      throw Problem(description: "\"complex\" should be true or false")
    }
    let hex = Array(try string("bytes").utf8)
    guard hex.count % 2 == 0 else { throw Problem(description: "\"bytes\" should be pairs of hex digits") }
    var bytes = [UInt8]()
    bytes.reserveCapacity(hex.count / 2)
    var i = 0
    while i < hex.count {
      guard let high = hexDigitValue(hex[i]), let low = hexDigitValue(hex[i + 1]) else {
        throw Problem(description: "\"bytes\" should be pairs of hex digits")
      }
      bytes.append(high << 4 | low)
      i += 2
    }
    var r = TraceRecord(
      seq: try optionalInt("seq", UInt64.self), time: try int("time", UInt64.self), task: task, thread: thread,
      direction: direction, kind: kind, retval: try int("retval", Int32.self),
      code: try optionalInt("code", Int32.self),
      msgid: try int("msgid", Int32.self), routine: try string("routine"), dest: try int("dest", UInt32.self),
      reply: try int("reply", UInt32.self), size: try int("size", UInt32.self), complex: complex,
      ool: try int("ool", Int32.self), rights: try int("rights", Int32.self),
      answers: try optionalInt("answers", UInt64.self), bytes: bytes)
    switch o["peer"] {
    case nil, .null?: break
    case .string("kernel")?: r.peer = TraceEntry.kernelPeer
    case .string(let name)?: r.peer = names.task(named: name)
    default: throw Problem(description: "\"peer\" should be a task's name, \"kernel\" or null")
    }
    r.origin = origin
    if origin != .jsonl { r.line = try int("line", UInt32.self) }
    return r
  }
}
