"""Confidence intervals, two-sample tests, effect sizes and multiple-comparison control.

Pure numerics on arrays (numpy, and ``scipy.special`` for the t and normal distributions).
Everything that has a closed form is computed from *counted moments*: the count ``n``, the
mean and ``M2`` (the sum of squared deviations from the mean) of
:class:`~aspire_models.stats.moments.Moments`. Those merge exactly across chunks and Dask
partitions, so an interval or a test computed from merged moments is the one computed over
all the data at once.

* :func:`t_interval`: mean :math:`\\pm t_{1-\\alpha/2,\\,n-1}\\, s/\\sqrt n` (Student 1908).
* :func:`bootstrap_interval`: percentile bootstrap of a group mean (Efron & Tibshirani 1993,
  ch. 13), for skewed scales; drawn with a seeded generator, so repeatable.
* :func:`wilson_interval`: the score interval of a share (Wilson 1927), which stays inside
  [0, 1] and keeps its coverage for small counts and shares near 0 or 1 (Newcombe 1998).
* :func:`welch`: the difference of two means with Welch's t and the Welch-Satterthwaite
  degrees of freedom (Welch 1947); :func:`paired` the paired t on differences.
* :func:`hedges_g`: the standardised difference with the small-sample correction
  (Hedges 1981).
* :func:`permutation_p`: a two-sided permutation test of a difference of means (unpaired:
  labels shuffled; paired: signs flipped), with the ``(1 + hits) / (1 + resamples)`` p-value
  (Phipson & Smyth 2010).
* :func:`adjust`: Holm's step-down (Holm 1979) and Benjamini-Hochberg's step-up false
  discovery rate (Benjamini & Hochberg 1995) adjusted p-values.

>>> import numpy as np
>>> lo, hi = t_interval(np.array([4]), np.array([2.5]), np.array([5.0]))
>>> [round(float(lo[0]), 4), round(float(hi[0]), 4)]
[0.4457, 4.5543]
>>> lo, hi = wilson_interval(np.array([0]), np.array([10]))
>>> [round(float(lo[0]), 4), round(float(hi[0]), 4)]
[0.0, 0.2775]
"""

from __future__ import annotations

from typing import Literal

import attrs
import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "TwoSample",
    "adjust",
    "bootstrap_interval",
    "hedges_g",
    "paired",
    "permutation_p",
    "t_interval",
    "welch",
    "wilson_interval",
]

F64 = NDArray[np.float64]
Adjustment = Literal["holm", "bh", "none"]


def _check_confidence(confidence: float) -> None:
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be between 0 and 1 (exclusive), got {confidence!r}")


