"""`chipcalc sensitivity`: which uncertain inputs move a metric most (a tornado table): a cluster metric, a
serving metric (TPOT, tokens/s) with --model, a training metric with --tokens, or a supply count."""

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
    app,
    each_once,
    emit,
    guarded,
    one_vs,
)
from chipcalc.cli.types import COUNT, COUNT0, KV_OFFLOAD_HELP, PP_HELP, share


@app.command("sensitivity")
def sensitivity_cmd(
    name: str = typer.Argument(..., help="System id, e.g. cloudmatrix384 (a chip id too with --model or --tokens); or a supply product or scenario (e.g. ascend-910c --year 2025): the packages it allows."),
    vs: Optional[List[str]] = typer.Option(None, "--vs", help="Second system: the metric is then the ratio this / that.", show_default=False),
    metric: Optional[str] = typer.Option(None, "--metric", help="A row key of `chipcalc cluster SYSTEM -f json` (default pflops_per_kw); with --model: tpot (default), ttft, tokens_per_s_per_chip, tokens_per_s_system, tokens_per_s_per_kw, prefill_tokens_per_s_per_chip; with --tokens: train_time (default), chip_hours.", show_default=False),
    model: Optional[str] = typer.Option(None, "--model", "-m", help="Serving (or, with --tokens, training) of this model on NAME.", show_default=False),
    tokens: Optional[str] = typer.Option(None, "--tokens", "-t", help="Training: tokens to train --model on, e.g. 14.8T (the metric is then a training metric).", show_default=False),
    precision: str = typer.Option("bf16", "--precision", "-p", help="With --model: weights and GEMMs (serving) or the peak used (training)."),
    kv_precision: str = typer.Option("bf16", "--kv-precision", help="KV-cache precision."),
    batch: Optional[int] = typer.Option(None, "--batch", "-b", click_type=COUNT, help="Serving: sequences per chip, held fixed (default: assumption default_batch).", show_default=False),
    context: Optional[int] = typer.Option(None, "--context", "-c", click_type=COUNT, help="Serving: tokens of context per sequence, held fixed (default: assumption default_context).", show_default=False),
    chips: Optional[int] = typer.Option(None, "--chips", click_type=COUNT, help="Chips used (serving: default as `chipcalc latency` chooses; training: needed for a bare chip).", show_default=False),
    year: Optional[int] = typer.Option(None, "--year", help="Supply: the product's scenario for this year.", show_default=False),
    scenario: Optional[str] = typer.Option(None, "--scenario", help="Supply: a scenario id (see `chipcalc supply`).", show_default=False),
    sets: Optional[List[str]] = SetOpt,
    prefer: Optional[str] = PreferOpt,
    specs: Optional[List[Path]] = SpecsOpt,
    fmt: Optional[str] = FormatOpt,
    fragment: bool = FragmentOpt,
    output: Optional[Path] = OutputOpt,
    force: bool = ForceOpt,
) -> None:
    """Vary each uncertain input over its range (others nominal) and rank by how far the metric swings."""

    def body() -> None:
        from chipcalc.calc import ranges as rg
        from chipcalc.core.errors import UsageError

        if model is not None or tokens is not None:
            if vs:
                raise UsageError("--vs compares two systems' cluster metrics; a serving or training sensitivity takes one target")
            if year is not None or scenario is not None:
                raise UsageError("--year and --scenario are for supply; not with --model or --tokens")
            cat = _catalog(specs, sets, prefer)
            t = _model_sensitivity(cat, name, model, tokens, metric, precision.lower(), kv_precision.lower(), batch,
                                   context, chips)
            emit([t], fmt, output, force, cat, fragment=fragment)
            return
        for opt, val in (("--batch", batch), ("--context", context), ("--chips", chips)):
            if val is not None:
                raise UsageError(f"{opt} is for a serving or training sensitivity; give --model (and --tokens for training)")
        if _is_supply(specs, name, year, scenario):
            _supply_sensitivity(name, year, scenario, vs, sets, prefer, specs, fmt, output, force, fragment)
            return
        cat = _catalog(specs, sets, prefer)
        a = cat.system(name)
        other = one_vs(vs)
        b = cat.system(other) if other else None
        if b is not None:
            each_once([a, b], "system")
        bid = b.id if b else None
        key = metric or "pflops_per_kw"
        nominal, unit = rg.cluster_metric(cat, a.id, bid, key)
        inputs = rg.uncertain_inputs(cat, [a.id] + ([bid] if bid else []))
        swings = rg.sensitivity(cat, lambda c: rg.cluster_metric(c, a.id, bid, key)[0], inputs, unit)
        what = f"{key} of {a.id}" + (f" / {bid}" if bid else "")
        emit([_swing_table(what, nominal, unit, swings)], fmt, output, force, cat, fragment=fragment)

    guarded(body)


