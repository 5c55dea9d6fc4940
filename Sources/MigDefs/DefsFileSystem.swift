import Foundation

/// Where the reader finds files: the real file system, or a table of texts in tests.
public protocol DefsFileSystem: Sendable {
  /// The text of the regular file at `path`, or nil when there is none (or it is not text).
  func contents(of path: String) -> String?
  /// The `.defs` files directly in the folder at `path`, sorted; nil when it is not a folder.
  func defsFiles(in path: String) -> [String]?
}

/// The machine's files.
public struct LocalFileSystem: DefsFileSystem {
  public init() {}

  /// The most a .defs file may hold.
  public static let maxFileBytes = 16 << 20

  /// Only a regular file of at most `maxFileBytes` with no NUL byte is read: never a device or
  /// a FIFO, which could block for ever.
  public func contents(of path: String) -> String? {
    guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
      attributes[.type] as? FileAttributeType == .typeRegular,
      (attributes[.size] as? NSNumber)?.intValue ?? Int.max <= Self.maxFileBytes,
      let data = FileManager.default.contents(atPath: path),
      data.withUnsafeBytes({ $0.isEmpty || memchr($0.baseAddress!, 0, $0.count) == nil })  // no NUL: text
    else { return nil }
    return String(decoding: data, as: UTF8.self)
  }

  public func defsFiles(in path: String) -> [String]? {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue,
      let names = try? FileManager.default.contentsOfDirectory(atPath: path)
    else { return nil }
    return names.filter { $0.hasSuffix(".defs") }.sorted().map { (path as NSString).appendingPathComponent($0) }
  }

  /// The folders MIG's preprocessor searches for `#include <…>` on this machine: the local,
  /// the multiarch (`/usr/include/x86_64-linux-gnu` here, where Debian puts gnumach-dev's
  /// definitions) and the plain system include folders.
  public static var systemIncludeDirectories: [String] {
    var machine = utsname()
    uname(&machine)
    let arch = withUnsafeBytes(of: &machine.machine) { raw in
      String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
    }
    return ["/usr/local/include", "/usr/include/\(arch)-linux-gnu", "/usr/include"]
  }
}

/// Texts by path, for tests and for the built-in files.
public struct InMemoryFileSystem: DefsFileSystem {
  public var files: [String: String]

  public init(_ files: [String: String]) { self.files = files }

  public func contents(of path: String) -> String? { files[path] }

  public func defsFiles(in path: String) -> [String]? {
    let prefix = path.hasSuffix("/") ? path : path + "/"
    let inside = files.keys.filter { $0.hasPrefix(prefix) && !$0.dropFirst(prefix.count).contains("/") }
    return inside.isEmpty ? nil : inside.filter { $0.hasSuffix(".defs") }.sorted()
  }
}
