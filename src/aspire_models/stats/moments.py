"""Mergeable sufficient statistics: count, mean, sum of squared deviations (M2), min, max.

Grouped statistics over millions of values are computed with ``numpy.bincount`` (no Python
loop over rows), and two partial results merge exactly as if computed over the union of
their data (Chan, Golub & LeVeque 1979 pairwise update), which is what lets chunks, Dask
partitions or Spark tasks be combined:

.. math::

   n = n_a + n_b,\\quad \\delta = \\bar x_b - \\bar x_a,\\quad
   \\bar x = \\bar x_a + \\delta\\,n_b/n,\\quad M_2 = M_{2,a} + M_{2,b} + \\delta^2 n_a n_b / n

>>> import numpy as np
>>> v = np.array([[1.0], [2.0], [3.0], [4.0]]); g = np.array([0, 0, 1, 1])
>>> whole = Moments.grouped(v, g, 2)
>>> parts = Moments.grouped(v[:3], g[:3], 2).merge(Moments.grouped(v[3:], g[3:], 2))
>>> bool(np.allclose(whole.mean, parts.mean)) and whole.n.tolist() == parts.n.tolist()
True
"""

from __future__ import annotations

import attrs
import numpy as np
from numpy.typing import NDArray

__all__ = ["Moments"]

F64 = NDArray[np.float64]


@attrs.frozen(eq=False)
class Moments:
    """Per group (rows) and variable (columns): n, mean, M2, min, max. NaN values are skipped."""

    n: NDArray[np.int64]
    mean: F64
    m2: F64
    min: F64
    max: F64

    @classmethod
    def empty(cls, n_groups: int, n_vars: int) -> Moments:
        shape = (n_groups, n_vars)
        return cls(
            np.zeros(shape, np.int64),
            np.full(shape, np.nan),
            np.zeros(shape),
            np.full(shape, np.nan),
            np.full(shape, np.nan),
        )

    @classmethod
    def grouped(cls, values: F64, codes: NDArray[np.integer], n_groups: int) -> Moments:
        """Statistics of ``values`` (rows x variables) per group ``codes`` (0..n_groups-1)."""
        values = np.asarray(values, dtype=np.float64)
        if values.ndim == 1:
            values = values[:, None]
        codes = np.asarray(codes, dtype=np.int64)
        n_vars = values.shape[1]
        out = cls.empty(n_groups, n_vars)
        for j in range(n_vars):
            v = values[:, j]
            ok = ~np.isnan(v)
            c, x = codes[ok], v[ok]
            cnt = np.bincount(c, minlength=n_groups)[:n_groups]
            s = np.bincount(c, weights=x, minlength=n_groups)[:n_groups]
            with np.errstate(invalid="ignore", divide="ignore"):
                mean = np.where(cnt > 0, s / np.maximum(cnt, 1), np.nan)
            dev = x - mean[c]
            m2 = np.bincount(c, weights=dev * dev, minlength=n_groups)[:n_groups]
            lo = np.full(n_groups, np.inf)
            hi = np.full(n_groups, -np.inf)
            np.minimum.at(lo, c, x)
            np.maximum.at(hi, c, x)
            out.n[:, j] = cnt
            out.mean[:, j] = mean
            out.m2[:, j] = m2
            out.min[:, j] = np.where(cnt > 0, lo, np.nan)
            out.max[:, j] = np.where(cnt > 0, hi, np.nan)
        return out

    def merge(self, other: Moments) -> Moments:
        """Combine with statistics of other data for the same groups and variables."""
        n = self.n + other.n
        na, nb = self.n.astype(np.float64), other.n.astype(np.float64)
        ma = np.where(self.n > 0, self.mean, 0.0)
        mb = np.where(other.n > 0, other.mean, 0.0)
        delta = mb - ma
        with np.errstate(invalid="ignore", divide="ignore"):
            frac = np.where(n > 0, nb / np.maximum(n, 1), 0.0)
            mean = np.where(n > 0, ma + delta * frac, np.nan)
            m2 = self.m2 + other.m2 + np.where(n > 0, delta * delta * na * nb / np.maximum(n, 1), 0.0)
        return Moments(n, mean, m2, np.fmin(self.min, other.min), np.fmax(self.max, other.max))

    @property
    def sd(self) -> F64:
        """Sample standard deviation (ddof=1); NaN where n < 2."""
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(self.n > 1, np.sqrt(self.m2 / np.maximum(self.n - 1, 1)), np.nan)

    @property
    def total(self) -> F64:
        return np.where(self.n > 0, self.mean * self.n, 0.0)
