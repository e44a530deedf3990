"""Confidence intervals on the report charts and in the tables that feed them.

The scorers' intervals (gap-priority's now, future and gap; benchmark's organisation mean;
the 360 group means) are checked against ``scipy.stats.t.interval`` on the same answers;
each chart's error bars are read back from the drawn figure (the artists whose ``gid``
starts with ``ci-``) and compared with the table's numbers; withheld rows and groups of one
draw no bar; the report tables (HTML, Markdown, Excel) show the intervals under headings in
words.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from aspire_models import Registry, Result, score, validation
from aspire_models.examples import example_path
from aspire_models.instrument import ScoringRule
from aspire_models.privacy import audit
from aspire_models.reports import charts as ch
from aspire_models.reports.model import Labels, report_data
from aspire_models.scorers.priority import INTERVAL_COLUMNS, paired_gap_interval

stats = pytest.importorskip("scipy.stats")
pytest.importorskip("matplotlib")

ELEMENTS = (
    "alignment",
    "shared-purpose",
    "leadership",
    "locus-of-engagement",
    "assessment-and-evaluation",
    "balancing-horizons",
    "agility",
    "capability-building",
)
SIZES = {"Council A": 6, "Council B": 7, "Council C": 6, "Council D": 8, "Council E": 6, "Council F": 5}
LEVEL = 0.9

Answers = list[dict[str, Any]]


def _answers(seed: int = 7, blank: tuple[str, str] | None = None) -> Answers:
    """Aspire self-assessment answers with spread between and within councils; ``blank``
    (organisation, column): the first such respondent leaves that answer out."""
    rng = np.random.default_rng(seed)
    rows: Answers = []
    i = 0
    for org, n in SIZES.items():
        base = int(rng.integers(3, 7))
        for _ in range(n):
            i += 1
            r: dict[str, Any] = {"respondent_id": f"R{i:03d}", "organisation": org}
            for e in ELEMENTS:
                now = int(np.clip(base + rng.integers(-2, 3), 1, 10))
                r[f"{e}.now"] = now
                r[f"{e}.future"] = int(np.clip(now + rng.integers(0, 4), 1, 10))
            rows.append(r)
    if blank is not None:
        org, column = blank
        next(r for r in rows if r["organisation"] == org)[column] = ""
    return rows


def _write(rows: Answers, path: Path) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return path


def _score(reg: Registry, rows: Answers, path: Path, *, min_group_size: int = 5, method: str = "aspire") -> Result:
    ins = reg.instrument("aspire-sop-self-assessment")
    return score(
        reg,
        ins,
        _write(rows, path),
        allow_missing_items=True,  # ratings only, no multiple-choice columns
        min_group_size=min_group_size,
        scorers=[
            ScoringRule("aggregate", {"confidence": LEVEL}),
            ScoringRule("gap-priority", {"method": method, "level": "organisation", "confidence": LEVEL}),
            ScoringRule("benchmark", {"confidence": LEVEL}),
        ],
    )


@pytest.fixture(scope="module")
def answers() -> Answers:
    return _answers()


@pytest.fixture(scope="module")
def result(core: Registry, answers: Answers, tmp_path_factory: pytest.TempPathFactory) -> Result:
    return _score(core, answers, tmp_path_factory.mktemp("ci") / "answers.csv")


@pytest.fixture(scope="module")
def labels(core: Registry, result: Result) -> Labels:
    return report_data(result, core).labels


def _values(rows: Answers, column: str, org: str | None = None) -> np.ndarray:
    out = [float(r[column]) for r in rows if (org is None or r["organisation"] == org) and r[column] != ""]
    return np.asarray(out)


def _gaps(rows: Answers, element: str, org: str) -> np.ndarray:
    mine = [r for r in rows if r["organisation"] == org and r[f"{element}.now"] != "" and r[f"{element}.future"] != ""]
    return np.asarray([float(r[f"{element}.future"]) - float(r[f"{element}.now"]) for r in mine])


def _t(values: np.ndarray, confidence: float = LEVEL) -> tuple[float, float]:
    lo, hi = stats.t.interval(confidence, len(values) - 1, loc=values.mean(), scale=stats.sem(values))
    return float(lo), float(hi)


def _org_means(rows: Answers, column: str) -> np.ndarray:
    return np.asarray([_values(rows, column, org).mean() for org in SIZES])


# -- the scorers' intervals against scipy ----------------------------------------------------------
def test_priority_intervals_equal_scipy(result: Result, answers: Answers) -> None:
    rows = {r["element"]: r for r in result.table("gap-priority", "priorities").rows()}
    sector = {(r["element"], r["mode"]): r for r in result.table("aggregate", "sector").rows()}
    assert set(rows) == set(ELEMENTS)
    for e in ELEMENTS:
        r = rows[e]
        now, fut = _org_means(answers, f"{e}.now"), _org_means(answers, f"{e}.future")
        assert (r["now_ci_low"], r["now_ci_high"]) == pytest.approx(_t(now), rel=1e-12)
        assert (r["future_ci_low"], r["future_ci_high"]) == pytest.approx(_t(fut), rel=1e-12)
        # the gap: paired by organisation (each organisation's future mean minus its now mean)
        assert (r["gap_ci_low"], r["gap_ci_high"]) == pytest.approx(_t(fut - now), rel=1e-12)
        assert r["gap_ci_low"] < r["gap"] < r["gap_ci_high"]
        # everyone answered both: the interval of the sector mean of the respondents' own gaps
        g = sector[(e, "gap")]
        assert (r["gap_ci_low"], r["gap_ci_high"]) == pytest.approx((g["ci_low"], g["ci_high"]), rel=1e-9)
        assert (r["now_ci_low"], r["now_ci_high"]) == (sector[(e, "now")]["ci_low"], sector[(e, "now")]["ci_high"])
    # the level is the scorer's confidence parameter: a 95% interval is wider
    r95 = _t(_org_means(answers, "leadership.now"), 0.95)
    assert r95[1] - r95[0] > rows["leadership"]["now_ci_high"] - rows["leadership"]["now_ci_low"]


def test_organisation_priority_intervals_equal_scipy(result: Result, answers: Answers) -> None:
    rows = result.table("gap-priority", "organisation-priorities").rows()
    assert len(rows) == len(SIZES) * len(ELEMENTS)
    for r in rows:
        org, e = r["organisation"], r["element"]
        assert (r["now_ci_low"], r["now_ci_high"]) == pytest.approx(_t(_values(answers, f"{e}.now", org)), rel=1e-9)
        assert (r["future_ci_low"], r["future_ci_high"]) == pytest.approx(
            _t(_values(answers, f"{e}.future", org)), rel=1e-9
        )
        # the paired interval of the respondents' own gaps (scipy's t on the differences)
        assert (r["gap_ci_low"], r["gap_ci_high"]) == pytest.approx(_t(_gaps(answers, e, org)), rel=1e-9, abs=1e-12)


def test_benchmark_interval_equals_scipy(result: Result, answers: Answers) -> None:
    rows = result.table("benchmark", "benchmarks").rows()
    assert {r["mode"] for r in rows} == {"now", "future", "gap"}
    for r in rows:
        org, e, mode = r["organisation"], r["element"], r["mode"]
        values = _gaps(answers, e, org) if mode == "gap" else _values(answers, f"{e}.{mode}", org)
        assert r["score"] == pytest.approx(values.mean(), rel=1e-12)
        assert (r["ci_low"], r["ci_high"]) == pytest.approx(_t(values), rel=1e-9, abs=1e-12)


def test_paired_gap_interval_needs_pairs() -> None:
    now, fut = np.array([5.0, 6.0, 7.5, 4.0]), np.array([7.0, 6.5, 9.0, 6.0])
    assert paired_gap_interval(now, fut, 0.95) == pytest.approx(_t(fut - now, 0.95), rel=1e-12)
    # one unit with a future rating and no now rating: the gap is no mean of pairs
    assert all(math.isnan(v) for v in paired_gap_interval([5.0, math.nan, 7.0], [6.0, 7.0, 8.0]))
    assert all(math.isnan(v) for v in paired_gap_interval([5.0], [6.0]))  # one pair: no spread


def test_unpaired_organisation_gap_has_no_interval(core: Registry, tmp_path: Path) -> None:
    rows = _answers(blank=("Council B", "agility.future"))
    res = _score(core, rows, tmp_path / "a.csv", min_group_size=3)
    r = next(
        x
        for x in res.table("gap-priority", "organisation-priorities").rows()
        if (x["organisation"], x["element"]) == ("Council B", "agility")
    )
    assert r["gap"] is not None and r["gap_ci_low"] is None and r["gap_ci_high"] is None
    assert (r["now_ci_low"], r["now_ci_high"]) == pytest.approx(_t(_values(rows, "agility.now", "Council B")))
    assert (r["future_ci_low"], r["future_ci_high"]) == pytest.approx(
        _t(_values(rows, "agility.future", "Council B")), rel=1e-9
    )


def test_sector_with_withheld_members_publishes_no_interval(core: Registry, tmp_path: Path) -> None:
    # every council is under min_group_size 9 but together they are many: the sector is made of
    # withheld councils, so the spread of their means (and the intervals) would single one out
    res = _score(core, _answers(), tmp_path / "a.csv", min_group_size=9)
    rows = res.table("gap-priority", "priorities").rows()
    assert all(r["now"] is not None for r in rows)
    assert all(r[c] is None for r in rows for c in INTERVAL_COLUMNS)
    assert all(r["ci_low"] is None for r in res.table("aggregate", "sector").rows())  # as the sector table


def test_withheld_cells_take_their_intervals_with_them(core: Registry, tmp_path: Path) -> None:
    # Council F has 5 respondents; one leaves alignment (now) out: 4 people, under 5
    res = _score(core, _answers(blank=("Council F", "alignment.now")), tmp_path / "a.csv")
    bench = res.table("benchmark", "benchmarks").rows()
    hidden = next(r for r in bench if (r["organisation"], r["element"], r["mode"]) == ("Council F", "alignment", "now"))
    assert hidden["score"] is None and hidden["ci_low"] is None and hidden["ci_high"] is None
    prio = res.table("gap-priority", "organisation-priorities").rows()
    row = next(r for r in prio if (r["organisation"], r["element"]) == ("Council F", "alignment"))
    assert row["now"] is None and all(row[c] is None for c in INTERVAL_COLUMNS)
    shown = [r for r in bench if r["score"] is not None]
    assert shown and all(r["ci_low"] is not None for r in shown)
    # the declarations that make it so, and the auditor finds nothing left behind
    for scorer, name in (("benchmark", "benchmarks"), ("gap-priority", "priorities")):
        cells = res.table(scorer, name).cells
        assert cells is not None
        cols = ("ci_low", "ci_high") if scorer == "benchmark" else INTERVAL_COLUMNS
        assert set(cols) <= set(cells.values)
    assert audit(res).ok


def test_result_with_intervals_is_valid(result: Result) -> None:
    doc = result.to_dict()
    validation.check(doc, "result", source="test")
    out = next(o for o in doc["outputs"] if o["scorer"] == "gap-priority")
    assert set(INTERVAL_COLUMNS) <= set(out["tables"]["priorities"]["columns"])


def test_all_others_sd_and_interval_are_those_of_the_pooled_raters() -> None:
    from aspire_models.stats.review360 import review360

    rng = np.random.default_rng(3)
    scores = rng.integers(1, 6, size=(14, 2)).astype(float)
    scores[4, 1] = np.nan
    groups = ["self", "line-manager"] + ["peer"] * 4 + ["direct-report"] * 4 + ["stakeholder"] * 4
    rep = review360(scores, ["a"] * 14, groups, ["x", "y"]).subject("a")
    for b, name in enumerate(("x", "y")):
        pooled = scores[1:, b][~np.isnan(scores[1:, b])]  # every rater but the subject
        others = rep.get(name, "all-others")
        assert (others.n, others.mean) == (len(pooled), pytest.approx(pooled.mean()))
        assert others.sd == pytest.approx(pooled.std(ddof=1), rel=1e-12)
    # withheld (differencing: a suppressed group of 2 in the pool): no spread either
    small = ["self", "line-manager"] + ["peer"] * 10 + ["direct-report"] * 2
    rep = review360(scores, ["a"] * 14, small, ["x", "y"]).subject("a")
    assert rep.get("x", "all-others").suppressed and rep.get("x", "all-others").sd is None


def test_all_others_interval_in_the_360_table(review: Result) -> None:
    rows = [r for r in review.table("review-360", "groups").rows() if r["group"] == "all-others"]
    shown = [r for r in rows if not r["suppressed"]]
    assert shown
    for r in shown:
        lo, hi = stats.t.interval(LEVEL, r["n"] - 1, loc=r["mean"], scale=r["sd"] / math.sqrt(r["n"]))
        assert (r["ci_low"], r["ci_high"]) == pytest.approx((lo, hi), rel=1e-12)
    assert all(r["sd"] is None and r["ci_low"] is None for r in rows if r["suppressed"])


# -- the charts draw the table's intervals ------------------------------------------------------------
@pytest.fixture()
def figures(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Every figure a chart function draws, kept for inspection."""
    kept: list[Any] = []
    svg = ch._svg

    def keep(fig: Any, chart_id: str) -> str:
        kept.append(fig)
        return svg(fig, chart_id)

    monkeypatch.setattr(ch, "_svg", keep)
    yield kept


