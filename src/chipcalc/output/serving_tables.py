"""Tables of `chipcalc latency`: the deployment, decode, prefill and offline (end-to-end) throughput.

The cases come from :func:`chipcalc.calc.serving.request.run`. A case that does not fit in memory shows
what does not fit (GB needed vs available) instead of times and rates. A ratio column appears for two
targets; a per-kW ratio only where both columns rest on the same power basis. Each table ends with the
model's own error on comparable published runs (``accuracy``, from :mod:`chipcalc.calc.accuracy`).
"""

from __future__ import annotations

from typing import Any

from chipcalc.calc import serving as L
from chipcalc.calc import workload
from chipcalc.catalog import schema
from chipcalc.catalog.records import Model
from chipcalc.core.figure import Figure
from chipcalc.core.format import fmt_count
from chipcalc.output.table import Cell, Table, ratio_cell

NO_FIT = "does not fit"


def _add(t: Table, key: str, label: str, unit: str, cells: list[Any], ratio: int | None, cases: list[Any] | None = None,
         same_basis: bool = True) -> None:
    """A row; with ``cases`` a case that does not fit shows NO_FIT. ``ratio``: the index of the base column, whose
    value is divided by each other column's (None: no ratio columns); a ratio only where both are figures on
    ``same_basis``."""
    if all(c is None for c in cells):
        return
    if cases is not None:
        cells = [Cell(text=NO_FIT) if not k.fits else c for c, k in zip(cells, cases)]
    row = [c.to(unit) if isinstance(c, Figure) and unit not in ("", "x") else c for c in cells]
    if ratio is not None:
        a = cells[ratio]
        for j, b in enumerate(cells):
            if j != ratio:
                ok = isinstance(a, Figure) and isinstance(b, Figure) and same_basis
                row.append(ratio_cell(_ratio(a, b)) if ok else Cell(blank=True))
    t.add(key, label, unit, row)


def _const(t: Table, key: str, label: str, unit: str, fig: Figure, n: int, ratio: int | None) -> None:
    """A row with one value for every column (an assumption): no ratio."""
    shown = fig.to(unit) if unit else fig
    t.add(key, label, unit, [shown] * n + ([Cell(blank=True)] * (n - 1) if ratio is not None else []))


def _ratio(a: Figure, b: Figure) -> Figure | None:
    """a / b, or no ratio where b is (or may be) zero or the two are not comparable."""
    from chipcalc.core.errors import ChipcalcError

    try:
        return (a / b).to("")
    except (ChipcalcError, ArithmeticError, ValueError, TypeError):  # pint's DimensionalityError is a TypeError
        return None


def latency_tables(model: Model, cases: list[Any], kn: L.Knobs, req: L.Request, accuracy: Any = None,
                   base: int | None = None) -> list[Table]:
    """The set-up, decode and prefill (or offline) tables, one column per case. Ratio columns: with ``base``
    (an N-way comparison, ``--vs``/``--base``), the base case over each other; else, for exactly two cases,
    the first over the second."""
    cols = [c.label for c in cases]
    ratio = base if base is not None else (0 if len(cases) == 2 else None)
    if ratio is not None:
        cols = cols + [f"{cases[ratio].label} / {c.label}" for j, c in enumerate(cases) if j != ratio]
    tables = [_setup(model, cases, kn, req, cols, ratio)]
    if req.offline:
        tables.append(_offline(model, cases, req, cols, ratio))
    else:
        tables += [_decode(model, cases, req, cols, ratio), _prefill(model, cases, req, cols, ratio)]
    if accuracy is not None:
        from chipcalc.calc.accuracy import error_for, error_json

        vendors = list(dict.fromkeys(vendor_of_case(c) for c in cases))
        for t in tables[1:]:
            phase = t.key.split(".")[-1]
            t.notes += [error_for(accuracy, phase, v) for v in vendors]
            t.data["model_error"] = [error_json(accuracy, phase, v) for v in vendors]
    return tables


def vendor_of_case(c: Any) -> str:
    return c.hw.chip.vendor


def _basis(c: Any) -> str:
    return c.hw.power_basis


