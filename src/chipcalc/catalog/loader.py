"""Turn a folder of TOML spec files into records, reporting every problem with file and field.

Two phases: read every file of every folder (built-ins first, then the user's folders, later
ones overriding earlier ones by id), then parse each record against the merged bibliography.
"""

from __future__ import annotations

from chipcalc.catalog import schema
from chipcalc.catalog.figures import FigureParser, _closest
from chipcalc.catalog.lint import model_shape_problems, system_problems
from chipcalc.catalog.meta import parse_layout, parse_marketed, parse_status
from chipcalc.catalog.read import Raw, RawFile
from chipcalc.catalog.records import Chip, Model, Part, Source, System, Tier
from chipcalc.core.errors import Problem
from chipcalc.core.figure import Figure


def parse_sources(raw: Raw, problems: list[Problem]) -> dict[str, Source]:
    out: dict[str, Source] = {}
    for sid, (file, entry) in raw.sources.items():
        if not isinstance(entry, dict):
            problems.append(Problem(file, sid, "must be a table with title, publisher, url, date, kind"))
            continue
        # every problem of the entry at once; the entry is kept all the same, so the figures citing it do
        # not add "not in the bibliography" (untrue) to the load's problems
        missing = [k for k in ("title", "publisher", "date", "kind") if not entry.get(k)]
        if not entry.get("url") and not entry.get("document"):
            missing.append("url (or document)")
        if missing:
            problems.append(Problem(file, sid, f"missing {', '.join(missing)}"))
        kind = entry.get("kind")
        if kind and kind not in schema.SOURCE_KINDS:
            problems.append(Problem(file, f"{sid}.kind", f"'{kind}' is not one of {', '.join(schema.SOURCE_KINDS)}"))
        bad = [(f"{sid}.{key}", why) for key, why in (("date", _bad_date(entry["date"]) if entry.get("date") else None),
                                                      ("url", _bad_url(entry["url"]) if entry.get("url") else None)) if why]
        problems.extend(Problem(file, key, why) for key, why in bad)
        out[sid] = Source(
            id=sid, title=str(entry.get("title", "")), publisher=str(entry.get("publisher", "")),
            where=str(entry.get("url") or entry.get("document") or ""), date=str(entry.get("date", "")),
            kind=str(kind or ""), note=str(entry.get("note", "")), file=file,
        )
    return out


