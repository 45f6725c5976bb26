"""The compiled path (units and provenance traced once, numbers on SI floats, ranges on float triples)
equals the Figure path (the same formulas on Figures: pint, provenance and interval arithmetic in every
operation), on random deployments: nominal values, ranges and provenance sets (issue 12)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chipcalc.calc import serving as L
from chipcalc.calc.serving import formulas as F
from chipcalc.calc.serving.values import FigureOps
from chipcalc.core.errors import ChipcalcError
from chipcalc.core.figure import Figure

TARGETS = ["cloudmatrix384", "gb200-nvl72", "hgx-h20", "dgx-h100", "h800-node", "h20", "h100-sxm", "ascend-910c", "b200"]
MODELS = ["deepseek-r1", "llama-3.1-70b", "llama-3.1-405b", "qwen3-235b-a22b"]


def close(actual, desired, msg):
    """numpy.testing.assert_allclose(actual, desired, rtol=1e-9) (atol 0, NaN equal to NaN, shapes that
    broadcast), without its report-building cost: this test compares ~10^4 values."""
    a, d = np.asarray(actual, dtype=float), np.asarray(desired, dtype=float)
    np.broadcast_shapes(a.shape, d.shape)
    with np.errstate(invalid="ignore"):
        ok = (a == d) | (np.abs(a - d) <= 1e-9 * np.abs(d)) | (np.isnan(a) & np.isnan(d))
    assert ok.all(), f"{msg}: {a} != {d} (rtol 1e-9)"


def _mag(q, u):
    return q.magnitude if q.units == u else q.m_as(u)


def assert_same(name, ref, fig):
    if ref is None or fig is None:
        assert ref is None and fig is None, name
        return
    if not isinstance(ref, Figure):
        assert not isinstance(fig, Figure) or not fig.prov.sources and not fig.prov.assumptions, name
        r = ref.to_base_units().magnitude if hasattr(ref, "to_base_units") else ref
        f = fig.q.to_base_units().magnitude if isinstance(fig, Figure) else fig
        close(f, r, name)
        return
    u = ref.q.units
    close(_mag(fig.q, u), ref.q.magnitude, name)
    close(_mag(fig.lo, u), _mag(ref.lo, u), f"{name} low")
    close(_mag(fig.hi, u), _mag(ref.hi, u), f"{name} high")
    assert fig.prov == ref.prov, name
    ranged = ref.has_range
    assert fig.has_range == ranged, name
    if ranged:
        assert fig.range_prov == ref.range_prov, name


@st.composite
def deployment(draw, catalog):
    target = catalog.target(draw(st.sampled_from(TARGETS)))
    model = catalog.model(draw(st.sampled_from(MODELS)))
    chip = getattr(target, "chip", target)
    precs = [p for p in ("bf16", "fp8", "int8", "fp4") if chip.get(f"{p}_dense") is not None]
    precision = draw(st.sampled_from(precs))
    device = draw(st.sampled_from(["package", "die"])) if chip.get("dies") is not None else "package"
    kn = L.knobs(catalog)
    hw = L.hardware(target, precision, device, kn)
    mtp = draw(st.sampled_from([0, 1, 2])) if model.get("mtp_modules") is not None else 0
    pp = draw(st.sampled_from([1, 2, 3, 4, 8])) if model.architecture != "moe" else 1
    offload = draw(st.sampled_from([0.0, 0.0, 0.3, 1.0])) if hw.host is not None else 0.0
    batch = draw(st.integers(1, 512))
    context = draw(st.integers(1, 200_000))
    kvp = draw(st.sampled_from(["bf16", "fp8"]))
    try:
        lay = L.auto_layout(model, hw, kn, batch, context, kvp, None, None, None, mtp, pp, offload)
    except ChipcalcError:
        return None
    return model, hw, kn, lay, kvp, batch, context


@settings(max_examples=60, derandomize=True, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_compiled_equals_the_figure_path(catalog, data):
    d = data.draw(deployment(catalog))
    if d is None:
        return
    _same_on_both_paths(*d)


#: Pipelines the random draw may miss: an uneven split (126 layers in 4 or 8 stages), hops across scale-up
#: domains (16 H20s in two 8-GPU domains; 144 GB200s in two NVL72s), a bare chip's links, die ranks.
PP_LAYOUTS = [
    ("hgx-h20", "llama-3.1-70b", "fp8", "package", 8, 4, 2),
    ("hgx-h20", "llama-3.1-70b", "fp8", "package", 16, 8, 2),
    ("gb200-nvl72", "llama-3.1-405b", "fp8", "package", 144, 4, 4),
    ("h100-sxm", "llama-3.1-405b", "bf16", "package", 8, 1, 8),
    ("cloudmatrix384", "llama-3.1-70b", "int8", "die", 384, 8, 4),
]


@pytest.mark.parametrize("target, model, precision, device, chips, tp, pp", PP_LAYOUTS)
def test_compiled_equals_the_figure_path_with_pipeline_stages(catalog, target, model, precision, device, chips, tp, pp):
    kn = L.knobs(catalog)
    m = catalog.model(model)
    hw = L.hardware(catalog.target(target), precision, device, kn)
    lay = L.layout(m, hw, chips, tp, None, 0, pp)
    s = L.shape(m, hw, lay)
    assert s.pp == pp and s.pp_up + s.pp_out == pp - 1
    _same_on_both_paths(m, hw, kn, lay, "bf16", 16, 4096)


@pytest.mark.parametrize("model, precision, device, chips, tp, share", [
    ("llama-3.1-70b", "fp8", "package", 8, 8, 0.5),
    ("llama-3.1-70b", "fp8", "die", 4, 4, 1.0),  # all of it in host memory, die ranks
    ("deepseek-r1", "fp4", "package", 72, 1, 0.25),  # MLA, experts spread over the NVL72
])
def test_compiled_equals_the_figure_path_with_kv_offload(catalog, model, precision, device, chips, tp, share):
    kn = L.knobs(catalog)
    m = catalog.model(model)
    hw = L.hardware(catalog.target("gb200-nvl72"), precision, device, kn)
    lay = L.layout(m, hw, chips, tp, None, 0, 1, share)
    assert L.shape(m, hw, lay).kv_offload == share
    _same_on_both_paths(m, hw, kn, lay, "fp8", 32, 8192)


def _same_on_both_paths(model, hw, kn, lay, kvp, batch, context):
    setup = L.setup_for(model, hw, kn, kvp)
    s = L.shape(model, hw, lay)
    b, c = np.array([float(batch), batch * 2.0]), np.array([float(context), context / 2.0])
    lengths = (float(context), float(max(1, context // 4)))
    phases = (("decode", (b, c), F.decode), ("prefill", (c, c / lay.tp / hw.rpc), F.prefill),
              ("offline", (b, lengths), F.offline), ("inflight", (b, lengths), F.inflight))
    for phase, args, formula in phases:
        try:
            ref = formula(FigureOps, setup.inputs("figure"), s, *args)
        except ChipcalcError as exc:  # an impossible deployment: the compiled path says the same
            with pytest.raises(ChipcalcError, match=str(exc)[:40].replace("(", r"\(").replace(")", r"\)")):
                L.Outputs(setup, phase, s, *args)
            continue
        out = L.Outputs(setup, phase, s, *args)
        for name, value in ref.items():
            if isinstance(value, list):
                for i, v in enumerate(value):
                    assert_same(f"{phase}.{name}[{i}]", v, out.figure(name, index=i))
            else:
                assert_same(f"{phase}.{name}", value, out.figure(name))


def test_units_are_checked_when_the_calculation_is_set_up(catalog, tmp_path):
    """A wrongly-dimensioned assumption fails once, at set-up, with a one-line error naming it."""
    from dataclasses import replace

    from chipcalc.core.figure import Provenance
    from chipcalc.core.units import Q

    bad = Figure(Q(20, "GB"), Provenance.assume("layer_overhead", "a test: a size where a time belongs"))
    kn = replace(L.knobs(catalog), layer=bad)
    model, hw = catalog.model("llama-3.1-70b"), L.hardware(catalog.target("hgx-h20"), "fp8", "package", kn)
    lay = L.layout(model, hw, 8, tp=8)
    with pytest.raises(ChipcalcError, match=r"units do not agree: cannot add .*layer.*\[B\]"):
        L.decode(model, hw, lay, kn, 8, 4096)


def test_one_trace_serves_every_batch(catalog):
    """Tracing is per structure, not per number: a thousand batches, one decode trace."""
    model, kn = catalog.model("deepseek-r1"), L.knobs(catalog)
    hw = L.hardware(catalog.target("cloudmatrix384"), "int8", "die", kn)
    lay = L.layout(model, hw, 384, tp=1, ep=768)
    setup = L.setup_for(model, hw, kn, "bf16")
    for b in range(1, 1001, 37):
        L.Outputs(setup, "decode", L.shape(model, hw, lay), float(b), 4096.0)
    assert sum(1 for k in setup._traces if k[0] == "decode") == 1
