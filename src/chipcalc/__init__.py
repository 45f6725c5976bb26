"""chipcalc: a unit-aware hardware performance comparison calculator, as a library.

Every figure carries its unit and its provenance (the sources it rests on and the assumptions it
depends on); derived figures carry the union of their inputs'. The same catalog and the same tables
as the ``chipcalc`` command::

    import chipcalc as cc

    cat = cc.load()                                   # built-ins (+ specs=..., sets=..., prefer=...)
    cm = cat.system("cloudmatrix384")
    print(cm.total("bf16_dense"))                     # 288.8 PFLOPS [271.8–299.5] (sourced: cm384-paper; ...)
    cat.chip("h20")["hbm_bandwidth"].to("GB/s")       # a Figure: value, unit, range, sources, assumptions
    cc.cluster("cloudmatrix384", "gb200-nvl72")       # the tables `chipcalc cluster` prints (HTML in Jupyter)
    cc.latency("cloudmatrix384", model="deepseek-r1", precision="int8", batch=96).rows()

Each question returns a :class:`~chipcalc.output.result.Result`: ``str()`` is the CLI's text, ``rows()``
plain dicts, ``to_pandas()`` a DataFrame. Heavy modules (pint, numpy, tabulate) load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable

from chipcalc.core import __version__

if TYPE_CHECKING:  # pragma: no cover
    from chipcalc.catalog.store import Catalog
    from chipcalc.output.result import Result

__all__ = ["__version__", "check", "chip", "cluster", "compare", "fleet", "latency", "load", "model", "plot_cluster",
           "plot_roofline", "train", "verdict"]


def load(specs: Any = None, sets: Any = None, prefer: str | None = None) -> "Catalog":
    """The catalog the CLI uses: the built-ins plus ``specs`` (a folder or a list of folders, else
    ``CHIPCALC_SPECS``), with ``prefer`` (official, paper, analyst or press: which source wins where they
    disagree) and ``sets`` (what-if overrides: ``["ascend-910c.tdp=600W"]`` or ``{"mfu": "0.5"}``) applied.
    Claims and fleet volumes are parsed. Loaded once per process for the same files."""
    from pathlib import Path

    from chipcalc.catalog.overrides import apply_overrides
    from chipcalc.catalog.overrides import prefer as prefer_kind
    from chipcalc.claims.load import load_checked

    folders = None if specs is None else [Path(p) for p in ([specs] if isinstance(specs, (str, Path)) else specs)]
    cat = load_checked(folders)
    if prefer:
        cat = prefer_kind(cat, prefer)
    if sets:
        items = [f"{k}={v}" for k, v in sets.items()] if isinstance(sets, dict) else [sets] if isinstance(sets, str) else list(sets)
        cat = apply_overrides(cat, items)
    return cat


def _cat(catalog: Any) -> "Catalog":
    return load() if catalog is None else catalog


def _result(tables: list, catalog: Any, ranges: bool = False) -> "Result":
    from chipcalc.output.result import Result

    return Result(list(tables), catalog, ranges)


def cluster(a: Any, *others: Any, catalog: Any = None, ranges: bool = False, base: Any = None) -> "Result":
    """Per chip vs whole system (`chipcalc cluster A --vs B --vs C`): system ids or records side by side,
    ratios of the first (or ``base``) over each other."""
    from chipcalc.core.errors import UsageError
    from chipcalc.output.cluster_tables import cluster_tables

    cat = _cat(catalog)
    systems = [_rec(cat, x, "system") for x in (a, *[o for o in others if o is not None])]
    ids = [s.id for s in systems]
    b_i = 0
    if base is not None:
        want = cat.system(base).id if isinstance(base, str) else base.id
        if want not in ids:
            raise UsageError(f"base {want!r} is not one of the systems compared ({', '.join(ids)})")
        b_i = ids.index(want)
    return _result(cluster_tables(systems[0], systems[1] if len(systems) > 1 else None, more=tuple(systems[2:]),
                                  base=b_i), cat, ranges)


def compare(*chips: Any, catalog: Any = None, ranges: bool = False) -> "Result":
    """Chips side by side (`chipcalc compare A B ...`), with the ratio for two."""
    from chipcalc.core.errors import UsageError
    from chipcalc.output.cluster_tables import compare_table

    if len(chips) < 2:
        raise UsageError("compare needs at least two chips, e.g. cc.compare('ascend-910c', 'h20')")
    cat = _cat(catalog)
    return _result([compare_table([_rec(cat, c, "chip") for c in chips])], cat, ranges)


def chip(name: Any, per: str = "package", *, catalog: Any = None) -> "Result":
    """One chip's spec sheet (`chipcalc chip ID`): every figure, its alternatives and basis."""
    from chipcalc.core.errors import UsageError
    from chipcalc.output.cluster_tables import chip_table

    if per not in ("package", "die"):
        raise UsageError(f"per must be 'package' or 'die', not '{per}'")
    cat = _cat(catalog)
    c = _rec(cat, name, "chip")
    if per == "die" and c.get("dies") is None:
        raise UsageError(f"{c.id} has no 'dies' figure in {c.file}; per-die figures cannot be derived")
    return _result([chip_table(c, per)], cat, ranges=True)


