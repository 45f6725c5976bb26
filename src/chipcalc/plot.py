"""Plots: roofline, per-chip vs whole-system bars, latency vs batch.

Every plot is built from catalog figures (no numbers live here) and returned as a :class:`Chart`:
a matplotlib figure plus the provenance of everything drawn on it. Conventions on every plot:

* units on every axis;
* a series or bar that depends on an assumption is dashed (lines) or hatched (bars), and its
  legend entry says "assumed";
* where sources disagree, the low-high range is a shaded band (lines) or whiskers (bars);
* a footnote on the figure lists the source ids and assumption names it rests on
  (``chipcalc list`` / ``chipcalc chip ID`` give the full citations).

matplotlib is imported inside the functions, never at module level, and pyplot is not used at all:
figures are :class:`matplotlib.figure.Figure` objects rendered by their own canvas, so plotting is
headless-safe (no display, no backend selection, no global figure registry).
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from chipcalc.errors import EXIT_USAGE, ChipcalcError, OutputError, UsageError
from chipcalc.figure import Figure, Provenance

MISSING_MATPLOTLIB = "plots need matplotlib: pip install 'chipcalc[plot]'"

#: Output suffix -> matplotlib format.
FORMATS = {".png": "png", ".svg": "svg"}

#: Series colours, in order of the chips or systems given (matplotlib's default cycle).
COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")
#: Line styles per precision when a roofline shows more than one.
PRECISION_WIDTHS = (2.2, 1.4, 1.0, 0.8)
ASSUMED_LINE = (0, (5, 3))  # dashed
POINT_MARKERS = ("D", "s", "^", "v", "P", "X")
ASSUMED_HATCH = "///"
DPI = 110


class MissingDependency(ChipcalcError):
    """An optional dependency (the ``plot`` extra) is not installed."""

    exit_code = EXIT_USAGE


def require_matplotlib() -> Any:
    """Import matplotlib (once per process) or raise a one-line error saying how to install it."""
    try:
        import matplotlib
        import matplotlib.figure  # noqa: F401
    except ImportError:
        raise MissingDependency(MISSING_MATPLOTLIB) from None
    return matplotlib


def plot_format(path: Path | str) -> str:
    """``png`` or ``svg`` from the output's suffix; anything else is a one-line error."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        shown = suffix or "no suffix"
        raise OutputError(f"cannot write a plot as '{shown}' ({path}); name the output .png or .svg")
    return FORMATS[suffix]


# -- the chart object ------------------------------------------------------------------------

@dataclass
class Chart:
    """A finished plot: the matplotlib figure and what it rests on."""

    figure: Any
    title: str
    prov: Provenance = field(default_factory=Provenance)
    notes: list[str] = field(default_factory=list)

    @property
    def sources(self) -> list[str]:
        return sorted({s.id for s in self.prov.sources})

    @property
    def assumptions(self) -> list[str]:
        return sorted({a.name for a in self.prov.assumptions})

    def to_bytes(self, fmt: str = "png", dpi: int = DPI) -> bytes:
        import io

        buf = io.BytesIO()
        # No date/software metadata: the same catalog gives the same bytes.
        metadata = {"Software": None} if fmt == "png" else {"Date": None}
        self.figure.savefig(buf, format=fmt, dpi=dpi, metadata=metadata)
        return buf.getvalue()

    def save(self, path: Path | str, force: bool = False) -> str:
        """Write PNG or SVG (by suffix) atomically; never overwrite without ``force``. Returns the format."""
        from chipcalc.export import write_atomic

        fmt = plot_format(path)
        write_atomic(Path(path), self.to_bytes(fmt), force=force)
        return fmt

    def _repr_png_(self) -> bytes:  # shown inline in Jupyter
        return self.to_bytes("png")


def _new_figure(width: float, height: float) -> Any:
    require_matplotlib()
    from matplotlib.figure import Figure as MplFigure

    fig = MplFigure(figsize=(width, height), dpi=DPI, layout="constrained")
    return fig


