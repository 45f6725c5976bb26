"""Numbers as engineers write them: the one formatting module (chipcalc.core.format) and what the
commands print with it. Machine formats keep full precision."""

import csv
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from chipcalc.cli.root import app
from chipcalc.core.figure import Figure, Provenance
from chipcalc.core.format import display, fmt_count, fmt_number, fmt_sci
from chipcalc.core.units import Q

runner = CliRunner()
SRC = Provenance.source("src-a")


@pytest.mark.parametrize("x,text", [
    (0, "0"), (0.30000000000000004, "0.3"), (752.0, "752"), (707.84, "707.8"), (999.96, "1,000"),
    (1456.3, "1,456"), (4095.99999, "4,096"), (129280, "129,280"), (-2.5, "-2.5"), (0.0012345, "0.001234"),
    (1.5e-5, "1.5e-5"), (1e6, "1e6"), (3.74e24, "3.74e24"), (1e308, "1e308"), (float("nan"), "n/a"),
    (None, "n/a"), (float("inf"), "inf"),
])
def test_fmt_number(x, text):
    assert fmt_number(x) == text


@pytest.mark.parametrize("x,text", [
    (7168, "7,168"), (999_999, "999,999"), (1_146_240, "1.146 M"), (2.788e6, "2.788 M"), (671e9, "671 B"),
    (37_551_276_032, "37.55 B"), (14.8e12, "14.8 T"), (9.999e15, "9,999 T"), (1e17, "1e17"), (1e308, "1e308"),
])
def test_counts_take_suffixes_where_large(x, text):
    assert fmt_count(x) == text


@pytest.mark.parametrize("values,unit,shown,texts", [
    ([752, 2500], "TFLOPS", "TFLOPS", ["752", "2,500"]),  # the field's form: kept
    ([10_000], "TFLOPS", "PFLOPS", ["10"]),  # five digits: one prefix up
    ([27_425], "GFLOP", "TFLOP", ["27.43"]),
    ([0.5, 0.8], "TB/s", "GB/s", ["500", "800"]),  # all below 1: one prefix down
    ([3.74e24], "FLOP", "FLOP", ["3.74e24"]),  # training compute beyond the ladder: scientific
    ([1e308], "FLOPS", "FLOPS", ["1e308"]),
    ([5e17], "FLOP", "PFLOP", ["500"]),
    ([70_272], "B", "kB", ["70.27"]),
    ([2e6, 3e5], "token/s", "token/s", ["2,000,000", "300,000"]),  # the smallest sets the row's suffix: none
    ([2e9, 3e6], "", "", ["2,000 M", "3 M"]),
    ([1e13, 5], "", "", ["10 T", "5e-12 T"]),  # ten digits or more: the largest decides
    ([0.3008], "x", "x", ["0.3008"]),
])
def test_one_display_unit_per_row(values, unit, shown, texts):
    d = display(values, unit)
    assert d.unit == shown
    factor = float(Q(1.0, unit).m_as(d.unit)) if unit not in ("x", "token/s") else 1.0
    assert [d.text(v * factor) for v in values] == texts


def test_range_ends_beyond_the_rows_nominals_read_as_counts():
    """A supply row whose nominal is 491,400 but whose range reaches 10.53 million: the high end takes the
    count suffix like any count (not 1.053e7), and a zero low end is 0, not '0 M'."""
    d = display([491_400], "die")
    assert [d.text(x) for x in (491_400, 0, 10_530_000)] == ["491,400", "0", "10.53 M"]
    assert display([1.638e6], "die").text(0) == "0"
    assert display([3e6], "TFLOPS").text(12_000_000) != "12 M"  # a ladder unit never takes a count suffix


def _back(text: str) -> float:
    """A formatted number read back (separators removed, suffix applied)."""
    mult = {"M": 1e6, "B": 1e9, "T": 1e12}
    num, _, suffix = text.partition(" ")
    return float(num.replace(",", "")) * mult.get(suffix, 1.0)


@settings(max_examples=300, deadline=None)
@given(st.floats(min_value=-1e300, max_value=1e300, allow_nan=False, allow_infinity=False))
def test_every_number_reads_back_within_four_figures(x):
    for f in (fmt_number, fmt_count, fmt_sci):
        text = f(x)
        assert len(text) <= 12, text  # never hundreds of digits
        assert _back(text) == pytest.approx(x, rel=5e-4, abs=1e-300), (f.__name__, x, text)


