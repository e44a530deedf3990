"""Reliability of any instrument's scales: Cronbach's alpha per dimension (element and mode),
alpha if item deleted, corrected item-total correlations, average inter-item correlation,
n used; listwise or pairwise deletion of missing answers. The statistics are computed by
:func:`aspire_models.stats.reliability.cronbach_alpha` on reverse-keyed answers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs

from aspire_models.privacy.cells import Cells
from aspire_models.scorers.dimensions import reverse_keyed
from aspire_models.scoring import MIN_GROUP_SIZE_SCHEMA, ScorerOutput, ScoringContext, Table
from aspire_models.stats.reliability import cronbach_alpha

__all__ = ["ReliabilityScorer"]


@attrs.frozen
class ReliabilityScorer:
    """Cronbach's alpha and item statistics per dimension (like R psych::alpha)."""

    id: str = "reliability"
    title: str = "Reliability (Cronbach's alpha)"
    description: str = (
        "Per dimension with at least two items: raw and standardised alpha, average inter-item "
        "correlation, n used; per item: mean, sd, n, corrected item-total correlation (r.drop) and "
        "alpha if the item is deleted."
    )
    designs: tuple[str, ...] = ("self-assessment", "review-360")
    params_schema: Mapping[str, Any] = attrs.field(
        factory=lambda: {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "min_group_size": MIN_GROUP_SIZE_SCHEMA,
                "missing": {
                    "enum": ["listwise", "pairwise"],
                    "default": "listwise",
                    "description": "Listwise: only respondents who answered every item of the dimension; "
                    "pairwise: each covariance from the respondents who answered both items.",
                },
            },
        }
    )

    def score(self, ctx: ScoringContext, params: Mapping[str, Any]) -> ScorerOutput:
        k = params["min_group_size"]
        ins = ctx.instrument
        x = reverse_keyed(ins, ctx.data.numeric)
        groups: dict[tuple[str, str | None], list[int]] = {}
        for j, col in enumerate(ins.numeric_columns()):
            element = ins.item(col.item).element or ""
            groups.setdefault((element, col.mode), []).append(j)
        scales: dict[str, list[Any]] = {
            k: [] for k in ("element", "mode", "items", "n_used", "alpha", "standardized_alpha", "average_r", "note")
        }
        items: dict[str, list[Any]] = {
            k: [] for k in ("element", "mode", "item", "reverse", "n", "mean", "sd", "r_drop", "alpha_if_deleted")
        }
        skipped = []
        cols = ins.numeric_columns()
        for (element, mode), idx in groups.items():
            if len(idx) < 2:
                skipped.append(element if mode is None else f"{element}.{mode}")
                continue
            names = [cols[j].item for j in idx]
            res = cronbach_alpha(x[:, idx], missing=params["missing"], item_names=names)
            scales["element"].append(element)
            scales["mode"].append(mode)
            scales["items"].append(res.n_items)
            scales["n_used"].append(res.n_used)
            scales["alpha"].append(res.alpha)
            scales["standardized_alpha"].append(res.standardized_alpha)
            scales["average_r"].append(res.average_r)
            scales["note"].append(res.note)
            for row in res.to_rows():
                items["element"].append(element)
                items["mode"].append(mode)
                items["item"].append(row["item"])
                items["reverse"].append(ins.item(row["item"]).reverse)
                items["n"].append(row["n"])
                items["mean"].append(row["mean"])
                items["sd"].append(row["sd"])
                items["r_drop"].append(row["r_drop"])
                items["alpha_if_deleted"].append(row["alpha_if_deleted"])
        notes = [f"Not computed for single-item dimensions: {', '.join(skipped)}."] if skipped else []
        return ScorerOutput(
            self.id,
            params,
            (
                Table(
                    "scales",
                    "dimension",
                    scales,
                    "Alpha per dimension (element, mode).",
                    cells=Cells(
                        count="n_used",
                        values=("alpha", "standardized_alpha", "average_r"),
                        statistic=("element", "mode"),
                        topic="reliability",
                        flag=None,
                        k=k,
                    ),
                ),
                Table(
                    "items",
                    "item",
                    items,
                    "Item statistics (answers reverse-keyed where the item is).",
                    cells=Cells(
                        count="n",
                        values=("mean", "sd", "r_drop", "alpha_if_deleted"),
                        statistic=("item", "mode"),
                        topic="item",
                        flag=None,
                        k=k,
                    ),
                ),
            ),
            {"dimensions": len(scales["element"]), "missing": params["missing"]},
            notes,
        )
