// What a MIG type declaration says about the bytes of a message item: its IPC type names,
// its element size, its shape (one value, a fixed or variable array), and whether it travels
// out of line. The C-side annotations (`ctype:`, `intran:` …) are kept as written.

/// MIG's IPC type names (`MACH_MSG_TYPE_…`, include/mach/message.h) and their default sizes.
public enum IPCTypeName {
  /// The MACH_MSG_TYPE_… names MIG knows: the name a sender writes, the name a receiver sees,
  /// and the default size in bits (0: the declaration must give one). As in MIG's lexer, the
  /// `PORT_…` names are polymorphic for the sender (the user stub takes the disposition as an
  /// extra argument, as `notifyPoly` in mach_port_request_notification's stub) and fix the
  /// right the receiver checks for; the dispositions name what a receiver gets.
  static let table: [String: (in: UInt32, out: UInt32, bits: Int)] = [
    "MACH_MSG_TYPE_UNSTRUCTURED": (0, 0, 0), "MACH_MSG_TYPE_BIT": (0, 0, 1), "MACH_MSG_TYPE_BOOLEAN": (0, 0, 32),
    "MACH_MSG_TYPE_INTEGER_16": (1, 1, 16), "MACH_MSG_TYPE_INTEGER_32": (2, 2, 32), "MACH_MSG_TYPE_CHAR": (8, 8, 8),
    "MACH_MSG_TYPE_BYTE": (9, 9, 8), "MACH_MSG_TYPE_INTEGER_8": (9, 9, 8), "MACH_MSG_TYPE_REAL": (10, 10, 0),
    "MACH_MSG_TYPE_INTEGER_64": (11, 11, 64), "MACH_MSG_TYPE_STRING": (12, 12, 0),
    "MACH_MSG_TYPE_STRING_C": (12, 12, 0), "MACH_MSG_TYPE_PORT_NAME": (15, 15, 32),
    "MACH_MSG_TYPE_MOVE_RECEIVE": (16, 16, 32), "MACH_MSG_TYPE_MOVE_SEND": (17, 17, 32),
    "MACH_MSG_TYPE_MOVE_SEND_ONCE": (18, 18, 32), "MACH_MSG_TYPE_COPY_SEND": (19, 17, 32),
    "MACH_MSG_TYPE_MAKE_SEND": (20, 17, 32), "MACH_MSG_TYPE_MAKE_SEND_ONCE": (21, 18, 32),
    "MACH_MSG_TYPE_PORT_RECEIVE": (polymorphic, 16, 32), "MACH_MSG_TYPE_PORT_SEND": (polymorphic, 17, 32),
    "MACH_MSG_TYPE_PORT_SEND_ONCE": (polymorphic, 18, 32),
    "MACH_MSG_TYPE_POLYMORPHIC": (polymorphic, polymorphic, 32),
  ]

  /// MACH_MSG_TYPE_POLYMORPHIC: the disposition is chosen per message.
  public static let polymorphic: UInt32 = 0xffff_ffff

  /// The type a right arrives as, for the disposition it is sent with
  /// (`MACH_MSG_TYPE_PORT_SEND` for COPY_SEND and MAKE_SEND, and so on).
  public static func carried(_ name: UInt32) -> UInt32 {
    switch name {
    case 19, 20: return 17
    case 21: return 18
    default: return name
    }
  }

  public static func isPort(_ name: UInt32) -> Bool { (16...21).contains(name) }
}

/// A type as MIG resolved it.
public struct MigTypeInfo: Equatable, Sendable {
  /// How many elements a value holds.
  public enum Shape: Equatable, Sendable {
    /// One element (of `elementBits`).
    case single
    /// Exactly `count` elements (`array[N] of`, `struct[N] of`, `c_string[N]`).
    case fixed(count: Int)
    /// Up to `max` elements, or any number (`array[] of`, `array[*:N] of`, `c_string[*:N]`).
    case variable(max: Int?)
  }

  /// The declared name (for an anonymous element type, its description).
  public var name: String
  /// The type name written in a request (for a right: the disposition it is sent with).
  public var inName: UInt32
  /// The type name a receiver sees (for a right: the right it carries).
  public var outName: UInt32
  /// Bits of one element.
  public var elementBits: Int
  public var shape: Shape
  /// `^`: the data travels out of line (MIG also sends an unbounded `array[]` out of line).
  public var isOutOfLine: Bool
  public var isStructure = false
  public var isCString = false
  /// A `struct { … }`'s field names, in order.
  public var fieldNames: [String] = []
  /// C-side annotations, as written.
  public var ctype: String? = nil
  public var cUserType: String? = nil
  public var cServerType: String? = nil
  public var inTranslation: String? = nil
  public var outTranslation: String? = nil
  public var destructor: String? = nil

  /// What a message item of the type looks like, without the C-side annotations: what a
  /// decoder checks an item against, cheap to pass around.
  public struct Layout: Equatable, Sendable {
    public var inName: UInt32
    public var outName: UInt32
    public var elementBits: Int
    public var shape: Shape
    public var isOutOfLine: Bool
  }

  public var layout: Layout {
    Layout(inName: inName, outName: outName, elementBits: elementBits, shape: shape, isOutOfLine: isOutOfLine)
  }

  public var isPolymorphic: Bool { inName == IPCTypeName.polymorphic }
  public var isPort: Bool { isPolymorphic || IPCTypeName.isPort(inName) }

  /// Elements in a value of a fixed shape; 1 for a single value; nil when variable.
  public var fixedCount: Int? {
    switch shape {
    case .single: return 1
    case .fixed(let n): return n
    case .variable: return nil
    }
  }

  /// A MIG basic type: `MACH_MSG_TYPE_…` (or a number), of `bits`.
  static func basic(_ name: String, in inName: UInt32, out outName: UInt32, bits: Int) -> MigTypeInfo {
    MigTypeInfo(
      name: name, inName: inName, outName: outName, elementBits: bits, shape: .single, isOutOfLine: false)
  }

  /// The C types MIG knows without a declaration.
  static let builtins: [String: MigTypeInfo] = [
    "char": .basic("char", in: 8, out: 8, bits: 8),
    "short": .basic("short", in: 1, out: 1, bits: 16),
    "int": .basic("int", in: 2, out: 2, bits: 32),
    "float": .basic("float", in: 10, out: 10, bits: 32),
    "double": .basic("double", in: 10, out: 10, bits: 64),
    "polymorphic": .basic("polymorphic", in: IPCTypeName.polymorphic, out: IPCTypeName.polymorphic, bits: 32),
  ]
}
