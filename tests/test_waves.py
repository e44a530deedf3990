"""Survey waves: aspire_models.compare, aspire compare, aspire demo waves, and the intervals
the scorers publish. Checked against scipy.stats and statsmodels on the same data, with
property tests (swapping waves, identical waves, respondent order) and the privacy auditor."""

from __future__ import annotations

import copy
import io
import json
import math
import re
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from statsmodels.stats.multitest import multipletests

from aspire_models import Registry, score, validation
from aspire_models.cli import main
from aspire_models.compare import (
    DECLINED,
    IMPROVED,
    NO_CHANGE,
    Comparison,
    ComparisonError,
    audit_comparison,
)
from aspire_models.compare import compare as _compare
from aspire_models.examples import example_path
from aspire_models.examples._waves import FILES, SMALL, waves
from aspire_models.examples._waves import IMPROVED as NORTH
from aspire_models.examples._waves import NOISE as SOUTH
from aspire_models.instrument import Instrument
from aspire_models.privacy import audit

INS = "aspire-sop-self-assessment"
DIMS = ("leadership.now", "agility.now")
NUMERIC = ("n_from", "mean_from", "n_to", "mean_to", "change", "ci_low", "ci_high", "t", "df", "p", "p_adjusted")


def compare(*args: Any, **kwargs: Any) -> Comparison:
    """aspire_models.compare.compare, and every document it gives checked against the
    comparison schema (comparison.schema.json)."""
    c = _compare(*args, **kwargs)
    assert validation.problems(json.loads(c.to_json()), "comparison") == []
    return c


def frame(values: dict[str, list[tuple[str, list[int]]]]) -> pd.DataFrame:
    """A wave: per organisation, (respondent id, answers to DIMS) per person."""
    rows = []
    for org, people in values.items():
        for rid, answers in people:
            rows.append({"respondent_id": rid, "organisation": org, **dict(zip(DIMS, answers, strict=True))})
    return pd.DataFrame(rows, columns=["respondent_id", "organisation", *DIMS])


def run(reg: Registry, a: pd.DataFrame, b: pd.DataFrame, **kw: Any) -> Comparison:
    return compare(reg, INS, [a, b], labels=["first", "second"], allow_missing_items=True, **kw)


def compared(c: Comparison) -> list[dict[str, Any]]:
    return [r for r in c.table().rows() if not r["suppressed"]]


@pytest.fixture(scope="module")
def demo(core: Registry) -> Comparison:
    return compare(
        core,
        INS,
        [example_path("aspire-waves-2024.csv"), example_path("aspire-waves-2025.csv")],
        labels=["2024", "2025"],
    )


# -- the bundled example ---------------------------------------------------------------------
def test_example_files_are_what_the_script_makes() -> None:
    for year, rows in waves().items():
        text = example_path(FILES[year]).read_text(encoding="utf-8")
        assert text == "".join(",".join(r) + "\n" for r in rows)


def test_demo_tells_the_councils_apart(demo: Comparison) -> None:
    rows = demo.table().rows()
    north = [r for r in rows if r["organisation"] == NORTH]
    assert {r["element"] for r in north if r["label"] == IMPROVED} == {
        r["element"] for r in north
    }  # every theme's "now" improved ...
    assert all(r["label"] == (IMPROVED if r["mode"] == "now" else NO_CHANGE) for r in north)  # ... and only "now"
    assert all(r["test"] == "paired" for r in north)  # the same 48 people answered both years
    south = [r for r in rows if r["organisation"] == SOUTH]
    assert len(south) == 16 and all(r["label"] == NO_CHANGE and r["test"] == "welch" for r in south)
    small = [r for r in rows if r["organisation"] == SMALL]
    assert len(small) == 16
    for r in small:  # withheld in both waves: no figure of it anywhere in the comparison
        assert r["suppressed"] and r["label"] is None and "withheld in 2024 and 2025" in r["reason"]
        assert all(r[c] is None for c in (*NUMERIC, "hedges_g"))
    assert demo.findings()[SMALL]["not compared"] == 16


