"""Supply inputs (``specs/supply/*.toml``): what a chip is made of and what is available to make it.

Three kinds of file, one record each, the file name being the id:

* ``kind = "product"``: one packaged chip (``chip`` = its catalog id): die area, wafer diameter, edge
  exclusion, a published gross dies-per-wafer figure where one exists, dies and HBM stacks per package;
* ``kind = "scenario"``: one product in one period (``year``, ``period``): wafer starts per month and the
  share of them for this product, die yield (published, or a defect density with a named yield model),
  packaging yield, the die bank and the HBM stock (with the share drawn in the period), HBM output and
  packaging capacity per month where a source gives them;
* ``kind = "methods"``: the citation of each formula the calculation uses (dies per wafer, yield models).

Every figure is a :class:`Figure` with a unit (``wafer``, ``die``, ``stack``, ``package`` are dimensions of
their own), a source or an assumption, and alternatives where sources disagree. Problems are reported with
file and field, like every other spec file. The arithmetic is in :mod:`chipcalc.calc.supply`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from chipcalc.core.errors import Problem, UnitError
from chipcalc.core.figure import Figure, Provenance
from chipcalc.core.units import parse, registry


@dataclass(frozen=True)
class Spec:
    """One supply figure: its dimension (pint), the unit it is kept in, what it is, an example."""

    dim: str
    unit: str
    what: str
    example: str
    zero: bool = False  # zero is allowed (a share, a stock, wafers not allocated)
    fraction: bool = False  # at most 1 (100 %)


PRODUCT_FIGURES: dict[str, Spec] = {
    "die_area": Spec("[length] ** 2", "mm^2", "die area", "665.61 mm^2"),
    "wafer_diameter": Spec("[length]", "mm", "wafer diameter", "300 mm"),
    "edge_exclusion": Spec("[length]", "mm", "edge exclusion (each side)", "3 mm", zero=True),
    "dies_per_wafer": Spec("[die] / [wafer]", "die/wafer", "published gross dies per wafer", "78 die/wafer"),
    "dies_per_package": Spec("[die] / [package]", "die/package", "compute dies per package", "2 die/package"),
    "hbm_stacks": Spec("[stack] / [package]", "stack/package", "HBM stacks per package", "8 stack/package"),
}

SCENARIO_FIGURES: dict[str, Spec] = {
    "wafers_per_month": Spec("[wafer] / [time]", "wafer/month", "wafer starts per month", "7000 wafer/month", zero=True),
    "wafer_share": Spec("", "", "share of those wafers for this product", "25 %", zero=True, fraction=True),
    "die_yield": Spec("", "", "die yield", "30 %", fraction=True),
    "defect_density": Spec("1 / [length] ** 2", "1/cm^2", "defect density", "0.1 cm^-2"),
    "clustering": Spec("", "", "clustering parameter of the negative binomial model", "2"),
    "packaging_yield": Spec("", "", "packaging yield", "75 %", fraction=True),
    "die_bank": Spec("[die]", "die", "dies made earlier (die bank)", "2.9e6 die", zero=True),
    "die_bank_share": Spec("", "", "share of the die bank drawn in the period", "40 %", zero=True, fraction=True),
    "hbm_stock": Spec("[stack]", "stack", "HBM stacks in stock", "13e6 stack", zero=True),
    "hbm_share": Spec("", "", "share of the HBM stock used in the period", "40 %", zero=True, fraction=True),
    "hbm_output": Spec("[stack] / [time]", "stack/month", "HBM stacks made per month", "100000 stack/month", zero=True),
    "packaging_capacity": Spec("[package] / [time]", "package/month", "packaging capacity", "50000 package/month", zero=True),
}

YIELD_MODELS = ("poisson", "murphy", "negative-binomial")
METHOD_NAMES = ("dies_per_wafer", *YIELD_MODELS)
FIGURE_KEYS = {"value", "source", "assumption", "detail", "low", "high", "alternatives"}
PRODUCT_KEYS = {"id", "kind", "name", "chip", "die", "notes", *PRODUCT_FIGURES}
SCENARIO_KEYS = {"id", "kind", "name", "product", "year", "period", "counts", "default", "notes", "yield_model",
                 *SCENARIO_FIGURES}


@dataclass(frozen=True)
class Product:
    id: str
    name: str
    chip: str  # catalog chip id
    figures: dict[str, Figure]
    die: str = ""
    notes: str = ""
    file: str = ""


@dataclass(frozen=True)
class YieldModel:
    model: str  # poisson | murphy | negative-binomial
    prov: Provenance  # why this model (an assumption, or a source)


@dataclass(frozen=True)
class Scenario:
    id: str
    name: str
    product: str
    year: int
    period: Any  # a pint quantity of time (the period the figures cover)
    figures: dict[str, Figure]
    counts: str = ""
    yield_model: YieldModel | None = None
    default: bool = False
    notes: str = ""
    file: str = ""


@dataclass(frozen=True)
class Supply:
    products: dict[str, Product] = field(default_factory=dict)
    scenarios: dict[str, Scenario] = field(default_factory=dict)
    methods: dict[str, Provenance] = field(default_factory=dict)

    def scenarios_of(self, product: str) -> list[Scenario]:
        return sorted((s for s in self.scenarios.values() if s.product == product), key=lambda s: (s.year, s.id))


# -- figures ----------------------------------------------------------------------------------------

def _q(x: Any) -> str:
    """A user's value quoted for a one-line message (repr when it holds a newline or other control)."""
    return f"'{x}'" if isinstance(x, str) and x.isprintable() else repr(x)


