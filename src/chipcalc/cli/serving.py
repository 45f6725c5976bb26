"""`chipcalc model` and `chipcalc latency`: model cards and LLM serving latency/throughput.

Parsing only; the arithmetic is in :mod:`chipcalc.calc.workload` and :mod:`chipcalc.calc.serving`.
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
    base_index,
    emit,
    guarded,
)
from chipcalc.cli.types import COUNT, KV_OFFLOAD_HELP, PP_HELP, share


@app.command("model")
def model_cmd(
    name: str = typer.Argument(..., help="Model id, e.g. deepseek-r1 (see `chipcalc list`)."),
    sets: Optional[List[str]] = SetOpt,
    prefer: Optional[str] = PreferOpt,
    specs: Optional[List[Path]] = SpecsOpt,
    fmt: Optional[str] = FormatOpt,
    fragment: bool = FragmentOpt,
    output: Optional[Path] = OutputOpt,
    force: bool = ForceOpt,
    ranges: bool = RangesOpt,
) -> None:
    """Model card: parameters, layers, experts, KV-cache bytes per token, weight bytes, FLOPs per token."""

    def body() -> None:
        from chipcalc.output.model_tables import model_table

        cat = _catalog(specs, sets, prefer)
        emit(model_table(cat.model(name), cat), fmt, output, force, cat, ranges=ranges, fragment=fragment)

    guarded(body)


def _ints(text: Optional[str], name: str, allow_max: bool = False) -> Optional[tuple]:
    """'8,24,96' -> (8, 24, 96), with the count suffixes (4k = 4,000, 4Ki = 4,096); ``max`` (the largest batch
    that fits) where ``allow_max``."""
    if text is None:
        return None
    from chipcalc.core.counts import parse_counts

    parts = text.split(",")
    if allow_max and any(p.strip().lower() == "max" for p in parts):  # 'max' alone or in a list: 'max,128'
        if any(not p.strip() for p in parts):
            from chipcalc.core.errors import UsageError

            raise UsageError(f"{name} '{text}' has an empty item; write whole numbers or max separated by commas, like max,8,24")
        out: list = []
        for p in parts:
            out.extend(("max",) if p.strip().lower() == "max" else parse_counts(p, name))
        return tuple(out)
    return parse_counts(text, name)


@app.command("latency")
def latency_cmd(
    names: List[str] = typer.Argument(..., help="Targets (chip or system ids) then the model id; or targets only with --model."),
    model_opt: Optional[str] = typer.Option(None, "--model", "-m", help="Model id (else the last argument)."),
    vs: Optional[List[str]] = typer.Option(None, "--vs", help="Targets to compare with, repeatable: --vs B --vs C puts each in its own column; ratios are the first (or --base) over each other.", show_default=False),
    base: Optional[str] = typer.Option(None, "--base", help="The target the ratios are of (default: the first); must be one of those compared, at one batch and context.", show_default=False),
    precision: str = typer.Option("bf16", "--precision", "-p", help="Weights and GEMMs: bf16, fp16, fp8, int8, fp4 (the chip needs a peak for it)."),
    kv_precision: str = typer.Option("bf16", "--kv-precision", help="KV-cache precision."),
    batch: Optional[str] = typer.Option(None, "--batch", "-b", help="Concurrent sequences per chip; a comma list gives one column each; max: the largest that fits (default: assumption default_batch)."),
    context: Optional[str] = typer.Option(None, "--context", "-c", help="Tokens of context per sequence (prompt length for prefill); comma list allowed (default: assumption default_context)."),
    chips: Optional[str] = typer.Option(None, "--chips", help="Chips used (default: a system's all; a bare chip: the fewest that fit)."),
    tp: Optional[str] = typer.Option(None, "--tp", help="Tensor-parallel ranks (default: 1 for MoE, the fewest that fit for dense)."),
    ep: Optional[str] = typer.Option(None, "--ep", help="Expert-parallel ranks for MoE layers (default: every rank)."),
    pp: Optional[int] = typer.Option(None, "--pp", click_type=COUNT, help=PP_HELP, show_default=False),
    mtp: str = typer.Option("0", "--mtp", help="Speculative (multi-token-prediction) tokens per step; needs a model with an MTP module."),
    mtp_acceptance: Optional[str] = typer.Option(None, "--mtp-acceptance", help="Acceptance rate of a speculative token (assumption mtp_acceptance)."),
    device: str = typer.Option("package", "--device", help="What one rank is: package (a whole chip) or die (each die its own rank, as Ascend 910C software does)."),
    tpot: Optional[str] = typer.Option(None, "--tpot", help="A TPOT target like 50ms: report the largest batch that meets it."),
    prefill_tokens: Optional[str] = typer.Option(None, "--prefill-tokens", help="Prompt tokens per chip in one prefill step (default: one prompt per TP group)."),
    isl: Optional[str] = typer.Option(None, "--isl", help="Offline (end-to-end) throughput: input tokens per request (with --osl; default batch: the largest that fits).", show_default=False),
    osl: Optional[str] = typer.Option(None, "--osl", help="Offline throughput: output tokens per request.", show_default=False),
    inflight: Optional[bool] = typer.Option(None, "--inflight/--alternate", help="Offline throughput with in-flight batching (the default, as TensorRT-LLM schedules requests): every step decodes the batch and computes the prompt tokens of the requests that replace finished ones; --alternate prefills each cohort of requests, then decodes it.", show_default=False),
    cache_hit: Optional[str] = typer.Option(None, "--cache-hit", help="Share of prompt tokens a prefix cache serves, e.g. 0.56 (prefill computes only the rest).", show_default=False),
    kv_offload: Optional[str] = typer.Option(None, "--kv-offload", help=KV_OFFLOAD_HELP, show_default=False),
    overlap: Optional[bool] = typer.Option(None, "--overlap/--no-overlap", help="Two-micro-batch overlap of communication with compute (default: the comm_exposed_decode and comm_exposed_prefill assumptions); --overlap hides all it can, --no-overlap exposes all of it.", show_default=False),
    attn_tp: Optional[str] = typer.Option(None, "--attn-tp", help="Attention (and dense FFN) tensor-parallel ranks; the same as --tp.", show_default=False),
    attn_dp: Optional[str] = typer.Option(None, "--attn-dp", help="Attention data-parallel groups: ranks / attention TP (checked against the layout).", show_default=False),
    allow_long_context: bool = typer.Option(False, "--allow-long-context", help="Allow a context above the model's maximum (max_context)."),
    mfu: Optional[str] = typer.Option(None, "--mfu", help="Achievable fraction of peak compute (assumption mfu)."),
    mbu: Optional[str] = typer.Option(None, "--mbu", help="Achievable fraction of HBM bandwidth (assumption mbu)."),
    sets: Optional[List[str]] = SetOpt,
    prefer: Optional[str] = PreferOpt,
    specs: Optional[List[Path]] = SpecsOpt,
    fmt: Optional[str] = FormatOpt,
    fragment: bool = FragmentOpt,
    output: Optional[Path] = OutputOpt,
    force: bool = ForceOpt,
    ranges: bool = RangesOpt,
) -> None:
    """Per-token latency and throughput of LLM serving: TTFT, TPOT, tokens/s per chip, system and kW, the binding resource."""

    def body() -> None:
        from chipcalc.calc import serving as L
        from chipcalc.calc.serving.request import Request, run
        from chipcalc.core.errors import UsageError
        from chipcalc.core.units import parse
        from chipcalc.output.serving_tables import latency_tables

        targets = list(names)
        model_id = model_opt
        if model_id is None:
            if len(targets) < 2:
                raise UsageError("name a target and a model, e.g. `chipcalc latency cloudmatrix384 deepseek-r1`")
            model_id = targets.pop()
        targets += list(vs or [])
        if mtp_acceptance is not None and not any(int(m) > 0 for m in str(mtp).split(",") if m.strip().isdigit()):
            raise UsageError("--mtp-acceptance applies to speculative tokens: add --mtp N (N >= 1), or drop --mtp-acceptance")
        cat = _catalog(specs, prefer=prefer)
        overrides = {}
        for name, text in (("mfu", mfu), ("mbu", mbu), ("mtp_acceptance", mtp_acceptance)):
            if text is not None:
                overrides[name] = L.override(cat, name, text, f"--{name.replace('_', '-')} {text}")
        if overlap is not None:  # --overlap: hide all the compute can; --no-overlap: hide nothing
            for name in ("comm_exposed_decode", "comm_exposed_prefill"):
                overrides[name] = L.override(cat, name, "1" if overlap is False else "0.01",
                                             "--no-overlap" if overlap is False else "--overlap")
        if sets:  # any assumption, chip, system or model figure: a what-if on the catalog itself
            from chipcalc.catalog.overrides import apply_overrides

            cat = apply_overrides(cat, list(sets))
        model = cat.model(model_id)
        recs = [cat.target(n) for n in targets]
        nway = bool(vs) or base is not None  # each target once, --base among them (the first by default)
        base_t = base_index(cat.target, recs, base, noun="target") if nway else None
        target_tpot = None
        if tpot is not None:
            from chipcalc.cli.types import time_option
            from chipcalc.core.figure import Figure, Provenance

            time_option(tpot, "--tpot")  # positive and finite, or a one-line error
            target_tpot = Figure(parse(tpot).to("ms"), Provenance.assume("tpot target", f"--tpot {tpot}"))
        from chipcalc.core.counts import parse_count

        ints = lambda v, n, w, m=1: None if v is None else parse_count(v, n, m)  # noqa: E731
        tp_n, attn_tp_n = ints(tp, "--tp", "ranks"), ints(attn_tp, "--attn-tp", "ranks")
        if tp_n is not None and attn_tp_n is not None and tp_n != attn_tp_n:
            raise UsageError(f"--tp {tp_n} and --attn-tp {attn_tp_n} name the same thing; give one")
        isl_n, osl_n = ints(isl, "--isl", "tokens"), ints(osl, "--osl", "tokens")
        if (isl_n is None) != (osl_n is None):
            raise UsageError("offline throughput needs both --isl and --osl (input and output tokens per request)")
        if inflight is not None and isl_n is None:
            raise UsageError(f"--{'inflight' if inflight else 'alternate'} chooses how offline throughput runs: give --isl and --osl too")
        if isl_n is not None and (context is not None or tpot is not None):
            given = " and ".join(o for o, v in (("--context", context), ("--tpot", tpot)) if v is not None)
            raise UsageError(f"{given} {'are' if ' and ' in given else 'is'} for decode; with --isl/--osl the context is "
                             "the request length and the batch the largest that fits (or --batch)")
        hit = 0.0 if cache_hit is None else share(cache_hit, "--cache-hit")
        offload = 0.0 if kv_offload is None else share(kv_offload, "--kv-offload", whole=True)
        req = Request(precision=precision.lower(), kv_precision=kv_precision.lower(),
                      batches=_ints(batch, "--batch", allow_max=True), contexts=_ints(context, "--context"),
                      chips=ints(chips, "--chips", "chips"), tp=tp_n if tp_n is not None else attn_tp_n,
                      ep=ints(ep, "--ep", "ranks"), mtp=ints(mtp, "--mtp", "tokens", 0), pp=pp, device=device, tpot=target_tpot,
                      prefill_tokens=ints(prefill_tokens, "--prefill-tokens", "tokens"), isl=isl_n, osl=osl_n,
                      cache_hit=hit, kv_offload=offload, allow_long_context=allow_long_context,
                      inflight=inflight is not False)
        from chipcalc.catalog.lint import mtp_problem

        if (why := mtp_problem(cat, model, req.mtp)) is not None:
            raise UsageError(why)
        kn = L.knobs(cat, overrides)
        try:
            cases = run(cat, model, recs, req, kn)
        except UsageError as exc:  # the layout's messages name --tp; the user may have written its alias
            if tp_n is None and attn_tp_n is not None:
                raise UsageError(str(exc).replace("--tp ", "--attn-tp ")) from None
            raise
        dp = ints(attn_dp, "--attn-dp", "groups")
        for c in cases:
            if dp is not None and c.lay.dp != dp:
                at = f"attention TP{c.lay.tp}" + (f" and PP{c.lay.pp}" if c.lay.pp > 1 else "")
                per_stage = c.lay.ranks // c.lay.pp
                fix = (f"for DP{dp} give --attn-tp {per_stage // dp}" if per_stage % dp == 0 else
                       f"--attn-dp must divide the {per_stage} ranks" + (" of a stage" if c.lay.pp > 1 else ""))
                raise UsageError(f"--attn-dp {dp}: {c.hw.id} has {c.lay.ranks} ranks at {at}, i.e. DP{c.lay.dp}; {fix}")
        base_i = None  # N-way (--vs, --base): the base target's column over every other
        if nway and len(cases) == len(recs):
            base_i = base_t
        elif base is not None:
            raise UsageError(f"--base compares targets at one batch and one context; {len(cases) // len(recs)} columns "
                             "per target were asked for (give one --batch and one --context)")
        emit(latency_tables(model, cases, kn, req, accuracy=_accuracy(specs), base=base_i), fmt, output, force, cat,
             ranges=ranges, fragment=fragment)

    guarded(body)


def _accuracy(specs):
    """The model's measured error, from the catalog's own assumptions (never a what-if's)."""
    from chipcalc.calc.accuracy import cached_ratios
    from chipcalc.catalog.store import load_checked

    return cached_ratios(load_checked(specs, claims=False))
