"""Plots: roofline, per-chip vs whole-system bars, latency vs batch.

Every plot is built from catalog figures (no numbers live here) and returned as a :class:`Chart`:
a matplotlib figure plus the provenance of everything drawn on it. Conventions on every plot:

* units on every axis;
* a series or bar that depends on an assumption is dashed (lines) or hatched (bars), and its
  legend entry says "assumed";
* where sources disagree, the low-high range is a shaded band (lines) or whiskers (bars);
* a footnote on the figure lists the source ids and assumption names it rests on
  (``chipcalc list`` / ``chipcalc chip ID`` give the full citations).

matplotlib is imported inside the functions, never at module level, and pyplot is not used at all:
figures are :class:`matplotlib.figure.Figure` objects rendered by their own canvas, so plotting is
headless-safe (no display, no backend selection, no global figure registry).
"""

from chipcalc.output.plot.bars import cluster_bars
from chipcalc.output.plot.base import (
           FORMATS,
           MISSING_MATPLOTLIB,
           Chart,
           Drawings,
           MissingDependency,
           plot_format,
           png_many,
           require_matplotlib,
)
from chipcalc.output.plot.curves import Curve, latency_curve, latency_curves
from chipcalc.output.plot.pareto import pareto_fronts
from chipcalc.output.plot.roofline import WorkPoint, roofline, workload_points

__all__ = ["FORMATS", "MISSING_MATPLOTLIB", "Chart", "Curve", "Drawings", "MissingDependency", "WorkPoint", "cluster_bars",
           "latency_curve", "latency_curves", "pareto_fronts", "plot_format", "png_many", "require_matplotlib", "roofline", "workload_points"]