def _swing_table(what: str, nominal, unit: str, swings, key: str = "sensitivity", note: str = ""):
    """The tornado table: each input that moves the metric, its range, the metric at each end, the swing."""
    from chipcalc.core.format import fmt_number
    from chipcalc.output.table import Cell, Table

    conv = "" if unit == "x" else unit
    t = Table(f"Sensitivity of {what} (nominal {fmt_number(nominal.m(conv))} {unit})",
              ["input range", "metric at low", "metric at high", "swing"], key=key)
    moving = [sw for sw in swings if sw.swing(conv) > 0]
    no_fit = Cell(text="does not fit")
    for sw in moving:
        iu = f"{sw.input.q.units:~P}"
        _, lo, hi = sw.input.bounds(iu)
        if sw.at_low is None or sw.at_high is None:
            swing = Cell(text="fits or not")
        else:
            swing = (sw.at_high - sw.at_low) if sw.at_high.m(conv) >= sw.at_low.m(conv) else (sw.at_low - sw.at_high)
        t.add(sw.name, sw.name, unit, [Cell(text=f"{fmt_number(lo)}–{fmt_number(hi)} {iu}".rstrip()),
                                       no_fit if sw.at_low is None else sw.at_low,
                                       no_fit if sw.at_high is None else sw.at_high, swing])
    still = len(swings) - len(moving)
    t.notes.append(f"{len(swings)} uncertain inputs (figures with a range or disagreeing sources), each varied alone with the others "
                   f"at nominal; {still} of them do not move this metric and are not shown." + (f" {note}" if note else ""))
    return t


def _model_sensitivity(cat, name, model, tokens, metric, precision, kv_precision, batch, context, chips):
    """A serving metric (--model) or a training metric (--model with --tokens) of NAME, and what moves it."""
    from chipcalc.calc import metrics as M
    from chipcalc.calc import ranges as rg
    from chipcalc.core.errors import UsageError

    if model is None:
        raise UsageError("--tokens needs --model: the model to train, e.g. --model deepseek-v3 --tokens 14.8T")
    target = cat.target(name)
    mdl = cat.model(model)
    if tokens is not None:
        from chipcalc.calc import train

        for opt, val in (("--batch", batch), ("--context", context)):
            if val is not None:
                raise UsageError(f"{opt} is for a serving sensitivity; training takes --tokens and --chips")
        key = metric or "train_time"
        if key not in M.TRAINING:
            raise M.unknown(key, list(M.TRAINING), "training")
        n = None if chips is None else train.parse_amount(str(chips), "--chips", whole=True)
        p = M.TrainingPoint(target.id, mdl.id, train.parse_amount(tokens, "--tokens", "token", whole=True), n, precision)
        unit, what = M.TRAINING[key]
        nominal = M.training_metric(cat, p, key)
        swings = rg.sensitivity(cat, lambda c: M.training_metric(c, p, key), M.training_inputs(cat, p), unit)
        return _swing_table(f"{key} ({what}) of {mdl.id} on {target.id}, {tokens} tokens", nominal, unit, swings,
                            "sensitivity.train")
    key = metric or "tpot"
    if key not in M.SERVING:
        raise M.unknown(key, list(M.SERVING), "serving")
    p = M.resolve_serving(cat, M.ServingPoint(target.id, mdl.id, precision, kv_precision, batch, context, chips))
    unit = M.SERVING[key][2]
    nominal = M.serving_metric(cat, p, key)
    swings = rg.sensitivity(cat, lambda c: M.serving_metric_or_none(c, p, key), M.serving_inputs(cat, p), unit)
    return _swing_table(f"{key} ({M.SERVING[key][3]}) of {mdl.id} on {target.id}, {precision.upper()}, batch {p.batch}, "
                        f"context {p.context:,}, {p.chips} chips TP{p.tp} EP{p.ep}", nominal, unit, swings,
                        "sensitivity.serving",
                        note="The batch, context and layout are held; the latency model's own error comes on top "
                             "(`chipcalc latency` states it).")