def bars(fig: Any) -> dict[str, list[tuple[float, float, float, float]]]:
    """The drawn error bars by gid: each segment as (x0, y0, x1, y1) in data coordinates."""
    from matplotlib.collections import LineCollection

    out: dict[str, list[tuple[float, float, float, float]]] = {}
    for art in fig.findobj(LineCollection):
        gid = art.get_gid() or ""
        if gid.startswith("ci-"):
            segs = [tuple(float(v) for v in np.asarray(s).ravel()) for s in art.get_segments()]
            out.setdefault(gid, []).extend(segs)  # type: ignore[arg-type]
    return out


def _ends(segs: Sequence[tuple[float, float, float, float]], *, horizontal: bool) -> list[tuple[float, float]]:
    return [(s[0], s[2]) if horizontal else (s[1], s[3]) for s in segs]


def _flat(pairs: Sequence[tuple[float, float]]) -> list[float]:
    return [v for pair in pairs for v in pair]


def approx_pairs(pairs: Sequence[tuple[float, float]]) -> Any:
    return pytest.approx(_flat(pairs))


def _expected(rows: Sequence[Mapping[str, Any]], low: str, high: str) -> list[tuple[float, float]]:
    return [(r[low], r[high]) for r in rows if r.get(low) is not None and not r.get("suppressed")]


