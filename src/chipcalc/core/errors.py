"""The project's error types. Each carries a one-line message meant for a person."""

from __future__ import annotations

from dataclasses import dataclass

#: Exit codes used by the CLI: 0 ok, 1 data/calculation error, 2 usage error.
EXIT_OK = 0
EXIT_DATA = 1
EXIT_USAGE = 2


def one_line(text: str) -> str:
    """``text`` with line breaks and other control characters escaped (a value typed with a newline
    or a form feed in it), so a message is one line however a terminal or ``splitlines`` reads it."""
    import unicodedata

    def esc(c: str) -> str:
        if c == "\t" or unicodedata.category(c)[0] != "C" and c not in "\u2028\u2029":
            return c
        return repr(c)[1:-1] if ord(c) < 0x10000 else f"\\U{ord(c):08x}"

    return "".join(esc(c) for c in text) if not text.isprintable() else text


class ChipcalcError(Exception):
    """Base error: the message is shown to the user as one line, without a traceback."""

    exit_code = EXIT_DATA


class UsageError(ChipcalcError):
    """Bad command-line input: unknown names, impossible parameters."""

    exit_code = EXIT_USAGE


class UnitError(ChipcalcError):
    """A quantity that does not parse, or has the wrong dimension."""


class OutputError(ChipcalcError):
    """An export that cannot be written (exists without --force, bad suffix, ...)."""

    exit_code = EXIT_USAGE


@dataclass(frozen=True)
class Problem:
    """One problem in a spec file: where and what."""

    file: str
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}: {self.field}" if self.field else self.file
        return one_line(f"{where}: {self.message}")  # whatever a spec file's strings hold


class SpecError(ChipcalcError):
    """One or more problems in the catalog's spec files."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        first = str(self.problems[0]) if self.problems else "invalid catalog"
        more = len(self.problems) - 1
        suffix = f" (and {more} more problem{'s' if more > 1 else ''}; run `chipcalc validate`)" if more else ""
        super().__init__(first + suffix)
