"""The command-line interface: parse arguments, call one calculation, render, print or write.

No arithmetic here. Heavy imports (pint, numpy, tabulate) happen inside the commands.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Callable, List, Optional

# Plain-text help and errors: rich's boxes cost ~150 ms of start-up per call and add nothing here.
os.environ.setdefault("TYPER_USE_RICH", "0")

import typer  # noqa: E402
from typer.core import TyperGroup  # noqa: E402
from chipcalc.cli.types import OUTPUT  # noqa: E402


class OneLineGroup(TyperGroup):
    """The command group, with click's usage errors (unknown option, bad value, missing argument) printed
    as one line that names the option — ``chipcalc: error: --tpot: ...`` — and exit code 2."""

    def main(self, *args, standalone_mode: bool = True, **kwargs):  # noqa: ANN002, ANN003, ANN201
        import click

        if not standalone_mode:
            return super().main(*args, standalone_mode=False, **kwargs)
        try:
            rv = super().main(*args, standalone_mode=False, **kwargs)
        except click.exceptions.NoArgsIsHelpError as exc:  # `chipcalc` or a group with no command: its help
            typer.echo(exc.ctx.get_help() if exc.ctx else str(exc))
            sys.exit(2 if exc.ctx is None else 0)
        except click.UsageError as exc:
            typer.echo(f"chipcalc: error: {usage_message(exc)}", err=True)
            sys.exit(2)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except click.Abort:
            typer.echo("chipcalc: error: aborted", err=True)
            sys.exit(130)
        except click.ClickException as exc:
            typer.echo(f"chipcalc: error: {_one(exc.format_message())}", err=True)
            sys.exit(exc.exit_code)
        sys.exit(rv if isinstance(rv, int) else 0)


def _one(text: str) -> str:
    import re

    parts = re.split(r"(?<=[.?!])\s+", " ".join(ln.strip() for ln in text.splitlines() if ln.strip()))
    parts = list(dict.fromkeys(p for p in parts if p))  # click and typer each add the same "Did you mean"
    if any(p.startswith("Did you mean") for p in parts):  # ... or the same suggestion in other words
        parts = [p for p in parts if not p.startswith("(Did you mean one of")]
    return " ".join(parts)


def usage_message(exc) -> str:  # noqa: ANN001
    """One line for a click usage error, led by the option or argument it is about."""
    import click

    msg = _one(exc.format_message() if hasattr(exc, "format_message") else str(exc))
    where = exc.ctx.command_path if getattr(exc, "ctx", None) is not None else "chipcalc"
    if isinstance(exc, click.MissingParameter):
        return f"{where}: {msg[0].lower() + msg[1:]} (see `{where} -h`)"
    if isinstance(exc, click.BadParameter) and exc.param is not None:
        name = exc.param.opts[0] if getattr(exc.param, "opts", None) else exc.param.human_readable_name
        msg = msg.split(": ", 1)[1] if msg.startswith("Invalid value for") and ": " in msg else msg
        return f"{name}: {msg}"
    return msg


app = typer.Typer(
    cls=OneLineGroup,
    help="Unit-aware accelerator and cluster comparisons; every figure sourced or marked as an assumption.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

def _version(value: bool) -> None:
    if value:
        from chipcalc.core import __version__

        typer.echo(f"chipcalc {__version__}")
        raise typer.Exit(0)


@app.callback()
def _group(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                        help="Print chipcalc's version and exit.")) -> None:
    """Unit-aware accelerator and cluster comparisons; every figure sourced or marked as an assumption."""
    # A callback keeps the app a group of commands even when a call registers only its own command's
    # module (typer would otherwise run a lone command directly and read its name as an argument).

FORMAT_HELP = ("Output format: plain, github (markdown, md), grid, rst, latex, html, csv, json, xlsx (a file only). "
               "Default: from --output's suffix, else plain.")
SpecsOpt = typer.Option(None, "--specs", help="Extra spec folder merged over the built-ins (also CHIPCALC_SPECS).", show_default=False)
FormatOpt = typer.Option(None, "--format", "-f", help=FORMAT_HELP, show_default=False)
OutputOpt = typer.Option(None, "--output", "-o", click_type=OUTPUT, help="Write to this file instead of printing ('-': standard output).", show_default=False)
FragmentOpt = typer.Option(False, "--fragment", help="With -f html: the bare tables and footnotes for embedding, not a whole page.")
ForceOpt = typer.Option(False, "--force", help="Overwrite --output if it is an existing file (replaced atomically, its mode kept).")
RangesOpt = typer.Option(False, "--ranges", help="Show every figure as nominal [low–high] where sources disagree.")
SetOpt = typer.Option(None, "--set", help="What-if: override a chip, system or model figure or an assumption, e.g. --set ascend-910c.tdp=600W or --set mfu=0.5 (repeatable; shown as a user assumption; `chipcalc list assumptions` names them).", show_default=False)
PreferOpt = typer.Option(None, "--prefer", help="Where sources disagree, use the value from this kind of source: official, paper, analyst or press.", show_default=False)


def _fail(message: str, code: int) -> None:
    from chipcalc.core.errors import one_line

    typer.echo(f"chipcalc: error: {one_line(message)}", err=True)  # a value typed with a newline in it
    raise typer.Exit(code)


def guarded(fn: Callable[[], None]) -> None:
    """Run a command body; turn the project's errors into one line on stderr and an exit code."""
    from chipcalc.core.errors import ChipcalcError

    try:
        fn()
    except ChipcalcError as exc:
        _fail(str(exc), exc.exit_code)


