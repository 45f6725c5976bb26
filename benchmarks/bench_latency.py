"""The vectorised latency model over 10^6 grid points, against the same formulas in plain numpy
(no units, no provenance) and against a per-point Python loop.

Run by hand: `.venv/bin/python benchmarks/bench_latency.py`. Targets (issue 5): units cost at most
2x (chipcalc >= 0.5x plain numpy's points/s) and >= 100x a per-point loop. The plain-numpy version
is checked against chipcalc's result point by point before anything is timed, so it really is the
same formulas.

Workload: Llama-3.1-70B decode on 8 x H20 (TP8, FP8 weights, BF16 KV), batch 1..1000 x context
1k..1000k tokens (step 1k): 10^6 points.
"""

from __future__ import annotations

import statistics
import time

import numpy as np

from chipcalc.calc import serving as L
from chipcalc.calc import workload
from chipcalc.catalog.store import load_checked

N_LOOP = 300  # points timed in the per-point loop (its rate is what matters)


def setup():
    cat = load_checked(None)
    model, chip = cat.model("llama-3.1-70b"), cat.chip("h20")
    kn = L.knobs(cat)
    hw = L.hardware(chip, "fp8", "package", kn)
    lay = L.layout(model, hw, 8, tp=8)
    b = np.arange(1, 1001)
    c = np.arange(1, 1001) * 1024
    B, C = np.meshgrid(b, c, indexing="ij")
    return cat, model, hw, lay, kn, B.ravel(), C.ravel()


def chipcalc_tpot(model, hw, lay, kn, B, C):
    return L.decode(model, hw, lay, kn, B, C, "bf16").tpot.q.m_as("ms")


def nominal_only(hw, kn):
    """The same inputs without their low/high ranges (units and provenance kept)."""
    from dataclasses import fields, replace

    from chipcalc.core.figure import Figure

    pin = lambda f: Figure(f.q, f.prov, label=f.label) if isinstance(f, Figure) else f  # noqa: E731
    kn2 = replace(kn, **{f.name: pin(getattr(kn, f.name)) for f in fields(kn)})
    up = replace(hw.up, bandwidth=pin(hw.up.bandwidth), latency=pin(hw.up.latency)) if hw.up else None
    hw2 = replace(hw, peak=pin(hw.peak), peak_attn=pin(hw.peak_attn), hbm_bw=pin(hw.hbm_bw), hbm_cap=pin(hw.hbm_cap), up=up)
    return hw2, kn2


def constants(model, hw, lay, kn):
    """The model's inputs as SI floats, read once (what a units-free implementation would hold)."""
    def si(f, u):
        if hasattr(f, "q"):
            return float(f.q.m_as(u))
        return float(f.m_as(u)) if hasattr(f, "m_as") else float(f)

    p = workload.params(model)
    w = float(workload.element_bytes(hw.precision).m_as("B"))
    act = float(workload.element_bytes(L.ACT_PRECISION).m_as("B"))
    tp = lay.tp
    kv_tok = si(workload.kv_bytes_per_token(model, "bf16"), "B") * tp / L.kv_shard(model, tp)
    return {
        # FP8: the output head is a kind of its own, in BF16 (embedding_weight_bytes) at the BF16 peak
        "nrm": si(p.non_routed_matmul, "") - si(p.embed_out, ""),
        "nr_bytes": (si(p.non_routed, "") - si(p.embed_in, "") - si(p.embed_out, "")) / tp * w,
        "head": si(p.embed_out, ""), "head_bytes": si(p.embed_out, "") / tp * si(kn.emb_w, "B"),
        "peak": si(hw.peak, "FLOP/s") * si(kn.mfu, ""), "peak_a": si(hw.peak_attn, "FLOP/s") * si(kn.mfu, ""),
        "bw": si(hw.hbm_bw, "B/s") * si(kn.mbu, ""),
        "attn1": si(workload.attention_flops_per_token(model, 1, "decode"), "FLOP"),
        "kv_tok": kv_tok, "h": si(workload.fig(model, "hidden_size"), ""), "act": act, "tp": tp,
        "link": si(hw.up.bandwidth, "B/s") * si(kn.link, ""), "lat": si(hw.up.latency, "s"),
        "coll": si(kn.collective, "s"), "layers": si(workload.fig(model, "layers"), ""),
        "layer_ov": si(kn.layer, "s"),
        "weights": si(L.memory(model, hw, lay, kn, 1, 1, "bf16").weights, "B"),
        "usable": si(hw.hbm_cap, "B") * si(kn.usable, ""),
    }


