"""Survey waves, continued: the partially overlapping samples t-test for partial panels, the
sector change rows, and the comparison document's JSON Schema (comparison.schema.json).

The partial-overlap statistic is checked against scipy.stats at its two ends (full overlap:
``ttest_rel``; none: ``ttest_ind(equal_var=False)``) and against a separate, plain numpy
implementation of Derrick, Toher and White's (2017) formulas in between."""

from __future__ import annotations

import copy
import io
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import stats

from aspire_models import Registry, validation
from aspire_models.cli import main
from aspire_models.compare import Comparison, audit_comparison
from aspire_models.compare import compare as _compare
from aspire_models.examples import example_path
from aspire_models.stats.overlap import partial_overlap

INS = "aspire-sop-self-assessment"
DIMS = ("leadership.now", "agility.now")


def compare(*args: Any, **kwargs: Any) -> Comparison:
    """compare(), every document checked against the comparison schema."""
    c = _compare(*args, **kwargs)
    assert validation.problems(json.loads(c.to_json()), "comparison") == []
    return c


def frame(values: dict[str, list[tuple[str, list[float]]]]) -> pd.DataFrame:
    rows = [
        {"respondent_id": rid, "organisation": org, **dict(zip(DIMS, answers, strict=True))}
        for org, people in values.items()
        for rid, answers in people
    ]
    return pd.DataFrame(rows, columns=["respondent_id", "organisation", *DIMS])


def run(reg: Registry, a: pd.DataFrame, b: pd.DataFrame, **kw: Any) -> Comparison:
    return compare(reg, INS, [a, b], labels=["first", "second"], allow_missing_items=True, **kw)


def reference_tnew2(
    a_unpaired: np.ndarray, b_unpaired: np.ndarray, a_paired: np.ndarray, b_paired: np.ndarray
) -> tuple[float, float, float, float]:
    """Derrick, Toher and White (2017), T_new2, straight from the paper's formulas: (change
    b - a, t, df, two-sided p)."""
    x1, x2 = np.concatenate([a_unpaired, a_paired]), np.concatenate([b_unpaired, b_paired])
    n1, n2, n12 = len(x1), len(x2), len(a_paired)
    s1, s2 = np.std(x1, ddof=1), np.std(x2, ddof=1)
    r = np.corrcoef(a_paired, b_paired)[0, 1] if n12 > 1 else 0.0
    se = math.sqrt(s1**2 / n1 + s2**2 / n2 - 2 * r * s1 * s2 * n12 / (n1 * n2))
    change = x2.mean() - x1.mean()
    t = change / se
    gamma = (s1**2 / n1 + s2**2 / n2) ** 2 / ((s1**2 / n1) ** 2 / (n1 - 1) + (s2**2 / n2) ** 2 / (n2 - 1))
    na, nb = len(a_unpaired), len(b_unpaired)
    df = (n12 - 1) + (gamma - n12 + 1) / (na + nb + 2 * n12) * (na + nb)
    return change, t, df, 2 * stats.t.sf(abs(t), df)


def moments(x: np.ndarray) -> tuple[float, float, float]:
    return len(x), float(x.mean()), float(((x - x.mean()) ** 2).sum())


scores = st.lists(st.integers(1, 10).map(float), min_size=2, max_size=30)


# -- the statistic ---------------------------------------------------------------------------
@settings(max_examples=60)
@given(st.data())
def test_full_overlap_is_the_paired_t_test(data: st.DataObject) -> None:
    a = np.array(data.draw(scores))
    b = np.array(data.draw(st.lists(st.integers(1, 10).map(float), min_size=len(a), max_size=len(a))))
    assume(np.std(a) > 0 and np.std(b) > 0 and np.std(b - a) > 0)
    r = np.corrcoef(a, b)[0, 1]
    got = partial_overlap(*moments(a), *moments(b), len(a), r)
    want = stats.ttest_rel(b, a)
    assert float(got.t) == pytest.approx(want.statistic, rel=1e-9)
    assert float(got.df) == pytest.approx(want.df, rel=1e-12)
    assert float(got.p) == pytest.approx(want.pvalue, rel=1e-7, abs=1e-15)
    ci = want.confidence_interval(0.95)
    assert (float(got.ci_low), float(got.ci_high)) == (
        pytest.approx(ci.low, rel=1e-9),
        pytest.approx(ci.high, rel=1e-9),
    )


