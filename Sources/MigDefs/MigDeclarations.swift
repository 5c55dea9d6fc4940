// What a .defs file declares: its subsystem, its routines and their arguments.

/// `subsystem [KernelUser] [KernelServer] NAME BASE;`
public struct MigSubsystem: Equatable, Sendable {
  public var name: String
  /// The id of the subsystem's first routine.
  public var base: Int32
  public var isKernelUser: Bool
  public var isKernelServer: Bool
  public var serverPrefix: String
  public var userPrefix: String
  /// `import`, `uimport` and `simport` file names, as written.
  public var imports: [String]
  public var location: DefsLocation
}

/// How an argument travels (MIG's argument kinds).
public enum MigDirection: String, Equatable, Sendable, CaseIterable {
  case `in`, out, `inout`
  /// The request's destination (a routine's first argument unless another is marked).
  case requestPort = "requestport"
  /// The reply port, seen by both stubs; `sreplyport` and `ureplyport` are each one side's.
  case replyPort = "replyport"
  case serverReplyPort = "sreplyport"
  case userReplyPort = "ureplyport"
  /// The stub's timeout, its mach_msg options, the request's sequence number: not body items.
  case waitTime = "waittime"
  case messageOption = "msgoption"
  case messageSeqno = "msgseqno"

  /// Whether the argument is an item of the request's body.
  public var isInRequestBody: Bool { self == .in || self == .inout }
  /// Whether the argument is an item of the reply's body.
  public var isInReplyBody: Bool { self == .out || self == .inout }
}

public struct MigParameter: Equatable, Sendable {
  public var name: String
  public var direction: MigDirection
  /// Whether the declaration wrote the kind (else MIG's default gave it).
  public var isDirectionWritten: Bool
  public var type: MigTypeInfo
  /// The name the declaration used for the type.
  public var typeName: String
  /// IPC flags after the type, lowercased (`dealloc`, `servercopy`, `countinout` …).
  public var flags: [String]
  public var location: DefsLocation
}

/// A routine as declared. A class: a routine is looked up for every message decoded by its
/// declaration, and shared, never copied.
public final class MigRoutine: Equatable, Sendable {
  public enum Kind: String, Equatable, Sendable {
    case routine, simpleroutine, procedure, simpleprocedure, function
    /// Whether a reply comes back.
    public var hasReply: Bool { self != .simpleroutine && self != .simpleprocedure }
  }

  public let name: String
  public let kind: Kind
  public let subsystem: String
  /// The routine's place in its subsystem (every routine and `skip` counts).
  public let number: Int
  /// The request's msgh_id: the subsystem's base plus `number`.
  public let id: Int32
  public let arguments: [MigParameter]
  public let location: DefsLocation

  public init(
    name: String, kind: Kind, subsystem: String, number: Int, id: Int32, arguments: [MigParameter],
    location: DefsLocation
  ) {
    self.name = name
    self.kind = kind
    self.subsystem = subsystem
    self.number = number
    self.id = id
    self.arguments = arguments
    self.location = location
  }

  public static func == (a: MigRoutine, b: MigRoutine) -> Bool {
    a === b
      || (a.name == b.name && a.kind == b.kind && a.subsystem == b.subsystem && a.number == b.number && a.id == b.id
        && a.arguments == b.arguments && a.location == b.location)
  }

  /// The reply's msgh_id (id + 100), or nil for a simple routine.
  public var replyID: Int32? { kind.hasReply ? id + 100 : nil }

  /// The routine's declaration as MIG reads it, one argument per line: kinds where the file
  /// wrote them, the type's name, the IPC flags.
  public var signature: String {
    let args = arguments.map { a in
      "\t" + (a.isDirectionWritten ? a.direction.rawValue + " " : "") + "\(a.name) : \(a.typeName)"
        + a.flags.map { ", \($0)" }.joined()
    }
    return "\(kind.rawValue) \(name)(" + (args.isEmpty ? "" : "\n" + args.joined(separator: ";\n")) + ");"
  }
}

/// Everything one .defs file declares.
public struct MigFile: Equatable, Sendable {
  public var path: String
  /// nil for a file of type declarations only (std_types.defs).
  public var subsystem: MigSubsystem?
  public var routines: [MigRoutine]
  /// `skip`s, by number, for completeness of the numbering.
  public var skippedNumbers: [Int]
  public var types: [String: MigTypeInfo]
}
