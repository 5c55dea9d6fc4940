import MachModel
import MigDefs

/// One trace copy as the user sees it: the fields of docs/language.md, Filters and docs/shell.md §8.
/// Task and thread are indices into the model; `TraceNames` spells them.
public struct TraceRecord: Equatable, Sendable {
  // Stored widest first, so that a record stays small (`scripts/bench record_bytes`).

  /// Position in the trace stream, from 1; nil for a message decoded outside the buffer.
  public var seq: UInt64?
  /// For a reply: the `seq` of the request it answers.
  public var answers: UInt64?
  /// Virtual time, µs, when the copy was queued.
  public var time: UInt64
  public var routine: String
  /// The copied message.
  public var bytes: [UInt8]
  public var task: TaskIndex
  /// mach_msg's return code for this message.
  public var retval: ReturnCode
  public var msgid: Int32
  /// The port the message goes to or arrived on, and its reply port: names in the task's
  /// space for `normal` copies, kernel addresses otherwise.
  public var dest: UInt32
  public var reply: UInt32
  public var size: UInt32
  /// Out-of-line regions, and port rights carried (body rights plus the header reply right).
  public var ool: Int32
  public var rights: Int32
  /// For a `send` copy the shell drained: who held the receive right of the destination then
  /// (`TraceEntry.peer`). Not a field of the language; `trace export` draws arrows with it.
  public var peer: TaskIndex = TraceEntry.noPeer
  /// The thread, or nil (a `task`-type copy).
  public var thread: ThreadIndex? {
    get { threadIndex == Int32.min ? nil : threadIndex }
    set { threadIndex = newValue ?? Int32.min }
  }
  /// `thread` in four bytes (Int32.min for nil): the record stays at 120 bytes. At 128 (a
  /// power of two) a filter over a million records ran at 6.6 ns a record instead of 3.9.
  private var threadIndex: Int32 = Int32.min
  /// The RetCode of a MIG reply; nil for every other message.
  public var code: ReturnCode?
  public var direction: TraceMessage.Direction
  public var kind: TraceMessage.Kind
  public var complex: Bool
  /// Where the record comes from: a copy the model made, or a line of a loaded file.
  public var origin: RecordOrigin = .live
  /// For a loaded record, its line in the file (from 1); 0 for a live one.
  public var line: UInt32 = 0

  public init(
    seq: UInt64?, time: UInt64, task: TaskIndex, thread: ThreadIndex?, direction: TraceMessage.Direction,
    kind: TraceMessage.Kind, retval: ReturnCode, code: ReturnCode?, msgid: Int32, routine: String, dest: UInt32,
    reply: UInt32, size: UInt32, complex: Bool, ool: Int32, rights: Int32, answers: UInt64?, bytes: [UInt8]
  ) {
    self.seq = seq
    self.answers = answers
    self.time = time
    self.routine = routine
    self.bytes = bytes
    self.task = task
    self.retval = retval
    self.msgid = msgid
    self.dest = dest
    self.reply = reply
    self.size = size
    self.ool = ool
    self.rights = rights
    self.threadIndex = thread ?? Int32.min
    self.code = code
    self.direction = direction
    self.kind = kind
    self.complex = complex
  }

  public var isKernelForm: Bool { kind != .normal }

  /// The `type` field: the copy's type, or "raw" for a line of a loaded file that is not a
  /// record (as an index into `TraceRecord.typeNames`).
  @inline(__always)
  public var typeIndex: Int { origin == .raw ? TraceRecord.rawTypeIndex : Int(kind.rawValue) }
  /// "raw"'s place in `typeNames`: a literal, so that reading `type` in a filter's loop touches
  /// no lazily made global.
  public static let rawTypeIndex = 5
  public var typeName: String { TraceRecord.typeNames[typeIndex] }
  /// The values of the `type` field: the copy types of the trace facility (T5), then "raw".
  public static let typeNames = TraceMessage.Kind.allCases.map(\.name) + ["raw"]  // raw at rawTypeIndex

  /// Whether the record is a request waiting for a reply: it names a reply port and is not a
  /// reply itself. A call in an rpctrace log names none that machsh can read, but its line
  /// says whether one was passed: a one-way message ends in `);`.
  public var expectsReply: Bool {
    guard answers == nil && code == nil else { return false }
    switch origin {
    case .rpctrace: return direction == .send && bytes.last != UInt8(ascii: ";")
    case .raw: return false
    case .live, .jsonl: return reply != 0
    }
  }

  /// The typed items of the body (a MIG reply's RetCode stays `body[0]`).
  public var body: [TraceItem] {
    guard let view = MessageView(bytes), case .success(let items) = view.items() else { return [] }
    return items.map(TraceItem.init)
  }
}

