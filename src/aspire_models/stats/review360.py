"""360-degree review statistics with anonymity (k-anonymity) protection.

Input is columnar: one row per completed rater form, with the subject being
reviewed, the rater group ("self", "line-manager", "peer", "direct-report",
"stakeholder", ...) and one score per behaviour (NaN = not scored).

Anonymity rule
--------------
Let ``k`` be the minimum reporting group size.

1. *Unprotected groups* (default ``self`` and ``line-manager``) are always
   reported.
2. A *protected group* is **suppressed** for a subject when it has between 1
   and ``k - 1`` rater rows (forms) for that subject.  Rows are counted
   regardless of behaviour, so a group is shown for every behaviour or for
   none.  A suppressed group's ``n``, ``mean``, ``sd``, ``min`` and ``max`` are
   all withheld (``None``) and never stored.
3. **All-others** (every non-self row) for behaviour *b* is reported only if

   a. at least ``k`` non-self raters scored *b*;
   b. the *suppressed pool* -- all rater rows of the subject's suppressed
      (non-self) groups -- numbers 0 or at least ``k`` rows; and
   c. the number of pool raters who scored *b* is 0 or at least ``k``.

   Every reported group publishes ``n`` and ``mean`` and hence its sum, so
   ``n_others * mean_others - sum(n_g * mean_g for reported g)`` is exactly the
   pool's sum for *b*.  Conditions (b) and (c) make that residual itself an
   aggregate of at least ``k`` raters; since a single suppressed group has fewer
   than ``k`` raters, the residual always mixes at least two suppressed groups
   and no single suppressed group can be isolated.  Condition (b) is counted on
   rows (not per behaviour) so that, when the pool is too small, nothing about
   it -- not even whether all-others is shown -- influences any output.

Guarantee: if a subject's suppressed pool has fewer than ``k`` rows, no output
depends on any answer of any suppressed rater.  Otherwise outputs depend on
suppressed raters only through the pool's per-behaviour count and sum (an
aggregate of at least ``k`` raters); e.g. exchanging the answers of raters in
two different suppressed groups changes nothing.

Limitations (documented, not enforced): (i) rows are counted, not scorers, so a
reported protected group with ``>= k`` forms of which fewer than ``k`` scored a
behaviour shows those raters' mean/min/max (not attributable among the ``k``
forms); (ii) rows are forms, not people -- one person rating several subjects
of a team counts once per form in :func:`team_view`; (iii) differencing
*across* separately released reports (e.g. a team view against the individual
reports of its members, or successive runs with one rater added) is not
controlled here.

References
----------
.. [1] Sweeney, L. (2002). k-anonymity: a model for protecting privacy.
   *International Journal of Uncertainty, Fuzziness and Knowledge-Based
   Systems*, 10(5), 557-570.
.. [2] Hundepool, A. et al. (2012). *Statistical Disclosure Control*, ch. 5
   (frequency and magnitude tables; the differencing problem). Wiley.
.. [3] Fleenor, J. W., Taylor, S., & Chappelow, C. (2008). *Leveraging the
   Impact of 360-Degree Feedback*. Pfeiffer (self-other agreement, blind
   spots and hidden strengths).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "AGREED",
    "AGREED_DEVELOPMENT",
    "AGREED_STRENGTH",
    "BLIND_SPOT",
    "HIDDEN_STRENGTH",
    "OTHERS",
    "REASON_DIFFERENCING",
    "REASON_K_ANONYMITY",
    "REASON_TOO_FEW",
    "BehaviourSummary",
    "GroupStat",
    "Review360Result",
    "SubjectReport",
    "TeamReport",
    "TeamViewResult",
    "classify",
    "review360",
    "team_view",
]

FloatArray = NDArray[np.float64]
IntArray = NDArray[np.int64]
BoolArray = NDArray[np.bool_]

#: Pseudo-group label for the aggregate of all non-self raters.
OTHERS = "all-others"

BLIND_SPOT = "blind-spot"
HIDDEN_STRENGTH = "hidden-strength"
AGREED_STRENGTH = "agreed-strength"
AGREED_DEVELOPMENT = "agreed-development"
AGREED = "agreed"

#: Protected group with between 1 and k-1 rater rows.
REASON_K_ANONYMITY = "k-anonymity"
#: All-others scored by fewer than k raters.
REASON_TOO_FEW = "too-few-raters"
#: All-others withheld because the suppressed pool could be isolated by differencing.
REASON_DIFFERENCING = "differencing-risk"

# Tolerance for threshold comparisons (absorbs floating-point error in means).
_TOL = 1e-9
# Means are rounded to this many decimals before ranking, so mathematically
# equal means that differ in the last bit tie.
_RANK_DECIMALS = 9


# ---------------------------------------------------------------------------
# Result classes
# ---------------------------------------------------------------------------


@attrs.frozen
class GroupStat:
    """Statistics of one rater group for one behaviour.

    Attributes
    ----------
    behaviour, group : str
        Behaviour and rater group (``OTHERS`` for the all-others aggregate).
    suppressed : bool
        True when withheld; every numeric field is then ``None``.
    reason : str or None
        ``REASON_K_ANONYMITY``, ``REASON_TOO_FEW`` or ``REASON_DIFFERENCING``
        when suppressed, else ``None``.
    n_raters : int or None
        Rater rows (forms) in the group, whether or not they scored the behaviour.
    n : int or None
        Raters who scored the behaviour.
    mean, sd, min, max : float or None
        Mean, SD (``ddof=1``; ``None`` when ``n < 2``), minimum and maximum.
        All-others reports ``mean``, ``n`` and ``sd`` (no minimum or maximum).
    """

    behaviour: str
    group: str
    suppressed: bool
    reason: str | None = None
    n_raters: int | None = None
    n: int | None = None
    mean: float | None = None
    sd: float | None = None
    min: float | None = None
    max: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as a JSON-able dict.

        Examples
        --------
        >>> GroupStat("listening", "peer", True, REASON_K_ANONYMITY).to_dict()["mean"] is None
        True
        """
        return attrs.asdict(self)


