"""One option set: every command that takes a common option takes the same one (same flags, same help,
same kind of value), and a command without one says why here. Adding a command or an option that breaks
this fails the test, not the user."""

import click
import pytest
import typer.main

from chipcalc.cli import root
from chipcalc.cli.docgen import leaf_commands
from chipcalc.cli.root import app

#: The shared definitions (cli/root.py) and the flags they must carry.
COMMON = {
    "--specs": root.SpecsOpt,
    "--set": root.SetOpt,
    "--prefer": root.PreferOpt,
    "--ranges": root.RangesOpt,
    "--format": root.FormatOpt,
    "--output": root.OutputOpt,
    "--force": root.ForceOpt,
    "--fragment": root.FragmentOpt,
}

PLOT = ("plot roofline", "plot cluster", "plot latency", "plot pareto", "plot supply")
_IMAGE = "a plot's format is its file's suffix (.png or .svg)"
_NO_TEXT = "a plot has no text figures to annotate; its bars draw every range as whiskers"

#: (command, option) -> why the command does not take it.
ABSENT = {
    **{(p, "--format"): _IMAGE for p in PLOT},
    **{(p, "--fragment"): "a plot is an image, not HTML" for p in PLOT},
    **{(p, "--ranges"): _NO_TEXT for p in PLOT},
    ("report", "--format"): "the report is one HTML page by definition",
    ("report", "--fragment"): "the report is a whole page; `cluster -f html --fragment` gives tables to embed",
    ("validate", "--set"): "validate checks the spec files as written; an override would check something else",
    ("validate", "--prefer"): "validate checks every alternative of every figure, whichever would be preferred",
    ("validate", "--ranges"): "validate prints problems, not figures",
    ("list", "--set"): "list shows ids, kinds and dates; no figure it prints depends on an override",
    ("list", "--prefer"): "list shows ids, kinds and dates; no figure it prints depends on a preference",
    ("sensitivity", "--ranges"): "sensitivity is the range analysis itself: each row is an input at its low and high end",
}

#: (command, option) -> why it is defined apart (the same flag, a narrower meaning).
VARIANT = {
    **{(p, "--output"): "required: the image file to write" for p in PLOT},
    ("report", "--output"): "required: the HTML file to write",
}


def _commands():
    return [(" ".join(path), cmd) for path, cmd in leaf_commands(typer.main.get_command(app))]


def _option(cmd: click.Command, flag: str) -> click.Option | None:
    return next((p for p in cmd.params if isinstance(p, click.Option) and flag in p.opts), None)


@pytest.mark.parametrize("flag", list(COMMON))
def test_every_command_takes_the_common_option_or_says_why(flag):
    missing = [name for name, cmd in _commands() if _option(cmd, flag) is None and (name, flag) not in ABSENT]
    assert not missing, f"{flag} missing from: {', '.join(missing)} (add root.{flag[2:].title()}Opt, or an ABSENT reason)"


@pytest.mark.parametrize("flag", list(COMMON))
def test_the_common_option_means_the_same_everywhere(flag):
    info = COMMON[flag]
    want_decls = tuple(info.param_decls)
    odd = []
    for name, cmd in _commands():
        opt = _option(cmd, flag)
        if opt is None or (name, flag) in VARIANT:
            continue
        if tuple(opt.opts + opt.secondary_opts) != want_decls or opt.help != info.help:
            odd.append(f"{name}: {opt.opts} {opt.help!r}")
        if flag in ("--ranges", "--force", "--fragment") and not opt.is_flag:
            odd.append(f"{name}: {flag} takes a value")
        if flag in ("--set", "--specs") and not opt.multiple:
            odd.append(f"{name}: {flag} is not repeatable")
    assert not odd, f"{flag} defined apart from cli/root.py in: " + "; ".join(odd)


def test_the_exemptions_are_still_true():
    """An exemption for an option the command has since gained (or a command gone) is stale."""
    names = dict(_commands())
    for (name, flag) in ABSENT:
        assert name in names, f"ABSENT names a command that does not exist: {name}"
        assert _option(names[name], flag) is None, f"{name} now takes {flag}: drop its ABSENT entry"
    for (name, flag) in VARIANT:
        assert _option(names[name], flag) is not None, f"VARIANT {name} {flag}: the command has no such option"


@pytest.mark.parametrize("name", [n for n, _ in _commands()])
def test_count_options_take_the_one_suffix_rule(name):
    """Integer options read 4k as 4,000 and 4Ki as 4,096 (cli/types.py), in every command."""
    from chipcalc.cli.types import COUNT, COUNT0

    cmd = dict(_commands())[name]
    for p in cmd.params:
        if isinstance(p, click.Option) and isinstance(p.type, click.types.IntParamType) and p.name not in ("year", "seed"):
            raise AssertionError(f"{name} {p.opts[0]} is a plain int: use click_type=COUNT (or COUNT0)")
        if isinstance(p.type, type(COUNT)):
            assert p.type.convert("4k", p, None) == 4000 and p.type.convert("4Ki", p, None) == 4096
    assert COUNT0.convert("0", None, None) == 0


def test_the_pipeline_option_is_one_option():
    """--pp (pipeline stages) is a count of at least 1 with the same help wherever it is taken."""
    from chipcalc.cli.types import PP_HELP, CountType

    having = {name: _option(cmd, "--pp") for name, cmd in _commands() if _option(cmd, "--pp") is not None}
    assert {"latency", "sweep latency"} <= set(having), sorted(having)
    for name, opt in having.items():
        assert isinstance(opt.type, CountType) and opt.type.minimum == 1, f"{name} --pp is not a COUNT"
        assert opt.help == PP_HELP, f"{name} --pp has its own help"
        assert opt.type.convert("2", opt, None) == 2
