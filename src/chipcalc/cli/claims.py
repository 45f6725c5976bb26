"""`chipcalc check` (claims and their verdicts) and `chipcalc fleet` (what a number of chips adds up to).

Parsing only; the arithmetic is in :mod:`chipcalc.claims.records`, :mod:`chipcalc.claims.bound` and :mod:`chipcalc.calc.fleet`.
"""

from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from chipcalc.cli.root import (
    ForceOpt,
    FormatOpt,
    FragmentOpt,
    OutputOpt,
    PreferOpt,
    RangesOpt,
    SetOpt,
    SpecsOpt,
    _catalog,
    app,
    emit,
    guarded,
)
from chipcalc.cli.types import COUNT, COUNT0, COUNT_OR_MAX


@app.command("check")
def check_cmd(
    claim_id: Optional[str] = typer.Argument(None, help="A claim id (see `chipcalc check`); every claim when omitted.", metavar="[CLAIM]"),
    claim: Optional[str] = typer.Option(None, "--claim", help="An ad-hoc claim: \"h20.hbm_bandwidth < h100-sxm.hbm_bandwidth\" (see docs/claims.md).", show_default=False),
    tolerance: Optional[str] = typer.Option(None, "--tolerance", help="Relative tolerance of == in --claim, e.g. 5%.", show_default=False),
    system: Optional[str] = typer.Option(None, "--system", help="Ad-hoc throughput claim: the system (or chip) it runs on.", show_default=False),
    model: Optional[str] = typer.Option(None, "--model", "-m", help="Ad-hoc throughput claim: the model served.", show_default=False),
    tokens: Optional[str] = typer.Option(None, "--decode-tokens-per-chip", help="Ad-hoc throughput claim: decode tokens/s per chip, e.g. 1943.", show_default=False),
    tpot: Optional[str] = typer.Option(None, "--tpot", help="Ad-hoc throughput claim: time per output token, at most, e.g. 50ms.", show_default=False),
    batch: Optional[str] = typer.Option(None, "--batch", "-b", click_type=COUNT_OR_MAX, help="Sequences per chip (default: throughput x TPOT); max: the largest batch that fits.", show_default=False),
    context: Optional[int] = typer.Option(None, "--context", "-c", click_type=COUNT, help="Tokens of KV per sequence (default: assumption default_context).", show_default=False),
    precision: str = typer.Option("bf16", "--precision", "-p", help="GEMM precision of the throughput claim: bf16, fp8, int8, ..."),
    kv_precision: str = typer.Option("bf16", "--kv-precision", help="KV-cache precision of the throughput claim."),
    device: str = typer.Option("package", "--device", help="What one rank is: package or die."),
    chips: Optional[int] = typer.Option(None, "--chips", click_type=COUNT, help="Chips of the deployment (default: as `chipcalc latency` chooses).", show_default=False),
    tp: Optional[int] = typer.Option(None, "--tp", click_type=COUNT, help="Tensor-parallel ranks (default: the largest the model and scale-up domain allow).", show_default=False),
    mtp: int = typer.Option(0, "--mtp", click_type=COUNT0, help="Speculative (multi-token-prediction) tokens per step."),
    brief: bool = typer.Option(False, "--brief", help="Only the verdicts table, without each claim's working."),
    sets: Optional[List[str]] = SetOpt,
    prefer: Optional[str] = PreferOpt,
    specs: Optional[List[Path]] = SpecsOpt,
    fmt: Optional[str] = FormatOpt,
    fragment: bool = FragmentOpt,
    output: Optional[Path] = OutputOpt,
    force: bool = ForceOpt,
    ranges: bool = RangesOpt,
) -> None:
    """Check reported claims against the catalog: verdict, margin, robustness across ranges, working.

    With no argument every claim under specs/claims/ is checked; with CLAIM one claim and its full
    working; with --claim an expression of your own; with --system/--model/--decode-tokens-per-chip
    a throughput claim against peak compute, HBM bandwidth and capacity.
    """

    def body() -> None:
        from chipcalc.claims import verdicts as claims
        from chipcalc.core.errors import UsageError
        from chipcalc.output import claims_tables as claims_report

        bound_opts = [n for n, v in (("--system", system), ("--model", model), ("--decode-tokens-per-chip", tokens),
                                     ("--tpot", tpot)) if v is not None]
        modes = sum(bool(x) for x in (claim_id, claim, bound_opts))
        if modes > 1:
            raise UsageError("give one of: a claim id, --claim EXPRESSION, or --system/--model/--decode-tokens-per-chip")
        if tolerance is not None and claim is None:
            raise UsageError("--tolerance applies to --claim only")
        extra = [n for n, val in (("--batch", batch), ("--context", context), ("--chips", chips), ("--tp", tp))
                 if val is not None] + (["--mtp"] if mtp else []) + (["--device"] if device != "package" else [])
        if extra and not bound_opts:
            raise UsageError(f"{', '.join(extra)} applies to a throughput claim (--system/--model/--decode-tokens-per-chip)")
        cat = _catalog(specs, sets, prefer, claims=True)
        if claim is not None:
            tol = _tolerance(tolerance)
            v = claims.adhoc(cat, claim, tol)
            emit([claims_report.claim_table(v, cat)], fmt, output, force, cat, ranges=True, fragment=fragment)
            return
        if bound_opts:
            spec = _bound_spec(system, model, tokens, tpot, batch, context, precision, kv_precision, device, chips, tp, mtp)
            v = claims.adhoc_bound(cat, spec)
            emit([claims_report.claim_table(v, cat)], fmt, output, force, cat, ranges=True, fragment=fragment)
            return
        if claim_id is not None:
            c = _find(cat, claim_id)
            emit([claims_report.claim_table(claims.verdict(cat, c), cat)], fmt, output, force, cat, ranges=True, fragment=fragment)
            return
        if not cat.claims:
            raise UsageError("the catalog has no claims (specs/claims/*.toml)")
        verdicts = claims.all_verdicts(cat) if sets or prefer else claims.cached_verdicts(cat)
        emit(claims_report.check_tables(verdicts, cat, working=not brief), fmt, output, force, cat, ranges=ranges, fragment=fragment)

    guarded(body)