def quantity(text: Any, spec: Spec, where: str) -> Any:
    """A supply value checked against its spec, in the spec's unit; raises UnitError (one line)."""
    if isinstance(text, bool) or not isinstance(text, (str, int, float)):
        raise UnitError(f"{where}: expected a value like '{spec.example}', got {text!r}")
    try:
        q = parse(text)
    except UnitError as exc:
        raise UnitError(f"{where}: {exc}") from None
    if spec.dim and (isinstance(text, (int, float)) or q.dimensionless):
        raise UnitError(f"{where}: {_q(text)} has no unit; write it like '{spec.example}'")
    if q.dimensionality != registry().get_dimensionality(spec.dim or ""):
        raise UnitError(f"{where}: expected {spec.what} like '{spec.example}', got {_q(text)}")
    q = q.to(spec.unit)
    m = float(q.magnitude)
    if math.isnan(m) or math.isinf(m):
        raise UnitError(f"{where}: {_q(text)} is not a finite number")
    if m < 0:
        raise UnitError(f"{where}: {_q(text)} must not be negative")
    if m == 0 and not spec.zero:
        raise UnitError(f"{where}: {_q(text)} must be positive")
    if spec.fraction and m > 1:
        raise UnitError(f"{where}: {_q(text)} is above 100 %; a {spec.what} is a fraction from 0 to 100 %")
    return q


