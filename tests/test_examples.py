"""Every complete `chipcalc ...` example in the README and in docs/cli.md runs as written, from a fresh
directory, and succeeds. Examples whose output is stored are run by tests/test_golden.py; this test runs
the rest (those that write files, bare commands, the examples inside --help texts) and checks that
together the two cover every example."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click.testing
import pytest
import typer.main

from chipcalc.cli.root import app
from test_golden import COMMANDS as GOLDEN_COMMANDS

ROOT = Path(__file__).resolve().parents[1]
COMMAND = typer.main.get_command(app)
PLACEHOLDER = re.compile(r"[A-Z][A-Z_:]*|\[.*|\.\.\.|.*\[.*|.*\.\.\..*")


def _names_only_a_command(words: list[str]) -> bool:
    """`chipcalc latency` in prose names a command (it needs arguments); `chipcalc list` is an example."""
    cmd: click.Command = COMMAND
    rest = list(words)
    while isinstance(cmd, click.Group) and rest and rest[0] in cmd.commands:
        cmd = cmd.commands[rest.pop(0)]
    return not rest and (isinstance(cmd, click.Group) or any(p.required for p in cmd.params))


def examples(path: Path) -> list[str]:
    text = path.read_text()
    found = [line.split("  #")[0].strip() for line in re.findall(r"^\$ (chipcalc [^\n]+)$", text, flags=re.M)]
    found += [" ".join(span.split()) for span in re.findall(r"`(chipcalc [^`]+)`", text)]
    out = []
    for cmd in found:
        words = shlex.split(cmd)[1:]
        if any(PLACEHOLDER.fullmatch(w) for w in words):
            continue  # a synopsis (SYSTEM, [--vs ...], ID ...)
        if _names_only_a_command(words):
            continue
        if cmd not in out:
            out.append(cmd)
    return out


ALL = list(dict.fromkeys(examples(ROOT / "README.md") + examples(ROOT / "docs" / "cli.md")))
HERE = [c for c in ALL if c not in GOLDEN_COMMANDS]


def test_examples_are_found():
    assert "chipcalc plot cluster cloudmatrix384 --vs gb200-nvl72 --output cluster.png" in ALL
    assert "chipcalc fleet ascend-910c:huawei-ascend-2025 h20-2024" in ALL  # wrapped over two lines in --help
    assert len(ALL) >= 20


@pytest.mark.parametrize("cmd", HERE)
def test_example_runs_as_written(cmd, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    words = shlex.split(cmd)[1:]
    if words[:1] in (["plot"], ["report"]):
        pytest.importorskip("matplotlib", reason="plots need the plot extra")
    r = click.testing.CliRunner().invoke(COMMAND, words, prog_name="chipcalc")
    assert r.exit_code == 0, f"{cmd}: exit {r.exit_code}\n{r.output}"
    out = next((words[i + 1] for i, w in enumerate(words[:-1]) if w in ("-o", "--output")), None)
    if out is not None:
        assert (tmp_path / out).stat().st_size > 1000, f"{cmd}: wrote no real file"
    else:
        assert r.stdout.strip(), f"{cmd}: printed nothing"
