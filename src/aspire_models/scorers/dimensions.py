"""Dimension scores: per respondent, the (weighted) mean or prorated sum of the items mapped
to each framework element, in each response mode, after reverse keying.

For respondent :math:`r`, dimension :math:`d` with items :math:`I_d`, weights :math:`w_i`
and answered items :math:`A_r \\subseteq I_d`:

.. math::

   x'_{ri} = \\begin{cases} \\min + \\max - x_{ri} & i \\text{ reverse-keyed} \\\\
             x_{ri} & \\text{otherwise}\\end{cases}
   \\qquad s_{rd} = \\frac{\\sum_{i\\in A_r} w_i x'_{ri}}{\\sum_{i\\in A_r} w_i}

if :math:`|A_r| \\ge` ``min_answered`` (a count, or a proportion of :math:`|I_d|` when below 1),
otherwise missing (never zero). ``method='sum'`` reports the prorated sum
:math:`s_{rd}\\sum_{i \\in I_d} w_i`. Computed as two matrix products over the whole
respondents x items array.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import attrs
import numpy as np
from numpy.typing import NDArray

from aspire_models.instrument import Instrument, NumericScale
from aspire_models.scoring import ScorerOutput, ScoringContext, Table

__all__ = ["DimensionScorer", "Dimensions", "dimension_scores", "reverse_keyed"]

MIN_ANSWERED_SCHEMA = {
    "description": "Minimum answered items for a dimension score: a whole number of items (>= 1), "
    "or a proportion of the dimension's items (0 < p < 1, rounded up). Below it the score is missing.",
    "oneOf": [{"type": "integer", "minimum": 1}, {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1}],
    "default": 0.5,
}


@attrs.frozen(eq=False)
class Dimensions:
    """Respondent x dimension scores; a dimension is an (element, mode) pair."""

    elements: tuple[str, ...]
    modes: tuple[str | None, ...]
    scores: NDArray[np.float64]
    answered: NDArray[np.int64]
    n_items: tuple[int, ...]

    def index(self, element: str, mode: str | None) -> int:
        for j, (e, m) in enumerate(zip(self.elements, self.modes, strict=True)):
            if e == element and m == mode:
                return j
        raise KeyError((element, mode))

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(e if m is None else f"{e}.{m}" for e, m in zip(self.elements, self.modes, strict=True))


def reverse_keyed(instrument: Instrument, values: NDArray[np.float64]) -> NDArray[np.float64]:
    """Apply reverse keying column-wise: ``min + max - x`` for reverse-keyed items."""
    cols = instrument.numeric_columns()
    flip = np.array([instrument.item(c.item).reverse for c in cols], dtype=bool)
    if not flip.any():
        return values
    lo = np.array([_scale(instrument, c.scale).min for c in cols])
    hi = np.array([_scale(instrument, c.scale).max for c in cols])
    out = values.copy()
    out[:, flip] = (lo + hi)[flip] - values[:, flip]
    return out


def _scale(instrument: Instrument, scale_id: str | None) -> NumericScale:
    s = instrument.scale(scale_id or "")
    assert isinstance(s, NumericScale)
    return s


def dimension_scores(
    instrument: Instrument, values: NDArray[np.float64], *, method: str = "mean", min_answered: float = 0.5
) -> Dimensions:
    """Score a respondents x numeric-columns array (columns as ``instrument.numeric_columns()``)."""
    cols = instrument.numeric_columns()
    keys: dict[tuple[str, str | None], int] = {}
    for c in cols:
        item = instrument.item(c.item)
        assert item.element is not None
        keys.setdefault((item.element, c.mode), len(keys))
    weights = np.zeros((len(cols), len(keys)))
    for i, c in enumerate(cols):
        item = instrument.item(c.item)
        weights[i, keys[(item.element or "", c.mode)]] = item.weight
    x = reverse_keyed(instrument, values)
    present = ~np.isnan(x)
    num = np.where(present, x, 0.0) @ weights
    den = present.astype(np.float64) @ weights
    answered = (present.astype(np.float64) @ (weights > 0)).astype(np.int64)
    n_items = (weights > 0).sum(axis=0).astype(np.int64)
    need = np.array([int(min_answered) if min_answered >= 1 else max(1, math.ceil(min_answered * k)) for k in n_items])
    with np.errstate(invalid="ignore", divide="ignore"):
        scores = np.where((answered >= need) & (den > 0), num / np.where(den > 0, den, 1.0), np.nan)
    if method == "sum":
        scores = scores * weights.sum(axis=0)
    elements = tuple(k[0] for k in keys)
    modes = tuple(k[1] for k in keys)
    return Dimensions(elements, modes, scores, answered, tuple(int(k) for k in n_items))


def cached_dimensions(ctx: ScoringContext, method: str = "mean", min_answered: float = 0.5) -> Dimensions:
    result: Dimensions = ctx.memo(
        ("dimensions", method, min_answered),
        lambda: dimension_scores(ctx.instrument, ctx.data.numeric, method=method, min_answered=min_answered),
    )
    return result


@attrs.frozen
class DimensionScorer:
    """Per respondent: a score for each framework element (and mode)."""

    id: str = "dimension-scores"
    title: str = "Dimension scores"
    description: str = (
        "Per respondent, the weighted mean (or prorated sum) of the items mapped to each framework "
        "element in each response mode, after reverse keying; missing when fewer than min_answered "
        "items were answered."
    )
    designs: tuple[str, ...] = ("self-assessment",)
    params_schema: Mapping[str, Any] = attrs.field(
        factory=lambda: {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "method": {"enum": ["mean", "sum"], "default": "mean"},
                "min_answered": MIN_ANSWERED_SCHEMA,
            },
        }
    )

    def score(self, ctx: ScoringContext, params: Mapping[str, Any]) -> ScorerOutput:
        dims = cached_dimensions(ctx, params["method"], params["min_answered"])
        data = ctx.data
        columns: dict[str, Any] = {
            "row": data.rows,
            "respondent_id": data.respondent_id,
            "organisation": np.asarray(data.organisation.labels, dtype=object)[data.organisation.codes],
        }
        for j, name in enumerate(dims.names):
            columns[name] = dims.scores[:, j]
        table = Table(
            "respondent-scores",
            "respondent",
            columns,
            "One row per accepted respondent (input row number, id, organisation) and one column per "
            "dimension ('element' or 'element.mode'); a score is missing (null) when fewer than "
            "min_answered items were answered.",
        )
        missing = int(np.isnan(dims.scores).sum())
        return ScorerOutput(
            self.id,
            params,
            (table,),
            {"respondents": data.n_accepted, "dimensions": list(dims.names), "missing_scores": missing},
        )
