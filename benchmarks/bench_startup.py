"""Cold start and Monte Carlo benchmarks (run by hand: `.venv/bin/python benchmarks/bench_startup.py`).

Measures, as medians of repeated cold processes:
- `chipcalc cluster cloudmatrix384` vs `python -c "import pint; pint.UnitRegistry()"` (target <= 1.0x)
- `chipcalc --help` vs the same (target <= 0.5x)
and, in process, a Monte Carlo cluster comparison with 10^5 samples (target <= 1 s).
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

RUNS = int(os.environ.get("BENCH_RUNS", "15"))
PY = sys.executable
CHIPCALC = shutil.which("chipcalc", path=str(Path(PY).parent)) or "chipcalc"


def cold(cmds: dict[str, list[str]]) -> dict[str, float]:
    """Median wall time of each command, run round-robin so that machine noise hits all alike."""
    times: dict[str, list[float]] = {k: [] for k in cmds}
    for _ in range(RUNS):
        for name, cmd in cmds.items():
            t = time.perf_counter()
            subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
            times[name].append(time.perf_counter() - t)
    return {k: statistics.median(v) for k, v in times.items()}


def montecarlo(samples: int = 100_000) -> float:
    from chipcalc.calc import ranges as rg
    from chipcalc.catalog.store import load_checked

    cat = load_checked(None)
    inputs = rg.uncertain_inputs(cat, ["cloudmatrix384", "gb200-nvl72"])
    best = []
    for seed in range(5):
        t = time.perf_counter()
        sampled = rg.sample_catalog(cat, inputs, samples, seed)
        rg.montecarlo_metrics(rg.cluster_metrics(cat, "cloudmatrix384", "gb200-nvl72"),
                              rg.cluster_metrics(sampled, "cloudmatrix384", "gb200-nvl72"))
        best.append(time.perf_counter() - t)
    return statistics.median(best)


def main() -> None:
    subprocess.run([CHIPCALC, "cluster", "cloudmatrix384"], stdout=subprocess.DEVNULL, check=True)  # warm pint's cache
    t = cold({"base": [PY, "-c", "import pint; pint.UnitRegistry()"],
              "cluster": [CHIPCALC, "cluster", "cloudmatrix384"],
              "help": [CHIPCALC, "--help"]})
    base, cluster, helpt = t["base"], t["cluster"], t["help"]
    mc = montecarlo()
    print(f"| measurement | time | ratio | target |")
    print(f"|---|---|---|---|")
    print(f"| `python -c 'import pint; pint.UnitRegistry()'` | {base * 1000:.0f} ms | 1.00x | baseline |")
    print(f"| `chipcalc cluster cloudmatrix384` | {cluster * 1000:.0f} ms | {cluster / base:.2f}x | <= 1.0x |")
    print(f"| `chipcalc --help` | {helpt * 1000:.0f} ms | {helpt / base:.2f}x | <= 0.5x |")
    print(f"| Monte Carlo, CM384 vs NVL72, 10^5 samples (in process) | {mc * 1000:.0f} ms | | <= 1 s |")


if __name__ == "__main__":
    main()
