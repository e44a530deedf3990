"""Internal-consistency reliability: Cronbach's alpha and item statistics.

This module mirrors the core of R's ``psych::alpha`` (Revelle): raw and
standardised alpha, the average inter-item correlation, alpha-if-item-deleted
and corrected item-total correlations (``r.drop``).

All computations are vectorised over respondents; the only Python loops are
over items when formatting output.

References
----------
.. [1] Cronbach, L. J. (1951). Coefficient alpha and the internal structure of
   tests. *Psychometrika*, 16(3), 297-334.
.. [2] Revelle, W. *psych: Procedures for Psychological, Psychometric, and
   Personality Research*, function ``alpha``. Northwestern University.
.. [3] Nunnally, J. C., & Bernstein, I. H. (1994). *Psychometric Theory*
   (3rd ed.), ch. 6-7. McGraw-Hill.
.. [4] Wothke, W. (1993). Nonpositive definite matrices in structural modeling.
   In K. A. Bollen & J. S. Long (Eds.), *Testing Structural Equation Models*
   (pp. 256-293). Sage.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import attrs
import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["MissingMethod", "ReliabilityResult", "cronbach_alpha"]

MissingMethod = Literal["listwise", "pairwise"]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]

# A variance whose computed numerator is below this fraction of the sum of
# squared (shifted) values is indistinguishable from rounding error and is
# treated as exactly zero.
_ZERO_VAR_RTOL = 1e-10


def _array_eq(a: NDArray[Any], b: NDArray[Any]) -> bool:
    return a.shape == b.shape and bool(np.array_equal(a, b, equal_nan=True))


def _frozen_array(a: ArrayLike) -> NDArray[Any]:
    out = np.array(a, copy=True)
    out.setflags(write=False)
    return out


def _float_or_none(v: float) -> float | None:
    return None if not np.isfinite(v) else float(v)


@attrs.frozen
class ReliabilityResult:
    """Result of :func:`cronbach_alpha`.

    Attributes
    ----------
    alpha : float
        Raw coefficient alpha from the item covariance matrix ``C``.
    standardized_alpha : float
        Alpha from the item correlation matrix, ``k*rbar / (1 + (k-1)*rbar)``.
    average_r : float
        Mean off-diagonal inter-item correlation ``rbar``.
    n_items : int
        Number of items ``k``.
    n_used : int
        Listwise: number of complete rows.  Pairwise: the smallest number of
        jointly observed rows over all item pairs.
    n_respondents : int
        Number of rows in the input.
    missing : {"listwise", "pairwise"}
        Missing-data method used.
    item_names : tuple of str
        Item labels.
    alpha_if_deleted : ndarray of float, shape (k,)
        Raw alpha of the remaining ``k-1`` items (NaN when ``k == 2``).
    r_drop : ndarray of float, shape (k,)
        Corrected item-total correlation: item versus the sum of the other items.
    item_means, item_sds : ndarray of float, shape (k,)
        Item means and standard deviations (``ddof=1``).
    item_n : ndarray of int, shape (k,)
        Number of observations behind each item's mean and SD.
    note : str or None
        Why a statistic is NaN (too few rows, zero-variance items, ...), else None.

    All arrays are read-only.
    """

    alpha: float
    standardized_alpha: float
    average_r: float
    n_items: int
    n_used: int
    n_respondents: int
    missing: MissingMethod
    item_names: tuple[str, ...]
    alpha_if_deleted: FloatArray = attrs.field(converter=_frozen_array, eq=attrs.cmp_using(eq=_array_eq), hash=False)
    r_drop: FloatArray = attrs.field(converter=_frozen_array, eq=attrs.cmp_using(eq=_array_eq), hash=False)
    item_means: FloatArray = attrs.field(converter=_frozen_array, eq=attrs.cmp_using(eq=_array_eq), hash=False)
    item_sds: FloatArray = attrs.field(converter=_frozen_array, eq=attrs.cmp_using(eq=_array_eq), hash=False)
    item_n: IntArray = attrs.field(converter=_frozen_array, eq=attrs.cmp_using(eq=_array_eq), hash=False)
    note: str | None = None

    def to_rows(self) -> list[dict[str, Any]]:
        """Return one JSON-able dict per item (NaN is reported as ``None``).

        Returns
        -------
        list of dict
            Keys ``item``, ``n``, ``mean``, ``sd``, ``r_drop`` and
            ``alpha_if_deleted``.

        Examples
        --------
        >>> res = cronbach_alpha([[1, 2, 2], [2, 3, 3], [3, 3, 4], [4, 5, 5]])
        >>> res.to_rows()[0]["item"], res.to_rows()[0]["n"]
        ('item1', 4)
        """
        return [
            {
                "item": name,
                "n": int(self.item_n[j]),
                "mean": _float_or_none(self.item_means[j]),
                "sd": _float_or_none(self.item_sds[j]),
                "r_drop": _float_or_none(self.r_drop[j]),
                "alpha_if_deleted": _float_or_none(self.alpha_if_deleted[j]),
            }
            for j, name in enumerate(self.item_names)
        ]


def _pairwise_moments(
    data: FloatArray,
) -> tuple[FloatArray, FloatArray, FloatArray, NDArray[np.bool_]]:
    """Pairwise-complete covariance and correlation matrices via masked products.

    With ``M`` the observed-indicator matrix and ``Z`` the shifted data with
    missing cells set to 0, for items ``i, j``::

        n_ij  = (M'M)_ij                      jointly observed rows
        S_ij  = (Z'M)_ij = sum x_i  over rows where i and j are observed
        Q_ij  = ((Z*Z)'M)_ij = sum x_i^2 over the same rows
        P_ij  = (Z'Z)_ij = sum x_i x_j over the same rows
        cov_ij = (P_ij - S_ij S_ji / n_ij) / (n_ij - 1)
        var_i^(ij) = (Q_ij - S_ij^2 / n_ij) / (n_ij - 1)
        r_ij  = cov_ij / sqrt(var_i^(ij) var_j^(ij))

    Columns are shifted by their first observed value (covariances are
    shift-invariant) so that constant columns give exactly zero variance and
    cancellation error stays small.

    Returns
    -------
    cov, corr, pair_n, zero_var
        ``zero_var[i, j]`` is True when item ``i`` is constant on the rows where
        ``i`` and ``j`` are both observed.
    """
    observed = ~np.isnan(data)
    mf = observed.astype(np.float64)
    n_rows, k = data.shape
    if n_rows:
        first = np.argmax(observed, axis=0)
        shift = data[first, np.arange(k)]
        shift = np.where(np.isnan(shift), 0.0, shift)
    else:
        shift = np.zeros(k)
    z = np.where(observed, data - shift, 0.0)
    pair_n = mf.T @ mf
    s = z.T @ mf
    q = (z * z).T @ mf
    p = z.T @ z
    with np.errstate(divide="ignore", invalid="ignore"):
        var_num = q - s * s / pair_n
        zero_var = var_num <= _ZERO_VAR_RTOL * q
        var_part = np.where(zero_var, 0.0, var_num) / (pair_n - 1)
        cov = (p - s * s.T / pair_n) / (pair_n - 1)
        cov = np.where(zero_var | zero_var.T, 0.0, cov)
        corr = cov / np.sqrt(var_part * var_part.T)
    too_few = pair_n < 2
    cov[too_few] = np.nan
    corr[too_few | zero_var | zero_var.T] = np.nan
    corr = np.clip(corr, -1.0, 1.0)
    diag = np.diag_indices(k)
    corr[diag] = np.where(too_few[diag] | zero_var[diag], np.nan, 1.0)
    return cov, corr, pair_n, zero_var


def cronbach_alpha(
    x: ArrayLike,
    *,
    missing: MissingMethod = "listwise",
    item_names: Sequence[str] | None = None,
) -> ReliabilityResult:
    r"""Cronbach's coefficient alpha with item diagnostics (cf. ``psych::alpha``).

    Parameters
    ----------
    x : array_like, shape (n_respondents, k)
        Item scores, NaN for missing.  Negatively keyed items must already be
        reversed by the caller.
    missing : {"listwise", "pairwise"}, default "listwise"
        ``"listwise"`` uses only complete rows for every statistic.
        ``"pairwise"`` estimates each covariance/correlation from the rows where
        both items are observed (as R's ``cov(use="pairwise")``); item means,
        SDs and ``item_n`` then use every available observation of the item.
    item_names : sequence of str, optional
        Item labels; default ``item1 .. itemk``.

    Returns
    -------
    ReliabilityResult

    Raises
    ------
    ValueError
        If ``x`` is not two-dimensional, has fewer than 2 items, contains
        infinities, or ``item_names`` has the wrong length or duplicates.

    Notes
    -----
    With item covariance matrix :math:`C` (``ddof=1``) and correlation matrix
    :math:`R`,

    .. math::

        \alpha = \frac{k}{k-1}\left(1 - \frac{\operatorname{tr} C}{\mathbf 1' C \mathbf 1}\right)
               = \frac{k}{k-1}\left(1 - \frac{\sum_i s_i^2}{s_X^2}\right),
        \qquad
        \alpha_{std} = \frac{k \bar r}{1 + (k-1)\bar r},

    where :math:`\bar r` is the mean off-diagonal element of :math:`R`.
    Alpha-if-deleted applies the first formula to :math:`C` without row and
    column ``i``; ``r_drop`` is

    .. math::

        r_{i,X-i} = \frac{\sum_j C_{ij} - C_{ii}}
                         {\sqrt{C_{ii}\,(\mathbf 1'C\mathbf 1 - 2\sum_j C_{ij} + C_{ii})}},

    which for listwise data equals the Pearson correlation of item ``i`` with
    the rest-score.

    *Pairwise deletion.*  Each :math:`C_{ij}` uses its own subset of rows, so
    :math:`C` need not be positive semi-definite [4]_: alpha can then fall
    outside :math:`(-\infty, 1]`'s usual interpretation and the total
    variance :math:`\mathbf 1'C\mathbf 1` can even be non-positive (alpha is
    then NaN).  Correlations are Pearson correlations on the jointly observed
    rows (as R's ``cor(use="pairwise")``), so :math:`R` is not exactly
    ``cov2cor(C)`` when data are missing.  ``n_used`` is the smallest pairwise
    ``n``.

    *Degenerate cases.*  Fewer than 2 usable rows (or an item pair with fewer
    than 2 jointly observed rows) gives NaN statistics and an explanatory
    ``note``.  A zero-variance item has undefined correlations: its ``r_drop``,
    ``average_r`` and ``standardized_alpha`` are NaN, while raw alpha is still
    defined (the constant item adds nothing to either variance term).

    References
    ----------
    Cronbach (1951); Revelle, ``psych::alpha``; Wothke (1993) — see module
    docstring.

    Examples
    --------
    >>> res = cronbach_alpha([[1, 2, 2], [2, 3, 3], [3, 3, 4], [4, 5, 5]])
    >>> round(res.alpha, 4), round(res.standardized_alpha, 4), res.n_used
    (0.9825, 0.9824, 4)
    >>> [round(float(v), 3) for v in res.r_drop]
    [0.981, 0.923, 0.981]
    """
    data = np.array(x, dtype=np.float64)
    if data.ndim != 2:
        raise ValueError(f"x must be 2-dimensional (respondents x items), got ndim={data.ndim}")
    n_resp, k = data.shape
    if k < 2:
        raise ValueError(f"alpha needs at least 2 items, got {k}")
    if np.isinf(data).any():
        raise ValueError("x contains infinite values; use NaN for missing data")
    if missing not in ("listwise", "pairwise"):
        raise ValueError(f"missing must be 'listwise' or 'pairwise', got {missing!r}")
    if item_names is None:
        names = tuple(f"item{j + 1}" for j in range(k))
    else:
        names = tuple(str(s) for s in item_names)
        if len(names) != k:
            raise ValueError(f"item_names has {len(names)} entries for {k} items")
        if len(set(names)) != k:
            raise ValueError("item_names must be unique")

    notes: list[str] = []
    if missing == "listwise":
        complete = ~np.isnan(data).any(axis=1)
        data = data[complete]
    cov, corr, pair_n, zero_var = _pairwise_moments(data)
    diag = np.diag_indices(k)
    item_n = pair_n[diag].astype(np.int64)
    n_used = int(pair_n.min()) if n_resp else 0

    # Item means/SDs from each item's available observations (all complete rows
    # for listwise; every non-missing value for pairwise).
    observed = ~np.isnan(data)
    with np.errstate(divide="ignore", invalid="ignore"):
        item_means = np.where(observed, data, 0.0).sum(axis=0) / item_n
        dev = np.where(observed, data - item_means, 0.0)
        item_sds = np.sqrt((dev * dev).sum(axis=0) / (item_n - 1))
    item_means = np.where(item_n > 0, item_means, np.nan)
    item_sds = np.where(item_n > 1, item_sds, np.nan)
    item_sds = np.where(zero_var[diag] & (item_n > 1), 0.0, item_sds)

    nan_k = np.full(k, np.nan)
    if n_used < 2:
        where = "complete rows" if missing == "listwise" else "jointly observed rows for some pair"
        notes.append(f"fewer than 2 {where} (n_used={n_used}); statistics are NaN")
        return ReliabilityResult(
            alpha=float("nan"),
            standardized_alpha=float("nan"),
            average_r=float("nan"),
            n_items=k,
            n_used=n_used,
            n_respondents=n_resp,
            missing=missing,
            item_names=names,
            alpha_if_deleted=nan_k,
            r_drop=nan_k,
            item_means=item_means,
            item_sds=item_sds,
            item_n=item_n,
            note="; ".join(notes),
        )

    const = zero_var[diag]
    if const.any():
        bad = ", ".join(n for n, c in zip(names, const, strict=True) if c)
        notes.append(f"zero-variance item(s) {bad}: correlations are undefined (NaN)")

    trace = float(np.trace(cov))
    total = float(cov.sum())
    if total > 0:
        alpha = k / (k - 1) * (1.0 - trace / total)
    else:
        alpha = float("nan")
        notes.append("variance of the total score is not positive; alpha is NaN")

    off = ~np.eye(k, dtype=bool)
    average_r = float(corr[off].mean())
    with np.errstate(divide="ignore", invalid="ignore"):
        denom = 1.0 + (k - 1) * average_r
        std_alpha = k * average_r / denom if denom != 0 else float("nan")

    item_var = cov[diag]
    row_sum = cov.sum(axis=1)
    total_without = total - 2.0 * row_sum + item_var
    trace_without = trace - item_var
    with np.errstate(divide="ignore", invalid="ignore"):
        if k > 2:
            aid = (k - 1) / (k - 2) * (1.0 - trace_without / total_without)
            aid = np.where(total_without > 0, aid, np.nan)
        else:
            aid = nan_k
        r_drop = (row_sum - item_var) / np.sqrt(item_var * total_without)
    r_drop = np.where(const | ~(total_without > 0), np.nan, np.clip(r_drop, -1.0, 1.0))

    return ReliabilityResult(
        alpha=float(alpha),
        standardized_alpha=float(std_alpha),
        average_r=average_r,
        n_items=k,
        n_used=n_used,
        n_respondents=n_resp,
        missing=missing,
        item_names=names,
        alpha_if_deleted=aid,
        r_drop=r_drop,
        item_means=item_means,
        item_sds=item_sds,
        item_n=item_n,
        note="; ".join(notes) if notes else None,
    )
