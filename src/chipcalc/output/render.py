"""Render tables: tabulate text formats, CSV and JSON. Writing files is in :mod:`chipcalc.output.files`."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from chipcalc.core.format import fmt_number
from chipcalc.output.table import Cell, Refs, Table, bounds

TEXT_FORMATS = {
    "plain": "simple",
    "simple": "simple",
    "github": "github",
    "markdown": "github",
    "md": "github",
    "grid": "grid",
    "rst": "rst",
    "latex": "latex_booktabs",
    "tex": "latex_booktabs",
    "html": "html",
}
MACHINE_FORMATS = ("csv", "json")
ALL_FORMATS = tuple(sorted(set(TEXT_FORMATS) | set(MACHINE_FORMATS)))
SUFFIX_FORMATS = {".csv": "csv", ".json": "json", ".md": "github", ".tex": "latex", ".html": "html", ".htm": "html", ".txt": "plain", ".rst": "rst"}

ASSUMED_MARK = "*"
RANGE_MARK = "†"


def cell_text(cell: Cell, unit: str, ranges: bool) -> str:
    if cell.fig is None:
        return cell.text if cell.text or cell.blank else "n/a"
    unit = cell.unit if cell.unit is not None else unit
    n, lo, hi = bounds(cell.fig, unit)
    s = fmt_number(n) + ("×" if unit == "x" else "")
    if cell.fig.assumed:
        s += ASSUMED_MARK
    if cell.fig.has_range:
        s += f" [{fmt_number(lo)}–{fmt_number(hi)}]" if ranges else RANGE_MARK
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


def _unit_label(unit: str) -> str:
    return unit


def text_rows(table: Table, refs: Refs, ranges: bool) -> tuple[list[str], list[list[str]]]:
    headers = ["figure", "unit", *table.columns, "basis"]
    body = []
    for row in table.rows:
        cells = [cell_text(c, row.unit, ranges) for c in row.cells]
        basis = _basis(row, refs, ranges)
        if row.detail:
            basis = f"{basis} {row.detail}".strip()
        body.append([row.label, _unit_label(row.unit), *cells, basis])
    return headers, body


def footnotes(refs: Refs, catalog: Any, *, details: bool = False, ranged: bool = False) -> list[str]:
    lines = list(getattr(catalog, "notes", []) or [])
    if any(True for _ in refs.assumptions):
        lines.append(f"{ASSUMED_MARK} depends on at least one assumption (A#), not only on sources.")
    if ranged:
        lines.append(f"{RANGE_MARK} sources disagree or a range is stated; --ranges shows nominal [low–high].")
    for sid, n in refs.sources.items():
        src = catalog.sources.get(sid) if catalog is not None else None
        text = src.cite() if src is not None else sid
        if src is None and refs.details.get(sid):  # not in the bibliography, e.g. values typed on the command line
            text = f"{sid}: {'; '.join(refs.details[sid])}"
        lines.append(f"S{n} [{sid}] {text}")
        if details and refs.details.get(sid):
            for d in refs.details[sid]:
                lines.append(f"     - {d}")
    for a, n in refs.assumptions.items():
        lines.append(f"A{n} ASSUMPTION ({a.name}): {a.text}")
    return lines


def render_text(tables: list[Table], fmt: str, catalog: Any, ranges: bool = False) -> str:
    from tabulate import tabulate

    tf = TEXT_FORMATS[fmt]
    refs = Refs()
    parts = []
    for t in tables:
        headers, body = text_rows(t, refs, ranges)
        grid = tabulate(body, headers=headers, tablefmt=tf, disable_numparse=True)
        if tf == "html":
            parts.append(f"<h3>{_esc(t.title)}</h3>\n{grid}")
            parts.extend(f"<p>{_esc(n)}</p>" for n in t.notes)
        elif tf.startswith("latex"):
            parts.append(f"% {t.title}\n{grid}")
            parts.extend(f"% {n}" for n in t.notes)
        elif tf == "github":
            parts.append(f"### {t.title}\n\n{grid}")
            parts.extend(f"\n{n}" for n in t.notes)
        else:
            parts.append(f"{t.title}\n{grid}")
            parts.extend(n for n in t.notes)
    ranged = not ranges and any(c.fig is not None and c.fig.has_range for t in tables for r in t.rows for c in r.cells)
    notes = footnotes(refs, catalog, details=any(t.key.startswith("chip") for t in tables), ranged=ranged)
    if tf == "html":
        parts.append("<ol class=\"footnotes\">" + "".join(f"<li>{_esc(n)}</li>" for n in notes) + "</ol>")
    elif tf.startswith("latex"):
        parts.extend(f"% {n}" for n in notes)
    elif tf == "github":
        parts.append("\n".join(f"- {n}" for n in notes))
    else:
        parts.append("\n".join(notes))
    return "\n\n".join(parts) + "\n"


def _esc(s: str) -> str:
    import html

    return html.escape(s)


def render_csv(tables: list[Table]) -> str:
    """Wide CSV: one line per row, numeric cells; provenance per value column; tables stacked.

    Columns: table, key, figure, unit, then for each value column `<col>` (the number) and
    `<col> basis` (sourced|assumed plus the source ids and assumption names).
    """
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    for i, t in enumerate(tables):
        if i:
            w.writerow([])
        header = ["table", "key", "figure", "unit"]
        for c in t.columns:
            header += [c, f"{c} low", f"{c} high", f"{c} basis"]
        w.writerow(header)
        for row in t.rows:
            line: list[Any] = [t.key or t.title, row.key, row.label, row.unit]
            for c in row.cells:
                if c.fig is None:
                    line += [c.text, "", "", ""]
                    continue
                n, lo, hi = bounds(c.fig, c.unit if c.unit is not None else row.unit)
                basis = _basis_plain(c.fig)
                line += [repr(n), repr(lo), repr(hi), basis]
            w.writerow(line)
    return buf.getvalue()


def _basis_plain(fig: Any) -> str:
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
                    cells[col] = None if not c.text else {"text": c.text}
                else:
                    cells[col] = figure_json(c.fig, c.unit if c.unit is not None else row.unit)
                    used.update(s.id for s in c.fig.prov.sources)
            rows.append({"key": row.key, "figure": row.label, "unit": row.unit, "cells": cells,
                         **({"detail": row.detail} if row.detail else {})})
        out_tables.append({"key": t.key, "title": t.title, "columns": t.columns, "rows": rows, "notes": t.notes})
    sources = {}
    if catalog is not None:
        for sid in sorted(used):
            s = catalog.sources.get(sid)
            if s is not None:
                sources[sid] = {"title": s.title, "publisher": s.publisher, "url": s.where, "date": s.date, "kind": s.kind}
    return json.dumps({"tables": out_tables, "sources": sources}, indent=2, ensure_ascii=False) + "\n"


def render(tables: list[Table], fmt: str, catalog: Any, ranges: bool = False) -> str:
    if fmt == "csv":
        return render_csv(tables)
    if fmt == "json":
        return render_json(tables, catalog)
    return render_text(tables, fmt, catalog, ranges)
