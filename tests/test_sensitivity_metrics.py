"""`chipcalc sensitivity` on serving and training metrics: the nominal is what `latency` / `train` print,
the swings follow the formulas (hand-checked where the metric is a closed form), and an input whose end
makes the model not fit says so instead of printing a number."""

import json

import pytest
from typer.testing import CliRunner

from chipcalc.cli.root import app

runner = CliRunner()


def _json(*args):
    r = runner.invoke(app, [*args, "-f", "json"])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def _rows(doc, i=0):
    return {row["key"]: row for row in doc["tables"][i]["rows"]}


def _cell(doc, table_key, row_key, col):
    t = next(t for t in doc["tables"] if t["key"] == table_key)
    return next(r for r in t["rows"] if r["key"] == row_key)["cells"][col]


def test_serving_nominal_is_the_latency_commands_tpot():
    sens = _json("sensitivity", "hgx-h20", "--model", "llama-3.1-70b", "--metric", "tpot")
    lat = _json("latency", "hgx-h20", "llama-3.1-70b")
    tpot = _cell(lat, "latency.decode", "tpot", "hgx-h20")["value"]
    rows = _rows(sens)
    # varying mbu alone and pinning the rest: at mbu's high end TPOT is below the nominal, at its low end above
    mbu = rows["mbu"]["cells"]
    assert mbu["metric at low"]["value"] > tpot > mbu["metric at high"]["value"]
    assert f"(nominal {tpot:.4g} ms)" in sens["tables"][0]["title"]
    # the usable-HBM share at its low end (0.8) leaves no room for batch 32 at 4,096 tokens: no number
    assert rows["hbm_usable"]["cells"]["metric at low"] == {"text": "does not fit"}
    assert rows["hbm_usable"]["cells"]["swing"] == {"text": "fits or not"}
    assert list(rows)[0] == "hbm_usable"  # fitting or not outranks any finite swing


def test_serving_tokens_per_chip_on_a_system_holds_the_layout():
    doc = _json("sensitivity", "cloudmatrix384", "--model", "deepseek-r1", "-p", "int8", "--metric", "tokens_per_s_per_chip")
    title = doc["tables"][0]["title"]
    assert "batch 32, context 4,096, 384 chips TP1 EP384" in title
    rows = _rows(doc)
    assert "ascend-910c.hbm_bandwidth" in rows and "mfu" in rows and "alltoall_overhead" in rows
    # more per-dispatch overhead, fewer tokens/s
    a2a = rows["alltoall_overhead"]["cells"]
    assert a2a["metric at low"]["value"] > a2a["metric at high"]["value"]


def test_training_time_scales_as_one_over_mfu():
    doc = _json("sensitivity", "h800", "--model", "deepseek-v3", "--tokens", "14.8T", "--chips", "2048")
    rows = _rows(doc)
    title = doc["tables"][0]["title"]
    nominal = float(title.rsplit("nominal ", 1)[1].split()[0])
    mfu = rows["train_mfu"]["cells"]
    lo, hi = (float(x) for x in mfu["input range"]["text"].split("–"))
    assert (lo, hi) == (0.25, 0.55)
    # time = FLOPs / (chips x peak x MFU): at MFU 0.25 it is nominal x 0.4 / 0.25 (train_mfu nominal 0.4)
    assert mfu["metric at low"]["value"] == pytest.approx(nominal * 0.4 / 0.25, rel=1e-3)
    assert mfu["metric at high"]["value"] == pytest.approx(nominal * 0.4 / 0.55, rel=1e-3)
    # DeepSeek reports 2.788 M H800 hours on 2,048 GPUs, 56.7 days; the nominal model is within 10 %
    assert nominal == pytest.approx(2.788e6 / 2048 / 24, rel=0.10)


@pytest.mark.parametrize("args,message", [
    (["hgx-h20", "--model", "llama-3.1-70b", "--metric", "tpt"], "--metric tpt: not a serving metric; did you mean tpot"),
    (["h800", "--model", "deepseek-v3", "--tokens", "14.8T", "--chips", "2k", "--metric", "tpot"], "--metric tpot: not a training metric"),
    (["cloudmatrix384", "--batch", "3"], "--batch is for a serving or training sensitivity"),
    (["hgx-h20", "--model", "llama-3.1-70b", "--vs", "gb200-nvl72"], "a serving or training sensitivity takes one target"),
    (["hgx-h20", "--tokens", "1T"], "--tokens needs --model"),
    (["hgx-h20", "--model", "llama-3.1-70b", "--batch", "4096", "--context", "128k"], "does not fit on hgx-h20"),
    (["h800", "--model", "deepseek-v3", "--tokens", "14.8T"], "give --chips N for h800"),
])
def test_bad_serving_and_training_sensitivity_input(args, message):
    r = runner.invoke(app, ["sensitivity", *args])
    assert r.exit_code in (1, 2), r.output
    lines = [ln for ln in r.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and message in lines[0], r.output
