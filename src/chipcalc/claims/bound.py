"""Bound claims: a reported decode throughput (and latency) against what the hardware can physically do.

"1,943 tokens/s per NPU below 50 ms per token" implies a batch (throughput x TPOT sequences per chip)
and a number of decode steps per second. The latency model (:mod:`chipcalc.calc.serving`) gives the FLOPs
and bytes one step needs per rank at that batch and context; the claim then needs

* a fraction of peak compute:     (GEMM FLOPs / GEMM peak + attention FLOPs / BF16 peak) x steps/s
* a fraction of HBM bandwidth:    bytes per step / HBM bandwidth x steps/s
* a fraction of HBM capacity:     (weights + KV cache) / HBM capacity

where steps/s = throughput / (batch x tokens accepted per step), and, when a TPOT is claimed, at least
1 / (TPOT x tokens accepted per step): every sequence must get its next tokens within the TPOT, so a
batch rounded up to one sequence (throughput x TPOT below 1) never drops the TPOT. Hence the invariant:
a consistent verdict never has one step reading more bytes than HBM bandwidth x TPOT x tokens per
step allows. More than 100 % of any is implausible; 80-100 % is labelled near the limit. Each fraction is judged at nominal and across the
ranges of its inputs (:mod:`chipcalc.claims.judge`), so a verdict says which figure or assumption flips it.
For reference the latency model's own TPOT at that batch is shown (it adds efficiencies,
communication and overheads, all named assumptions).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chipcalc.claims import expr, judge
from chipcalc.core.errors import UsageError
from chipcalc.core.figure import Figure, Provenance

#: The issue's definition: a claim needing 80-100 % of a peak is labelled "near the limit".
NEAR_LIMIT = 0.8

#: Decode steps per second the claim needs: from the throughput, and (with a TPOT) from the TPOT.
RATE = "claim.throughput / (claim.batch * step.accepted * 1 token)"
RATE_TPOT = f"max({RATE}, 1 / (claim.tpot * step.accepted))"

#: The three physical checks: key, label, expression over the leaves built below ({rate}: steps/s).
CHECKS = (
    ("compute", "peak compute",
     "(step.gemm_flops / rank.gemm_peak + step.attention_flops / rank.bf16_peak) * {rate}"),
    ("bandwidth", "HBM bandwidth", "step.bytes / rank.hbm_bandwidth * {rate}"),
    ("capacity", "HBM capacity", "step.memory / rank.hbm_capacity"),
)


@dataclass(frozen=True)
class BoundSpec:
    target: str  # system or chip id
    model: str
    throughput: Figure  # decode tokens/s per chip, as claimed
    tpot: Figure | None = None  # time per output token, at most (as claimed)
    batch: int | str | None = None  # sequences per chip, or "max" (the largest that fits); default throughput x TPOT
    context: int | None = None  # tokens of KV per sequence; default: assumption default_context
    precision: str = "bf16"  # GEMM precision
    kv_precision: str = "bf16"
    device: str = "package"  # a rank is a package or a die
    chips: int | None = None  # chips of the deployment; default as the latency model chooses
    mtp: int = 0  # speculative tokens per step
    tp: int | None = None  # tensor-parallel ranks; default the largest valid (the most favourable)


@dataclass(frozen=True)
class BoundResult:
    spec: BoundSpec
    checks: tuple[tuple[str, str, judge.Outcome], ...]  # key, label, outcome of "fraction <= 1"
    working: tuple[tuple[str, Figure], ...]  # figures shown in the working
    batch: int
    context: int
    layout: str  # "160 chips (320 ranks), TP 1, EP 320, MTP 1"
    model_tpot: Figure
    model_throughput: Figure
    fits: bool

    @property
    def worst(self) -> tuple[str, str, judge.Outcome]:
        return max(self.checks, key=lambda c: float(c[2].lhs.q.m_as("")))


def evaluate(cat: Any, spec: BoundSpec, literal: Provenance) -> BoundResult:
    """Judge a bound claim against the catalog. ``literal`` is the provenance of the claimed numbers."""
    from chipcalc.calc import serving as latency
    from chipcalc.calc import workload
    from chipcalc.catalog.lint import mtp_problem
    from chipcalc.core.units import Q

    target = cat.target(spec.target)
    model = cat.model(spec.model)
    if (why := mtp_problem(cat, model, spec.mtp)) is not None:
        raise UsageError(why)
    kn = latency.knobs(cat)
    hw = latency.hardware(target, spec.precision, spec.device, kn)
    context = spec.context or int(round(cat.assumption("default_context").m("")))
    workload.check_context(model, context, f"--context {context:,}", option=False)
    context_fig = None if spec.context else cat.assumption("default_context")
    thr = spec.throughput.q.m_as("token/s")
    if spec.batch == "max":  # the largest batch that fits, with the layout the latency model takes for one sequence
        fit = latency.memory(model, hw, _layout(model, hw, kn, spec, 1, context), kn, 1, context, spec.kv_precision)
        batch = int(float(fit.max_batch.m("")))
        if batch < 1:
            raise UsageError(f"--batch max: not one sequence of {context:,} tokens fits in memory on {spec.target}")
        batch_fig = fit.max_batch.relabel("claim.batch", "the largest batch per chip that fits (--batch max)")
    elif spec.batch is not None:
        batch = spec.batch
        batch_fig = Figure(Q(batch, ""), literal, label="claim.batch")
    elif spec.tpot is not None:
        implied = thr * spec.tpot.q.m_as("s")
        batch = max(1, int(round(implied)))
        how = "rounded up to 1; the TPOT still sets the steps per second" if implied < 0.5 else "rounded"
        batch_fig = Figure(Q(batch, ""), spec.throughput.prov | spec.tpot.prov, label="claim.batch",
                           note=f"implied: throughput x TPOT = {implied:.4g} sequences per chip, {how}")
    else:
        raise UsageError("a throughput claim needs a TPOT (--tpot) or a batch (--batch) to imply the batch per chip")
    lay = _layout(model, hw, kn, spec, batch, context)
    d = latency.decode(model, hw, lay, kn, batch, context, spec.kv_precision)
    tokens_rank = batch / hw.rpc * lay.tokens_per_step
    attn = (workload.attention_flops_per_token(model, context, "decode") * tokens_rank).to("GFLOP")
    gemm = (d.step.flops - attn).to("GFLOP")
    acc = d.accepted if isinstance(d.accepted, Figure) else Figure(Q(d.accepted, ""), literal)
    rank = "per die" if hw.device == "die" else "per package"
    chip_id = hw.chip.id
    leaves = {
        "claim.throughput": spec.throughput.relabel("claim.throughput"),
        "claim.batch": batch_fig,
        "step.accepted": acc.relabel("step.accepted", "tokens per sequence per decode step (1 + speculative tokens accepted)"),
        "step.gemm_flops": gemm.relabel("step.gemm_flops", f"matmul FLOPs of one decode step, {rank}"),
        "step.attention_flops": attn.relabel("step.attention_flops", f"attention FLOPs of one decode step over {context} tokens, {rank}"),
        "step.bytes": d.step.bytes.relabel("step.bytes", f"HBM bytes one decode step reads (weights touched + KV), {rank}"),
        "step.memory": (d.memory.weights + d.memory.kv).to("GB").relabel("step.memory", f"weights held + KV cache of the batch, {rank}"),
        "rank.gemm_peak": hw.peak.relabel(f"{chip_id}.{spec.precision}_dense", rank),
        "rank.bf16_peak": hw.peak_attn.relabel(f"{chip_id}.bf16_dense", f"{rank} (attention runs at BF16)"),
        "rank.hbm_bandwidth": hw.hbm_bw.relabel(f"{chip_id}.hbm_bandwidth", rank),
        "rank.hbm_capacity": hw.hbm_cap.relabel(f"{chip_id}.hbm_capacity", rank),
    }
    if spec.tpot is not None:
        leaves["claim.tpot"] = spec.tpot.relabel("claim.tpot")
    rate = RATE if spec.tpot is None else RATE_TPOT
    checks = []
    for key, label, text in CHECKS:
        node = expr.parse(f"{text.format(rate=rate)} <= 1")
        checks.append((key, label, judge.judge(node, leaves, literal)))
    working = [("claim.throughput", leaves["claim.throughput"])]
    if spec.tpot is not None:
        working.append(("claim.tpot", leaves["claim.tpot"]))
    working.append(("claim.batch", batch_fig))
    steps = _paced_by_tpot(leaves, literal) if spec.tpot is not None else None
    if steps is not None:  # shown only where the TPOT, not the throughput, sets the pace
        working.append(("claim.steps", steps))
    if context_fig is not None:
        working.append(("context", context_fig.relabel("assumption.default_context")))
    for name in (("step.accepted",) if spec.mtp else ()) + ("step.gemm_flops", "step.attention_flops", "step.bytes", "step.memory",
                 "rank.gemm_peak", "rank.bf16_peak", "rank.hbm_bandwidth", "rank.hbm_capacity"):
        working.append((name, leaves[name]))
    unit = "dies" if hw.device == "die" else "chips"
    desc = (f"{lay.chips} chips ({lay.ranks} {unit if hw.device == 'die' else 'ranks'}), TP {lay.tp}, EP {lay.ep}, "
            f"MTP {lay.mtp}, {spec.precision.upper()} GEMMs, {spec.kv_precision.upper()} KV cache, context {context}")
    fits = bool(d.memory.fits.all()) if hasattr(d.memory.fits, "all") else bool(d.memory.fits)
    return BoundResult(spec, tuple(checks), tuple(working), batch, context, desc,
                       d.tpot.relabel("latency model TPOT"), d.per_chip.relabel("latency model throughput per chip"),
                       fits)


def _paced_by_tpot(leaves: dict[str, Figure], literal: Provenance) -> Figure | None:
    """Decode steps per second the claim needs when the TPOT sets it (above throughput / batch), else None."""
    by_thr = judge.judge(expr.parse(RATE), leaves, literal).lhs.to("1/s")
    both = judge.judge(expr.parse(RATE_TPOT), leaves, literal).lhs.to("1/s")
    if float(both.q.m_as("1/s")) <= float(by_thr.q.m_as("1/s")) * (1 + 1e-9):
        return None
    return both.relabel("claim.steps", "decode steps per second: set by the TPOT, 1 / (TPOT x tokens per step), "
                                       "above throughput / (batch x tokens per step)")


def _layout(model: Any, hw: Any, kn: Any, spec: BoundSpec, batch: int, context: int) -> Any:
    """The deployment: chips as the latency model chooses them (or as stated); TP as stated, else the
    largest that the model, the chips and the scale-up domain allow. Splitting weights over more
    ranks only lowers the bytes each rank reads, so this is the layout most favourable to the claim:
    a claim that is implausible here is implausible in every layout the model can express."""
    from chipcalc.calc import serving as latency
    from chipcalc.calc import workload

    lay = latency.auto_layout(model, hw, kn, batch, context, spec.kv_precision, spec.chips, spec.tp, None, spec.mtp)
    if spec.tp is not None or workload.is_moe(model):
        return lay
    t = 1
    while t * 2 <= lay.ranks:
        t *= 2
    while t > lay.tp:
        try:
            return latency.layout(model, hw, lay.chips, t, None, spec.mtp)
        except UsageError:
            t //= 2
    return lay


def label(result: BoundResult) -> tuple[str, str]:
    """(verdict, margin) from the nominal fractions."""
    key, what, o = result.worst
    frac = float(o.lhs.q.m_as(""))
    chip = result.spec.target
    if frac > 1:
        return "implausible", f"needs {frac:.2f}x the {what} of {chip} ({frac:.0%} of peak)"
    if frac >= NEAR_LIMIT:
        return "consistent (near the limit)", f"needs {frac:.0%} of the {what} of {chip} (80-100 %)"
    return "consistent", f"needs at most {frac:.0%} of peak ({what})"
