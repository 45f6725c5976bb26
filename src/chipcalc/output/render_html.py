"""HTML: a standalone page (``-f html``) or the bare tables for embedding (``--fragment``).

The page has a charset, a small inline stylesheet (numbers right-aligned, no external asset), one
section per table, and the footnotes as a list of ids (S1, A1, ...) with their text; every basis tag
links to its footnote. The report (:mod:`chipcalc.output.report`) builds its tables with the same
functions, so a table looks the same in both.
"""

from __future__ import annotations

import html
import re
from typing import Any

from chipcalc.output.cells import (
    Note,
    _basis,
    cell_text,
    is_numeric,
    legend,
    notes,
    ranged_tables,
    row_display,
    wants_details,
)
from chipcalc.output.table import Refs, Table

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2em auto; max-width: 1200px;
       padding: 0 1em; color: #222; line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.15em; margin: 1.8em 0 0.4em; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.4em 0 0.6em; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.sub { padding-left: 1.8em; color: #555; }
tr:nth-child(even) td { background: #fafafa; }
.note { font-size: 0.85em; color: #555; margin: 0.2em 0; }
dl.refs { font-size: 0.85em; display: grid; grid-template-columns: max-content 1fr; gap: 0.25em 0.8em; }
dl.refs dt { font-weight: 600; }
dl.refs dd { margin: 0; }
dl.refs ul { margin: 0.1em 0 0; padding-left: 1.2em; color: #555; }
.url { word-break: break-all; color: #335; }
a.ref { color: inherit; text-decoration: none; border-bottom: 1px dotted #999; }
footer { margin-top: 2em; font-size: 0.8em; color: #777; }
"""

_TAG = re.compile(r"\b([SA]\d+)\b")


def e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def note_anchor(tag: str) -> str:
    return f"note-{tag}"


def _linked_tags(text: str, known: set[str]) -> str:
    """The basis tags (S1 A2 ...) as links to their footnotes; everything else escaped."""
    out, last = [], 0
    for m in _TAG.finditer(text):
        if m.group(1) not in known:
            continue
        out.append(e(text[last:m.start()]))
        out.append(f'<a class="ref" href="#{note_anchor(m.group(1))}">{m.group(1)}</a>')
        last = m.end()
    out.append(e(text[last:]))
    return "".join(out)


def _known(refs: Refs) -> set[str]:
    return {f"S{n}" for n in refs.sources.values()} | {f"A{n}" for n in refs.assumptions.values()}


def table_html(t: Table, refs: Refs, ranges: bool, *, heading: str = "h2", inline_style: bool = False,
               links: bool = True) -> str:
    """One table as a section: heading, table (numbers right-aligned), its notes.

    ``inline_style`` puts the alignment on each cell (a fragment is embedded without the stylesheet)."""
    right = ' style="text-align: right"' if inline_style else ""
    head = ["figure", "unit", *t.columns, "basis"]
    lines = [f'<section class="table" id="{e(t.key or t.title)}">', f"<{heading}>{e(t.title)}</{heading}>",
             "<table>", "<thead>", "<tr>"]
    n_cols = len(t.columns)
    for i, h in enumerate(head):
        attrs = (' class="num"' + right) if 2 <= i < 2 + n_cols else ""
        lines.append(f'<th scope="col"{attrs}>{e(h)}</th>')
    lines += ["</tr>", "</thead>", "<tbody>"]
    for row in t.rows:
        shown = row_display(row)
        tags = _basis(row, refs, ranges)
        known = _known(refs)
        basis = (_linked_tags(tags, known) if links else e(tags)) + (f" {e(row.detail)}" if row.detail else "")
        label = row.label.strip()
        sub = ' class="sub"' if row.label.startswith(" ") else ""
        cells = [f"<td{sub}>{e(label)}</td>", f"<td>{e(shown.unit)}</td>"]
        for c in row.cells:
            text = cell_text(c, shown, ranges, row.unit)
            cells.append(f'<td class="num"{right}>{e(text)}</td>' if is_numeric(c) else f"<td>{e(text)}</td>")
        cells.append(f"<td>{basis.strip()}</td>")
        lines.append("<tr>" + "".join(cells) + "</tr>")
    lines += ["</tbody>", "</table>"]
    lines += [f'<p class="note">{e(n)}</p>' for n in t.notes]
    lines.append("</section>")
    return "\n".join(lines)


def notes_list_html(items: list[Note], catalog: Any = None) -> str:
    """The footnotes as a definition list: each id (S1, A1) with its text and the quotes used."""
    if not items:
        return ""
    out = ['<dl class="refs footnotes">']
    for n in items:
        out.append(f'<dt id="{note_anchor(n.tag)}">{e(n.tag)}</dt>')
        if n.kind == "assumption":
            body = f"<strong>{e(n.ident)}</strong> (assumption): {e(n.text)}"
        else:
            body = f"[{e(n.ident)}] {_source_html(n, catalog)}"
        if n.details:
            body += "<ul>" + "".join(f"<li>{e(d)}</li>" for d in n.details) + "</ul>"
        out.append(f"<dd>{body}</dd>")
    out.append("</dl>")
    return "\n".join(out)


def _source_html(n: Note, catalog: Any) -> str:
    src = catalog.sources.get(n.ident) if catalog is not None else None
    if src is None:
        return e(n.text)
    note = f" <em>{e(src.note)}</em>" if getattr(src, "note", "") else ""
    return (f"{e(src.title)}. {e(src.publisher)}, {e(src.date)}. <span class=\"url\">{e(src.where)}</span> "
            f"[{e(src.kind)}].{note}")


def footnotes_html(refs: Refs, catalog: Any, *, details: bool, ranged: bool) -> str:
    marks = "".join(f'<p class="note">{e(x)}</p>' for x in legend(refs, catalog, ranged))
    return marks + "\n" + notes_list_html(notes(refs, catalog, details), catalog)


def render_html(tables: list[Table], catalog: Any, ranges: bool = False, fragment: bool = False) -> str:
    refs = Refs()
    body = [table_html(t, refs, ranges, heading="h3" if fragment else "h2", inline_style=fragment, links=not fragment)
            for t in tables]
    foot = footnotes_html(refs, catalog, details=wants_details(tables), ranged=ranged_tables(tables, ranges))
    if fragment:
        return "\n\n".join(body + [foot]) + "\n"
    from chipcalc.core import __version__

    title = tables[0].title if tables else "chipcalc"
    if len(tables) > 1:
        title += f" (+{len(tables) - 1} more)"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(title)}</title>",
        f"<style>{STYLE}</style>",
        "</head>",
        "<body>",
        "<main>",
        *body,
        '<section class="footnotes" id="footnotes">',
        "<h2>Notes, sources and assumptions</h2>",
        foot,
        "</section>",
        "</main>",
        f"<footer>chipcalc {e(__version__)}: every figure sourced (S#) or marked as an assumption (A#).</footer>",
        "</body>",
        "</html>",
    ]
    return "\n".join(parts) + "\n"
