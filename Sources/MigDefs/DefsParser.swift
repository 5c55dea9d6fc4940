// MIG's grammar over preprocessed tokens (GNU MIG's parser.y): statements `subsystem`,
// `type`, `routine`/`simpleroutine` (and the old `procedure`, `simpleprocedure`, `function`),
// `skip`, `import`/`uimport`/`simport`, `serverprefix`, `userprefix`, `serverdemux`,
// `waittime`/`nowaittime`, `msgoption`, `error`, `rcsid`. Keywords are case-insensitive, as in
// MIG's lexer.

struct DefsParser {
  let tokens: [DefsToken]
  let sourceLine: (DefsLocation) -> String
  let path: String
  var position = 0
  var types = MigTypeInfo.builtins
  var subsystem: MigSubsystem?
  var routines: [MigRoutine] = []
  var skipped: [Int] = []
  var nextNumber = 0

  init(tokens: [DefsToken], path: String, sourceLine: @escaping (DefsLocation) -> String) {
    self.tokens = tokens
    self.path = path
    self.sourceLine = sourceLine
  }

  mutating func parseFile() throws(DefsError) -> MigFile {
    while position < tokens.count {
      try statement()
    }
    return MigFile(path: path, subsystem: subsystem, routines: routines, skippedNumbers: skipped, types: types)
  }

  // MARK: - Statements

  private mutating func statement() throws(DefsError) {
    let t = tokens[position]
    if t.isPunctuation(";") {
      position += 1
      return
    }
    guard t.kind == .identifier else { throw error("expected a statement, found '\(t.text)'", at: t) }
    let keyword = t.text.lowercased()
    switch keyword {
    case "subsystem": try subsystemStatement()
    case "type":
      position += 1
      let name = try identifier("a type name")
      try expect("=")
      var info = try transTypeSpec()
      info.name = name.text
      types[name.text] = info
      try expect(";")
    case "routine", "simpleroutine", "procedure", "simpleprocedure", "function":
      try routineStatement(MigRoutine.Kind(rawValue: keyword)!)
    case "skip":
      position += 1
      try requireSubsystem(t)
      skipped.append(nextNumber)
      nextNumber += 1
      try expect(";")
    case "import", "uimport", "simport":
      position += 1
      let name = try fileName()
      subsystem?.imports.append(name)
      try expect(";")
    case "serverprefix", "userprefix", "serverdemux", "error", "msgoption", "waittime":
      position += 1
      guard position < tokens.count, tokens[position].kind != .punctuation else {
        throw error("'\(t.text)' needs a name", at: tokens[min(position, tokens.count - 1)])
      }
      let value = tokens[position].text
      position += 1
      if keyword == "serverprefix" { subsystem?.serverPrefix = value }
      if keyword == "userprefix" { subsystem?.userPrefix = value }
      try expect(";")
    case "nowaittime":
      position += 1
      try expect(";")
    case "rcsid":
      position += 1
      guard position < tokens.count, tokens[position].kind == .string else {
        throw error("rcsid needs a string", at: tokens[min(position, tokens.count - 1)])
      }
      position += 1
      try expect(";")
    default:
      throw error("expected a statement, found '\(t.text)'", at: t)
    }
  }

  private mutating func subsystemStatement() throws(DefsError) {
    let keyword = tokens[position]
    position += 1
    if let previous = subsystem {
      throw error(
        "a second subsystem (the first is '\(previous.name)' at line \(previous.location.line))", at: keyword)
    }
    var kernelUser = false
    var kernelServer = false
    while position < tokens.count, tokens[position].kind == .identifier {
      let word = tokens[position].text.lowercased()
      if word == "kerneluser" {
        kernelUser = true
      } else if word == "kernelserver" {
        kernelServer = true
      } else {
        break
      }
      position += 1
    }
    let name = try identifier("a subsystem name")
    let base = try integerExpression()
    guard let base32 = Int32(exactly: base) else { throw error("subsystem base \(base) is out of range", at: name) }
    try expect(";")
    subsystem = MigSubsystem(
      name: name.text, base: base32, isKernelUser: kernelUser, isKernelServer: kernelServer, serverPrefix: "",
      userPrefix: "", imports: [], location: keyword.location)
  }

