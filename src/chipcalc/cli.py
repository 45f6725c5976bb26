"""The command-line interface: parse arguments, call one calculation, render, print or write.

No arithmetic here. Heavy imports (pint, numpy, tabulate) happen inside the commands.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Callable, List, Optional

# Plain-text help and errors: rich's boxes cost ~150 ms of start-up per call and add nothing here.
os.environ.setdefault("TYPER_USE_RICH", "0")

import typer  # noqa: E402

app = typer.Typer(
    help="Unit-aware accelerator and cluster comparisons; every figure sourced or marked as an assumption.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

FORMAT_HELP = "Output format: plain, github (markdown), grid, rst, latex, html, csv, json. Default: from --output's suffix, else plain."
SpecsOpt = typer.Option(None, "--specs", help="Extra spec folder merged over the built-ins (also CHIPCALC_SPECS).", show_default=False)
FormatOpt = typer.Option(None, "--format", "-f", help=FORMAT_HELP, show_default=False)
OutputOpt = typer.Option(None, "--output", "-o", help="Write to this file instead of printing.", show_default=False)
ForceOpt = typer.Option(False, "--force", help="Overwrite --output if it exists.")
RangesOpt = typer.Option(False, "--ranges", help="Show every figure as nominal [low–high] where sources disagree.")
SetOpt = typer.Option(None, "--set", help="What-if: override a figure, e.g. --set ascend-910c.tdp=600W (repeatable; shown as a user assumption).", show_default=False)
PreferOpt = typer.Option(None, "--prefer", help="Where sources disagree, use the value from this kind of source: official, paper, analyst or press.", show_default=False)


def _fail(message: str, code: int) -> None:
    typer.echo(f"chipcalc: error: {message}", err=True)
    raise typer.Exit(code)


def guarded(fn: Callable[[], None]) -> None:
    """Run a command body; turn the project's errors into one line on stderr and an exit code."""
    from chipcalc.errors import ChipcalcError

    try:
        fn()
    except ChipcalcError as exc:
        _fail(str(exc), exc.exit_code)


def _catalog(specs: Optional[List[Path]], sets: Optional[List[str]] = None, prefer: Optional[str] = None,
             claims: bool = False):
    """The catalog for a command: built-ins + user specs, then --prefer, then --set overrides.
    Claims and fleet volumes are parsed only for the commands that use them (``claims=True``)."""
    from chipcalc.catalog import load_checked

    cat = load_checked(specs, claims=claims)
    if prefer:
        from chipcalc.whatif import prefer as prefer_kind

        cat = prefer_kind(cat, prefer)
    if sets:
        from chipcalc.whatif import apply_overrides

        cat = apply_overrides(cat, list(sets))
    return cat


def _format(fmt: Optional[str], output: Optional[Path]) -> str:
    from chipcalc.errors import UsageError
    from chipcalc.render import ALL_FORMATS, SUFFIX_FORMATS

    if fmt is None:
        if output is not None:
            return SUFFIX_FORMATS.get(output.suffix.lower(), "plain")
        return "plain"
    f = fmt.lower()
    if f not in ALL_FORMATS:
        raise UsageError(f"unknown format '{fmt}'; use one of {', '.join(ALL_FORMATS)}")
    return f


def emit(tables, fmt: Optional[str], output: Optional[Path], force: bool, catalog, ranges: bool = False) -> None:
    from chipcalc.render import render

    f = _format(fmt, output)
    text = render(tables, f, catalog, ranges=ranges)
    if output is None:
        typer.echo(text, nl=False)
        return
    from chipcalc.export import write_atomic

    write_atomic(output, text, force=force)
    rows = sum(len(t.rows) for t in tables)
    typer.echo(f"wrote {output} ({f}, {len(tables)} table{'s' if len(tables) != 1 else ''}, {rows} rows)", err=True)


@app.command("list")
def list_cmd(
    specs: Optional[List[Path]] = SpecsOpt,
    fmt: Optional[str] = FormatOpt,
    output: Optional[Path] = OutputOpt,
    force: bool = ForceOpt,
) -> None:
    """List the chips, systems, models and sources in the catalog."""

    def body() -> None:
        from chipcalc.reports import list_tables

        cat = _catalog(specs)
        emit(list_tables(cat), fmt, output, force, cat)

    guarded(body)


@app.command("chip")
def chip_cmd(
    name: str = typer.Argument(..., help="Chip id, e.g. ascend-910c (see `chipcalc list`)."),
    per: str = typer.Option("package", "--per", help="Level of the figures: package or die."),
    sets: Optional[List[str]] = SetOpt,
    prefer: Optional[str] = PreferOpt,
    specs: Optional[List[Path]] = SpecsOpt,
    fmt: Optional[str] = FormatOpt,
    output: Optional[Path] = OutputOpt,
    force: bool = ForceOpt,
) -> None:
    """Spec sheet of one chip: every figure with its range, alternatives, and source or assumption."""

    def body() -> None:
        from chipcalc.errors import UsageError
        from chipcalc.reports import chip_table

        if per not in ("package", "die"):
            raise UsageError(f"--per must be 'package' or 'die', not '{per}'")
        cat = _catalog(specs, sets, prefer)
        chip = cat.chip(name)
        if per == "die" and chip.get("dies") is None:
            raise UsageError(f"{chip.id} has no 'dies' figure in {chip.file}; per-die figures cannot be derived")
        emit([chip_table(chip, per)], fmt, output, force, cat, ranges=True)

    guarded(body)


