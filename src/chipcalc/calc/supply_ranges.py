"""Ranges of the supply model: Monte Carlo over every uncertain input, and sensitivity (which input
moves the package count most), with :mod:`chipcalc.calc.ranges` doing the sampling and the sweeps."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from chipcalc.calc import ranges as rg
from chipcalc.calc.supply import Funnel, binding_shares, funnel, inputs, put_input
from chipcalc.catalog.supply import Scenario
from chipcalc.catalog.supply_whatif import supply_of
from chipcalc.core.figure import Figure


def uncertain(cat: Any, scenarios: list[Scenario]) -> dict[str, Figure]:
    """The funnel inputs of ``scenarios`` that have a range (sources disagree, or a stated range)."""
    out: dict[str, Figure] = {}
    for s in scenarios:
        out.update({k: f for k, f in inputs(cat, s).items() if f.has_range})
    return out


def montecarlo(cat: Any, scenario: Scenario, samples: int, seed: int) -> tuple[Funnel, dict[str, float], int]:
    """The nominal funnel with every figure's range replaced by its Monte Carlo percentiles; the share of
    samples in which each limit binds; the number of inputs sampled."""
    ins = uncertain(cat, [scenario])
    nominal = funnel(cat, scenario)
    sampled_cat = rg.sample_catalog(cat, ins, samples, seed, putter=put_input)
    sampled = funnel(sampled_cat, supply_of(sampled_cat).scenarios[scenario.id])

    def one(a: Figure | None, b: Figure | None) -> Figure | None:
        return rg.collapse(a, b) if a is not None and b is not None else a

    rows = tuple(replace(r, fig=one(r.fig, sampled.row(r.key).fig)) for r in nominal.rows)
    limits = tuple(replace(lim, packages=one(lim.packages, sampled.limit(lim.key).packages)) for lim in nominal.limits)
    out = replace(nominal, rows=rows, limits=limits, packages=one(nominal.packages, sampled.packages),
                  binding_low=nominal.binding, binding_high=nominal.binding)
    return out, binding_shares(sampled), len(ins)


def packages_metric(scenarios: list[str]) -> Any:
    """A metric for :func:`chipcalc.calc.ranges.sensitivity`: the total packages of ``scenarios``."""

    def metric(c: Any) -> Figure:
        figs = [funnel(c, supply_of(c).scenarios[s]).packages for s in scenarios]
        if any(f is None for f in figs):
            from chipcalc.core.errors import UsageError

            raise UsageError(f"no package count for {', '.join(scenarios)}: no limit is sourced")
        total = figs[0]
        for f in figs[1:]:
            total = total + f
        return total

    return metric


def sensitivity(cat: Any, scenarios: list[Scenario]) -> list[rg.Swing]:
    """Each uncertain input over its range (the others nominal), ranked by the swing in packages."""
    cat = replace(cat, supply=supply_of(cat))
    ins = uncertain(cat, scenarios)
    return rg.sensitivity(cat, packages_metric([s.id for s in scenarios]), ins, "package", putter=put_input, vectorised=True)
