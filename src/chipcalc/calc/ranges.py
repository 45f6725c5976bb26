"""Ranges: sensitivity (tornado) and Monte Carlo over the inputs whose sources disagree.

Interval bounds (the default) come from :class:`Figure` arithmetic: exact for monotone functions of
independent inputs, conservative when an input appears twice. Monte Carlo samples every uncertain
input at once (uniform on [low, high], independent, seeded), evaluates the same code on numpy
arrays in one pass, and reports percentiles.
"""

from __future__ import annotations

import math

from dataclasses import dataclass, replace
from typing import Any, Callable

from chipcalc.calc import cluster
from chipcalc.calc.cluster import Metric
from chipcalc.calc.percentiles import tails, tails_many
from chipcalc.catalog.overrides import inputs_of_system, put
from chipcalc.catalog.store import Catalog
from chipcalc.core.errors import UsageError
from chipcalc.core.figure import Figure
from chipcalc.core.heap import prime_heap

#: Percentiles reported by Monte Carlo as low/high.
PERCENTILES = (5.0, 95.0)
#: Most Monte Carlo samples drawn (about 8 MB per uncertain input): more are capped, and the note says so.
MAX_SAMPLES = 1_000_000
#: Seeds numpy accepts: whole numbers from 0.
MAX_SEED = 2**128 - 1


def sampling(samples: int, seed: int) -> tuple[int, str]:
    """The samples actually drawn and a note when ``samples`` was capped; a bad count or seed is an error."""
    if samples <= 0:
        raise UsageError(f"--samples must be a positive whole number, not {samples}")
    if not 0 <= seed <= MAX_SEED:
        raise UsageError(f"--seed must be a whole number from 0 to 2^128 - 1, not {seed}")
    if samples > MAX_SAMPLES:
        return MAX_SAMPLES, (f"--samples {samples:,} is above the limit of {MAX_SAMPLES:,}; {MAX_SAMPLES:,} were drawn.")
    return samples, ""


def cluster_metrics(cat: Catalog, a: str, b: str | None, more: tuple[str, ...] = (),
                    base: int = 0) -> tuple[list[Metric], list[Metric]]:
    """The per-chip and whole-system rows of `chipcalc cluster A [--vs B ...]`."""
    systems = [cat.system(a)] + ([cat.system(b)] if b else []) + [cat.system(x) for x in more]
    return cluster.per_chip_metrics(systems, base), cluster.system_metrics(systems, base)


def metric_keys(metrics: tuple[list[Metric], list[Metric]]) -> list[str]:
    return [m.key for group in metrics for m in group]


def cluster_metric(cat: Catalog, a: str, b: str | None, key: str) -> tuple[Figure, str]:
    """One row of the cluster tables as a figure: the ratio a/b with --vs, else system a's value."""
    metrics = cluster_metrics(cat, a, b)
    for group in metrics:
        for m in group:
            if m.key == key:
                fig = m.ratio if b else m.values[0]
                if fig is None:
                    raise UsageError(f"metric '{key}' has no value for this comparison")
                return fig, "x" if b else m.unit
    import difflib

    keys = metric_keys(metrics)
    close = difflib.get_close_matches(key, keys, n=3, cutoff=0.4)
    hint = f"did you mean {' or '.join(close)}?" if close else f"known: {', '.join(keys)}"
    raise UsageError(f"unknown metric '{key}'; {hint}")


@dataclass(frozen=True)
class Swing:
    name: str
    input: Figure
    at_low: Figure | None  # None: the metric does not exist at that end (a model that no longer fits)
    at_high: Figure | None

    def swing(self, unit: str) -> float:
        if self.at_low is None or self.at_high is None:
            return math.inf  # it decides whether there is a metric at all: ranked first
        return abs(self.at_high.m(unit) - self.at_low.m(unit))


def pinned(fig: Figure, value) -> Figure:
    """The figure fixed at one value (no range), keeping its provenance."""
    return Figure(value, fig.prov, label=fig.label)


def uncertain_inputs(cat: Catalog, systems: list[str]) -> dict[str, Figure]:
    out: dict[str, Figure] = {}
    for sid in systems:
        for name, fig in inputs_of_system(cat, cat.system(sid)).items():
            if fig.has_range:
                out[name] = fig
    return out


def sensitivity(cat: Catalog, metric: Callable[[Catalog], Figure], inputs: dict[str, Figure], unit: str,
                putter: Callable[[Catalog, str, Figure], Catalog] = put, vectorised: bool = False) -> list[Swing]:
    """Vary each input over its range with the others nominal; rank by swing of the metric.
    ``putter`` replaces one input by name (the catalog's own figures by default; the supply model
    passes :func:`chipcalc.calc.supply.put_input`). ``vectorised``: the metric takes array inputs (as
    Monte Carlo does), so every input's two ends are evaluated in one pass (:func:`_one_pass`); where that
    pass cannot stand for the loop (an error, a missing or non-finite value) the loop runs instead."""
    base = {name: pinned(f, f.q) for name, f in inputs.items()}
    nominal_cat = cat
    for name, f in base.items():
        nominal_cat = putter(nominal_cat, name, f)
    out = _one_pass(nominal_cat, metric, inputs, putter) if vectorised and inputs else None
    if out is None:
        out = []
        for name, f in inputs.items():
            lo = metric(putter(nominal_cat, name, pinned(f, f.lo)))
            hi = metric(putter(nominal_cat, name, pinned(f, f.hi)))
            out.append(Swing(name, f, lo, hi))
    conv = "" if unit == "x" else unit
    return sorted(out, key=lambda s: -s.swing(conv))


