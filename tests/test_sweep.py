"""Issue 5: sweeps over a batch x context grid, evaluated in one vectorised pass."""

import csv
import io
import json
import re

import numpy as np
import pytest
from typer.testing import CliRunner

from chipcalc.calc import serving as L
from chipcalc.calc.sweep import grid
from chipcalc.cli.root import app

runner = CliRunner()


@pytest.mark.parametrize("spec,expect", [
    ("1:4", [1, 2, 3, 4]),
    ("8:32", [8, 16, 24, 32]),  # step defaults to start
    ("1:10:3", [1, 4, 7, 10]),
    ("1k:8k:x2", [1000, 2000, 4000, 8000]),  # k = 1,000, Ki = 1,024: the rule of every command
    ("1Ki:8Ki:x2", [1024, 2048, 4096, 8192]),
    ("1:256:x4", [1, 4, 16, 64, 256]),
    ("8,24,96", [8, 24, 96]),
])
def test_grid_specs(spec, expect):
    assert grid(spec, "--batch").tolist() == expect


@pytest.mark.parametrize("spec,msg", [
    ("1:0", "stop 0 is below start 1"),
    ("0:8", "values must be positive"),
    ("1:8:0", "step must be positive"),
    ("1:8:x1", "geometric factor must be above 1"),
    ("a:b", "expected a whole number like 4096"),
    ("1.5:8", "is not a whole number"),
    ("1:2:3:4", "write START:STOP"),
])
def test_bad_grid_specs(spec, msg):
    r = runner.invoke(app, ["sweep", "latency", "h20", "llama-3.1-70b", "--batch", spec])
    assert r.exit_code == 2
    assert msg in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_sweep_csv_matches_pointwise_latency(tmp_path, catalog):
    out = tmp_path / "sweep.csv"
    r = runner.invoke(app, ["sweep", "latency", "cloudmatrix384", "deepseek-r1", "-p", "int8",
                            "--batch", "8:96:x2", "--context", "1Ki:4Ki:x2", "-o", str(out)])
    assert r.exit_code == 0, r.stderr
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert len(rows) == 4 * 3
    assert [int(x["batch"]) for x in rows[:3]] == [8, 8, 8]
    assert [int(x["context"]) for x in rows[:3]] == [1024, 2048, 4096]
    # each grid point equals a single-point evaluation of the same model
    kn = L.knobs(catalog)
    hw = L.hardware(catalog.system("cloudmatrix384"), "int8", "package", kn)
    lay = L.auto_layout(catalog.model("deepseek-r1"), hw, kn, 8, 1024, "bf16", None, None, None, 0)
    for row in rows:
        d = L.decode(catalog.model("deepseek-r1"), hw, lay, kn, int(row["batch"]), int(row["context"]))
        assert float(row["tpot_ms"]) == pytest.approx(float(np.asarray(d.tpot.q.m_as("ms")).ravel()[0]), rel=1e-12)
        assert float(row["tokens_per_s_per_chip"]) == pytest.approx(int(row["batch"]) / float(row["tpot_ms"]) * 1000, rel=1e-9)
    # TPOT grows with batch at a fixed context
    tp = [float(x["tpot_ms"]) for x in rows if x["context"] == "4096"]
    assert tp == sorted(tp)


def test_sweep_json_carries_provenance():
    r = runner.invoke(app, ["sweep", "latency", "h20", "llama-3.1-70b", "--chips", "8", "--tp", "8", "-p", "fp8",
                            "--batch", "1:4", "--context", "1k", "-f", "json"])
    assert r.exit_code == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["status"] == "assumed"
    assert {"mfu", "mbu"} <= {a["name"] for a in data["assumptions"]}
    assert len(data["rows"]) == 4 and data["units"]["tpot_ms"] == "ms"


def test_sweep_text_pivot_and_limit():
    r = runner.invoke(app, ["sweep", "latency", "h20", "llama-3.1-70b", "--chips", "8", "--tp", "8", "-p", "fp8",
                            "--batch", "1,8", "--context", "1Ki,2Ki"])
    assert r.exit_code == 0, r.stderr
    assert "batch 8" in r.stdout and "2048" in r.stdout
    r = runner.invoke(app, ["sweep", "latency", "h20", "llama-3.1-70b", "--batch", "1:1000", "--context", "1k"])
    assert r.exit_code == 0, r.stderr  # too many points for a table: the summary, and how to get every point
    assert "1,000 points" in r.stdout and "--format csv or json gives every point" in r.stdout


