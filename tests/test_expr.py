"""The claim expression language: tokenizer, precedence, units, references, and its errors."""

import pytest

from chipcalc.claims import evaluate, expr, figref
from chipcalc.claims.records import check_units


def ev(text, env=None):
    node = expr.parse(text)
    return evaluate.value(node, env or (lambda r: pytest.fail(f"unexpected reference {r.name}")))


@pytest.mark.parametrize("text, want", [
    ("1 + 2 * 3", 7),
    ("(1 + 2) * 3", 9),
    ("8 / 4 / 2", 1),          # left-associative
    ("10 - 4 - 3", 3),
    ("-2 + 3", 1),
    ("2 * -3", -6),
    ("1,943", 1943),           # thousands separators
    ("1_000", 1000),
    ("1.5e3", 1500),
    ("2x", 2),                 # a plain factor
    ("2×", 2),
    ("50%", 0.5),
    ("4 TB/s / 2 TB/s", 2),    # a ratio of like quantities is reduced
    ("1 PFLOPS / 1 TFLOPS", 1000),
    ("min(2, 3) + max(2, 3)", 5),
    ("ratio(3 W, 1.5 W)", 2),
])
def test_arithmetic_and_units(text, want):
    q = ev(text)
    assert q.dimensionless
    assert float(q.m_as("")) == pytest.approx(want)


def test_quantities_keep_their_units():
    assert ev("50 ms").m_as("s") == pytest.approx(0.05)
    assert ev("1943 token/s * 50 ms").m_as("token") == pytest.approx(97.15)
    assert ev("2 * 4 TB/s").m_as("TB/s") == pytest.approx(8)
    assert ev("752 TFLOPS * 200000").m_as("EFLOPS") == pytest.approx(150.4)


def test_comparison_parses_once_at_the_top():
    node = expr.parse("h20.hbm_bandwidth < h100-sxm.hbm_bandwidth * 2")
    assert isinstance(node, expr.Compare) and node.op == "<"
    assert [r.name for r in expr.refs(node)] == ["h20.hbm_bandwidth", "h100-sxm.hbm_bandwidth"]
    assert expr.show(node) == "h20.hbm_bandwidth < h100-sxm.hbm_bandwidth * 2"
    assert expr.parse("a.b ≤ c.d").op == "<=" and expr.parse("a.b ~= c.d").op == "=="


def test_show_keeps_needed_parentheses():
    assert expr.show(expr.parse("a.b / (c.d * e.f)")) == "a.b / (c.d * e.f)"
    assert expr.show(expr.parse("(a.b - c.d) - e.f")) == "a.b - c.d - e.f"
    assert expr.show(expr.parse("a.b - (c.d - e.f)")) == "a.b - (c.d - e.f)"


def test_compare_with_tolerance():
    q = expr.parse("1 PFLOPS").q
    assert evaluate.compare("==", q * 0.96, q, 0.05)
    assert not evaluate.compare("==", q * 0.94, q, 0.05)
    assert evaluate.compare("<", q, q * 2) and not evaluate.compare(">=", q, q * 2)


@pytest.mark.parametrize("text, words", [
    ("", "empty expression"),
    ("h20.hbm_bandwidth <", "expression ends too early at column 20"),
    ("h20.hbm_bandwidth < < 3", "expected a number, a figure or '(' at column 21"),
    ("(1 + 2", "expected ')' at column 7"),
    ("1 + 2)", "unexpected token at column 6"),
    ("a.b < c.d < e.f", "only one comparison"),
    ("foo + 1", "unknown name 'foo'"),
    ("4 TBs", "unknown unit 'TBs' at column 3"),
    ("4 Gb/s", "write Gbit (gigabit) or GB (gigabyte)"),
    ("2 * (3 + 4) TB/s", "units follow a number"),
    ("eval(1)", "unknown function 'eval'"),
    ("__import__('os').system('true')", "unexpected character ''' at column 12"),
    ("__import__(1)", "unknown function '__import__'"),
    ("1; 2", "unexpected character ';' at column 2"),
    ("ratio(1)", "ratio() takes 2 arguments"),
])
def test_not_an_expression(text, words):
    with pytest.raises(expr.ExprError) as info:
        expr.parse(text)
    msg = str(info.value)
    assert words in msg
    assert "\n" not in msg


