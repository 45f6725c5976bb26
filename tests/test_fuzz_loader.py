"""Issue 8: fuzz the catalog loader with generated and mutated spec files.

Every case must either load cleanly or end in the project's own problems list (file + field +
message); no other exception may escape, and `chipcalc validate` must answer in one exit code
without a traceback. Hypothesis runs derandomized so CI is reproducible.
"""

from __future__ import annotations

import copy
import math
import shutil
import tempfile
import tomllib
from pathlib import Path

import tomli_w
from conftest import CHIP, SOURCES, SYSTEM
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chipcalc.catalog import schema
from chipcalc.claims.load import load
from chipcalc.core.errors import Problem

BASE = {
    "sources.toml": tomllib.loads(SOURCES),
    "chips/testchip.toml": tomllib.loads(CHIP),
    "systems/testsys.toml": tomllib.loads(SYSTEM),
}

FUZZ = settings(max_examples=200, derandomize=True, deadline=None, database=None,
                suppress_health_check=list(HealthCheck))
RULES = settings(max_examples=50, derandomize=True, deadline=None, database=None,
                 suppress_health_check=list(HealthCheck))

UNITS = ["", "W", "kW", "TFLOPS", "TOPS", "GB", "GiB", "TB/s", "TiB/s", "Gbit/s", "Gb/s", "s", "us", "h",
         "token/s", "FLOP/B", "°C", "furlong", "%", "B", "W/W", "1/s"]
NUMBERS = st.one_of(
    st.integers(-10**30, 10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["0", "-0", "1e400", "nan", "inf", "-inf", "1e-320", "0x10", "1_000", "1,943", "2 * 3", "(", "2 **", "e"]),
)
QUANTITY = st.builds(lambda n, u, sep: f"{n}{sep}{u}", NUMBERS, st.sampled_from(UNITS), st.sampled_from([" ", "", "  "]))
SCALARS = st.one_of(
    QUANTITY,
    st.text(max_size=30),
    st.integers(-10**6, 10**6),
    st.floats(allow_nan=False, allow_infinity=False),  # TOML cannot write NaN through tomli-w reliably
    st.booleans(),
    st.just([]),
    st.just({}),
    st.sampled_from(["src-a", "src-b", "src-zz", "", "die", "bi", "package", "scale-up", "scale-out", "testchip", "nochip", "ü∂ƒ"]),
)