@attrs.frozen
class BehaviourSummary:
    """Self-other comparison for one subject and behaviour.

    Attributes
    ----------
    behaviour : str
    self_mean : float or None
        Mean of the self group (``None`` if absent or suppressed).
    others_mean : float or None
        All-others mean (``None`` when withheld).
    others_n : int or None
        Non-self raters behind ``others_mean``.
    gap : float or None
        ``self_mean - others_mean``.
    classification : str or None
        See :func:`classify`.
    rank : float or None
        Rank of the behaviour by ``others_mean`` among this subject's reported
        behaviours (1 = highest, ties get the average rank).
    """

    behaviour: str
    self_mean: float | None
    others_mean: float | None
    others_n: int | None
    gap: float | None
    classification: str | None
    rank: float | None

    def to_dict(self) -> dict[str, Any]:
        """Return the fields as a JSON-able dict.

        Examples
        --------
        >>> BehaviourSummary("b", 4.0, 3.0, 3, 1.0, BLIND_SPOT, 1.0).to_dict()["gap"]
        1.0
        """
        return attrs.asdict(self)


@attrs.frozen
class SubjectReport:
    """360 report for one subject.

    Attributes
    ----------
    subject : str
    suppressed_groups : tuple of str
        Protected groups withheld for this subject.
    stats : tuple of GroupStat
        Behaviour-major; within a behaviour the groups present for the subject
        (self first, then unprotected groups, then the rest alphabetically),
        followed by ``OTHERS`` when the subject has any non-self rater.
    summary : tuple of BehaviourSummary
        One per behaviour, in input order.
    """

    subject: str
    suppressed_groups: tuple[str, ...]
    stats: tuple[GroupStat, ...]
    summary: tuple[BehaviourSummary, ...]

    def get(self, behaviour: str, group: str) -> GroupStat:
        """Return the statistics of ``group`` for ``behaviour``.

        Raises
        ------
        KeyError
            If the group has no raters for this subject.

        Examples
        --------
        >>> res = review360([[4.0], [3.0]], ["ann", "ann"], ["self", "line-manager"], ["b1"])
        >>> res.subject("ann").get("b1", "line-manager").mean
        3.0
        """
        for st in self.stats:
            if st.behaviour == behaviour and st.group == group:
                return st
        raise KeyError((behaviour, group))

    def rows(self) -> list[dict[str, Any]]:
        """Long-format group statistics, one dict per (behaviour, group).

        Examples
        --------
        >>> res = review360([[4.0], [3.0]], ["ann", "ann"], ["self", "line-manager"], ["b1"])
        >>> [r["group"] for r in res.subject("ann").rows()]
        ['self', 'line-manager', 'all-others']
        """
        return [{"subject": self.subject, **st.to_dict()} for st in self.stats]

    def summary_rows(self) -> list[dict[str, Any]]:
        """Self-other summary, one dict per behaviour.

        Examples
        --------
        >>> res = review360([[4.0], [3.0]], ["ann", "ann"], ["self", "line-manager"], ["b1"])
        >>> res.subject("ann").summary_rows()[0]["self_mean"]
        4.0
        """
        return [{"subject": self.subject, **s.to_dict()} for s in self.summary]


