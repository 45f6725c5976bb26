"""The supply model backwards: what a target volume needs, next to what the sources say is available.

For a target of T good packages in the scenario's period:

    packages to assemble  = T / packaging yield
    logic dies needed     = packages to assemble x dies per package
    dies from new wafers  = max(0, logic dies needed - dies from the die bank)
    wafer starts / month  = dies from new wafers / (gross dies per wafer x die yield) / months   (at the stated yield)
    die yield needed      = dies from new wafers / (wafers for the product x gross dies per wafer) (at the stated wafers)
    HBM stacks needed     = packages to assemble x stacks per package
    packaging per month   = packages to assemble / months

Each need is a Figure with the provenance of what it rests on and of the target. Feeding a need back
(e.g. ``--set <scenario>.wafers_per_month=<needed>`` with a share of 100 %) gives the target again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chipcalc.calc.fleet import _COUNT, _SCALE  # one way to write a count of chips or packages
from chipcalc.calc.supply import Funnel, lift
from chipcalc.core.errors import UsageError
from chipcalc.core.figure import Figure, Provenance

#: --per words and their length in months
PERIODS = {"year": 12.0, "yr": 12.0, "quarter": 3.0, "month": 1.0, "mo": 1.0}


@dataclass(frozen=True)
class Need:
    key: str
    label: str
    unit: str
    needed: Figure | None
    available: Figure | None
    note: str = ""

    @property
    def ratio(self) -> Figure | None:
        """needed / available, when both exist; at the nominal available amount only when its range
        reaches zero (the upper end would be unbounded)."""
        if self.needed is None or self.available is None or not float(self.available.q.magnitude) > 0:
            return None
        have = self.available if float(self.available.lo.magnitude) > 0 else nominal(self.available)
        return (self.needed / have).to("")


def nominal(f: Figure) -> Figure:
    """The figure at its nominal value, without its range (same provenance)."""
    return Figure(f.q, f.prov, label=f.label, note=f.note)


def per_months(text: str) -> float:
    """``--per year|quarter|month`` or a duration such as ``6 month``: its length in months."""
    t = text.strip().lower()
    if t in PERIODS:
        return PERIODS[t]
    from chipcalc.core.errors import UnitError
    from chipcalc.core.units import check_dimension, parse

    try:
        q = parse(t)
    except UnitError as exc:
        raise UsageError(f"--per '{text}': {exc}; write year, quarter, month or a duration like '6 month'") from None
    if not check_dimension(q, "time"):
        raise UsageError(f"--per '{text}' is not a period; write year, quarter, month or a duration like '6 month'")
    months = float(q.m_as("month"))
    if not months > 0:
        raise UsageError(f"--per '{text}' must be a positive period (a period of zero makes nothing)")
    return months


def target_figure(text: str, per: str, months: float) -> Figure:
    """A target volume (``700000``, ``700k``, ``1.5M``) per ``per``, scaled to a period of ``months``."""
    from chipcalc.core.units import Q

    m = _COUNT.match(str(text).strip())
    if m is None:
        raise UsageError(f"--target '{text}' is not a number of packages (write e.g. 700000, 700k or 1.5M)")
    n = float(m.group(1).replace(",", "").replace("_", "")) * _SCALE[m.group(2)]
    if not n > 0 or n != round(n):
        raise UsageError(f"--target must be a positive whole number of packages, got '{text}'")
    per_m = per_months(per)
    scaled = n * months / per_m
    why = f"{n:,.0f} packages per {per}, a target given on the command line" + (
        f" ({scaled:,.0f} in the scenario's {months:g} months)" if per_m != months else "")
    return Figure(Q(scaled, "package"), Provenance.assume("supply target", why), label="target")


def _short_of(needed: Any, have: Any) -> Any:
    """max(0, needed - have)."""
    import numpy as np

    return np.maximum(np.asarray(needed, dtype=float) - have, 0.0)


def needs(f: Funnel, target: Figure) -> list[Need]:
    """What ``target`` packages in the funnel's period need, next to what is available."""
    from chipcalc.core.units import Q

    p = f.parts
    months = Q(f.months, "month")
    py, dpp = p["packaging_yield"], p["dies_per_package"]
    dpw = p.get("dies_per_wafer", p["dies_per_wafer_estimate"])
    assembled = (target / py).relabel("assembled")
    dies = assembled * dpp
    out = [Need("assembled", "packages to assemble (target / packaging yield)", "package", assembled,
                p["packaging_capacity"] * months if "packaging_capacity" in p else None,
                "available: packaging capacity x months" if "packaging_capacity" in p else "no source gives a packaging capacity"),
           Need("dies", "logic dies needed", "die", dies, p.get("dies"), "available: new wafers x yield + die bank")]
    bank = p.get("bank_dies")
    from_wafers = dies if bank is None else lift(_short_of, "die", [(dies, "die", 1), (bank, "die", -1)])
    covered = bank is not None and float(from_wafers.q.m_as("die")) == 0
    out.append(Need("wafer_dies", "dies needed from new wafers (after the die bank)", "die", from_wafers, p.get("wafer_dies"),
                    "the die bank alone covers the target at the nominal values" if covered else ""))
    y = p.get("die_yield")
    wafers_needed = None if y is None else (from_wafers / (dpw * y) / months).to("wafer/month")
    have = p.get("wafers_per_month")
    if have is not None and "wafer_share" in p:
        have = have * p["wafer_share"]
    out.append(Need("wafers_per_month", "wafer starts per month needed at the stated yield", "wafer/month", wafers_needed, have,
                    "no yield given" if y is None else "available: wafer starts x share for this product"))
    wafers = p.get("wafers")
    yield_needed = None
    note = "no wafer starts given for this product"
    if wafers is not None and float(wafers.q.m_as("wafer")) > 0:
        at = wafers if float(wafers.lo.m_as("wafer")) > 0 else nominal(wafers)
        yield_needed = (from_wafers / (at * dpw)).to("")
        note = "at the nominal wafers (their range reaches zero)" if at is not wafers else ""
        if float(yield_needed.q) > 1:
            note = "above 100 %: the stated wafers cannot make the target at any yield"
    elif wafers is not None:
        note = "no wafers for this product at the nominal values: no yield makes the target from them"
    out.append(Need("die_yield", "die yield needed at the stated wafers", "%", yield_needed, y, note))
    spp = p.get("hbm_stacks")
    hbm = None if spp is None else assembled * spp
    out.append(Need("hbm", "HBM stacks needed", "stack", hbm, p.get("hbm"),
                    "" if spp is not None else "the product has no HBM stacks per package"))
    if hbm is not None and "hbm_share" in p and "hbm_output" not in p:
        out.append(Need("hbm_share", "share of the HBM stock needed", "%", (hbm / p["hbm_stock"]).to(""), p["hbm_share"],
                        "available: the share this scenario assumes"))
    if "packaging_capacity" in p:
        out.append(Need("packaging_capacity", "packaging capacity per month needed", "package/month",
                        (assembled / months).to("package/month"), p["packaging_capacity"]))
    return out


def shortfalls(items: list[Need]) -> list[Need]:
    """The needs that exceed what is available at the nominal values."""
    return [n for n in items if n.ratio is not None and float(n.ratio.q) > 1 and n.key != "dies"]
