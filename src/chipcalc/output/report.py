"""One self-contained HTML page: comparison tables, plots, assumptions and bibliography.

No external assets: the plots are embedded as base64 PNG (``data:`` URIs), the style sheet is
inline, there is no script, and source URLs are printed as text rather than links, so the page
opens the same from a mail attachment, offline, or years later.

The tables are those of ``chipcalc cluster A --vs B`` (:func:`chipcalc.output.cluster_tables.cluster_tables`),
rendered by :mod:`chipcalc.output.render`; the sources and assumptions of the tables and the plots share
one numbering (S1.., A1..), listed once in the bibliography and the assumptions sections.
"""

from __future__ import annotations

import base64
import html
from typing import Any, Sequence

from chipcalc.core.figure import Provenance
from chipcalc.output.table import Refs, Table

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2em auto; max-width: 1200px;
       padding: 0 1em; color: #222; line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { border-bottom: 1px solid #ccc; padding-bottom: 0.2em; margin-top: 2em; }
h3 { font-size: 1.05em; margin: 1.6em 0 0.4em; }
p.lead { color: #555; margin-top: 0; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.4em 0 0.6em; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: right; vertical-align: top; }
th { background: #f3f3f3; }
td:first-child, th:first-child, td:last-child, th:last-child { text-align: left; }
tr:nth-child(even) td { background: #fafafa; }
figure { margin: 1.2em 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #e5e5e5; }
figcaption { font-size: 0.85em; color: #555; }
.note { font-size: 0.85em; color: #555; margin: 0.2em 0; }
ol.refs { font-size: 0.85em; padding-left: 0; list-style: none; }
ol.refs li { margin: 0.25em 0; }
ol.refs .tag { font-weight: 600; display: inline-block; min-width: 3em; }
.url { word-break: break-all; color: #335; }
"""


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _cite_prov(refs: Refs, prov: Provenance) -> list[str]:
    """Number a plot's sources and assumptions in the same sequence as the tables'."""
    s_nums = {refs.sources.setdefault(s.id, len(refs.sources) + 1) for s in sorted(prov.sources)}
    a_nums = {refs.assumptions.setdefault(a, len(refs.assumptions) + 1) for a in sorted(prov.assumptions)}
    return [f"S{n}" for n in sorted(s_nums)] + [f"A{n}" for n in sorted(a_nums)]


def table_html(t: Table, refs: Refs, ranges: bool) -> str:
    from tabulate import tabulate

    from chipcalc.output.render import text_rows

    headers, body = text_rows(t, refs, ranges)
    grid = tabulate(body, headers=headers, tablefmt="html", disable_numparse=True)
    notes = "".join(f'<p class="note">{_e(n)}</p>' for n in t.notes)
    return f'<section class="table" id="{_e(t.key or t.title)}">\n<h3>{_e(t.title)}</h3>\n{grid}\n{notes}</section>'


def chart_html(chart: Any, refs: Refs, caption: str) -> str:
    data = base64.b64encode(chart.to_bytes("png")).decode("ascii")
    tags = _cite_prov(refs, chart.prov)
    basis = f" Basis: {' '.join(tags)}." if tags else ""
    return (f'<figure>\n<img alt="{_e(chart.title)}" src="data:image/png;base64,{data}">\n'
            f"<figcaption>{_e(caption)}{_e(basis)}</figcaption>\n</figure>")


def _bibliography(refs: Refs, catalog: Any) -> str:
    items = []
    for sid, n in refs.sources.items():
        s = catalog.sources.get(sid)
        if s is None:
            items.append(f'<li><span class="tag">S{n}</span> [{_e(sid)}]</li>')
            continue
        where = f'<span class="url">{_e(s.where)}</span>'
        note = f" <em>{_e(s.note)}</em>" if s.note else ""
        items.append(f'<li id="src-{_e(sid)}"><span class="tag">S{n}</span> [{_e(sid)}] {_e(s.title)}. '
                     f"{_e(s.publisher)}, {_e(s.date)}. {where} [{_e(s.kind)}].{note}</li>")
    return '<ol class="refs">\n' + "\n".join(items) + "\n</ol>"


def _assumptions(refs: Refs) -> str:
    if not refs.assumptions:
        return "<p>None: every figure on this page rests on sources.</p>"
    items = [f'<li><span class="tag">A{n}</span> <strong>{_e(a.name)}</strong>: {_e(a.text)}</li>'
             for a, n in refs.assumptions.items()]
    return '<ol class="refs">\n' + "\n".join(items) + "\n</ol>"


def _supply_section(catalog: Any, systems: list[Any], refs: Refs, ranges: bool) -> list[str]:
    """For each chip of the systems that has a supply product: its default scenario's constraints
    (table and plot), as `chipcalc supply` and `chipcalc plot supply` show them."""
    from chipcalc.calc import supply as S
    from chipcalc.catalog.supply_whatif import supply_of, with_supply
    from chipcalc.core.errors import UsageError
    from chipcalc.output.plot.supply import supply_bars
    from chipcalc.output.supply_tables import constraints_table

    catalog = with_supply(catalog, supply_of(catalog))
    out = []
    for chip in dict.fromkeys(s.chip.id for s in systems):
        for p in (p for p in catalog.supply.products.values() if p.chip == chip):
            try:
                f = S.funnel(catalog, S.select(catalog, p.id))
            except UsageError:  # no default scenario: nothing to show
                continue
            out.append(table_html(constraints_table(f), refs, ranges))
            out.append(chart_html(supply_bars(f), refs, f"Supply of {p.name}, {f.scenario.year}: the packages each input "
                                  f"allows, the binding limit marked (chipcalc supply {p.id} --scenario {f.scenario.id})."))
    return (['<h2 id="supply">Supply: how many can be made</h2>', *out]) if out else []


def build_report(catalog: Any, a: Any, b: Any = None, *, model: Any = None, precisions: Sequence[str] = ("bf16",),
                 ranges: bool = False) -> str:
    """The whole page as a string."""
    import datetime

    from chipcalc.core import __version__
    from chipcalc.output import plot
    from chipcalc.output.cluster_tables import cluster_tables
    from chipcalc.output.render import ASSUMED_MARK, RANGE_MARK

    systems = [a] + ([b] if b is not None else [])
    title = " vs ".join(s.name for s in systems)
    refs = Refs()
    tables = cluster_tables(a, b)
    tables_html = [table_html(t, refs, ranges) for t in tables]

    figures = []
    if b is not None:
        figures.append(chart_html(plot.cluster_bars(a, b), refs,
                                  f"Per chip and whole system: {a.id} relative to {b.id} (= 1). Hatched: depends on an "
                                  "assumption; whiskers: the range where sources disagree."))
    chips = list({s.chip.id: s.chip for s in systems}.values())
    points = []
    notes: list[str] = []
    if model is not None:
        batch = int(catalog.assumption("default_batch").m(""))
        context = int(catalog.assumption("default_context").m(""))
        defaults = catalog.assumption("default_batch").prov | catalog.assumption("default_context").prov
        points = plot.workload_points(catalog, chips, model, list(precisions)[0], batch, context, basis=defaults)
    figures.append(chart_html(plot.roofline(chips, precisions, points), refs,
                              "Roofline of the accelerators: attainable throughput vs arithmetic intensity; circles mark "
                              "the ridge points" + (f", diamonds {model.id}'s decode and prefill steps." if points else ".")))
    if model is not None:
        import numpy as np

        curves = []
        for s in systems:
            curve, n = plot.latency_curve(catalog, s, model, 2 ** np.arange(0, 9), context, list(precisions)[0],
                                          basis=catalog.assumption("default_context").prov)
            notes += n
            if len(curve.batch):
                curves.append(curve)
        if curves:
            chart = plot.latency_curves(curves, f"{model.name}: decode latency and throughput vs batch", notes=notes)
            figures.append(chart_html(chart, refs, f"{model.name} decode at {context} tokens of context, from the latency "
                                                   "model (every curve rests on assumed efficiencies: dashed)."))

    supply_html = _supply_section(catalog, systems, refs, ranges)
    ranged = any(c.fig is not None and c.fig.has_range for t in tables for r in t.rows for c in r.cells)
    legend = [f"{ASSUMED_MARK} depends on at least one assumption (A#), not only on sources."]
    if ranged:
        legend.append(f"{RANGE_MARK} sources disagree or a range is stated" +
                      ("." if ranges else "; `--ranges` shows nominal [low–high]."))
    legend.append("The basis column lists the sources (S#) and assumptions (A#) each row rests on.")
    today = datetime.date.today().isoformat()
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(title)} — chipcalc report</title>",
        f"<style>{STYLE}</style>",
        "</head>",
        "<body>",
        f"<h1>{_e(title)}</h1>",
        f'<p class="lead">Per chip and per system, every figure sourced or marked as an assumption. '
        f"Generated by chipcalc {_e(__version__)} on {_e(today)} from its catalog "
        f"(<code>chipcalc report {_e(a.id)}{' --vs ' + _e(b.id) if b is not None else ''}"
        f"{' --model ' + _e(model.id) if model is not None else ''}</code>).</p>",
        '<h2 id="plots">Plots</h2>',
        *figures,
        '<h2 id="tables">Tables</h2>',
        "".join(f'<p class="note">{_e(x)}</p>' for x in legend),
        *tables_html,
        *supply_html,
        '<h2 id="assumptions">Assumptions</h2>',
        _assumptions(refs),
        '<h2 id="bibliography">Bibliography</h2>',
        _bibliography(refs, catalog),
        "</body>",
        "</html>",
    ]
    return "\n".join(parts) + "\n"
