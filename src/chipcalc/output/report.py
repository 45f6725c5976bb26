"""One self-contained HTML page a person would send: the headline, plots, per-chip and whole-system
tables, serving tables for a model, the claims about these systems with verdicts, the assumptions and
the bibliography.

No external assets: the plots are embedded as base64 PNG (``data:`` URIs), the style sheet is inline,
there is no script, and source URLs are printed as text rather than links, so the page opens the same
from a mail attachment, offline, or years later. Every basis tag (S1, A1) links to its entry on the page.

The tables are those of ``chipcalc cluster A --vs B`` and ``chipcalc latency A B MODEL``, rendered by
:mod:`chipcalc.output.render_html`; the sources and assumptions of the tables and the plots share one
numbering (S1.., A1..), in reading order, listed once in the assumptions and bibliography sections.
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
p.headline { font-size: 1.1em; max-width: 60em; }
nav { font-size: 0.9em; margin: 0.6em 0 1.2em; }
nav a { margin-right: 1em; }
table { border-collapse: collapse; font-size: 0.85em; margin: 0.4em 0 0.6em; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.sub { padding-left: 1.8em; color: #555; }
tr:nth-child(even) td { background: #fafafa; }
section.headline table { font-size: 1em; }
figure { margin: 1.2em 0; }
figure img { max-width: 100%; height: auto; border: 1px solid #e5e5e5; }
figcaption { font-size: 0.85em; color: #555; }
.note { font-size: 0.85em; color: #555; margin: 0.2em 0; }
dl.refs { font-size: 0.85em; display: grid; grid-template-columns: max-content 1fr; gap: 0.25em 0.8em; }
dl.refs dt { font-weight: 600; }
dl.refs dd { margin: 0; }
dl.refs ul { margin: 0.1em 0 0; padding-left: 1.2em; color: #555; }
a.ref { color: inherit; text-decoration: none; border-bottom: 1px dotted #999; }
.url { word-break: break-all; color: #335; }
"""

SECTIONS = (("summary", "Summary"), ("plots", "Plots"), ("per-chip", "Per chip"), ("system", "Whole system"),
            ("serving", "Serving"), ("claims", "Claims"), ("supply", "Supply: how many can be made"),
            ("assumptions", "Assumptions"),
            ("bibliography", "Bibliography"))


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _cite_prov(refs: Refs, prov: Provenance) -> list[str]:
    """Number a plot's sources and assumptions in the same sequence as the tables'."""
    s_nums = {refs.sources.setdefault(s.id, len(refs.sources) + 1) for s in sorted(prov.sources)}
    a_nums = {refs.assumptions.setdefault(a, len(refs.assumptions) + 1) for a in sorted(prov.assumptions)}
    return [f"S{n}" for n in sorted(s_nums)] + [f"A{n}" for n in sorted(a_nums)]


def table_html(t: Table, refs: Refs, ranges: bool) -> str:
    from chipcalc.output.render_html import table_html as render_table

    return render_table(t, refs, ranges, heading="h3")


def chart_html(chart: Any, refs: Refs, caption: str, charts: Any) -> str:
    """The figure element of a chart; its image stands here as a placeholder until :func:`_images` puts
    it in (``charts``, a :class:`chipcalc.output.plot.Drawings`, may be drawing it meanwhile)."""
    from chipcalc.output.render_html import note_anchor

    charts.append(chart)
    tags = _cite_prov(refs, chart.prov)
    basis = (" Basis: " + " ".join(f'<a class="ref" href="#{note_anchor(t)}">{t}</a>' for t in tags) + ".") if tags else ""
    return (f'<figure>\n<img alt="{_e(chart.title)}" src="data:image/png;base64,{_slot(len(charts) - 1)}">\n'
            f"<figcaption>{_e(caption)}{basis}</figcaption>\n</figure>")


def _slot(i: int) -> str:
    return f"\x00chart {i}\x00"  # a NUL never occurs in the escaped text of the page


def _images(page: str, charts: Any) -> str:
    """The page with each chart's PNG (base64) in its placeholder (:class:`chipcalc.output.plot.Drawings`:
    on a multi-core Linux machine each chart was drawn by a child process while the page was built)."""
    for i, data in enumerate(charts.pngs()):
        page = page.replace(_slot(i), base64.b64encode(data).decode("ascii"), 1)
    return page


