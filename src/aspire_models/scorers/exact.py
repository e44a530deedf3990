"""Exact means for ranking: the resolution of an instrument's dimension scores, and the means
of organisations as exact fractions (see :mod:`aspire_models.stats.ties`)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction

from aspire_models.instrument import Instrument, NumericScale
from aspire_models.stats.ties import ExactMean, exact_mean, lcm_upto, subset_sum_lcm

__all__ = ["dimension_resolution", "exact_means", "score_resolutions"]


def dimension_resolution(instrument: Instrument, element: str, mode: str | None) -> int | None:
    """``L`` such that every mean-method score of the dimension ``(element, mode)`` is a
    multiple of ``1/L``, or None when there is no such small number (non-integer scales or
    weights). A score is the weighted mean of the answered items: with integer answers its
    denominator is the weight of the answered items, so ``L`` is the least common multiple of
    every sum of a subset of the item weights (``lcm(1..k)`` for ``k`` unit-weight items).

    >>> from aspire_models import Registry
    >>> ins = Registry(entry_points=False).instrument("hrbp360-review")
    >>> dimension_resolution(ins, "decisive-thinker", None)
    6
    """
    weights: list[float] = []
    for c in instrument.numeric_columns():
        item = instrument.item(c.item)
        if item.element != element or (c.mode or None) != (mode or None) or item.weight <= 0:
            continue
        scale = instrument.scale(c.scale) if c.scale is not None else None
        if not (
            isinstance(scale, NumericScale)
            and scale.integer
            and float(scale.min).is_integer()
            and float(scale.max).is_integer()
        ):
            return None
        weights.append(float(item.weight))
    if not weights:
        return None
    if all(w == 1.0 for w in weights):
        return lcm_upto(len(weights))
    if all(w.is_integer() for w in weights):
        return subset_sum_lcm([int(w) for w in weights])
    return None


def score_resolutions(
    instrument: Instrument, elements: Sequence[str], modes: Sequence[str], now_mode: str, future_mode: str
) -> list[int | None]:
    """:func:`dimension_resolution` of each variable of
    :func:`~aspire_models.scorers.aggregate.organisation_statistics` (mode ``''``: none;
    ``'gap'``: the respondent's future minus now, whose resolution is the lcm of both)."""
    out: list[int | None] = []
    for element, mode in zip(elements, modes, strict=True):
        if mode == "gap":
            a = dimension_resolution(instrument, element, now_mode)
            b = dimension_resolution(instrument, element, future_mode)
            out.append(None if a is None or b is None else a * b // math.gcd(a, b))
        else:
            out.append(dimension_resolution(instrument, element, mode or None))
    return out


def exact_means(means: Sequence[float], counts: Sequence[int], resolution: int | None) -> list[ExactMean | None]:
    """Each mean (of ``counts[i]`` scores) as an exact fraction; None for a missing mean."""
    return [
        None if (isinstance(m, float) and math.isnan(m)) or n <= 0 else exact_mean(float(m), int(n), resolution)
        for m, n in zip(means, counts, strict=True)
    ]


def fraction_or_none(x: ExactMean | None) -> Fraction | None:
    return None if x is None else x.value
