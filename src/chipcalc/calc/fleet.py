"""Fleet totals: what a number of chips adds up to (compute per precision, HBM, power).

A fleet is one or more ``chip:count`` items joined by ``+``; a count is a number (``200000``,
``200k``, ``1.5M``, ``1e6``) or a named volume from ``specs/fleets*.toml`` (a sourced figure whose
range spans the sources that disagree, e.g. Huawei's 2025 output: 200,000 by the US Commerce
Department vs 805,000 by SemiAnalysis). A volume that names its chip may stand alone. A count may also
be the supply model's answer (``ascend-910c:supply-2025``: the packages ``chipcalc supply`` gives,
with its range and provenance), so that fleet comparisons use the same numbers.
Pure functions over records; every total carries the provenance of the counts and chip figures.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any

from chipcalc.catalog import schema
from chipcalc.catalog.volumes import Volume
from chipcalc.core.counts import MAX_WHOLE
from chipcalc.core.errors import UsageError
from chipcalc.core.figure import Figure, Provenance, total


@dataclass(frozen=True)
class Item:
    chip: Any  # records.Chip
    count: Figure
    volume: Volume | None = None


@dataclass(frozen=True)
class Fleet:
    text: str  # as the user wrote it
    items: tuple[Item, ...]

    @property
    def label(self) -> str:
        return " + ".join(f"{_count_text(i)} x {i.chip.id}" for i in self.items)


def _count_text(item: Item) -> str:
    if item.volume is not None:
        return item.volume.id
    return f"{float(item.count.q.m_as('')):,.0f}"


# -- fleets from the command line --------------------------------------------------------------

#: Digits, with commas only between groups of three (1,000,000; never 1,2,3) or underscores (1_000).
_COUNT = re.compile(r"^((?:\d{1,3}(?:,\d{3})+|\d+(?:_\d+)*)(?:\.\d+)?(?:[eE]\d+)?)\s*([kKM]?)$")
_SCALE = {"": 1, "k": 1e3, "K": 1e3, "M": 1e6}
#: Counts above 2^53 are not whole numbers in floating point (1e30 prints with float artefacts).
MAX_COUNT = MAX_WHOLE


def parse_count(text: str, chip_id: str) -> Figure:
    """A count written on the command line: 200000, 200k, 1.5M, 1e6, 1,000,000."""
    from chipcalc.core.units import Q

    m = _COUNT.match(text.strip())
    if m is None:
        raise UsageError(f"'{text}' is not a count or a named volume (write e.g. {chip_id}:200000, {chip_id}:200k)")
    from decimal import Decimal

    exact = Decimal(m.group(1).replace(",", "").replace("_", "")) * Decimal(int(_SCALE[m.group(2)]))
    if exact <= 0 or exact != exact.to_integral_value():
        raise UsageError(f"'{text}': a chip count must be a positive whole number")
    if exact > MAX_COUNT:
        raise UsageError(f"'{text}': at most {MAX_COUNT:,} chips (2^53, the largest count computed exactly)")
    n = float(exact)
    return Figure(Q(n, ""), Provenance.assume(f"count of {chip_id}", f"{n:,.0f} chips, a count given on the command line"),
                  label=f"{chip_id}.count")


def _volume_named(cat: Any, name: str) -> Volume | None:
    return getattr(cat, "volumes", {}).get(name.strip().lower())


def parse_item(cat: Any, text: str) -> Item:
    t = text.strip()
    if not t:
        raise UsageError("empty fleet item; write CHIP:COUNT, e.g. ascend-910c:200000")
    if ":" not in t:
        vol = _volume_named(cat, t)
        if vol is not None:
            if vol.chip is None:
                raise UsageError(f"volume '{vol.id}' counts {vol.counts}; say which chip to use, e.g. ascend-910c:{vol.id}")
            return Item(cat.chip(vol.chip), vol.figure, vol)
        known = list(cat.chips) + list(getattr(cat, "volumes", {}))
        close = difflib.get_close_matches(t.lower(), known, n=3, cutoff=0.5)
        hint = f"; did you mean {' or '.join(close)}?" if close else ""
        raise UsageError(f"'{t}' is not CHIP:COUNT or a named volume{hint} (e.g. ascend-910c:200000, h20:h20-2024)")
    chip_name, _, count = t.partition(":")
    chip = cat.chip(chip_name)
    vol = _volume_named(cat, count)
    if vol is not None:
        if vol.unit == "die":  # a fleet counts packages: a count of dies (of several models) is not one
            raise UsageError(f"volume '{vol.id}' counts dies ({vol.counts}), and a fleet counts packages; "
                             f"give a package count, e.g. {chip.id}:200000")
        if vol.chip is not None and vol.chip != chip.id:
            raise UsageError(f"volume '{vol.id}' counts {vol.chip}, not {chip.id}; write {vol.chip}:{vol.id} or {vol.id}")
        return Item(chip, vol.figure, vol)
    if count.strip().lower().startswith("supply-"):
        vol = supply_volume(cat, chip, count)
        return Item(chip, vol.figure, vol)
    if not _COUNT.match(count.strip()):
        vols = list(getattr(cat, "volumes", {}))
        close = difflib.get_close_matches(count.strip().lower(), vols, n=3, cutoff=0.5)
        if close:
            raise UsageError(f"unknown volume '{count}'; did you mean {' or '.join(close)}?")
    return Item(chip, parse_count(count, chip.id))


def parse_fleet(cat: Any, text: str) -> Fleet:
    """``ascend-910c:200000``, ``h20:h20-2024``, ``ascend-910b:550k+ascend-910c:653k``."""
    return Fleet(text, tuple(parse_item(cat, part) for part in text.split("+")))


# -- totals ------------------------------------------------------------------------------------

#: Rows of a fleet table: chip figure -> (label). Compute per precision comes first (dense peaks).
TOTAL_FIGURES = ("hbm_capacity", "hbm_bandwidth", "tdp")


def row_names(fleets: list[Fleet]) -> list[str]:
    """The dense compute precisions any chip of any fleet has, then memory and power."""
    chips = [i.chip for f in fleets for i in f.items]
    compute = [schema.compute_name(p) for p in schema.PRECISIONS if any(c.get(schema.compute_name(p)) for c in chips)]
    return ["chips", *compute, *TOTAL_FIGURES]


def fleet_total(fleet: Fleet, name: str) -> Figure | None:
    """Sum over the fleet's items of count x the chip's figure; None when any chip lacks the figure
    (a partial sum would mislead: the 910C has no FP8, so an FP8 total of a mixed fleet is n/a)."""
    if name == "chips":
        return total(i.count for i in fleet.items).relabel("chips")
    parts = []
    for i in fleet.items:
        f = i.chip.get(name)
        if f is None:
            return None
        parts.append(f * i.count)
    return total(parts).relabel(f"{name}_total", " + ".join(f"{_count_text(i)} x {i.chip.id}.{name}" for i in fleet.items))


def missing(fleet: Fleet, name: str) -> list[str]:
    """Chips of a fleet that lack a figure (for the n/a note)."""
    return [i.chip.id for i in fleet.items if i.chip.get(name) is None]


# -- counts from the supply model (`ascend-910c:supply-2025`) ------------------------------------

def count_of(packages: Figure) -> Figure:
    """A package count as a plain count (for fleets): same value, range and provenance."""
    from dataclasses import replace

    from chipcalc.core.units import Q

    conv = lambda x: None if x is None else Q(x.m_as("package"), "")  # noqa: E731
    return replace(packages, q=conv(packages.q), low=conv(packages.low), high=conv(packages.high), alternatives=())


def supply_volume(cat: Any, chip: Any, text: str) -> Volume:
    """``supply-2025`` or ``supply-<scenario>`` as a fleet count for ``chip``: the supply model's packages."""
    from chipcalc.calc.supply import LIMITS, funnel, select
    from chipcalc.catalog.supply_whatif import supply_of

    supply = supply_of(cat)
    rest = text.strip().lower()[len("supply-"):]
    products = [p for p in supply.products.values() if p.chip == chip.id]
    if rest in supply.scenarios:
        s = supply.scenarios[rest]
        if supply.products[s.product].chip != chip.id:
            raise UsageError(f"supply scenario {s.id} is of {supply.products[s.product].chip}, not {chip.id}")
    elif not products:
        raise UsageError(f"no supply product makes {chip.id} (specs/supply/); products: {', '.join(sorted(supply.products))}")
    elif rest.isdigit():
        s = select(cat, products[0].id, year=int(rest))
    else:
        raise UsageError(f"'{text}': write {chip.id}:supply-YEAR (e.g. supply-2025) or {chip.id}:supply-<scenario id>")
    f = funnel(cat, s)
    if f.packages is None:
        raise UsageError(f"supply scenario {s.id} gives no package count: no limit is sourced ({s.file})")
    binding = LIMITS.get(f.binding or "", "")
    counts = (f"{s.counts or s.name}: the supply model's packages in {f.months:g} months (`chipcalc supply {s.product} "
              f"--scenario {s.id}`), bound by {binding}")
    return Volume(f"supply-{s.id}", s.name, counts, count_of(f.packages), chip.id, s.year, file=s.file, unit="package",
                  stage="capacity")