def parse_figure(fp: Any, entry: Any, spec: Spec, file: str, name: str, label: str,
                 alternative: bool = False) -> Figure | None:
    """A figure table into a Figure (range from low/high and alternatives); problems go to ``fp``."""
    if not isinstance(entry, dict):
        fp.problem(file, name, f"must be a table like {{ value = \"{spec.example}\", source = \"<id>\" }}")
        return None
    unknown = set(entry) - FIGURE_KEYS
    if unknown:
        fp.problem(file, name, f"unknown key(s) {', '.join(sorted(unknown))}; allowed: {', '.join(sorted(FIGURE_KEYS))}")
        return None
    if "value" not in entry:
        fp.problem(file, name, f"missing value; add value = \"{spec.example}\"")
        return None
    try:
        q = quantity(entry["value"], spec, name)
        bounds = {k: quantity(entry[k], spec, f"{name}.{k}") for k in ("low", "high") if k in entry}
    except UnitError as exc:
        where, _, message = str(exc).partition(": ")
        fp.problem(file, where, message)
        return None
    prov = fp.provenance(entry, file, name, label)
    if prov is None:
        return None
    if "low" in bounds and bounds["low"] > q:
        fp.problem(file, f"{name}.low", f"low {entry['low']} is above the value {entry['value']}; a range must include its nominal")
        return None
    if "high" in bounds and bounds["high"] < q:
        fp.problem(file, f"{name}.high", f"high {entry['high']} is below the value {entry['value']}; a range must include its nominal")
        return None
    alts: list[Figure] = []
    raw = entry.get("alternatives", [])
    if raw and alternative:
        fp.problem(file, f"{name}.alternatives", "an alternative cannot have alternatives")
        return None
    if not isinstance(raw, list):
        fp.problem(file, f"{name}.alternatives", "must be a list of figure tables ([[...alternatives]])")
        return None
    for i, alt in enumerate(raw):
        a = parse_figure(fp, alt, spec, file, f"{name}.alternatives[{i}]", label, alternative=True)
        if a is None:
            return None
        alts.append(a)
    mags = [float(x.magnitude) for x in [q, *bounds.values(), *(a.q for a in alts)]]
    ranged = bool(bounds or alts)
    unit = q.units
    return Figure(q, prov, low=min(mags) * unit if ranged else None, high=max(mags) * unit if ranged else None,
                  label=label, alternatives=tuple(alts), range_prov=Provenance.union(a.prov for a in alts))


# -- files ------------------------------------------------------------------------------------------

def read_supply(folders: tuple[Path, ...], problems: list[Problem]) -> dict[str, tuple[str, dict[str, Any]]]:
    """Every ``supply/*.toml`` of every spec folder, by id (later folders override earlier ones)."""
    from chipcalc.catalog.read import _read_toml, display_path

    raw: dict[str, tuple[str, dict[str, Any]]] = {}
    for root in folders:
        root = Path(root)
        for path in sorted((root / "supply").glob("*.toml")) if root.is_dir() else []:
            shown = display_path(path, root)
            data = _read_toml(path, shown, problems)
            if data is None:
                continue
            rid = data.get("id")
            if not isinstance(rid, str) or not rid:
                problems.append(Problem(shown, "id", f"missing; add id = \"{path.stem}\""))
            elif rid != path.stem:
                problems.append(Problem(shown, "id", f"{_q(rid)} does not match the file name; rename one of them"))
            else:
                raw[rid] = (shown, data)
    return raw


def parse_supply(folders: tuple[Path, ...], fp: Any, chips: dict[str, Any]) -> Supply:
    """The supply records of every spec folder; every problem goes to ``fp`` with file and field."""
    raw = read_supply(folders, fp.problems)
    out = Supply()
    for rid, (file, d) in raw.items():
        kind = d.get("kind")
        if kind == "methods":
            out.methods.update(_methods(fp, file, d))
        elif kind not in ("product", "scenario"):
            fp.problem(file, "kind", f"{_q(kind)} is not one of product, scenario, methods" if kind else
                       "missing; add kind = \"product\", \"scenario\" or \"methods\"")
    for rid, (file, d) in raw.items():
        if d.get("kind") == "product":
            p = _product(fp, file, d, chips)
            if p is not None:
                out.products[rid] = p
    for rid, (file, d) in raw.items():
        if d.get("kind") == "scenario":
            s = _scenario(fp, file, d, out, set(raw))
            if s is not None:
                out.scenarios[rid] = s
    return out


def _methods(fp: Any, file: str, d: dict[str, Any]) -> dict[str, Provenance]:
    out = {}
    for name, entry in d.items():
        if name in ("id", "kind"):
            continue
        if name not in METHOD_NAMES:
            fp.problem(file, name, f"unknown method; known: {', '.join(METHOD_NAMES)}")
            continue
        if not isinstance(entry, dict) or "source" not in entry:
            fp.problem(file, name, "must be a table with source = \"<id>\" and detail = \"<the formula>\"")
            continue
        prov = fp.provenance(entry, file, name, name)
        if prov is not None:
            out[name] = prov
    return out


