"""Tests for aspire_models.stats.review360 (360-degree statistics, anonymity)."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

import attrs
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aspire_models.stats.review360 import (
    AGREED,
    AGREED_DEVELOPMENT,
    AGREED_STRENGTH,
    BLIND_SPOT,
    HIDDEN_STRENGTH,
    OTHERS,
    REASON_DIFFERENCING,
    REASON_K_ANONYMITY,
    REASON_TOO_FEW,
    Review360Result,
    classify,
    review360,
    team_view,
)

NAN = float("nan")
BEH = ["listening", "delivery", "vision"]
PROTECTED = ("peer", "direct-report", "stakeholder")


def _frame(rows: Sequence[tuple[str, str, Any]]) -> tuple[Any, list[str], list[str]]:
    scores = np.array([r[2] for r in rows], dtype=float)
    return scores, [r[0] for r in rows], [r[1] for r in rows]


# ---------------------------------------------------------------------------
# Hand-computed example
# ---------------------------------------------------------------------------

ANN = [
    ("ann", "self", [5, 2, 4]),
    ("ann", "line-manager", [3, 3, 4]),
    ("ann", "peer", [4, 4, 5]),
    ("ann", "peer", [4, 3, NAN]),
    ("ann", "peer", [2, 2, 5]),
    ("ann", "direct-report", [4, 5, 3]),
    ("ann", "direct-report", [3, 4, 3]),
    ("ann", "direct-report", [5, NAN, 3]),
    ("bob", "self", [1, 1, 1]),
    ("bob", "peer", [5, 5, 5]),
]


def test_hand_computed_subject() -> None:
    scores, subj, grp = _frame(ANN)
    res = review360(scores, subj, grp, BEH)
    ann = res.subject("ann")
    assert ann.suppressed_groups == ()

    lm = ann.get("listening", "line-manager")
    assert (lm.n_raters, lm.n, lm.mean, lm.sd, lm.min, lm.max) == (1, 1, 3.0, None, 3.0, 3.0)
    peer = ann.get("listening", "peer")
    assert (peer.n_raters, peer.n, peer.min, peer.max) == (3, 3, 2.0, 4.0)
    assert peer.mean == pytest.approx(10 / 3)
    assert peer.sd == pytest.approx(math.sqrt(4 / 3))  # devs 2/3, 2/3, -4/3
    dr = ann.get("delivery", "direct-report")
    assert (dr.n_raters, dr.n, dr.mean) == (3, 2, 4.5)
    assert dr.sd == pytest.approx(math.sqrt(0.5))
    assert ann.get("vision", "peer").sd == 0.0

    # all-others = line manager + peers + direct reports
    others = {b: ann.get(b, OTHERS) for b in BEH}
    assert others["listening"].n == 7 and others["listening"].mean == pytest.approx(25 / 7)
    assert others["delivery"].n == 6 and others["delivery"].mean == pytest.approx(21 / 6)
    assert others["vision"].n == 6 and others["vision"].mean == pytest.approx(23 / 6)
    assert others["listening"].n_raters == 7
    # the pooled raters' SD: 3, 4, 4, 2, 4, 3, 5 -> sum of squares 95 - 25**2 / 7 = 40 / 7, over 6
    assert others["listening"].sd == pytest.approx(math.sqrt(20 / 21))
    assert others["listening"].min is None and others["listening"].max is None

    summ = {s.behaviour: s for s in ann.summary}
    assert summ["listening"].self_mean == 5.0
    assert summ["listening"].gap == pytest.approx(5 - 25 / 7)
    assert summ["listening"].classification == BLIND_SPOT
    assert summ["delivery"].gap == pytest.approx(-1.5)
    assert summ["delivery"].classification == HIDDEN_STRENGTH
    assert summ["vision"].gap == pytest.approx(4 - 23 / 6)
    assert summ["vision"].classification == AGREED
    assert [summ[b].rank for b in BEH] == [2.0, 3.0, 1.0]

    # group order: self, unprotected, then the rest alphabetically; all-others last
    assert [r["group"] for r in ann.rows() if r["behaviour"] == "listening"] == [
        "self",
        "line-manager",
        "direct-report",
        "peer",
        OTHERS,
    ]
    # bob: a single peer is suppressed; all-others is withheld
    bob = res.subject("bob")
    assert bob.suppressed_groups == ("peer",)
    assert bob.get("vision", OTHERS).suppressed
    assert bob.summary[0].classification is None
    assert [r.subject for r in res.subjects] == ["ann", "bob"]


def test_rows_are_json_able_and_long_format() -> None:
    scores, subj, grp = _frame(ANN)
    res = review360(scores, subj, grp, BEH)
    rows = res.rows()
    json.dumps(rows, allow_nan=False)
    json.dumps(res.summary_rows(), allow_nan=False)
    assert set(rows[0]) == {
        "subject",
        "behaviour",
        "group",
        "suppressed",
        "reason",
        "n_raters",
        "n",
        "mean",
        "sd",
        "min",
        "max",
    }
    assert len(res.summary_rows()) == 2 * len(BEH)
    for r in rows:
        for v in r.values():
            assert v is None or isinstance(v, str | int | float | bool)
            assert not (isinstance(v, float) and math.isnan(v))


# ---------------------------------------------------------------------------
# Suppression
# ---------------------------------------------------------------------------


def test_peer_group_of_two_is_suppressed_with_k3() -> None:
    rows = [
        ("s", "self", [4, 4, 4]),
        ("s", "line-manager", [3, 3, 3]),
        ("s", "peer", [5, 1, 2]),
        ("s", "peer", [4, 2, 3]),
        ("s", "direct-report", [3, 3, 3]),
        ("s", "direct-report", [4, 4, 4]),
        ("s", "direct-report", [5, 5, 5]),
    ]
    rep = review360(*_frame(rows), BEH, k=3).subject("s")
    assert rep.suppressed_groups == ("peer",)
    for b in BEH:
        peer = rep.get(b, "peer")
        assert peer.suppressed and peer.reason == REASON_K_ANONYMITY
        assert (peer.n_raters, peer.n, peer.mean, peer.sd, peer.min, peer.max) == (None,) * 6
        assert not rep.get(b, "direct-report").suppressed
    # With k=2 the same peers are reported.
    rep2 = review360(*_frame(rows), BEH, k=2).subject("s")
    assert rep2.get("listening", "peer").mean == 4.5


def test_single_line_manager_is_never_suppressed() -> None:
    rows = [("s", "line-manager", [2, 3, 4]), ("s", "self", [3, 3, 3])]
    for k in (1, 3, 10):
        rep = review360(*_frame(rows), BEH, k=k).subject("s")
        lm = rep.get("delivery", "line-manager")
        assert not lm.suppressed and lm.mean == 3.0 and lm.n == 1
        assert rep.suppressed_groups == ()
        # all-others is just one rater: withheld because n < k (for k > 1)
        assert rep.get("delivery", OTHERS).suppressed is (k > 1)


def test_protected_self_can_be_suppressed() -> None:
    rows = [("s", "self", [3, 3, 3])] + [("s", "peer", [4, 4, 4])] * 3
    rep = review360(*_frame(rows), BEH, unprotected_groups=("line-manager",)).subject("s")
    assert rep.get("vision", "self").suppressed
    assert rep.summary[0].self_mean is None and rep.summary[0].gap is None
    assert rep.get("vision", OTHERS).mean == 4.0  # self is never part of all-others


# ---------------------------------------------------------------------------
# Differencing protection
# ---------------------------------------------------------------------------

DIFF = [
    ("s", "line-manager", [3, 3, 3]),
    ("s", "peer", [4, 4, 4]),
    ("s", "peer", [2, 2, 2]),
    ("s", "peer", [3, 3, 3]),
    ("s", "direct-report", [1, 1, 5]),
    ("s", "direct-report", [2, 1, 5]),
]


def test_one_suppressed_group_withholds_all_others() -> None:
    rep = review360(*_frame(DIFF), BEH).subject("s")
    assert rep.suppressed_groups == ("direct-report",)
    for b in BEH:
        others = rep.get(b, OTHERS)
        assert others.suppressed and others.reason == REASON_DIFFERENCING
        assert others.mean is None and others.n is None
    # Why: had all-others been published (6 raters >= k), the suppressed pair's
    # mean would follow from differencing against the reported groups.
    lm, peers = rep.get("vision", "line-manager"), rep.get("vision", "peer")
    assert lm.mean is not None and peers.mean is not None
    unprotected_all_others = (3 + 4 + 2 + 3 + 5 + 5) / 6
    recovered = (6 * unprotected_all_others - 1 * lm.mean - 3 * peers.mean) / 2
    assert recovered == pytest.approx(5.0)  # exactly the direct reports' mean


def test_two_suppressed_groups_together_at_least_k_report_all_others() -> None:
    rows = [
        ("s", "line-manager", [3, 3, 3]),
        ("s", "peer", [4, 4, 4]),
        ("s", "peer", [2, 2, NAN]),
        ("s", "direct-report", [1, NAN, NAN]),
        ("s", "direct-report", [2, NAN, NAN]),
    ]
    rep = review360(*_frame(rows), BEH).subject("s")
    assert set(rep.suppressed_groups) == {"peer", "direct-report"}
    # listening: pool of 4 scorers (>= k) -> reported, mean over all 5 raters
    lst = rep.get("listening", OTHERS)
    assert not lst.suppressed and lst.n == 5 and lst.mean == pytest.approx(12 / 5)
    # delivery: only the 2 peers of the pool scored -> residual would be the peers' sum
    dlv = rep.get("delivery", OTHERS)
    assert dlv.suppressed and dlv.reason == REASON_DIFFERENCING
    # vision: only 2 raters in total -> too few
    vis = rep.get("vision", OTHERS)
    assert vis.suppressed and vis.reason == REASON_TOO_FEW


GROUPS = ("self", "line-manager", "peer", "direct-report", "stakeholder")
score_value = st.sampled_from([1.0, 2.0, 3.0, 4.0, 5.0, NAN])
answers = st.lists(score_value, min_size=3, max_size=3)


@st.composite
def datasets(draw: st.DrawFn, *, n_suppressed: int = 1) -> dict[str, Any]:
    """Random 360 data; subject 's0' has >= n_suppressed suppressed groups (k=3)."""
    k = 3
    rows: list[tuple[str, str, Any]] = []
    n_subjects = draw(st.integers(1, 3))
    victims = draw(st.permutations(PROTECTED))[:n_suppressed]
    counts0: dict[str, int] = {}
    for s in range(n_subjects):
        for g in GROUPS:
            hi = {"self": 1, "line-manager": 2}.get(g, 5)
            lo = 0
            if s == 0 and g in victims:
                lo, hi = 1, k - 1
            c = draw(st.integers(lo, hi))
            if s == 0:
                counts0[g] = c
            rows.extend((f"s{s}", g, draw(answers)) for _ in range(c))
    order = draw(st.permutations(range(len(rows))))
    rows = [rows[i] for i in order]
    pool = sum(c for g, c in counts0.items() if g in PROTECTED and 0 < c < k)
    return {"rows": rows, "victims": victims, "pool": pool, "k": k}


def _run(rows: Sequence[tuple[str, str, Any]], k: int) -> Review360Result:
    return review360(*_frame(rows), BEH, k=k)


def _without_others(res: Review360Result, subject: str) -> list[dict[str, Any]]:
    out = []
    for r in res.subject(subject).rows():
        if r["group"] != OTHERS:
            out.append(r)
    for r in res.subject(subject).summary_rows():
        out.append({"behaviour": r["behaviour"], "self_mean": r["self_mean"]})
    return out


@settings(max_examples=100, deadline=None)
@given(data=datasets(), new_answers=answers, pick=st.integers(0, 10))
def test_changing_a_suppressed_rater_leaks_nothing(data: dict[str, Any], new_answers: list[float], pick: int) -> None:
    rows, k = data["rows"], data["k"]
    victim_rows = [i for i, (s, g, _) in enumerate(rows) if s == "s0" and g == data["victims"][0]]
    i = victim_rows[pick % len(victim_rows)]
    changed = list(rows)
    changed[i] = (rows[i][0], rows[i][1], new_answers)
    a, b = _run(rows, k), _run(changed, k)
    assert data["victims"][0] in a.subject("s0").suppressed_groups
    # Other subjects are untouched.
    for rep_a, rep_b in zip(a.subjects, b.subjects, strict=True):
        if rep_a.subject != "s0":
            assert rep_a == rep_b
    if data["pool"] < k:
        # Pool too small: nothing at all depends on the suppressed rater.
        assert a == b
        assert a.rows() == b.rows() and a.summary_rows() == b.summary_rows()
        assert repr(a) == repr(b)
    else:
        # Pool >= k: only the all-others aggregate (and what derives from it) may move.
        assert _without_others(a, "s0") == _without_others(b, "s0")


@settings(max_examples=100, deadline=None)
@given(data=datasets(n_suppressed=2), pick=st.integers(0, 10))
def test_swapping_raters_between_suppressed_groups_changes_nothing(data: dict[str, Any], pick: int) -> None:
    rows, k = data["rows"], data["k"]
    g1, g2 = data["victims"]
    r1 = [i for i, (s, g, _) in enumerate(rows) if s == "s0" and g == g1]
    r2 = [i for i, (s, g, _) in enumerate(rows) if s == "s0" and g == g2]
    i, j = r1[pick % len(r1)], r2[pick % len(r2)]
    swapped = list(rows)
    swapped[i] = (rows[i][0], rows[i][1], rows[j][2])
    swapped[j] = (rows[j][0], rows[j][1], rows[i][2])
    a, b = _run(rows, k), _run(swapped, k)
    assert a == b
    assert a.rows() == b.rows() and a.summary_rows() == b.summary_rows()


def test_repr_and_rows_contain_no_suppressed_value() -> None:
    secret = [1.2345678, 4.8765432]
    rows = [
        ("s", "self", [3, 3, 3]),
        ("s", "line-manager", [3, 3, 3]),
        ("s", "peer", [secret[0]] * 3),
        ("s", "peer", [secret[1]] * 3),
        ("s", "direct-report", [2, 3, 4]),
        ("s", "direct-report", [4, 3, 2]),
        ("s", "direct-report", [3, 3, 3]),
    ]
    res = review360(*_frame(rows), BEH)
    tv = team_view(*_frame(rows), BEH)
    texts = [
        repr(res),
        repr(tv),
        json.dumps(res.rows()),
        json.dumps(res.summary_rows()),
        json.dumps(tv.rows()),
        repr(attrs.asdict(res)),
    ]
    peer_mean = sum(secret) / 2
    forbidden = [*secret, peer_mean, (3 + 9 + sum(secret)) / 6]
    for text in texts:
        for v in forbidden:
            assert repr(v)[:8] not in text
    # nor anywhere in the object graph
    floats: list[float] = []

    def walk(obj: Any) -> None:
        if isinstance(obj, float):
            floats.append(obj)
        elif isinstance(obj, dict):
            for v in obj.values():
                walk(v)
        elif isinstance(obj, list | tuple):
            for v in obj:
                walk(v)

    walk(attrs.asdict(res))
    walk(attrs.asdict(tv))
    for v in forbidden:
        assert all(not math.isclose(f, v, rel_tol=1e-6) for f in floats)


# ---------------------------------------------------------------------------
# Classification and ranks
# ---------------------------------------------------------------------------


def test_classification_thresholds() -> None:
    assert classify(4.0, 3.5) == BLIND_SPOT  # gap exactly 0.5
    assert classify(3.3, 2.8) == BLIND_SPOT  # 0.4999999999999998 in floating point
    assert classify(3.9, 3.5) == AGREED  # gap 0.4, others in the middle band
    assert classify(3.5, 4.0) == HIDDEN_STRENGTH  # others - self exactly 0.5
    assert classify(4.2, 4.0) == AGREED_STRENGTH  # others exactly at strength level
    assert classify(3.0, 3.0) == AGREED  # others exactly at development level
    assert classify(2.9, 2.99) == AGREED_DEVELOPMENT
    assert classify(None, 3.0) is None and classify(3.0, None) is None
    assert classify(4.0, 3.5, blind_spot=1.0) == AGREED
    assert classify(2.0, 2.5, hidden_strength=1.0, development_level=2.0) == AGREED
    # blind spot wins over agreed-strength
    assert classify(5.0, 4.5) == BLIND_SPOT


def test_classification_thresholds_through_review360() -> None:
    rows = [("s", "self", [4, 3, 4.5, 2])] + [("s", "peer", [3.5, 3.5, 4.5, 2.5])] * 3
    rep = review360(*_frame(rows), ["a", "b", "c", "d"]).subject("s")
    got = [s.classification for s in rep.summary]
    assert got == [BLIND_SPOT, HIDDEN_STRENGTH, AGREED_STRENGTH, HIDDEN_STRENGTH]
    rep = review360(*_frame(rows), ["a", "b", "c", "d"], hidden_strength=0.6).subject("s")
    assert rep.summary[3].classification == AGREED_DEVELOPMENT
    assert rep.summary[1].classification == AGREED


def test_rank_ties_use_average_rank_and_skip_withheld() -> None:
    rows = [
        ("s", "peer", [4, 3, 4, 2, NAN]),
        ("s", "peer", [4, 3, 4, 2, NAN]),
        ("s", "peer", [4, 3, 4, 2, 5]),
    ]
    rep = review360(*_frame(rows), ["a", "b", "c", "d", "e"]).subject("s")
    assert [s.rank for s in rep.summary] == [1.5, 3.0, 1.5, 4.0, None]
    assert rep.summary[4].others_mean is None
    assert rep.get("e", OTHERS).reason == REASON_TOO_FEW
    # mathematically equal means reached via different float paths still tie
    # (0.1 + 0.2 + 0.0) / 3 != (0.0 + 0.3 + 0.0) / 3 in binary floating point
    tie_rows = [("s", "peer", [0.1, 0.0]), ("s", "peer", [0.2, 0.3]), ("s", "peer", [0.0, 0.0])]
    assert (0.1 + 0.2) / 3 != 0.3 / 3
    rep = review360(*_frame(tie_rows), ["x", "y"]).subject("s")
    assert [s.rank for s in rep.summary] == [1.5, 1.5]
    # several subjects are ranked independently
    multi = [("p", "peer", [1, 2, 3])] * 3 + [("q", "peer", [3, 3, 1])] * 3
    res = review360(*_frame(multi), BEH)
    assert [s.rank for s in res.subject("p").summary] == [3.0, 2.0, 1.0]
    assert [s.rank for s in res.subject("q").summary] == [1.5, 1.5, 3.0]


# ---------------------------------------------------------------------------
# Team view
# ---------------------------------------------------------------------------

TEAMS = [
    ("a1", "A", "line-manager", [3, 3, 3]),
    ("a1", "A", "peer", [5, 5, 5]),
    ("a2", "A", "line-manager", [4, 4, 4]),
    ("a2", "A", "peer", [1, 1, 1]),
    ("b1", "B", "line-manager", [2, 2, 2]),
    ("b1", "B", "peer", [4, 4, 4]),
    ("b2", "B", "line-manager", [3, 3, 3]),
    ("b2", "B", "peer", [2, 2, 2]),
    ("b2", "B", "peer", [3, 3, 3]),
    ("b2", "B", "peer", [3, 3, NAN]),
    ("b2", "B", "self", [5, 5, 5]),
]


def _team_args() -> tuple[Any, list[str], list[str], list[str]]:
    scores = np.array([r[3] for r in TEAMS], dtype=float)
    return scores, [r[0] for r in TEAMS], [r[2] for r in TEAMS], [r[1] for r in TEAMS]


def test_team_view_suppression_and_pooling() -> None:
    scores, subj, grp, team = _team_args()
    tv = team_view(scores, subj, grp, BEH, team=team)
    assert [t.team for t in tv.teams] == ["A", "B"]
    a, b = tv.team("A"), tv.team("B")
    assert (a.n_subjects, b.n_subjects) == (2, 2)
    # Team A: 2 peers in total -> suppressed; all-others withheld (pool of 2)
    assert a.suppressed_groups == ("peer",)
    a_rows = {(r["behaviour"], r["group"]): r for r in a.rows()}
    assert a_rows[("listening", "peer")]["mean"] is None
    assert a_rows[("listening", OTHERS)]["reason"] == REASON_DIFFERENCING
    assert a_rows[("listening", "line-manager")]["mean"] == 3.5
    # Team B: 4 peers -> reported; mean over raters, not over subject means
    b_rows = {(r["behaviour"], r["group"]): r for r in b.rows()}
    assert b_rows[("listening", "peer")]["n"] == 4
    assert b_rows[("listening", "peer")]["mean"] == pytest.approx(12 / 4)
    assert b_rows[("vision", "peer")]["n"] == 3
    assert b_rows[("listening", OTHERS)]["n"] == 6  # 2 LMs + 4 peers, self excluded
    assert b_rows[("listening", OTHERS)]["mean"] == pytest.approx(17 / 6)
    assert b_rows[("listening", "self")]["mean"] == 5.0
    # Pooling everything: 6 peers -> reported
    all_ = team_view(scores, subj, grp, BEH)
    assert [t.team for t in all_.teams] == ["all"]
    peer = next(r for r in all_.rows() if r["group"] == "peer" and r["behaviour"] == "delivery")
    assert peer["n"] == 6 and peer["mean"] == pytest.approx(18 / 6)
    json.dumps(all_.rows(), allow_nan=False)


def test_team_view_rejects_subject_in_two_teams() -> None:
    scores, subj, grp, team = _team_args()
    team[0] = "B"
    with pytest.raises(ValueError, match="exactly one team"):
        team_view(scores, subj, grp, BEH, team=team)


# ---------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------


def test_input_validation() -> None:
    scores, subj, grp = _frame(ANN)
    with pytest.raises(ValueError, match="behaviours"):
        review360(scores, subj, grp, BEH[:2])
    with pytest.raises(ValueError, match="unique"):
        review360(scores, subj, grp, ["a", "a", "b"])
    with pytest.raises(ValueError, match="subject"):
        review360(scores, subj[:-1], grp, BEH)
    with pytest.raises(ValueError, match="k must be"):
        review360(scores, subj, grp, BEH, k=0)
    with pytest.raises(ValueError, match="reserved"):
        review360(scores, subj, [OTHERS] * len(subj), BEH)
    with pytest.raises(ValueError, match="infinite"):
        review360(np.where(scores == 5, np.inf, scores), subj, grp, BEH)
    with pytest.raises(ValueError, match="2-dimensional"):
        review360(scores[:, 0], subj, grp, BEH)


def test_results_are_frozen() -> None:
    res = review360(*_frame(ANN), BEH)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        res.k = 1  # type: ignore[misc]
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        res.subjects[0].stats[0].mean = 1.0  # type: ignore[misc]


@settings(max_examples=60, deadline=None)
@given(
    thirds=st.lists(st.integers(3, 15), min_size=4, max_size=12),
    data=st.data(),
)
def test_exact_ranks_tie_equal_means_from_other_scores(thirds: list[int], data: st.DataObject) -> None:
    """With ``resolution``, behaviours are ranked by exact all-others means: a behaviour whose
    raters gave the same scores (in thirds) in another order, or other scores with the same
    total, ties with the first; ranks agree with ranking the exact fractions."""
    n = len(thirds)
    a = [t / 3 for t in thirds]
    b = [a[i] for i in data.draw(st.permutations(range(n)))]
    moved = [thirds[0] + 1, thirds[1] - 1, *thirds[2:]]  # other scores, the same total
    c = [t / 3 for t in moved] if moved[1] >= 3 and moved[0] <= 15 else list(b)
    scores = np.array([a, b, c]).T
    subject = ["s"] * n
    group = ["peer"] * n
    res = review360(scores, subject, group, BEH, k=1, unprotected_groups=("peer",), resolution=3)
    ranks = {r["behaviour"]: r["rank"] for r in res.summary_rows()}
    assert ranks, res.summary_rows()
    assert ranks["listening"] == ranks["delivery"] == ranks["vision"] == 2.0  # three-way tie: (1 + 3) / 2
