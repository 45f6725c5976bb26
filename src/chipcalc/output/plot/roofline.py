"""The roofline: attainable FLOPS vs arithmetic intensity, ridge points, workload points."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from chipcalc.core.errors import UsageError
from chipcalc.core.figure import Figure, Provenance
from chipcalc.output.plot.base import (
    ASSUMED_LINE,
    COLORS,
    POINT_MARKERS,
    PRECISION_MARKERS,
    PRECISION_WIDTHS,
    Chart,
    _alt_sources,
    _band,
    _finish,
    _new_figure,
)


@dataclass(frozen=True)
class WorkPoint:
    """A workload on a roofline: its arithmetic intensity on one chip (e.g. decode at batch 64)."""

    label: str
    chip_id: str
    precision: str
    intensity: Figure  # FLOP/B


def _compute_units(precisions: Sequence[str]) -> str:
    from chipcalc.catalog import schema

    units = sorted({schema.compute_unit(p) for p in precisions})
    return units[0] if len(units) == 1 else " or ".join(units)


def roofline(chips: Sequence[Any], precisions: Sequence[str] = ("bf16",), points: Sequence[WorkPoint] = (),
             title: str | None = None) -> Chart:
    """Attainable throughput vs arithmetic intensity, ``min(peak, intensity x HBM bandwidth)``,
    per chip and precision, with the ridge points marked and optional workload points."""
    import numpy as np

    from chipcalc.calc import cluster
    from chipcalc.catalog import schema
    from chipcalc.core.format import fmt_number
    from chipcalc.core.units import Q

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
    roofs: dict[tuple[str, float, float], str] = {}  # a chip's roof already drawn -> its precision
    for i, chip, p, peak, bw, ridge in series:
        color = COLORS[i % len(COLORS)]
        k = precisions.index(p)
        width = PRECISION_WIDTHS[k % len(PRECISION_WIDTHS)]
        marker = PRECISION_MARKERS[k % len(PRECISION_MARKERS)]
        pk_n, pk_lo, pk_hi = peak.bounds(unit)
        roof = np.minimum(pk_n, (ai * bw.q).m_as(unit))
        roof_lo = np.minimum(pk_lo, (ai * bw.lo).m_as(unit))
        roof_hi = np.minimum(pk_hi, (ai * bw.hi).m_as(unit))
        assumed = peak.assumed or bw.assumed
        r = ridge.m("FLOP/B")
        same = roofs.setdefault((chip.id, round(pk_n, 9), round(bw.m("TB/s"), 9)), p)
        label = (f"{chip.name}, {p.upper()} dense: {fmt_number(pk_n)} {schema.compute_unit(p)}, "
                 f"ridge {fmt_number(r)} {'OP/B' if p.startswith('int') else 'FLOP/B'}"
                 + (f" (same roof as {same.upper()})" if same != p else "") + (" (assumed)" if assumed else ""))
        ax.plot(x, roof, color=color, linewidth=width, linestyle=ASSUMED_LINE if assumed else "-", label=label,
                marker=marker, markersize=6, markeredgewidth=1.3, markevery=(8 + 13 * k, 40))
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


# -- workload points from the latency model (chipcalc.calc.serving) ------------------------------

def _take(f: Figure, idx: Any, shape: Any) -> Figure:
    """Elements ``idx`` of an array figure (broadcast to ``shape`` first)."""
    from dataclasses import replace

    import numpy as np

    pick = lambda q: None if q is None else np.broadcast_to(q.magnitude, shape)[idx] * q.units  # noqa: E731
    return replace(f, q=pick(f.q), low=pick(f.low), high=pick(f.high))


def workload_points(catalog: Any, chips: Sequence[Any], model: Any, precision: str, batch: int, context: int,
                    knobs: Any = None, basis: Provenance | None = None) -> list[WorkPoint]:
    """Decode (at ``batch`` sequences per chip) and prefill (one ``context``-token prompt) of ``model``
    on each chip, as arithmetic intensities (FLOPs / bytes of one step) for a roofline.

    ``basis`` is added to every point's provenance: pass the default_batch / default_context
    assumptions when the batch or context came from them rather than from the user."""
    import numpy as np

    from chipcalc.calc import serving as L

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
