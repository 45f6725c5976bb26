"""Evaluate a parsed expression (:mod:`chipcalc.claims.expr`) on pint quantities, checking units.

The caller supplies each reference's quantity (``env``), so one tree is evaluated at nominal values and
at every end of every range.
"""

from __future__ import annotations

from typing import Any, Callable

from chipcalc.claims.expr import Bin, Call, Compare, ExprError, Neg, Num, Ref
from chipcalc.claims.expr import show as _show


def show(node: Any) -> str:
    """A node as text for an error message, cut short when long (a message stays readable)."""
    text = _show(node)
    return text if len(text) <= 100 else text[:90] + " …"


def describe(q: Any) -> str:
    """'a bandwidth (TB/s)': what a quantity is, for error messages."""
    from chipcalc.catalog.figures import _DIM_WORDS
    from chipcalc.core.units import DIMENSIONS, dimension_of

    for name, _ in DIMENSIONS.items():
        if name == "fraction":
            continue
        if q.dimensionality == dimension_of(name):
            word = "a plain number" if name == "count" else _DIM_WORDS.get(name, name)
            unit = f"{q.units:~P}"
            return f"{word} ({unit})" if unit else word
    return f"a quantity in {q.units:~P}"


def _same_dim(a: Any, b: Any, what: str, col: int, left: Any, right: Any) -> None:
    if a.dimensionality != b.dimensionality:
        raise ExprError(f"unit mismatch at column {col}: cannot {what} {show(left)} ({describe(a)}) "
                        f"and {show(right)} ({describe(b)})")


def value(node: Any, env: Callable[[Ref], Any]) -> Any:
    """Evaluate an arithmetic tree to a pint quantity; ``env`` gives each reference's quantity."""
    if isinstance(node, Num):
        return node.q
    if isinstance(node, Ref):
        return env(node)
    if isinstance(node, Neg):
        return -value(node.operand, env)
    if isinstance(node, Bin):
        a, b = value(node.left, env), value(node.right, env)
        if node.op in "+-":
            _same_dim(a, b, "add" if node.op == "+" else "subtract", node.col, node.left, node.right)
            return _finite(a + b if node.op == "+" else a - b, node)
        if node.op == "*":
            return _finite(_simplify(a * b), node)
        if float(b.magnitude) == 0:
            raise ExprError(f"division by zero at column {node.col}: {show(node.right)} is 0")
        return _finite(_simplify(a / b), node)
    if isinstance(node, Call):
        args = [value(a, env) for a in node.args]
        x, y = args
        _same_dim(x, y, f"take {node.fn}() of", node.col, node.args[0], node.args[1])
        if node.fn == "ratio":
            if float(y.magnitude) == 0:
                raise ExprError(f"division by zero at column {node.col}: {show(node.args[1])} is 0")
            return (x / y).to("")
        y = y.to(x.units)
        return x if (x <= y) == (node.fn == "min") else y
    if isinstance(node, Compare):
        raise ExprError(f"a comparison cannot be used as a value (column {node.col})")
    raise TypeError(node)


def _finite(q: Any, node: Any) -> Any:
    """A result too large for a float (1e308 W + 1e308 W) is an error, never 'inf' in a verdict."""
    import math

    try:
        m = float(q.magnitude)
    except TypeError:  # an array: left to the caller
        return q
    if not math.isfinite(m):
        raise ExprError(f"overflow at column {node.col}: {show(node)} is too large to compute")
    return q


def _simplify(q: Any) -> Any:
    """Reduce a dimensionless result (PFLOPS / TFLOPS) to a plain number."""
    if q.dimensionless:
        return q.to("")
    return q


def compare(op: str, a: Any, b: Any, tolerance: float = 0.0) -> bool:
    """``a op b``; ``==`` holds when a is within ``tolerance`` (relative) of b."""
    if op == "==":
        bm = float(b.magnitude)
        am = float(a.m_as(b.units))
        if bm == 0:
            return abs(am) <= tolerance
        return abs(am / bm - 1.0) <= tolerance + 1e-12
    am, bm = float(a.m_as(b.units)), float(b.magnitude)
    return {"<": am < bm, "<=": am <= bm, ">": am > bm, ">=": am >= bm}[op]


def check_compare(node: Compare, env: Callable[[Ref], Any]) -> tuple[Any, Any]:
    """Both sides of a comparison, after checking that their units agree."""
    a, b = value(node.left, env), value(node.right, env)
    if a.dimensionality != b.dimensionality:
        raise ExprError(f"unit mismatch at column {node.col} ('{node.op}'): cannot compare {show(node.left)} "
                        f"({describe(a)}) with {show(node.right)} ({describe(b)})")
    return a, b
