// The interfaces loaded so far: every routine by id and by name, as rpctrace's msgids tables
// name them, but typed. Each file is read on its own, as MIG reads it; a file that fails
// leaves what was loaded before as it was.

/// How to read .defs files: include folders, macros, and where files come from.
public struct DefsOptions: Sendable {
  /// `-I` folders, searched before the system's.
  public var includeDirectories: [String]
  public var systemDirectories: [String]
  /// `-D` macros; `KERNEL_USER` and `KERNEL_SERVER` are off unless set here.
  public var defines: [String: String]
  public var fileSystem: any DefsFileSystem

  public init(
    includeDirectories: [String] = [], systemDirectories: [String] = LocalFileSystem.systemIncludeDirectories,
    defines: [String: String] = [:], fileSystem: any DefsFileSystem = LocalFileSystem()
  ) {
    self.includeDirectories = includeDirectories
    self.systemDirectories = systemDirectories
    self.defines = defines
    self.fileSystem = fileSystem
  }
}

public struct MigInterfaces: Sendable {
  public private(set) var files: [MigFile] = []
  public private(set) var routinesByID: [Int32: MigRoutine] = [:]
  public private(set) var routinesByName: [String: MigRoutine] = [:]
  private var byMessageID: [Int32: (MigRoutine, Bool)] = [:]

  public init() {}

  /// Subsystems loaded, in the order they were loaded.
  public var subsystems: [MigSubsystem] { files.compactMap(\.subsystem) }

  /// Reads one .defs file (preprocessed with `options`) without loading it.
  public static func read(_ path: String, options: DefsOptions = DefsOptions()) throws(DefsError) -> MigFile {
    var cpp = DefsPreprocessor(
      includeDirectories: options.includeDirectories, systemDirectories: options.systemDirectories,
      fileSystem: options.fileSystem, defines: options.defines)
    let tokens = try cpp.tokens(ofFile: path)
    var parser = DefsParser(tokens: tokens, path: path) { [cpp] in cpp.sourceLine(at: $0) }
    return try parser.parseFile()
  }

  /// Reads `path` and adds its routines. A routine whose id another loaded routine of another
  /// name already has is an error, and so is any error of the file: then nothing of it is
  /// added. Loading a file again (or a routine of the same name and id) replaces it.
  @discardableResult
  public mutating func load(_ path: String, options: DefsOptions = DefsOptions()) throws(DefsError) -> MigFile {
    let file = try Self.read(path, options: options)
    try add(
      file,
      sourceLine: { location in
        (options.fileSystem.contents(of: location.file) ?? "").split(separator: "\n", omittingEmptySubsequences: false)
          .dropFirst(location.line - 1).first.map(String.init) ?? ""
      })
    return file
  }

  /// Loads every `.defs` file directly in the folder `path`, in name order. The first error
  /// stops the load and comes back with the files loaded before it, which stay loaded.
  public mutating func loadFolder(
    _ path: String, options: DefsOptions = DefsOptions()
  ) -> (
    files: [MigFile], error: DefsError?
  ) {
    guard let paths = options.fileSystem.defsFiles(in: path) else {
      return ([], DefsError("'\(path)' is not a folder", at: DefsLocation(file: path, line: 1, column: 1)))
    }
    var loaded: [MigFile] = []
    for p in paths {
      do {
        loaded.append(try load(p, options: options))
      } catch {
        return (loaded, error)
      }
    }
    return (loaded, nil)
  }

  private mutating func add(_ file: MigFile, sourceLine: (DefsLocation) -> String) throws(DefsError) {
    for r in file.routines {
      if let other = routinesByID[r.id], other.name != r.name {
        throw DefsError(
          "routine '\(r.name)' has id \(r.id), which '\(other.name)' (\(other.location.file):\(other.location.line)) "
            + "already has", at: r.location, sourceLine: sourceLine(r.location))
      }
    }
    files.removeAll { $0.path == file.path }
    files.append(file)
    for r in file.routines {
      routinesByID[r.id] = r
      routinesByName[r.name] = r
    }
    // Every message id at once: a request's id, else 100 above a routine's (a request id
    // wins over a reply id, as `routine(id:)` has always read them).
    var byMessage: [Int32: (MigRoutine, Bool)] = [:]
    for r in routinesByID.values {
      if let reply = r.replyID, routinesByID[reply] == nil { byMessage[reply] = (r, true) }
      byMessage[r.id] = (r, false)
    }
    byMessageID = byMessage
  }

  /// The routine whose request (or, with `isReply`, reply) has msgh_id `id`: one lookup, as
  /// every traced message of a loaded routine asks.
  public func routine(id: Int32) -> (routine: MigRoutine, isReply: Bool)? {
    guard let (r, isReply) = byMessageID[id] else { return nil }
    return (r, isReply)
  }

}
