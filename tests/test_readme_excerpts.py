"""The README shows real output: every excerpt is what the command prints (see readme_excerpts.py)."""

import pytest

from readme_excerpts import README, excerpts, mismatches
from test_golden import COMMANDS

EXCERPTS = excerpts(README.read_text())


def test_the_readme_has_excerpts():
    cmds = [c for c, _, _ in EXCERPTS]
    assert "chipcalc cluster cloudmatrix384 --vs gb200-nvl72" in cmds and len(cmds) >= 7


@pytest.mark.parametrize("cmd,lines", [(c, ln) for c, ln, _ in EXCERPTS], ids=[c for c, _, _ in EXCERPTS])
def test_excerpt_is_real_output(cmd, lines):
    assert cmd in COMMANDS, f"{cmd}: no golden output (test_golden reads README commands)"
    bad = mismatches(cmd, lines)
    assert not bad, f"{cmd}: README lines not in its output (python tests/readme_excerpts.py rewrites them):\n" + "\n".join(bad)


def test_a_row_cut_down_to_its_label_is_a_mismatch_and_a_refresh_keeps_its_value():
    """When a wider column moves a value right, an excerpt that kept only the label has lost what it quoted:
    the check flags it, and the refresher keeps the old number of cells, not the old width."""
    from readme_excerpts import mismatches, refreshed

    cmd = "chipcalc latency hgx-h20 llama-3.1-70b -p fp8 --tp 4 --pp 2 --batch 48"
    row = "layers per pipeline stage (the busiest)"
    assert mismatches(cmd, [row]) == [row]
    fixed = refreshed(cmd, [row + "          40"])
    assert fixed[0].split() == row.split() + ["40"] and mismatches(cmd, fixed) == []
