r"""Reading a formula: a small grammar, parsed here and never evaluated as Python.

A formula is one expression or a short program of assignments, separated by ``;`` or new
lines; the last name assigned (or the last bare expression) is the output::

    z = w*x + b; a = sigmoid(z); L = 0.5*(y - a)**2

The grammar, in full (``#`` starts a comment that runs to the end of the line)::

    program    := statement ((";" | newline) statement)*
    statement  := [NAME "="] expr
    expr       := term (("+" | "-") term)*
    term       := unary (("*" | "/") unary)*
    unary      := ("-" | "+") unary | power
    power      := atom ["**" unary]                 # right-associative; -x**2 = -(x**2)
    atom       := NUMBER | NAME | NAME "(" arguments ")" | "(" expr ")"
    arguments  := expr ("," expr)* ("," NAME "=" constant)*
    constant   := ["-"] NUMBER | STRING             # an activation's setting: negative_slope=0.2
    NUMBER     := 12 | 0.5 | .5 | 1e-3              # decimal only
    NAME       := a letter, then letters, digits or "_"

``−``, ``×``, ``·`` and ``÷`` are read as ``-``, ``*``, ``*`` and ``/``. Anything else --
attributes, subscripts, lambdas, imports, strings outside a call's settings, ``^`` -- stops
the reading with one :class:`FormulaError` naming the line and column. Which functions exist is
not decided here (see :mod:`.graph`): a call is a name and its arguments.

Everything is bounded, so no input can hang or exhaust memory: :data:`MAX_LENGTH` characters,
:data:`MAX_DEPTH` levels of nesting, :data:`MAX_TERMS` numbers, names and operators, literals
of at most :data:`MAX_LITERAL_DIGITS` characters and magnitude :data:`MAX_MAGNITUDE`, literal
exponents of magnitude at most :data:`MAX_EXPONENT`.
"""

from __future__ import annotations

import keyword
import math
import re
from dataclasses import dataclass

#: longest formula read, in characters
MAX_LENGTH = 4000
#: deepest nesting of parentheses, calls, signs and powers
MAX_DEPTH = 48
#: most numbers, names, operators and calls in one formula (the graph has at most this many
#: nodes)
MAX_TERMS = 600
#: most statements
MAX_STATEMENTS = 200
#: longest number literal, in characters
MAX_LITERAL_DIGITS = 24
#: largest magnitude of a number (a literal, or a value given for an input)
MAX_MAGNITUDE = 1e12
#: largest magnitude of an exponent (``x ** 2000`` is refused; a float would overflow anyway)
MAX_EXPONENT = 1000.0
#: longest name
MAX_NAME = 32


class FormulaError(ValueError):
    """A formula outside the grammar or its bounds (one line, naming where)."""


# --- the tree ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Num:
    value: float
    text: str
    line: int
    col: int


@dataclass(frozen=True)
class Name:
    id: str
    line: int
    col: int


@dataclass(frozen=True)
class Unary:
    op: str  # "-" or "+"
    operand: Expr
    line: int
    col: int


@dataclass(frozen=True)
class Binary:
    op: str  # "+", "-", "*", "/", "**"
    left: Expr
    right: Expr
    line: int
    col: int


@dataclass(frozen=True)
class Call:
    func: str
    args: tuple[Expr, ...]
    settings: tuple[tuple[str, float | str], ...]
    line: int
    col: int


Expr = Num | Name | Unary | Binary | Call


@dataclass(frozen=True)
class Statement:
    """``target = expr`` (``target`` None for a bare expression)."""

    target: str | None
    expr: Expr
    line: int
    col: int


@dataclass(frozen=True)
class Program:
    source: str
    statements: tuple[Statement, ...]

    @property
    def assigned(self) -> list[str]:
        return [s.target for s in self.statements if s.target is not None]