def _figures(fp: Any, file: str, d: dict[str, Any], specs: dict[str, Spec], owner: str) -> dict[str, Figure] | None:
    n = len(fp.problems)
    out = {}
    for name, spec in specs.items():
        if name in d:
            f = parse_figure(fp, d[name], spec, file, name, f"{owner}.{name}")
            if f is not None:
                out[name] = f
    return out if len(fp.problems) == n else None


def _text(fp: Any, file: str, d: dict[str, Any], key: str, required: bool = True) -> str:
    v = d.get(key, "")
    if (required and not v) or not isinstance(v, str):
        fp.problem(file, key, f"missing; add {key} = \"...\"" if not v else "must be a string")
        return ""
    return v


def _product(fp: Any, file: str, d: dict[str, Any], chips: dict[str, Any]) -> Product | None:
    pid, n = d["id"], len(fp.problems)
    extra = set(d) - PRODUCT_KEYS
    if extra:
        fp.problem(file, ", ".join(sorted(extra)), f"unknown key(s) for a product; allowed: {', '.join(sorted(PRODUCT_KEYS))}")
    name, chip = _text(fp, file, d, "name"), _text(fp, file, d, "chip")
    if chip and chip not in chips:
        fp.problem(file, "chip", f"{_q(chip)} is not a chip in the catalog")
    figs = _figures(fp, file, d, PRODUCT_FIGURES, pid)
    for key in ("die_area", "wafer_diameter"):
        if key not in d:
            fp.problem(file, key, f"missing; add [{key}] with value = \"{PRODUCT_FIGURES[key].example}\" and a source "
                                  "(the dies-per-wafer estimate needs it)")
    if figs is not None and "dies_per_package" not in figs and chip in chips and chips[chip].get("dies") is None:
        fp.problem(file, "dies_per_package", f"missing, and chip {_q(chip)} has no dies figure; add [dies_per_package]")
    if figs is not None and {"die_area", "wafer_diameter"} <= set(figs):
        _check_fits(fp, file, figs)
    if len(fp.problems) > n or figs is None:
        return None
    return Product(pid, name, chip, figs, str(d.get("die", "")), str(d.get("notes", "")), file)


def _check_fits(fp: Any, file: str, figs: dict[str, Figure]) -> None:
    """A die that does not fit the wafer (the estimate gives no whole die) is a data error."""
    d = float(figs["wafer_diameter"].hi.m_as("mm"))
    e = float(figs["edge_exclusion"].lo.m_as("mm")) if "edge_exclusion" in figs else 0.0
    a = float(figs["die_area"].lo.m_as("mm^2"))
    usable = d - 2 * e
    if usable <= 0:
        fp.problem(file, "edge_exclusion", f"{2 * e:g} mm of edge exclusion leaves nothing of a {d:g} mm wafer")
        return
    gross = math.pi * (usable / 2) ** 2 / a - math.pi * usable / math.sqrt(2 * a)
    if gross < 1:
        fp.problem(file, "die_area", f"a {a:g} mm^2 die does not fit a {d:g} mm wafer (the dies-per-wafer estimate gives "
                                     f"{gross:.2f}); check the unit (mm^2) or the wafer diameter")


