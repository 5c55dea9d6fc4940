import MachModel

/// The tasks and threads that loaded records name, which the model does not have. Each name
/// gets an index below any the model uses (-3, -4, …; -1 and -2 mean no task and the kernel
/// in `TraceEntry.peer`), so that a record keeps one field for either kind and the filters
/// compare it as they compare a live task. The same name in two loads is the same index.
public struct LoadedNames: Sendable, Equatable {
  public private(set) var tasks: [String] = []
  public private(set) var threads: [String] = []
  /// The files loaded, each with the first `seq` its records took, in order.
  public private(set) var files: [(first: UInt64, path: String)] = []
  private var taskIndex: [String: TaskIndex] = [:]
  private var threadIndex: [String: ThreadIndex] = [:]

  /// The index of the first loaded name.
  public static let first: Int32 = -3

  public init() {}

  public static func == (a: LoadedNames, b: LoadedNames) -> Bool {
    a.tasks == b.tasks && a.threads == b.threads && a.files.elementsEqual(b.files) { $0 == $1 }
  }

  /// Notes that the records from `first` on come from `path`.
  public mutating func noteFile(_ path: String, first: UInt64) { files.append((first, path)) }

  /// The file a loaded record came from.
  public func file(of seq: UInt64?) -> String {
    guard let seq else { return "?" }
    return files.last { $0.first <= seq }?.path ?? "?"
  }

  public static func isLoaded(_ index: Int32) -> Bool { index <= first }

  private static func index(_ position: Int) -> Int32 { first - Int32(position) }
  private static func position(_ index: Int32) -> Int { Int(first - index) }

  /// The index of task `name`, added if it is new.
  public mutating func task(named name: String) -> TaskIndex {
    if let t = taskIndex[name] { return t }
    let t = Self.index(tasks.count)
    tasks.append(name)
    taskIndex[name] = t
    return t
  }

  /// The index of thread `label`, added if it is new.
  public mutating func thread(named label: String) -> ThreadIndex {
    if let t = threadIndex[label] { return t }
    let t = Self.index(threads.count)
    threads.append(label)
    threadIndex[label] = t
    return t
  }

  public func taskIndex(of name: String) -> TaskIndex? { taskIndex[name] }
  public func threadIndex(of label: String) -> ThreadIndex? { threadIndex[label] }

  /// The name of a loaded task; nil for an index the model uses.
  public func task(_ t: TaskIndex) -> String? {
    guard Self.isLoaded(t), Self.position(t) < tasks.count else { return nil }
    return tasks[Self.position(t)]
  }

  public func thread(_ t: ThreadIndex) -> String? {
    guard Self.isLoaded(t), Self.position(t) < threads.count else { return nil }
    return threads[Self.position(t)]
  }
}
