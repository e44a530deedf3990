"""Diffusion of innovation: Rogers' adopter categories and the Bass model.

This module is pure numerics (numpy and scipy only) and has no dependency on
the rest of :mod:`aspire_models`.  It covers three things:

1. **Adopter categories** (Rogers 2003, ch. 7).  Units (people, teams,
   councils, ...) are classified by *when* they adopted a practice into
   innovators, early adopters, early majority, late majority and laggards.
   Rogers partitions a normal adoption-time distribution at the mean and at
   one and two standard deviations either side of it, which gives the
   theoretical shares 2.5 / 13.5 / 34 / 34 / 16 per cent.
   :func:`classify_adopters` implements that rule (``method="sd"``) and a
   rank-based variant (``method="rank"``) that reproduces the theoretical
   shares exactly whatever the shape of the distribution.
2. **The Bass (1969) diffusion model**.  With coefficient of innovation
   ``p``, coefficient of imitation ``q`` and market potential ``m`` the
   cumulative share of adopters is

   .. math::

      F(t) = \\frac{1 - e^{-(p+q)t}}{1 + (q/p)\\,e^{-(p+q)t}}, \\qquad
      f(t) = F'(t) = \\frac{(p+q)^2}{p}
             \\frac{e^{-(p+q)t}}{\\bigl(1 + (q/p)\\,e^{-(p+q)t}\\bigr)^2},

   so that cumulative adopters are :math:`N(t) = m F(t)` and the adoption
   rate is :math:`n(t) = m f(t)`.  The rate peaks at
   :math:`t^* = \\ln(q/p) / (p+q)` when :math:`q > p`.
   :func:`fit_bass` estimates ``(p, q, m)`` from per-period adoption counts by
   non-linear least squares on the discrete formulation of Srinivasan and
   Mason (1986), :math:`x_k = m\\,[F(k) - F(k-1)] + \\varepsilon_k`.
3. **Innovativeness scores** across several practices
   (:func:`innovativeness`): per-practice standardised adoption times,
   averaged per unit, classified by the same standard-deviation rule
   (:func:`innovativeness_categories`).

Conventions
-----------
*Adoption times* are floats (a year, a survey wave, a period number, ...).
``NaN`` means "not (yet) adopted": the unit is right-censored.  Infinite
values are rejected.

*Periods* for the Bass model: period ``k = 1, 2, ...`` covers model time
``(k - 1, k]``, with ``t = 0`` at the start of the first period of the counts,
which is taken to be the *launch* period of the practice.  Callers may label
periods in their own units (e.g. years 2011, 2012, ...); the labels must be
equally spaced and are mapped to ``k`` by ``k = (label - first_label) / step + 1``.
When the launch is known, pass counts from the launch period on (leading
periods without adoptions are counted as zeros): starting the clock at the
first observed adoption instead shortens the time to the peak and biases
``p`` upwards whenever nobody adopted in the launch period.

*Refusals.*  Adopter categories are positions in a spread of adoption
times: with a single adopter, or all adopters in one period, there is no
spread and :func:`classify_adopters` refuses (``AdopterClassificationError``
with reason ``single-adopter`` or ``zero-spread``) rather than calling
everyone "late majority".  A Bass fit whose market potential ``m`` sits on
a bound (the adopters already observed, or the upper bound) is returned with
``status="m-at-bound"``: ``m`` is then not identified, and there are no
standard errors and no forecast.

*Prediction band* of the forecast (:class:`BassForecast`): the delta method
on the fit's asymptotic covariance of ``(p, q, m)`` plus the residual
variance of every future period's count (taken as independent of the fit),
with a t quantile on ``n - 3`` degrees of freedom.  It is an approximation: it
ignores the bounds on the parameters and assumes the per-period errors have
one variance.

References
----------
.. [Rogers2003] Rogers, E. M. (2003). *Diffusion of Innovations* (5th ed.).
   New York: Free Press.  Chapter 7, "Innovativeness and Adopter Categories".
.. [Bass1969] Bass, F. M. (1969). A new product growth for model consumer
   durables. *Management Science*, 15(5), 215-227.
.. [SM1986] Srinivasan, V. and Mason, C. H. (1986). Nonlinear least squares
   estimation of new product diffusion models. *Marketing Science*, 5(2),
   169-178.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

import attrs
import numpy as np
from numpy.typing import ArrayLike, NDArray

if TYPE_CHECKING:  # scipy is imported where it is used: importing it takes longer than most scoring runs
    from scipy import optimize

__all__ = [
    "ADOPTER_CATEGORIES",
    "CHASM_SHARE",
    "NOT_ADOPTED",
    "THEORETICAL_SHARES",
    "AdopterClassification",
    "AdopterClassificationError",
    "BassCurve",
    "BassFit",
    "BassForecast",
    "DiffusionFitError",
    "adoption_counts",
    "bass_cumulative",
    "bass_density",
    "bass_per_period",
    "classify_adopters",
    "fit_bass",
    "innovativeness",
    "innovativeness_categories",
]

FloatArray = NDArray[np.float64]

ADOPTER_CATEGORIES: tuple[str, ...] = (
    "innovators",
    "early-adopters",
    "early-majority",
    "late-majority",
    "laggards",
)
"""Rogers' five adopter categories, earliest first (codes 0..4)."""

THEORETICAL_SHARES: tuple[float, ...] = (0.025, 0.135, 0.34, 0.34, 0.16)
"""Rogers' theoretical shares of the five categories (sum to 1)."""

NOT_ADOPTED = "not-adopted"
"""Category label of right-censored units when ``censored="exclude"``."""

CHASM_SHARE = 0.16
"""Cumulative share (innovators + early adopters) marking Moore's "chasm"."""

#: Standardised-time boundaries of the sd rule: mean-2sd, mean-sd, mean, mean+sd.
_SD_BOUNDS: FloatArray = np.array([-2.0, -1.0, 0.0, 1.0])
#: Cumulative-share boundaries of the rank rule.
_RANK_BOUNDS: FloatArray = np.array([0.025, 0.16, 0.5, 0.84])
#: z-scores closer than this to a boundary are treated as lying on it.
_BOUNDARY_TOL = 1e-9
_LAGGARDS_CODE = 4
_NOT_ADOPTED_CODE = -1

Method = Literal["sd", "rank"]
Censored = Literal["exclude", "laggards"]
TableRow = dict[str, str | int | float | None]