def _bad_date(value: object) -> str | None:
    """None for a real calendar date written YYYY, YYYY-MM or YYYY-MM-DD (or a TOML date), else why not."""
    import datetime
    import re

    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return None
    text = str(value)
    m = re.fullmatch(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", text)
    if m:
        try:
            datetime.date(int(m.group(1)), int(m.group(2) or 1), int(m.group(3) or 1))
            return None
        except ValueError:
            pass
    return f"'{text}' is not a date; write YYYY, YYYY-MM or YYYY-MM-DD (e.g. 2025-04-16)"


def _bad_url(value: object) -> str | None:
    """None for an http(s) URL with a host and no spaces, else why not."""
    from urllib.parse import urlsplit

    text = str(value)
    try:
        parts = urlsplit(text)
    except ValueError:
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc or any(c.isspace() for c in text):
        return f"'{text}' is not a URL; write https://host/path (or give document = \"...\" for a document without one)"
    return None


def parse_chip(rf: RawFile, fp: FigureParser) -> Chip | None:
    d, file = rf.data, rf.path
    cid = d["id"]
    n_before = len(fp.problems)
    for key in ("name", "vendor"):
        if not isinstance(d.get(key), str):
            fp.problem(file, key, _text_needed(d, key))
    _check_meta(d, file, fp)
    dies = None
    if "dies" in d:
        dies = fp.figure(d["dies"], "count", file, "dies", f"{cid}.dies")
    figures: dict[str, Figure] = {}
    if dies is not None:
        figures["dies"] = dies
    for key, entry in d.items():
        if key in schema.CHIP_META or key == "dies":
            continue
        spec = schema.chip_field(key)
        if spec is None:
            fp.problem(file, key, f"unknown chip figure{_closest(key, [*_chip_names(), *schema.CHIP_META])}")
            continue
        f = fp.figure(entry, spec[0], file, key, f"{cid}.{key}", dies=dies)
        if f is not None:
            figures[key] = f
    for p in schema.PRECISIONS:
        dn, sp = figures.get(f"{p}_dense"), figures.get(f"{p}_sparse")
        if dn is not None and sp is not None and sp.q < dn.q:
            fp.problem(file, f"{p}_sparse", f"sparse peak {sp.q:~P} is below dense {dn.q:~P}; is it mislabelled?")
    status = parse_status(d, file, fp)
    if len(fp.problems) > n_before:
        return None
    return Chip(id=cid, name=d["name"], vendor=d["vendor"], figures=figures, file=file,
                year=d.get("year"), notes=str(d.get("notes", "")), status=status)


def _check_meta(d: dict, file: str, fp: FigureParser) -> None:
    """``year`` a whole year (not text, not -5) and ``notes`` text: each was accepted as anything."""
    year = d.get("year")
    if year is not None and (isinstance(year, bool) or not isinstance(year, int) or not 1950 <= year <= 2100):
        fp.problem(file, "year", f"must be a year like 2025 (a number, no quotes), got {year!r:.40}")
    if "notes" in d and not isinstance(d["notes"], str):
        fp.problem(file, "notes", f"must be text in quotes, like notes = \"...\" (got {d['notes']!r:.40})")


def _text_needed(d: dict, key: str) -> str:
    """The message for a required text field that is absent or not text."""
    if key not in d:
        return f"missing; add {key} = \"...\""
    return f"must be text in quotes, like {key} = \"...\" (got {d[key]!r:.40})"


def _chip_names() -> list[str]:
    names = list(schema.CHIP_FIGURES)
    names += [schema.compute_name(p, s) for p in schema.PRECISIONS for s in schema.SPARSITY]
    return names


def parse_system(rf: RawFile, fp: FigureParser, chips: dict[str, Chip]) -> System | None:
    d, file = rf.data, rf.path
    sid = d["id"]
    n_before = len(fp.problems)
    for key in ("name", "vendor", "chip"):
        if not isinstance(d.get(key), str):
            fp.problem(file, key, _text_needed(d, key))
    _check_meta(d, file, fp)
    chip = chips.get(d["chip"]) if isinstance(d.get("chip"), str) else None
    if isinstance(d.get("chip"), str) and chip is None:
        fp.problem(file, "chip", f"'{d['chip']}' is not a chip in the catalog{_closest(d['chip'], chips)}")
    for key in d:
        if key not in schema.SYSTEM_META and key not in schema.SYSTEM_FIGURES:
            fp.problem(file, key, f"unknown system field; allowed: {', '.join(sorted(set(schema.SYSTEM_FIGURES) | schema.SYSTEM_META))}")
    count = fp.figure(d.get("chips"), "count", file, "chips", f"{sid}.chips") if "chips" in d else None
    if "chips" not in d:
        fp.problem(file, "chips", "missing; add [chips] with value = \"<number of accelerators>\" and a source")
    power = fp.figure(d["power"], "power", file, "power", f"{sid}.power") if "power" in d else None
    tiers = []
    raw_tiers = d.get("tier", [])
    if not isinstance(raw_tiers, list):
        fp.problem(file, "tier", "must be an array of tables ([[tier]])")
        raw_tiers = []
    for i, t in enumerate(raw_tiers):
        where = f"tier[{i}]"
        if not isinstance(t, dict):
            fp.problem(file, where, "must be a table")
            continue
        kind = t.get("kind")
        if kind not in schema.TIER_KINDS:
            fp.problem(file, f"{where}.kind", f"'{kind}' is not one of {', '.join(schema.TIER_KINDS)}")
            continue
        figs = {}
        for key, (dim, _desc, _u) in schema.TIER_FIGURES.items():
            if key in t:
                figs[key] = fp.figure(t[key], dim, file, f"{where}.{key}", f"{sid}.{kind}.{key}")
            elif key == "bandwidth" or (key == "size" and kind == "scale-up"):
                fp.problem(file, f"{where}.{key}", "missing")
        extra = set(t) - set(schema.TIER_FIGURES) - {"name", "kind"}
        if extra:
            fp.problem(file, where, f"unknown key(s) {', '.join(sorted(extra))}")
        if figs.get("bandwidth") is not None and (figs.get("size") is not None or kind == "scale-out"):
            tiers.append(Tier(str(t.get("name", kind)), kind, figs.get("size"), figs["bandwidth"], figs.get("latency")))
    parts = []
    raw_parts = d.get("part", [])
    if not isinstance(raw_parts, list):
        fp.problem(file, "part", "must be an array of tables ([[part]])")
        raw_parts = []
    for i, p in enumerate(raw_parts):
        where = f"part[{i}]"
        if not isinstance(p, dict) or not isinstance(p.get("name"), str):
            fp.problem(file, where, "must be a table with a name")
            continue
        c = fp.figure(p.get("count"), "count", file, f"{where}.count", f"{sid}.{p['name']}.count") if "count" in p else None
        if "count" not in p:
            fp.problem(file, f"{where}.count", "missing")
        more = {key: fp.figure(p[key], dim, file, f"{where}.{key}", f"{sid}.{p['name']}.{key}")
                for key, (dim, _d, _u) in schema.PART_FIGURES.items() if key != "count" and key in p}
        extra = set(p) - set(schema.PART_FIGURES) - {"name", "notes"}
        if extra:
            fp.problem(file, where, f"unknown key(s) {', '.join(sorted(extra))}")
        if c is not None:
            parts.append(Part(p["name"], c, **more))
    reported = {}
    raw_rep = d.get("reported", {})
    if not isinstance(raw_rep, dict):
        fp.problem(file, "reported", "must be a table of figures")
        raw_rep = {}
    for key, entry in raw_rep.items():
        spec = schema.chip_field(key) or schema.SYSTEM_FIGURES.get(key)
        if spec is None:
            fp.problem(file, f"reported.{key}", "unknown figure name")
            continue
        f = fp.figure(entry, spec[0], file, f"reported.{key}", f"{sid}.reported.{key}")
        if f is not None:
            reported[key] = f
    if count is not None:
        for t in tiers:
            if t.size is not None and t.size.q.m > count.q.m:
                fp.problem(file, "tier", f"tier '{t.name}' has {t.size.q.m:g} chips per domain, more than the system's {count.q.m:g}")
    for key, message in system_problems(count, power, chip.get("tdp") if chip else None, tuple(raw_tiers)):
        fp.problem(file, key, message)
    status = parse_status(d, file, fp)
    marketed = parse_marketed(d, file, fp, sid, count, chip.get("dies") if chip is not None else None)
    layout = parse_layout(d, file, fp, sid, count)
    if len(fp.problems) > n_before or chip is None or count is None:
        return None
    return System(id=sid, name=d["name"], vendor=d["vendor"], chip=chip, chips=count, tiers=tuple(tiers),
                  parts=tuple(parts), power=power, reported=reported, file=file, notes=str(d.get("notes", "")),
                  status=status, marketed=marketed, layout=layout)


def parse_model(rf: RawFile, fp: FigureParser) -> Model | None:
    d, file = rf.data, rf.path
    mid = d["id"]
    n_before = len(fp.problems)
    for key in ("name", "vendor", "architecture", "attention"):
        if not isinstance(d.get(key), str):
            fp.problem(file, key, _text_needed(d, key))
    _check_meta(d, file, fp)
    if d.get("architecture") not in (None, "dense", "moe"):
        fp.problem(file, "architecture", f"'{d['architecture']}' is not 'dense' or 'moe'")
    if d.get("attention") not in (None, "mha", "gqa", "mla"):
        fp.problem(file, "attention", f"'{d['attention']}' is not 'mha', 'gqa' or 'mla'")
    figures = {}
    for key, entry in d.items():
        if key in schema.MODEL_META:
            continue
        spec = schema.MODEL_FIGURES.get(key)
        if spec is None:
            fp.problem(file, key, f"unknown model figure{_closest(key, schema.MODEL_FIGURES)}")
            continue
        f = fp.figure(entry, spec[0], file, key, f"{mid}.{key}")
        if f is not None:
            figures[key] = f
    required = ["params_total", "params_active", "layers", "hidden_size", "attention_heads", "kv_heads", "head_dim", "vocab_size"]
    if d.get("architecture") == "moe":
        required += ["routed_experts", "experts_per_token", "moe_intermediate_size", "moe_layers"]
    if d.get("attention") == "mla":
        required += ["kv_lora_rank", "qk_rope_head_dim"]
    for key in required:
        if key not in d:
            fp.problem(file, key, "missing (required for this architecture)")
    for key, message in model_shape_problems(figures):
        fp.problem(file, key, message)
    if len(fp.problems) > n_before:
        return None
    return Model(id=mid, name=d["name"], vendor=d["vendor"], architecture=d["architecture"],
                 attention=d["attention"], figures=figures, file=file, notes=str(d.get("notes", "")))


def parse_assumptions(raw: Raw, fp: FigureParser) -> dict[str, Figure]:
    """Named assumptions, each checked against its declared dimension and bounds (schema.ASSUMPTIONS)."""
    out = {}
    for name, (file, entry) in raw.assumptions.items():
        if name not in schema.ASSUMPTIONS:
            fp.problem(file, name, f"unknown assumption{_closest(name, schema.ASSUMPTIONS)} "
                                   "(a new one is declared in catalog/schema.py ASSUMPTIONS with its dimension and bounds)")
            continue
        if not isinstance(entry, dict) or "value" not in entry:
            fp.problem(file, name, "must be a figure table with value and assumption (or source)")
            continue
        f = fp.figure(entry, schema.ASSUMPTIONS[name][0], file, name, name)
        if f is not None and (why := assumption_out_of_bounds(name, f)) is None:
            out[name] = f
        elif f is not None:
            fp.problem(file, name, why)
    return out


def assumption_out_of_bounds(name: str, fig: Figure) -> str | None:
    """None when every value of ``fig`` (nominal, low, high) is allowed for assumption ``name``, else why not."""
    from chipcalc.core.units import parse

    import math

    dim, top, _ = schema.ASSUMPTIONS[name]
    limit = parse(top)
    for what, q in (("value", fig.q), ("low", fig.lo), ("high", fig.hi)):
        if q.dimensionality != limit.dimensionality:
            return f"{what} {q:~P} has the wrong dimension; {name} must be {schema.allowed(name)}"
        v = float(q.m_as(limit.units))
        if not math.isfinite(v) or v > float(limit.magnitude) * (1 + 1e-12) or v <= 0:
            return f"{what} {q.to(limit.units):~.4g} is out of range; {name} must be {schema.allowed(name)}"
        if name in schema.AT_LEAST_ONE and v < 1 - 1e-12:
            return f"{what} {q.to(limit.units):~.4g} is out of range; {name} must be {schema.allowed(name)}"
    return None