def test_demo_waves_command(capsys: pytest.CaptureFixture[str]) -> None:
    out = io.StringIO()
    assert main(["demo", "waves", "--no-plugins"], out) == 0
    text = out.getvalue()
    assert f"{NORTH}: 8 improved, 8 no detectable change (of 16 dimensions)" in text
    assert f"{SOUTH}: 16 no detectable change (of 16 dimensions)" in text
    assert f"{SMALL}: not compared: withheld in 2024 and 2025" in text


# -- checked against scipy and statsmodels ---------------------------------------------------
def test_changes_equal_scipy_and_statsmodels(demo: Comparison) -> None:
    data = {y: pd.read_csv(example_path(FILES[y])) for y in FILES}
    rows = demo.table().rows()
    p_all = [r["p"] for r in rows if not r["suppressed"]]
    for r in rows:
        if r["suppressed"]:
            continue
        col = f"{r['element']}.{r['mode']}"
        a = data[2024][data[2024]["organisation"] == r["organisation"]].set_index("respondent_id")[col]
        b = data[2025][data[2025]["organisation"] == r["organisation"]].set_index("respondent_id")[col]
        paired = r["test"] == "paired"
        s = stats.ttest_rel(b.loc[a.index], a) if paired else stats.ttest_ind(b, a, equal_var=False)
        ci = s.confidence_interval(0.95)
        assert r["change"] == pytest.approx(b.mean() - a.mean(), abs=1e-12)
        assert r["t"] == pytest.approx(s.statistic, rel=1e-9)
        assert r["p"] == pytest.approx(s.pvalue, rel=1e-7, abs=1e-300)
        assert r["df"] == pytest.approx(s.df, rel=1e-9)
        assert (r["ci_low"], r["ci_high"]) == (pytest.approx(ci.low, rel=1e-9), pytest.approx(ci.high, rel=1e-9))
    sector = [r for r in demo.table("sector-changes").rows() if not r["suppressed"]]
    assert len(sector) == 16  # one family: the organisation rows and the sector rows
    want = multipletests(p_all + [r["p"] for r in sector], method="holm")[1]
    got = [r["p_adjusted"] for r in rows if not r["suppressed"]] + [r["p_adjusted"] for r in sector]
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_benjamini_hochberg_by_parameter(core: Registry, demo: Comparison) -> None:
    bh = compare(
        core,
        INS,
        [example_path("aspire-waves-2024.csv"), example_path("aspire-waves-2025.csv")],
        labels=["2024", "2025"],
        adjust="bh",
    )
    sector = [r for r in bh.table("sector-changes").rows() if not r["suppressed"]]
    p = [r["p"] for r in compared(bh) + sector]
    np.testing.assert_allclose(
        [r["p_adjusted"] for r in compared(bh) + sector], multipletests(p, method="fdr_bh")[1], rtol=1e-12
    )
    assert [r["p"] for r in compared(bh)] == [r["p"] for r in compared(demo)]


def test_permutation_option(core: Registry, demo: Comparison) -> None:
    perm = compare(
        core,
        INS,
        [example_path("aspire-waves-2024.csv"), example_path("aspire-waves-2025.csv")],
        labels=["2024", "2025"],
        test="permutation",
        permutations=1999,  # the smallest p is 1/2000: under Holm's 0.05/32 for the improved council
    )
    for r, t in zip(compared(perm), compared(demo), strict=True):
        assert r["test"] == t["test"] + "+permutation"
        assert r["change"] == t["change"] and r["ci_low"] == t["ci_low"]  # the interval stays the t interval
        assert 1 / 2000 <= r["p"] <= 1
        if t["label"] == IMPROVED:
            assert r["p"] == 1 / 2000
    assert perm.findings()[NORTH][IMPROVED] == 8 and perm.findings()[SOUTH][NO_CHANGE] == 16


# -- properties ------------------------------------------------------------------------------
people = st.lists(st.tuples(st.integers(1, 10), st.integers(1, 10)), min_size=5, max_size=12)


@st.composite
def two_waves(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.DataFrame]:
    out = []
    for w in range(2):
        orgs = {}
        for org in ("A", "B"):
            answers = draw(people)
            persist = draw(st.booleans())
            orgs[org] = [(f"{org}{i}" if persist else f"{org}{w}-{i}", list(a)) for i, a in enumerate(answers)]
        out.append(frame(orgs))
    return out[0], out[1]


