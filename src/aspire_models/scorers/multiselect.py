"""Multi-select frequencies: per question and option, how many respondents chose it, and the
share among those who answered the question (as seed 001's HR tools table reports counts)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
import numpy as np

from aspire_models.instrument import MultiSelectScale
from aspire_models.privacy.cells import Cells
from aspire_models.scorers.aggregate import CONFIDENCE_SCHEMA
from aspire_models.scoring import MIN_GROUP_SIZE_SCHEMA, ScorerOutput, ScoringContext, Table
from aspire_models.stats.intervals import wilson_interval

__all__ = ["MultiSelectScorer"]


@attrs.frozen
class MultiSelectScorer:
    """Counts and shares per option for every multi-select question."""

    id: str = "multi-select-frequencies"
    title: str = "Multi-select frequencies"
    description: str = (
        "Per multi-select question and option: the number of respondents who chose it, the number "
        "who answered the question (chose at least one option), and the share among them."
    )
    designs: tuple[str, ...] = ("self-assessment", "review-360", "adoption")
    params_schema: Mapping[str, Any] = attrs.field(
        factory=lambda: {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "by_organisation": {"type": "boolean", "default": False, "description": "Also count per organisation."},
                "min_group_size": MIN_GROUP_SIZE_SCHEMA,
                "confidence": CONFIDENCE_SCHEMA,
            },
        }
    )

    def score(self, ctx: ScoringContext, params: Mapping[str, Any]) -> ScorerOutput:
        ins = ctx.instrument
        k = params["min_group_size"]
        confidence = params.get("confidence", 0.95)
        cols: dict[str, list[Any]] = {
            c: [] for c in ("question", "option", "label", "count", "answered", "share", "ci_low", "ci_high")
        }
        org_cols: dict[str, list[Any]] = {
            c: [] for c in ("organisation", "question", "option", "count", "answered", "share", "ci_low", "ci_high")
        }
        orgs = ctx.data.organisation
        for col in ins.columns():
            if col.kind != "multi-select":
                continue
            scale = ins.scale(col.scale or "")
            assert isinstance(scale, MultiSelectScale)
            m = ctx.data.multi[col.name]
            answered_rows = m.any(axis=1)
            counts = m.sum(axis=0)
            n_ans = int(answered_rows.sum())
            lows, highs = wilson_interval(counts, np.full(len(counts), n_ans), confidence)
            for j, opt in enumerate(scale.options):
                cols["question"].append(col.name)
                cols["option"].append(opt.id)
                cols["label"].append(opt.label)
                cols["count"].append(int(counts[j]))
                cols["answered"].append(n_ans)
                cols["share"].append(float(counts[j]) / n_ans if n_ans else float("nan"))
                cols["ci_low"].append(float(lows[j]))
                cols["ci_high"].append(float(highs[j]))
            if params["by_organisation"]:
                n_orgs = len(orgs.labels)
                per_org = np.zeros((n_orgs, m.shape[1]), dtype=np.int64)
                np.add.at(per_org, orgs.codes, m.astype(np.int64))
                ans_org = np.bincount(orgs.codes, weights=answered_rows, minlength=n_orgs).astype(np.int64)
                org_lo, org_hi = wilson_interval(per_org, ans_org[:, None], confidence)
                for g, label in enumerate(orgs.labels):
                    for j, opt in enumerate(scale.options):
                        org_cols["organisation"].append(label)
                        org_cols["question"].append(col.name)
                        org_cols["option"].append(opt.id)
                        org_cols["count"].append(int(per_org[g, j]))
                        org_cols["answered"].append(int(ans_org[g]))
                        org_cols["share"].append(float(per_org[g, j]) / ans_org[g] if ans_org[g] else float("nan"))
                        org_cols["ci_low"].append(float(org_lo[g, j]))
                        org_cols["ci_high"].append(float(org_hi[g, j]))
        tables = [
            Table(
                "frequencies",
                "sector",
                cols,
                "Per question and option: respondents choosing it "
                "(count), respondents choosing at least one option (answered), count / answered (share) "
                f"and its {confidence:.0%} Wilson interval (ci_low, ci_high).",
                cells=Cells(
                    count="answered",
                    values=("count", "share", "ci_low", "ci_high"),
                    statistic=("question", "option"),
                    k=k,
                ),
            )
        ]
        if params["by_organisation"]:
            tables.append(
                Table(
                    "organisation-frequencies",
                    "organisation",
                    org_cols,
                    "Per organisation, question and option: count, respondents answering, the share "
                    f"and its {confidence:.0%} Wilson interval (ci_low, ci_high).",
                    cells=Cells(
                        by={"organisation": "organisation"},
                        count="answered",
                        values=("count", "share", "ci_low", "ci_high"),
                        statistic=("question", "option"),
                        k=k,
                    ),
                )
            )
        return ScorerOutput(self.id, params, tuple(tables), {"respondents": ctx.data.n_accepted})
