// The statement keywords (docs/language.md, Statements): the parser's grammar reads them and
// the interpreter runs them; their entries give `help` and Tab their usage.

extension CommandRegistry {
  static let statements: [CommandEntry] = [
    CommandEntry(
      statement: "let", usage: ["let NAME = EXPR", "let NAME = COMMAND"], summary: "a new variable in this scope"),
    CommandEntry(
      statement: "if", usage: ["if EXPR { … } else if EXPR { … } else { … }"],
      summary: "run a block when a "
        + "bool holds"),
    CommandEntry(statement: "while", usage: ["while EXPR { … }"], summary: "run a block while a bool holds"),
    CommandEntry(statement: "repeat", usage: ["repeat N { … }"], summary: "run a block N times"),
    CommandEntry(statement: "for", usage: ["for NAME in LIST { … }"], summary: "run a block for each item of a list"),
    CommandEntry(
      statement: "def", usage: ["def NAME(PARAM, …) { … }"],
      summary: "define a procedure",
      help:
        "Called as NAME(ARG, …), or as a command: NAME ARG …. Procedures see globals and their parameters; "
        + "recursion deeper than 200 calls is an error."
    ),
    CommandEntry(statement: "return", usage: ["return [EXPR]"], summary: "leave a procedure, with a value"),
    CommandEntry(statement: "break", usage: ["break"], summary: "leave the innermost loop"),
    CommandEntry(statement: "stop", usage: ["stop"], summary: "in a watch's do block: stop the model after it"),
    CommandEntry(statement: "print", usage: ["print [EXPR, …]"], summary: "print values, separated by spaces"),
    CommandEntry(
      statement: "expect", usage: ["expect EXPR [, MESSAGE]"],
      summary: "check a bool; a false one sets the exit status to 1",
      help: "A failure prints FILE:LINE: expectation failed: TEXT on standard error and the script goes on."),
    CommandEntry(
      statement: "source", usage: ["source \"FILE\""], summary: "run another script",
      help: "A relative path is relative to the folder of the script that sources it."),
    CommandEntry(
      statement: "help", usage: ["help [TOPIC|COMMAND]"], summary: "this help, or one command or topic"),
    CommandEntry(
      statement: "explain", usage: ["explain [CODE|RECORD|last]"],
      summary: "what a return code or a record means", help: "Without an argument: rc."),
    CommandEntry(statement: "quit", usage: ["quit [STATUS]"], summary: "end the script or the prompt with a status"),
  ]
}
