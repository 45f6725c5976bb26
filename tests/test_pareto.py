"""The Pareto search (`chipcalc pareto`): the front is non-dominated, each point is what `latency` gives at its
layout and batch, limits hold, every batch that fits is tried, and bad input is a one-line error."""

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from chipcalc.calc import serving as L
from chipcalc.calc.serving import pareto as P
from chipcalc.cli import app

runner = CliRunner()
CTX = 4096


@pytest.fixture(scope="session")  # once per worker, however xdist interleaves the modules
def setup(catalog):
    kn = L.knobs(catalog)
    model, target = catalog.model("llama-3.1-70b"), catalog.target("hgx-h20")
    front = P.search(catalog, target, model, kn, precision="fp8", context=CTX)
    return kn, model, L.hardware(target, "fp8", "package", kn), front


def test_the_front_is_non_dominated_fastest_per_user_first(setup):
    *_, front = setup
    u = np.array([p.tps_user for p in front.points])
    c = np.array([p.tps_chip for p in front.points])
    assert len(u) >= 10
    for i in range(len(u)):
        assert not ((u >= u[i]) & (c >= c[i]) & ((u > u[i]) | (c > c[i]))).any(), front.points[i]
    assert list(u) == sorted(u, reverse=True)
    assert front.evaluated >= len(u) and front.layouts >= 1


