"""Lay out `chipcalc train` results as tables (no arithmetic: the figures come from :mod:`chipcalc.calc.train`)."""

from __future__ import annotations

from chipcalc.calc.train import FlopCount, Run, links, plausible
from chipcalc.catalog.records import Model
from chipcalc.output.table import Cell, Table


def tables(model: Model, fc: FlopCount, runs: list[Run], tokens_text: str) -> list[Table]:
    return [flops_table(model, fc, tokens_text), time_table(model, runs, tokens_text), comm_table(runs), memory_table(runs)]


def flops_table(model: Model, fc: FlopCount, tokens_text: str) -> Table:
    t = Table(f"Training FLOPs: {model.name} on {tokens_text} tokens", ["value"], key="train.flops")
    mla = fc.d_qk is not fc.d_v
    t.add("tokens", "training tokens", "token", [fc.tokens])
    t.add("params_active", "active parameters per token", "", [fc.params_active])
    t.add("layers", "layers", "", [fc.layers])
    t.add("heads", "attention heads", "", [fc.heads])
    t.add("d_qk", "query/key head dim (d_qk)" + (" = qk_nope + qk_rope (MLA)" if mla else ""), "", [fc.d_qk])
    t.add("d_v", "value head dim (d_v)", "", [fc.d_v])
    t.add("seq_len", "sequence length", "", [fc.seq_len])
    t.add("causal", "attention causal fraction", "", [fc.causal])
    t.add("dense", "dense FLOPs per token (6 x active params)", "GFLOP/token", [fc.dense_per_token])
    t.add("attention", "attention FLOPs per token", "GFLOP/token", [fc.attention_per_token])
    t.add("per_token", "training FLOPs per token", "GFLOP/token", [fc.per_token])
    t.add("total", "training FLOPs", "FLOP", [fc.total])
    t.notes.append("FLOPs = tokens x (6 x active params + 6 x layers x seq x heads x (d_qk + d_v) x causal fraction). "
                   "6 = 2 FLOPs per multiply-add x 3 (forward, plus a backward pass at twice the forward); the attention "
                   "term counts the QK^T and AV products that the parameter count misses. Embedding lookups, norms, "
                   "softmax, MTP heads and recomputation are not counted (MFU convention).")
    return t


def _title_targets(runs: list[Run]) -> str:
    return " vs ".join(r.target.system.name if r.target.system else r.target.chip.name for r in runs)


def time_table(model: Model, runs: list[Run], tokens_text: str) -> Table:
    prec = runs[0].precision.upper()
    inverse = any(r.implied for r in runs)
    what = "Implied utilisation from the reported budget" if inverse else "Time and energy"
    t = Table(f"{what}: {model.name}, {tokens_text} tokens, {prec} dense peak; {_title_targets(runs)}",
              [r.target.id for r in runs], key="train.time")
    t.add("accelerator", "accelerator", "", [r.target.chip.id for r in runs])
    t.add("chips", "chips", "", [r.target.chips if r.target.chips is not None else "not given" for r in runs])
    t.add("peak", f"{prec} dense peak per chip", "TFLOPS", [r.peak for r in runs])
    if inverse:
        t.add("budget", "reported budget (chip-hours)", "h", [r.budget_hours for r in runs])
        t.add("mfu", "implied MFU = FLOPs / (chip-hours x peak)", "%", [r.mfu for r in runs])
        t.add("verdict", "implied MFU verdict", "", [plausible(r.mfu) for r in runs])
    else:
        t.add("mfu", "MFU (model FLOPs utilisation)", "%", [r.mfu for r in runs])
    t.add("sustained", "sustained model compute (chips x peak x MFU)", "PFLOPS", [r.sustained for r in runs])
    t.add("time", "wall-clock time" + (" (chip-hours / chips)" if inverse else " = FLOPs / (chips x peak x MFU)"), "day",
          [r.time for r in runs])
    if not inverse:
        t.add("chip_hours", "chip-hours (chips x time)", "h", [r.hours for r in runs])
    t.add("energy_tdp", "energy at chip TDP (chip-hours x TDP)", "MWh", [r.energy_tdp for r in runs])
    t.add("energy_allin", "energy at all-in system power share", "MWh",
          [r.energy_allin if r.target.system is not None else Cell(text="no system") for r in runs])
    t.notes.append("All-in energy uses the system's reported power (else the bottom-up sum of its parts) divided by its "
                   "chips: CPUs, network, optics and, where the source includes them, cooling and conversion losses.")
    if inverse:
        t.notes.append("An implied MFU above 100 % is impossible: the budget, the token count, the precision or the peak "
                       "figure is wrong. Low-precision (FP8) training is measured against the precision chosen with --precision.")
    return t


