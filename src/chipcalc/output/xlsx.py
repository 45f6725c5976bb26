"""A spreadsheet (``-f xlsx``): one sheet per table, then a Sources and an Assumptions sheet.

Numbers are numbers (full precision, in the unit named beside them), so a spreadsheet can compute with
them. Per value column of a table: the value, its unit (empty for ratios and counts), low, high, and the
basis (sourced or assumed, and the tags S1, A1, ... of the sources and assumptions, which the last two
sheets list with their ids, titles, URLs and reasons).
openpyxl is imported only here.
"""

from __future__ import annotations

import io
import math
import re
from typing import Any

from chipcalc.output.cells import cell_unit, notes
from chipcalc.output.table import Refs, Table, bounds, count_of

MISSING_OPENPYXL = "xlsx export needs openpyxl: pip install openpyxl"
SOURCES_SHEET = "Sources"
ASSUMPTIONS_SHEET = "Assumptions"


def _openpyxl() -> Any:
    try:
        import openpyxl
    except ImportError:
        from chipcalc.core.errors import UsageError

        raise UsageError(MISSING_OPENPYXL) from None
    return openpyxl


def _sheet_name(t: Table, taken: set[str]) -> str:
    """An Excel sheet name: at most 31 characters, none of []:*?/\\, unique."""
    base = re.sub(r"[\[\]:*?/\\]+", "-", t.key or t.title).strip("'") or "table"
    base = base[:31]
    name, i = base, 2
    while name.lower() in taken or name in (SOURCES_SHEET, ASSUMPTIONS_SHEET):
        suffix = f" ({i})"
        name = base[: 31 - len(suffix)] + suffix
        i += 1
    taken.add(name.lower())
    return name


def _num(x: float) -> float | None:
    """A finite float for a cell; None (an empty cell) otherwise."""
    x = float(x)
    return x if math.isfinite(x) else None


def _basis(fig: Any, refs: Refs) -> str:
    """``sourced: S1 S2`` or ``assumed: S1 A1``, and ``(range: S3)`` for the sources of a range: the tags of
    the Sources and Assumptions sheets."""
    from chipcalc.core.figure import Figure

    tags = refs.cite(fig)
    text = f"{fig.status}: {' '.join(tags)}"
    if fig.has_range and (fig.range_prov.sources or fig.range_prov.assumptions):
        extra = [t for t in refs.cite(Figure(fig.q, fig.range_prov)) if t not in tags]
        if extra:
            text += f" (range: {' '.join(extra)})"
    return text


def _table_sheet(ws: Any, t: Table, refs: Refs, bold: Any) -> None:
    ws.append([t.title])
    ws["A1"].font = bold
    header = ["key", "figure"]
    for c in t.columns:
        header += [c, f"{c} unit", f"{c} low", f"{c} high", f"{c} basis"]
    ws.append(header)
    for cell in ws[2]:
        cell.font = bold
    for row in t.rows:
        line: list[Any] = [row.key, row.label.strip()]
        for c in row.cells:
            if c.fig is None:
                n = count_of(c.text)
                line += [n if n is not None else (c.full or c.text) if (c.text or c.blank) else "n/a", None, None, None, None]
                continue
            unit = cell_unit(c, row)
            n, lo, hi = bounds(c.fig, unit)
            line += [_num(n), unit or None, _num(lo), _num(hi), _basis(c.fig, refs)]
        if row.detail:
            line.append(row.detail)
        ws.append(line)
    if t.notes:
        ws.append([])
        for n in t.notes:
            ws.append([n])
    ws.freeze_panes = "C3"
    ws.column_dimensions["A"].width = 22
    ws.column_dimensions["B"].width = 48


def render_xlsx(tables: list[Table], catalog: Any) -> bytes:
    openpyxl = _openpyxl()
    from openpyxl.styles import Font

    bold = Font(bold=True)
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    refs = Refs()
    from chipcalc.output.cells import text_rows

    for t in tables:  # number the sources and assumptions in the order the text output does, so S2 is the
        text_rows(t, refs, False)  # same source in every format; what only the sheets cite (ranges) comes after
    taken: set[str] = set()
    for t in tables:
        _table_sheet(wb.create_sheet(_sheet_name(t, taken)), t, refs, bold)
    items = notes(refs, catalog, details=True)
    src = wb.create_sheet(SOURCES_SHEET)
    src.append(["tag", "id", "title", "publisher", "date", "kind", "url or document", "note", "details used"])
    for n in (x for x in items if x.kind == "source"):
        s = catalog.sources.get(n.ident) if catalog is not None else None
        if s is None:
            src.append([n.tag, n.ident, n.text, None, None, None, None, None, "; ".join(n.details) or None])
        else:
            src.append([n.tag, n.ident, s.title, s.publisher, s.date, s.kind, s.where, getattr(s, "note", "") or None,
                        "; ".join(n.details) or None])
    asm = wb.create_sheet(ASSUMPTIONS_SHEET)
    asm.append(["tag", "name", "why"])
    for n in (x for x in items if x.kind == "assumption"):
        asm.append([n.tag, n.ident, n.text])
    for line in getattr(catalog, "notes", []) or []:  # the catalog's own notes, if any
        asm.append([None, None, line])
    for ws in (src, asm):
        for cell in ws[1]:
            cell.font = bold
        ws.freeze_panes = "A2"
    # A fixed creation date rather than the clock: the file tells what it holds, not when it was made.
    import datetime

    wb.properties.created = wb.properties.modified = datetime.datetime(2000, 1, 1)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
