"""Lint for ``chipcalc validate``: the catalog's own rules plus the claims' references and units."""

from __future__ import annotations

from typing import Any

from chipcalc.catalog.lint import hygiene_problems
from chipcalc.claims.records import check_units
from chipcalc.core.errors import ChipcalcError, Problem


def reference_problems(cat: Any) -> list[Problem]:
    """Claims whose figures are unknown or whose units disagree (run by ``chipcalc validate``).

    Not checked at load: a user folder that replaces a chip must not stop every command because a
    built-in claim can no longer be evaluated; ``chipcalc check`` reports such a claim as unresolved.
    """
    out = []
    for c in cat.claims.values():
        if c.node is None:
            continue
        try:
            check_units(cat, c.node)
        except ChipcalcError as exc:
            out.append(Problem(c.file, "assert" if c.kind == "comparison" else "numerator", str(exc)))
        for i, r in enumerate(c.readings):
            try:
                check_units(cat, r.node)
            except ChipcalcError as exc:
                out.append(Problem(c.file, f"readings[{i}]", str(exc)))
    return out


def all_problems(cat: Any) -> list[Problem]:
    """Every cross-figure problem of a loaded catalog (the loader's own come with the load)."""
    return hygiene_problems(cat) + reference_problems(cat)
