"""Frequency tables: counts per scale point per item, as published survey tables give them.

A published table often gives, for each item, how many respondents chose each point of a
rating scale (seed 002, Tables 3.1 and 3.2, lines 1176-1239: counts at 1..5, each row summing
to 11). From the counts :math:`c_v` at scale points :math:`v` each item gets

* :math:`n = \\sum_v c_v`, the sum :math:`S = \\sum_v v\\,c_v` and the mean :math:`S / n`,
  kept as an exact fraction (e.g. 38/11);
* the sample standard deviation (:math:`n-1`), from the exact sum of squares (items are
  ranked and tied by the exact variance);
* the **top-box** share (the highest scale point) and the **top-two-box** share (the two
  highest points, e.g. "to a great or fair extent", seed 002 line 1250), as exact fractions.

Items are ranked by each measure, highest first, with **exact ties**: means are compared as
fractions of integer sums and counts, so items with the same mean share a rank (standard
competition ranking, "1224"), and every tie is listed. The ranking a published text states
may hold under one measure and not another: in Table 3.2 the three areas the text calls "most
integrated" (lines 1202-1204) are the three with most answers of 5 (top box), while by mean
four areas tie at 38/11.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction

import attrs

__all__ = ["MEASURES", "FrequencyItem", "ItemStatistics", "Ranking", "item_statistics", "rank_items"]

#: the measures items can be ranked by
MEASURES = ("mean", "top_box", "top_two_box", "sd", "n")


def _counts(values: Sequence[int]) -> tuple[int, ...]:
    return tuple(int(v) for v in values)


@attrs.frozen
class FrequencyItem:
    """One item's counts, one per scale point (in the order of the points)."""

    id: str
    label: str
    counts: tuple[int, ...] = attrs.field(converter=_counts)


@attrs.frozen
class ItemStatistics:
    """An item's statistics; fractions are exact."""

    id: str
    label: str
    n: int
    total: int
    mean: Fraction | None
    sd: float | None
    top_box: Fraction | None
    top_two_box: Fraction | None
    variance: Fraction | None = None

    def value(self, measure: str) -> Fraction | float | int | None:
        if measure == "mean":
            return self.mean
        if measure == "top_box":
            return self.top_box
        if measure == "top_two_box":
            return self.top_two_box
        if measure == "sd":
            return self.variance  # ranked (and tied) by the exact variance; sd is its square root
        if measure == "n":
            return self.n
        raise ValueError(f"unknown measure {measure!r} (measures: {', '.join(MEASURES)})")


def item_statistics(item: FrequencyItem, points: Sequence[int | Fraction]) -> ItemStatistics:
    """Statistics of one item on a scale with these points (ascending).

    >>> s = item_statistics(FrequencyItem("c", "Employment contracts", (3, 1, 0, 2, 5)), [1, 2, 3, 4, 5])
    >>> s.n, s.mean, s.top_box, s.top_two_box
    (11, Fraction(38, 11), Fraction(5, 11), Fraction(7, 11))
    """
    if len(item.counts) != len(points):
        raise ValueError(f"item {item.id!r}: {len(item.counts)} counts for {len(points)} scale points")
    if any(c < 0 for c in item.counts):
        raise ValueError(f"item {item.id!r}: negative count")
    pts = [Fraction(p) for p in points]
    n = sum(item.counts)
    s = sum((p * c for p, c in zip(pts, item.counts, strict=True)), Fraction(0))
    if n == 0:
        return ItemStatistics(item.id, item.label, 0, 0, None, None, None, None)
    mean = s / n
    ss = sum((c * (p - mean) ** 2 for p, c in zip(pts, item.counts, strict=True)), Fraction(0))
    variance = ss / (n - 1) if n > 1 else None
    sd = math.sqrt(variance) if variance is not None else None
    top = Fraction(item.counts[-1], n)
    top2 = Fraction(sum(item.counts[-2:]), n)
    return ItemStatistics(item.id, item.label, n, n, mean, sd, top, top2, variance)


@attrs.frozen
class Ranking:
    """Items ranked by one measure, highest first: ``ranks`` maps item id to its competition
    rank (ties share a rank); ``ties`` lists each group of two or more tied items with the
    value they tie at; ``order`` is the items in rank order (ties in the order given)."""

    measure: str
    order: tuple[str, ...]
    ranks: dict[str, int]
    ties: tuple[tuple[tuple[str, ...], Fraction | float | int], ...]

    def top(self, k: int) -> tuple[str, ...]:
        """The items ranked within the first ``k`` places (more than ``k`` when tied at the boundary)."""
        return tuple(i for i in self.order if self.ranks[i] <= k)


def rank_items(stats: Sequence[ItemStatistics], measure: str) -> Ranking:
    """Rank items by ``measure`` (one of :data:`MEASURES`), highest first, with exact ties;
    items without a value (no answers) are left out of the ranking.

    >>> pts = [1, 2, 3]
    >>> counts = {"a": (0, 1, 1), "b": (1, 0, 1), "c": (0, 2, 0)}
    >>> st = [item_statistics(FrequencyItem(i, i, c), pts) for i, c in counts.items()]
    >>> r = rank_items(st, "mean")
    >>> r.ranks, r.ties
    ({'a': 1, 'b': 2, 'c': 2}, ((('b', 'c'), Fraction(2, 1)),))
    """
    if measure not in MEASURES:
        raise ValueError(f"unknown measure {measure!r} (measures: {', '.join(MEASURES)})")
    valued: list[tuple[str, Fraction | float | int]] = []
    for st in stats:
        v = st.value(measure)
        if v is not None:
            valued.append((st.id, v))
    order = tuple(i for i, _ in sorted(valued, key=lambda t: -t[1]))
    values = dict(valued)
    ranks = {i: 1 + sum(1 for _, v in valued if v > values[i]) for i, _ in valued}
    groups: dict[int, list[str]] = {}
    for i in order:
        groups.setdefault(ranks[i], []).append(i)
    ties = tuple((tuple(g), values[g[0]]) for _, g in sorted(groups.items()) if len(g) > 1)
    return Ranking(measure, order, ranks, ties)
