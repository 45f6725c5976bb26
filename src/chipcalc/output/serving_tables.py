"""Tables for `chipcalc model` and `chipcalc latency`: run the serving model, lay out the results."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from chipcalc.calc import serving as L
from chipcalc.calc import workload
from chipcalc.catalog import schema
from chipcalc.catalog.records import Chip, Model, System
from chipcalc.core.figure import Figure
from chipcalc.core.format import fmt_count
from chipcalc.output.table import Cell, Table, ratio_cell

# -- the model card ------------------------------------------------------------------------------

def model_table(model: Model, catalog: Any) -> list[Table]:
    t = Table(f"Model card: {model.name} ({model.id}), {model.architecture}, {model.attention.upper()} attention",
              ["value"], key=f"model.{model.id}")
    for name, (dim, label) in schema.MODEL_FIGURES.items():
        f = model.get(name)
        if f is not None:
            unit = "B" if dim == "information" else ""
            t.add(name, label, unit, [f], detail=f"({f.note})" if f.note else "")
    if model.notes:
        t.notes.append(f"Notes: {model.notes}")
    d = Table(f"Derived from the card's shapes: {model.id}", ["value"], key=f"model.{model.id}.derived")
    p = workload.params(model)
    d.add("params_total", "total parameters (sum of shapes)", "", [p.total])
    d.add("params_active", "parameters active per token (sum of shapes)", "", [p.active])
    for name, computed in (("params_total", p.total), ("params_active", p.active)):
        card = model.get(name)
        if card is not None:
            d.add(f"{name}_check", f"  {name.replace('_', ' ')}: shapes / card", "x", [ratio_cell((computed / card).to(""))])
    d.add("attention_params", "attention parameters per layer", "", [workload.attention_params(model)])
    if workload.is_moe(model):
        d.add("expert_params", "parameters per expert per layer", "", [p.expert])
        d.add("routed_params", "routed-expert parameters (all layers)", "", [p.routed])
        d.add("non_routed_params", "non-routed parameters (attention, dense FFN, shared experts, embeddings)", "", [p.non_routed])
    for prec in ("bf16", "fp8"):
        d.add(f"kv_{prec}", f"KV cache per token at {prec.upper()} (computed)", "B", [workload.kv_bytes_per_token(model, prec)])
    for prec in ("bf16", "fp8", "int8", "fp4"):
        d.add(f"weights_{prec}", f"weight bytes at {prec.upper()}", "GB", [workload.weight_bytes(model, prec)])
    ctx = catalog.assumption("default_context")
    d.add("matmul_flops", "matmul FLOPs per token (2 x active, less the input embedding)", "GFLOP", [workload.matmul_flops_per_token(model)])
    d.add("attention_flops", f"attention FLOPs per decoded token at {ctx.m(''):g} tokens of context", "GFLOP",
          [workload.attention_flops_per_token(model, ctx.q.m_as(""), "decode").with_prov(ctx.prov)])
    d.notes.append("FFNs are gated (3 matrices); embeddings untied; MLA decode counts the absorbed form. "
                   "Weight bytes put every weight at the one precision named.")
    return [t, d]


# -- the serving cases -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Case:
    label: str
    hw: L.Hardware
    lay: L.Layout
    batch: int
    context: int
    i: int  # index into the vectorised results
    dec: L.Decode
    pre: L.Prefill
    kv_precision: str
    tpot_note: str = ""


@dataclass(frozen=True)
class Request:
    precision: str = "bf16"
    kv_precision: str = "bf16"
    batches: tuple[int, ...] | None = None
    contexts: tuple[int, ...] | None = None
    chips: int | None = None
    tp: int | None = None
    ep: int | None = None
    mtp: int = 0
    device: str = "package"
    tpot: Figure | None = None
    prefill_tokens: int | None = None


def run(catalog: Any, model: Model, targets: list[Chip | System], req: Request, kn: L.Knobs) -> list[Case]:
    """Every (target, batch, context) asked, each target's batches and contexts in one vectorised call."""
    import numpy as np

    batches = req.batches or (int(catalog.assumption("default_batch").m("")),)
    contexts = req.contexts or (int(catalog.assumption("default_context").m("")),)
    L.whole("--batch", list(batches), "sequences")
    L.whole("--context", list(contexts), "tokens")
    cases: list[Case] = []
    for target in targets:
        hw = L.hardware(target, req.precision, req.device, kn)
        lay = L.auto_layout(model, hw, kn, max(batches), max(contexts), req.kv_precision,
                            req.chips, req.tp, req.ep, req.mtp)
        if req.tpot is not None:
            cases += _tpot_cases(model, hw, lay, kn, contexts, req, len(targets))
            continue
        pairs = list(itertools.product(batches, contexts))
        B = np.array([b for b, _ in pairs])
        C = np.array([c for _, c in pairs])
        dec = L.decode(model, hw, lay, kn, B, C, req.kv_precision)
        pre = L.prefill(model, hw, lay, kn, C, req.prefill_tokens, req.kv_precision)
        for i, (b, c) in enumerate(pairs):
            cases.append(Case(_label(hw.id, b, c, len(targets), len(batches), len(contexts)), hw, lay, b, c, i,
                              dec, pre, req.kv_precision))
    return cases


