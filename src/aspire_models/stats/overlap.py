"""The partially overlapping samples t-test: two means where some people answered both times.

When a survey is repeated, some respondents answer both waves (*paired* observations) and
others only one (*independent* observations). Welch's test ignores the pairing and the paired
test drops everyone who answered once. Derrick, Toher and White (2017) give a test that uses
everyone: their unequal-variance statistic :math:`T_{new2}`,

.. math::

   T = \\frac{\\bar x_2 - \\bar x_1}
            {\\sqrt{s_1^2/n_1 + s_2^2/n_2 - 2 r s_1 s_2 n_{12} / (n_1 n_2)}}

with :math:`\\bar x_j`, :math:`s_j` and :math:`n_j` the mean, standard deviation and count of
*all* of sample :math:`j`, :math:`n_{12}` the paired observations and :math:`r` their Pearson
correlation, and the degrees of freedom

.. math::

   \\nu = (n_{12} - 1) + \\frac{\\gamma - n_{12} + 1}{n_a + n_b + 2 n_{12}}\\,(n_a + n_b)

where :math:`\\gamma` is Welch's degrees of freedom of the two whole samples and :math:`n_a
= n_1 - n_{12}`, :math:`n_b = n_2 - n_{12}` the unpaired counts. With no unpaired
observations it is the paired t test; with no paired ones, Welch's test.

Reference: Derrick, B., Toher, D. and White, P. (2017). How to compare the means of two
samples that include paired observations and independent observations: a companion to
Derrick, Russ, Toher and White (2017). *The Quantitative Methods for Psychology* 13(2),
120-126. (The formulas agree with the authors' R package ``Partiallyoverlapping``,
``Partover.test(var.equal = FALSE)``.)

Like :func:`~aspire_models.stats.intervals.welch`, everything is computed from counted
moments, elementwise over arrays:

>>> import numpy as np
>>> r = partial_overlap(np.array([4.0]), np.array([5.0]), np.array([6.0]),   # n1, mean1, M2_1
...                     np.array([5.0]), np.array([6.0]), np.array([8.0]),   # n2, mean2, M2_2
...                     np.array([3.0]), np.array([0.8]))                    # n12, r
>>> round(float(r.t[0]), 4), round(float(r.df[0]), 4)
(1.543, 3.5225)
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from aspire_models.stats.intervals import TwoSample, _two_sample

__all__ = ["partial_overlap"]


def partial_overlap(
    n1: ArrayLike,
    mean1: ArrayLike,
    m2_1: ArrayLike,
    n2: ArrayLike,
    mean2: ArrayLike,
    m2_2: ArrayLike,
    n12: ArrayLike,
    r: ArrayLike,
    confidence: float = 0.95,
) -> TwoSample:
    """The partially overlapping samples t-test of ``mean2 - mean1`` (Derrick, Toher and
    White 2017, :math:`T_{new2}`), elementwise.

    ``n1``, ``mean1``, ``m2_1`` (and ``n2``, ...): count, mean and M2 (sum of squared
    deviations) of *all* of each sample; ``n12``: how many observations are paired (in both
    samples); ``r``: the Pearson correlation of the paired observations. NaN where either
    sample has fewer than 2 values, or ``n12`` is not between 0 and both counts."""
    a_n = np.asarray(n1, dtype=np.float64)
    b_n = np.asarray(n2, dtype=np.float64)
    both = np.asarray(n12, dtype=np.float64)
    rr = np.asarray(r, dtype=np.float64)
    ok = (a_n > 1) & (b_n > 1) & (both >= 0) & (both <= a_n) & (both <= b_n)
    with np.errstate(invalid="ignore", divide="ignore"):
        var1 = np.asarray(m2_1, dtype=np.float64) / np.where(ok, a_n - 1, 1.0)  # s1^2, over all of sample 1
        var2 = np.asarray(m2_2, dtype=np.float64) / np.where(ok, b_n - 1, 1.0)
        v1, v2 = var1 / np.where(ok, a_n, 1.0), var2 / np.where(ok, b_n, 1.0)
        cov = np.where(both > 0, 2.0 * rr * np.sqrt(var1 * var2) * both / np.where(ok, a_n * b_n, 1.0), 0.0)
        se = np.sqrt(np.maximum(v1 + v2 - cov, 0.0))
        welch_df = (v1 + v2) ** 2 / (v1 * v1 / np.where(ok, a_n - 1, 1.0) + v2 * v2 / np.where(ok, b_n - 1, 1.0))
        welch_df = np.where(v1 + v2 > 0, welch_df, a_n + b_n - 2)  # no spread: any df gives the same answer
        unpaired = (a_n - both) + (b_n - both)
        df = (both - 1.0) + (welch_df - both + 1.0) / np.where(ok, unpaired + 2.0 * both, 1.0) * unpaired
        change = np.asarray(mean2, dtype=np.float64) - np.asarray(mean1, dtype=np.float64)
    nan = np.full(np.broadcast(a_n, b_n, both).shape, np.nan)
    return _two_sample(np.where(ok, change, nan), np.where(ok, se, nan), np.where(ok, df, nan), confidence)