class DiffusionFitError(ValueError):
    """The Bass model cannot be (reliably) fitted to the given counts."""


class AdopterClassificationError(ValueError):
    """The adoption times cannot be split into adopter categories.

    ``reason`` names the rule: ``"no-adopters"`` (every time is NaN),
    ``"single-adopter"`` (one adopter: no spread to measure) or
    ``"zero-spread"`` (all adopters share one adoption time, so nobody is
    earlier or later than anyone else).
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(f"{reason}: {message}")
        self.reason = reason


# ---------------------------------------------------------------------------
# Adopter classification
# ---------------------------------------------------------------------------


@attrs.frozen(eq=False)
class AdopterClassification:
    """Result of :func:`classify_adopters` / :func:`innovativeness_categories`.

    Attributes
    ----------
    categories : tuple of str
        Category of each unit, in input order (one of
        :data:`ADOPTER_CATEGORIES` or ``"not-adopted"``).
    codes : ndarray of int8
        ``0..4`` for the five categories, ``-1`` for not adopted.
    mean, sd : float
        Mean and sample standard deviation (``ddof=1``) of the adoption
        times of *adopted* units (always ``sd > 0``: data without a spread
        are refused).
        For :func:`innovativeness_categories` these are the reference values
        of the z scale, 0 and 1.
    method, censored : str
        The options used.
    n_units, n_adopted : int
        Number of units, and of units with a finite adoption time.
    observed_shares, theoretical_shares : dict of str to float
        Shares of the five categories.  The denominator is ``n_adopted``
        when ``censored="exclude"`` and ``n_units`` when
        ``censored="laggards"``; the observed shares sum to 1.
    """

    categories: tuple[str, ...]
    codes: NDArray[np.int8]
    mean: float
    sd: float
    method: Method
    censored: Censored
    n_units: int
    n_adopted: int
    observed_shares: dict[str, float]
    theoretical_shares: dict[str, float]

    def counts(self) -> dict[str, int]:
        """Number of units in each of the five categories.

        Examples
        --------
        >>> classify_adopters([1, 2, 3, 4, 5], method="rank").counts()["laggards"]
        1
        """
        return {name: int(np.count_nonzero(self.codes == code)) for code, name in enumerate(ADOPTER_CATEGORIES)}

    def table(self) -> list[TableRow]:
        """Observed versus theoretical shares, one row per category.

        Returns
        -------
        list of dict
            Rows ``{category, n, observed_share, theoretical_share}`` for the
            five categories; when ``censored="exclude"`` and some units have
            not adopted, a final ``"not-adopted"`` row with ``None`` shares.

        Examples
        --------
        >>> res = classify_adopters([1.0, 2.0, float("nan")])
        >>> [(row["category"], row["n"]) for row in res.table()][-1]
        ('not-adopted', 1)
        """
        counts = self.counts()
        rows: list[TableRow] = [
            {
                "category": name,
                "n": counts[name],
                "observed_share": self.observed_shares[name],
                "theoretical_share": self.theoretical_shares[name],
            }
            for name in ADOPTER_CATEGORIES
        ]
        n_not = int(np.count_nonzero(self.codes == _NOT_ADOPTED_CODE))
        if n_not:
            rows.append(
                {
                    "category": NOT_ADOPTED,
                    "n": n_not,
                    "observed_share": None,
                    "theoretical_share": None,
                }
            )
        return rows


def _as_times_1d(times: ArrayLike, name: str = "times") -> FloatArray:
    arr = np.asarray(times, dtype=np.float64)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty: need at least one unit")
    if np.isinf(arr).any():
        raise ValueError(f"{name} contains infinite values; use NaN for units that have not adopted")
    return arr


def _check_option(value: str, allowed: tuple[str, ...], name: str) -> None:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {allowed}, got {value!r}")


def _sd_codes(z: FloatArray) -> NDArray[np.int8]:
    """Rogers' sd rule on standardised times, half-open intervals ``[lo, hi)``."""
    nearest = np.round(z)
    snapped = np.where(np.abs(z - nearest) <= _BOUNDARY_TOL, nearest, z)
    return np.searchsorted(_SD_BOUNDS, snapped, side="right").astype(np.int8)


def _finish(
    codes: NDArray[np.int8],
    *,
    mean: float,
    sd: float,
    method: Method,
    censored: Censored,
    n_adopted: int,
) -> AdopterClassification:
    n_units = int(codes.size)
    denominator = n_adopted if censored == "exclude" else n_units
    observed = {
        name: float(np.count_nonzero(codes == code)) / denominator for code, name in enumerate(ADOPTER_CATEGORIES)
    }
    names = (*ADOPTER_CATEGORIES, NOT_ADOPTED)  # index -1 -> NOT_ADOPTED
    codes.setflags(write=False)
    return AdopterClassification(
        categories=tuple(names[int(c)] for c in codes),
        codes=codes,
        mean=mean,
        sd=sd,
        method=method,
        censored=censored,
        n_units=n_units,
        n_adopted=n_adopted,
        observed_shares=observed,
        theoretical_shares=dict(zip(ADOPTER_CATEGORIES, THEORETICAL_SHARES, strict=True)),
    )