@settings(max_examples=60)
@given(scores, scores)
def test_no_overlap_is_welch(a_list: list[float], b_list: list[float]) -> None:
    a, b = np.array(a_list), np.array(b_list)
    assume(np.std(a) > 0 or np.std(b) > 0)
    got = partial_overlap(*moments(a), *moments(b), 0, 0.0)
    want = stats.ttest_ind(b, a, equal_var=False)
    assert float(got.t) == pytest.approx(want.statistic, rel=1e-9)
    assert float(got.df) == pytest.approx(want.df, rel=1e-9)
    assert float(got.p) == pytest.approx(want.pvalue, rel=1e-7, abs=1e-15)


@settings(max_examples=80)
@given(st.integers(0, 2**32 - 1), st.integers(0, 12), st.integers(0, 12), st.integers(2, 20))
def test_partial_overlap_matches_the_papers_formulas(seed: int, na: int, nb: int, n12: int) -> None:
    rng = np.random.default_rng(seed)
    a_p = rng.normal(5, 2, n12)
    b_p = a_p * rng.uniform(-1, 1) + rng.normal(5.5, 2, n12)  # correlated, either sign
    a_u, b_u = rng.normal(5, 2, na), rng.normal(6, 3, nb)
    x1, x2 = np.concatenate([a_u, a_p]), np.concatenate([b_u, b_p])
    r = np.corrcoef(a_p, b_p)[0, 1]
    got = partial_overlap(*moments(x1), *moments(x2), n12, r)
    change, t, df, p = reference_tnew2(a_u, b_u, a_p, b_p)
    assert float(got.change) == pytest.approx(change, rel=1e-12, abs=1e-12)
    assert float(got.t) == pytest.approx(t, rel=1e-9)
    assert float(got.df) == pytest.approx(df, rel=1e-9)
    assert float(got.p) == pytest.approx(p, rel=1e-7, abs=1e-300)
    half = stats.t.ppf(0.975, df) * abs(change / t)
    assert (float(got.ci_low), float(got.ci_high)) == (pytest.approx(change - half), pytest.approx(change + half))


def test_the_papers_r_package_example() -> None:
    """The example of Derrick, Toher and White (2017), as in their R package's help page
    (Partover.test(a.unpaired, b.unpaired, a.paired, b.paired)), unequal variances: the
    independent check here is the plain formula implementation above."""
    a_u = np.array([20, 21, 16, 18, 14, 12, 14, 17], dtype=float)
    a_p = np.array([14, 15, 18, 20, 11, 19, 14, 15], dtype=float)
    b_u = np.array([10, 16, 18, 16, 15, 14, 13, 10], dtype=float)
    b_p = np.array([15, 10, 15, 17, 13, 19, 12, 13], dtype=float)
    x1, x2 = np.concatenate([a_u, a_p]), np.concatenate([b_u, b_p])
    got = partial_overlap(*moments(x1), *moments(x2), 8, np.corrcoef(a_p, b_p)[0, 1])
    change, t, df, p = reference_tnew2(a_u, b_u, a_p, b_p)
    assert change == -2.0  # b less a: 226/16 - 258/16
    assert float(got.t) == pytest.approx(t) and float(got.df) == pytest.approx(df) and float(got.p) == pytest.approx(p)


