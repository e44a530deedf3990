"""Tests for :mod:`aspire_models.stats.diffusion`.

Tolerances for the Bass fit were established empirically (see the constants
below): on exact data the estimates agree with the generating parameters to
machine precision, and over 200 Poisson-noise replicates of
p=0.03, q=0.38, m=1000, 20 periods the largest relative errors were
28.7 % (p), 17.3 % (q) and 9.2 % (m); 99th percentiles 22.8 %, 15.0 %, 7.9 %.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from aspire_models.stats.diffusion import (
    ADOPTER_CATEGORIES,
    CHASM_SHARE,
    NOT_ADOPTED,
    THEORETICAL_SHARES,
    AdopterClassificationError,
    BassFit,
    DiffusionFitError,
    _jacobian,
    adoption_counts,
    bass_cumulative,
    bass_density,
    bass_per_period,
    classify_adopters,
    fit_bass,
    innovativeness,
    innovativeness_categories,
)

P, Q, M, T = 0.03, 0.38, 1000.0, 20

EXACT_RTOL = 1e-3
# Noisy (Poisson) recovery, checked on 5 fixed seeds; see module docstring.
NOISY_P_RTOL = 0.35
NOISY_Q_RTOL = 0.20
NOISY_M_RTOL = 0.10

HYP = settings(max_examples=60, deadline=None)


def closed_form_peak_time(p: float, q: float) -> float:
    return math.log(q / p) / (p + q)


def closed_form_chasm_time(p: float, q: float, share: float = CHASM_SHARE) -> float:
    # F(t) = s  <=>  exp(-(p+q)t) = (1-s) / (1 + s q/p)
    return -math.log((1 - share) / (1 + share * q / p)) / (p + q)


@pytest.fixture(scope="module")
def exact_fit() -> BassFit:
    counts = bass_per_period(T, P, Q, M)
    return fit_bass(counts, periods=np.arange(2001, 2001 + T), horizon=10)


# ---------------------------------------------------------------------------
# Bass curve functions
# ---------------------------------------------------------------------------


def test_bass_cumulative_closed_form_and_limits() -> None:
    t = np.linspace(0, 60, 121)
    e = np.exp(-(P + Q) * t)
    expected = M * (1 - e) / (1 + Q / P * e)
    np.testing.assert_allclose(bass_cumulative(t, P, Q, M), expected, rtol=1e-12)
    assert bass_cumulative(0.0, P, Q, M) == 0.0
    assert bass_cumulative(-3.0, P, Q, M) == 0.0
    assert bass_cumulative(500.0, P, Q, M) == pytest.approx(M)


def test_bass_density_is_derivative_of_cumulative() -> None:
    t = np.linspace(0.1, 30, 50)
    h = 1e-5
    numeric = (bass_cumulative(t + h, P, Q, M) - bass_cumulative(t - h, P, Q, M)) / (2 * h)
    np.testing.assert_allclose(bass_density(t, P, Q, M), numeric, rtol=1e-7, atol=1e-6)
    # Bass's hazard form: f = (p + q F)(1 - F)
    share = bass_cumulative(t, P, Q, 1.0)
    np.testing.assert_allclose(bass_density(t, P, Q, M), M * (P + Q * share) * (1 - share), rtol=1e-12)
    assert bass_density(0.0, P, Q, M) == pytest.approx(M * P)
    assert bass_density(-1.0, P, Q, M) == 0.0


def test_bass_density_peaks_at_closed_form_time() -> None:
    t_star = closed_form_peak_time(P, Q)
    grid = np.linspace(0, 20, 200_001)
    assert grid[np.argmax(bass_density(grid, P, Q, M))] == pytest.approx(t_star, abs=1e-3)


def test_bass_per_period_sums_to_cumulative() -> None:
    per = bass_per_period(T, P, Q, M)
    assert per.shape == (T,)
    np.testing.assert_allclose(np.cumsum(per), bass_cumulative(np.arange(1, T + 1), P, Q, M))
    np.testing.assert_allclose(bass_per_period(np.arange(1, T + 1), P, Q, M), per)


@pytest.mark.parametrize(("p", "q", "m"), [(0.0, 0.3, 10.0), (0.1, -0.1, 10.0), (0.1, 0.3, 0.0), (math.nan, 0.3, 1.0)])
def test_bass_functions_reject_bad_parameters(p: float, q: float, m: float) -> None:
    for fn in (bass_cumulative, bass_density, bass_per_period):
        with pytest.raises(ValueError):
            fn(3, p, q, m)


def test_analytic_jacobian_matches_finite_differences() -> None:
    k = np.arange(1.0, 15.0)
    x = np.array([0.02, 0.5, 300.0])

    def model(v: np.ndarray) -> np.ndarray:
        return bass_per_period(k, float(v[0]), float(v[1]), float(v[2]))

    numeric = np.empty((k.size, 3))
    for j in range(3):
        h = 1e-6 * x[j]
        up, down = x.copy(), x.copy()
        up[j] += h
        down[j] -= h
        numeric[:, j] = (model(up) - model(down)) / (2 * h)
    np.testing.assert_allclose(_jacobian(k, *x), numeric, rtol=1e-6, atol=1e-8)


# ---------------------------------------------------------------------------
# fit_bass
# ---------------------------------------------------------------------------


def test_fit_bass_recovers_exact_parameters(exact_fit: BassFit) -> None:
    fit = exact_fit
    assert fit.p == pytest.approx(P, rel=EXACT_RTOL)
    assert fit.q == pytest.approx(Q, rel=EXACT_RTOL)
    assert fit.m == pytest.approx(M, rel=EXACT_RTOL)
    assert fit.converged
    assert fit.n_periods == T
    assert fit.dof == T - 3
    assert fit.r_squared == pytest.approx(1.0, abs=1e-9)
    assert fit.sse == pytest.approx(0.0, abs=1e-9)
    np.testing.assert_allclose(fit.fitted, fit.observed, atol=1e-6)
    np.testing.assert_allclose(fit.cumulative_fitted, np.cumsum(fit.observed), atol=1e-6)


def test_fit_bass_peak_and_chasm_match_closed_form(exact_fit: BassFit) -> None:
    fit = exact_fit
    t_star = closed_form_peak_time(P, Q)  # 6.19 -> inside period 7 = 2007
    assert fit.peak_time == pytest.approx(t_star, rel=1e-6)
    assert fit.peak_period == 2001 + math.ceil(t_star) - 1 == 2007
    # the peak period is also the period with the most fitted adoptions
    assert fit.periods[np.argmax(fit.fitted)] == fit.peak_period
    t_chasm = closed_form_chasm_time(P, Q)  # 3.13 -> period 4 = 2004
    assert fit.chasm_time == pytest.approx(t_chasm, rel=1e-6)
    assert fit.chasm_period == 2001 + math.ceil(t_chasm) - 1 == 2004
    assert bass_cumulative(fit.chasm_time, fit.p, fit.q, 1.0) == pytest.approx(CHASM_SHARE)


def test_fit_bass_no_interior_peak_when_q_le_p() -> None:
    fit = fit_bass(bass_per_period(12, 0.1, 0.05, 500.0))
    assert fit.q <= fit.p
    assert fit.peak_time is None
    assert fit.peak_period is None


def test_fit_bass_chasm_none_beyond_horizon() -> None:
    p, q, m = 0.001, 0.3, 1000.0
    counts = bass_per_period(8, p, q, m)
    t_chasm = closed_form_chasm_time(p, q)  # 13.5
    assert fit_bass(counts, horizon=0).chasm_period is None
    fit = fit_bass(counts, horizon=10)
    assert fit.p == pytest.approx(p, rel=EXACT_RTOL)
    assert fit.chasm_period == math.ceil(t_chasm) == 14


@pytest.mark.parametrize("seed", range(5))
def test_fit_bass_recovers_parameters_from_poisson_noise(seed: int) -> None:
    rng = np.random.default_rng(seed)
    counts = rng.poisson(bass_per_period(T, P, Q, M)).astype(float)
    fit = fit_bass(counts)
    assert fit.p == pytest.approx(P, rel=NOISY_P_RTOL)
    assert fit.q == pytest.approx(Q, rel=NOISY_Q_RTOL)
    assert fit.m == pytest.approx(M, rel=NOISY_M_RTOL)
    assert fit.r_squared > 0.9
    if fit.status == "m-at-bound":  # seed 0: the free estimate of m is below the 1029 observed
        assert fit.m_bound == "lower" and fit.m == pytest.approx(counts.sum())
        assert math.isnan(fit.m_se)
        return
    for est, se, ci in ((fit.p, fit.p_se, fit.p_ci), (fit.q, fit.q_se, fit.q_ci)):
        assert se > 0
        assert ci[0] < est < ci[1]
    tcrit = stats.t.ppf(0.975, T - 3)
    assert fit.m_ci[1] - fit.m == pytest.approx(tcrit * fit.m_se)
    assert fit.rmse == pytest.approx(math.sqrt(fit.sse / T))


def test_fit_bass_confidence_level_widens_intervals() -> None:
    counts = np.random.default_rng(1).poisson(bass_per_period(T, P, Q, M)).astype(float)
    narrow, wide = fit_bass(counts, confidence=0.8), fit_bass(counts, confidence=0.99)
    assert wide.q_ci[1] - wide.q_ci[0] > narrow.q_ci[1] - narrow.q_ci[0]


@pytest.mark.parametrize(
    ("counts", "match"),
    [
        ([5.0, 10.0, 20.0], "at least 4 periods"),
        ([0.0] * 10, "total adoptions are zero"),
        ([10.0] * 8, "no growth"),
        ([12.0, 0.0, 0.0, 0.0, 0.0], "no growth"),
        ([10, 11, 9, 10, 10, 11, 9, 10], "cannot be identified"),
        ([1.0, -2.0, 3.0, 4.0], "non-negative"),
        ([1.0, math.nan, 3.0, 4.0], "finite"),
    ],
)
def test_fit_bass_raises_diffusion_fit_error(counts: list[float], match: str) -> None:
    with pytest.raises(DiffusionFitError, match=match):
        fit_bass(counts)


def test_diffusion_fit_error_is_value_error() -> None:
    assert issubclass(DiffusionFitError, ValueError)


def test_fit_bass_m_bounds_are_respected() -> None:
    counts = bass_per_period(T, P, Q, M)
    fit = fit_bass(counts, m_bounds=(900.0, 950.0))
    assert fit.status == "m-at-bound" and fit.m_bound == "upper"
    assert fit.m == pytest.approx(950.0)
    with pytest.raises(ValueError):
        fit_bass(counts, m_bounds=(10.0, 5.0))


def test_m_at_upper_bound_is_reported_not_fitted() -> None:
    fit = fit_bass([1, 2, 4, 8, 16, 32, 64, 128])  # no sign of slowing down
    assert fit.status == "m-at-bound" and fit.m_bound == "upper"
    assert math.isnan(fit.m_se) and all(math.isnan(v) for v in fit.m_ci)
    assert len(fit.forecast) == 0


def test_m_at_lower_bound_is_reported_not_fitted() -> None:
    # a rise and a sharp stop: the free fit wants fewer adopters than were observed, so m sits
    # on its lower bound, the observed total
    counts = [2.0, 5.0, 12.0, 20.0, 10.0, 1.0, 0.0, 0.0, 0.0]
    fit = fit_bass(counts)
    assert fit.status == "m-at-bound" and fit.m_bound == "lower"
    assert fit.m == pytest.approx(sum(counts))
    assert math.isnan(fit.p_se) and math.isnan(fit.q_se) and math.isnan(fit.m_se)
    assert len(fit.forecast) == 0
    # a well-identified saturated curve is fitted even though m equals the observed total
    saturated = fit_bass(bass_per_period(40, P, Q, M))
    assert saturated.status == "fitted" and saturated.m_bound is None


def test_fit_bass_rejects_bad_periods() -> None:
    counts = bass_per_period(6, P, Q, M)
    with pytest.raises(DiffusionFitError, match="equally spaced"):
        fit_bass(counts, periods=[1, 2, 3, 5, 6, 7])
    with pytest.raises(DiffusionFitError, match="one label per count"):
        fit_bass(counts, periods=[1, 2, 3])


@pytest.mark.parametrize("horizon", [0, 1, 7])
def test_forecast_length_and_continuity(horizon: int) -> None:
    fit = fit_bass(bass_per_period(T, P, Q, M), periods=np.arange(2001, 2001 + T), horizon=horizon)
    assert len(fit.forecast) == horizon
    assert fit.forecast.per_period.shape == fit.forecast.cumulative.shape == (horizon,)
    np.testing.assert_array_equal(fit.forecast.periods, 2001 + T + np.arange(horizon))
    np.testing.assert_allclose(  # the adopters observed plus the expected new ones
        fit.forecast.cumulative,
        fit.observed.sum() + np.cumsum(fit.forecast.per_period),
        rtol=1e-12,
    )
    np.testing.assert_allclose(
        fit.forecast.per_period,
        bass_per_period(np.arange(T + 1, T + horizon + 1), P, Q, M),
        rtol=1e-6,
    )


def test_s_curve_monotone_and_bounded(exact_fit: BassFit) -> None:
    fit = exact_fit
    n_steps = 4  # points per period
    curve = fit.curve(n_steps * (T + 10) + 1)
    assert curve.t[0] == 0.0
    assert curve.t[-1] == T + 10
    assert np.all(np.diff(curve.cumulative) >= 0)
    assert np.all(curve.cumulative <= fit.m)
    assert np.all(curve.density >= 0)
    # at integer times the curve goes through the fitted cumulative counts
    np.testing.assert_allclose(curve.cumulative[n_steps : n_steps * T + 1 : n_steps], fit.cumulative_fitted)
    np.testing.assert_allclose(curve.period[n_steps : n_steps * T + 1 : n_steps], fit.periods)
    with pytest.raises(ValueError):
        fit.curve(1)


# ---------------------------------------------------------------------------
# classify_adopters
# ---------------------------------------------------------------------------


def normal_quantile_times(n: int) -> np.ndarray:
    return np.asarray(stats.norm.ppf((np.arange(n) + 0.5) / n), dtype=np.float64)


@pytest.mark.parametrize("method", ["sd", "rank"])
def test_normal_quantiles_reproduce_rogers_shares(method: str) -> None:
    res = classify_adopters(normal_quantile_times(10_000), method=method)  # type: ignore[arg-type]
    observed = np.array([res.observed_shares[c] for c in ADOPTER_CATEGORIES])
    np.testing.assert_allclose(observed, THEORETICAL_SHARES, atol=0.005)
    assert sum(observed) == pytest.approx(1.0)


@pytest.mark.parametrize("method", ["sd", "rank"])
def test_random_normal_sample_within_sampling_error(method: str) -> None:
    n = 2_000
    res = classify_adopters(
        np.random.default_rng(20240501).normal(2010, 3, n),
        method=method,  # type: ignore[arg-type]
    )
    for name, share in zip(ADOPTER_CATEGORIES, THEORETICAL_SHARES, strict=True):
        se = math.sqrt(share * (1 - share) / n)
        assert abs(res.observed_shares[name] - share) < 3 * se, name


def test_sd_rule_categories_and_left_closed_mean() -> None:
    # 0..4: mean 2, sd sqrt(2.5) = 1.58 -> z = -1.26, -0.63, 0, 0.63, 1.26
    res = classify_adopters(np.arange(5.0))
    assert res.mean == 2.0
    assert res.sd == pytest.approx(math.sqrt(2.5))
    assert res.categories == (
        "early-adopters",
        "early-majority",
        "late-majority",  # t == mean goes to the later category
        "late-majority",
        "laggards",
    )
    # [8, 12, 8, 12]: mean 10, sd (ddof=1) 2.31 -> z = -/+0.87
    res2 = classify_adopters([8.0, 12.0, 8.0, 12.0])
    assert res2.categories == ("early-majority", "late-majority") * 2


def test_sd_rule_exact_boundary_points() -> None:
    # z exactly on -2, -1, 0, 1 goes to the later category; z within 1e-9 of a
    # boundary counts as on it.
    res = innovativeness_categories([-2.0, -1.0, 0.0, 1.0, -2.0000000001, -2.00001, 0.9999999, 1.0 - 1e-12])
    assert res.categories == (
        "early-adopters",
        "early-majority",
        "late-majority",
        "laggards",
        "early-adopters",  # -2 - 1e-10 snaps onto -2
        "innovators",
        "late-majority",
        "laggards",  # 1 - 1e-12 snaps onto 1
    )


def test_censored_units_are_not_laggards_by_default() -> None:
    times = [2001.0, 2002.0, math.nan, 2003.0, 2010.0, math.nan]
    res = classify_adopters(times)
    assert res.categories[2] == res.categories[5] == NOT_ADOPTED
    assert res.codes[2] == res.codes[5] == -1
    assert res.n_units == 6 and res.n_adopted == 4
    assert res.mean == pytest.approx(np.mean([2001, 2002, 2003, 2010]))
    assert res.sd == pytest.approx(np.std([2001, 2002, 2003, 2010], ddof=1))
    assert sum(res.observed_shares.values()) == pytest.approx(1.0)
    assert res.observed_shares["laggards"] == pytest.approx(1 / 4)
    assert res.table()[-1] == {
        "category": NOT_ADOPTED,
        "n": 2,
        "observed_share": None,
        "theoretical_share": None,
    }


@pytest.mark.parametrize("method", ["sd", "rank"])
def test_censored_units_as_laggards_when_asked(method: str) -> None:
    times = [2001.0, 2002.0, math.nan, 2003.0, 2010.0, math.nan]
    excl = classify_adopters(times, method=method)  # type: ignore[arg-type]
    lagg = classify_adopters(times, method=method, censored="laggards")  # type: ignore[arg-type]
    assert lagg.categories[2] == lagg.categories[5] == "laggards"
    assert lagg.mean == excl.mean and lagg.sd == excl.sd  # not in mean/sd
    assert lagg.observed_shares["laggards"] == pytest.approx(lagg.counts()["laggards"] / 6)
    assert sum(lagg.observed_shares.values()) == pytest.approx(1.0)
    assert len(lagg.table()) == 5
    if method == "sd":
        assert lagg.categories[:2] == excl.categories[:2]


def test_input_order_preserved() -> None:
    res = classify_adopters([30.0, 10.0, math.nan, 20.0, 40.0, 25.0], method="rank")
    order = classify_adopters([10.0, 20.0, 25.0, 30.0, 40.0], method="rank").categories
    assert res.categories == (order[3], order[0], NOT_ADOPTED, order[1], order[4], order[2])
    assert len(res.codes) == 6


def test_rank_method_ties_share_category() -> None:
    # 10 units, 5 tied at the start: average rank 3 -> u = 0.25 -> early majority
    res = classify_adopters([1.0] * 5 + [2.0, 3.0, 4.0, 5.0, 6.0], method="rank")
    assert set(res.categories[:5]) == {"early-majority"}


def test_table_rows() -> None:
    res = classify_adopters(normal_quantile_times(1000), method="rank")
    rows = res.table()
    assert [r["category"] for r in rows] == list(ADOPTER_CATEGORIES)
    assert [r["n"] for r in rows] == [25, 135, 340, 340, 160]
    assert [r["observed_share"] for r in rows] == pytest.approx(THEORETICAL_SHARES)
    assert [r["theoretical_share"] for r in rows] == list(THEORETICAL_SHARES)


@pytest.mark.parametrize("method", ["sd", "rank"])
def test_single_adopter_and_zero_spread_are_refused(method: str) -> None:
    with pytest.raises(AdopterClassificationError, match="single-adopter") as one:
        classify_adopters([math.nan, 5.0], method=method)  # type: ignore[arg-type]
    assert one.value.reason == "single-adopter"
    # all adoptions in one period: not "100% late majority"
    with pytest.raises(AdopterClassificationError, match="zero-spread") as same:
        classify_adopters([2013.0, 2013.0, math.nan, 2013.0], method=method)  # type: ignore[arg-type]
    assert same.value.reason == "zero-spread" and "2013" in str(same.value)
    with pytest.raises(AdopterClassificationError) as none:
        classify_adopters([math.nan, math.nan], method=method)  # type: ignore[arg-type]
    assert none.value.reason == "no-adopters"
    assert issubclass(AdopterClassificationError, ValueError)


@pytest.mark.parametrize(
    ("times", "match"),
    [
        ([], "empty"),
        ([math.nan, math.nan], "no adopted units"),
        ([1.0, math.inf], "infinite"),
        ([1.0, -math.inf], "infinite"),
        ([[1.0, 2.0]], "one-dimensional"),
    ],
)
def test_classify_adopters_errors(times: list[float], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        classify_adopters(times)


def test_classify_adopters_rejects_unknown_options() -> None:
    with pytest.raises(ValueError, match="method"):
        classify_adopters([1.0, 2.0], method="quartiles")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="censored"):
        classify_adopters([1.0, 2.0], censored="drop")  # type: ignore[arg-type]


# Quarter-integer times keep the affine-invariance test free of catastrophic
# rounding (distinct times differ by >= 0.25), NaN = censored.
time_value = st.one_of(
    st.integers(-400, 400).map(lambda i: i / 4),
    st.integers(2000, 2010).map(float),  # many ties
    st.just(math.nan),
)
# at least two different adoption times: data without a spread are refused (tested above)
time_lists = st.lists(time_value, min_size=2, max_size=60).filter(
    lambda xs: len({x for x in xs if not math.isnan(x)}) >= 2
)
methods = st.sampled_from(["sd", "rank"])
censorings = st.sampled_from(["exclude", "laggards"])


@HYP
@given(times=time_lists, method=methods, censored=censorings, data=st.data())
def test_classification_invariant_to_permutation(
    times: list[float], method: str, censored: str, data: st.DataObject
) -> None:
    perm = np.array(data.draw(st.permutations(range(len(times)))), dtype=int)
    arr = np.array(times)
    base = classify_adopters(arr, method=method, censored=censored)  # type: ignore[arg-type]
    permuted = classify_adopters(arr[perm], method=method, censored=censored)  # type: ignore[arg-type]
    np.testing.assert_array_equal(permuted.codes, base.codes[perm])
    assert permuted.observed_shares == base.observed_shares


@HYP
@given(
    times=time_lists,
    censored=censorings,
    a=st.floats(0.5, 20.0),
    b=st.floats(-100.0, 100.0),
)
def test_sd_classification_invariant_to_affine_transform(times: list[float], censored: str, a: float, b: float) -> None:
    arr = np.array(times)
    base = classify_adopters(arr, censored=censored)  # type: ignore[arg-type]
    moved = classify_adopters(a * arr + b, censored=censored)  # type: ignore[arg-type]
    np.testing.assert_array_equal(moved.codes, base.codes)
    assert moved.mean == pytest.approx(a * base.mean + b)


@HYP
@given(times=time_lists, method=methods, censored=censorings)
def test_shares_sum_to_one_and_counts_consistent(times: list[float], method: str, censored: str) -> None:
    res = classify_adopters(times, method=method, censored=censored)  # type: ignore[arg-type]
    assert sum(res.observed_shares.values()) == pytest.approx(1.0)
    assert sum(res.counts().values()) + int(np.sum(res.codes == -1)) == res.n_units
    assert len(res.categories) == len(times)
    if censored == "laggards":
        assert NOT_ADOPTED not in res.categories


@HYP
@given(times=time_lists)
def test_rank_method_ties_always_share_a_category(times: list[float]) -> None:
    res = classify_adopters(times, method="rank")
    arr = np.array(times)
    for value in np.unique(arr[np.isfinite(arr)]):
        assert len({res.codes[i] for i in np.flatnonzero(arr == value)}) == 1


# ---------------------------------------------------------------------------
# adoption_counts
# ---------------------------------------------------------------------------


def test_adoption_counts_default_and_given_periods() -> None:
    times = [2003.2, 2001.0, math.nan, 2003.9, 2005.0]
    periods, counts = adoption_counts(times)
    assert periods.tolist() == [2001, 2002, 2003, 2004, 2005]
    assert counts.tolist() == [1, 0, 2, 0, 1]
    periods, counts = adoption_counts(times, periods=range(2000, 2008))
    assert counts.tolist() == [0, 1, 0, 2, 0, 1, 0, 0]
    assert counts.dtype == np.float64
    with pytest.raises(ValueError, match="not listed"):
        adoption_counts(times, periods=[2001, 2002, 2003])
    with pytest.raises(ValueError, match="no adopted units"):
        adoption_counts([math.nan])


def test_adoption_counts_roundtrip_into_fit() -> None:
    # integer adoption times drawn from an exact Bass curve (rounded counts)
    per = np.round(bass_per_period(T, P, Q, M)).astype(int)
    times = np.repeat(np.arange(2001, 2001 + T), per).astype(float)
    periods, counts = adoption_counts(np.concatenate([times, [math.nan] * 50]))
    np.testing.assert_array_equal(counts, per)
    fit = fit_bass(counts, periods=periods)
    assert fit.q == pytest.approx(Q, rel=0.02)
    assert fit.peak_period == 2007


# ---------------------------------------------------------------------------
# innovativeness
# ---------------------------------------------------------------------------


def test_first_adopter_everywhere_has_lowest_score() -> None:
    rng = np.random.default_rng(3)
    times = rng.uniform(2005, 2015, size=(30, 4))
    times[rng.random(times.shape) < 0.2] = np.nan
    times[7] = np.nanmin(times) - 1.0  # unit 7 adopts everything first
    times[12] = np.nan  # unit 12 never adopts
    scores = innovativeness(times)
    assert np.nanargmin(scores) == 7
    assert math.isnan(scores[12])
    assert np.isfinite(np.delete(scores, 12)).all()
    cats = innovativeness_categories(scores)
    assert cats.categories[12] == NOT_ADOPTED
    assert cats.codes[7] == cats.codes[np.isfinite(scores)].min()
    assert innovativeness_categories(scores, censored="laggards").categories[12] == "laggards"


def test_innovativeness_ignores_degenerate_practices() -> None:
    times = np.array(
        [
            [1.0, 5.0, 7.0],
            [2.0, np.nan, 7.0],
            [3.0, np.nan, 7.0],
        ]
    )  # practice 1: one adopter; practice 2: sd = 0 -> both ignored
    np.testing.assert_allclose(innovativeness(times), [-1.0, 0.0, 1.0])
    only_degenerate = np.array([[1.0, np.nan], [np.nan, 4.0]])
    assert np.isnan(innovativeness(only_degenerate)).all()


def test_innovativeness_errors() -> None:
    with pytest.raises(ValueError, match="2-D"):
        innovativeness([1.0, 2.0])
    with pytest.raises(ValueError, match="infinite"):
        innovativeness([[1.0, math.inf]])
    with pytest.raises(ValueError, match="no adopted"):
        innovativeness_categories([math.nan])


# ---------------------------------------------------------------------------
# forecast prediction band
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(3))
def test_band_contains_forecast_and_widens_with_horizon(seed: int) -> None:
    rng = np.random.default_rng(seed)
    counts = rng.poisson(bass_per_period(12, P, Q, 300.0)).astype(float)  # before the peak's end
    fit = fit_bass(counts, periods=np.arange(2001, 2013), horizon=15)
    fc = fit.forecast
    assert fit.status == "fitted" and fc.level == 0.95
    assert fc.periods[0] == 2013  # starts after the last observed period
    assert np.all(fc.per_period_low <= fc.per_period) and np.all(fc.per_period <= fc.per_period_high)
    assert np.all(fc.cumulative_low <= fc.cumulative) and np.all(fc.cumulative <= fc.cumulative_high)
    assert np.all(fc.per_period_low >= 0) and np.all(fc.cumulative_low >= counts.sum())
    width = fc.cumulative_high - fc.cumulative
    assert np.all(np.diff(width) > 0)
    assert width[0] > 0


def test_band_is_delta_method_plus_residual_variance() -> None:
    counts = np.random.default_rng(4).poisson(bass_per_period(15, P, Q, 500.0)).astype(float)
    fit = fit_bass(counts, horizon=3, confidence=0.9)
    k = np.arange(16.0, 19.0)
    g = _jacobian(k, fit.p, fit.q, fit.m)
    sigma2 = fit.sse / fit.dof
    jac = _jacobian(np.arange(1.0, 16.0), fit.p, fit.q, fit.m)
    cov = sigma2 * np.linalg.inv(jac.T @ jac)
    tcrit = stats.t.ppf(0.95, fit.dof)
    big = np.cumsum(g, axis=0)
    half = tcrit * np.sqrt(np.einsum("ij,jk,ik->i", big, cov, big) + np.arange(1, 4) * sigma2)
    np.testing.assert_allclose(fit.forecast.cumulative_high - fit.forecast.cumulative, half, rtol=1e-6)
    assert fit.m_se == pytest.approx(math.sqrt(cov[2, 2]), rel=1e-6)


def test_higher_level_gives_wider_band() -> None:
    counts = np.random.default_rng(5).poisson(bass_per_period(12, P, Q, 300.0)).astype(float)
    narrow, wide = fit_bass(counts, confidence=0.8), fit_bass(counts, confidence=0.99)
    assert np.all(
        wide.forecast.cumulative_high - wide.forecast.cumulative
        > narrow.forecast.cumulative_high - narrow.forecast.cumulative
    )


def test_launch_period_leading_zeros_change_the_fit() -> None:
    """The clock starts at launch: a quiet launch period before the first adoption is part of
    the diffusion; starting the clock at the first adoption instead biases p upwards."""
    counts = np.round(bass_per_period(16, 0.002, 0.9, 100.0))
    assert counts[0] == 0 and counts[1] > 0  # nobody adopted in the launch period
    from_launch = fit_bass(counts, periods=np.arange(2001, 2017))
    from_first = fit_bass(counts[1:], periods=np.arange(2002, 2017))
    assert from_launch.p == pytest.approx(0.002, rel=0.1)
    assert from_first.p > 2 * from_launch.p
