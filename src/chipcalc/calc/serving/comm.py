"""Communication of one step, per rank, written once for every number type (see :mod:`.values`).

* TP all-reduce: two-shot (reduce-scatter then all-gather), 2(t-1)/t of the message per rank and two
  latency hops, over the scale-up tier (or the scale-out share of a group that spans domains).
* EP all-to-all, as engines do it: dispatch at the GEMM precision when it is 8-bit or less, combine at
  BF16. Within one scale-up domain every top-k copy goes over scale-up. When the EP group spans several
  domains (nodes), each token is deduplicated per destination node before the scale-out hop and forwarded
  inside that node over scale-up (DeepEP, CloudMatrix); node- (group-) limited routing caps the nodes a
  token visits (DeepSeek-V3: 4 of 8 groups). The expected number of distinct nodes a token's k copies hit
  among n is n(1 - (1 - 1/n)^k); the busiest rank sends and receives ``expert_imbalance`` times the mean.

* PP stage-to-stage transfers (:func:`pipeline`): a micro-batch's activations, hidden x BF16 bytes per
  token, each rank of a stage sending its TP slice of the micro-batch's tokens to its peer in the next
  stage, over scale-up for a hop inside one domain and over scale-out for a hop across domains.

Each collective pays its link latency per hop plus a fixed software cost: ``collective_overhead`` for a TP
all-reduce and for a stage-to-stage send (a point-to-point call costs the same launch and synchronisation),
``alltoall_overhead`` for an EP dispatch or combine (quantisation, permutation, signalling). ``s`` is the layout's
:class:`~.formulas.Shape`, ``x`` the inputs.
"""

from __future__ import annotations

from typing import Any

from chipcalc.core.errors import UsageError


def collective(o: Any, x: Any, s: Any, group: int, nbytes: Any, hops: int, fixed: Any = None) -> Any:
    """Time of one collective moving ``nbytes`` per rank over a group of ``group`` ranks; ``fixed`` is its
    fixed software cost (default ``collective_overhead``)."""
    if x.up_bw is None:
        raise UsageError(f"{s.id} has no scale-up bandwidth figure; parallelism across chips needs one")
    if s.up_domain is None or group <= s.up_domain:
        wire = nbytes / (x.up_bw * x.link)
        lat = x.up_lat
    else:
        if x.out_bw is None:
            raise UsageError(f"a group of {group} ranks spans more than one scale-up domain of {s.id} and it has no scale-out tier")
        f_out = (group - s.up_domain) / (group - 1)
        wire = o.max(nbytes * (1 - f_out) / (x.up_bw * x.link), nbytes * f_out / (x.out_bw * x.link))
        lat = x.out_lat
    return wire + (lat * hops + (x.collective if fixed is None else fixed))


def all_to_all(o: Any, x: Any, s: Any, per_token: Any, tokens: Any) -> Any:
    """One EP dispatch or combine: ``per_token`` bytes per copy of a token, ``tokens`` tokens per rank."""
    e = s.ep
    if s.domains <= 1:  # every copy inside one scale-up domain
        return collective(o, x, s, e, per_token * x.k * ((e - 1) / e) * x.imbalance * tokens, hops=1, fixed=x.alltoall)
    if x.out_bw is None:
        raise UsageError(f"EP{e} spans {s.domains} scale-up domains of {s.id} and it has no scale-out tier")
    d, u = s.domains, s.up_domain
    nodes = x.group_limit * s.node_factor if s.group_limited else d  # the nodes a token may visit
    remote = o.spread(x.k, nodes) * ((d - 1) / d)  # distinct remote nodes per token, one copy each
    out_bytes = per_token * remote * x.imbalance * tokens
    up_bytes = per_token * x.k * ((u - 1) / u) * x.imbalance * tokens  # spread (and forwarded) inside the domain
    wire = o.max(up_bytes / (x.up_bw * x.link), out_bytes / (x.out_bw * x.link))
    return wire + (x.out_lat + x.alltoall)


def communication(o: Any, x: Any, s: Any, tokens: Any) -> Any:
    """TP all-reduce and EP all-to-all time per step per rank for ``tokens`` tokens per rank (None: none)."""
    parts = []
    if s.tp > 1:
        t = s.tp
        per_layer = 2 * x.dense_layers + x.moe_layers  # attention + dense FFN
        sent = x.hidden * x.act * t * (2 * (t - 1) / t)  # of the TP group's tokens, per token per rank
        parts.append(collective(o, x, s, t, sent * tokens, hops=2) * per_layer)
    if s.moe and s.ep > 1:
        dispatch = all_to_all(o, x, s, x.hidden * x.disp, tokens)
        combine = all_to_all(o, x, s, x.hidden * x.act, tokens)
        parts.append((dispatch + combine) * x.moe_layers)
    return o.total(parts) if parts else None


def pipeline(o: Any, x: Any, s: Any, tokens: Any) -> Any:
    """The PP - 1 stage-to-stage sends of one micro-batch of ``tokens`` tokens per rank through the slowest
    pipeline (None without PP): each hop moves hidden x activation bytes per token over the tier it crosses,
    plus that tier's latency and ``collective_overhead``."""
    if s.pp <= 1:
        return None
    sent = x.hidden * x.act * tokens  # per rank per hop
    parts = []
    if s.pp_up:
        parts.append((sent / (x.up_bw * x.link) + (x.up_lat + x.collective)) * s.pp_up)
    if s.pp_out:
        parts.append((sent / (x.out_bw * x.link) + (x.out_lat + x.collective)) * s.pp_out)
    return o.total(parts)
