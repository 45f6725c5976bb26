"""Data hygiene checks over a loaded catalog (run by ``chipcalc validate``).

The loader already checks units, dimensions, provenance and references; these are the catalog's
cross-figure checks: dense <= sparse (done at load), per-die x dies = per-package, published system
totals agree with chips x per-chip figures, measurement files parse. Claims add their own checks
(:mod:`chipcalc.claims.lint`).
"""

from __future__ import annotations

from typing import Any

from chipcalc.core.errors import Problem

# -- record rules: checked when a record is loaded (built-in and user folders alike) and after --set ----

def _n(fig: Any) -> float:
    return float(fig.q.m_as(""))


def model_shape_problems(figures: dict[str, Any]) -> list[tuple[str, str]]:
    """(field, message) for a model card whose shape cannot be: more KV heads than heads, more active
    than total parameters, a hidden size the heads do not divide, more experts per token than experts."""
    f = figures
    out: list[tuple[str, str]] = []

    def has(*names: str) -> bool:
        return all(n in f for n in names)

    if has("kv_heads", "attention_heads"):
        kv, heads = _n(f["kv_heads"]), _n(f["attention_heads"])
        if kv > heads:
            out.append(("kv_heads", f"{kv:g} key/value heads is more than the {heads:g} attention heads; kv_heads must be at most attention_heads"))
        elif heads % kv:
            out.append(("kv_heads", f"{heads:g} attention heads do not split into groups of {kv:g} key/value heads; kv_heads must divide attention_heads"))
    if has("params_active", "params_total") and _n(f["params_active"]) > _n(f["params_total"]):
        out.append(("params_active", f"{_n(f['params_active']):g} active parameters is more than the {_n(f['params_total']):g} "
                                     "in total; params_active must be at most params_total"))
    if has("hidden_size", "attention_heads") and _n(f["hidden_size"]) % _n(f["attention_heads"]):
        out.append(("hidden_size", f"hidden size {_n(f['hidden_size']):g} is not divisible by the {_n(f['attention_heads']):g} "
                                   "attention heads; hidden_size must be a multiple of attention_heads"))
    if has("experts_per_token", "routed_experts") and _n(f["experts_per_token"]) > _n(f["routed_experts"]):
        out.append(("experts_per_token", f"{_n(f['experts_per_token']):g} experts per token is more than the "
                                         f"{_n(f['routed_experts']):g} routed experts; experts_per_token must be at most routed_experts"))
    if "fp4_attention_bytes" in f and float(f["fp4_attention_bytes"].q.m_as("B")) not in (1.0, 2.0):
        out.append(("fp4_attention_bytes", f"{f['fp4_attention_bytes'].q:~P} per weight is neither FP8 (1 B) nor BF16 (2 B); "
                                           "fp4_attention_bytes must be '1 B' or '2 B'"))
    over = False
    for part in ("dense_layers", "moe_layers"):
        if has(part, "layers") and _n(f[part]) > _n(f["layers"]):
            over = True
            out.append((part, f"{_n(f[part]):g} {part.replace('_', ' ')} is more than the {_n(f['layers']):g} layers; "
                              f"{part} must be at most layers"))
    parts = [p for p in ("dense_layers", "moe_layers") if p in f]
    if parts and "layers" in f and not over:  # every layer has a dense FFN or a MoE one: changing one count alone
        split = sum(_n(f[p]) for p in parts)  # would give the extra layers attention and no FFN at all
        if split != _n(f["layers"]):
            what = " + ".join(f"{p} {_n(f[p]):g}" for p in parts)
            out.append(("layers", f"{_n(f['layers']):g} layers is not {what} = {split:g}; every layer has a dense or a MoE "
                                  f"FFN, so set {' and '.join(parts)} with layers"))
    return out


def mtp_problem(cat: Any, model: Any, mtp: int, option: str = "--mtp") -> str | None:
    """None when ``mtp`` speculative tokens per step are within what the model card's MTP modules are
    assumed to draft (mtp_modules x assumption mtp_drafts_per_module), else why not."""
    if mtp <= 0:  # none, or negative (the layout reports that)
        return None
    modules = model.get("mtp_modules")
    if modules is None:
        return f"{model.id} has no multi-token-prediction module (mtp_modules); {option} needs one"
    per = cat.assumptions.get("mtp_drafts_per_module")
    if per is None:
        return None
    top = int(_n(modules) * _n(per))
    if mtp > top:
        return (f"{option} {mtp} is more speculative tokens per step than {model.id}'s {_n(modules):g} MTP module(s) "
                f"x {_n(per):g} drafts each (assumption mtp_drafts_per_module) = {top}; "
                f"use at most {top}, or --set mtp_drafts_per_module=N")
    return None