def classify_adopters(
    times: ArrayLike,
    *,
    method: Method = "sd",
    censored: Censored = "exclude",
) -> AdopterClassification:
    """Classify units into Rogers' five adopter categories by adoption time.

    Parameters
    ----------
    times : array_like, shape (n_units,)
        Adoption time of each unit; ``NaN`` = not (yet) adopted
        (right-censored).
    method : {"sd", "rank"}
        ``"sd"`` -- Rogers' (2003, p. 280-281) standard-deviation rule on the
        adopted units, with mean :math:`\\bar t` and sample sd :math:`s`
        (``ddof=1``).  Intervals are closed on the left and open on the right,
        so a unit exactly on a boundary goes to the *later* category:

        ==============  ===========================================
        innovators      :math:`t < \\bar t - 2s`
        early adopters  :math:`\\bar t - 2s \\le t < \\bar t - s`
        early majority  :math:`\\bar t - s \\le t < \\bar t`
        late majority   :math:`\\bar t \\le t < \\bar t + s`
        laggards        :math:`t \\ge \\bar t + s`
        ==============  ===========================================

        The comparison is made on :math:`z = (t - \\bar t)/s`, and ``z``
        within ``1e-9`` of a boundary counts as on it (so the result does not
        depend on floating-point rounding of the mean).

        ``"rank"`` -- sort adopted units by time; a unit with (1-based) rank
        ``r`` occupies the cumulative-share interval ``((r-1)/D, r/D]`` and is
        assigned by its midpoint ``u = (r - 1/2)/D`` using the boundaries
        2.5 / 16 / 50 / 84 per cent (``u < 0.025`` innovators,
        ``0.025 <= u < 0.16`` early adopters, ... , ``u >= 0.84`` laggards).
        Tied times receive their *average* rank, hence all tied units get the
        same category.  ``D`` is the shares' denominator (see ``censored``).
    censored : {"exclude", "laggards"}
        ``"exclude"`` -- not-yet-adopters get ``"not-adopted"`` (code -1) and
        are excluded from the mean, sd and the shares' denominator.
        ``"laggards"`` -- they count as laggards and are in the denominator
        (for ``"rank"`` they occupy the ranks after all adopters), but are
        never used in the mean or sd.

    Returns
    -------
    AdopterClassification

    Raises
    ------
    AdopterClassificationError
        (a ``ValueError``) If there is no adopted unit (``"no-adopters"``),
        only one (``"single-adopter"``) or all adopters share one adoption
        time (``"zero-spread"``): the categories are positions in a spread of
        adoption times, and without a spread every unit would land in one
        category (all "late majority") by an artefact of the rule.
    ValueError
        If ``times`` is empty or not 1-D, contains infinite values, or an
        option is unknown.

    References
    ----------
    Rogers, E. M. (2003). *Diffusion of Innovations*, 5th ed., ch. 7.

    Examples
    --------
    >>> res = classify_adopters([2001, 2003, 2004, 2004, 2005, 2009, float("nan")])
    >>> res.codes.tolist()
    [1, 2, 2, 2, 3, 4, -1]
    >>> res.categories[0], res.categories[-1]
    ('early-adopters', 'not-adopted')
    >>> print(f"{res.mean:.2f} {res.sd:.2f} {res.observed_shares['laggards']:.3f}")
    2004.33 2.66 0.167
    """
    _check_option(method, ("sd", "rank"), "method")
    _check_option(censored, ("exclude", "laggards"), "censored")
    arr = _as_times_1d(times)
    adopted = np.isfinite(arr)
    n_adopted = int(adopted.sum())
    if n_adopted == 0:
        raise AdopterClassificationError("no-adopters", "no adopted units: every adoption time is NaN")
    x = arr[adopted]
    if n_adopted == 1:
        raise AdopterClassificationError(
            "single-adopter", f"only one unit adopted (at {x[0]:g}): there is no spread of adoption times to divide"
        )
    if np.ptp(x) == 0:
        raise AdopterClassificationError(
            "zero-spread",
            f"all {n_adopted} adopters adopted at the same time ({x[0]:g}): nobody adopted earlier or later "
            "than anyone else, so there are no adopter categories",
        )
    mean = float(x.mean())
    sd = float(x.std(ddof=1))

    if method == "sd":
        adopted_codes = _sd_codes((x - mean) / sd)
    else:
        denominator = n_adopted if censored == "exclude" else arr.size
        from scipy import stats

        u = (stats.rankdata(x, method="average") - 0.5) / denominator
        adopted_codes = np.searchsorted(_RANK_BOUNDS, u, side="right").astype(np.int8)

    fill = _NOT_ADOPTED_CODE if censored == "exclude" else _LAGGARDS_CODE
    codes = np.full(arr.size, fill, dtype=np.int8)
    codes[adopted] = adopted_codes
    return _finish(codes, mean=mean, sd=sd, method=method, censored=censored, n_adopted=n_adopted)


def adoption_counts(times: ArrayLike, periods: ArrayLike | None = None) -> tuple[FloatArray, FloatArray]:
    """Number of adoptions per integer period.

    A unit adopting at time ``t`` is counted in period ``floor(t)`` (so
    period ``k`` collects ``k <= t < k + 1``).  Not-yet-adopters (NaN) are
    excluded.

    Parameters
    ----------
    times : array_like, shape (n_units,)
        Adoption times; NaN = not adopted.
    periods : array_like of int, optional
        Periods to report, e.g. to include trailing periods without adoptions.
        Defaults to every integer from the earliest to the latest adoption.

    Returns
    -------
    periods, counts : ndarray of float64
        The periods and the number of adoptions in each.

    Raises
    ------
    ValueError
        On infinite times, no adopted units (when ``periods`` is not given),
        non-integer or non-increasing ``periods``, or adoptions falling
        outside the given ``periods``.

    Examples
    --------
    >>> periods, counts = adoption_counts([2001, 2001.5, 2003, float("nan")])
    >>> periods.tolist(), counts.tolist()
    ([2001.0, 2002.0, 2003.0], [2.0, 0.0, 1.0])
    """
    arr = _as_times_1d(times)
    bins = np.floor(arr[np.isfinite(arr)])
    if periods is None:
        if bins.size == 0:
            raise ValueError("no adopted units: cannot infer the periods to count")
        out_periods = np.arange(bins.min(), bins.max() + 1.0, dtype=np.float64)
    else:
        out_periods = np.asarray(periods, dtype=np.float64)
        if out_periods.ndim != 1 or out_periods.size == 0:
            raise ValueError("periods must be a non-empty one-dimensional array")
        if not np.all(np.isfinite(out_periods)) or np.any(out_periods != np.round(out_periods)):
            raise ValueError("periods must be finite integers")
        if np.any(np.diff(out_periods) <= 0):
            raise ValueError("periods must be strictly increasing")
    idx = np.searchsorted(out_periods, bins)
    inside = (idx < out_periods.size) & (out_periods[np.minimum(idx, out_periods.size - 1)] == bins)
    if not inside.all():
        outside = np.unique(bins[~inside])
        raise ValueError(f"adoptions in periods not listed in `periods`: {outside.tolist()}")
    counts = np.bincount(idx, minlength=out_periods.size).astype(np.float64)
    return out_periods, counts


# ---------------------------------------------------------------------------
# Bass model
# ---------------------------------------------------------------------------


