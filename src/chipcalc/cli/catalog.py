"""`chipcalc list`, `chip`, `compare`, `cluster` and `validate`: the catalog and cluster comparisons."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

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
    emit,
    guarded,
    one_vs,
)


@app.command("list")
def list_cmd(
    vendor: Optional[str] = typer.Option(None, "--vendor", help="Only chips and systems of this vendor (a part of the name, any case)."),
    status: Optional[str] = typer.Option(None, "--status", help="Only chips and systems with this status: announced, sampling or shipping."),
    kind: Optional[str] = typer.Option(None, "--kind", help="Only chips or only systems: chip or system."),
    specs: Optional[List[Path]] = SpecsOpt,
    fmt: Optional[str] = FormatOpt,
    fragment: bool = FragmentOpt,
    output: Optional[Path] = OutputOpt,
    force: bool = ForceOpt,
) -> None:
    """List the chips and systems (with status and the date it refers to), models and sources."""

    def body() -> None:
        from chipcalc.catalog.schema import STATUSES
        from chipcalc.core.errors import UsageError
        from chipcalc.output.cluster_tables import list_tables

        if status is not None and status not in STATUSES:
            raise UsageError(f"--status must be one of {', '.join(STATUSES)}, not '{status}'")
        if kind is not None and kind not in ("chip", "system"):
            raise UsageError(f"--kind must be 'chip' or 'system', not '{kind}'")
        cat = _catalog(specs)
        emit(list_tables(cat, vendor, status, kind), fmt, output, force, cat, fragment=fragment)

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
        emit([compare_table(chips)], fmt, output, force, cat, ranges=ranges, fragment=fragment)

    guarded(body)


@app.command("cluster")
def cluster_cmd(
    name: str = typer.Argument(..., help="System id, e.g. cloudmatrix384 (see `chipcalc list`)."),
    vs: Optional[List[str]] = typer.Option(None, "--vs", help="A second system to compare with (ratios are this / that).", show_default=False),
    sets: Optional[List[str]] = SetOpt,
    prefer: Optional[str] = PreferOpt,
    specs: Optional[List[Path]] = SpecsOpt,
    fmt: Optional[str] = FormatOpt,
    fragment: bool = FragmentOpt,
    output: Optional[Path] = OutputOpt,
    force: bool = ForceOpt,
    ranges: bool = RangesOpt,
    method: str = typer.Option("interval", "--method", help="How ranges propagate: interval (worst-case bounds) or montecarlo (percentiles)."),
    samples: int = typer.Option(100_000, "--samples", help="Monte Carlo samples."),
    seed: int = typer.Option(0, "--seed", help="Monte Carlo seed (same seed, same answer)."),
) -> None:
    """Per-chip vs whole-system figures: compute, memory, network, power, efficiency; ratios with --vs."""

    def body() -> None:
        from dataclasses import replace

        from chipcalc.core.errors import UsageError
        from chipcalc.output.cluster_tables import cluster_tables

        cat = _catalog(specs, sets, prefer)
        a = cat.system(name)
        other = one_vs(vs)
        b = cat.system(other) if other else None
        tables = cluster_tables(a, b)
        if method not in ("interval", "montecarlo"):
            raise UsageError(f"--method must be 'interval' or 'montecarlo', not '{method}'")
        if method == "montecarlo":
            from chipcalc.calc import ranges as rg

            ids = [a.id] + ([b.id] if b else [])
            inputs = rg.uncertain_inputs(cat, ids)
            drawn, capped = rg.sampling(samples, seed)
            sampled = rg.sample_catalog(cat, inputs, drawn, seed)
            mc = rg.montecarlo_metrics(rg.cluster_metrics(cat, a.id, b.id if b else None),
                                       rg.cluster_metrics(sampled, a.id, b.id if b else None))
            tables = cluster_tables(a, b, metrics=mc)
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
) -> None:
    """Check the catalog (and your own spec folders): report every problem at once."""

    def body() -> None:
        from chipcalc.catalog.read import user_specs_dirs
        from chipcalc.claims.load import load

        dirs = list(folders) if folders else user_specs_dirs(None)
        cat, problems = load(dirs, builtin=not no_builtin)
        from chipcalc.claims.lint import all_problems

        problems = problems + all_problems(cat)
        n_fig = sum(len(c.figures) for c in cat.chips.values())
        from chipcalc.catalog.read import builtin_specs_dir

        where = ", ".join(str(f) for f in ([] if no_builtin else [builtin_specs_dir()]) + dirs)
        from chipcalc.catalog.lint import warnings

        for w in warnings(cat):  # said, not failed: e.g. a system whose interconnect no source gives
            typer.echo(f"warning: {w}", err=True)
        if problems:
            for p in problems:
                typer.echo(str(p), err=True)
            _fail(f"{len(problems)} problem{'s' if len(problems) != 1 else ''} in {where}", 1)
        typer.echo(
            f"ok: {len(cat.sources)} sources, {len(cat.chips)} chips ({n_fig} figures), {len(cat.systems)} systems, "
            f"{len(cat.models)} models, {len(cat.assumptions)} assumptions, {len(cat.claims)} claims, "
            f"{len(cat.volumes)} fleet volumes in {where}"
        )

    guarded(body)
