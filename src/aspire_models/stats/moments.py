"""Mergeable sufficient statistics: count, mean, sum of squared deviations (M2), min, max.

Grouped statistics over millions of values are computed with one sort of the group codes and
segment reductions (no Python loop over rows), and two partial results merge exactly as if computed over the union of
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

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

import attrs
import numpy as np
from numpy.typing import NDArray

__all__ = ["Moments"]

F64 = NDArray[np.float64]
#: values per block of rows in :meth:`Moments.of_rows` (a few MB: stays in cache)
_CELLS_PER_BLOCK = 1 << 18
T = TypeVar("T")
R = TypeVar("R")


def _map(fn: Callable[[T], R], items: Iterable[T]) -> Iterator[R]:
    """``map(fn, items)`` in order, on up to two threads (``bincount`` releases the GIL), with
    only a few items taken ahead (``items`` may be a generator of large blocks)."""
    workers = min(2, os.cpu_count() or 1)
    if workers == 1:
        yield from map(fn, items)
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        ahead: deque[Future[R]] = deque()
        for item in items:
            ahead.append(pool.submit(fn, item))
            if len(ahead) > 2 * workers:
                yield ahead.popleft().result()
        while ahead:
            yield ahead.popleft().result()


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
        values = np.ascontiguousarray(values)  # whole rows are taken
        return cls.of_rows(lambda rows: np.take(values, rows, axis=0), codes, n_groups, values.shape[1])

    @classmethod
    def of_rows(
        cls, rows: Callable[[NDArray[np.int64]], F64], codes: NDArray[np.integer], n_groups: int, n_vars: int
    ) -> Moments:
        """Statistics per group of the ``n_vars`` values of each row; ``rows(indices)`` gives
        the values of the rows at ``indices`` (so they can be made only when needed)."""
        return cls.of_columns(
            lambda index: np.ascontiguousarray(np.asarray(rows(index), dtype=np.float64).T), codes, n_groups, n_vars
        )

    @classmethod
    def of_columns(
        cls, columns: Callable[[NDArray[np.int64]], F64], codes: NDArray[np.integer], n_groups: int, n_vars: int
    ) -> Moments:
        """Statistics per group; ``columns(indices)`` gives the values of the rows at
        ``indices`` as a C-contiguous ``n_vars x len(indices)`` array (one row per variable).

        The rows are put in group order once (a stable radix sort of the codes: each group
        keeps its rows' order) and taken in blocks of whole groups, a few MB each, on two
        threads; in a block every statistic is one segment reduction (``ufunc.reduceat``).
        Missing values (NaN) are few, so they are found once per block and dealt with where
        they are, not with full-size masks.
        """
        out = cls.empty(n_groups, n_vars)
        codes = np.asarray(codes)
        if n_groups == 0 or n_vars == 0 or len(codes) == 0:
            return out
        sizes = np.bincount(codes, minlength=n_groups)[:n_groups]
        key = codes.astype(np.uint16) if n_groups <= 1 << 16 else codes
        order = np.argsort(key, kind="stable")
        groups = np.flatnonzero(sizes)
        ends = np.cumsum(sizes[groups])
        # blocks of whole groups, about _CELLS_PER_BLOCK values each
        per_block = max(1, _CELLS_PER_BLOCK // n_vars)
        cuts = np.unique(np.searchsorted(ends, np.arange(per_block, int(ends[-1]), per_block), side="left"))
        bounds = [0, *(int(c) + 1 for c in cuts if c + 1 < len(groups)), len(groups)]
        blocks = [(bounds[i], bounds[i + 1]) for i in range(len(bounds) - 1) if bounds[i + 1] > bounds[i]]

        def one(block: tuple[int, int]) -> tuple[int, int, tuple[NDArray[Any], ...]]:
            g0, g1 = block
            r0 = int(ends[g0 - 1]) if g0 else 0
            reps = sizes[groups[g0:g1]]
            starts = np.cumsum(reps) - reps
            x = columns(order[r0 : int(ends[g1 - 1])])
            var, pos = np.nonzero(np.isnan(x))  # the missing values: few
            cnt = np.broadcast_to(reps, x.shape[:1] + reps.shape).copy()
            z = x
            if len(var):
                seg = np.searchsorted(starts, pos, side="right") - 1
                cnt -= np.bincount(var * len(reps) + seg, minlength=cnt.size).reshape(cnt.shape)
                z = x.copy()
                z[var, pos] = 0.0
            with np.errstate(invalid="ignore", divide="ignore"):
                mean = np.add.reduceat(z, starts, axis=1) / np.maximum(cnt, 1)
            dev = z - np.repeat(mean, reps, axis=1)
            if len(var):
                dev[var, pos] = 0.0
            dev *= dev
            m2 = np.add.reduceat(dev, starts, axis=1)
            lo = np.fmin.reduceat(x, starts, axis=1)
            hi = np.fmax.reduceat(x, starts, axis=1)
            return g0, g1, (cnt, mean, m2, lo, hi)

        for g0, g1, (cnt, mean, m2, lo, hi) in _map(one, blocks):
            at = groups[g0:g1]
            has = cnt.T > 0
            out.n[at] = cnt.T
            out.mean[at] = np.where(has, mean.T, np.nan)
            out.m2[at] = np.where(has, m2.T, 0.0)
            out.min[at] = np.where(has, lo.T, np.nan)
            out.max[at] = np.where(has, hi.T, np.nan)
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
