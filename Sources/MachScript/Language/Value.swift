import MachModel
import MachTrace

/// A value of the language (docs/language.md, Values). Return codes are a kind of their own so that
/// they print by name (docs/shell.md §10); they compare equal to ints of the same value.
public indirect enum Value: Sendable {
  case int(Int64)
  /// A return code; `fromMachMsg` makes 0 print as MACH_MSG_SUCCESS rather than KERN_SUCCESS.
  case code(ReturnCode, fromMachMsg: Bool)
  case string(String)
  case bool(Bool)
  case `nil`
  case list([Value])
  /// A task, with its name (names never change once given).
  case task(TaskIndex, String)
  /// A thread, with its label `task.N`.
  case thread(ThreadIndex, String)
  /// A port reference `TASK:NAME`: a name in a task's space.
  case port(task: TaskIndex, taskName: String, name: PortName)
  /// A received message.
  case message(MessageValue)
  /// A trace record, printed as its rpctrace line.
  case record(TraceRecord, line: String)
  /// A record-like bag of fields (an out-of-line region, a port status...).
  case fields([(String, Value)])
  /// An operation in progress (docs/shell.md §5); nil is the constant `pending`, which a handle
  /// equals while it is not done.
  case pending(PendingHandle?)
  /// A watch (`id`, `hits`, `enabled`); prints as `watch N`.
  case watch(Watch)

  /// The kind's name, as errors say it.
  public var kindName: String {
    switch self {
    case .int: return "int"
    case .code: return "return code"
    case .string: return "string"
    case .bool: return "bool"
    case .nil: return "nil"
    case .list: return "list"
    case .task: return "task"
    case .thread: return "thread"
    case .port: return "port reference"
    case .message: return "message"
    case .record: return "record"
    case .fields: return "record"
    case .pending: return "pending operation"
    case .watch: return "watch"
    }
  }

  /// The kind with its article: "an int", "a string".
  public var kindWithArticle: String {
    let k = kindName
    return ("aeiou".contains(k.first!) ? "an " : "a ") + k
  }

  /// The integer an int or a return code stands for.
  public var integer: Int64? {
    switch self {
    case .int(let v): return v
    case .code(let c, _): return Int64(c)
    default: return nil
    }
  }

  /// How the value prints at top level: strings bare, everything else as it reads.
  public var printed: String {
    if case .string(let s) = self {
      guard s.unicodeScalars.contains(where: { RawBytes.byte($0) != nil }) else { return s }
      return String(
        s.unicodeScalars.flatMap { c in RawBytes.byte(c).map { Array("\\x" + String($0, radix: 16)) } ?? [Character(c)]
        })
    }
    return literal
  }

  /// How the value prints inside a list: strings quoted, so that it can be typed back in.
  public var literal: String {
    switch self {
    case .int(let v): return String(v)
    case .code(let c, let m): return ReturnCodeNames.name(of: c, fromMachMsg: m)
    case .string(let s): return Self.quoted(s)
    case .bool(let b): return b ? "true" : "false"
    case .nil: return "nil"
    case .list(let items): return "[" + items.map(\.literal).joined(separator: ", ") + "]"
    case .task(_, let name): return name
    case .thread(_, let label): return label
    case .port(_, let task, let name): return "\(task):\(name)"
    case .message(let m): return m.description
    case .record(_, let line): return line
    case .fields(let fields): return "{" + fields.map { "\($0.0): \($0.1.literal)" }.joined(separator: ", ") + "}"
    case .pending(let h):
      if let h, h.isDone { return h.value.literal }
      return "pending"
    case .watch(let w): return "watch \(w.id)"
    }
  }

  /// A string as C writes it, a raw byte (RawBytes) as `\xNN`.
  static func quoted(_ s: String) -> String { TraceFormat.quoted(s, rawByte: RawBytes.byte) }

  /// Equality as `==` sees it: ints and return codes by value, lists element-wise.
  public static func equal(_ a: Value, _ b: Value) -> Bool {
    if let x = a.integer, let y = b.integer { return x == y }
    switch (a, b) {
    case (.string(let x), .string(let y)): return x == y
    case (.bool(let x), .bool(let y)): return x == y
    case (.nil, .nil): return true
    case (.list(let x), .list(let y)): return x.count == y.count && zip(x, y).allSatisfy { equal($0, $1) }
    case (.task(let x, _), .task(let y, _)): return x == y
    case (.thread(let x, _), .thread(let y, _)): return x == y
    case (.task(_, let n), .string(let s)), (.string(let s), .task(_, let n)): return n == s
    case (.thread(_, let n), .string(let s)), (.string(let s), .thread(_, let n)): return n == s
    case (.port(let t1, _, let n1), .port(let t2, _, let n2)): return t1 == t2 && n1 == n2
    case (.pending(let x?), .pending(nil)), (.pending(nil), .pending(let x?)): return !x.isDone
    case (.pending(let x?), .pending(let y?)): return x === y
    case (.pending(nil), .pending(nil)): return true
    case (.watch(let x), .watch(let y)): return x === y
    case (.pending(let h?), _) where h.isDone: return equal(h.value, b)
    case (_, .pending(let h?)) where h.isDone: return equal(a, h.value)
    default: return false
    }
  }

  /// How deep lists may nest (`[[…]]`): printing, comparing and freeing one recurse that deep.
  public static let maxListDepth = 256

  /// How deeply lists nest in this value (0 for anything else), counted no further than
  /// `limit`.
  func listDepth(upTo limit: Int) -> Int {
    guard case .list(let items) = self else { return 0 }
    guard limit > 1 else { return 1 }
    var deepest = 0
    for item in items {
      if case .list = item {
        deepest = max(deepest, item.listDepth(upTo: limit - 1))
        if deepest >= limit - 1 { break }
      }
    }
    return deepest + 1
  }

  /// `self + tail` in place, for a list and a list or a string and a string; false (and
  /// nothing changed) for anything else. The value lets go of its storage while it grows, so
  /// storage that only it holds grows where it is, without a copy.
  mutating func append(_ tail: Value) -> Bool {
    // No binding of `self` may outlive the `self = .nil` below, or the storage is shared.
    if case .list(let more) = tail, case .list(var items) = self {
      self = .nil
      items.append(contentsOf: more)
      self = .list(items)
      return true
    }
    if case .string(let more) = tail, case .string(var text) = self {
      self = .nil
      text += more
      self = .string(text)
      return true
    }
    return false
  }

  /// Truth for `if`, `while`, `and`, `or`, `not`: only booleans.
  public var bool: Bool? {
    if case .bool(let b) = self { return b }
    return nil
  }
}

