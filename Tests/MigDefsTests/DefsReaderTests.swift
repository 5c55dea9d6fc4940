import MigDefs
import Testing

/// The preprocessor and the grammar on small files written for the test.
struct DefsReaderTests {
  static let header = """
    subsystem test 5000;
    type int32_t = MACH_MSG_TYPE_INTEGER_32;
    type mach_port_t = MACH_MSG_TYPE_COPY_SEND;

    """

  static func read(
    _ text: String, defines: [String: String] = [:], extra: [String: String] = [:]
  ) throws(DefsError)
    -> MigFile
  {
    var files = extra
    files["t.defs"] = text
    return try MigInterfaces.read(
      "t.defs",
      options: DefsOptions(systemDirectories: ["sys"], defines: defines, fileSystem: InMemoryFileSystem(files)))
  }

  static func error(_ text: String, defines: [String: String] = [:], extra: [String: String] = [:]) -> String {
    do {
      _ = try read(text, defines: defines, extra: extra)
      return "no error"
    } catch {
      return error.description
    }
  }

  @Test func routinesAreNumberedFromTheBaseAndSkipsCount() throws {
    let file = try Self.read(
      Self.header + """
        routine first(target : mach_port_t; out value : int32_t);
        skip;
        simpleroutine third(target : mach_port_t; in value : int32_t);
        """)
    #expect(file.subsystem?.base == 5000)
    #expect(file.routines.map(\.id) == [5000, 5002])
    #expect(file.routines.map(\.replyID) == [5100, nil])
    #expect(file.skippedNumbers == [1])
    #expect(file.routines[0].arguments.map(\.direction) == [.requestPort, .out])
    #expect(file.routines[1].arguments.map(\.direction) == [.requestPort, .in])
  }

