import MachModel
import MachTrace
import MigDefs

/// Where trace copies become records (docs/trace.md, "The trace buffer"): the decoder with the
/// one routine-name table, the ring buffer, the live display filter and the watches. It takes
/// records in and says what to show; running a watch's do block and stopping the model are
/// the session's.
struct TraceIntake {
  private(set) var buffer = TraceBuffer()
  private var decoder = TraceDecoder()
  /// The live display filter (`filter F`); `filter off` sets `liveOff`. With neither, records
  /// show live at the prompt only (docs/shell.md §1).
  private var liveFilter: Filter? = nil
  private var liveOff = false
  private(set) var watches: [Watch] = []
  private var nextWatchID = 1

  /// The message ids the shell knows: built in, plus loaded `.msgids` and `.defs` files.
  var msgids: MsgIdTable { decoder.msgids }
  /// The interfaces loaded from `.defs` files: they name and type the arguments of their
  /// routines' messages.
  private(set) var definitions = MigInterfaces()
  /// The tasks, threads and files of loaded records.
  private(set) var loaded = LoadedNames()

  /// What live records' `seq` adds to the kernel's count of copies.
  var seqOffset: UInt64 { decoder.seqOffset }

  /// Reads a loaded file's records, numbered after the last record the session has seen
  /// (`kernelSeq`, the kernel's count of copies, less the numbers loads took before), and
  /// numbers the copies the kernel makes next after them. The records are returned to be
  /// taken in like live ones (watches fire on them).
  mutating func load(
    _ text: UnsafeBufferPointer<UInt8>, path: String, format: TraceLoadFormat?, kernelSeq: UInt64
  )
    -> TraceLoad
  {
    let after = kernelSeq + decoder.seqOffset
    var names = loaded
    let load = TraceLoad(text, format: format, after: after, msgids: decoder.msgids, names: &names)
    if let first = load.records.first?.seq { names.noteFile(path, first: first) }
    loaded = names
    decoder.seqOffset = load.lastSeq - kernelSeq
    return load
  }

  /// Loads a `.defs` file, or every `.defs` file of a folder, and names their ids. A file that
  /// fails loads nothing (files of the folder before it stay loaded).
  mutating func loadDefinitions(
    _ path: String, options: DefsOptions
  ) throws(DefsError)
    -> (files: [MigFile], collisions: [String])
  {
    let files: [MigFile]
    var failure: DefsError? = nil
    if options.fileSystem.defsFiles(in: path) != nil {
      (files, failure) = definitions.loadFolder(path, options: options)
    } else {
      files = [try definitions.load(path, options: options)]
    }
    var collisions: [String] = []
    for file in files where !file.routines.isEmpty {
      collisions += decoder.msgids.add(file).collisions
    }
    if !files.isEmpty {
      let table = decoder.msgids
      buffer.rename { r in
        // A loaded record keeps the name its file gave it.
        r.origin != .live ? r.routine : table.name(of: r.msgid, servedByKernel: r.kind == .task || r.kind == .thread)
      }
    }
    if let failure { throw failure }
    return (files, collisions)
  }

  mutating func loadMsgids(_ text: String, file: String) -> Result<MsgIdTable.LoadReport, MsgIdTable.FormatError> {
    let result = decoder.msgids.load(text, file: file)
    if case .success = result {
      let table = decoder.msgids
      buffer.rename { r in
        // A loaded record keeps the name its file gave it.
        r.origin != .live ? r.routine : table.name(of: r.msgid, servedByKernel: r.kind == .task || r.kind == .thread)
      }
    }
    return result
  }

  /// Decodes the copies that reached the shell's trace ports, in `seq` order.
  mutating func decode(_ log: TraceLog) -> [TraceRecord] { decoder.records(log) }

  /// Decodes one trace message a task received (`decode(msg)`).
  func decode(
    traceMessage bytes: [UInt8], resolve: (PortName) -> (task: TaskIndex?, thread: ThreadIndex?)
  ) -> Result<TraceRecord, TraceDecodeError> {
    decoder.decode(traceMessage: bytes, resolve: resolve)
  }

  /// Appends `record` to the buffer and says whether to show it live: when the live filter
  /// passes it, or with no filter at the prompt (`showAll`) unless `filter off`. A filter that
  /// fails on a record goes, and its error comes back to be reported.
  mutating func admit(_ record: TraceRecord, showAll: Bool) -> (show: Bool, error: ScriptError?) {
    buffer.append(record)
    guard let filter = liveFilter else { return (showAll && !liveOff, nil) }
    do {
      return (try filter.test(record), nil)
    } catch {
      liveFilter = nil
      liveOff = true
      guard let e = error as? ScriptError else { return (false, nil) }
      return (false, ScriptError("\(e.message) (in the live filter, now off)", at: e.location))
    }
  }

  /// Whether a record taken in could show live or fire a watch: when not, a batch of loaded
  /// records can go into the buffer at once (`admitAll`).
  var examinesRecords: Bool { liveFilter != nil || !watches.isEmpty }

  /// Appends records no filter or watch examines.
  mutating func admitAll(_ records: [TraceRecord]) { buffer.append(contentsOf: records) }

  /// `filter F`, or `filter off` with nil.
  mutating func setLiveFilter(_ filter: Filter?) {
    liveFilter = filter
    liveOff = filter == nil
  }

  mutating func clear() { buffer.removeAll() }

  /// Forgets the records after `seq` (a change made in the past discards them), and numbers
  /// the next ones after it.
  mutating func dropRecords(after seq: UInt64) { buffer.removeRecords(after: seq) }

  mutating func setLimit(_ n: Int) { buffer.setLimit(n) }

  mutating func setByteLimit(_ n: Int) { buffer.setByteLimit(n) }

  // MARK: - Watches

  mutating func addWatch(
    _ filter: Filter, text: String, once: Bool, ignore: Int, block: [Stmt]?, at location: SourceLocation
  ) -> Watch {
    let w = Watch(
      id: nextWatchID, filter: filter, text: text, once: once, ignore: ignore, block: block, location: location)
    nextWatchID += 1
    watches.append(w)
    return w
  }

  /// The enabled watches, to match a record against in order (a do block may change them).
  var activeWatches: [Watch] { watches.filter { $0.enabled && !$0.removed } }

  /// Drops removed watches from the list.
  mutating func sweep() { watches.removeAll { $0.removed } }

  mutating func removeAll() {
    for w in watches { w.remove() }
    watches.removeAll()
  }

  mutating func remove(_ w: Watch) {
    w.remove()
    watches.removeAll { $0 === w }
  }
}
