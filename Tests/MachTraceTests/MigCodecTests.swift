import MachModel
import MachTrace
import MigDefs
import Testing

/// Requests built from GNU Mach's real definitions (gnumach-dev) against the model's own MIG
/// encoding, and messages read back by name.
struct MigCodecTests {
  static let interfaces: MigInterfaces = {
    var loaded = MigInterfaces()
    let root = LocalFileSystem.systemIncludeDirectories[1]
    for file in ["mach/mach.defs", "mach/mach_port.defs", "mach/exc.defs", "device/device.defs"] {
      _ = try? loaded.load(root + "/" + file, options: DefsOptions(defines: ["MACH_PCSAMPLE": "1"]))
    }
    return loaded
  }()

  /// One value per argument of a built-in routine, in both encoders' forms.
  static func sample(_ type: MigType, _ i: Int) -> (MigValue, MigInput) {
    switch type {
    case .int32, .boolean: return (.int(Int32(7 + i)), .ints([Int64(7 + i)]))
    case .portName: return (.name(UInt32(5 + i)), .names([UInt32(5 + i)]))
    case .port(let d): return (.port(UInt32(9 + i), disposition: d), .rights([UInt32(9 + i)], disposition: d))
    case .polyPort:
      return (
        .port(UInt32(9 + i), disposition: MsgType.makeSend), .rights([UInt32(9 + i)], disposition: MsgType.makeSend)
      )
    case .structure(let fields):
      let v = (0..<fields.count).map { Int32($0 + i) }
      return (.ints(v), .ints(v.map(Int64.init)))
    case .outOfLinePorts:
      return (
        .outOfLinePorts(address: 0x20000, count: 2, disposition: MsgType.copySend),
        .rights([3, 4], disposition: MsgType.copySend)
      )
    case .outOfLineNames, .outOfLineInts:
      return (.int(0), .ints([0]))  // no built-in routine takes these in a request
    }
  }

  @Test func requestsFromTheRealDefinitionsAreTheModelsOwn() throws {
    #expect(Self.interfaces.routinesByName.count > 70)
    for builtin in RoutineTable.served {
      let routine = try #require(Self.interfaces.routinesByName[builtin.name], "\(builtin.name)")
      let samples = builtin.inputs.enumerated().map { Self.sample($1.type, $0) }
      let expected = Mig.request(builtin, target: 1, reply: 2, arguments: samples.map(\.0))
      var placed: [[UInt8]] = []
      let built = MigCodec.request(routine, target: 1, reply: 2, arguments: samples.map(\.1)) { data in
        placed.append(data)
        return 0x20000
      }
      #expect(try built.get() == expected.get(), "\(builtin.name)")
      // Read back by name, as the trace decoder and a served routine read it.
      let decoded = MigCodec.decode(try built.get(), as: routine, reply: false)
      #expect(decoded.mismatch == nil, "\(builtin.name): \(decoded.mismatch ?? "")")
      #expect(decoded.arguments.map(\.name) == builtin.inputs.map(\.name), "\(builtin.name)")
    }
  }

  @Test func aBodyThatDoesNotMatchIsReadAsFarAsItMatches() throws {
    let routine = try #require(Self.interfaces.routinesByName["mach_port_get_refs"])
    // name, right: an int where the port name goes second.
    var m = MessageBuilder(remote: 1, remoteDisposition: MsgType.copySend, id: routine.id)
    m.word(MsgType.portName, 5)
    m.word(MsgType.portName, 6)
    let decoded = MigCodec.decode(m.finish(), as: routine, reply: false)
    #expect(decoded.arguments.map(\.name) == ["name"])
    #expect(decoded.mismatch == "'right' should be an integer, not port_name")
    #expect(decoded.raw.count == 1)
  }

  @Test func repliesCarryTheirRetCodeFirst() throws {
    let routine = try #require(Self.interfaces.routinesByName["mach_port_allocate"])
    var ok = MessageBuilder(remote: 2, remoteDisposition: MsgType.moveSendOnce, id: routine.id + 100)
    ok.int32([0])
    ok.word(MsgType.portName, 0x107)
    let decoded = MigCodec.decode(ok.finish(), as: routine, reply: true)
    #expect(decoded.retCode == 0)
    #expect(decoded["name"]?.value == .ints([0x107]))
    var error = MessageBuilder(remote: 2, remoteDisposition: MsgType.moveSendOnce, id: routine.id + 100)
    error.int32([KernReturn.invalidValue])
    let failed = MigCodec.decode(error.finish(), as: routine, reply: true)
    #expect(failed.retCode == KernReturn.invalidValue)
    #expect(failed.arguments.isEmpty && failed.mismatch == nil)
  }

  @Test(arguments: [
    ("mach_port_allocate", [MigInput.names([1])], "is an integer"),
    ("mach_port_allocate", [MigInput.ints([Int64(1) << 40])], "takes 32-bit values"),
    ("mach_port_insert_right", [MigInput.names([1]), .rights([2], disposition: nil)], "is polymorphic"),
    (
      "mach_port_request_notification", [.names([1]), .ints([1]), .ints([0]), .rights([2], disposition: 20)],
      "carries send_once, not send"
    ),
  ])
  func badValuesAreRefusedByArgument(routine name: String, values: [MigInput], message: String) throws {
    let routine = try #require(Self.interfaces.routinesByName[name])
    let count = routine.arguments.filter(\.direction.isInRequestBody).count
    let padded = values + Array(repeating: MigInput.ints([0]), count: max(0, count - values.count))
    guard
      case .failure(let error) = MigCodec.request(
        routine, target: 1, reply: 2, arguments: padded, placeOutOfLine: { _ in 0 })
    else {
      Issue.record("\(name): no error")
      return
    }
    #expect(error.message.contains(message), "\(error.message)")
  }

  @Test func stringsAndByteArraysAsDeviceDefsDeclaresThem() throws {
    let open = try #require(Self.interfaces.routinesByName["device_open"])
    let built = try MigCodec.request(
      open, target: 1, reply: 2, arguments: [.ints([3]), .string("hd0")], placeOutOfLine: { _ in nil }
    ).get()
    let decoded = MigCodec.decode(built, as: open, reply: false)
    #expect(decoded.mismatch == nil)
    #expect(decoded["name"]?.value == .string("hd0"))
    #expect(decoded["name"]?.number == 128)  // dev_name_t: (STRING_C, 8*128), 128 8-bit elements
    let write = try #require(Self.interfaces.routinesByName["device_write_inband"])
    let w = try MigCodec.request(
      write, target: 1, reply: 2, arguments: [.ints([0]), .ints([512]), .bytes([1, 2, 3])], placeOutOfLine: { _ in nil }
    ).get()
    #expect(MigCodec.decode(w, as: write, reply: false)["data"]?.value == .ints([1, 2, 3]))
  }
}