def _charted(result: Result) -> list[dict[str, Any]]:
    return result.table("gap-priority", "priorities").rows()


def test_radar_draws_now_and_future_intervals(result: Result, labels: Labels, figures: list[Any]) -> None:
    rows = _charted(result)
    chart = ch.radar("t1", rows, labels, confidence=LEVEL)
    drawn = bars(figures[-1])
    for v in ("now", "future"):
        want = _expected(rows, f"{v}_ci_low", f"{v}_ci_high")
        assert len(want) == len(ELEMENTS)
        assert _flat(_ends(drawn[f"ci-{v}"], horizontal=False)) == approx_pairs(want)  # radial: r from low to high
        assert f'id="t1-ci-{v}"' in chart.svg
    assert "90% confidence interval" in chart.svg  # the legend
    assert "90% confidence interval" in chart.title and "90% confidence interval" in chart.description
    r = rows[0]
    assert f"now {r['now']:.2f} (interval {r['now_ci_low']:.2f} to {r['now_ci_high']:.2f})" in chart.description


def test_radar_draws_no_bar_for_a_withheld_row_or_none(result: Result, labels: Labels, figures: list[Any]) -> None:
    rows = _charted(result)
    rows[0] = {**rows[0], "suppressed": True}  # withheld (even were its interval left in)
    rows[1] = {**rows[1], "now_ci_low": None, "now_ci_high": None}  # no interval (n < 2)
    chart = ch.radar("t1", rows, labels, confidence=LEVEL)
    drawn = bars(figures[-1])
    assert len(drawn["ci-now"]) == len(ELEMENTS) - 2 and len(drawn["ci-future"]) == len(ELEMENTS) - 1
    assert (rows[0]["now_ci_low"], rows[0]["now_ci_high"]) not in _ends(drawn["ci-now"], horizontal=False)
    assert _flat(_ends(drawn["ci-future"], horizontal=False)) == approx_pairs(
        _expected(rows, "future_ci_low", "future_ci_high")
    )
    first = labels.element(rows[0]["element"])
    assert f"{first}: now {rows[0]['now']:.2f}, future" in chart.description
    # nothing to draw: no legend entry, no words about intervals
    bare = [{k: v for k, v in r.items() if k not in INTERVAL_COLUMNS} for r in rows]
    chart = ch.radar("t2", bare, labels, confidence=LEVEL)
    assert not bars(figures[-1]) and "confidence interval" not in chart.svg + chart.title + chart.description


