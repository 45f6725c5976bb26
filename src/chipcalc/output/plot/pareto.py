"""Pareto fronts: output tokens/s per chip vs tokens/s per user, one line per target (as measured results
are shown by SemiAnalysis' InferenceMAX)."""

from __future__ import annotations

from typing import Any, Sequence

from chipcalc.core.errors import UsageError
from chipcalc.core.figure import Provenance
from chipcalc.output.plot.base import (
    ASSUMED_LINE,
    COLORS,
    POINT_MARKERS,
    Chart,
    _finish,
    _new_figure,
)


def pareto_fronts(fronts: Sequence[Any], title: str, notes: Sequence[str] = ()) -> Chart:
    """Every target's front on one chart: x tokens/s per user (1/TPOT), y output tokens/s per chip, both
    logarithmic; the fronts rest on the serving model's assumptions, hence dashed."""
    if not fronts:
        raise UsageError("nothing to draw: no Pareto front")
    fig = _new_figure(8.5, 5.6)
    from matplotlib.ticker import FuncFormatter

    ax = fig.subplots(1, 1)
    prov = Provenance()
    for i, f in enumerate(fronts):
        xs = [p.tps_user for p in f.points]
        ys = [p.tps_chip for p in f.points]
        style = ASSUMED_LINE if f.prov.assumed else "-"
        ax.plot(xs, ys, color=COLORS[i % len(COLORS)], linestyle=style, linewidth=1.8,
                marker=POINT_MARKERS[i % len(POINT_MARKERS)], markersize=3.5, drawstyle="steps-post",
                label=f"{f.target}" + (" (assumed)" if f.prov.assumed else ""))
        prov = prov | f.prov
    ax.set_xscale("log")
    ax.set_yscale("log")
    fmt = FuncFormatter(lambda v, _: f"{v:g}")
    ax.xaxis.set_major_formatter(fmt)
    ax.yaxis.set_major_formatter(fmt)
    ax.set_xlabel("tokens/s per user (1 / TPOT) [token/s]")
    ax.set_ylabel("output tokens/s per chip [token/s]")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    return _finish(fig, title, prov, list(notes), "dashed lines")
