"""Scoring: golden figures from the Aspire paper, hand-checked examples, and properties."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from aspire_models import Registry, Result, score, validation
from aspire_models.examples import example_path
from aspire_models.instrument import Instrument
from aspire_models.scorers.dimensions import dimension_scores, reverse_keyed
from aspire_models.scorers.priority import classify_priorities

# seed 001, 'Findings', 'Table showing average response scores' (now, future)
PUBLISHED = {
    "alignment": (8, 8.5),
    "shared-purpose": (6, 8),
    "leadership": (7, 9),
    "locus-of-engagement": (5, 6.5),
    "assessment-and-evaluation": (6, 8),
    "balancing-horizons": (7, 8.5),
    "agility": (7.5, 8),
    "capability-building": (6, 8),
}
# seed 001, 'Tools used by councils': (used to date, expected in the future), barriers
TOOLS = {
    "organisational-design": (3, 4, 1),
    "organisational-development": (3, 2, 0),
    "resourcing-and-talent-planning": (1, 3, 0),
    "learning-and-development": (3, 5, 0),
    "performance-and-reward": (1, 4, 4),
    "employee-engagement": (3, 2, 0),
    "employee-relations": (4, 2, 0),
}


@pytest.fixture(scope="module")
def demo(core: Registry) -> Result:
    return score(core, "aspire-sop-self-assessment", example_path("aspire-sop-responses.csv"))


# -- golden ----------------------------------------------------------------------------------
def test_published_averages_give_the_papers_conclusion() -> None:
    els = list(PUBLISHED)
    t = classify_priorities(els, [PUBLISHED[e][0] for e in els], [PUBLISHED[e][1] for e in els], method="aspire")
    rows = {r["element"]: r for r in t.rows()}
    assert rows["leadership"]["rank"] == 1 and rows["leadership"]["class"] == "key-priority"
    assert {e for e, r in rows.items() if r["class"] == "quick-win"} == {"alignment", "agility"}
    assert {e for e, r in rows.items() if r["focus"]} == {"alignment", "agility", "leadership"}
    assert rows["locus-of-engagement"]["class"] == "other"


def test_demo_reproduces_published_averages(demo: Result) -> None:
    sector = {(r["element"], r["mode"]): r for r in demo.table("aggregate", "sector").rows()}
    for element, (now, future) in PUBLISHED.items():
        assert sector[(element, "now")]["mean"] == pytest.approx(now, abs=1e-12)
        assert sector[(element, "future")]["mean"] == pytest.approx(future, abs=1e-12)
    assert sector[("leadership", "now")]["organisations"] == 5
    # 'one nil response' for locus of engagement (future)
    assert sector[("locus-of-engagement", "future")]["respondents"] == 13
    summary = demo.output("gap-priority").summary
    assert summary["method"] == "aspire"
    assert summary["top_priority"] == "leadership"
    assert summary["quick_wins"] == ["alignment", "agility"]
    tied = ["shared-purpose", "leadership", "assessment-and-evaluation", "capability-building"]
    assert summary["largest_gap"] == tied


def test_demo_reproduces_hr_tools_table(demo: Result) -> None:
    counts = {
        (r["question"], r["option"]): r["count"] for r in demo.table("multi-select-frequencies", "frequencies").rows()
    }
    for option, (used, needed, barrier) in TOOLS.items():
        assert counts[("hr-tools-used", option)] == used
        assert counts[("hr-tools-needed", option)] == needed
        assert counts[("hr-tools-barriers", option)] == barrier


# -- hand-checked --------------------------------------------------------------------------
def test_mean_of_organisation_means(core: Registry) -> None:
    records = [
        {"respondent_id": "1", "organisation": "Big", "leadership.now": 2},
        {"respondent_id": "2", "organisation": "Big", "leadership.now": 4},
        {"respondent_id": "3", "organisation": "Big", "leadership.now": 6},
        {"respondent_id": "4", "organisation": "Small", "leadership.now": 10},
    ]
    # groups of 1 published on purpose (the mechanics, not the privacy defaults, are tested here)
    r = score(
        core,
        "aspire-sop-self-assessment",
        records,
        scorers=["aggregate"],
        allow_missing_items=True,
        min_group_size=1,
    )
    assert any("PRIVACY NOTICE" in w for w in r.warnings)
    orgs = {(x["organisation"], x["element"], x["mode"]): x for x in r.table("aggregate", "organisations").rows()}
    big = orgs[("Big", "leadership", "now")]
    assert (big["n"], big["mean"]) == (3, 4.0)
    assert (big["min"], big["max"]) == (None, None)  # one person's score: never published
    assert big["sd"] == pytest.approx(2.0)
    sector = {(x["element"], x["mode"]): x for x in r.table("aggregate", "sector").rows()}
    lead = sector[("leadership", "now")]
    assert lead["mean"] == 7.0  # (4 + 10) / 2, not the pooled 5.5
    assert (lead["organisations"], lead["respondents"], lead["min"], lead["max"]) == (2, 4, 4.0, 10.0)
    assert (lead["respondent_min"], lead["respondent_max"]) == (None, None)


def test_reverse_keying_and_weights(core: Registry) -> None:
    ins = core.instrument("ulrich-hr-competency-self-assessment")
    cols = [c.name for c in ins.numeric_columns()]
    x = np.full((1, len(cols)), np.nan)
    # credible-activist: items 1, 2 plain, 3 reverse-keyed on 1..5
    x[0, cols.index("credible-activist-1")] = 5
    x[0, cols.index("credible-activist-2")] = 4
    x[0, cols.index("credible-activist-3")] = 1  # reversed: 5
    d = dimension_scores(ins, x, min_answered=1)
    assert d.scores[0, d.index("credible-activist", None)] == pytest.approx((5 + 4 + 5) / 3)
    d_sum = dimension_scores(ins, x, method="sum", min_answered=1)
    assert d_sum.scores[0, d.index("credible-activist", None)] == pytest.approx(14)


def test_missing_rule_gives_missing_not_zero(core: Registry) -> None:
    ins = core.instrument("ulrich-hr-competency-self-assessment")
    cols = [c.name for c in ins.numeric_columns()]
    x = np.full((1, len(cols)), np.nan)
    x[0, cols.index("change-champion-1")] = 4
    one = dimension_scores(ins, x, min_answered=1)
    two = dimension_scores(ins, x, min_answered=2)
    half = dimension_scores(ins, x, min_answered=0.5)  # ceil(0.5 * 3) = 2
    j = one.index("change-champion", None)
    assert one.scores[0, j] == 4
    assert np.isnan(two.scores[0, j]) and np.isnan(half.scores[0, j])
    assert np.isnan(one.scores[0, one.index("credible-activist", None)])


def test_result_json_is_deterministic_and_valid(core: Registry, demo: Result) -> None:
    again = score(core, "aspire-sop-self-assessment", example_path("aspire-sop-responses.csv"))
    assert demo.to_json() == again.to_json()
    doc = json.loads(demo.to_json())
    validation.check(doc, "result", source="demo result")
    assert doc["instrument"]["sha256"] == core.instrument("aspire-sop-self-assessment").digest()
    assert "respondent-scores" not in doc["outputs"][0]["tables"]  # identifiers only on request
    assert "respondent-scores" in json.loads(demo.to_json(include_respondents=True))["outputs"][0]["tables"]


def test_frames_long_and_wide(core: Registry) -> None:
    # councils of 2-4 respondents: published here by an explicit threshold of 2
    demo = score(core, "aspire-sop-self-assessment", example_path("aspire-sop-responses.csv"), min_group_size=2)
    resp = demo.frame("dimension-scores", "respondent-scores")
    assert resp.shape == (14, 3 + 16) and "leadership.now" in resp.columns
    orgs = demo.frame("aggregate", "organisations")
    assert set(orgs.columns) >= {"organisation", "element", "mode", "n", "mean", "sd", "min", "max"}
    wide = demo.frame("aggregate", "organisations", wide=True)
    assert wide.shape == (5, 1 + 24) and "leadership.gap" in wide.columns
    assert wide.set_index("organisation").loc["Council A", "leadership.now"] == pytest.approx(
        orgs[(orgs.organisation == "Council A") & (orgs.element == "leadership") & (orgs["mode"] == "now")][
            "mean"
        ].item()
    )


# -- properties ----------------------------------------------------------------------------
@given(st.integers(1, 9), st.integers(1, 20), st.floats(-100, 100))
def test_reverse_twice_is_identity_scale(lo: int, span: int, x: float) -> None:
    from aspire_models.instrument import NumericScale

    s = NumericScale("s", lo, lo + span)
    assert s.reverse(s.reverse(x)) == pytest.approx(x)


def _ulrich() -> Instrument:
    return Registry(entry_points=False).instrument("ulrich-hr-competency-self-assessment")


ULRICH = _ulrich()
N_COLS = len(ULRICH.numeric_columns())
answers = arrays(
    np.float64,
    st.tuples(st.integers(1, 40), st.just(N_COLS)),
    elements=st.one_of(st.integers(1, 5).map(float), st.just(np.nan)),
)


@given(answers)
def test_reverse_keying_twice_is_identity(x: np.ndarray[Any, Any]) -> None:
    np.testing.assert_array_equal(reverse_keyed(ULRICH, reverse_keyed(ULRICH, x)), x)


@given(answers, st.sampled_from([1, 2, 3, 0.34, 0.5, 0.99]))
def test_scores_stay_within_the_scale(x: np.ndarray[Any, Any], min_answered: float) -> None:
    d = dimension_scores(ULRICH, x, min_answered=min_answered)
    ok = ~np.isnan(d.scores)
    assert np.all((d.scores[ok] >= 1) & (d.scores[ok] <= 5))
    assert np.all(d.answered[ok] >= (min_answered if min_answered >= 1 else 1))


@given(st.randoms(use_true_random=False))
def test_permuting_respondents_changes_nothing(rnd: Any) -> None:
    reg = Registry(entry_points=False)
    import csv

    with example_path("aspire-sop-responses.csv").open(encoding="utf-8") as fh:
        rows = [{k: v for k, v in r.items() if v != ""} for r in csv.DictReader(fh)]
    for r in rows:
        for k in ("hr-tools-used", "hr-tools-needed", "hr-tools-barriers"):
            if k in r:
                r[k] = r[k].split(";")
    base = score(reg, "aspire-sop-self-assessment", rows)
    shuffled = rows[:]
    rnd.shuffle(shuffled)
    other = score(reg, "aspire-sop-self-assessment", shuffled)
    for scorer in ("aggregate", "gap-priority", "multi-select-frequencies"):
        for t in base.output(scorer).tables:
            a, b = t.rows(), other.table(scorer, t.name).rows()
            key = sorted(a, key=json.dumps) if t.level != "respondent" else a
            assert len(a) == len(b)
            for ra, rb in zip(key, sorted(b, key=json.dumps) if t.level != "respondent" else b, strict=True):
                assert ra.keys() == rb.keys()
                for k in ra:
                    if isinstance(ra[k], float):
                        assert rb[k] == pytest.approx(ra[k], rel=1e-12, abs=1e-12)
                    else:
                        assert ra[k] == rb[k]
