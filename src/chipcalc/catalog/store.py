"""The catalog: every source, chip, system, model and assumption, looked up by id."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from chipcalc.catalog.figures import FigureParser
from chipcalc.catalog.loader import (
    parse_assumptions,
    parse_chip,
    parse_model,
    parse_sources,
    parse_system,
)
from chipcalc.catalog.read import Raw, builtin_specs_dir, read_folder, user_specs_dirs
from chipcalc.catalog.records import Chip, Model, Source, System
from chipcalc.core.errors import Problem, SpecError, UsageError
from chipcalc.core.figure import Figure


class Listing(dict):
    """A table of records by id that can also be called: ``cat.chips["h20"]`` or ``cat.chips()`` (every
    record, sorted by id)."""

    def __call__(self) -> list[Any]:
        return [self[k] for k in sorted(self)]

    def __repr__(self) -> str:
        ids = sorted(self)
        shown = ", ".join(ids[:8]) + (f", … ({len(ids)} in all)" if len(ids) > 8 else "")
        return f"<{len(ids)}: {shown}>"


_LISTINGS = ("sources", "chips", "systems", "models", "assumptions", "claims", "volumes")


@dataclass
class Catalog:
    sources: dict[str, Source] = field(default_factory=dict)
    chips: dict[str, Chip] = field(default_factory=dict)
    systems: dict[str, System] = field(default_factory=dict)
    models: dict[str, Model] = field(default_factory=dict)
    assumptions: dict[str, Figure] = field(default_factory=dict)
    raw_claims: dict[str, Any] = field(default_factory=dict)
    folders: tuple[Path, ...] = ()
    notes: list[str] = field(default_factory=list)  # shown under every table (e.g. --prefer)
    claims: dict[str, Any] = field(default_factory=dict)  # claims/*.toml parsed (chipcalc.claims.records)
    volumes: dict[str, Any] = field(default_factory=dict)  # fleets*.toml (chipcalc.calc.fleet)
    supply: Any = None  # supply/*.toml (chipcalc.catalog.supply.Supply); parsed with the claims, else on first use

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _LISTINGS and isinstance(value, dict) and not isinstance(value, Listing):
            value = Listing(value)
        object.__setattr__(self, name, value)

    def __repr__(self) -> str:
        return (f"<Catalog: {len(self.chips)} chips, {len(self.systems)} systems, {len(self.models)} models, "
                f"{len(self.sources)} sources, {len(self.assumptions)} assumptions, {len(self.claims)} claims; "
                f"{', '.join(str(f) for f in self.folders)}>")[:199]

    def _find(self, kind: str, table: dict[str, Any], name: str) -> Any:
        if not isinstance(name, str):  # cc.chip(5), cat.chip(None): the id is text
            raise UsageError(f"a {kind} is named by its id as text, like '{next(iter(sorted(table)), 'h20')}', not {name!r}")
        key = name.strip().lower()
        if key in table:
            return table[key]
        aliases = {k.replace("-", ""): k for k in table}
        if key.replace("-", "").replace("_", "").replace(" ", "") in aliases:
            return table[aliases[key.replace("-", "").replace("_", "").replace(" ", "")]]
        close = [k for k in sorted(table) if k.startswith(key)][:3]
        close += [k for k in difflib.get_close_matches(key, list(table), n=3, cutoff=0.4) if k not in close]
        close = close[:3]
        hint = f"; did you mean {' or '.join(close)}?" if close else f"; known: {', '.join(sorted(table))}"
        raise UsageError(f"unknown {kind} '{name}'{hint}")

    def chip(self, name: str) -> Chip:
        return self._find("chip", self.chips, name)

    def system(self, name: str) -> System:
        return self._find("system", self.systems, name)

    def model(self, name: str) -> Model:
        return self._find("model", self.models, name)

    def assumption(self, name: str) -> Figure:
        return self._find("assumption", self.assumptions, name)

    def claim(self, name: str) -> Any:
        """A parsed claim (``chipcalc.load()`` parses them; a catalog loaded without claims has none)."""
        return self._find("claim", self.claims, name)

    def source(self, name: str) -> Source:
        return self._find("source", self.sources, name)

    def target(self, name: str) -> Chip | System:
        """A chip or a system by id (systems first: a system and a chip never share an id)."""
        if not isinstance(name, str):
            raise UsageError(f"a chip or system is named by its id as text, like 'cloudmatrix384', not {name!r}")
        key = name.strip().lower()
        if key in self.systems:
            return self.systems[key]
        if key in self.chips:
            return self.chips[key]
        try:
            return self.chip(name)
        except UsageError:
            pass
        close = difflib.get_close_matches(key, list(self.chips) + list(self.systems), n=3, cutoff=0.4)
        hint = f"; did you mean {' or '.join(close)}?" if close else "; `chipcalc list` shows the chips and systems"
        raise UsageError(f"unknown chip or system '{name}'{hint}")


def load(folders: list[Path] | None = None, builtin: bool = True, claims: bool = True) -> tuple[Catalog, list[Problem]]:
    """Load the built-in catalog plus user folders; return the catalog and every problem found.

    ``claims=False`` skips reading claim files and fleet volumes (commands that do not use them start
    faster, and a broken claim file does not block them). Claim files are read raw here and parsed by
    :func:`chipcalc.claims.load.load`, which ``validate``, ``check`` and the library face use.
    """
    problems: list[Problem] = []
    raw = Raw()
    roots = ([builtin_specs_dir()] if builtin else []) + list(folders or [])
    roots = [root for root in roots if read_folder(Path(root), raw, problems, claims=claims)]
    sources = parse_sources(raw, problems)
    fp = FigureParser(sources, problems)
    chips = {cid: c for cid, rf in raw.chips.items() if (c := parse_chip(rf, fp)) is not None}
    failed_chips = set(raw.chips) - set(chips)
    systems = {}
    for sid, rf in raw.systems.items():
        chip_ref = rf.data.get("chip")
        if isinstance(chip_ref, str) and chip_ref in failed_chips:
            problems.append(Problem(rf.path, "chip", f"chip '{rf.data['chip']}' has errors (see above)"))
            continue
        s = parse_system(rf, fp, chips)
        if s is not None:
            systems[sid] = s
    models = {mid: m for mid, rf in raw.models.items() if (m := parse_model(rf, fp)) is not None}
    assumptions = parse_assumptions(raw, fp)
    clash = set(chips) & set(systems)
    for cid in sorted(clash):
        problems.append(Problem(systems[cid].file, "id", f"'{cid}' is both a chip and a system id; rename one"))
    cat = Catalog(sources, chips, systems, models, assumptions, dict(raw.claims), tuple(Path(r) for r in roots))
    if claims:  # fleet volumes refer to the chips above; claim files are parsed by chipcalc.claims.load
        from chipcalc.catalog.volumes import parse_volumes

        cat.volumes = parse_volumes(cat.folders, fp, cat.chips)
        from chipcalc.catalog.supply import parse_supply

        cat.supply = parse_supply(cat.folders, fp, cat.chips)
    return cat, problems


def load_checked(specs: list[Path] | None = None, claims: bool = True) -> Catalog:
    """The catalog for a command: built-ins plus ``--specs``/``CHIPCALC_SPECS``; raises on any problem.

    Loaded once per process for the same folders and file times (records are immutable; commands
    derive new catalogs with dataclasses.replace, never mutate this one).
    """
    dirs = user_specs_dirs(specs)
    cat, problems = _load_cached(tuple(str(d) for d in dirs), signature(dirs), claims)
    if problems:
        raise SpecError(problems)
    return cat


def signature(dirs: list[Path]) -> tuple:
    from chipcalc.catalog.read import spec_files

    sig = []
    for d in dirs:
        root = Path(d)
        if root.is_dir():
            sig.extend((str(p), p.stat().st_mtime_ns, p.stat().st_size) for p in spec_files(root))
        else:
            sig.append((str(root), None, None))
    return tuple(sig)


@lru_cache(maxsize=8)
def _load_cached(dirs: tuple[str, ...], signature: tuple, claims: bool) -> tuple[Catalog, tuple[Problem, ...]]:
    from chipcalc.catalog.cache import cached

    def build() -> tuple[Catalog, tuple[Problem, ...]]:
        cat, problems = load([Path(d) for d in dirs], claims=claims)
        return cat, tuple(problems)

    return cached("records" if claims else "records-noclaims", [builtin_specs_dir(), *map(Path, dirs)], build)
