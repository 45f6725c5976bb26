"""`chipcalc plot ...`: each command writes a real, non-blank PNG or a well-formed SVG; errors are one line."""

import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
from typer.testing import CliRunner

from chipcalc.cli.root import app

mpimg = pytest.importorskip("matplotlib.image", reason="plots need the plot extra (matplotlib)")

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def assert_png(path, min_w=600, min_h=400):
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    img = mpimg.imread(str(path))  # float RGBA in [0, 1]
    h, w = img.shape[:2]
    assert w >= min_w and h >= min_h, (w, h)
    rgb = img[..., :3]
    assert rgb.std() > 0.05, "image looks blank"
    ink = (rgb.mean(axis=2) < 0.9).mean()  # share of pixels that are not (near) white
    assert 0.01 < ink < 0.9, ink
    colours = {tuple(px) for px in (rgb[::7, ::7].reshape(-1, 3) * 255).astype(int).tolist()}
    assert len(colours) > 20, "a plot has more than a handful of colours"
    return w, h


def test_roofline_png(tmp_path):
    out = tmp_path / "roofline.png"
    r = run("plot", "roofline", "ascend-910c", "h20", "h100-sxm", "--precision", "bf16", "--output", out)
    assert r.exit_code == 0, r.stderr
    assert "wrote" in r.stderr
    w, h = assert_png(out)
    assert w > h  # landscape, 8 in wide at 110 dpi


def test_roofline_svg_with_workload_points(tmp_path):
    out = tmp_path / "roofline.svg"
    r = run("plot", "roofline", "cloudmatrix384", "h20", "-p", "bf16", "-p", "int8", "--model", "deepseek-r1", "-o", out)
    assert r.exit_code == 0, r.stderr
    root = ET.parse(out).getroot()
    assert root.tag.endswith("svg")
    assert float(root.get("width").rstrip("pt")) > 300 and float(root.get("height").rstrip("pt")) > 200
    assert len(list(root.iter())) > 200  # a drawing, not an empty canvas


def test_cluster_png(tmp_path):
    out = tmp_path / "cluster.png"
    r = run("plot", "cluster", "cloudmatrix384", "--vs", "gb200-nvl72", "--output", out)
    assert r.exit_code == 0, r.stderr
    w, h = assert_png(out, min_w=1000)


def test_latency_png(tmp_path):
    out = tmp_path / "tpot.png"
    r = run("plot", "latency", "cloudmatrix384", "h20", "--model", "deepseek-r1", "--output", out)
    assert r.exit_code == 0, r.stderr
    assert_png(out)


def test_latency_curve_up_to_the_largest_batch_that_fits(tmp_path, catalog):
    """`plot latency --batch max`: 1, 2, 4, ... up to each target's largest batch that fits at the context,
    and that batch itself (the number `chipcalc latency --batch max` gives)."""
    import re

    from chipcalc.output.plot import latency_curve

    lat = run("latency", "cloudmatrix384", "deepseek-r1", "-p", "int8", "--batch", "max", "--context", "4096")
    largest = int(re.search(r"largest that fits: (\d+)", lat.stdout).group(1))
    curve, notes = latency_curve(catalog, catalog.target("cloudmatrix384"), catalog.model("deepseek-r1"), None, 4096, "int8")
    powers = [2 ** k for k in range(largest.bit_length()) if 2 ** k <= largest]
    assert list(curve.batch) == sorted({*powers, largest}) and notes == []
    out = tmp_path / "max.png"
    r = run("plot", "latency", "cloudmatrix384", "--model", "deepseek-r1", "-p", "int8", "--batch", "max", "-o", out)
    assert r.exit_code == 0, r.stderr
    assert_png(out)