def comm_table(runs: list[Run]) -> Table:
    t = Table("Data-parallel gradient all-reduce per optimizer step (plain ring estimate)", [r.target.id for r in runs],
              key="train.comm")
    c = [r.comm for r in runs]
    t.add("grad_bytes", "gradient bytes (params_total x gradient bytes)", "GB", [x.grad_bytes for x in c])
    t.add("sent", "sent per chip, 2 (N-1)/N x gradient bytes", "GB", [x.sent_per_chip for x in c])
    for kind in ("scale-up", "scale-out"):
        t.add(f"bw_{kind}", f"{kind} bandwidth per chip, per direction", "GB/s",
              [_link_bw(r, kind) for r in runs])
        t.add(f"time_{kind}", f"all-reduce time at {kind} bandwidth", "s", [x.time_at.get(kind) for x in c])
    t.add("compute", "compute time per step (batch tokens x FLOPs/token / sustained)", "s", [x.compute_step for x in c])
    t.add("link", "bottleneck link", "", [x.link.name if x.link else "n/a" for x in c])
    t.add("share", "communication share of a step (no overlap)", "%", [x.share for x in c])
    t.notes.append("Assumptions of this estimate: every parameter's gradient is all-reduced once per step of "
                   "train_global_batch_tokens tokens (plain data parallelism; expert, tensor or pipeline parallelism "
                   "would move fewer bytes per chip, so read it as an upper bound); a flat ring at "
                   "train_allreduce_efficiency of the per-direction link bandwidth; no overlap with compute. The ring "
                   "is limited by the scale-up link when all chips sit in one scale-up domain of a system, else by the "
                   "scale-out link. A bare chip without a network figure borrows the tier of a catalog system built from it "
                   "(named in the row); with no scale-out figure at all the scale-up link is used, which is optimistic.")
    return t


def _link_bw(r: Run, kind: str):
    ln = links(r.target).get(kind)
    return None if ln is None else ln.bandwidth


def memory_table(runs: list[Run]) -> Table:
    t = Table("Memory per chip (weights, gradients and optimizer state fully sharded over the chips)",
              [r.target.id for r in runs], key="train.memory")
    m = [r.mem for r in runs]
    t.add("bpp", "bytes per parameter (weights + gradients + optimizer)", "B", [x.bytes_per_param for x in m])
    t.add("state", "training state, all chips (params_total x bytes)", "TB", [x.state_total for x in m])
    t.add("state_pc", "training state per chip", "GB", [x.state_per_chip for x in m])
    t.add("act", "activations per chip", "GB", [x.activations for x in m])
    t.add("per_chip", "total per chip", "GB", [x.per_chip for x in m])
    t.add("usable", "usable HBM per chip", "GB", [x.usable for x in m])
    t.add("fits", "fits?", "", [("yes" if x.fits else "NO") if x.fits is not None else "n/a" for x in m])
    t.add("fewest", "fewest chips that fit", "",
          [x.fewest_chips if x.fewest_chips is not None else "n/a" if x.usable is None else "none: activations exceed HBM"
           for x in m])
    t.notes.append("Activations per chip = micro-batch sequences x sequence length x hidden x (layers x kept bytes + "
                   "one layer's working bytes); fewest chips = ceil(state / (usable HBM - activations)).")
    return t
