"""The supply model: how many packages of a chip can be made in a period, and which input decides it.

Pure functions over the supply records (:mod:`chipcalc.catalog.supply`), on Figures, so every number
carries its sources, assumptions and range (interval bounds; numpy arrays for Monte Carlo):

    wafers     = wafer starts per month x share for the product x months
    gross dies = wafers x gross dies per wafer   (published, else pi (d/2)^2 / A - pi d / sqrt(2 A))
    good dies  = gross dies x die yield          (published, else Poisson / Murphy / negative binomial)
    dies       = good dies + die bank x share drawn in the period
    packages   = min( dies / dies per package x packaging yield,                      logic dies
                      (HBM stock x share + HBM output x months) / stacks per package x packaging yield,   HBM
                      packaging capacity x months x packaging yield )                 packaging

A package that fails packaging loses its HBM too, so the packaging yield applies to every limit. The
binding constraint is the smallest limit; a limit no source gives is n/a and does not bind (the answer
is then an upper bound on that count). The formulas' citations come from ``specs/supply/methods.toml``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

from chipcalc.catalog.supply import Product, Scenario, Supply
from chipcalc.catalog.supply_whatif import supply_of
from chipcalc.core.errors import UsageError
from chipcalc.core.figure import Figure, Provenance

LIMITS = {"dies": "logic dies", "hbm": "HBM stacks", "packaging": "packaging capacity"}
_ALLOW = {"dies": "packages the logic dies allow", "hbm": "packages the HBM stacks allow",
          "packaging": "packages the packaging capacity allows"}


# -- the formulas (plain numbers or numpy arrays) ---------------------------------------------------

def dies_per_wafer_estimate(diameter_mm: Any, area_mm2: Any) -> Any:
    """Gross dies per wafer: pi (d/2)^2 / A - pi d / sqrt(2 A) (d in mm, A in mm^2)."""
    import numpy as np

    d, a = np.asarray(diameter_mm, dtype=float), np.asarray(area_mm2, dtype=float)
    return math.pi * (d / 2) ** 2 / a - math.pi * d / np.sqrt(2 * a)


def yield_poisson(ad: Any) -> Any:
    """Y = exp(-A D0), with ``ad`` = A x D0 (defects per die)."""
    import numpy as np

    return np.exp(-np.asarray(ad, dtype=float))


def yield_murphy(ad: Any) -> Any:
    """Y = ((1 - exp(-A D0)) / (A D0))^2 (1 at A D0 = 0)."""
    import numpy as np

    x = np.asarray(ad, dtype=float)
    safe = np.where(x > 0, x, 1.0)
    return np.where(x > 0, ((1 - np.exp(-safe)) / safe) ** 2, 1.0)


def yield_negative_binomial(ad: Any, alpha: Any) -> Any:
    """Y = (1 + A D0 / alpha)^-alpha (alpha: the clustering parameter; large alpha -> Poisson)."""
    import numpy as np

    x, a = np.asarray(ad, dtype=float), np.asarray(alpha, dtype=float)
    return (1 + x / a) ** (-a)


# -- figures through a monotone function -----------------------------------------------------------

def lift(fn: Callable[..., Any], unit: str, args: list[tuple[Figure, str, int]], extra: Provenance = Provenance(),
         label: str = "", note: str = "") -> Figure:
    """``fn`` of figures (each with the unit it is read in and +1/-1: fn rises/falls with it): nominal,
    and the low/high ends from the ends of the inputs' ranges; provenance is the union of the inputs'."""
    from chipcalc.core.units import Q

    prov = Provenance.union(f.prov for f, _, _ in args) | extra
    rprov = Provenance.union(f.range_prov for f, _, _ in args)
    q = Q(fn(*[f.q.m_as(u) for f, u, _ in args]), unit)
    if not any(f.low is not None or f.high is not None for f, _, _ in args):
        return Figure(q, prov, label=label, note=note)
    lo = fn(*[(f.lo if s > 0 else f.hi).m_as(u) for f, u, s in args])
    hi = fn(*[(f.hi if s > 0 else f.lo).m_as(u) for f, u, s in args])
    return Figure(q, prov, low=Q(lo, unit), high=Q(hi, unit), label=label, note=note, range_prov=rprov)


def fmin(figs: list[Figure]) -> Figure:
    """Elementwise minimum (nominal, low and high each the minimum of theirs); provenance of all."""
    import functools

    import numpy as np

    from chipcalc.core.units import Q

    unit = figs[0].q.units
    pick = lambda attr: functools.reduce(np.minimum, [getattr(f, attr).m_as(unit) for f in figs])  # noqa: E731
    prov = Provenance.union(f.prov for f in figs)
    if not any(f.low is not None or f.high is not None for f in figs):
        return Figure(Q(pick("q"), unit), prov)
    return Figure(Q(pick("q"), unit), prov, low=Q(pick("lo"), unit), high=Q(pick("hi"), unit),
                  range_prov=Provenance.union(f.range_prov for f in figs))


# -- the funnel ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Row:
    key: str
    label: str
    unit: str  # display unit
    fig: Figure | None  # None: no source gives it
    note: str = ""
    group: str = ""


@dataclass(frozen=True)
class Limit:
    key: str  # dies | hbm | packaging
    label: str
    packages: Figure | None  # packages this input allows in the period (None: not sourced)
    how: str


@dataclass(frozen=True)
class Funnel:
    scenario: Scenario
    product: Product
    months: float  # the period, in months
    rows: tuple[Row, ...]
    limits: tuple[Limit, ...]
    packages: Figure | None
    binding: str | None  # the limit that binds at the nominal values
    binding_low: str | None  # ... when every input is at the end of its range that lowers the answer
    binding_high: str | None
    parts: dict[str, Figure]  # intermediate figures by key (for the inverse mode and the claims)

    def row(self, key: str) -> Row:
        for r in self.rows:
            if r.key == key:
                return r
        raise KeyError(key)

    def limit(self, key: str) -> Limit:
        return {lim.key: lim for lim in self.limits}[key]


def select(cat: Any, name: str, year: int | None = None, scenario: str | None = None) -> Scenario:
    """A scenario by id, or the scenario of a product for a year (the one marked default when several)."""
    import difflib

    supply = supply_of(cat)
    key = name.strip().lower()
    if scenario is not None:
        s = supply.scenarios.get(scenario.strip().lower())
        if s is None:
            close = difflib.get_close_matches(scenario, list(supply.scenarios), n=3, cutoff=0.4)
            raise UsageError(f"unknown supply scenario '{scenario}'" + (f"; did you mean {' or '.join(close)}?" if close else
                             f"; known: {', '.join(sorted(supply.scenarios))}"))
        if key not in (s.product, s.id):
            raise UsageError(f"--scenario {s.id} is a scenario of {s.product}, not of {name}")
        if year is not None and s.year != year:
            raise UsageError(f"--scenario {s.id} is of {s.year}, not --year {year}: drop one of them")
        return s
    if key in supply.scenarios and year is None:
        return supply.scenarios[key]
    if key not in supply.products:
        known = sorted(supply.products) + sorted(supply.scenarios)
        close = difflib.get_close_matches(key, known, n=3, cutoff=0.4)
        hint = f"; did you mean {' or '.join(close)}?" if close else f"; known: {', '.join(known)}"
        raise UsageError(f"unknown supply product or scenario '{name}'{hint} (specs/supply/)")
    found = supply.scenarios_of(key)
    if year is not None:
        found = [s for s in found if s.year == year]
    if not found:
        have = ", ".join(f"{s.id} ({s.year})" for s in supply.scenarios_of(key)) or "none"
        raise UsageError(f"{key} has no supply scenario{f' for {year}' if year else ''}; scenarios: {have}")
    if len(found) > 1:
        defaults = [s for s in found if s.default]
        if len(defaults) == 1:
            return defaults[0]
        raise UsageError(f"{key} has {len(found)} scenarios{f' for {year}' if year else ''} "
                         f"({', '.join(s.id for s in found)}); pick one with --scenario")
    return found[0]


def dies_per_package(cat: Any, product: Product) -> Figure:
    """The product's own figure, else the catalog chip's ``dies`` figure (as die/package)."""
    if "dies_per_package" in product.figures:
        return product.figures["dies_per_package"]
    dies = cat.chips[product.chip]["dies"]
    return lift(lambda x: x, "die/package", [(dies, "", 1)], label=f"{product.chip}.dies")


def gross_dies_estimate(product: Product, methods: dict[str, Provenance]) -> Figure:
    d = product.figures["wafer_diameter"]
    e = product.figures.get("edge_exclusion")
    usable = d if e is None else d - e * 2
    return lift(dies_per_wafer_estimate, "die/wafer", [(usable, "mm", 1), (product.figures["die_area"], "mm^2", -1)],
                methods.get("dies_per_wafer", Provenance()), label=f"{product.id}.dies_per_wafer_estimate")


def die_yield(scenario: Scenario, product: Product, methods: dict[str, Provenance]) -> tuple[Figure | None, str]:
    """The published die yield, else the named model on defect density x die area."""
    figs = scenario.figures
    if "die_yield" in figs:
        return figs["die_yield"], "published"
    ym = scenario.yield_model
    if ym is None or "defect_density" not in figs:
        return None, "no yield given"
    area, d0 = product.figures["die_area"], figs["defect_density"]
    extra = ym.prov | methods.get(ym.model, Provenance())
    args = [(area, "cm^2", -1), (d0, "1/cm^2", -1)]
    if ym.model == "poisson":
        fig = lift(lambda a, d: yield_poisson(a * d), "", args, extra)
    elif ym.model == "murphy":
        fig = lift(lambda a, d: yield_murphy(a * d), "", args, extra)
    else:
        fig = lift(lambda a, d, al: yield_negative_binomial(a * d, al), "", [*args, (figs["clustering"], "", -1)], extra)
    return fig, f"{ym.model} model on A x D0"


def funnel(cat: Any, scenario: Scenario, months: float | None = None) -> Funnel:
    """The whole funnel of one scenario (over its own period, or ``months`` when given)."""
    supply: Supply = supply_of(cat)
    product = supply.products[scenario.product]
    pf, sf = product.figures, scenario.figures
    m = float(scenario.period.m_as("month")) if months is None else months
    rows: list[Row] = []
    parts: dict[str, Figure] = {}

    def add(key: str, label: str, unit: str, fig: Figure | None, note: str = "", group: str = "") -> Figure | None:
        rows.append(Row(key, label, unit, fig, note, group))
        if fig is not None:
            parts[key] = fig
        return fig

    g = "new wafers"
    wpm = add("wafers_per_month", "wafer starts per month", "wafer/month", sf.get("wafers_per_month"), group=g)
    share = add("wafer_share", "share of them for this product", "%", sf.get("wafer_share"), group=g)
    wafers = None
    if wpm is not None:
        wafers = add("wafers", f"wafers for this product in {m:g} months", "wafer",
                     (wpm * share if share is not None else wpm) * _months(m), group=g)
    add("die_area", "die area", "mm^2", pf["die_area"], group=g)
    est = add("dies_per_wafer_estimate", "gross dies per wafer: pi (d/2)^2/A - pi d/sqrt(2A)", "die/wafer",
              gross_dies_estimate(product, supply.methods), _edge_note(product), group=g)
    pub = add("dies_per_wafer", "gross dies per wafer: published", "die/wafer", pf.get("dies_per_wafer"), group=g)
    dpw = pub if pub is not None else est
    y, how = die_yield(scenario, product, supply.methods)
    add("die_yield", "die yield", "%", y, how, group=g)
    wafer_dies = None
    if wafers is not None and y is not None:
        gross = add("gross_dies", "gross dies", "die", wafers * dpw, "published dies per wafer" if pub is not None else
                    "estimated dies per wafer", group=g)
        wafer_dies = add("wafer_dies", "good dies from new wafers", "die", gross * y, group=g)
    g = "die bank"
    bank = add("die_bank", "die bank (dies made earlier)", "die", sf.get("die_bank"), group=g)
    bshare = add("die_bank_share", "share of the bank drawn in the period", "%", sf.get("die_bank_share"), group=g)
    bank_dies = None
    if bank is not None:
        bank_dies = add("bank_dies", "dies from the die bank", "die", bank * bshare if bshare is not None else bank, group=g)
    g = "packages"
    present = [f for f in (wafer_dies, bank_dies) if f is not None]
    dies = add("dies", "logic dies available", "die", _sum(present) if present else None, _dies_note(wafer_dies, bank_dies), g)
    dpp = add("dies_per_package", "dies per package", "die/package", dies_per_package(cat, product), group=g)
    py = add("packaging_yield", "packaging yield", "%", sf["packaging_yield"], group=g)
    limits = [Limit("dies", LIMITS["dies"], None if dies is None else dies / dpp * py,
                    "new wafers x yield + die bank, / dies per package x packaging yield")]
    g = "HBM"
    stock = add("hbm_stock", "HBM stacks in stock", "stack", sf.get("hbm_stock"), group=g)
    hshare = add("hbm_share", "share of the stock used in the period", "%", sf.get("hbm_share"), group=g)
    out = add("hbm_output", "HBM stacks made per month", "stack/month", sf.get("hbm_output"), group=g)
    stacks = [f for f in ((stock * hshare if hshare is not None else stock) if stock is not None else None,
                          out * _months(m) if out is not None else None) if f is not None]
    hbm = add("hbm", "HBM stacks available in the period", "stack", _sum(stacks) if stacks else None, group=g)
    spp = add("hbm_stacks", "HBM stacks per package", "stack/package", pf.get("hbm_stacks"), group=g)
    limits.append(Limit("hbm", LIMITS["hbm"], hbm / spp * py if hbm is not None and spp is not None else None,
                        "stacks / stacks per package x packaging yield (a failed package loses its HBM)"))
    g = "packaging"
    cap = add("packaging_capacity", "packaging capacity per month", "package/month", sf.get("packaging_capacity"), group=g)
    limits.append(Limit("packaging", LIMITS["packaging"], cap * _months(m) * py if cap is not None else None,
                        "capacity x months x packaging yield"))
    known = [lim for lim in limits if lim.packages is not None]
    for lim in limits:
        add(f"limit.{lim.key}", _ALLOW[lim.key], "package", lim.packages,
            lim.how if lim.packages is not None else "no source gives it: not a constraint here", "limits")
    packages = fmin([lim.packages for lim in known]) if known else None
    if packages is not None:
        packages = packages.relabel(f"supply.{scenario.id}", f"min of {', '.join(lim.key for lim in known)}")
    add("packages", "packages in the period", "package", packages, "the smallest limit", "result")
    return Funnel(scenario, product, m, tuple(rows), tuple(limits), packages, *_binding(known), parts)


def _months(m: float) -> Any:
    from chipcalc.core.units import Q

    return Q(m, "month")


def _sum(figs: list[Figure]) -> Figure:
    out = figs[0]
    for f in figs[1:]:
        out = out + f
    return out


def _edge_note(product: Product) -> str:
    import numpy as np

    d = product.figures["wafer_diameter"].q.m_as("mm")
    e = product.figures.get("edge_exclusion")
    if np.ndim(d) or (e is not None and np.ndim(e.q.magnitude)):
        return "sampled diameter and edge exclusion"
    return f"d = {d:g} mm" + (f" - 2 x {e.q.m_as('mm'):g} mm edge exclusion" if e is not None else ", no edge exclusion given")


def _dies_note(wafer_dies: Figure | None, bank_dies: Figure | None) -> str:
    if wafer_dies is None and bank_dies is None:
        return "no wafer starts and no die bank given"
    if wafer_dies is None:
        return "die bank only: no wafer starts given for this product"
    return "new wafers only: no die bank given" if bank_dies is None else "new wafers + die bank"


def _binding(known: list[Limit]) -> tuple[str | None, str | None, str | None]:
    """The binding limit at nominal, at the low ends and at the high ends (scalar figures)."""
    import numpy as np

    if not known:
        return None, None, None
    out = []
    for attr in ("q", "lo", "hi"):
        vals = [np.asarray(getattr(lim.packages, attr).m_as("package"), dtype=float) for lim in known]
        if vals[0].ndim:
            out.append(None)
            continue
        out.append(known[int(np.argmin([float(v) for v in vals]))].key)
    return out[0], out[1], out[2]


def binding_shares(f: Funnel) -> dict[str, float]:
    """For a Monte Carlo funnel (array figures): the share of samples in which each limit binds."""
    import numpy as np

    known = [lim for lim in f.limits if lim.packages is not None]
    if not known:
        return {}
    vals = np.vstack([np.broadcast_to(np.asarray(lim.packages.q.m_as("package"), dtype=float), (_size(f),)) for lim in known])
    idx = np.argmin(vals, axis=0)
    return {lim.key: float(np.mean(idx == i)) for i, lim in enumerate(known)}


def _size(f: Funnel) -> int:
    import numpy as np

    return max(int(np.size(lim.packages.q.magnitude)) for lim in f.limits if lim.packages is not None)


# -- what the funnel reads, for --set, sensitivity and Monte Carlo ----------------------------------

def inputs(cat: Any, scenario: Scenario) -> dict[str, Figure]:
    """Every figure the funnel of ``scenario`` reads, by its --set name."""
    supply = supply_of(cat)
    product = supply.products[scenario.product]
    out = {f"{scenario.id}.{k}": f for k, f in scenario.figures.items()}
    out.update({f"{product.id}.{k}": f for k, f in product.figures.items()})
    if "dies_per_package" not in product.figures:
        out[f"{product.chip}.dies"] = cat.chips[product.chip]["dies"]
    return out


def put_input(cat: Any, name: str, fig: Figure) -> Any:
    """A new catalog with one funnel input replaced (a supply figure, or a chip figure)."""
    from chipcalc.catalog import supply_whatif
    from chipcalc.catalog.overrides import put

    if supply_whatif.owns(supply_of(cat), name):
        return supply_whatif.put_in(cat, name, fig)
    return put(cat, name, fig)
