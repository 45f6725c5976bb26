"""What-if: user overrides of any figure (``--set``) and source preference (``--prefer``).

Both return a new catalog; nothing is mutated. An override becomes a named assumption
("user override ...") so every result that uses it is marked and footnoted.
"""

from __future__ import annotations

import difflib
from dataclasses import replace
from typing import Any

from chipcalc.catalog import schema
from chipcalc.catalog.records import Chip, System
from chipcalc.catalog.store import Catalog
from chipcalc.core.errors import UnitError, UsageError
from chipcalc.core.figure import Figure, Provenance
from chipcalc.core.units import EXAMPLES, check_dimension, parse, within_si_limit

_SYSTEM_FIELDS = {
    "chips": "count",
    "power": "power",
    "scale-up.bandwidth": "bandwidth",
    "scale-up.size": "count",
    "scale-up.latency": "time",
    "scale-out.bandwidth": "bandwidth",
    "scale-out.latency": "time",
}


def parse_setting(text: str) -> tuple[str, str]:
    if "=" not in text:
        raise UsageError(f"--set '{text}': write NAME=VALUE, e.g. --set ascend-910c.tdp=600W")
    lhs, rhs = (s.strip() for s in text.split("=", 1))
    if not lhs or not rhs:
        raise UsageError(f"--set '{text}': write NAME=VALUE, e.g. --set ascend-910c.tdp=600W")
    return lhs, rhs


def _value(lhs: str, rhs: str, dim: str, old: Figure | None = None) -> Any:
    try:
        q = parse(rhs)
    except UnitError as exc:
        raise UsageError(f"--set {lhs}: {exc}") from None
    if dim != "any" and not check_dimension(q, dim):
        # the figure's own value is the example (a generic one may lie outside the figure's allowed range)
        like = f"{old.q:~P}".replace(" ", "").replace("µ", "u") if old is not None else EXAMPLES[dim]
        raise UsageError(f"--set {lhs}: expected a value like '{like}', got '{rhs}'")
    import math

    m = q.magnitude
    if isinstance(m, (int, float)) and (math.isnan(m) or math.isinf(m) or m <= 0):
        raise UsageError(f"--set {lhs}: '{rhs}' must be a positive finite number")
    if not within_si_limit(q):
        raise UsageError(f"--set {lhs}: '{rhs}' is too large to compute with; check the number and its unit")
    if dim == "count" and float(m) != int(m):
        raise UsageError(f"--set {lhs}: '{rhs}' must be a whole number")
    if dim == "fraction" and float(q.m_as("")) > 1:
        raise UsageError(f"--set {lhs}: '{rhs}' must be a fraction in (0, 1]")
    return q


def _override(lhs: str, rhs: str, old: Figure | None, dim: str) -> Figure:
    q = _value(lhs, rhs, dim, old)
    was = f"{old.q:~P}" if old is not None else "no figure"
    prov = Provenance.assume(lhs, f"user override --set {lhs}={rhs} (catalog value: {was})")
    if old is not None and dim != "count":
        q = q.to(old.q.units)
    return Figure(q, prov, label=lhs, note="user override")


def _unknown(lhs: str, names: list[str]) -> UsageError:
    close = difflib.get_close_matches(lhs, names, n=3, cutoff=0.5)
    hint = f"; did you mean {' or '.join(close)}?" if close else ""
    return UsageError(f"--set: unknown figure '{lhs}'{hint} (chip.figure, system.chips|power|scale-up.bandwidth, model.figure, or an assumption name)")


def _all_names(cat: Catalog) -> list[str]:
    names = list(cat.assumptions)
    for c in cat.chips.values():
        names += [f"{c.id}.{k}" for k in c.figures]
    for s in cat.systems.values():
        names += [f"{s.id}.{k}" for k in _SYSTEM_FIELDS]
        names += [f"{s.id}.{slug(p.name)}.{k}" for p in s.parts for k in _PART_FIELDS
                  if k == "power" or (k != "count" and getattr(p, k) is not None)]
    for m in cat.models.values():
        names += [f"{m.id}.{k}" for k in m.figures]
    return names


def apply_overrides(cat: Catalog, settings: list[str]) -> Catalog:
    """A new catalog with each ``NAME=VALUE`` applied (chips, systems, models, assumptions), checked by
    the same rules as a spec file (assumption bounds, model shapes, system power vs its chips' TDP)."""
    from chipcalc.catalog.loader import assumption_out_of_bounds

    original, seen = cat, {}
    for text in settings:
        lhs, rhs = parse_setting(text)
        if lhs in seen:
            raise UsageError(f"--set {lhs} is given twice ({seen[lhs]} and {rhs}); give it once")
        seen[lhs] = rhs
        old, dim = locate(original, lhs)  # the footnote names the catalog's value, not an earlier --set
        _resizing(original, lhs, rhs)
        new = _override(lhs, rhs, old, dim)
        if lhs in cat.assumptions and (why := assumption_out_of_bounds(lhs, new)):
            raise UsageError(f"--set {lhs}={rhs}: {why}")
        cat = put(cat, lhs, new)
    _check_records(cat, original, seen)
    return cat


