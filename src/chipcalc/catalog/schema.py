"""The catalog schema in one place: which fields exist, what dimension each has, what it means.

The loader, ``chipcalc validate`` and the docs read this module.
"""

from __future__ import annotations

import re

PRECISIONS = ("fp64", "fp32", "tf32", "bf16", "fp16", "fp8", "int8", "fp4")
SPARSITY = ("dense", "sparse")
SOURCE_KINDS = ("official", "paper", "analyst", "press")

#: Non-compute chip figures: name -> (dimension, description, display unit)
CHIP_FIGURES: dict[str, tuple[str, str, str]] = {
    "dies": ("count", "compute dies per package", ""),
    "hbm_capacity": ("information", "HBM capacity", "GB"),
    "hbm_bandwidth": ("bandwidth", "HBM bandwidth", "TB/s"),
    "scaleup_bandwidth": ("bandwidth", "scale-up bandwidth per chip, per direction", "GB/s"),
    "scaleout_bandwidth": ("bandwidth", "scale-out bandwidth per chip, per direction", "GB/s"),
    "die_to_die_bandwidth": ("bandwidth", "die-to-die bandwidth, per direction", "GB/s"),
    "tdp": ("power", "chip power (TDP)", "W"),
}

_COMPUTE = re.compile(r"^(%s)_(%s)$" % ("|".join(PRECISIONS), "|".join(SPARSITY)))


def compute_name(precision: str, sparsity: str = "dense") -> str:
    return f"{precision}_{sparsity}"


def parse_compute_name(name: str) -> tuple[str, str] | None:
    m = _COMPUTE.match(name)
    return (m.group(1), m.group(2)) if m else None


def compute_unit(precision: str) -> str:
    """Integer precisions are quoted in OPS, floating-point ones in FLOPS."""
    return "TOPS" if precision.startswith("int") else "TFLOPS"


def chip_field(name: str) -> tuple[str, str, str] | None:
    """(dimension, description, display unit) of a chip figure, or None if unknown."""
    if name in CHIP_FIGURES:
        return CHIP_FIGURES[name]
    pc = parse_compute_name(name)
    if pc:
        p, s = pc
        return ("compute", f"{p.upper()} {s} peak", compute_unit(p))
    return None


#: Where a record stands, and the date that status refers to (``status_date``, YYYY-MM[-DD]).
STATUSES = ("announced", "sampling", "shipping")
#: Record-level keys that say where a chip or system stands (catalog/meta.py parses them).
STATUS_META = {"status", "status_date", "status_source", "status_detail"}
#: What a vendor's headline count of a system counts (``marketed_count.counts``).
MARKETED_COUNTS = ("dies", "packages")

CHIP_META = {"id", "name", "vendor", "year", "notes", "kind"} | STATUS_META

#: System-level figures.
SYSTEM_FIGURES: dict[str, tuple[str, str, str]] = {
    "chips": ("count", "accelerators in the system", ""),
    "power": ("power", "all-in system power", "kW"),
}
SYSTEM_META = {"id", "name", "vendor", "chip", "year", "notes", "tier", "part", "reported",
               "marketed_count", "layout"} | STATUS_META
#: ``[layout]`` of a system: how its chips sit in nodes and cabinets (counts, each sourced).
LAYOUT_FIGURES = {
    "cabinets": "cabinets (racks) in all",
    "compute_cabinets": "cabinets holding accelerators",
    "network_cabinets": "cabinets holding only switches (bus, communications)",
    "nodes": "servers (nodes) holding accelerators",
    "chips_per_node": "accelerator packages per node",
}
TIER_FIGURES = {
    "size": ("count", "chips in one domain of this tier", ""),
    "bandwidth": ("bandwidth", "bandwidth per chip, per direction", "GB/s"),
    "latency": ("time", "one-way latency", "us"),
}
TIER_KINDS = ("scale-up", "scale-out")
PART_FIGURES = {
    "count": ("count", "number of units", ""),
    "power": ("power", "power per unit", "W"),
    # a host CPU's own memory and its link to the accelerators attached to it (KV offload reads them);
    # the serving model shares each evenly among the system's accelerators (count x figure / chips)
    "memory": ("information", "memory per unit (a host CPU's DRAM)", "GB"),
    "memory_bandwidth": ("bandwidth", "memory bandwidth per unit", "GB/s"),
    "link_bandwidth": ("bandwidth", "bandwidth of the unit's link to its accelerators, per direction", "GB/s"),
}

