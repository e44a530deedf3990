"""Privacy: pseudonymisation, no identifiers by default, and disclosure control of a whole
result checked by the independent auditor."""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aspire_models import Registry, score
from aspire_models.cli import main
from aspire_models.examples import example_path
from aspire_models.privacy import Cells, audit, pseudonym
from aspire_models.scorers.review360 import _cells
from aspire_models.stats import review360 as r360
from aspire_models.stats.suppression import suppress_cells

SOP = "aspire-sop-self-assessment"
R360 = "hrbp360-review"
#: designs per generated family in the suite; `nox -s privacy` runs 10,000 of each
EXAMPLES = int(os.environ.get("ASPIRE_PRIVACY_EXAMPLES", "100"))
DESIGNS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))


def test_pseudonymise_on_load(core: Registry) -> None:
    rows = [
        {"respondent_id": "E1001", "organisation": "A", "leadership.now": 5},
        {"respondent_id": "E1001", "organisation": "A", "leadership.now": 6},
    ]  # duplicate id
    r = score(core, SOP, rows, scorers=["dimension-scores"], pseudonymise_key=b"k3y", allow_missing_items=True)
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


# -- the 360 team-view attack ------------------------------------------------------------------
def _published(t: Any) -> dict[tuple[str, str, str], tuple[int, float]]:
    out = {}
    for _, r in t.iterrows():
        if not r["suppressed"] and r["n"] == r["n"]:
            out[(r.iloc[0], r["behaviour"], r["group"])] = (int(r["n"]), float(r["mean"]))
    return out


def test_team_view_attack_now_recovers_nothing(core: Registry) -> None:
    """The attack of the issue: team n x mean less the subjects' published groups gave back a
    withheld group's sum. Now every team figure is exactly the sum of published subject
    figures, so the residual describes nobody."""
    r = score(core, R360, example_path("hrbp360-responses.csv"))
    groups = r.frame("review-360", "groups")
    teams = r.frame("review-360-team", "teams")
    withheld = groups[groups.suppressed & (groups.group != r360.OTHERS)]
    assert {("HRBP-05", "direct-report"), ("HRBP-02", "peer")} <= set(
        zip(withheld.subject, withheld.group, strict=True)
    )
    import pandas as pd

    data = pd.read_csv(example_path("hrbp360-responses.csv"))
    team_of = dict(zip(data.subject_id, data.team, strict=False))
    pub = _published(groups)
    for _, row in teams[~teams.suppressed & (teams.group != r360.OTHERS)].iterrows():
        members = [s for s, t in team_of.items() if t == row["team"]]
        parts = [
            pub[(s, row["behaviour"], row["group"])] for s in members if (s, row["behaviour"], row["group"]) in pub
        ]
        n_left = int(row["n"]) - sum(n for n, _ in parts)
        sum_left = row["n"] * row["mean"] - sum(n * m for n, m in parts)
        assert n_left == 0  # nobody left over to recover
        assert abs(sum_left) < 1e-9
    assert audit(r).ok


