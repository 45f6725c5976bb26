"""Generate docs/cli.md from the CLI's own --help, so the reference cannot drift.

    python -m chipcalc.cli.docgen > docs/cli.md

``tests/test_docs.py`` checks that docs/cli.md equals this output and that the README's command
table names every command.
"""

from __future__ import annotations

import os

os.environ["TYPER_USE_RICH"] = "0"  # plain help text, whatever imported typer first
os.environ["COLUMNS"] = "100"


def leaf_commands(group, prefix=()):
    for name, cmd in group.commands.items():
        if hasattr(cmd, "commands"):
            yield from leaf_commands(cmd, prefix + (name,))
        else:
            yield prefix + (name,), cmd


def render() -> str:
    import typer.main
    from typer.testing import CliRunner

    from chipcalc.cli.root import app

    runner = CliRunner()
    group = typer.main.get_command(app)
    parts = ["# chipcalc command reference", "",
             "Generated from `chipcalc COMMAND --help` by `python -m chipcalc.cli.docgen > docs/cli.md`; do not edit.", ""]
    for path, _ in sorted(leaf_commands(group)):
        r = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "100", "TYPER_USE_RICH": "0"}, prog_name="chipcalc")
        text = r.stdout.replace("Usage: chipcalc", "Usage: chipcalc", 1).rstrip()
        parts += [f"## chipcalc {' '.join(path)}", "", "```", text, "```", ""]
    return "\n".join(parts)


if __name__ == "__main__":
    print(render(), end="")