# -- in compare() ----------------------------------------------------------------------------
def panel(rng: np.random.Generator, stay: int, leave: int, join: int, shift: float = 0.0) -> tuple[Any, Any]:
    """One organisation over two waves: ``stay`` people answer both, ``leave`` only the
    first, ``join`` only the second (whole-number answers 1-10)."""

    def answers(n: int) -> np.ndarray:
        return rng.integers(1, 11, (n, 2)).astype(float)

    first = answers(stay + leave)
    again = np.clip(np.round(first[:stay] + rng.normal(shift, 1.5, (stay, 2))), 1, 10)
    second = np.concatenate([again, answers(join)])
    ids_a = [f"s{i}" for i in range(stay)] + [f"l{i}" for i in range(leave)]
    ids_b = [f"s{i}" for i in range(stay)] + [f"j{i}" for i in range(join)]
    return list(zip(ids_a, first.tolist(), strict=True)), list(zip(ids_b, second.tolist(), strict=True))


def test_partial_panel_rows_match_the_formulas_on_the_raw_data(core: Registry) -> None:
    rng = np.random.default_rng(11)
    a1, b1 = panel(rng, 9, 3, 4, shift=1.0)
    a2, b2 = panel(rng, 3, 6, 6)  # 3 in both waves: fewer than min_group_size, Welch
    a = frame({"A": [("A" + i, x) for i, x in a1], "B": [("B" + i, x) for i, x in a2]})
    b = frame({"A": [("A" + i, x) for i, x in b1], "B": [("B" + i, x) for i, x in b2]})
    c = run(core, a, b)
    rows = {(r["organisation"], r["element"]): r for r in c.table().rows() if r["mode"] == "now"}
    for dim in ("leadership", "agility"):
        col = f"{dim}.now"
        x = a[a.organisation == "A"].set_index("respondent_id")[col]
        y = b[b.organisation == "A"].set_index("respondent_id")[col]
        both = x.index.intersection(y.index)
        want = reference_tnew2(x.drop(both).to_numpy(), y.drop(both).to_numpy(), x[both].to_numpy(), y[both].to_numpy())
        row = rows[("A", dim)]
        assert row["test"] == "partial-overlap"
        assert (row["change"], row["t"], row["df"], row["p"]) == tuple(pytest.approx(v, rel=1e-9) for v in want)
        welch = rows[("B", dim)]
        xb, yb = a[a.organisation == "B"][col], b[b.organisation == "B"][col]
        assert welch["test"] == "welch" and welch["t"] == pytest.approx(stats.ttest_ind(yb, xb, equal_var=False)[0])
    assert all(r.ok for r in c.audit())
    # the permutation option tests a partial panel as independent samples
    perm = run(core, a, b, test="permutation", permutations=99)
    assert {r["test"] for r in perm.table().rows() if r["organisation"] == "A" and not r["suppressed"]} == {
        "welch+permutation"
    }


@st.composite
def partial_waves(draw: st.DrawFn) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    waves: tuple[dict[str, Any], dict[str, Any]] = ({}, {})
    for org in ("A", "B", "C"):
        first, second = panel(
            rng, draw(st.integers(5, 10)), draw(st.integers(1, 4)), draw(st.integers(0, 4)), draw(st.floats(-2, 2))
        )
        waves[0][org], waves[1][org] = [(f"{org}{i}", x) for i, x in first], [(f"{org}{i}", x) for i, x in second]
    return frame(waves[0]), frame(waves[1])


@settings(max_examples=10, deadline=None)
@given(partial_waves())
def test_swapping_waves_negates_partial_overlap_and_sector_changes(
    core: Registry, wv: tuple[pd.DataFrame, pd.DataFrame]
) -> None:
    a, b = wv
    ab, ba = run(core, a, b), compare(core, INS, [b, a], labels=["second", "first"], allow_missing_items=True)
    for name in ("changes", "sector-changes"):
        xs = [r for r in ab.table(name).rows() if not r["suppressed"]]
        ys = [r for r in ba.table(name).rows() if not r["suppressed"]]
        assert len(xs) == len(ys) > 0
        for x, y in zip(xs, ys, strict=True):
            assert x["test"] == y["test"] and x["element"] == y["element"]
            assert x["change"] == pytest.approx(-y["change"], rel=1e-12, abs=1e-12)
            assert x["t"] == pytest.approx(-y["t"], rel=1e-9, abs=1e-12)
            assert (x["p"], x["df"]) == (pytest.approx(y["p"], rel=1e-9), pytest.approx(y["df"], rel=1e-9))
            assert x["p_adjusted"] == pytest.approx(y["p_adjusted"], rel=1e-9)
    assert "partial-overlap" in {r["test"] for r in ab.table().rows()}


