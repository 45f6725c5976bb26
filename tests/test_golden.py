"""Golden outputs: every complete `chipcalc ...` example of the README prints exactly what is stored.

The commands are read from the README itself (code blocks and inline code without placeholders), so a
new example is covered as soon as it is written. Regenerate the stored outputs only when an output change
is intended (and say so in the commit): ``CHIPCALC_REGEN_GOLDEN=1 python -m pytest tests/test_golden.py``.
"""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

import click.testing
import pytest
import typer.main

from chipcalc.cli.root import app

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden"
COMMAND = typer.main.get_command(app)


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    found: list[str] = []
    for line in re.findall(r"^\$ (chipcalc [^\n]+)$", text, flags=re.M):
        found.append(line.split("  #")[0].strip())
    for span in re.findall(r"`(chipcalc [^`]+)`", text):
        found.append(span.strip())
    out = []
    for cmd in found:
        words = shlex.split(cmd)
        if any(re.fullmatch(r"[A-Z][A-Z_:]*|\[.*|\.\.\.|.*\[.*", w) for w in words[1:]):
            continue  # a synopsis with placeholders (ID, SYSTEM, [--vs ...])
        if any(w in ("-o", "--output") for w in words) or words[1:2] in (["plot"], ["report"]):
            continue  # writes a file: covered by the plot and report tests
        if len(words) < 3:
            continue  # `chipcalc list` etc. in prose: their outputs change with every catalog entry
        if cmd not in out:
            out.append(cmd)
    return out


def slug(cmd: str) -> str:
    return re.sub(r"[^A-Za-z0-9.]+", "_", cmd[len("chipcalc "):]).strip("_")[:120] + ".txt"


#: The main job and the core commands, beside the README's examples.
EXTRA = [
    "chipcalc cluster cloudmatrix384",
    "chipcalc cluster cloudmatrix384 --vs gb200-nvl72 -f json",
    "chipcalc chip ascend-910c",
    "chipcalc compare ascend-910b ascend-910c h20",
    "chipcalc model deepseek-r1",
    "chipcalc check",
    "chipcalc latency hgx-h20 llama-3.1-70b --batch 1,16 --context 4096 --ranges",
]
COMMANDS = readme_commands() + [c for c in EXTRA if c not in readme_commands()]


def test_the_readme_has_examples():
    assert len(COMMANDS) >= 6, COMMANDS


@pytest.mark.parametrize("cmd", COMMANDS)
def test_readme_example_output_is_unchanged(cmd):
    runner = click.testing.CliRunner()
    r = runner.invoke(COMMAND, shlex.split(cmd)[1:], prog_name="chipcalc")
    got = f"exit {r.exit_code}\n--- stdout\n{r.stdout}--- stderr\n{r.stderr}"
    path = GOLDEN / slug(cmd)
    if os.environ.get("CHIPCALC_REGEN_GOLDEN"):
        path.write_text(f"$ {cmd}\n{got}")
    expected = path.read_text()
    assert expected.split("\n", 1)[1] == got, f"{cmd}: output changed (regenerate only if intended)"