  private mutating func routineStatement(_ kind: MigRoutine.Kind) throws(DefsError) {
    let keyword = tokens[position]
    position += 1
    try requireSubsystem(keyword)
    let name = try identifier("a routine name")
    if let previous = routines.first(where: { $0.name == name.text }) {
      throw error("routine '\(name.text)' is already declared at line \(previous.location.line)", at: name)
    }
    try expect("(")
    var arguments: [MigParameter] = []
    if !peek(")") {
      repeat {
        arguments.append(try argument(first: arguments.isEmpty))
      } while accept(";") && !peek(")")
    }
    try expect(")")
    if kind == .function, accept(":") { _ = try identifier("a return type") }
    try expect(";")
    // MIG's default kinds (routine.c, rtDefaultArgKind): the first argument with none is the
    // request port, the others are `in`.
    if !arguments.contains(where: { $0.direction == .requestPort }),
      let first = arguments.firstIndex(where: { !$0.isDirectionWritten })
    {
      arguments[first].direction = .requestPort
    }
    guard arguments.contains(where: { $0.direction == .requestPort }) else {
      throw error("routine '\(name.text)' has no request port argument", at: name)
    }
    let s = subsystem!
    let id = Int64(s.base) + Int64(nextNumber)
    guard let id32 = Int32(exactly: id), kind.hasReply ? Int32(exactly: id + 100) != nil : true else {
      throw error("routine '\(name.text)' has an id out of range", at: name)
    }
    routines.append(
      MigRoutine(
        name: name.text, kind: kind, subsystem: s.name, number: nextNumber, id: id32, arguments: arguments,
        location: keyword.location))
    nextNumber += 1
  }

  private mutating func argument(first: Bool) throws(DefsError) -> MigParameter {
    var direction: MigDirection? = nil
    if position + 1 < tokens.count, tokens[position].kind == .identifier, tokens[position + 1].kind == .identifier,
      let d = MigDirection(rawValue: tokens[position].text.lowercased())
    {
      direction = d
      position += 1
    }
    let name = try identifier("an argument name")
    try expect(":")
    let typeToken = try identifier("a type name")
    var info: MigTypeInfo
    var typeName = typeToken.text
    if accept("=") {  // an argument may declare its type in place: `x : name = spec`
      info = try transTypeSpec()
      info.name = typeToken.text  // for this argument only: MIG inserts types at `type` alone
    } else {
      guard let known = types[typeToken.text] else {
        throw error("unknown type '\(typeToken.text)'", at: typeToken)
      }
      info = known
      typeName = typeToken.text
    }
    let flags = try ipcFlags()
    return MigParameter(
      name: name.text, direction: direction ?? .in, isDirectionWritten: direction != nil, type: info,
      typeName: typeName, flags: flags, location: name.location)
  }

  /// `, dealloc`, `, dealloc[]`, `, servercopy`, `, countinout`, `, islong`, `, isnotlong`,
  /// `, notdealloc`, `, auto`, `, const`.
  private mutating func ipcFlags() throws(DefsError) -> [String] {
    var flags: [String] = []
    while accept(",") {
      let word = try identifier("an IPC flag")
      let flag = word.text.lowercased()
      guard
        ["dealloc", "servercopy", "countinout", "islong", "isnotlong", "notdealloc", "auto", "const"]
          .contains(flag)
      else { throw error("unknown IPC flag '\(word.text)'", at: word) }
      if flag == "dealloc", accept("[") {
        try expect("]")
        flags.append("dealloc[]")
      } else {
        flags.append(flag)
      }
    }
    return flags
  }

  // MARK: - Types