def test_gap_bars_draw_the_gap_intervals(result: Result, labels: Labels, figures: list[Any]) -> None:
    rows = _charted(result)
    chart = ch.gap_bars("t1", rows, labels, confidence=LEVEL)
    ordered = sorted(rows, key=lambda r: (r["rank"] is None, r["rank"] or 0))
    drawn = bars(figures[-1])["ci-gap"]
    assert _flat(_ends(drawn, horizontal=True)) == approx_pairs(_expected(ordered, "gap_ci_low", "gap_ci_high"))
    assert [s[1] for s in drawn] == list(range(len(ordered)))  # each bar on its own theme's row
    assert "90% confidence interval" in chart.svg and "90% confidence interval" in chart.description
    rows[2] = {**rows[2], "suppressed": True}
    ch.gap_bars("t2", rows, labels, confidence=LEVEL)
    assert len(bars(figures[-1])["ci-gap"]) == len(rows) - 1


@pytest.mark.parametrize(("method", "x", "y"), [("aspire", "future", "gap"), ("ipa", "now", "future")])
def test_priority_matrix_draws_both_coordinates_intervals(
    core: Registry, answers: Answers, tmp_path: Path, method: str, x: str, y: str, figures: list[Any]
) -> None:
    res = _score(core, answers, tmp_path / "a.csv", method=method)
    rows = _charted(res)
    labels = report_data(res, core).labels
    chart = ch.priority_matrix("t1", rows, {"method": method, "confidence": LEVEL}, labels)
    drawn = bars(figures[-1])
    assert _flat(_ends(drawn["ci-x"], horizontal=True)) == approx_pairs(_expected(rows, f"{x}_ci_low", f"{x}_ci_high"))
    assert [s[1] for s in drawn["ci-x"]] == pytest.approx([r[y] for r in rows])  # at the point's height
    assert _flat(_ends(drawn["ci-y"], horizontal=False)) == approx_pairs(_expected(rows, f"{y}_ci_low", f"{y}_ci_high"))
    assert [s[0] for s in drawn["ci-y"]] == pytest.approx([r[x] for r in rows])
    assert "90% confidence interval" in chart.svg and "90% confidence interval" in chart.title
    rows[0] = {**rows[0], "suppressed": True}
    ch.priority_matrix("t2", rows, {"method": method, "confidence": LEVEL}, labels)
    assert len(bars(figures[-1])["ci-x"]) == len(rows) - 1


