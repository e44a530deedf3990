"""Gap and priority: future minus now per element, and the elements to focus on.

Importance is the sector mean of the ``future`` rating (where the organisation needs to be);
performance is the sector mean of the ``now`` rating; the gap is future minus now, as in the
Aspire paper's table of average response scores (seed 001, 'Findings', lines 97-108). Which
elements to focus on is decided by a named method (parameter ``method``), and every output
says which one produced its labels:

* ``"aspire"``: the Aspire paper's own reasoning (seed 001, lines 89-95): the key priority is
  the element most important for the future (and, in the paper, with the biggest gap); the
  quick wins are the next most important elements with the smallest gaps; the focus is both.
  The default for the Aspire self-assessment instrument.
* ``"ipa"``: importance-performance analysis (Martilla and James 1977), a general method with
  the four quadrants concentrate here, keep up the good work, low priority and possible
  overkill, and documented cut-points (``cut``: grand means or the scale midpoint). The
  default for any other instrument with now and future modes. Not the Aspire paper's method.

Both compare exactly and state ties as ties (:mod:`aspire_models.stats.priority` gives the
rules in full). The ``priorities`` table has one row per element: now, future, gap, class,
whether it is a focus, rank (the method's order; equal values share a rank) and the reason
in words; the summary names the method, its source, the focus, key priorities and quick
wins, the element(s) with the largest gap (all of them when tied), the ties and the reasoning.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import numpy as np
from numpy.typing import ArrayLike

from aspire_models.errors import ScoringError
from aspire_models.instrument import NumericScale
from aspire_models.privacy.cells import Cells
from aspire_models.scorers.aggregate import (
    labels_of,
    only,
    organisation_statistics,
    sector_members,
    sector_table,
    small_organisations,
)
from aspire_models.scorers.dimensions import GAP_MODES_SCHEMA, MIN_ANSWERED_SCHEMA
from aspire_models.scoring import MIN_GROUP_SIZE_SCHEMA, ScorerOutput, ScoringContext, Table
from aspire_models.stats.priority import (
    ASPIRE_CLASSES,
    IPA_CLASSES,
    IPA_CUTS,
    METHODS,
    PriorityFinding,
    aspire_priorities,
    ipa_priorities,
)

__all__ = ["CLASSES", "PriorityScorer", "classify_priorities"]

#: the class labels of each method
CLASSES = {"aspire": ASPIRE_CLASSES, "ipa": IPA_CLASSES}


def classify_priorities(
    elements: Sequence[str],
    now: ArrayLike,
    future: ArrayLike,
    *,
    method: str = "aspire",
    scale_min: float | None = None,
    scale_max: float | None = None,
    quick_wins: int = 2,
    cut: str = "grand-mean",
) -> Table:
    """The priorities table of one set of now and future means under ``method``.

    >>> t = classify_priorities(["a", "b", "c"], [5, 8, 4], [9, 8.5, 5])
    >>> [r["class"] for r in t.rows()]
    ['key-priority', 'quick-win', 'other']
    """
    table, _ = _classify(
        elements, now, future, method=method, scale_min=scale_min, scale_max=scale_max, quick_wins=quick_wins, cut=cut
    )
    return table


def _classify(
    elements: Sequence[str],
    now: ArrayLike,
    future: ArrayLike,
    *,
    method: str,
    scale_min: float | None,
    scale_max: float | None,
    quick_wins: int,
    cut: str,
    names: dict[str, str] | None = None,
) -> tuple[Table, PriorityFinding]:
    nv = [None if np.isnan(x) else float(x) for x in np.asarray(now, dtype=np.float64)]
    fv = [None if np.isnan(x) else float(x) for x in np.asarray(future, dtype=np.float64)]
    if method == "aspire":
        found = aspire_priorities(elements, nv, fv, quick_wins=quick_wins, names=names)
        what = (
            "Aspire method (seed 001, Findings): key priority = most important for the future (and, in the "
            "paper, the biggest gap); quick wins = the next most important (future at or above the median) "
            "with the smallest gaps. Rank 1 is the key priority; elements not selected have no rank."
        )
    elif method == "ipa":
        found = ipa_priorities(elements, nv, fv, cut=cut, scale_min=scale_min, scale_max=scale_max, names=names)
        what = (
            f"Importance-performance analysis (Martilla and James 1977), importance = future, performance = "
            f"now, cut at the {cut.replace('-', ' ')}; ranked by quadrant, then by gap (largest first)."
        )
    else:
        raise ScoringError(f"unknown priority method {method!r} (methods: {', '.join(METHODS)})")
    rows = found.rows
    table = Table(
        "priorities",
        "sector",
        {
            "element": tuple(r.element for r in rows),
            "now": np.array([np.nan if r.now is None else float(r.now) for r in rows], dtype=np.float64),
            "future": np.array([np.nan if r.future is None else float(r.future) for r in rows], dtype=np.float64),
            "gap": np.array([np.nan if r.gap is None else float(r.gap) for r in rows], dtype=np.float64),
            "class": tuple(r.cls for r in rows),
            "focus": np.array([r.focus for r in rows], dtype=bool),
            "rank": tuple(r.rank for r in rows),
            "reason": tuple(r.reason for r in rows),
        },
        what + " Gap is future minus now (sector means); equal values are ties.",
    )
    return table, found


@attrs.frozen
class PriorityScorer:
    """Now/future gaps per element and the importance-gap priority classification."""

    id: str = "gap-priority"
    title: str = "Gaps and priorities"
    description: str = (
        "Future minus now per element, and the elements to focus on by a named method: the Aspire "
        "paper's (key priority and quick wins) or importance-performance analysis (four quadrants)."
    )
    designs: tuple[str, ...] = ("self-assessment",)
    params_schema: Mapping[str, Any] = attrs.field(
        factory=lambda: {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                **GAP_MODES_SCHEMA,
                "method": {
                    "enum": list(METHODS),
                    "default": "ipa",
                    "description": "Priority method: 'aspire' (the Aspire paper's reasoning, seed 001; the "
                    "Aspire instrument's default) or 'ipa' (importance-performance analysis, Martilla and "
                    "James 1977).",
                },
                "quick_wins": {
                    "type": "integer",
                    "minimum": 1,
                    "default": 2,
                    "description": "Aspire method: how many quick wins to take (more when tied); the paper took two.",
                },
                "cut": {
                    "enum": list(IPA_CUTS),
                    "default": "grand-mean",
                    "description": "Importance-performance analysis: where the quadrant axes cross, at the "
                    "grand means over elements or at the scale midpoint.",
                },
                "level": {
                    "enum": ["sector", "organisation"],
                    "default": "sector",
                    "description": "Classify the sector means, or also each organisation's means.",
                },
                "min_answered": MIN_ANSWERED_SCHEMA,
                "min_group_size": MIN_GROUP_SIZE_SCHEMA,
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
        k = params["min_group_size"]
        members = sector_members(ctx, k)
        small = small_organisations(ctx, k)
        sec = sector_table(only(m, members), elements, modes)
        means = {(e, md): v for e, md, v in zip(elements, modes, sec.column("mean"), strict=True)}
        els = [e for e in ins.elements_measured() if (e, now) in means and (e, fut) in means]
        kw: dict[str, Any] = {
            "method": params["method"],
            "scale_min": scale.min,
            "scale_max": scale.max,
            "quick_wins": params["quick_wins"],
            "cut": params["cut"],
        }
        names = {e.id: e.name for e in ctx.framework.elements}
        table, found = _classify(els, [means[(e, now)] for e in els], [means[(e, fut)] for e in els], names=names, **kw)
        derived = ("now", "future", "gap", "class", "focus", "rank", "reason")
        within = {"organisation": labels_of(ctx, members)}
        org_n = np.bincount(orgs.codes, minlength=len(orgs.labels))[: len(orgs.labels)]
        people = int(org_n[members].sum())
        table = Table(
            table.name,
            table.level,
            {**table.columns, "respondents": np.full(len(table), people, dtype=np.int64)},
            table.description,
            cells=Cells("derived", within=within, values=derived, statistic=("element",), people="respondents", k=k),
        )
        tables = [table]
        if params["level"] == "organisation":
            idx = {(e, md): j for j, (e, md) in enumerate(zip(elements, modes, strict=True))}
            cols: dict[str, list[Any]] = {
                k: [] for k in ("organisation", "respondents", "element", "now", "future", "gap", "class", "rank")
            }
            org_counts = np.bincount(orgs.codes, minlength=len(orgs.labels))
            for g, label in enumerate(orgs.labels):
                if m.n[g].sum() == 0 or small[g]:
                    continue
                t, _ = _classify(
                    els, [m.mean[g, idx[(e, now)]] for e in els], [m.mean[g, idx[(e, fut)]] for e in els], **kw
                )
                for r in t.rows():
                    cols["organisation"].append(label)
                    cols["respondents"].append(int(org_counts[g]))
                    for col in ("element", "now", "future", "gap", "class", "rank"):
                        cols[col].append(r[col])
            tables.append(
                Table(
                    "organisation-priorities",
                    "organisation",
                    cols,
                    f"The same method ({params['method']}) on each organisation's own means.",
                    cells=Cells(
                        "derived",
                        {"organisation": "organisation"},
                        values=(*derived[:4], "rank"),
                        statistic=("element",),
                        people="respondents",
                        k=k,
                    ),
                )
            )
        summary = found.summary()
        return ScorerOutput(self.id, params, tuple(tables), summary)
