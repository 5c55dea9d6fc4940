/// Pending timeouts, ordered by deadline and then by the order they were set, so that timers
/// due at the same instant fire in a fixed order.
struct TimerQueue: Sendable {
  struct Timer: Sendable {
    var deadline: UInt64
    var id: Int32
    var thread: ThreadIndex
  }
  private var heap: [Timer] = []
  private var nextID: Int32 = 0

  var isEmpty: Bool { heap.isEmpty }
  var earliest: Timer? { heap.first }

  /// Adds a timer and returns its id (ids grow, so they also order timers set at one instant).
  mutating func add(deadline: UInt64, thread: ThreadIndex) -> Int32 {
    nextID &+= 1
    heap.append(Timer(deadline: deadline, id: nextID, thread: thread))
    var i = heap.count - 1
    while i > 0 {
      let parent = (i - 1) / 2
      guard Self.less(heap[i], heap[parent]) else { break }
      heap.swapAt(i, parent)
      i = parent
    }
    return nextID
  }

  mutating func popEarliest() -> Timer? {
    guard !heap.isEmpty else { return nil }
    let top = heap[0]
    let last = heap.removeLast()
    if !heap.isEmpty {
      heap[0] = last
      var i = 0
      while true {
        let l = 2 * i + 1, r = l + 1
        var m = i
        if l < heap.count && Self.less(heap[l], heap[m]) { m = l }
        if r < heap.count && Self.less(heap[r], heap[m]) { m = r }
        if m == i { break }
        heap.swapAt(i, m)
        i = m
      }
    }
    return top
  }

  /// Drops the timers `keep` rejects (cancelled ones), keeping the order of the rest.
  mutating func compact(keep: (Timer) -> Bool) {
    heap = heap.filter(keep).sorted(by: Self.less)  // a sorted array is a valid heap
  }

  var count: Int { heap.count }

  private static func less(_ a: Timer, _ b: Timer) -> Bool {
    a.deadline != b.deadline ? a.deadline < b.deadline : a.id < b.id
  }
}
