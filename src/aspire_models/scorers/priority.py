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

Every published mean carries its confidence interval at the level of the ``confidence``
parameter (default 0.95), computed from the counted moments the scorer already has
(:func:`paired_gap_interval` for the gap):

* ``now_ci_low``/``now_ci_high`` and ``future_ci_low``/``future_ci_high``: the t-interval of
  the sector mean of organisation means over the organisations (each one observation), the
  same interval as the ``aggregate`` scorer's ``sector`` table gives;
* ``gap_ci_low``/``gap_ci_high``: the t-interval of the mean over organisations of each
  organisation's future mean minus its now mean (paired by organisation; the gap is exactly
  that mean). When every respondent gave both ratings, each organisation's difference is the
  mean of its respondents' own gaps, so the interval is that of the ``aggregate`` sector
  table's ``gap`` row. No gap interval when some organisation has one rating and not the
  other (the gap is then no mean of paired differences).

In the ``organisation-priorities`` table the intervals are those of each organisation's
means over its respondents; its gap interval is the paired t-interval of the mean of the
respondents' own gaps (future minus now), given only when the same respondents gave both
ratings (then that mean is the gap). No interval with fewer than two organisations
(respondents), and none when the sector includes withheld organisations (their spread
would single one out, as in the ``sector`` table).
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
    CONFIDENCE_SCHEMA,
    labels_of,
    only,
    organisation_statistics,
    sector_members,
    sector_table,
    small_organisations,
)
from aspire_models.scorers.dimensions import GAP_MODES_SCHEMA, MIN_ANSWERED_SCHEMA
from aspire_models.scoring import MIN_GROUP_SIZE_SCHEMA, ScorerOutput, ScoringContext, Table
from aspire_models.stats.intervals import t_interval
from aspire_models.stats.moments import Moments
from aspire_models.stats.priority import (
    ASPIRE_CLASSES,
    IPA_CLASSES,
    IPA_CUTS,
    METHODS,
    PriorityFinding,
    aspire_priorities,
    ipa_priorities,
)

__all__ = ["CLASSES", "INTERVAL_COLUMNS", "PriorityScorer", "classify_priorities", "paired_gap_interval"]

#: the class labels of each method
CLASSES = {"aspire": ASPIRE_CLASSES, "ipa": IPA_CLASSES}
#: the interval columns of a priorities table: low and high of now, future and gap
INTERVAL_COLUMNS = tuple(f"{v}_ci_{end}" for v in ("now", "future", "gap") for end in ("low", "high"))


def paired_gap_interval(now: ArrayLike, future: ArrayLike, confidence: float = 0.95) -> tuple[float, float]:
    """The t-interval of the mean of paired differences ``future - now`` (one pair per unit,
    e.g. per organisation: its future and now means), centred on ``mean(future) -
    mean(now)``, which is that mean. NaN when fewer than two units have both values, or when
    some unit has one value and not the other (the difference of the two means is then not
    a mean of pairs).

    >>> lo, hi = paired_gap_interval([5, 6, 7], [7, 7, 9])
    >>> round(lo, 4), round(hi, 4)
    (0.2324, 3.1009)
    """
    a = np.asarray(now, dtype=np.float64)
    b = np.asarray(future, dtype=np.float64)
    have_a, have_b = ~np.isnan(a), ~np.isnan(b)
    if (have_a != have_b).any() or have_a.sum() < 2:
        return float("nan"), float("nan")
    d = (b - a)[have_a]
    m = Moments.grouped(d[:, None], np.zeros(len(d), dtype=np.int64), 1)
    lo, hi = t_interval(m.n[0], m.mean[0], m.m2[0], confidence)
    half = (float(hi[0]) - float(lo[0])) / 2.0
    gap = float(b[have_b].mean() - a[have_a].mean())
    return gap - half, gap + half


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