def test_never_clobbers_and_force(tmp_path):
    out = tmp_path / "cluster.png"
    out.write_bytes(b"keep me")
    r = run("plot", "cluster", "cloudmatrix384", "--vs", "gb200-nvl72", "-o", out)
    assert r.exit_code == 2
    assert "exists" in r.stderr and "--force" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    assert out.read_bytes() == b"keep me"
    r = run("plot", "cluster", "cloudmatrix384", "--vs", "gb200-nvl72", "-o", out, "--force")
    assert r.exit_code == 0, r.stderr
    assert_png(out, min_w=1000)


@pytest.mark.parametrize("name", ["plot.pdf", "plot", "plot.jpg"])
def test_bad_suffix_is_one_line(tmp_path, name):
    r = run("plot", "roofline", "h20", "-o", tmp_path / name)
    assert r.exit_code == 2
    assert r.stderr.startswith("chipcalc: error: ") and ".png or .svg" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr
    assert not (tmp_path / name).exists()


def test_unknown_names_and_missing_figures(tmp_path):
    r = run("plot", "roofline", "h2O", "-o", tmp_path / "x.png")
    assert r.exit_code == 2 and "did you mean" in r.stderr
    r = run("plot", "roofline", "ascend-910c", "-p", "fp8", "-o", tmp_path / "x.png")  # no FP8 on the 910C
    assert r.exit_code == 2 and "no dense fp8 peak" in r.stderr
    r = run("plot", "roofline", "h20", "-p", "fp7", "-o", tmp_path / "x.png")
    assert r.exit_code == 2 and "unknown precision" in r.stderr
    assert not list(tmp_path.iterdir())


def test_missing_matplotlib_is_a_clear_message(tmp_path, monkeypatch):
    for mod in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, mod)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now fails
    for args in (["plot", "cluster", "cloudmatrix384", "--vs", "gb200-nvl72", "-o", tmp_path / "c.png"],
                 ["report", "cloudmatrix384", "-o", tmp_path / "r.html"]):
        r = run(*args)
        assert r.exit_code == 2
        assert r.stderr.strip() == "chipcalc: error: plots need matplotlib: pip install 'chipcalc[plot]'"
    assert not list(tmp_path.iterdir())


