"""A small, safe expression language for claims: figure references, quantities, arithmetic, one comparison.

    h20.hbm_bandwidth < h100-sxm.hbm_bandwidth
    ratio(cloudmatrix384.bf16_dense_total, gb200-nvl72.bf16_dense_total) == 2x
    volume.h20-2024 * h20.bf16_dense >= 100 EFLOPS
    ascend-910c.bf16_dense@semianalysis-cm384 / gb200.bf16_dense

Grammar (a tokenizer and a recursive-descent parser; user text is never passed to eval/exec)::

    claim  := sum (CMP sum)?            CMP: < <= > >= == (== and ~= mean "equal within a tolerance")
    sum    := term (('+' | '-') term)*
    term   := unary (('*' | '/') unary)*
    unary  := '-' unary | atom
    atom   := NUMBER unit? | REF | NAME '(' sum (',' sum)* ')' | '(' sum ')'
    unit   := WORD (('/' | '*') WORD | '^' INT)*      e.g. TB/s, token/s, ms, x (a plain factor), %

A reference always contains a dot (``chip.figure``), so hyphenated ids never read as a minus: write
spaces around ``-``. ``@source-id`` after a reference picks the value that source gives. Functions:
``ratio(a, b)`` (a / b, same dimension), ``min``, ``max``. Evaluation (:mod:`chipcalc.claims.evaluate`)
works on pint quantities supplied by the caller for each reference, so the same tree is evaluated at
nominal values and at range ends.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from chipcalc.core.errors import UnitError, UsageError

CMP_OPS = ("<", "<=", ">", ">=", "==")
#: Limits of one expression (reported as an error, never a crash): characters, figures and numbers,
#: and nesting of parentheses, minus signs and function calls.
MAX_CHARS = 2000
MAX_OPERANDS = 64
MAX_DEPTH = 32
FUNCTIONS = {"ratio": 2, "min": 2, "max": 2}
_FACTOR_WORDS = {"x", "X", "times"}


class ExprError(UsageError):
    """An expression that cannot be read or evaluated; the message names the column and token."""


# -- tokens ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Tok:
    kind: str  # num | ref | word | op | end
    text: str
    col: int  # 1-based column in the source text


_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?(?![\d,])|(?:\d[\d_]*(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<ref>[A-Za-z_][\w-]*(?:\.[\w-]+)+(?:@[\w.-]+)?)
  | (?P<word>[A-Za-zµμ_][\w]*|%)
  | (?P<op><=|>=|==|~=|\*\*|[-+*/^(),<>≤≥≈×])
    """,
    re.VERBOSE,
)
_OP_ALIASES = {"≤": "<=", "≥": ">=", "≈": "==", "~=": "==", "**": "^"}


def tokenize(text: str) -> list[Tok]:
    out: list[Tok] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise ExprError(f"unexpected character '{text[pos]}' at column {pos + 1} of '{text}'")
        kind = m.lastgroup or ""
        tok = m.group(0)
        if kind != "space":
            if kind == "op":
                tok = _OP_ALIASES.get(tok, tok)
                if tok == "×":  # 2× is a factor; a × b is a product
                    kind, tok = ("word", "x") if out and out[-1].kind == "num" else ("op", "*")
            out.append(Tok(kind, tok, pos + 1))
        pos = m.end()
    out.append(Tok("end", "", len(text) + 1))
    return out


# -- syntax tree -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Num:
    q: Any  # pint quantity
    text: str
    col: int


@dataclass(frozen=True)
class Ref:
    name: str  # the reference as written, including any @source selector
    col: int


@dataclass(frozen=True)
class Neg:
    operand: Any
    col: int


@dataclass(frozen=True)
class Bin:
    op: str
    left: Any
    right: Any
    col: int


@dataclass(frozen=True)
class Call:
    fn: str
    args: tuple[Any, ...]
    col: int


@dataclass(frozen=True)
class Compare:
    op: str
    left: Any
    right: Any
    col: int


Node = Num | Ref | Neg | Bin | Call