def test_benchmark_chart_draws_the_organisation_intervals(result: Result, labels: Labels, figures: list[Any]) -> None:
    rows = result.table("benchmark", "benchmarks").rows()
    chart = ch.benchmark_chart("t1", "Council A", rows, labels, confidence=LEVEL)
    drawn = bars(figures[-1])
    mine = [r for r in rows if r["organisation"] == "Council A"]
    for panel, mode in enumerate(("now", "future", "gap")):
        want = [(r["ci_low"], r["ci_high"]) for r in mine if r["mode"] == mode]
        assert _flat(_ends(drawn[f"ci-score-{panel}"], horizontal=True)) == approx_pairs(want)
    assert "Council A: 90% confidence interval" in chart.svg
    r = mine[0]
    assert f"{r['score']:.2f} (interval {r['ci_low']:.2f} to {r['ci_high']:.2f})" in chart.description
    # a withheld row (as the disclosure step leaves it) and a suppressed one draw nothing
    rows2 = [dict(x) for x in rows]
    for x in rows2:
        if x["organisation"] == "Council A" and x["mode"] == "now":
            x.update(score=None, ci_low=None, ci_high=None)
        if x["organisation"] == "Council A" and x["mode"] == "gap":
            x["suppressed"] = True
    ch.benchmark_chart("t2", "Council A", rows2, labels, confidence=LEVEL)
    drawn = bars(figures[-1])
    assert set(drawn) == {"ci-score-1"}


