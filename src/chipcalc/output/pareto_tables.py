"""Tables of `chipcalc pareto`: the front of tokens/s per chip vs tokens/s per user, per target."""

from __future__ import annotations

from typing import Any

from chipcalc.calc.serving.pareto import DENSE_BATCHES, GRID_FACTOR
from chipcalc.core.figure import Figure
from chipcalc.output.table import Cell, Table


def _fig(value: float, unit: str, prov: Any) -> Figure:
    from chipcalc.core.units import Q

    return Figure(Q(value, unit), prov)


def front_table(front: Any, accuracy_note: str = "", shown: int = 24) -> Table:
    """One target's front, fastest per user first (thinned to ``shown`` points for text)."""
    import numpy as np

    t = Table(f"Pareto front of {front.model} on {front.target}: output tokens/s per chip vs tokens/s per user "
              f"(context {front.context:,} tokens)", ["tokens/s per user", "tokens/s per chip", "TPOT", "batch", "layout"],
              key=f"pareto.{front.target}")
    pts = list(front.points)
    if len(pts) > shown:
        keep = np.unique(np.linspace(0, len(pts) - 1, shown).round().astype(int))
        t.notes.append(f"The front has {len(pts)} points; {len(keep)} evenly spaced along it are shown "
                       "(--format csv, json or xlsx gives them all).")
        pts = [pts[i] for i in keep]
    for i, p in enumerate(pts):
        if front.inputs:  # each point shown re-evaluated as Figures: it carries its range (†; --ranges shows it)
            from chipcalc.calc.serving.pareto import figures

            f = figures(front, p)
            user, chip, tpot = f["per_user"], f["per_chip"], f["tpot"]
        else:
            user, chip, tpot = (_fig(p.tps_user, "token/s", front.prov), _fig(p.tps_chip, "token/s", front.prov),
                                _fig(p.tpot * 1e3, "ms", front.prov))
        t.add(f"p{i}", f"point {i + 1}", "", [Cell(fig=user, unit="token/s"), Cell(fig=chip, unit="token/s"),
                                              Cell(fig=tpot, unit="ms"), Cell(text=f"{p.batch:,}"), Cell(text=p.layout)])
    offload = ("" if len(front.offloads) < 2 else
               ", the share of KV in host memory: " + ", ".join(f"{x:.0%}" for x in front.offloads))
    t.notes.append(f"Searched {front.layouts:,} layouts (chips used, attention TP and DP, pipeline PP for a dense model, "
                   f"expert EP, MTP, package or die ranks{offload}) x every batch that fits"
                   + (f" (every one up to {DENSE_BATCHES:,}, then steps of {GRID_FACTOR - 1:.0%})" if front.stepped else "")
                   + f": {front.evaluated:,} points.")
    if accuracy_note:
        t.notes.append(accuracy_note)
    return t


COLUMNS = ("target", "tokens_per_s_per_user", "tokens_per_s_per_chip", "tpot_ms", "ttft_ms", "batch", "chips", "systems",
           "ranks", "tp", "pp", "dp", "ep", "mtp", "device", "kv_offload")


def rows(fronts: list[Any]) -> list[list[Any]]:
    import math

    out = []
    for f in fronts:
        for p in f.points:
            out.append([f.target, p.tps_user, p.tps_chip, p.tpot * 1e3, None if math.isnan(p.ttft) else p.ttft * 1e3,
                        p.batch, p.chips, -(-p.chips // p.system_chips) if p.system_chips else None, p.ranks, p.tp, p.pp,
                        p.dp, p.ep, p.mtp, p.device, p.kv_offload])
    return out


def to_csv(fronts: list[Any]) -> str:
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(COLUMNS)
    w.writerows([["" if v is None else v for v in r] for r in rows(fronts)])
    return buf.getvalue()


def to_json(fronts: list[Any], model_error: list[dict[str, Any]] | None = None) -> str:
    """Every point of every front; ``model_error``: the model's error on published decode runs of each
    target's vendor (:func:`chipcalc.calc.accuracy.error_json`)."""
    import json

    prov = fronts[0].prov
    for f in fronts[1:]:
        prov = prov | f.prov
    return json.dumps({"columns": list(COLUMNS), "units": {"tokens_per_s_per_user": "token/s", "tokens_per_s_per_chip": "token/s",
                                                          "tpot_ms": "ms", "ttft_ms": "ms"},
                       "status": prov.status, "sources": sorted({s.id for s in prov.sources}),
                       "assumptions": [{"name": a.name, "text": a.text} for a in sorted(prov.assumptions)],
                       "rows": rows(fronts), **({"model_error": model_error} if model_error is not None else {})}) + "\n"