def _is_supply(specs, name: str, year, scenario) -> bool:
    """True when NAME is a supply product or scenario rather than a system (or --year/--scenario is given)."""
    if year is not None or scenario is not None:
        return True
    cat = _catalog(specs)
    if name.strip().lower() in cat.systems:
        return False
    from chipcalc.catalog.supply_whatif import supply_of

    supply = supply_of(cat)
    return name.strip().lower() in supply.products or name.strip().lower() in supply.scenarios


def _supply_sensitivity(name, year, scenario, vs, sets, prefer, specs, fmt, output, force, fragment=False) -> None:
    """Which uncertain input moves the packages of a supply scenario most."""
    from chipcalc.calc import supply as S
    from chipcalc.calc.supply_ranges import sensitivity
    from chipcalc.cli.supply import supply_catalog
    from chipcalc.core.errors import UsageError
    from chipcalc.core.format import fmt_count, fmt_number
    from chipcalc.output.table import Cell, Table

    if vs:
        raise UsageError("--vs compares two systems; a supply sensitivity takes one product or scenario")
    cat = supply_catalog(specs, sets, prefer)
    s = S.select(cat, name, year, scenario)
    nominal = S.funnel(cat, s).packages
    if nominal is None:
        raise UsageError(f"supply scenario {s.id} gives no package count: no limit is sourced ({s.file})")
    swings = sensitivity(cat, [s])
    moving = [sw for sw in swings if sw.swing("package") > 0]
    t = Table(f"Sensitivity of the packages of {s.id} (nominal {fmt_count(nominal.m('package'))} packages)",
              ["input range", "packages at low", "packages at high", "swing"], key="sensitivity.supply")
    for sw in moving:
        f = sw.input
        pct = f.q.dimensionless
        iu = "%" if pct else f"{f.q.units:~P}"
        _, lo, hi = f.bounds(iu)
        swing = (sw.at_high - sw.at_low) if sw.at_high.m("package") >= sw.at_low.m("package") else (sw.at_low - sw.at_high)
        show = fmt_number if pct else fmt_count
        t.add(sw.name, sw.name, "package", [Cell(text=f"{show(lo)}–{show(hi)} {iu}"), sw.at_low, sw.at_high, swing])
    t.notes.append(f"{len(swings)} uncertain inputs (figures with a range or disagreeing sources), each varied alone with the others "
                   f"at nominal; {len(swings) - len(moving)} of them do not move the count (they feed a limit that does not bind) "
                   "and are not shown.")
    emit([t], fmt, output, force, cat, fragment=fragment)


sweep_app = typer.Typer(help="Evaluate a model over a grid, in chunks of bounded memory.", no_args_is_help=True)
app.add_typer(sweep_app, name="sweep")

#: Text formats show the grid as a pivot (TPOT, batch x context) up to this many cells, else the summary.
PIVOT_LIMIT = 600