# --- tokens -----------------------------------------------------------------------------------
_TOKEN = re.compile(r"""
    (?P<space>[ \t\r]+|\#[^\n]*)
  | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<name>[A-Za-z][A-Za-z0-9_]*)
  | (?P<string>"[^"\n]*"|'[^'\n]*')
  | (?P<op>\*\*|[-+*/(),=;\n])
""", re.VERBOSE)

#: typographic operators read as their ASCII forms
_TYPOGRAPHIC = str.maketrans({"−": "-", "×": "*", "·": "*", "⋅": "*", "÷": "/"})

#: what to say about a character outside the grammar
_HINTS = {
    "^": "powers are written **",
    ".": "attributes are not part of the grammar (write relu(x), not x.relu())",
    "[": "subscripts are not part of the grammar (name the values: w0, w1, ...)",
    "]": "subscripts are not part of the grammar (name the values: w0, w1, ...)",
    "_": "a name starts with a letter",
    "{": "braces are not part of the grammar",
    ":": "a formula has no blocks or slices",
    "%": "the operators are + - * / **",
    "@": "the operators are + - * / **",
    "!": "the operators are + - * / **",
    "<": "comparisons are not part of the grammar",
    ">": "comparisons are not part of the grammar",
    "&": "the operators are + - * / **",
    "|": "the operators are + - * / **",
}


@dataclass(frozen=True)
class _Token:
    kind: str  # "number", "name", "string", "op", "end"
    text: str
    line: int
    col: int

    def describe(self) -> str:
        if self.kind == "end":
            return "the end of the formula"
        if self.text == "\n":
            return "the end of the line"
        return repr(self.text)


def _where(line: int, col: int) -> str:
    return f"line {line}, column {col}"


def _tokens(source: str) -> list[_Token]:
    out: list[_Token] = []
    pos, line, line_start = 0, 1, 0
    while pos < len(source):
        m = _TOKEN.match(source, pos)
        col = pos - line_start + 1
        if m is None:
            ch = source[pos]
            hint = _HINTS.get(ch, "the grammar has numbers, names, + - * / **, parentheses, "
                                  "calls and assignments")
            raise FormulaError(f"unexpected character {ch!r} at {_where(line, col)}: {hint}")
        kind = m.lastgroup or ""
        text = m.group()
        if kind == "name" and (keyword.iskeyword(text) or keyword.issoftkeyword(text)):
            raise FormulaError(f"the Python keyword {text!r} at {_where(line, col)} is not part "
                               f"of the grammar (a formula has numbers, names, + - * / **, "
                               f"parentheses and calls)")
        if kind != "space":
            out.append(_Token(kind, text, line, col))
        if text == "\n":
            line, line_start = line + 1, pos + 1
        pos = m.end()
    out.append(_Token("end", "", line, pos - line_start + 1))
    return out