@settings(max_examples=12)
@given(two_waves())
def test_swapping_waves_negates_every_change(core: Registry, wv: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    a, b = wv
    ab = compared(run(core, a, b))
    ba = compared(compare(core, INS, [b, a], labels=["second", "first"], allow_missing_items=True))
    assert len(ab) == len(ba) > 0
    flip = {IMPROVED: DECLINED, DECLINED: IMPROVED, NO_CHANGE: NO_CHANGE}
    for x, y in zip(ab, ba, strict=True):
        assert (x["organisation"], x["element"], x["test"]) == (y["organisation"], y["element"], y["test"])
        for c in ("change", "t", "hedges_g"):
            assert x[c] == (-y[c] if y[c] is not None else None)
        assert (x["ci_low"], x["ci_high"]) == (-y["ci_high"], -y["ci_low"])
        assert (x["p"], x["p_adjusted"], x["df"]) == (y["p"], y["p_adjusted"], y["df"])
        assert x["label"] == flip[y["label"]]


@settings(max_examples=12)
@given(
    two_waves(), st.floats(0.0001, 0.9999), st.sampled_from(["auto", "never"]), st.sampled_from(["holm", "bh", "none"])
)
def test_identical_waves_show_no_change_at_any_alpha(
    core: Registry, wv: tuple[pd.DataFrame, pd.DataFrame], alpha: float, paired: str, adjust: str
) -> None:
    a, _ = wv
    rows = compared(run(core, a, a.copy(), alpha=alpha, paired=paired, adjust=adjust))  # type: ignore[arg-type]
    assert rows and all(r["label"] == NO_CHANGE and r["change"] == 0 and r["p"] == 1.0 for r in rows)
    assert all(r["test"] == ("paired" if paired == "auto" else "welch") for r in rows)


@settings(max_examples=10)
@given(two_waves(), st.randoms(use_true_random=False))
def test_results_do_not_depend_on_respondent_order(
    core: Registry, wv: tuple[pd.DataFrame, pd.DataFrame], rnd: Any
) -> None:
    a, b = wv
    first = run(core, a, b).table().rows()
    order_a, order_b = list(range(len(a))), list(range(len(b)))
    rnd.shuffle(order_a)
    rnd.shuffle(order_b)
    again = run(core, a.iloc[order_a].reset_index(drop=True), b.iloc[order_b].reset_index(drop=True)).table().rows()
    assert len(first) == len(again)
    for x, y in zip(first, again, strict=True):
        for c, v in x.items():
            if isinstance(v, float):
                assert y[c] == pytest.approx(v, rel=1e-9, abs=1e-12), c
            else:
                assert y[c] == v, c


# -- pairing, instrument versions, refusals --------------------------------------------------
def test_pairing_only_when_the_same_people_answered(core: Registry) -> None:
    rng = np.random.default_rng(1)
    ans = [[int(x) for x in rng.integers(1, 11, 2)] for _ in range(8)]
    a = frame({"A": [(f"p{i}", ans[i]) for i in range(8)], "B": [(f"q{i}", ans[i]) for i in range(8)]})
    b = frame(
        {
            "A": [(f"p{i}", [min(10, x + 1) for x in ans[i]]) for i in range(8)],  # the same 8 people
            "B": [(f"q{i}", ans[i]) for i in range(6)] + [("new1", [5, 5]), ("new2", [6, 6])],  # 2 left, 2 joined
        }
    )
    rows = {(r["organisation"], r["element"]): r for r in compared(run(core, a, b))}
    # B: 6 of its 8 people answered both waves (at least min_group_size): partially overlapping
    assert rows[("A", "leadership")]["test"] == "paired" and rows[("B", "leadership")]["test"] == "partial-overlap"
    fewer = {(r["organisation"], r["element"]): r for r in compared(run(core, a, b, min_group_size=7))}
    assert fewer[("B", "leadership")]["test"] == "welch"  # 6 people in both waves, under 7: Welch
    never = {(r["organisation"], r["element"]): r for r in compared(run(core, a, b, paired="never"))}
    assert never[("A", "leadership")]["test"] == "welch"
    assert never[("A", "leadership")]["change"] == pytest.approx(rows[("A", "leadership")]["change"])


def test_changed_items_are_reported_not_compared(core: Registry) -> None:
    base = core.instrument(INS)
    items = tuple(attrs.evolve(it, text=it.text + " (reworded)") if it.id == "agility" else it for it in base.items)
    v2: Instrument = attrs.evolve(base, version=base.version + "-2", items=items)
    rng = np.random.default_rng(2)
    a = frame({"A": [(f"p{i}", [int(x) for x in rng.integers(1, 11, 2)]) for i in range(8)]})
    c = compare(core, [base, v2], [a, a.copy()], labels=["old", "new"], allow_missing_items=True)
    changes = c.table("instrument-changes").rows()
    assert {(r["element"], r["mode"], r["item"], r["change"]) for r in changes} == {
        ("agility", "now", "agility", "wording changed"),
        ("agility", "future", "agility", "wording changed"),
    }
    assert not [r for r in c.table().rows() if r["element"] == "agility"]
    assert any("agility.now is not compared between old and new" in w for w in c.warnings)


def test_refusals(core: Registry) -> None:
    a = frame({"A": [(f"p{i}", [5, 5]) for i in range(6)]})
    with pytest.raises(ComparisonError, match="at least two waves"):
        compare(core, INS, [a], allow_missing_items=True)
    with pytest.raises(ComparisonError, match="labels must differ"):
        compare(core, INS, [a, a], labels=["x", "x"], allow_missing_items=True)
    with pytest.raises(ComparisonError, match="adjust"):
        run(core, a, a, adjust="bonferroni")  # type: ignore[arg-type]
    with pytest.raises(ComparisonError, match="review-360"):
        compare(core, "hrbp360-review", [a, a], labels=["x", "y"])


def test_three_waves_compare_consecutive_and_first_to_last(core: Registry) -> None:
    rng = np.random.default_rng(3)
    ws = [frame({"A": [(f"p{i}", [int(x) for x in rng.integers(1, 11, 2)]) for i in range(7)]}) for _ in range(3)]
    c = compare(core, INS, ws, labels=["y1", "y2", "y3"], allow_missing_items=True)
    assert list(dict.fromkeys((r["from"], r["to"]) for r in c.table().rows())) == [
        ("y1", "y2"),
        ("y2", "y3"),
        ("y1", "y3"),
    ]
    tested = compared(c) + [r for r in c.table("sector-changes").rows() if r["p"] is not None]
    p = [r["p"] for r in tested]
    np.testing.assert_allclose([r["p_adjusted"] for r in tested], multipletests(p, method="holm")[1])


# -- privacy across waves --------------------------------------------------------------------
def test_auditor_finds_nothing_in_either_wave_with_the_comparison(demo: Comparison) -> None:
    reports = demo.audit()
    assert len(reports) == 2 and all(r.ok for r in reports), [str(r) for r in reports]
    doc = json.loads(demo.to_json())
    assert all(r.ok for r in audit_comparison(doc))


def test_auditor_finds_a_comparison_that_publishes_a_withheld_council(demo: Comparison) -> None:
    doc = json.loads(demo.to_json())
    table = doc["comparison"]["tables"]["changes"]
    cols = table["columns"]
    row = next(r for r in table["rows"] if r[cols.index("organisation")] == SMALL)
    row[cols.index("suppressed")] = False
    row[cols.index("change")] = 0.4  # Little Fenwick's change, as an unprotected comparison would give it
    reports = audit_comparison(doc)
    assert not reports[0].ok and not reports[1].ok
    assert "unprotected derived figure" in str(reports[0]) and SMALL in str(reports[0])


def test_change_only_for_groups_published_in_both_waves(core: Registry) -> None:
    rng = np.random.default_rng(4)

    def people(prefix: str, n: int) -> list[tuple[str, list[int]]]:
        return [(f"{prefix}{i}", [int(x) for x in rng.integers(1, 11, 2)]) for i in range(n)]

    a = frame({"A": people("a", 9), "B": people("b", 8), "C": people("c", 6)})
    b = frame({"A": people("a2-", 9), "B": people("b2-", 3), "C": people("c2-", 7)})  # B falls under 5
    c = run(core, a, b)
    assert {r["organisation"] for r in compared(c)} == {"A", "C"}
    b_rows = [r for r in c.table().rows() if r["organisation"] == "B"]
    assert b_rows and all(r["suppressed"] and "withheld in second" in r["reason"] for r in b_rows)
    assert all(r.ok for r in c.audit())
    # each wave is protected as a single result is
    for wave, data in zip(c.waves, (a, b), strict=True):
        alone = score(core, INS, data, scorers=["aggregate"], allow_missing_items=True)
        assert wave.table("aggregate", "organisations").rows() == [
            {**r, "ci_low": r["ci_low"], "ci_high": r["ci_high"]}
            for r in alone.table("aggregate", "organisations").rows()
        ]


# -- intervals in the scorers' tables --------------------------------------------------------
def test_organisation_and_sector_intervals(core: Registry) -> None:
    rng = np.random.default_rng(6)
    data = frame(
        {
            o: [(f"{o}{i}", [int(x) for x in rng.integers(1, 11, 2)]) for i in range(n)]
            for o, n in (("A", 9), ("B", 12), ("C", 2))
        }
    )
    r = score(
        core, INS, data, scorers=["aggregate"], params={"aggregate": {"confidence": 0.9}}, allow_missing_items=True
    )
    for row in r.table("aggregate", "organisations").rows():
        if row["mode"] != "now" or row["element"] not in ("leadership", "agility"):
            continue
        if row["organisation"] == "C":  # two people: withheld, the interval with the mean
            assert row["suppressed"] and row["ci_low"] is None and row["ci_high"] is None
            continue
        x = data[data["organisation"] == row["organisation"]][f"{row['element']}.now"]
        lo, hi = stats.t.interval(0.9, len(x) - 1, loc=x.mean(), scale=stats.sem(x))
        assert (row["ci_low"], row["ci_high"]) == (pytest.approx(lo, rel=1e-9), pytest.approx(hi, rel=1e-9))
    cells = r.table("aggregate", "organisations").cells
    assert cells is not None and {"ci_low", "ci_high"} <= set(cells.values)
    sector = {(s["element"], s["mode"]): s for s in r.table("aggregate", "sector").rows()}
    lead = sector[("leadership", "now")]
    means = [
        row["mean"]
        for row in r.table("aggregate", "organisations").rows()
        if (row["element"], row["mode"]) == ("leadership", "now") and not row["suppressed"]
    ]
    lo, hi = stats.t.interval(0.9, len(means) - 1, loc=np.mean(means), scale=stats.sem(means))
    assert (lead["ci_low"], lead["ci_high"]) == (pytest.approx(lo, rel=1e-9), pytest.approx(hi, rel=1e-9))
    boot = score(
        core,
        INS,
        data,
        scorers=["aggregate"],
        params={"aggregate": {"interval": "bootstrap"}},
        allow_missing_items=True,
    )
    for row in boot.table("aggregate", "organisations").rows():
        if row["mean"] is not None and row["n"] > 1 and row["mode"] != "gap":
            assert row["ci_low"] <= row["mean"] <= row["ci_high"]


def test_breakdown_and_multiselect_intervals(core: Registry) -> None:
    r = score(
        core,
        INS,
        example_path("aspire-sop-responses.csv"),
        min_group_size=2,
        scorers=["multi-select-frequencies"],
        params={"multi-select-frequencies": {"by_organisation": True}},
    )
    for row in r.table("multi-select-frequencies", "frequencies").rows():
        lo, hi = stats.binomtest(row["count"], row["answered"]).proportion_ci(0.95, method="wilson")
        assert (row["ci_low"], row["ci_high"]) == (pytest.approx(lo, abs=1e-12), pytest.approx(hi, abs=1e-12))
    org = r.table("multi-select-frequencies", "organisation-frequencies")
    assert org.cells is not None and {"share", "ci_low", "ci_high"} <= set(org.cells.values)
    rng = np.random.default_rng(7)
    rows = []
    for i in range(24):
        rows.append(
            {
                "respondent_id": f"r{i}",
                "organisation": "A" if i < 16 else "B",
                "team": "T1" if i % 2 else "T2",
                "leadership.now": int(rng.integers(1, 11)),
            }
        )
    data = pd.DataFrame(rows)
    b = score(core, INS, data, scorers=["breakdown"], allow_missing_items=True)
    t = b.table("breakdown", "breakdown")
    assert t.cells is not None and {"ci_low", "ci_high"} <= set(t.cells.values)
    for row in t.rows():
        if row["element"] != "leadership" or row["mode"] != "now":
            continue
        if row["suppressed"]:
            assert row["ci_low"] is None
            continue
        sel = data[data["organisation"] == row["organisation"]]
        if row["group"] != "(all)":
            sel = sel[sel["team"] == row["group"]]
        x = sel["leadership.now"]
        lo, hi = stats.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=stats.sem(x))
        assert (row["ci_low"], row["ci_high"]) == (pytest.approx(lo, rel=1e-9), pytest.approx(hi, rel=1e-9))