def _check_bass_params(p: float, q: float, m: float) -> None:
    if not (math.isfinite(p) and p > 0):
        raise ValueError(f"p (coefficient of innovation) must be finite and > 0, got {p}")
    if not (math.isfinite(q) and q >= 0):
        raise ValueError(f"q (coefficient of imitation) must be finite and >= 0, got {q}")
    if not (math.isfinite(m) and m > 0):
        raise ValueError(f"m (market potential) must be finite and > 0, got {m}")


def _share(t: FloatArray, p: float, q: float) -> FloatArray:
    """Bass cumulative share F(t), with F(t) = 0 for t <= 0 (unchecked)."""
    s = (p + q) * np.maximum(t, 0.0)
    e = np.exp(-s)
    out: FloatArray = -np.expm1(-s) / (1.0 + (q / p) * e)
    return out


def _rate(t: FloatArray, p: float, q: float) -> FloatArray:
    """Bass density f(t) = F'(t), zero for t < 0 (unchecked)."""
    tt = np.maximum(t, 0.0)
    e = np.exp(-(p + q) * tt)
    out: FloatArray = (p + q) ** 2 / p * e / (1.0 + (q / p) * e) ** 2
    return np.where(t < 0, 0.0, out)


def _share_grad(t: FloatArray, p: float, q: float) -> tuple[FloatArray, FloatArray]:
    """Partial derivatives (dF/dp, dF/dq) of the Bass share (zero for t <= 0)."""
    tt = np.maximum(t, 0.0)
    r = q / p
    e = np.exp(-(p + q) * tt)
    den = (1.0 + r * e) ** 2
    common = (1.0 + r) * tt * e / den
    one_minus_e = -np.expm1(-(p + q) * tt)
    d_r = one_minus_e * e / den  # -dF/dr
    return common + d_r * q / p**2, common - d_r / p


def bass_cumulative(t: ArrayLike, p: float, q: float, m: float) -> FloatArray:
    """Cumulative adopters of the Bass model, :math:`N(t) = m F(t)`.

    .. math::

       F(t) = \\frac{1 - e^{-(p+q)t}}{1 + (q/p)\\,e^{-(p+q)t}}, \\quad t \\ge 0

    (``F(t) = 0`` for ``t < 0``).

    Parameters
    ----------
    t : array_like
        Time since launch (``t = 0``), in periods.
    p, q, m : float
        Coefficient of innovation (``> 0``), of imitation (``>= 0``) and
        market potential (``> 0``).

    Returns
    -------
    ndarray of float64
        ``m * F(t)``, same shape as ``t``.

    References
    ----------
    Bass, F. M. (1969). *Management Science*, 15(5), 215-227, eq. (5).

    Examples
    --------
    >>> bass_cumulative([0.0, 5.0, 50.0], p=0.03, q=0.38, m=1000).round(1).tolist()
    [0.0, 331.2, 1000.0]
    """
    _check_bass_params(p, q, m)
    return m * _share(np.asarray(t, dtype=np.float64), p, q)


def bass_density(t: ArrayLike, p: float, q: float, m: float) -> FloatArray:
    """Adoption rate of the Bass model, :math:`n(t) = m f(t)` (per period).

    .. math::

       f(t) = \\frac{(p+q)^2}{p}\\,
              \\frac{e^{-(p+q)t}}{\\bigl(1 + (q/p)\\,e^{-(p+q)t}\\bigr)^2}
            = \\bigl(p + q F(t)\\bigr)\\bigl(1 - F(t)\\bigr),

    maximal at :math:`t^* = \\ln(q/p)/(p+q)` when ``q > p`` (zero for
    ``t < 0``).

    Parameters
    ----------
    t : array_like
        Time since launch, in periods.
    p, q, m : float
        Bass parameters, see :func:`bass_cumulative`.

    Returns
    -------
    ndarray of float64
        New adoptions per unit time at ``t``.

    References
    ----------
    Bass, F. M. (1969). *Management Science*, 15(5), 215-227, eqs. (3)-(4).

    Examples
    --------
    >>> print(f"{bass_density(0.0, p=0.03, q=0.38, m=1000):.1f}")  # m * p at launch
    30.0
    """
    _check_bass_params(p, q, m)
    return m * _rate(np.asarray(t, dtype=np.float64), p, q)


def bass_per_period(periods: ArrayLike, p: float, q: float, m: float) -> FloatArray:
    """Expected adoptions per discrete period, :math:`m\\,[F(k) - F(k-1)]`.

    This is the discrete Bass formulation of Srinivasan and Mason (1986):
    period ``k`` (counted from the first period ``k = 1``) collects the
    adoptions made in ``(k - 1, k]``.

    Parameters
    ----------
    periods : int or array_like
        Either the number of periods ``T`` (giving ``k = 1..T``) or the
        period indices ``k`` themselves (1-based, may be non-integer).
    p, q, m : float
        Bass parameters, see :func:`bass_cumulative`.

    Returns
    -------
    ndarray of float64
        Expected adoptions in each period.

    References
    ----------
    Srinivasan, V. and Mason, C. H. (1986). *Marketing Science*, 5(2),
    169-178.

    Examples
    --------
    >>> bass_per_period(4, p=0.03, q=0.38, m=1000).round(2).tolist()
    [35.76, 49.3, 65.44, 82.65]
    """
    _check_bass_params(p, q, m)
    k = np.asarray(periods, dtype=np.float64)
    if k.ndim == 0 and float(k).is_integer() and k >= 1:
        k = np.arange(1.0, float(k) + 1.0)
    return m * (_share(k, p, q) - _share(k - 1.0, p, q))


@attrs.frozen(eq=False)
class BassCurve:
    """Continuous Bass S-curve for plotting (see :meth:`BassFit.curve`).

    Attributes
    ----------
    t : ndarray
        Model time (periods since the start of the first period, ``t = 0``).
    period : ndarray
        The same instants on the caller's period scale: the end of period
        ``k`` (``t = k``) is at its label, so ``cumulative`` lines up with
        :attr:`BassFit.cumulative_fitted` plotted against the labels.
    cumulative : ndarray
        :math:`m F(t)`, non-decreasing and bounded by ``m``.
    density : ndarray
        :math:`m f(t)`, new adoptions per period.
    """

    t: FloatArray
    period: FloatArray
    cumulative: FloatArray
    density: FloatArray