def _footnote_lines(prov: Provenance, notes: Sequence[str], marks: str, width: int) -> list[str]:
    srcs = sorted({s.id for s in prov.sources})
    asms = sorted({a.name for a in prov.assumptions})
    text = [f"Sources: {', '.join(srcs) if srcs else 'none'}."]
    if asms:
        text.append(f"Assumptions ({marks}): {', '.join(asms)}.")
    else:
        text.append("No assumptions: every figure shown rests on sources.")
    text.extend(notes)
    text.append("Full citations: chipcalc list, chipcalc chip ID, or the HTML report.")
    lines: list[str] = []
    for t in text:
        lines.extend(textwrap.wrap(t, width=width, break_on_hyphens=False) or [""])
    return lines


def _finish(fig: Any, title: str, prov: Provenance, notes: Sequence[str], marks: str,
            legend: Sequence[Any] = ()) -> Chart:
    """Add the title, an optional figure-wide legend and the footnote of sources.

    The header (title, legend) and the footnote get room of their own, outside the rectangle the
    layout engine arranges the axes in, so they never overlap the axes or each other."""
    width_in, height_in = fig.get_size_inches()
    fontsize = 7
    chars = int(width_in * 72 / (fontsize * 0.62))  # average glyph ~0.6 em, with a margin
    lines = _footnote_lines(prov, notes, marks, chars)
    line_h = fontsize * 1.35 / 72  # inches
    foot_h = (len(lines) + 0.8) * line_h
    title_h = 11 * 1.9 / 72
    legend_h = 8 * 2.6 / 72 if legend else 0.0
    head_h = title_h + legend_h
    total_h = height_in + foot_h + head_h
    fig.set_size_inches(width_in, total_h)
    bottom, top = foot_h / total_h, 1 - head_h / total_h
    fig.get_layout_engine().set(rect=(0, bottom, 1, top - bottom))
    fig.text(0.01, bottom - 0.4 * line_h / total_h, "\n".join(lines), fontsize=fontsize,
             ha="left", va="top", color="#444444", linespacing=1.25)
    fig.text(0.5, 1 - 0.25 * title_h / total_h, title, fontsize=11, ha="center", va="top")
    if legend:
        fig.legend(handles=list(legend), loc="upper center", bbox_to_anchor=(0.5, 1 - title_h / total_h),
                   ncol=len(legend), fontsize=8, frameon=False)
    return Chart(fig, title, prov, list(notes))


def _band(ax: Any, x: Any, lo: Any, hi: Any, color: str) -> None:
    import numpy as np

    if np.any(np.asarray(lo) != np.asarray(hi)):
        ax.fill_between(x, lo, hi, color=color, alpha=0.2, linewidth=0)


def _alt_sources(f: Figure) -> Provenance:
    """The sources of a figure's alternatives (they set its drawn range); their assumptions are
    left out so that a sourced figure with an assumed alternative is not drawn as assumed."""
    return Provenance(sources=frozenset(s for alt in f.alternatives for s in alt.prov.sources))


# -- roofline --------------------------------------------------------------------------------

@dataclass(frozen=True)
class WorkPoint:
    """A workload on a roofline: its arithmetic intensity on one chip (e.g. decode at batch 64)."""

    label: str
    chip_id: str
    precision: str
    intensity: Figure  # FLOP/B


def _compute_units(precisions: Sequence[str]) -> str:
    from chipcalc import schema

    units = sorted({schema.compute_unit(p) for p in precisions})
    return units[0] if len(units) == 1 else " or ".join(units)


