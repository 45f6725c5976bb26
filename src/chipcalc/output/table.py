"""One table model for every command: rows, columns, a unit per row, figures in cells.

Cells hold :class:`Figure` objects (or plain text); renderers turn them into text, CSV or JSON and
number the sources (S1, S2, ...) and assumptions (A1, A2, ...) they rest on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from chipcalc.core.figure import Assumption, Figure


_COUNT_TEXT = re.compile(r"^(?:\d{1,3}(?:,\d{3})+|\d+)$")


def count_of(text: str) -> int | None:
    """The whole number a text cell shows when it is only that ('4,096', '8'): machine formats then carry the
    number, not the text (a JSON reader got {"text": "4,096"} for a context). None for anything else."""
    return int(text.replace(",", "")) if isinstance(text, str) and _COUNT_TEXT.match(text) else None


@dataclass
class Cell:
    fig: Figure | None = None
    text: str = ""
    unit: str | None = None  # overrides the row's unit (ratio cells are dimensionless: "x")
    blank: bool = False  # intentionally empty (not a missing figure, which shows as n/a)
    full: str = ""  # the whole text where ``text`` is cut short for a listing: machine formats carry this one

    @property
    def empty(self) -> bool:
        return self.fig is None and not self.text


@dataclass
class Row:
    key: str
    label: str
    unit: str  # display unit of every figure in the row ("" for counts, "x" for ratios)
    cells: list[Cell]
    detail: str = ""  # extra text shown in the basis column (e.g. a quote)


@dataclass
class Table:
    title: str
    columns: list[str]
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    key: str = ""
    #: machine-readable extras for JSON output only (e.g. ``model_error``: the numbers behind a note)
    data: dict[str, Any] = field(default_factory=dict)

    def add(self, key: str, label: str, unit: str, figs: list[Any], detail: str = "") -> None:
        cells = []
        for f in figs:
            if isinstance(f, Cell):
                cells.append(f)
            elif isinstance(f, Figure):
                cells.append(Cell(fig=f))
            elif f is None:
                cells.append(Cell())
            else:
                cells.append(Cell(text=str(f)))
        self.rows.append(Row(key, label, unit, cells, detail))

    def row(self, key: str) -> Row:
        """The row with this key (KeyError naming the keys there are)."""
        for r in self.rows:
            if r.key == key:
                return r
        raise KeyError(f"table {self.key or self.title!r} has no row '{key}'; rows: {', '.join(r.key for r in self.rows)}")

    def __repr__(self) -> str:
        text = f"<Table {self.key or self.title}: {len(self.rows)} rows x {len(self.columns)} columns>"
        return text if len(text) < 200 else text[:197] + "…>"


@dataclass
class Refs:
    """Numbers sources and assumptions in order of first use across a report."""

    sources: dict[str, int] = field(default_factory=dict)
    assumptions: dict[Assumption, int] = field(default_factory=dict)
    details: dict[str, list[str]] = field(default_factory=dict)

    def cite(self, fig: Figure) -> list[str]:
        out = []
        for s in sorted(fig.prov.sources):
            n = self.sources.setdefault(s.id, len(self.sources) + 1)
            out.append(f"S{n}")
            if s.detail:
                self.details.setdefault(s.id, [])
                if s.detail not in self.details[s.id]:
                    self.details[s.id].append(s.detail)
        for a in sorted(fig.prov.assumptions):
            n = self.assumptions.setdefault(a, len(self.assumptions) + 1)
            out.append(f"A{n}")
        return list(dict.fromkeys(out))


def ratio_cell(fig: Figure | None) -> Cell:
    return Cell(fig=fig, unit="x") if fig is not None else Cell()


def conv_unit(unit: str) -> str:
    """The pint unit for a display unit ("x" means a plain ratio)."""
    return "" if unit == "x" else unit


def value(fig: Figure, unit: str) -> float:
    from chipcalc.core.units import m_as

    return float(m_as(fig.q, conv_unit(unit)))


def bounds(fig: Figure, unit: str) -> tuple[float, float, float]:
    n, lo, hi = fig.bounds(conv_unit(unit))
    return float(n), float(lo), float(hi)