# --- the parser -------------------------------------------------------------------------------
class _Parser:
    """Recursive descent over the tokens, one method per rule of the grammar."""

    def __init__(self, source: str):
        self.source = source
        self.toks = _tokens(source)
        self.i = 0
        self.depth = 0
        self.terms = 0

    # helpers
    @property
    def tok(self) -> _Token:
        return self.toks[self.i]

    def advance(self) -> _Token:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def fail(self, message: str, tok: _Token | None = None) -> FormulaError:
        tok = tok or self.tok
        return FormulaError(f"{message} at {_where(tok.line, tok.col)}")

    def count(self, tok: _Token) -> None:
        self.terms += 1
        if self.terms > MAX_TERMS:
            raise self.fail(f"the formula is too long: more than {MAX_TERMS} numbers, names and "
                            f"operators", tok)

    def enter(self, tok: _Token) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.fail(f"the formula nests deeper than {MAX_DEPTH} levels", tok)

    def leave(self) -> None:
        self.depth -= 1

    # program := statement ((";" | newline) statement)*
    def program(self) -> Program:
        statements: list[Statement] = []
        while True:
            while self.tok.kind == "op" and self.tok.text in (";", "\n"):
                self.advance()
            if self.tok.kind == "end":
                break
            statements.append(self.statement())
            if len(statements) > MAX_STATEMENTS:
                raise self.fail(f"more than {MAX_STATEMENTS} statements")
            if self.tok.kind == "end":
                break
            if not (self.tok.kind == "op" and self.tok.text in (";", "\n")):
                raise self.fail(self._unexpected_after_expression())
        if not statements:
            raise FormulaError("the formula is empty")
        return Program(self.source, tuple(statements))

    def _unexpected_after_expression(self) -> str:
        tok, prev = self.tok, self.toks[self.i - 1]
        if tok.kind in ("name", "number") or tok.text == "(":
            return (f"expected an operator between {prev.text!r} and {tok.text!r} "
                    f"(multiplication is written *)")
        if tok.text == "=":
            return "only a name can be assigned to (one '=' per statement)"
        if tok.text == ")":
            return "unbalanced ')'"
        return f"unexpected {tok.describe()}"

    # statement := [NAME "="] expr
    def statement(self) -> Statement:
        tok = self.tok
        nxt = self.toks[self.i + 1]
        if tok.kind == "name" and nxt.kind == "op" and nxt.text == "=":
            self._check_name(tok)
            self.advance()
            self.advance()
            if self.tok.kind == "end" or self.tok.text in (";", "\n"):
                raise self.fail(f"nothing is assigned to {tok.text!r}")
            return Statement(tok.text, self.expr(), tok.line, tok.col)
        return Statement(None, self.expr(), tok.line, tok.col)

    def _check_name(self, tok: _Token) -> None:
        if len(tok.text) > MAX_NAME:
            raise self.fail(f"the name {tok.text[:MAX_NAME]}... is longer than {MAX_NAME} "
                            f"characters", tok)

    # expr := term (("+" | "-") term)*
    def expr(self) -> Expr:
        left = self.term()
        while self.tok.kind == "op" and self.tok.text in ("+", "-"):
            op = self.advance()
            self.count(op)
            left = Binary(op.text, left, self.term(), op.line, op.col)
        return left

    # term := unary (("*" | "/") unary)*
    def term(self) -> Expr:
        left = self.unary()
        while self.tok.kind == "op" and self.tok.text in ("*", "/"):
            op = self.advance()
            self.count(op)
            left = Binary(op.text, left, self.unary(), op.line, op.col)
        return left

    # unary := ("-" | "+") unary | power
    def unary(self) -> Expr:
        if self.tok.kind == "op" and self.tok.text in ("-", "+"):
            op = self.advance()
            self.enter(op)
            operand = self.unary()
            self.leave()
            if op.text == "-" and isinstance(operand, Num) and not operand.text.startswith("-"):
                # a negative literal is one number, not an operation on one
                return Num(-operand.value, "-" + operand.text, op.line, op.col)
            if op.text == "+":
                return operand
            self.count(op)
            return Unary("-", operand, op.line, op.col)
        return self.power()

    # power := atom ["**" unary]
    def power(self) -> Expr:
        base = self.atom()
        if self.tok.kind == "op" and self.tok.text == "**":
            op = self.advance()
            self.count(op)
            self.enter(op)
            exponent = self.unary()
            self.leave()
            if isinstance(exponent, Num) and abs(exponent.value) > MAX_EXPONENT:
                raise self.fail(f"the exponent {exponent.text} is too large (at most "
                                f"{MAX_EXPONENT:g} in magnitude)", op)
            return Binary("**", base, exponent, op.line, op.col)
        return base

    # atom := NUMBER | NAME | NAME "(" arguments ")" | "(" expr ")"
    def atom(self) -> Expr:
        tok = self.tok
        if tok.kind == "number":
            self.advance()
            self.count(tok)
            return self._number(tok)
        if tok.kind == "name":
            self._check_name(tok)
            self.advance()
            self.count(tok)
            if self.tok.kind == "op" and self.tok.text == "(":
                return self.call(tok)
            return Name(tok.text, tok.line, tok.col)
        if tok.kind == "op" and tok.text == "(":
            self.advance()
            self.enter(tok)
            inner = self.expr()
            self.leave()
            if not (self.tok.kind == "op" and self.tok.text == ")"):
                raise self.fail(f"expected ')' to close the '(' at {_where(tok.line, tok.col)}, "
                                f"got {self.tok.describe()}")
            self.advance()
            return inner
        if tok.kind == "string":
            raise self.fail("a string is allowed only as a setting of an activation "
                            "(gelu(x, approximate='tanh'))")
        if tok.kind == "end":
            raise self.fail("the formula ends where a number, a name or '(' was expected")
        if tok.text == "\n":
            raise self.fail("the line ends where a number, a name or '(' was expected")
        raise self.fail(f"expected a number, a name or '(', got {tok.describe()}")

    def _number(self, tok: _Token) -> Num:
        if len(tok.text) > MAX_LITERAL_DIGITS:
            raise self.fail(f"the number {tok.text[:MAX_LITERAL_DIGITS]}... is longer than "
                            f"{MAX_LITERAL_DIGITS} characters", tok)
        value = float(tok.text)
        if not math.isfinite(value) or abs(value) > MAX_MAGNITUDE:
            raise self.fail(f"the number {tok.text} is too large (at most {MAX_MAGNITUDE:g} in "
                            f"magnitude)", tok)
        return Num(value, tok.text, tok.line, tok.col)

    # arguments := expr ("," expr)* ("," NAME "=" constant)*
    def call(self, name: _Token) -> Call:
        self.enter(name)
        self.advance()  # "("
        args: list[Expr] = []
        settings: list[tuple[str, float | str]] = []
        if not (self.tok.kind == "op" and self.tok.text == ")"):
            while True:
                tok, nxt = self.tok, self.toks[self.i + 1]
                if tok.kind == "name" and nxt.kind == "op" and nxt.text == "=":
                    self._check_name(tok)
                    self.advance()
                    self.advance()
                    if any(key == tok.text for key, _ in settings):
                        raise self.fail(f"the setting {tok.text!r} is given twice", tok)
                    settings.append((tok.text, self._constant(tok.text)))
                elif settings:
                    raise self.fail("a value follows a setting (values first, then "
                                    "name=value settings)")
                else:
                    args.append(self.expr())
                if self.tok.kind == "op" and self.tok.text == ",":
                    self.advance()
                    continue
                break
        if not (self.tok.kind == "op" and self.tok.text == ")"):
            raise self.fail(f"expected ',' or ')' in the call of {name.text}, got "
                            f"{self.tok.describe()}")
        self.advance()
        self.leave()
        return Call(name.text, tuple(args), tuple(settings), name.line, name.col)

    def _constant(self, key: str) -> float | str:
        tok = self.tok
        if tok.kind == "string":
            self.advance()
            return tok.text[1:-1]
        sign = 1.0
        if tok.kind == "op" and tok.text == "-":
            self.advance()
            sign = -1.0
        if self.tok.kind != "number":
            raise self.fail(f"the setting {key!r} takes a number or a string, got "
                            f"{self.tok.describe()}")
        number = self._number(self.advance())
        return sign * number.value


def parse(source: str) -> Program:
    """Read ``source`` (see the module docstring for the grammar).

    Parameters
    ----------
    source : str
        One formula, or assignments separated by ``;`` or new lines.

    Returns
    -------
    Program

    Raises
    ------
    FormulaError
        Anything outside the grammar or its bounds, naming the line and column.
    """
    if not isinstance(source, str):
        raise FormulaError(f"a formula is a string, got {type(source).__name__}")
    if len(source) > MAX_LENGTH:
        raise FormulaError(f"the formula is {len(source)} characters long; at most "
                           f"{MAX_LENGTH} are read")
    return _Parser(source.translate(_TYPOGRAPHIC)).program()
