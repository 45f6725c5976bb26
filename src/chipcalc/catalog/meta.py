"""Record-level metadata of chips and systems: where a record stands (``status``, ``status_date``,
``status_source``) and what a vendor's headline count of a system counts (``marketed_count``).

Parsed here so that the loader only calls two functions; every problem names its file and field.
"""

from __future__ import annotations

import re
from typing import Any

from chipcalc.catalog import schema
from chipcalc.catalog.figures import FigureParser, _closest
from chipcalc.catalog.records import MarketedCount, Status
from chipcalc.core.figure import Figure

_DATE = re.compile(r"^(19|20)\d\d(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$")


def parse_status(d: dict[str, Any], file: str, fp: FigureParser) -> Status | None:
    """``status`` (announced | sampling | shipping) with the date it refers to and, optionally, the
    source that says so (``status_source``, a bibliography id; ``status_detail``, its words)."""
    keys = [k for k in schema.STATUS_META if k in d]
    if not keys:
        return None
    status = d.get("status")
    ok = True
    if status not in schema.STATUSES:
        fp.problem(file, "status", f"{status!r} is not one of {', '.join(schema.STATUSES)}"
                                   if status is not None else "missing; add status = \"announced\" (or sampling, shipping)")
        ok = False
    date = d.get("status_date")
    if not isinstance(date, str) or not _DATE.match(date):
        fp.problem(file, "status_date", f"{date!r} is not a date like \"2026\", \"2026-03\" or \"2026-03-18\" (the date the status refers to)"
                                        if date is not None else "missing; add status_date = \"YYYY-MM\" (or YYYY, YYYY-MM-DD) (the date the status refers to)")
        ok = False
    src = d.get("status_source")
    if src is not None and (not isinstance(src, str) or src not in fp.sources):
        fp.problem(file, "status_source", f"'{src}' is not in the bibliography (sources.toml){_closest(str(src), fp.sources)}")
        ok = False
    detail = d.get("status_detail", "")
    if not isinstance(detail, str):
        fp.problem(file, "status_detail", "must be a string (the source's words)")
        ok = False
    if not ok:
        return None
    return Status(status, date, src, detail)


def parse_marketed(d: dict[str, Any], file: str, fp: FigureParser, sid: str, chips: Figure | None,
                   dies: Figure | None) -> MarketedCount | None:
    """``marketed_count = { value = "144", counts = "dies", source = "..." }``: a vendor's headline count
    when it counts something other than packages. It must agree with chips (x dies)."""
    entry = d.get("marketed_count")
    if entry is None:
        return None
    where = "marketed_count"
    if not isinstance(entry, dict):
        fp.problem(file, where, "must be a table like { value = \"144\", counts = \"dies\", source = \"<id>\" }")
        return None
    counts = entry.get("counts")
    if counts not in schema.MARKETED_COUNTS:
        fp.problem(file, f"{where}.counts", f"{counts!r} is not one of {', '.join(schema.MARKETED_COUNTS)} (what the headline count counts)")
        return None
    fig = fp.figure({k: v for k, v in entry.items() if k != "counts"}, "count", file, where, f"{sid}.marketed_count",
                    allow_alternatives=False)
    if fig is None or chips is None:
        return None
    if counts == "dies" and dies is None:
        fp.problem(file, f"{where}.counts", "counts dies, but the system's chip has no dies figure")
        return None
    want = chips.q.m * (dies.q.m if counts == "dies" else 1)
    if abs(fig.q.m - want) > 0.5:
        how = f"{chips.q.m:g} chips x {dies.q.m:g} dies" if counts == "dies" else f"{chips.q.m:g} chips"
        fp.problem(file, f"{where}.value", f"{fig.q.m:g} {counts} disagrees with {how} = {want:g}; "
                                           "chips counts packages: fix chips, counts or the value")
        return None
    return MarketedCount(fig, counts)


def parse_layout(d: dict[str, Any], file: str, fp: FigureParser, sid: str, chips: Figure | None) -> dict[str, Figure]:
    """``[layout]``: cabinets, compute/network cabinets, nodes and chips per node, each a sourced count.
    Where given, nodes x chips_per_node must equal chips and compute + network cabinets the cabinets."""
    raw = d.get("layout")
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        fp.problem(file, "layout", "must be a table of counts ([layout] with cabinets, nodes, ...)")
        return {}
    out: dict[str, Figure] = {}
    for key, entry in raw.items():
        if key not in schema.LAYOUT_FIGURES:
            fp.problem(file, f"layout.{key}", f"unknown layout count; allowed: {', '.join(schema.LAYOUT_FIGURES)}")
            continue
        f = fp.figure(entry, "count", file, f"layout.{key}", f"{sid}.layout.{key}", allow_alternatives=False)
        if f is not None:
            out[key] = f
    m = {k: f.q.m for k, f in out.items()}
    if chips is not None and "nodes" in m and "chips_per_node" in m and m["nodes"] * m["chips_per_node"] != chips.q.m:
        fp.problem(file, "layout.nodes", f"{m['nodes']:g} nodes x {m['chips_per_node']:g} chips per node is not the "
                                         f"system's {chips.q.m:g} chips; fix one of them")
    if {"cabinets", "compute_cabinets", "network_cabinets"} <= set(m) and \
            m["compute_cabinets"] + m["network_cabinets"] != m["cabinets"]:
        fp.problem(file, "layout.cabinets", f"{m['compute_cabinets']:g} compute + {m['network_cabinets']:g} network "
                                            f"cabinets is not {m['cabinets']:g}; fix one of them")
    return out