def roofline(chips: Sequence[Any], precisions: Sequence[str] = ("bf16",), points: Sequence[WorkPoint] = (),
             title: str | None = None) -> Chart:
    """Attainable throughput vs arithmetic intensity, ``min(peak, intensity x HBM bandwidth)``,
    per chip and precision, with the ridge points marked and optional workload points."""
    import numpy as np

    from chipcalc import cluster, schema
    from chipcalc.table import fmt_number
    from chipcalc.units import Q

    if not chips:
        raise UsageError("a roofline needs at least one chip")
    precisions = list(dict.fromkeys(p.lower() for p in precisions))
    for p in precisions:
        if p not in schema.PRECISIONS:
            raise UsageError(f"unknown precision '{p}'; use one of {', '.join(schema.PRECISIONS)}")
    series = []  # (chip index, chip, precision, peak, bw, ridge)
    notes: list[str] = []
    for i, chip in enumerate(chips):
        bw = chip.get("hbm_bandwidth")
        for p in precisions:
            peak = chip.get(schema.compute_name(p))
            if peak is None or bw is None:
                missing = schema.compute_name(p) if peak is None else "hbm_bandwidth"
                notes.append(f"{chip.id}: no {missing} figure in the catalog, not drawn.")
                continue
            series.append((i, chip, p, peak, bw, cluster.ridge_point(chip, p)))
    if not series:
        raise UsageError("nothing to draw: the catalog has no dense " + "/".join(precisions) +
                         " peak with an HBM bandwidth for " + ", ".join(c.id for c in chips))
    ridges = [r.m("FLOP/B") for *_, r in series]
    ridges += [pt.intensity.m("FLOP/B") for pt in points]
    lo_x = 10 ** np.floor(np.log10(min(ridges) / 30))
    hi_x = 10 ** np.ceil(np.log10(max(ridges) * 10))
    ai = Q(np.logspace(np.log10(lo_x), np.log10(hi_x), 400), "FLOP/B")
    x = ai.m_as("FLOP/B")

    fig = _new_figure(8.0, 5.2)
    ax = fig.add_subplot()
    unit = "TFLOPS"  # OPS and FLOPS share a dimension; int precisions are labelled TOPS
    y_unit = _compute_units(precisions)
    x_unit = "FLOP/B" if y_unit == "TFLOPS" else ("OP/B" if y_unit == "TOPS" else "FLOP/B or OP/B")
    prov = Provenance()
    for i, chip, p, peak, bw, ridge in series:
        color = COLORS[i % len(COLORS)]
        width = PRECISION_WIDTHS[precisions.index(p) % len(PRECISION_WIDTHS)]
        pk_n, pk_lo, pk_hi = peak.bounds(unit)
        roof = np.minimum(pk_n, (ai * bw.q).m_as(unit))
        roof_lo = np.minimum(pk_lo, (ai * bw.lo).m_as(unit))
        roof_hi = np.minimum(pk_hi, (ai * bw.hi).m_as(unit))
        assumed = peak.assumed or bw.assumed
        r = ridge.m("FLOP/B")
        label = (f"{chip.name}, {p.upper()} dense: {fmt_number(pk_n)} {schema.compute_unit(p)}, "
                 f"ridge {fmt_number(r)} {'OP/B' if p.startswith('int') else 'FLOP/B'}") + (" (assumed)" if assumed else "")
        ax.plot(x, roof, color=color, linewidth=width, linestyle=ASSUMED_LINE if assumed else "-", label=label)
        _band(ax, x, roof_lo, roof_hi, color)
        ax.plot([r], [pk_n], marker="o", markersize=6, color=color, markeredgecolor="white", zorder=5)
        prov = prov | peak.prov | bw.prov | _alt_sources(peak) | _alt_sources(bw)
    shapes = {}  # one marker shape per workload (decode, prefill, ...), one colour per chip
    for pt in points:
        match = [s for s in series if s[1].id == pt.chip_id and s[2] == pt.precision]
        if not match:
            continue
        i, chip, p, peak, bw, _ = match[0]
        color = COLORS[i % len(COLORS)]
        marker = shapes.setdefault(pt.label, POINT_MARKERS[len(shapes) % len(POINT_MARKERS)])
        y = min(peak.m(unit), (pt.intensity.q * bw.q).m_as(unit))
        ax.plot([pt.intensity.m("FLOP/B")], [y], marker=marker, markersize=7, color=color, linestyle="none",
                markerfacecolor="white" if pt.intensity.assumed else color, markeredgewidth=1.5, zorder=6)
        prov = prov | pt.intensity.prov
    if points:
        notes.append("Workload points (open marker = depends on an assumption) sit on the roof of their chip, "
                     "at the step's FLOPs / bytes moved.")
    from matplotlib.lines import Line2D

    handles, _ = ax.get_legend_handles_labels()
    handles += [Line2D([], [], marker=m, color="#555555", linestyle="none", label=lab) for lab, m in shapes.items()]
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(lo_x, hi_x)
    ax.set_xlabel(f"arithmetic intensity [{x_unit}]")
    ax.set_ylabel(f"attainable throughput [{y_unit}]")
    ax.grid(True, which="major", alpha=0.3)
    ax.grid(True, which="minor", alpha=0.1)
    ax.legend(handles=handles, fontsize=8, loc="lower right")
    if any(s[3].has_range or s[4].has_range for s in series):
        notes.insert(0, "Shaded band: the low-high range where sources disagree (peak and HBM bandwidth).")
    notes.insert(0, "Roofline: attainable = min(dense peak, arithmetic intensity x HBM bandwidth); "
                    "circles mark the ridge points (peak / HBM bandwidth).")
    title = title or "Roofline: " + " vs ".join(dict.fromkeys(c.name for c in chips))
    return _finish(fig, title, prov, notes, "dashed lines, open markers" if points else "dashed lines")