def test_auditor_finds_the_old_attack(core: Registry) -> None:
    """The team view as it was (pooled over every rater) is caught by the auditor, which names
    HRBP-05's withheld direct report."""
    r = score(core, R360, example_path("hrbp360-responses.csv"))
    doc = r.to_dict()
    ins = core.instrument(R360)
    import pandas as pd

    data = pd.read_csv(example_path("hrbp360-responses.csv"))
    from aspire_models.engine import load_responses
    from aspire_models.scorers.review360 import _inputs
    from aspire_models.scoring import ScoringContext

    responses = load_responses(ins, example_path("hrbp360-responses.csv"))
    ctx = ScoringContext(ins, core.framework(ins.framework), responses, core.framework)
    scores, subject, group, behaviours = _inputs(ctx, 0.5)
    team_codes = responses.team
    assert team_codes is not None
    old = r360.team_view(
        scores,
        subject.astype(str),
        group.astype(str),
        behaviours,
        team=np.asarray(team_codes.labels, dtype=object)[team_codes.codes].astype(str),
        unprotected_groups=("self", "line-manager"),
        k=3,
    )
    rows = old.rows()
    cols = ["team", "n_subjects", "behaviour", "group", "suppressed", "reason", "n_raters", "n", "mean", "sd"]
    cells = _cells(
        ins,
        3,
        by={"team": "team", "group": "rater_role"},
        count="n",
        people="n_raters",
        values=("mean", "sd"),
        statistic=("behaviour",),
        reason="reason",
    )
    doc["outputs"] = [o for o in doc["outputs"] if o["scorer"] != "review-360-team"]
    doc["outputs"].append(
        {
            "scorer": "old-team-view",
            "params": {},
            "summary": {},
            "notes": [],
            "tables": {
                "teams": {
                    "level": "team",
                    "description": "",
                    "columns": cols,
                    "rows": [[x.get(c) for c in cols] for x in rows],
                    "cells": cells.to_dict(),
                }
            },
        }
    )
    doc["privacy"]["population"] = _population_with_team(doc, data)
    report = audit(doc)
    assert not report.ok
    found = {(f.group.get("subject"), f.group.get("rater_role")) for f in report.findings}
    assert (("HRBP-05",), ("direct-report",)) in found
    assert "HRBP-05" in str(report)


def _population_with_team(doc: dict[str, Any], data: Any) -> dict[str, Any]:
    combos = sorted(
        {(str(t), str(s), str(g)) for t, s, g in zip(data.team, data.subject_id, data.rater_role, strict=True)}
    )
    return {
        "dimensions": ["team", "subject", "rater_role"],
        "labels": {
            "team": sorted({c[0] for c in combos}),
            "subject": sorted({c[1] for c in combos}),
            "rater_role": sorted({c[2] for c in combos}),
        },
        "groups": [list(c) for c in combos],
    }


# -- staff surveys: safe defaults --------------------------------------------------------------
def _staff(sizes: dict[str, int], teams: dict[str, list[str]] | None = None) -> list[dict[str, Any]]:
    rows = []
    rng = np.random.default_rng(7)
    i = 0
    for org, n in sizes.items():
        for j in range(n):
            rec: dict[str, Any] = {"respondent_id": f"r{i}", "organisation": org}
            if teams:
                rec["team"] = teams[org][j % len(teams[org])]
            for c in ("leadership.now", "leadership.future", "agility.now", "agility.future"):
                rec[c] = int(rng.integers(1, 11))
            rows.append(rec)
            i += 1
    return rows


def test_directorate_of_two_publishes_nothing_by_default(core: Registry) -> None:
    rows = _staff({"Big Council": 12, "Directorate X": 2})
    r = score(core, SOP, rows, allow_missing_items=True)
    orgs = r.frame("aggregate", "organisations")
    x = orgs[orgs.organisation == "Directorate X"]
    assert len(x) and x.suppressed.all() and x["mean"].isna().all() and x["n"].isna().all()
    sector = r.frame("aggregate", "sector")
    big = orgs[(orgs.organisation == "Big Council") & ~orgs.suppressed]
    # the sector is built without the directorate: sector respondents = the big council's
    assert (sector.respondents.to_numpy() == big.n.to_numpy()).all()
    assert orgs["min"].isna().all() and orgs["max"].isna().all()  # one person's score
    assert r.privacy["min_group_size"]["aggregate"] == 5
    assert any("fewer than 5" in n for n in r.output("aggregate").notes)
    assert audit(r).ok


