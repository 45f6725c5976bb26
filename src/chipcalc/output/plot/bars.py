"""Per chip vs whole system: bars normalised to the second system."""

from __future__ import annotations

from typing import Any

from chipcalc.core.errors import UsageError
from chipcalc.core.figure import Figure, Provenance
from chipcalc.output.plot.base import (
    ASSUMED_HATCH,
    COLORS,
    Chart,
    _alt_sources,
    _finish,
    _new_figure,
)


def _bar_rows(table: Any, n: int) -> list[tuple[str, str, list[Figure]]]:
    """(label, unit, one figure per system) for every row of an n-system table where all have a figure."""
    out = []
    for row in table.rows:
        figs = [c.fig for c in row.cells[:n]]
        if any(f is None for f in figs):
            continue
        out.append((row.label, row.unit, figs))
    return out


#: Ticks of a log ratio axis, as people read ratios: 1-2-5 in every decade.
RATIO_TICKS = tuple(m * 10.0 ** e for e in range(-4, 5) for m in (1, 2, 5))


def ratio_ticks(ax: Any) -> None:
    """Label a log x axis of ratios at 0.1, 0.2, 0.5, 1, 2, 5, 10, ... (plain numbers, not 10^k)."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    lo, hi = ax.get_xlim()
    ticks = [t for t in RATIO_TICKS if lo <= t <= hi]
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
    ax.xaxis.set_minor_locator(NullLocator())


def cluster_bars(a: Any, b: Any, title: str | None = None, base: int = 1) -> Chart:
    """Per-chip and whole-system figures of system ``a`` and the others (``b``: one system or a list)
    relative to the ``base``-th system of [a, *b] (= 1; the first of ``b`` by default), as bars.

    The rows are those of ``chipcalc cluster A --vs B [--vs C]`` (cluster_tables.per_chip_table and
    system_table) where every system has a figure, so the plot and the table never disagree."""
    import numpy as np

    from chipcalc.core.format import fmt_number
    from chipcalc.output import cluster_tables as reports
    from chipcalc.output.table import conv_unit

    systems = [a, *(b if isinstance(b, (list, tuple)) else [b])]
    ids = [s.id for s in systems]
    if len(set(ids)) != len(ids):
        same = next(i for i in ids if ids.count(i) > 1)
        raise UsageError(f"--vs names the same system twice ({same}); compare different systems")
    if not 0 <= base < len(systems):
        raise UsageError(f"--base: index {base} out of range for {len(systems)} systems")
    ref_sys = systems[base]
    n = len(systems)
    panels = [("Per chip", _bar_rows(reports.per_chip_table(systems), n)),
              ("Whole system", _bar_rows(reports.system_table(systems), n))]
    n_rows = max(len(rows) for _, rows in panels)
    fig = _new_figure(13.0, 1.2 + (0.21 * n + 0.0) * max(n_rows, 1))
    axes = fig.subplots(1, 2)
    prov = Provenance()
    ratios = []
    colors = tuple(COLORS[k % len(COLORS)] for k in range(n))
    h = 0.8 / n
    for ax, (name, rows) in zip(axes, panels):
        ys = np.arange(len(rows))[::-1]
        # one bar call per system and style (sourced, assumed) and one errorbar call per system: the same
        # bars as one call each, far fewer artists to build and draw
        bars: dict[tuple[int, bool], list[tuple[float, float]]] = {}
        whiskers: dict[int, list[tuple[float, float, float, float]]] = {}
        for y, (label, unit, figs) in zip(ys, rows):
            u = conv_unit(unit)
            ref = figs[base].m(u)
            for k, f in enumerate(figs):
                off = (n - 1) / 2 * h - k * h
                nominal, lo, hi = f.bounds(u)
                val = nominal / ref
                ratios.append(val)
                bars.setdefault((k, f.assumed), []).append((y + off, val))
                if f.has_range:
                    whiskers.setdefault(k, []).append((y + off, val, max(val - lo / ref, 0), max(hi / ref - val, 0)))
                shown = fmt_number(nominal) + (f" {unit}" if unit else "") + ("*" if f.assumed else "")
                ax.text(max(val, hi / ref) * 1.04, y + off, shown, va="center", fontsize=7, color="#222222")
                prov = prov | f.prov | _alt_sources(f)
        for (k, assumed), pts in sorted(bars.items()):
            yy, ww = zip(*pts)
            ax.barh(yy, ww, height=h, color=colors[k], alpha=0.55 if assumed else 0.85,
                    hatch=ASSUMED_HATCH if assumed else None, edgecolor="black" if assumed else "white",
                    linewidth=0.4 if assumed else 0.0)
        for k, pts in sorted(whiskers.items()):
            yy, vv, el, eh = zip(*pts)
            ax.errorbar(vv, yy, xerr=[el, eh], fmt="none", capsize=2, elinewidth=0.8, ecolor="#333333")
        ax.set_yticks(ys, [f"{lab} [{unit or 'count'}]" for lab, unit, _ in rows], fontsize=8)
        ax.axvline(1.0, color="#555555", linewidth=0.8)
        ax.set_xscale("log")
        ax.set_title(name, fontsize=10)
        ax.set_xlabel(f"relative to {ref_sys.id} (log scale)")
        ax.grid(True, axis="x", which="major", alpha=0.3)
    lo_r = min(ratios) if ratios else 0.1
    hi_r = max(ratios) if ratios else 10
    for ax in axes:
        ax.set_xlim(min(lo_r * 0.6, 0.5), max(hi_r * 3.0, 2.0))
        ratio_ticks(ax)
    from matplotlib.patches import Patch

    handles = [Patch(color=colors[k], label=f"{s.name} ({s.id})" + (" = 1" if k == base else ""))
               for k, s in enumerate(systems)]
    handles.append(Patch(facecolor="white", edgecolor="black", hatch=ASSUMED_HATCH, label="depends on an assumption (*)"))
    vs = " ".join(f"--vs {s.id}" for s in systems[1:])
    notes = ["Bar length: the figure divided by the same figure of " + ref_sys.id + "; the label is the figure itself. "
             "Whiskers: the low-high range where sources disagree. Rows as in `chipcalc cluster "
             f"{a.id} {vs}`."]
    title = title or "Per chip vs whole system: " + " vs ".join(s.name for s in systems)
    return _finish(fig, title, prov, notes, "hatched bars", legend=handles)