def _plots(catalog: Any, systems: Sequence[Any], model: Any, precisions: Sequence[str], refs: Refs,
           charts: Any, base: int = 0) -> list[str]:
    from chipcalc.output import plot

    out = []
    if len(systems) >= 2:
        ref = base or 1  # the bars are relative to the first other system, or to --base when that is another
        rest = ", ".join(s.id for j, s in enumerate(systems) if j != ref)
        out.append(chart_html(plot.cluster_bars(systems[0], list(systems[1:]), base=ref), refs,
                              f"Per chip and whole system: {rest} relative to {systems[ref].id} (= 1). Hatched: depends on an "
                              "assumption; whiskers: the range where sources disagree.", charts))
    chips = list({s.chip.id: s.chip for s in systems}.values())
    points = []
    if model is not None:
        batch = int(catalog.assumption("default_batch").m(""))
        context = int(catalog.assumption("default_context").m(""))
        defaults = catalog.assumption("default_batch").prov | catalog.assumption("default_context").prov
        points = plot.workload_points(catalog, [c for c in chips if c.get(f"{precisions[0]}_dense") is not None],
                                      model, precisions[0], batch, context, basis=defaults)
    out.append(chart_html(plot.roofline(chips, precisions, points), refs,
                          "Roofline of the accelerators: attainable throughput vs arithmetic intensity; circles mark "
                          "the ridge points" + (f", markers {model.id}'s decode and prefill steps." if points else "."), charts))
    if model is not None:
        import numpy as np

        from chipcalc.core.errors import ChipcalcError

        curves, notes = [], []
        for s in systems:
            try:
                curve, n = plot.latency_curve(catalog, s, model, 2 ** np.arange(0, 9), context, precisions[0],
                                              basis=catalog.assumption("default_context").prov)
            except ChipcalcError as exc:  # e.g. a chip without this precision: no curve, and say so
                notes.append(f"{s.id}: {exc}")
                continue
            notes += n
            if len(curve.batch):
                curves.append(curve)
        if curves:
            chart = plot.latency_curves(curves, f"{model.name}: decode latency and throughput vs batch", notes=notes)
            out.append(chart_html(chart, refs, f"{model.name} decode at {context} tokens of context, from the latency "
                                               "model (every curve rests on assumed efficiencies: dashed).", charts))
    return out


def _supply_section(catalog: Any, systems: Sequence[Any], refs: Refs, ranges: bool,
                    charts: Any) -> tuple[list[Table], list[str]]:
    """For each chip of the systems that has a supply product: its default scenario's constraints (table
    and plot), as `chipcalc supply` and `chipcalc plot supply` show them."""
    from chipcalc.calc import supply as S
    from chipcalc.catalog.supply_whatif import supply_of, with_supply
    from chipcalc.core.errors import UsageError
    from chipcalc.output.plot.supply import supply_bars
    from chipcalc.output.supply_tables import constraints_table

    catalog = with_supply(catalog, supply_of(catalog))
    tables: list[Table] = []
    out: list[str] = []
    for chip in dict.fromkeys(s.chip.id for s in systems):
        for p in (p for p in catalog.supply.products.values() if p.chip == chip):
            try:
                f = S.funnel(catalog, S.select(catalog, p.id))
            except UsageError:  # no default scenario: nothing to show
                continue
            t = constraints_table(f)
            tables.append(t)
            out.append(table_html(t, refs, ranges))
            out.append(chart_html(supply_bars(f), refs, f"Supply of {p.name}, {f.scenario.year}: the packages each input "
                                  f"allows, the binding limit marked (chipcalc supply {p.id} --scenario {f.scenario.id}).", charts))
    return tables, out


def _command(systems: Sequence[Any], model: Any, precisions: Sequence[str], sets: Sequence[str], ranges: bool) -> str:
    words = ["chipcalc report", systems[0].id] + [f"--vs {s.id}" for s in systems[1:]]
    if model is not None:
        words.append(f"--model {model.id}")
    if list(precisions) != ["bf16"]:
        words += [f"-p {p}" for p in precisions]
    words += [f"--set {x}" for x in sets]
    if ranges:
        words.append("--ranges")
    return " ".join(words)