def test_csv_and_json_numbers_round_trip_exactly(catalog):
    """The CSV and JSON writers (orjson, in blocks) give every computed float back exactly, with the
    columns in order; with --ranges too. A block's rows are the same as Python's repr would write."""
    from chipcalc.calc import sweep as sw
    from chipcalc.output import sweep_tables as st

    kn = L.knobs(catalog)
    prepared = sw.prepare(catalog.system("cloudmatrix384"), catalog.model("deepseek-r1"), np.array([1, 7, 96]),
                          np.array([13, 4096]), kn, precision="int8", kv_precision="bf16", chips=8, tp=None,
                          ep=None, mtp=1, device="package", pp=1, kv_offload=0.0)
    res = sw.collect(prepared, ranges=True)
    rows = list(csv.reader(io.StringIO(st.to_csv(res))))
    assert rows[0] == list(st.COLUMNS + st.RANGE_COLUMNS)
    cols = {"tpot_ms": res.tpot_ms, "tokens_per_s_per_chip": res.tokens_per_chip, "step_ms": res.step_ms,
            "tpot_ms_low": res.tpot_ms_low, "tokens_per_s_per_chip_high": res.tokens_per_chip_high}
    for name, values in cols.items():
        j = rows[0].index(name)
        assert [float(r[j]) for r in rows[1:]] == values.tolist()  # exact, not approximately
        assert [r[j] for r in rows[1:]] == [repr(v) for v in values.tolist()]
    assert [int(r[0]) for r in rows[1:]] == res.batch.tolist()
    assert {r[5] for r in rows[1:]} <= {"compute", "memory", "communication"} and {r[6] for r in rows[1:]} <= {"yes", "no"}
    assert res.step_ms.tolist() != res.tpot_ms.tolist()  # MTP 1: the step column is its own
    data = json.loads(st.to_json(res, catalog))
    assert [r[2] for r in data["rows"]] == res.tpot_ms.tolist() and [r[6] for r in data["rows"]] == res.fits.tolist()
    assert [r[-1] for r in data["rows"]] == res.tokens_per_chip_high.tolist()


def test_csv_numbers_keep_nan_and_inf_as_python_writes_them():
    from chipcalc.output.sweep_tables import _numbers

    assert _numbers([np.array([1.5, np.nan]), np.array([np.inf, 2.0])]) == [b"1.5,inf", b"nan,2.0"]
    # orjson writes small numbers without an exponent (0.00001): other text than repr, the same number
    small = [1e-05, 6.867644672947648e-05, 1e22, 5e-324]
    assert [float(x) for x in _numbers([np.array(small)])] == small


def test_blocks_are_split_evenly():
    """A grid piece is cut into the fewest pieces of at most the chunk, of near-equal sizes: 100 contexts
    by 32 gives four blocks of 25 (not 32, 32, 32 and a 4-point tail paying a whole block's fixed cost)."""
    from chipcalc.calc.sweep import _even

    assert list(_even(100, 32)) == [(0, 25), (25, 50), (50, 75), (75, 100)]
    assert list(_even(7, 7)) == [(0, 7)] and list(_even(7, 1)) == [(i, i + 1) for i in range(7)]
    assert list(_even(10, 3)) == [(0, 2), (2, 5), (5, 7), (7, 10)]


@pytest.mark.parametrize("chunk", [1, 3, 7, 40, 1 << 14])
@pytest.mark.parametrize("nb,nc", [(5, 8), (8, 5), (1, 9), (9, 1)])
def test_blocks_cover_the_grid_once_and_summaries_agree(catalog, chunk, nb, nc):
    """Blocks along the longer axis (rows of contexts, or columns of batches when contexts are fewer):
    every point once; each block's values are those of the points it names; collect gives the flat
    batch-major order, and the summary (best points, ties, the front) is the same whatever the blocks."""
    from chipcalc.calc import sweep as sw
    from chipcalc.calc.serving.compiled import Outputs

    kn = L.knobs(catalog)
    p = sw.prepare(catalog.target("h20"), catalog.model("llama-3.1-70b"), np.arange(1, nb + 1) * 16,
                   np.arange(1, nc + 1) * 512, kn, precision="fp8", chips=8, tp=8)
    seen = sorted((r, c) for rs, cs, _ in p.blocks(chunk) for r in range(rs.start, rs.stop) for c in range(cs.start, cs.stop))
    assert seen == [(r, c) for r in range(nb) for c in range(nc)]
    flat = Outputs(p.setup, "decode", p.shape, np.repeat(p.batches, nc).astype(float),
                   np.tile(p.contexts, nb).astype(float)).values["tpot"]  # point by point, flat order
    for ch in p.chunks(chunk):
        rs, cs = ch["block"]
        assert ch["tpot"].tolist() == np.reshape(flat, (nb, nc))[rs, cs].tolist()
        assert ch["batch"][:, 0].tolist() == p.batches[rs].tolist() and ch["context"][0].tolist() == p.contexts[cs].tolist()
    whole = sw.collect(p)
    assert whole.tpot_ms.tolist() == (np.asarray(flat) * 1e3).tolist()
    assert whole.batch.tolist() == np.repeat(p.batches, nc).tolist()
    a, b = sw.summarize(p, 0.05, chunk=chunk), sw.summarize(p, 0.05)
    assert (a.points, a.fitting, a.bound_counts.tolist(), a.best, a.front.tolist()) == \
        (b.points, b.fitting, b.bound_counts.tolist(), b.best, b.front.tolist())