def _with_intervals(table: Table, intervals: Mapping[str, Sequence[float]], confidence: float) -> Table:
    """``table`` with the interval columns (:data:`INTERVAL_COLUMNS`) after ``gap``."""
    cols: dict[str, Any] = {}
    for name, col in table.columns.items():
        cols[name] = col
        if name == "gap":
            for c in INTERVAL_COLUMNS:
                cols[c] = np.asarray(intervals[c], dtype=np.float64)
    return Table(
        table.name,
        table.level,
        cols,
        table.description
        + f" Intervals: {confidence:.0%} confidence intervals. now_ci_low/now_ci_high and future_ci_low/"
        "future_ci_high: the t-interval of the sector mean over the organisations; gap_ci_low/gap_ci_high: the "
        "t-interval over the organisations of each one's future mean minus its now mean (paired by organisation). "
        "None with fewer than two organisations, for a gap when an organisation has one mean and not the other, "
        "and when withheld organisations are in the sector.",
        cells=table.cells,
    )


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
                "confidence": CONFIDENCE_SCHEMA,
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
        confidence = float(params.get("confidence", 0.95))
        sec = sector_table(only(m, members), elements, modes, confidence=confidence)
        means = {(e, md): v for e, md, v in zip(elements, modes, sec.column("mean"), strict=True)}
        idx = {(e, md): j for j, (e, md) in enumerate(zip(elements, modes, strict=True))}
        sector_ci = {
            (e, md): (lo, hi)
            for e, md, lo, hi in zip(elements, modes, sec.column("ci_low"), sec.column("ci_high"), strict=True)
        }
        spread_withheld = bool((members & small).any())  # as the sector table: would single one out
        org_means = np.where(only(m, members).n > 0, m.mean, np.nan)
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
        nan = float("nan")
        intervals: dict[str, list[float]] = {c: [] for c in INTERVAL_COLUMNS}
        for e in els:
            if spread_withheld:
                pairs = [(nan, nan)] * 3
            else:
                gap_ci = paired_gap_interval(org_means[:, idx[(e, now)]], org_means[:, idx[(e, fut)]], confidence)
                pairs = [sector_ci[(e, now)], sector_ci[(e, fut)], gap_ci]
            for v, (lo, hi) in zip(("now", "future", "gap"), pairs, strict=True):
                intervals[f"{v}_ci_low"].append(float(lo))
                intervals[f"{v}_ci_high"].append(float(hi))
        table = _with_intervals(table, intervals, confidence)
        derived = ("now", "future", "gap", *INTERVAL_COLUMNS, "class", "focus", "rank", "reason")
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
            heads = ("organisation", "respondents", "element", "now", "future", "gap", *INTERVAL_COLUMNS)
            cols: dict[str, list[Any]] = {k: [] for k in (*heads, "class", "rank")}
            lo_all, hi_all = t_interval(m.n, m.mean, m.m2, confidence)
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
                    e = r["element"]
                    j_now, j_fut, j_gap = idx[(e, now)], idx[(e, fut)], idx.get((e, "gap"))
                    for v, j in (("now", j_now), ("future", j_fut)):
                        cols[f"{v}_ci_low"].append(float(lo_all[g, j]))
                        cols[f"{v}_ci_high"].append(float(hi_all[g, j]))
                    # the respondents' own gaps: their mean is the gap only when the same people gave both
                    paired = j_gap is not None and m.n[g, j_now] == m.n[g, j_fut] == m.n[g, j_gap]
                    half = (float(hi_all[g, j_gap]) - float(lo_all[g, j_gap])) / 2.0 if paired else float("nan")
                    centre = float("nan") if r["gap"] is None else float(r["gap"])
                    cols["gap_ci_low"].append(centre - half)
                    cols["gap_ci_high"].append(centre + half)
            tables.append(
                Table(
                    "organisation-priorities",
                    "organisation",
                    cols,
                    f"The same method ({params['method']}) on each organisation's own means, with the "
                    f"{confidence:.0%} confidence intervals of its means over its respondents (gap: of the "
                    "respondents' own gaps, when the same respondents gave both ratings).",
                    cells=Cells(
                        "derived",
                        {"organisation": "organisation"},
                        values=("now", "future", "gap", *INTERVAL_COLUMNS, "class", "rank"),
                        statistic=("element",),
                        people="respondents",
                        k=k,
                    ),
                )
            )
        summary = found.summary()
        return ScorerOutput(self.id, params, tuple(tables), summary)