@attrs.frozen
class Review360Result:
    """Result of :func:`review360`.

    Attributes
    ----------
    behaviours : tuple of str
    k : int
        Minimum reporting group size.
    self_group : str
    unprotected_groups : tuple of str
    subjects : tuple of SubjectReport
        Sorted by subject id.
    """

    behaviours: tuple[str, ...]
    k: int
    self_group: str
    unprotected_groups: tuple[str, ...]
    subjects: tuple[SubjectReport, ...]

    def subject(self, subject: str) -> SubjectReport:
        """Return the report of one subject.

        Examples
        --------
        >>> res = review360([[4.0]], ["ann"], ["self"], ["b1"])
        >>> res.subject("ann").subject
        'ann'
        """
        for rep in self.subjects:
            if rep.subject == subject:
                return rep
        raise KeyError(subject)

    def rows(self) -> list[dict[str, Any]]:
        """Long-format group statistics for every subject (JSON-able, no NaN).

        Examples
        --------
        >>> res = review360([[4.0], [2.0]], ["ann", "bob"], ["self", "self"], ["b1"])
        >>> [(r["subject"], r["mean"]) for r in res.rows()]
        [('ann', 4.0), ('bob', 2.0)]
        """
        return [row for rep in self.subjects for row in rep.rows()]

    def summary_rows(self) -> list[dict[str, Any]]:
        """Self-other summaries for every subject (JSON-able, no NaN).

        Examples
        --------
        >>> res = review360([[4.0]], ["ann"], ["self"], ["b1"])
        >>> res.summary_rows()[0]["others_mean"] is None
        True
        """
        return [row for rep in self.subjects for row in rep.summary_rows()]


@attrs.frozen
class TeamReport:
    """Aggregate view of one team.

    Attributes
    ----------
    team : str
    n_subjects : int
        Distinct subjects of the team.
    suppressed_groups : tuple of str
    stats : tuple of GroupStat
        As in :class:`SubjectReport`, pooled over all rows of the team.
    """

    team: str
    n_subjects: int
    suppressed_groups: tuple[str, ...]
    stats: tuple[GroupStat, ...]

    def rows(self) -> list[dict[str, Any]]:
        """Long-format statistics, one dict per (behaviour, group).

        Examples
        --------
        >>> tv = team_view([[4.0], [3.0]], ["ann", "bob"], ["self", "self"], ["b1"])
        >>> tv.teams[0].rows()[0]["n"]
        2
        """
        return [{"team": self.team, "n_subjects": self.n_subjects, **st.to_dict()} for st in self.stats]


@attrs.frozen
class TeamViewResult:
    """Result of :func:`team_view`.

    Attributes
    ----------
    behaviours : tuple of str
    k : int
    teams : tuple of TeamReport
        Sorted by team id.
    """

    behaviours: tuple[str, ...]
    k: int
    teams: tuple[TeamReport, ...]

    def team(self, team: str) -> TeamReport:
        """Return the view of one team.

        Examples
        --------
        >>> tv = team_view([[4.0]], ["ann"], ["self"], ["b1"], team=["red"])
        >>> tv.team("red").n_subjects
        1
        """
        for rep in self.teams:
            if rep.team == team:
                return rep
        raise KeyError(team)

    def rows(self) -> list[dict[str, Any]]:
        """Long-format statistics for every team (JSON-able, no NaN).

        Examples
        --------
        >>> tv = team_view([[4.0], [2.0]], ["ann", "bob"], ["self", "self"], ["b1"])
        >>> tv.rows()[0]["mean"]
        3.0
        """
        return [row for rep in self.teams for row in rep.rows()]


# ---------------------------------------------------------------------------
# Classification
# ---------------------------------------------------------------------------