def _t_quantile(q: float, df: ArrayLike) -> F64:
    from scipy import special

    d = np.asarray(df, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        out: F64 = np.where(d > 0, special.stdtrit(np.where(d > 0, d, 1.0), q), np.nan)
    return out


def _t_two_sided_p(t: ArrayLike, df: ArrayLike) -> F64:
    from scipy import special

    tt = np.abs(np.asarray(t, dtype=np.float64))
    d = np.asarray(df, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        p = 2.0 * special.stdtr(np.where(d > 0, d, 1.0), -np.where(np.isinf(tt), 0.0, tt))
    p = np.where(np.isinf(tt), 0.0, p)
    out: F64 = np.where((d > 0) & ~np.isnan(tt), np.minimum(p, 1.0), np.nan)
    return out


def t_interval(n: ArrayLike, mean: ArrayLike, m2: ArrayLike, confidence: float = 0.95) -> tuple[F64, F64]:
    """Student-t confidence interval of a mean from its counted moments (``n``, ``mean``,
    ``M2``), elementwise. NaN where ``n < 2`` (no spread to estimate)."""
    _check_confidence(confidence)
    nn = np.asarray(n, dtype=np.float64)
    mu = np.asarray(mean, dtype=np.float64)
    ok = nn > 1
    with np.errstate(invalid="ignore", divide="ignore"):
        se = np.sqrt(np.asarray(m2, dtype=np.float64) / np.where(ok, nn - 1, 1.0) / np.where(ok, nn, 1.0))
        half = _t_quantile(0.5 + confidence / 2.0, nn - 1) * se
    lo: F64 = np.where(ok, mu - half, np.nan)
    hi: F64 = np.where(ok, mu + half, np.nan)
    return lo, hi


def _z(confidence: float) -> float:
    from scipy import special

    return float(special.ndtri(0.5 + confidence / 2.0))


def wilson_interval(count: ArrayLike, n: ArrayLike, confidence: float = 0.95) -> tuple[F64, F64]:
    """Wilson score interval of the share ``count / n``, elementwise; NaN where ``n == 0``."""
    _check_confidence(confidence)
    x = np.asarray(count, dtype=np.float64)
    nn = np.asarray(n, dtype=np.float64)
    z = _z(confidence)
    ok = nn > 0
    with np.errstate(invalid="ignore", divide="ignore"):
        m = np.where(ok, nn, 1.0)
        p = x / m
        denom = 1.0 + z * z / m
        centre = (p + z * z / (2.0 * m)) / denom
        half = z / denom * np.sqrt(np.maximum(p * (1.0 - p), 0.0) / m + z * z / (4.0 * m * m))
    # none or all chose it: the bound is exactly 0 or 1 (rounding would leave the share outside)
    lo: F64 = np.where(ok, np.where(x <= 0, 0.0, np.clip(centre - half, 0.0, 1.0)), np.nan)
    hi: F64 = np.where(ok, np.where(x >= nn, 1.0, np.clip(centre + half, 0.0, 1.0)), np.nan)
    return lo, hi


def bootstrap_interval(
    values: ArrayLike,
    codes: ArrayLike,
    n_groups: int,
    confidence: float = 0.95,
    *,
    resamples: int = 2000,
    seed: int = 0,
) -> tuple[F64, F64]:
    """Percentile bootstrap interval of each group's mean, per variable: ``values`` is rows x
    variables (NaN: missing, left out), ``codes`` each row's group (0..n_groups-1). Each
    group's non-missing values of a variable are resampled with replacement ``resamples``
    times. Returns (groups x variables) lows and highs; NaN where a group has fewer than 2
    values. Repeatable: the same ``seed`` gives the same interval, whatever the order of
    the rows (each group's values are sorted before resampling)."""
    _check_confidence(confidence)
    if resamples < 1:
        raise ValueError(f"resamples must be at least 1, got {resamples!r}")
    v = np.asarray(values, dtype=np.float64)
    if v.ndim == 1:
        v = v[:, None]
    g = np.asarray(codes)
    lo = np.full((n_groups, v.shape[1]), np.nan)
    hi = np.full((n_groups, v.shape[1]), np.nan)
    order = np.argsort(g, kind="stable")
    bounds = np.searchsorted(g[order], np.arange(n_groups + 1))
    q = [50.0 - 50.0 * confidence, 50.0 + 50.0 * confidence]
    for gi in range(n_groups):
        rows = order[bounds[gi] : bounds[gi + 1]]
        for j in range(v.shape[1]):
            x = np.sort(v[rows, j])
            x = x[~np.isnan(x)]
            if len(x) < 2:
                continue
            rng = np.random.default_rng([seed, gi, j])
            means = np.empty(resamples)
            step = max(1, (1 << 22) // len(x))
            for a in range(0, resamples, step):
                b = min(resamples, a + step)
                means[a:b] = x[rng.integers(0, len(x), size=(b - a, len(x)))].mean(axis=1)
            lo[gi, j], hi[gi, j] = np.percentile(means, q)
    return lo, hi


@attrs.frozen(eq=False)
class TwoSample:
    """A difference of means (second minus first) with its test, elementwise arrays."""

    change: F64
    se: F64
    df: F64
    t: F64
    p: F64
    ci_low: F64
    ci_high: F64


def _two_sample(change: F64, se: F64, df: F64, confidence: float) -> TwoSample:
    _check_confidence(confidence)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(se > 0, change / np.where(se > 0, se, 1.0), np.where(change == 0, 0.0, np.sign(change) * np.inf))
        half = _t_quantile(0.5 + confidence / 2.0, df) * se
    valid = (df > 0) & ~np.isnan(change) & ~np.isnan(se)
    t = np.where(valid, t, np.nan)
    p = _t_two_sided_p(t, df)
    return TwoSample(
        change, se, df, t, p, np.where(valid, change - half, np.nan), np.where(valid, change + half, np.nan)
    )


def welch(
    n1: ArrayLike,
    mean1: ArrayLike,
    m2_1: ArrayLike,
    n2: ArrayLike,
    mean2: ArrayLike,
    m2_2: ArrayLike,
    confidence: float = 0.95,
) -> TwoSample:
    """Welch's unequal-variance t test of ``mean2 - mean1`` from the two samples' counted
    moments, with the Welch-Satterthwaite degrees of freedom; elementwise. NaN where either
    sample has fewer than 2 values. Equal to ``scipy.stats.ttest_ind(y, x, equal_var=False)``.

    When both samples have no spread the t statistic is 0 (equal means) or infinite, and
    p is 1 or 0."""
    a_n = np.asarray(n1, dtype=np.float64)
    b_n = np.asarray(n2, dtype=np.float64)
    ok = (a_n > 1) & (b_n > 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        va = np.asarray(m2_1, dtype=np.float64) / np.where(ok, (a_n - 1) * a_n, 1.0)  # s1^2 / n1
        vb = np.asarray(m2_2, dtype=np.float64) / np.where(ok, (b_n - 1) * b_n, 1.0)
        se = np.sqrt(va + vb)
        df = (va + vb) ** 2 / (va * va / np.where(ok, a_n - 1, 1.0) + vb * vb / np.where(ok, b_n - 1, 1.0))
        df = np.where(va + vb > 0, df, a_n + b_n - 2)  # no spread: any df gives the same answer
        change = np.asarray(mean2, dtype=np.float64) - np.asarray(mean1, dtype=np.float64)
    nan = np.full(np.broadcast(a_n, b_n).shape, np.nan)
    return _two_sample(np.where(ok, change, nan), np.where(ok, se, nan), np.where(ok, df, nan), confidence)


def paired(n: ArrayLike, mean_diff: ArrayLike, m2_diff: ArrayLike, confidence: float = 0.95) -> TwoSample:
    """The paired t test from the counted moments of the differences (second minus first
    per respondent); equal to ``scipy.stats.ttest_rel(y, x)``. NaN where ``n < 2``."""
    nn = np.asarray(n, dtype=np.float64)
    ok = nn > 1
    with np.errstate(invalid="ignore", divide="ignore"):
        se = np.sqrt(np.asarray(m2_diff, dtype=np.float64) / np.where(ok, (nn - 1) * nn, 1.0))
    nan = np.full(nn.shape, np.nan)
    change = np.asarray(mean_diff, dtype=np.float64)
    return _two_sample(np.where(ok, change, nan), np.where(ok, se, nan), np.where(ok, nn - 1, nan), confidence)


def hedges_g(n1: ArrayLike, mean1: ArrayLike, m2_1: ArrayLike, n2: ArrayLike, mean2: ArrayLike, m2_2: ArrayLike) -> F64:
    """Hedges' g of ``mean2 - mean1``: the difference over the pooled standard deviation,
    times the exact small-sample correction
    :math:`J(\\nu) = \\Gamma(\\nu/2) / (\\sqrt{\\nu/2}\\,\\Gamma((\\nu-1)/2))`,
    :math:`\\nu = n_1 + n_2 - 2` (Hedges 1981). 0 when the means are equal; NaN when either
    sample has fewer than 2 values or there is no spread and the means differ."""
    from scipy import special

    a_n = np.asarray(n1, dtype=np.float64)
    b_n = np.asarray(n2, dtype=np.float64)
    ok = (a_n > 1) & (b_n > 1)
    nu = np.where(ok, a_n + b_n - 2, 2.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        pooled = np.sqrt((np.asarray(m2_1, dtype=np.float64) + np.asarray(m2_2, dtype=np.float64)) / nu)
        diff = np.asarray(mean2, dtype=np.float64) - np.asarray(mean1, dtype=np.float64)
        j = np.exp(special.gammaln(nu / 2.0) - special.gammaln((nu - 1.0) / 2.0)) / np.sqrt(nu / 2.0)
        g = np.where(diff == 0, 0.0, np.where(pooled > 0, diff / np.where(pooled > 0, pooled, 1.0), np.nan)) * j
    out: F64 = np.where(ok, g, np.nan)
    return out


def permutation_p(
    first: ArrayLike, second: ArrayLike, *, paired: bool = False, resamples: int = 9999, seed: int = 0
) -> float:
    """Two-sided permutation p-value of the difference of means ``mean(second) -
    mean(first)``. Unpaired: the pooled values are shuffled between the samples; paired
    (equal lengths, matched by position): each difference's sign is flipped at random.
    ``(1 + #{|resampled| >= |observed|}) / (1 + resamples)``; NaN when a sample is empty.
    The values are sorted before resampling, so the p-value does not depend on their order."""
    if resamples < 1:
        raise ValueError(f"resamples must be at least 1, got {resamples!r}")
    x = np.asarray(first, dtype=np.float64)
    y = np.asarray(second, dtype=np.float64)
    rng = np.random.default_rng(seed)
    tol = 1e-12
    if paired:
        if len(x) != len(y):
            raise ValueError(f"paired samples differ in length: {len(x)} and {len(y)}")
        d = np.sort(y - x)
        if len(d) == 0:
            return float("nan")
        observed = abs(float(d.mean()))
        hits = 0
        step = max(1, (1 << 22) // len(d))
        for a in range(0, resamples, step):
            b = min(resamples, a + step)
            signs = rng.integers(0, 2, size=(b - a, len(d))) * 2 - 1
            hits += int((np.abs((signs * d).mean(axis=1)) >= observed - tol * max(1.0, observed)).sum())
        return (1 + hits) / (1 + resamples)
    if len(x) == 0 or len(y) == 0:
        return float("nan")
    pooled = np.sort(np.concatenate([x, y]))
    n1, total = len(x), float(pooled.sum())
    observed = abs(float(y.mean()) - float(x.mean()))
    hits = 0
    step = max(1, (1 << 22) // len(pooled))
    for a in range(0, resamples, step):
        b = min(resamples, a + step)
        keys = rng.random((b - a, len(pooled)))
        chosen = np.argpartition(keys, n1 - 1, axis=1)[:, :n1] if n1 < len(pooled) else None
        s1 = pooled[chosen].sum(axis=1) if chosen is not None else np.full(b - a, total)
        diff = (total - s1) / max(len(y), 1) - s1 / n1
        hits += int((np.abs(diff) >= observed - tol * max(1.0, observed)).sum())
    return (1 + hits) / (1 + resamples)


def adjust(p: ArrayLike, method: Adjustment = "holm") -> F64:
    """Adjusted p-values for many comparisons: ``"holm"`` (family-wise error, step-down),
    ``"bh"`` (Benjamini-Hochberg false discovery rate, step-up) or ``"none"``. NaN p-values
    (no test) take no part and stay NaN. Equal to
    ``statsmodels.stats.multitest.multipletests(p, method="holm" | "fdr_bh")[1]``."""
    pv = np.asarray(p, dtype=np.float64)
    out = np.full(pv.shape, np.nan)
    have = np.flatnonzero(~np.isnan(pv))
    m = len(have)
    if method == "none" or m == 0:
        out[have] = pv[have]
        return out
    order = have[np.argsort(pv[have], kind="stable")]
    ranked = pv[order]
    if method == "holm":
        stepped = np.maximum.accumulate(ranked * (m - np.arange(m)))
    elif method == "bh":
        stepped = np.minimum.accumulate((ranked * m / np.arange(1, m + 1))[::-1])[::-1]
    else:
        raise ValueError(f"unknown adjustment {method!r}: use 'holm', 'bh' or 'none'")
    out[order] = np.minimum(stepped, 1.0)
    return out