def test_figure_one_line_text():
    assert str(Figure(Q(1e308, "FLOPS"), SRC)).startswith("1e308 FLOPS (sourced: src-a)")
    assert str(Figure(Q(671e9, ""), SRC)).startswith("671 B (sourced")
    assert str(Figure(Q(14.8e12, "token"), SRC)).startswith("14.8 T tok")
    assert str(Figure(Q(288_768, "TFLOPS"), SRC, low=Q(271_795, "TFLOPS"), high=Q(299_520, "TFLOPS"))).startswith(
        "288.8 PFLOPS [271.8–299.5]")
    assert str(Figure(Q(3.74e24, "FLOP"), SRC)).startswith("3.74e24 FLOP")


def test_table_text_and_csv_full_precision(catalog):
    from chipcalc.output.render import render
    from chipcalc.output.table import Table

    t = Table("t", ["value"], key="t")
    t.add("params", "parameters", "", [Figure(Q(671_025_397_760, ""), SRC)])
    t.add("flops", "training FLOPs", "FLOP", [Figure(Q(3.7404e24, "FLOP"), SRC)])
    t.add("step", "FLOPs per step", "GFLOP", [Figure(Q(27_425.4, "GFLOP"), SRC)])
    text = render([t], "plain", catalog)
    assert _row(text, "parameters").split()[1:3] == ["671", "B"]
    assert _row(text, "training FLOPs").split()[2:4] == ["FLOP", "3.74e24"]
    assert _row(text, "FLOPs per step").split()[3:5] == ["TFLOP", "27.43"]
    rows = {r["key"]: r for r in csv.DictReader(io.StringIO(render([t], "csv", catalog)))}
    assert float(rows["params"]["value"]) == 671_025_397_760 and rows["params"]["value unit"] == ""
    assert float(rows["flops"]["value"]) == pytest.approx(3.7404e24, rel=1e-12) and rows["flops"]["value unit"] == "FLOP"
    assert float(rows["step"]["value"]) == pytest.approx(27_425.4) and rows["step"]["value unit"] == "GFLOP"


def _row(out: str, label: str) -> str:
    return next(line for line in out.splitlines() if line.startswith(label))


def test_model_card_counts():
    out = runner.invoke(app, ["model", "deepseek-r1"]).stdout
    assert _row(out, "total parameters  ").split()[2] == "671"
    assert " 671 B " in _row(out, "total parameters  ") and "37 B" in _row(out, "parameters active per token  ")
    assert "671,000,000,000" not in out and "7,168" in _row(out, "hidden size")  # small counts stay exact


def test_train_tokens_and_compute_as_the_field_writes_them():
    out = runner.invoke(app, ["train", "deepseek-v3", "--tokens", "14.8T", "--chip", "h800", "--gpu-hours", "2.788M"]).stdout
    assert "14.8 T" in _row(out, "training tokens") and "token " in _row(out, "training tokens")
    assert "3.74e24" in _row(out, "training FLOPs  ") and "FLOP " in _row(out, "training FLOPs  ")
    assert "ZFLOP" not in out and "Ttoken" not in out
    assert "2.788 M" in _row(out, "reported budget")


def test_per_die_rows_say_per_die():
    out = runner.invoke(app, ["chip", "ascend-910c", "--per", "die"]).stdout
    labels = [line[:45] for line in out.split("-----\n", 1)[1].split("\n\n", 1)[0].splitlines()]
    assert not any("per chip" in x for x in labels), labels
    assert "BF16 dense peak, per die" in out and "scale-up bandwidth per die, per direction" in out
    assert "376 [353.9–390]" in _row(out, "BF16 dense peak, per die")
    out = runner.invoke(app, ["latency", "cloudmatrix384", "deepseek-r1", "-p", "int8", "--device", "die"]).stdout
    assert _row(out, "ranks (one per die)").split()[-2:] == ["768", "dies"]
    assert _row(out, "chips used (packages)").split()[-1] == "384"


def test_latency_counts_have_separators_and_flops_a_readable_prefix():
    import re

    out = runner.invoke(app, ["latency", "cloudmatrix384", "deepseek-r1", "-p", "int8", "--batch", "96",
                              "--context", "4096", "--mtp", "1"]).stdout
    assert _row(out, "context (tokens of KV per sequence)").split()[-1] == "4,096"
    # about 28 TFLOP per step (not 28,000 GFLOP); about a million tokens/s per system: exact below a million
    # (987,272), else with the suffix (1.185 M, not 1,185,281)
    assert re.search(r"\bTFLOP\s+\d{1,3}\.\d+", _row(out, "FLOPs per step"))
    assert re.search(r"\btoken/s\s+(\d{1,3},\d{3}|\d\.\d+ M)\*†", _row(out, "output tokens/s per system"))
    assert re.search(r"\bms\s+\d{1,3}(\.\d+)?\*†", _row(out, "TPOT (time per output token)"))