def classify(
    self_mean: float | None,
    others_mean: float | None,
    *,
    blind_spot: float = 0.5,
    hidden_strength: float = 0.5,
    strength_level: float = 4.0,
    development_level: float = 3.0,
) -> str | None:
    """Classify self-other agreement for one behaviour.

    With gap :math:`d = \\bar x_{self} - \\bar x_{others}`, in order:

    * ``"blind-spot"`` if :math:`d \\ge` ``blind_spot`` (self rates higher);
    * ``"hidden-strength"`` if :math:`-d \\ge` ``hidden_strength``;
    * ``"agreed-strength"`` if :math:`\\bar x_{others} \\ge` ``strength_level``;
    * ``"agreed-development"`` if :math:`\\bar x_{others} <` ``development_level``;
    * ``"agreed"`` otherwise.

    Comparisons allow a tolerance of 1e-9 for floating-point error.  Returns
    ``None`` when either mean is missing.  Terminology follows Fleenor et al.
    (2008).

    Examples
    --------
    >>> classify(4.5, 3.5), classify(3.0, 4.0), classify(4.2, 4.0), classify(2.5, 2.4)
    ('blind-spot', 'hidden-strength', 'agreed-strength', 'agreed-development')
    >>> classify(3.5, 3.5), classify(None, 3.0)
    ('agreed', None)
    """
    if self_mean is None or others_mean is None:
        return None
    gap = self_mean - others_mean
    if gap >= blind_spot - _TOL:
        return BLIND_SPOT
    if -gap >= hidden_strength - _TOL:
        return HIDDEN_STRENGTH
    if others_mean >= strength_level - _TOL:
        return AGREED_STRENGTH
    if others_mean < development_level - _TOL:
        return AGREED_DEVELOPMENT
    return AGREED


# ---------------------------------------------------------------------------
# Vectorised core
# ---------------------------------------------------------------------------


def _prepare(
    scores: ArrayLike,
    columns: Sequence[tuple[str, ArrayLike]],
    behaviours: Sequence[str],
    k: int,
) -> tuple[FloatArray, list[NDArray[np.str_]], tuple[str, ...]]:
    data = np.array(scores, dtype=np.float64)
    if data.ndim != 2:
        raise ValueError(f"scores must be 2-dimensional, got ndim={data.ndim}")
    beh = tuple(str(b) for b in behaviours)
    if len(beh) != data.shape[1]:
        raise ValueError(f"{len(beh)} behaviours for {data.shape[1]} score columns")
    if len(set(beh)) != len(beh):
        raise ValueError("behaviours must be unique")
    if np.isinf(data).any():
        raise ValueError("scores contain infinite values; use NaN for 'not scored'")
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    labels: list[NDArray[np.str_]] = []
    for name, col in columns:
        arr = np.asarray(col)
        if arr.ndim != 1 or arr.shape[0] != data.shape[0]:
            raise ValueError(f"{name} must be 1-dimensional with {data.shape[0]} entries")
        labels.append(arr.astype(str))
    return data, labels, beh


def _group_codes(group: NDArray[np.str_], self_group: str, unprotected: tuple[str, ...]) -> tuple[list[str], IntArray]:
    """Canonical group order (self, unprotected in given order, rest sorted) and codes."""
    uniques, inverse = np.unique(group, return_inverse=True)
    present = [str(u) for u in uniques]
    if OTHERS in present:
        raise ValueError(f"{OTHERS!r} is reserved and cannot be a rater group")
    head = [self_group] + [g for g in unprotected if g != self_group]
    order = [g for g in head if g in present] + sorted(g for g in present if g not in head)
    position = np.array([order.index(g) for g in present], dtype=np.int64)
    return order, position[inverse.reshape(-1)]


@attrs.frozen
class _Aggregates:
    """Transient per-(unit, group) tables; never part of a result object."""

    rows: IntArray  # (U, G) rater rows
    n: IntArray  # (U, G, B) raters who scored
    mean: FloatArray  # (U, G, B)
    sd: FloatArray
    min: FloatArray
    max: FloatArray
    suppressed: BoolArray  # (U, G)
    others_rows: IntArray  # (U,)
    others_n: IntArray  # (U, B)
    others_mean: FloatArray  # (U, B)
    others_sd: FloatArray  # (U, B)
    others_reason: NDArray[np.object_]  # (U, B) None when reported


