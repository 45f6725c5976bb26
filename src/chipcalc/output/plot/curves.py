"""Latency vs batch: TPOT and tokens/s per chip curves."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from chipcalc.core.errors import UsageError
from chipcalc.core.figure import Figure, Provenance
from chipcalc.output.plot.base import (
    ASSUMED_LINE,
    COLORS,
    Chart,
    _band,
    _finish,
    _new_figure,
)
from chipcalc.output.plot.roofline import _take


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


def latency_curve(catalog: Any, target: Any, model: Any, batches: Any, context: int, precision: str = "bf16",
                  kv_precision: str = "bf16", mtp: int = 0, knobs: Any = None,
                  basis: Provenance | None = None) -> tuple["Curve", list[str]]:
    """Decode TPOT and tokens/s per chip over ``batches`` on one target, from the latency model.

    The layout is the one ``chipcalc latency`` picks for the smallest batch; batches whose KV cache
    does not fit in HBM are left out (and said so in the returned notes). ``batches`` None (``--batch
    max``): 1, 2, 4, ... up to the largest batch that fits at ``context``, and that batch itself."""
    import numpy as np

    from chipcalc.calc import serving as L

    kn = knobs if knobs is not None else L.knobs(catalog)
    hw = L.hardware(target, precision, "package", kn)
    lay = L.auto_layout(model, hw, kn, 1 if batches is None else int(np.min(batches)), int(context), kv_precision,
                        None, None, None, mtp)
    if batches is None:  # the layout above is the one for batch 1, the smallest of these batches
        limit = int(float(L.memory(model, hw, lay, kn, 1, int(context), kv_precision).max_batch.m("")))
        batches = sorted({*(2 ** k for k in range(limit.bit_length()) if 2 ** k <= limit), max(limit, 1)})
    batches = np.asarray(batches, dtype=np.int64)
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
