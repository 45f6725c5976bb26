"""The project's error types. Each carries a one-line message meant for a person."""

from __future__ import annotations

from dataclasses import dataclass

#: Exit codes used by the CLI: 0 ok, 1 data/calculation error, 2 usage error.
EXIT_OK = 0
EXIT_DATA = 1
EXIT_USAGE = 2


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
        return f"{where}: {self.message}"


class SpecError(ChipcalcError):
    """One or more problems in the catalog's spec files."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        first = str(self.problems[0]) if self.problems else "invalid catalog"
        more = len(self.problems) - 1
        suffix = f" (and {more} more problem{'s' if more > 1 else ''}; run `chipcalc validate`)" if more else ""
        super().__init__(first + suffix)