def _tpot_cases(model: Model, hw: L.Hardware, lay: L.Layout, kn: L.Knobs, contexts: tuple[int, ...], req: Request,
                n_targets: int) -> list[Case]:
    import numpy as np

    out = []
    for c in contexts:
        best, d = L.largest_batch_for_tpot(model, hw, lay, kn, c, req.tpot, req.kv_precision)
        b = best if best is not None else 1
        dec = L.decode(model, hw, lay, kn, np.array([b]), np.array([c]), req.kv_precision)
        pre = L.prefill(model, hw, lay, kn, np.array([c]), req.prefill_tokens, req.kv_precision)
        if best is None:
            t1 = float(np.asarray(dec.tpot.q.m_as("ms")).ravel()[0])
            note = f"none (TPOT at batch 1: {t1:.3g} ms)" if bool(dec.memory.fits.all()) else "none (does not fit)"
        else:
            note = str(best)
        label = _label(hw.id, b, c, n_targets, 1, len(contexts))
        out.append(Case(label, hw, lay, b, c, 0, dec, pre, req.kv_precision, note))
    return out


def _label(tid: str, b: int, c: int, nt: int, nb: int, nc: int) -> str:
    parts = [tid] if nt > 1 or (nb == 1 and nc == 1) else []
    if nb > 1:
        parts.append(f"batch {b}")
    if nc > 1:
        parts.append(f"ctx {c}")
    return " ".join(parts)


# -- tables ----------------------------------------------------------------------------------------

def _add(t: Table, key: str, label: str, unit: str, cells: list[Any], ratio: bool) -> None:
    if all(c is None for c in cells):
        return
    row = [c.to(unit) if isinstance(c, Figure) and unit not in ("", "x") else c for c in cells]
    if ratio:
        a, b = cells
        row.append(ratio_cell(_ratio(a, b)) if isinstance(a, Figure) and isinstance(b, Figure) else Cell(blank=True))
    t.add(key, label, unit, row)


def _const(t: Table, key: str, label: str, unit: str, fig: Figure, n: int, ratio: bool) -> None:
    """A row with one value for every column (an assumption): no ratio."""
    shown = fig.to(unit) if unit else fig
    t.add(key, label, unit, [shown] * n + ([Cell(blank=True)] if ratio else []))


def _ratio(a: Figure, b: Figure) -> Figure | None:
    try:
        return (a / b).to("")
    except Exception:  # noqa: BLE001 - zero or incompatible: no ratio
        return None


def latency_tables(model: Model, cases: list[Case], kn: L.Knobs, req: Request) -> list[Table]:
    cols = [c.label for c in cases]
    ratio = len(cases) == 2
    if ratio:
        cols = cols + [f"{cases[0].label} / {cases[1].label}"]
    return [_setup(model, cases, kn, req, cols, ratio), _decode(model, cases, req, cols, ratio),
            _prefill(model, cases, cols, ratio)]


