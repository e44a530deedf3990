"""Mergeable sufficient statistics: count, mean, sum of squared deviations (M2), min, max.

Grouped statistics over millions of values are computed variable by variable with group
sums (``np.bincount`` with weights: one pass over the values in memory order, no sort and
no Python loop over rows) and ``ufunc.at`` for the extremes. Two partial results merge
exactly as if computed over the union of their data (Chan, Golub & LeVeque 1979 pairwise
update), which is what lets chunks, Dask partitions or Spark tasks be combined:

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

import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import attrs
import numpy as np
from numpy.typing import NDArray

__all__ = ["Discrete", "Moments"]

F64 = NDArray[np.float64]
#: rows per block in :meth:`Moments.of_columns` (a block's values and work arrays stay in cache)
_ROWS_PER_BLOCK = 1 << 16


def _workers() -> int:
    return min(2, os.cpu_count() or 1)


@attrs.frozen(eq=False)
class Discrete:
    """A variable that takes few values, stored as each row's level: ``values[levels[r]]`` is
    row ``r``'s value (NaN: missing). Its statistics per group come from a histogram of
    levels per group (:meth:`Moments.of_columns`): one counting pass over the rows."""

    levels: NDArray[np.integer]
    values: F64

    def __len__(self) -> int:
        return len(self.levels)


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
        values = np.asfortranarray(values)  # each variable's values side by side in memory
        return cls.of_columns(lambda j: values[:, j], codes, n_groups, values.shape[1])

    @classmethod
    def of_columns(
        cls,
        column: Callable[[int], F64 | Discrete],
        codes: NDArray[np.integer],
        n_groups: int,
        n_vars: int,
    ) -> Moments:
        """Statistics per group of ``n_vars`` variables; ``column(j)`` gives variable ``j``'s
        value for every row, as float64 (only read) or as a :class:`Discrete` variable, so a
        derived variable can be made when it is needed and dropped after.

        A :class:`Discrete` variable is counted: one ``np.bincount`` of (group, level) pairs
        gives every group's histogram of levels, and n, mean, M2, min and max follow from the
        histogram and the level values (a few hundred numbers per group).

        A float64 variable is read in blocks of rows that stay in cache. Per block: group
        counts and sums (``np.bincount`` with weights), the sums of squared deviations from
        the block's group means (two passes, so M2 keeps its precision when the mean is large
        against the spread), min and max (``np.minimum.at``, ``np.maximum.at``); blocks are
        merged with the pairwise update above. Missing values (NaN) are few: they are found
        once per block and set aside where they are, never with full-size masks.

        Variables are done on two threads (these numpy functions release the GIL).
        """
        out = cls.empty(n_groups, n_vars)
        g = np.asarray(codes).astype(np.intp, copy=False)
        n = len(g)
        if n_groups == 0 or n_vars == 0 or n == 0:
            return out
        step = _ROWS_PER_BLOCK
        blocks = [(a, min(n, a + step)) for a in range(0, n, step)]
        sizes = [np.bincount(g[a:b], minlength=n_groups)[:n_groups] for a, b in blocks]
        local = threading.local()

        scaled: dict[int, NDArray[np.intp]] = {}  # group codes times a number of levels

        def counted(x: Discrete) -> tuple[NDArray[Any], ...]:
            width = len(x.values)
            base = scaled.get(width)
            if base is None:  # two threads may both make it: the same array either way
                base = scaled[width] = g * width
            if getattr(local, "keys", None) is None:
                local.keys = np.empty(step, dtype=np.intp)
            flat = np.zeros(n_groups * width, dtype=np.int64)
            for a, b in blocks:
                key = local.keys[: b - a]
                np.add(base[a:b], x.levels[a:b], out=key)
                flat += np.bincount(key, minlength=n_groups * width)[: n_groups * width]
            hist = flat.reshape(n_groups, width)
            present = ~np.isnan(x.values)
            h = hist[:, present]
            v = x.values[present]
            cnt = h.sum(axis=1)
            with np.errstate(invalid="ignore", divide="ignore"):
                mean = (h @ v) / cnt
            m2 = (h * np.square(v[None, :] - mean[:, None])).sum(axis=1)
            seen = h > 0
            lo = np.where(seen, v, np.inf).min(axis=1, initial=np.inf)
            hi = np.where(seen, v, -np.inf).max(axis=1, initial=-np.inf)
            return cnt, mean, m2, lo, hi

        def one(j: int) -> tuple[int, tuple[NDArray[Any], ...]]:
            col = column(j)
            if isinstance(col, Discrete):
                return j, counted(col)
            x = np.asarray(col, dtype=np.float64)
            if getattr(local, "work", None) is None:  # work arrays, reused variable after variable
                local.work = np.empty(step), np.empty(step)
            cnt = np.zeros(n_groups, dtype=np.int64)
            mean = np.zeros(n_groups)
            m2 = np.zeros(n_groups)
            lo = np.full(n_groups, np.inf)
            hi = np.full(n_groups, -np.inf)
            for (a, b), size in zip(blocks, sizes, strict=True):
                gb, xb = g[a:b], x[a:b]
                z, dev = (w[: b - a] for w in local.work)
                missing = np.flatnonzero(np.isnan(xb))
                np.copyto(z, xb)
                c = size
                if len(missing):
                    c = size - np.bincount(gb[missing], minlength=n_groups)[:n_groups]
                    z[missing] = np.inf  # out of the way of the minimum ...
                    np.minimum.at(lo, gb, z)
                    z[missing] = -np.inf  # ... and of the maximum
                    np.maximum.at(hi, gb, z)
                    z[missing] = 0.0  # adds nothing to the sums
                else:
                    np.minimum.at(lo, gb, z)
                    np.maximum.at(hi, gb, z)
                with np.errstate(invalid="ignore", divide="ignore"):
                    mb = np.bincount(gb, weights=z, minlength=n_groups)[:n_groups] / c
                np.take(mb, gb, out=dev)
                np.subtract(z, dev, out=dev)
                if len(missing):
                    dev[missing] = 0.0
                dev *= dev
                m2b = np.bincount(gb, weights=dev, minlength=n_groups)[:n_groups]
                # merge the block into the running statistics (Chan et al.)
                both = cnt + c
                has = c > 0
                with np.errstate(invalid="ignore", divide="ignore"):
                    delta = np.where(has, mb - mean, 0.0)
                    share = np.where(has, c / both, 0.0)
                mean += delta * share
                m2 += np.where(has, m2b, 0.0) + delta * delta * cnt * share
                cnt = both
            return j, (cnt, mean, m2, lo, hi)

        workers = min(_workers(), n_vars)
        if workers == 1:
            results = [one(j) for j in range(n_vars)]
        else:
            with ThreadPoolExecutor(max_workers=workers) as pool:
                results = list(pool.map(one, range(n_vars)))
        for j, (cnt, mean, m2, lo, hi) in results:
            has = cnt > 0
            out.n[:, j] = cnt
            out.mean[:, j] = np.where(has, mean, np.nan)
            out.m2[:, j] = np.where(has, m2, 0.0)
            out.min[:, j] = np.where(has, lo, np.nan)
            out.max[:, j] = np.where(has, hi, np.nan)
        return out

    @classmethod
    def hstack(cls, parts: list[Moments]) -> Moments:
        """Statistics of several sets of variables for the same groups, side by side."""
        return cls(
            np.hstack([p.n for p in parts]),
            np.hstack([p.mean for p in parts]),
            np.hstack([p.m2 for p in parts]),
            np.hstack([p.min for p in parts]),
            np.hstack([p.max for p in parts]),
        )

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