@attrs.frozen(eq=False)
class BassForecast:
    """Forecast beyond the observed periods (see :attr:`BassFit.forecast`).

    Attributes
    ----------
    periods : ndarray
        Period labels of the forecast periods (caller's units); the first is
        the period after the last observed one.
    per_period : ndarray
        Expected new adoptions in each forecast period, :math:`m[F(k) - F(k-1)]`.
    cumulative : ndarray
        Expected cumulative adopters at the end of each forecast period: the
        adopters observed so far plus the expected new adoptions,
        :math:`N_{obs}(n) + m[F(k) - F(n)]`.
    per_period_low, per_period_high, cumulative_low, cumulative_high : ndarray
        Prediction band at level ``level`` (see the module notes: delta
        method plus residual variance).  For ``per_period`` the variance is
        :math:`g_k^\\top \\Sigma g_k + \\hat\\sigma^2`, for ``cumulative`` after
        ``h`` periods :math:`G_h^\\top \\Sigma G_h + h\\hat\\sigma^2` with
        :math:`G_h = \\sum_{j \\le h} g_{n+j}`, where :math:`g_k` is the gradient of
        the period-``k`` count in ``(p, q, m)`` and :math:`\\Sigma` the fit's
        covariance.  Lower limits are cut at 0 (per period) and at the
        adopters already observed (cumulative).
    level : float
        Level of the band (the fit's ``confidence``).
    """

    periods: FloatArray
    per_period: FloatArray
    cumulative: FloatArray
    per_period_low: FloatArray = attrs.field(factory=lambda: np.empty(0))
    per_period_high: FloatArray = attrs.field(factory=lambda: np.empty(0))
    cumulative_low: FloatArray = attrs.field(factory=lambda: np.empty(0))
    cumulative_high: FloatArray = attrs.field(factory=lambda: np.empty(0))
    level: float = math.nan

    def __len__(self) -> int:
        return int(self.periods.size)


@attrs.frozen(eq=False)
class BassFit:
    """Result of :func:`fit_bass`.

    Attributes
    ----------
    p, q, m : float
        Estimated coefficients of innovation and imitation and market
        potential.
    p_se, q_se, m_se : float
        Asymptotic standard errors from
        :math:`\\hat\\sigma^2 (J^\\top J)^{-1}`, with
        :math:`\\hat\\sigma^2 = SSE/(n-3)` and ``J`` the Jacobian of the
        per-period model at the estimate.
    p_ci, q_ci, m_ci : tuple of float
        ``confidence`` intervals ``estimate -/+ t_{n-3} * se``.
    confidence : float
        Confidence level of the intervals.
    sse, rmse, r_squared : float
        Residual sum of squares of the per-period counts,
        ``sqrt(sse / n_periods)`` and ``1 - sse / sst``.
    n_periods, dof : int
        Number of observed periods and residual degrees of freedom ``n - 3``.
    converged : bool
        Whether the optimiser reported convergence for the retained start
        (always ``True``: :func:`fit_bass` raises otherwise).
    n_starts, n_converged : int
        Number of starting points tried and that converged.
    peak_time : float or None
        :math:`t^* = \\ln(q/p)/(p+q)` in model time; ``None`` if ``q <= p``
        (adoption rate highest at launch, no interior peak).
    peak_period : float or None
        Label of the period containing :math:`t^*`,
        ``first + (ceil(t*) - 1) * step``.
    chasm_time : float
        Model time at which :math:`F = 0.16` (innovators + early adopters).
    chasm_period : float or None
        Label of the first period ``k`` with fitted :math:`F(k) \\ge 0.16`;
        ``None`` if that is not within the observed periods plus the horizon.
    periods, observed : ndarray
        Period labels and observed counts.
    fitted, cumulative_fitted : ndarray
        Fitted per-period counts and fitted cumulative adopters ``m F(k)``.
    forecast : BassForecast
        ``horizon`` further periods with their prediction band; empty when
        ``status`` is ``"m-at-bound"`` (``m`` is then not identified, and
        neither is how many more units will adopt).
    step : float
        Spacing of the period labels.
    status : str
        ``"fitted"``, or ``"m-at-bound"`` when the estimate of ``m`` lies on
        one of its bounds (``m_bound`` says which).  At a bound the least
        squares estimate is a constrained one: the standard errors and
        intervals of the free fit do not apply, so they are NaN.
    m_bound : str or None
        ``"lower"`` (``m`` equals the adopters observed: the fit says nobody
        else will adopt, which the data cannot show), ``"upper"`` (adoption
        shows no sign of slowing down), or ``None``.
    """

    p: float
    q: float
    m: float
    p_se: float
    q_se: float
    m_se: float
    p_ci: tuple[float, float]
    q_ci: tuple[float, float]
    m_ci: tuple[float, float]
    confidence: float
    sse: float
    rmse: float
    r_squared: float
    n_periods: int
    dof: int
    converged: bool
    n_starts: int
    n_converged: int
    peak_time: float | None
    peak_period: float | None
    chasm_time: float
    chasm_period: float | None
    periods: FloatArray
    observed: FloatArray
    fitted: FloatArray
    cumulative_fitted: FloatArray
    forecast: BassForecast
    step: float
    status: str = "fitted"
    m_bound: str | None = None

    def to_period(self, t: ArrayLike) -> FloatArray:
        """Map model time to the caller's period scale (``t = k`` -> label ``k``).

        Examples
        --------
        >>> counts = bass_per_period(12, 0.03, 0.38, 500)
        >>> fit = fit_bass(counts, periods=range(2001, 2013))
        >>> fit.to_period([1.0, 2.5]).tolist()
        [2001.0, 2002.5]
        """
        out: FloatArray = self.periods[0] + (np.asarray(t, dtype=np.float64) - 1.0) * self.step
        return out

    def curve(self, n_points: int = 200, *, horizon: int | None = None) -> BassCurve:
        """Continuous S-curve data for plotting.

        Parameters
        ----------
        n_points : int
            Number of evenly spaced time points (``>= 2``).
        horizon : int, optional
            Number of periods beyond the observed ones to cover; defaults to
            the forecast horizon used in the fit.

        Returns
        -------
        BassCurve
            ``t`` from 0 to ``n_periods + horizon``.

        Examples
        --------
        >>> fit = fit_bass(bass_per_period(12, 0.03, 0.38, 500), horizon=8)
        >>> c = fit.curve(5)
        >>> c.t.tolist()
        [0.0, 5.0, 10.0, 15.0, 20.0]
        >>> bool(np.all(np.diff(c.cumulative) >= 0) and c.cumulative[-1] <= fit.m)
        True
        """
        if n_points < 2:
            raise ValueError(f"n_points must be >= 2, got {n_points}")
        h = len(self.forecast) if horizon is None else horizon
        if h < 0:
            raise ValueError(f"horizon must be >= 0, got {h}")
        t = np.linspace(0.0, float(self.n_periods + h), n_points)
        return BassCurve(
            t=t,
            period=self.to_period(t),
            cumulative=self.m * _share(t, self.p, self.q),
            density=self.m * _rate(t, self.p, self.q),
        )


