"""`chipcalc train`: time, chips and energy to train a model; implied MFU from a reported budget.

Parses the options, calls :mod:`chipcalc.calc.train`, lays the results out in tables. No arithmetic here.
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


@app.command("train")
def train_cmd(
    names: List[str] = typer.Argument(..., help="Model id (e.g. deepseek-v3); after --compare, more targets to compare.", metavar="MODEL"),
    tokens: Optional[str] = typer.Option(None, "--tokens", "-t", help="Training tokens: 14.8T, 1.5e13, 15e12 (required).", show_default=False),
    chip: Optional[str] = typer.Option(None, "--chip", help="Train on this chip (needs --chips, or a budget).", show_default=False),
    system: Optional[str] = typer.Option(None, "--system", help="Train on this system (its chips unless --chips).", show_default=False),
    compare: Optional[List[str]] = typer.Option(None, "--compare", help="Chips or systems side by side: --compare ascend-910b h20 h100-sxm.", show_default=False),
    chips: Optional[str] = typer.Option(None, "--chips", "-n", help="Number of chips, e.g. 1024 or 2k.", show_default=False),
    precision: str = typer.Option("bf16", "--precision", "-p", help="Precision of the peak used: bf16, fp16, fp8, ..."),
    mfu: Optional[str] = typer.Option(None, "--mfu", help="Model FLOPs utilisation in (0, 1], e.g. 0.35 or 35% (default: the train_mfu assumption).", show_default=False),
    seq_len: Optional[str] = typer.Option(None, "--seq-len", help="Training sequence length (default: the train_seq_len assumption).", show_default=False),
    gpu_hours: Optional[str] = typer.Option(None, "--gpu-hours", "--chip-hours", help="Inverse mode: reported budget in chip-hours, e.g. 2.788M; gives the implied MFU.", show_default=False),
    days: Optional[str] = typer.Option(None, "--days", help="Inverse mode: reported wall-clock days on --chips chips.", show_default=False),
    sets: Optional[List[str]] = SetOpt,
    prefer: Optional[str] = PreferOpt,
    specs: Optional[List[Path]] = SpecsOpt,
    fmt: Optional[str] = FormatOpt,
    fragment: bool = FragmentOpt,
    output: Optional[Path] = OutputOpt,
    force: bool = ForceOpt,
    ranges: bool = RangesOpt,
) -> None:
    """Time, chip-hours and energy to train MODEL on --tokens; gradient all-reduce share; memory fit.

    With --gpu-hours (or --days and --chips) it works backwards: the MFU a reported budget implies.
    """

    def body() -> None:
        from chipcalc.calc import train
        from chipcalc.core.errors import UsageError

        model_name, extra = names[0], list(names[1:])
        if tokens is None:
            raise UsageError("missing --tokens, e.g. --tokens 14.8T")
        if extra and not compare:
            raise UsageError(f"unexpected argument(s) {' '.join(extra)}; to compare targets write --compare A B C")
        given = [x for x in (chip, system) if x] + list(compare or []) + extra
        if sum(bool(x) for x in (chip, system, compare)) != 1:
            raise UsageError("give exactly one of --chip, --system or --compare")
        if gpu_hours is not None and days is not None:
            raise UsageError("give a budget as --gpu-hours or as --days with --chips, not both")
        if mfu is not None and (gpu_hours is not None or days is not None):
            raise UsageError("--mfu and a budget exclude each other: with --gpu-hours/--days the MFU is what is computed")
        toks = train.parse_amount(tokens, "--tokens", "token", whole=True)
        n = None if chips is None else train.parse_amount(chips, "--chips", whole=True)
        mfu_fig = None if mfu is None else train.parse_fraction(mfu, "--mfu")
        seq = None if seq_len is None else train.parse_amount(seq_len, "--seq-len", whole=True)
        hours = None if gpu_hours is None else train.parse_amount(gpu_hours, "--gpu-hours", "h")
        wall = None if days is None else train.parse_amount(days, "--days", "day")

        cat = _catalog(specs, sets, prefer)
        model = cat.model(model_name)
        a = train.assumptions(cat)
        fc = train.training_flops(model, toks, seq or a["train_seq_len"], a["train_attention_causal_fraction"])
        runs = []
        objs = [cat.system(name) if name == system else cat.chip(name) if name == chip else cat.target(name) for name in given]
        from chipcalc.cli.root import each_once

        each_once(objs, "target")
        for obj in objs:
            runs.append(train.run(model, train.make_target(obj, n, cat.systems), fc, precision.lower(), a, mfu=mfu_fig,
                                  budget_hours=hours, budget_time=wall))
        from chipcalc.output import train_tables

        emit(train_tables.tables(model, fc, runs, tokens), fmt, output, force, cat, ranges=ranges, fragment=fragment)

    guarded(body)
