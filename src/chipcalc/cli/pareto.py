"""`chipcalc pareto` and `chipcalc plot pareto`: the front of tokens/s per chip vs tokens/s per user.

Parsing only; the search is :mod:`chipcalc.calc.serving.pareto`.
"""

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
    emit,
    guarded,
)
from chipcalc.cli.types import COUNT, COUNT0, share


def _fronts(names, model_opt, precision, kv_precision, context, tpot, ttft, mtp, sets, prefer, specs, kv_offload=None):
    from chipcalc.calc import serving as L
    from chipcalc.calc.serving.pareto import search
    from chipcalc.cli.types import time_option as _time
    from chipcalc.core.errors import UsageError

    targets = list(names)
    model_id = model_opt
    if model_id is None:
        if len(targets) < 2:
            raise UsageError("name one or more targets and a model, e.g. `chipcalc pareto cloudmatrix384 deepseek-r1`")
        model_id = targets.pop()
    cat = _catalog(specs, sets, prefer)
    model = cat.model(model_id)
    ctx = int(context) if context is not None else int(cat.assumption("default_context").m(""))
    if ctx < 1:
        raise UsageError(f"--context must be at least 1, got {context}")
    kn = L.knobs(cat)
    mtps = None if mtp is None else tuple(sorted({int(m) for m in mtp}))
    from chipcalc.catalog.lint import mtp_problem

    for m in mtps or ():
        if (why := mtp_problem(cat, model, m)) is not None:
            raise UsageError(why)
    offloads = tuple(sorted({share(x, "--kv-offload", whole=True) for x in kv_offload or ()}))
    from chipcalc.cli.root import each_once

    each_once([cat.target(t) for t in targets], "target")
    fronts = [search(cat, cat.target(t), model, kn, precision=precision.lower(), kv_precision=kv_precision.lower(),
                     context=ctx, tpot=None if tpot is None else _time(tpot, "--tpot"),
                     ttft=None if ttft is None else _time(ttft, "--ttft"), mtps=mtps, kv_offloads=offloads)
              for t in targets]
    return cat, model, fronts


COMMON = dict(
    model_opt=typer.Option(None, "--model", "-m", help="Model id (else the last argument)."),
    precision=typer.Option("bf16", "--precision", "-p", help="Weights and GEMMs: bf16, fp16, fp8, int8, fp4."),
    kv_precision=typer.Option("bf16", "--kv-precision", help="KV-cache precision."),
    context=typer.Option(None, "--context", "-c", click_type=COUNT, help="Tokens of context per sequence (default: assumption default_context).", show_default=False),
    tpot=typer.Option(None, "--tpot", help="Keep points with TPOT at most this, e.g. 50ms.", show_default=False),
    ttft=typer.Option(None, "--ttft", help="Keep layouts whose prefill of one prompt takes at most this, e.g. 2s.", show_default=False),
    mtp=typer.Option(None, "--mtp", click_type=COUNT0, help="Speculative tokens per step to try (repeatable; default 0, 1, 2 where the model has MTP).", show_default=False),
    kv_offload=typer.Option(None, "--kv-offload", help="Also try this share of the KV cache in host memory, e.g. 0.5 (repeatable; on a system whose CPUs give host memory, the share latency --kv-offload takes).", show_default=False),
)


@app.command("pareto")
def pareto_cmd(
    names: List[str] = typer.Argument(..., help="Targets (chip or system ids) then the model id; or targets only with --model."),
    model_opt: Optional[str] = COMMON["model_opt"],
    precision: str = COMMON["precision"],
    kv_precision: str = COMMON["kv_precision"],
    context: Optional[int] = COMMON["context"],
    tpot: Optional[str] = COMMON["tpot"],
    ttft: Optional[str] = COMMON["ttft"],
    mtp: Optional[List[int]] = COMMON["mtp"],
    kv_offload: Optional[List[str]] = COMMON["kv_offload"],
    ranges: bool = RangesOpt,
    sets: Optional[List[str]] = SetOpt,
    prefer: Optional[str] = PreferOpt,
    specs: Optional[List[Path]] = SpecsOpt,
    fmt: Optional[str] = FormatOpt,
    fragment: bool = FragmentOpt,
    output: Optional[Path] = OutputOpt,
    force: bool = ForceOpt,
) -> None:
    """The Pareto front of output tokens/s per chip vs tokens/s per user over layouts (chips, TP, PP for dense models,
    DP, EP, MTP) and batches, under memory fit and optional --tpot/--ttft limits; the layout of each point."""

    def body() -> None:
        from chipcalc.calc.accuracy import error_for, vendor_of
        from chipcalc.cli.root import _format
        from chipcalc.cli.serving import _accuracy
        from chipcalc.output import pareto_tables as pt

        cat, model, fronts = _fronts(names, model_opt, precision, kv_precision, context, tpot, ttft, mtp, sets, prefer, specs,
                                     kv_offload)
        f = _format(fmt, output)
        if f in ("csv", "json"):
            from chipcalc.cli.ranges import _write

            if f == "csv":
                text = pt.to_csv(fronts)
            else:
                from chipcalc.calc.accuracy import error_json

                acc = _accuracy(specs)
                vendors = dict.fromkeys(vendor_of(cat, fr.target) for fr in fronts)
                text = pt.to_json(fronts, [error_json(acc, "decode", v) for v in vendors])
            _write(text, output, force, f, sum(len(fr.points) for fr in fronts))
            return
        acc = _accuracy(specs)
        every = f == "xlsx"  # a data format like csv and json: every point of the front, not the 24 text shows
        emit([pt.front_table(fr, error_for(acc, "decode", vendor_of(cat, fr.target)), **({"shown": 10**9} if every else {}))
              for fr in fronts],
             fmt, output, force, cat, ranges=ranges, fragment=fragment)

    guarded(body)
