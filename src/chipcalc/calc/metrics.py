"""One number from a catalog, for `chipcalc sensitivity`: a serving metric (TPOT, TTFT, tokens/s) of a
model on a target, or a training metric (time, chip-hours) of a model on chips; and the uncertain inputs
each rests on (figures with a range or disagreeing sources), by their --set names.

Pure functions of the catalog: the sensitivity loop (:func:`chipcalc.calc.ranges.sensitivity`) puts one
input at its low or high end into the catalog and asks for the metric again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chipcalc.catalog.overrides import inputs_of_system
from chipcalc.catalog.records import System
from chipcalc.core.errors import ChipcalcError, UsageError
from chipcalc.core.figure import Figure

#: name -> (phase, output, unit, what it is)
SERVING = {
    "tpot": ("decode", "tpot", "ms", "time per output token"),
    "tokens_per_s_per_chip": ("decode", "per_chip", "token/s", "decode tokens/s per chip"),
    "tokens_per_s_system": ("decode", "per_system", "token/s", "decode tokens/s of the deployment"),
    "tokens_per_s_per_kw": ("decode", "per_kw", "token/s/kW", "decode tokens/s per kW"),
    "ttft": ("prefill", "ttft", "ms", "time to first token (one prefill step)"),
    "prefill_tokens_per_s_per_chip": ("prefill", "per_chip", "token/s", "prefill tokens/s per chip"),
}
#: name -> (unit, what it is)
TRAINING = {
    "train_time": ("day", "wall-clock training time"),
    "chip_hours": ("h", "chip-hours of the training run"),
}


class NoFit(ChipcalcError):
    """The model does not fit at this point: there is no serving metric."""


@dataclass(frozen=True)
class ServingPoint:
    """What the metric is evaluated at: fixed, so that only the inputs move."""

    target: str
    model: str
    precision: str = "bf16"
    kv_precision: str = "bf16"
    batch: int | None = None  # None: the default_batch assumption, read once and then held
    context: int | None = None
    chips: int | None = None  # None: as `chipcalc latency` chooses, once, then held (with tp and ep)
    tp: int | None = None
    ep: int | None = None


@dataclass(frozen=True)
class TrainingPoint:
    target: str
    model: str
    tokens: Figure
    chips: Figure | None = None
    precision: str = "bf16"


def unknown(metric: str, known: list[str], what: str) -> UsageError:
    import difflib

    close = difflib.get_close_matches(metric, known, n=3, cutoff=0.4)
    hint = f"did you mean {' or '.join(close)}?" if close else f"known: {', '.join(known)}"
    return UsageError(f"--metric {metric}: not a {what} metric; {hint}")


def _target_inputs(cat: Any, target: Any) -> dict[str, Figure]:
    if isinstance(target, System):
        return inputs_of_system(cat, target)
    return {f"{target.id}.{k}": f for k, f in target.figures.items()}


def _model_inputs(model: Any) -> dict[str, Figure]:
    return {f"{model.id}.{k}": f for k, f in model.figures.items()}


def _ranged(figs: dict[str, Figure]) -> dict[str, Figure]:
    return {k: f for k, f in figs.items() if f.has_range}


# -- serving -------------------------------------------------------------------------------------

def _case(cat: Any, p: ServingPoint) -> Any:
    from chipcalc.calc.serving import knobs
    from chipcalc.calc.serving.request import Request, run

    req = Request(precision=p.precision, kv_precision=p.kv_precision, batches=(p.batch,), contexts=(p.context,),
                  chips=p.chips, tp=p.tp, ep=p.ep, long_context_option=False)
    case = run(cat, cat.model(p.model), [cat.target(p.target)], req, knobs(cat))[0]
    if not case.fits:
        raise NoFit(f"{p.model} at batch {p.batch} and context {p.context:,} does not fit on {p.target}: "
                            "no serving metric to vary (try a smaller --batch or --context, or more --chips)")
    return case


def resolve_serving(cat: Any, p: ServingPoint) -> ServingPoint:
    """The point with the default batch and context read from the catalog and the layout `chipcalc
    latency` chooses (chips, TP, EP): workload choices, not uncertainties, so the sensitivity holds them."""
    from dataclasses import replace

    b = p.batch if p.batch is not None else int(cat.assumption("default_batch").m(""))
    c = p.context if p.context is not None else int(cat.assumption("default_context").m(""))
    p = replace(p, batch=b, context=c)
    lay = _case(cat, p).lay
    return replace(p, chips=lay.chips, tp=lay.tp, ep=lay.ep)


def serving_metric(cat: Any, p: ServingPoint, metric: str) -> Figure:
    """The metric of ``p`` (resolved: batch, context and layout given) in the catalog ``cat``."""
    from chipcalc.core.figure import at

    if metric not in SERVING:
        raise unknown(metric, list(SERVING), "serving")
    phase, name, unit, _ = SERVING[metric]
    case = _case(cat, p)
    return at(getattr(case.dec if phase == "decode" else case.pre, name), case.i).to(unit)


def serving_metric_or_none(cat: Any, p: ServingPoint, metric: str) -> Figure | None:
    """The metric, or None where the model does not fit (an input at the end of its range can do that)."""
    try:
        return serving_metric(cat, p, metric)
    except NoFit:
        return None


def serving_inputs(cat: Any, p: ServingPoint) -> dict[str, Figure]:
    """The target's, the model's and the latency model's uncertain inputs."""
    from chipcalc.calc import workload
    from chipcalc.calc.serving.hardware import FP4_KNOBS, FP8_KV_KNOBS, KNOBS, QUANT_KNOBS

    out = _ranged(_target_inputs(cat, cat.target(p.target)))
    knobs = [n for n in KNOBS if (n not in FP8_KV_KNOBS or p.kv_precision == "fp8") and (n not in FP4_KNOBS or p.precision == "fp4")
             and (n not in QUANT_KNOBS or workload.keeps_embeddings_wider(p.precision))]
    out.update(_ranged({n: cat.assumption(n) for n in knobs}))
    out.update(_ranged(_model_inputs(cat.model(p.model))))
    return out


# -- training ------------------------------------------------------------------------------------

def training_metric(cat: Any, p: TrainingPoint, metric: str) -> Figure:
    from chipcalc.calc import train

    if metric not in TRAINING:
        raise unknown(metric, list(TRAINING), "training")
    model = cat.model(p.model)
    a = train.assumptions(cat)
    fc = train.training_flops(model, p.tokens, a["train_seq_len"], a["train_attention_causal_fraction"])
    r = train.run(model, train.make_target(cat.target(p.target), p.chips, cat.systems), fc, p.precision, a)
    fig = r.time if metric == "train_time" else r.hours
    return fig.to(TRAINING[metric][0])


def training_inputs(cat: Any, p: TrainingPoint) -> dict[str, Figure]:
    from chipcalc.calc import train

    out = _ranged(_target_inputs(cat, cat.target(p.target)))
    out.update(_ranged({n: cat.assumption(n) for n in train.ASSUMPTIONS}))
    out.update(_ranged(_model_inputs(cat.model(p.model))))
    return out