/// Where a record comes from (docs/trace.md, "Loading a trace").
public enum RecordOrigin: UInt8, Sendable {
  /// A copy the model made in this session.
  case live
  /// A record of a machsh JSON Lines export, with its message.
  case jsonl
  /// A call or reply of an rpctrace log; `bytes` holds its text as the log wrote it.
  case rpctrace
  /// A line of a loaded file that is not a record (a program's output, a truncated line);
  /// `bytes` holds it as it was.
  case raw
}

/// One typed item of a message body, decoded (docs/shell.md §11).
public struct TraceItem: Equatable, Sendable {
  /// "int32", "int64", "byte", "char", "string", "port", "port_name" or "ool".
  public var type: String
  public var number: Int
  public var value: TraceValue
  /// The item's `msgt_name` (a disposition in a send copy, a carried type after copy-in).
  public var msgtName: UInt32
  /// Bits per element (`msgt_size`).
  public var elementBits: UInt32

  public init(_ item: MessageItem) {
    let d = item.descriptor
    number = Int(d.number)
    msgtName = d.name
    elementBits = d.size
    if !d.isInline {
      type = "ool"
      value = .ool(address: item.words.first ?? 0, size: UInt32(clamping: d.inlineDataLength))
      return
    }
    switch d.name {
    case MsgType.integer64:
      type = "int64"
      var values: [Int64] = []
      for i in stride(from: 0, to: item.data.count - 7, by: 8) {
        values.append(Int64(item.data.word(at: i)) | Int64(item.data.word(at: i + 4)) << 32)
      }
      value = .ints(values)
    case MsgType.byte, MsgType.char:
      type = d.name == MsgType.byte ? "byte" : "char"
      value = .ints(item.data.map { Int64($0) })
    case MsgType.string:
      type = "string"
      value = .string(String(decoding: item.data.prefix { $0 != 0 }, as: UTF8.self))
    case MsgType.portName:
      type = "port_name"
      value = .ints(item.words.map { Int64($0) })
    case 16...21:
      type = "port"
      value = .ports(item.words, right: TraceItem.rightWord(d.name))
    default:
      type = "int32"
      value = .ints(item.words.map { Int64(Int32(bitPattern: $0)) })
    }
  }

  /// The right-kind word of a disposition or carried type (docs/language.md, Values).
  public static func rightWord(_ name: UInt32) -> String {
    switch name {
    case MsgType.moveReceive: return "receive"
    case MsgType.moveSendOnce, MsgType.makeSendOnce: return "send_once"
    default: return "send"
    }
  }

  /// The short disposition word of a `msgt_name` (docs/language.md, Values).
  public static func dispositionWord(_ name: UInt32) -> String {
    switch name {
    case MsgType.moveReceive: return "move_receive"
    case MsgType.moveSend: return "move_send"
    case MsgType.moveSendOnce: return "move_send_once"
    case MsgType.copySend: return "copy_send"
    case MsgType.makeSend: return "make_send"
    case MsgType.makeSendOnce: return "make_send_once"
    default: return "type\(name)"
    }
  }
}

/// The value of an item: scalars come as one-element lists.
public enum TraceValue: Equatable, Sendable {
  case ints([Int64])
  case string(String)
  case ports([PortName], right: String)
  case ool(address: UInt32, size: UInt32)
}

/// How tasks and threads are spelled: task names and `task.N` thread labels, read from the
/// model once (names never change after a task is named).
public struct TraceNames: Sendable {
  public var tasks: [String]
  public var threads: [String]
  /// Interfaces loaded from .defs files: the formats name the arguments of their routines.
  public var definitions = MigInterfaces()
  /// The tasks and threads of loaded records.
  public var loaded = LoadedNames()

  public init(_ kernel: Kernel) {
    tasks = kernel.tasks.map(\.name)
    var labels = [String](repeating: "?", count: kernel.threads.count)
    for task in kernel.tasks {
      for (i, t) in task.threads.enumerated() { labels[Int(t)] = "\(task.name).\(i + 1)" }
    }
    threads = labels
  }

  /// The file a loaded record came from.
  public func file(of r: TraceRecord) -> String { loaded.file(of: r.seq) }

  public func task(_ t: TaskIndex) -> String {
    if let name = loaded.task(t) { return name }
    return t >= 0 && Int(t) < tasks.count ? tasks[Int(t)] : "?"
  }
  public func thread(_ t: ThreadIndex?) -> String? {
    t.map { t in
      if let label = loaded.thread(t) { return label }
      return t >= 0 && Int(t) < threads.count ? threads[Int(t)] : "?"
    }
  }
}
