"""Figure tables of a spec file (value, unit, source or assumption, range, alternatives) into Figures,
collecting every problem with its file and field instead of stopping at the first."""

from __future__ import annotations

import math
from typing import Any

from chipcalc.catalog import schema
from chipcalc.catalog.records import Source
from chipcalc.core.errors import Problem, UnitError
from chipcalc.core.figure import Figure, Provenance
from chipcalc.core.units import EXAMPLES, check_dimension, parse, within_si_limit

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
        if not within_si_limit(q):
            self.problem(file, fieldname, f"'{text}' is too large to compute with; check the number and its unit")
            return None
        if dim == "count" and float(m) != int(m):
            self.problem(file, fieldname, f"'{text}' must be a whole number")
            return None
        if dim == "fraction" and float(q.m_as("")) > 1:
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

    def reading(self, text: Any, prov: Provenance, file: str, fieldname: str, label: str) -> Provenance | None:
        """``reading = "dense: <why>"``: the source does not say dense or sparse; the reading chipcalc
        took becomes a named assumption of the figure (so it shows ``*``)."""
        pc = schema.parse_compute_name(label.rsplit(".", 1)[-1])
        where = f"{fieldname}.reading"
        if pc is None:
            self.problem(file, where, "only compute figures (<precision>_dense or _sparse) take a reading")
            return None
        word, _, why = str(text).partition(":") if isinstance(text, str) else ("", "", "")
        if word.strip() not in schema.READINGS or len(why.strip()) < 10:
            self.problem(file, where, f"must be \"{pc[1]}: <why chipcalc reads it so>\" (a sentence), not {text!r}")
            return None
        if word.strip() != pc[1]:
            self.problem(file, where, f"reads the figure as {word.strip()} but the field is {pc[1]}; "
                                      f"move it to {pc[0]}_{word.strip()} or fix the reading")
            return None
        return prov | Provenance.assume(f"{label.rsplit('.', 1)[0]}.{pc[0]}_{pc[1]} reading",
                                        f"read as {pc[1]}: {why.strip()}")

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
        if "reading" in entry and prov is not None:
            prov = self.reading(entry["reading"], prov, file, fieldname, label)
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
        if not all(within_si_limit(x) for x in (fig.q, lo, hi)):
            self.problem(file, fieldname, f"'{entry['value']}' gives a value too large to compute with; check the number and the dies")
            return None
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