def test_cli_directorate_of_two(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    import pandas as pd

    base = pd.read_csv(example_path("aspire-sop-responses.csv"), dtype=str, keep_default_na=False)
    rows = pd.concat([base, base.iloc[:2]], ignore_index=True)
    rows["organisation"] = ["Big Council"] * len(base) + ["Directorate X"] * 2
    rows["respondent_id"] = [f"p{i}" for i in range(len(rows))]
    path = tmp_path / "staff.csv"
    rows.to_csv(path, index=False)
    out = tmp_path / "result.json"
    code = main(["score", "-i", SOP, str(path), "-o", str(out), "--no-plugins"])
    assert code == 0
    doc = json.loads(out.read_text())
    org_rows = doc["outputs"][[o["scorer"] for o in doc["outputs"]].index("aggregate")]["tables"]["organisations"]
    cols = org_rows["columns"]
    for row in org_rows["rows"]:
        rec = dict(zip(cols, row, strict=True))
        if rec["organisation"] == "Directorate X":
            assert rec["suppressed"] and rec["mean"] is None and rec["n"] is None
    assert main(["audit", str(out)]) == 0
    assert "no withheld group" in capsys.readouterr().out


def test_lowering_the_threshold_needs_a_setting_and_carries_a_notice(core: Registry) -> None:
    rows = _staff({"A": 3, "B": 3})
    r = score(core, SOP, rows, allow_missing_items=True, min_group_size=3)
    assert not r.frame("aggregate", "organisations").suppressed.any()
    assert any("PRIVACY NOTICE" in w for w in r.warnings)
    assert r.privacy["notices"]


def test_unknown_param_is_refused_with_a_suggestion(core: Registry) -> None:
    from aspire_models.errors import UnknownIdError

    with pytest.raises(UnknownIdError, match="did you mean 'review-360'"):
        score(core, R360, example_path("hrbp360-responses.csv"), params={"review360": {"min_group_size": 5}})
    with pytest.raises(UnknownIdError, match="min_group_size"):
        score(core, R360, example_path("hrbp360-responses.csv"), params={"review-360": {"k": 5}})
    code = main(["score", "-i", R360, str(example_path("hrbp360-responses.csv")), "--param", "review360.k=5"])
    assert code == 2


def test_undeclared_people_table_is_not_published(core: Registry) -> None:
    from aspire_models.privacy import Population, protect
    from aspire_models.scoring import ScorerOutput, Table

    t = Table("by-org", "organisation", {"organisation": ("A",), "mean": (3.0,)})
    out, notes = protect([ScorerOutput("plugin-x", {}, (t,))], Population((), {}, ((),)))
    assert out[0].tables == () and "declares no disclosure cells" in notes[0]


def test_cells_round_trip() -> None:
    c = Cells(by={"organisation": "organisation"}, count="n", values=("mean",), exclude=[{"subject": "a"}], k=4)
    assert Cells.from_dict(json.loads(json.dumps(c.to_dict()))) == c


# -- generated designs: the auditor recovers nothing -------------------------------------------
@st.composite
def designs_360(draw: st.DrawFn) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    n_teams = draw(st.integers(1, 3))
    behaviours = ["b0", "b1"]
    i = 0
    for t in range(n_teams):
        for s in range(draw(st.integers(1, 8))):
            subject = f"S{t}-{s}"
            for role, top in (("self", 1), ("line-manager", 1), ("peer", 6), ("direct-report", 6), ("stakeholder", 6)):
                for _ in range(draw(st.integers(0, top))):
                    rec: dict[str, Any] = {
                        "respondent_id": f"f{i}",
                        "organisation": "Org",
                        "team": f"T{t}",
                        "subject_id": subject,
                        "rater_role": role,
                    }
                    for b in behaviours:
                        rec[b] = draw(st.one_of(st.none(), st.integers(1, 5)))
                    rows.append(rec)
                    i += 1
    if rows:
        rows[0]["b0"] = rows[0]["b0"] or 3  # a records file shows its columns by their answers
    return rows


def _360_records(rows: list[dict[str, Any]], ins: Any) -> list[dict[str, Any]]:
    elements = list(dict.fromkeys(it.element for it in ins.items))
    out = []
    for r in rows:
        rec = {k: v for k, v in r.items() if k not in ("b0", "b1")}
        for it in ins.items:  # behaviour j's answer on every item of the j-th element (else missing)
            j = elements.index(it.element)
            rec[it.id] = r.get(f"b{j}")
        out.append(rec)
    return out


@DESIGNS
@given(designs_360(), st.integers(2, 4))
def test_generated_360_designs_audit_clean(rows: list[dict[str, Any]], k: int) -> None:
    reg = Registry(entry_points=False)
    ins = reg.instrument(R360)
    if not rows:
        return
    r = score(reg, ins, _360_records(rows, ins), allow_missing_items=True, min_group_size=k)
    report = audit(json.loads(r.to_json()))
    assert report.ok, str(report)


@st.composite
def designs_staff(draw: st.DrawFn) -> tuple[list[dict[str, Any]], str]:
    rows: list[dict[str, Any]] = []
    i = 0
    for o in range(draw(st.integers(1, 10))):
        for _ in range(draw(st.integers(1, 9))):
            rec: dict[str, Any] = {"respondent_id": f"r{i}", "organisation": f"Org {o}"}
            team = draw(st.sampled_from(["t1", "t2", "t3", None]))
            if team:
                rec["team"] = team
            rec["rater_role"] = draw(st.sampled_from(["hr", "manager"]))
            for c in ("leadership.now", "leadership.future"):
                rec[c] = draw(st.one_of(st.none(), st.integers(1, 10)))
            rows.append(rec)
            i += 1
    rows[0].setdefault("team", "t1")
    return rows, draw(st.sampled_from(["team", "rater_role"]))


@DESIGNS
@given(designs_staff(), st.integers(2, 6))
def test_generated_staff_designs_audit_clean(design: tuple[list[dict[str, Any]], str], k: int) -> None:
    rows, by = design
    reg = Registry(entry_points=False)
    r = score(
        reg,
        SOP,
        rows,
        scorers=["aggregate", "breakdown", "gap-priority", "benchmark"],
        params={"breakdown": {"by": by}, "gap-priority": {"level": "organisation"}},
        allow_missing_items=True,
        min_group_size=k,
    )
    report = audit(json.loads(r.to_json()))
    assert report.ok, str(report)


def test_labels_are_one_spelling_and_never_control_characters(core: Registry) -> None:
    import unicodedata

    rows: list[dict[str, Any]] = [
        {
            "respondent_id": f"r{i}",
            "organisation": unicodedata.normalize("NFD" if i % 2 else "NFC", "Café"),
            "leadership.now": 5,
        }
        for i in range(10)
    ]
    rows.append({"respondent_id": "x", "organisation": "Evil\x1b[2J", "leadership.now": 5})
    rows.append({"respondent_id": "y", "organisation": "Nul\x00", "leadership.now": 5})
    r = score(core, SOP, rows, scorers=["aggregate"], allow_missing_items=True)
    assert list(r.frame("aggregate", "organisations").organisation.unique()) == ["Café"]
    assert r.accounting.rejected == 2
    assert {p.rule for rej in r.rejected for p in rej.problems} == {"control-character"}


def test_rejections_quote_a_short_excerpt_and_no_rater_id(core: Registry, tmp_path: Any) -> None:
    from aspire_models.engine import EXCERPT

    long = "x" * 10_000
    rows = [{"respondent_id": "r1", "organisation": long, "leadership.now": 5}]
    r = score(core, SOP, rows, scorers=["aggregate"], allow_missing_items=True)
    text = r.to_json()
    assert long not in text and ("x" * EXCERPT) in text
    import pandas as pd

    data = pd.read_csv(example_path("hrbp360-responses.csv"), dtype=str, keep_default_na=False)
    data = pd.concat([data, data.iloc[[3]]], ignore_index=True)  # a rater id twice
    path = tmp_path / "dup.csv"
    data.to_csv(path, index=False)
    r = score(core, R360, path)
    assert r.accounting.rejected == 1
    assert data.iloc[3]["respondent_id"] not in r.to_json()


def test_reports_show_nothing_the_result_withholds(core: Registry, tmp_path: Any) -> None:
    """A directorate of two with a tell-tale mean (9.5 on every theme): no report format shows it."""
    import pandas as pd

    from aspire_models.reports import render_html, render_markdown, write_excel

    base = pd.read_csv(example_path("aspire-sop-responses.csv"), dtype=str, keep_default_na=False)
    rows = pd.concat([base.iloc[[0] * 12], base.iloc[[0, 0]]], ignore_index=True)
    answers = [c for c in rows.columns if c.endswith((".now", ".future"))]
    rows[answers] = "3"
    rows.loc[12, answers] = "9"
    rows.loc[13, answers] = "10"
    rows["organisation"] = ["Big Council"] * 12 + ["Directorate X"] * 2
    rows["respondent_id"] = [f"p{i}" for i in range(len(rows))]
    path = tmp_path / "staff.csv"
    rows.to_csv(path, index=False)
    r = score(core, SOP, path)
    assert audit(r).ok
    import re

    tell = re.compile(r"(?<![\d.])9\.50?(?![\dp])")  # the directorate's mean (not "9.5px" in a chart)
    html = render_html(r, core)
    md = render_markdown(r, core)
    for text in (html, md, r.to_json()):
        assert not tell.search(text), tell.search(text)
    from openpyxl import load_workbook

    xlsx = write_excel(r, tmp_path / "r.xlsx", core)
    cells = [c.value for ws in load_workbook(xlsx).worksheets for row in ws.iter_rows() for c in row]
    assert 9.5 not in cells and "9.5" not in cells and "9.50" not in cells


def test_sector_over_withheld_organisations_publishes_only_their_mean(core: Registry) -> None:
    """Two directorates of 2 and 3 (together 5): the sector may include them, but the range,
    sd and interval of organisation means would single one out, so only the mean is shown."""
    rows = _staff({"Big Council": 12, "Directorate X": 2, "Directorate Y": 3})
    r = score(core, SOP, rows, scorers=["aggregate"], allow_missing_items=True)
    sector = r.frame("aggregate", "sector")
    lead = sector[(sector.element == "leadership") & (sector["mode"] == "now")].iloc[0]
    assert lead["respondents"] == 17 and lead["organisations"] == 3
    for c in ("min", "max", "sd", "ci_low", "ci_high"):
        assert lead[c] is None or lead[c] != lead[c], c
    assert audit(r).ok
    # all three published: the spread of organisation means is shown
    r = score(core, SOP, _staff({"A": 6, "B": 7, "C": 8}), scorers=["aggregate"], allow_missing_items=True)
    sector = r.frame("aggregate", "sector")
    lead = sector[(sector.element == "leadership") & (sector["mode"] == "now")].iloc[0]
    assert lead["min"] == lead["min"] and lead["max"] == lead["max"]


def test_terminal_output_escapes_what_data_and_plugins_say(tmp_path: Any, capsys: pytest.CaptureFixture[str]) -> None:
    """A plugin framework whose title holds ANSI escapes and a right-to-left override prints
    them escaped, never raw, in every command's output."""
    from importlib.resources import files

    doc = json.loads((files("aspire_models") / "builtins" / "frameworks" / "ulrich-hr-competencies.json").read_text())
    doc["id"] = "evil-framework"
    doc["name"] = "Evil\x1b[2J\x1b[31m name\u202e"
    (tmp_path / "evil.json").write_text(json.dumps(doc))
    plugin = tmp_path / "evil_plugin.py"
    plugin.write_text(
        "from pathlib import Path\nfrom aspire_models import hookimpl\n\n"
        "@hookimpl\ndef aspire_frameworks():\n"
        f"    return [Path({str(tmp_path / 'evil.json')!r})]\n"
    )
    for argv in (["frameworks"], ["frameworks", "show", "evil-framework"], ["frameworks", "--json"]):
        assert main(["--no-plugins", "-p", str(plugin), *argv]) == 0
        out = capsys.readouterr().out
        assert "\x1b" not in out and "\u202e" not in out
        assert "\\u001b[2J" in out or "\\u001b" in json.dumps(out)