def test_each_point_is_what_latency_gives_at_its_layout_and_batch(setup):
    kn, model, hw, front = setup
    for p in front.points[:: max(1, len(front.points) // 8)]:
        lay = L.layout(model, hw, p.chips, p.tp, p.ep, p.mtp, p.pp)
        d = L.decode(model, hw, lay, kn, p.batch, CTX)
        assert float(d.out.values["tpot"]) == pytest.approx(p.tpot, rel=1e-12)
        assert float(d.out.values["per_chip"]) == pytest.approx(p.tps_chip, rel=1e-12)
        assert p.tps_user == pytest.approx(1.0 / p.tpot, rel=1e-12)
        assert bool(np.all(d.memory.fits.q.m_as("") if hasattr(d.memory.fits, "q") else d.memory.fits))


def test_the_most_per_chip_point_runs_the_largest_batch_that_fits(setup):
    """Tokens/s per chip rises with the batch, so the front's per-chip end is its layout's memory limit: every
    batch that fits is tried, not a grid that could stop short of it."""
    kn, model, hw, front = setup
    top = max(front.points, key=lambda p: p.tps_chip)
    lay = L.layout(model, hw, top.chips, top.tp, top.ep, top.mtp, top.pp)
    limit = int(float(L.decode(model, hw, lay, kn, 1, CTX).out.values["mem_max_batch"]))
    assert top.batch == limit
    assert not front.stepped and limit <= P.DENSE_BATCHES


def test_a_tpot_limit_holds_for_every_point(catalog, setup):
    kn, model, hw, _ = setup
    front = P.search(catalog, catalog.target("hgx-h20"), model, kn, precision="fp8", context=CTX, tpot=0.03)
    assert front.points and all(p.tpot <= 0.03 for p in front.points)


def test_batches_past_the_dense_limit_are_stepped_and_the_note_says_so(catalog, setup, monkeypatch):
    from chipcalc.output import pareto_tables

    kn, model, _, _ = setup
    monkeypatch.setattr(P, "DENSE_BATCHES", 16)
    monkeypatch.setattr(pareto_tables, "DENSE_BATCHES", 16)
    front = P.search(catalog, catalog.target("hgx-h20"), model, kn, precision="fp8", context=CTX)
    assert front.stepped
    assert [int(b) for b in P._batches(20)] == list(range(1, 21))  # 2 % steps past 16 still hit every whole batch here
    stepped = [int(b) for b in P._batches(1000)]
    assert stepped[:16] == list(range(1, 17)) and stepped[-1] == 1000
    assert 150 < len(stepped) <= 16 + 209  # at most ln(1000 / 16) / ln(1.02) = 208.8 steps past 16, fewer where rounding repeats
    gaps = np.diff(stepped[16:]) / np.array(stepped[16:-1])
    assert (gaps <= 0.021 + 1.0 / 16).all()  # each step about 2 % (plus rounding to a whole batch)
    note = " ".join(pareto_tables.front_table(front).notes)
    assert "every batch that fits (every one up to 16, then steps of 2%)" in note


def test_cli_json_round_trip_and_errors():
    r = runner.invoke(app, ["pareto", "hgx-h20", "llama-3.1-70b", "-p", "fp8", "-f", "json"])
    assert r.exit_code == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["columns"][:4] == ["target", "tokens_per_s_per_user", "tokens_per_s_per_chip", "tpot_ms"]
    rows = data["rows"]
    assert rows and all(row[0] == "hgx-h20" for row in rows)
    for row in rows:
        assert row[1] == pytest.approx(1000.0 / row[3], rel=1e-9)  # tokens/s per user = 1 / TPOT
    r = runner.invoke(app, ["pareto", "hgx-h20", "llama-3.1-70b", "-p", "fp8", "--tpot", "1ms"])
    assert r.exit_code == 2 and "no layout of llama-3.1-70b on hgx-h20 fits within the --tpot/--ttft limits" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    r = runner.invoke(app, ["pareto", "hgx-h21", "llama-3.1-70b"])
    assert r.exit_code in (1, 2) and "hgx-h21" in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_plot_pareto_draws_every_targets_front(catalog, setup, tmp_path):
    """One line per target through exactly its front's points, dashed (the fronts rest on assumptions), and the
    CLI writes a PNG; an unknown suffix is a one-line usage error."""
    pytest.importorskip("matplotlib")
    from chipcalc.output.plot.pareto import pareto_fronts

    kn, model, _, front = setup
    other = P.search(catalog, catalog.target("hgx-h200"), model, kn, precision="fp8", context=CTX)
    chart = pareto_fronts([front, other], "fronts")
    lines = chart.figure.axes[0].get_lines()
    assert [ln.get_label() for ln in lines] == ["hgx-h20 (assumed)", "hgx-h200 (assumed)"]
    for ln, f in zip(lines, (front, other)):
        assert list(ln.get_xdata()) == [p.tps_user for p in f.points]
        assert list(ln.get_ydata()) == [p.tps_chip for p in f.points]
        assert ln.get_linestyle() == "--"
    out = tmp_path / "fronts.png"
    r = runner.invoke(app, ["plot", "pareto", "hgx-h20", "hgx-h200", "--model", "llama-3.1-70b", "-p", "fp8", "-o", str(out)])
    assert r.exit_code == 0, r.stderr
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    r = runner.invoke(app, ["plot", "pareto", "hgx-h20", "--model", "llama-3.1-70b", "-p", "fp8", "-o", str(tmp_path / "f.pdf")])
    assert r.exit_code == 2 and "name the output .png or .svg" in r.stderr


def test_each_point_shown_carries_latencys_range(setup):
    """The table's points are re-evaluated as Figures: nominal equal to the search's, ends equal to
    `chipcalc latency`'s at that layout and batch; text marks them †, --ranges prints [low–high]."""
    kn, model, hw, front = setup
    for p in front.points[:: max(1, len(front.points) // 5)]:
        f = P.figures(front, p)
        assert f["tpot"].m("s") == pytest.approx(p.tpot, rel=1e-12)
        assert f["per_chip"].m("token/s") == pytest.approx(p.tps_chip, rel=1e-12)
        assert f["per_user"].m("token/s") == pytest.approx(p.tps_user, rel=1e-12)
        d = L.decode(model, hw, L.layout(model, hw, p.chips, p.tp, p.ep, p.mtp, p.pp), kn, p.batch, CTX)
        assert f["tpot"].bounds("ms") == pytest.approx(d.tpot.bounds("ms"), rel=1e-12)
        assert f["per_chip"].bounds("token/s") == pytest.approx(d.per_chip.bounds("token/s"), rel=1e-12)
        assert f["tpot"].has_range
    base = ["pareto", "hgx-h20", "llama-3.1-70b", "-p", "fp8"]
    plain, ranged = runner.invoke(app, base), runner.invoke(app, [*base, "--ranges"])
    assert plain.exit_code == ranged.exit_code == 0, ranged.stderr
    first = P.figures(front, front.points[0])["tpot"]
    n, lo, hi = first.bounds("ms")
    assert f"{n:.4g} ms*†" in plain.stdout
    assert f"{n:.4g} ms* [{lo:.4g}–{hi:.4g}]" in ranged.stdout


def test_kv_offload_shares_are_searched_where_there_is_host_memory(catalog):
    """--kv-offload adds layouts with that share of the KV cache in host memory (GB200 NVL72's Grace memory):
    more points evaluated, the front at least as good everywhere, each offloaded point what
    `latency --kv-offload` gives; a system without host memory gets latency's one-line error."""
    from dataclasses import replace

    kn = L.knobs(catalog)
    model, target = catalog.model("llama-3.1-70b"), catalog.target("gb200-nvl72")
    plain = P.search(catalog, target, model, kn, precision="fp8", context=32_000, chips=(8,))
    more = P.search(catalog, target, model, kn, precision="fp8", context=32_000, chips=(8,), kv_offloads=(0.5, 1.0))
    assert plain.offloads == (0.0,) and more.offloads == (0.0, 0.5, 1.0)
    assert more.evaluated > plain.evaluated and more.layouts == 3 * plain.layouts
    for p in plain.points:  # offloading only adds options: nothing on the old front is beaten by nothing
        assert any(q.tps_user >= p.tps_user - 1e-9 and q.tps_chip >= p.tps_chip - 1e-9 for q in more.points)
    base = plain.points[len(plain.points) // 2]
    hw = L.hardware(target, "fp8", base.device, kn)
    for share in (0.5, 1.0):
        p = replace(base, kv_offload=share)
        f = P.figures(more, p)
        lay = L.layout(model, hw, p.chips, p.tp, p.ep, p.mtp, p.pp, share)
        d = L.decode(model, hw, lay, kn, p.batch, 32_000)
        assert f["tpot"].bounds("ms") == pytest.approx(d.tpot.bounds("ms"), rel=1e-12)
        assert f["tpot"].m("ms") > base.tpot * 1e3  # the host link is slower than HBM: same batch, slower step
        assert "KV 50% in host memory" in replace(base, kv_offload=0.5).layout
    r = runner.invoke(app, ["pareto", "gb200-nvl72", "llama-3.1-70b", "-p", "fp8", "-c", "32k", "--kv-offload", "50%"])
    assert r.exit_code == 0 and "the share of KV in host memory: 0%, 50%" in r.stdout
    r = runner.invoke(app, ["pareto", "hgx-h20", "llama-3.1-70b", "-p", "fp8", "--kv-offload", "0.5"])
    assert r.exit_code == 2 and "has no host memory" in r.stderr and len(r.stderr.strip().splitlines()) == 1


def test_layouts_over_several_systems_say_so(catalog):
    """A front may join 2 or 4 systems over scale-out (the system's own chips x 2, x 4): the layout and the
    CSV's systems column say how many; a layout inside one system says nothing more."""
    kn = L.knobs(catalog)
    fronts = {n: P.search(catalog, catalog.target("hgx-h20"), catalog.model("llama-3.1-70b"), kn, precision="fp8",
                          context=CTX, mtps=(0,), chips=(n,)) for n in (8, 32)}
    assert fronts[8].points and fronts[32].points
    for n, front in fronts.items():
        for p in front.points:
            assert p.chips == n and p.system_chips == 8
            assert p.layout.startswith("32 chips (4 systems over scale-out), TP" if n == 32 else "8 chips, TP")
    front = fronts[32]
    from chipcalc.output.pareto_tables import COLUMNS, rows

    col = COLUMNS.index("systems")
    assert all(r[col] == 4 for r in rows([front])) and all(r[col] == 1 for r in rows([fronts[8]]))
    bare = P.search(catalog, catalog.chip("h20"), catalog.model("llama-3.1-70b"), kn, precision="fp8", context=CTX, mtps=(0,))
    assert all(p.system_chips == 0 and "systems" not in p.layout for p in bare.points)
    assert all(r[col] is None for r in rows([bare]))
    # 256 of a CloudMatrix 384's chips are one system, not 0 (the column floored 256 / 384)
    cm = P.search(catalog, catalog.system("cloudmatrix384"), catalog.model("deepseek-r1"), kn, precision="int8", context=CTX, mtps=(0,))
    partial = [r for r in rows([cm]) if r[COLUMNS.index("chips")] < 384]
    assert partial and all(r[col] == 1 for r in partial)
