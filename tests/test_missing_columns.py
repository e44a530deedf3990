"""A response file missing a whole answer column of the instrument is an error, naming the
column (with a did-you-mean among the file's unknown columns), unless the item is optional
or the run allows missing items; then the dimension is reported as not measured in every
table, the priorities and the reports, never as a low score."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pytest

from aspire_models import Registry, ResponseError, load_responses, score
from aspire_models.checks import check_instrument
from aspire_models.examples import example_path
from aspire_models.instrument import Instrument
from aspire_models.measured import not_measured
from tests.test_cli import run

REG = Registry(entry_points=False)
SOP = REG.instrument("aspire-sop-self-assessment")
GONE = "shared-purpose.future"


def example_rows() -> list[dict[str, str]]:
    with example_path("aspire-sop-responses.csv").open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def frame_without(*columns: str) -> pd.DataFrame:
    return pd.DataFrame(example_rows()).drop(columns=list(columns))


def csv_without(tmp_path: Path, column: str, rename: str | None = None) -> Path:
    rows = example_rows()
    names = [n for n in rows[0] if n != column or rename]
    path = tmp_path / "responses.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow([rename if n == column else n for n in names])
        for r in rows:
            w.writerow([r[n] for n in names])
    return path


# -- the error ----------------------------------------------------------------------------
def test_cli_exit_1_naming_the_missing_column(tmp_path: Path) -> None:
    path = csv_without(tmp_path, GONE)
    r = run("score", "-i", SOP.id, str(path), "--no-plugins", "-q")
    assert r.returncode == 1, r.stdout
    assert f"column {GONE!r}" in r.stderr and "rule: missing-column" in r.stderr and str(path) in r.stderr
    assert "Traceback" not in r.stderr and "did you mean" not in r.stderr


def test_cli_did_you_mean_a_near_miss(tmp_path: Path) -> None:
    path = csv_without(tmp_path, GONE, rename="Shared-Purpose.Futur")
    r = run("score", "-i", SOP.id, str(path), "--no-plugins", "-q")
    assert r.returncode == 1
    assert f"column {GONE!r}" in r.stderr and "did you mean the file's column 'Shared-Purpose.Futur'" in r.stderr


@pytest.mark.parametrize("form", ["csv", "frame", "arrow", "records", "json"])
def test_every_reader_refuses_a_missing_column(form: str, tmp_path: Path) -> None:
    df = frame_without(GONE, "leadership.now")
    data: Any = {
        "csv": None,
        "frame": df,
        "arrow": pa.Table.from_pandas(df, preserve_index=False),
        "records": df.to_dict("records"),
        "json": None,
    }[form]
    if form == "csv":
        data = tmp_path / "r.csv"
        df.to_csv(data, index=False)
    elif form == "json":
        data = tmp_path / "r.json"
        data.write_text(json.dumps(df.to_dict("records")))
    with pytest.raises(ResponseError) as exc:
        load_responses(SOP, data)
    found = [(p.rule, p.field) for p in exc.value.problems]
    assert found == [("missing-column", GONE), ("missing-column", "leadership.now")]  # instrument order


def test_a_records_field_given_as_null_is_not_missing() -> None:
    records: list[dict[str, Any]] = frame_without().to_dict("records")
    for rec in records:
        rec[GONE] = None
    rs = load_responses(SOP, records)
    assert rs.missing_columns == () and rs.n_accepted == len(records)
    del records[0][GONE]  # one record leaving it out is a missing answer, not a missing column
    assert load_responses(SOP, records).missing_columns == ()


# -- optional items -------------------------------------------------------------------------
def optional_sop() -> Instrument:
    doc = SOP.to_dict()
    for item in doc["items"]:
        if item["id"] == "shared-purpose":
            item["optional"] = True
    ins = check_instrument(Instrument.from_dict(doc), REG.frameworks, REG.scorers)
    assert ins.item("shared-purpose").optional and ins.to_dict() == doc
    return ins


def test_an_optional_item_may_be_left_out() -> None:
    ins = optional_sop()
    rs = load_responses(ins, frame_without(GONE))
    assert rs.missing_columns == (GONE,)
    assert any("optional" in w and GONE in w for w in rs.warnings)
    with pytest.raises(ResponseError) as exc:  # optional is per item: the others are still required
        load_responses(ins, frame_without(GONE, "agility.now"))
    assert [p.field for p in exc.value.problems] == ["agility.now"]
    result = score(REG, ins, frame_without(GONE))
    prio = {r["element"]: r for r in result.table("gap-priority", "priorities").rows()}
    assert prio["shared-purpose"]["class"] == "not-measured"


# -- allowed: not measured, everywhere ------------------------------------------------------
def test_not_measured_dimensions() -> None:
    assert not_measured(SOP, [GONE]) == {("shared-purpose", "future"): (GONE,)}
    assert not_measured(SOP, []) == {}
    ulrich = REG.instrument("ulrich-hr-competency-self-assessment")
    first = ulrich.numeric_columns()[0]
    element = ulrich.item(first.item).element
    same = [c.name for c in ulrich.numeric_columns() if ulrich.item(c.item).element == element]
    assert len(same) > 1
    assert not_measured(ulrich, same[:1]) == {}  # the other items still measure it
    assert not_measured(ulrich, same) == {(element, first.mode): tuple(same)}


@pytest.fixture(scope="module")
def allowed() -> Any:
    return score(REG, SOP, frame_without(GONE), allow_missing_items=True)


def test_allowed_run_says_so(allowed: Any) -> None:
    assert any(GONE in w and "allow_missing_items" in w for w in allowed.warnings)
    assert allowed.accounting.input == allowed.accounting.accepted == len(example_rows())


def test_priorities_leave_it_out_with_the_reason(allowed: Any) -> None:
    prio = {r["element"]: r for r in allowed.table("gap-priority", "priorities").rows()}
    sp = prio["shared-purpose"]
    assert sp["class"] == "not-measured" and sp["rank"] is None and sp["gap"] is None and not sp["focus"]
    assert "not measured" in sp["reason"] and GONE in sp["reason"]
    assert all(r["class"] != "not-measured" for e, r in prio.items() if e != "shared-purpose")
    summary = allowed.output("gap-priority").summary
    for key in ("key_priorities", "quick_wins", "focus", "largest_gap"):
        assert "shared-purpose" not in summary[key]
    assert summary["not_measured"] == [{"element": "shared-purpose", "mode": "future", "columns": [GONE]}]


def test_aggregates_are_empty_and_noted(allowed: Any) -> None:
    sector = {(r["element"], r["mode"]): r for r in allowed.table("aggregate", "sector").rows()}
    assert sector[("shared-purpose", "future")]["mean"] is None
    assert sector[("shared-purpose", "gap")]["mean"] is None
    assert sector[("shared-purpose", "now")]["mean"] is not None
    for scorer in ("dimension-scores", "aggregate", "gap-priority"):
        out = allowed.output(scorer)
        assert any(n.startswith("not measured: shared-purpose (future)") for n in out.notes), scorer
    assert allowed.output("multi-select-frequencies").notes == ()  # not about dimensions
    doc = json.loads(allowed.to_json())
    assert any("not measured" in n for o in doc["outputs"] for n in o["notes"])


def test_the_report_says_not_measured(allowed: Any) -> None:
    from aspire_models.reports import render_markdown
    from aspire_models.reports.document import TableBlock, build_report, expected_charts
    from aspire_models.reports.model import report_data

    data = report_data(allowed, REG)
    report = build_report([data], charts=False)
    text = render_markdown(allowed, REG)
    sector = next(ln for ln in text.splitlines() if ln.startswith("| Shared purpose |"))
    assert sector.count("not measured") == 6  # future mean, interval and range; gap mean, interval and range
    assert "| Not measured |" in text and "so not charted or ranked: Shared purpose" in text
    tables: dict[str, Any] = {}

    def walk(sections: Any) -> None:
        for sec in sections:
            for b in sec.blocks:
                if isinstance(b, TableBlock):
                    tables[b.title] = b
            walk(sec.children)

    walk(report.sections)
    sector = tables["Themes across all organisations"]
    row = next(r for r in sector.rows if r[0].text == "Shared purpose")
    assert [c.text for c in row].count("not measured") == 6
    prio = tables["Priorities"]
    row = next(r for r in prio.rows if r[1].text == "Shared purpose")
    assert "Not measured" in [c.text for c in row] and row[0].text == "–"
    assert expected_charts([data]) == expected_charts([report_data(score(REG, SOP, frame_without()), REG)])


def test_the_charts_leave_it_out(allowed: Any) -> None:
    pytest.importorskip("matplotlib")
    from aspire_models.reports import render_html

    def charts(html: str) -> list[str]:
        return [c.split("</svg>")[0] for c in html.split("<svg")[1:]]

    full = charts(render_html(score(REG, SOP, frame_without()), REG))
    assert len(full) == 3 and all("Shared purpose" in c for c in full)  # (the names are text in the SVG)
    html = render_html(allowed, REG)
    assert "not measured" in html
    left = charts(html)
    assert len(left) == 3 and all("Shared purpose" not in c and "Leadership" in c for c in left)


def test_cli_allow_missing_items(tmp_path: Path) -> None:
    path = csv_without(tmp_path, GONE)
    out = tmp_path / "result.json"
    r = run("score", "-i", SOP.id, str(path), "--no-plugins", "-q", "--allow-missing-items", "-o", str(out))
    assert r.returncode == 0, r.stderr
    doc = json.loads(out.read_text())
    gp = next(o for o in doc["outputs"] if o["scorer"] == "gap-priority")
    t = gp["tables"]["priorities"]
    rows = [dict(zip(t["columns"], row, strict=True)) for row in t["rows"]]
    assert next(r for r in rows if r["element"] == "shared-purpose")["class"] == "not-measured"


def test_a_360_behaviour_not_measured() -> None:
    ins = REG.instrument("hrbp360-review")
    element = ins.item(ins.numeric_columns()[0].item).element
    gone = [c.name for c in ins.numeric_columns() if ins.item(c.item).element == element]
    df = pd.read_csv(example_path("hrbp360-responses.csv"), dtype=str).drop(columns=gone)
    with pytest.raises(ResponseError) as exc:
        score(REG, ins, df)
    assert [p.field for p in exc.value.problems] == gone
    result = score(REG, ins, df, allow_missing_items=True)
    rows = [r for r in result.table("review-360", "summary").rows() if r["behaviour"] == element]
    assert rows and all(r["classification"] == "not-measured" and r["rank"] is None for r in rows)
    others = [r for r in result.table("review-360", "summary").rows() if r["behaviour"] != element]
    assert all(r["classification"] != "not-measured" for r in others)
    assert sum(n.startswith(f"not measured: {element}") for n in result.output("review-360").notes) == 1
