@testable import MachScript

/// A compact, Lisp-like spelling of syntax trees, so that tables can state what a line parses to.
func show(_ e: Expr) -> String {
  switch e {
  case .literal(.int(let v), _): return String(v)
  case .literal(.string(let s), _): return "\"\(s)\""
  case .literal(.bool(let b), _): return String(b)
  case .literal(.nil_, _): return "nil"
  case .name(let n, _): return n
  case .list(let items, _): return "[" + items.map(show).joined(separator: " ") + "]"
  case .unary(let op, let x, _): return "(\(op) \(show(x)))"
  case .binary(let op, let a, let b, _): return "(\(op) \(show(a)) \(show(b)))"
  case .field(let x, let f, _): return "(. \(show(x)) \(f))"
  case .index(let x, let i, _): return "(at \(show(x)) \(show(i)))"
  case .call(let f, let args, _): return "(\(f)" + args.map { " " + show($0) }.joined() + ")"
  case .portRef(let t, let n, _): return "(port \(show(t)) \(show(n)))"
  case .threadRef(let t, let n, _): return "(thread \(show(t)) \(n))"
  case .selfRef(let x, _): return "(self \(show(x)))"
  case .command(let c): return show(c)
  }
}

func show(_ c: Command) -> String {
  var parts = ["{\(c.name)"] + c.arguments.map(show)
  for o in c.options {
    var option = o.name
    if !o.values.isEmpty { option += "=" + o.values.map(show).joined(separator: ",") }
    if let b = o.block { option += "=" + show(b) }
    parts.append(option)
  }
  if let b = c.block { parts.append(show(b)) }
  if c.background { parts.append("&") }
  return parts.joined(separator: " ") + "}"
}

func show(_ block: [Stmt]) -> String { "<" + block.map(show).joined(separator: "; ") + ">" }

func show(_ s: Stmt) -> String {
  switch s {
  case .let(let n, let e, _): return "let \(n) \(show(e))"
  case .assign(let n, let e, _): return "set \(n) \(show(e))"
  case .if(let arms, let otherwise, _):
    return "if " + arms.map { show($0.0) + " " + show($0.1) }.joined(separator: " elif ")
      + (otherwise.map { " else " + show($0) } ?? "")
  case .while(let c, let b, _): return "while \(show(c)) \(show(b))"
  case .repeat(let c, let b, _): return "repeat \(show(c)) \(show(b))"
  case .for(let n, let e, let b, _): return "for \(n) \(show(e)) \(show(b))"
  case .def(let n, let ps, let b, _): return "def \(n)(\(ps.joined(separator: " "))) \(show(b))"
  case .return(let e, _): return "return" + (e.map { " " + show($0) } ?? "")
  case .break: return "break"
  case .stop: return "stop"
  case .print(let es, _): return "print " + es.map(show).joined(separator: " ")
  case .expect(let e, let m, let text, _):
    return "expect \(show(e))" + (m.map { " msg " + show($0) } ?? "") + " '\(text)'"
  case .source(let e, _): return "source \(show(e))"
  case .help(let t, _): return "help " + t.joined(separator: " ")
  case .explain(let e, _): return "explain" + (e.map { " " + show($0) } ?? "")
  case .quit(let e, _): return "quit" + (e.map { " " + show($0) } ?? "")
  case .command(let c): return show(c)
  case .expression(let e, _, _): return show(e)
  }
}

/// Parses `source` expecting no diagnostics and returns its statements spelled out.
func parsed(_ source: String) -> [String] {
  let (statements, diagnostics) = Parser.parse(source, file: "t.msh")
  return diagnostics.isEmpty
    ? statements.map(show) : diagnostics.map { "error \($0.location.line):\($0.location.column) \($0.message)" }
}