def test_unit_mismatch_is_named_with_column():
    node = expr.parse("1 TB/s < 1 TFLOPS")
    with pytest.raises(expr.ExprError, match=r"unit mismatch at column 8 \('<'\): cannot compare 1 TB/s \(a bandwidth"):
        evaluate.check_compare(node, lambda r: None)
    with pytest.raises(expr.ExprError, match="cannot add 1 W .* and 1 s"):
        ev("1 W + 1 s")
    with pytest.raises(expr.ExprError, match="division by zero"):
        ev("1 W / 0")


# -- references against the real catalog ---------------------------------------------------------

def test_references_resolve(catalog):
    r = lambda name: figref.resolve(catalog, name)  # noqa: E731
    assert r("h20.hbm_bandwidth").m("TB/s") == pytest.approx(4.0)
    assert r("cloudmatrix384.bf16_dense_total").m("PFLOPS") == pytest.approx(384 * 752 / 1000)
    assert r("cloudmatrix384.chips").m("") == 384
    assert r("cloudmatrix384.power").m("kW") == pytest.approx(559)
    assert r("cloudmatrix384.power_per_chip").m("W") == pytest.approx(559e3 / 384)
    assert r("cloudmatrix384.scaleup_bandwidth").m("GB/s") == pytest.approx(392)  # from the system's tier
    assert r("cloudmatrix384.reported.bf16_dense").m("PFLOPS") == pytest.approx(300)
    assert r("ascend-910c.hbm_capacity.per_die").m("GB") == pytest.approx(64)
    assert r("deepseek-r1.params_active").m("") == pytest.approx(37e9)
    assert r("volume.h20-2024").m("") == pytest.approx(1e6)
    assert r("assumption.mbu").m("") == pytest.approx(0.8)


def test_source_selector_picks_one_value_without_range(catalog):
    f = figref.resolve(catalog, "ascend-910c.bf16_dense@semianalysis-cm384")
    assert f.m("TFLOPS") == pytest.approx(780) and not f.has_range
    assert figref.resolve(catalog, "ascend-910c.bf16_dense@msmodeling-device").m("TFLOPS") == pytest.approx(707.8)
    with pytest.raises(expr.ExprError, match="no value from source 'toms-h20'"):
        figref.resolve(catalog, "ascend-910c.bf16_dense@toms-h20")
    with pytest.raises(expr.ExprError, match="gives 2 values"):  # 559 and 600 kW, both SemiAnalysis
        figref.resolve(catalog, "cloudmatrix384.power@semianalysis-cm384")


def test_system_totals_keep_disagreeing_sources(catalog):
    f = figref.resolve(catalog, "cloudmatrix384.bf16_dense_total")
    assert f.bounds("PFLOPS")[1:] == pytest.approx((384 * 707.8 / 1000, 384 * 780 / 1000))
    srcs = {s.id for a in f.alternatives for s in a.prov.sources}
    assert {"semianalysis-cm384", "msmodeling-device"} <= srcs


@pytest.mark.parametrize("text, words", [
    ("h20.hbm_bandwith < 3 TB/s", "unknown figure 'h20.hbm_bandwith'"),
    ("h20.hbm_bandwith < 3 TB/s", "did you mean h20.hbm_bandwidth"),
    ("h20.hbm_bandwith < 3 TB/s", "at column 1"),
    ("h2O.hbm_bandwidth > 1 TB/s", "did you mean h20.hbm_bandwidth"),
    ("cloudmatrix384.bf16_total > 1 PFLOPS", "did you mean cloudmatrix384.bf16_dense_total"),
    ("volume.huawei-2025 > 1", "did you mean volume.huawei-ascend-2025"),
    ("h20.fp4_dense > 1 PFLOPS", "h20 has no 'fp4_dense' figure"),
    ("h20.hbm_bandwidth < h100-sxm.bf16_dense", "unit mismatch at column 19"),
    ("h20.hbm_bandwidth < h100-sxm.bf16_dense", "a bandwidth (TB/s)"),
    ("h20.hbm_bandwidth < h100-sxm.bf16_dense", "a compute rate (TFLOPS)"),
])
def test_catalog_errors(catalog, text, words):
    with pytest.raises(expr.ExprError) as info:
        check_units(catalog, expr.parse(text))
    assert words in str(info.value)
