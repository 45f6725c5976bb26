"""The latency model against published serving measurements: its prediction for each point, and its
error by group (phase and vendor), computed at run time from ``specs/measurements*.toml``.

One model and one set of assumptions for every point (the catalog's defaults, no per-point tuning);
:mod:`chipcalc.output.accuracy_doc` lays the comparison out as docs/validation.md, and every latency
answer says how the model has done on comparable runs (:func:`error_for`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from chipcalc.calc import serving as L
from chipcalc.catalog.measurements import Measurement, load_measurements
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


def _deployment(catalog: Any, kn: L.Knobs, m: Measurement) -> tuple[Any, Any, Any, Any]:
    s = m.setup
    model = catalog.model(s["model"])
    hw = L.hardware(catalog.target(s["target"]), s.get("precision", "bf16"), s.get("device", "package"), kn)
    lay = L.layout(model, hw, s["chips"], s.get("tp", 1), s.get("ep"), s.get("mtp", 0))
    return model, hw, lay, s.get("kv_precision", "bf16")


def _offline_phase(setup: dict) -> str:
    """The offline formulas `chipcalc latency --isl --osl` runs by default (in-flight batching)."""
    from chipcalc.calc.serving.request import Request

    return Request(isl=setup["isl"], osl=setup["osl"]).offline_phase


def _batch(m: Measurement, model: Any, hw: Any, lay: Any, kn: L.Knobs, kvp: str) -> int:
    s = m.setup
    if s.get("batch") == "tpot":  # the run reports throughput under a TPOT limit: the largest batch meeting it
        from chipcalc.calc.serving.search import largest_batch_for_tpot
        from chipcalc.core.figure import Figure, Provenance

        limit = Figure(m.tpot, Provenance.source(m.source, "the run's TPOT limit"))
        batch, _ = largest_batch_for_tpot(model, hw, lay, kn, s["context"], limit, kvp)
        if batch is None:
            raise ChipcalcError(f"{m.file}: {m.id}: no batch meets the {m.tpot:~P} TPOT limit on {s['target']}; "
                               "check the point's tpot and set-up")
        return batch
    if s.get("batch") != "max":
        return int(s["batch"])
    if s["phase"] == "offline":
        setup = L.setup_for(model, hw, kn, kvp)
        phase = _offline_phase(s)
        v = L.Outputs(setup, phase, L.shape(model, hw, lay), 1.0, (float(s["isl"]), float(s["osl"]))).values
        batch = int(float(v["mem_max_batch"]))
    else:
        batch = int(L.at(L.memory(model, hw, lay, kn, 1, s["context"], kvp).max_batch, 0).m(""))
    if batch < 1:
        raise ChipcalcError(f"{m.file}: {m.id}: the weights do not fit on {s['target']}; check the point's set-up")
    return batch


def predict(catalog: Any, kn: L.Knobs, m: Measurement) -> Prediction:
    """The model's tokens/s per chip (and TPOT) for a measured set-up, as Figures with ranges. A set-up
    run with perfect expert balance (``perfect_balance = true``, as the experiment states) has an
    imbalance of 1."""
    s = m.setup
    if s.get("perfect_balance"):
        from dataclasses import replace

        from chipcalc.core.figure import Provenance
        from chipcalc.core.units import Q

        kn = replace(kn, imbalance=Figure(Q(1.0, ""), Provenance.source(m.source, "the run simulates perfect expert balance")))
    model, hw, lay, kvp = _deployment(catalog, kn, m)
    if s["phase"] == "prefill":
        p = L.prefill(model, hw, lay, kn, s["context"], s.get("prefill_tokens"), kvp, s.get("cache_hit", 0.0))
        return Prediction(L.at(p.per_chip, 0), None, str(p.step.bound.ravel()[0]), None, lay)
    batch = _batch(m, model, hw, lay, kn, kvp)
    if s["phase"] == "offline":
        setup = L.setup_for(model, hw, kn, kvp)
        phase = _offline_phase(s)
        out = L.Outputs(setup, phase, L.shape(model, hw, lay), float(batch), (float(s["isl"]), float(s["osl"])))
        fits = bool(out.values["mem_weights"] + out.values["mem_kv"] + out.values["mem_activations"]
                    + out.values["mem_workspace"] <= out.values["mem_usable"])
        return Prediction(out.figure("per_chip", "token/s"), out.figure("tpot", "ms"), str(out.bound()), batch, lay,
                          {"fits": fits})
    d = L.decode(model, hw, lay, kn, batch, s["context"], kvp)
    extra = {"fits": bool(d.memory.fits.all())}
    return Prediction(L.at(d.per_chip, 0), L.at(d.tpot, 0), str(d.step.bound.ravel()[0]), batch, lay, extra)


# -- the model's error, by group --------------------------------------------------------------------

@dataclass(frozen=True)
class Ratio:
    """model / measured tokens/s per chip of one published point."""

    id: str
    phase: str
    vendor: str
    ratio: float
    fitted: bool
    source: str


def vendor_of(catalog: Any, target: Any) -> str:
    rec = catalog.target(target) if isinstance(target, str) else target
    return getattr(rec, "chip", rec).vendor


def ratios(catalog: Any) -> list[Ratio]:
    """Every measured point against the model with the catalog's default assumptions."""
    kn = L.knobs(catalog)
    out = []
    for m in load_measurements(catalog):
        p = predict(catalog, kn, m)
        r = float(p.tokens_per_chip.m("token/s")) / float(m.tokens_per_chip.m_as("token/s"))
        out.append(Ratio(m.id, m.phase, vendor_of(catalog, m.setup["target"]), r, m.fitted, m.source))
    return out