def plain_tpot(k, B, C):
    """Dense-model decode TPOT in plain numpy: the same formulas as chipcalc.calc.serving.step."""
    b = B.astype(float)
    ctx = C.astype(float)
    c1 = 2 * k["nrm"] * b / k["peak"]
    m1 = k["nr_bytes"] / k["bw"]
    c2 = 2 * k["head"] * b / k["peak_a"]  # peak_a: the BF16 peak (BF16 KV keeps attention in BF16 too)
    m2 = k["head_bytes"] / k["bw"]
    c3 = k["attn1"] * ctx * b / k["peak_a"]
    m3 = k["kv_tok"] * b * ctx / k["bw"]
    t = k["tp"]
    msg = k["h"] * k["act"] * b * t * (2 * (t - 1) / t)
    comm = (msg / k["link"] + k["lat"] * 2 + k["coll"]) * (2 * k["layers"])
    overhead = k["layer_ov"] * k["layers"]
    time_s = np.maximum(c1, m1) + np.maximum(c2, m2) + np.maximum(c3, m3) + comm + overhead
    # everything else chipcalc's decode returns: tokens/s, the binding resource, the memory fit
    tokens_per_s = b / time_s
    c_share = np.where(c1 >= m1, c1, 0.0) + np.where(c2 >= m2, c2, 0.0) + np.where(c3 >= m3, c3, 0.0)
    m_share = np.where(c1 >= m1, 0.0, m1) + np.where(c2 >= m2, 0.0, m2) + np.where(c3 >= m3, 0.0, m3)
    shares = np.broadcast_arrays(c_share, m_share, comm, overhead + 0 * c_share)
    bound = np.array(["compute", "memory", "communication", "overhead"])[np.argmax(np.stack(shares), axis=0)]
    fits = k["weights"] + k["kv_tok"] * ctx * b <= k["usable"]
    return time_s * 1e3, tokens_per_s, bound, fits


def best_of(fn, repeat=3):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    cat, model, hw, lay, kn, B, C = setup()
    n = B.size
    ours = chipcalc_tpot(model, hw, lay, kn, B, C)
    k = constants(model, hw, lay, kn)
    plain = plain_tpot(k, B, C)[0]
    np.testing.assert_allclose(ours, plain, rtol=1e-9)  # the same formulas
    t_ours = best_of(lambda: chipcalc_tpot(model, hw, lay, kn, B, C))
    hw0, kn0 = nominal_only(hw, kn)
    np.testing.assert_allclose(chipcalc_tpot(model, hw0, lay, kn0, B, C), plain, rtol=1e-9)
    t_nom = best_of(lambda: chipcalc_tpot(model, hw0, lay, kn0, B, C))
    t_plain = best_of(lambda: plain_tpot(k, B, C))
    idx = np.linspace(0, n - 1, N_LOOP).astype(int)
    t = time.perf_counter()
    loop = [float(chipcalc_tpot(model, hw, lay, kn, np.array([B[i]]), np.array([C[i]]))[0]) for i in idx]
    t_loop = (time.perf_counter() - t) / N_LOOP * n
    np.testing.assert_allclose(loop, ours[idx], rtol=1e-9)
    rate = lambda s: n / s  # noqa: E731
    print(f"| implementation | 10^6 points | points/s | vs chipcalc |")
    print(f"|---|---|---|---|")
    print(f"| chipcalc (pint arrays, provenance, low/high ranges, memory fit, binding resource) | {t_ours:.3f} s | {rate(t_ours):.3g} | 1.00x |")
    print(f"| chipcalc, nominal values only (pint arrays, provenance, memory fit) | {t_nom:.3f} s | {rate(t_nom):.3g} | {t_nom / t_ours:.2f}x the time |")
    print(f"| plain numpy, SI floats, same formulas | {t_plain:.3f} s | {rate(t_plain):.3g} | {t_plain / t_ours:.2f}x the time |")
    print(f"| per-point Python loop over chipcalc (extrapolated from {N_LOOP}) | {t_loop:.0f} s | {rate(t_loop):.3g} | {t_loop / t_ours:,.0f}x the time |")
    print(f"\nchipcalc nominal / plain numpy throughput: {t_plain / t_nom:.2f}; with ranges: {t_plain / t_ours:.2f} (target >= 0.5); "
          f"chipcalc / loop: {t_loop / t_ours:,.0f}x (target >= 100x)")


if __name__ == "__main__":
    main()
