import Glibc
import MachScript

/// The few operating-system calls machsh needs, on Glibc directly: importing Foundation would
/// load its ICU data at every start (about 15 ms here), for nothing machsh uses.
enum SystemIO {
  /// Writes all of `text` to `fd`, retrying short writes and EINTR; gives up silently on other
  /// errors (a closed pipe must not stop the session).
  static func write(_ text: String, to fd: Int32) {
    var text = text
    text.withUTF8 { buffer in
      var offset = 0
      while offset < buffer.count {
        let n = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
        if n > 0 {
          offset += n
        } else if n < 0 && errno == EINTR {
          continue
        } else {
          return
        }
      }
    }
  }

  /// The bytes readable from `fd` until end of file, as UTF-8 text (invalid bytes replaced);
  /// nil past `limit` bytes (`/dev/zero` never ends).
  static func readAll(_ fd: Int32, limit: Int) -> String? {
    readAllBytes(fd, limit: limit).map { String(decoding: $0, as: UTF8.self) }
  }

  /// The bytes of a regular file for `trace load`, at most `maxTraceFileBytes`; or why not.
  static func readBytes(_ path: String) -> Result<[UInt8], FileProblem> {
    readFileBytes(path, regularOnly: true, limit: maxTraceFileBytes, what: "a trace")
  }

  /// The bytes of the file at `path`, at most `limit`; or why not. With `regularOnly`
  /// anything but a regular file is refused; otherwise a pipe or a device is read too, up to
  /// the limit, but never a folder. `what` names what the limit is for.
  static func readFileBytes(
    _ path: String, regularOnly: Bool, limit: Int, what: String
  ) -> Result<
    [UInt8], FileProblem
  > {
    guard !path.utf8.contains(0) else { return .failure(FileProblem("the name holds a NUL byte")) }
    // Opening a FIFO without O_NONBLOCK waits for a writer; a refused one must not.
    let fd = open(path, O_RDONLY | O_CLOEXEC | (regularOnly ? O_NONBLOCK : 0))
    guard fd >= 0 else { return .failure(FileProblem(String(cString: strerror(errno)))) }
    defer { close(fd) }
    var info = stat()
    guard fstat(fd, &info) == 0 else { return .failure(FileProblem(String(cString: strerror(errno)))) }
    let kind = info.st_mode & S_IFMT
    guard kind != S_IFDIR else { return .failure(FileProblem("a folder, not a file")) }
    guard kind == S_IFREG || !regularOnly else { return .failure(FileProblem("not a regular file")) }
    let tooLarge = FileProblem("larger than the \(limit >> 20) MB limit for \(what)")
    guard info.st_size <= limit, let bytes = readAllBytes(fd, limit: limit, expected: Int(info.st_size)) else {
      return .failure(tooLarge)
    }
    return .success(bytes)
  }

  static func readAllBytes(_ fd: Int32, limit: Int, expected: Int = 0) -> [UInt8]? {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(expected + 1)
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
      let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
      if n > 0 {
        bytes.append(contentsOf: chunk[0..<n])
        if bytes.count > limit { return nil }
      } else if n < 0 && errno == EINTR {
        continue
      } else {
        break
      }
    }
    return bytes
  }

  /// The text of the file at `path`, at most `maxScriptBytes` long; or why not. With
  /// `regularOnly` (what `source` and `msgids load` read) anything but a regular file is
  /// refused; otherwise (the script named on the command line) a pipe or a device is read too,
  /// up to the same limit, but never a folder.
  static func readFile(_ path: String, regularOnly: Bool) -> Result<String, FileProblem> {
    readFileBytes(path, regularOnly: regularOnly, limit: maxScriptBytes, what: "a script").map {
      String(decoding: $0, as: UTF8.self)
    }
  }

  /// A file for `trace export`: written under a temporary name beside `path`, renamed into
  /// place on `commit`, removed on `abandon`.
  final class TemporaryFile: ExportFile {
    let path: String
    let temporary: String
    private var fd: Int32
    private var pending: [UInt8] = []

    init(path: String) throws {
      self.path = path
      let slash = path.lastIndex(of: "/").map { path.index(after: $0) } ?? path.startIndex
      temporary = String(path[..<slash]) + "." + String(path[slash...]) + ".machsh-\(getpid()).tmp"
      fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
      guard fd >= 0 else { throw FileProblem(String(cString: strerror(errno))) }
    }

    deinit { if fd >= 0 { abandon() } }

    func write(_ text: String) throws {
      pending.append(contentsOf: text.utf8)
      if pending.count >= 1 << 16 { try flush() }
    }

    private func flush() throws {
      var offset = 0
      while offset < pending.count {
        let n = pending.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
        if n < 0 {
          if errno == EINTR { continue }
          throw FileProblem(String(cString: strerror(errno)))
        }
        offset += n
      }
      pending.removeAll(keepingCapacity: true)
    }

    func commit() throws {
      try flush()
      guard close(fd) == 0 else {
        fd = -1
        throw FileProblem(String(cString: strerror(errno)))
      }
      fd = -1
      guard rename(temporary, path) == 0 else {
        let problem = FileProblem(String(cString: strerror(errno)))
        unlink(temporary)
        throw problem
      }
    }

    func abandon() {
      if fd >= 0 { close(fd) }
      fd = -1
      unlink(temporary)
    }
  }

  static func createFile(_ path: String) -> Result<any ExportFile, FileProblem> {
    do {
      return .success(try TemporaryFile(path: path))
    } catch let problem as FileProblem {
      return .failure(problem)
    } catch {
      return .failure(FileProblem("\(error)"))
    }
  }

  /// The entries of a folder, without `.` and `..`, folders with a trailing "/"; nil when
  /// `path` is not a folder that can be read.
  static func listDirectory(_ path: String) -> [String]? {
    guard let dir = opendir(path) else { return nil }
    defer { closedir(dir) }
    let folder = path.hasSuffix("/") ? path : path + "/"
    var names: [String] = []
    while let entry = readdir(dir) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
        String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
      }
      guard name != "." && name != ".." else { continue }
      var info = stat()
      let isFolder = stat(folder + name, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
      names.append(isFolder ? name + "/" : name)
    }
    return names.sorted()
  }

  /// The `*.msgids` files of a folder, sorted by name; nil when `path` is not a folder.
  static func msgidsFiles(in path: String) -> [String]? {
    guard let names = listDirectory(path) else { return nil }
    let folder = path.hasSuffix("/") ? path : path + "/"
    return names.filter { $0.hasSuffix(".msgids") && !$0.hasPrefix(".") }.map { folder + $0 }
  }

  static func environment(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }
}