@settings(max_examples=8, deadline=None)
@given(partial_waves(), st.randoms(use_true_random=False))
def test_partial_overlap_and_sector_rows_do_not_depend_on_respondent_order(
    core: Registry, wv: tuple[pd.DataFrame, pd.DataFrame], rnd: Any
) -> None:
    a, b = wv
    first = run(core, a, b)
    order_a, order_b = list(range(len(a))), list(range(len(b)))
    rnd.shuffle(order_a)
    rnd.shuffle(order_b)
    again = run(core, a.iloc[order_a].reset_index(drop=True), b.iloc[order_b].reset_index(drop=True))
    for name in ("changes", "sector-changes"):
        for x, y in zip(first.table(name).rows(), again.table(name).rows(), strict=True):
            for col, v in x.items():
                if isinstance(v, float):
                    assert y[col] == pytest.approx(v, rel=1e-9, abs=1e-12), col
                else:
                    assert y[col] == v, col


# -- the sector rows -------------------------------------------------------------------------
def published_means(c: Comparison, wave: int, dim: tuple[str, str]) -> dict[str, float]:
    rows = c.waves[wave].table("aggregate", "organisations").rows()
    return {r["organisation"]: r["mean"] for r in rows if (r["element"], r["mode"]) == dim and not r["suppressed"]}


def people(rng: np.random.Generator, prefix: str, n: int, shift: int = 0) -> list[tuple[str, list[float]]]:
    return [(f"{prefix}{i}", [float(min(10, x + shift)) for x in rng.integers(1, 11, 2)]) for i in range(n)]


def test_sector_row_paired_over_organisations_published_in_both_waves(core: Registry) -> None:
    rng = np.random.default_rng(5)
    a = frame({o: people(rng, f"{o}a", 8) for o in "ABCD"})
    b = frame({**{o: people(rng, f"{o}b", 9, shift=1) for o in "ABC"}, "D": people(rng, "Db", 3)})  # D withheld
    c = run(core, a, b)
    dim = ("leadership", "now")
    row = next(r for r in c.table("sector-changes").rows() if (r["element"], r["mode"]) == dim)
    ma, mb = published_means(c, 0, dim), published_means(c, 1, dim)
    assert set(ma) == set("ABCD") and set(mb) == set("ABC")
    x, y = np.array([ma[o] for o in "ABC"]), np.array([mb[o] for o in "ABC"])
    want = stats.ttest_rel(y, x)
    assert row["test"] == "paired" and row["left_out"] == ["D"]  # withheld in the second wave: left out of both
    assert (row["n_from"], row["n_to"]) == (3, 3)
    assert row["mean_from"] == pytest.approx(x.mean()) and row["mean_to"] == pytest.approx(y.mean())
    assert (row["t"], row["df"], row["p"]) == (
        pytest.approx(want.statistic, rel=1e-9),
        pytest.approx(want.df),
        pytest.approx(want.pvalue, rel=1e-9),
    )
    ci = want.confidence_interval(0.95)
    assert (row["ci_low"], row["ci_high"]) == (pytest.approx(ci.low, rel=1e-9), pytest.approx(ci.high, rel=1e-9))
    assert row["label"] in ("improved", "no detectable change", "declined") and row["p_adjusted"] >= row["p"]
    assert all(r.ok for r in c.audit())
    # a sector row that counted the organisation the second wave withholds is found by the auditor
    doc = json.loads(c.to_json())
    table = doc["comparison"]["tables"]["sector-changes"]
    cols = table["columns"]
    i = next(i for i, r in enumerate(table["rows"]) if (r[cols.index("element")], r[cols.index("mode")]) == dim)
    true_d = b[b.organisation == "D"]["leadership.now"].mean()
    leaky = copy.deepcopy(doc)
    r = leaky["comparison"]["tables"]["sector-changes"]["rows"][i]
    r[cols.index("mean_to")] = float(np.mean([*y, true_d]))
    r[cols.index("n_to")] = 4
    assert validation.problems(leaky, "comparison") == []  # well formed, but ...
    reports = audit_comparison(leaky)
    assert not reports[0].ok and not reports[1].ok
    assert "unprotected derived figure" in str(reports[1]) and "organisation=D" in str(reports[1])
    assert "sector-changes row" in str(reports[1])


