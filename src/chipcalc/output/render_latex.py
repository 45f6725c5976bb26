"""LaTeX: each table a ``table`` float with booktabs rules, its notes after the tabular, then the marks,
sources and assumptions as real LaTeX (a description list), so that a PDF shows them. A table too long
for one page (more than LONG_ROWS rows) is a ``longtable`` instead, its header repeated on every page.

The output is meant for ``\\input`` in a document that loads ``booktabs``, ``array`` and ``longtable``; it
compiles with pdflatex. Characters pdflatex cannot set (CJK in a quote, say) are written as their code points.
"""

from __future__ import annotations

import re
from typing import Any

from chipcalc.output.cells import (
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

PACKAGES = ("booktabs", "array", "longtable")
#: Rows above which a table is a longtable (a float cannot break across pages).
LONG_ROWS = 25

_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
            "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
            "<": r"\textless{}", ">": r"\textgreater{}", "|": r"\textbar{}"}
_UNICODE = {"–": "--", "—": "---", "−": "-", "†": r"\dag{}", "‡": r"\ddag{}", "×": r"$\times$", "…": r"\ldots{}",
            "‘": "`", "’": "'", "“": "``", "”": "''", "≤": r"$\leq$", "≥": r"$\geq$", "±": r"$\pm$",
            "·": r"$\cdot$", "→": r"$\rightarrow$", "←": r"$\leftarrow$", "↔": r"$\leftrightarrow$",
            "≈": r"$\approx$", "◀": r"$\triangleleft$", "▶": r"$\triangleright$", "~": r"\textasciitilde{}", "µ": r"$\mu$", "μ": r"$\mu$", "°": r"$^\circ$",
            "²": r"$^2$", "³": r"$^3$", "\u00a0": "~", "\u2009": r"\,", "\u202f": r"\,", "⁻": r"$^-$", "¹": r"$^1$",
            "€": "EUR", "£": r"\pounds{}", "§": r"\S{}", "©": r"\copyright{}", "®": r"\textregistered{}",
            "™": r"\texttrademark{}", "•": r"$\bullet$", "√": r"$\surd$", "∑": r"$\sum$", "⁄": "/"}
#: Latin-1 letters pdflatex's utf8 input sets with the default fonts.
_LATIN = set("ÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖØÙÚÛÜÝàáâãäåçèéêëìíîïñòóôõöøùúûüýÿßæÆœŒ")


def tex(text: Any, breaks: bool = True) -> str:
    """Text as LaTeX: specials escaped, the usual symbols mapped, anything else as its code point;
    ``breaks``: a line may break after a slash (long URLs)."""
    out: list[str] = []
    odd: list[str] = []
    dash = False  # the last character written was an ASCII '-': TeX would join '--' into an en dash
    quotes = 0  # straight double quotes: opening and closing in turn (``...''), not both closing

    def flush() -> None:
        if odd:
            out.append("(" + " ".join(f"U+{ord(c):04X}" for c in odd) + ")")
            odd.clear()

    for ch in str(text):
        if ch == "-":
            flush()
            out.append("{}-" if dash else "-")  # '--ranges' stays two hyphens, as typed
            dash = True
            continue
        dash = False
        if ch == '"':
            flush()
            out.append("``" if quotes % 2 == 0 else "''")
            quotes += 1
            continue
        if ch in _SPECIAL:
            flush()
            out.append(_SPECIAL[ch])
        elif ch in _UNICODE:
            flush()
            out.append(_UNICODE[ch])
        elif ch == "/" and breaks:
            flush()
            out.append(r"/\allowbreak{}")
        elif " " <= ch <= "~" or ch in _LATIN:
            flush()
            out.append(ch)
        elif ch in "\n\t":
            flush()
            out.append(" ")
        else:
            odd.append(ch)
    flush()
    return "".join(out)


def _label(key: str) -> str:
    return "tab:" + re.sub(r"[^A-Za-z0-9.:-]+", "-", key or "table")


def _wordy(t: Table, j: int) -> bool:
    """A value column of words (verdicts, notes), which wraps, rather than of numbers."""
    return any(len(r.cells) > j and not is_numeric(r.cells[j]) and len(r.cells[j].text) > 14 for r in t.rows)


