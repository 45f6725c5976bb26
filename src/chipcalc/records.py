"""Typed records of the catalog. Plain frozen dataclasses; figures are :class:`Figure`."""

from __future__ import annotations

from dataclasses import dataclass, field

from chipcalc.figure import Figure


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

    def cite(self) -> str:
        return f"{self.title}. {self.publisher}, {self.date}. {self.where} [{self.kind}]"


@dataclass(frozen=True)
class Chip:
    id: str
    name: str
    vendor: str
    figures: dict[str, Figure]
    file: str = ""
    year: int | None = None
    notes: str = ""

    def get(self, name: str) -> Figure | None:
        return self.figures.get(name)


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

    def tier(self, kind: str) -> Tier | None:
        for t in self.tiers:
            if t.kind == kind:
                return t
        return None


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