def test_sector_row_welch_when_no_organisation_persists(core: Registry) -> None:
    rng = np.random.default_rng(6)
    a = frame({o: people(rng, f"{o}a", 7) for o in ("A", "B", "C")})
    b = frame({o: people(rng, f"{o}b", 7) for o in ("D", "E")})
    c = run(core, a, b)
    dim = ("agility", "now")
    row = next(r for r in c.table("sector-changes").rows() if (r["element"], r["mode"]) == dim)
    x, y = np.array(list(published_means(c, 0, dim).values())), np.array(list(published_means(c, 1, dim).values()))
    want = stats.ttest_ind(y, x, equal_var=False)
    assert row["test"] == "welch" and (row["n_from"], row["n_to"]) == (3, 2) and row["left_out"] == []
    assert (row["t"], row["df"], row["p"]) == (
        pytest.approx(want.statistic, rel=1e-9),
        pytest.approx(want.df, rel=1e-9),
        pytest.approx(want.pvalue, rel=1e-9),
    )
    assert all(r.ok for r in c.audit())
    never = run(core, a, b, paired="never")
    assert {r["test"] for r in never.table("sector-changes").rows() if not r["suppressed"]} == {"welch"}


def test_identical_waves_give_no_sector_change(core: Registry) -> None:
    rng = np.random.default_rng(7)
    a = frame({o: people(rng, o, 6) for o in "ABC"})
    rows = [r for r in run(core, a, a.copy(), alpha=0.999).table("sector-changes").rows() if not r["suppressed"]]
    assert rows and all(r["change"] == 0 and r["p"] == 1.0 and r["label"] == "no detectable change" for r in rows)


def test_demo_sector_rows_leave_out_the_withheld_council(demo_waves: Comparison) -> None:
    rows = demo_waves.table("sector-changes").rows()
    assert len(rows) == 16 and all(r["left_out"] == ["Little Fenwick Council"] for r in rows)
    assert all(r["test"] == "paired" and r["n_from"] == 2 for r in rows)
    out = io.StringIO()
    assert main(["demo", "waves", "--no-plugins"], out) == 0
    assert "Sector (mean of organisation means); not in it: Little Fenwick Council" in out.getvalue()
    pytest.importorskip("matplotlib")
    from aspire_models.reports.trends import render_comparison

    md = render_comparison(demo_waves, fmt="md")
    assert "The sector: mean of organisation means" in md and "Not in it: Little Fenwick Council." in md


# -- the schema ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo_waves(core: Registry) -> Comparison:
    return compare(
        core,
        INS,
        [example_path("aspire-waves-2024.csv"), example_path("aspire-waves-2025.csv")],
        labels=["2024", "2025"],
    )


def _row(doc: dict[str, Any], table: str, suppressed: bool) -> tuple[list[Any], list[str]]:
    t = doc["comparison"]["tables"][table]
    return next(r for r in t["rows"] if r[t["columns"].index("suppressed")] is suppressed), t["columns"]