# -- command line and reports ----------------------------------------------------------------
def test_compare_command_writes_json_html_and_markdown(tmp_path: Path) -> None:
    w1, w2 = str(example_path(FILES[2024])), str(example_path(FILES[2025]))
    for name in ("c.json", "c.html", "c.md"):
        out = io.StringIO()
        code = main(
            ["compare", "--no-plugins", "-i", INS, w1, w2, "--labels", "2024,2025", "-o", str(tmp_path / name)], out
        )
        assert code == 0
        assert f"{NORTH}: 8 improved" in out.getvalue()
    doc = json.loads((tmp_path / "c.json").read_text(encoding="utf-8"))
    assert all(r.ok for r in audit_comparison(doc))
    assert validation.problems(doc, "comparison") == []  # the file aspire compare writes is valid
    html = (tmp_path / "c.html").read_text(encoding="utf-8")
    assert html.count("<svg") == 16 and "What changed, largest effect first" in html
    md = (tmp_path / "c.md").read_text(encoding="utf-8")
    assert "| Northfield Council |" in md and "Little Fenwick Council" in md


def test_compare_command_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    w1 = str(example_path(FILES[2024]))
    assert main(["compare", "--no-plugins", "-i", INS, w1], io.StringIO()) == 2
    assert main(["compare", "--no-plugins", "-i", INS, w1, str(tmp_path / "none.csv")], io.StringIO()) == 2
    assert main(["compare", "--no-plugins", "-i", INS, w1, w1, "--labels", "a"], io.StringIO()) == 2
    assert main(["compare", "--no-plugins", "-i", INS, w1, w1, "--alpha", "2"], io.StringIO()) == 2
    assert main(["compare", "--no-plugins", "-i", INS, w1, w1, "-o", str(tmp_path / "x.txt")], io.StringIO()) == 2
    err = capsys.readouterr().err
    assert "two or more" in err and "--labels names 1 waves" in err


