import MachModel

/// `help` and `explain` texts.
enum Help {
  static let commands: [(String, String)] = [
    ("spawn NAME [parent TASK]", "task_create + thread_create + thread_resume, from the shell; binds NAME"),
    ("thread TASK", "thread_create + thread_resume"),
    ("kill T | suspend T | resume T", "task_ or thread_terminate / _suspend / _resume (T a task or a thread)"),
    ("abort THREAD", "thread_abort: a blocked mach_msg ends INTERRUPTED, an exception wait ends"),
    ("setport TASK|THREAD SLOT PORTREF", "task/thread_set_special_port (kernel, exception, bootstrap, trace)"),
    ("getport TASK|THREAD SLOT", "task/thread_get_special_port into the shell's space"),
    ("allocate TASK [receive|portset|dead]", "mach_port_allocate, by a thread of the task"),
    ("insert TASK RIGHT PORTREF [name N]", "give TASK a right made from PORTREF (extract + insert)"),
    ("deallocate PORTREF | destroy PORTREF", "mach_port_deallocate / mach_port_destroy"),
    ("modrefs PORTREF RIGHT DELTA", "mach_port_mod_refs"),
    ("move PORTREF to PORTSET|none", "mach_port_move_member"),
    ("notify PORTREF no_senders|dead_name|port_destroyed to PORTREF [sync N]", "mach_port_request_notification"),
    ("qlimit PORTREF N", "mach_port_set_qlimit"),
    ("send PORTREF [id N] [reply PORTREF [RIGHT]] [body ITEM …] [timeout MS] [thread N]", "mach_msg send"),
    ("receive PORTREF [max BYTES] [large] [timeout MS] [thread N]", "mach_msg receive"),
    ("rpc ROUTINE(TARGET, ARG …) [timeout MS]", "a MIG RPC; the reply's fields are named by the routine"),
    ("raise THREAD EXC [code N] [subcode N]", "an exception: thread port, task port, then termination"),
    ("serve PORTREF [thread N] with echo|sink|exc_handler", "a server loop; or serve PORTREF { … } with msg bound"),
    ("trace TASK [to PORTREF] | untrace TASK", "set or clear the task's trace port"),
    ("trace show [where FILTER] [last N] [format F] | trace clear", "the trace buffer"),
    ("trace stats [where FILTER] [by FIELD]", "calls, errors, bytes and answered requests per routine"),
    ("trace export \"FILE\" [where FILTER] [format jsonl|rpctrace|mermaid|chrome]", "write the buffer (\"-\": standard output)"),
    ("filter FILTER | filter off", "show records live as they arrive"),
    ("watch FILTER [once] [ignore N] [do { … }]", "stop the model when a matching record arrives"),
    ("unwatch N|all | enable N | disable N | watches", "remove, switch or list watches"),
    ("continue | step [N]", "resume after a stop; or let N more records in, then stop"),
    ("info tasks | info task T | info threads T | info ports T | info port P | info queue P", "inspect the model"),
    ("console", "the kernel's console lines"),
    ("set output|color|kmsg_limit|echo|trace_limit VALUE", "settings"),
    ("advance MS | wait [r] | run", "let virtual time pass, or run to quiescence"),
    ("msgids load \"FILE\"", "routine names from a Hurd .msgids file"),
    ("help [TOPIC] | explain [CODE|last]", "this help; what a return code or the last record means"),
  ]

  static let topics: [String: String] = [
    "rights": """
      A port has one receive right (its owner receives its messages) and any number of send and
      send-once rights. A task names its rights with small integers: send and receive rights for
      one port share a name, each send-once right has its own. Rights travel in messages with a
      disposition: move_receive, move_send, move_send_once, copy_send, make_send, make_send_once.
      """,
    "messages": """
      A message is a 24-byte header (bits, size, remote port, local port, seqno, id) and typed
      items. On receive the header is swapped: remote is the reply port, local the port the
      message arrived on. A full queue (qlimit, default 5) blocks the sender unless it sends to a
      send-once right. `send … timeout MS` gives MACH_SEND_TIMED_OUT after MS of virtual time.
      `abort THREAD` (thread_abort) ends a blocked send with MACH_SEND_INTERRUPTED, the message
      handed back, and a blocked receive with MACH_RCV_INTERRUPTED.
      """,
    "trace": """
      `trace TASK` gives the task a trace port (special port 5) whose copies enter the trace
      buffer: every message it sends (before copy-in) and receives (after copy-out), requests to
      its task and thread ports from other tasks, and its exceptions. `trace show` prints them.
      """,
    "filters": """
      A filter is an expression over a record's fields, which shadow variables of the same name:
        seq time task thread dir type retval code msgid routine dest reply size complex ool
        rights answers body
      with == != < <= > >=, in [..], contains, matches (a regular expression, unanchored),
      and, or, not, and + - * / %. Constants stand for their numbers (MACH_SEND_TIMED_OUT).
      dir is "send" or "receive"; type is "normal", "task", "thread", "task_exception" or
      "thread_exception". code is a MIG reply's RetCode and nil otherwise: comparing nil with a
      number is false, so `code != 0` finds failing replies. Other variables are read once, when
      the filter's command runs. Filters serve trace show/stats/export, filter, watch, and the
      functions count(F), first(F) and records(F).
        trace show where retval != 0 and task == client
        trace stats where routine matches "^mach_port_" by task
      """,
    "watches": """
      A watch is a breakpoint on the trace stream: `watch FILTER` stops the model after the first
      record that matches ("watch N hit: RECORD"). The command that was running returns a pending
      handle if its own operation had not finished; at the prompt the rest of the line is dropped.
      `continue` resumes (an interrupted wait or advance goes on where it stopped); `step [N]`
      lets N more records in and stops again.
        watch code != 0                      stop on a failing MIG reply
        watch msgid == 1000 ignore 2 once    the third match only, then the watch is gone
        watch dir == "send" do { print msg }   run a block for each match; the model goes on
      In a do block, `msg` is the record and `stop` stops the model. A watch value has id, hits
      (every match, ignored or not) and enabled. `watches` lists them; `unwatch N|all`,
      `enable N`, `disable N` change them. See Examples/12-debugging-with-watches.msh.
      """,
  ]

