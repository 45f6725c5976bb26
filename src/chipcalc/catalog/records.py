"""Typed records of the catalog. Plain frozen dataclasses; figures are :class:`Figure`."""

from __future__ import annotations

from dataclasses import dataclass, field

from chipcalc.core.errors import UsageError
from chipcalc.core.figure import Figure


@dataclass(frozen=True)
class Source:
    id: str
    title: str
    publisher: str
    where: str  # URL or document
    date: str
    kind: str
    note: str = ""
    file: str = ""

    def __repr__(self) -> str:
        return _short(f"<Source {self.id}: {self.title} ({self.publisher}, {self.date}, {self.kind})>")

    def cite(self) -> str:
        return f"{self.title}. {self.publisher}, {self.date}. {self.where} [{self.kind}]"


@dataclass(frozen=True)
class Status:
    """Where a chip or system stands (announced | sampling | shipping), the date that refers to, and
    the source that says so (a bibliography id, optional) with its words."""

    status: str
    date: str
    source: str | None = None
    detail: str = ""


@dataclass(frozen=True)
class MarketedCount:
    """A vendor's headline count of a system (``NVL144``) and what it counts (dies or packages)."""

    figure: Figure
    counts: str


@dataclass(frozen=True)
class Chip:
    id: str
    name: str
    vendor: str
    figures: dict[str, Figure]
    file: str = ""
    year: int | None = None
    notes: str = ""
    status: Status | None = None

    def get(self, name: str) -> Figure | None:
        return self.figures.get(name)

    def __getitem__(self, name: str) -> Figure:
        """``chip["bf16_dense"]``: the figure, or a KeyError that names the figures there are."""
        return _item(self, name)

    def __repr__(self) -> str:
        return _short(f"<Chip {self.id}: {self.name}, {len(self.figures)} figures ({self.file})>")


#: Per-chip figures that a system's own tiers define.
_TIER_OF = {"scaleup_bandwidth": "scale-up", "scaleout_bandwidth": "scale-out"}


@dataclass(frozen=True)
class Tier:
    name: str
    kind: str  # scale-up | scale-out
    size: Figure | None  # chips in one domain (optional for scale-out)
    bandwidth: Figure  # per chip, per direction
    latency: Figure | None = None


@dataclass(frozen=True)
class Part:
    name: str
    count: Figure
    power: Figure | None = None  # per unit
    memory: Figure | None = None  # per unit: a host CPU's DRAM
    memory_bandwidth: Figure | None = None  # per unit
    link_bandwidth: Figure | None = None  # per unit, per direction: its link to the accelerators attached to it


@dataclass(frozen=True)
class System:
    id: str
    name: str
    vendor: str
    chip: Chip
    chips: Figure
    tiers: tuple[Tier, ...] = ()
    parts: tuple[Part, ...] = ()
    power: Figure | None = None
    reported: dict[str, Figure] = field(default_factory=dict)
    file: str = ""
    notes: str = ""
    status: Status | None = None
    marketed: MarketedCount | None = None
    layout: dict[str, Figure] = field(default_factory=dict)  # cabinets, nodes, chips_per_node, ...

    def tier(self, kind: str) -> Tier | None:
        for t in self.tiers:
            if t.kind == kind:
                return t
        return None

    def __repr__(self) -> str:
        return _short(f"<System {self.id}: {self.name}, {self.chips.q.m:g} x {self.chip.id}, "
                      f"{len(self.tiers)} tiers ({self.file})>")

    def per_chip(self, name: str) -> Figure | None:
        """A per-chip figure as this system has it: link bandwidths come from the system's tiers (a
        system's NICs and fabric are its own), everything else from the chip."""
        from chipcalc.catalog import schema

        if schema.chip_field(name) is None and name not in self.chip.figures:
            import difflib

            known = [*schema.CHIP_FIGURES, *(schema.compute_name(p) for p in schema.PRECISIONS), *self.chip.figures]
            close = difflib.get_close_matches(name.lower(), sorted(set(known)), n=3, cutoff=0.5)
            hint = f"; did you mean {' or '.join(close)}?" if close else ""
            raise UnknownFigure(f"{name!r} is not a chip figure{hint}")
        kind = _TIER_OF.get(name)
        if kind is not None:
            tier = self.tier(kind)
            if tier is not None:
                return tier.bandwidth
        return self.chip.get(name)

    def dies_total(self) -> Figure | None:
        """chips (packages) x the chip's dies; None when the chip has no dies figure."""
        dies = self.chip.get("dies")
        if dies is None:
            return None
        return (self.chips * dies).relabel(f"{self.id}.dies_total", f"{self.chips.q.m:g} x {self.chip.id}.dies")

    def total(self, name: str) -> Figure | None:
        """chips x the per-chip figure (an additive or a compute figure); None when the chip lacks it (a name
        that is no chip figure at all is an UnknownFigure: a typo must not read as 'absent')."""
        fig = self.per_chip(name)
        if fig is None:
            return None
        return (fig * self.chips).relabel(f"{self.id}.{name}_total", f"{self.chips.q.m:g} x {self.chip.id}.{name}")


@dataclass(frozen=True)
class Model:
    id: str
    name: str
    vendor: str
    architecture: str  # dense | moe
    attention: str  # mha | gqa | mla
    figures: dict[str, Figure]
    file: str = ""
    notes: str = ""

    def get(self, name: str) -> Figure | None:
        return self.figures.get(name)

    def __getitem__(self, name: str) -> Figure:
        return _item(self, name)

    def __repr__(self) -> str:
        return _short(f"<Model {self.id}: {self.name}, {self.architecture}, {self.attention} ({self.file})>")


class UnknownFigure(UsageError, KeyError):
    """A figure name that a record does not have (a KeyError, so ``in``-style code works)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def _item(record: Chip | Model, name: str) -> Figure:
    fig = record.figures.get(name)
    if fig is None:
        import difflib

        close = difflib.get_close_matches(name, list(record.figures), n=3, cutoff=0.5)
        hint = f"did you mean {' or '.join(close)}?" if close else f"it has {', '.join(sorted(record.figures))}"
        raise UnknownFigure(f"{record.id} has no figure '{name}'; {hint}")
    return fig


def _short(text: str, n: int = 199) -> str:
    return text if len(text) <= n else text[: n - 2] + "…>"