def test_trend_chart_draws_a_band_per_group() -> None:
    pytest.importorskip("matplotlib")
    from aspire_models.reports.trends import trend_chart

    chart = trend_chart(
        "t1", "Leadership (Now)", ["2024", "2025"], {"A": [(5.0, 4.5, 5.5), None]}, [(5.0, 4.0, 6.0), (5.5, 5.0, 6.0)]
    )
    assert chart.svg.startswith("<svg") and "Sector (mean of organisations)" in chart.svg
    assert chart.svg.count('id="t1-') > 0 and "confidence interval" in chart.title


def test_comparison_document_is_deterministic(demo: Comparison) -> None:
    assert demo.to_json() == copy.deepcopy(demo).to_json()
    doc = demo.to_dict()
    assert doc["schema"].startswith("urn:aspire-models:schema:comparison")
    assert [w["label"] for w in doc["waves"]] == ["2024", "2025"]
    assert not math.isnan(sum(r["change"] for r in compared(demo)))
    assert all(audit(w["result"]).ok for w in doc["waves"])


def test_the_disclosure_step_withholds_nothing_more(demo: Comparison) -> None:
    """compare() applies the derived-figure rule itself, with each wave's protected result;
    the disclosure step run on each wave with the comparison agrees row for row."""
    from aspire_models.privacy import Population, protect

    mine = demo.table().column("suppressed")
    for wave in demo.waves:
        protected, _ = protect((*wave.outputs, demo.output), Population.from_dict(wave.privacy["population"]))
        assert list(protected[-1].table("changes").column("suppressed")) == list(mine)