#: Fields of a figure table.
FIGURE_KEYS = {"value", "source", "assumption", "detail", "per", "direction", "low", "high", "alternatives",
               "reading"}
#: A compute figure whose source does not say dense or sparse carries ``reading = "dense: <why>"``
#: (or "sparse: ..."): the reading chipcalc took, added to the figure as a named assumption.
READINGS = SPARSITY

#: Model-card figures: name -> (dimension, description). Counts unless stated.
MODEL_FIGURES: dict[str, tuple[str, str]] = {
    "params_total": ("count", "total parameters"),
    "params_active": ("count", "parameters active per token"),
    "layers": ("count", "transformer layers"),
    "dense_layers": ("count", "layers with a dense FFN"),
    "moe_layers": ("count", "layers with an MoE FFN"),
    "hidden_size": ("count", "hidden size"),
    "attention_heads": ("count", "attention (query) heads"),
    "kv_heads": ("count", "key/value heads"),
    "head_dim": ("count", "head dimension"),
    "intermediate_size": ("count", "dense FFN intermediate size"),
    "moe_intermediate_size": ("count", "expert FFN intermediate size"),
    "vocab_size": ("count", "vocabulary size"),
    "routed_experts": ("count", "routed experts per MoE layer"),
    "shared_experts": ("count", "shared experts per MoE layer"),
    "experts_per_token": ("count", "routed experts per token (top-k)"),
    "q_lora_rank": ("count", "MLA query compression rank"),
    "kv_lora_rank": ("count", "MLA KV compression rank"),
    "qk_nope_head_dim": ("count", "MLA non-rotary head dim"),
    "qk_rope_head_dim": ("count", "MLA rotary head dim"),
    "v_head_dim": ("count", "MLA value head dim"),
    "mtp_modules": ("count", "multi-token-prediction modules"),
    "routing_groups": ("count", "expert groups of group-limited routing"),
    "routing_group_limit": ("count", "groups a token may be routed to (group-limited routing)"),
    "max_context": ("count", "maximum context length (tokens)"),
    "kv_cache_per_token": ("information", "KV cache per token, as published"),
    "fp4_attention_bytes": ("information", "attention weights at FP4: bytes each, as the FP4 checkpoint keeps them "
                                           "(1 B: kept in FP8, 2 B: kept in BF16)"),
}
MODEL_META = {"id", "name", "vendor", "architecture", "attention", "notes", "year"}