def test_benchmark_bars_are_cut_at_the_scale_without_a_cap(labels: Labels, figures: list[Any]) -> None:
    rows = [
        {
            "organisation": o,
            "element": "alignment",
            "mode": "now",
            "n": 2,
            "score": s,
            "ci_low": s - 9,
            "ci_high": s + 1,
        }
        | {"reference_n": 3, "reference_mean": 6.0, "reference_sd": 1.0, "z": 0.0, "percentile_rank": 50.0}
        for o, s in (("A", 5.0), ("B", 6.0), ("C", 7.0))
    ]
    chart = ch.benchmark_chart("t1", "A", rows, labels)
    ((lo, hi),) = _ends(bars(figures[-1])["ci-score-0"], horizontal=True)
    assert lo == pytest.approx(0.5) and hi == pytest.approx(6.0)  # the scale is 1-10: cut at 0.5
    assert "(interval -4.00 to 6.00)" in chart.description  # the words keep the interval's real ends


@pytest.fixture(scope="module")
def review(core: Registry) -> Result:
    return score(
        core,
        "hrbp360-review",
        example_path("hrbp360-responses.csv"),
        params={"review-360": {"confidence": LEVEL}, "review-360-team": {"confidence": LEVEL}},
    )


def _clipped(want: list[tuple[float, float]], lo: float, hi: float) -> list[tuple[float, float]]:
    return [(max(a, lo - 0.1), min(b, hi + 0.1)) for a, b in want]


