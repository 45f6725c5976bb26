"""Cold start and Monte Carlo benchmarks (run by hand: `.venv/bin/python benchmarks/bench_startup.py`).

Measures, as medians of cold processes run round-robin (ratios to B = `python -c "import pint;
pint.UnitRegistry()"`, measured in the same rounds; targets are issue 12's):
- `chipcalc cluster cloudmatrix384` (<= 0.7x B), `chipcalc check` (<= 1.0x B),
  `chipcalc plot cluster cloudmatrix384 --vs gb200-nvl72 -o FILE.png` and
  `chipcalc report cloudmatrix384 --vs gb200-nvl72 -o FILE.html` (<= 2.5x B each),
  `chipcalc latency ...` and `chipcalc --help` for reference;
and, in process, a Monte Carlo cluster comparison (CM384 vs NVL72) with 10^5 and 10^6 samples
(10^6: <= 0.5 s). Each chipcalc command runs twice per round: in this environment as it is (with
PYTHONDONTWRITEBYTECODE=1, as here and in CI, chipcalc's own modules compile from source at every start)
and with byte-code written and read, as on a user's machine after the first run (:func:`with_pyc`).
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RUNS = int(os.environ.get("BENCH_RUNS", "15"))
PY = sys.executable
CHIPCALC = shutil.which("chipcalc", path=str(Path(PY).parent)) or "chipcalc"


def cold(cmds: dict[str, list[str]], envs: dict[str, dict[str, str]]) -> dict[str, float]:
    """Median wall time of each command, run round-robin so that machine noise hits all alike; ``envs``
    gives some of them their own environment."""
    times: dict[str, list[float]] = {k: [] for k in cmds}
    for _ in range(RUNS):
        for name, cmd in cmds.items():
            t = time.perf_counter()
            subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, env=envs.get(name))
            times[name].append(time.perf_counter() - t)
    return {k: statistics.median(v) for k, v in times.items()}


def with_pyc(folder: Path) -> dict[str, str]:
    """The environment of a user's machine after a first run: byte-code written and read (here under
    ``folder``, PYTHONPYCACHEPREFIX, so the checkout stays clean). This project's environment and CI set
    PYTHONDONTWRITEBYTECODE=1, so there an editable install compiles chipcalc's own modules from source on
    every start (site-packages were byte-compiled by pip when installed)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(folder)
    return env


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
    out = Path(tempfile.mkdtemp())
    cmds = {"B": [PY, "-c", "import pint; pint.UnitRegistry()"],
            "cluster": [CHIPCALC, "cluster", "cloudmatrix384"],
            "check": [CHIPCALC, "check"],
            "plot": [CHIPCALC, "plot", "cluster", "cloudmatrix384", "--vs", "gb200-nvl72", "-o", str(out / "c.png"), "--force"],
            "report": [CHIPCALC, "report", "cloudmatrix384", "--vs", "gb200-nvl72", "-o", str(out / "r.html"), "--force"],
            "latency": [CHIPCALC, "latency", "h100-sxm", "llama-3.1-70b", "--chips", "8", "--tp", "8", "--batch", "32"],
            "help": [CHIPCALC, "--help"]}
    envs = {}
    for name in ("cluster", "check", "plot", "report", "latency"):  # the same commands with byte-code
        cmds[name + " (.pyc)"] = cmds[name]
        envs[name + " (.pyc)"] = with_pyc(out / "pycache")
    for name, cmd in cmds.items():  # warm pint's cache, the catalog cache, the OS's caches, the .pyc files
        subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True, env=envs.get(name))
    t = cold(cmds, envs)
    mc5, mc6 = montecarlo(100_000), montecarlo(1_000_000)
    targets = {"cluster": "<= 0.7x", "check": "<= 1.0x", "plot": "<= 2.5x", "report": "<= 2.5x", "latency": "", "help": ""}
    targets.update({k + " (.pyc)": v for k, v in targets.items() if k + " (.pyc)" in cmds})
    print(f"medians of {RUNS} round-robin rounds\n")
    print("| measurement | time | ratio to B | target |")
    print("|---|---|---|---|")
    print(f"| B: `python -c 'import pint; pint.UnitRegistry()'` | {t['B'] * 1000:.0f} ms | 1.00x | baseline |")
    for name, target in targets.items():
        shown = " ".join(["chipcalc"] + cmds[name][1:]).replace(str(out) + "/", "")
        shown = f"`{shown}`" + (", .pyc written and read" if name in envs else "")
        print(f"| {shown} | {t[name] * 1000:.0f} ms | {t[name] / t['B']:.2f}x | {target} |")
    print(f"| Monte Carlo, CM384 vs NVL72, 10^5 samples (in process) | {mc5 * 1000:.0f} ms | | |")
    print(f"| Monte Carlo, CM384 vs NVL72, 10^6 samples (in process) | {mc6 * 1000:.0f} ms | | <= 0.5 s |")


if __name__ == "__main__":
    main()