def _find(cat, name: str):
    import difflib

    from chipcalc.core.errors import UsageError

    key = name.strip().lower()
    if key in cat.claims:
        return cat.claims[key]
    close = difflib.get_close_matches(key, list(cat.claims), n=3, cutoff=0.4)
    hint = f"; did you mean {' or '.join(close)}?" if close else "; `chipcalc check` lists them"
    raise UsageError(f"unknown claim '{name}'{hint}")


def _tolerance(text: Optional[str]) -> Optional[float]:
    if text is None:
        return None
    from chipcalc.claims.records import tolerance_of
    from chipcalc.core.errors import UnitError, UsageError

    try:
        return tolerance_of(text)
    except UnitError as exc:
        raise UsageError(f"--tolerance: {exc}") from None


def _quantity(text: str, option: str, dim: str, example: str, default_unit: str = ""):
    from chipcalc.core.errors import UnitError, UsageError
    from chipcalc.core.figure import Figure, Provenance
    from chipcalc.core.units import check_dimension, parse

    try:
        q = parse(text)
    except UnitError as exc:
        raise UsageError(f"{option}: {exc}") from None
    if q.dimensionless and default_unit:
        q = q.m * parse(f"1 {default_unit}")
    if not check_dimension(q, dim) or not 0 < float(q.magnitude) < float("inf"):
        raise UsageError(f"{option} must be a positive value like {example}, got '{text}'")
    return Figure(q, Provenance.assume("ad-hoc claim", f"{option} {text}, given on the command line"), label=option)