_P_STARTS = (0.002, 0.01, 0.03, 0.1)
_Q_STARTS = (0.05, 0.2, 0.5, 1.0, 1.6)
_P_BOUNDS = (1e-8, 1.0 - 1e-8)
_Q_BOUNDS = (0.0, 2.0)
_DEFAULT_M_FACTOR = 100.0
#: Relative distance to either m bound regarded as "at the bound".
_M_BOUND_RTOL = 1e-3
#: Largest accepted relative standard error of m (se(m) / m).
_MAX_M_RELATIVE_SE = 1.0


def _period_labels(periods: ArrayLike | None, n: int) -> tuple[FloatArray, float]:
    if periods is None:
        return np.arange(1.0, n + 1.0), 1.0
    labels = np.asarray(periods, dtype=np.float64)
    if labels.shape != (n,):
        raise DiffusionFitError(f"periods must have one label per count: expected shape ({n},), got {labels.shape}")
    if not np.all(np.isfinite(labels)):
        raise DiffusionFitError("periods must be finite")
    steps = np.diff(labels)
    step = float(steps[0])
    if step <= 0 or not np.allclose(steps, step, rtol=1e-9, atol=0.0):
        raise DiffusionFitError("periods must be strictly increasing and equally spaced")
    return labels, step


def _interval(estimate: float, se: float, tcrit: float) -> tuple[float, float]:
    return (estimate - tcrit * se, estimate + tcrit * se)