def _scenario(fp: Any, file: str, d: dict[str, Any], supply: Supply, ids: set[str]) -> Scenario | None:
    sid, n = d["id"], len(fp.problems)
    extra = set(d) - SCENARIO_KEYS
    if extra:
        fp.problem(file, ", ".join(sorted(extra)), f"unknown key(s) for a scenario; allowed: {', '.join(sorted(SCENARIO_KEYS))}")
    name, product = _text(fp, file, d, "name"), _text(fp, file, d, "product")
    if product and product not in supply.products:
        why = "has errors (see above)" if product in ids else "is not a product in specs/supply/"
        fp.problem(file, "product", f"{_q(product)} {why}")
    year = d.get("year")
    if isinstance(year, bool) or not isinstance(year, int) or not 1990 <= year <= 2100:
        fp.problem(file, "year", f"must be a year like 2025, got {year!r}")
    period = _period(fp, file, d.get("period"))
    figs = _figures(fp, file, d, SCENARIO_FIGURES, sid)
    model = _yield_model(fp, file, d.get("yield_model"), sid) if "yield_model" in d else None
    if figs is not None:
        _check_scenario(fp, file, figs, model, supply.products.get(product))
    if not isinstance(d.get("default", False), bool):
        fp.problem(file, "default", "must be true or false")
    if len(fp.problems) > n or figs is None:
        return None
    return Scenario(sid, name, product, year, period, figs, str(d.get("counts", "")), model, bool(d.get("default", False)),
                    str(d.get("notes", "")), file)


def _period(fp: Any, file: str, text: Any) -> Any:
    from chipcalc.core.units import check_dimension

    if text is None:
        fp.problem(file, "period", "missing; add period = \"1 year\" (the time the figures cover)")
        return None
    try:
        q = parse(text) if isinstance(text, str) else None
    except UnitError as exc:
        fp.problem(file, "period", str(exc))
        return None
    if q is None or not check_dimension(q, "time"):
        fp.problem(file, "period", f"expected a time like \"1 year\" or \"6 month\", got {text!r}")
        return None
    if not float(q.magnitude) > 0:
        fp.problem(file, "period", f"{_q(text)} must be a positive time (a period of zero makes nothing)")
        return None
    return q.to("month")


def _yield_model(fp: Any, file: str, entry: Any, sid: str) -> YieldModel | None:
    if not isinstance(entry, dict) or entry.get("model") not in YIELD_MODELS:
        got = entry.get("model") if isinstance(entry, dict) else entry
        fp.problem(file, "yield_model", f"model {got!r} is not one of {', '.join(YIELD_MODELS)}; write "
                                        "yield_model = { model = \"murphy\", assumption = \"why this model\" }")
        return None
    extra = set(entry) - {"model", "source", "assumption", "detail"}
    if extra:
        fp.problem(file, "yield_model", f"unknown key(s) {', '.join(sorted(extra))}")
        return None
    prov = fp.provenance(entry, file, "yield_model", f"{sid}.yield_model")
    return None if prov is None else YieldModel(entry["model"], prov)


def _check_scenario(fp: Any, file: str, figs: dict[str, Figure], model: YieldModel | None, product: Product | None) -> None:
    if "wafers_per_month" in figs and "die_yield" not in figs and ("defect_density" not in figs or model is None):
        fp.problem(file, "die_yield", "wafers need a yield: add [die_yield], or [defect_density] with "
                                      "yield_model = { model = \"murphy\", assumption = \"...\" }")
    if model is not None and model.model == "negative-binomial" and "clustering" not in figs:
        fp.problem(file, "clustering", "the negative-binomial model needs [clustering] (its parameter alpha)")
    if model is not None and "defect_density" not in figs:
        fp.problem(file, "defect_density", f"yield_model {model.model} needs [defect_density]")
    if "packaging_yield" not in figs:
        fp.problem(file, "packaging_yield", "missing; add [packaging_yield] (share of assembled packages that work)")
    if product is not None and "hbm_stacks" not in product.figures and {"hbm_stock", "hbm_output"} & set(figs):
        fp.problem(file, "hbm_stock", f"product {product.id} has no [hbm_stacks] per package ({product.file})")
    for share, base in (("wafer_share", "wafers_per_month"), ("die_bank_share", "die_bank"), ("hbm_share", "hbm_stock")):
        if share in figs and base not in figs:
            fp.problem(file, share, f"a share of nothing: add [{base}] or remove [{share}]")
