"""Chunked sweeps and their reductions (issue 12): the summary equals brute force over every point,
and does not depend on the chunk size."""

from __future__ import annotations

import numpy as np
import pytest
import typer.main
from click.testing import CliRunner

from chipcalc.calc import serving as L
from chipcalc.calc import sweep as sw
from chipcalc.cli.root import app

CLICK = typer.main.get_command(app)


def brute_front(x, y):
    keep = []
    for i in range(len(x)):
        dominated = np.any((x >= x[i]) & (y >= y[i]) & ((x > x[i]) | (y > y[i])))
        if not dominated:
            keep.append(i)
    return sorted(set((round(x[i], 9), round(y[i], 9)) for i in keep))


@pytest.fixture(scope="module")
def prepared(catalog):
    kn = L.knobs(catalog)
    b, c = sw.grid("1:300:7", "--batch"), sw.grid("1k:64k:x2", "--context")
    return sw.prepare(catalog.target("hgx-h20"), catalog.model("llama-3.1-70b"), b, c, kn, precision="fp8", chips=8, tp=8)


def test_pareto_matches_brute_force_on_random_points():
    rng = np.random.default_rng(3)
    for _ in range(20):
        x, y = rng.random(300), rng.random(300)
        x[::7] = x[1::7][: len(x[::7])]  # ties in x
        idx = sw.pareto(x, y)
        assert sorted(set((round(x[i], 9), round(y[i], 9)) for i in idx)) == brute_front(x, y)
        assert list(x[idx]) == sorted(x[idx], reverse=True)


def test_summary_equals_the_points(prepared):
    res = sw.collect(prepared)
    sm = sw.summarize(prepared, tpot_target=0.05)
    ok = res.fits
    assert sm.points == len(res.batch) == prepared.size and sm.fitting == int(ok.sum())
    i = np.argmax(np.where(ok, res.tokens_per_chip, -np.inf))
    best = sm.best[sw.OBJECTIVES[0]]
    assert (best.batch, best.context) == (res.batch[i], res.context[i])
    assert best.value == pytest.approx(res.tokens_per_chip[i], rel=1e-12)
    within = ok & (res.tpot_ms <= 50)
    j = np.argmax(np.where(within, res.tokens_per_chip, -np.inf))
    assert sm.best[sw.OBJECTIVES[3]].value == pytest.approx(res.tokens_per_chip[j], rel=1e-12)
    assert sm.best[sw.OBJECTIVES[2]].value * 1e3 == pytest.approx(res.tpot_ms[ok].min(), rel=1e-12)
    assert sm.bound_counts.sum() == sm.fitting
    assert np.array_equal(sm.bound_counts, np.bincount(res.bound[ok], minlength=4))
    x, y = 1e3 / res.tpot_ms[ok], res.tokens_per_chip[ok]
    assert sorted((round(a, 9), round(b, 9)) for a, b in sm.front[:, :2].tolist()) == brute_front(x, y)


def test_chunk_size_does_not_change_the_summary(prepared):
    a, b = sw.summarize(prepared, chunk=97), sw.summarize(prepared, chunk=1 << 17)
    assert a.points == b.points and a.fitting == b.fitting
    assert np.array_equal(a.bound_counts, b.bound_counts)
    assert np.allclose(a.front, b.front, rtol=1e-12)
    assert {k: (v.batch, v.context) for k, v in a.best.items()} == {k: (v.batch, v.context) for k, v in b.best.items()}


def test_every_point_equals_a_single_decode(prepared, catalog):
    res = sw.collect(prepared)
    kn = L.knobs(catalog)
    model, hw = catalog.model("llama-3.1-70b"), L.hardware(catalog.target("hgx-h20"), "fp8", "package", kn)
    lay = L.layout(model, hw, 8, tp=8)
    for i in (0, 17, len(res.batch) - 1):
        d = L.decode(model, hw, lay, kn, int(res.batch[i]), int(res.context[i]))
        assert res.tpot_ms[i] == pytest.approx(float(d.tpot.m("ms")), rel=1e-12)
        assert L.BOUND_NAMES[res.bound[i]] == str(np.asarray(d.step.bound).ravel()[0])


def test_cli_summary_and_the_readme_example():
    r = CliRunner().invoke(CLICK, ["sweep", "latency", "cloudmatrix384", "deepseek-r1", "--batch", "1:256",
                                   "--context", "1k:128k"], prog_name="chipcalc")
    assert r.exit_code == 0, r.stderr
    assert "the best point per objective" in r.stdout and "Pareto front" in r.stdout
    r = CliRunner().invoke(CLICK, ["sweep", "latency", "hgx-h20", "llama-3.1-70b", "--chips", "8", "--tp", "8",
                                   "-p", "fp8", "--batch", "1:64", "--context", "4k", "--summary", "--tpot", "fast"],
                           prog_name="chipcalc")
    assert r.exit_code == 2 and "--tpot: expected a positive, finite time like 50ms, got 'fast'" in r.stderr
