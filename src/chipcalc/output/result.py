"""What the library face returns: the tables a command prints, as a Python object.

``str()`` is the plain-text table the CLI prints; in Jupyter it shows as HTML; ``rows()`` gives plain
dicts (value, unit, low, high, status, sources, assumptions per cell); ``to_pandas()`` a DataFrame.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator

from chipcalc.core.errors import ChipcalcError, UsageError
from chipcalc.output.table import Table, bounds


class _NoTable(UsageError, KeyError):
    """No table of that key: a chipcalc error, and a KeyError so ``in``-style code works."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


@dataclass
class Result:
    """The tables of one question (``cc.cluster(...)``, ``cc.latency(...)``, ...) and the catalog they cite."""

    tables: list[Table]
    catalog: Any = field(repr=False, default=None)
    ranges: bool = False

    def __iter__(self) -> Iterator[Table]:
        return iter(self.tables)

    def __len__(self) -> int:
        return len(self.tables)

    def __getitem__(self, key: int | str) -> Table:
        """A table by position or by key (``result["cluster.system"]``)."""
        if isinstance(key, int) and not isinstance(key, bool):
            if not -len(self.tables) <= key < len(self.tables):
                raise UsageError(f"no table {key}: this result has {len(self.tables)} (0 to {len(self.tables) - 1})")
            return self.tables[key]
        for t in self.tables:
            if t.key == key:
                return t
        raise _NoTable(f"no table '{key}'; tables: {', '.join(t.key for t in self.tables)}")

    def render(self, fmt: str = "plain", fragment: bool = False) -> str | bytes:
        """The tables as the CLI prints them in ``fmt`` (plain, github, csv, json, html, latex, ...; xlsx
        gives bytes). ``fragment``: HTML as the bare tables rather than a whole page."""
        from chipcalc.output.render import ALL_FORMATS, render

        if fmt not in ALL_FORMATS:
            raise UsageError(f"unknown format {fmt!r}; use one of {', '.join(ALL_FORMATS)}")
        return render(self.tables, fmt, self.catalog, ranges=self.ranges, fragment=fragment)

    def __str__(self) -> str:
        return str(self.render("plain"))

    def __repr__(self) -> str:
        keys = ", ".join(t.key or t.title for t in self.tables)
        text = f"<Result: {len(self.tables)} tables ({keys})>"
        return text if len(text) < 200 else text[:197] + "…>"

    def _repr_html_(self) -> str:
        return str(self.render("html", fragment=True))

    def rows(self) -> list[dict[str, Any]]:
        """One plain dict per cell: table, row, figure, column, value, unit, low, high, status, sources,
        assumptions (text cells carry ``text`` instead of numbers)."""
        out = []
        for t in self.tables:
            for r in t.rows:
                for col, c in zip(t.columns, r.cells):
                    base = {"table": t.key, "row": r.key, "figure": r.label, "column": col}
                    if c.fig is None:
                        out.append({**base, "text": c.text, "value": None, "unit": "", "low": None, "high": None,
                                    "status": "", "sources": (), "assumptions": ()})
                        continue
                    unit = c.unit if c.unit is not None else r.unit
                    n, lo, hi = bounds(c.fig, unit)
                    out.append({**base, "text": "", "value": n, "unit": "" if unit == "x" else unit, "low": lo,
                                "high": hi, "status": c.fig.status, "sources": c.fig.sources,
                                "assumptions": c.fig.assumptions})
        return out

    def to_pandas(self) -> Any:
        """The :meth:`rows` as a pandas DataFrame (``pip install 'chipcalc[pandas]'``)."""
        try:
            import pandas as pd
        except ImportError:
            raise ChipcalcError("to_pandas() needs pandas: pip install 'chipcalc[pandas]'") from None
        return pd.DataFrame(self.rows())
