"""Aggregation from respondents to organisations to the sector.

Organisation level: over the organisation's respondents, per dimension: n, mean, sd, min,
max. Sector level: the mean of the organisation means, so that an organisation with many
respondents does not outweigh others (as the Aspire paper averaged across councils), with
the number of organisations, the sd and the range of organisation means, and the range of
individual respondents' scores.

Everything is built on :class:`~aspire_models.stats.moments.Moments`, so partial results from
chunks merge into exactly the whole (see :func:`organisation_moments`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import attrs
import numpy as np
from numpy.typing import NDArray

from aspire_models.privacy.cells import Cells
from aspire_models.scorers.dimensions import (
    GAP_MODES_SCHEMA,
    METHOD_SCHEMA,
    MIN_ANSWERED_SCHEMA,
    Dimensions,
    cached_dimensions,
)
from aspire_models.scoring import MIN_GROUP_SIZE_SCHEMA, ScorerOutput, ScoringContext, Table
from aspire_models.stats.intervals import bootstrap_interval, t_interval
from aspire_models.stats.moments import Discrete, Moments

#: the ``confidence`` parameter of the scorers that publish intervals
CONFIDENCE_SCHEMA = {
    "type": "number",
    "exclusiveMinimum": 0,
    "exclusiveMaximum": 1,
    "default": 0.95,
    "description": "Level of the confidence intervals (ci_low, ci_high) of means and shares.",
}
#: the ``interval`` parameter: Student t from the counted moments, or a percentile bootstrap
INTERVAL_SCHEMA = {
    "enum": ["t", "bootstrap"],
    "default": "t",
    "description": "Interval of organisation means: 't' (from n, mean and sd; mergeable) or 'bootstrap' "
    "(percentile, 2000 resamples, seeded; for skewed scales).",
}

#: the most (group, level) counts a gap between two discrete scores is counted in; beyond
#: it the gap is summed as floats
_MAX_BINS = 1 << 22

__all__ = [
    "AggregateScorer",
    "gap_columns",
    "gap_pairs",
    "moments_with_gaps",
    "organisation_moments",
    "organisation_statistics",
    "organisation_table",
    "sector_table",
    "with_gaps",
]


def gap_pairs(dims: Dimensions, now: str, future: str) -> list[tuple[int, int]]:
    """(now column, future column) of each element measured in both modes, in element order."""
    pairs = []
    for j, (e, m) in enumerate(zip(dims.elements, dims.modes, strict=True)):
        if m == now:
            try:
                pairs.append((j, dims.index(e, future)))
            except KeyError:
                continue
    return pairs


def gap_columns(dims: Dimensions, now: str, future: str) -> tuple[NDArray[np.float64], list[str]]:
    """Per element measured in both modes, the respondent gap future-now (one column each)."""
    pairs = gap_pairs(dims, now, future)
    gaps = np.empty((dims.scores.shape[0], len(pairs)), dtype=np.float64, order="F")
    for i, (j, k) in enumerate(pairs):
        np.subtract(dims.scores[:, k], dims.scores[:, j], out=gaps[:, i])
    return gaps, [dims.elements[j] for j, _ in pairs]


def moments_with_gaps(
    dims: Dimensions, pairs: list[tuple[int, int]], codes: NDArray[np.int32], n_groups: int
) -> Moments:
    """Organisation moments of the dimension scores followed by the gaps; a gap is made only
    while its statistics are taken (no respondents x (dimensions + gaps) matrix).

    Scores that take few values (:attr:`Dimensions.discrete`) are counted, not summed, and so
    is a gap between two of them: its level is the pair of the two scores' levels, its
    values every difference ``future - now`` (the float subtraction the respondent's gap is).
    """
    d = len(dims.elements)
    discrete = dims.discrete or (None,) * d

    def counted(x: Discrete | None) -> bool:
        return x is not None and len(x.values) * n_groups <= _MAX_BINS

    def column(j: int) -> NDArray[np.float64] | Discrete:
        if j < d:
            x = discrete[j]
            return x if x is not None and counted(x) else dims.scores[:, j]
        now, future = pairs[j - d]
        a, b = discrete[now], discrete[future]
        if a is not None and b is not None:
            gap = gap_levels(a, b)
            if gap is not None and counted(gap):
                return gap
        return np.subtract(dims.scores[:, future], dims.scores[:, now])

    return Moments.of_columns(column, codes, n_groups, d + len(pairs))


def gap_levels(now: Discrete, future: Discrete) -> Discrete | None:
    """The respondent gap ``future - now`` of two discrete scores as a discrete variable (None
    when its levels would not fit in 16 bits): its values are the distinct differences of a
    future and a now value (the float subtraction the respondent's gap is), NaN last."""
    width = len(now.values)
    differences = np.subtract.outer(future.values, now.values).ravel()
    distinct = np.unique(differences[~np.isnan(differences)])
    if len(differences) > 1 << 16 or len(distinct) >= 1 << 16:
        return None
    level_of = np.searchsorted(distinct, differences).astype(np.uint16)  # NaN sorts last
    pair = np.multiply(future.levels, width, dtype=np.uint16)
    pair += now.levels
    return Discrete(np.take(level_of, pair), np.append(distinct, np.nan))


def with_gaps(dims: Dimensions, now: str, future: str) -> tuple[NDArray[np.float64], list[str], list[str]]:
    """Dimension scores plus, per element measured in both modes, the respondent gap
    future-now (column-major, as the scores)."""
    gaps, gap_elements = gap_columns(dims, now, future)
    elements = list(dims.elements) + gap_elements
    modes: list[str] = [m if m is not None else "" for m in dims.modes] + ["gap"] * len(gap_elements)
    d = dims.scores.shape[1]
    values = np.empty((dims.scores.shape[0], d + gaps.shape[1]), order="F")
    values[:, :d] = dims.scores
    values[:, d:] = gaps
    return values, elements, modes


def organisation_statistics(
    ctx: ScoringContext, method: str, min_answered: float, now: str, future: str
) -> tuple[Moments, list[str], list[str]]:
    """Per organisation, the moments of the dimension scores and of the gaps ``future - now``
    (:func:`moments_with_gaps`), with each variable's element and mode (``''`` for none,
    ``'gap'`` for a gap; as :func:`with_gaps` names them). Made once per run and shared by the
    scorers that need them (aggregate, gap-priority, benchmark)."""

    def compute() -> tuple[Moments, list[str], list[str]]:
        dims = cached_dimensions(ctx, method, min_answered)
        pairs = gap_pairs(dims, now, future)
        gap_elements = [dims.elements[j] for j, _ in pairs]
        elements = list(dims.elements) + gap_elements
        modes = [m if m is not None else "" for m in dims.modes] + ["gap"] * len(gap_elements)
        orgs = ctx.data.organisation
        m = moments_with_gaps(dims, pairs, orgs.codes, len(orgs.labels))
        for a in (m.n, m.mean, m.m2, m.min, m.max):
            a.flags.writeable = False  # shared by the scorers of the run
        return m, elements, modes

    result: tuple[Moments, list[str], list[str]] = ctx.memo(
        ("organisation-moments", method, min_answered, now, future), compute
    )
    return result


def small_organisations(ctx: ScoringContext, k: int | None = None) -> NDArray[np.bool_]:
    """Organisations with respondents, but fewer than ``k`` (default: the run's smallest
    ``min_group_size``): their figures are withheld and they take part in no other figure."""
    orgs = ctx.data.organisation
    k = ctx.min_group_size if k is None else k
    counts = ctx.memo(("organisation-counts",), lambda: np.bincount(orgs.codes, minlength=len(orgs.labels)))
    counts = counts[: len(orgs.labels)]
    out: NDArray[np.bool_] = (counts > 0) & (counts < k)
    return out


def sector_members(ctx: ScoringContext, k: int) -> NDArray[np.bool_]:
    """The organisations a sector figure may include: every organisation with respondents,
    less the small ones (under ``k``) when together they number fewer than ``k`` people (the
    sector less the published organisations would then describe them)."""
    orgs = ctx.data.organisation
    counts = ctx.memo(("organisation-counts",), lambda: np.bincount(orgs.codes, minlength=len(orgs.labels)))
    counts = counts[: len(orgs.labels)]
    small = (counts > 0) & (counts < k)
    pool = int(counts[small].sum())
    out: NDArray[np.bool_] = (counts > 0) & ~(small if 0 < pool < k else np.zeros_like(small))
    return out


def only(m: Moments, keep: NDArray[np.bool_]) -> Moments:
    """The moments of the organisations in ``keep`` (the others as if empty)."""
    if keep.all():
        return m
    k2 = keep[:, None]
    return Moments(
        np.where(k2, m.n, 0),
        np.where(k2, m.mean, np.nan),
        np.where(k2, m.m2, 0.0),
        np.where(k2, m.min, np.nan),
        np.where(k2, m.max, np.nan),
    )


def labels_of(ctx: ScoringContext, mask: NDArray[np.bool_]) -> tuple[str, ...]:
    labels = ctx.data.organisation.labels
    return tuple(str(labels[g]) for g in np.flatnonzero(mask).tolist())


def organisation_cells(k: int, *, derived: bool = False, values: tuple[str, ...] = ()) -> Cells:
    """The disclosure declaration of a per-organisation, per-dimension table."""
    if derived:
        return Cells("derived", {"organisation": "organisation"}, values=values, statistic=("element", "mode"), k=k)
    return Cells(
        by={"organisation": "organisation"},
        count="n",
        values=("mean", "sd", "ci_low", "ci_high"),
        extremes=("min", "max"),
        statistic=("element", "mode"),
        k=k,
    )


#: statistics of the organisation means that single out an organisation (its own mean as the
#: minimum or maximum; two means from a mean and sd): withheld when withheld organisations
#: are among those the sector is built from
_SPREAD_OF_MEANS = ("sd", "min", "max", "ci_low", "ci_high")


def sector_cells(k: int, organisations: tuple[str, ...] | None, withheld_members: bool = False) -> Cells:
    """The disclosure declaration of a sector table built from ``organisations`` only
    (``None``: from every organisation); ``withheld_members``: some of them are withheld."""
    spread = _SPREAD_OF_MEANS if withheld_members else ()
    return Cells(
        by={},
        count="respondents",
        values=("organisations", "mean", *(c for c in _SPREAD_OF_MEANS if c not in spread)),
        extremes=("respondent_min", "respondent_max", *spread),
        statistic=("element", "mode"),
        within={} if organisations is None else {"organisation": organisations},
        flag=None,
        k=k,
    )


def organisation_moments(values: NDArray[np.float64], org_codes: NDArray[np.int32], n_orgs: int) -> Moments:
    """Mergeable per-organisation statistics of respondent-level values."""
    return Moments.grouped(values, org_codes, n_orgs)


def organisation_table(
    m: Moments,
    orgs: tuple[str, ...],
    elements: list[str],
    modes: list[str],
    withheld: NDArray[np.bool_] | None = None,
    k: int = 5,
    confidence: float = 0.95,
    interval: tuple[NDArray[np.float64], NDArray[np.float64]] | None = None,
) -> Table:
    """Per organisation and dimension; ``withheld`` organisations show only their name.
    ``ci_low``/``ci_high``: the ``confidence`` t-interval of the mean from the moments, or
    ``interval`` (groups x variables lows and highs, e.g. a bootstrap) when given."""
    g, d = m.n.shape
    hide = np.zeros(g, dtype=bool) if withheld is None else withheld
    present = (m.n.sum(axis=1) > 0) | hide
    gi = np.repeat(np.arange(g), d)
    di = np.tile(np.arange(d), g)
    keep = present[gi]
    gi, di = gi[keep], di[keep]
    h = hide[gi]

    def shown(a: NDArray[Any]) -> NDArray[np.float64]:
        return np.where(h, np.nan, a[gi, di].astype(np.float64))

    lo, hi = interval if interval is not None else t_interval(m.n, m.mean, m.m2, confidence)

    return Table(
        "organisations",
        "organisation",
        {
            "organisation": np.asarray(orgs, dtype=object)[gi],
            "element": np.asarray(elements, dtype=object)[di],
            "mode": np.asarray(modes, dtype=object)[di],
            "n": m.n[gi, di] if not h.any() else shown(m.n),
            "mean": shown(m.mean),
            "sd": shown(m.sd),
            "min": shown(m.min),
            "max": shown(m.max),
            "ci_low": shown(lo),
            "ci_high": shown(hi),
            "suppressed": h,
        },
        "Per organisation and dimension: respondents with a score (n), mean, sd (n-1), and the "
        f"{confidence:.0%} confidence interval of the mean (ci_low, ci_high). "
        "Mode 'gap' is the respondent-level future minus now. Suppressed: fewer respondents than "
        "min_group_size, or a figure that would let a withheld group be worked out (values withheld). "
        "Min and max are one person's score and are never published.",
        cells=organisation_cells(k),
    )


def sector_table(
    m: Moments,
    elements: list[str],
    modes: list[str],
    k: int = 5,
    organisations: tuple[str, ...] | None = None,
    confidence: float = 0.95,
    withheld_members: bool = False,
) -> Table:
    """Sector statistics: mean of organisation means (organisations with n > 0), with the
    ``confidence`` t-interval of that mean over the organisations (each one observation).
    ``withheld_members``: some of those organisations are withheld (small, but together at
    least ``k``): the sd, range and interval of the organisation means are then withheld too."""
    org_means = np.where(m.n > 0, m.mean, np.nan)
    over_orgs = Moments.grouped(org_means, np.zeros(org_means.shape[0], dtype=np.int64), 1)
    pooled_n = m.n.sum(axis=0)
    lo, hi = t_interval(over_orgs.n[0], over_orgs.mean[0], over_orgs.m2[0], confidence)
    return Table(
        "sector",
        "sector",
        {
            "element": np.asarray(elements, dtype=object),
            "mode": np.asarray(modes, dtype=object),
            "organisations": over_orgs.n[0],
            "respondents": pooled_n,
            "mean": over_orgs.mean[0],
            "sd": over_orgs.sd[0],
            "min": over_orgs.min[0],
            "max": over_orgs.max[0],
            "respondent_min": np.fmin.reduce(m.min, axis=0) if m.min.shape[0] else np.full(len(elements), np.nan),
            "respondent_max": np.fmax.reduce(m.max, axis=0) if m.max.shape[0] else np.full(len(elements), np.nan),
            "ci_low": lo,
            "ci_high": hi,
        },
        "Per dimension: mean, sd, min and max of the organisation means (each organisation weighs "
        f"the same), the number of organisations and respondents, and the {confidence:.0%} confidence "
        "interval of the mean over organisations (ci_low, ci_high). Organisations too small to "
        "publish take part only when together they number at least min_group_size, and then the sd, "
        "range and interval of the organisation means are withheld (they would single one out). The "
        "range of respondent scores is one person's score and is withheld.",
        cells=sector_cells(k, organisations, withheld_members),
    )


@attrs.frozen
class AggregateScorer:
    """Respondent -> organisation -> sector statistics of dimension scores and gaps."""

    id: str = "aggregate"
    title: str = "Organisation and sector aggregates"
    description: str = (
        "Per organisation: n, mean, sd, min and max of respondents' dimension scores (and now/future "
        "gaps). Per sector: the mean of organisation means with n, sd and range."
    )
    designs: tuple[str, ...] = ("self-assessment",)
    params_schema: Mapping[str, Any] = attrs.field(
        factory=lambda: {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "method": METHOD_SCHEMA,
                "min_answered": MIN_ANSWERED_SCHEMA,
                **GAP_MODES_SCHEMA,
                "min_group_size": MIN_GROUP_SIZE_SCHEMA,
                "confidence": CONFIDENCE_SCHEMA,
                "interval": INTERVAL_SCHEMA,
            },
        }
    )

    def score(self, ctx: ScoringContext, params: Mapping[str, Any]) -> ScorerOutput:
        m, elements, modes = organisation_statistics(
            ctx, params["method"], params["min_answered"], params["now_mode"], params["future_mode"]
        )
        orgs = ctx.data.organisation
        k = params["min_group_size"]
        withheld = small_organisations(ctx, k)
        members = sector_members(ctx, k)
        confidence = params.get("confidence", 0.95)
        interval = None
        if params.get("interval") == "bootstrap":
            dims = cached_dimensions(ctx, params["method"], params["min_answered"])
            values, _, _ = with_gaps(dims, params["now_mode"], params["future_mode"])
            interval = bootstrap_interval(values, orgs.codes, len(orgs.labels), confidence)
        org_t = organisation_table(only(m, ~withheld), orgs.labels, elements, modes, withheld, k, confidence, interval)
        sec_t = sector_table(
            only(m, members), elements, modes, k, labels_of(ctx, members), confidence, bool((members & withheld).any())
        )
        return ScorerOutput(
            self.id,
            params,
            (org_t, sec_t),
            {
                "organisations": int((m.n.sum(axis=1) > 0).sum()),
                "respondents": ctx.data.n_accepted,
                "withheld_organisations": int(withheld.sum()),
            },
            (f"Organisations with fewer than {k} respondents are withheld.",)
            if withheld.any()
            else (),
        )
