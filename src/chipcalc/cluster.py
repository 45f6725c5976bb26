"""Per-chip vs whole-system figures: totals, power breakdown, efficiency, and ratios.

Pure functions from records to figures; every result carries the provenance of its inputs.
"""

from __future__ import annotations

from dataclasses import dataclass

from chipcalc import schema
from chipcalc.figure import Figure, total
from chipcalc.records import Chip, System

#: Chip figures that add up across the chips of a system.
ADDITIVE = ("hbm_capacity", "hbm_bandwidth", "scaleup_bandwidth", "scaleout_bandwidth")


def compute_fields(chip: Chip, sparsity: str = "dense") -> list[str]:
    """The chip's compute figures of one sparsity, in schema precision order."""
    return [schema.compute_name(p, sparsity) for p in schema.PRECISIONS if schema.compute_name(p, sparsity) in chip.figures]


def per_die(chip: Chip, name: str) -> Figure | None:
    """A package figure divided by the package's dies (None when either is missing)."""
    fig, dies = chip.get(name), chip.get("dies")
    if fig is None or dies is None:
        return None
    return (fig / dies).relabel(f"{chip.id}.{name}.per_die", f"{name} / dies")


def ridge_point(chip: Chip, precision: str = "bf16") -> Figure | None:
    """Arithmetic intensity (FLOP/byte) where the roofline turns from memory- to compute-bound."""
    peak, bw = chip.get(schema.compute_name(precision)), chip.get("hbm_bandwidth")
    if peak is None or bw is None:
        return None
    return (peak / bw).to("FLOP/B").relabel(f"{chip.id}.ridge_{precision}")


_TIER_OF = {"scaleup_bandwidth": "scale-up", "scaleout_bandwidth": "scale-out"}


def per_chip(system: System, name: str) -> Figure | None:
    """A per-chip figure as this system has it: link bandwidths come from the system's tiers
    (a system's NICs and fabric are its own), everything else from the chip."""
    kind = _TIER_OF.get(name)
    if kind is not None:
        tier = system.tier(kind)
        if tier is not None:
            return tier.bandwidth
    return system.chip.get(name)


def system_total(system: System, name: str) -> Figure | None:
    """chips x the per-chip figure, for an additive figure or a compute figure."""
    fig = per_chip(system, name)
    if fig is None:
        return None
    return (fig * system.chips).relabel(f"{system.id}.{name}_total", f"{system.chips.q.m:g} x {system.chip.id}.{name}")


@dataclass(frozen=True)
class PowerLine:
    name: str
    count: Figure
    unit_power: Figure | None
    total: Figure | None


@dataclass(frozen=True)
class PowerBreakdown:
    lines: tuple[PowerLine, ...]
    bottom_up: Figure | None  # sum of the lines that have a power figure
    missing: tuple[str, ...]  # lines with no power figure
    reported: Figure | None  # the system's all-in figure, when a source gives it

    @property
    def best(self) -> Figure | None:
        """The all-in figure to use: the reported one when given, else the bottom-up sum."""
        return self.reported if self.reported is not None else self.bottom_up


def power_breakdown(system: System) -> PowerBreakdown:
    lines = [PowerLine(f"{system.chip.name} (accelerators)", system.chips, system.chip.get("tdp"),
                       system_total(system, "tdp"))]
    for part in system.parts:
        tot = None if part.power is None else (part.power * part.count).relabel(f"{system.id}.{part.name}.power_total")
        lines.append(PowerLine(part.name, part.count, part.power, tot))
    known = [ln.total for ln in lines if ln.total is not None]
    missing = tuple(ln.name for ln in lines if ln.total is None)
    bottom_up = total(known).to("kW").relabel(f"{system.id}.power_bottom_up") if known else None
    reported = system.power.to("kW") if system.power is not None else None
    return PowerBreakdown(tuple(lines), bottom_up, missing, reported)


def allin_power_per_chip(system: System) -> Figure | None:
    best = power_breakdown(system).best
    if best is None:
        return None
    return (best / system.chips).to("W").relabel(f"{system.id}.power_per_chip")


def efficiency(compute: Figure, power: Figure, unit: str) -> Figure:
    return (compute / power).to(unit)


def ratio(a: Figure | None, b: Figure | None) -> Figure | None:
    """a / b as a plain number (dimension must agree), provenance of both."""
    if a is None or b is None:
        return None
    r = a / b
    return r.to("")
