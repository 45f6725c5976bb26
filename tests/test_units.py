
import pytest

from chipcalc.core.errors import UnitError
from chipcalc.core.units import Q, check_dimension, parse


def test_decimal_and_binary_prefixes_differ():
    assert parse("1 TB").m_as("B") == 1e12
    assert parse("1 TiB").m_as("B") == 2**40
    # the 910B's 1.6 TiB/s is 1.759 TB/s, not 1.6
    assert parse("1.6 TiB/s").m_as("TB/s") == pytest.approx(1.759218604, rel=1e-9)


def test_bytes_are_a_dimension_not_a_number():
    bw = parse("1 GB/s")
    assert check_dimension(bw, "bandwidth")
    assert not check_dimension(bw, "compute")
    with pytest.raises(Exception):
        bw.to("1/s")  # would be 8e9 Hz in pint's default registry


def test_bits_and_bytes():
    assert parse("400 Gbit/s").m_as("GB/s") == pytest.approx(50)
    assert parse("2800 Gbit/s").m_as("GB/s") == pytest.approx(350)


def test_gb_is_not_accepted_as_gigabit():
    with pytest.raises(UnitError, match="Gbit"):
        parse("400 Gb/s")


def test_compute_units():
    assert parse("1 PFLOPS").m_as("TFLOPS") == pytest.approx(1000)
    assert parse("1504 TOPS").m_as("TFLOPS") == pytest.approx(1504)
    # ratios reduce properly
    assert float(parse("1 PFLOPS") / parse("1 TFLOPS")) == pytest.approx(1000)


def test_tokens_power_time():
    assert parse("1943 token/s").m_as("token/s") == 1943
    assert parse("559 kW").m_as("W") == 559_000
    assert parse("49.4 ms").m_as("s") == pytest.approx(0.0494)
    assert parse("2.788e6 h").m_as("s") == pytest.approx(2.788e6 * 3600)


def test_counts_and_commas():
    assert parse("384").m_as("") == 384
    assert parse("1,943 token/s").m_as("token/s") == 1943
    assert parse(384).m_as("") == 384


@pytest.mark.parametrize("bad", ["", "foo", "12 TB/s/", "3 furlongs"])
def test_garbage_is_a_unit_error(bad):
    with pytest.raises(UnitError):
        parse(bad)


def test_one_registry():
    assert Q(1, "W")._REGISTRY is parse("1 W")._REGISTRY


@pytest.mark.parametrize("text", [">50ms", "<50ms", "50ms>", "~50 ms", "5 W, 3", "5 W 6", "50ms; 3", "5 \"W\"", "3 [W]", "2 * 3 W"])
def test_regression_pint_no_longer_drops_or_multiplies_junk(text):
    # issue 16: pint read '>50ms' as 50 ms and '5 W, 3' as 15 W, silently
    from chipcalc.core.errors import UnitError
    from chipcalc.core.units import parse

    with pytest.raises(UnitError, match="cannot read"):
        parse(text)


@pytest.mark.parametrize("text,unit,value", [("4.0 TB/s", "TB/s", 4.0), ("600GB/s", "GB/s", 600), ("1,943", "", 1943),
                                              ("16e6 token", "token", 16e6), ("5 s**-1", "1/s", 5), ("10 %", "", 0.1)])
def test_plain_quantities_still_parse(text, unit, value):
    from chipcalc.core.units import parse

    assert parse(text).m_as(unit) == pytest.approx(value)


def test_fast_m_as_is_pints_number_exactly(catalog):
    """core.units.m_as takes pint's conversion factor once per pair of units: for every figure of every
    chip, in every unit of its dimension's display ladder, the number is bit for bit pint's own (arrays
    too), and a wrong dimension is pint's DimensionalityError."""
    import numpy as np
    import pint

    from chipcalc.core.format import _ladder
    from chipcalc.core.units import m_as

    checked, wrong = 0, set()
    for chip in catalog.chips.values():
        for fig in chip.figures.values():
            ladder = _ladder(fig.q)
            units = ([""] if fig.q.dimensionless else []) + (list(ladder[1]) if ladder else [])
            for q in (fig.q, fig.lo, fig.hi, fig.q * np.array([1.0, 3.0])):
                for u in units:
                    want, got = q.m_as(u), m_as(q, u)
                    assert np.array_equal(np.asarray(got), np.asarray(want)) and type(got) is type(want), (fig.label, u)
                    checked += 1
            dims = str(fig.q.dimensionality)
            if dims not in wrong:  # once per dimension: a unit of another dimension is refused as pint refuses it
                wrong.add(dims)
                other = "W" if fig.q.dimensionality != Q(1, "W").dimensionality else "GB"
                with pytest.raises(pint.DimensionalityError):
                    fig.q.m_as(other)
                with pytest.raises(pint.DimensionalityError):
                    m_as(fig.q, other)
    assert checked > 1000 and len(wrong) >= 5
    cap = catalog.chip("h20").get("hbm_capacity").q
    assert m_as(cap, "TiB") == cap.m_as("TiB") == pytest.approx(96e9 / 2**40) and m_as(cap, "TB") == pytest.approx(0.096)


