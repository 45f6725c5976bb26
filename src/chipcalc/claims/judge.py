"""Evaluate a comparison over figures with ranges: at nominal, at each input's range ends, at the corners.

Given a parsed comparison and the figure behind each reference, :func:`judge` answers: does it hold at
the nominal values; does it still hold when any one input moves to the low or high end of its range
(which inputs flip it); and does it hold at every corner of the ranges together (robust). Each side
comes back as a :class:`Figure` whose range spans the corners and whose provenance is the union of the
inputs it used, so the working can be shown. Pure: no catalog, no printing.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from chipcalc.claims import evaluate, expr
from chipcalc.core.figure import Figure, Provenance

#: More ranged inputs than this and the corners are not enumerated (2^n evaluations); the one-at-a-time
#: sweeps still name the inputs that flip the result.
MAX_CORNERS = 10


@dataclass(frozen=True)
class Outcome:
    node: Any  # the parsed comparison (or a bare expression)
    inputs: tuple[tuple[str, Figure], ...]  # each reference and the figure behind it
    lhs: Figure
    rhs: Figure | None
    measured: Figure | None  # lhs / rhs (a plain number) when both sides have one dimension
    holds: bool | None  # at nominal; None for a bare expression
    everywhere: bool | None  # holds at every corner (or fails at every corner): robust
    flips: tuple[str, ...]  # references whose range alone flips the result
    combined: tuple[str, ...]  # ranged references that flip it only together
    corners_checked: bool  # False when there were too many ranged inputs to enumerate
    tolerance: float = 0.0

    @property
    def robust(self) -> bool:
        return bool(self.everywhere) and not self.flips and not self.combined

    def input(self, ref: str) -> Figure:
        return dict(self.inputs)[ref]


def _side_fig(q: Any, lows: list[Any], prov: Provenance, label: str, range_prov: Provenance = Provenance()) -> Figure:
    """A side of a claim: its value and the range its inputs' ranges give, citing where those ranges come from
    (``range_prov``: the inputs' own range sources, so a range never loses its citations)."""
    unit = q.units
    mags = [float(x.m_as(unit)) for x in lows]
    ranged = bool(mags) and (min(mags) != float(q.magnitude) or max(mags) != float(q.magnitude))
    if not ranged:
        return Figure(q, prov, label=label)
    return Figure(q, prov, low=min(mags) * unit, high=max(mags) * unit, label=label, range_prov=range_prov)


def _range_prov(node: Any, figs: dict[str, Figure]) -> Provenance:
    return Provenance.union(figs[r.name].range_prov for r in expr.refs(node))


def _prov(node: Any, figs: dict[str, Figure], literal: Provenance) -> Provenance:
    provs = [figs[r.name].prov for r in expr.refs(node)]
    if _has_literal(node) or not provs:
        provs.append(literal)
    return Provenance.union(provs)


def _has_literal(node: Any) -> bool:
    if isinstance(node, expr.Num):
        return True
    if isinstance(node, expr.Neg):
        return _has_literal(node.operand)
    if isinstance(node, (expr.Bin, expr.Compare)):
        return _has_literal(node.left) or _has_literal(node.right)
    if isinstance(node, expr.Call):
        return any(_has_literal(a) for a in node.args)
    return False


def judge(node: Any, figs: dict[str, Figure], literal: Provenance, tolerance: float = 0.0) -> Outcome:
    """Evaluate ``node`` with ``figs`` (reference name -> figure); ``literal`` is the provenance of the
    numbers written in the expression (the claim's source, or "given on the command line")."""
    refs = [r.name for r in expr.refs(node)]
    inputs = tuple((r, figs[r]) for r in refs)
    ranged = [r for r in refs if figs[r].has_range]

    def env_for(ends: dict[str, str]) -> Any:
        def env(ref: expr.Ref) -> Any:
            f = figs[ref.name]
            end = ends.get(ref.name)
            return f.lo if end == "lo" else f.hi if end == "hi" else f.q
        return env

    is_cmp = isinstance(node, expr.Compare)

    def run(ends: dict[str, str]) -> tuple[Any, Any, Any, bool | None]:
        env = env_for(ends)
        if not is_cmp:
            return evaluate.value(node, env), None, None, None
        a, b = evaluate.check_compare(node, env)
        ratio = (a / b).to("") if float(b.magnitude) != 0 else None
        return a, b, ratio, evaluate.compare(node.op, a, b, tolerance)

    a0, b0, r0, h0 = run({})
    flips: list[str] = []
    samples = []
    for r in ranged:
        for end in ("lo", "hi"):
            res = run({r: end})
            samples.append(res)
            if is_cmp and res[3] != h0 and r not in flips:
                flips.append(r)
    corners_checked = len(ranged) <= MAX_CORNERS
    combined: list[str] = []
    everywhere: bool | None = None
    if corners_checked and len(ranged) > 1:
        for ends in itertools.product(("lo", "hi"), repeat=len(ranged)):
            samples.append(run(dict(zip(ranged, ends))))
    if is_cmp:
        everywhere = all(s[3] == h0 for s in samples)
        if not everywhere and not flips:
            combined = list(ranged)
    left = node.left if is_cmp else node
    lhs = _side_fig(a0, [s[0] for s in samples], _prov(left, figs, literal), expr.show(left), _range_prov(left, figs))
    rhs = measured = None
    if is_cmp:
        rhs = _side_fig(b0, [s[1] for s in samples], _prov(node.right, figs, literal), expr.show(node.right),
                        _range_prov(node.right, figs))
        if r0 is not None and all(s[2] is not None for s in samples):
            measured = _side_fig(r0, [s[2] for s in samples], lhs.prov | rhs.prov,
                                 f"({expr.show(node.left)}) / ({expr.show(node.right)})", lhs.range_prov | rhs.range_prov)
    return Outcome(node, inputs, lhs, rhs, measured, h0, everywhere, tuple(flips), tuple(combined),
                   corners_checked, tolerance)