def _spec(t: Table) -> str:
    """Column types: the figure and basis wrap, numbers align right, columns of words wrap in what is left."""
    wrap = lambda w: rf">{{\raggedright\arraybackslash}}p{{{w:.2f}\linewidth}}"  # noqa: E731
    wordy = [_wordy(t, j) for j in range(len(t.columns))]
    n_num, n_words = wordy.count(False), wordy.count(True)
    if not n_words:
        return wrap(0.24) + "l" + "r" * n_num + wrap(max(0.15, 0.55 - 0.11 * n_num))
    words_w = max(0.1, (0.92 - 0.2 - 0.07 - 0.14 - 0.09 * n_num) / n_words)
    return wrap(0.2) + "l" + "".join(wrap(words_w) if w else "r" for w in wordy) + wrap(0.14)


def table_tex(t: Table, refs: Refs, ranges: bool) -> str:
    spec = _spec(t)
    head = ["figure", "unit", *t.columns, "basis"]
    header = " & ".join(tex(h) if i < 2 or i == len(head) - 1 else rf"\multicolumn{{1}}{{c}}{{{tex(h)}}}"
                        for i, h in enumerate(head)) + r" \\"
    body = []
    for row in t.rows:
        shown = row_display(row)
        basis = _basis(row, refs, ranges) + (f" {row.detail}" if row.detail else "")
        label = tex(row.label.strip())
        if row.label.startswith(" "):
            label = r"\quad " + label
        cells = [label, tex(shown.unit, breaks=False)]
        for j, c in enumerate(row.cells):
            text = tex(cell_text(c, shown, ranges, row.unit), breaks=_wordy(t, j))
            wraps = _wordy(t, j)
            cells.append(text if is_numeric(c) or wraps else rf"\multicolumn{{1}}{{l}}{{{text}}}" if text else "")
        cells.append(tex(basis.strip()))
        body.append(" & ".join(cells) + r" \\")
    notes = [tex(x) + r"\par" for x in t.notes]
    caption, label = rf"\caption{{{tex(t.title)}}}", rf"\label{{{_label(t.key or t.title)}}}"
    if len(t.rows) > LONG_ROWS:
        lines = [r"\begingroup\footnotesize\setlength{\tabcolsep}{3pt}", rf"\begin{{longtable}}{{{spec}}}",
                 caption + label + r" \\", r"\toprule", header, r"\midrule", r"\endfirsthead", r"\toprule", header,
                 r"\midrule", r"\endhead", r"\bottomrule", r"\endfoot", *body, r"\end{longtable}"]
        return "\n".join(lines + ([r"\raggedright"] + notes if notes else []) + [r"\par\endgroup"])
    lines = [r"\begin{table}[htbp]", r"\centering", r"\footnotesize", r"\setlength{\tabcolsep}{3pt}", caption, label,
             rf"\begin{{tabular}}{{{spec}}}", r"\toprule", header, r"\midrule", *body, r"\bottomrule", r"\end{tabular}"]
    if notes:
        lines += [r"\par\smallskip\raggedright"] + notes
    lines.append(r"\end{table}")
    return "\n".join(lines)


def footnotes_tex(refs: Refs, catalog: Any, *, details: bool, ranged: bool) -> str:
    items = notes(refs, catalog, details)
    marks = legend(refs, catalog, ranged)
    if not items and not marks:
        return ""
    lines = [r"\begingroup\footnotesize\sloppy", r"\par\medskip\noindent\textbf{Notes, sources and assumptions}\par"]
    lines += [tex(m) + r"\par" for m in marks]
    if items:
        lines.append(r"\begin{description}")
        for n in items:
            if n.kind == "assumption":
                lines.append(rf"\item[{n.tag}] \textbf{{{tex(n.ident)}}} (assumption): {tex(n.text)}")
            else:
                lines.append(rf"\item[{n.tag}] [{tex(n.ident)}] {tex(n.text)}")
                if n.details:
                    lines.append(r"\begin{itemize}" + "".join(rf" \item {tex(d)}" for d in n.details) + r" \end{itemize}")
        lines.append(r"\end{description}")
    lines.append(r"\endgroup")
    return "\n".join(lines)


def render_latex(tables: list[Table], catalog: Any, ranges: bool = False) -> str:
    refs = Refs()
    parts = [f"% chipcalc tables: \\input this file in a document with \\usepackage{{{','.join(PACKAGES)}}}"]
    parts += [table_tex(t, refs, ranges) for t in tables]
    parts.append(footnotes_tex(refs, catalog, details=wants_details(tables), ranged=ranged_tables(tables, ranges)))
    return "\n\n".join(p for p in parts if p) + "\n"
