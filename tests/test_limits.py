"""Issue 16 item 5: a user's mistake is exit 1 or 2 with one line, never exit 3 (internal error):
negative seeds, huge sample counts, claims of extreme size and depth, deeply nested TOML."""

from __future__ import annotations

import click.testing
import pytest
import typer.main

from chipcalc.calc import ranges
from chipcalc.claims import expr
from chipcalc.cli.root import app

CLICK = typer.main.get_command(app)
runner = click.testing.CliRunner()


def run(*args):
    return runner.invoke(CLICK, list(args), prog_name="chipcalc")


def one_line_error(r, code):
    assert r.exit_code == code, (r.exit_code, r.stderr, r.exception)
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("chipcalc: error: "), r.stderr
    return lines[0]


def test_negative_seed_is_a_usage_error():
    line = one_line_error(run("cluster", "cloudmatrix384", "--method", "montecarlo", "--seed", "-1"), 2)
    assert "--seed must be a whole number from 0" in line


def test_huge_sample_counts_are_capped_and_said(monkeypatch):
    assert ranges.sampling(10**11, 0)[0] == ranges.MAX_SAMPLES
    assert ranges.sampling(500, 7) == (500, "")
    monkeypatch.setattr(ranges, "MAX_SAMPLES", 2000)  # the same path, fast
    r = run("cluster", "cloudmatrix384", "--method", "montecarlo", "--samples", "100000000000", "--seed", "3")
    assert r.exit_code == 0, r.stderr
    assert "Monte Carlo, 2,000 samples, seed 3" in r.stdout
    assert "--samples 100,000,000,000 is above the limit of 2,000; 2,000 were drawn." in r.stdout


@pytest.mark.parametrize("text,msg", [
    (" + ".join(["h20.tdp"] * 500) + " > 1 W", "at most 2,000 characters"),
    (" + ".join(["h20.tdp"] * 65) + " > 1 W", "at most 64 figures and numbers; this one has 66"),
    ("(" * 300 + "h20.tdp" + ")" * 300 + " > 1 W", "nested more than 32 levels deep"),
    ("(" * 40 + "h20.tdp" + ")" * 40 + " > 1 W", "nested more than 32 levels deep"),
    ("-" * 40 + "h20.tdp > 1 W", "nested more than 32 levels deep"),
    ("max(" * 40 + "h20.tdp" + ", 1 W)" * 40 + " > 1 W", "nested more than 32 levels deep"),
])
def test_claims_of_extreme_size_and_depth_are_refused(text, msg):
    with pytest.raises(expr.ExprError, match=msg.replace("(", r"\(")):
        expr.parse(text)
    line = one_line_error(run("check", "--claim", text), 2)
    assert msg in line and len(line) < 400


@pytest.mark.parametrize("text", [
    " + ".join(["h20.tdp"] * 63) + " > 1 W",
    "(" * 31 + "h20.tdp" + ")" * 31 + " > 1 W",
    " * ".join(["h20.tdp / h20.tdp"] * 31) + " >= 1",
])
def test_claims_just_inside_the_limits_are_judged(text):
    r = run("check", "--claim", text)
    assert r.exit_code == 0, r.stderr
    assert "Verdict: CONSISTENT" in r.stdout


def test_claim_without_a_comparison_is_not_a_claim():
    line = one_line_error(run("check", "--claim", "h20.tdp"), 2)
    assert "'h20.tdp' has no comparison, so it is not a claim" in line


@pytest.mark.parametrize("body", ["[" * 3000 + "]" * 3000, "[" * 500 + "]" * 500, "{a=" * 30 + "1" + "}" * 30])
def test_deeply_nested_toml_is_a_data_error(tmp_path, body):
    (tmp_path / "chips").mkdir()
    (tmp_path / "chips" / "x.toml").write_text(f'id = "x"\nname = "X"\nvendor = "V"\ntdp = {body}\n')
    r = run("validate", str(tmp_path))
    assert r.exit_code == 1, (r.exit_code, r.stderr)
    assert "chips/x.toml: tables or arrays nested more than 16 levels deep" in r.stderr
    r = run("list", "--specs", str(tmp_path))
    assert r.exit_code == 1 and "nested more than 16 levels deep" in r.stderr


# -- found by the fuzz suites (issue 16) ----------------------------------------------------------

def test_a_spec_folder_name_too_long_is_a_data_error_not_a_bug():
    r = run("validate", "(" * 300)
    assert r.exit_code == 1 and r.exception is None or isinstance(r.exception, SystemExit)
    problem, summary = r.stderr.strip().splitlines()[-2:]  # after any warnings
    assert problem.endswith(": spec folder cannot be read (File name too long)")
    assert summary.startswith("chipcalc: error: 1 problem in")
    assert "cannot be read (File name too long)" in one_line_error(run("list", "--specs", "a" * 300), 2)


@pytest.mark.parametrize("name", ["a\nb", "x\x0cy", "p\u2028q"])
def test_errors_stay_one_line_whatever_the_input_holds(name):
    line = one_line_error(run("chip", name), 2)
    assert "unknown chip" in line


def test_an_expression_that_overflows_is_an_error_not_inf():
    line = one_line_error(run("check", "--claim", "1e308 W + 1e308 W > 1 W"), 2)
    assert "overflow at column 9: 1e308 W + 1e308 W is too large to compute" in line
