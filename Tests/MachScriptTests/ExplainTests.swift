@testable import MachScript
import MachModel
import Testing

/// `explain` (language.md §5): every return code GNU Mach names has a meaning.
@Suite struct ExplainTests {
  @Test func everyNamedCodeHasAMeaning() {
    for (name, code) in ReturnCodeNames.machMsg + ReturnCodeNames.kern + ReturnCodeNames.mig {
      #expect(Explain.meanings[code] != nil, "\(name)")
    }
  }
}