def test_a_single_published_score_is_not_tested(core: Registry) -> None:
    a = frame({"A": [("p1", [4, 5])], "B": [(f"b{i}", [i % 10 + 1, 5]) for i in range(6)]})
    b = frame({"A": [("p2", [6, 5])], "B": [(f"c{i}", [i % 10 + 2, 5]) for i in range(6)]})
    c = run(core, a, b, min_group_size=1)
    rows = {(r["organisation"], r["element"]): r for r in c.table().rows() if r["mode"] == "now"}
    one = rows[("A", "leadership")]
    assert not one["suppressed"] and one["label"] is None and one["p"] is None and one["change"] == 2.0
    assert one["reason"] == "not tested: fewer than two scores in a wave"
    assert rows[("B", "leadership")]["label"] in (IMPROVED, NO_CHANGE)
    pytest.importorskip("matplotlib")
    from aspire_models.reports.trends import render_comparison

    assert "not tested" in render_comparison(c, core, fmt="md")


def test_report_draws_means_with_error_bars_for_published_organisations(core: Registry) -> None:
    pytest.importorskip("matplotlib")
    from aspire_models.reports import render_html
    from aspire_models.reports.document import expected_charts
    from aspire_models.reports.model import report_data

    r = score(core, INS, example_path(FILES[2025]))
    html = render_html(r, core)
    assert "Means with confidence intervals" in html
    svgs = [x for x in re.findall(r"<svg.*?</svg>", html, re.S) if "Means with confidence intervals" in x]
    assert len(svgs) == 1 and NORTH in svgs[0] and SMALL not in svgs[0]  # the withheld council is not drawn
    assert "CI low" in html and "CI high" in html  # the organisation table's interval columns
    assert expected_charts([report_data(r, core)]) == html.count("<svg")
    tiny = score(core, INS, example_path("aspire-sop-responses.csv"))  # every council withheld: no chart
    assert "Means with confidence intervals" not in render_html(tiny, core)