def _setup(model: Model, cases: list[Case], kn: L.Knobs, req: Request, cols: list[str], ratio: bool) -> Table:
    t = Table(f"Deployment of {model.name} ({req.precision.upper()} weights and GEMMs, {req.kv_precision.upper()} KV cache)",
              cols, key="latency.setup")
    unit_of = lambda c: "dies" if c.hw.device == "die" else "chips"  # noqa: E731
    _add(t, "target", "target", "", [c.hw.system.name if c.hw.system else c.hw.chip.name for c in cases], ratio)
    _add(t, "chips", "chips used (packages)", "", [fmt_count(c.lay.chips) for c in cases], ratio)
    _add(t, "ranks", "ranks (one per package or per die)", "", [f"{fmt_count(c.lay.ranks)} {unit_of(c)}" for c in cases], ratio)
    _add(t, "per_chip", "ranks per chip", "", [c.hw.per_chip if isinstance(c.hw.per_chip, Figure) else "1" for c in cases], ratio)
    _add(t, "parallel", "parallelism", "", [f"TP{c.lay.tp} EP{c.lay.ep} DP{c.lay.ranks // c.lay.tp}" for c in cases], ratio)
    if workload.is_moe(model):
        _add(t, "experts_per_rank", "routed experts per rank per layer", "", [str(L.experts_held(model, c.lay)) for c in cases], ratio)
    _add(t, "batch", "batch (sequences per chip)", "", [fmt_count(c.batch) for c in cases], ratio)
    _add(t, "context", "context (tokens of KV per sequence)", "", [fmt_count(c.context) for c in cases], ratio)
    if req.mtp:
        _add(t, "mtp", "speculative (MTP) tokens per step", "", [str(c.lay.mtp) for c in cases], ratio)
    cu = schema.compute_unit(req.precision)
    _add(t, "peak", f"{req.precision.upper()} dense peak per rank", cu, [c.hw.peak for c in cases], ratio)
    _add(t, "peak_attn", "BF16 dense peak per rank (attention)", "TFLOPS", [c.hw.peak_attn for c in cases], ratio)
    _add(t, "hbm_bw", "HBM bandwidth per rank", "TB/s", [c.hw.hbm_bw for c in cases], ratio)
    _add(t, "hbm_cap", "HBM capacity per rank", "GB", [c.hw.hbm_cap for c in cases], ratio)
    _add(t, "link_bw", "scale-up bandwidth per rank, per direction", "GB/s", [c.hw.up.bandwidth if c.hw.up else None for c in cases], ratio)
    _add(t, "link_lat", "scale-up latency", "us", [c.hw.up.latency if c.hw.up else None for c in cases], ratio)
    for key, label, fig, unit in (("mfu", "achievable fraction of peak (mfu)", kn.mfu, ""),
                                  ("mbu", "achievable fraction of HBM bandwidth (mbu)", kn.mbu, ""),
                                  ("link_efficiency", "achievable fraction of link bandwidth", kn.link, ""),
                                  ("collective_overhead", "fixed cost per collective", kn.collective, "us"),
                                  ("layer_overhead", "fixed cost per layer per step", kn.layer, "us"),
                                  ("hbm_usable", "usable fraction of HBM", kn.usable, "")):
        _const(t, key, label, unit, fig, len(cases), ratio)
    if req.mtp:
        _const(t, "mtp_acceptance", "MTP acceptance rate", "", kn.acceptance, len(cases), ratio)
    return t