def model(name: Any, *, catalog: Any = None) -> "Result":
    """A model card and what follows from its shapes (`chipcalc model ID`)."""
    from chipcalc.output.model_tables import model_table

    cat = _cat(catalog)
    return _result(model_table(_rec(cat, name, "model"), cat), cat)



def _rec(cat: Any, x: Any, kind: str) -> Any:
    """``x`` as a record of ``kind`` (chip, system, model, target): an id is looked up, a record of that kind
    passes; anything else is a one-line error (cc.chip(5) was an AttributeError)."""
    from chipcalc.catalog.records import Chip, Model, System
    from chipcalc.core.errors import UsageError

    if isinstance(x, str):
        return getattr(cat, kind)(x)
    allowed = {"chip": (Chip,), "system": (System,), "model": (Model,), "target": (Chip, System)}[kind]
    if isinstance(x, allowed):
        return x
    noun = "chip or system" if kind == "target" else kind
    raise UsageError(f"expected a {noun} id (text) or record, got {x!r:.60}")

def _ints(value: Any, name: str) -> tuple[int, ...] | None:
    """Whole numbers from a number, a count string ('4k', '4Ki') or a list of them; a fraction, NaN, an empty
    list or text that is no count is a one-line error naming the argument (2.7 was run as 2)."""
    if value is None:
        return None
    from chipcalc.core.counts import parse_count, whole
    from chipcalc.core.errors import UsageError

    items = list(value) if isinstance(value, Iterable) and not isinstance(value, str) else [value]
    if not items:
        raise UsageError(f"{name}= needs at least one value")
    out = []
    for v in items:
        if isinstance(v, bool) or not isinstance(v, (int, float, str)) and not hasattr(v, "__index__"):
            raise UsageError(f"{name}= takes whole numbers or counts like '4k', got {v!r}")
        what = {"batch": "sequences", "context": "tokens"}.get(name, "values")
        out.append(parse_count(v, f"{name}=") if isinstance(v, str) else int(whole(f"{name}=", v, what)))
    return tuple(out)


