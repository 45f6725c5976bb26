"""The fast tail percentiles equal numpy.percentile (linear interpolation) on every kind of sample."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chipcalc.calc.percentiles import SMALL, tails

SAMPLES = {
    "uniform": lambda r, n: r.uniform(1, 2, n),
    "normal": lambda r, n: r.normal(size=n),
    "heavy ties": lambda r, n: np.repeat(r.uniform(size=n // 1000), 1000),
    "constant": lambda r, n: np.full(n, 3.5),
    "skewed": lambda r, n: r.exponential(size=n) ** 3,
    "sorted": lambda r, n: np.sort(r.uniform(size=n)),
    "reversed": lambda r, n: np.sort(r.uniform(size=n))[::-1].copy(),
    "mostly zero": lambda r, n: np.r_[np.zeros(n - n // 10), r.uniform(size=n // 10)],
    "two values": lambda r, n: r.integers(0, 2, n).astype(float),
}


@pytest.mark.parametrize("kind", sorted(SAMPLES))
@pytest.mark.parametrize("n", [SMALL - 1, SMALL, 200_001, 1_000_000])
def test_tails_equal_numpy(kind, n):
    a = SAMPLES[kind](np.random.default_rng(7), n)
    assert tails(a, 5.0, 95.0) == pytest.approx(tuple(np.percentile(a, (5.0, 95.0))), rel=1e-12, abs=0)


@settings(derandomize=True, deadline=None, database=None, max_examples=40)
@given(seed=st.integers(0, 2**32 - 1), lo=st.floats(0.1, 49.9), hi=st.floats(50.1, 99.9),
       spread=st.sampled_from([1e-9, 1.0, 1e9]))
def test_tails_any_percentiles(seed, lo, hi, spread):
    a = np.random.default_rng(seed).lognormal(0.0, 1.0, SMALL + 1234) * spread
    assert tails(a, lo, hi) == pytest.approx(tuple(np.percentile(a, (lo, hi))), rel=1e-12, abs=0)


def test_nan_falls_back_to_numpy():
    a = np.random.default_rng(0).uniform(size=100_000)
    a[17] = np.nan
    lo, hi = tails(a, 5.0, 95.0)
    assert np.isnan(lo) and np.isnan(hi)  # numpy's answer: a NaN poisons the percentile


def test_many_at_once_equal_one_after_another():
    """tails_many spreads the arrays over threads; the answers are tails' (and numpy's), in order."""
    from chipcalc.calc.percentiles import tails_many

    rng = np.random.default_rng(11)
    arrays = [SAMPLES[k](rng, 300_000) for k in sorted(SAMPLES)] + [rng.uniform(size=10)]
    got = tails_many(arrays, 5.0, 95.0)
    assert got == [tails(a, 5.0, 95.0) for a in arrays]
    for a, (lo, hi) in zip(arrays, got):
        assert (lo, hi) == pytest.approx(tuple(np.percentile(a, (5.0, 95.0))), rel=1e-12, abs=0)
