"""`chipcalc supply` (how many packages can be made, and which input decides it) and `chipcalc plot supply`.

Parsing and printing only; the arithmetic is in :mod:`chipcalc.calc.supply`, the tables in
:mod:`chipcalc.output.supply_tables`, the plot in :mod:`chipcalc.output.plot.supply`.
"""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from chipcalc.cli.types import SAMPLES
from chipcalc.cli.root import (
    ForceOpt,
    FormatOpt,
    FragmentOpt,
    OutputOpt,
    PreferOpt,
    RangesOpt,
    SetOpt,
    SpecsOpt,
    _catalog,
    app,
    emit,
    guarded,
)

YearOpt = typer.Option(None, "--year", help="The product's scenario for this year (e.g. 2025).", show_default=False)
ScenarioOpt = typer.Option(None, "--scenario", help="A scenario id (see `chipcalc supply`), e.g. ascend-910c-2025.", show_default=False)


def supply_catalog(specs: Optional[List[Path]], sets: Optional[List[str]], prefer: Optional[str]):
    """The catalog with supply records; --set applies to supply inputs and catalog figures alike."""
    return _catalog(specs, sets, prefer, claims=True)


@app.command("supply")
def supply_cmd(
    product: Optional[str] = typer.Argument(None, help="A product (ascend-910c, ascend-910b, h20) or a scenario id; none lists them.", metavar="[PRODUCT]"),
    year: Optional[int] = YearOpt,
    scenario: Optional[str] = ScenarioOpt,
    target: Optional[str] = typer.Option(None, "--target", help="Inverse mode: what this many packages need (700000, 700k, 1.5M).", show_default=False),
    per: Optional[str] = typer.Option(None, "--per", help="The period of --target: year (default), quarter, month or a duration like '6 month'.", show_default=False),
    sets: Optional[List[str]] = SetOpt,
    prefer: Optional[str] = PreferOpt,
    specs: Optional[List[Path]] = SpecsOpt,
    fmt: Optional[str] = FormatOpt,
    fragment: bool = FragmentOpt,
    output: Optional[Path] = OutputOpt,
    force: bool = ForceOpt,
    ranges: bool = RangesOpt,
    method: str = typer.Option("interval", "--method", help="How ranges propagate: interval (worst-case bounds) or montecarlo (percentiles)."),
    samples: Optional[int] = typer.Option(None, "--samples", click_type=SAMPLES, help="Monte Carlo samples, at least 100 (100k = 100,000; default 100k).", show_default=False),
    seed: Optional[int] = typer.Option(None, "--seed", help="Monte Carlo seed (same seed, same answer; default 0).", show_default=False),
) -> None:
    """How many packages can be made in a period: wafers -> gross dies -> good dies -> packages, the die
    bank and the HBM stock, each limit side by side and the binding constraint named.

    With --target N, what N packages (per --per) need: wafer starts per month at the stated yield, the
    yield at the stated wafers, HBM stacks, next to what the sources say is available.
    """

    def body() -> None:
        nonlocal samples, seed
        from dataclasses import replace

        from chipcalc.calc import supply as S
        from chipcalc.core.errors import UsageError
        from chipcalc.output import supply_tables as T

        if method not in ("interval", "montecarlo"):
            raise UsageError(f"--method must be 'interval' or 'montecarlo', not '{method}'")
        if method != "montecarlo" and (samples is not None or seed is not None):
            given = " and ".join(o for o, v in (("--samples", samples), ("--seed", seed)) if v is not None)
            raise UsageError(f"{given} {'apply' if ' and ' in given else 'applies'} to --method montecarlo; add it, or drop {given}")
        samples = 100_000 if samples is None else samples
        seed = 0 if seed is None else seed
        if per is not None and target is None:
            raise UsageError("--per is the period of --target: add --target N, or drop --per")
        cat = supply_catalog(specs, sets, prefer)
        if product is None:
            if year is not None or scenario is not None or target is not None:
                raise UsageError("name a product, e.g. `chipcalc supply ascend-910c --year 2025`")
            emit([T.scenarios_table(cat.supply)], fmt, output, force, cat, fragment=fragment)
            return
        s = S.select(cat, product, year, scenario)
        f = S.funnel(cat, s)
        ranges_on = ranges
        if target is not None:
            from chipcalc.calc.supply_inverse import needs, target_figure

            goal = target_figure(target, per or "year", f.months)
            tables = [T.needs_table(f, goal, needs(f, goal)), T.constraints_table(f)]
        elif method == "montecarlo":
            from chipcalc.calc.supply_ranges import montecarlo

            f, shares, n = montecarlo(cat, s, samples, seed)
            tables = [T.funnel_table(f), T.constraints_table(f, shares)]
            cat = replace(cat, notes=[*cat.notes, f"Ranges: Monte Carlo, {samples:,} samples, seed {seed}; each of {n} uncertain "
                                                  "inputs uniform on its [low, high], independent; shown as [p5–p95]."])
            ranges_on = True
        else:
            tables = [T.funnel_table(f), T.constraints_table(f)]
        emit(tables, fmt, output, force, cat, ranges=ranges_on, fragment=fragment)

    guarded(body)


def register_plot(plot_app: typer.Typer, check_plot, wrote, output_opt) -> None:
    """Add `chipcalc plot supply` to the plot group (called by :mod:`chipcalc.cli.plot`, which passes its
    own output checks, so this module does not import it)."""

    @plot_app.command("supply")
    def plot_supply_cmd(
        product: str = typer.Argument(..., help="A product (e.g. ascend-910c) or a scenario id."),
        year: Optional[int] = YearOpt,
        scenario: Optional[str] = ScenarioOpt,
        output: Path = output_opt,
        force: bool = ForceOpt,
        sets: Optional[List[str]] = SetOpt,
        prefer: Optional[str] = PreferOpt,
        specs: Optional[List[Path]] = SpecsOpt,
    ) -> None:
        """The constraints side by side: packages each input allows (wafers, die bank, HBM, packaging), the
        binding one marked, ranges as whiskers."""

        def body() -> None:
            from chipcalc.calc import supply as S
            from chipcalc.output.plot.supply import supply_bars

            target = check_plot(output, force)
            cat = supply_catalog(specs, sets, prefer)
            f = S.funnel(cat, S.select(cat, product, year, scenario))
            fmt = supply_bars(f).save(output, force=force)
            wrote(target, fmt, f"supply constraints of {f.scenario.id}")

        guarded(body)
