"""Issue 16 item 7: small inputs that were accepted without a word (or read wrongly) are now errors."""

from __future__ import annotations

import subprocess
import sys

import click.testing
import pytest
import typer.main

from chipcalc.cli.root import app

CLICK = typer.main.get_command(app)
runner = click.testing.CliRunner()


def run(*args):
    return runner.invoke(CLICK, list(args), prog_name="chipcalc")


def usage_error(r):
    assert r.exit_code == 2, (r.exit_code, r.stdout[-300:], r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("chipcalc: error: "), r.stderr
    return lines[0]


def test_the_same_figure_set_twice_is_an_error():
    line = usage_error(run("chip", "ascend-910c", "--set", "ascend-910c.tdp=600W", "--set", "ascend-910c.tdp=650W"))
    assert "--set ascend-910c.tdp is given twice (600W and 650W); give it once" in line


def test_the_footnote_names_the_catalog_value():
    r = run("cluster", "cloudmatrix384", "--set", "ascend-910c.tdp=600W", "--set", "cloudmatrix384.power=600kW")
    assert r.exit_code == 0, r.stderr
    assert "user override --set ascend-910c.tdp=600W (catalog value: 700 W)" in r.stdout
    assert "user override --set cloudmatrix384.power=600kW (catalog value: 559 kW)" in r.stdout


@pytest.mark.parametrize("value", ["1,,2", "1,2,", ",8"])
def test_batch_lists_with_empty_items_are_refused(value):
    line = usage_error(run("latency", "hgx-h20", "llama-3.1-70b", "--batch", value))
    assert f"--batch '{value}' has an empty item" in line


def test_mtp_beyond_what_the_model_card_allows():
    line = usage_error(run("latency", "cloudmatrix384", "deepseek-r1", "--mtp", "50"))
    assert "--mtp 50 is more speculative tokens per step than deepseek-r1's 1 MTP module(s) x 4 drafts each" in line
    for args in (["sweep", "latency", "cloudmatrix384", "deepseek-r1", "--mtp", "50"],
                 ["check", "--system", "cloudmatrix384", "--model", "deepseek-r1", "--decode-tokens-per-chip", "1000",
                  "--tpot", "50ms", "--mtp", "50"]):
        assert "--mtp 50 is more speculative tokens" in usage_error(run(*args))
    assert run("latency", "cloudmatrix384", "deepseek-r1", "--mtp", "3").exit_code == 0
    r = run("latency", "cloudmatrix384", "deepseek-r1", "--mtp", "6", "--set", "mtp_drafts_per_module=6")
    assert r.exit_code == 0, r.stderr


def test_fractional_training_tokens_are_refused():
    line = usage_error(run("train", "deepseek-v3", "--tokens", "0.5", "--chip", "h800", "--gpu-hours", "2.788M"))
    assert "--tokens must be a whole number, got '0.5'" in line


@pytest.mark.parametrize("count", ["1e30", "1e400", "9007199254740993"])
def test_fleet_counts_beyond_exact_arithmetic_are_refused(count):
    line = usage_error(run("fleet", f"h20:{count}"))
    assert "at most 9,007,199,254,740,992 chips" in line


def test_a_large_exact_fleet_count_prints_exactly():
    r = run("fleet", "h20:9007199254740992", "-f", "csv")
    assert r.exit_code == 0, r.stderr
    assert "9007199254740992" in r.stdout.replace(",", "").replace(".0", "")


@pytest.mark.parametrize("args", [
    ["sensitivity", "cloudmatrix384", "--vs", "gb200-nvl72", "--vs", "hgx-h20"],  # one ratio at a time
])
def test_a_repeated_vs_is_a_usage_error(args, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    line = usage_error(run(*args))
    assert "--vs is given 2 times (gb200-nvl72, hgx-h20); compare two systems at a time" in line
    assert list(tmp_path.iterdir()) == []


def test_console_script_runs_train():
    # with only cli/train.py imported the app had one command, and typer ran it as the app:
    # `chipcalc train deepseek-v3 ...` read "train" as the model (exit 2)
    r = subprocess.run([sys.executable, "-m", "chipcalc", "train", "deepseek-v3", "--tokens", "14.8T", "--chip", "h800",
                        "--gpu-hours", "2.788M"], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    assert "implied MFU = FLOPs / (chip-hours x peak)" in r.stdout
