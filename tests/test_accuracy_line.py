"""The model's own error on every latency answer (issue 13 item 6): the numbers are those of the published
points, hand-computed here, and the sentence says which runs were used to choose assumptions."""

import math
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chipcalc.calc.accuracy import Ratio, error_for, summarize
from chipcalc.cli.root import app

ROOT = Path(__file__).resolve().parents[1]


def r(id, ratio, fitted=False, phase="decode", vendor="NVIDIA"):
    return Ratio(id, phase, vendor, ratio, fitted, "src")


def test_summary_of_three_points_by_hand():
    rs = [r("a", 2.0, fitted=True), r("b", 0.5), r("c", 1.0), r("d", 9.0, phase="prefill"), r("e", 3.0, vendor="Huawei")]
    e = summarize(rs, "decode", "NVIDIA")
    assert e.ids == ("a", "b", "c") and e.fitted == 1 and e.fitted_ids == ("a",)
    assert (e.lo, e.hi) == (0.5, 2.0)
    assert e.geomean == pytest.approx(1.0)  # log 2 + log 0.5 + log 1 = 0
    assert e.log_error == pytest.approx(math.exp(2 * math.log(2) / 3))  # (|log 2| + |log 0.5| + 0) / 3
    text = e.text()
    assert text == ("model/measured tokens/s per chip on 3 published decode runs on NVIDIA: 0.50–2.00 (geomean 1.00, "
                    "mean error factor 1.59) [a (fitted), b, c]; the 1 marked (fitted) were used to choose assumptions")


def test_no_fitted_run_says_nothing_about_fitting_and_another_vendor_falls_back():
    rs = [r("x", 1.25, vendor="Huawei")]
    line = error_for(rs, "decode", "NVIDIA")
    assert line.startswith("Model accuracy: no published decode run on NVIDIA; model/measured tokens/s per chip on 1")
    assert "(fitted)" not in line and "choose" not in line
    assert error_for(rs, "prefill", "NVIDIA") == "Model accuracy: no published prefill run to compare with."


def test_a_latency_answer_counts_the_published_offline_runs_of_its_vendor():
    points = tomllib.loads((ROOT / "specs" / "measurements.toml").read_text(encoding="utf-8"))
    nvidia = {"b200", "h200", "dgx-h100", "hgx-h200", "dgx-b200", "gb200-nvl72"}
    offline = [k for k, v in points.items() if v.get("phase") == "offline" and v["target"] in nvidia]
    fitted = [k for k in offline if points[k].get("fitted")]
    out = CliRunner().invoke(app, ["latency", "dgx-b200", "llama-3.1-70b", "-p", "fp4", "--chips", "1", "--tp", "1",
                                   "--isl", "1000", "--osl", "1000", "--batch", "max"])
    assert out.exit_code == 0, out.stderr
    line = next(ln for ln in out.stdout.splitlines() if ln.startswith("Model accuracy"))
    assert f"on {len(offline)} published offline runs on NVIDIA" in line
    runs = line[line.index("[") + 1:line.index("]")]
    assert runs.count("(fitted)") == len(fitted) and f"the {len(fitted)} marked (fitted)" in line
    assert all(f"{k} (fitted)" in runs for k in fitted)
    for k in offline:
        assert k in line


def test_json_carries_the_numbers_of_the_sentence():
    import json
    import re

    out = CliRunner().invoke(app, ["latency", "h100-sxm", "llama-3.1-70b", "--chips", "8", "--tp", "8", "--batch", "32",
                                   "-f", "json"])
    assert out.exit_code == 0, out.stderr
    decode = next(t for t in json.loads(out.stdout)["tables"] if t["key"] == "latency.decode")
    (err,) = decode["model_error"]
    sentence = next(n for n in decode["notes"] if n.startswith("Model accuracy"))
    m = re.search(r"on (\d+) published decode runs on NVIDIA: ([\d.]+)–([\d.]+) \(geomean ([\d.]+), mean error factor ([\d.]+)\)",
                  sentence)
    assert m, sentence
    assert err["runs"] == int(m.group(1)) == len(err["ids"]) and err["vendor"] == err["asked_vendor"] == "NVIDIA"
    for key, g in (("min", 2), ("max", 3), ("geomean", 4), ("mean_error_factor", 5)):
        assert f"{err[key]:.2f}" == m.group(g), key
    assert set(err["fitted_ids"]) <= set(err["ids"]) and err["fitted_ids"]
    assert err["min"] <= err["geomean"] <= err["max"] and err["mean_error_factor"] >= 1
    front = CliRunner().invoke(app, ["pareto", "hgx-h20", "llama-3.1-70b", "-p", "fp8", "-f", "json"])
    assert front.exit_code == 0, front.stderr
    assert json.loads(front.stdout)["model_error"] == [err]  # the same decode runs judge the Pareto front
