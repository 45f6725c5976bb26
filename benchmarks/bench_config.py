"""One configuration (decode + prefill) in process and one-shot `latency` on the command line, against
llm-analysis 0.2.2 on the same machine in the same run (issue 12).

Run by hand: `OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_config.py`. The first run installs
llm-analysis 0.2.2 (pip, ~1 min) into `benchmarks/.venv-llm-analysis` (git-ignored).

Workload: a 70B dense model on 8 x H100 SXM, TP8, batch 32 per GPU, 4,096-token context: chipcalc's
`llama-3.1-70b` on `h100-sxm` (BF16), llm-analysis's `upstage_Llama-2-70b-instruct-v2` on `h100-sxm-80gb`
(its `infer` with seq_len 4096 and one generated token: prefill and one decode step). The models differ
(GQA, vocabulary) but each tool does the same job: one decode and one prefill estimate.

Measured, in interleaved rounds (each round runs every measurement once; medians over rounds):
- chipcalc in process, three ways: SI values with each output's provenance set (the compiled path's
  output); the same as Figures (pint quantity, provenance, low/high range); and `request.run`, the whole
  library call `chipcalc latency` makes (hardware, layout search, decode, prefill, memory fit);
- llm-analysis in process (`llm_analysis.analysis.infer`, timed in its own venv by a child process);
- cold processes: `chipcalc latency h100-sxm llama-3.1-70b --chips 8 --tp 8 --batch 32 --context 4096`
  vs `python -m llm_analysis.analysis infer ...` with the same set-up.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
LA_VENV = HERE / ".venv-llm-analysis"
LA_PY = LA_VENV / "bin" / "python"
PY = sys.executable
CHIPCALC = shutil.which("chipcalc", path=str(Path(PY).parent)) or "chipcalc"
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "9"))
CALLS = 2000  # in-process calls per round (median per call)

LA_ARGS = dict(model_name="upstage_Llama-2-70b-instruct-v2", gpu_name="h100-sxm-80gb", tp_size=8,
               batch_size_per_gpu=32, seq_len=4096, num_tokens_to_generate=1, log_level="ERROR")
LA_TIMER = f"""
import statistics, time
from llm_analysis.analysis import infer
kw = {LA_ARGS!r}
infer(**kw)
ts = []
for _ in range(300):
    t = time.perf_counter(); infer(**kw); ts.append(time.perf_counter() - t)
print(statistics.median(ts))
"""
CC_CLI = [CHIPCALC, "latency", "h100-sxm", "llama-3.1-70b", "--chips", "8", "--tp", "8", "--batch", "32", "--context", "4096"]
LA_CLI = [str(LA_PY), "-m", "llm_analysis.analysis", "infer"] + [f"--{k}={v}" for k, v in LA_ARGS.items()]


def ensure_llm_analysis() -> None:
    if LA_PY.exists():
        return
    subprocess.run([PY, "-m", "venv", str(LA_VENV)], check=True)
    subprocess.run([str(LA_PY), "-m", "pip", "install", "-q", "llm-analysis==0.2.2"], check=True)


def chipcalc_calls():
    """Three in-process calls on one configuration, set up once (catalog, hardware, layout)."""
    from chipcalc.calc import serving as L
    from chipcalc.calc.serving import phases
    from chipcalc.calc.serving.hardware import hardware
    from chipcalc.calc.serving.request import Request, run
    from chipcalc.calc.serving.search import auto_layout
    from chipcalc.catalog.store import load_checked

    cat = load_checked(None)
    kn = L.knobs(cat)
    model, target = cat.model("llama-3.1-70b"), cat.target("h100-sxm")
    hw = hardware(target, "bf16", "package", kn)
    lay = auto_layout(model, hw, kn, 32, 4096, "bf16", 8, 8, None, 0)
    req = Request(batches=(32,), contexts=(4096,), chips=8, tp=8)

    def values():  # SI values and each output's provenance
        d = phases.decode(model, hw, lay, kn, 32, 4096)
        p = phases.prefill(model, hw, lay, kn, 4096)
        return (d.out.values["tpot"], d.out.syms["tpot"].prov, d.out.values["per_chip"], d.out.syms["per_chip"].prov,
                p.out.values["ttft"], p.out.syms["ttft"].prov)

    def figures():  # Figures: pint quantity, provenance, low/high range
        d = phases.decode(model, hw, lay, kn, 32, 4096)
        p = phases.prefill(model, hw, lay, kn, 4096)
        return d.tpot, d.per_chip, p.ttft

    def library():  # what `chipcalc latency` computes, from the catalog records down
        case = run(cat, model, [target], req, kn)[0]
        return case.dec.tpot, case.pre.ttft

    v, f = values(), figures()
    assert abs(v[0] * 1e3 - f[0].m("ms")) <= 1e-9 * abs(v[0] * 1e3), "values and Figures disagree"
    return {"values + provenance": values, "Figures with ranges": figures, "request.run (library)": library}


def per_call(fn) -> float:
    ts = []
    for _ in range(CALLS):
        t = time.perf_counter()
        fn()
        ts.append(time.perf_counter() - t)
    return statistics.median(ts)


def cold(cmd: list[str]) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t


def main() -> None:
    ensure_llm_analysis()
    calls = chipcalc_calls()
    cold(CC_CLI), cold(LA_CLI)  # warm caches (pint's, chipcalc's catalog, the OS's)
    times: dict[str, list[float]] = {k: [] for k in [*calls, "llm-analysis infer()", "cli chipcalc", "cli llm-analysis"]}
    for _ in range(ROUNDS):
        for name, fn in calls.items():
            times[name].append(per_call(fn))
        out = subprocess.run([str(LA_PY), "-c", LA_TIMER], capture_output=True, text=True, check=True).stdout
        times["llm-analysis infer()"].append(float(out.split()[-1]))
        times["cli chipcalc"].append(cold(CC_CLI))
        times["cli llm-analysis"].append(cold(LA_CLI))
    med = {k: statistics.median(v) for k, v in times.items()}
    la = med["llm-analysis infer()"]
    print(f"medians of {ROUNDS} interleaved rounds\n")
    print("| one configuration, in process | time per call | vs llm-analysis | target |")
    print("|---|---|---|---|")
    for name in calls:
        target = "<= 0.1 ms, faster than llm-analysis" if name == "values + provenance" else ""
        print(f"| chipcalc, {name} | {med[name] * 1e3:.3f} ms | {med[name] / la:.2f}x | {target} |")
    print(f"| llm-analysis 0.2.2 `infer()` | {la * 1e3:.3f} ms | 1.00x | |")
    cc, lc = med["cli chipcalc"], med["cli llm-analysis"]
    print("\n| one-shot CLI | wall | ratio | target |")
    print("|---|---|---|---|")
    print(f"| `{' '.join(['chipcalc'] + CC_CLI[1:])}` | {cc * 1e3:.0f} ms | {cc / lc:.2f}x | <= 0.7x |")
    print(f"| `python -m llm_analysis.analysis infer ...` | {lc * 1e3:.0f} ms | 1.00x | |")


if __name__ == "__main__":
    main()
