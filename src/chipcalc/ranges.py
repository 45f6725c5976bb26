"""Ranges: sensitivity (tornado) and Monte Carlo over the inputs whose sources disagree.

Interval bounds (the default) come from :class:`Figure` arithmetic: exact for monotone functions of
independent inputs, conservative when an input appears twice. Monte Carlo samples every uncertain
input at once (uniform on [low, high], independent, seeded), evaluates the same code on numpy
arrays in one pass, and reports percentiles.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

from chipcalc.catalog import Catalog
from chipcalc.errors import UsageError
from chipcalc.figure import Figure
from chipcalc.table import Table
from chipcalc.whatif import inputs_of_system, put

#: Percentiles reported by Monte Carlo as low/high.
PERCENTILES = (5.0, 95.0)


def cluster_metric_tables(cat: Catalog, a: str, b: str | None) -> list[Table]:
    from chipcalc.reports import per_chip_table, system_table

    systems = [cat.system(a)] + ([cat.system(b)] if b else [])
    return [per_chip_table(systems), system_table(systems)]


def metric_keys(tables: list[Table]) -> list[str]:
    return [r.key for t in tables for r in t.rows]


def cluster_metric(cat: Catalog, a: str, b: str | None, key: str) -> tuple[Figure, str]:
    """One row of the cluster tables as a figure: the ratio a/b with --vs, else system a's value."""
    tables = cluster_metric_tables(cat, a, b)
    for t in tables:
        for r in t.rows:
            if r.key == key:
                cell = r.cells[-1] if b else r.cells[0]
                if cell.fig is None:
                    raise UsageError(f"metric '{key}' has no value for this comparison")
                unit = "x" if b else r.unit
                return cell.fig, unit
    import difflib

    keys = metric_keys(tables)
    close = difflib.get_close_matches(key, keys, n=3, cutoff=0.4)
    hint = f"did you mean {' or '.join(close)}?" if close else f"known: {', '.join(keys)}"
    raise UsageError(f"unknown metric '{key}'; {hint}")


@dataclass(frozen=True)
class Swing:
    name: str
    input: Figure
    at_low: Figure
    at_high: Figure

    def swing(self, unit: str) -> float:
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


def sensitivity(cat: Catalog, metric: Callable[[Catalog], Figure], inputs: dict[str, Figure], unit: str) -> list[Swing]:
    """Vary each input over its range with the others nominal; rank by swing of the metric."""
    base = {name: pinned(f, f.q) for name, f in inputs.items()}
    nominal_cat = cat
    for name, f in base.items():
        nominal_cat = put(nominal_cat, name, f)
    out = []
    for name, f in inputs.items():
        lo = metric(put(nominal_cat, name, pinned(f, f.lo)))
        hi = metric(put(nominal_cat, name, pinned(f, f.hi)))
        out.append(Swing(name, f, lo, hi))
    conv = "" if unit == "x" else unit
    return sorted(out, key=lambda s: -s.swing(conv))


def sample_catalog(cat: Catalog, inputs: dict[str, Figure], samples: int, seed: int) -> Catalog:
    """Every uncertain input replaced by ``samples`` uniform draws on [low, high] (numpy arrays)."""
    import numpy as np

    if samples <= 0:
        raise UsageError(f"--samples must be a positive whole number, not {samples}")
    rng = np.random.default_rng(seed)
    for name, f in inputs.items():
        unit = f.q.units
        lo, hi = f.lo.m_as(unit), f.hi.m_as(unit)
        draws = rng.uniform(lo, hi, size=samples)
        cat = put(cat, name, Figure(draws * unit, f.prov, label=f.label))
    return cat


def collapse(nominal: Figure, sampled: Figure) -> Figure:
    """Nominal value with the Monte Carlo percentiles as its range."""
    import numpy as np

    unit = nominal.q.units
    arr = np.asarray(sampled.q.m_as(unit))
    if arr.ndim == 0:
        return nominal
    lo, hi = np.percentile(arr, PERCENTILES)
    return replace(nominal, low=float(min(lo, nominal.q.m_as(unit))) * unit, high=float(max(hi, nominal.q.m_as(unit))) * unit)


def montecarlo_tables(nominal_tables: list[Table], sampled_tables: list[Table]) -> list[Table]:
    """The nominal tables with each cell's range replaced by its Monte Carlo percentiles."""
    from chipcalc.table import Cell

    out = []
    for tn, ts in zip(nominal_tables, sampled_tables):
        t = replace(tn, rows=[])
        for rn, rs in zip(tn.rows, ts.rows):
            cells = [Cell(fig=collapse(cn.fig, cs.fig), text=cn.text, unit=cn.unit, blank=cn.blank) if cn.fig is not None and cs.fig is not None else cn
                     for cn, cs in zip(rn.cells, rs.cells)]
            t.rows.append(replace(rn, cells=cells))
        out.append(t)
    return out


def strip_ranges(cat: Catalog, inputs: dict[str, Figure]) -> Catalog:
    for name, f in inputs.items():
        cat = put(cat, name, pinned(f, f.q))
    return cat
