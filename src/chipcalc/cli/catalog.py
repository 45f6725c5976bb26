"""`chipcalc list`, `chip`, `compare`, `cluster` and `validate`: the catalog and cluster comparisons."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from chipcalc.cli.types import SAMPLES
from chipcalc.cli.root import (
    ForceOpt,
    FormatOpt,
    FragmentOpt,
    OutputOpt,
    PreferOpt,
    RangesOpt,
    SetOpt,
    SpecsOpt,
    _catalog,
    _fail,
    app,
    compared,
    each_once,
    emit,
    guarded,
)


@app.command("list")
def list_cmd(
    what: Optional[str] = typer.Argument(None, help="One kind only: chips, systems, models, claims, fleets, assumptions or sources.", show_default=False),
    vendor: Optional[str] = typer.Option(None, "--vendor", help="Only chips and systems of this vendor (a part of the name, any case)."),
    status: Optional[str] = typer.Option(None, "--status", help="Only chips and systems with this status: announced, sampling or shipping."),
    kind: Optional[str] = typer.Option(None, "--kind", help="Only chips or only systems: chip or system."),
    specs: Optional[List[Path]] = SpecsOpt,
    fmt: Optional[str] = FormatOpt,
    fragment: bool = FragmentOpt,
    output: Optional[Path] = OutputOpt,
    force: bool = ForceOpt,
    ranges: bool = RangesOpt,
) -> None:
    """List the catalog: chips and systems (with status and the date it refers to), models, claims, fleet
    volumes, assumptions (the names --set takes) and sources; `chipcalc list claims` lists one kind."""

    def body() -> None:
        from chipcalc.catalog.schema import STATUSES
        from chipcalc.core.errors import UsageError
        from chipcalc.output.cluster_tables import KINDS, list_tables, list_what

        if what is not None and what not in KINDS:
            raise UsageError(f"chipcalc list: '{what}' is not one of {', '.join(KINDS)}")
        if what is not None and what not in ("chips", "systems") and (vendor or status or kind):
            raise UsageError("--vendor, --status and --kind filter chips and systems; list them alone")
        if status is not None and status not in STATUSES:
            raise UsageError(f"--status must be one of {', '.join(STATUSES)}, not '{status}'")
        if kind is not None and kind not in ("chip", "system"):
            raise UsageError(f"--kind must be 'chip' or 'system', not '{kind}'")
        cat = _catalog(specs, claims=what in (None, "claims", "fleets"))
        if vendor is not None:
            vendors = sorted({r.vendor for r in [*cat.chips.values(), *cat.systems.values()]})
            if not vendor.strip() or not any(vendor.lower() in v.lower() for v in vendors):
                raise UsageError(f"--vendor '{vendor}' matches no chip or system; vendors: {', '.join(vendors)}")
        tables = list_what(cat, what) if what is not None and not (vendor or status or kind) else list_tables(cat, vendor, status, kind)
        emit(tables, fmt, output, force, cat, ranges=ranges, fragment=fragment)

    guarded(body)


@app.command("chip")
def chip_cmd(
    name: str = typer.Argument(..., help="Chip id, e.g. ascend-910c (see `chipcalc list`)."),
    per: str = typer.Option("package", "--per", help="Level of the figures: package or die."),
    sets: Optional[List[str]] = SetOpt,
    prefer: Optional[str] = PreferOpt,
    specs: Optional[List[Path]] = SpecsOpt,
    fmt: Optional[str] = FormatOpt,
    fragment: bool = FragmentOpt,
    output: Optional[Path] = OutputOpt,
    force: bool = ForceOpt,
    ranges: bool = RangesOpt,
) -> None:
    """Spec sheet of one chip: every figure with its range, alternatives, and source or assumption."""

    def body() -> None:
        from chipcalc.core.errors import UsageError
        from chipcalc.output.cluster_tables import chip_table

        if per not in ("package", "die"):
            raise UsageError(f"--per must be 'package' or 'die', not '{per}'")
        cat = _catalog(specs, sets, prefer)
        chip = cat.chip(name)
        if per == "die" and chip.get("dies") is None:
            raise UsageError(f"{chip.id} has no 'dies' figure in {chip.file}; per-die figures cannot be derived")
        emit([chip_table(chip, per)], fmt, output, force, cat, ranges=True, fragment=fragment)

    guarded(body)


@app.command("compare")
def compare_cmd(
    names: List[str] = typer.Argument(..., help="Two or more chip ids."),
    sets: Optional[List[str]] = SetOpt,
    prefer: Optional[str] = PreferOpt,
    specs: Optional[List[Path]] = SpecsOpt,
    fmt: Optional[str] = FormatOpt,
    fragment: bool = FragmentOpt,
    output: Optional[Path] = OutputOpt,
    force: bool = ForceOpt,
    ranges: bool = RangesOpt,
) -> None:
    """Compare chips side by side, per chip (with the ratio when there are two)."""

    def body() -> None:
        from chipcalc.core.errors import UsageError
        from chipcalc.output.cluster_tables import compare_table

        if len(names) < 2:
            raise UsageError("compare needs at least two chips, e.g. `chipcalc compare ascend-910c h20`")
        cat = _catalog(specs, sets, prefer)
        chips = [cat.chip(n) for n in names]
        each_once(chips, "chip")
        emit([compare_table(chips)], fmt, output, force, cat, ranges=ranges, fragment=fragment)

    guarded(body)


@app.command("cluster")
def cluster_cmd(
    name: str = typer.Argument(..., help="System id, e.g. cloudmatrix384 (see `chipcalc list`)."),
    vs: Optional[List[str]] = typer.Option(None, "--vs", help="Systems to compare with, repeatable: --vs B --vs C puts each in its own column; ratios are the first (or --base) over each other.", show_default=False),
    base: Optional[str] = typer.Option(None, "--base", help="The system the ratios are of (default: the first); must be one of those compared.", show_default=False),
    sets: Optional[List[str]] = SetOpt,
    prefer: Optional[str] = PreferOpt,
    specs: Optional[List[Path]] = SpecsOpt,
    fmt: Optional[str] = FormatOpt,
    fragment: bool = FragmentOpt,
    output: Optional[Path] = OutputOpt,
    force: bool = ForceOpt,
    ranges: bool = RangesOpt,
    method: str = typer.Option("interval", "--method", help="How ranges propagate: interval (worst-case bounds) or montecarlo (percentiles)."),
    samples: Optional[int] = typer.Option(None, "--samples", click_type=SAMPLES, help="Monte Carlo samples, at least 100 (100k = 100,000; default 100k).", show_default=False),
    seed: Optional[int] = typer.Option(None, "--seed", help="Monte Carlo seed (same seed, same answer; default 0).", show_default=False),
) -> None:
    """Per-chip vs whole-system figures: compute, memory, network, power, efficiency; ratios with --vs."""

    def body() -> None:
        nonlocal samples, seed
        from dataclasses import replace

        from chipcalc.core.errors import UsageError
        from chipcalc.output.cluster_tables import cluster_tables

        cat = _catalog(specs, sets, prefer)
        systems, b_i = compared(cat, name, vs, base)
        ids = [s.id for s in systems]
        a, b, more = systems[0], (systems[1] if len(systems) > 1 else None), tuple(systems[2:])
        tables = cluster_tables(a, b, more=more, base=b_i)
        if method not in ("interval", "montecarlo"):
            raise UsageError(f"--method must be 'interval' or 'montecarlo', not '{method}'")
        if method != "montecarlo" and (samples is not None or seed is not None):
            given = " and ".join(o for o, v in (("--samples", samples), ("--seed", seed)) if v is not None)
            raise UsageError(f"{given} {'apply' if ' and ' in given else 'applies'} to --method montecarlo; add it, or drop {given}")
        samples = 100_000 if samples is None else samples
        seed = 0 if seed is None else seed
        if method == "montecarlo":
            from chipcalc.calc import ranges as rg

            inputs = rg.uncertain_inputs(cat, ids)
            drawn, capped = rg.sampling(samples, seed)
            sampled = rg.sample_catalog(cat, inputs, drawn, seed)
            rest = tuple(s.id for s in more)
            mc = rg.montecarlo_metrics(rg.cluster_metrics(cat, a.id, b.id if b else None, rest, b_i),
                                       rg.cluster_metrics(sampled, a.id, b.id if b else None, rest, b_i))
            tables = cluster_tables(a, b, metrics=mc, more=more, base=b_i)
            note = (f"Ranges: Monte Carlo, {drawn:,} samples, seed {seed}; each of {len(inputs)} uncertain inputs uniform on "
                    f"its [low, high], independent; shown as [p{rg.PERCENTILES[0]:g}–p{rg.PERCENTILES[1]:g}] (first two tables).")
            cat = replace(cat, notes=[*cat.notes, note] + ([capped] if capped else []))
            ranges_on = True
        else:
            ranges_on = ranges
            if ranges:
                cat = replace(cat, notes=[*cat.notes, "Ranges: interval arithmetic over every figure's [low, high] (worst case; "
                                          "exact for monotone functions of independent inputs, conservative otherwise)."])
        emit(tables, fmt, output, force, cat, ranges=ranges_on, fragment=fragment)

    guarded(body)


@app.command("validate")
def validate_cmd(
    folders: Optional[List[Path]] = typer.Argument(None, help="Spec folders to check with the built-ins (default: built-ins and CHIPCALC_SPECS)."),
    no_builtin: bool = typer.Option(False, "--no-builtin", help="Check the given folders alone, without the built-in catalog."),
    specs: Optional[List[Path]] = SpecsOpt,
    fmt: Optional[str] = FormatOpt,
    fragment: bool = FragmentOpt,
    output: Optional[Path] = OutputOpt,
    force: bool = ForceOpt,
) -> None:
    """Check the catalog (and your own spec folders): report every problem at once (-f json: as data)."""

    def body() -> None:
        from chipcalc.catalog.lint import warnings
        from chipcalc.catalog.read import builtin_specs_dir, user_specs_dirs
        from chipcalc.claims.lint import all_problems
        from chipcalc.claims.load import load_cached

        dirs = list(folders or []) + list(specs or []) or user_specs_dirs(None)
        cat, problems = load_cached(dirs, builtin=not no_builtin)
        problems = problems + all_problems(cat)
        warns = [str(w) for w in warnings(cat)]  # said, not failed: e.g. a system whose interconnect no source gives
        n_fig = sum(len(c.figures) for c in cat.chips.values())
        where = ", ".join(str(f) for f in ([] if no_builtin else [builtin_specs_dir()]) + dirs)
        summary = (f"{len(cat.sources)} sources, {len(cat.chips)} chips ({n_fig} figures), {len(cat.systems)} systems, "
                   f"{len(cat.models)} models, {len(cat.assumptions)} assumptions, {len(cat.claims)} claims, "
                   f"{len(cat.volumes)} fleet volumes in {where}")
        if fmt is not None or output is not None:
            _validate_report(problems, warns, summary, fmt, output, force, fragment, cat)
        else:
            for w in warns:
                typer.echo(f"warning: {w}", err=True)
            for p in problems:
                typer.echo(str(p), err=True)
        if problems:
            _fail(f"{len(problems)} problem{'s' if len(problems) != 1 else ''} in {where}", 1)
        if fmt is None and output is None:
            typer.echo(f"ok: {summary}")

    guarded(body)


def _validate_report(problems, warns, summary, fmt, output, force, fragment, cat) -> None:
    """validate's findings as data (-f json) or as a table (any other format), printed or written."""
    import json

    from chipcalc.cli.root import _format
    from chipcalc.output import files
    from chipcalc.output.table import Table

    f = _format(fmt, output)
    if f == "json":
        text = json.dumps({"ok": not problems, "summary": summary, "warnings": warns,
                           "problems": [{"file": p.file, "field": p.field, "message": p.message} for p in problems]},
                          indent=2, ensure_ascii=False) + "\n"
        if output is None:
            typer.echo(text, nl=False)
        else:
            files.write_output(output, text, force=force)
        return
    t = Table("Problems" if problems else "No problems", ["file", "field", "message"], key="validate")
    for i, p in enumerate(problems):
        t.add(f"p{i}", str(i + 1), "", [p.file, p.field, p.message])
    for i, w in enumerate(warns):
        t.add(f"w{i}", "warning", "", ["", "", w])
    t.notes.append(("ok: " if not problems else "") + summary)
    emit([t], fmt, output, force, cat, fragment=fragment)