# -- per chip vs whole system ----------------------------------------------------------------

def _bar_rows(table: Any) -> list[tuple[str, str, Figure, Figure]]:
    """(label, unit, a, b) for every row of a two-system table where both have a figure."""
    out = []
    for row in table.rows:
        a, b = row.cells[0].fig, row.cells[1].fig
        if a is None or b is None:
            continue
        out.append((row.label, row.unit, a, b))
    return out


def cluster_bars(a: Any, b: Any, title: str | None = None) -> Chart:
    """Per-chip and whole-system figures of system ``a`` relative to system ``b`` (= 1), as bars.

    The rows are those of ``chipcalc cluster A --vs B`` (reports.per_chip_table and system_table)
    where both systems have a figure, so the plot and the table never disagree."""
    import numpy as np

    from chipcalc import reports
    from chipcalc.table import conv_unit, fmt_number

    if a.id == b.id:
        raise UsageError(f"--vs names the same system ({a.id}); compare two different systems")
    panels = [("Per chip", _bar_rows(reports.per_chip_table([a, b]))),
              ("Whole system", _bar_rows(reports.system_table([a, b])))]
    n_rows = max(len(rows) for _, rows in panels)
    fig = _new_figure(13.0, 1.2 + 0.42 * n_rows)
    axes = fig.subplots(1, 2)
    prov = Provenance()
    ratios = []
    colors = (COLORS[0], COLORS[1])
    for ax, (name, rows) in zip(axes, panels):
        ys = np.arange(len(rows))[::-1]
        h = 0.38
        for y, (label, unit, fa, fb) in zip(ys, rows):
            u = conv_unit(unit)
            ref = fb.m(u)
            for k, (f, sysid, off) in enumerate(((fa, a.id, h / 2), (fb, b.id, -h / 2))):
                n, lo, hi = f.bounds(u)
                val = n / ref
                ratios.append(val)
                err = None
                if f.has_range:
                    err = [[max(val - lo / ref, 0)], [max(hi / ref - val, 0)]]
                ax.barh(y + off, val, height=h, color=colors[k], alpha=0.85 if not f.assumed else 0.55,
                        hatch=ASSUMED_HATCH if f.assumed else None, edgecolor="white" if not f.assumed else "black",
                        linewidth=0.0 if not f.assumed else 0.4, xerr=err, capsize=2,
                        error_kw={"elinewidth": 0.8, "ecolor": "#333333"})
                shown = fmt_number(n) + (f" {unit}" if unit else "") + ("*" if f.assumed else "")
                ax.text(max(val, hi / ref) * 1.04, y + off, shown, va="center", fontsize=7, color="#222222")
                prov = prov | f.prov | _alt_sources(f)
        ax.set_yticks(ys, [f"{lab} [{unit or 'count'}]" for lab, unit, _, _ in rows], fontsize=8)
        ax.axvline(1.0, color="#555555", linewidth=0.8)
        ax.set_xscale("log")
        ax.set_title(name, fontsize=10)
        ax.set_xlabel(f"relative to {b.id} [× {b.id}; log scale]")
        ax.grid(True, axis="x", which="major", alpha=0.3)
    lo_r = min(ratios) if ratios else 0.1
    hi_r = max(ratios) if ratios else 10
    for ax in axes:
        ax.set_xlim(min(lo_r * 0.6, 0.5), max(hi_r * 3.0, 2.0))
    from matplotlib.patches import Patch

    handles = [Patch(color=colors[0], label=f"{a.name} ({a.id})"), Patch(color=colors[1], label=f"{b.name} ({b.id}) = 1"),
               Patch(facecolor="white", edgecolor="black", hatch=ASSUMED_HATCH, label="depends on an assumption (*)")]
    notes = ["Bar length: the figure divided by the same figure of " + b.id + "; the label is the figure itself. "
             "Whiskers: the low-high range where sources disagree. Rows as in `chipcalc cluster "
             f"{a.id} --vs {b.id}`."]
    title = title or f"Per chip vs whole system: {a.name} vs {b.name}"
    return _finish(fig, title, prov, notes, "hatched bars", legend=handles)