def test_bound_codes_equal_argmax_over_the_four_shares(catalog):
    """The binding code is the first largest of the compute, memory, communication and overhead shares."""
    from chipcalc.calc import sweep as sw
    from chipcalc.calc.serving.compiled import Outputs

    kn = L.knobs(catalog)
    p = sw.prepare(catalog.system("cloudmatrix384"), catalog.model("deepseek-r1"), np.array([1, 4, 16, 64, 256, 1024]),
                   np.array([128, 4096, 65536]), kn, precision="int8", chips=16)
    out = Outputs(p.setup, "decode", p.shape, p.batches.astype(float)[:, None], p.contexts.astype(float)[None, :])
    v = out.values
    c = sum(np.where(ci >= mi, ci, 0.0) for ci, mi in zip(v["c_times"], v["m_times"]))
    m = sum(np.where(ci >= mi, 0.0, mi) for ci, mi in zip(v["c_times"], v["m_times"]))
    comm = v["comm"] + (v["transfer"] if v.get("transfer") is not None else 0.0)
    expect = np.argmax(np.stack(np.broadcast_arrays(c, m, comm, v["overhead"] + 0 * c)), axis=0)
    got = np.broadcast_to(out.bound_codes(), expect.shape)
    assert got.tolist() == expect.tolist() and len(set(expect.ravel().tolist())) >= 2


def test_batch_max_is_the_largest_batch_that_fits_at_each_context():
    """`--batch max`: the batch axis is each context's largest batch that fits, the same number `chipcalc
    latency --batch max` gives at that context; one batch above it does not fit."""
    args = ["h20", "llama-3.1-70b", "--chips", "8", "--tp", "8", "-p", "fp8"]
    r = runner.invoke(app, ["sweep", "latency", *args, "--batch", "max", "--context", "4000,8000", "-f", "json"])
    assert r.exit_code == 0, r.output
    rows = json.loads(r.stdout)["rows"]
    largests = []
    for ctx in (4000, 8000):
        lat = runner.invoke(app, ["latency", *args, "--batch", "max", "--context", str(ctx), "-f", "json"])
        assert lat.exit_code == 0, lat.output
        largest = int(re.search(r"largest that fits: (\d+)", lat.stdout).group(1))
        largests.append(largest)
        fitting = [row[0] for row in rows if row[1] == ctx and row[-1]]
        assert max(fitting) == largest
        above = runner.invoke(app, ["sweep", "latency", *args, "--batch", str(largest + 1), "--context", str(ctx), "-f", "json"])
        assert json.loads(above.stdout)["rows"][0][-1] is False
    assert sorted({row[0] for row in rows}) == sorted(set(largests))  # one batch per context: the batch axis
    text = runner.invoke(app, ["sweep", "latency", *args, "--batch", "max", "--context", "4000,8000"])
    assert "--batch max: the batch axis is the largest batch per chip that fits at each context (2 distinct values)" in text.stdout


def test_batch_max_with_nothing_fitting_is_a_one_line_error():
    r = runner.invoke(app, ["sweep", "latency", "h20", "llama-3.1-70b", "--batch", "max", "--context", "128Ki", "--chips", "2"])
    assert r.exit_code == 2
    assert r.stderr.strip() == ("chipcalc: error: --batch max: not one sequence fits in memory at any --context of the "
                                "grid (the smallest is 131,072 tokens); try shorter contexts, more chips (--chips) or "
                                "a lower precision")
    # a context above the model's own maximum is refused before anything is computed
    r = runner.invoke(app, ["sweep", "latency", "h20", "llama-3.1-70b", "--batch", "max", "--context", "1000k"])
    assert r.exit_code == 2 and r.stderr.strip() == (
        "chipcalc: error: --context up to 1,000,000 is above llama-3.1-70b's maximum context of 131,072 tokens "
        "(specs/models/llama-3.1-70b.toml: max_context); use a context of at most 131,072")