def _decode(model: Model, cases: list[Case], req: Request, cols: list[str], ratio: bool) -> Table:
    t = Table("Decode (per step, per rank unless stated)", cols, key="latency.decode")
    at = lambda f, c: L.at(f, c.i)  # noqa: E731
    st = lambda c: c.dec.step  # noqa: E731
    if req.tpot is not None:
        _add(t, "tpot_batch", f"largest batch per chip with TPOT <= {req.tpot.q:~P}", "", [c.tpot_note for c in cases], ratio)
    _add(t, "step", "step time", "ms", [at(st(c).time, c) for c in cases], ratio)
    _add(t, "compute", "  compute time (all FLOPs at mfu x peak)", "ms", [at(st(c).compute, c) for c in cases], ratio)
    _add(t, "memory", "  memory time (all bytes at mbu x HBM bandwidth)", "ms", [at(st(c).memory, c) for c in cases], ratio)
    _add(t, "comm", "  communication (TP all-reduce, EP all-to-all)", "ms", [at(st(c).comm, c) if st(c).comm else None for c in cases], ratio)
    _add(t, "overhead", "  fixed overhead (layers x layer_overhead)", "ms", [st(c).overhead for c in cases], ratio)
    _add(t, "bound", "binding resource", "", [str(st(c).bound[c.i]) for c in cases], ratio)
    _add(t, "flops", "FLOPs per step", "GFLOP", [at(st(c).flops, c) for c in cases], ratio)
    _add(t, "bytes", "HBM bytes per step (weights + KV)", "GB", [at(st(c).bytes, c) for c in cases], ratio)
    if req.mtp:
        _add(t, "accepted", "tokens per sequence per step (1 + accepted drafts)", "", [c.dec.accepted for c in cases], ratio)
    _add(t, "tpot", "TPOT (time per output token)", "ms", [at(c.dec.tpot, c) for c in cases], ratio)
    _add(t, "tps_rank", "output tokens/s per rank", "token/s", [at(c.dec.per_rank, c) for c in cases], ratio)
    _add(t, "tps_chip", "output tokens/s per chip (package)", "token/s", [at(c.dec.per_chip, c) for c in cases], ratio)
    dies = [c.hw.chip.get("dies") for c in cases]
    if any(d is not None for d in dies):
        _add(t, "tps_die", "output tokens/s per die", "token/s",
             [at(c.dec.per_chip, c) / d if d is not None else None for c, d in zip(cases, dies)], ratio)
    _add(t, "tps_system", "output tokens/s per system (all its chips; bare chips: chips used)", "token/s", [at(c.dec.per_system, c) for c in cases], ratio)
    _add(t, "tps_kw", "output tokens/s per kW (all-in system power; bare chips: TDP)", "token/s/kW", [at(c.dec.per_kw, c) for c in cases], ratio)
    _add(t, "tps_w", "output tokens per joule (= tokens/s per W)", "token/J", [at(c.dec.per_kw, c) for c in cases], ratio)
    mem = lambda c: c.dec.memory  # noqa: E731
    _add(t, "weights", "weights stored per rank", "GB", [mem(c).weights for c in cases], ratio)
    _add(t, "kv", "KV cache per rank", "GB", [at(mem(c).kv, c) for c in cases], ratio)
    _add(t, "usable", "usable HBM per rank (capacity x hbm_usable)", "GB", [mem(c).usable for c in cases], ratio)
    _add(t, "fits", "fits in HBM", "", ["yes" if bool(mem(c).fits.ravel()[c.i]) else "NO" for c in cases], ratio)
    _add(t, "max_batch", "largest batch per chip that fits", "", [at(mem(c).max_batch, c) for c in cases], ratio)
    for c in cases:
        if not bool(c.dec.memory.fits.ravel()[c.i]):
            mb = float(L.at(c.dec.memory.max_batch, c.i).m(""))
            what = f"the largest batch that fits is {mb:g}" if mb >= 1 else "even the weights do not fit: use more chips or a smaller precision"
            t.notes.append(f"{c.label or c.hw.id}: batch {c.batch} at context {c.context} does NOT fit in HBM; {what}.")
    t.notes.append("Step time = sum over kinds of work (non-routed matmuls, routed experts, attention) of "
                   "max(compute, memory), plus communication and fixed overhead; TPOT = step time / tokens per step.")
    return t


def _prefill(model: Model, cases: list[Case], cols: list[str], ratio: bool) -> Table:
    t = Table("Prefill (time to first token; one prompt of the context length per TP group unless --prefill-tokens)",
              cols, key="latency.prefill")
    at = lambda f, c: L.at(f, c.i)  # noqa: E731
    _add(t, "prompt_tokens", "prompt tokens per rank per step", "", [_num(c.pre.tokens, c.i) for c in cases], ratio)
    _add(t, "ttft", "TTFT (prefill step, no queueing)", "ms", [at(c.pre.ttft, c) for c in cases], ratio)
    _add(t, "compute", "  compute time", "ms", [at(c.pre.step.compute, c) for c in cases], ratio)
    _add(t, "memory", "  memory time", "ms", [at(c.pre.step.memory, c) for c in cases], ratio)
    _add(t, "comm", "  communication", "ms", [at(c.pre.step.comm, c) if c.pre.step.comm else None for c in cases], ratio)
    _add(t, "bound", "binding resource", "", [str(c.pre.step.bound[c.i]) for c in cases], ratio)
    _add(t, "tps_chip", "prefill tokens/s per chip", "token/s", [at(c.pre.per_chip, c) for c in cases], ratio)
    _add(t, "tps_kw", "prefill tokens/s per kW", "token/s/kW", [at(c.pre.per_kw, c) for c in cases], ratio)
    return t


def _num(arr: Any, i: int) -> str:
    import numpy as np

    a = np.asarray(arr).ravel()
    return fmt_count(float(a[i] if a.size > 1 else a[0]))
