"""Tests for aspire_models.stats.reliability (Cronbach's alpha).

Published figures are not hard-coded: every value is checked against an
independent computation written differently in this file (exact rational
arithmetic with pure-Python loops, pandas, np.corrcoef on rest-scores, and
recomputation on reduced matrices), plus the exact Spearman-Brown identity for
parallel items.
"""

from __future__ import annotations

import json
import math
from fractions import Fraction

import attrs
import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from aspire_models.stats.reliability import ReliabilityResult, cronbach_alpha

# A small 6 x 4 Likert data set (rows = respondents).
DATA = np.array(
    [
        [4, 5, 4, 3],
        [3, 3, 4, 2],
        [5, 5, 5, 4],
        [2, 3, 2, 2],
        [4, 4, 3, 4],
        [1, 2, 2, 1],
    ],
    dtype=float,
)


# ---------------------------------------------------------------------------
# Independent reference implementations (deliberately different algorithms)
# ---------------------------------------------------------------------------


def _var_exact(values: list[Fraction]) -> Fraction:
    n = len(values)
    mean = sum(values, Fraction(0)) / n
    return sum(((v - mean) ** 2 for v in values), Fraction(0)) / (n - 1)


def _alpha_exact(rows: list[list[int]]) -> Fraction:
    """alpha = k/(k-1) * (1 - sum of item variances / variance of the sum score)."""
    k = len(rows[0])
    item_vars = [_var_exact([Fraction(r[j]) for r in rows]) for j in range(k)]
    totals = [Fraction(sum(r)) for r in rows]
    return Fraction(k, k - 1) * (1 - sum(item_vars, Fraction(0)) / _var_exact(totals))


def _alpha_pandas(df: pd.DataFrame) -> float:
    k = df.shape[1]
    return k / (k - 1) * (1 - df.var(ddof=1).sum() / df.sum(axis=1).var(ddof=1))


# ---------------------------------------------------------------------------
# (a) worked examples against independent computations
# ---------------------------------------------------------------------------


def test_doc_example_is_exactly_56_over_57() -> None:
    # item variances 5/3, 19/12, 5/3 (sum 59/12); total-score variance 57/4
    # alpha = 3/2 * (1 - (59/12)/(57/4)) = 56/57
    rows = [[1, 2, 2], [2, 3, 3], [3, 3, 4], [4, 5, 5]]
    assert _alpha_exact(rows) == Fraction(56, 57)
    assert cronbach_alpha(rows).alpha == pytest.approx(56 / 57, abs=1e-12)


def test_alpha_matches_exact_rational_variance_of_sum_formula() -> None:
    res = cronbach_alpha(DATA)
    exact = _alpha_exact(DATA.astype(int).tolist())
    assert res.alpha == pytest.approx(float(exact), abs=1e-12)
    assert res.alpha == pytest.approx(_alpha_pandas(pd.DataFrame(DATA)), abs=1e-12)


def test_standardized_alpha_and_average_r_match_corrcoef() -> None:
    res = cronbach_alpha(DATA)
    r = np.corrcoef(DATA, rowvar=False)
    k = DATA.shape[1]
    off = [r[i, j] for i in range(k) for j in range(k) if i != j]
    rbar = sum(off) / len(off)
    assert res.average_r == pytest.approx(rbar, abs=1e-12)
    assert res.standardized_alpha == pytest.approx(k * rbar / (1 + (k - 1) * rbar), abs=1e-12)
    # psych's form: k/(k-1) * (1 - tr(R)/sum(R))
    assert res.standardized_alpha == pytest.approx(k / (k - 1) * (1 - np.trace(r) / r.sum()), abs=1e-12)


def test_r_drop_is_corrcoef_of_item_with_rest_score() -> None:
    res = cronbach_alpha(DATA)
    for j in range(DATA.shape[1]):
        rest = np.delete(DATA, j, axis=1).sum(axis=1)
        expected = np.corrcoef(DATA[:, j], rest)[0, 1]
        assert res.r_drop[j] == pytest.approx(expected, abs=1e-12)


