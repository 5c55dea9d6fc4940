import TestSupport
import Testing

@testable import MachModel

/// The reverse map (port → name, `ipc_hash_lookup`'s table) answers as a dictionary would,
/// whatever the order of insertions, replacements and removals: backward-shift deletion must
/// keep every remaining port reachable from its home slot.
@Suite struct PortNameMapTests {
  @Test func agreesWithADictionaryOverRandomOperations() {
    var rng = SplitMix64(state: 0x5eed)
    for round in 0..<20 {
      var map = PortNameMap()
      var model: [ObjectIndex: PortName] = [:]
      // Few distinct ports per round, so that runs collide, wrap around and shift often.
      let ports = ObjectIndex(8 + 40 * round)
      for _ in 0..<4000 {
        let port = ObjectIndex.random(in: 0..<ports, using: &rng)
        if Bool.random(using: &rng) {
          let name = PortName.random(in: 1...0xffff, using: &rng)
          map[port] = name
          model[port] = name
        } else {
          map[port] = nil
          model[port] = nil
        }
        #expect(map.count == model.count)
      }
      for port in 0..<ports + 8 { #expect(map[port] == model[port], "round \(round), port \(port)") }
    }
  }

  @Test func anEmptyMapKnowsNothing() {
    var map = PortNameMap()
    #expect(map[0] == nil && map.count == 0)
    map[7] = nil  // removing from an empty map is allowed and changes nothing
    #expect(map.count == 0)
  }

  @Test func aCopyKeepsItsOwnEntries() {
    var map = PortNameMap()
    for p in 0..<100 { map[ObjectIndex(p)] = PortName(p + 1) }
    var copy = map
    copy[5] = nil
    copy[200] = 9
    #expect(map[5] == 6 && map[200] == nil && map.count == 100)
    #expect(copy[5] == nil && copy[200] == 9 && copy.count == 100)
  }
}
