"""Exact linear algebra over the rationals for disclosure checks.

A published cell tells its readers the sum of some quantity over a set of *atoms* (the
finest groups of people the result distinguishes). Which other sums follow from the
published ones is a question of linear span: a set of atoms can be worked out exactly when
its indicator vector is a linear combination of the published cells' vectors. :class:`Span`
answers that with exact :class:`~fractions.Fraction` arithmetic on sparse vectors, and gives
the combination, so the worked-out count (or sum) is the same combination of published
figures.

>>> s = Span()
>>> s.add({0: 1, 1: 1, 2: 1}, "organisation")   # a total over three teams
True
>>> s.add({2: 1}, "team c")
True
>>> s.express({0: 1, 1: 1})                      # teams a and b together: total - c
{'organisation': Fraction(1, 1), 'team c': Fraction(-1, 1)}
>>> s.express({0: 1}) is None                     # team a alone cannot be worked out
True
"""

from __future__ import annotations

import heapq
from collections.abc import Hashable, Mapping
from fractions import Fraction

__all__ = ["Span"]

Vector = dict[int, Fraction | int]


class Span:
    """The span of a growing set of sparse integer vectors, in row-echelon form."""

    def __init__(self) -> None:
        # pivot atom -> (row scaled so its pivot is 1, the row as a combination of sources)
        self._rows: dict[int, tuple[Vector, dict[Hashable, Fraction | int]]] = {}

    def __len__(self) -> int:
        return len(self._rows)

    def _reduce(self, v: Vector, c: dict[Hashable, Fraction | int]) -> None:
        rows = self._rows
        heap = [a for a in v if a in rows]
        heapq.heapify(heap)
        while heap:
            p = heapq.heappop(heap)
            f = v.get(p)
            if not f:
                continue
            row, comb = rows[p]
            for a, x in row.items():
                old = v.get(a)
                nv = (old or 0) - f * x
                if nv:
                    v[a] = nv
                    if old is None and a != p and a in rows:
                        heapq.heappush(heap, a)
                else:
                    v.pop(a, None)
            for s, x in comb.items():
                nc = c.get(s, 0) - f * x
                if nc:
                    c[s] = nc
                else:
                    c.pop(s, None)

    def add(self, vector: Mapping[int, int], source: Hashable) -> bool:
        """Add a vector; False when it was already in the span (it adds nothing)."""
        v: Vector = {a: x for a, x in vector.items() if x}  # integers until a division needs more
        c: dict[Hashable, Fraction | int] = {source: 1}
        self._reduce(v, c)
        if not v:
            return False
        p = min(v)
        pv = v[p]
        if pv != 1:
            v = {a: Fraction(x) / pv for a, x in v.items()}
            c = {s: Fraction(x) / pv for s, x in c.items()}
        self._rows[p] = (v, c)
        return True

    def express(self, vector: Mapping[int, int]) -> dict[Hashable, Fraction] | None:
        """The vector as a combination of the added sources, or None when it is not in the span."""
        v: Vector = {a: x for a, x in vector.items() if x}
        c: dict[Hashable, Fraction | int] = {}
        self._reduce(v, c)
        if v:
            return None
        return {s: Fraction(-x) for s, x in c.items() if x}