def _resizing(cat: Catalog, lhs: str, rhs: str) -> None:
    """``--set SYSTEM.chips=N`` on a system whose power, parts, reported totals or scale-up domain are published
    for its own size would mix the two sizes (100 chips with the 559 kW of 384 gave 5,590 W per chip): refused,
    with what to do instead."""
    owner, _, field = lhs.partition(".")
    s = cat.systems.get(owner)
    if s is None or field != "chips":
        return
    fixed = [w for w, has in (("all-in power", s.power is not None), ("parts", bool(s.parts)),
                              ("reported totals", bool(s.reported)), ("scale-up domain", s.tier("scale-up") is not None)) if has]
    if fixed:
        raise UsageError(f"--set {lhs}={rhs}: {s.id}'s {', '.join(fixed)} are published for {s.chips.q.m:g} chips and would "
                         "not follow; deploy fewer chips of it with --chips (latency, pareto, train), or write a spec "
                         "of the smaller system")


def _check_records(cat: Catalog, original: Catalog, seen: dict[str, str]) -> None:
    """The record rules of :mod:`chipcalc.catalog.lint` on every model and system a --set changed."""
    from chipcalc.catalog.lint import model_shape_problems, system_problems

    given = ", ".join(f"--set {k}={v}" for k, v in seen.items())
    for mid, m in cat.models.items():
        if m is not original.models.get(mid):
            for key, message in model_shape_problems(m.figures):
                raise UsageError(f"{given}: {mid}.{key}: {message}")
    for sid, s in cat.systems.items():
        if s is not original.systems.get(sid):
            for key, message in system_problems(s.chips, s.power, s.chip.get("tdp"), s.tiers):
                raise UsageError(f"{given}: {sid}.{key}: {message}")


def slug(name: str) -> str:
    import re

    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def locate(cat: Catalog, lhs: str) -> tuple[Figure | None, str]:
    """The figure a NAME refers to (None if the field exists but has no value) and its dimension."""
    if lhs in cat.assumptions:
        old = cat.assumptions[lhs]
        return old, schema.ASSUMPTIONS[lhs][0] if lhs in schema.ASSUMPTIONS else _dim_of(old)
    owner, field = _owner(cat, lhs)
    if owner in cat.chips and field:
        spec = schema.chip_field(field)
        if spec is not None:
            return cat.chips[owner].get(field), spec[0]
    elif owner in cat.systems and field:
        s = cat.systems[owner]
        if field in ("chips", "power"):
            return getattr(s, field), _SYSTEM_FIELDS[field]
        if field in _SYSTEM_FIELDS:
            kind, attr = field.split(".")
            tier = s.tier(kind)
            if tier is None:
                raise UsageError(f"--set {lhs}: {s.id} has no {kind} tier in {s.file}")
            return getattr(tier, attr), _SYSTEM_FIELDS[field]
        part_slug, _, attr = field.rpartition(".")
        for p in s.parts:
            if slug(p.name) == part_slug and attr in _PART_FIELDS:
                return getattr(p, attr), _PART_FIELDS[attr]
    elif owner in cat.models and field:
        spec = schema.MODEL_FIGURES.get(field)
        if spec is not None:
            return cat.models[owner].get(field), spec[0]
    raise _unknown(lhs, _all_names(cat))


def _owner(cat: Catalog, lhs: str) -> tuple[str, str]:
    """('llama-3.1-70b', 'kv_heads') from 'llama-3.1-70b.kv_heads': the longest id before a dot (ids may hold dots)."""
    ids = [*cat.chips, *cat.systems, *cat.models]
    best = max((i for i in ids if lhs.startswith(i + ".")), key=len, default=None)
    if best is None:
        owner, _, field = lhs.partition(".")
        return owner, field
    return best, lhs[len(best) + 1:]


