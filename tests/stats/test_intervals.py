"""Intervals, tests, effect sizes and adjustments against their peers: scipy.stats and
statsmodels on the same data."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint

from aspire_models.stats import intervals as iv
from aspire_models.stats.moments import Moments

samples = st.lists(st.integers(1, 10).map(float), min_size=2, max_size=40)
levels = st.sampled_from([0.8, 0.9, 0.95, 0.99])


def moments(x: list[float]) -> Moments:
    return Moments.grouped(np.array(x), np.zeros(len(x), dtype=np.int64), 1)


def spread(x: list[float]) -> bool:
    return len(set(x)) > 1


@given(samples, levels)
def test_t_interval_equals_scipy_and_merges(x: list[float], level: float) -> None:
    m = moments(x)
    lo, hi = iv.t_interval(m.n, m.mean, m.m2, level)
    if spread(x):
        want = stats.t.interval(level, len(x) - 1, loc=np.mean(x), scale=stats.sem(x))
        assert lo[0, 0] == pytest.approx(want[0], rel=1e-9, abs=1e-9)
        assert hi[0, 0] == pytest.approx(want[1], rel=1e-9, abs=1e-9)
    # partitions merged (as Dask partitions are) give the same interval
    half = len(x) // 2
    merged = moments(x[:half] or [np.nan]).merge(moments(x[half:]))
    lo2, hi2 = iv.t_interval(merged.n, merged.mean, merged.m2, level)
    assert lo2[0, 0] == pytest.approx(lo[0, 0], rel=1e-9, abs=1e-9)
    assert hi2[0, 0] == pytest.approx(hi[0, 0], rel=1e-9, abs=1e-9)


def test_t_interval_needs_two_values() -> None:
    lo, hi = iv.t_interval(np.array([1, 0]), np.array([3.0, np.nan]), np.array([0.0, 0.0]))
    assert np.isnan(lo).all() and np.isnan(hi).all()
    with pytest.raises(ValueError, match="confidence"):
        iv.t_interval(np.array([3]), np.array([1.0]), np.array([1.0]), 1.0)


@given(st.integers(0, 200), st.integers(1, 200), levels)
def test_wilson_equals_statsmodels(count: int, n: int, level: float) -> None:
    count = min(count, n)
    lo, hi = iv.wilson_interval(np.array([count]), np.array([n]), level)
    want = proportion_confint(count, n, alpha=1 - level, method="wilson")
    assert lo[0] == pytest.approx(want[0], abs=1e-12) and hi[0] == pytest.approx(want[1], abs=1e-12)
    assert 0.0 <= lo[0] <= count / n <= hi[0] <= 1.0


def test_wilson_of_nobody_is_missing() -> None:
    lo, hi = iv.wilson_interval(np.array([0]), np.array([0]))
    assert np.isnan(lo[0]) and np.isnan(hi[0])


@given(samples, samples, levels)
def test_welch_equals_scipy(x: list[float], y: list[float], level: float) -> None:
    mx, my = moments(x), moments(y)
    r = iv.welch(mx.n, mx.mean, mx.m2, my.n, my.mean, my.m2, level)
    if not (spread(x) or spread(y)):
        assert r.p[0, 0] == (1.0 if np.mean(x) == np.mean(y) else 0.0)
        return
    s = stats.ttest_ind(y, x, equal_var=False)
    ci = s.confidence_interval(level)
    assert r.t[0, 0] == pytest.approx(s.statistic, rel=1e-9, abs=1e-12)
    assert r.p[0, 0] == pytest.approx(s.pvalue, rel=1e-7, abs=1e-12)
    assert r.df[0, 0] == pytest.approx(s.df, rel=1e-9)
    assert r.ci_low[0, 0] == pytest.approx(ci.low, rel=1e-9, abs=1e-12)
    assert r.ci_high[0, 0] == pytest.approx(ci.high, rel=1e-9, abs=1e-12)
    assert r.change[0, 0] == pytest.approx(np.mean(y) - np.mean(x), abs=1e-12)


@given(st.lists(st.tuples(st.integers(1, 10), st.integers(1, 10)), min_size=2, max_size=40), levels)
def test_paired_equals_scipy(pairs: list[tuple[int, int]], level: float) -> None:
    x = np.array([a for a, _ in pairs], dtype=float)
    y = np.array([b for _, b in pairs], dtype=float)
    md = moments(list(y - x))
    r = iv.paired(md.n[:, 0], md.mean[:, 0], md.m2[:, 0], level)
    if len(set((y - x).tolist())) == 1:  # no spread in the differences: scipy divides by zero
        assert r.p[0] == (1.0 if (y - x)[0] == 0 else 0.0)
        return
    s = stats.ttest_rel(y, x)
    ci = s.confidence_interval(level)
    assert r.t[0] == pytest.approx(s.statistic, rel=1e-9, abs=1e-12)
    assert r.p[0] == pytest.approx(s.pvalue, rel=1e-7, abs=1e-12)
    assert r.ci_low[0] == pytest.approx(ci.low, rel=1e-9, abs=1e-12)
    assert r.ci_high[0] == pytest.approx(ci.high, rel=1e-9, abs=1e-12)


@given(st.lists(st.one_of(st.floats(0, 1), st.just(float("nan"))), min_size=1, max_size=60))
def test_adjustments_equal_statsmodels(p: list[float]) -> None:
    arr = np.array(p)
    have = ~np.isnan(arr)
    for ours, theirs in (("holm", "holm"), ("bh", "fdr_bh")):
        got = iv.adjust(arr, ours)  # type: ignore[arg-type]
        assert np.isnan(got[~have]).all()
        if have.any():
            want = multipletests(arr[have], method=theirs)[1]
            np.testing.assert_allclose(got[have], want, rtol=1e-12, atol=1e-15)
    np.testing.assert_array_equal(iv.adjust(arr, "none")[have], arr[have])
    with pytest.raises(ValueError, match="unknown adjustment"):
        iv.adjust(np.array([0.1]), "bonferroni")  # type: ignore[arg-type]


def test_hedges_g_by_hand() -> None:
    x, y = [1.0, 2.0, 3.0, 4.0], [3.0, 4.0, 5.0, 6.0, 7.0]
    mx, my = moments(x), moments(y)
    g = iv.hedges_g(mx.n, mx.mean, mx.m2, my.n, my.mean, my.m2)[0, 0]
    pooled = np.sqrt((3 * np.var(x, ddof=1) + 4 * np.var(y, ddof=1)) / 7)
    d = (np.mean(y) - np.mean(x)) / pooled
    assert g == pytest.approx(d * (1 - 3 / (4 * 7 - 1)), rel=2e-3)  # Hedges' approximation of J
    assert g < d  # the correction shrinks
    same = iv.hedges_g(mx.n, mx.mean, mx.m2, mx.n, mx.mean, mx.m2)[0, 0]
    assert same == 0.0


@given(samples, samples, st.randoms(use_true_random=False))
def test_permutation_p_is_a_p_value_and_ignores_order(x: list[float], y: list[float], rnd: object) -> None:
    p = iv.permutation_p(x, y, resamples=199, seed=3)
    assert 1 / 200 <= p <= 1.0
    shuffled_x, shuffled_y = list(x), list(y)
    rnd.shuffle(shuffled_x)  # type: ignore[attr-defined]
    rnd.shuffle(shuffled_y)  # type: ignore[attr-defined]
    assert iv.permutation_p(shuffled_x, shuffled_y, resamples=199, seed=3) == p
    assert iv.permutation_p(x, x, resamples=99) == 1.0


def test_permutation_finds_a_clear_difference_and_agrees_with_scipy() -> None:
    rng = np.random.default_rng(0)
    x, y = rng.normal(0, 1, 30), rng.normal(1.5, 1, 30)
    assert iv.permutation_p(x, y, resamples=999) == 1 / 1000
    x, y = rng.normal(0, 1, 25), rng.normal(0.4, 1, 25)
    ours = iv.permutation_p(x, y, resamples=4999, seed=1)
    theirs = stats.permutation_test(
        (y, x), lambda a, b: np.mean(a) - np.mean(b), n_resamples=4999, random_state=1
    ).pvalue
    assert ours == pytest.approx(theirs, abs=0.03)  # two Monte Carlo estimates of one p-value
    d = rng.normal(0.8, 1, 20)
    assert iv.permutation_p(np.zeros(20), d, paired=True, resamples=999) < 0.01
    with pytest.raises(ValueError, match="differ in length"):
        iv.permutation_p([1.0], [1.0, 2.0], paired=True)


def test_bootstrap_interval_is_repeatable_and_ignores_order() -> None:
    rng = np.random.default_rng(5)
    v = rng.lognormal(0, 1, (60, 2))
    codes = np.repeat([0, 1, 2], 20)
    codes[-1] = 3  # a group of one: no interval
    lo, hi = iv.bootstrap_interval(v, codes, 4, 0.9, resamples=500, seed=2)
    order = rng.permutation(60)
    lo2, hi2 = iv.bootstrap_interval(v[order], codes[order], 4, 0.9, resamples=500, seed=2)
    np.testing.assert_array_equal(lo, lo2)
    np.testing.assert_array_equal(hi, hi2)
    for g in range(3):
        mean = v[codes == g].mean(axis=0)
        assert (lo[g] < mean).all() and (mean < hi[g]).all()
    assert np.isnan(lo[3]).all()