def test_fast_arithmetic_is_pints_result_exactly(catalog):
    """core.units.arith (a figure's + - * /) gives what pint's operators give, bit for bit, for every pair of
    one chip's figures and for exact numbers (ints divided as floats, arrays), and refuses a sum of two
    dimensions with pint's error."""
    import numpy as np
    import pint

    from chipcalc.core.units import arith

    figs = [f.q for f in catalog.chip("ascend-910c").figures.values()] + [Q(3, "GB"), Q(7, ""), Q(2, "GiB")]
    figs += [q * np.array([1.0, 3.0]) for q in figs[:4]]
    numbers = [2, 3.5, 0.1, 7]

    def same(got, want):
        return (np.array_equal(np.asarray(got.magnitude), np.asarray(want.magnitude))
                and type(got.magnitude) is type(want.magnitude) and got.units == want.units)

    checked = 0
    for x in figs:
        for y in figs + numbers:
            for op in "*/+-":
                try:
                    want = {"*": lambda: x * y, "/": lambda: x / y, "+": lambda: x + y, "-": lambda: x - y}[op]()
                except pint.DimensionalityError:
                    with pytest.raises(pint.DimensionalityError):
                        arith(op, x, y)
                    continue
                assert same(arith(op, x, y), want), (x, op, y)
                checked += 1
    assert checked > 800
    assert arith("/", Q(1, "GB"), Q(3, "GB")).magnitude == 1 / 3 and arith("+", Q(1, "TB"), Q(1, "GB")).m_as("GB") == 1001


@pytest.mark.parametrize("text, why", [
    ("3,2 TB/s", "a comma only separates thousands"), ("3,2,0,0 GB/s", "a comma only separates thousands"),
    ("1,00 W", "a comma only separates thousands"), ("128 mB", "millibytes"), ("2 uFLOPS", "microFLOPSs"),
    ("5 mtok", "millitokens"), ("3.2 %TB/s", "a percent sign stands alone"), ("3.2 TB/s%", "a percent sign stands alone"),
])
def test_slips_pint_would_read_as_something_else_are_refused(text, why):
    """'3,2 TB/s' was 32 TB/s, '128 mB' millibytes, '3.2 %TB/s' 32 GB/s: each is now a one-line error."""
    with pytest.raises(UnitError, match=why):
        parse(text)


@pytest.mark.parametrize("text, unit, value", [
    ("1,234 W", "W", 1234), ("14,800,000 token", "token", 14.8e6), ("1,234.5 GB", "GB", 1234.5), ("50 %", "", 0.5),
    ("5 ms", "s", 0.005), ("3 mW", "W", 0.003), ("100 kbit", "B", 12500),
])
def test_thousands_and_real_small_prefixes_still_read(text, unit, value):
    assert parse(text).m_as(unit) == pytest.approx(value)


def test_values_beyond_the_si_limit_are_refused_by_set():
    """'1e300 TB/s' (1e312 B/s) was inf further on, with a RuntimeWarning and exit 0: now exit 2, one line.
    1e40 TB/s (1e52 B/s, below core.units.SI_LIMIT) still computes, to finite numbers."""
    from typer.testing import CliRunner

    from chipcalc.cli.root import app
    from chipcalc.core.units import within_si_limit

    assert within_si_limit(parse("1e40 TB/s")) and not within_si_limit(parse("1e300 TB/s"))
    r = CliRunner().invoke(app, ["cluster", "cloudmatrix384", "--set", "ascend-910c.hbm_bandwidth=1e300 TB/s"])
    assert r.exit_code == 2 and r.stderr.strip() == (
        "chipcalc: error: --set ascend-910c.hbm_bandwidth: '1e300 TB/s' is too large to compute with; check the number and its unit")
    r = CliRunner().invoke(app, ["cluster", "cloudmatrix384", "--set", "ascend-910c.hbm_bandwidth=1e40 TB/s"])
    assert r.exit_code == 0 and "1e52" in r.stdout and "inf" not in r.stdout
