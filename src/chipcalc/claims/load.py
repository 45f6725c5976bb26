"""The whole catalog with its claims parsed: what ``validate``, ``check`` and the library face load.

Claim files refer to chips, systems and models (and are parsed with the expression language), so
they are parsed here, one layer above the catalog.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from chipcalc.catalog import store
from chipcalc.catalog.read import user_specs_dirs
from chipcalc.catalog.store import Catalog
from chipcalc.claims.records import parse_claims
from chipcalc.core.errors import Problem, SpecError


def load(folders: list[Path] | None = None, builtin: bool = True) -> tuple[Catalog, list[Problem]]:
    """Built-ins plus ``folders``, claims and fleet volumes parsed; every problem found."""
    cat, problems = store.load(folders, builtin=builtin, claims=True)
    cat.claims = parse_claims(cat, problems)
    return cat, problems


def load_checked(specs: list[Path] | None = None) -> Catalog:
    """Like :func:`chipcalc.catalog.store.load_checked`, with claims; raises on any problem."""
    dirs = user_specs_dirs(specs)
    cat, problems = _load_cached(tuple(str(d) for d in dirs), store.signature(dirs))
    if problems:
        raise SpecError(list(problems))
    return cat


def load_cached(folders: list[Path] | None = None, builtin: bool = True) -> tuple[Catalog, list[Problem]]:
    """:func:`load` through the in-process and on-disk caches (``validate``: the same answer, parsed once
    per content of the files)."""
    import os

    dirs = [Path(d) for d in folders or []]
    try:
        sig = (store.signature(dirs), os.getcwd())  # file names in messages are relative to the cwd
    except OSError:  # a folder name too long, a file gone: the loader says what it is
        return load(dirs, builtin=builtin)
    cat, problems = _load_cached(tuple(str(d) for d in dirs), sig, builtin)
    return cat, list(problems)


@lru_cache(maxsize=8)
def _load_cached(dirs: tuple[str, ...], signature: tuple, builtin: bool = True) -> tuple[Catalog, tuple[Problem, ...]]:
    from chipcalc.catalog.cache import cached
    from chipcalc.catalog.read import builtin_specs_dir

    def build() -> tuple[Catalog, tuple[Problem, ...]]:
        cat, problems = load([Path(d) for d in dirs], builtin=builtin)
        return cat, tuple(problems)

    roots = ([builtin_specs_dir()] if builtin else []) + [Path(d) for d in dirs]
    return cached("claims" if builtin else "claims-own", roots, build)
