import Foundation
import MigDefs
import Testing

/// GNU Mach's own interface definitions, as Debian ships them (gnumach-dev, installed by
/// scripts/ensure-deps), read back against the ids MIG computed from them (gnumach-common's
/// gnumach.msgids, the table rpctrace reads).
struct GnuMachDefinitionsTests {
  static let includeRoot = LocalFileSystem.systemIncludeDirectories[1]
  static let msgidsPath = "/usr/share/msgids/gnumach.msgids"

  /// The .defs files of gnumach-dev that declare a subsystem (the others hold types for them
  /// to include), found under the multiarch include folder.
  static func definitionFiles() -> [String] {
    ["mach", "device", "mach_debug", "mach/machine"].flatMap { folder in
      LocalFileSystem().defsFiles(in: includeRoot + "/" + folder) ?? []
    }.filter { path in
      (LocalFileSystem().contents(of: path) ?? "").split(separator: "\n").contains { $0.hasPrefix("subsystem") }
    }
  }

  struct MsgidsLine: Equatable, CustomStringConvertible {
    var subsystem: String, base: Int32, name: String, number: Int, id: Int32, replyID: Int32
    var description: String { "\(subsystem) \(base) \(name) \(number) \(id) \(replyID)" }
  }

  static func msgids() throws -> [MsgidsLine] {
    let text = try String(contentsOfFile: msgidsPath, encoding: .utf8)
    return text.split(separator: "\n").compactMap { line in
      let f = line.split(separator: " ")
      guard f.count == 6, let base = Int32(f[1]), let number = Int(f[3]), let id = Int32(f[4]),
        let reply = Int32(f[5])
      else { return nil }
      return MsgidsLine(
        subsystem: String(f[0]), base: base, name: String(f[2]), number: number, id: id, replyID: reply)
    }
  }

  /// Every routine of every file, read as the kernel's server side and as its user side
  /// (MIG's KERNEL_SERVER and KERNEL_USER), and device_pager as GNU Mach's
  /// device/device_pager.srv makes it: memory_object.defs with its names renamed by #define.
  static func everyRoutine() throws -> [MigRoutine] {
    var routines: [MigRoutine] = []
    for mode in ["KERNEL_SERVER", "KERNEL_USER"] {
      for path in definitionFiles() {
        let file = try MigInterfaces.read(path, options: kernelBuild(mode))
        routines += file.routines
      }
    }
    let renames = [
      "memory_object": "device_pager", "memory_object_init": "device_pager_init_pager",
      "memory_object_terminate": "device_pager_terminate", "memory_object_copy": "device_pager_copy",
      "memory_object_data_request": "device_pager_data_request",
      "memory_object_data_unlock": "device_pager_data_unlock",
      "memory_object_lock_completed": "device_pager_lock_completed",
      "memory_object_supply_completed": "device_pager_supply_completed",
      "memory_object_data_return": "device_pager_data_return",
      "memory_object_change_completed": "device_pager_change_completed",
    ]
    let srv =
      "#define KERNEL_SERVER 1\n"
      + renames.sorted { $0.key < $1.key }.map { "#define \($0.key) \($0.value)\n" }.joined()
      + "#include <mach/memory_object.defs>\n"
    let files = InMemoryFileSystem(["device_pager.srv": srv])
    let pager = try MigInterfaces.read(
      "device_pager.srv", options: DefsOptions(fileSystem: MergedFileSystem(first: files, then: LocalFileSystem())))
    routines += pager.routines
    return routines
  }

  /// The macros GNU Mach's build hands MIG: the side, and the configuration's MACH_PCSAMPLE
  /// (mach4.defs declares the pc-sampling routines only with it).
  static func kernelBuild(_ mode: String) -> DefsOptions {
    DefsOptions(defines: [mode: "1", "MACH_PCSAMPLE": "1"])
  }

  @Test func theMsgidsTableListsWhatTheTestReads() throws {
    let lines = try Self.msgids()
    #expect(lines.count == 195, "gnumach.msgids has \(lines.count) routines")
    #expect(Self.definitionFiles().count >= 15)
  }

  /// Line for line: every routine MIG listed has, in the definitions as this reader reads them,
  /// the same subsystem, base, number, id and reply id (0 for a simpleroutine). The numbers
  /// count `skip`s, so a reader that missed one would be off from there on.
  @Test func everyRoutineHasTheIdMigGaveIt() throws {
    var read: [String: [MsgidsLine]] = [:]
    for r in try Self.everyRoutine() {
      let base = r.id - Int32(r.number)
      read[r.name, default: []].append(
        MsgidsLine(
          subsystem: r.subsystem, base: base, name: r.name, number: r.number, id: r.id, replyID: r.replyID ?? 0))
    }
    var checked = 0
    for line in try Self.msgids() {
      let candidates = read[line.name] ?? []
      #expect(candidates.contains(line), "\(line): read as \(candidates.map(\.description))")
      checked += 1
    }
    #expect(checked == 195)
  }

  /// Every file that declares a subsystem reads without error in both modes, and no two
  /// routines of one file share an id. Loaded together, files may not give one id two names:
  /// device_request.defs (the asynchronous side of device.defs, with the same ids) is refused,
  /// and what was loaded stays.
  @Test func everyFileLoadsButTwoNamesForOneIdAreRefused() throws {
    for mode in ["KERNEL_SERVER", "KERNEL_USER"] {
      var loaded = MigInterfaces()
      var refused: [String] = []
      for path in Self.definitionFiles() {
        let file = try MigInterfaces.read(path, options: Self.kernelBuild(mode))
        let ids = file.routines.map(\.id)
        #expect(Set(ids).count == ids.count, "\(path): repeated ids")
        do {
          try loaded.load(path, options: Self.kernelBuild(mode))
        } catch {
          refused.append((path as NSString).lastPathComponent)
          #expect(error.message.contains("which 'device_open'"), "\(error)")
          #expect(loaded.routinesByID[2800]?.name == "device_open")
        }
      }
      #expect(refused == ["device_request.defs"])
      #expect(loaded.routinesByName["mach_port_allocate"]?.id == 3204)
      #expect(loaded.routinesByName["exception_raise"]?.replyID == 2500)
      #expect(loaded.routinesByName["device_open_request"] == nil)
    }
  }
}

/// Files from `first`, else from `then`.
struct MergedFileSystem: DefsFileSystem {
  let first: any DefsFileSystem
  let then: any DefsFileSystem

  func contents(of path: String) -> String? { first.contents(of: path) ?? then.contents(of: path) }
  func defsFiles(in path: String) -> [String]? { first.defsFiles(in: path) ?? then.defsFiles(in: path) }
}