def paths(obj, prefix=()):
    """Every (path) to a value in nested dicts/lists."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield prefix + (k,)
            yield from paths(v, prefix + (k,))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield prefix + (i,)
            yield from paths(v, prefix + (i,))


def set_at(obj, path, value):
    for p in path[:-1]:
        obj = obj[p]
    obj[path[-1]] = value


def del_at(obj, path):
    for p in path[:-1]:
        obj = obj[p]
    del obj[path[-1]]


@st.composite
def mutated_specs(draw):
    files = copy.deepcopy(BASE)
    for _ in range(draw(st.integers(1, 4))):
        name = draw(st.sampled_from(sorted(files)))
        all_paths = list(paths(files[name]))
        if not all_paths:
            continue
        path = draw(st.sampled_from(all_paths))
        action = draw(st.sampled_from(["set", "set", "set", "delete", "add"]))
        if action == "set":
            set_at(files[name], path, draw(SCALARS))
        elif action == "delete":
            del_at(files[name], path)
        else:
            target = files[name]
            for p in path[:-1]:
                target = target[p]
            if isinstance(target, dict):
                target[draw(st.sampled_from(["value", "source", "assumption", "low", "high", "per", "direction",
                                             "alternatives", "bogus", "fp8_dense", "tdp", "dies", "chips", "power"]))] = draw(SCALARS)
    return files


def write(files, root: Path):
    if root.exists():
        shutil.rmtree(root)
    for rel, data in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(tomli_w.dumps(data).encode())


def check_problems(problems):
    for p in problems:
        assert isinstance(p, Problem)
        assert p.file and p.message
        assert "\n" not in str(p)


@FUZZ
@given(mutated_specs())
def test_mutated_specs_load_or_report(files):
    root = Path(tempfile.mkdtemp(prefix="chipcalc-fuzz-")) / "specs"
    try:
        try:
            write(files, root)
        except (TypeError, ValueError):
            return  # not representable as TOML (e.g. a list of mixed types): nothing to load
        cat, problems = load([root], builtin=False)
        check_problems(problems)
        if not problems:
            # whatever loaded is internally consistent: finite positive figures with provenance
            for c in cat.chips.values():
                for f in c.figures.values():
                    m = float(f.q.magnitude)
                    assert math.isfinite(m) and m > 0
                    assert f.prov.sources or f.prov.assumptions
    finally:
        shutil.rmtree(root.parent, ignore_errors=True)


@settings(max_examples=120, derandomize=True, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from(sorted(BASE)), st.integers(0, 2000), st.text(max_size=8), st.integers(0, 8))
def test_corrupted_toml_text_is_reported(name, pos, junk, cut):
    root = Path(tempfile.mkdtemp(prefix="chipcalc-fuzz-")) / "specs"
    try:
        write(BASE, root)
        p = root / name
        text = p.read_text()
        pos = pos % (len(text) + 1)
        p.write_bytes((text[:pos] + junk + text[pos + cut:]).encode("utf-8", "surrogatepass"))
        cat, problems = load([root], builtin=False)
        check_problems(problems)
    finally:
        shutil.rmtree(root.parent, ignore_errors=True)


# -- issue 16: the record rules, fuzzed: whatever loads without a problem obeys them -------------------

def load_files(files):
    root = Path(tempfile.mkdtemp(prefix="chipcalc-fuzz-")) / "specs"
    try:
        write(files, root)
        cat, problems = load([root], builtin=False)
        check_problems(problems)
        return cat, problems
    finally:
        shutil.rmtree(root.parent, ignore_errors=True)


ASSUMPTION_NAMES = sorted(schema.ASSUMPTIONS)


@st.composite
def assumption_files(draw):
    name = draw(st.one_of(st.sampled_from(ASSUMPTION_NAMES),
                          st.sampled_from(ASSUMPTION_NAMES).map(lambda n: n + draw(st.sampled_from(["u", "_", "s"]))),
                          st.sampled_from(ASSUMPTION_NAMES).map(lambda n: n[:-1])))
    value = draw(st.one_of(QUANTITY, st.sampled_from(["0.5", "2", "60 %", "150 %", "20 us", "20 GB", "2 W", "2 s", "1e12",
                                                      "32", "0.5 B", "70 B", "16e6 token", "1e13 token", "1e308", "-1"])))
    entry = {"value": value, "assumption": "a fuzzed assumption for the rule test"}
    for key in ("low", "high"):
        if draw(st.booleans()):
            entry[key] = draw(QUANTITY)
    return name, {"sources.toml": BASE["sources.toml"], "assumptions.toml": {name: entry}}


@RULES
@given(assumption_files())
def test_loaded_assumptions_obey_their_schema(case):
    from chipcalc.core.units import check_dimension, parse

    name, files = case
    cat, problems = load_files(files)
    if name not in schema.ASSUMPTIONS:
        assert any(p.field == name and "unknown assumption" in p.message for p in problems)
        return
    if not problems:
        dim, top, _ = schema.ASSUMPTIONS[name]
        f = cat.assumptions[name]
        for q in (f.q, f.lo, f.hi):
            assert check_dimension(q, dim) if dim != "count" else q.dimensionless
            m = float(q.m_as(parse(top).units))
            assert 0 < m <= float(parse(top).magnitude) * (1 + 1e-12)
            if dim == "fraction":
                assert float(q.m_as("")) <= 1


MODEL = {"id": "testmodel", "name": "Test Model", "vendor": "Test", "architecture": "dense", "attention": "gqa"}
COUNTS = st.one_of(st.integers(1, 256), st.sampled_from([7, 8, 64, 128, 8192, 8000, 8100]))


@st.composite
def model_shapes(draw):
    figs = {"params_total": draw(st.sampled_from([7e10, 1e9, 6.71e11])), "layers": 80, "head_dim": 128, "vocab_size": 128256,
            "attention_heads": draw(COUNTS), "kv_heads": draw(COUNTS), "hidden_size": draw(st.sampled_from([4096, 7168, 8192, 8000, 5120])),
            "routed_experts": draw(st.integers(1, 300)), "experts_per_token": draw(st.integers(1, 16))}
    figs["params_active"] = figs["params_total"] * draw(st.sampled_from([0.05, 1.0, 1.2, 10]))
    moe = draw(st.booleans())
    model = dict(MODEL, architecture="moe" if moe else "dense")
    for k, v in figs.items():
        if not moe and k in ("routed_experts", "experts_per_token"):
            continue
        model[k] = {"value": repr(float(v)) if isinstance(v, float) else str(v), "source": "src-a"}
    if moe:
        model["moe_intermediate_size"] = {"value": "2048", "source": "src-a"}
        model["moe_layers"] = {"value": str(draw(st.sampled_from([58, 80, 81]))), "source": "src-a"}
    return {"sources.toml": BASE["sources.toml"], "models/testmodel.toml": model}


@RULES
@given(model_shapes())
def test_loaded_models_have_possible_shapes(files):
    cat, problems = load_files(files)
    if problems:
        assert all(p.file.endswith("testmodel.toml") for p in problems)
        return
    m = cat.models["testmodel"]
    n = lambda k: float(m.get(k).m(""))  # noqa: E731
    assert n("kv_heads") <= n("attention_heads") and n("attention_heads") % n("kv_heads") == 0
    assert n("params_active") <= n("params_total")
    assert n("hidden_size") % n("attention_heads") == 0
    if m.get("routed_experts") is not None:
        assert n("experts_per_token") <= n("routed_experts") and n("moe_layers") <= n("layers")


@st.composite
def systems_power(draw):
    files = copy.deepcopy(BASE)
    sysd = files["systems/testsys.toml"]
    sysd["chips"]["value"] = str(draw(st.sampled_from([1, 2, 10, 384])))
    sysd["power"]["value"] = draw(st.sampled_from(["100 W", "1 kW", "4.99 kW", "5 kW", "8 kW", "559 kW", "1 MW"]))
    if draw(st.booleans()):
        sysd["power"]["low"] = draw(st.sampled_from(["50 W", "1 kW", "4 kW"]))
    files["chips/testchip.toml"]["tdp"]["value"] = draw(st.sampled_from(["1 W", "400 W", "500 W", "1.2 kW"]))
    if draw(st.booleans()):
        files["chips/testchip.toml"]["tdp"]["low"] = draw(st.sampled_from(["1 W", "300 W"]))
    if draw(st.booleans()):
        del sysd["tier"]
    elif int(sysd["chips"]["value"]) < 10:
        sysd["tier"][0]["size"]["value"] = sysd["chips"]["value"]
    return files


@RULES
@given(systems_power())
def test_loaded_systems_draw_at_least_their_chips_tdp_and_tierless_ones_are_said(files):
    cat, problems = load_files(files)
    if problems or "testsys" not in cat.systems:
        return
    s = cat.systems["testsys"]
    n = float(s.chips.m(""))
    assert float(s.power.hi.m_as("W")) >= n * float(s.chip["tdp"].lo.m_as("W")) * (1 - 1e-9)
    from chipcalc.catalog.lint import warnings

    assert (n > 1 and not s.tiers) == any(w.field == "tier" for w in warnings(cat))  # said, never silent


@st.composite
def source_dates_urls(draw):
    files = copy.deepcopy(BASE)
    src = files["sources.toml"]["src-a"]
    y, mo, d = draw(st.integers(0, 10000)), draw(st.integers(0, 14)), draw(st.integers(0, 46))
    src["date"] = draw(st.one_of(st.just(f"{y:04d}-{mo:02d}-{d:02d}"), st.just(f"{y:04d}-{mo:02d}"), st.just(f"{y}"),
                                 st.text(max_size=12), st.sampled_from(["2025-13-45", "2025-02-29", "2024-02-29", "n.d.", "2025/01/01"])))
    src["url"] = draw(st.one_of(st.sampled_from(["not a url", "https://", "http://x", "ftp://example.org/a", "https://a b/c",
                                                 "www.example.org", "https://example.org/a?b=c#d", "javascript:alert(1)"]),
                                st.text(max_size=20)))
    return files


@RULES
@given(source_dates_urls())
def test_loaded_sources_have_real_dates_and_urls(files):
    import datetime
    from urllib.parse import urlsplit

    cat, problems = load_files(files)
    if any(p.field.startswith("src-a") for p in problems):
        return
    s = cat.sources["src-a"]
    parts = [int(x) for x in s.date.split("-")]
    datetime.date(parts[0], *(parts[1:] + [1, 1])[:2])  # raises on a date that is not one
    u = urlsplit(s.where)
    assert u.scheme in ("http", "https") and u.netloc and " " not in s.where
