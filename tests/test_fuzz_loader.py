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

from chipcalc.claims.load import load
from chipcalc.core.errors import Problem

BASE = {
    "sources.toml": tomllib.loads(SOURCES),
    "chips/testchip.toml": tomllib.loads(CHIP),
    "systems/testsys.toml": tomllib.loads(SYSTEM),
}

FUZZ = settings(max_examples=2500, derandomize=True, deadline=None, database=None,
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


@FUZZ
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