  /// A type spec followed by any of `ctype:`, `cusertype:`, `cservertype:`, `intran:`,
  /// `outtran:`, `destructor:`, `intranpayload:`.
  private mutating func transTypeSpec() throws(DefsError) -> MigTypeInfo {
    var info = try typeSpec()
    while position + 1 < tokens.count, tokens[position].kind == .identifier, tokens[position + 1].isPunctuation(":") {
      let word = tokens[position]
      position += 2
      switch word.text.lowercased() {
      case "ctype": info.ctype = try identifier("a C type").text
      case "cusertype": info.cUserType = try identifier("a C type").text
      case "cservertype": info.cServerType = try identifier("a C type").text
      case "intran":  // intran: TYPE FUNCTION(TYPE)
        _ = try identifier("a C type")
        info.inTranslation = try identifier("a function").text
        try expect("(")
        _ = try identifier("a C type")
        try expect(")")
      case "outtran":
        _ = try identifier("a C type")
        info.outTranslation = try identifier("a function").text
        try expect("(")
        _ = try identifier("a C type")
        try expect(")")
      case "destructor":  // destructor: FUNCTION(TYPE)
        info.destructor = try identifier("a function").text
        try expect("(")
        _ = try identifier("a C type")
        try expect(")")
      case "intranpayload":  // intranpayload: TYPE FUNCTION
        _ = try identifier("a C type")
        _ = try identifier("a function")
      default:
        throw error("unknown type annotation '\(word.text):'", at: word)
      }
    }
    return info
  }

  private mutating func typeSpec() throws(DefsError) -> MigTypeInfo {
    guard position < tokens.count else { throw endOfInput("a type") }
    let t = tokens[position]
    if t.isPunctuation("^") {
      position += 1
      var inner = try typeSpec()
      inner.isOutOfLine = true
      return inner
    }
    if t.isPunctuation("(") { return try explicitBasicType() }
    if t.kind == .number {
      position += 1
      guard let n = t.integerValue, let name = UInt32(exactly: n) else { throw error("bad type number", at: t) }
      return .basic(t.text, in: name, out: name, bits: 0)
    }
    guard t.kind == .identifier else { throw error("expected a type, found '\(t.text)'", at: t) }
    switch t.text.lowercased() {
    case "array":
      position += 1
      try expect("[")
      var shape: MigTypeInfo.Shape
      if accept("]") {
        shape = .variable(max: nil)
      } else if accept("*") {
        if accept(":") {
          shape = .variable(max: try count())
        } else {
          shape = .variable(max: nil)
        }
        try expect("]")
      } else {
        shape = .fixed(count: try count())
        try expect("]")
      }
      try expectKeyword("of")
      let element = try typeSpec()
      return try composite(element, shape: shape, at: t, structure: false)
    case "struct":
      position += 1
      if accept("{") { return try structWithFields(at: t) }
      try expect("[")
      let n = try count()
      try expect("]")
      try expectKeyword("of")
      let element = try typeSpec()
      return try composite(element, shape: .fixed(count: n), at: t, structure: true)
    case "c_string":
      position += 1
      try expect("[")
      var shape: MigTypeInfo.Shape
      if accept("*") {
        try expect(":")
        shape = .variable(max: try count())
      } else {
        shape = .fixed(count: try count())
      }
      try expect("]")
      var info = MigTypeInfo.basic("c_string", in: 12, out: 12, bits: 8)
      info.shape = shape
      info.isCString = true
      return info
    case "polymorphic":
      position += 1
      var info = MigTypeInfo.builtins["polymorphic"]!
      if accept("|") { info.outName = try ipcTypeName().out }  // IPCType: IN | OUT
      return info
    default:
      if let ipc = IPCTypeName.table[t.text] {
        position += 1
        var outName = ipc.out
        if accept("|") { outName = try ipcTypeName().out }  // IPCType: IN | OUT
        return .basic(t.text, in: ipc.in, out: outName, bits: ipc.bits)
      }
      guard let known = types[t.text] else { throw error("unknown type '\(t.text)'", at: t) }
      position += 1
      var info = known
      // A new name for an old type keeps its layout, not its C annotations.
      info.ctype = nil
      info.cUserType = nil
      info.cServerType = nil
      info.inTranslation = nil
      info.outTranslation = nil
      info.destructor = nil
      return info
    }
  }

