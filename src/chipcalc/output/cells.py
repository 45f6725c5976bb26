"""A table's rows and footnotes as text: the numbers of each row in its one display unit, the basis tags
(S1, A1, ...) and the footnotes they point to. Shared by every rendered format (plain, HTML, LaTeX, xlsx)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chipcalc.core.format import Display, display
from chipcalc.output.table import Cell, Refs, Row, Table, bounds

ASSUMED_MARK = "*"
RANGE_MARK = "†"


def _in_row(cell: Cell, row_unit: str | None) -> bool:
    return cell.unit is None or (row_unit is not None and cell.unit == row_unit)


def row_display(row: Row) -> Display:
    """The one unit (and number style) for every figure of a row that has no other unit of its own."""
    values = [bounds(c.fig, row.unit)[0] for c in row.cells if c.fig is not None and _in_row(c, row.unit)]
    return display(values, row.unit)


def _cell_display(cell: Cell, shown: Display, row_unit: str | None = None) -> Display:
    """A cell with a unit of its own (a ratio, a claim's measured value) is shown on its own terms."""
    if _in_row(cell, row_unit):
        return shown
    if cell.unit == "x" or cell.fig is None:
        return Display(cell.unit)
    return display([bounds(cell.fig, cell.unit)[0]], cell.unit)


def cell_text(cell: Cell, shown: Display | str, ranges: bool, row_unit: str | None = None) -> str:
    """One cell as text in its row's display (``shown``; ``row_unit`` is the unit the table named)."""
    if cell.fig is None:
        return cell.text if cell.text or cell.blank else "n/a"
    shown = shown if isinstance(shown, Display) else display([], shown)
    d = _cell_display(cell, shown, row_unit)
    n, lo, hi = bounds(cell.fig, d.unit)
    s = d.text(n) + ("×" if d.unit == "x" else "")
    if cell.unit is not None and d.unit not in ("", "x") and d.unit != shown.unit:
        s += f" {d.unit}"  # a unit of its own, not the row's: said in the cell
    if cell.fig.assumed:
        s += ASSUMED_MARK
    if cell.fig.has_range:
        s += f" [{d.text(lo)}–{d.text(hi)}]" if ranges else RANGE_MARK
    return s


def _basis(row: Any, refs: Refs, ranges: bool = False) -> str:
    tags: list[str] = []
    range_tags: list[str] = []
    for c in row.cells:
        if c.fig is not None:
            tags.extend(t for t in refs.cite(c.fig) if t not in tags)
            if ranges and c.fig.has_range and (c.fig.range_prov.sources or c.fig.range_prov.assumptions):
                from chipcalc.core.figure import Figure

                rp = Figure(c.fig.q, c.fig.range_prov)
                range_tags.extend(t for t in refs.cite(rp) if t not in tags and t not in range_tags)
    text = " ".join(tags)
    if range_tags:
        text += f" (range: {' '.join(range_tags)})"
    return text


def text_rows(table: Table, refs: Refs, ranges: bool) -> tuple[list[str], list[list[str]]]:
    headers = ["figure", "unit", *table.columns, "basis"]
    body = []
    for row in table.rows:
        shown = row_display(row)
        cells = [cell_text(c, shown, ranges, row.unit) for c in row.cells]
        basis = _basis(row, refs, ranges)
        if row.detail:
            basis = f"{basis} {row.detail}".strip()
        body.append([row.label, shown.unit, *cells, basis])
    return headers, body


def is_numeric(cell: Cell) -> bool:
    """A cell that holds a number, or a count as text (right-aligned in HTML and LaTeX)."""
    if cell.fig is not None or (not cell.text and not cell.blank):
        return True
    return cell.text[:1].isdigit()


# -- footnotes -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Note:
    """One footnote: a tag (S1, A2), the source id or assumption name, its text, and the quotes used."""

    tag: str
    ident: str
    text: str
    details: tuple[str, ...] = ()
    kind: str = "source"  # source | assumption


def legend(refs: Refs, catalog: Any, ranged: bool) -> list[str]:
    """The catalog's notes and what the marks mean."""
    lines = list(getattr(catalog, "notes", []) or [])
    if refs.assumptions:
        lines.append(f"{ASSUMED_MARK} depends on at least one assumption (A#), not only on sources.")
    if ranged:
        lines.append(f"{RANGE_MARK} sources disagree or a range is stated; --ranges shows nominal [low–high].")
    return lines


def notes(refs: Refs, catalog: Any, details: bool = False) -> list[Note]:
    """Every source and assumption the rendered rows cite, in the order they were numbered."""
    out = []
    for sid, n in refs.sources.items():
        src = catalog.sources.get(sid) if catalog is not None else None
        text = src.cite() if src is not None else sid
        if src is None and refs.details.get(sid):  # not in the bibliography, e.g. values typed on the command line
            text = f"{sid}: {'; '.join(refs.details[sid])}"
        out.append(Note(f"S{n}", sid, text, tuple(refs.details.get(sid, ())) if details else ()))
    for a, n in refs.assumptions.items():
        out.append(Note(f"A{n}", a.name, a.text, kind="assumption"))
    return out


def footnotes(refs: Refs, catalog: Any, *, details: bool = False, ranged: bool = False) -> list[str]:
    lines = legend(refs, catalog, ranged)
    for n in notes(refs, catalog, details):
        if n.kind == "assumption":
            lines.append(f"{n.tag} ASSUMPTION ({n.ident}): {n.text}")
            continue
        lines.append(f"{n.tag} [{n.ident}] {n.text}")
        lines.extend(f"     - {d}" for d in n.details)
    return lines


def ranged_tables(tables: list[Table], ranges: bool) -> bool:
    """True when a range mark (†) was printed: some figure has a range and --ranges is off."""
    return not ranges and any(c.fig is not None and c.fig.has_range for t in tables for r in t.rows for c in r.cells)


def wants_details(tables: list[Table]) -> bool:
    return any(t.key.startswith("chip") for t in tables)


def cell_unit(cell: Cell, row: Row) -> str:
    """The unit a machine format gives a cell's numbers in ("" for ratios and counts)."""
    unit = cell.unit if cell.unit is not None else row.unit
    return "" if unit == "x" else unit