def latency(*targets: Any, model: Any, precision: str = "bf16", kv_precision: str = "bf16", batch: Any = None,
            context: Any = None, chips: int | None = None, tp: int | None = None, ep: int | None = None, mtp: int = 0,
            device: str = "package", tpot: Any = None, prefill_tokens: int | None = None, catalog: Any = None,
            ranges: bool = False, pp: int | None = None, kv_offload: float = 0.0,
            allow_long_context: bool = False) -> "Result":
    """Serving latency and throughput (`chipcalc latency TARGET ... MODEL`): TTFT, TPOT, tokens/s per chip,
    system and kW, the binding resource. ``batch`` and ``context`` take a number or a list; ``tpot`` a
    target like ``"50 ms"`` (the largest batch that meets it); ``pp`` pipeline stages (dense models); ``kv_offload`` the
    share of the KV cache kept in host memory (a system with host memory)."""
    from chipcalc.calc import serving as L
    from chipcalc.calc.serving.request import Request, run
    from chipcalc.core.counts import whole
    from chipcalc.core.errors import UsageError
    from chipcalc.core.figure import Figure, Provenance
    from chipcalc.core.units import check_dimension, parse
    from chipcalc.output.serving_tables import latency_tables

    if not targets:
        raise UsageError("name at least one chip or system, e.g. cc.latency('cloudmatrix384', model='deepseek-r1')")
    cat = _cat(catalog)
    mdl = _rec(cat, model, "model")
    recs = [_rec(cat, t, "target") for t in targets]
    target = None
    if tpot is not None:
        import math

        q = parse(tpot) if isinstance(tpot, str) else tpot
        if not hasattr(q, "dimensionality"):
            raise UsageError(f"tpot needs a time with its unit, like '50 ms', got {tpot!r}")
        if not check_dimension(q, "time") or not (math.isfinite(float(q.magnitude)) and float(q.magnitude) > 0):
            raise UsageError(f"tpot needs a positive, finite time like '50 ms', got {tpot!r}")
        target = Figure(q.to("ms"), Provenance.assume("tpot target", f"tpot={tpot} (given in Python)"))
    one = lambda v, n, w, m=1: None if v is None else int(whole(n, v, w, m))  # noqa: E731
    req = Request(precision=precision.lower(), kv_precision=kv_precision.lower(), batches=_ints(batch, "batch"),
                  contexts=_ints(context, "context"), chips=one(chips, "chips", "chips"), tp=one(tp, "tp", "ranks"),
                  ep=one(ep, "ep", "ranks"), mtp=int(whole("mtp", mtp, "tokens", 0)), pp=one(pp, "pp", "stages"),
                  kv_offload=float(kv_offload), device=device, tpot=target, allow_long_context=bool(allow_long_context),
                  prefill_tokens=one(prefill_tokens, "prefill_tokens", "tokens"))
    from chipcalc.catalog.lint import mtp_problem

    if (why := mtp_problem(cat, mdl, req.mtp, "mtp=")) is not None:
        raise UsageError(why)
    kn = L.knobs(cat)
    return _result(latency_tables(mdl, run(cat, mdl, recs, req, kn), kn, req), cat, ranges)


def check(claim: str | None = None, *, expression: str | None = None, tolerance: float | None = None,
          catalog: Any = None, working: bool = True) -> "Result":
    """Judge claims (`chipcalc check`): every shipped claim, one claim id with its working, or an
    ``expression`` of your own (``"h20.hbm_bandwidth < h100-sxm.hbm_bandwidth"``)."""
    from chipcalc.claims import verdicts
    from chipcalc.core.errors import UsageError
    from chipcalc.output import claims_tables

    cat = _cat(catalog)
    if claim is not None and expression is not None:
        raise UsageError("give a claim id or an expression, not both")
    if expression is not None:
        return _result([claims_tables.claim_table(verdicts.adhoc(cat, expression, tolerance), cat)], cat, True)
    if tolerance is not None:
        raise UsageError("tolerance= applies to expression=; a claim id has its own tolerance in its file")
    if claim is not None:
        return _result([claims_tables.claim_table(verdicts.verdict(cat, cat.claim(claim)), cat)], cat, True)
    return _result(claims_tables.check_tables(verdicts.all_verdicts(cat), cat, working=working), cat)


def fleet(*fleets: str, catalog: Any = None, ranges: bool = False) -> "Result":
    """What fleets of chips add up to (`chipcalc fleet ascend-910c:200000 h20:1M`); none: the named volumes."""
    from chipcalc.calc import fleet as fl
    from chipcalc.output import claims_tables

    cat = _cat(catalog)
    if not fleets:
        return _result([claims_tables.volumes_table(cat)], cat, True)
    return _result([claims_tables.fleet_table([fl.parse_fleet(cat, f) for f in fleets])], cat, ranges)


