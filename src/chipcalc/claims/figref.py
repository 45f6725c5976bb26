"""Figure references: the names an expression or a claim uses for catalog figures.

    <chip>.<figure>                 h20.hbm_bandwidth, ascend-910c.bf16_dense
    <chip>.<figure>.per_die         ascend-910c.hbm_bandwidth.per_die
    <system>.<figure>               per chip as the system has it (links from its tiers)
    <system>.<figure>_total         chips x per-chip figure: cloudmatrix384.bf16_dense_total
    <system>.chips | .power | .power_per_chip | .power_bottom_up | .reported.<figure>
    <system>.dies_total             chips (packages) x the chip's dies
    <system>.marketed_count         the vendor's headline count (what it counts: the system's file)
    <model>.<figure>                deepseek-r1.params_active
    volume.<id>                     a sourced production / shipment volume (specs/fleets.toml)
    assumption.<name>               a named assumption (e.g. assumption.mbu)

``@<source-id>`` after a name picks the value that source gives (the nominal or an alternative),
without the range: ``ascend-910c.bf16_dense@semianalysis-cm384`` is 780 TFLOPS.
"""

from __future__ import annotations

import difflib
from typing import Any, Callable

from chipcalc.catalog import schema
from chipcalc.claims.expr import ExprError
from chipcalc.core.figure import Figure


def _scaled(fig: Figure, factor: Figure, op: str) -> Figure:
    """fig * factor (or / factor), keeping fig's alternatives scaled the same way, so a derived total
    still shows which sources disagree."""
    from dataclasses import replace

    f = (lambda x: x * factor) if op == "*" else (lambda x: x / factor)
    return replace(f(fig), alternatives=tuple(f(a) for a in fig.alternatives))

_SYSTEM_EXTRA = ("chips", "power", "power_per_chip", "power_bottom_up", "dies_total", "marketed_count")


def _chip_figure_names() -> list[str]:
    names = list(schema.CHIP_FIGURES)
    names += [schema.compute_name(p, s) for p in schema.PRECISIONS for s in schema.SPARSITY]
    return names


def names(cat: Any) -> list[str]:
    """Every reference the catalog can answer (for did-you-mean hints and docs)."""
    out: list[str] = []
    for c in cat.chips.values():
        out += [f"{c.id}.{k}" for k in c.figures]
    for s in cat.systems.values():
        out += [f"{s.id}.{k}" for k in _SYSTEM_EXTRA
                if (k != "dies_total" or s.chip.get("dies") is not None) and (k != "marketed_count" or s.marketed is not None)]
        for k in s.chip.figures:
            out += [f"{s.id}.{k}", f"{s.id}.{k}_total"]
        out += [f"{s.id}.reported.{k}" for k in s.reported]
    for m in cat.models.values():
        out += [f"{m.id}.{k}" for k in m.figures]
    out += [f"volume.{v}" for v in getattr(cat, "volumes", {})]
    out += [f"assumption.{a}" for a in cat.assumptions]
    return out


def _unknown(cat: Any, name: str, why: str = "") -> ExprError:
    known = names(cat)
    head = name.partition(".")[0].lower() + "."
    same = [n for n in known if n.startswith(head)]  # a known chip or system: suggest its own figures
    close = difflib.get_close_matches(name, same, n=3, cutoff=0.6) or difflib.get_close_matches(name, known, n=3, cutoff=0.6)
    if close:  # keep only the suggestions about as close as the best one
        score = lambda c: difflib.SequenceMatcher(None, name, c).ratio()  # noqa: E731
        best = score(close[0])
        close = [c for c in close if score(c) >= best - 0.05]
    hint = f"; did you mean {' or '.join(close)}?" if close else ""
    if not close and "-" in name and "." in name:
        hint = "; write spaces around '-' when you mean a minus"
    return ExprError(f"unknown figure '{name}'{why}{hint}")


def select(fig: Figure, source: str, name: str) -> Figure:
    """The value of ``fig`` (nominal or an alternative) that ``source`` gives, without a range."""
    cands = [f for f in (fig, *fig.alternatives) if any(s.id == source for s in f.prov.sources)]
    if not cands:
        have = sorted({s.id for f in (fig, *fig.alternatives) for s in f.prov.sources})
        raise ExprError(f"{name} has no value from source '{source}'; it has values from {', '.join(have) or 'assumptions only'}")
    values = {f"{f.q:~P}" for f in cands}
    if len(values) > 1:
        raise ExprError(f"{name}: source '{source}' gives {len(values)} values ({', '.join(sorted(values))}); "
                        "it cannot pick one")
    f = cands[0]
    return Figure(f.q, f.prov, label=f"{name}@{source}", note=f.note)