def compared(cat, name: str, vs: Optional[List[str]], base: Optional[str], default: int = 0):
    """The systems of ``NAME --vs B --vs C`` (each once) and the index of ``--base`` among them."""
    systems = [cat.system(n) for n in [name, *(vs or [])]]
    return systems, base_index(cat.system, systems, base, default, "system")


def each_once(records: list, noun: str) -> None:
    """A one-line usage error when one record is named twice (``compare h20 h20``: a ratio of 1 to itself)."""
    from chipcalc.core.errors import UsageError

    ids = [r.id for r in records]
    if len(set(ids)) != len(ids):
        raise UsageError(f"each {noun} once: {', '.join(ids)} names one twice")


def base_index(lookup, records: list, base: Optional[str], default: int = 0, noun: str = "system") -> int:
    """Where ``--base`` is among ``records`` (each compared once; ``lookup`` resolves the id, with its own
    error for an unknown one); ``default`` when it is not given."""
    from chipcalc.core.errors import UsageError

    each_once(records, noun)
    ids = [r.id for r in records]
    if base is None:
        return min(default, len(records) - 1)
    want = lookup(base).id
    if want not in ids:
        raise UsageError(f"--base {base}: not one of the {noun}s compared ({', '.join(ids)})")
    return ids.index(want)


def one_vs(values: Optional[List[str]]) -> Optional[str]:
    """The one --vs system; a repeated --vs is a usage error (it used to keep the last one silently)."""
    if not values:
        return None
    if len(values) > 1:
        from chipcalc.core.errors import UsageError

        raise UsageError(f"--vs is given {len(values)} times ({', '.join(values)}); compare two systems at a time")
    return values[0]


def _warn_hygiene(cat, specs: Optional[List[Path]]) -> None:
    """With the user's own spec folders, what `chipcalc validate` would fail on (a binary prefix the detail does
    not show, published totals that chips x per-chip contradict, ...) is said on stderr, once per problem: the
    command still computes from the user's figures, but never without saying they disagree. The built-in
    catalog is clean (CI validates it), so every such problem comes from the user's folders; the result is
    cached with the catalog, keyed by the same file contents."""
    from chipcalc.catalog.read import builtin_specs_dir, user_specs_dirs

    dirs = user_specs_dirs(specs)
    if not dirs:
        return
    from chipcalc.catalog.cache import cached
    from chipcalc.catalog.lint import hygiene_problems

    found = cached("hygiene", [builtin_specs_dir(), *dirs], lambda: tuple(str(p) for p in hygiene_problems(cat)))
    for text in found[:5]:
        print(f"warning: {text} (`chipcalc validate` fails on it)", file=sys.stderr)
    if len(found) > 5:
        print(f"warning: and {len(found) - 5} more; run `chipcalc validate`", file=sys.stderr)


def _catalog(specs: Optional[List[Path]], sets: Optional[List[str]] = None, prefer: Optional[str] = None,
             claims: bool = False):
    """The catalog for a command: built-ins + user specs, then --prefer, then --set overrides.
    Claims and fleet volumes are parsed only for the commands that use them (``claims=True``)."""
    if claims:
        from chipcalc.claims.load import load_checked as load_with_claims

        cat = load_with_claims(specs)
    else:
        from chipcalc.catalog.store import load_checked

        cat = load_checked(specs, claims=False)
    _warn_hygiene(cat, specs)
    if prefer:
        from chipcalc.catalog.overrides import prefer as prefer_kind

        cat = prefer_kind(cat, prefer)
        if claims:  # the supply records' alternatives too
            from chipcalc.catalog.supply_whatif import prefer_supply

            cat = prefer_supply(cat, prefer)
    if sets and claims:  # with the claims come the supply records: --set reaches their inputs too
        from chipcalc.catalog.supply_whatif import apply_settings

        cat = apply_settings(cat, list(sets))
    elif sets:
        from chipcalc.catalog.overrides import apply_overrides

        cat = apply_overrides(cat, list(sets))
    return cat