def train(model: Any, tokens: str, *, on: Any, chips: str | None = None, precision: str = "bf16",
          mfu: str | None = None, seq_len: str | None = None, gpu_hours: str | None = None, days: str | None = None,
          catalog: Any = None, ranges: bool = False) -> "Result":
    """Training time, chip-hours and energy (`chipcalc train`); ``on`` is a chip or system id (or a list to
    compare); ``gpu_hours`` or ``days`` give the MFU a reported budget implies. Amounts are written as on
    the command line ("14.8T", "2.788M", "35%")."""
    from chipcalc.calc import train as tr
    from chipcalc.output import train_tables

    from chipcalc.core.errors import UsageError

    if gpu_hours is not None and days is not None:  # the same checks as `chipcalc train`: nothing is ignored
        raise UsageError("give a budget as gpu_hours= or as days= with chips=, not both")
    if mfu is not None and (gpu_hours is not None or days is not None):
        raise UsageError("mfu= and a budget exclude each other: with gpu_hours=/days= the MFU is what is computed")
    targets = [on] if isinstance(on, str) or not isinstance(on, Iterable) else list(on)
    if not targets or any(t is None for t in targets):
        raise UsageError("on= names what trains: a chip or system id, or a list of them")
    cat = _cat(catalog)
    mdl = _rec(cat, model, "model")
    toks = tr.parse_amount(tokens, "tokens", "token")
    n = None if chips is None else tr.parse_amount(str(chips), "chips", whole=True)
    a = tr.assumptions(cat)
    seq = a["train_seq_len"] if seq_len is None else tr.parse_amount(str(seq_len), "seq_len", whole=True)
    fc = tr.training_flops(mdl, toks, seq, a["train_attention_causal_fraction"])
    runs = []
    for t in targets:
        obj = _rec(cat, t, "target")
        runs.append(tr.run(mdl, tr.make_target(obj, n, cat.systems), fc, precision.lower(), a,
                           mfu=None if mfu is None else tr.parse_fraction(str(mfu), "mfu"),
                           budget_hours=None if gpu_hours is None else tr.parse_amount(str(gpu_hours), "gpu_hours", "h"),
                           budget_time=None if days is None else tr.parse_amount(str(days), "days", "day")))
    return _result(train_tables.tables(mdl, fc, runs, tokens), cat, ranges)


def verdict(claim: str | None = None, *, expression: str | None = None, tolerance: float | None = None,
            catalog: Any = None) -> Any:
    """One verdict as an object (``.label``, ``.margin``, ``.robustness``, ``.measured``): a shipped claim
    by id, or an ``expression`` of your own."""
    from chipcalc.claims import verdicts
    from chipcalc.core.errors import UsageError

    if (claim is None) == (expression is None):
        raise UsageError("give a claim id or an expression, e.g. cc.verdict('cm384-300pf-bf16')")
    cat = _cat(catalog)
    return verdicts.adhoc(cat, expression, tolerance) if expression is not None else verdicts.verdict(cat, cat.claim(claim))


def plot_cluster(a: Any, b: Any, *others: Any, catalog: Any = None) -> Any:
    """Per-chip vs whole-system bars of ``a`` (and ``others``) relative to ``b`` (= 1), as `chipcalc plot
    cluster A --vs B [--vs C]` draws them; a Chart (shown inline in Jupyter; ``.save("x.png")``)."""
    from chipcalc.output import plot

    cat = _cat(catalog)
    systems = [_rec(cat, x, "system") for x in (a, b, *others)]
    return plot.cluster_bars(systems[0], systems[1:], base=1)


def plot_roofline(*chips: Any, precisions: Iterable[str] = ("bf16",), catalog: Any = None) -> Any:
    """Rooflines of chips (a system id means its chip) at one or more precisions, ridge points marked."""
    from chipcalc.catalog.records import System
    from chipcalc.output import plot

    cat = _cat(catalog)
    recs = [_rec(cat, c, "target") for c in chips]
    found = [r.chip if isinstance(r, System) else r for r in recs]
    return plot.roofline(list({c.id: c for c in found}.values()), [p.lower() for p in precisions])