# -- workloads from the latency model (chipcalc.latency) ---------------------------------------

def latency_curve(catalog: Any, target: Any, model: Any, batches: Any, context: int, precision: str = "bf16",
                  kv_precision: str = "bf16", mtp: int = 0, knobs: Any = None,
                  basis: Provenance | None = None) -> tuple["Curve", list[str]]:
    """Decode TPOT and tokens/s per chip over ``batches`` on one target, from the latency model.

    The layout is the one ``chipcalc latency`` picks for the smallest batch; batches whose KV cache
    does not fit in HBM are left out (and said so in the returned notes)."""
    import numpy as np

    from chipcalc import latency as L

    kn = knobs if knobs is not None else L.knobs(catalog)
    batches = np.asarray(batches, dtype=np.int64)
    hw = L.hardware(target, precision, "package", kn)
    lay = L.auto_layout(model, hw, kn, int(batches.min()), int(context), kv_precision, None, None, None, mtp)
    d = L.decode(model, hw, lay, kn, batches, np.full(batches.shape, int(context)), kv_precision)
    fits = np.broadcast_to(np.asarray(d.memory.fits), batches.shape)
    notes = []
    if not fits.all():
        if not fits.any():
            asked = f"batch {batches.min()}" if batches.min() == batches.max() else f"batch of {batches.min()}-{batches.max()}"
            notes.append(f"{target.id}: no {asked} fits in HBM at context {context}.")
        else:
            notes.append(f"{target.id}: batches above {batches[fits].max()} per chip do not fit in HBM; not drawn.")
    keep = np.nonzero(fits)[0]
    label = f"{target.id}: {lay.chips} chips, TP{lay.tp} EP{lay.ep}, {precision.upper()}"
    tpot, rate = _take(d.tpot, keep, batches.shape), _take(d.per_chip, keep, batches.shape)
    if basis is not None:  # e.g. the default_context assumption, when the context was not given
        tpot, rate = tpot.with_prov(basis), rate.with_prov(basis)
    curve = Curve(label, batches[keep], tpot, rate)
    return curve, notes