def _format(fmt: Optional[str], output: Optional[Path]) -> str:
    from chipcalc.core.errors import UsageError
    from chipcalc.output.render import ALL_FORMATS, SUFFIX_FORMATS

    if fmt is None:
        if output is not None and str(output) != "-":
            return SUFFIX_FORMATS.get(output.suffix.lower(), "plain")
        return "plain"
    f = fmt.lower()
    if f not in ALL_FORMATS:
        raise UsageError(f"unknown format '{fmt}'; use one of {', '.join(ALL_FORMATS)}")
    if output is not None and str(output) != "-":
        named = SUFFIX_FORMATS.get(output.suffix.lower())
        strict = ("csv", "json", "xlsx", "latex", "html")  # a .txt/.md/.rst may hold any text format
        if named is not None and named != f and (named in strict or f == "xlsx"):
            raise UsageError(f"--format {f} does not match the file name {output} (a {output.suffix} file holds {named}); "
                             "rename the file or drop --format")
    return f


def emit(tables, fmt: Optional[str], output: Optional[Path], force: bool, catalog, ranges: bool = False,
         fragment: bool = False) -> None:
    """Render and print, or write to --output. ``fragment``: HTML as the bare tables, not a whole page."""
    from chipcalc.core.errors import UsageError
    from chipcalc.output import files
    from chipcalc.output.render import BINARY_FORMATS, render

    f = _format(fmt, output)
    if f in BINARY_FORMATS and output is None:
        raise UsageError(f"{f} is a binary file format: write it with --output NAME.{f}")
    if output is not None:
        files.plan(output, force)  # fail before rendering
    text = render(tables, f, catalog, ranges=ranges, fragment=fragment)
    if output is None:
        files.write_stdout(text)
        return
    target = files.write_output(output, text, force=force)
    rows = sum(len(t.rows) for t in tables)
    msg = files.wrote_message(target, f"{f}, {len(tables)} table{'s' if len(tables) != 1 else ''}, {rows} rows")
    if msg:
        typer.echo(msg, err=True)


# Command groups that live in their own modules register themselves on `app` when imported.
# A call names its command first, so only that command's module is imported (start-up time);
# `--help`, or anything unrecognised, imports them all.
COMMAND_MODULES = {
    "list": "catalog", "chip": "catalog", "compare": "catalog", "cluster": "catalog", "validate": "catalog",
    "model": "serving", "latency": "serving",
    "train": "train",
    "check": "claims", "fleet": "claims",
    "sensitivity": "ranges", "sweep": "ranges",
    "plot": "plot", "report": "plot", "pareto": "pareto",
    "supply": "supply",  # also adds `plot supply` when cli.plot registers it
}


def _running_as_chipcalc() -> bool:
    """True in the `chipcalc` console script and `python -m chipcalc`; False when imported as a library."""
    prog = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    return prog == "chipcalc" or sys.argv[0].endswith(os.path.join("chipcalc", "__main__.py"))


def _register_commands(argv: Optional[List[str]] = None) -> None:
    import importlib

    first = None
    if argv is not None or _running_as_chipcalc():
        args = sys.argv[1:] if argv is None else argv
        first = next((a for a in args if not a.startswith("-")), None)
    wanted = [COMMAND_MODULES[first]] if first in COMMAND_MODULES else sorted(set(COMMAND_MODULES.values()))
    for mod in wanted:
        importlib.import_module(f"chipcalc.cli.{mod}")


_register_commands()


def _app_for_call() -> typer.Typer:
    """The app with only the command this call names, when it names one first: typer builds a click
    command for every registered command, reading each function's signature and annotations (~15-20 ms here
    for twenty), although a call runs one. ``--help``, ``--version``, a typo or no command: the whole app."""
    import copy

    if not _running_as_chipcalc() or len(sys.argv) < 2 or sys.argv[1].startswith("-"):
        return app
    first = sys.argv[1]
    cmds = [c for c in app.registered_commands
            if (c.name or typer.main.get_command_name(c.callback.__name__)) == first]
    groups = [g for g in app.registered_groups if (g.name or g.typer_instance.info.name) == first]
    if len(cmds) + len(groups) != 1:
        return app
    slim = copy.copy(app)
    slim.registered_commands, slim.registered_groups = cmds, groups
    return slim


def main() -> None:
    """Entry point: run the app; an unexpected exception is a bug, reported in one line."""
    try:
        _app_for_call()()
    except SystemExit:
        raise
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:  # a bug: say so in one line (CHIPCALC_DEBUG=1 shows the traceback)
        if os.environ.get("CHIPCALC_DEBUG"):
            raise
        typer.echo(f"chipcalc: internal error: {type(exc).__name__}: {exc} (a bug; rerun with CHIPCALC_DEBUG=1 and report it)", err=True)
        sys.exit(3)
