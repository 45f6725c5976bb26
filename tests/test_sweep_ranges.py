"""`sweep latency --ranges`: every point's low and high TPOT and tokens/s per chip are those `chipcalc
latency` gives at that point (the same formulas on the inputs' low/high values), and tables mark ranged
figures with † whether or not --ranges is asked."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest
import typer.main
from click.testing import CliRunner

from chipcalc.calc import serving as L
from chipcalc.calc import sweep as sw
from chipcalc.cli.root import app

CLICK = typer.main.get_command(app)
BASE = ["sweep", "latency", "hgx-h20", "llama-3.1-70b", "-p", "fp8", "--chips", "8", "--tp", "8"]


def run(*args):
    r = CliRunner().invoke(CLICK, [*BASE, *args], prog_name="chipcalc")
    assert r.exit_code == 0, r.stderr
    return r.stdout


@pytest.fixture(scope="module")
def prepared(catalog):
    b, c = sw.grid("1:40:13", "--batch"), sw.grid("1k:32k:x4", "--context")
    return sw.prepare(catalog.target("hgx-h20"), catalog.model("llama-3.1-70b"), b, c, L.knobs(catalog),
                      precision="fp8", chips=8, tp=8)


def test_every_points_ends_are_the_single_decodes(prepared, catalog):
    res = sw.collect(prepared, ranges=True)
    assert res.ranged and np.all(res.tpot_ms_low <= res.tpot_ms) and np.all(res.tpot_ms <= res.tpot_ms_high)
    assert np.all(res.tokens_per_chip_low <= res.tokens_per_chip) and np.all(res.tokens_per_chip <= res.tokens_per_chip_high)
    assert np.all(res.tpot_ms_high > res.tpot_ms_low)  # the H20's figures and the assumptions do have ranges
    kn = L.knobs(catalog)
    model, hw = catalog.model("llama-3.1-70b"), L.hardware(catalog.target("hgx-h20"), "fp8", "package", kn)
    lay = L.layout(model, hw, 8, tp=8)
    for i in (0, 5, len(res.batch) - 1):
        d = L.decode(model, hw, lay, kn, int(res.batch[i]), int(res.context[i]))
        n, lo, hi = d.tpot.bounds("ms")
        assert (res.tpot_ms[i], res.tpot_ms_low[i], res.tpot_ms_high[i]) == pytest.approx((n, lo, hi), rel=1e-12)
        n, lo, hi = d.per_chip.bounds("token/s")
        assert (res.tokens_per_chip_low[i], res.tokens_per_chip_high[i]) == pytest.approx((lo, hi), rel=1e-12)
    plain = sw.collect(prepared)  # without ranges: the same nominal values, no ends
    assert not plain.ranged and np.array_equal(plain.tpot_ms, res.tpot_ms)


def test_csv_and_json_carry_the_ends_only_when_asked():
    rows = list(csv.DictReader(io.StringIO(run("--batch", "1:3", "--context", "1k:2k:1k", "--ranges", "-f", "csv"))))
    assert len(rows) == 6 and set(rows[0]) >= {"tpot_ms_low", "tpot_ms_high", "tokens_per_s_per_chip_low", "tokens_per_s_per_chip_high"}
    for r in rows:
        assert float(r["tpot_ms_low"]) < float(r["tpot_ms"]) < float(r["tpot_ms_high"])
    assert "tpot_ms_low" not in run("--batch", "1:3", "--context", "1k", "-f", "csv").splitlines()[0]
    data = json.loads(run("--batch", "1:2", "--context", "1k", "--ranges", "-f", "json"))
    assert data["columns"][-4:] == ["tpot_ms_low", "tpot_ms_high", "tokens_per_s_per_chip_low", "tokens_per_s_per_chip_high"]
    assert all(len(row) == len(data["columns"]) for row in data["rows"])
    assert data["units"]["tpot_ms_low"] == "ms" and {"range_sources", "range_assumptions"} <= set(data)


def test_tables_mark_ranges_and_show_them_with_ranges(prepared, catalog):
    res = sw.collect(prepared, ranges=True)  # its first point is batch 1, 1,000 tokens, as below
    nominal = f"{res.tpot_ms[0]:.4g}"
    pivot = run("--batch", "1:2", "--context", "1k")
    assert f"{nominal}*†" in pivot  # ranged, so marked
    shown = run("--batch", "1:2", "--context", "1k", "--ranges")
    assert f"{nominal}* [{res.tpot_ms_low[0]:.4g}–{res.tpot_ms_high[0]:.4g}]" in shown
    summary = run("--batch", "1:64", "--context", "1k:4k:3k", "--summary", "--ranges")
    grid = sw.prepare(catalog.target("hgx-h20"), catalog.model("llama-3.1-70b"), sw.grid("1:64", "--batch"),
                      sw.grid("1k:4k:3k", "--context"), L.knobs(catalog), precision="fp8", chips=8, tp=8)
    best = sw.summarize(grid).best["tokens/s per chip"]
    n, lo, hi = grid.point(best.batch, best.context)["per_chip"].bounds("token/s")
    assert n == pytest.approx(best.per_chip, rel=1e-12)
    row = next(ln for ln in summary.splitlines() if ln.startswith("tokens/s per chip "))
    import re

    shown_lo, shown_hi = (float(x.replace(",", "")) for x in re.search(r"token/s\* \[([\d.,]+)–([\d.,]+)\]", row).groups())
    assert (shown_lo, shown_hi) == (pytest.approx(lo, rel=1e-3), pytest.approx(hi, rel=1e-3))  # 4 significant digits


def test_kv_offload_sweeps_as_latency_does(catalog):
    """--kv-offload on a sweep: every point what `latency --kv-offload` gives (GB200 NVL72's host memory);
    a target without host memory gets latency's one-line error."""
    kn = L.knobs(catalog)
    model, target = catalog.model("llama-3.1-70b"), catalog.target("gb200-nvl72")
    grid = sw.prepare(target, model, sw.grid("8:32:8", "--batch"), sw.grid("8k:16k:8k", "--context"), kn,
                      precision="fp8", chips=8, tp=8, kv_offload=0.5)
    assert "KV 50% in host memory" in grid.layout and grid.shape.kv_offload == 0.5
    res = sw.collect(grid)
    hw = L.hardware(target, "fp8", "package", kn)
    lay = L.layout(model, hw, 8, 8, None, 0, 1, 0.5)
    for i in range(len(res.batch)):
        d = L.decode(model, hw, lay, kn, int(res.batch[i]), int(res.context[i]))
        assert res.tpot_ms[i] == pytest.approx(float(d.tpot.m("ms")), rel=1e-12)
    r = CliRunner().invoke(CLICK, [*BASE, "--kv-offload", "0.5"], prog_name="chipcalc")
    assert r.exit_code == 2 and "has no host memory" in r.stderr and len(r.stderr.strip().splitlines()) == 1