@app.command("compare")
def compare_cmd(
    names: List[str] = typer.Argument(..., help="Two or more chip ids."),
    sets: Optional[List[str]] = SetOpt,
    prefer: Optional[str] = PreferOpt,
    specs: Optional[List[Path]] = SpecsOpt,
    fmt: Optional[str] = FormatOpt,
    output: Optional[Path] = OutputOpt,
    force: bool = ForceOpt,
    ranges: bool = RangesOpt,
) -> None:
    """Compare chips side by side, per chip (with the ratio when there are two)."""

    def body() -> None:
        from chipcalc.errors import UsageError
        from chipcalc.reports import compare_table

        if len(names) < 2:
            raise UsageError("compare needs at least two chips, e.g. `chipcalc compare ascend-910c h20`")
        cat = _catalog(specs, sets, prefer)
        chips = [cat.chip(n) for n in names]
        emit([compare_table(chips)], fmt, output, force, cat, ranges=ranges)

    guarded(body)


@app.command("cluster")
def cluster_cmd(
    name: str = typer.Argument(..., help="System id, e.g. cloudmatrix384 (see `chipcalc list`)."),
    vs: Optional[str] = typer.Option(None, "--vs", help="A second system to compare with (ratios are this / that)."),
    sets: Optional[List[str]] = SetOpt,
    prefer: Optional[str] = PreferOpt,
    specs: Optional[List[Path]] = SpecsOpt,
    fmt: Optional[str] = FormatOpt,
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

        from chipcalc.errors import UsageError
        from chipcalc.reports import cluster_tables

        cat = _catalog(specs, sets, prefer)
        a = cat.system(name)
        b = cat.system(vs) if vs else None
        tables = cluster_tables(a, b)
        if method not in ("interval", "montecarlo"):
            raise UsageError(f"--method must be 'interval' or 'montecarlo', not '{method}'")
        if method == "montecarlo":
            from chipcalc import ranges as rg

            ids = [a.id] + ([b.id] if b else [])
            inputs = rg.uncertain_inputs(cat, ids)
            sampled = rg.sample_catalog(cat, inputs, samples, seed)
            mc = rg.montecarlo_tables(rg.cluster_metric_tables(cat, a.id, b.id if b else None),
                                      rg.cluster_metric_tables(sampled, a.id, b.id if b else None))
            tables = mc + tables[2:]
            note = (f"Ranges: Monte Carlo, {samples:,} samples, seed {seed}; each of {len(inputs)} uncertain inputs uniform on "
                    f"its [low, high], independent; shown as [p{rg.PERCENTILES[0]:g}–p{rg.PERCENTILES[1]:g}] (first two tables).")
            cat = replace(cat, notes=[*cat.notes, note])
            ranges_on = True
        else:
            ranges_on = ranges
            if ranges:
                cat = replace(cat, notes=[*cat.notes, "Ranges: interval arithmetic over every figure's [low, high] (worst case; "
                                          "exact for monotone functions of independent inputs, conservative otherwise)."])
        emit(tables, fmt, output, force, cat, ranges=ranges_on)

    guarded(body)


@app.command("validate")
def validate_cmd(
    folders: Optional[List[Path]] = typer.Argument(None, help="Spec folders to check with the built-ins (default: built-ins and CHIPCALC_SPECS)."),
    no_builtin: bool = typer.Option(False, "--no-builtin", help="Check the given folders alone, without the built-in catalog."),
) -> None:
    """Check the catalog (and your own spec folders): report every problem at once."""

    def body() -> None:
        from chipcalc.catalog import load
        from chipcalc.loader import user_specs_dirs

        dirs = list(folders) if folders else user_specs_dirs(None)
        cat, problems = load(dirs, builtin=not no_builtin)
        from chipcalc.hygiene import hygiene_problems

        problems = problems + hygiene_problems(cat)
        n_fig = sum(len(c.figures) for c in cat.chips.values())
        where = ", ".join(str(f) for f in cat.folders)
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


# Command groups that live in their own modules register themselves on `app` when imported.
# A call names its command first, so only that command's module is imported (start-up time);
# `--help`, or anything unrecognised, imports them all.
COMMAND_MODULES = {
    "model": "cli_latency", "latency": "cli_latency",
    "train": "cli_train",
    "check": "cli_claims", "fleet": "cli_claims",
    "sensitivity": "cli_ranges", "sweep": "cli_ranges",
    "plot": "cli_plot", "report": "cli_plot",
}
CORE_COMMANDS = ("list", "chip", "compare", "cluster", "validate")


def _running_as_chipcalc() -> bool:
    """True in the `chipcalc` console script and `python -m chipcalc`; False when imported as a library."""
    prog = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    return prog == "chipcalc" or sys.argv[0].endswith(os.path.join("chipcalc", "__main__.py"))


def _register_commands(argv: Optional[List[str]] = None) -> None:
    import importlib

    first = None
    if argv is not None or _running_as_chipcalc():
        args = sys.argv[1:] if argv is None else argv
        first = next((a for a in args if not a.startswith("-")), None)
    if first in CORE_COMMANDS:
        return
    wanted = [COMMAND_MODULES[first]] if first in COMMAND_MODULES else sorted(set(COMMAND_MODULES.values()))
    for mod in wanted:
        importlib.import_module(f"chipcalc.{mod}")


_register_commands()


def main() -> None:
    """Entry point: run the app; an unexpected exception is a bug, reported in one line."""
    try:
        app()
    except SystemExit:
        raise
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # a bug: say so in one line (CHIPCALC_DEBUG=1 shows the traceback)
        if os.environ.get("CHIPCALC_DEBUG"):
            raise
        typer.echo(f"chipcalc: internal error: {type(exc).__name__}: {exc} (a bug; rerun with CHIPCALC_DEBUG=1 and report it)", err=True)
        sys.exit(3)
