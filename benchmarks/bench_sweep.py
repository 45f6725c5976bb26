"""Sweeps on the compiled path, against the same formulas written here in plain numpy (issue 12).

Run by hand: `OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_sweep.py [--quick]`.

Workload: Llama-3.1-70B decode on 8 x H20 (TP8, FP8 weights, BF16 KV) over a batch x context grid.
The plain-numpy version below is this benchmark's own transcription of chipcalc's decode formulas for a
dense model (calc/serving/formulas.py and comm.py) on SI floats — inputs read once from chipcalc's
lowered figures — and it is checked against chipcalc point by point (rtol 1e-9) before anything is timed.

Measured (medians of interleaved runs; each run of a grid below 1e7 points repeats it to about 1e7 points,
:func:`reps_for`): points/s of chipcalc's chunked sweep (TPOT, tokens/s per chip,
step time, binding resource, memory fit) and of plain numpy at 1e5, 1e6, 1e7 points; the summary
reduction at 1e7 and 1e8 points; peak RSS per point of `chipcalc sweep latency --summary` at 1e7 and 1e8
points (a child process each); `chipcalc sweep latency ... -f csv` of 1e6 points, wall time end to end.
"""

from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from chipcalc.calc import serving as L
from chipcalc.calc import sweep as sw
from chipcalc.catalog.store import load_checked

QUICK = "--quick" in sys.argv
ROUNDS = 3 if QUICK else 7
PY = sys.executable
CHIPCALC = str(Path(PY).parent / "chipcalc")


