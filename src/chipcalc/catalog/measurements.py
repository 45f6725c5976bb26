"""Published serving measurements (``specs/measurements*.toml``): each point's set-up, its measured
throughput and TPOT, and the source it comes from. The calculation layer runs the model on them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chipcalc.core.errors import Problem, SpecError, UnitError

SETUP_KEYS = {"target", "model", "phase", "precision", "kv_precision", "device", "chips", "tp", "ep", "mtp",
              "batch", "context", "prefill_tokens", "isl", "osl", "cache_hit", "perfect_balance"}
#: ``fitted = true`` marks a point an assumption's value was chosen by (reported apart from the rest).
OTHER_KEYS = {"source", "detail", "tokens_per_chip", "tpot", "tpot_kind", "note", "fitted"}
PHASES = ("decode", "prefill", "offline")


@dataclass(frozen=True)
class Measurement:
    id: str
    source: str
    detail: str
    setup: dict[str, Any]
    tokens_per_chip: Any  # quantity, token/s
    tpot: Any = None  # quantity, time
    tpot_kind: str = "measured"
    note: str = ""
    file: str = ""
    fitted: bool = False  # an assumption's value was chosen by looking at this point

    @property
    def phase(self) -> str:
        return self.setup["phase"]


def load_measurements(catalog: Any) -> list[Measurement]:
    from chipcalc.catalog.read import _read_toml
    from chipcalc.core.units import check_dimension, parse

    out: list[Measurement] = []
    problems: list[Problem] = []
    for root in catalog.folders:
        for path in sorted(Path(root).glob("measurements*.toml")):
            shown = f"{Path(root).name}/{path.name}"
            data = _read_toml(path, shown, problems)  # malformed, not UTF-8, nested too deep: one problem
            if data is None:
                continue
            for mid, e in data.items():
                if not isinstance(e, dict) or "tokens_per_chip" not in e:
                    problems.append(Problem(shown, mid, "must be a table with source, tokens_per_chip and the set-up"))
                    continue
                unknown = set(e) - SETUP_KEYS - OTHER_KEYS
                if unknown:
                    problems.append(Problem(shown, mid, f"unknown key(s) {', '.join(sorted(unknown))}"))
                    continue
                if e.get("source") not in catalog.sources:
                    problems.append(Problem(shown, f"{mid}.source", f"'{e.get('source')}' is not in the bibliography"))
                    continue
                try:
                    tok = parse(e["tokens_per_chip"])
                    tpot = parse(e["tpot"]) if "tpot" in e else None
                except UnitError as exc:
                    problems.append(Problem(shown, mid, str(exc)))
                    continue
                if not check_dimension(tok, "throughput"):
                    problems.append(Problem(shown, f"{mid}.tokens_per_chip", "expected tokens per second like '1943 token/s'"))
                    continue
                if tpot is not None and not check_dimension(tpot, "time"):
                    problems.append(Problem(shown, f"{mid}.tpot", "expected a time like '49.4 ms'"))
                    continue
                setup = {k: v for k, v in e.items() if k in SETUP_KEYS}
                if setup.get("phase") not in PHASES:
                    problems.append(Problem(shown, f"{mid}.phase", f"'{setup.get('phase')}' is not one of {', '.join(PHASES)}"))
                    continue
                if setup["phase"] == "offline" and not (isinstance(e.get("isl"), int) and isinstance(e.get("osl"), int)):
                    problems.append(Problem(shown, mid, "an offline point needs isl and osl (input and output tokens)"))
                    continue
                if setup.get("batch") == "tpot" and (tpot is None or e.get("tpot_kind") != "ceiling"):
                    problems.append(Problem(shown, f"{mid}.batch", "batch = 'tpot' (the largest batch meeting the TPOT limit) "
                                            "needs tpot with tpot_kind = 'ceiling'"))
                    continue
                if not isinstance(e.get("fitted", False), bool):
                    problems.append(Problem(shown, f"{mid}.fitted", "must be true or false"))
                    continue
                out.append(Measurement(mid, e["source"], e.get("detail", ""), setup, tok, tpot,
                                       e.get("tpot_kind", "measured"), e.get("note", ""), shown, e.get("fitted", False)))
    if problems:
        raise SpecError(problems)
    return out