def test_cli_import_stays_light():
    """`chipcalc --help` must not pay for matplotlib (or numpy/pint) because the plot commands exist."""
    code = ("import sys, chipcalc.cli.root, chipcalc.cli.plot; "
            "print(','.join(m for m in ('matplotlib', 'numpy', 'pint') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
    r = run("plot", "--help")
    assert r.exit_code == 0 and "roofline" in r.stdout and "cluster" in r.stdout and "latency" in r.stdout


# -- the library: what the charts mark -------------------------------------------------------

def test_assumed_bars_are_hatched_and_footnote_lists_sources(catalog):
    from chipcalc.output import plot

    chart = plot.cluster_bars(catalog.system("cloudmatrix384"), catalog.system("gb200-nvl72"))
    assert "ascend-910c.tdp" in chart.assumptions  # no official 910C TDP
    assert {"cm384-paper", "semianalysis-cm384"} <= set(chart.sources)
    hatched = [p for ax in chart.figure.axes for p in ax.patches if p.get_hatch()]
    solid = [p for ax in chart.figure.axes for p in ax.patches if not p.get_hatch()]
    assert hatched and solid
    texts = " ".join(t.get_text() for t in chart.figure.texts)
    assert "Sources: " in texts and "cm384-paper" in texts and "ascend-910c.tdp" in texts
    for ax in chart.figure.axes:
        assert "gb200-nvl72" in ax.get_xlabel()


def test_roofline_axes_units_and_ridges(catalog):
    from chipcalc.calc import cluster
    from chipcalc.output import plot

    chips = [catalog.chip("ascend-910c"), catalog.chip("h20")]
    chart = plot.roofline(chips, ["bf16"])
    ax = chart.figure.axes[0]
    assert "[FLOP/B]" in ax.get_xlabel() and "[TFLOPS]" in ax.get_ylabel()
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    # one ridge marker per chip, at (peak / bandwidth, peak)
    markers = [ln for ln in ax.get_lines() if ln.get_marker() == "o"]
    assert len(markers) == 2
    for chip, ln in zip(chips, markers):
        assert ln.get_xdata()[0] == pytest.approx(cluster.ridge_point(chip, "bf16").m("FLOP/B"))
        assert ln.get_ydata()[0] == pytest.approx(chip.get("bf16_dense").m("TFLOPS"))
    assert chart.to_bytes("svg").lstrip().startswith(b"<?xml")


def test_latency_curves_are_dashed_because_assumed(catalog):
    import numpy as np

    from chipcalc.output import plot

    curve, notes = plot.latency_curve(catalog, catalog.target("h20"), catalog.model("llama-3.1-70b"), np.array([1, 8, 64]), 4096)
    chart = plot.latency_curves([curve], "test")
    lines = [ln for ax in chart.figure.axes for ln in ax.get_lines()]
    assert lines and all(ln.get_linestyle() != "-" for ln in lines)
    assert "mfu" in chart.assumptions
    for ax, unit in zip(chart.figure.axes, ("[ms]", "[token/s]")):
        assert unit in ax.get_ylabel() and "sequences per chip" in ax.get_xlabel()


def test_roofline_precisions_have_distinct_styles(catalog):
    from chipcalc.output import plot

    chips = [catalog.chip("b200"), catalog.chip("h20")]
    chart = plot.roofline(chips, ["fp8", "int8"])
    ax = chart.figure.axes[0]
    roofs = [ln for ln in ax.get_lines() if len(ln.get_xdata()) > 10]
    assert len(roofs) == 4
    for chip in chips:
        fp8, int8 = [ln for ln in roofs if ln.get_label().startswith(chip.name + ",")]
        # B200 and H20 have the same FP8 and INT8 peaks: the two lines coincide, so they must differ in style
        assert list(fp8.get_ydata()) == pytest.approx(list(int8.get_ydata()))
        style = lambda ln: (ln.get_linewidth(), ln.get_marker(), ln.get_linestyle())  # noqa: E731
        assert style(fp8) != style(int8) and int8.get_marker() not in (None, "None", "", "o")
        assert "same roof as FP8" in int8.get_label() and "same roof" not in fp8.get_label()
        assert fp8.get_markevery() != int8.get_markevery()  # markers interleave instead of hiding each other


def test_cluster_ratio_axis_reads_as_ratios(catalog):
    from chipcalc.output import plot

    chart = plot.cluster_bars(catalog.system("cloudmatrix384"), catalog.system("gb200-nvl72"))
    chart.to_bytes("png")  # drawn, so the tick labels are laid out
    for ax in chart.figure.axes[:2]:
        lo, hi = ax.get_xlim()
        labels = [t.get_text() for t in ax.get_xticklabels()]
        expected = [f"{t:g}" for t in (0.1, 0.2, 0.5, 1, 2, 5, 10, 20) if lo <= t <= hi]
        assert labels == expected and {"0.5", "1", "2", "5"} <= set(labels)
        assert not ax.xaxis.get_minor_ticks() or all(not t.label1.get_text() for t in ax.xaxis.get_minor_ticks())


SMALL_CHARTS = """
def small_charts(n):
    # small figures with the artists chipcalc draws (bars with hatches and whiskers, lines, text, legend)
    from matplotlib.figure import Figure
    from chipcalc.output.plot import Chart
    out = []
    for k in range(n):
        fig = Figure(figsize=(3, 2), dpi=80, layout="constrained")
        ax = fig.subplots()
        ax.barh([0, 1], [1 + k, 2], hatch=["///", None], xerr=[0.2, 0.1], capsize=2, label="bars")
        ax.plot([0, 1, 2], [1, 0, k], linestyle=(0, (5, 3)), label="line")
        ax.text(0.5, 0.5, f"label {k} *", fontsize=7)
        ax.set_xscale("log")
        ax.set_title(f"chart {k}")
        fig.legend(loc="upper center")
        out.append(Chart(fig, f"chart {k}"))
    return out
"""

LEAN_PROBE = SMALL_CHARTS + """
import hashlib, sys
from chipcalc.output import plot
plot.require_matplotlib(lean=sys.argv[1] == "lean")
from matplotlib.lines import Line2D
line = Line2D([0], [1])
line.set(color="red", linewidth=3)  # set() still sets properties
doc = Line2D.set.__doc__ or ""
print(hashlib.sha256(b"".join(c.to_bytes("png") for c in small_charts(2))).hexdigest(), line.get_color(),
      line.get_linewidth(), "Supported properties" in doc)
"""


PNG_MANY_PROBE = """
import os
from chipcalc.output import plot
charts = small_charts(3)
forks = []
real_fork = os.fork
def counted():
    pid = real_fork()
    if pid:
        forks.append(pid)
    return pid
os.fork = counted
together = plot.png_many(charts)
os.fork = real_fork
alone = [c.to_bytes("png") for c in small_charts(3)]  # the same charts built afresh, drawn here
print(len(forks), [a == b for a, b in zip(together, alone)], all(x[:8] == b"\\x89PNG\\r\\n\\x1a\\n" for x in together),
      len(set(together)))
forks.clear()
os.fork = counted
drawings = plot.Drawings()
for c in small_charts(3):
    drawings.append(c)  # each drawn by a child from here on
eager = drawings.pngs()
os.fork = real_fork
print(len(forks), eager == alone)
"""


def test_cli_drawing_paths_in_fresh_processes():
    """Two fresh processes, one importing matplotlib as the chipcalc command does (lean), one as the library
    does. Lean: the charts are the same PNG bytes and set() works as before; only its docstring is gone.
    In the lean one, charts are also drawn at the same time by forked children (Linux, one thread, 2+
    cores), by png_many and by Drawings (a child per chart from when it is added, as a report builds its
    page): the same PNG bytes as drawing them one after another, in order."""
    import os

    def probe(mode):
        code = LEAN_PROBE + (PNG_MANY_PROBE if mode == "lean" else "")
        r = subprocess.run([sys.executable, "-c", code, mode], capture_output=True, text=True, timeout=180)
        assert r.returncode == 0, r.stderr
        return r.stdout.splitlines()

    lean, full = probe("lean"), probe("full")
    a, b = lean[0].split(), full[0].split()
    assert a[:3] == b[:3] and a[1:3] == ["red", "3.0"]
    assert (a[3], b[3]) == ("False", "True")
    line = lean[1]
    forks, same, (png, distinct) = line.split(maxsplit=1)[0], line.split("[", 1)[1].split("]")[0], line.split()[-2:]
    assert same == "True, True, True" and png == "True" and distinct == "3"  # three different charts, in order
    forking = sys.platform.startswith("linux") and (os.cpu_count() or 1) > 1
    assert forks == ("2" if forking else "0")
    assert lean[2] == ("3 True" if forking else "0 True")  # Drawings: a child per chart, the same bytes in order


def test_png_many_in_a_threaded_process_draws_here():
    """With other threads alive (this test process has pytest's), nothing is forked: the charts are drawn
    one after another, the same bytes."""
    import os
    import threading

    from chipcalc.output import plot

    ns: dict = {}
    exec(SMALL_CHARTS, ns)
    ev = threading.Event()
    th = threading.Thread(target=ev.wait)
    th.start()
    real_fork, os.fork = os.fork, None  # a fork here would fail the test
    try:
        assert plot.png_many(ns["small_charts"](2)) == [c.to_bytes("png") for c in ns["small_charts"](2)]
        drawings = plot.Drawings()
        for c in ns["small_charts"](2):
            drawings.append(c)
        assert drawings.pngs() == [c.to_bytes("png") for c in ns["small_charts"](2)]
    finally:
        os.fork = real_fork
        ev.set()
        th.join()