def system_problems(chips: Any, power: Any, tdp: Any, tiers: tuple) -> list[tuple[str, str]]:
    """(field, message) for a system whose all-in power (any value of its range) is below its chips' total TDP."""
    out: list[tuple[str, str]] = []
    n = _n(chips) if chips is not None else None
    if power is not None and tdp is not None and n is not None:
        floor = (tdp.lo * n).to(power.q.units)  # the least the chips alone can draw
        low = power.lo.to(power.q.units)  # every value the figure or its alternatives give
        if float(low.magnitude) < float(floor.magnitude) * (1 - 1e-9):
            shown = f"{power.q:~P}" if low.magnitude == power.q.magnitude else f"{power.q:~P} (low end {low:~P})"
            out.append(("power", f"all-in power {shown} is below its chips' total TDP ({n:g} x {tdp.lo:~.4g} = {floor:~.4g}); "
                                 "the all-in power must include the chips (is it per node, or in the wrong unit?)"))
    return out


def warnings(cat: Any) -> list[Problem]:
    """What `chipcalc validate` says without failing: a system of several chips with no network tier
    (a source may give none: the interconnect is then unknown, and no communication can be modelled)."""
    out = []
    for s in cat.systems.values():
        n = _n(s.chips)
        if n > 1 and not s.tiers:
            out.append(Problem(s.file, "tier", f"{n:g} chips and no [[tier]] connecting them: tensor and expert "
                                               "parallelism across chips cannot be modelled; add the scale-up tier "
                                               "(kind, size, bandwidth) when a source gives it"))
    return out


def hygiene_problems(cat) -> list[Problem]:
    problems: list[Problem] = []
    from chipcalc.catalog.measurements import load_measurements
    from chipcalc.core.errors import SpecError

    try:
        load_measurements(cat)
    except SpecError as exc:
        problems.extend(exc.problems)
    for c in cat.chips.values():
        for name, fig in c.figures.items():
            ids = {r.id for r in fig.prov.sources}
            for alt in fig.alternatives:
                same = ids & {r.id for r in alt.prov.sources}
                # one source stated both ways (per die and per package, or uni and bi): they must agree
                if same and ("per die" in alt.note or "per die" in fig.note or "bidirectional" in alt.note) and \
                        abs(float((alt.q / fig.q).m_as("")) - 1) > 0.02:
                    problems.append(Problem(c.file, name, f"{sorted(same)[0]} gives {fig.q:~P} and, {alt.note}, {alt.q:~P}; "
                                                          "per-die x dies must equal the per-package figure"))
    problems += binary_prefix_problems(cat)
    for s in cat.systems.values():
        for key, rep in s.reported.items():
            der = s.total(key)
            if der is None:
                continue
            r = float((der.q / rep.q).m_as(""))
            lo, hi = float((der.lo / rep.hi).m_as("")), float((der.hi / rep.lo).m_as(""))
            # published totals are rounded and sometimes use another per-chip figure: only flag
            # disagreements that no figure in either range explains.
            if hi < 0.8 or lo > 1.25:
                problems.append(Problem(s.file, f"reported.{key}",
                                        f"published total {rep.q:~P} and chips x per-chip ({der.q:~P}) disagree by {r:.2f}x; check units or the chip figure"))
    return problems


_BINARY = ("KiB", "MiB", "GiB", "TiB", "PiB", "EiB", "kibi", "mebi", "gibi", "tebi", "pebi", "exbi")
_BINARY_WORDS = ("KiB", "MiB", "GiB", "TiB", "PiB", "1024", "2**", "2^")


def binary_prefix_problems(cat) -> list[Problem]:
    """A figure in a binary unit (GiB, TiB/s) must show that its source wrote the binary unit: its
    detail (or assumption) quotes 'GiB', 'TiB' or '1024'. Most vendors write GB and TB/s (decimal);
    entering those as GiB makes one die two values (1.6 TiB/s = 1.76 TB/s)."""
    out: list[Problem] = []
    records = [(c.file, c.figures) for c in cat.chips.values()]
    records += [(s.file, {f"reported.{k}": f for k, f in s.reported.items()}) for s in cat.systems.values()]
    for file, figures in records:
        for name, fig in figures.items():
            for i, f in enumerate((fig, *fig.alternatives)):
                if not any(b in str(f.q.units) for b in _BINARY):
                    continue
                said = [r.detail for r in f.prov.sources] + [a.text for a in f.prov.assumptions]
                if not any(w in t for t in said for w in _BINARY_WORDS):
                    where = name if i == 0 else f"{name}.alternatives[{i - 1}]"
                    out.append(Problem(file, where, f"{f.q:~P} uses a binary prefix but its detail does not show the source "
                                                    "wrote it (quote 'GiB'/'TiB' or '1024'); else enter the decimal unit (GB, TB/s)"))
    return out