@sweep_app.command("latency")
def sweep_latency_cmd(
    target: str = typer.Argument(..., help="Chip or system id."),
    model: str = typer.Argument(..., help="Model id."),
    batch: str = typer.Option("1:256:x2", "--batch", help="Batch grid: START:STOP[:STEP|:xFACTOR] or a comma list (4k = 4,000, 4Ki = 4,096); max: the largest batch that fits at each context."),
    context: str = typer.Option("1Ki:128Ki:x2", "--context", help="Context grid, same form (1k = 1,000 tokens, 1Ki = 1,024)."),
    precision: str = typer.Option("bf16", "--precision", "-p", help="Weights and GEMMs precision."),
    kv_precision: str = typer.Option("bf16", "--kv-precision", help="KV-cache precision."),
    chips: Optional[int] = typer.Option(None, "--chips", click_type=COUNT, help="Chips used (default as in `chipcalc latency`)."),
    tp: Optional[int] = typer.Option(None, "--tp", click_type=COUNT, help="Tensor-parallel ranks."),
    ep: Optional[int] = typer.Option(None, "--ep", click_type=COUNT, help="Expert-parallel ranks."),
    pp: Optional[int] = typer.Option(None, "--pp", click_type=COUNT, help=PP_HELP, show_default=False),
    mtp: int = typer.Option(0, "--mtp", click_type=COUNT0, help="Speculative tokens per step."),
    device: str = typer.Option("package", "--device", help="package or die."),
    kv_offload: Optional[str] = typer.Option(None, "--kv-offload", help=KV_OFFLOAD_HELP, show_default=False),
    summary: bool = typer.Option(False, "--summary", help="Reduce a grid of any size: the best point per objective, binding-resource shares, the Pareto front (no row per point)."),
    tpot: Optional[str] = typer.Option(None, "--tpot", help="With --summary: a TPOT target like 50ms (the best tokens/s per chip that meets it).", show_default=False),
    ranges: bool = RangesOpt,
    sets: Optional[List[str]] = SetOpt,
    prefer: Optional[str] = PreferOpt,
    specs: Optional[List[Path]] = SpecsOpt,
    fmt: Optional[str] = FormatOpt,
    fragment: bool = FragmentOpt,
    output: Optional[Path] = OutputOpt,
    force: bool = ForceOpt,
) -> None:
    """TPOT and tokens/s per chip over a batch x context grid (csv/json: one row per point; text: a pivot,
    or the summary for a large grid). --ranges: csv/json add each point's low and high TPOT and tokens/s
    per chip; tables show nominal [low–high]."""

    def body() -> None:
        from chipcalc.calc import serving as L
        from chipcalc.calc import sweep as sw
        from chipcalc.cli.root import _format
        from chipcalc.core.errors import UsageError
        from chipcalc.output import sweep_tables as st

        cat = _catalog(specs, sets, prefer)
        rec, mdl = cat.target(target), cat.model(model)
        from chipcalc.catalog.lint import mtp_problem

        if (why := mtp_problem(cat, mdl, mtp)) is not None:
            raise UsageError(why)
        largest = batch.strip().lower() == "max"
        b, c = None if largest else sw.grid(batch, "--batch"), sw.grid(context, "--context")
        from chipcalc.cli.types import time_option

        target_s = time_option(tpot, "--tpot") if tpot is not None else None
        if target_s is not None and not summary:
            raise UsageError("--tpot applies to --summary (every point is in the csv/json output)")
        kn = L.knobs(cat)
        f = _format(fmt, output)
        offload = 0.0 if kv_offload is None else share(kv_offload, "--kv-offload", whole=True)
        prepared = sw.prepare(rec, mdl, b, c, kn, precision=precision.lower(), kv_precision=kv_precision.lower(),
                              chips=chips, tp=tp, ep=ep, mtp=mtp, device=device, pp=pp, kv_offload=offload)
        b = prepared.batches
        note = (f"--batch max: the batch axis is the largest batch per chip that fits at each context ({len(b):,} "
                "distinct values); at the longer contexts the larger of them do not fit.") if largest else None
        if summary or (f not in ("csv", "json") and prepared.size > PIVOT_LIMIT):
            tables = st.summary_tables(prepared, sw.summarize(prepared, target_s), rec.id, mdl.id)
            if not summary:
                tables[0].notes.append(f"{prepared.size:,} points are too many for a table: this is the summary "
                                       "(--format csv or json gives every point).")
            if note:
                tables[0].notes.append(note)
            emit(tables, fmt, output, force, cat, ranges=ranges, fragment=fragment)
            return
        table = f not in ("csv", "json")
        res = sw.collect(prepared, ranges=ranges or table)  # a table always marks a ranged figure with †
        if f == "csv":
            _write_blocks(st.csv_blocks(res), output, force, f, len(res.batch))
        elif f == "json":
            _write_blocks([st.to_json(res, cat)], output, force, f, len(res.batch))
        else:
            table = st.pivot(res, b, c, rec.id, mdl.id)
            if note:
                table.notes.append(note)
            emit([table], fmt, output, force, cat, ranges=ranges, fragment=fragment)

    guarded(body)


def _write_blocks(blocks, output, force: bool, f: str, n: int) -> None:
    if output is None:
        from chipcalc.output import files

        for text in blocks:
            files.write_stdout(text)
        return
    blocks = list(blocks)
    _write(b"".join(blocks) if blocks and isinstance(blocks[0], bytes) else "".join(blocks), output, force, f, n)


def _write(text: str, output, force: bool, f: str, n: int) -> None:
    from chipcalc.output import files

    if output is None:
        files.write_stdout(text)
        return
    msg = files.wrote_message(files.write_output(output, text, force=force), f"{f}, {n:,} points")
    if msg:
        typer.echo(msg, err=True)
