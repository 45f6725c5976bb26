"""The chart object, the matplotlib import, and the conventions every plot shares."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from chipcalc.core.errors import EXIT_USAGE, ChipcalcError, OutputError
from chipcalc.core.figure import Figure, Provenance

MISSING_MATPLOTLIB = "plots need matplotlib: pip install 'chipcalc[plot]'"

#: Output suffix -> matplotlib format.
FORMATS = {".png": "png", ".svg": "svg"}

#: Series colours, in order of the chips or systems given (matplotlib's default cycle).
COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")
#: Line widths and markers per precision when a roofline shows more than one (the first plain, the
#: others marked along the line, so two precisions with the same roof are both visible).
PRECISION_WIDTHS = (2.2, 1.5, 1.1, 0.9)
PRECISION_MARKERS = (None, "x", "+", "1")
ASSUMED_LINE = (0, (5, 3))  # dashed
POINT_MARKERS = ("D", "s", "^", "v", "P", "X")
ASSUMED_HATCH = "///"
DPI = 110


class MissingDependency(ChipcalcError):
    """An optional dependency (the ``plot`` extra) is not installed."""

    exit_code = EXIT_USAGE


def require_matplotlib() -> Any:
    """Import matplotlib (once per process) or raise a one-line error saying how to install it."""
    try:
        import matplotlib
        import matplotlib.figure  # noqa: F401
    except ImportError:
        raise MissingDependency(MISSING_MATPLOTLIB) from None
    return matplotlib


def plot_format(path: Path | str) -> str:
    """``png`` or ``svg`` from the output's suffix; anything else is a one-line error."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        shown = suffix or "no suffix"
        raise OutputError(f"cannot write a plot as '{shown}' ({path}); name the output .png or .svg")
    return FORMATS[suffix]


# -- the chart object ------------------------------------------------------------------------

@dataclass
class Chart:
    """A finished plot: the matplotlib figure and what it rests on."""

    figure: Any
    title: str
    prov: Provenance = field(default_factory=Provenance)
    notes: list[str] = field(default_factory=list)

    @property
    def sources(self) -> list[str]:
        return sorted({s.id for s in self.prov.sources})

    @property
    def assumptions(self) -> list[str]:
        return sorted({a.name for a in self.prov.assumptions})

    def to_bytes(self, fmt: str = "png", dpi: int = DPI) -> bytes:
        import io

        buf = io.BytesIO()
        # No date/software metadata: the same catalog gives the same bytes.
        metadata = {"Software": None} if fmt == "png" else {"Date": None}
        self.figure.savefig(buf, format=fmt, dpi=dpi, metadata=metadata)
        return buf.getvalue()

    def save(self, path: Path | str, force: bool = False) -> str:
        """Write PNG or SVG (by suffix) atomically; never overwrite without ``force``. Returns the format.

        A device or FIFO is written in place and a symlink's target replaced (:mod:`chipcalc.output.files`)."""
        from chipcalc.output.files import plan, write_output

        fmt = plot_format(path)
        plan(path, force)  # fail before drawing
        write_output(path, self.to_bytes(fmt), force=force)
        return fmt

    def _repr_png_(self) -> bytes:  # shown inline in Jupyter
        return self.to_bytes("png")


def _new_figure(width: float, height: float) -> Any:
    require_matplotlib()
    from matplotlib.figure import Figure as MplFigure

    fig = MplFigure(figsize=(width, height), dpi=DPI, layout="constrained")
    return fig


def _footnote_lines(prov: Provenance, notes: Sequence[str], marks: str, width: int) -> list[str]:
    srcs = sorted({s.id for s in prov.sources})
    asms = sorted({a.name for a in prov.assumptions})
    text = [f"Sources: {', '.join(srcs) if srcs else 'none'}."]
    if asms:
        text.append(f"Assumptions ({marks}): {', '.join(asms)}.")
    else:
        text.append("No assumptions: every figure shown rests on sources.")
    text.extend(notes)
    text.append("Full citations: chipcalc list, chipcalc chip ID, or the HTML report.")
    lines: list[str] = []
    for t in text:
        lines.extend(textwrap.wrap(t, width=width, break_on_hyphens=False) or [""])
    return lines


def _finish(fig: Any, title: str, prov: Provenance, notes: Sequence[str], marks: str,
            legend: Sequence[Any] = ()) -> Chart:
    """Add the title, an optional figure-wide legend and the footnote of sources.

    The header (title, legend) and the footnote get room of their own, outside the rectangle the
    layout engine arranges the axes in, so they never overlap the axes or each other."""
    width_in, height_in = fig.get_size_inches()
    fontsize = 7
    chars = int(width_in * 72 / (fontsize * 0.62))  # average glyph ~0.6 em, with a margin
    lines = _footnote_lines(prov, notes, marks, chars)
    line_h = fontsize * 1.35 / 72  # inches
    foot_h = (len(lines) + 0.8) * line_h
    title_h = 11 * 1.9 / 72
    legend_h = 8 * 2.6 / 72 if legend else 0.0
    head_h = title_h + legend_h
    total_h = height_in + foot_h + head_h
    fig.set_size_inches(width_in, total_h)
    bottom, top = foot_h / total_h, 1 - head_h / total_h
    fig.get_layout_engine().set(rect=(0, bottom, 1, top - bottom))
    fig.text(0.01, bottom - 0.4 * line_h / total_h, "\n".join(lines), fontsize=fontsize,
             ha="left", va="top", color="#444444", linespacing=1.25)
    fig.text(0.5, 1 - 0.25 * title_h / total_h, title, fontsize=11, ha="center", va="top")
    if legend:
        fig.legend(handles=list(legend), loc="upper center", bbox_to_anchor=(0.5, 1 - title_h / total_h),
                   ncol=len(legend), fontsize=8, frameon=False)
    return Chart(fig, title, prov, list(notes))


def _band(ax: Any, x: Any, lo: Any, hi: Any, color: str) -> None:
    import numpy as np

    if np.any(np.asarray(lo) != np.asarray(hi)):
        ax.fill_between(x, lo, hi, color=color, alpha=0.2, linewidth=0)


def _alt_sources(f: Figure) -> Provenance:
    """The sources of a figure's alternatives (they set its drawn range); their assumptions are
    left out so that a sourced figure with an assumed alternative is not drawn as assumed."""
    return Provenance(sources=frozenset(s for alt in f.alternatives for s in alt.prov.sources))
