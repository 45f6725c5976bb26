"""Volumes (``specs/fleets*.toml``): sourced numbers of chips produced, shipped or ordered in a period."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chipcalc.core.figure import Figure

VOLUME_KEYS = {"name", "counts", "chip", "year", "notes", "volume", "unit", "stage"}
#: What a volume counts: packaged chips or bare dies; and at which stage (a stock or capacity, a plan,
#: production, shipments, orders; "mixed" when its alternatives count different things).
UNITS = ("package", "die")
STAGES = ("produced", "shipped", "ordered", "planned", "capacity", "stock", "mixed")


@dataclass(frozen=True)
class Volume:
    """A sourced number of chips: produced, shipped, ordered or possible in a period."""

    id: str
    name: str
    counts: str  # what exactly is counted
    figure: Figure  # a count, with its sources and range
    chip: str | None = None  # the chip the count is of, when it is one kind
    year: int | None = None
    notes: str = ""
    file: str = ""
    unit: str = ""  # package | die (what one counted item is)
    stage: str = ""  # produced | shipped | ordered | planned | capacity | stock | mixed


def parse_volumes(folders: tuple[Path, ...], fp: Any, chips: dict[str, Any]) -> dict[str, Volume]:
    """Read ``fleets*.toml`` of every spec folder (later folders override by id); problems go to ``fp``."""
    from chipcalc.catalog.read import _read_toml, display_path

    out: dict[str, Volume] = {}
    for root in folders:
        root = Path(root)
        if not root.is_dir():
            continue
        for path in sorted(root.glob("fleets*.toml")):
            shown = display_path(path, root)
            data = _read_toml(path, shown, fp.problems)
            for vid, entry in (data or {}).items():
                v = _volume(vid, entry, shown, fp, chips)
                if v is not None:
                    out[vid] = v
    return out


def _volume(vid: str, entry: Any, file: str, fp: Any, chips: dict[str, Any]) -> Volume | None:
    if not isinstance(entry, dict):
        fp.problem(file, vid, "must be a table with name, counts and a [volume] figure")
        return None
    n = len(fp.problems)
    extra = set(entry) - VOLUME_KEYS
    if extra:
        fp.problem(file, vid, f"unknown key(s) {', '.join(sorted(extra))}; allowed: {', '.join(sorted(VOLUME_KEYS))}")
    for key in ("name", "counts"):
        if not isinstance(entry.get(key), str) or not entry.get(key):
            fp.problem(file, f"{vid}.{key}", f"missing; add {key} = \"...\"")
    chip = entry.get("chip")
    if chip is not None and chip not in chips:
        fp.problem(file, f"{vid}.chip", f"'{chip}' is not a chip in the catalog")
    for key, allowed in (("unit", UNITS), ("stage", STAGES)):
        if key in entry and entry[key] not in allowed:
            fp.problem(file, f"{vid}.{key}", f"'{entry[key]}' is not one of {', '.join(allowed)}")
    if "volume" not in entry:
        fp.problem(file, f"{vid}.volume", "missing; add [<id>.volume] with value = \"200000\" and a source")
        return None
    fig = fp.figure(entry["volume"], "count", file, f"{vid}.volume", f"volume.{vid}")
    if fig is None or len(fp.problems) > n:
        return None
    return Volume(vid, entry["name"], entry["counts"], fig, chip, entry.get("year"), str(entry.get("notes", "")), file,
                  str(entry.get("unit", "")), str(entry.get("stage", "")))