  /// `struct { TYPE NAME; … }` (GNU MIG since 2022): the fields in order. Fields of one IPC
  /// type make a fixed array of it; mixed fields travel as 32-bit words (or bytes when the
  /// size is not a multiple of 32 bits).
  private mutating func structWithFields(at t: DefsToken) throws(DefsError) -> MigTypeInfo {
    var fields: [(name: String, type: MigTypeInfo)] = []
    while !accept("}") {
      let typeToken = try identifier("a field type")
      guard let type = types[typeToken.text] else { throw error("unknown type '\(typeToken.text)'", at: typeToken) }
      guard type.fixedCount != nil, !type.isOutOfLine else {
        throw error("a structure field of variable size", at: typeToken)
      }
      let name = try identifier("a field name")
      try expect(";")
      fields.append((name.text, type))
    }
    guard let first = fields.first else { throw error("a structure with no fields", at: t) }
    let totalBits = fields.reduce(0) { $0 + $1.type.elementBits * ($1.type.fixedCount ?? 1) }
    var info: MigTypeInfo
    if fields.allSatisfy({ $0.type.inName == first.type.inName && $0.type.elementBits == first.type.elementBits }) {
      info = first.type
      info.shape = .fixed(count: totalBits / first.type.elementBits)
    } else if totalBits % 32 == 0 {
      info = .basic("int", in: 2, out: 2, bits: 32)
      info.shape = .fixed(count: totalBits / 32)
    } else {
      info = .basic("char", in: 9, out: 9, bits: 8)
      info.shape = .fixed(count: (totalBits + 7) / 8)
    }
    info.isStructure = true
    info.fieldNames = fields.map(\.name)
    info.name = ""
    return info
  }

  /// `(IPCTYPE, BITS [, flags])`, where IPCTYPE may be `IN | OUT`.
  private mutating func explicitBasicType() throws(DefsError) -> MigTypeInfo {
    let open = tokens[position]
    position += 1
    let first = try ipcTypeName()
    let inName = first.in
    var outName = first.out
    if accept("|") { outName = try ipcTypeName().out }
    try expect(",")
    let bits = try integerExpression()
    guard bits > 0, bits <= 1 << 24 else { throw error("bad size \(bits)", at: open) }
    _ = try ipcFlags()
    try expect(")")
    var info = MigTypeInfo.basic("(\(inName), \(bits))", in: inName, out: outName, bits: Int(bits))
    if inName == 12, bits > 8, bits % 8 == 0 {
      // A string of N bytes travels as N 8-bit elements (`dev_name_t`: STRING_C, 8, 128).
      info.elementBits = 8
      info.shape = .fixed(count: Int(bits / 8))
      info.isCString = true
    }
    return info
  }

  /// One IPC type name: what a sender writes and what a receiver sees.
  private mutating func ipcTypeName() throws(DefsError) -> (in: UInt32, out: UInt32) {
    guard position < tokens.count else { throw endOfInput("an IPC type") }
    let t = tokens[position]
    position += 1
    if t.kind == .number, let n = t.integerValue, let v = UInt32(exactly: n) { return (v, IPCTypeName.carried(v)) }
    if t.isIdentifier("polymorphic") { return (IPCTypeName.polymorphic, IPCTypeName.polymorphic) }
    guard let ipc = IPCTypeName.table[t.text] else { throw error("unknown IPC type '\(t.text)'", at: t) }
    return (ipc.in, ipc.out)
  }

  /// An array of `element`: nested fixed shapes multiply into one count of basic elements, as
  /// MIG lays them out.
  private func composite(
    _ element: MigTypeInfo, shape: MigTypeInfo.Shape, at t: DefsToken, structure: Bool
  ) throws(DefsError) -> MigTypeInfo {
    guard case .some(let inner) = element.fixedCount else {
      throw error("an array of a variable-size type", at: t)
    }
    var info = element
    switch shape {
    case .single: break
    case .fixed(let n): info.shape = .fixed(count: n * inner)
    case .variable(let max?): info.shape = .variable(max: max * inner)
    case .variable(nil):
      info.shape = .variable(max: nil)
      info.isOutOfLine = true  // MIG sends an unbounded array out of line
    }
    info.isStructure = structure
    info.name = ""
    return info
  }

  // MARK: - Expressions and tokens