def resolve(cat: Any, ref: str, col: int | None = None) -> Figure:
    """The figure a reference names. Raises :class:`ExprError` (a usage error) with a hint;
    ``col`` (the reference's column in an expression) is named in the message."""
    try:
        return _resolve(cat, ref)
    except ExprError as exc:
        if not col:
            raise
        name = ref.partition("@")[0]
        msg = str(exc)
        msg = msg.replace(f"'{name}'", f"'{name}' at column {col}", 1) if f"'{name}'" in msg else f"{msg} (column {col})"
        raise ExprError(msg) from None


def _resolve(cat: Any, ref: str) -> Figure:
    name, _, source = ref.partition("@")
    pick: Callable[[Figure], Figure] = (lambda f: select(f, source, name)) if source else (lambda f: f)
    head, _, rest = name.partition(".")
    if not rest:
        raise _unknown(cat, name)
    head_l = head.lower()
    if head_l == "volume":
        vols = getattr(cat, "volumes", {})
        if rest not in vols:
            raise _unknown(cat, name)
        return pick(vols[rest].figure).relabel(ref)
    if head_l == "assumption":
        if rest not in cat.assumptions:
            raise _unknown(cat, name)
        return pick(cat.assumptions[rest]).relabel(ref)
    if head_l in cat.systems:
        return _system(cat, cat.systems[head_l], rest, name, pick).relabel(ref)
    if head_l in cat.chips:
        return _chip(cat, cat.chips[head_l], rest, name, pick).relabel(ref)
    if head_l in cat.models:
        m = cat.models[head_l]
        if rest not in m.figures:
            raise _unknown(cat, name, f" ({m.id} has no '{rest}' figure)")
        return pick(m.figures[rest]).relabel(ref)
    raise _unknown(cat, name, f" ('{head}' is not a chip, system, model, 'volume' or 'assumption')")


def _chip(cat: Any, chip: Any, rest: str, name: str, pick: Callable[[Figure], Figure]) -> Figure:
    key, _, level = rest.partition(".")
    fig = chip.get(key)
    if fig is None or level not in ("", "per_die"):
        raise _unknown(cat, name, "" if key not in _chip_figure_names() else f" ({chip.id} has no '{rest}' figure)")
    fig = pick(fig)
    if level == "per_die":
        dies = chip.get("dies")
        if dies is None:
            raise ExprError(f"{name}: {chip.id} has no 'dies' figure ({chip.file}); per-die values cannot be derived")
        fig = _scaled(fig, dies, "/")
    return fig


def _system(cat: Any, system: Any, rest: str, name: str, pick: Callable[[Figure], Figure]) -> Figure:
    from chipcalc.calc import cluster

    if rest == "chips":
        return pick(system.chips)
    if rest == "dies_total":
        dies = system.dies_total()
        if dies is None:
            raise ExprError(f"{name}: {system.chip.id} has no 'dies' figure ({system.chip.file}); dies cannot be counted "
                            f"(use {system.id}.chips for packages)")
        return pick(dies)
    if rest == "marketed_count":
        if system.marketed is None:
            raise ExprError(f"{name}: {system.id} has no marketed_count ({system.file}); use {system.id}.chips (packages)")
        return pick(system.marketed.figure)
    if rest == "power":
        if system.power is not None:
            return pick(system.power).to("kW")
        best = cluster.power_breakdown(system).best
        if best is None:
            raise ExprError(f"{name}: {system.id} has no power figure and no part with a power figure")
        return pick(best)
    if rest == "power_bottom_up":
        bu = cluster.power_breakdown(system).bottom_up
        if bu is None:
            raise ExprError(f"{name}: {system.id} has no part with a power figure")
        return pick(bu)
    if rest == "power_per_chip":
        best = _system(cat, system, "power", name, pick)
        return _scaled(best, system.chips, "/").to("W")
    if rest.startswith("reported."):
        key = rest.split(".", 1)[1]
        if key not in system.reported:
            raise _unknown(cat, name, f" ({system.id} reports no '{key}' total)")
        return pick(system.reported[key])
    key, total = (rest[: -len("_total")], True) if rest.endswith("_total") else (rest, False)
    from chipcalc.catalog.records import UnknownFigure

    try:
        fig = cluster.per_chip(system, key)
    except UnknownFigure:  # the expression's own message names the closest references
        fig = None
    if fig is None:
        raise _unknown(cat, name, f" ({system.id}'s chip {system.chip.id} has no '{key}' figure)")
    fig = pick(fig)
    return _scaled(fig, system.chips, "*") if total else fig