@dataclass(frozen=True)
class Error:
    """How far model/measured strays on a group of published points."""

    phase: str
    vendor: str | None  # None: every vendor
    ids: tuple[str, ...]
    lo: float
    hi: float
    geomean: float
    log_error: float  # geometric mean of |log(model/measured)|, as a factor (1.0 = exact)
    fitted: int  # how many of them an assumption was chosen by
    fitted_ids: tuple[str, ...] = ()  # which

    @property
    def n(self) -> int:
        return len(self.ids)

    def text(self) -> str:
        who = f" on {self.vendor}" if self.vendor else ""
        runs = ", ".join(i + (" (fitted)" if i in self.fitted_ids else "") for i in self.ids)
        fit = f"; the {self.fitted} marked (fitted) were used to choose assumptions" if self.fitted else ""
        return (f"model/measured tokens/s per chip on {self.n} published {self.phase} run{'s' if self.n != 1 else ''}{who}: "
                f"{self.lo:.2f}–{self.hi:.2f} (geomean {self.geomean:.2f}, mean error factor {self.log_error:.2f}) "
                f"[{runs}]{fit}")


def summarize(rs: list[Ratio], phase: str, vendor: str | None = None, fitted: bool | None = None) -> Error | None:
    pick = [r for r in rs if r.phase == phase and (vendor is None or r.vendor == vendor)
            and (fitted is None or r.fitted == fitted)]
    if not pick:
        return None
    logs = [math.log(r.ratio) for r in pick]
    return Error(phase, vendor, tuple(r.id for r in pick), min(r.ratio for r in pick), max(r.ratio for r in pick),
                 math.exp(sum(logs) / len(logs)), math.exp(sum(abs(x) for x in logs) / len(logs)),
                 sum(r.fitted for r in pick), tuple(r.id for r in pick if r.fitted))


def error_record(rs: list[Ratio], phase: str, vendor: str) -> Error | None:
    """The runs a latency answer is judged by: the same phase on the same vendor's hardware, else the same
    phase on any (``vendor`` None in the record), else None."""
    return summarize(rs, phase, vendor) or summarize(rs, phase)


def error_json(rs: list[Ratio], phase: str, vendor: str) -> dict[str, Any]:
    """:func:`error_record` for JSON output: the numbers of the sentence, machine-readable."""
    e = error_record(rs, phase, vendor)
    out: dict[str, Any] = {"phase": phase, "asked_vendor": vendor}
    if e is None:
        return {**out, "runs": 0}
    return {**out, "vendor": e.vendor, "runs": e.n, "min": e.lo, "max": e.hi, "geomean": e.geomean,
            "mean_error_factor": e.log_error, "ids": list(e.ids), "fitted_ids": list(e.fitted_ids),
            "quantity": "model / measured output tokens/s per chip"}


def error_for(rs: list[Ratio], phase: str, vendor: str) -> str:
    """The sentence a latency answer carries: the same phase on the same vendor's hardware, else the
    same phase on any."""
    e = error_record(rs, phase, vendor)
    if e is None:
        return f"Model accuracy: no published {phase} run to compare with."
    if e.vendor is None:
        return f"Model accuracy: no published {phase} run on {vendor}; " + e.text() + "."
    return "Model accuracy: " + e.text() + "."


def cached_ratios(catalog: Any) -> list[Ratio]:
    """:func:`ratios` of the catalog's built-in and user spec folders with their own assumptions (never a
    what-if's), from the pre-parsed cache when the spec files and the code are unchanged."""
    from chipcalc.catalog.cache import cached

    return cached("accuracy", list(catalog.folders), lambda: ratios(catalog))