def test_alpha_if_deleted_recomputes_on_reduced_matrix() -> None:
    res = cronbach_alpha(DATA)
    for j in range(DATA.shape[1]):
        reduced = np.delete(DATA, j, axis=1).astype(int).tolist()
        assert res.alpha_if_deleted[j] == pytest.approx(float(_alpha_exact(reduced)), abs=1e-12)


def test_item_descriptives() -> None:
    res = cronbach_alpha(DATA, item_names=["a", "b", "c", "d"])
    np.testing.assert_allclose(res.item_means, DATA.mean(axis=0))
    np.testing.assert_allclose(res.item_sds, DATA.std(axis=0, ddof=1))
    assert res.item_n.tolist() == [6, 6, 6, 6]
    assert res.item_names == ("a", "b", "c", "d")
    assert (res.n_items, res.n_used, res.n_respondents, res.missing) == (4, 6, 6, "listwise")
    assert res.note is None


def _with_exact_covariance(cov: np.ndarray, n: int, seed: int) -> np.ndarray:
    """Data whose sample covariance (ddof=1) equals ``cov`` to rounding error."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, cov.shape[0]))
    z -= z.mean(axis=0)
    whiten = np.linalg.cholesky(np.cov(z, rowvar=False))
    z = np.linalg.solve(whiten, z.T).T  # sample covariance is now the identity
    return z @ np.linalg.cholesky(cov).T + 3.0


@pytest.mark.parametrize(("k", "r", "sd"), [(2, 0.3, 1.0), (5, 0.4, 2.5), (10, 0.15, 0.7)])
def test_parallel_items_spearman_brown_identity(k: int, r: float, sd: float) -> None:
    cov = sd**2 * (np.full((k, k), r) + (1 - r) * np.eye(k))
    x = _with_exact_covariance(cov, n=200, seed=k)
    np.testing.assert_allclose(np.cov(x, rowvar=False), cov, atol=1e-10)
    res = cronbach_alpha(x)
    expected = k * r / (1 + (k - 1) * r)
    assert res.alpha == pytest.approx(expected, abs=1e-10)
    assert res.standardized_alpha == pytest.approx(expected, abs=1e-10)
    assert res.average_r == pytest.approx(r, abs=1e-10)


# ---------------------------------------------------------------------------
# (b) identical items
# ---------------------------------------------------------------------------


def test_identical_items_have_alpha_one() -> None:
    col = np.array([1.0, 3.0, 2.0, 5.0, 4.0, 4.0])
    res = cronbach_alpha(np.column_stack([col, col, col]))
    assert res.alpha == pytest.approx(1.0)
    assert res.standardized_alpha == pytest.approx(1.0)
    assert res.average_r == pytest.approx(1.0)
    np.testing.assert_allclose(res.r_drop, 1.0)
    np.testing.assert_allclose(res.alpha_if_deleted, 1.0)


# ---------------------------------------------------------------------------
# (c) invariances (hypothesis)
# ---------------------------------------------------------------------------

likert = hnp.arrays(
    np.float64,
    st.tuples(st.integers(4, 25), st.integers(2, 6)),
    elements=st.integers(1, 7).map(float),
)


def _non_degenerate(x: np.ndarray) -> bool:
    return bool((x.var(axis=0) > 0).all() and x.sum(axis=1).var() > 0)


def _same(a: ReliabilityResult, b: ReliabilityResult, *, raw: bool = True) -> None:
    fields = ["standardized_alpha", "average_r"] + (["alpha"] if raw else [])
    for f in fields:
        va, vb = getattr(a, f), getattr(b, f)
        assert math.isclose(va, vb, rel_tol=1e-9, abs_tol=1e-9) or (math.isnan(va) and math.isnan(vb)), f
    if raw:
        np.testing.assert_allclose(a.r_drop, b.r_drop, rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(a.alpha_if_deleted, b.alpha_if_deleted, rtol=1e-9, atol=1e-9)


@settings(max_examples=100, deadline=None)
@given(x=likert, seed=st.integers(0, 2**32 - 1))
def test_invariant_to_respondent_order(x: np.ndarray, seed: int) -> None:
    assume(_non_degenerate(x))
    perm = np.random.default_rng(seed).permutation(x.shape[0])
    _same(cronbach_alpha(x), cronbach_alpha(x[perm]))


@settings(max_examples=100, deadline=None)
@given(x=likert, shift=st.floats(-50, 50), data=st.data())
def test_invariant_to_adding_constant_to_an_item(x: np.ndarray, shift: float, data: st.DataObject) -> None:
    assume(_non_degenerate(x))
    j = data.draw(st.integers(0, x.shape[1] - 1))
    y = x.copy()
    y[:, j] += shift
    _same(cronbach_alpha(x), cronbach_alpha(y))


@settings(max_examples=100, deadline=None)
@given(x=likert, factor=st.floats(0.01, 100), data=st.data())
def test_standardized_alpha_invariant_to_rescaling_an_item(x: np.ndarray, factor: float, data: st.DataObject) -> None:
    assume(_non_degenerate(x))
    j = data.draw(st.integers(0, x.shape[1] - 1))
    y = x.copy()
    y[:, j] *= factor
    a, b = cronbach_alpha(x), cronbach_alpha(y)
    _same(a, b, raw=False)
    # The rescaled item's own correlation with its rest-score is also unchanged.
    assert b.r_drop[j] == pytest.approx(a.r_drop[j], abs=1e-9)


# ---------------------------------------------------------------------------
# (d), (e) listwise versus pairwise
# ---------------------------------------------------------------------------


@settings(max_examples=50, deadline=None)
@given(x=likert)
def test_listwise_equals_pairwise_without_missing(x: np.ndarray) -> None:
    assume(_non_degenerate(x))
    lw = cronbach_alpha(x, missing="listwise")
    pw = cronbach_alpha(x, missing="pairwise")
    _same(lw, pw)
    assert lw.n_used == pw.n_used == x.shape[0]
    np.testing.assert_allclose(lw.item_means, pw.item_means)
    np.testing.assert_allclose(lw.item_sds, pw.item_sds)
    assert lw.item_n.tolist() == pw.item_n.tolist()


def _with_missing() -> np.ndarray:
    rng = np.random.default_rng(7)
    latent = rng.standard_normal((60, 1))
    x = np.round(3 + latent + 0.8 * rng.standard_normal((60, 5)))
    x[rng.random(x.shape) < 0.15] = np.nan
    return x


def test_pairwise_uses_more_data_than_listwise() -> None:
    x = _with_missing()
    lw = cronbach_alpha(x, missing="listwise")
    pw = cronbach_alpha(x, missing="pairwise")
    complete = int((~np.isnan(x).any(axis=1)).sum())
    assert lw.n_used == complete
    assert pw.n_used > lw.n_used
    assert (pw.item_n > lw.item_n).all()
    assert lw.item_n.tolist() == [complete] * 5
    assert pw.item_n.tolist() == (~np.isnan(x)).sum(axis=0).tolist()
    assert lw.n_respondents == pw.n_respondents == 60


def test_pairwise_matches_pandas_pairwise_cov_and_corr() -> None:
    x = _with_missing()
    df = pd.DataFrame(x)
    c = df.cov().to_numpy()  # pandas uses pairwise-complete observations
    r = df.corr().to_numpy()
    k = x.shape[1]
    pw = cronbach_alpha(x, missing="pairwise")
    assert pw.alpha == pytest.approx(k / (k - 1) * (1 - np.trace(c) / c.sum()), abs=1e-12)
    rbar = r[~np.eye(k, dtype=bool)].mean()
    assert pw.average_r == pytest.approx(rbar, abs=1e-12)
    pair_n = (~np.isnan(x)).astype(int).T @ (~np.isnan(x)).astype(int)
    assert pw.n_used == pair_n.min()
    np.testing.assert_allclose(pw.item_means, df.mean().to_numpy())
    np.testing.assert_allclose(pw.item_sds, df.std().to_numpy())


def test_listwise_with_missing_matches_complete_case_analysis() -> None:
    x = _with_missing()
    complete = x[~np.isnan(x).any(axis=1)]
    _same(cronbach_alpha(x), cronbach_alpha(complete))


# ---------------------------------------------------------------------------
# Edge cases and result object
# ---------------------------------------------------------------------------


def test_fewer_than_two_items_raises() -> None:
    with pytest.raises(ValueError, match="at least 2 items"):
        cronbach_alpha([[1.0], [2.0]])
    with pytest.raises(ValueError, match="2-dimensional"):
        cronbach_alpha([1.0, 2.0, 3.0])


def test_bad_arguments_raise() -> None:
    with pytest.raises(ValueError, match="item_names"):
        cronbach_alpha(DATA, item_names=["a"])
    with pytest.raises(ValueError, match="unique"):
        cronbach_alpha(DATA, item_names=["a", "a", "b", "c"])
    with pytest.raises(ValueError, match="infinite"):
        cronbach_alpha([[1.0, np.inf], [2.0, 3.0]])
    with pytest.raises(ValueError, match="missing"):
        cronbach_alpha(DATA, missing="mean")  # type: ignore[arg-type]


def test_fewer_than_two_usable_rows_gives_nan_and_note() -> None:
    x = [[1.0, 2.0, np.nan], [2.0, np.nan, 3.0], [3.0, 4.0, 5.0], [np.nan, 5.0, 6.0]]
    res = cronbach_alpha(x)
    assert res.n_used == 1
    assert math.isnan(res.alpha) and math.isnan(res.standardized_alpha)
    assert res.note is not None and "fewer than 2" in res.note
    pw = cronbach_alpha(x, missing="pairwise")
    assert pw.n_used == 2
    assert not math.isnan(pw.alpha)


def test_zero_variance_item_gives_nan_correlations() -> None:
    x = np.column_stack([DATA[:, 0], DATA[:, 1], np.full(6, 0.1 * 3)])
    res = cronbach_alpha(x)
    assert math.isnan(res.average_r) and math.isnan(res.standardized_alpha)
    assert math.isnan(res.r_drop[2])
    assert not math.isnan(res.r_drop[0])
    assert res.item_sds[2] == 0.0
    assert res.note is not None and "item3" in res.note
    # The constant item adds nothing to either variance term of raw alpha.
    two = DATA[:, :2]
    expected = 3 / 2 * (1 - two.var(axis=0, ddof=1).sum() / two.sum(axis=1).var(ddof=1))
    assert res.alpha == pytest.approx(expected, abs=1e-12)


def test_two_items_alpha_if_deleted_is_nan() -> None:
    res = cronbach_alpha(DATA[:, :2])
    assert np.isnan(res.alpha_if_deleted).all()
    assert not np.isnan(res.r_drop).any()


def test_result_is_frozen_and_read_only() -> None:
    res = cronbach_alpha(DATA)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        res.alpha = 0.0  # type: ignore[misc]
    with pytest.raises(ValueError):
        res.r_drop[0] = 0.0
    assert res == cronbach_alpha(DATA)
    assert hash(res) == hash(cronbach_alpha(DATA))


def test_to_rows_is_json_able() -> None:
    x = np.column_stack([DATA, np.full(6, 2.0)])
    rows = cronbach_alpha(x, item_names=["a", "b", "c", "d", "e"]).to_rows()
    assert [r["item"] for r in rows] == ["a", "b", "c", "d", "e"]
    assert rows[4]["r_drop"] is None
    text = json.dumps(rows, allow_nan=False)
    assert "NaN" not in text
    assert set(rows[0]) == {"item", "n", "mean", "sd", "r_drop", "alpha_if_deleted"}