def refs(node: Any) -> list[Ref]:
    """Every reference in a tree, in reading order (repeats kept once)."""
    out: list[Ref] = []

    def walk(n: Any) -> None:
        if isinstance(n, Ref):
            if all(r.name != n.name for r in out):
                out.append(n)
        elif isinstance(n, Neg):
            walk(n.operand)
        elif isinstance(n, (Bin, Compare)):
            walk(n.left)
            walk(n.right)
        elif isinstance(n, Call):
            for a in n.args:
                walk(a)

    walk(node)
    return out


def show(node: Any) -> str:
    """The tree written back as text (normalised spacing)."""
    if isinstance(node, Num):
        return node.text
    if isinstance(node, Ref):
        return node.name
    if isinstance(node, Neg):
        return f"-{_paren(node.operand, '*')}"
    if isinstance(node, Bin):
        right_op = "/" if node.op == "/" else ("-" if node.op == "-" else node.op)
        return f"{_paren(node.left, node.op)} {node.op} {_paren(node.right, right_op, right=True)}"
    if isinstance(node, Call):
        return f"{node.fn}({', '.join(show(a) for a in node.args)})"
    if isinstance(node, Compare):
        return f"{show(node.left)} {node.op} {show(node.right)}"
    raise TypeError(node)


_PREC = {"+": 1, "-": 1, "*": 2, "/": 2}


def _paren(node: Any, op: str, right: bool = False) -> str:
    s = show(node)
    if isinstance(node, Bin):
        if _PREC[node.op] < _PREC[op] or (right and _PREC[node.op] == _PREC[op] and op in "-/"):
            return f"({s})"
    return s


# -- parser ------------------------------------------------------------------------------------