def prepared(n: int):
    """A grid of about ``n`` points: batches 1..nb x contexts (1k steps)."""
    cat = load_checked(None)
    kn = L.knobs(cat)
    nb = 1000
    nc = max(1, n // nb)
    b = np.arange(1, nb + 1, dtype=np.int64)
    c = np.arange(1, nc + 1, dtype=np.int64) * max(1, 130_000 // nc)  # within the model's 131,072 tokens
    return sw.prepare(cat.target("h20"), cat.model("llama-3.1-70b"), b, c, kn, precision="fp8", chips=8, tp=8)


def plain_constants(p: sw.Sweep) -> dict:
    x, s = p.setup.inputs("float"), p.shape
    t = s.tp
    return {
        # FP8: the output head is a kind of its own, in BF16 (embedding_weight_bytes) at the BF16 peak
        "nrm2": (x.nrm - x.head) * 2.0, "nr_bytes": (x.nrm - x.head) / t * x.w, "peak": x.peak * x.mfu,
        "head2": x.head * 2.0, "head_bytes": x.head / t * x.emb_w, "peak_h": x.peak_bf16 * x.mfu, "peak_a": x.peak_attn * x.mfu,
        "bw": x.hbm_bw * x.mbu, "attn": x.heads * (x.dqk_decode + x.dv_decode) * 2.0 * x.layers,
        "kv": x.kv_tok * (t / s.kv_shard), "sent": x.hidden * x.act * t * (2 * (t - 1) / t),
        "link": x.up_bw * x.link, "fixed": x.up_lat * 2 + x.collective, "per_layer": 2 * x.dense_layers + x.moe_layers,
        "exposed": x.exposed_decode, "overhead": x.layer * x.layers,
        "weights": (x.non_routed - x.emb_params) / t * x.w + x.emb_params / t * x.emb_w,
        "act": x.hidden * x.act * x.activation_factor, "usable": x.hbm_cap * x.usable, "workspace": x.workspace,
    }


def plain_chunk(k: dict, b: np.ndarray, c: np.ndarray):
    """Decode of a dense model on one TP group, the formulas of calc/serving written out in numpy."""
    c1, m1 = k["nrm2"] * b / k["peak"], k["nr_bytes"] / k["bw"]
    c2, m2 = k["head2"] * b / k["peak_h"], k["head_bytes"] / k["bw"]
    c3, m3 = k["attn"] * c * b / k["peak_a"], k["kv"] * (b * c) / k["bw"]
    work = np.maximum(c1, m1) + np.maximum(c2, m2) + np.maximum(c3, m3)
    comm = (k["sent"] * b / k["link"] + k["fixed"]) * k["per_layer"]
    time_s = work + np.maximum(comm * k["exposed"], comm - work) + k["overhead"]
    per_chip = b / time_s
    c_share = np.where(c1 >= m1, c1, 0.0) + np.where(c2 >= m2, c2, 0.0) + np.where(c3 >= m3, c3, 0.0)
    m_share = np.where(c1 >= m1, 0.0, m1) + np.where(c2 >= m2, 0.0, m2) + np.where(c3 >= m3, 0.0, m3)
    bound = np.argmax(np.stack(np.broadcast_arrays(c_share, m_share, comm, k["overhead"] + 0 * c_share)), axis=0)
    fits = k["weights"] + k["kv"] * c * b + k["act"] * b + k["workspace"] <= k["usable"]
    return time_s, per_chip, bound, fits


def plain_sweep(p: sw.Sweep, k: dict, chunk: int = sw.CHUNK) -> float:
    """The whole grid in chunks; returns a checksum so nothing is optimised away."""
    nc, total = len(p.contexts), 0.0
    for i0 in range(0, p.size, chunk):
        idx = np.arange(i0, min(i0 + chunk, p.size), dtype=np.int64)
        t, r, _, _ = plain_chunk(k, p.batches[idx // nc].astype(float), p.contexts[idx % nc].astype(float))
        total += float(r[-1])
    return total


def plain_sweep_blocks(p: sw.Sweep, k: dict, chunk: int = sw.CHUNK) -> float:
    """The same formulas on the same blocks as chipcalc's sweep (a batch column against a context row, or
    the other way round when contexts are fewer, so numpy evaluates a term of the batch alone once per
    batch): the fair plain-numpy counterpart."""
    total = 0.0
    for rs, cs, across in p.blocks(chunk):
        b, c = p.batches[rs].astype(float), p.contexts[cs].astype(float)
        b, c = (b[None, :], c[:, None]) if across else (b[:, None], c[None, :])
        t, r, _, _ = plain_chunk(k, b, c)
        total += float(np.broadcast_to(r, np.broadcast_shapes(b.shape, c.shape))[-1, -1])
    return total


def chipcalc_sweep(p: sw.Sweep) -> float:
    total = 0.0
    for ch in p.chunks():
        total += float(ch["per_chip"][-1, -1])
    return total


def check_same(p: sw.Sweep, k: dict) -> None:
    res = sw.collect(p)
    t, r, bound, fits = plain_chunk(k, res.batch.astype(float), res.context.astype(float))
    np.testing.assert_allclose(res.tpot_ms, t * 1e3, rtol=1e-9)
    np.testing.assert_allclose(res.tokens_per_chip, r, rtol=1e-9)
    assert np.array_equal(res.bound, bound) and np.array_equal(res.fits, fits)


def timed(fn, reps: int = 1) -> float:
    """Seconds per call of ``fn``, over ``reps`` calls in a row."""
    t = time.perf_counter()
    for _ in range(reps):
        fn()
    return (time.perf_counter() - t) / reps


def reps_for(n: int) -> int:
    """Calls per timing: about 1e7 points each, so a 1e5-point sweep (a few ms) is timed over 100 runs in a
    row instead of once, where the timer, the scheduler and whatever ran just before weigh on one short run."""
    return max(1, 10**7 // n)


def child_rss(args: list[str], env: dict | None = None) -> tuple[float, int]:
    """Wall time and peak RSS (bytes) of one child process (its own rusage, from wait4)."""
    t = time.perf_counter()
    p = subprocess.Popen(args, stdout=subprocess.DEVNULL, env={**(env or os.environ), "OPENBLAS_NUM_THREADS": "1"})
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode:
        raise subprocess.CalledProcessError(p.returncode, args)
    return wall, usage.ru_maxrss * 1024  # ru_maxrss is in KiB on Linux


def main() -> None:
    sizes = [10**5, 10**6] + ([] if QUICK else [10**7])
    preps = {n: prepared(n) for n in sizes}
    k = plain_constants(preps[sizes[0]])
    check_same(prepared(10**4), k)
    print("plain numpy and chipcalc agree point by point (rtol 1e-9)\n")
    times = {(n, w): [] for n in sizes for w in ("chipcalc", "plain", "plain-blocks")}
    for _ in range(ROUNDS):  # interleaved: each round runs everything once
        for n in sizes:
            times[(n, "chipcalc")].append(timed(lambda: chipcalc_sweep(preps[n]), reps_for(n)))
            times[(n, "plain")].append(timed(lambda: plain_sweep(preps[n], k), reps_for(n)))
            times[(n, "plain-blocks")].append(timed(lambda: plain_sweep_blocks(preps[n], k), reps_for(n)))
    print("| points | chipcalc points/s | plain numpy, flat points/s | plain numpy, blocks points/s | "
          "chipcalc / plain blocks | time per point vs 1e5 |")
    print("|---|---|---|---|---|---|")
    base = None
    for n in sizes:
        tc, tp, tb = (statistics.median(times[(n, w)]) for w in ("chipcalc", "plain", "plain-blocks"))
        per = tc / preps[n].size
        base = base or per
        print(f"| {preps[n].size:.0e} | {preps[n].size / tc:.3g} | {preps[n].size / tp:.3g} | {preps[n].size / tb:.3g} "
              f"| {tb / tc:.2f} | {per / base:.2f}x |")
    grid = {10**7: ("1:1000", "13:130000:13"), 10**8: ("1:10000", "13:130000:13")}
    print("\n| `sweep latency --summary` | points | wall | peak RSS | RSS per point |")
    print("|---|---|---|---|---|")
    for n, (bspec, cspec) in grid.items():
        if QUICK and n > 10**7:
            continue
        wall, rss = child_rss([CHIPCALC, "sweep", "latency", "h20", "llama-3.1-70b", "-p", "fp8", "--chips", "8", "--tp", "8",
                               "--batch", bspec, "--context", cspec, "--summary"])
        print(f"| {bspec} x {cspec} | {n:.0e} | {wall:.2f} s | {rss / 2**20:.0f} MiB | {rss / n:.1f} B |")
    csv_vs_baseline()


#: The code as issue 12 was filed (the parent of its first commit, 96d68d2): "today's time" of its CSV target.
BASELINE = "86e78be62780241cf80334c4cb2954ee01532291"
CSV_ARGS = ["sweep", "latency", "h20", "llama-3.1-70b", "-p", "fp8", "--chips", "8", "--tp", "8",
            "--batch", "1:1000", "--context", "130:130000:130", "-f", "csv", "--force", "-o"]


def csv_vs_baseline() -> None:
    """`sweep ... -f csv` of 1e6 points, end to end, interleaved with the same command of the baseline
    commit (its src and specs exported with git archive, run with PYTHONPATH on the same interpreter)."""
    repo = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as d:
        base = Path(d) / "base"
        base.mkdir()
        archive = subprocess.run(["git", "-C", str(repo), "archive", BASELINE, "src", "specs"], capture_output=True)
        have_base = archive.returncode == 0
        if have_base:
            subprocess.run(["tar", "-x", "-C", str(base)], input=archive.stdout, check=True)
        env = dict(os.environ, PYTHONPATH=str(base / "src"))
        now, then = [], []
        for _ in range(max(1, ROUNDS // 2)):
            now.append(child_rss([CHIPCALC, *CSV_ARGS, str(Path(d) / "now.csv")]))
            if have_base:
                then.append(child_rss([PY, "-m", "chipcalc", *CSV_ARGS, str(Path(d) / "then.csv")], env=env))
        same = _compare(Path(d) / "now.csv", Path(d) / "then.csv") if have_base else ""
    med = lambda xs, i: statistics.median(x[i] for x in xs)  # noqa: E731
    print(f"\n`sweep latency ... -f csv` of 1e6 points (medians of {len(now)} interleaved runs):")
    print("\n| code | wall | peak RSS |\n|---|---|---|")
    print(f"| now | {med(now, 0):.2f} s | {med(now, 1) / 2**20:.0f} MiB |")
    if then:
        print(f"| {BASELINE[:7]} (as issue 12 was filed) | {med(then, 0):.2f} s | {med(then, 1) / 2**20:.0f} MiB |")
        print(f"\nratio now / then: {med(now, 0) / med(then, 0):.2f}x (target <= 0.3x); "
              f"the two files: {same}")
    else:
        print("(the baseline commit is not in this clone: no ratio)")


def _compare(a: Path, b: Path) -> str:
    """How the two CSVs' rows compare: numbers to rtol 1e-9, other columns as text."""
    import csv

    num = text = rows = 0
    with a.open() as fa, b.open() as fb:
        ra, rb = csv.reader(fa), csv.reader(fb)
        head = next(ra)
        next(rb)
        for x, y in zip(ra, rb):
            rows += 1
            for name, u, v in zip(head, x, y):
                if u == v:
                    continue
                if name in ("binding", "fits_in_hbm"):
                    text += 1
                elif not np.isclose(float(u), float(v), rtol=1e-9, atol=0):
                    num += 1
    return (f"{rows:,} rows; numbers differing beyond rtol 1e-9: {num:,}; binding/fits_in_hbm cells differing: "
            f"{text:,} (the memory fit counts activations and workspace since 7dfab8c)")


if __name__ == "__main__":
    main()
