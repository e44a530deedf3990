"""Privacy: pseudonymisation, no identifiers by default, small-group suppression that
resists differencing."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aspire_models import Registry, score
from aspire_models.examples import example_path
from aspire_models.privacy import pseudonym
from aspire_models.stats.suppression import suppress_cells

SOP = "aspire-sop-self-assessment"


def test_pseudonymise_on_load(core: Registry) -> None:
    rows = [
        {"respondent_id": "E1001", "organisation": "A", "leadership.now": 5},
        {"respondent_id": "E1001", "organisation": "A", "leadership.now": 6},
    ]  # duplicate id
    r = score(core, SOP, rows, scorers=["dimension-scores"], pseudonymise_key=b"k3y")
    text = r.to_json(include_respondents=True)
    assert "E1001" not in text
    alias = pseudonym(b"k3y", "E1001")
    assert alias in text and len(alias) == 16
    assert r.rejected[0].problems[0].value == alias
    assert pseudonym(b"other", "E1001") != alias


def test_results_carry_no_identifiers_unless_asked(core: Registry) -> None:
    r = score(core, SOP, example_path("aspire-sop-responses.csv"))
    assert "R001" not in r.to_json()
    assert "R001" in r.to_json(include_respondents=True)


def test_suppression_rule_examples() -> None:
    assert suppress_cells([[10, 2, 8]], 3).tolist() == [[False, True, True]]
    assert suppress_cells([[12, 2, 2, 8]], 3).tolist() == [[False, True, True, False]]  # pool 4 >= 3
    assert suppress_cells([[2, 1, 1]], 3).tolist() == [[True, True, True]]
    assert suppress_cells([[9, 3, 3, 3]], 3).tolist() == [[False, False, False, False]]


def _records(draw: st.DrawFn) -> list[dict[str, Any]]:
    rows = []
    for i in range(draw(st.integers(1, 40))):
        rec: dict[str, Any] = {
            "respondent_id": f"r{i}",
            "organisation": draw(st.sampled_from(["A", "B"])),
            "leadership.now": draw(st.integers(1, 10)),
        }
        team = draw(st.sampled_from(["t1", "t2", "t3", None]))
        if team:
            rec["team"] = team
        rows.append(rec)
    if not any("team" in r for r in rows):
        rows[0]["team"] = "t1"  # the breakdown needs the column to exist
    return rows


@given(st.data(), st.integers(2, 6))
def test_differencing_attack_recovers_only_k_anonymous_pools(data: st.DataObject, k: int) -> None:
    """For every organisation, (total - published groups) is what an attacker can derive:
    it must describe 0 or at least k respondents."""
    reg = Registry(entry_points=False)
    rows = _records(data.draw)
    r = score(reg, SOP, rows, scorers=["breakdown"], params={"breakdown": {"by": "team", "k": k}})
    t = r.frame("breakdown", "breakdown")
    t = t[(t.element == "leadership") & (t["mode"] == "now")]
    for org, g in t.groupby("organisation"):
        total = g[g.group == "(all)"].iloc[0]
        true_n = sum(1 for x in rows if x["organisation"] == org)
        if total.suppressed:
            assert g.suppressed.all()
            assert true_n < k
            continue
        published = g[(g.group != "(all)") & ~g.suppressed]
        residual_n = total.respondents - published.respondents.sum()
        assert residual_n == 0 or residual_n >= k
        # and the attacker's residual mean is an aggregate of those respondents only
        if residual_n:
            residual_sum = total["mean"] * total.n - (published["mean"] * published.n).sum()
            pool = [
                x["leadership.now"]
                for x in rows
                if x["organisation"] == org and x.get("team") not in set(published.group)
            ]
            assert len(pool) == residual_n
            assert residual_sum == pytest.approx(sum(pool))
        for _, cell in g[g.suppressed].iterrows():
            assert np.isnan(cell["mean"]) and np.isnan(cell["n"])


def test_breakdown_by_rater_role_needs_the_column(core: Registry) -> None:
    r = score(
        core,
        SOP,
        example_path("aspire-sop-responses.csv"),
        scorers=["breakdown"],
        params={"breakdown": {"by": "rater_role"}},
    )
    assert r.outputs == () and "rater_role" in r.failures[0].reason


def test_same_input_gives_byte_identical_json(core: Registry) -> None:
    a = score(core, SOP, example_path("aspire-sop-responses.csv")).to_json()
    b = score(Registry(entry_points=False), SOP, example_path("aspire-sop-responses.csv")).to_json()
    assert a == b
    doc = json.loads(a)
    assert doc["library"]["version"] and len(doc["input"]["sha256"]) == 64
    assert all("params" in o for o in doc["outputs"])


def test_aggregate_min_group_size(core: Registry) -> None:
    r = score(
        core,
        SOP,
        example_path("aspire-sop-responses.csv"),
        scorers=["aggregate"],
        params={"aggregate": {"min_group_size": 3}},
    )
    orgs = r.frame("aggregate", "organisations")
    hidden = orgs[orgs.suppressed]
    assert set(hidden.organisation) == {"Council A", "Council C", "Council E"}  # 2 respondents each
    assert hidden[["n", "mean", "sd", "min", "max"]].isna().all().all()
    shown = orgs[~orgs.suppressed]
    sector = r.frame("aggregate", "sector")
    lead = sector[(sector.element == "leadership") & (sector["mode"] == "now")].iloc[0]
    b_d = shown[(shown.element == "leadership") & (shown["mode"] == "now")]
    assert lead.organisations == 2 and lead.respondents == 8
    assert lead["mean"] == pytest.approx(b_d["mean"].mean())  # withheld councils are in no published number
    assert r.output("aggregate").summary["withheld_organisations"] == 3
    default = score(core, SOP, example_path("aspire-sop-responses.csv"), scorers=["aggregate"])
    assert not default.frame("aggregate", "organisations").suppressed.any()


@given(st.data())
def test_breakdown_cells_are_the_statistics_of_their_respondents(data: st.DataObject) -> None:
    """With k = 1 nothing is withheld: each published cell (organisation, team) has the n,
    mean and sd of its own respondents' scores, and rows without a team count only in
    their organisation's total."""
    rows = _records(data.draw)
    r = score(
        Registry(entry_points=False), SOP, rows, scorers=["breakdown"], params={"breakdown": {"by": "team", "k": 1}}
    )
    t = r.frame("breakdown", "breakdown")
    t = t[(t.element == "leadership") & (t["mode"] == "now")]
    for _, cell in t.iterrows():
        pool = [
            x["leadership.now"]
            for x in rows
            if x["organisation"] == cell.organisation and (cell.group == "(all)" or x.get("team") == cell.group)
        ]
        assert cell.n == len(pool) and cell.respondents == len(pool)
        assert cell["mean"] == pytest.approx(np.mean(pool))
        if len(pool) > 1:
            assert cell.sd == pytest.approx(np.std(pool, ddof=1))
