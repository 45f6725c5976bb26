"""Per-chip vs whole-system figures: totals, power breakdown, efficiency, and ratios.

Pure functions from records to figures; every result carries the provenance of its inputs.
"""

from __future__ import annotations

from dataclasses import dataclass

from chipcalc.catalog import schema
from chipcalc.catalog.records import Chip, System
from chipcalc.core.figure import Figure, total

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


def per_chip(system: System, name: str) -> Figure | None:
    """A per-chip figure as this system has it (see :meth:`System.per_chip`)."""
    return system.per_chip(name)


def system_total(system: System, name: str) -> Figure | None:
    """chips x the per-chip figure, for an additive figure or a compute figure."""
    return system.total(name)


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


# -- the rows of `chipcalc cluster`: every metric of each system, and the ratio of two ----------------

@dataclass(frozen=True)
class Metric:
    """One row of a cluster comparison: what it is, its display unit, one value per system, and the ratio
    of the base system (the first unless chosen) to each other one."""

    key: str
    label: str
    unit: str  # display unit of the values ("" for counts)
    values: tuple[Figure | None, ...]
    ratio: Figure | None = None  # with two systems: the base over the other
    ratios: tuple[Figure | None, ...] = ()  # the base over each other system, in order


def _label(name: str) -> str:
    spec = schema.chip_field(name)
    return spec[1] if spec else name


def display_unit(name: str, level: str = "chip") -> str:
    """The unit a chip figure is shown in, per chip or (``level="system"``) as a system total."""
    spec = schema.chip_field(name)
    unit = spec[2] if spec else ""
    if level == "system":
        unit = {"TFLOPS": "PFLOPS", "TOPS": "POPS", "GB": "TB", "GB/s": "TB/s", "W": "kW"}.get(unit, unit)
    return unit


def label_of(name: str) -> str:
    """How a chip figure is named in a table."""
    return _label(name)


def ratios_to(figs: list[Figure | None], base: int = 0) -> tuple[Figure | None, ...]:
    """The base figure over each other one (None where either is missing)."""
    return tuple(ratio(figs[base], f) for j, f in enumerate(figs) if j != base)


def _metric(key: str, label: str, unit: str, figs: list[Figure | None], base: int = 0) -> Metric:
    shown = tuple(f.to(unit) if f is not None else None for f in figs)
    rs = ratios_to(figs, base) if len(figs) > 1 else ()
    return Metric(key, label, unit, shown, rs[0] if len(rs) == 1 else None, rs)


def precisions(systems: list[System]) -> list[str]:
    """The dense compute precisions any system's chip has, in schema order."""
    return [p for p in schema.PRECISIONS if any(schema.compute_name(p) in s.chip.figures for s in systems)]


def per_chip_metrics(systems: list[System], base: int = 0) -> list[Metric]:
    out = []
    for p in precisions(systems):
        n = schema.compute_name(p)
        out.append(_metric(n, _label(n), display_unit(n), [s.chip.get(n) for s in systems], base=base))
    for k in ("hbm_capacity", "hbm_bandwidth", "scaleup_bandwidth", "scaleout_bandwidth", "tdp"):
        figs = [per_chip(s, k) for s in systems]
        if any(figs):
            out.append(_metric(k, _label(k), display_unit(k), figs, base=base))
    share = [allin_power_per_chip(s) for s in systems]
    if any(share):
        out.append(_metric("power_per_chip", "all-in system power per chip", "W", share, base=base))
    n = schema.compute_name("bf16")
    eff = [efficiency(s.chip.get(n), s.chip.get("tdp"), "TFLOPS/W") if s.chip.get(n) and s.chip.get("tdp") else None
           for s in systems]
    if any(eff):
        out.append(_metric("bf16_per_watt_tdp", "BF16 dense per watt (chip TDP)", "TFLOPS/W", eff, base=base))
    ridge = [ridge_point(s.chip) for s in systems]
    if any(ridge):
        out.append(_metric("ridge_bf16", "BF16 ridge point (peak / HBM bandwidth)", "FLOP/B", ridge, base=base))
    return out


def system_metrics(systems: list[System], base: int = 0) -> list[Metric]:
    out = [_metric("chips", "accelerators", "", [s.chips for s in systems], base=base)]
    for p in precisions(systems):
        n = schema.compute_name(p)
        out.append(_metric(f"{n}_total", _label(n), display_unit(n, "system"), [system_total(s, n) for s in systems], base=base))
    for k in ADDITIVE:
        if any(per_chip(s, k) for s in systems):
            label = _label(k).replace("per chip, ", "aggregate, ")
            out.append(_metric(f"{k}_total", label, display_unit(k, "system"), [system_total(s, k) for s in systems], base=base))
    for kind in ("scale-up", "scale-out"):
        tiers = [s.tier(kind) for s in systems]
        if any(x is not None and x.size is not None for x in tiers):
            out.append(_metric(f"{kind}_domain", f"{kind} domain size (chips)", "",
                               [x.size if x and x.size else None for x in tiers], base=base))
    pb = [power_breakdown(s) for s in systems]
    out.append(_metric("power_accelerators", "power: accelerators (chips x TDP)", "kW", [p.lines[0].total for p in pb], base=base))
    if any(p.bottom_up for p in pb):
        out.append(_metric("power_bottom_up", "power: bottom-up sum of known parts", "kW", [p.bottom_up for p in pb], base=base))
    if any(p.reported for p in pb):
        out.append(_metric("power_reported", "power: all-in, as reported", "kW", [p.reported for p in pb], base=base))
    best = [p.best for p in pb]
    n = schema.compute_name("bf16")
    eff = [(system_total(s, n) / pw).to("PFLOPS/kW") if pw is not None and s.chip.get(n) else None
           for s, pw in zip(systems, best)]
    if any(eff):
        out.append(_metric("pflops_per_kw", "BF16 dense per kW (all-in)", "PFLOPS/kW", eff, base=base))
    bw = [(system_total(s, "hbm_bandwidth") / pw).to("TB/s/kW") if pw is not None and s.chip.get("hbm_bandwidth") else None
          for s, pw in zip(systems, best)]
    if any(bw):
        out.append(_metric("hbm_bandwidth_per_kw", "HBM bandwidth per kW (all-in)", "TB/s/kW", bw, base=base))
    return out
