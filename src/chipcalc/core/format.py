"""Numbers as people read them: one place decides how every output formats a value and picks a unit.

Pure functions on floats and quantities; nothing here knows about tables or chips.
"""

from __future__ import annotations

from typing import Any


def fmt_number(x: float) -> str:
    """Four significant figures, thousands separated; no scientific notation for usual sizes."""
    import math

    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    ax = abs(x)
    if ax == 0:
        return "0"
    if ax >= 1000:
        return f"{x:,.0f}"
    if ax >= 1e-3:
        s = f"{x:.4g}"
        return s
    return f"{x:.3e}"


#: Display units per dimension, smallest first; a figure is shown in the largest one it reaches 1 in.
LADDERS = {
    "flops": ("GFLOPS", "TFLOPS", "PFLOPS", "EFLOPS", "ZFLOPS"),
    "ops": ("GOPS", "TOPS", "POPS", "EOPS", "ZOPS"),
    "flop": ("MFLOP", "GFLOP", "TFLOP", "PFLOP"),
    "information": ("B", "kB", "MB", "GB", "TB", "PB", "EB"),
    "bandwidth": ("GB/s", "TB/s", "PB/s", "EB/s"),
    "power": ("W", "kW", "MW", "GW"),
    "time": ("ns", "us", "ms", "s"),
    "throughput": ("token/s",),
}


def _ladder(q: Any) -> tuple[str, ...] | None:
    from chipcalc.core.units import Q, check_dimension

    if check_dimension(q, "compute"):
        return LADDERS["ops"] if "OPS" in f"{q.units:~P}" and "FLOPS" not in f"{q.units:~P}" else LADDERS["flops"]
    if q.dimensionality == Q(1, "FLOP").dimensionality:
        return LADDERS["flop"]
    for dim in ("information", "bandwidth", "power", "time", "throughput"):
        if check_dimension(q, dim):
            return LADDERS[dim]
    return None


def unit_for(figs: list[Any]) -> str:
    """A display unit for a row of figures of one dimension ("" for counts, the figure's own unit
    when no ladder fits)."""
    present = [f for f in figs if f is not None]
    if not present:
        return ""
    q = present[0].q
    if q.dimensionless:
        return ""
    ladder = _ladder(q)
    if ladder is None:
        return f"{q.units:~P}"
    from chipcalc.core.units import Q

    biggest = max(abs(float(f.q.m_as(ladder[0]))) for f in present)
    best = ladder[0]
    for u in ladder:
        if biggest / float(Q(1, u).m_as(ladder[0])) >= 1:
            best = u
    return best


# -- a figure in one line (the library face: str(), format(), repr(), Jupyter) ---------------------

def _scalar(x: Any) -> bool:
    import numpy as np

    return np.ndim(x.magnitude) == 0


def figure_value(fig: Any) -> tuple[Any, str]:
    """(magnitude, unit) in the unit a person would read it in (PFLOPS rather than 288,768 TFLOPS)."""
    unit = unit_for([fig]) if not fig.q.dimensionless else ""
    return fig.q.m_as(unit), unit


def _basis(fig: Any, most: int = 4) -> str:
    def names(items: list[str]) -> str:
        shown = ", ".join(items[:most])
        return shown + (f", +{len(items) - most} more" if len(items) > most else "")

    srcs, asms = list(fig.sources), list(fig.assumptions)
    if asms:
        text = f"assumed: {names(asms)}" + (f"; sources: {names(srcs)}" if srcs else "")
    else:
        text = f"sourced: {names(srcs)}"
    rp = getattr(fig, "range_prov", None)
    if rp is not None and fig.has_range:
        extra = sorted({x.id for x in rp.sources} - set(srcs)) + sorted({a.name for a in rp.assumptions} - set(asms))
        if extra:
            text += f"; range: {names(extra)}"
    return text


def _number_text(fig: Any) -> tuple[str, str, str]:
    """(value, unit, range) as text; arrays show their extent."""
    import numpy as np

    value, unit = figure_value(fig)
    if not _scalar(fig.q):
        arr = np.asarray(value, dtype=float)
        text = f"[{fmt_number(float(arr.min()))} … {fmt_number(float(arr.max()))}] ({arr.size} values)" if arr.size else "[]"
        return text, unit, ""
    rng = ""
    if fig.has_range:
        lo, hi = float(fig.lo.m_as(unit)), float(fig.hi.m_as(unit))
        rng = f"[{fmt_number(lo)}–{fmt_number(hi)}]"
    return fmt_number(float(value)), unit, rng


def figure_text(fig: Any) -> str:
    value, unit, rng = _number_text(fig)
    parts = [value + (f" {unit}" if unit else "")]
    if rng:
        parts.append(rng)
    parts.append(f"({_basis(fig)})")
    return " ".join(parts)


def figure_repr(fig: Any) -> str:
    value, unit, rng = _number_text(fig)
    label = fig.label if len(fig.label) <= 60 else fig.label[:59] + "…"
    text = f"<Figure {label + ': ' if label else ''}{value}{' ' + unit if unit else ''}{' ' + rng if rng else ''} {fig.status}>"
    return text if len(text) < 200 else text[:197] + "…>"


def figure_html(fig: Any) -> str:
    import html

    value, unit, rng = _number_text(fig)
    e = html.escape
    return ("<table><tr><th>figure</th><th>value</th><th>unit</th><th>range</th><th>basis</th></tr>"
            f"<tr><td>{e(fig.label)}</td><td style=\"text-align:right\">{e(value)}</td><td>{e(unit)}</td>"
            f"<td>{e(rng)}</td><td>{e(_basis(fig, most=20))}</td></tr></table>")
