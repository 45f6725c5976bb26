"""What-if on supply inputs: ``--set ascend-910c-2025.hbm_share=60%`` (a scenario figure),
``--set ascend-910c.hbm_stacks=6`` (a product figure) or ``--set ascend-910c-2025.yield_model=poisson``.

Like :mod:`chipcalc.catalog.overrides`, every override returns a new catalog and becomes a named
assumption ("user override ..."), so each result that uses it is marked and footnoted. A plain number
takes the figure's own unit (``wafers_per_month=20000`` is 20,000 wafer/month).
"""

from __future__ import annotations

import difflib
from dataclasses import replace
from typing import Any

from chipcalc.catalog.supply import PRODUCT_FIGURES, SCENARIO_FIGURES, YIELD_MODELS, Supply, YieldModel, quantity
from chipcalc.core.errors import SpecError, UnitError, UsageError
from chipcalc.core.figure import Figure, Provenance


def supply_of(cat: Any) -> Supply:
    """The catalog's supply records; parsed now (problems raised as one error) when the catalog was
    loaded without claims."""
    if getattr(cat, "supply", None) is not None:
        return cat.supply
    from chipcalc.catalog.figures import FigureParser
    from chipcalc.catalog.supply import parse_supply

    problems: list = []
    supply = parse_supply(cat.folders, FigureParser(cat.sources, problems), cat.chips)
    if problems:
        raise SpecError(problems)
    return supply


def with_supply(cat: Any, supply: Supply) -> Any:
    return replace(cat, supply=supply)


def names(supply: Supply) -> list[str]:
    """Every supply name --set accepts."""
    out = [f"{p}.{k}" for p in supply.products for k in PRODUCT_FIGURES]
    out += [f"{s}.{k}" for s in supply.scenarios for k in (*SCENARIO_FIGURES, "yield_model")]
    return out


def owns(supply: Supply, lhs: str) -> bool:
    """True when NAME is a supply input (a scenario id, or a product id with a product field)."""
    owner, _, fieldname = lhs.partition(".")
    return owner in supply.scenarios or (owner in supply.products and fieldname in PRODUCT_FIGURES)


def locate(supply: Supply, lhs: str) -> tuple[Figure | None, Any]:
    """The figure NAME refers to (None when the field is empty) and its spec."""
    owner, _, fieldname = lhs.partition(".")
    if owner in supply.scenarios and fieldname in SCENARIO_FIGURES:
        return supply.scenarios[owner].figures.get(fieldname), SCENARIO_FIGURES[fieldname]
    if owner in supply.products and fieldname in PRODUCT_FIGURES:
        return supply.products[owner].figures.get(fieldname), PRODUCT_FIGURES[fieldname]
    close = difflib.get_close_matches(lhs, names(supply), n=3, cutoff=0.5)
    hint = f"; did you mean {' or '.join(close)}?" if close else ""
    raise UsageError(f"--set: unknown supply input '{lhs}'{hint}")


def put(supply: Supply, lhs: str, new: Figure) -> Supply:
    """A new Supply with the figure NAME replaced."""
    owner, _, fieldname = lhs.partition(".")
    if owner in supply.scenarios:
        s = supply.scenarios[owner]
        return replace(supply, scenarios={**supply.scenarios, owner: replace(s, figures={**s.figures, fieldname: new})})
    p = supply.products[owner]
    return replace(supply, products={**supply.products, owner: replace(p, figures={**p.figures, fieldname: new})})


def put_in(cat: Any, lhs: str, new: Figure) -> Any:
    """:func:`put` on a catalog (for sensitivity and Monte Carlo)."""
    return with_supply(cat, put(supply_of(cat), lhs, new))


def override(supply: Supply, lhs: str, rhs: str) -> Supply:
    """One ``NAME=VALUE`` applied; the new figure is a user assumption."""
    owner, _, fieldname = lhs.partition(".")
    why = f"user override --set {lhs}={rhs}"
    if fieldname == "yield_model" and owner in supply.scenarios:
        model = rhs.strip().lower()
        if model not in YIELD_MODELS:
            raise UsageError(f"--set {lhs}: '{rhs}' is not one of {', '.join(YIELD_MODELS)}")
        s = supply.scenarios[owner]
        if "defect_density" not in s.figures:
            raise UsageError(f"--set {lhs}: scenario {owner} has no [defect_density] for a yield model ({s.file})")
        ym = YieldModel(model, Provenance.assume(lhs, why))
        return replace(supply, scenarios={**supply.scenarios, owner: replace(s, yield_model=ym)})
    old, spec = locate(supply, lhs)
    text = rhs.strip()
    try:
        float(text.replace(",", "").replace("_", ""))
        plain = True
    except ValueError:
        plain = False
    if plain and spec.unit:
        text = f"{text} {spec.unit}"
    try:
        q = quantity(text, spec, f"--set {lhs}")
    except UnitError as exc:
        raise UsageError(str(exc)) from None
    was = f"{old.q:~P}" if old is not None else "no figure"
    fig = Figure(q, Provenance.assume(lhs, f"{why} (catalog value: {was})"), label=lhs, note="user override")
    return put(supply, lhs, fig)


def prefer_supply(cat: Any, kind: str) -> Any:
    """``--prefer KIND`` on every supply figure: the first value from a source of that kind becomes the
    nominal one (the range is unchanged), as :func:`chipcalc.catalog.overrides.prefer` does for chips."""
    from chipcalc.catalog.overrides import prefer_figure

    supply = supply_of(cat)
    pick = lambda figs: {k: prefer_figure(f, kind, cat) for k, f in figs.items()}  # noqa: E731
    products = {k: replace(p, figures=pick(p.figures)) for k, p in supply.products.items()}
    scenarios = {k: replace(s, figures=pick(s.figures)) for k, s in supply.scenarios.items()}
    return with_supply(cat, replace(supply, products=products, scenarios=scenarios))


def split_settings(cat: Any, settings: list[str] | None) -> tuple[list[str], list[str]]:
    """(supply settings, the others) of a --set list."""
    from chipcalc.catalog.overrides import parse_setting

    supply = supply_of(cat)
    mine, rest = [], []
    seen: dict[str, str] = {}
    for text in settings or []:
        lhs, rhs = parse_setting(text)
        if owns(supply, lhs):
            if lhs in seen:
                raise UsageError(f"--set {lhs} is given twice ({seen[lhs]} and {rhs}); give it once")
            seen[lhs] = rhs
            mine.append(text)
        else:
            rest.append(text)
    return mine, rest


def apply_settings(cat: Any, settings: list[str] | None) -> Any:
    """Every --set applied: supply inputs here, chip/system/model/assumption figures by the catalog's
    own overrides (a chip's ``dies`` figure is read by the supply model too)."""
    from chipcalc.catalog.overrides import apply_overrides, parse_setting

    mine, rest = split_settings(cat, settings)
    supply = supply_of(cat)
    if rest:
        cat = apply_overrides(cat, rest)
    for text in mine:
        lhs, rhs = parse_setting(text)
        supply = override(supply, lhs, rhs)
    return with_supply(cat, supply)