  private mutating func count() throws(DefsError) -> Int {
    let at = tokens[min(position, tokens.count - 1)]
    let n = try integerExpression()
    guard n >= 0, n <= 1 << 24 else { throw error("bad count \(n)", at: at) }
    return Int(n)
  }

  /// MIG's IntExp: numbers with `+ - * /` and parentheses.
  private mutating func integerExpression() throws(DefsError) -> Int64 {
    var value = try integerTerm()
    while position < tokens.count, tokens[position].isPunctuation("+") || tokens[position].isPunctuation("-") {
      let plus = tokens[position].text == "+"
      position += 1
      let right = try integerTerm()
      value = plus ? value &+ right : value &- right
    }
    return value
  }

  private mutating func integerTerm() throws(DefsError) -> Int64 {
    var value = try integerFactor()
    while position < tokens.count, tokens[position].isPunctuation("*") || tokens[position].isPunctuation("/") {
      let op = tokens[position]
      position += 1
      let right = try integerFactor()
      if op.text == "*" {
        value = value &* right
      } else {
        guard right != 0 else { throw error("division by zero", at: op) }
        value /= right
      }
    }
    return value
  }

  private mutating func integerFactor() throws(DefsError) -> Int64 {
    guard position < tokens.count else { throw endOfInput("a number") }
    let t = tokens[position]
    position += 1
    if t.isPunctuation("(") {
      let v = try integerExpression()
      try expect(")")
      return v
    }
    guard let v = t.integerValue else { throw error("expected a number, found '\(t.text)'", at: t) }
    return v
  }

  /// `<mach/std_types.h>` or `"file.h"`.
  private mutating func fileName() throws(DefsError) -> String {
    guard position < tokens.count else { throw endOfInput("a file name") }
    let t = tokens[position]
    if t.kind == .string {
      position += 1
      return t.text
    }
    guard t.isPunctuation("<") else { throw error("expected <FILE> or \"FILE\"", at: t) }
    position += 1
    var name = ""
    while position < tokens.count, !tokens[position].isPunctuation(">") {
      name += tokens[position].text
      position += 1
    }
    try expect(">")
    return name
  }

  private mutating func requireSubsystem(_ t: DefsToken) throws(DefsError) {
    if subsystem == nil { throw error("'\(t.text)' before the subsystem statement", at: t) }
  }

  private mutating func identifier(_ what: String) throws(DefsError) -> DefsToken {
    guard position < tokens.count else { throw endOfInput(what) }
    let t = tokens[position]
    guard t.kind == .identifier else { throw error("expected \(what), found '\(t.text)'", at: t) }
    position += 1
    return t
  }

  private mutating func expect(_ p: String) throws(DefsError) {
    guard position < tokens.count else { throw endOfInput("'\(p)'") }
    guard tokens[position].isPunctuation(p) else {
      throw error("expected '\(p)', found '\(tokens[position].text)'", at: tokens[position])
    }
    position += 1
  }

  private mutating func expectKeyword(_ word: String) throws(DefsError) {
    guard position < tokens.count else { throw endOfInput("'\(word)'") }
    guard tokens[position].kind == .identifier, tokens[position].text.lowercased() == word else {
      throw error("expected '\(word)', found '\(tokens[position].text)'", at: tokens[position])
    }
    position += 1
  }

  private mutating func accept(_ p: String) -> Bool {
    guard position < tokens.count, tokens[position].isPunctuation(p) else { return false }
    position += 1
    return true
  }

  private func peek(_ p: String) -> Bool { position < tokens.count && tokens[position].isPunctuation(p) }

  private func error(_ message: String, at t: DefsToken) -> DefsError {
    DefsError(message, at: t.location, sourceLine: sourceLine(t.location))
  }

  private func endOfInput(_ what: String) -> DefsError {
    guard let last = tokens.last else {
      return DefsError("expected \(what) at the end of the file", at: DefsLocation(file: path, line: 1, column: 1))
    }
    var after = last.location  // just past the last token
    after.column += last.kind == .string ? last.text.count + 2 : last.text.count
    return DefsError(
      "expected \(what) after '\(last.text)' at the end of the file", at: after, sourceLine: sourceLine(last.location))
  }
}
