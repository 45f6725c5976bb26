"""The library face (`import chipcalc as cc`): what a notebook user types, and what it shows."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import chipcalc as cc
from chipcalc.core.errors import ChipcalcError, UsageError

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def cat():
    return cc.load()


def test_the_issue_one_liner_prints_one_line():
    code = "import chipcalc as cc; c = cc.load(); print(c.system('cloudmatrix384').total('bf16_dense'))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.count("\n") == 1
    assert out.startswith("288.8 PFLOPS [271.8–299.5] (sourced: cm384-paper")


def test_figure_str_format_to_and_provenance(cat):
    f = cat.system("cloudmatrix384").total("bf16_dense")
    assert format(f, ".3g") == "289 PFLOPS"
    assert f.to("PFLOPS").m("PFLOPS") == pytest.approx(384 * 752 / 1000)
    assert f.sources == ("cm384-paper",) and f.assumptions == () and f.status == "sourced"
    tdp = cat.chip("ascend-910c")["tdp"]
    assert str(tdp).startswith("700 W [600–800] (assumed: ascend-910c.tdp")
    assert tdp.status == "assumed" and tdp.assumptions == ("ascend-910c.tdp",)
    ratio = (cat.chip("ascend-910b")["hbm_capacity"] / cat.chip("ascend-910c")["hbm_capacity"]).to("")
    assert str(ratio).split(" ")[0] == format(ratio.m(""), ".4g")  # a plain number has no unit


def test_reprs_are_one_short_line(cat):
    r = cc.cluster("cloudmatrix384", "gb200-nvl72", catalog=cat)
    things = [cat, cat.chip("ascend-910c"), cat.system("cloudmatrix384"), cat.model("deepseek-r1"),
              cat.system("cloudmatrix384").total("bf16_dense"), r, r[0], cat.chips, cat.source("cm384-paper")]
    for x in things:
        text = repr(x)
        assert "\n" not in text and len(text) < 200, text


def test_listings_and_lookups(cat):
    chips = cat.chips()
    assert [c.id for c in chips] == sorted(cat.chips) and len(chips) == len(cat.chips)
    assert cat.claim("cm384-300pf-bf16").title.startswith("CloudMatrix 384 delivers 300 PFLOPS")
    with pytest.raises(KeyError, match="did you mean hbm_bandwidth"):
        cat.chip("h20")["hbm_bandwith"]
    with pytest.raises(UsageError, match="unknown system .cloudmatrix38x.; did you mean cloudmatrix384"):
        cat.system("cloudmatrix38x")


def test_html_for_jupyter(cat):
    f = cat.chip("h20")["hbm_bandwidth"]
    html = f._repr_html_()
    assert html.startswith("<table>") and "TB/s" in html and "toms-h20" in html
    page = cc.compare("h20", "h100-sxm", catalog=cat)._repr_html_()
    assert "<table>" in page and "h100-sxm" in page


def test_result_rows_are_plain_numbers_with_provenance(cat):
    rows = cc.cluster("cloudmatrix384", "gb200-nvl72", catalog=cat).rows()
    row = next(r for r in rows if r["row"] == "bf16_dense_total" and r["column"] == "cloudmatrix384")
    assert row["value"] == pytest.approx(288.768) and row["unit"] == "PFLOPS"
    assert (row["low"], row["high"]) == (pytest.approx(271.8, rel=1e-3), pytest.approx(299.52, rel=1e-3))
    assert row["status"] == "sourced" and "cm384-paper" in row["sources"]
    ratio = next(r for r in rows if r["row"] == "bf16_dense_total" and r["column"] == "ratio")
    assert ratio["value"] == pytest.approx(288.768 / 180) and ratio["unit"] == ""


def test_every_question_has_a_function(cat):
    lat = cc.latency("cloudmatrix384", model="deepseek-r1", precision="int8", batch=96, context=4096, mtp=1, catalog=cat)
    tpot = next(r for r in lat.rows() if r["row"] == "tpot")
    assert tpot["unit"] == "ms" and tpot["status"] == "assumed" and "mfu" in tpot["assumptions"]
    assert str(cc.check("cm384-300pf-bf16", catalog=cat)).startswith("Claim cm384-300pf-bf16")
    assert cc.verdict("cm384-300pf-bf16", catalog=cat).label == "consistent"
    assert cc.verdict(expression="h20.hbm_bandwidth > h100-sxm.hbm_bandwidth", catalog=cat).label == "consistent"
    train = cc.train("deepseek-v3", "14.8T", on="h800", gpu_hours="2.788M", catalog=cat)
    mfu = next(r for r in train.rows() if r["row"] == "mfu")
    assert mfu["value"] == pytest.approx(37.66, abs=0.05)
    assert "chips" in str(cc.fleet("ascend-910c:200000", "h20:1000000", catalog=cat))
    assert len(cc.model("deepseek-r1", catalog=cat)) == 2 and len(cc.chip("h20", catalog=cat)) == 1
    with pytest.raises(UsageError):
        cc.compare("h20", catalog=cat)


def test_to_pandas_or_a_clear_error(cat, monkeypatch):
    r = cc.compare("h20", "h100-sxm", catalog=cat)
    monkeypatch.setitem(sys.modules, "pandas", None)  # as if pandas were not installed
    with pytest.raises(ChipcalcError, match=r"pip install 'chipcalc\[pandas\]'"):
        r.to_pandas()


def test_load_applies_sets_and_prefer():
    c = cc.load(sets={"ascend-910c.tdp": "600W"})
    tdp = c.chip("ascend-910c")["tdp"]
    assert tdp.m("W") == 600 and "user override" in tdp.note
    assert cc.load(prefer="analyst").chip("ascend-910c")["bf16_dense"].m("TFLOPS") == pytest.approx(780)


def test_import_is_cheap_and_the_version_is_pyproject_s():
    code = "import sys, chipcalc; print(sorted(m for m in ('pint', 'numpy', 'tabulate', 'typer') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    assert cc.__version__ == tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]


def test_the_readme_python_example_runs(capsys):
    text = (ROOT / "README.md").read_text()
    block = text.split("## In Python", 1)[1].split("```python", 1)[1].split("```", 1)[0]
    exec(compile(block, "README.md", "exec"), {})
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("288.8 PFLOPS [271.8–299.5] (sourced: cm384-paper")
    assert out[1] == "700 W [600–800] (assumed: ascend-910c.tdp)"
