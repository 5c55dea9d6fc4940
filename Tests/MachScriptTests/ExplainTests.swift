import MachModel
import Testing

@testable import MachScript

/// `explain` (docs/language.md, Commands): every return code GNU Mach names has a meaning.
@Suite struct ExplainTests {
  @Test func everyNamedCodeHasAMeaning() {
    for (name, code) in ReturnCodeNames.machMsg + ReturnCodeNames.kern + ReturnCodeNames.mig {
      #expect(Explain.meanings[code] != nil, "\(name)")
    }
  }
}
