"""Minimum group size suppression for any published aggregate (the 360 rule, generalised).

Cells are groups of respondents inside a parent (e.g. teams or rater roles inside an
organisation) whose parent total is also published. A cell with ``0 < n < k`` respondents is
suppressed (*primary*). Because the parent total and the other cells are published, the sum
over the suppressed cells can be recovered by differencing; so while the suppressed pool of a
parent holds ``0 < pool < k`` respondents, the smallest remaining reported cell is suppressed
too (*secondary*). After that, every quantity that can be derived from the published numbers
of one breakdown describes at least ``k`` respondents, or none. A parent with fewer than ``k``
respondents is suppressed whole.

>>> suppress_cells([[10, 2, 8]], k=3).tolist()     # 2 < k; pool 2 < 3, so 8 goes too
[[False, True, True]]
>>> suppress_cells([[3, 4, 5]], k=3).tolist()
[[False, False, False]]
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["suppress_cells"]


def suppress_cells(counts: ArrayLike, k: int, hidden: ArrayLike | None = None) -> NDArray[np.bool_]:
    """Suppression mask for a parents x cells matrix of respondent counts.

    Column 0 is the parent's own total; columns 1.. are its cells (0 = empty cell, never
    published). ``hidden`` counts, per parent, respondents in the total who belong to no
    published cell (e.g. no team recorded): they start the suppressed pool, since they too
    can be recovered by differencing. Returns a boolean mask of the same shape (True = withhold).

    >>> suppress_cells([[10, 4, 4]], k=3, hidden=[2]).tolist()   # 2 without a team: pool 2 < 3
    [[False, True, False]]
    """
    c = np.asarray(counts, dtype=np.int64)
    if c.ndim != 2 or c.shape[1] < 1:
        raise ValueError("counts must be a parents x (1 + cells) matrix")
    if k < 1:
        raise ValueError("k must be at least 1")
    extra = np.zeros(c.shape[0], dtype=np.int64) if hidden is None else np.asarray(hidden, dtype=np.int64)
    mask = np.zeros(c.shape, dtype=bool)
    for i, row in enumerate(c):
        if row[0] < k:
            mask[i, :] = row >= 0  # whole parent withheld
            continue
        cells = row[1:]
        sup = (cells > 0) & (cells < k)
        pool = int(cells[sup].sum()) + int(extra[i])
        while 0 < pool < k:
            candidates = np.flatnonzero((cells > 0) & ~sup)
            if not len(candidates):
                break
            smallest = candidates[np.argmin(cells[candidates])]
            sup[smallest] = True
            pool += int(cells[smallest])
        mask[i, 1:] = sup
    return mask