class _Parser:
    def __init__(self, text: str):
        if len(text) > MAX_CHARS:
            raise ExprError(f"an expression has at most {MAX_CHARS:,} characters; this one has {len(text):,}: "
                            "split the claim into smaller ones")
        self.text = text
        self.toks = tokenize(text)
        self.i = 0
        self.depth = 0
        operands = sum(t.kind in ("num", "ref") for t in self.toks)
        if operands > MAX_OPERANDS:
            raise ExprError(f"an expression has at most {MAX_OPERANDS} figures and numbers; this one has {operands}: "
                            "split the claim into smaller ones")

    def nest(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error(f"nested more than {MAX_DEPTH} levels deep (parentheses, minus signs, functions)")

    @property
    def tok(self) -> Tok:
        return self.toks[self.i]

    def peek(self, k: int = 1) -> Tok:
        return self.toks[min(self.i + k, len(self.toks) - 1)]

    def take(self) -> Tok:
        t = self.tok
        self.i += 1
        return t

    def error(self, message: str, tok: Tok | None = None) -> ExprError:
        t = tok or self.tok
        written = self.text[t.col - 1:t.col - 1 + len(t.text)] if t.kind != "end" else ""
        if t.text == "^" and self.text[t.col - 1:t.col + 1] == "**":  # shown as typed, not as its alias
            written = "**"
        what = "the end" if t.kind == "end" else f"'{written or t.text}'"
        shown = self.text if len(self.text) <= 120 else self.text[:100] + "…"
        return ExprError(f"{message} at column {t.col} ({what}) of '{shown}'")

    def expect(self, text: str) -> Tok:
        if self.tok.text != text or self.tok.kind != "op":
            raise self.error(f"expected '{text}'")
        return self.take()

    # claim := sum (CMP sum)?
    def claim(self) -> Any:
        if self.tok.kind == "end":
            raise self.error("empty expression: write e.g. 'h20.hbm_bandwidth < h100-sxm.hbm_bandwidth'")
        left = self.sum()
        if self.tok.kind == "op" and self.tok.text in CMP_OPS:
            op = self.take()
            right = self.sum()
            node: Any = Compare(op.text, left, right, op.col)
        else:
            node = left
        if self.tok.kind != "end":
            if self.tok.kind == "op" and self.tok.text in CMP_OPS:
                raise self.error("only one comparison is allowed")
            if self.tok.kind == "word":
                raise self.error(f"unknown name '{self.tok.text}': figures are written chip.figure "
                                 "(e.g. h20.hbm_bandwidth) and units follow a number (e.g. 4 TB/s)")
            raise self.error("unexpected token")
        return node

    def sum(self) -> Any:
        node = self.term()
        while self.tok.kind == "op" and self.tok.text in "+-":
            op = self.take()
            node = Bin(op.text, node, self.term(), op.col)
        return node

    def term(self) -> Any:
        node = self.unary()
        while self.tok.kind == "op" and self.tok.text in ("*", "/"):
            op = self.take()
            node = Bin(op.text, node, self.unary(), op.col)
        return node

    def unary(self) -> Any:
        if self.tok.kind == "op" and self.tok.text in "-+":
            op = self.take()
            self.nest()
            node = self.unary()
            self.depth -= 1
            return Neg(node, op.col) if op.text == "-" else node
        return self.atom()

    def atom(self) -> Any:
        t = self.tok
        if t.kind == "num":
            return self.number()
        if t.kind == "ref":
            self.take()
            return Ref(t.text, t.col)
        if t.kind == "word":
            if self.peek().kind == "op" and self.peek().text == "(":
                return self.call()
            raise self.error(f"unknown name '{t.text}': figures are written chip.figure (e.g. h20.hbm_bandwidth), "
                             "system.figure (e.g. cloudmatrix384.power) or volume.id")
        if t.kind == "op" and t.text == "(":
            self.take()
            self.nest()
            node = self.sum()
            self.expect(")")
            self.depth -= 1
            return node
        if t.kind == "end":
            raise self.error("expression ends too early")
        raise self.error("expected a number, a figure or '('")

    def call(self) -> Any:
        name = self.take()
        if name.text not in FUNCTIONS:
            raise self.error(f"unknown function '{name.text}'; known: {', '.join(FUNCTIONS)}", name)
        self.expect("(")
        self.nest()
        args = [self.sum()]
        while self.tok.kind == "op" and self.tok.text == ",":
            self.take()
            args.append(self.sum())
        self.expect(")")
        self.depth -= 1
        if len(args) != FUNCTIONS[name.text]:
            raise self.error(f"{name.text}() takes {FUNCTIONS[name.text]} arguments, got {len(args)}", name)
        return Call(name.text, tuple(args), name.col)

    def number(self) -> Num:
        t = self.take()
        digits = t.text.replace(",", "").replace("_", "")
        words: list[str] = []
        start = self.tok
        if self.tok.kind == "word":
            words.append(self.take().text)
            while True:
                if self.tok.kind == "op" and self.tok.text in ("/", "*") and self.peek().kind == "word" \
                        and not (self.peek(2).kind == "op" and self.peek(2).text == "("):
                    words.append(self.take().text)
                    words.append(self.take().text)
                elif self.tok.kind == "op" and self.tok.text == "^" and self.peek().kind == "num":
                    self.take()
                    words.append("**")
                    words.append(self.take().text)
                else:
                    break
        unit = "".join(words)
        text = f"{t.text} {unit}".strip() if unit else t.text
        if unit in _FACTOR_WORDS:
            unit, text = "", f"{t.text}x"
        elif unit == "%":
            unit, text = "percent", f"{t.text}%"
        from chipcalc.core.units import parse

        try:
            q = parse(f"{digits} {unit}".strip())
        except UnitError as exc:
            hint = str(exc).split(": ", 1)[1] if ": write" in str(exc) else ""
            raise self.error(f"unknown unit '{unit}'" + (f" ({hint})" if hint else ""), start) from None
        if not math.isfinite(float(q.magnitude)):
            raise self.error("number out of range", t)
        return Num(q, text, t.col)


def parse(text: str) -> Any:
    """Parse an expression or a claim (one comparison at the top). Raises :class:`ExprError`."""
    if not isinstance(text, str):
        raise ExprError(f"expected an expression as text, got {text!r}")
    return _Parser(text).claim()