  /// Other words users try for a topic.
  static let aliases = [
    "tracing": "trace", "right": "rights", "message": "messages", "filter": "filters", "watch": "watches",
    "breakpoints": "watches",
  ]

  static func text(_ topic: [String]) -> String {
    if topic.isEmpty {
      let width = 48
      return "Commands (help TOPIC for: \(topics.keys.sorted().joined(separator: ", "))):\n"
        + commands.map { usage, what in
          "  " + usage + (usage.count < width ? String(repeating: " ", count: width - usage.count) : "\n" + String(repeating: " ", count: width + 2)) + what
        }.joined(separator: "\n")
    }
    let word = topic.joined(separator: " ")
    if let text = topics[aliases[word] ?? word] { return text }
    let matching = commands.filter { $0.0.hasPrefix(word + " ") || $0.0 == word || $0.0.contains("| " + word + " ") }
    if !matching.isEmpty { return matching.map { "\($0.0)\n  \($0.1)" }.joined(separator: "\n") }
    return "no help for '\(word)'; try 'help'"
  }

  /// What each named return code means here: every code of `ReturnCodeNames` has a line
  /// (a test checks it), with the codes the model never produces saying so.
  static let meanings: [ReturnCode: String] = [
    MachMsgReturn.success: "the operation succeeded",
    MachMsgReturn.sendInProgress: "the send is blocked (a full queue, or no room on the trace port): the operation is pending",
    MachMsgReturn.sendInvalidData: "the send buffer could not be read (send size beyond the buffer)",
    MachMsgReturn.sendInvalidDest: "the destination name is not a send or send-once right in the sender's space, or names a dead port",
    MachMsgReturn.sendTimedOut: "the queue stayed full for the whole send timeout; the message was handed back",
    MachMsgReturn.sendWillNotify: "the queue was full: the message was queued anyway and a msg-accepted notification will follow",
    MachMsgReturn.sendNotifyInProgress: "a msg-accepted request is already pending for that destination",
    MachMsgReturn.sendInterrupted: "the blocked send was interrupted (thread_abort) and the message handed back; shortcut traps also answer it to make the stub send the real RPC",
    MachMsgReturn.sendMsgTooSmall: "the send size is below 24 bytes, not a multiple of 4, or the body runs past it",
    MachMsgReturn.sendInvalidReply: "the reply port is not a right the disposition can be made from",
    MachMsgReturn.sendInvalidRight: "a port right in the body could not be copied in; the message was destroyed",
    MachMsgReturn.sendInvalidNotify: "the notify name (MACH_SEND_NOTIFY on a full queue, or MACH_SEND_CANCEL) is not a receive right of the sender",
    MachMsgReturn.sendInvalidMemory: "an out-of-line region is not readable in the sender; the message was destroyed",
    MachMsgReturn.sendNoBuffer: "the kernel has no message buffer left (kmsg_limit)",
    MachMsgReturn.sendNoNotify: "the kernel could not allocate a msg-accepted request (never in this model: it has no such shortage)",
    MachMsgReturn.sendInvalidType: "a type descriptor is malformed; the message was destroyed",
    MachMsgReturn.sendInvalidHeader: "the header's dispositions are not send dispositions (MOVE_RECEIVE is not allowed there)",
    MachMsgReturn.rcvInProgress: "the receive is waiting for a message: the operation is pending",
    MachMsgReturn.rcvInvalidName: "the receive name is not a receive right or a port set",
    MachMsgReturn.rcvTimedOut: "no message arrived within the receive timeout",
    MachMsgReturn.rcvTooLarge: "the message is larger than the buffer: without MACH_RCV_LARGE it was dequeued and destroyed, with it it stays queued",
    MachMsgReturn.rcvInterrupted: "the blocked receive was interrupted (thread_abort); nothing was dequeued",
    MachMsgReturn.rcvPortChanged: "the port moved into a set while the thread was receiving on it",
    MachMsgReturn.rcvInvalidNotify: "MACH_RCV_NOTIFY without a receive right as notify: the message was dequeued and destroyed, only its header came back",
    MachMsgReturn.rcvInvalidData: "the receive buffer could not be written (never in this model: buffers are always writable)",
    MachMsgReturn.rcvPortDied: "the port (or set) died, or its receive right moved, while receiving; after raise: thread_abort ended the wait for the handler",
    MachMsgReturn.rcvInSet: "the port is in a port set: receive on the set",
    MachMsgReturn.rcvHeaderError: "a header right could not be copied out for lack of space (never in this model: names never run out)",
    MachMsgReturn.rcvBodyError: "part of the body could not be copied out for lack of space (never in this model)",
    KernReturn.invalidAddress: "the address range is not valid (not page-aligned, outside the map, or not allocated)",
    KernReturn.protectionFailure: "the memory does not allow that access",
    KernReturn.noSpace: "no room: the address range is taken, or the map is full",
    KernReturn.invalidName: "the name denotes no right in the task's space",
    KernReturn.invalidRight: "the name denotes a right of the wrong kind for this call",
    KernReturn.invalidValue: "an argument is out of range",
    KernReturn.invalidArgument: "an argument is invalid (a bad slot, a port of the wrong kind, too many ports, or a thread aborting itself)",
    KernReturn.invalidTask: "the target is not a live task",
    KernReturn.nameExists: "the name is already in use",
    KernReturn.rightExists: "the task already holds that port under another name",
    KernReturn.urefsOverflow: "the user reference count would pass 65535",
    KernReturn.invalidCapability: "the right given is null or dead",
    KernReturn.notInSet: "the port is not in a set",
    KernReturn.failure: "the operation failed (a dying task, or nothing to resume)",
    KernReturn.resourceShortage: "the kernel is out of a resource (here: the task or thread limit)",
    KernReturn.aborted: "the operation was aborted: thread_abort cannot stop a thread that waits for room on its trace port",
    KernReturn.terminated: "no exception handler accepted: the task was terminated",
    KernReturn.notReceiver: "the caller does not hold the receive right",
    KernReturn.noAccess: "access denied",
    KernReturn.memoryFailure: "the memory object failed",
    KernReturn.memoryError: "the memory object reported an error",
    KernReturn.invalidHost: "the host port is not valid",
    KernReturn.memoryPresent: "the memory is already present",
    KernReturn.writeProtectionFailure: "the memory is write-protected",
    KernReturn.timedOut: "the operation timed out",
    KernReturn.interrupted: "the operation was interrupted",
    MigReturn.typeError: "the reply's items do not have the types the routine returns",
    MigReturn.replyMismatch: "the reply was not the one expected",
    MigReturn.remoteError: "the server reported an error",
    MigReturn.badID: "the server has no routine with that message id",
    MigReturn.badArguments: "the request's arguments have the wrong types or sizes",
    MigReturn.noReply: "the server will answer later, or never (no reply now)",
    MigReturn.exception: "the server raised an exception",
    MigReturn.arrayTooLarge: "an array did not fit in the caller's buffer",
    MigReturn.serverDied: "the server destroyed the reply right without answering",
    MigReturn.destroyRequest: "the server asks for the request to be destroyed",
  ]