def build_report(catalog: Any, a: Any, b: Any = None, *, model: Any = None, precisions: Sequence[str] = ("bf16",),
                 ranges: bool = False, sets: Sequence[str] = (), base: int = 0, whatif: bool = True) -> str:
    """The whole page as a string: system ``a`` alone, or against ``b`` (one system or a list; each in its
    own column, ratios of the ``base``-th system of [a, *b] over each other). ``whatif=False`` says the
    catalog is exactly what its spec folders give (no --set, --prefer or other change), so the claims'
    verdicts may come from the on-disk cache; anything else recomputes them."""
    import datetime

    from chipcalc.core import __version__
    from chipcalc.output import report_sections as rs
    from chipcalc.output.cells import ASSUMED_MARK, RANGE_MARK, notes
    from chipcalc.output.cluster_tables import (
        crosscheck_table,
        per_chip_table,
        power_table,
        system_table,
    )
    from chipcalc.output.render_html import notes_list_html

    systems = [a] + (list(b) if isinstance(b, (list, tuple)) else [b] if b is not None else [])
    precisions = list(dict.fromkeys(p.lower() for p in precisions)) or ["bf16"]
    prec = precisions[0]
    title = " vs ".join(s.name for s in systems)
    refs = Refs()
    sections: dict[str, list[str]] = {k: [] for k, _ in SECTIONS}

    head = rs.headline_table(systems, prec, base)
    sentence = rs.headline_sentence(systems, prec, base)
    sections["summary"] = ([f'<p class="headline">{_e(sentence)}</p>'] if sentence else []) + [
        f'<div class="headline">{table_html(head, refs, ranges)}</div>']
    from chipcalc.output.plot import Drawings

    charts = Drawings()  # each chart drawn (in a child process where it can be) from when it is added
    sections["plots"] = _plots(catalog, systems, model, precisions, refs, charts, base)
    chip_t, sys_t = per_chip_table(systems, base=base), system_table(systems, base=base)
    sections["per-chip"] = [table_html(chip_t, refs, ranges)]
    system_tables = [sys_t] + [power_table(s) for s in systems] + [crosscheck_table(s) for s in systems if s.reported]
    sections["system"] = [table_html(t, refs, ranges) for t in system_tables]
    tables = [head, chip_t, *system_tables]
    if model is not None:
        served, why = rs.serving_tables(catalog, systems, model, prec)
        tables += served
        sections["serving"] = ([f'<p class="note">{_e(x)}</p>' for x in why]
                               + [table_html(t, refs, ranges) for t in served])
    claims = rs.claims_table(catalog, systems, whatif=whatif)
    if claims is not None:
        tables.append(claims)
        sections["claims"] = [table_html(claims, refs, ranges)]
    supply_tables, sections["supply"] = _supply_section(catalog, systems, refs, ranges, charts)
    tables += supply_tables
    items = notes(refs, catalog)
    asm = [n for n in items if n.kind == "assumption"]
    src = [n for n in items if n.kind == "source"]
    sections["assumptions"] = [notes_list_html(asm, catalog) if asm else
                               "<p>None: every figure on this page rests on sources.</p>"]
    sections["bibliography"] = [notes_list_html(src, catalog)]

    ranged = any(c.fig is not None and c.fig.has_range for t in tables for r in t.rows for c in r.cells)
    legend = [f"{ASSUMED_MARK} depends on at least one assumption (A#), not only on sources."]
    if ranged:
        legend.append(f"{RANGE_MARK} sources disagree or a range is stated" +
                      (": each figure shows nominal [low–high]." if ranges else "; `--ranges` shows nominal [low–high]."))
    legend.append("The basis column lists the sources (S#) and assumptions (A#) each row rests on; each links to "
                  "its entry below.")
    sections["summary"].append("".join(f'<p class="note">{_e(x)}</p>' for x in legend))
    if sets:
        sections["summary"].append('<p class="note">What-if: ' + _e("; ".join(sets)) +
                                   " (each shown as a user assumption).</p>")

    shown = [(k, name) for k, name in SECTIONS if sections[k]]
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
        f"(<code>{_e(_command(systems, model, precisions, sets, ranges))}</code>).</p>",
        "<nav>" + "".join(f'<a href="#{k}">{_e(name)}</a>' for k, name in shown) + "</nav>",
    ]
    for k, name in shown:
        parts.append(f'<h2 id="{k}">{_e(name)}</h2>')
        parts.extend(sections[k])
    parts += ["</body>", "</html>"]
    return _images("\n".join(parts) + "\n", charts)
