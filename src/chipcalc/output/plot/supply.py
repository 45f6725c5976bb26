"""`chipcalc plot supply`: the constraints of a supply scenario side by side.

One horizontal bar per input: the packages it allows in the period (new wafers at the stated yield and
the die bank, each alone and together as the logic-die limit; HBM stacks; packaging capacity). The
binding limit is outlined and labelled, ranges are whiskers, a bar that depends on an assumption is
hatched, an input no source gives is listed as "no source" instead of a bar.
"""

from __future__ import annotations

from typing import Any

from chipcalc.core.figure import Figure, Provenance
from chipcalc.output.plot.base import ASSUMED_HATCH, COLORS, Chart, _alt_sources, _finish, _new_figure


def _bars(f: Any) -> list[tuple[str, str, Figure | None]]:
    """(key, label, packages) per bar, top to bottom."""
    p = f.parts
    per_die = None
    if "dies_per_package" in p and "packaging_yield" in p:
        per_die = lambda dies: dies / p["dies_per_package"] * p["packaging_yield"]  # noqa: E731
    out: list[tuple[str, str, Figure | None]] = []
    if per_die is not None and "wafer_dies" in p:
        out.append(("wafers", "new wafers x die yield (alone)", per_die(p["wafer_dies"])))
    if per_die is not None and "bank_dies" in p:
        out.append(("bank", "die bank (alone)", per_die(p["bank_dies"])))
    for lim in f.limits:
        label = {"dies": "logic dies: new wafers + die bank", "hbm": "HBM stacks", "packaging": "packaging capacity"}[lim.key]
        out.append((lim.key, label, lim.packages))
    return out


def supply_bars(f: Any, title: str | None = None) -> Chart:
    """The packages each input of funnel ``f`` allows, the binding limit marked."""
    import numpy as np

    from chipcalc.core.format import fmt_count

    bars = _bars(f)
    fig = _new_figure(10.0, 1.4 + 0.5 * len(bars))
    ax = fig.add_subplot(1, 1, 1)
    ys = np.arange(len(bars))[::-1]
    prov = Provenance()
    # the axis spans twice the largest nominal bar; a whisker beyond it is cut and ends in an arrow
    top = 2.0 * max([float(b.q.m_as("package")) for _, _, b in bars if b is not None] or [1.0])
    for y, (key, label, b) in zip(ys, bars):
        if b is None:
            ax.text(top * 0.02, y, "no source gives it: not a constraint", va="center", fontsize=8, color="#777777",
                    bbox={"facecolor": "white", "edgecolor": "none", "pad": 1})
            continue
        n, lo, hi = (float(x) for x in b.bounds("package"))
        binding = key == f.binding
        color = COLORS[1] if binding else COLORS[0] if key in ("dies", "hbm", "packaging") else "#9ecae1"
        cut = hi > top
        err = [[max(n - lo, 0)], [max(min(hi, top) - n, 0)]] if b.has_range else None
        ax.barh(y, n, height=0.6, color=color, alpha=0.85 if not b.assumed else 0.6,
                hatch=ASSUMED_HATCH if b.assumed else None, edgecolor="black" if binding or b.assumed else "white",
                linewidth=1.6 if binding else 0.4, xerr=err, capsize=3, error_kw={"elinewidth": 0.9, "ecolor": "#333333"})
        text = fmt_count(n) + ("*" if b.assumed else "") + (f"  [{fmt_count(lo)}–{fmt_count(hi)}]" if b.has_range else "")
        if cut:
            ax.annotate("", xy=(top, y), xytext=(top * 0.96, y), arrowprops={"arrowstyle": "->", "color": "#333333"})
        x = top * 0.62 if cut else max(n, hi) + top * 0.01
        ax.text(x, y + (0.36 if cut else 0), text + ("   ◀ binding" if binding else ""), va="center", fontsize=8,
                color="#b22222" if binding else "#222222", fontweight="bold" if binding else "normal")
        prov = prov | b.prov | _alt_sources(b) | b.range_prov
    if f.packages is not None:
        ax.axvline(float(f.packages.q.m_as("package")), color="#b22222", linewidth=0.9, linestyle=(0, (4, 3)))
    ax.set_yticks(ys, [label for _, label, _ in bars], fontsize=9)
    ax.set_xlim(0, top)
    ax.set_xlabel(f"packages allowed in {f.months:g} months [package]")
    ax.grid(True, axis="x", alpha=0.3)
    ax.ticklabel_format(axis="x", style="plain")
    ax.xaxis.set_major_formatter(_thousands())
    from matplotlib.patches import Patch

    handles = [Patch(facecolor=COLORS[1], edgecolor="black", linewidth=1.6, label="binding limit (dashed line: the answer)"),
               Patch(facecolor=COLORS[0], label="other limits"), Patch(facecolor="#9ecae1", label="sources of logic dies"),
               Patch(facecolor="white", edgecolor="black", hatch=ASSUMED_HATCH, label="depends on an assumption (*)")]
    notes = [f"{f.scenario.name} ({f.scenario.id}): the packages each input allows, after the packaging yield. "
             "Whiskers: the low-high range where sources disagree or a range is assumed. "
             f"Same numbers as `chipcalc supply {f.product.id} --scenario {f.scenario.id}`."]
    return _finish(fig, title or f"What limits {f.product.name} in {f.scenario.year}: packages each input allows",
                   prov, notes, "hatched bars", legend=handles)


def _thousands() -> Any:
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda x, _pos: f"{x:,.0f}")
