"""Gap and priority: future minus now per element, and an importance-gap priority matrix.

Importance is the sector mean of the ``future`` rating (where the organisation needs to be);
the gap is the sector mean of ``future`` minus the sector mean of ``now``, as in the Aspire
paper's table of average response scores (seed 001, 'Findings'). Thresholds are proportions
of the scale's range, so they carry over between scales. With range :math:`R = \\max - \\min`:

* **focus**: importance >= ``min + importance * R`` and gap >= ``large_gap * R``;
* **quick-win**: importance high and gap <= ``small_gap * R``;
* **improve**: importance high, gap in between;
* **lower-priority**: importance below the threshold.

The priority index is importance x gap (scale points); elements are ranked by class
(focus, quick-win, improve, lower-priority), then by the index. The defaults (0.75, 0.2,
0.06) make the Aspire survey's published averages give its own conclusion: leadership the
top priority, alignment and agility the quick wins (a golden test checks this).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import numpy as np
from numpy.typing import ArrayLike

from aspire_models.errors import ScoringError
from aspire_models.instrument import NumericScale
from aspire_models.scorers.aggregate import organisation_statistics, sector_table
from aspire_models.scorers.dimensions import GAP_MODES_SCHEMA, MIN_ANSWERED_SCHEMA
from aspire_models.scoring import ScorerOutput, ScoringContext, Table

__all__ = ["CLASSES", "PriorityScorer", "classify_priorities"]

CLASSES = ("focus", "quick-win", "improve", "lower-priority")


def classify_priorities(
    elements: Sequence[str],
    now: ArrayLike,
    future: ArrayLike,
    *,
    scale_min: float,
    scale_max: float,
    importance: float = 0.75,
    large_gap: float = 0.2,
    small_gap: float = 0.06,
) -> Table:
    """Classify elements on the importance-gap matrix.

    >>> t = classify_priorities(["a", "b"], [5, 8], [9, 8.5], scale_min=1, scale_max=10)
    >>> [r["class"] for r in t.rows()]
    ['focus', 'quick-win']
    """
    now_a = np.asarray(now, dtype=np.float64)
    fut = np.asarray(future, dtype=np.float64)
    gap = fut - now_a
    span = scale_max - scale_min
    high = fut >= scale_min + importance * span
    cls = np.where(
        ~high | np.isnan(fut), 3, np.where(gap >= large_gap * span, 0, np.where(gap <= small_gap * span, 1, 2))
    )
    cls = np.where(np.isnan(gap), 3, cls)
    index = fut * gap
    order = np.lexsort((np.asarray(elements, dtype=object).astype(str), -np.nan_to_num(index, nan=-np.inf), cls))
    rank = np.empty(len(elements), dtype=np.int64)
    rank[order] = np.arange(1, len(elements) + 1)
    return Table(
        "priorities",
        "sector",
        {
            "element": tuple(elements),
            "now": now_a,
            "future": fut,
            "gap": gap,
            "importance_high": high,
            "priority_index": index,
            "class": tuple(CLASSES[c] for c in cls),
            "rank": rank,
        },
        "Importance-gap matrix: importance is the future rating, gap is future minus now (sector "
        "means). Rank 1 is the top priority.",
    )


@attrs.frozen
class PriorityScorer:
    """Now/future gaps per element and the importance-gap priority classification."""

    id: str = "gap-priority"
    title: str = "Gaps and priorities"
    description: str = (
        "Future minus now per element, and a classification of elements into focus, quick-win, "
        "improve and lower-priority by importance (future rating) and gap."
    )
    designs: tuple[str, ...] = ("self-assessment",)
    params_schema: Mapping[str, Any] = attrs.field(
        factory=lambda: {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                **GAP_MODES_SCHEMA,
                "importance": {
                    "type": "number",
                    "minimum": 0,
                    "maximum": 1,
                    "default": 0.75,
                    "description": "High importance: future >= min + importance x range.",
                },
                "large_gap": {
                    "type": "number",
                    "minimum": 0,
                    "maximum": 1,
                    "default": 0.2,
                    "description": "Large gap: gap >= large_gap x range.",
                },
                "small_gap": {
                    "type": "number",
                    "minimum": 0,
                    "maximum": 1,
                    "default": 0.06,
                    "description": "Small gap: gap <= small_gap x range.",
                },
                "level": {
                    "enum": ["sector", "organisation"],
                    "default": "sector",
                    "description": "Classify the sector means, or also each organisation's means.",
                },
                "min_answered": MIN_ANSWERED_SCHEMA,
            },
        }
    )

    def score(self, ctx: ScoringContext, params: Mapping[str, Any]) -> ScorerOutput:
        now, fut = params["now_mode"], params["future_mode"]
        ins = ctx.instrument
        if now not in ins.mode_ids or fut not in ins.mode_ids:
            raise ScoringError(
                f"instrument {ins.id!r} has no modes {now!r} and {fut!r} (modes: {', '.join(ins.mode_ids)})"
            )
        scales = {s.id: s for _, s in ins.iter_numeric_items()}
        if len({(s.min, s.max) for s in scales.values()}) != 1:
            raise ScoringError("gap-priority needs all numeric items on scales with the same range")
        scale: NumericScale = next(iter(scales.values()))
        m, elements, modes = organisation_statistics(ctx, "mean", params["min_answered"], now, fut)
        orgs = ctx.data.organisation
        sec = sector_table(m, elements, modes)
        means = {(e, md): v for e, md, v in zip(elements, modes, sec.column("mean"), strict=True)}
        els = [e for e in ins.elements_measured() if (e, now) in means and (e, fut) in means]
        kw = {
            "scale_min": scale.min,
            "scale_max": scale.max,
            "importance": params["importance"],
            "large_gap": params["large_gap"],
            "small_gap": params["small_gap"],
        }
        table = classify_priorities(els, [means[(e, now)] for e in els], [means[(e, fut)] for e in els], **kw)
        tables = [table]
        if params["level"] == "organisation":
            idx = {(e, md): j for j, (e, md) in enumerate(zip(elements, modes, strict=True))}
            cols: dict[str, list[Any]] = {
                k: [] for k in ("organisation", "element", "now", "future", "gap", "class", "rank")
            }
            for g, label in enumerate(orgs.labels):
                if m.n[g].sum() == 0:
                    continue
                t = classify_priorities(
                    els, [m.mean[g, idx[(e, now)]] for e in els], [m.mean[g, idx[(e, fut)]] for e in els], **kw
                )
                for r in t.rows():
                    cols["organisation"].append(label)
                    for k in ("element", "now", "future", "gap", "class", "rank"):
                        cols[k].append(r[k])
            tables.append(
                Table(
                    "organisation-priorities",
                    "organisation",
                    cols,
                    "The same classification on each organisation's own means.",
                )
            )
        rows = table.rows()
        top = [r["element"] for r in sorted(rows, key=lambda r: r["rank"]) if r["class"] == "focus"][:1]
        summary = {
            "top_priority": top[0] if top else None,
            "focus": [r["element"] for r in rows if r["class"] == "focus"],
            "quick_wins": [r["element"] for r in rows if r["class"] == "quick-win"],
            "largest_gap": max(rows, key=lambda r: -1e9 if r["gap"] is None else r["gap"])["element"] if rows else None,
        }
        return ScorerOutput(self.id, params, tuple(tables), summary)