def put(cat: Catalog, lhs: str, new: Figure) -> Catalog:
    """A new catalog with the figure NAME replaced by ``new`` (see :func:`locate` for names)."""
    if lhs in cat.assumptions:
        return replace(cat, assumptions={**cat.assumptions, lhs: new})
    owner, field = _owner(cat, lhs)
    if owner in cat.chips:
        chip = cat.chips[owner]
        return _replace_chip(cat, replace(chip, figures={**chip.figures, field: new}))
    if owner in cat.systems:
        s = cat.systems[owner]
        if field in ("chips", "power"):
            s2 = replace(s, **{field: new})
        elif field in _SYSTEM_FIELDS:
            kind, attr = field.split(".")
            tier = s.tier(kind)
            s2 = replace(s, tiers=tuple(replace(t, **{attr: new}) if t is tier else t for t in s.tiers))
        else:
            part_slug, _, attr = field.rpartition(".")
            s2 = replace(s, parts=tuple(replace(p, **{attr: new}) if slug(p.name) == part_slug else p for p in s.parts))
        return replace(cat, systems={**cat.systems, s.id: s2})
    m = cat.models[owner]
    return replace(cat, models={**cat.models, m.id: replace(m, figures={**m.figures, field: new})})


def inputs_of_system(cat: Catalog, s: System) -> dict[str, Figure]:
    """Every figure a cluster calculation of system ``s`` reads, by its --set name."""
    out: dict[str, Figure] = {f"{s.chip.id}.{k}": f for k, f in s.chip.figures.items()}
    out[f"{s.id}.chips"] = s.chips
    if s.power is not None:
        out[f"{s.id}.power"] = s.power
    for t in s.tiers:
        out[f"{s.id}.{t.kind}.bandwidth"] = t.bandwidth
        if t.size is not None:
            out[f"{s.id}.{t.kind}.size"] = t.size
    for p in s.parts:
        if p.power is not None:
            out[f"{s.id}.{slug(p.name)}.power"] = p.power
    return out


#: A part's figures that --set can replace, and their dimensions (catalog/schema.py).
_PART_FIELDS = {k: dim for k, (dim, _d, _u) in schema.PART_FIGURES.items()}


def _dim_of(fig: Figure) -> str:
    """The dimension name an assumption's override must have (plain numbers: a fraction when the
    assumption's whole range lies in (0, 1], else any positive number)."""
    from chipcalc.core.units import DIMENSIONS
    from chipcalc.core.units import check_dimension as chk

    if fig.q.dimensionless:
        return "fraction" if float(fig.hi.m_as("")) <= 1 else "number"
    for name in DIMENSIONS:
        if DIMENSIONS[name] and chk(fig.q, name):
            return name
    return "any"


def _replace_chip(cat: Catalog, chip: Chip) -> Catalog:
    systems = {sid: (replace(s, chip=chip) if s.chip.id == chip.id else s) for sid, s in cat.systems.items()}
    return replace(cat, chips={**cat.chips, chip.id: chip}, systems=systems)


# -- --prefer ------------------------------------------------------------------------------
def _kind_of(fig: Figure, cat: Catalog) -> set[str]:
    return {cat.sources[s.id].kind for s in fig.prov.sources if s.id in cat.sources}


def prefer_figure(fig: Figure | None, kind: str, cat: Catalog) -> Figure | None:
    """Make the first value from a source of ``kind`` the nominal one; the range is unchanged."""
    if fig is None or not fig.alternatives or kind in _kind_of(fig, cat):
        return fig
    for i, alt in enumerate(fig.alternatives):
        if kind in _kind_of(alt, cat):
            rest = fig.alternatives[:i] + fig.alternatives[i + 1:]
            old = Figure(fig.q, fig.prov, label=fig.label, note=fig.note)
            others = (*rest, old)
            return replace(fig, q=alt.q.to(fig.q.units), prov=alt.prov, note=alt.note, alternatives=others,
                           range_prov=Provenance.union(a.prov for a in others))
    return fig


def prefer(cat: Catalog, kind: str) -> Catalog:
    if kind not in schema.SOURCE_KINDS:
        raise UsageError(f"--prefer must be one of {', '.join(schema.SOURCE_KINDS)}, not '{kind}'")
    chips = {cid: replace(c, figures={k: prefer_figure(f, kind, cat) for k, f in c.figures.items()}) for cid, c in cat.chips.items()}
    systems = {}
    for sid, s in cat.systems.items():
        tiers = tuple(replace(t, bandwidth=prefer_figure(t.bandwidth, kind, cat)) for t in s.tiers)
        systems[sid] = replace(s, chip=chips[s.chip.id], power=prefer_figure(s.power, kind, cat), tiers=tiers)
    models = {mid: replace(m, figures={k: prefer_figure(f, kind, cat) for k, f in m.figures.items()}) for mid, m in cat.models.items()}
    note = f"--prefer {kind}: where several sources give a figure, the {kind} one is the nominal value."
    return replace(cat, chips=chips, systems=systems, models=models, notes=[*cat.notes, note])