  static func explain(_ v: Value, session: Session, at: SourceLocation) throws -> String {
    if case .record(let r, let line) = v {
      let who = r.thread.map { session.label($0) } ?? session.kernel.tasks[Int(r.task)].name
      var s = "\(line)\n  \(who) \(r.direction == .send ? "sent" : "received") \(r.routine.isEmpty ? "message \(r.msgid)" : r.routine)"
      if r.kind != .normal { s += " (a \(r.kind.name) copy, in the kernel's form)" }
      s += "; mach_msg returned \(ReturnCodeNames.name(of: r.retval, fromMachMsg: true))"
      if let code = r.code { s += "; the reply's RetCode is \(ReturnCodeNames.name(of: code))" }
      if let a = r.answers { s += "; it answers record \(a)" }
      return s
    }
    guard let n = v.integer, let code = ReturnCode(exactly: n) else {
      throw ScriptError("explain needs a return code or a record", at: at)
    }
    var fromMachMsg = true
    if case .code(_, let m) = v { fromMachMsg = m }
    let name = ReturnCodeNames.name(of: code, fromMachMsg: fromMachMsg)
    return "\(name) (\(code < 0 ? String(code) : "0x" + String(code, radix: 16))): " + (meanings[code & ~0x3c00] ?? "no description")
  }
}
