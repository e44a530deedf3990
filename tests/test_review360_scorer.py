"""HRBP360 reviews through the engine: suppression never leaks through any output."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aspire_models import Registry, Result, ScoringError, score
from aspire_models.examples import example_path

BEHAVIOURS = [
    "decisive-thinker",
    "skilled-influencer",
    "personally-credible",
    "collaborative",
    "driven-to-deliver",
    "courage-to-challenge",
]
ITEMS = [f"{b}-{i}" for b in BEHAVIOURS for i in (1, 2, 3)]


@pytest.fixture(scope="module")
def demo(core: Registry) -> Result:
    return score(core, "hrbp360-review", example_path("hrbp360-responses.csv"))


def test_demo_suppresses_small_groups(demo: Result) -> None:
    assert demo.accounting.rejected == 0
    s = demo.output("review-360").summary
    assert s["suppressed_groups"] == {
        "HRBP-02": ["peer"],
        "HRBP-03": ["stakeholder"],
        "HRBP-05": ["direct-report", "stakeholder"],
    }
    groups = demo.frame("review-360", "groups")
    peer2 = groups[(groups.subject == "HRBP-02") & (groups.group == "peer")]
    assert len(peer2) == 6 and peer2.suppressed.all() and peer2["mean"].isna().all() and peer2["n"].isna().all()
    # line manager (one rater) is never suppressed
    lm = groups[(groups.subject == "HRBP-03") & (groups.group == "line-manager")]
    assert not lm.suppressed.any() and (lm["n"] == 1).all()


def test_summary_classification_and_rank(demo: Result) -> None:
    summ = demo.frame("review-360", "summary")
    one = summ[summ.subject == "HRBP-01"].set_index("behaviour")
    assert set(one.classification) <= {
        "blind-spot",
        "hidden-strength",
        "agreed-strength",
        "agreed-development",
        "agreed",
    }
    assert (one.gap - (one.self_mean - one.others_mean)).abs().max() < 1e-12
    assert one["rank"].min() == 1
    assert one.loc[one.others_mean.idxmax(), "rank"] == 1


def test_no_rater_identifiers_in_outputs(demo: Result) -> None:
    text = demo.to_json(include_respondents=True)
    assert "F0001" not in text and "respondent_id" not in text
    for o in demo.outputs:
        for t in o.tables:
            assert "respondent_id" not in t.column_names and "row" not in t.column_names


def test_respondent_level_scorers_refuse_360(core: Registry) -> None:
    with pytest.raises(ScoringError, match="does not apply to review-360"):
        score(core, "hrbp360-review", example_path("hrbp360-responses.csv"), scorers=["dimension-scores"])


def _forms(draw: st.DrawFn) -> tuple[list[dict[str, Any]], int]:
    """One subject with self, line manager, a suppressed-size peer group and others."""
    k = 3
    rows: list[dict[str, Any]] = []
    mix = {
        "self": 1,
        "line-manager": 1,
        "peer": draw(st.integers(1, 2)),  # below k: suppressed
        "direct-report": draw(st.sampled_from([0, 3, 4])),
        "stakeholder": draw(st.sampled_from([0, 3, 5])),
    }
    n = 0
    for role, count in mix.items():
        for _ in range(count):
            n += 1
            rec: dict[str, Any] = {"respondent_id": f"r{n}", "subject_id": "S", "rater_role": role}
            for item in ITEMS:  # every item column present (a file has its columns whatever the answers)
                rec[item] = draw(st.one_of(st.none(), st.integers(1, 5)))
            rec["strengths"] = draw(st.sampled_from(["", "Good listener.", "Sharp."]))
            rows.append(rec)
    return rows, k


@given(st.data())
def test_suppressed_rater_answers_never_change_any_output(data: st.DataObject) -> None:
    """Changing every answer and comment of one rater in a suppressed group (when the
    suppressed pool is below k) changes no byte of the JSON and no DataFrame."""
    reg = Registry(entry_points=False)
    rows, _k = _forms(data.draw)
    peers = [i for i, r in enumerate(rows) if r["rater_role"] == "peer"]
    target = data.draw(st.sampled_from(peers))
    changed = [dict(r) for r in rows]
    for item in ITEMS:
        changed[target][item] = data.draw(st.integers(1, 5))
    changed[target]["strengths"] = "<script>alert('me')</script> I am the peer"
    a = score(reg, "hrbp360-review", rows, allow_missing_items=True)
    b = score(reg, "hrbp360-review", changed, allow_missing_items=True)
    strip = lambda r: {k: v for k, v in json.loads(r.to_json()).items() if k != "input"}  # noqa: E731
    assert strip(a) == strip(b)
    for o in a.outputs:
        for t in o.tables:
            fa, fb = a.frame(o.scorer, t.name), b.frame(o.scorer, t.name)
            assert fa.equals(fb)
    assert "I am the peer" not in b.to_json()


def test_differencing_all_others_is_withheld_when_one_small_group(core: Registry) -> None:
    rows = []
    n = 0
    for role, count in {"self": 1, "line-manager": 1, "peer": 2, "direct-report": 3}.items():
        for _ in range(count):
            n += 1
            rows.append(
                {
                    "respondent_id": f"r{n}",
                    "subject_id": "S",
                    "rater_role": role,
                    **dict.fromkeys(ITEMS, 3 if role != "peer" else 5),
                }
            )
    r = score(core, "hrbp360-review", rows, allow_missing_items=True)
    g = r.frame("review-360", "groups")
    others = g[g.group == "all-others"]
    assert others.suppressed.all() and (others.reason == "differencing-risk").all()
    assert others["mean"].isna().all()
    assert 5.0 not in r.frame("review-360", "summary")["others_mean"].tolist()


def test_team_view_applies_the_rule(demo: Result) -> None:
    teams = demo.frame("review-360-team", "teams")
    assert set(teams.team) == {"Team North", "Team South"}
    assert (teams[~teams.suppressed]["n_raters"] >= 1).all()
    reported_protected = teams[(~teams.suppressed) & teams.group.isin(["peer", "direct-report", "stakeholder"])]
    assert (reported_protected["n_raters"] >= 3).all()


ASPIRE = Path(sys.executable).with_name("aspire")


def test_cli_one_subject_and_demo() -> None:
    path = example_path("hrbp360-responses.csv")
    r = subprocess.run(
        [str(ASPIRE), "score", "-i", "hrbp360-review", str(path), "--subject", "HRBP-02", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    [out] = doc["outputs"]
    subjects = {row[0] for row in out["tables"]["groups"]["rows"]}
    assert subjects == {"HRBP-02"}
    r = subprocess.run([str(ASPIRE), "demo", "360"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "HRBP360 review of HRBP-01" in r.stdout and "Team view" in r.stdout
    r = subprocess.run(
        [str(ASPIRE), "score", "-i", "aspire-sop-self-assessment", str(path), "--subject", "X"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 2


def test_reliability_on_360_data(core: Registry) -> None:
    r = score(core, "hrbp360-review", example_path("hrbp360-responses.csv"), scorers=["reliability"])
    scales = r.frame("reliability", "scales")
    assert len(scales) == 6 and scales.alpha.between(0, 1).all()
    assert np.all(scales.n_used <= r.accounting.accepted)


def test_group_means_carry_t_intervals(core: Registry) -> None:
    from scipy import stats as sps

    r = score(core, "hrbp360-review", example_path("hrbp360-responses.csv"))
    for table in (r.table("review-360", "groups"), r.table("review-360-team", "teams")):
        rows = [x for x in table.rows() if x["n"] is not None and x["n"] > 1 and x["sd"] is not None]
        assert rows
        for x in rows:
            if x["sd"] == 0:  # no spread: the interval is the mean (scipy gives NaN for scale 0)
                assert x["ci_low"] == x["ci_high"] == pytest.approx(x["mean"])
                continue
            lo, hi = sps.t.interval(0.95, x["n"] - 1, loc=x["mean"], scale=x["sd"] / x["n"] ** 0.5)
            assert x["ci_low"] == pytest.approx(lo, abs=1e-12) and x["ci_high"] == pytest.approx(hi, abs=1e-12)
        withheld = [x for x in table.rows() if x["suppressed"]]
        assert all(x["ci_low"] is None and x["ci_high"] is None for x in withheld)