/// A message a task received, with the fields of docs/language.md, Commands: `id size seqno dest reply
/// complex body retval`, plus the out-arguments of an `rpc` reply by name.
public struct MessageValue: Sendable, CustomStringConvertible {
  public var id: Int32
  public var size: UInt32
  public var seqno: UInt32
  public var dest: Value
  public var reply: Value
  public var complex: Bool
  /// The task that received it (its items name rights in that task's space).
  public var task: TaskIndex
  /// The RetCode of a MIG reply; nil otherwise.
  public var retval: ReturnCode?
  public var outputs: [(String, Value)] = []
  public var bytes: [UInt8]
  /// For the reply of a typed `rpc`: its routine's name (`task_threads-reply`), so that the
  /// reply prints with its RetCode and named out-arguments.
  public var routine: String? = nil

  public var description: String {
    if let routine, let retval {
      let code = ReturnCodeNames.name(of: retval)
      return "\(routine)(" + ([code] + outputs.map { "\($0.0): \($0.1.literal)" }).joined(separator: ", ") + ")"
    }
    if let routine {  // a request of a loaded routine
      return "\(routine)(" + outputs.map { "\($0.0): \($0.1.literal)" }.joined(separator: ", ") + ")"
    }
    var where_ = ""
    if case .port(_, let task, let name) = dest { where_ = ", on \(task):\(name)" }
    return "message(id \(id), size \(size)\(where_))"
  }
}