def _one_pass(nominal_cat: Catalog, metric: Callable[[Catalog], Figure], inputs: dict[str, Figure],
              putter: Callable[[Catalog, str, Figure], Catalog]) -> list[Swing] | None:
    """One-at-a-time design in one evaluation: input i is an array, nominal except at 2i (its low end) and
    2i + 1 (its high end); element 2i and 2i + 1 of the metric are the loop's two evaluations."""
    import numpy as np

    from chipcalc.core.errors import ChipcalcError

    names = list(inputs)
    n = 2 * len(names)
    c = nominal_cat
    for i, name in enumerate(names):
        f = inputs[name]
        u = f.q.units
        arr = np.full(n, float(f.q.m_as(u)))
        arr[2 * i], arr[2 * i + 1] = float(f.lo.m_as(u)), float(f.hi.m_as(u))
        c = putter(c, name, Figure(arr * u, f.prov, label=f.label))
    try:
        res = metric(c)
    except ChipcalcError:
        return None
    if res is None:
        return None
    mags = np.asarray(res.q.magnitude, dtype=float)
    if mags.ndim > 1 or not np.all(np.isfinite(mags)):
        return None
    mags = np.broadcast_to(mags, (n,))
    at = lambda j: Figure(float(mags[j]) * res.q.units, res.prov, label=res.label)  # noqa: E731
    return [Swing(name, inputs[name], at(2 * i), at(2 * i + 1)) for i, name in enumerate(names)]


def sample_catalog(cat: Catalog, inputs: dict[str, Figure], samples: int, seed: int,
                   putter: Callable[[Catalog, str, Figure], Catalog] = put) -> Catalog:
    """Every uncertain input replaced by ``samples`` uniform draws on [low, high] (numpy arrays)."""
    import numpy as np

    from chipcalc.core.units import Q

    samples, _ = sampling(samples, seed)
    prime_heap()  # the draws and every metric computed from them are arrays of `samples` floats
    items = list(inputs.items())
    # one independent stream per input (SeedSequence.spawn), so the draws can be made on every core at
    # once (numpy's generators fill arrays without the GIL) and stay the same whatever the thread timing
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(len(items))]

    def draw(k: int) -> Any:
        f = items[k][1]
        unit = f.q.units
        return streams[k].uniform(f.lo.m_as(unit), f.hi.m_as(unit), size=samples)

    from chipcalc.core.cores import on_cores

    draws = on_cores(draw, range(len(items)), samples * len(items), 200_000)
    for (name, f), d in zip(items, draws):
        cat = putter(cat, name, Figure(Q(d, f.q.units), f.prov, label=f.label))  # no copy of the draws
    return cat


def collapse(nominal: Figure, sampled: Figure, memo: dict | None = None) -> Figure:
    """Nominal value with the Monte Carlo percentiles as its range (``memo``: percentiles already taken
    of the same sampled array, by identity, within one comparison)."""
    import numpy as np

    unit = nominal.q.units
    key = (id(sampled), str(unit))
    hit = None if memo is None else memo.get(key)
    if hit is not None and hit[0] is sampled:
        lo, hi = hit[1]
    else:
        arr, k = _in_own_unit(sampled, unit)
        if arr.ndim == 0:
            return nominal
        lo, hi = (k * t for t in tails(arr, *PERCENTILES))
        if memo is not None:
            memo[key] = (sampled, (lo, hi))
    return replace(nominal, low=float(min(lo, nominal.q.m_as(unit))) * unit, high=float(max(hi, nominal.q.m_as(unit))) * unit)


def _in_own_unit(sampled: Figure, unit: Any) -> tuple[Any, float]:
    """The sampled magnitudes as they are, and the factor to ``unit``: percentiles commute with a positive
    factor (every unit is multiplicative), so the two percentiles are converted instead of the whole array."""
    import numpy as np

    from chipcalc.core.units import Q, m_as

    return np.asarray(sampled.q.magnitude), float(m_as(Q(1.0, sampled.q.units), unit))


def montecarlo_metrics(nominal: tuple[list[Metric], list[Metric]],
                       sampled: tuple[list[Metric], list[Metric]]) -> tuple[list[Metric], list[Metric]]:
    """The nominal metrics with each value's range replaced by its Monte Carlo percentiles."""

    import numpy as np

    memo: dict = {}
    pending: dict = {}  # the distinct sampled arrays, by identity and unit: their percentiles at once
    for ns, ss in zip(nominal, sampled):
        for n, s in zip(ns, ss):
            for f, g in zip((*n.values, n.ratio, *n.ratios), (*s.values, s.ratio, *s.ratios)):
                if f is not None and g is not None and (id(g), str(f.q.units)) not in pending:
                    arr, k = _in_own_unit(g, f.q.units)
                    if arr.ndim:
                        pending[(id(g), str(f.q.units))] = (g, arr, k)
    for key, (lo, hi) in zip(pending, tails_many([arr for _, arr, _ in pending.values()], *PERCENTILES)):
        g, _, k = pending[key]
        memo[key] = (g, (k * lo, k * hi))

    def one(f: Figure | None, g: Figure | None) -> Figure | None:
        return collapse(f, g, memo) if f is not None and g is not None else f

    def group(ns: list[Metric], ss: list[Metric]) -> list[Metric]:
        return [replace(n, values=tuple(one(f, g) for f, g in zip(n.values, s.values)), ratio=one(n.ratio, s.ratio),
                        ratios=tuple(one(f, g) for f, g in zip(n.ratios, s.ratios)))
                for n, s in zip(ns, ss)]

    return group(nominal[0], sampled[0]), group(nominal[1], sampled[1])


def strip_ranges(cat: Catalog, inputs: dict[str, Figure]) -> Catalog:
    for name, f in inputs.items():
        cat = put(cat, name, pinned(f, f.q))
    return cat
