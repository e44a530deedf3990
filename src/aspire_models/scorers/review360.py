"""360-degree review scorers: one subject's review, and the team view, with anonymity
protection (see :mod:`aspire_models.stats.review360` for the rule and its guarantee).

Per rater form, each behaviour's score is the mean of its items (after reverse keying; at
least ``min_answered`` items). The rater roles marked ``protected`` in the instrument are the
protected groups; the role marked ``self`` is the self group. Nothing in the outputs is
attributed to a rater: no respondent ids, no row numbers, and open-text comments are shown
grouped by rater group, sorted (so their order reveals nothing), and only for groups that
are themselves reported.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import numpy as np
from numpy.typing import NDArray

from aspire_models.errors import ScoringError
from aspire_models.instrument import Instrument
from aspire_models.privacy.cells import Cells
from aspire_models.scorers.dimensions import MIN_ANSWERED_SCHEMA, cached_dimensions
from aspire_models.scoring import MIN_GROUP_SIZE_SCHEMA, ScorerOutput, ScoringContext, Table
from aspire_models.stats import review360 as r360

__all__ = ["Review360Scorer", "TeamViewScorer"]

_GROUP_COLUMNS = ("behaviour", "group", "suppressed", "reason", "n_raters", "n", "mean", "sd", "min", "max")


def _roles(ins: Instrument) -> tuple[str, tuple[str, ...]]:
    selfs = [r.id for r in ins.rater_roles if r.is_self]
    unprotected = tuple(r.id for r in ins.rater_roles if not r.protected)
    return (selfs[0] if selfs else "self"), unprotected


def _columns(rows: list[dict[str, Any]], names: tuple[str, ...]) -> dict[str, list[Any]]:
    return {n: [r.get(n) for r in rows] for n in names}


def _with_intervals(cols: dict[str, list[Any]], confidence: float) -> dict[str, list[Any]]:
    """``ci_low`` / ``ci_high``: the t-interval of each group mean from its n, mean and sd."""
    from aspire_models.stats.intervals import t_interval

    def num(xs: list[Any]) -> NDArray[np.float64]:
        return np.array([np.nan if x is None else x for x in xs], dtype=np.float64)

    n, mean, sd = num(cols["n"]), num(cols["mean"]), num(cols["sd"])
    lo, hi = t_interval(n, mean, np.where(n > 1, sd**2 * (n - 1), np.nan), confidence)
    out = dict(cols)
    out["ci_low"] = [None if x != x else float(x) for x in lo.tolist()]
    out["ci_high"] = [None if x != x else float(x) for x in hi.tolist()]
    return out


_CONFIDENCE_SCHEMA: dict[str, Any] = {
    "type": "number",
    "exclusiveMinimum": 0,
    "exclusiveMaximum": 1,
    "default": 0.95,
    "description": "Level of the t-intervals of group means (ci_low, ci_high).",
}


def _cells(ins: Instrument, k: int, **extra: Any) -> Cells:
    """The disclosure declaration of a table by subject (or team) and rater group."""
    self_group, unprotected = _roles(ins)
    others = tuple(r.id for r in ins.rater_roles if r.id != self_group)
    base: dict[str, Any] = {
        "by": {"subject": "subject", "group": "rater_role"},
        "unions": {"group": {r360.OTHERS: others}},
        "exempt": {"group": unprotected},
        "k": k,
    }
    base.update(extra)
    return Cells(**base)


def _withheld_pairs(
    subject: Any, group: Any, unprotected: tuple[str, ...], k: int
) -> tuple[NDArray[np.bool_], list[dict[str, str]]]:
    """Rows of subject groups that the subject's own report withholds (a protected group with
    1 to k-1 raters), and those groups."""
    pairs = np.char.add(np.char.add(subject.astype(str), "\x1f"), group.astype(str))
    labels, codes, counts = np.unique(pairs, return_inverse=True, return_counts=True)
    small = (counts < k) & ~np.isin([str(x).split("\x1f")[1] for x in labels], unprotected)
    hidden = [dict(zip(("subject", "rater_role"), str(x).split("\x1f"), strict=True)) for x in labels[small]]
    return small[codes.reshape(-1)], hidden


def _resolution(instrument: Instrument, behaviours: Sequence[str]) -> int | None:
    """One ``L`` for every behaviour's scores (the lcm of each one's), or None."""
    import math

    from aspire_models.scorers.exact import dimension_resolution

    out = 1
    for b in behaviours:
        r = dimension_resolution(instrument, b, None)
        if r is None:
            return None
        out = out * r // math.gcd(out, r)
    return out


def _inputs(ctx: ScoringContext, min_answered: float) -> tuple[Any, Any, Any, tuple[str, ...]]:
    data = ctx.data
    if data.subject is None or data.rater_role is None:
        raise ScoringError("a 360 review needs subject_id and rater_role columns")
    dims = cached_dimensions(ctx, "mean", min_answered)
    if any(m is not None for m in dims.modes):
        raise ScoringError("360 scorers take items without response modes")
    subject = np.asarray(data.subject.labels, dtype=object)[data.subject.codes]
    group = np.asarray(data.rater_role.labels, dtype=object)[data.rater_role.codes]
    return dims.scores, subject, group, dims.elements


@attrs.frozen
class Review360Scorer:
    """Per subject, per behaviour, per rater group: n, mean, spread; self versus others."""

    id: str = "review-360"
    title: str = "360-degree review"
    description: str = (
        "Per subject, behaviour and rater group: n, mean, sd, min, max; the all-others mean (excluding "
        "self); the self-minus-others gap; blind spots, hidden strengths, agreed strengths and development "
        "areas; behaviours ranked by others' mean. Protected groups below k raters are suppressed."
    )
    designs: tuple[str, ...] = ("review-360",)
    params_schema: Mapping[str, Any] = attrs.field(
        factory=lambda: {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "min_group_size": MIN_GROUP_SIZE_SCHEMA,
                "confidence": _CONFIDENCE_SCHEMA,
                "subject": {"type": ["string", "null"], "default": None, "description": "Report one subject only."},
                "blind_spot": {
                    "type": "number",
                    "minimum": 0,
                    "default": 0.5,
                    "description": "Blind spot: self minus others at least this (scale points).",
                },
                "hidden_strength": {
                    "type": "number",
                    "minimum": 0,
                    "default": 0.5,
                    "description": "Hidden strength: others minus self at least this.",
                },
                "strength_level": {
                    "type": "number",
                    "default": 4.0,
                    "description": "Agreed strength: others' mean at least this (when self and others agree).",
                },
                "development_level": {
                    "type": "number",
                    "default": 3.0,
                    "description": "Agreed development area: others' mean below this (when they agree).",
                },
                "min_answered": MIN_ANSWERED_SCHEMA,
            },
        }
    )

    def score(self, ctx: ScoringContext, params: Mapping[str, Any]) -> ScorerOutput:
        scores, subject, group, behaviours = _inputs(ctx, params["min_answered"])
        self_group, unprotected = _roles(ctx.instrument)
        if params["subject"] is not None:
            keep = subject == params["subject"]
            if not keep.any():
                from aspire_models.errors import UnknownIdError

                raise UnknownIdError("subject", params["subject"], sorted(set(subject.tolist())))
            scores, subject, group = scores[keep], subject[keep], group[keep]
        k = params["min_group_size"]
        res = r360.review360(
            scores,
            subject.astype(str),
            group.astype(str),
            behaviours,
            self_group=self_group,
            unprotected_groups=unprotected,
            k=k,
            blind_spot=params["blind_spot"],
            hidden_strength=params["hidden_strength"],
            strength_level=params["strength_level"],
            development_level=params["development_level"],
            resolution=_resolution(ctx.instrument, behaviours),  # exact ties when ranking behaviours
        )
        groups = _with_intervals(_columns(res.rows(), ("subject", *_GROUP_COLUMNS)), params["confidence"])
        summary = _columns(
            res.summary_rows(),
            ("subject", "behaviour", "self_mean", "others_mean", "others_n", "gap", "classification", "rank"),
        )
        ins = ctx.instrument
        tables = [
            Table(
                "groups",
                "subject",
                groups,
                "Per subject, behaviour and rater group (suppressed groups withheld).",
                cells=_cells(
                    ins,
                    k,
                    count="n",
                    people="n_raters",
                    values=("mean", "sd", "ci_low", "ci_high"),
                    extremes=("min", "max"),
                    statistic=("behaviour",),
                    reason="reason",
                ),
            ),
            Table(
                "summary",
                "subject",
                summary,
                "Self versus all others per subject and behaviour.",
                cells=_cells(
                    ins,
                    k,
                    kind="derived",
                    assume={"group": r360.OTHERS},
                    values=("others_mean", "others_n", "gap", "classification", "rank"),
                    statistic=("behaviour",),
                ),
            ),
            self._comments(ctx, res, params),
        ]
        suppressed = {rep.subject: list(rep.suppressed_groups) for rep in res.subjects if rep.suppressed_groups}
        return ScorerOutput(
            self.id,
            params,
            tables,
            {"subjects": len(res.subjects), "min_group_size": k, "suppressed_groups": suppressed},
            (f"Groups other than {', '.join(unprotected)} are shown only with at least {k} raters.",),
        )

    def _comments(self, ctx: ScoringContext, res: r360.Review360Result, params: Mapping[str, Any]) -> Table:
        data = ctx.data
        assert data.subject is not None and data.rater_role is not None
        subject = np.asarray(data.subject.labels, dtype=object)[data.subject.codes]
        group = np.asarray(data.rater_role.labels, dtype=object)[data.rater_role.codes]
        shown = {(rep.subject, g) for rep in res.subjects for g in _present_groups(rep)}
        cols: dict[str, list[Any]] = {"subject": [], "question": [], "group": [], "comment": []}
        for q in ctx.instrument.open_questions:
            texts = data.text.get(q.id)
            if texts is None:
                continue
            entries = sorted(
                (str(s), str(g), str(t).strip())
                for s, g, t in zip(subject, group, texts, strict=True)
                if t is not None
                and str(t).strip()
                and (str(s), str(g)) in shown
                and (params["subject"] is None or s == params["subject"])
            )
            for s, g, t in entries:
                cols["subject"].append(s)
                cols["question"].append(q.id)
                cols["group"].append(g)
                cols["comment"].append(t)
        return Table(
            "comments",
            "subject",
            cols,
            "Open comments grouped by rater group, sorted; only for reported groups; never attributed.",
            cells=_cells(ctx.instrument, params["min_group_size"], kind="text"),
        )


def _present_groups(rep: r360.SubjectReport) -> set[str]:
    return {st.group for st in rep.stats if not st.suppressed and st.group != r360.OTHERS}


@attrs.frozen
class TeamViewScorer:
    """Behaviours aggregated over all subjects of a team or organisation (HRBP360 team review)."""

    id: str = "review-360-team"
    title: str = "360 team view"
    description: str = (
        "Per team (or organisation, or everyone) and behaviour: each rater group's n and mean pooled over "
        "the team's subjects, and all others, with the same suppression rule as the individual review."
    )
    designs: tuple[str, ...] = ("review-360",)
    params_schema: Mapping[str, Any] = attrs.field(
        factory=lambda: {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "min_group_size": MIN_GROUP_SIZE_SCHEMA,
                "confidence": _CONFIDENCE_SCHEMA,
                "by": {
                    "enum": ["team", "organisation", "all"],
                    "default": "team",
                    "description": "Pool by the team column, the organisation column, or all subjects.",
                },
                "min_answered": MIN_ANSWERED_SCHEMA,
            },
        }
    )

    def score(self, ctx: ScoringContext, params: Mapping[str, Any]) -> ScorerOutput:
        scores, subject, group, behaviours = _inputs(ctx, params["min_answered"])
        self_group, unprotected = _roles(ctx.instrument)
        by = params["by"]
        codes = ctx.data.team if by == "team" else ctx.data.organisation if by == "organisation" else None
        if by == "team" and codes is None:
            by, codes = "all", None  # no team column: one team of everyone (noted)
        team = None if codes is None else np.asarray(codes.labels, dtype=object)[codes.codes].astype(str)
        k = params["min_group_size"]
        # pool only the subject groups the subjects' own reports publish: a team figure less the
        # published subject figures then reveals nothing about a withheld group
        hidden_rows, hidden = _withheld_pairs(subject, group, unprotected, k)
        keep = ~hidden_rows
        res = r360.team_view(
            scores[keep],
            subject[keep].astype(str),
            group[keep].astype(str),
            behaviours,
            team=None if team is None else team[keep],
            self_group=self_group,
            unprotected_groups=unprotected,
            k=k,
        )
        rows = _with_intervals(_columns(res.rows(), ("team", "n_subjects", *_GROUP_COLUMNS)), params["confidence"])
        note = (f"Pooled by {by}.",) if by == params["by"] else ("No team column: pooled over all subjects.",)
        return ScorerOutput(
            self.id,
            params,
            (
                Table(
                    "teams",
                    "team",
                    rows,
                    "Per team, behaviour and rater group, pooled over the subject groups that the "
                    "subjects' own reports publish.",
                    cells=_cells(
                        ctx.instrument,
                        k,
                        by={"group": "rater_role"} | ({"team": by} if by != "all" else {}),
                        count="n",
                        people="n_raters",
                        values=("mean", "sd", "ci_low", "ci_high"),
                        extremes=("min", "max"),
                        statistic=("behaviour",),
                        reason="reason",
                        exclude=hidden,
                    ),
                ),
            ),
            {"teams": len(res.teams), "min_group_size": k, "withheld_subject_groups_left_out": len(hidden)},
            (*note, f"Subject groups under {k} raters are left out of the team figures ({len(hidden)} groups)."),
        )
