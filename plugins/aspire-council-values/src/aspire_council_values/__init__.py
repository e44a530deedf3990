"""Example plugin: Anytown Borough Council's values (fictitious), a pulse survey, a scorer."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any

import attrs
import numpy as np

from aspire_models import ScorerOutput, ScoringContext, Table, hookimpl
from aspire_models.scoring import Scorer


@attrs.frozen
class TopBoxScorer:
    """Share of respondents whose element score is at or above a threshold ('top box')."""

    id: str = "top-box"
    title: str = "Top-box share"
    description: str = "Per element and mode: the share of respondents whose mean item score is at least `threshold`."
    designs: tuple[str, ...] = ("self-assessment",)
    params_schema: Mapping[str, Any] = attrs.field(
        factory=lambda: {
            "type": "object",
            "additionalProperties": False,
            "properties": {"threshold": {"type": "number", "default": 4}},
        }
    )

    def score(self, ctx: ScoringContext, params: Mapping[str, Any]) -> ScorerOutput:
        from aspire_models.scorers.dimensions import dimension_scores

        dims = dimension_scores(ctx.instrument, ctx.data.answers)
        scored = ~np.isnan(dims.scores)
        top = (dims.scores >= params["threshold"]) & scored
        n = scored.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            share = np.where(n > 0, top.sum(axis=0) / np.maximum(n, 1), np.nan)
        table = Table(
            "top-box",
            "sector",
            {"element": dims.elements, "n": n, "top_box_share": share},
            "Share of respondents scoring at or above the threshold.",
        )
        return ScorerOutput(self.id, params, (table,))


@hookimpl
def aspire_frameworks() -> Sequence[Traversable]:
    return [files(__package__) / "frameworks" / "anytown-values.json"]


@hookimpl
def aspire_instruments() -> Sequence[Traversable]:
    return [files(__package__) / "instruments" / "anytown-values-pulse.json"]


@hookimpl
def aspire_scorers() -> Sequence[Scorer]:
    return [TopBoxScorer()]
