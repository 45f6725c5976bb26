"""The Pareto search: layouts x batches per second, in process and as a one-shot CLI (issue 13's target:
one target over >= 1e5 layout x batch points in <= 2 s wall).

Run by hand: `OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/bench_pareto.py`.

Workloads: DeepSeek-R1 (INT8) on CloudMatrix 384 with MTP 0-4 (the largest space in the catalog: chips
used x attention TP/DP x EP x MTP x package or die ranks, every batch that fits), and the default search
(MTP 0-2) on CloudMatrix 384 and on GB200 NVL72 (FP8). Medians of interleaved rounds.
"""

from __future__ import annotations

import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

PY = sys.executable
CHIPCALC = shutil.which("chipcalc", path=str(Path(PY).parent)) or "chipcalc"
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "7"))
CASES = {
    "cloudmatrix384 deepseek-r1 int8, MTP 0-4": ("cloudmatrix384", "deepseek-r1", "int8", (0, 1, 2, 3, 4)),
    "cloudmatrix384 deepseek-r1 int8, default MTP": ("cloudmatrix384", "deepseek-r1", "int8", None),
    "gb200-nvl72 deepseek-r1 fp8, default MTP": ("gb200-nvl72", "deepseek-r1", "fp8", None),
}


def cli_args(target: str, model: str, precision: str, mtps) -> list[str]:
    args = [CHIPCALC, "pareto", target, model, "-p", precision]
    for m in mtps or ():
        args += ["--mtp", str(m)]
    return args


def main() -> None:
    from chipcalc.calc import serving as L
    from chipcalc.calc.serving.pareto import search
    from chipcalc.catalog.store import load_checked

    cat = load_checked(None)
    kn = L.knobs(cat)
    ctx = int(cat.assumption("default_context").m(""))
    calls = {name: (lambda t=t, m=m, p=p, mt=mt: search(cat, cat.target(t), cat.model(m), kn, precision=p, kv_precision="bf16",
                                                        context=ctx, tpot=None, ttft=None, mtps=mt))
             for name, (t, m, p, mt) in CASES.items()}
    points = {}
    for name, (t, m, p, mt) in CASES.items():  # warm the caches; read the point count the CLI prints
        out = subprocess.run(cli_args(t, m, p, mt), capture_output=True, text=True, check=True).stdout
        points[name] = int(re.search(r"x every batch that fits: ([\d,]+) points", out).group(1).replace(",", ""))
        calls[name]()
    times = {(n, w): [] for n in CASES for w in ("lib", "cli")}
    for _ in range(ROUNDS):
        for name, (t, m, p, mt) in CASES.items():
            s = time.perf_counter()
            calls[name]()
            times[(name, "lib")].append(time.perf_counter() - s)
            s = time.perf_counter()
            subprocess.run(cli_args(t, m, p, mt), stdout=subprocess.DEVNULL, check=True)
            times[(name, "cli")].append(time.perf_counter() - s)
    print(f"medians of {ROUNDS} interleaved rounds\n")
    print("| search | points | in process | points/s | `chipcalc pareto` wall |")
    print("|---|---|---|---|---|")
    for name in CASES:
        lib, cli = statistics.median(times[(name, "lib")]), statistics.median(times[(name, "cli")])
        print(f"| {name} | {points[name]:,} | {lib:.2f} s | {points[name] / lib:,.0f} | {cli:.2f} s |")


if __name__ == "__main__":
    main()