def _held(model: Model, lay: Any) -> str:
    """Experts per rank, saying so where EP is above the expert count (each expert then has replicas, as
    redundant experts do: CloudMatrix384 serves 256 routed experts with EP320)."""
    held, experts = L.experts_held(model, lay), int(round(model["routed_experts"].m("")))
    if lay.ep <= experts:
        return str(held)
    return f"{held} (EP{lay.ep} > {experts} experts: {lay.ep / experts:.3g} copies each)"


def _setup(model: Model, cases: list[Any], kn: L.Knobs, req: L.Request, cols: list[str], ratio: int | None) -> Table:
    kept = workload.kept_attention(model, req.precision)
    attn = f", attention projections {kept[0].upper()}" if kept is not None else ""
    t = Table(f"Deployment of {model.name} ({req.precision.upper()} weights and GEMMs{attn}, {req.kv_precision.upper()} KV cache)",
              cols, key="latency.setup")
    unit_of = lambda c: "dies" if c.hw.device == "die" else "chips"  # noqa: E731
    _add(t, "target", "target", "", [c.hw.system.name if c.hw.system else c.hw.chip.name for c in cases], ratio)
    _add(t, "chips", "chips used (packages)", "", [fmt_count(c.lay.chips) for c in cases], ratio)
    _add(t, "ranks", f"ranks (one per {'die' if any(c.hw.device == 'die' for c in cases) else 'package'})", "",
         [f"{fmt_count(c.lay.ranks)} {unit_of(c)}" for c in cases], ratio)
    _add(t, "per_chip", "ranks per chip", "", [c.hw.per_chip if isinstance(c.hw.per_chip, Figure) else "1" for c in cases], ratio)
    if any(c.lay.pp > 1 for c in cases):
        _add(t, "parallel", "TP x PP x DP, expert EP", "",
             [f"TP{c.lay.tp} x PP{c.lay.pp} x DP{c.lay.dp}, EP{c.lay.ep}" for c in cases], ratio)
        _add(t, "stage_layers", "layers per pipeline stage (the busiest)", "",
             [str(-(-int(model.get("layers").m("")) // c.lay.pp)) for c in cases], ratio)
        hops = [L.shape(model, c.hw, c.lay) for c in cases]
        _add(t, "pp_hops", "stage-to-stage hops: scale-up / scale-out", "", [f"{s.pp_up} / {s.pp_out}" for s in hops], ratio)
    else:
        _add(t, "parallel", "attention TP x DP, expert EP", "",
             [f"TP{c.lay.tp} x DP{c.lay.ranks // c.lay.tp}, EP{c.lay.ep}" for c in cases], ratio)
    if workload.is_moe(model):
        _add(t, "experts_per_rank", "routed experts per rank per layer", "", [_held(model, c.lay) for c in cases], ratio)
        shapes = [L.shape(model, c.hw, c.lay) for c in cases]
        if any(s.domains > 1 for s in shapes):
            _add(t, "ep_domains", "scale-up domains the EP group spans", "", [str(s.domains) for s in shapes], ratio)
    _add(t, "batch", "batch (sequences per chip)", "", [fmt_count(c.batch) + (f" ({c.batch_note})" if c.batch_note else "") for c in cases], ratio)
    if req.offline:
        _add(t, "lengths", "tokens in / out per request", "", [f"{req.isl} / {req.osl}" for _ in cases], ratio)
    else:
        _add(t, "context", "context (tokens of KV per sequence)", "", [fmt_count(c.context) for c in cases], ratio)
    if req.mtp:
        _add(t, "mtp", "speculative (MTP) tokens per step", "", [str(c.lay.mtp) for c in cases], ratio)
    if req.cache_hit:
        _add(t, "cache_hit", "prompt tokens served by a prefix cache", "", [f"{req.cache_hit:.0%}" for _ in cases], ratio)
    if req.kv_offload:
        _add(t, "kv_offload", "KV cache kept in host memory", "", [f"{req.kv_offload:.0%}" for _ in cases], ratio)
        _add(t, "host_cap", "host memory per rank (the CPUs' memory / ranks)", "GB", [c.hw.host.capacity for c in cases], ratio)
        _add(t, "host_link", "host link bandwidth per rank, per direction", "GB/s", [c.hw.host.link for c in cases], ratio)
        _add(t, "host_bw", "host memory bandwidth per rank", "GB/s", [c.hw.host.bandwidth for c in cases], ratio)
        _const(t, "host_memory_usable", "usable fraction of host memory", "", kn.host_usable, len(cases), ratio)
    cu = schema.compute_unit(req.precision)
    _add(t, "peak", f"{req.precision.upper()} dense peak per rank", cu, [c.hw.peak for c in cases], ratio)
    _add(t, "peak_attn", "BF16 dense peak per rank (attention)", "TFLOPS", [c.hw.peak_attn for c in cases], ratio)
    kept = workload.kept_attention(model, req.precision)
    if kept is not None:  # the model's FP4 checkpoint keeps the attention projections at a higher precision
        from chipcalc.calc.serving.inputs import attention_projections

        fmt = kept[0].upper()
        _add(t, "attn_proj_bytes", f"attention projections' bytes per weight (the FP4 checkpoint keeps them in {fmt})", "B",
             [kept[1] for _ in cases], ratio)
        _add(t, "peak_attn_proj", f"{fmt} dense peak per rank (attention projections)", schema.compute_unit(kept[0]),
             [attention_projections(model, c.hw)[0] for c in cases], ratio)
    if req.kv_precision == "fp8":  # FP8 attention where the chip has an FP8 peak (fp8_attention_speedup)
        from chipcalc.calc.serving.inputs import attention_peak

        _add(t, "peak_attn_fp8", "attention peak per rank with FP8 KV (x fp8_attention_speedup if FP8)",
             "TFLOPS", [attention_peak(c.hw, kn, req.kv_precision) for c in cases], ratio)
    _add(t, "hbm_bw", "HBM bandwidth per rank", "TB/s", [c.hw.hbm_bw for c in cases], ratio)
    _add(t, "hbm_cap", "HBM capacity per rank", "GB", [c.hw.hbm_cap for c in cases], ratio)
    _add(t, "link_bw", "scale-up bandwidth per rank, per direction", "GB/s", [c.hw.up.bandwidth if c.hw.up else None for c in cases], ratio)
    _add(t, "link_lat", "scale-up latency", "us", [c.hw.up.latency if c.hw.up else None for c in cases], ratio)
    _add(t, "power", "power per chip", "W", [c.hw.power for c in cases], ratio, same_basis=_same_basis(cases))
    _add(t, "power_basis", "  power basis (per-kW figures use it)", "", [_basis(c) for c in cases], ratio)
    for key, label, fig, unit in (("mfu", "achievable fraction of peak (mfu)", kn.mfu, ""),
                                  ("mbu", "achievable fraction of HBM bandwidth (mbu)", kn.mbu, ""),
                                  ("link_efficiency", "achievable fraction of link bandwidth", kn.link, ""),
                                  ("collective_overhead", "fixed cost per collective", kn.collective, "us"),
                                  ("alltoall_overhead", "fixed cost per EP dispatch or combine", kn.alltoall, "us"),
                                  ("comm_exposed_decode", "share of decode communication not hidden by overlap", kn.exposed_decode, ""),
                                  ("comm_exposed_prefill", "share of prefill communication not hidden by overlap", kn.exposed_prefill, ""),
                                  ("layer_overhead", "fixed cost per layer per step", kn.layer, "us"),
                                  ("hbm_usable", "usable fraction of HBM", kn.usable, ""),
                                  ("serving_workspace", "workspace per rank", kn.workspace, "GB")):
        _const(t, key, label, unit, fig, len(cases), ratio)
    if req.precision == "fp4":
        _const(t, "fp4_weight_bytes", "bytes per FP4 weight, block scales included", "B", kn.fp4_w, len(cases), ratio)
    if workload.keeps_embeddings_wider(req.precision):
        _const(t, "embedding_weight_bytes", "bytes per embedding and output-head weight (kept in BF16)", "B", kn.emb_w,
               len(cases), ratio)
    if workload.is_moe(model):
        _const(t, "expert_imbalance", "busiest expert rank / mean", "", kn.imbalance, len(cases), ratio)
    if req.mtp:
        _const(t, "mtp_acceptance", "MTP acceptance rate", "", kn.acceptance, len(cases), ratio)
    return t


def _same_basis(cases: list[Any]) -> bool:
    return len({_basis(c) for c in cases}) == 1


def _at(f: Any, c: Any) -> Any:
    return L.at(f, c.i) if isinstance(f, Figure) else f


def _memory_rows(t: Table, mem: list[Any], cases: list[Any], ratio: int | None) -> None:
    _add(t, "weights", "weights stored per rank", "GB", [_at(m.weights, c) for m, c in zip(mem, cases)], ratio)
    _add(t, "kv", "KV cache per rank", "GB", [_at(m.kv, c) for m, c in zip(mem, cases)], ratio)
    _add(t, "activations", "activations per rank (activation_factor x hidden x tokens of a step)", "GB",
         [_at(m.activations, c) for m, c in zip(mem, cases)], ratio)
    _add(t, "usable", "usable HBM per rank (capacity x hbm_usable)", "GB", [_at(m.usable, c) for m, c in zip(mem, cases)], ratio)
    _add(t, "host_kv", "KV cache in host memory per rank", "GB", [_at(m.host_kv, c) for m, c in zip(mem, cases)], ratio)
    _add(t, "host_usable", "usable host memory per rank (host memory x host_memory_usable)", "GB",
         [_at(m.host_usable, c) for m, c in zip(mem, cases)], ratio)
    _add(t, "fits", "fits in HBM" + (" and host memory" if any(m.host_kv is not None for m in mem) else ""), "",
         ["yes" if c.fits else "NO" for c in cases], ratio)
    _add(t, "short", "what does not fit", "", [c.short.text() if c.short is not None else "" for c in cases], ratio)
    _add(t, "max_batch", "largest batch per chip that fits", "", [_at(m.max_batch, c) for m, c in zip(mem, cases)], ratio)


def _decode(model: Model, cases: list[Any], req: L.Request, cols: list[str], ratio: int | None) -> Table:
    t = Table("Decode (per step, per rank unless stated)", cols, key="latency.decode")
    st = lambda c: c.dec.step  # noqa: E731
    if req.tpot is not None:
        _add(t, "tpot_batch", f"largest batch per chip with TPOT <= {req.tpot.q:~P}", "", [c.tpot_note for c in cases], ratio)
    fit = dict(ratio=ratio, cases=cases)
    _add(t, "step", "step time", "ms", [_at(st(c).time, c) for c in cases], **fit)
    _add(t, "compute", "  compute time (all FLOPs at mfu x peak)", "ms", [_at(st(c).compute, c) for c in cases], **fit)
    _add(t, "memory", "  memory time (all bytes at mbu x HBM bandwidth)", "ms", [_at(st(c).memory, c) for c in cases], **fit)
    _add(t, "host_time", "  KV read from host memory (over the host link, beside the HBM reads)", "ms",
         [_at(st(c).host_time, c) for c in cases], **fit)
    _add(t, "comm", "  communication (TP all-reduce, EP all-to-all)", "ms", [_at(st(c).comm, c) if st(c).comm else None for c in cases], **fit)
    _add(t, "exposed", "  communication not hidden by overlap", "ms", [_at(st(c).exposed, c) if st(c).comm else None for c in cases], **fit)
    _add(t, "overhead", "  fixed overhead (layers x layer_overhead)", "ms", [st(c).overhead for c in cases], **fit)
    _add(t, "transfer", "  pipeline stage-to-stage transfers", "ms", [_at(st(c).transfer, c) for c in cases], **fit)
    _add(t, "bound", "binding resource", "", [str(st(c).bound[c.i]) for c in cases], **fit)
    _add(t, "flops", "FLOPs per step", "GFLOP", [_at(st(c).flops, c) for c in cases], **fit)
    _add(t, "bytes", "HBM bytes per step (weights + KV)", "GB", [_at(st(c).bytes, c) for c in cases], **fit)
    _add(t, "host_bytes", "host-memory bytes per step (offloaded KV)", "GB", [_at(st(c).host_bytes, c) for c in cases], **fit)
    if req.mtp:
        _add(t, "accepted", "tokens per sequence per step (1 + accepted drafts)", "", [c.dec.accepted for c in cases], ratio)
    _add(t, "tpot", "TPOT (time per output token)", "ms", [_at(c.dec.tpot, c) for c in cases], **fit)
    unit = "die" if any(c.hw.device == "die" for c in cases) else "package"
    _add(t, "tps_rank", f"output tokens/s per rank ({unit})", "token/s", [_at(c.dec.per_rank, c) for c in cases], **fit)
    _add(t, "tps_chip", "output tokens/s per chip (package)", "token/s", [_at(c.dec.per_chip, c) for c in cases], **fit)
    dies = [c.hw.chip.get("dies") for c in cases]
    if any(d is not None for d in dies):
        _add(t, "tps_die", "output tokens/s per die", "token/s",
             [_at(c.dec.per_chip, c) / d if d is not None else None for c, d in zip(cases, dies)], **fit)
    _add(t, "tps_system", "output tokens/s per system (all its chips; bare chips: chips used)", "token/s",
         [_at(c.dec.per_system, c) for c in cases], **fit)
    _per_kw_rows(t, [_at(c.dec.per_kw, c) for c in cases], cases, ratio)
    _memory_rows(t, [c.dec.memory for c in cases], cases, ratio)
    t.notes.append("Step time = sum over kinds of work (non-routed matmuls, routed experts, attention) of "
                   "max(compute, memory), plus the communication overlap leaves exposed and the fixed overhead "
                   "(and, with MTP, the draft passes); TPOT = step time / tokens per step.")
    if any(c.lay.pp > 1 for c in cases):
        t.notes.append(PP_NOTE)
    if req.kv_offload:
        t.notes.append(OFFLOAD_NOTE)
    return t


#: How KV offload is read.
OFFLOAD_NOTE = ("With --kv-offload, that share of every sequence's KV cache lives in host memory and the rest in HBM: "
                "a step reads the host part over the host link, at min(link x link_efficiency, host memory bandwidth x mbu), "
                "while it reads the HBM part, so attention's memory time is the longer of the two; HBM holds only its part, "
                "and host memory the rest (host_memory_usable of it). No published run in specs/measurements.toml offloads KV.")


#: How a pipeline's decode is read (the formulas: calc/serving/formulas.py).
PP_NOTE = ("With PP, the batch runs as PP micro-batches, one per stage at a time: a step is the sum of the stage "
           "times (each stage's layers, for one micro-batch) plus the stage-to-stage transfers, so every stage is "
           "busy and tokens/s per chip = batch per chip / TPOT; per rank, the compute, memory and overhead rows "
           "are summed over the stages. No published run in specs/measurements.toml uses PP: the model's error "
           "stated below is that of layouts without it.")


def _per_kw_rows(t: Table, per_kw: list[Any], cases: list[Any], ratio: int | None) -> None:
    same = _same_basis(cases)
    label = "output tokens/s per kW" + (f" ({_basis(cases[0])})" if same else " (power basis per column: see the set-up)")
    _add(t, "tps_kw", label, "token/s/kW", per_kw, ratio, cases, same_basis=same)
    _add(t, "tps_w", "output tokens per joule (= tokens/s per W)", "token/J", per_kw, ratio, cases, same_basis=same)
    if ratio is not None and not same:
        t.notes.append("No per-kW ratio: the columns rest on different power bases (" +
                       " vs ".join(_basis(c) for c in cases) + ").")


def _prefill(model: Model, cases: list[Any], req: L.Request, cols: list[str], ratio: int | None) -> Table:
    t = Table("Prefill (time to first token; one prompt of the context length per TP group unless --prefill-tokens)",
              cols, key="latency.prefill")
    fit = dict(ratio=ratio, cases=cases)
    _add(t, "prompt_tokens", "prompt tokens per rank per step", "", [_num(c.pre.tokens, c.i) for c in cases], ratio)
    _add(t, "ttft", "TTFT (prefill step, no queueing)", "ms", [_at(c.pre.ttft, c) for c in cases], **fit)
    _add(t, "compute", "  compute time", "ms", [_at(c.pre.step.compute, c) for c in cases], **fit)
    _add(t, "memory", "  memory time", "ms", [_at(c.pre.step.memory, c) for c in cases], **fit)
    _add(t, "comm", "  communication", "ms", [_at(c.pre.step.comm, c) if c.pre.step.comm else None for c in cases], **fit)
    _add(t, "transfer", "  pipeline stage-to-stage transfers", "ms", [_at(c.pre.step.transfer, c) for c in cases], **fit)
    _add(t, "bound", "binding resource", "", [str(c.pre.step.bound[c.i]) for c in cases], **fit)
    _add(t, "tps_chip", "prefill tokens/s per chip", "token/s", [_at(c.pre.per_chip, c) for c in cases], **fit)
    same = _same_basis(cases)
    _add(t, "tps_kw", "prefill tokens/s per kW", "token/s/kW", [_at(c.pre.per_kw, c) for c in cases], ratio, cases, same)
    if any(c.lay.pp > 1 for c in cases):
        t.notes.append("With PP, the prompt passes every stage in turn: TTFT = the sum of the stage times plus the "
                       "stage-to-stage transfers; prompts stream through the pipeline, so tokens/s per chip counts "
                       "every stage busy (no fill or drain bubble).")
    if req.cache_hit:
        t.notes.append(f"A prefix cache serves {req.cache_hit:.0%} of the prompt tokens: only the rest is computed "
                       "(attending to the cached part too); tokens/s counts every prompt token.")
    return t


def _offline(model: Model, cases: list[Any], req: L.Request, cols: list[str], ratio: int | None) -> Table:
    how = "in-flight batching: prompts computed within the decode steps" if req.inflight else "the two phases alternated"
    t = Table(f"Offline (end-to-end) throughput: {req.isl} tokens in, {req.osl} out per request, prefill time "
              f"counted ({how})", cols, key="latency.offline")
    fit = dict(ratio=ratio, cases=cases)
    fig = lambda c, name, unit: c.off.figure(name, unit) if c.off is not None else None  # noqa: E731
    one = lambda c, name, unit: _at(fig(c, name, unit), c)  # noqa: E731
    _add(t, "tps_chip", "output tokens/s per chip, end to end", "token/s", [one(c, "per_chip", "token/s") for c in cases], **fit)
    _add(t, "tps_system", "output tokens/s per system, end to end", "token/s", [one(c, "per_system", "token/s") for c in cases], **fit)
    _per_kw_rows(t, [one(c, "per_kw", "token/s/kW") for c in cases], cases, ratio)
    if req.inflight:
        _add(t, "e2e", "time per request in flight (its output length x TPOT)", "s", [one(c, "e2e", "s") for c in cases], **fit)
        _add(t, "prompt_tokens", "  prompt tokens per rank computed in each step", "",
             [_num(c.off.values["prompt_tokens"], c.i) if c.off is not None else None for c in cases], **fit)
    else:
        _add(t, "e2e", "time per cohort of requests (prefill + decode)", "s", [one(c, "e2e", "s") for c in cases], **fit)
    _add(t, "prefill_time", "  prefill of the cohort's prompts", "s", [one(c, "prefill_time", "s") for c in cases], **fit)
    _add(t, "tpot", "  TPOT at the mean context", "ms", [one(c, "tpot", "ms") for c in cases], **fit)
    _add(t, "decode_share", "  decode share of the time", "", [one(c, "decode_share", "") for c in cases], **fit)
    mem = [_OfflineMemory(c) for c in cases]
    _memory_rows(t, mem, cases, ratio)
    if req.inflight:
        t.notes.append("In-flight batching: every step decodes the whole batch at the mean context and computes the "
                       "prompt tokens of the requests that replace finished ones (batch x accepted tokens x isl / osl per "
                       "step), one pass over the weights for both; the batch is limited by weights, KV at the full length, "
                       "the activations of the decode tokens and of a prefill chunk, and the workspace.")
    else:
        t.notes.append("Each cohort of requests is prefilled (in chunks of prefill_chunk_tokens) and then decoded to "
                       "the output length at the mean context; the batch is limited by weights, KV at the full length, "
                       "the activations of a prefill chunk and the workspace.")
    if any(c.lay.pp > 1 for c in cases):
        t.notes.append("With PP, a cohort's m chunks fill and drain the pipeline: its prefill takes m + PP - 1 stage "
                       "times (a bubble of (PP - 1) / m) plus the last chunk's transfers.")
    return t


class _OfflineMemory:
    def __init__(self, c: Any):
        f = lambda name: c.off.figure("mem_" + name, "GB" if name != "max_batch" else "")  # noqa: E731
        self.weights, self.kv, self.activations, self.usable = f("weights"), f("kv"), f("activations"), f("usable")
        self.max_batch, self.host_kv, self.host_usable = f("max_batch"), f("host_kv"), f("host_usable")


def _num(arr: Any, i: int) -> str:
    import numpy as np

    a = np.asarray(arr).ravel()
    return fmt_count(float(a[i] if a.size > 1 else a[0]))
