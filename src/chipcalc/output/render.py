"""Render tables: text formats through tabulate, CSV and JSON; HTML, LaTeX and xlsx in their own modules.

Numbers in text formats are written by :mod:`chipcalc.core.format` (one unit per row, chosen there);
machine formats (CSV, JSON, xlsx) keep full-precision numbers in the row's own unit. Writing files is in
:mod:`chipcalc.output.files`.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from chipcalc.output.cells import (  # noqa: F401 - ASSUMED_MARK, RANGE_MARK, cell_text: used by report and tests
    ASSUMED_MARK,
    RANGE_MARK,
    cell_text,
    cell_unit,
    footnotes,
    ranged_tables,
    text_rows,
    wants_details,
)
from chipcalc.output.table import Refs, Table, bounds, count_of

TEXT_FORMATS = {
    "plain": "simple",
    "simple": "simple",
    "github": "github",
    "markdown": "github",
    "md": "github",
    "grid": "grid",
    "rst": "rst",
    "latex": "latex",
    "tex": "latex",
    "html": "html",
}
MACHINE_FORMATS = ("csv", "json", "xlsx")
#: Formats that are bytes, not text: written to a file only.
BINARY_FORMATS = ("xlsx",)
ALL_FORMATS = tuple(sorted(set(TEXT_FORMATS) | set(MACHINE_FORMATS)))
SUFFIX_FORMATS = {".csv": "csv", ".json": "json", ".md": "github", ".tex": "latex", ".html": "html", ".htm": "html",
                  ".txt": "plain", ".rst": "rst", ".xlsx": "xlsx"}


# -- text formats ----------------------------------------------------------------------------------------

def render_text(tables: list[Table], fmt: str, catalog: Any, ranges: bool = False) -> str:
    from tabulate import tabulate

    tf = TEXT_FORMATS[fmt]
    refs = Refs()
    parts = []
    for t in tables:
        headers, body = text_rows(t, refs, ranges)
        grid = tabulate(body, headers=headers, tablefmt=tf, disable_numparse=True)
        if tf == "github":
            parts.append(f"### {t.title}\n\n{grid}")
            parts.extend(f"\n{n}" for n in t.notes)
        elif tf == "rst":  # a title line directly above the table's border is no table to docutils
            parts.append(f"{t.title}\n\n{grid}")
            parts.extend(n for n in t.notes)
        else:
            parts.append(f"{t.title}\n{grid}")
            parts.extend(n for n in t.notes)
    lines = footnotes(refs, catalog, details=wants_details(tables), ranged=ranged_tables(tables, ranges))
    if tf in ("github", "rst"):  # a line starting '* ' is a bullet there: the mark would vanish
        lines = ["\\" + n if n.startswith("*") else n for n in lines]
    if tf == "github":
        parts.append("\n".join(f"- {n}" for n in lines))
    else:
        parts.append("\n".join(lines))
    return "\n\n".join(parts) + "\n"


# -- machine formats -------------------------------------------------------------------------------------

def render_csv(tables: list[Table]) -> str:
    """Wide CSV: one line per row, full-precision numbers; tables stacked, a blank line between.

    Columns: table, key, figure, then for each value column `<col>` (the number), `<col> unit` (empty
    for ratios and counts), `<col> low`, `<col> high` and `<col> basis` (sourced|assumed plus the source
    ids and assumption names). Text cells put their text in `<col>`.
    """
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    for i, t in enumerate(tables):
        if i:
            w.writerow([])
        header = ["table", "key", "figure"]
        for c in t.columns:
            header += [c, f"{c} unit", f"{c} low", f"{c} high", f"{c} basis"]
        w.writerow(header)
        for row in t.rows:
            line: list[Any] = [t.key or t.title, row.key, row.label]
            for c in row.cells:
                if c.fig is None:
                    n = count_of(c.text)
                    line += [c.full or c.text if n is None else n, "", "", "", ""]
                    continue
                unit = cell_unit(c, row)
                n, lo, hi = bounds(c.fig, unit)
                line += [repr(n), unit, repr(lo), repr(hi), basis_plain(c.fig)]
            w.writerow(line)
    return buf.getvalue()


def basis_plain(fig: Any) -> str:
    srcs = sorted({s.id for s in fig.prov.sources})
    asms = sorted({a.name for a in fig.prov.assumptions})
    parts = [fig.status]
    if srcs:
        parts.append("sources=" + ";".join(srcs))
    if asms:
        parts.append("assumptions=" + ";".join(asms))
    return " ".join(parts)


def figure_json(fig: Any, unit: str) -> dict[str, Any]:
    n, lo, hi = bounds(fig, unit)
    return {
        "value": n,
        "unit": "" if unit == "x" else unit,
        "low": lo,
        "high": hi,
        "status": fig.status,
        "sources": [{"id": s.id, "detail": s.detail} for s in sorted(fig.prov.sources)],
        "assumptions": [{"name": a.name, "text": a.text} for a in sorted(fig.prov.assumptions)],
        **({"range_sources": sorted({s.id for s in fig.range_prov.sources}),
            "range_assumptions": sorted({a.name for a in fig.range_prov.assumptions})} if fig.has_range else {}),
        **({"note": fig.note} if fig.note else {}),
    }


def render_json(tables: list[Table], catalog: Any) -> str:
    used: set[str] = set()
    out_tables = []
    for t in tables:
        rows = []
        for row in t.rows:
            cells = {}
            for col, c in zip(t.columns, row.cells):
                if c.fig is None:
                    n = count_of(c.text)
                    cells[col] = None if not c.text else {"text": c.full or c.text} if n is None else {"value": n, "text": c.text}
                else:
                    cells[col] = figure_json(c.fig, c.unit if c.unit is not None else row.unit)
                    used.update(s.id for s in c.fig.prov.sources)
            rows.append({"key": row.key, "figure": row.label, "unit": row.unit, "cells": cells,
                         **({"detail": row.detail} if row.detail else {})})
        out_tables.append({"key": t.key, "title": t.title, "columns": t.columns, "rows": rows, "notes": t.notes, **t.data})
    sources = {}
    if catalog is not None:
        for sid in sorted(used):
            s = catalog.sources.get(sid)
            if s is not None:
                sources[sid] = {"title": s.title, "publisher": s.publisher, "url": s.where, "date": s.date, "kind": s.kind}
    return json.dumps({"tables": out_tables, "sources": sources}, indent=2, ensure_ascii=False) + "\n"


def render(tables: list[Table], fmt: str, catalog: Any, ranges: bool = False, fragment: bool = False) -> str | bytes:
    """The tables in ``fmt``. ``fragment`` (HTML): the bare tables for embedding instead of a whole page.
    ``xlsx`` returns bytes; every other format text."""
    if fmt == "csv":
        return render_csv(tables)
    if fmt == "json":
        return render_json(tables, catalog)
    if fmt == "xlsx":
        from chipcalc.output.xlsx import render_xlsx

        return render_xlsx(tables, catalog)
    if TEXT_FORMATS.get(fmt) == "html":
        from chipcalc.output.render_html import render_html

        return render_html(tables, catalog, ranges=ranges, fragment=fragment)
    if TEXT_FORMATS.get(fmt) == "latex":
        from chipcalc.output.render_latex import render_latex

        return render_latex(tables, catalog, ranges=ranges)
    return render_text(tables, fmt, catalog, ranges)