#: Named assumptions (specs/assumptions*.toml): name -> (dimension, largest allowed value, what it is).
#: Every value, low, high and alternative must have the dimension and lie in (0, largest]; a count is a
#: whole number >= 1; a fraction lies in (0, 1]. A name not listed here is a misspelling (or a new
#: assumption: declare it here first). ``--set`` is checked against the same table.
ASSUMPTIONS: dict[str, tuple[str, str, str]] = {
    # serving (chipcalc latency, sweep, check --system ...)
    "mfu": ("fraction", "1", "fraction of peak compute achieved in compute-bound kernels"),
    "mbu": ("fraction", "1", "fraction of HBM bandwidth achieved in memory-bound kernels"),
    "link_efficiency": ("fraction", "1", "fraction of link bandwidth achieved in collectives"),
    "scaleup_latency": ("time", "1 ms", "one-way latency of a scale-up hop"),
    "scaleout_latency": ("time", "1 ms", "one-way latency of a scale-out hop"),
    "collective_overhead": ("time", "10 ms", "fixed software cost of one collective call"),
    "layer_overhead": ("time", "10 ms", "time per layer per step outside the roofline terms"),
    "hbm_usable": ("fraction", "1", "fraction of HBM capacity usable for weights and KV cache"),
    "mtp_acceptance": ("fraction", "1", "probability that a speculative token is accepted"),
    "default_batch": ("count", "1e7", "sequences per chip when --batch is not given"),
    "default_context": ("count", "1e9", "context length in tokens when --context is not given"),
    "mtp_drafts_per_module": ("count", "64", "speculative tokens per step one MTP module is chained to draft"),
    "comm_exposed_decode": ("fraction", "1", "share of a decode step's communication left exposed"),
    "comm_exposed_prefill": ("fraction", "1", "share of a prefill step's communication left exposed"),
    "alltoall_overhead": ("time", "10 ms", "fixed cost of one expert-parallel dispatch or combine"),
    "expert_imbalance": ("number", "1000", "routed tokens on the busiest expert-parallel rank over the mean"),
    "serving_workspace": ("information", "1 TB", "HBM per rank for buffers, workspace and graphs"),
    "activation_factor": ("number", "1000", "live activation bytes of one token, in hidden sizes x 2 bytes"),
    "prefill_chunk_tokens": ("count", "1e9", "prompt tokens one chunked-prefill forward pass processes"),
    "fp4_weight_bytes": ("information", "1 B", "bytes per FP4 weight, its block scales included"),
    "embedding_weight_bytes": ("information", "4 B", "bytes per weight of the embedding table and output head when the GEMMs are quantized"),
    "fp8_attention_speedup": ("number", "2", "attention with FP8 KV (and an FP8 tensor peak) over BF16 attention"),
    "host_memory_usable": ("fraction", "1", "fraction of host memory usable for offloaded KV cache"),
    # training (chipcalc train)
    "train_mfu": ("fraction", "1", "model FLOPs utilisation of training"),
    "train_seq_len": ("count", "1e9", "training sequence length in tokens"),
    "train_attention_causal_fraction": ("fraction", "1", "share of the attention square that is computed"),
    "train_weight_bytes_per_param": ("information", "64 B", "bytes of the working weights per parameter"),
    "train_gradient_bytes_per_param": ("information", "64 B", "bytes of gradients per parameter"),
    "train_optimizer_bytes_per_param": ("information", "64 B", "bytes of optimizer state per parameter"),
    "train_activation_checkpoint_bytes": ("information", "1 kB", "activation bytes kept per token, layer and hidden unit"),
    "train_activation_working_bytes": ("information", "1 kB", "activation bytes per token and hidden unit being recomputed"),
    "train_microbatch_sequences": ("count", "1e6", "sequences in flight per chip"),
    "train_hbm_usable_fraction": ("fraction", "1", "fraction of HBM capacity usable in training"),
    "train_global_batch_tokens": ("tokens", "1e12 token", "tokens per optimizer step"),
    "train_allreduce_efficiency": ("fraction", "1", "fraction of link bandwidth an all-reduce achieves"),
}


#: Assumptions that are ratios of a larger thing to a smaller one: below 1 they mean nothing (the busiest rank
#: cannot carry less than the mean; FP8 attention is not slower than BF16 in this model).
AT_LEAST_ONE = {"expert_imbalance", "fp8_attention_speedup"}


def allowed(name: str) -> str:
    """What an assumption may be, for messages: 'a fraction in (0, 1]', 'a time in (0, 10 ms]', ..."""
    dim, top, _ = ASSUMPTIONS[name]
    if name in AT_LEAST_ONE:
        return f"a plain number in [1, {top}]"
    if dim == "fraction":
        return "a fraction in (0, 1]"
    if dim == "count":
        return f"a whole number from 1 to {float(top):g}"
    word = {"time": "a time", "information": "an amount of bytes", "tokens": "a number of tokens",
            "number": "a plain number"}.get(dim, f"a {dim}")
    return f"{word} in (0, {top}]"
