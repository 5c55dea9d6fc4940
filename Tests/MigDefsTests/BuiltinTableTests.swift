import MachModel
import MigDefs
import Testing

/// The kernel's built-in routine table (MachModel's RoutineTable) against GNU Mach's real
/// definitions: where they differ, the real file is right and the table is the bug.
struct BuiltinTableTests {
  static func realRoutines() throws -> [String: MigRoutine] {
    var byName: [String: MigRoutine] = [:]
    for path in GnuMachDefinitionsTests.definitionFiles() {
      let file = try MigInterfaces.read(path, options: GnuMachDefinitionsTests.kernelBuild("KERNEL_SERVER"))
      for r in file.routines { byName[r.name] = r }
    }
    return byName
  }

  /// How the table's type for an argument reads as a MIG type: the IPC name a request writes,
  /// the shape, and whether it travels out of line.
  static func matches(_ builtin: MigType, _ real: MigTypeInfo) -> Bool {
    switch builtin {
    case .int32: return real.shape == .single && real.inName == 2 && real.elementBits == 32 && !real.isOutOfLine
    case .boolean: return real.shape == .single && real.inName == 0 && real.elementBits == 32
    case .portName: return real.shape == .single && real.inName == 15 && !real.isOutOfLine
    case .port(let d):
      // The table's disposition is the one its stubs send; for a type MIG leaves polymorphic
      // to the sender (MACH_MSG_TYPE_PORT_SEND_ONCE …) it must give the right the type fixes.
      return real.shape == .single
        && (real.inName == d || real.isPolymorphic && real.outName == IPCTypeName.carried(d))
    case .polyPort: return real.shape == .single && real.isPolymorphic && real.outName == IPCTypeName.polymorphic
    case .structure(let fields):
      return real.shape == .fixed(count: fields.count) && real.inName == 2 && !real.isOutOfLine
        && (real.fieldNames.isEmpty || real.fieldNames == fields)
    case .outOfLineNames: return real.isOutOfLine && real.inName == 15 && real.shape == .variable(max: nil)
    case .outOfLineInts: return real.isOutOfLine && real.inName == 2 && real.shape == .variable(max: nil)
    case .outOfLinePorts: return real.isOutOfLine && real.isPort && real.shape == .variable(max: nil)
    }
  }

  @Test func everyBuiltinRoutineIsAsGnuMachDeclaresIt() throws {
    let real = try Self.realRoutines()
    for builtin in RoutineTable.served {
      guard let r = real[builtin.name] else {
        Issue.record("\(builtin.name): not in GNU Mach's definitions")
        continue
      }
      #expect(r.id == builtin.id, "\(builtin.name): id")
      #expect(r.replyID == builtin.replyID, "\(builtin.name): reply id")
      #expect(r.subsystem == builtin.subsystem, "\(builtin.name): subsystem")
      let target = r.arguments.first { $0.direction == .requestPort }
      #expect(target?.name == builtin.targetName, "\(builtin.name): target argument")
      let body = r.arguments.filter { $0.direction.isInRequestBody || $0.direction.isInReplyBody }
      #expect(body.map(\.name) == builtin.arguments.map(\.name), "\(builtin.name): argument names")
      for (a, b) in zip(body, builtin.arguments) {
        let direction: MachModel.MigArgument.Direction =
          a.direction == .in ? .input : a.direction == .out ? .output : .inout_
        #expect(direction == b.direction, "\(builtin.name).\(a.name): direction")
        #expect(Self.matches(b.type, a.type), "\(builtin.name).\(a.name): \(b.type) vs \(a.typeName) = \(a.type)")
      }
    }
  }
}