def test_top_box_shares_carry_wilson_intervals(tmp_path: Path) -> None:
    from statsmodels.stats.proportion import proportion_confint

    f = tmp_path / "t.csv"
    f.write_text("item,label,1,2,3,total\na,Alpha,0,1,4,5\nb,Beta,5,0,0,5\n", encoding="utf-8")
    out = io.StringIO()
    assert main(["frequencies", str(f), "--json"], out) == 0
    items = {i["id"]: i for i in json.loads(out.getvalue())["items"]}
    lo, hi = proportion_confint(4, 5, method="wilson")
    assert items["a"]["top_box_ci"] == [pytest.approx(lo), pytest.approx(hi)]
    assert items["b"]["top_box_ci"][0] == 0.0 and items["a"]["top_two_box_ci"][1] == 1.0


def test_aspire_audit_reads_a_comparison_document(tmp_path: Path, demo: Comparison) -> None:
    path = tmp_path / "c.json"
    path.write_text(demo.to_json(), encoding="utf-8")
    out = io.StringIO()
    assert main(["audit", str(path)], out) == 0
    assert out.getvalue().count("no withheld group can be worked out") == 2
    doc = json.loads(demo.to_json())
    table = doc["comparison"]["tables"]["changes"]
    cols = table["columns"]
    row = next(r for r in table["rows"] if r[cols.index("organisation")] == SMALL)
    tested = next(r for r in table["rows"] if not r[cols.index("suppressed")])
    row[5:] = tested[5:]  # a whole row of figures for the withheld council: well formed, but disclosing
    assert validation.problems(doc, "comparison") == []
    path.write_text(json.dumps(doc), encoding="utf-8")
    out = io.StringIO()
    assert main(["audit", str(path), "--json"], out) == 1
    assert SMALL in out.getvalue() and "unprotected derived figure" in out.getvalue()
