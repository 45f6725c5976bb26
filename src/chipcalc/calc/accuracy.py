"""The latency model against published serving measurements: the model's prediction for each point.


One model and one set of assumptions for every point (the catalog's defaults, no per-point tuning);
:mod:`chipcalc.output.accuracy_doc` lays the comparison out as docs/validation.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chipcalc.calc import serving as L
from chipcalc.catalog.measurements import Measurement
from chipcalc.core.errors import ChipcalcError
from chipcalc.core.figure import Figure


@dataclass(frozen=True)
class Prediction:
    tokens_per_chip: Figure
    tpot: Figure | None
    bound: str
    batch: int | None
    layout: L.Layout
    extra: dict[str, Any] = field(default_factory=dict)


def predict(catalog: Any, kn: L.Knobs, m: Measurement) -> Prediction:
    s = m.setup
    model = catalog.model(s["model"])
    hw = L.hardware(catalog.target(s["target"]), s.get("precision", "bf16"), s.get("device", "package"), kn)
    lay = L.layout(model, hw, s["chips"], s.get("tp", 1), s.get("ep"), s.get("mtp", 0))
    kvp = s.get("kv_precision", "bf16")
    if s["phase"] == "prefill":
        p = L.prefill(model, hw, lay, kn, s["context"], s.get("prefill_tokens"), kvp)
        return Prediction(L.at(p.per_chip, 0), None, str(p.step.bound.ravel()[0]), None, lay)
    batch = s["batch"]
    if batch == "max":
        probe = L.memory(model, hw, lay, kn, 1, s["context"], kvp)
        batch = int(L.at(probe.max_batch, 0).m(""))
        if batch < 1:
            raise ChipcalcError(f"{m.id}: the weights do not fit on {s['target']}")
    d = L.decode(model, hw, lay, kn, batch, s["context"], kvp)
    extra = {"fits": bool(d.memory.fits.all())}
    return Prediction(L.at(d.per_chip, 0), L.at(d.tpot, 0), str(d.step.bound.ravel()[0]), batch, lay, extra)