def _aggregate(
    data: FloatArray,
    unit_codes: IntArray,
    n_units: int,
    group_codes: IntArray,
    groups: list[str],
    *,
    self_group: str,
    unprotected: tuple[str, ...],
    k: int,
) -> _Aggregates:
    """Grouped statistics for every (unit, group, behaviour) cell at once.

    Cell sums use ``np.add.at`` on the cell index ``unit * G + group``; the SD is
    two-pass (deviations from the cell mean) for numerical stability.
    """
    n_groups = len(groups)
    n_beh = data.shape[1]
    n_cells = n_units * n_groups
    cells = unit_codes * n_groups + group_codes
    observed = ~np.isnan(data)
    values = np.where(observed, data, 0.0)

    rows = np.bincount(cells, minlength=n_cells).astype(np.int64)
    count = np.zeros((n_cells, n_beh))
    np.add.at(count, cells, observed.astype(np.float64))
    total = np.zeros((n_cells, n_beh))
    np.add.at(total, cells, values)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(count > 0, total / count, np.nan)
    dev = np.where(observed, data - mean[cells], 0.0)
    ssd = np.zeros((n_cells, n_beh))
    np.add.at(ssd, cells, dev * dev)
    with np.errstate(divide="ignore", invalid="ignore"):
        sd = np.where(count > 1, np.sqrt(ssd / (count - 1)), np.nan)
    lo = np.full((n_cells, n_beh), np.inf)
    np.minimum.at(lo, cells, np.where(observed, data, np.inf))
    hi = np.full((n_cells, n_beh), -np.inf)
    np.maximum.at(hi, cells, np.where(observed, data, -np.inf))
    lo = np.where(count > 0, lo, np.nan)
    hi = np.where(count > 0, hi, np.nan)

    shape3 = (n_units, n_groups, n_beh)
    rows2 = rows.reshape(n_units, n_groups)
    count3 = count.reshape(shape3)
    total3 = total.reshape(shape3)

    protected = np.array([g not in unprotected for g in groups], dtype=bool)
    is_self = np.array([g == self_group for g in groups], dtype=bool)
    suppressed = protected[None, :] & (rows2 > 0) & (rows2 < k)

    # Suppressed pool (non-self suppressed groups) and all-others (non-self).
    pool = suppressed & ~is_self[None, :]
    pool_rows = (rows2 * pool).sum(axis=1)
    pool_n = (count3 * pool[:, :, None]).sum(axis=1)
    nonself = ~is_self
    others_rows = rows2[:, nonself].sum(axis=1)
    others_n = count3[:, nonself, :].sum(axis=1)
    others_total = total3[:, nonself, :].sum(axis=1)

    pool_rows_bad = ((pool_rows > 0) & (pool_rows < k))[:, None]
    pool_n_bad = (pool_n > 0) & (pool_n < k)
    too_few = others_n < k
    reason = np.full((n_units, n_beh), None, dtype=object)
    reason[pool_n_bad] = REASON_DIFFERENCING
    reason[too_few] = REASON_TOO_FEW
    reason[np.broadcast_to(pool_rows_bad, reason.shape)] = REASON_DIFFERENCING
    reported = ~(too_few | pool_n_bad | pool_rows_bad)
    with np.errstate(divide="ignore", invalid="ignore"):
        others_mean = np.where(reported, others_total / others_n, np.nan)
    # all-others' spread over the pooled raters' own answers, from sums of deviations from a
    # whole number near the mean: on whole-number scales every sum is exact, so the figure
    # does not depend on how the raters split into groups or in which order they come, to
    # the last bit (a published figure must not tell how raters of withheld groups are split)
    pooled = ~is_self[group_codes]
    centre = np.where(np.isnan(others_mean), 0.0, np.round(others_mean))
    others_dev = np.where(observed & pooled[:, None], data - centre[unit_codes], 0.0)
    s1 = np.zeros((n_units, n_beh))
    np.add.at(s1, unit_codes, others_dev)
    s2 = np.zeros((n_units, n_beh))
    np.add.at(s2, unit_codes, others_dev * others_dev)
    with np.errstate(divide="ignore", invalid="ignore"):
        others_m2 = np.maximum(s2 - s1 * s1 / others_n, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        others_sd = np.where(reported & (others_n > 1), np.sqrt(others_m2 / (others_n - 1)), np.nan)

    return _Aggregates(
        rows=rows2,
        n=count3.astype(np.int64),
        mean=mean.reshape(shape3),
        sd=sd.reshape(shape3),
        min=lo.reshape(shape3),
        max=hi.reshape(shape3),
        suppressed=suppressed,
        others_rows=others_rows.astype(np.int64),
        others_n=others_n.astype(np.int64),
        others_mean=others_mean,
        others_sd=others_sd,
        others_reason=reason,
    )


def _py(a: NDArray[Any]) -> list[Any]:
    """Nested Python list of ``a`` with non-finite values replaced by ``None``."""
    out = a.astype(object)
    out[~np.isfinite(a)] = None
    result: list[Any] = out.tolist()
    return result


@attrs.frozen
class _PyTables:
    """The reportable cells of :class:`_Aggregates` as nested Python lists."""

    rows: list[Any]
    n: list[Any]
    mean: list[Any]
    sd: list[Any]
    min: list[Any]
    max: list[Any]
    suppressed: list[Any]
    others_rows: list[Any]
    others_n: list[Any]
    others_mean: list[Any]
    others_sd: list[Any]
    others_reason: list[Any]

    @classmethod
    def of(cls, agg: _Aggregates) -> _PyTables:
        hide = agg.suppressed[:, :, None]
        return cls(
            rows=agg.rows.tolist(),
            n=agg.n.tolist(),
            mean=_py(np.where(hide, np.nan, agg.mean)),
            sd=_py(np.where(hide, np.nan, agg.sd)),
            min=_py(np.where(hide, np.nan, agg.min)),
            max=_py(np.where(hide, np.nan, agg.max)),
            suppressed=agg.suppressed.tolist(),
            others_rows=agg.others_rows.tolist(),
            others_n=agg.others_n.tolist(),
            others_mean=_py(agg.others_mean),
            others_sd=_py(agg.others_sd),
            others_reason=agg.others_reason.tolist(),
        )


def _unit_stats(
    t: _PyTables, u: int, groups: list[str], behaviours: tuple[str, ...], self_group: str
) -> tuple[tuple[str, ...], tuple[GroupStat, ...]]:
    """Build the public GroupStat tuple of one unit, dropping suppressed values."""
    rows, supp = t.rows[u], t.suppressed[u]
    n, mean, sd, lo, hi = t.n[u], t.mean[u], t.sd[u], t.min[u], t.max[u]
    present = [g for g in range(len(groups)) if rows[g] > 0]
    has_others = any(groups[g] != self_group for g in present)
    suppressed_groups = tuple(groups[g] for g in present if supp[g])
    out: list[GroupStat] = []
    for b, beh in enumerate(behaviours):
        for g in present:
            if supp[g]:
                out.append(GroupStat(beh, groups[g], True, REASON_K_ANONYMITY))
            else:
                out.append(
                    GroupStat(
                        beh,
                        groups[g],
                        False,
                        None,
                        rows[g],
                        n[g][b],
                        mean[g][b],
                        sd[g][b],
                        lo[g][b],
                        hi[g][b],
                    )
                )
        if has_others:
            why = t.others_reason[u][b]
            if why is None:
                out.append(
                    GroupStat(
                        beh,
                        OTHERS,
                        False,
                        None,
                        n_raters=t.others_rows[u],
                        n=t.others_n[u][b],
                        mean=t.others_mean[u][b],
                        sd=t.others_sd[u][b],
                    )
                )
            else:
                out.append(GroupStat(beh, OTHERS, True, str(why)))
    return suppressed_groups, tuple(out)


def _exact_ranks_desc(means: FloatArray, counts: NDArray[np.int64], resolution: int) -> list[list[float | None]]:
    """Row-wise ranks (1 = highest) of means of ``counts`` scores that are multiples of
    ``1/resolution``, compared as exact fractions; ties share their average rank."""
    from aspire_models.stats.ties import average_ranks, exact_mean

    out: list[list[float | None]] = []
    for row_means, row_counts in zip(means.tolist(), counts.tolist(), strict=True):
        keys = [
            None if math.isnan(m) else exact_mean(m, int(n), resolution).value
            for m, n in zip(row_means, row_counts, strict=True)
        ]
        out.append(average_ranks(keys))
    return out


def _average_rank_desc(values: FloatArray) -> FloatArray:
    """Row-wise ranks of a 2-D array, 1 = highest; ties share their average rank.

    Values are rounded to ``_RANK_DECIMALS`` decimals first; NaN stays NaN and
    is excluded from the ranking.
    """
    n_rows, n_cols = values.shape
    key = -np.round(values, _RANK_DECIMALS)  # NaN sorts last
    order = np.argsort(key, axis=1, kind="stable")
    srt = np.take_along_axis(key, order, axis=1)
    pos = np.broadcast_to(np.arange(n_cols), (n_rows, n_cols))
    same_as_prev = np.zeros((n_rows, n_cols), dtype=bool)
    same_as_prev[:, 1:] = srt[:, 1:] == srt[:, :-1]
    same_as_next = np.zeros((n_rows, n_cols), dtype=bool)
    same_as_next[:, :-1] = same_as_prev[:, 1:]
    start = np.maximum.accumulate(np.where(same_as_prev, 0, pos), axis=1)
    stop = np.minimum.accumulate(np.where(same_as_next, n_cols - 1, pos)[:, ::-1], axis=1)
    avg = (start + stop[:, ::-1]) / 2.0 + 1.0
    ranks = np.empty((n_rows, n_cols))
    np.put_along_axis(ranks, order, avg, axis=1)
    ranks[np.isnan(values)] = np.nan
    return ranks


# ---------------------------------------------------------------------------
# Public functions
# ---------------------------------------------------------------------------


def review360(
    scores: ArrayLike,
    subject: ArrayLike,
    group: ArrayLike,
    behaviours: Sequence[str],
    *,
    self_group: str = "self",
    unprotected_groups: Sequence[str] = ("self", "line-manager"),
    k: int = 3,
    blind_spot: float = 0.5,
    hidden_strength: float = 0.5,
    strength_level: float = 4.0,
    development_level: float = 3.0,
    resolution: int | None = None,
) -> Review360Result:
    """Per-subject 360-degree statistics with k-anonymity and differencing protection.

    Parameters
    ----------
    scores : array_like of float, shape (n_ratings, n_behaviours)
        One row per rater form; NaN = behaviour not scored.
    subject, group : array_like of str, shape (n_ratings,)
        Subject reviewed and rater group of each row (converted with ``str``).
    behaviours : sequence of str
        Column labels of ``scores`` (unique).
    self_group : str, default "self"
        Group excluded from all-others and used for the self-other gap.
    unprotected_groups : sequence of str, default ("self", "line-manager")
        Groups reported whatever their size.
    k : int, default 3
        Minimum size of a reported protected group (and of all-others).
    blind_spot, hidden_strength, strength_level, development_level : float
        Thresholds of :func:`classify`.
    resolution : int, optional
        ``L`` such that every score is a multiple of ``1/L`` (e.g. 6 for means of up to
        three integer items). Given, behaviours are ranked by their all-others means as exact
        fractions (:mod:`aspire_models.stats.ties`), so equal means always tie; without it,
        means are rounded to 9 decimals before ranking.

    Returns
    -------
    Review360Result

    Notes
    -----
    For each subject, behaviour and present group: ``n`` (raters who scored),
    mean :math:`\\bar x = \\sum x / n`, SD
    :math:`\\sqrt{\\sum (x-\\bar x)^2/(n-1)}` (``None`` if ``n < 2``), min and max.
    All-others pools every non-self row and reports ``n``, the mean and the SD (over
    the pooled raters).
    ``gap = self_mean - others_mean``; ``classification`` is :func:`classify`;
    ``rank`` orders behaviours by all-others mean (1 = highest, average rank
    for ties: exact ties with ``resolution``, else after rounding means to 9
    decimals; ``None`` where withheld).

    Suppression follows the module-level *Anonymity rule*: protected groups
    with 1..k-1 rows are withheld entirely; all-others for a behaviour is
    reported only if at least ``k`` non-self raters scored it, the subject's
    suppressed pool has 0 or >= ``k`` rows, and 0 or >= ``k`` pool raters
    scored it -- so that differencing all-others against reported groups
    never isolates fewer than ``k`` suppressed raters.

    Examples
    --------
    >>> scores = [[5, 2], [3, 3], [4, 4], [4, 3], [2, 2], [4, 5], [3, 4]]
    >>> subj = ["ann"] * 7
    >>> grp = ["self", "line-manager", "peer", "peer", "peer", "direct-report", "direct-report"]
    >>> rep = review360(scores, subj, grp, ["listening", "delivery"]).subject("ann")
    >>> rep.suppressed_groups
    ('direct-report',)
    >>> rep.get("listening", "peer").mean, rep.get("listening", "all-others").mean
    (3.3333333333333335, None)
    """
    unprot = tuple(str(g) for g in unprotected_groups)
    data, (subj, grp), beh = _prepare(scores, [("subject", subject), ("group", group)], behaviours, k)
    if development_level > strength_level:
        raise ValueError("development_level must not exceed strength_level")
    subjects, subj_codes = np.unique(subj, return_inverse=True)
    groups, grp_codes = _group_codes(grp, self_group, unprot)
    agg = _aggregate(
        data,
        subj_codes.reshape(-1).astype(np.int64),
        subjects.size,
        grp_codes,
        groups,
        self_group=self_group,
        unprotected=unprot,
        k=int(k),
    )
    if self_group in groups:
        si = groups.index(self_group)
        self_means = np.where(agg.suppressed[:, si, None], np.nan, agg.mean[:, si, :])
    else:
        self_means = np.full(agg.others_mean.shape, np.nan)
    tables = _PyTables.of(agg)
    self_l = _py(self_means)
    gap_l = _py(self_means - agg.others_mean)
    rank_l = (
        _py(_average_rank_desc(agg.others_mean))
        if resolution is None
        else _exact_ranks_desc(agg.others_mean, agg.others_n, resolution)
    )

    reports: list[SubjectReport] = []
    for u, sid in enumerate(subjects.tolist()):
        suppressed_groups, stats = _unit_stats(tables, u, groups, beh, self_group)
        summary = []
        for b, name in enumerate(beh):
            s_mean = self_l[u][b]
            o_mean = tables.others_mean[u][b]
            summary.append(
                BehaviourSummary(
                    behaviour=name,
                    self_mean=s_mean,
                    others_mean=o_mean,
                    others_n=tables.others_n[u][b] if o_mean is not None else None,
                    gap=gap_l[u][b],
                    classification=classify(
                        s_mean,
                        o_mean,
                        blind_spot=blind_spot,
                        hidden_strength=hidden_strength,
                        strength_level=strength_level,
                        development_level=development_level,
                    ),
                    rank=rank_l[u][b],
                )
            )
        reports.append(SubjectReport(str(sid), suppressed_groups, stats, tuple(summary)))
    return Review360Result(
        behaviours=beh,
        k=int(k),
        self_group=self_group,
        unprotected_groups=unprot,
        subjects=tuple(reports),
    )


def team_view(
    scores: ArrayLike,
    subject: ArrayLike,
    group: ArrayLike,
    behaviours: Sequence[str],
    *,
    team: ArrayLike | None = None,
    self_group: str = "self",
    unprotected_groups: Sequence[str] = ("self", "line-manager"),
    k: int = 3,
) -> TeamViewResult:
    """Pool 360 ratings over the subjects of each team.

    Parameters
    ----------
    scores, subject, group, behaviours
        As in :func:`review360`.
    team : array_like of str, shape (n_ratings,), optional
        Team of each row's subject; ``None`` pools everything into team ``"all"``.
        Each subject must belong to exactly one team.
    self_group, unprotected_groups, k
        As in :func:`review360`.

    Returns
    -------
    TeamViewResult

    Notes
    -----
    Per team, behaviour and group the mean is over raters (rows), not over
    subject means: :math:`\\bar x_{tg} = \\sum_{r \\in t, g} x_r / n_{tg}`.  The
    module's anonymity rule is applied with the team in place of the subject:
    a protected team-group with 1..k-1 rows is suppressed, and all-others is
    withheld under the same three conditions.  Releasing a team view together
    with the members' individual reports can allow cross-report differencing
    (module docstring, limitation iii).

    Examples
    --------
    >>> tv = team_view([[4], [3], [5], [2]], ["a", "a", "b", "b"],
    ...                ["self", "peer", "self", "peer"], ["b1"])
    >>> [(r["group"], r["n"], r["mean"], r["suppressed"]) for r in tv.rows()]
    [('self', 2, 4.5, False), ('peer', None, None, True), ('all-others', None, None, True)]
    """
    unprot = tuple(str(g) for g in unprotected_groups)
    n_rows = np.asarray(scores).shape[0] if np.ndim(scores) else 0
    team_col: ArrayLike = np.full(n_rows, "all") if team is None else team
    data, (subj, grp, tm), beh = _prepare(
        scores, [("subject", subject), ("group", group), ("team", team_col)], behaviours, k
    )
    teams, team_codes = np.unique(tm, return_inverse=True)
    team_codes = team_codes.reshape(-1).astype(np.int64)
    _, subj_codes = np.unique(subj, return_inverse=True)
    pairs = np.unique(np.stack([subj_codes.reshape(-1), team_codes], axis=1), axis=0)
    if np.unique(pairs[:, 0]).size != pairs.shape[0]:
        raise ValueError("each subject must belong to exactly one team")
    n_subjects = np.bincount(pairs[:, 1], minlength=teams.size)
    groups, grp_codes = _group_codes(grp, self_group, unprot)
    agg = _aggregate(
        data,
        team_codes,
        teams.size,
        grp_codes,
        groups,
        self_group=self_group,
        unprotected=unprot,
        k=int(k),
    )
    tables = _PyTables.of(agg)
    reports = []
    for u, tid in enumerate(teams.tolist()):
        suppressed_groups, stats = _unit_stats(tables, u, groups, beh, self_group)
        reports.append(TeamReport(str(tid), int(n_subjects[u]), suppressed_groups, stats))
    return TeamViewResult(behaviours=beh, k=int(k), teams=tuple(reports))
