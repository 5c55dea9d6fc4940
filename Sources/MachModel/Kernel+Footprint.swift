extension Kernel {
  /// About how many bytes of memory this kernel value holds: its tables at their element
  /// sizes, the names in each space, message buffers and memory regions. An estimate, for
  /// budgets (a copy of a kernel holds as much once both sides have changed).
  public var footprint: Int {
    var bytes = objects.count * MemoryLayout<Port>.stride + kmsgs.count * MemoryLayout<KMsg>.stride
    bytes += threads.count * MemoryLayout<KThread>.stride + tasks.count * MemoryLayout<KTask>.stride
    for t in tasks {
      bytes += t.space.count * 2 * MemoryLayout<Entry>.stride
      for r in t.map.regions { bytes += r.contents.count + MemoryLayout<VMMap.Region>.stride }
    }
    for t in threads { bytes += t.messageBuffer.count + t.traceSnapshot.count }
    for k in kmsgs { bytes += k.bytes.count }
    for line in console { bytes += line.utf8.count + 16 }
    return bytes
  }
}
