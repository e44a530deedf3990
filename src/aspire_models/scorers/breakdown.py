"""Organisation breakdowns by rater role, team or subject, with minimum group size suppression.

Each organisation's dimension means are published for the whole organisation and for each of
its groups; groups too small to publish are withheld, with secondary suppression against
differencing (see :mod:`aspire_models.stats.suppression`). Counts that decide suppression are
respondents (rows) per group, whatever dimension, so a group is shown for every dimension or
for none.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
import numpy as np

from aspire_models.errors import ScoringError
from aspire_models.privacy.cells import ALL, Cells
from aspire_models.scorers.aggregate import (
    CONFIDENCE_SCHEMA,
    gap_pairs,
    moments_with_gaps,
    organisation_statistics,
)
from aspire_models.scorers.dimensions import GAP_MODES_SCHEMA, MIN_ANSWERED_SCHEMA, cached_dimensions
from aspire_models.scoring import MIN_GROUP_SIZE_SCHEMA, ScorerOutput, ScoringContext, Table
from aspire_models.stats.intervals import t_interval
from aspire_models.stats.moments import Moments
from aspire_models.stats.suppression import suppress_cells

__all__ = ["BreakdownScorer"]


@attrs.frozen
class BreakdownScorer:
    """Per organisation and group (rater role, team): dimension means, small groups withheld."""

    id: str = "breakdown"
    title: str = "Organisation breakdown with small-group suppression"
    description: str = (
        "Per organisation, and per rater role or team within it: respondents, and per dimension n, mean "
        "and sd; groups with fewer than k respondents are withheld, with secondary suppression so that no "
        "withheld group can be recovered by differencing."
    )
    designs: tuple[str, ...] = ("self-assessment",)
    params_schema: Mapping[str, Any] = attrs.field(
        factory=lambda: {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "by": {"enum": ["rater_role", "team"], "default": "team"},
                "min_group_size": MIN_GROUP_SIZE_SCHEMA,
                "min_answered": MIN_ANSWERED_SCHEMA,
                **GAP_MODES_SCHEMA,
                "confidence": CONFIDENCE_SCHEMA,
            },
        }
    )

    def score(self, ctx: ScoringContext, params: Mapping[str, Any]) -> ScorerOutput:
        data = ctx.data
        groups = data.rater_role if params["by"] == "rater_role" else data.team
        if groups is None:
            raise ScoringError(f"breakdown by {params['by']} needs a {params['by']!r} column in the responses")
        now, future = params["now_mode"], params["future_mode"]
        org_m, elements, modes = organisation_statistics(ctx, "mean", params["min_answered"], now, future)
        dims = cached_dimensions(ctx, "mean", params["min_answered"])
        orgs = data.organisation
        n_orgs, n_groups = len(orgs.labels), len(groups.labels)
        valid = groups.codes >= 0
        cell = np.where(valid, orgs.codes.astype(np.int64) * n_groups + groups.codes, -1)
        # respondents per organisation (column 0) and per group (columns 1..)
        counts = np.zeros((n_orgs, 1 + n_groups), dtype=np.int64)
        counts[:, 0] = np.bincount(orgs.codes, minlength=n_orgs)
        counts[:, 1:] = np.bincount(cell[valid], minlength=n_orgs * n_groups).reshape(n_orgs, n_groups)
        ungrouped = counts[:, 0] - counts[:, 1:].sum(axis=1)
        k = params["min_group_size"]
        mask = suppress_cells(counts, k, hidden=ungrouped)
        # rows without a group go to one extra cell, dropped after (no rows are copied)
        n_cells = n_orgs * n_groups
        every = moments_with_gaps(dims, gap_pairs(dims, now, future), np.where(valid, cell, n_cells), n_cells + 1)
        cell_m = Moments(every.n[:-1], every.mean[:-1], every.m2[:-1], every.min[:-1], every.max[:-1])
        cols: dict[str, list[Any]] = {
            k: []
            for k in (
                "organisation",
                "group",
                "respondents",
                "element",
                "mode",
                "n",
                "mean",
                "sd",
                "ci_low",
                "ci_high",
                "suppressed",
            )
        }
        confidence = params.get("confidence", 0.95)
        intervals = {id(org_m): t_interval(org_m.n, org_m.mean, org_m.m2, confidence)}
        intervals[id(cell_m)] = t_interval(cell_m.n, cell_m.mean, cell_m.m2, confidence)

        def emit(org: str, group: str, respondents: int | None, m: Moments, row: int, suppressed: bool) -> None:
            for j, (e, md) in enumerate(zip(elements, modes, strict=True)):
                cols["organisation"].append(org)
                cols["group"].append(group)
                cols["respondents"].append(None if suppressed else respondents)
                cols["element"].append(e)
                cols["mode"].append(md)
                cols["n"].append(None if suppressed else int(m.n[row, j]))
                cols["mean"].append(None if suppressed else float(m.mean[row, j]))
                cols["sd"].append(None if suppressed else float(m.sd[row, j]))
                lo, hi = intervals[id(m)]
                cols["ci_low"].append(None if suppressed else float(lo[row, j]))
                cols["ci_high"].append(None if suppressed else float(hi[row, j]))
                cols["suppressed"].append(suppressed)

        withheld = 0
        for g, org in enumerate(orgs.labels):
            if counts[g, 0] == 0:
                continue
            emit(org, "(all)", int(counts[g, 0]), org_m, g, bool(mask[g, 0]))
            for h, label in enumerate(groups.labels):
                if counts[g, 1 + h] == 0:
                    continue
                withheld += int(mask[g, 1 + h])
                emit(org, label, int(counts[g, 1 + h]), cell_m, g * n_groups + h, bool(mask[g, 1 + h]))
        return ScorerOutput(
            self.id,
            params,
            (
                Table(
                    "breakdown",
                    "organisation",
                    cols,
                    f"Per organisation and {params['by']}: n, mean, sd and the {confidence:.0%} confidence "
                    f"interval of the mean (ci_low, ci_high); groups under {k} respondents withheld, and any "
                    "group that could be worked out from the others.",
                    cells=Cells(
                        by={"organisation": "organisation", "group": params["by"]},
                        count="n",
                        people="respondents",
                        values=("mean", "sd", "ci_low", "ci_high"),
                        statistic=("element", "mode"),
                        unions={"group": {"(all)": ALL}},
                        k=k,
                    ),
                ),
            ),
            {"by": params["by"], "min_group_size": k, "withheld_groups": withheld},
        )
