"""N-way comparisons beyond `chipcalc cluster`: `plot cluster A --vs B --vs C` and `report A --vs B --vs C`
put every system in the picture and the tables, relative to one of them."""

import pytest
from typer.testing import CliRunner

from chipcalc.cli.root import app

pytest.importorskip("matplotlib", reason="plots and the report need the plot extra")
runner = CliRunner()
THREE = ["cloudmatrix384", "--vs", "gb200-nvl72", "--vs", "gb300-nvl72"]


def test_three_systems_in_one_bar_chart(catalog):
    from chipcalc.output import plot

    a, b, c = (catalog.system(x) for x in ("cloudmatrix384", "gb200-nvl72", "gb300-nvl72"))
    chart = plot.cluster_bars(a, [b, c], base=1)
    bars = [p for ax in chart.figure.axes for p in ax.patches]
    labels = [t.get_text() for t in chart.figure.legends[0].get_texts()]
    assert labels[:3] == [f"{a.name} (cloudmatrix384)", f"{b.name} (gb200-nvl72) = 1", f"{c.name} (gb300-nvl72)"]
    per_chip = chart.figure.axes[0]
    n_rows = len(per_chip.get_yticks())
    assert len(per_chip.patches) == 3 * n_rows  # one bar per system and row
    widths = sorted(round(p.get_width(), 6) for p in bars)
    assert 1.0 in widths  # the base's own bars are exactly 1
    # the CM384's BF16 bar is 752 / 2500 of the GB200's (hand-computed from the two spec sheets)
    bf16 = [p.get_width() for p in per_chip.patches if abs(p.get_width() - 752 / 2500) < 1e-9]
    assert bf16, sorted(p.get_width() for p in per_chip.patches)
    assert "--vs gb200-nvl72 --vs gb300-nvl72" in " ".join(chart.notes)


def test_plot_cluster_three_way_and_base(tmp_path):
    out = tmp_path / "three.png"
    r = runner.invoke(app, ["plot", "cluster", *THREE, "--base", "gb300-nvl72", "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "cloudmatrix384, gb200-nvl72 relative to gb300-nvl72" in r.output
    r = runner.invoke(app, ["plot", "cluster", *THREE, "--base", "hgx-h20", "-o", str(tmp_path / "x.png")])
    assert r.exit_code == 2 and "--base hgx-h20: not one of the systems compared" in r.output
    r = runner.invoke(app, ["plot", "cluster", "gb200-nvl72", "--vs", "gb200-nvl72", "-o", str(tmp_path / "y.png")])
    assert r.exit_code == 2 and "names one twice" in r.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["three.png"]


def test_report_three_way(tmp_path):
    out = tmp_path / "r.html"
    r = runner.invoke(app, ["report", *THREE, "-o", str(out)])
    assert r.exit_code == 0, r.output
    html = out.read_text()
    for col in ("cloudmatrix384 / gb200-nvl72", "cloudmatrix384 / gb300-nvl72"):
        assert col in html
    assert html.count("Against NVIDIA GB200 NVL72, Huawei CloudMatrix 384 has") == 1
    assert html.count("Against NVIDIA GB300 NVL72, Huawei CloudMatrix 384 has") == 1
    assert "gb300-nvl72 relative to gb200-nvl72 (= 1)" in html


def test_report_base_moves_the_ratios(catalog):
    """--base reaches the headline (the report's own builder, without drawing a page)."""
    from chipcalc.output import report_sections as rs

    systems = [catalog.system(x) for x in ("cloudmatrix384", "gb200-nvl72", "gb300-nvl72")]
    t = rs.headline_table(systems, "bf16", base=1)
    assert t.columns[3:] == ["gb200-nvl72 / cloudmatrix384", "gb200-nvl72 / gb300-nvl72"]
    peak = next(r for r in t.rows if r.key == "peak_chip")
    assert peak.cells[3].fig.m("") == pytest.approx(2500 / 752)  # GB200 over the 910C, BF16 dense per chip
    assert peak.cells[4].fig.m("") == pytest.approx(1.0)  # GB200 and GB300: the same 2.5 PFLOPS dense BF16
    sentence = rs.headline_sentence(systems, "bf16", base=1)
    assert sentence.startswith("Against Huawei CloudMatrix 384, NVIDIA GB200 NVL72 has")
    assert "Against NVIDIA GB300 NVL72, NVIDIA GB200 NVL72 has" in sentence


def _json_rows(out: str, key: str) -> dict:
    import json

    data = json.loads(out)
    tables = data["tables"] if isinstance(data, dict) else data
    table = next(t for t in tables if t["key"] == key)
    return table, {r["key"]: r for r in table["rows"]}


def test_latency_three_way_ratios_of_the_base_over_each_other():
    """`latency A MODEL --vs B --vs C --base C`: one column per target, then C / A and C / B, each the
    quotient of the columns' own figures (checked against the same output)."""
    args = ["latency", "cloudmatrix384", "deepseek-v3", "--vs", "gb200-nvl72", "--vs", "gb300-nvl72", "--batch", "32", "-f", "json"]
    r = runner.invoke(app, args + ["--base", "gb300-nvl72"])
    assert r.exit_code == 0, r.stderr
    table, rows = _json_rows(r.stdout, "latency.decode")
    assert table["columns"] == ["cloudmatrix384", "gb200-nvl72", "gb300-nvl72",
                                "gb300-nvl72 / cloudmatrix384", "gb300-nvl72 / gb200-nvl72"]
    cells = rows["tps_chip"]["cells"]
    a, b, c = (cells[k]["value"] for k in ("cloudmatrix384", "gb200-nvl72", "gb300-nvl72"))
    assert cells["gb300-nvl72 / cloudmatrix384"]["value"] == pytest.approx(c / a, rel=1e-9)
    assert cells["gb300-nvl72 / gb200-nvl72"]["value"] == pytest.approx(c / b, rel=1e-9)
    # without --base the first is the base
    r = runner.invoke(app, args)
    table, _ = _json_rows(r.stdout, "latency.decode")
    assert table["columns"][-2:] == ["cloudmatrix384 / gb200-nvl72", "cloudmatrix384 / gb300-nvl72"]


def test_latency_base_errors():
    base = ["latency", "cloudmatrix384", "deepseek-v3", "--vs", "gb200-nvl72"]
    r = runner.invoke(app, base + ["--base", "hgx-h20"])
    assert r.exit_code == 2 and "--base hgx-h20: not one of the targets compared" in r.stderr
    r = runner.invoke(app, base + ["--base", "gb200-nvl72", "--batch", "1,16"])
    assert r.exit_code == 2 and "--base compares targets at one batch and one context" in r.stderr
    r = runner.invoke(app, base + ["--vs", "cloudmatrix384"])
    assert r.exit_code == 2 and "each target once" in r.stderr