  /// MIG's rule (routine.c, rtDefaultArgKind): the first argument without a kind is the request
  /// port; an explicit `requestport` elsewhere takes its place, and the rest default to `in`.
  @Test func argumentKindsDefaultAsMigDefaultsThem() throws {
    let file = try Self.read(
      Self.header + """
        routine r(value : int32_t; requestport target : mach_port_t; sreplyport reply : mach_port_t;
                  msgseqno seqno : int32_t; waittime t : int32_t; inout both : int32_t);
        """)
    #expect(
      file.routines[0].arguments.map(\.direction) == [
        .in, .requestPort, .serverReplyPort, .messageSeqno, .waitTime, .inout,
      ])
  }

  @Test func typesAndTheirShapes() throws {
    let file = try Self.read(
      Self.header + """
        type bytes_t = array[*:128] of char;
        type ool_t = ^array[] of MACH_MSG_TYPE_BYTE ctype: vm_offset_t;
        type unbounded_t = array[] of int32_t;
        type pair_t = struct[2] of int32_t;
        type pairs_t = array[*:16] of pair_t;
        type fixed_t = array[3] of pair_t;
        type name_t = c_string[*:64];
        type str_t = (MACH_MSG_TYPE_STRING_C, 8*128);
        type status_t = struct { int32_t a; int32_t b; int32_t c; };
        type poly_t = MACH_MSG_TYPE_MAKE_SEND_ONCE | polymorphic;
        type task_t = mach_port_t ctype: mach_port_t
          intran: task_t convert_port_to_task(mach_port_t)
          outtran: mach_port_t convert_task_to_port(task_t)
          destructor: task_deallocate(task_t);
        """)
    let t = file.types
    #expect(t["bytes_t"]?.shape == .variable(max: 128))
    #expect(t["bytes_t"]?.elementBits == 8)
    #expect(t["ool_t"]?.isOutOfLine == true)
    #expect(t["ool_t"]?.ctype == "vm_offset_t")
    #expect(t["unbounded_t"]?.isOutOfLine == true)
    #expect(t["pair_t"]?.shape == .fixed(count: 2))
    #expect(t["pairs_t"]?.shape == .variable(max: 32))
    #expect(t["fixed_t"]?.shape == .fixed(count: 6))
    #expect(t["name_t"]?.isCString == true)
    #expect(t["name_t"]?.shape == .variable(max: 64))
    #expect(t["str_t"]?.elementBits == 8)
    #expect(t["str_t"]?.shape == .fixed(count: 128))
    #expect(t["status_t"]?.shape == .fixed(count: 3))
    #expect(t["status_t"]?.fieldNames == ["a", "b", "c"])
    #expect(t["poly_t"]?.inName == 21)
    #expect(t["poly_t"]?.outName == IPCTypeName.polymorphic)
    #expect(t["mach_port_t"]?.inName == 19)
    #expect(t["mach_port_t"]?.outName == 17)
    #expect(t["task_t"]?.inTranslation == "convert_port_to_task")
    #expect(t["task_t"]?.destructor == "task_deallocate")
  }

  /// GNU MIG's lexer (lexer.l) gives each MACH_MSG_TYPE_ name an in and an out number: the
  /// PORT_ names are polymorphic for the sender and fix the right the receiver checks (hence
  /// `notifyPoly` in mach_port_request_notification's user stub); a disposition names what it
  /// sends and the right it becomes.
  @Test func lexer_portNamesArePolymorphicForTheSenderAndFixTheRight() throws {
    let file = try Self.read(
      Self.header + """
        type once_t = MACH_MSG_TYPE_PORT_SEND_ONCE;
        type send_t = MACH_MSG_TYPE_PORT_SEND;
        type receive_t = MACH_MSG_TYPE_PORT_RECEIVE;
        type make_t = MACH_MSG_TYPE_MAKE_SEND;
        type explicit_t = (MACH_MSG_TYPE_PORT_SEND_ONCE, 32);
        """)
    let t = file.types
    for (name, out) in [("once_t", 18), ("send_t", 17), ("receive_t", 16), ("explicit_t", 18)] {
      #expect(t[name]?.inName == IPCTypeName.polymorphic, "\(name)")
      #expect(t[name]?.outName == UInt32(out), "\(name)")
    }
    #expect(t["make_t"]?.inName == 20)
    #expect(t["make_t"]?.outName == 17)
  }

  @Test func thePreprocessorIncludesDefinesAndChooses() throws {
    let file = try Self.read(
      """
      #include "types.defs"
      #define BASE 6000
      #define NAME renamed
      subsystem s BASE;
      #if defined(KERNEL_SERVER) && !KERNEL_USER
      routine NAME(target : mach_port_t);
      #elif 2 * 3 == 6
      routine other(target : mach_port_t);
      #else
      routine never(target : mach_port_t);
      #endif
      #ifndef MISSING
      /* a comment
         over lines */ routine after(target : mach_port_t); // and one to the end
      #endif
      #undef NAME
      #ifdef NAME
      routine never2(target : mach_port_t);
      #endif
      """, defines: ["KERNEL_SERVER": "1"],
      extra: [
        "sys/types.defs": "#include <inner.defs>\n", "sys/inner.defs": "type mach_port_t = MACH_MSG_TYPE_COPY_SEND;\n",
      ])
    #expect(file.subsystem?.base == 6000)
    #expect(file.routines.map(\.name) == ["renamed", "after"])
    #expect(file.routines.map(\.id) == [6000, 6001])
    #expect(file.routines[1].location.line == 14)
  }

  /// The model is i386: machine_types.defs is the built-in one, whatever the machine's says.
  @Test func machineTypesAreI386() throws {
    let file = try Self.read(
      """
      type uint32_t = MACH_MSG_TYPE_INTEGER_32;
      type int32_t = MACH_MSG_TYPE_INTEGER_32;
      type uint64_t = MACH_MSG_TYPE_INTEGER_64;
      #include <mach/machine/machine_types.defs>
      subsystem s 1;
      """,
      extra: ["sys/mach/machine/machine_types.defs": "type natural_t = MACH_MSG_TYPE_INTEGER_64;\n"])
    #expect(file.types["natural_t"]?.elementBits == 32)
    #expect(file.types["rpc_long_natural_t"]?.elementBits == 32)
    #expect(file.types["rpc_phys_addr_t"]?.elementBits == 64)
  }

  @Test(arguments: [
    (
      "subsystem s 1;\nroutine r(x : nosuch_t);\n",
      "t.defs:2:15: error: unknown type 'nosuch_t'\nroutine r(x : nosuch_t);\n              ^"
    ),
    (
      "subsystem s 1;\ntype t = int;\nroutine r(x : t) \n",
      "t.defs:3:17: error: expected ';' after ')' at the end of the file\nroutine r(x : t) \n                ^"
    ),
    ("routine r(x : int);\n", "t.defs:1:1: error: 'routine' before the subsystem statement\nroutine r(x : int);\n^"),
    (
      "#include <missing.defs>\n",
      "t.defs:1:2: error: cannot find include file 'missing.defs'\n#include <missing.defs>\n ^"
    ),
    ("#if 1\nsubsystem s 1;\n", "t.defs:1:2: error: #if without #endif\n#if 1\n ^"),
    ("#endif\n", "t.defs:1:2: error: #endif without #if\n#endif\n ^"),
    ("#if (1\n#endif\n", "t.defs:1:6: error: expected ')' in #if\n#if (1\n     ^"),
    (
      "subsystem s 1;\nroutine r(x : int);\nroutine r(y : int);\n",
      "t.defs:3:9: error: routine 'r' is already declared at line 2\nroutine r(y : int);\n        ^"
    ),
    (
      "subsystem s 1;\nroutine r(x : int, bogus);\n",
      "t.defs:2:20: error: unknown IPC flag 'bogus'\nroutine r(x : int, bogus);\n                   ^"
    ),
    (
      "subsystem s 1;\nsubsystem t 2;\n",
      "t.defs:2:1: error: a second subsystem (the first is 's' at line 1)\nsubsystem t 2;\n^"
    ),
    (
      "subsystem s 1;\ntype x = array[*:4] of array[] of int;\n",
      "t.defs:2:10: error: an array of a variable-size type\ntype x = array[*:4] of array[] of int;\n         ^"
    ),
    ("subsystem s 1;\n@\n", "t.defs:2:1: error: unexpected character '@'\n@\n^"),
    ("#error stop here\n", "t.defs:1:2: error: #error stop here\n#error stop here\n ^"),
  ])
  func badInputIsAPositionedError(source: String, expected: String) {
    #expect(Self.error(source) == expected)
  }

  /// A file that includes itself stops at cpp's depth limit instead of recursing forever.
  @Test func selfInclusionIsAnErrorNotAHang() {
    #expect(Self.error("#include \"t.defs\"\n").contains("error: #include nested too deeply"))
  }

  @Test func aMissingFileIsAnError() {
    #expect(throws: DefsError.self) {
      try MigInterfaces.read("nowhere.defs", options: DefsOptions(fileSystem: InMemoryFileSystem([:])))
    }
  }

  @Test func aFailedLoadKeepsWhatWasLoaded() throws {
    let fs = InMemoryFileSystem([
      "a.defs": "subsystem a 7000;\ntype p = MACH_MSG_TYPE_COPY_SEND;\nroutine one(t : p);\n",
      "b.defs": "subsystem b 7000;\ntype p = MACH_MSG_TYPE_COPY_SEND;\nroutine two(t : p);\nroutine three(t : p);\n",
      "c.defs": "subsystem c 7001;\ntype p = MACH_MSG_TYPE_COPY_SEND;\nroutine four(t : p) oops\n",
    ])
    var loaded = MigInterfaces()
    try loaded.load("a.defs", options: DefsOptions(fileSystem: fs))
    #expect(throws: DefsError.self) { try loaded.load("b.defs", options: DefsOptions(fileSystem: fs)) }
    #expect(throws: DefsError.self) { try loaded.load("c.defs", options: DefsOptions(fileSystem: fs)) }
    #expect(loaded.routinesByID.mapValues(\.name) == [7000: "one"])
    #expect(loaded.subsystems.map(\.name) == ["a"])
    #expect(loaded.routine(id: 7100)?.isReply == true)
    #expect(loaded.routine(id: Int32.min) == nil)  // no trap 100 below the smallest id
  }
}