def _upper_bound(text: str, option: str) -> str:
    """'<=50ms', '<50ms' and '≤50ms' say what --tpot means (at most); '>50ms' bounds nothing: an error."""
    from chipcalc.core.errors import UsageError

    t = text.strip()
    for op in ("<=", "≤", "<"):
        if t.startswith(op):
            return t[len(op):].strip()
    if t[:1] in (">", "≥", "=", "~", "≈"):
        rest = t.lstrip(">≥=~≈ ")
        why = f" (a TPOT above {rest} bounds nothing)" if t[:1] in (">", "≥") else ""
        raise UsageError(f"{option} '{text}': {option} is an upper bound, the most a token may take{why}; "
                         f"write {option} {rest}")
    return text


def _bound_spec(system, model, tokens, tpot, batch, context, precision, kv_precision, device, chips, tp, mtp):
    from chipcalc.catalog import schema
    from chipcalc.claims.bound import BoundSpec
    from chipcalc.core.errors import UsageError

    need = [n for n, v in (("--system", system), ("--model", model), ("--decode-tokens-per-chip", tokens)) if v is None]
    if need:
        raise UsageError(f"a throughput claim needs {', '.join(need)} (e.g. --system cloudmatrix384 --model deepseek-r1 "
                         "--decode-tokens-per-chip 1943 --tpot 50ms)")
    if tpot is None and batch is None:
        raise UsageError("a throughput claim needs --tpot (or --batch) to imply the batch per chip")
    for opt, val in (("--precision", precision), ("--kv-precision", kv_precision)):
        if val.lower() not in schema.PRECISIONS:
            raise UsageError(f"{opt} '{val}' is not one of {', '.join(schema.PRECISIONS)}")
    if device not in ("package", "die"):
        raise UsageError(f"--device must be 'package' or 'die', not '{device}'")
    for opt, val, low in (("--batch", batch, 1), ("--context", context, 1), ("--chips", chips, 1), ("--tp", tp, 1), ("--mtp", mtp, 0)):
        if val is not None and val != "max" and val < low:
            raise UsageError(f"{opt} must be at least {low}, got {val}")
    thr = _quantity(tokens, "--decode-tokens-per-chip", "throughput", "1943 or '1943 token/s'", "token/s")
    tpot_fig = None if tpot is None else _quantity(_upper_bound(tpot, "--tpot"), "--tpot", "time", "50ms")
    return BoundSpec(system, model, thr, tpot_fig, batch, context, precision.lower(), kv_precision.lower(), device,
                     chips, mtp, tp)


@app.command("fleet")
def fleet_cmd(
    fleets: Optional[List[str]] = typer.Argument(None, help="Fleets side by side: CHIP:COUNT (200000, 200k, 1.5M) or CHIP:VOLUME; join items of one fleet with +.", metavar="[FLEET]..."),
    sets: Optional[List[str]] = SetOpt,
    prefer: Optional[str] = PreferOpt,
    specs: Optional[List[Path]] = SpecsOpt,
    fmt: Optional[str] = FormatOpt,
    fragment: bool = FragmentOpt,
    output: Optional[Path] = OutputOpt,
    force: bool = ForceOpt,
    ranges: bool = RangesOpt,
) -> None:
    """What a fleet of chips adds up to: compute per precision, HBM, power; fleets side by side.

    Examples: `chipcalc fleet ascend-910c:200000 h20:1000000`, `chipcalc fleet ascend-910c:huawei-ascend-2025
    h20-2024` (named, sourced volumes with ranges). With no argument, the named volumes are listed.
    """

    def body() -> None:
        from chipcalc.calc import fleet
        from chipcalc.output import claims_tables as claims_report

        cat = _catalog(specs, sets, prefer, claims=True)
        if not fleets:
            emit([claims_report.volumes_table(cat)], fmt, output, force, cat, ranges=True, fragment=fragment)
            return
        parsed = [fleet.parse_fleet(cat, f) for f in fleets]
        emit([claims_report.fleet_table(parsed)], fmt, output, force, cat, ranges=ranges, fragment=fragment)

    guarded(body)