def fit_bass(
    counts: ArrayLike,
    *,
    periods: ArrayLike | None = None,
    m_bounds: tuple[float, float] | None = None,
    horizon: int = 10,
    confidence: float = 0.95,
) -> BassFit:
    """Fit the Bass model to per-period adoption counts by non-linear least squares.

    Minimises :math:`\\sum_k \\bigl(x_k - m[F(k) - F(k-1)]\\bigr)^2` over
    ``(p, q, m)`` -- the discrete formulation of Srinivasan and Mason (1986),
    which avoids the time-interval bias of Bass's (1969) original OLS
    regression -- with bounds ``0 < p < 1``, ``0 <= q <= 2`` and
    ``m_lo <= m <= m_hi``.  :func:`scipy.optimize.least_squares` (trust
    region reflective, analytic Jacobian) is started from a 4 x 5 grid of
    ``(p, q)`` values, each with the ``m`` that is optimal for it, and the
    converged solution with the smallest SSE is kept.

    Parameters
    ----------
    counts : array_like, shape (n_periods,)
        New adoptions in each consecutive period, starting with the launch
        period of the practice (``t = 0`` is the start of ``counts[0]``'s
        period); periods without adoptions count as zeros.
    periods : array_like, optional
        Equally spaced labels of the periods (e.g. years); default
        ``1..n_periods``.  ``peak_period``, ``chasm_period`` and the forecast
        are expressed in these units.
    m_bounds : (float, float), optional
        Bounds on the market potential; default
        ``(total observed, 100 * total observed)``.
    horizon : int
        Number of periods to forecast beyond the last observed one.
    confidence : float
        Level of the confidence intervals and of the forecast's prediction
        band (t distribution, ``n - 3`` dof).

    Returns
    -------
    BassFit

    Raises
    ------
    DiffusionFitError
        Fewer than 4 periods; negative or non-finite counts; zero total
        adoptions; no growth (constant counts, or no adoptions after the
        first period); optimiser failure or non-finite covariance; a
        standard error of ``m`` larger than ``m`` itself (market potential
        not identifiable -- e.g. noisy counts with no trend).  A fitted ``m``
        within 0.1 % of one of its bounds is not an error: the fit is
        returned with ``status="m-at-bound"`` and no standard errors or
        forecast.

    References
    ----------
    Bass, F. M. (1969). *Management Science*, 15(5), 215-227.
    Srinivasan, V. and Mason, C. H. (1986). *Marketing Science*, 5(2),
    169-178.

    Examples
    --------
    >>> counts = bass_per_period(20, p=0.03, q=0.38, m=1000)
    >>> fit = fit_bass(counts, periods=range(2001, 2021))
    >>> print(f"p={fit.p:.3f} q={fit.q:.2f} m={fit.m:.0f}")
    p=0.030 q=0.38 m=1000
    >>> fit.peak_period, fit.chasm_period
    (2007.0, 2004.0)
    """
    y = np.asarray(counts, dtype=np.float64)
    if y.ndim != 1:
        raise DiffusionFitError(f"counts must be one-dimensional, got shape {y.shape}")
    n = int(y.size)
    if n < 4:
        raise DiffusionFitError(f"need at least 4 periods to fit the 3-parameter Bass model, got {n}")
    if not np.all(np.isfinite(y)):
        raise DiffusionFitError("counts must be finite")
    if np.any(y < 0):
        raise DiffusionFitError("counts must be non-negative")
    total = float(y.sum())
    if total <= 0:
        raise DiffusionFitError("total adoptions are zero: nothing to fit")
    if np.all(y[1:] == 0):
        raise DiffusionFitError("no growth: no adoptions after the first period")
    if np.all(y == y[0]):
        raise DiffusionFitError("no growth: counts are constant, so p, q and m cannot be identified")
    if not isinstance(horizon, int | np.integer) or horizon < 0:
        raise ValueError(f"horizon must be a non-negative integer, got {horizon!r}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    labels, step = _period_labels(periods, n)
    if m_bounds is None:
        m_lo, m_hi = total, _DEFAULT_M_FACTOR * total
    else:
        m_lo, m_hi = (float(b) for b in m_bounds)
        if not (math.isfinite(m_lo) and math.isfinite(m_hi) and 0 < m_lo < m_hi):
            raise ValueError(f"m_bounds must satisfy 0 < lower < upper < inf, got {m_bounds}")

    # Work on counts scaled by the total for conditioning.
    k = np.arange(1.0, n + 1.0)
    ys = y / total
    lo = np.array([_P_BOUNDS[0], _Q_BOUNDS[0], m_lo / total])
    hi = np.array([_P_BOUNDS[1], _Q_BOUNDS[1], m_hi / total])

    def residuals(x: FloatArray) -> FloatArray:
        p, q, m = float(x[0]), float(x[1]), float(x[2])
        out: FloatArray = m * (_share(k, p, q) - _share(k - 1.0, p, q)) - ys
        return out

    def jacobian(x: FloatArray) -> FloatArray:
        return _jacobian(k, float(x[0]), float(x[1]), float(x[2]))

    margin = 1e-6 * (hi - lo)
    best: optimize.OptimizeResult | None = None
    n_converged = 0
    for p0 in _P_STARTS:
        for q0 in _Q_STARTS:
            g = _share(k, p0, q0) - _share(k - 1.0, p0, q0)
            m0 = float(g @ ys / (g @ g))
            x0 = np.clip(np.array([p0, q0, m0]), lo + margin, hi - margin)
            res = _least_squares(residuals, jacobian, x0, lo, hi)
            if res.status <= 0 or not np.all(np.isfinite(res.x)):
                continue
            n_converged += 1
            if best is None or res.cost < best.cost:
                best = res
    n_starts = len(_P_STARTS) * len(_Q_STARTS)
    if best is None:
        raise DiffusionFitError(
            "the Bass fit did not converge from any starting point; the counts do not look like a diffusion process"
        )

    p, q = float(best.x[0]), float(best.x[1])
    m = float(best.x[2]) * total
    # at a bound: the optimiser says the bound constrains the estimate (its active set), or m
    # lies within 0.1 % of the upper bound (a likelihood that is flat in m up there)
    active = int(np.asarray(best.active_mask)[2])
    m_bound: str | None = None
    if active > 0 or m >= m_hi * (1.0 - _M_BOUND_RTOL):
        m_bound = "upper"
    elif active < 0:
        m_bound = "lower"

    fitted = m * (_share(k, p, q) - _share(k - 1.0, p, q))
    resid = y - fitted
    sse = float(resid @ resid)
    sst = float(((y - y.mean()) ** 2).sum())
    dof = n - 3
    nan_pair = (math.nan, math.nan)
    if m_bound is None:
        jac = _jacobian(k, p, q, m)
        try:
            cov = np.asarray((sse / dof) * np.linalg.inv(jac.T @ jac), dtype=np.float64)
        except np.linalg.LinAlgError as exc:
            raise DiffusionFitError("singular Jacobian at the Bass estimate: parameters are not identifiable") from exc
        variances = np.diag(cov)
        if not np.all(np.isfinite(cov)) or np.any(variances < -1e-12 * np.abs(variances).max()):
            raise DiffusionFitError("non-finite covariance of the Bass estimates")
        p_se, q_se, m_se = (float(v) for v in np.sqrt(np.maximum(variances, 0.0)))
        if m_se > _MAX_M_RELATIVE_SE * m:
            raise DiffusionFitError(
                f"the market potential m cannot be identified from the data: its standard error "
                f"({m_se:.3g}) exceeds the estimate ({m:.3g}); the counts show no diffusion trend"
            )
    else:  # a constrained estimate: the free fit's covariance does not describe it
        cov = np.full((3, 3), math.nan)
        p_se = q_se = m_se = math.nan
    from scipy import stats

    tcrit = float(stats.t.ppf(0.5 + confidence / 2.0, dof))

    def label(index: float) -> float:
        return float(labels[0] + (index - 1.0) * step)

    peak_time: float | None = None
    peak_period: float | None = None
    if q > p:
        peak_time = math.log(q / p) / (p + q)
        peak_period = label(max(math.ceil(peak_time), 1))
    chasm_time = -math.log((1.0 - CHASM_SHARE) / (1.0 + CHASM_SHARE * q / p)) / (p + q)
    k_all = np.arange(1.0, n + horizon + 1.0)
    share_all = _share(k_all, p, q)
    crossed = np.flatnonzero(share_all >= CHASM_SHARE)
    chasm_period = label(float(k_all[crossed[0]])) if crossed.size else None

    if m_bound is None:
        forecast = _forecast(p, q, m, cov, sse / dof, tcrit, n, horizon, float(y.sum()), labels[-1], step, confidence)
    else:
        empty = np.empty(0)
        forecast = BassForecast(empty, empty, empty, empty, empty, empty, empty, confidence)
    return BassFit(
        p=p,
        q=q,
        m=m,
        p_se=p_se,
        q_se=q_se,
        m_se=m_se,
        p_ci=_interval(p, p_se, tcrit) if m_bound is None else nan_pair,
        q_ci=_interval(q, q_se, tcrit) if m_bound is None else nan_pair,
        m_ci=_interval(m, m_se, tcrit) if m_bound is None else nan_pair,
        confidence=confidence,
        sse=sse,
        rmse=math.sqrt(sse / n),
        r_squared=1.0 - sse / sst,
        n_periods=n,
        dof=dof,
        converged=bool(best.success),
        n_starts=n_starts,
        n_converged=n_converged,
        peak_time=peak_time,
        peak_period=peak_period,
        chasm_time=chasm_time,
        chasm_period=chasm_period,
        periods=labels,
        observed=y,
        fitted=fitted,
        cumulative_fitted=m * _share(k, p, q),
        forecast=forecast,
        step=step,
        status="fitted" if m_bound is None else "m-at-bound",
        m_bound=m_bound,
    )


def _forecast(
    p: float,
    q: float,
    m: float,
    cov: FloatArray,
    sigma2: float,
    tcrit: float,
    n: int,
    horizon: int,
    observed_total: float,
    last_label: float,
    step: float,
    level: float,
) -> BassForecast:
    """Forecast of ``horizon`` periods after period ``n`` with its prediction band."""
    k_fc = np.arange(n + 1.0, n + horizon + 1.0)
    per_period = m * (_share(k_fc, p, q) - _share(k_fc - 1.0, p, q))
    cumulative = observed_total + np.cumsum(per_period)
    g = _jacobian(k_fc, p, q, m)  # gradient of each period's count in (p, q, m)
    big_g = np.cumsum(g, axis=0)  # ... of the cumulative count after h periods
    h = np.arange(1.0, horizon + 1.0)
    var_per = np.einsum("ij,jk,ik->i", g, cov, g) + sigma2
    var_cum = np.einsum("ij,jk,ik->i", big_g, cov, big_g) + h * sigma2
    half_per = tcrit * np.sqrt(np.maximum(var_per, 0.0))
    half_cum = tcrit * np.sqrt(np.maximum(var_cum, 0.0))
    return BassForecast(
        periods=last_label + step * h,
        per_period=per_period,
        cumulative=cumulative,
        per_period_low=np.maximum(per_period - half_per, 0.0),
        per_period_high=per_period + half_per,
        cumulative_low=np.maximum(cumulative - half_cum, observed_total),
        cumulative_high=cumulative + half_cum,
        level=level,
    )


def _jacobian(k: FloatArray, p: float, q: float, m: float) -> FloatArray:
    """Jacobian of ``m [F(k) - F(k-1)]`` with respect to ``(p, q, m)``."""
    dp1, dq1 = _share_grad(k, p, q)
    dp0, dq0 = _share_grad(k - 1.0, p, q)
    g = _share(k, p, q) - _share(k - 1.0, p, q)
    return np.column_stack([m * (dp1 - dp0), m * (dq1 - dq0), g])


def _least_squares(
    fun: Callable[[FloatArray], FloatArray],
    jac: Callable[[FloatArray], FloatArray],
    x0: FloatArray,
    lo: FloatArray,
    hi: FloatArray,
) -> optimize.OptimizeResult:
    from scipy import optimize

    return optimize.least_squares(
        fun,
        x0,
        jac=jac,
        bounds=(lo, hi),
        method="trf",
        x_scale="jac",
        ftol=1e-12,
        xtol=1e-12,
        gtol=1e-12,
        max_nfev=500,
    )


# ---------------------------------------------------------------------------
# Innovativeness over several practices
# ---------------------------------------------------------------------------


def innovativeness(times: ArrayLike) -> FloatArray:
    """Innovativeness score of each unit over several practices.

    For each practice ``j`` with at least two adopters and non-zero spread,
    adoption times are standardised over that practice's adopters,
    :math:`z_{ij} = (t_{ij} - \\bar t_j)/s_j` (``ddof=1``); practices with
    fewer than two adopters or ``s_j = 0`` are ignored.  A unit's score is the
    mean of its :math:`z_{ij}` over the (retained) practices it adopted --
    lower means earlier, i.e. more innovative (Rogers 2003, ch. 7, where
    innovativeness is "the degree to which an individual ... is relatively
    earlier in adopting new ideas").

    Parameters
    ----------
    times : array_like, shape (n_units, n_practices)
        Adoption times; NaN = not adopted.

    Returns
    -------
    ndarray of float64, shape (n_units,)
        Mean standardised adoption time; NaN for units without any retained
        adoption.

    Raises
    ------
    ValueError
        If ``times`` is not 2-D, is empty or contains infinite values.

    Examples
    --------
    >>> t = [[1.0, 2.0], [2.0, 3.0], [3.0, float("nan")], [float("nan"), float("nan")]]
    >>> innovativeness(t).round(3).tolist()
    [-0.854, 0.354, 1.0, nan]
    """
    arr = np.asarray(times, dtype=np.float64)
    if arr.ndim != 2:
        raise ValueError(f"times must be 2-D (units x practices), got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError("times is empty: need at least one unit and one practice")
    if np.isinf(arr).any():
        raise ValueError("times contains infinite values; use NaN for not adopted")
    adopted = np.isfinite(arr)
    n_j = adopted.sum(axis=0)
    filled = np.where(adopted, arr, 0.0)
    safe_n = np.maximum(n_j, 1)
    mean_j = filled.sum(axis=0) / safe_n
    dev = np.where(adopted, arr - mean_j, 0.0)
    sd_j = np.sqrt((dev**2).sum(axis=0) / np.maximum(n_j - 1, 1))
    lo_j = np.where(adopted, arr, np.inf).min(axis=0)
    hi_j = np.where(adopted, arr, -np.inf).max(axis=0)
    usable = (n_j >= 2) & (hi_j > lo_j)
    cells = adopted & usable
    z = np.where(cells, dev / np.where(usable, sd_j, 1.0), 0.0)
    n_i = cells.sum(axis=1)
    out: FloatArray = np.where(n_i > 0, z.sum(axis=1) / np.maximum(n_i, 1), np.nan)
    return out


def innovativeness_categories(scores: ArrayLike, *, censored: Censored = "exclude") -> AdopterClassification:
    """Adopter categories from innovativeness scores, by the sd rule on ``z``.

    The scores of :func:`innovativeness` are already on a standardised scale,
    so Rogers' rule is applied to them directly: ``z < -2`` innovators,
    ``-2 <= z < -1`` early adopters, ``-1 <= z < 0`` early majority,
    ``0 <= z < 1`` late majority, ``z >= 1`` laggards (values within
    ``1e-9`` of a boundary count as on it).  NaN scores are "not-adopted",
    or laggards with ``censored="laggards"``; shares as in
    :func:`classify_adopters`.  The result's ``mean`` and ``sd`` are those of
    the reference z scale (0 and 1) and ``method`` is ``"sd"``.

    Parameters
    ----------
    scores : array_like, shape (n_units,)
        Innovativeness scores; NaN = no adoption.
    censored : {"exclude", "laggards"}
        Treatment of units without a score.

    Returns
    -------
    AdopterClassification

    Raises
    ------
    ValueError
        On empty input, infinite scores, or no finite score.

    Examples
    --------
    >>> innovativeness_categories([-2.5, -0.3, 0.0, 1.2, float("nan")]).categories
    ('innovators', 'early-majority', 'late-majority', 'laggards', 'not-adopted')
    """
    _check_option(censored, ("exclude", "laggards"), "censored")
    arr = _as_times_1d(scores, "scores")
    adopted = np.isfinite(arr)
    n_adopted = int(adopted.sum())
    if n_adopted == 0:
        raise ValueError("no adopted units: every score is NaN")
    fill = _NOT_ADOPTED_CODE if censored == "exclude" else _LAGGARDS_CODE
    codes = np.full(arr.size, fill, dtype=np.int8)
    codes[adopted] = _sd_codes(arr[adopted])
    return _finish(codes, mean=0.0, sd=1.0, method="sd", censored=censored, n_adopted=n_adopted)
