"""Exact ties for ranks and percentile ranks of means.

A mean is a ratio of a sum and a count, and two organisations with the same ratio (say both
313/54) must rank equal. Their floating-point means need not be bit-identical: the sums are
made in different orders and from different numbers of values. So means are compared as
exact fractions here.

*Recovering the fraction.* A dimension score is the mean of a respondent's answered items;
with integer answers and unit (or integer) weights, every score is a multiple of ``1/L`` for
a *resolution* ``L`` known from the instrument (:func:`lcm_upto` of the item count for unit
weights). The mean of ``n`` such scores is then ``S / (n L)`` for an integer ``S``, recovered
as ``S = round(mean * n * L)``: the floating-point mean is within far less than ``1/(2 n L)``
of the true value for any realistic ``n`` (the recovery is checked: the rounding must be
unambiguous, within 0.01 of an integer). When the resolution is unknown (non-integer answers
or weights) or the check fails, the mean's floating-point value is used as it is, and the
comparison is no better than the floats: :func:`exact_mean` says which happened.

Percentile ranks are mid-ranks: ``100 (B + E/2) / N`` with ``B`` reference values below,
``E`` equal (exactly) and ``N`` in the reference.

>>> a, b = exact_mean(313 / 54, 54, 1), exact_mean(sum([313 / 54] * 3) / 3, 54, 1)
>>> a.value == b.value == Fraction(313, 54), a.exact
(True, True)
>>> midrank_percentile(Fraction(2), [Fraction(1), Fraction(2), Fraction(2), Fraction(4)])
50.0
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction

import attrs

__all__ = [
    "SMALL_REFERENCE",
    "ExactMean",
    "average_ranks",
    "exact_mean",
    "fraction_text",
    "lcm_upto",
    "midrank_percentile",
    "parse_fraction",
    "subset_sum_lcm",
]

#: Fewer organisations than this in a reference group: too few to rank against (a warning).
SMALL_REFERENCE = 10

#: Largest ``n * L`` for which a mean is made exact: beyond, float error could approach 1/(2nL).
_MAX_DENOMINATOR = 1 << 40
#: The recovered numerator must lie this close to an integer (else the float is kept).
_RECOVERY_SLACK = 0.01


@attrs.frozen
class ExactMean:
    """A mean as an exact fraction; ``exact`` is False when it is the float's own value."""

    value: Fraction
    exact: bool


def lcm_upto(k: int) -> int:
    """Least common multiple of ``1..k``: every mean of up to ``k`` integers is a multiple of
    ``1/lcm_upto(k)``.

    >>> lcm_upto(4), lcm_upto(1)
    (12, 1)
    """
    out = 1
    for i in range(2, k + 1):
        out = out * i // math.gcd(out, i)
    return out


def subset_sum_lcm(weights: Sequence[int], limit: int = 10_000) -> int | None:
    """Least common multiple of every sum of a non-empty subset of the positive integer
    ``weights``: the denominators a weighted mean of the answered items can have. None when
    the total weight exceeds ``limit``.

    >>> subset_sum_lcm([1, 1, 1]), subset_sum_lcm([2, 1])
    (6, 6)
    """
    total = sum(weights)
    if total > limit or any(w <= 0 for w in weights):
        return None
    reachable = 1  # bit s set: some subset sums to s
    for w in weights:
        reachable |= reachable << w
    out = 1
    for s in range(1, total + 1):
        if reachable >> s & 1:
            out = out * s // math.gcd(out, s)
    return out


def exact_mean(mean: float, n: int, resolution: int | None) -> ExactMean:
    """The mean of ``n`` values, each a multiple of ``1/resolution``, as an exact fraction
    (see the module notes); the float's own value when that cannot be done.

    >>> exact_mean(2 / 3, 3, 1)
    ExactMean(value=Fraction(2, 3), exact=True)
    >>> exact_mean(0.1, 3, None).exact
    False
    """
    if math.isnan(mean):
        raise ValueError("the mean is NaN: nothing to compare")
    if resolution is not None and n > 0 and n * resolution <= _MAX_DENOMINATOR:
        scaled = mean * n * resolution
        numerator = round(scaled)
        if abs(scaled - numerator) <= _RECOVERY_SLACK:
            return ExactMean(Fraction(numerator, n * resolution), True)
    return ExactMean(Fraction(mean), False)


def midrank_percentile(x: Fraction, reference: Sequence[Fraction]) -> float:
    """Mid-rank percentile of ``x`` in ``reference``: ``100 (B + E/2) / N`` with exact
    comparisons (NaN for an empty reference).

    >>> midrank_percentile(Fraction(1, 3), [Fraction(1, 3), Fraction(2, 6)])
    50.0
    """
    if not reference:
        return math.nan
    below = sum(1 for y in reference if y < x)
    equal = sum(1 for y in reference if y == x)
    return float(Fraction(100 * (2 * below + equal), 2 * len(reference)))


def average_ranks(values: Sequence[Fraction | None], *, descending: bool = True) -> list[float | None]:
    """Ranks 1..k of the values (1 = highest when ``descending``); exactly equal values share
    their average rank; None stays None and is not ranked.

    >>> average_ranks([Fraction(1), Fraction(3), None, Fraction(3)])
    [3.0, 1.5, None, 1.5]
    """
    present = sorted({v for v in values if v is not None}, reverse=descending)
    counts: dict[Fraction, int] = {}
    for v in values:
        if v is not None:
            counts[v] = counts.get(v, 0) + 1
    start: dict[Fraction, float] = {}
    position = 1
    for v in present:
        c = counts[v]
        start[v] = position + (c - 1) / 2
        position += c
    return [None if v is None else start[v] for v in values]


def fraction_text(value: Fraction) -> str:
    """``'313/54'``, or ``'7'`` for a whole number (as stored in norm tables).

    >>> fraction_text(Fraction(626, 108)), fraction_text(Fraction(7))
    ('313/54', '7')
    """
    return str(value)


def parse_fraction(text: str) -> Fraction:
    """The inverse of :func:`fraction_text`.

    >>> parse_fraction("313/54")
    Fraction(313, 54)
    """
    return Fraction(text)
