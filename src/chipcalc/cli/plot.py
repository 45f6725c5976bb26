"""`chipcalc plot roofline|cluster|latency` and `chipcalc report`: pictures and a one-file HTML page.

Parsing only; the drawing is in :mod:`chipcalc.output.plot`, the page in :mod:`chipcalc.output.report`.
matplotlib is imported only when a command runs (an optional extra: ``pip install 'chipcalc[plot]'``).
"""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from chipcalc.cli.pareto import COMMON
from chipcalc.cli.root import (
    ForceOpt,
    PreferOpt,
    RangesOpt,
    SetOpt,
    SpecsOpt,
    _catalog,
    app,
    compared,
    guarded,
)
from chipcalc.cli.types import COUNT, COUNT0, OUTPUT

plot_app = typer.Typer(
    help="Draw plots (PNG or SVG by the --output suffix): roofline, cluster (per chip vs system), latency.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(plot_app, name="plot")

PlotOutput = typer.Option(..., "--output", "-o", click_type=OUTPUT, help="The file to write: NAME.png or NAME.svg.", show_default=False)
ModelOpt = typer.Option(None, "--model", "-m", help="A model id (see `chipcalc list`).", show_default=False)
BatchOpt = typer.Option(None, "--batch", "-b", click_type=COUNT, help="Sequences per chip for the decode workload point (default: assumption default_batch).", show_default=False)
ContextOpt = typer.Option(None, "--context", "-c", click_type=COUNT, help="Context length in tokens (default: assumption default_context).", show_default=False)


def _check_output(output: Path, force: bool, suffixes: tuple[str, ...], what: str):
    """Refuse a bad suffix, an existing file without --force, a directory, ... before any work is done;
    returns where the output will go (:func:`chipcalc.output.files.plan`)."""
    from chipcalc.core.errors import OutputError
    from chipcalc.output.files import plan

    if output.suffix.lower() not in suffixes:
        shown = output.suffix or "no suffix"
        raise OutputError(f"cannot write {what} as '{shown}' ({output}); name the output {' or '.join(suffixes)}")
    return plan(output, force)


def _check_plot(output: Path, force: bool):
    from chipcalc.output.plot import FORMATS, require_matplotlib

    target = _check_output(output, force, tuple(FORMATS), "a plot")
    require_matplotlib(lean=True)
    return target


def _int_or_default(cat, value: Optional[int], name: str, assumption: str) -> int:
    from chipcalc.core.counts import whole

    if value is None:
        return int(cat.assumption(assumption).m(""))
    return int(whole(name, value, "tokens" if name == "--context" else "sequences"))


def _context_fits(model, context: int) -> None:
    from chipcalc.calc import workload

    workload.check_context(model, context, f"--context {context:,}", option=False)


def _defaults_basis(cat, batch: Optional[int], context: Optional[int]):
    """The provenance of the defaults used: the default_batch / default_context assumptions."""
    from chipcalc.core.figure import Provenance

    used = [cat.assumption(n).prov for n, v in (("default_batch", batch), ("default_context", context)) if v is None]
    return Provenance.union(used)


def _chips(cat, names: List[str]):
    """Chips by id; a system id stands for its chip."""
    from chipcalc.catalog.records import System

    out = []
    for n in names:
        t = cat.target(n)
        out.append(t.chip if isinstance(t, System) else t)
    return list({c.id: c for c in out}.values())


def _wrote(target, fmt: str, what: str) -> None:
    from chipcalc.output.files import wrote_message

    msg = wrote_message(target, f"{fmt}, {what}")
    if msg:
        typer.echo(msg, err=True)


@plot_app.command("roofline")
def roofline_cmd(
    names: List[str] = typer.Argument(..., help="Chip ids (a system id means its chip), e.g. ascend-910c h20 h100-sxm."),
    precision: Optional[List[str]] = typer.Option(None, "--precision", "-p", help="Precision(s) to draw, repeatable: bf16 (default), fp16, fp8, int8, fp4, ..."),
    model: Optional[str] = ModelOpt,
    batch: Optional[int] = BatchOpt,
    context: Optional[int] = ContextOpt,
    output: Path = PlotOutput,
    force: bool = ForceOpt,
    sets: Optional[List[str]] = SetOpt,
    prefer: Optional[str] = PreferOpt,
    specs: Optional[List[Path]] = SpecsOpt,
) -> None:
    """Roofline: attainable throughput vs arithmetic intensity per chip and precision, ridge points marked;
    with --model, the model's decode and prefill steps placed on it."""

    def body() -> None:
        from chipcalc.output import plot

        target = _check_plot(output, force)
        cat = _catalog(specs, sets, prefer)
        chips = _chips(cat, names)
        precs = [p.lower() for p in (precision or ["bf16"])]
        if model is None and (batch is not None or context is not None):
            from chipcalc.core.errors import UsageError

            raise UsageError("--batch and --context place a model's steps on the roofline: add --model, or drop them")
        points = []
        if model is not None:
            m = cat.model(model)
            b = _int_or_default(cat, batch, "--batch", "default_batch")
            c = _int_or_default(cat, context, "--context", "default_context")
            _context_fits(m, c)
            points = plot.workload_points(cat, chips, m, precs[0], b, c, basis=_defaults_basis(cat, batch, context))
        chart = plot.roofline(chips, precs, points)
        fmt = chart.save(output, force=force)
        _wrote(target, fmt, f"roofline of {len(chips)} chip{'s' if len(chips) != 1 else ''}")

    guarded(body)


@plot_app.command("cluster")
def cluster_cmd(
    name: str = typer.Argument(..., help="System id, e.g. cloudmatrix384."),
    vs: List[str] = typer.Option(..., "--vs", help="Systems to draw with it, repeatable: --vs gb200-nvl72 --vs gb300-nvl72.", show_default=False),
    base: Optional[str] = typer.Option(None, "--base", help="The system every bar is relative to (its figures = 1; default: the first --vs).", show_default=False),
    output: Path = PlotOutput,
    force: bool = ForceOpt,
    sets: Optional[List[str]] = SetOpt,
    prefer: Optional[str] = PreferOpt,
    specs: Optional[List[Path]] = SpecsOpt,
) -> None:
    """Per-chip vs whole-system bars of systems relative to one of them (= 1): the rows of `chipcalc cluster A --vs B`."""

    def body() -> None:
        from chipcalc.output import plot

        target = _check_plot(output, force)
        cat = _catalog(specs, sets, prefer)
        systems, b_i = compared(cat, name, vs, base, default=1)
        chart = plot.cluster_bars(systems[0], systems[1:], base=b_i)
        fmt = chart.save(output, force=force)
        others = [s.id for j, s in enumerate(systems) if j != b_i]
        _wrote(target, fmt, f"{', '.join(others)} relative to {systems[b_i].id}")

    guarded(body)


@plot_app.command("latency")
def latency_cmd(
    names: List[str] = typer.Argument(..., help="Targets (chip or system ids); the model with --model (or as the last argument)."),
    model: Optional[str] = ModelOpt,
    precision: str = typer.Option("bf16", "--precision", "-p", help="Weights and GEMMs: bf16, fp16, fp8, int8, fp4."),
    kv_precision: str = typer.Option("bf16", "--kv-precision", help="KV-cache precision."),
    batch: str = typer.Option("1:256:x2", "--batch", "-b", help="Batches per chip on the x axis: START:STOP:xFACTOR, START:STOP[:STEP] or a comma list; max: 1, 2, 4, ... up to the largest batch that fits, per target."),
    context: Optional[int] = ContextOpt,
    mtp: int = typer.Option(0, "--mtp", click_type=COUNT0, help="Speculative (multi-token-prediction) tokens per step."),
    output: Path = PlotOutput,
    force: bool = ForceOpt,
    sets: Optional[List[str]] = SetOpt,
    prefer: Optional[str] = PreferOpt,
    specs: Optional[List[Path]] = SpecsOpt,
) -> None:
    """TPOT and decode tokens/s per chip vs batch, per target, from the latency model (`chipcalc latency`)."""

    def body() -> None:
        from chipcalc.calc.sweep import grid
        from chipcalc.core.errors import UsageError
        from chipcalc.output import plot

        targets = list(names)
        model_id = model
        if model_id is None:
            if len(targets) < 2:
                raise UsageError("name a target and a model, e.g. `chipcalc plot latency cloudmatrix384 h20 --model deepseek-r1 -o tpot.png`")
            model_id = targets.pop()
        target = _check_plot(output, force)
        cat = _catalog(specs, sets, prefer)
        m = cat.model(model_id)
        from chipcalc.catalog.lint import mtp_problem

        if mtp > 0 and (why := mtp_problem(cat, m, mtp)) is not None:
            raise UsageError(why)
        batches = None if batch.strip().lower() == "max" else grid(batch, "--batch", limit=4096)
        ctx = _int_or_default(cat, context, "--context", "default_context")
        _context_fits(m, ctx)
        curves, notes = [], []
        for t in targets:
            curve, n = plot.latency_curve(cat, cat.target(t), m, batches, ctx, precision.lower(), kv_precision.lower(), mtp,
                                          basis=_defaults_basis(cat, 0, context))
            notes += n
            if len(curve.batch):
                curves.append(curve)
        if not curves:
            smallest = 1 if batches is None else int(min(batches))
            fix = ("Try smaller --batch values." if smallest > 1 else
                   "Not one sequence fits: try a system with more chips, a lower --precision or a shorter --context.")
            raise UsageError(f"nothing to draw for {model_id}: " + " ".join(notes) + " " + fix)
        notes.insert(0, f"Decode at {ctx} tokens of context, KV cache {kv_precision.upper()}"
                        + (f", {mtp} speculative token(s) per step" if mtp else "")
                        + ". Every curve rests on the latency model's efficiency assumptions, hence dashed.")
        chart = plot.latency_curves(curves, f"{m.name}: decode latency and throughput vs batch", notes=notes)
        fmt = chart.save(output, force=force)
        _wrote(target, fmt, f"{len(curves)} curve{'s' if len(curves) != 1 else ''}")

    guarded(body)


@app.command("report")
def report_cmd(
    name: str = typer.Argument(..., help="System id, e.g. cloudmatrix384."),
    vs: Optional[List[str]] = typer.Option(None, "--vs", help="Systems to compare with, repeatable: --vs B --vs C puts each in its own column; ratios are the first (or --base) over each other.", show_default=False),
    base: Optional[str] = typer.Option(None, "--base", help="The system the ratios are of (default: the first); must be one of those compared.", show_default=False),
    model: Optional[str] = typer.Option(None, "--model", "-m", help="Add the serving tables, the latency plot and workload points for this model (e.g. deepseek-r1)."),
    precision: Optional[List[str]] = typer.Option(None, "--precision", "-p", help="Precision(s), repeatable (default bf16): the first for the headline and the serving tables, all on the roofline."),
    output: Path = typer.Option(..., "--output", "-o", click_type=OUTPUT, help="The file to write: NAME.html.", show_default=False),
    force: bool = ForceOpt,
    ranges: bool = RangesOpt,
    sets: Optional[List[str]] = SetOpt,
    prefer: Optional[str] = PreferOpt,
    specs: Optional[List[Path]] = SpecsOpt,
) -> None:
    """One self-contained HTML page: headline, plots (embedded), per-chip and whole-system tables, serving
    tables (with --model), the claims about these systems with verdicts, assumptions and bibliography."""

    def body() -> None:
        from chipcalc.output.plot import require_matplotlib
        from chipcalc.output.report import build_report

        target = _check_output(output, force, (".html", ".htm"), "a report")
        require_matplotlib(lean=True)
        cat = _catalog(specs, sets, prefer, claims=True)
        systems, b_i = compared(cat, name, vs, base)
        m = cat.model(model) if model else None
        precs = [p.lower() for p in (precision or ["bf16"])]
        _check_precisions(precs)
        html = build_report(cat, systems[0], systems[1:], model=m, precisions=precs, ranges=ranges,
                            sets=list(sets or []), base=b_i, whatif=bool(sets or prefer))
        from chipcalc.output.files import write_output

        write_output(output, html, force=force)
        _wrote(target, "html", f"{len(html) // 1024} KiB, self-contained")

    guarded(body)


def _check_precisions(precs: List[str]) -> None:
    from chipcalc.catalog import schema
    from chipcalc.core.errors import UsageError

    for p in precs:
        if p not in schema.PRECISIONS:
            raise UsageError(f"--precision: unknown precision '{p}'; use one of {', '.join(schema.PRECISIONS)}")


@plot_app.command("pareto")
def plot_pareto_cmd(
    names: List[str] = typer.Argument(..., help="Targets then the model id (or --model)."),
    model_opt: Optional[str] = COMMON["model_opt"],
    precision: str = COMMON["precision"],
    kv_precision: str = COMMON["kv_precision"],
    context: Optional[int] = COMMON["context"],
    tpot: Optional[str] = COMMON["tpot"],
    ttft: Optional[str] = COMMON["ttft"],
    mtp: Optional[List[int]] = COMMON["mtp"],
    kv_offload: Optional[List[str]] = COMMON["kv_offload"],
    output: Path = PlotOutput,
    force: bool = ForceOpt,
    sets: Optional[List[str]] = SetOpt,
    prefer: Optional[str] = PreferOpt,
    specs: Optional[List[Path]] = SpecsOpt,
) -> None:
    """The Pareto fronts of several targets on one chart: tokens/s per chip vs tokens/s per user."""

    def body() -> None:
        from chipcalc.cli.pareto import _fronts
        from chipcalc.output import plot

        target = _check_plot(output, force)
        _, model, fronts = _fronts(names, model_opt, precision, kv_precision, context, tpot, ttft, mtp, sets, prefer, specs,
                                   kv_offload)
        chart = plot.pareto_fronts(fronts, f"{model.name}: tokens/s per chip vs tokens/s per user "
                                           f"({precision.upper()}, context {fronts[0].context:,})")
        fmt = chart.save(output, force=force)
        _wrote(target, fmt, f"{len(fronts)} front{'s' if len(fronts) != 1 else ''}")

    guarded(body)


def _register_supply() -> None:
    """`chipcalc plot supply` lives with `chipcalc supply` (cli/supply.py), which gets the output checks
    from here rather than importing this module."""
    from chipcalc.cli.supply import register_plot

    register_plot(plot_app, _check_plot, _wrote, PlotOutput)


_register_supply()