@pytest.mark.parametrize(
    ("what", "table", "suppressed", "column", "value", "rule"),
    [
        ("a change row without its interval", "changes", False, "ci_low", None, "type"),
        ("an unknown label", "changes", False, "label", "better", "enum"),
        ("an unknown test", "changes", False, "test", "t-test", "enum"),
        ("a p-value over 1", "changes", False, "p", 1.5, "maximum"),
        ("a withheld row with a figure", "changes", True, "change", 0.4, "type"),
        ("a sector row without its interval", "sector-changes", False, "ci_high", None, "type"),
        ("a sector row naming a partial overlap", "sector-changes", False, "test", "partial-overlap", "enum"),
    ],
)
def test_broken_documents_fail_validation(
    demo_waves: Comparison, what: str, table: str, suppressed: bool, column: str, value: Any, rule: str
) -> None:
    doc = json.loads(demo_waves.to_json())
    row, cols = _row(doc, table, suppressed)
    row[cols.index(column)] = value
    found = validation.problems(doc, "comparison")
    assert found, what
    assert any(p.rule.startswith(rule) and p.path and table in p.path and ".rows[" in p.path for p in found), found


def test_broken_document_shapes_fail_validation(demo_waves: Comparison) -> None:
    good = json.loads(demo_waves.to_json())
    cases = {
        "unknown key": lambda d: d.update(extra=1),
        "one wave": lambda d: d["waves"].pop(),
        "wave result without accounting": lambda d: d["waves"][0]["result"].pop("accounting"),
        "columns reordered": lambda d: d["comparison"]["tables"]["changes"]["columns"].reverse(),
        "a row too short": lambda d: d["comparison"]["tables"]["changes"]["rows"][0].pop(),
        "no sector table": lambda d: d["comparison"]["tables"].pop("sector-changes"),
        "unknown parameter": lambda d: d["comparison"]["params"].update(tails=2),
    }
    for what, breaks in cases.items():
        doc = copy.deepcopy(good)
        breaks(doc)
        assert validation.problems(doc, "comparison"), what


def test_cli_writes_a_valid_document_and_audit_checks_it(tmp_path: Path) -> None:
    w1, w2 = str(example_path("aspire-waves-2024.csv")), str(example_path("aspire-waves-2025.csv"))
    path = tmp_path / "c.json"
    assert main(["compare", "--no-plugins", "-i", INS, w1, w2, "-o", str(path), "--adjust", "bh"], io.StringIO()) == 0
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert validation.problems(doc, "comparison") == []
    assert main(["validate", "--no-plugins", str(path)], io.StringIO()) == 0  # recognised as a comparison
    doc["comparison"]["tables"]["changes"]["rows"][0].append("extra")
    path.write_text(json.dumps(doc), encoding="utf-8")
    assert main(["validate", "--no-plugins", str(path)], io.StringIO()) != 0
    assert main(["audit", str(path)], io.StringIO()) != 0  # refused by the schema before the audit


def test_the_schema_file_is_the_one_shipped() -> None:
    top = Path(__file__).parents[1] / "schemas" / "comparison.schema.json"
    assert json.loads(top.read_text(encoding="utf-8")) == validation.load_schema("comparison")
    assert validation.load_schema("comparison")["$id"] == "urn:aspire-models:schema:comparison:1"


def test_ids_in_the_same_order_or_shuffled_pair_the_same_people(core: Registry) -> None:
    """Matching respondent ids takes a shortcut when most ids sit at the same position in
    both waves; the rows are the same as when they are looked up by hash."""
    rng = np.random.default_rng(9)
    a1, b1 = panel(rng, 30, 2, 3, shift=0.5)
    a2, b2 = panel(rng, 8, 1, 1)
    a = frame({"A": [("A" + i, x) for i, x in a1], "B": [("B" + i, x) for i, x in a2]})
    b = frame({"A": [("A" + i, x) for i, x in b1], "B": [("B" + i, x) for i, x in b2]})
    aligned = run(core, a, b).table().rows()
    shuffled = run(core, a, b.sample(frac=1.0, random_state=3).reset_index(drop=True)).table().rows()
    assert {r["test"] for r in aligned if not r["suppressed"]} == {"partial-overlap"}
    for x, y in zip(aligned, shuffled, strict=True):
        if x["suppressed"]:
            assert y["suppressed"]
            continue
        assert x["test"] == y["test"] and x["t"] == pytest.approx(y["t"], rel=1e-9)
        assert x["df"] == pytest.approx(y["df"], rel=1e-9)
