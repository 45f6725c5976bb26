"""Issue 16 item 2: a throughput claim is never CONSISTENT when one decode step reads more bytes than
HBM bandwidth x TPOT allows (the batch rounded up to one sequence used to drop the TPOT)."""

from __future__ import annotations

import click.testing
import pytest
import typer.main
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chipcalc.claims import bound
from chipcalc.cli.root import app
from chipcalc.core.figure import Figure, Provenance
from chipcalc.core.units import Q

CLICK = typer.main.get_command(app)
runner = click.testing.CliRunner()
GIVEN = Provenance.assume("test claim", "numbers given by the test")


def spec(target, model, tokens, tpot_ms, **kw):
    return bound.BoundSpec(target, model, Figure(Q(tokens, "token/s"), GIVEN),
                           None if tpot_ms is None else Figure(Q(tpot_ms, "ms"), GIVEN), **kw)


def working(res):
    return dict(res.working)


def test_the_issue_case_is_implausible_not_consistent(catalog):
    res = bound.evaluate(catalog, spec("hgx-h20", "llama-3.1-70b", 100, 0.5), GIVEN)
    w = working(res)
    assert res.batch == 1
    step_bytes = w["step.bytes"].q.m_as("B")
    bw = w["rank.hbm_bandwidth"].q.m_as("B/s")
    assert step_bytes == pytest.approx(18.72e9, rel=1e-3)  # the issue's figure
    checks = {k: o for k, _, o in res.checks}
    # the step must finish within 0.5 ms: 18.72 GB / 4 TB/s / 0.5 ms = 9.36x the bandwidth
    assert checks["bandwidth"].lhs.q.m_as("") == pytest.approx(step_bytes / bw / 0.5e-3, rel=1e-9)
    assert checks["bandwidth"].lhs.q.m_as("") == pytest.approx(9.36, rel=1e-3)
    assert bound.label(res)[0] == "implausible"
    assert w["claim.steps"].q.m_as("1/s") == pytest.approx(2000)


def test_a_throughput_paced_claim_is_unchanged(catalog):
    # 500 tok/s at 4 ms: batch 2 exactly, 250 steps/s either way (the README's example, 125 %)
    res = bound.evaluate(catalog, spec("hgx-h20", "llama-3.1-70b", 500, 4), GIVEN)
    checks = {k: o for k, _, o in res.checks}
    assert checks["bandwidth"].lhs.q.m_as("") == pytest.approx(1.254, abs=5e-4)
    assert "claim.steps" not in working(res)


def test_cli_case_and_a_lower_bound_tpot():
    r = runner.invoke(CLICK, ["check", "--system", "hgx-h20", "--model", "llama-3.1-70b", "--decode-tokens-per-chip",
                              "100", "--tpot", "0.5ms"])
    assert r.exit_code == 0, r.stderr
    assert "Verdict: IMPLAUSIBLE" in r.stdout and "936% of HBM bandwidth" in r.stdout
    r = runner.invoke(CLICK, ["check", "--system", "hgx-h20", "--model", "llama-3.1-70b", "--decode-tokens-per-chip",
                              "100", "--tpot", ">50ms"])
    assert r.exit_code == 2
    assert "--tpot is an upper bound" in r.stderr and "write --tpot 50ms" in r.stderr
    r = runner.invoke(CLICK, ["check", "--system", "hgx-h20", "--model", "llama-3.1-70b", "--decode-tokens-per-chip",
                              "100", "--tpot", "<=50ms"])
    assert r.exit_code == 0 and "TPOT <= 50 ms" in r.stdout


TARGETS = [("hgx-h20", "llama-3.1-70b"), ("cloudmatrix384", "deepseek-r1"), ("h100-sxm", "llama-3.1-70b"),
           ("gb200-nvl72", "deepseek-v3")]


@settings(max_examples=25, derandomize=True, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from(TARGETS), st.floats(1, 20000), st.floats(0.05, 300), st.sampled_from([None, 1, 7, 64]))
def test_consistent_never_reads_more_than_bandwidth_times_tpot(catalog, tm, tokens, tpot_ms, batch):
    target, model = tm
    res = bound.evaluate(catalog, spec(target, model, tokens, tpot_ms, batch=batch), GIVEN)
    w = working(res)
    label = bound.label(res)[0]
    step_time_min = w["step.bytes"].q.m_as("B") / w["rank.hbm_bandwidth"].q.m_as("B/s")  # mtp 0: one token per step
    if label.startswith("consistent"):
        assert step_time_min <= tpot_ms * 1e-3 * (1 + 1e-9), (tm, tokens, tpot_ms, batch, step_time_min)
    if step_time_min > tpot_ms * 1e-3 * (1 + 1e-9):
        assert label == "implausible"
