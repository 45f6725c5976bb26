"""Docs that cannot drift: the CLI reference is generated from --help; the README names every command."""

import subprocess
import sys
from pathlib import Path

import typer.main

from chipcalc.cli.docgen import leaf_commands
from chipcalc.cli.root import app

ROOT = Path(__file__).resolve().parents[1]


def test_cli_reference_is_current():
    out = subprocess.run([sys.executable, "-m", "chipcalc.cli.docgen"], capture_output=True, text=True, check=True).stdout
    assert (ROOT / "docs" / "cli.md").read_text() == out, "regenerate: python -m chipcalc.cli.docgen > docs/cli.md"


def test_readme_names_every_command():
    readme = (ROOT / "README.md").read_text()
    for path, _ in leaf_commands(typer.main.get_command(app)):
        assert f"`chipcalc {' '.join(path)}" in readme, f"README command table lacks chipcalc {' '.join(path)}"


def test_readme_setup_commands():
    readme = (ROOT / "README.md").read_text()
    setup = readme.split("## Set up", 1)[1].split("```", 2)[1].strip().splitlines()
    assert setup == [
        'python3 -m venv .venv && . .venv/bin/activate && pip install -e ".[dev]" && chipcalc cluster cloudmatrix384',
        ".venv/bin/python -m pytest",
    ]
    ci = (ROOT / ".ci" / "run").read_text()
    assert setup[0] in ci and setup[1] in ci


def test_every_command_is_mapped_to_its_module():
    import chipcalc.cli.root as cli

    for path, _ in leaf_commands(typer.main.get_command(app)):
        assert path[0] in cli.COMMAND_MODULES, f"add {path[0]} to cli.COMMAND_MODULES"


def test_console_script_loads_only_the_command_it_runs():
    code = ("import sys; sys.argv = ['chipcalc', 'cluster', 'cloudmatrix384']; import chipcalc.cli.root; "
            "print(sorted(m for m in sys.modules if m.startswith('chipcalc.cli.') and m not in HELPERS))")
    code = code.replace("HELPERS", "('chipcalc.cli.root', 'chipcalc.cli.types')")  # shared option code, not commands
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['chipcalc.cli.catalog']"
    code = code.replace("'cluster', 'cloudmatrix384'", "'train', 'x'")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "['chipcalc.cli.train']"


def test_a_lone_command_runs_from_the_console_script():
    """The console script registers only the running command's module: a module with one command must still
    run as that command (a regression: `chipcalc train ...` once read 'train' as its argument)."""
    for args, expect in ((["train", "deepseek-v3", "--tokens", "14.8T", "--chip", "h800", "--gpu-hours", "2.788M"], "implied MFU"),
                         (["model", "llama-3.1-70b"], "Model card"),
                         (["sensitivity", "cloudmatrix384", "--vs", "gb200-nvl72"], "Sensitivity")):
        r = subprocess.run([sys.executable, "-m", "chipcalc", *args], capture_output=True, text=True)
        assert r.returncode == 0, (args, r.stderr)
        assert expect in r.stdout, args


def test_readme_counts_the_catalog_right():
    """The README's 'all N chips and M systems' is the shipped catalog's count."""
    import re
    from pathlib import Path

    from chipcalc.catalog.store import load_checked

    text = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    m = re.search(r"shows all (\d+) chips and (\d+) systems", text.replace("\n", " "))
    assert m, "the README no longer counts the catalog"
    cat = load_checked(None)
    assert (int(m.group(1)), int(m.group(2))) == (len(cat.chips), len(cat.systems))


def test_the_console_script_builds_only_the_called_command_and_says_the_same():
    """`chipcalc CMD ...` builds a click command for CMD alone (start-up): its output, help and errors are
    those of the whole app; `--help`, `--version` and a typo get the whole app (one suggestion line)."""
    import os

    from typer.testing import CliRunner

    from chipcalc.cli import root
    from chipcalc.cli.root import app

    calls = [["cluster", "cloudmatrix384"], ["cluster", "--help"], ["sweep", "latency", "--help"],
             ["check", "cm384-300pf-bf16"], ["cluster"], ["cluster", "cloudmatrix384", "--bogus"]]
    saved = sys.argv
    try:
        for args in calls:
            sys.argv = [os.path.join("bin", "chipcalc"), *args]
            slim = root._app_for_call()
            assert slim is not app and len(slim.registered_commands) + len(slim.registered_groups) == 1, args
            a, b = CliRunner().invoke(slim, args), CliRunner().invoke(app, args)
            assert (a.exit_code, a.stdout, a.stderr) == (b.exit_code, b.stdout, b.stderr), args
        for args in (["--help"], ["--version"], ["clustr", "x"]):
            sys.argv = [os.path.join("bin", "chipcalc"), *args]
            assert root._app_for_call() is app, args
    finally:
        sys.argv = saved
    assert len(app.registered_commands) > 1  # the app itself is untouched
    r = subprocess.run([sys.executable, "-m", "chipcalc", "clustr", "x"], capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr.count("Did you mean") == 1 and "'cluster'" in r.stderr