def test_profile_360_draws_each_group_interval(core: Registry, review: Result, figures: list[Any]) -> None:
    labels = report_data(review, core).labels
    assert labels.scale is not None
    groups = [r for r in review.table("review-360", "groups").rows() if r["subject"] == "HRBP-01"]
    summary = [r for r in review.table("review-360", "summary").rows() if r["subject"] == "HRBP-01"]
    chart = ch.profile_360("t1", "HRBP-01", groups, summary, labels, confidence=LEVEL)
    drawn = bars(figures[-1])
    order = [g for g in dict.fromkeys(r["group"] for r in groups) if g not in ("self", "all-others")]
    for i, g in enumerate(order):
        want = _expected([r for r in groups if r["group"] == g], "ci_low", "ci_high")
        if want:
            assert _flat(_ends(drawn[f"ci-{i}"], horizontal=True)) == approx_pairs(_clipped(want, *labels.scale))
        else:  # a group of one (the line manager): no interval, no bar
            assert f"ci-{i}" not in drawn
    assert "ci-self" not in drawn  # the subject's own rating: one person
    others = _expected([r for r in groups if r["group"] == "all-others"], "ci_low", "ci_high")
    assert len(others) == len(summary)
    assert _flat(_ends(drawn["ci-all-others"], horizontal=True)) == approx_pairs(_clipped(others, *labels.scale))
    assert "90% confidence interval" in chart.svg and "90% confidence interval" in chart.title
    peer = next(r for r in groups if r["group"] == "peer")
    assert f"Peer {peer['mean']:.2f} (interval {peer['ci_low']:.2f} to {peer['ci_high']:.2f})" in chart.description
    # a withheld group draws no bar, even were its interval left in the row
    hidden = [{**r, "suppressed": True} if r["group"] == "peer" else r for r in groups]
    ch.profile_360("t2", "HRBP-01", hidden, summary, labels, confidence=LEVEL)
    assert f"ci-{order.index('peer')}" not in bars(figures[-1])


def test_team_profile_draws_each_group_interval(core: Registry, review: Result, figures: list[Any]) -> None:
    labels = report_data(review, core).labels
    assert labels.scale is not None
    rows = [r for r in review.table("review-360-team", "teams").rows() if r["team"] == "Team North"]
    chart = ch.team_profile("t1", "Team North", rows, labels, confidence=LEVEL)
    drawn = bars(figures[-1])
    groups = list(dict.fromkeys(r["group"] for r in rows))
    assert drawn
    for i, g in enumerate(groups):
        want = _expected([r for r in rows if r["group"] == g], "ci_low", "ci_high")
        if want:
            assert _flat(_ends(drawn[f"ci-{i}"], horizontal=True)) == approx_pairs(_clipped(want, *labels.scale))
    assert "90% confidence interval" in chart.svg and "90% confidence interval" in chart.description
    hidden = [{**r, "suppressed": True} if r["group"] == groups[0] else r for r in rows]
    ch.team_profile("t2", "Team North", hidden, labels, confidence=LEVEL)
    assert set(bars(figures[-1])) == set(drawn) - {"ci-0"}


# -- report tables -------------------------------------------------------------------------------------
def test_report_tables_show_the_intervals(core: Registry, result: Result, review: Result, tmp_path: Path) -> None:
    from aspire_models.reports import render_html, render_markdown, write_excel

    prio = next(r for r in _charted(result) if r["element"] == "leadership")
    want = f"{prio['now_ci_low']:.2f} – {prio['now_ci_high']:.2f}"
    md = render_markdown([result], core)
    assert "| Now | Now interval | Future | Future interval | Gap | Gap interval |" in md
    assert want in md
    html = render_html([result, review], core)
    assert "<th>Now interval</th>" in html or ">Now interval<" in html
    assert want in html
    bench = next(
        r
        for r in result.table("benchmark", "benchmarks").rows()
        if (r["organisation"], r["element"], r["mode"]) == ("Council A", "leadership", "now")
    )
    assert f"{bench['score']:.2f} ({bench['ci_low']:.2f} – {bench['ci_high']:.2f})" in md
    peer = next(r for r in review.table("review-360", "groups").rows() if r["group"] == "peer")
    assert f"{peer['mean']:.2f} (n={peer['n']}; {peer['ci_low']:.2f} – {peer['ci_high']:.2f})" in html
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.load_workbook(write_excel([result], tmp_path / "r.xlsx", core))
    sheet = book["gap-priority priorities"]
    heads = [c.value for c in sheet[1]]
    assert {"Now CI low", "Now CI high", "Future CI low", "Future CI high", "Gap CI low", "Gap CI high"} <= set(heads)
    leadership = next(row for row in sheet.iter_rows(min_row=2, values_only=True) if row[0] == "Leadership")
    assert leadership[heads.index("Now CI low")] == pytest.approx(prio["now_ci_low"])
