"""Turn a folder of TOML spec files into records, reporting every problem with file and field.

Two phases: read every file of every folder (built-ins first, then the user's folders, later
ones overriding earlier ones by id), then parse each record against the merged bibliography.
"""

from __future__ import annotations

import math
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chipcalc import schema
from chipcalc.errors import Problem, UnitError
from chipcalc.figure import Figure, Provenance
from chipcalc.records import Chip, Model, Part, Source, System, Tier
from chipcalc.units import DIMENSIONS, EXAMPLES, check_dimension, parse

_DIM_WORDS = {
    "compute": "a compute rate",
    "information": "an amount of memory",
    "bandwidth": "a bandwidth",
    "power": "a power",
    "time": "a time",
    "energy": "an energy",
    "count": "a plain count",
    "fraction": "a fraction",
    "number": "a plain number",
    "throughput": "a token rate",
    "tokens": "a number of tokens",
}


def display_path(path: Path, root: Path) -> str:
    """'specs/chips/h20.toml' for built-ins; a path relative to the working directory otherwise."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return f"{root.name}/{path.relative_to(root)}"


@dataclass
class RawFile:
    path: str  # for messages
    data: dict[str, Any]


@dataclass
class Raw:
    """Everything read from the folders, merged by id, before parsing."""

    sources: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    assumptions: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    chips: dict[str, RawFile] = field(default_factory=dict)
    systems: dict[str, RawFile] = field(default_factory=dict)
    models: dict[str, RawFile] = field(default_factory=dict)
    claims: dict[str, RawFile] = field(default_factory=dict)


def _read_toml(path: Path, shown: str, problems: list[Problem]) -> dict[str, Any] | None:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        problems.append(Problem(shown, "", f"malformed TOML ({exc}); fix the syntax"))
    except UnicodeDecodeError:
        problems.append(Problem(shown, "", "not UTF-8 text"))
    except OSError as exc:
        problems.append(Problem(shown, "", f"cannot read ({exc.strerror})"))
    return None


def read_folder(root: Path, raw: Raw, problems: list[Problem], claims: bool = True) -> None:
    """Read one spec folder into ``raw`` (later folders override earlier ones by id)."""
    if not root.is_dir():
        problems.append(Problem(str(root), "", "spec folder not found; pass an existing directory to --specs"))
        return
    for pattern, table in (("sources*.toml", raw.sources), ("assumptions*.toml", raw.assumptions)):
        here: dict[str, str] = {}  # ids defined in this folder: a second definition is a mistake
        for path in sorted(root.glob(pattern)):
            shown = display_path(path, root)
            data = _read_toml(path, shown, problems)
            for key, entry in (data or {}).items():
                if key in here:
                    problems.append(Problem(shown, key, f"also defined in {here[key]}; keep one definition"))
                    continue
                here[key] = shown
                table[key] = (shown, entry)
    subs = [("chips", raw.chips), ("systems", raw.systems), ("models", raw.models)] + ([("claims", raw.claims)] if claims else [])
    for sub, target in subs:
        for path in sorted((root / sub).glob("*.toml")):
            shown = display_path(path, root)
            data = _read_toml(path, shown, problems)
            if data is None:
                continue
            rid = data.get("id")
            if not isinstance(rid, str) or not rid:
                problems.append(Problem(shown, "id", f"missing; add id = \"{path.stem}\""))
                continue
            if rid != path.stem:
                problems.append(Problem(shown, "id", f"'{rid}' does not match the file name; rename one of them"))
                continue
            target[rid] = RawFile(shown, data)


class FigureParser:
    """Parses figure tables, collecting problems instead of stopping at the first."""

    def __init__(self, sources: dict[str, Source], problems: list[Problem]):
        self.sources = sources
        self.problems = problems

    def problem(self, file: str, fieldname: str, message: str) -> None:
        self.problems.append(Problem(file, fieldname, message))

    def quantity(self, text: Any, dim: str, file: str, fieldname: str) -> Any:
        try:
            q = parse(text)
        except UnitError as exc:
            self.problem(file, fieldname, str(exc))
            return None
        if dim != "any" and not check_dimension(q, dim):
            got = f"'{text}'" if isinstance(text, str) else repr(text)
            if dim in ("count", "fraction") or not str(q.units):
                hint = f"expected {_DIM_WORDS[dim]} like '{EXAMPLES[dim]}', got {got}"
                if not str(q.units):
                    hint += " (missing unit)"
            else:
                hint = f"expected {_DIM_WORDS[dim]} like '{EXAMPLES[dim]}', got {got}"
            self.problem(file, fieldname, hint)
            return None
        m = q.magnitude
        if not isinstance(m, (int, float)) or math.isnan(m) or math.isinf(m):
            self.problem(file, fieldname, f"'{text}' is not a finite number")
            return None
        if m <= 0:
            self.problem(file, fieldname, f"'{text}' must be positive")
            return None
        if dim == "count" and float(m) != int(m):
            self.problem(file, fieldname, f"'{text}' must be a whole number")
            return None
        if dim == "fraction" and m > 1:
            self.problem(file, fieldname, f"'{text}' must be a fraction in (0, 1]")
            return None
        return q

    def provenance(self, entry: dict[str, Any], file: str, fieldname: str, label: str) -> Provenance | None:
        src, asm = entry.get("source"), entry.get("assumption")
        if src is not None and asm is not None:
            self.problem(file, fieldname, "has both source and assumption; keep exactly one")
            return None
        if src is None and asm is None:
            self.problem(file, fieldname, "has neither source nor assumption; cite a source id or state the assumption")
            return None
        detail = entry.get("detail", "")
        if not isinstance(detail, str):
            self.problem(file, f"{fieldname}.detail", "must be a string")
            detail = ""
        if src is not None:
            if not isinstance(src, str) or src not in self.sources:
                close = _closest(str(src), self.sources)
                self.problem(file, f"{fieldname}.source", f"'{src}' is not in the bibliography (sources.toml){close}")
                return None
            return Provenance.source(src, detail)
        if not isinstance(asm, str) or len(asm.strip()) < 10:
            self.problem(file, f"{fieldname}.assumption", "must be a sentence saying why this value")
            return None
        return Provenance.assume(label, asm.strip())

    def figure(self, entry: Any, dim: str, file: str, fieldname: str, label: str,
               dies: Figure | None = None, allow_alternatives: bool = True) -> Figure | None:
        if not isinstance(entry, dict):
            ex = EXAMPLES.get(dim, "1 W")
            self.problem(file, fieldname, f"must be a table like {{ value = \"{ex}\", source = \"<id>\" }}")
            return None
        unknown = set(entry) - schema.FIGURE_KEYS
        if unknown:
            self.problem(file, fieldname, f"unknown key(s) {', '.join(sorted(unknown))}; allowed: {', '.join(sorted(schema.FIGURE_KEYS))}")
        if "value" not in entry:
            self.problem(file, fieldname, f"missing value; add value = \"{EXAMPLES.get(dim, '1')}\"")
            return None
        if dim != "count" and isinstance(entry["value"], (int, float)) and not isinstance(entry["value"], bool):
            self.problem(file, fieldname, f"'{entry['value']}' has no unit; write it as a string like \"{EXAMPLES.get(dim)}\"")
            return None
        q = self.quantity(entry["value"], dim, file, fieldname)
        prov = self.provenance(entry, file, fieldname, label)
        if q is None or prov is None:
            return None
        note = []
        per = entry.get("per", "package")
        if per not in ("package", "die"):
            self.problem(file, f"{fieldname}.per", f"'{per}' is not 'die' or 'package'")
            return None
        direction = entry.get("direction", "uni")
        if direction not in ("uni", "bi"):
            self.problem(file, f"{fieldname}.direction", f"'{direction}' is not 'uni' or 'bi'")
            return None
        if direction == "bi":
            if dim != "bandwidth":
                self.problem(file, f"{fieldname}.direction", "only bandwidths have a direction")
                return None
            q = q / 2
            note.append(f"stated as {entry['value']} bidirectional; halved to per direction")
        fig = Figure(q, prov, label=label)
        if per == "die":
            if dies is None:
                self.problem(file, f"{fieldname}.per", "per = \"die\" needs a dies figure in this file")
                return None
            fig = fig * dies
            note.append(f"stated as {entry['value']} per die; x {dies.q.m:g} dies")
        lows: list[Any] = []
        highs: list[Any] = []
        for key, bucket in (("low", lows), ("high", highs)):
            if key in entry:
                v = self.quantity(entry[key], dim, file, f"{fieldname}.{key}")
                if v is None:
                    return None
                if per == "die" and dies is not None:
                    v = v * dies.q
                if direction == "bi":
                    v = v / 2
                bucket.append(v)
        if lows and lows[0] > fig.q:
            self.problem(file, f"{fieldname}.low", f"low {entry['low']} is above the value {entry['value']}; a range must include its nominal")
            return None
        if highs and highs[0] < fig.q:
            self.problem(file, f"{fieldname}.high", f"high {entry['high']} is below the value {entry['value']}; a range must include its nominal")
            return None
        alts: list[Figure] = []
        raw_alts = entry.get("alternatives", [])
        if raw_alts and not allow_alternatives:
            self.problem(file, f"{fieldname}.alternatives", "alternatives are not allowed here")
        elif not isinstance(raw_alts, list):
            self.problem(file, f"{fieldname}.alternatives", "must be a list of figure tables ([[...alternatives]])")
        else:
            for i, alt in enumerate(raw_alts):
                if isinstance(alt, dict) and "alternatives" in alt:
                    self.problem(file, f"{fieldname}.alternatives[{i}]", "an alternative cannot have alternatives")
                    continue
                a = self.figure(alt, dim, file, f"{fieldname}.alternatives[{i}]", label, dies, allow_alternatives=False)
                if a is not None:
                    alts.append(a)
        candidates = [fig.q] + [a.q for a in alts]
        lo = min([*candidates, *lows], key=lambda x: x.to(fig.q.units).magnitude)
        hi = max([*candidates, *highs], key=lambda x: x.to(fig.q.units).magnitude)
        ranged = bool(lows or highs or alts)
        dies_prov = fig.prov
        return Figure(
            fig.q,
            dies_prov,
            low=lo.to(fig.q.units) if ranged else None,
            high=hi.to(fig.q.units) if ranged else None,
            label=label,
            note="; ".join(note),
            alternatives=tuple(alts),
            range_prov=Provenance.union(a.prov for a in alts),
        )


def _closest(name: str, options: Any) -> str:
    import difflib

    best = difflib.get_close_matches(name, list(options), n=1, cutoff=0.5)
    return f"; did you mean '{best[0]}'?" if best else ""


def parse_sources(raw: Raw, problems: list[Problem]) -> dict[str, Source]:
    out: dict[str, Source] = {}
    for sid, (file, entry) in raw.sources.items():
        if not isinstance(entry, dict):
            problems.append(Problem(file, sid, "must be a table with title, publisher, url, date, kind"))
            continue
        missing = [k for k in ("title", "publisher", "date", "kind") if not entry.get(k)]
        if not entry.get("url") and not entry.get("document"):
            missing.append("url (or document)")
        if missing:
            problems.append(Problem(file, sid, f"missing {', '.join(missing)}"))
            continue
        kind = entry["kind"]
        if kind not in schema.SOURCE_KINDS:
            problems.append(Problem(file, f"{sid}.kind", f"'{kind}' is not one of {', '.join(schema.SOURCE_KINDS)}"))
            continue
        out[sid] = Source(
            id=sid, title=str(entry["title"]), publisher=str(entry["publisher"]),
            where=str(entry.get("url") or entry.get("document")), date=str(entry["date"]),
            kind=kind, note=str(entry.get("note", "")), file=file,
        )
    return out


def parse_chip(rf: RawFile, fp: FigureParser) -> Chip | None:
    d, file = rf.data, rf.path
    cid = d["id"]
    n_before = len(fp.problems)
    for key in ("name", "vendor"):
        if not isinstance(d.get(key), str):
            fp.problem(file, key, f"missing; add {key} = \"...\"")
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
            fp.problem(file, key, f"unknown chip figure{_closest(key, _chip_names())}")
            continue
        f = fp.figure(entry, spec[0], file, key, f"{cid}.{key}", dies=dies)
        if f is not None:
            figures[key] = f
    for p in schema.PRECISIONS:
        dn, sp = figures.get(f"{p}_dense"), figures.get(f"{p}_sparse")
        if dn is not None and sp is not None and sp.q < dn.q:
            fp.problem(file, f"{p}_sparse", f"sparse peak {sp.q:~P} is below dense {dn.q:~P}; is it mislabelled?")
    if len(fp.problems) > n_before:
        return None
    return Chip(id=cid, name=d["name"], vendor=d["vendor"], figures=figures, file=file,
                year=d.get("year"), notes=str(d.get("notes", "")))


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
            fp.problem(file, key, f"missing; add {key} = \"...\"")
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
        pw = fp.figure(p["power"], "power", file, f"{where}.power", f"{sid}.{p['name']}.power") if "power" in p else None
        extra = set(p) - {"name", "count", "power", "notes"}
        if extra:
            fp.problem(file, where, f"unknown key(s) {', '.join(sorted(extra))}")
        if c is not None:
            parts.append(Part(p["name"], c, pw))
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
    if len(fp.problems) > n_before or chip is None or count is None:
        return None
    return System(id=sid, name=d["name"], vendor=d["vendor"], chip=chip, chips=count, tiers=tuple(tiers),
                  parts=tuple(parts), power=power, reported=reported, file=file, notes=str(d.get("notes", "")))


def parse_model(rf: RawFile, fp: FigureParser) -> Model | None:
    d, file = rf.data, rf.path
    mid = d["id"]
    n_before = len(fp.problems)
    for key in ("name", "vendor", "architecture", "attention"):
        if not isinstance(d.get(key), str):
            fp.problem(file, key, f"missing; add {key} = \"...\"")
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
    if len(fp.problems) > n_before:
        return None
    return Model(id=mid, name=d["name"], vendor=d["vendor"], architecture=d["architecture"],
                 attention=d["attention"], figures=figures, file=file, notes=str(d.get("notes", "")))


def parse_assumptions(raw: Raw, fp: FigureParser) -> dict[str, Figure]:
    out = {}
    for name, (file, entry) in raw.assumptions.items():
        if not isinstance(entry, dict) or "value" not in entry:
            fp.problem(file, name, "must be a figure table with value and assumption (or source)")
            continue
        f = fp.figure(entry, "any", file, name, name)
        if f is not None:
            out[name] = f
    return out


def builtin_specs_dir() -> Path:
    """The built-in catalog: packaged as chipcalc/specs in a wheel, ../../specs in a checkout."""
    from importlib import resources

    packaged = Path(str(resources.files("chipcalc"))) / "specs"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "specs"


def user_specs_dirs(explicit: list[Path] | None) -> list[Path]:
    from chipcalc.errors import UsageError

    if explicit:
        dirs = list(explicit)
    else:
        env = os.environ.get("CHIPCALC_SPECS", "")
        dirs = [Path(p) for p in env.split(os.pathsep) if p]
    for d in dirs:
        if "\x00" in str(d):
            raise UsageError(f"spec folder {str(d)!r} is not a valid path (it contains a NUL byte)")
    return dirs