def _take(f: Figure, idx: Any, shape: Any) -> Figure:
    """Elements ``idx`` of an array figure (broadcast to ``shape`` first)."""
    import numpy as np
    from dataclasses import replace

    pick = lambda q: None if q is None else np.broadcast_to(q.magnitude, shape)[idx] * q.units  # noqa: E731
    return replace(f, q=pick(f.q), low=pick(f.low), high=pick(f.high))


def workload_points(catalog: Any, chips: Sequence[Any], model: Any, precision: str, batch: int, context: int,
                    knobs: Any = None, basis: Provenance | None = None) -> list[WorkPoint]:
    """Decode (at ``batch`` sequences per chip) and prefill (one ``context``-token prompt) of ``model``
    on each chip, as arithmetic intensities (FLOPs / bytes of one step) for a roofline.

    ``basis`` is added to every point's provenance: pass the default_batch / default_context
    assumptions when the batch or context came from them rather than from the user."""
    import numpy as np

    from chipcalc import latency as L

    kn = knobs if knobs is not None else L.knobs(catalog)
    out = []
    for chip in chips:
        if chip.get(f"{precision}_dense") is None:
            continue
        hw = L.hardware(chip, precision, "package", kn)
        lay = L.auto_layout(model, hw, kn, batch, context, "bf16", None, None, None, 0)
        dec = L.decode(model, hw, lay, kn, np.array([batch]), np.array([context]))
        pre = L.prefill(model, hw, lay, kn, np.array([context]))
        for phase, st, what in (("decode", dec.step, f"batch {batch}"), ("prefill", pre.step, f"{context} tokens")):
            ai = (_take(st.flops, 0, np.shape(st.flops.q.magnitude)) / _take(st.bytes, 0, np.shape(st.bytes.q.magnitude))).to("FLOP/B")
            if basis is not None:
                ai = ai.with_prov(basis)
            out.append(WorkPoint(f"{model.id} {phase}, {what}", chip.id, precision, ai))
    return out


# -- latency vs batch ------------------------------------------------------------------------

@dataclass(frozen=True)
class Curve:
    """One latency curve: a label and figures over batch sizes (each a Figure holding an array)."""

    label: str
    batch: Any  # numpy array of batch sizes (sequences per chip)
    tpot: Figure  # time per output token, array
    throughput: Figure  # output tokens/s per chip, array


def latency_curves(curves: Sequence[Curve], title: str, x_label: str = "batch [sequences per chip]",
                   notes: Sequence[str] = ()) -> Chart:
    """TPOT and tokens/s per chip vs batch: one colour per curve, dashed where assumed, band for ranges."""
    if not curves:
        raise UsageError("nothing to draw: no latency curve")
    fig = _new_figure(11.0, 4.6)
    from matplotlib.ticker import FuncFormatter

    ax_t, ax_r = fig.subplots(1, 2)
    prov = Provenance()
    for i, c in enumerate(curves):
        color = COLORS[i % len(COLORS)]
        for ax, f, unit in ((ax_t, c.tpot, "ms"), (ax_r, c.throughput, "token/s")):
            n, lo, hi = f.bounds(unit)
            style = ASSUMED_LINE if f.assumed else "-"
            ax.plot(c.batch, n, color=color, linestyle=style, linewidth=1.8, marker="o", markersize=3,
                    label=c.label + (" (assumed)" if f.assumed else ""))
            _band(ax, c.batch, lo, hi, color)
            prov = prov | f.prov
    ax_t.set_ylabel("time per output token (TPOT) [ms]")
    ax_r.set_ylabel("decode throughput per chip [token/s]")
    for ax in (ax_t, ax_r):
        ax.set_xlabel(x_label)
        ax.set_xscale("log", base=2)
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    ax_t.set_title("latency", fontsize=10)
    ax_r.set_title("throughput", fontsize=10)
    return _finish(fig, title, prov, list(notes), "dashed lines")
