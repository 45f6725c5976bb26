"""`chipcalc sensitivity`: which uncertain inputs move a cluster metric most (a tornado table)."""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from chipcalc.cli import FormatOpt, ForceOpt, OutputOpt, PreferOpt, SetOpt, SpecsOpt, _catalog, app, emit, guarded


@app.command("sensitivity")
def sensitivity_cmd(
    name: str = typer.Argument(..., help="System id, e.g. cloudmatrix384."),
    vs: Optional[str] = typer.Option(None, "--vs", help="Second system: the metric is then the ratio this / that."),
    metric: str = typer.Option("pflops_per_kw", "--metric", help="A row key of `chipcalc cluster -f json` (e.g. pflops_per_kw, bf16_dense_total, power_per_chip)."),
    sets: Optional[List[str]] = SetOpt,
    prefer: Optional[str] = PreferOpt,
    specs: Optional[List[Path]] = SpecsOpt,
    fmt: Optional[str] = FormatOpt,
    output: Optional[Path] = OutputOpt,
    force: bool = ForceOpt,
) -> None:
    """Vary each uncertain input over its range (others nominal) and rank by how far the metric swings."""

    def body() -> None:
        from chipcalc import ranges as rg
        from chipcalc.table import Cell, Table, fmt_number

        cat = _catalog(specs, sets, prefer)
        a = cat.system(name)
        b = cat.system(vs) if vs else None
        bid = b.id if b else None
        nominal, unit = rg.cluster_metric(cat, a.id, bid, metric)
        inputs = rg.uncertain_inputs(cat, [a.id] + ([bid] if bid else []))
        swings = rg.sensitivity(cat, lambda c: rg.cluster_metric(c, a.id, bid, metric)[0], inputs, unit)
        what = f"{metric} of {a.id}" + (f" / {bid}" if bid else "")
        t = Table(f"Sensitivity of {what} (nominal {fmt_number(nominal.m('' if unit == 'x' else unit))} {unit})",
                  ["input range", "metric at low", "metric at high", "swing"], key="sensitivity")
        conv = "" if unit == "x" else unit
        moving = [sw for sw in swings if sw.swing(conv) > 0]
        for sw in moving:
            iu = f"{sw.input.q.units:~P}"
            _, lo, hi = sw.input.bounds(iu)
            swing = (sw.at_high - sw.at_low) if sw.at_high.m(conv) >= sw.at_low.m(conv) else (sw.at_low - sw.at_high)
            t.add(sw.name, sw.name, unit, [Cell(text=f"{fmt_number(lo)}–{fmt_number(hi)} {iu}"), sw.at_low, sw.at_high, swing])
        still = len(swings) - len(moving)
        t.notes.append(f"{len(swings)} uncertain inputs (figures with a range or disagreeing sources), each varied alone with the others "
                       f"at nominal; {still} of them do not move this metric and are not shown.")
        emit([t], fmt, output, force, cat)

    guarded(body)
