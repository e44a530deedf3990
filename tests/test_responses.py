"""Reading and validating responses: named errors, nothing lost, exact accounting."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from aspire_models import Registry, ResponseError, load_responses
from aspire_models.examples import example_path

HEADER = "respondent_id,organisation,leadership.now,leadership.future,hr-tools-used"


@pytest.fixture()
def sop(core: Registry):  # type: ignore[no-untyped-def]
    return core.instrument("aspire-sop-self-assessment")


def write(tmp_path: Path, text: str, name: str = "r.csv") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_bad_rows_are_rejected_with_reasons_and_others_kept(sop, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    p = write(
        tmp_path,
        "\n".join(
            [
                HEADER,
                "a,C1,7,9,employee-relations",
                "b,C1,11,9,",  # out of range
                "c,C1,seven,9,",  # text in a numeric item
                "a,C2,5,6,",  # duplicated respondent id
                "d,C2,5,6,astrology",  # unknown option
                "e,,5,6,",  # blank organisation
                "f,C2,7.5,6,",  # not a whole number
                "g,C2, 6 ,7.0,",  # lenient: spaces and 7.0
                "h,C2,,,",  # all missing: accepted, scores missing
            ]
        )
        + "\n",
    )
    rs = load_responses(sop, p, allow_missing_items=True)
    assert rs.n_input == 9 and rs.n_accepted == 3 and rs.n_rejected == 6
    assert rs.n_accepted + rs.n_rejected == rs.n_input
    assert list(rs.respondent_id) == ["a", "g", "h"]
    found = {r.row: [(pr.field, pr.rule, pr.value) for pr in r.problems] for r in rs.rejected}
    assert found[2] == [("leadership.now", "maximum", "11")]
    assert found[3] == [("leadership.now", "type", "seven")]
    assert found[4] == [("respondent_id", "unique", "a")]
    assert found[5] == [("hr-tools-used", "enum", "astrology")]
    assert found[6] == [("organisation", "required", None)]
    assert found[7] == [("leadership.now", "integer", "7.5")]
    msg = str(rs.rejected[0].problems[0])
    assert str(p) in msg and "row 2" in msg and "column 'leadership.now'" in msg and "rule: maximum" in msg


def test_several_problems_in_one_row_are_all_listed(sop, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    p = write(tmp_path, HEADER + "\nx,C1,0,99,nope\n")
    [rej] = load_responses(sop, p, allow_missing_items=True).rejected
    assert sorted(pr.rule for pr in rej.problems) == ["enum", "maximum", "minimum"]


def test_empty_file(sop, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ResponseError, match="empty"):
        load_responses(sop, write(tmp_path, ""), allow_missing_items=True)
    with pytest.raises(ResponseError, match="no data rows"):
        load_responses(sop, write(tmp_path, HEADER + "\n"), allow_missing_items=True)


def test_unknown_column_is_named_with_suggestion(sop, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    p = write(tmp_path, "respondent_id,organisation,leadership.now,leadership.nwo\na,C,5,5\n")
    with pytest.raises(ResponseError) as exc:
        load_responses(sop, p, allow_missing_items=True)
    [prob] = exc.value.problems
    assert prob.field == "leadership.nwo" and prob.rule == "known-column"
    assert "did you mean 'leadership.now'" in str(prob)
    rs = load_responses(
        sop,
        write(tmp_path, "respondent_id,organisation,leadership.now,extra\na,C,5,x\n"),
        extra_columns="ignore",
        allow_missing_items=True,
    )
    assert rs.n_accepted == 1 and "extra" in rs.warnings[0]


def test_wrong_instrument(core: Registry, sop) -> None:  # type: ignore[no-untyped-def]
    ulrich_csv_header = ",".join(
        ["respondent_id", "organisation"]
        + [c.name for c in core.instrument("ulrich-hr-competency-self-assessment").columns()]
    )
    with pytest.raises(ResponseError) as exc:
        load_responses(sop, _tmp(ulrich_csv_header + "\n"))
    assert {p.rule for p in exc.value.problems} >= {"known-column", "answer-columns"}


def _tmp(text: str) -> Path:
    import tempfile

    with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as fd:
        fd.write(text + "a,C" + "\n")
    return Path(fd.name)


def test_duplicate_header(sop, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ResponseError, match="appears twice"):
        load_responses(sop, write(tmp_path, "respondent_id,leadership.now,leadership.now\na,1,2\n"))


def test_csv_json_and_dataframe_agree(sop, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    path = example_path("aspire-sop-responses.csv")
    from_csv = load_responses(sop, path)
    import csv

    with path.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    from_df = load_responses(sop, pd.DataFrame(rows))
    records = [{k: v for k, v in r.items() if v != ""} for r in rows]
    for r in records:
        for k in ("hr-tools-used", "hr-tools-needed", "hr-tools-barriers"):
            if k in r:
                r[k] = r[k].split(";")
    json_path = tmp_path / "r.json"
    json_path.write_text(json.dumps(records))
    from_json = load_responses(sop, json_path)
    import numpy as np

    for other in (from_df, from_json):
        assert other.n_accepted == from_csv.n_accepted
        np.testing.assert_array_equal(other.numeric, from_csv.numeric)
        for k, v in from_csv.multi.items():
            np.testing.assert_array_equal(other.multi[k], v)


def test_json_records_unknown_field_rejects_record(sop) -> None:  # type: ignore[no-untyped-def]
    rs = load_responses(
        sop,
        [
            {"respondent_id": "a", "leadership.now": 5},
            {"respondent_id": "b", "leadership.now": 5, "colour": "red"},
            {"respondent_id": "c", "leadership.now": True},
        ],
        allow_missing_items=True,
    )
    assert rs.n_accepted == 1
    rules = {r.row: [p.rule for p in r.problems] for r in rs.rejected}
    assert rules == {2: ["additionalProperties"], 3: ["type"]}


def test_dataframe_numeric_columns(sop) -> None:  # type: ignore[no-untyped-def]
    df = pd.DataFrame(
        {"respondent_id": ["a", "b", "c"], "organisation": ["X", "X", "Y"], "leadership.now": [5.0, None, 12.0]}
    )
    rs = load_responses(sop, df, allow_missing_items=True)
    assert rs.n_accepted == 2 and rs.rejected[0].row == 3 and rs.rejected[0].problems[0].rule == "maximum"


def test_semicolon_delimiter_is_sniffed(sop, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    p = write(tmp_path, "respondent_id;organisation;leadership.now\na;C;7\n")
    rs = load_responses(sop, p, allow_missing_items=True)
    assert rs.numeric[0, rs.column_index("leadership.now")] == 7


def test_instrument_version_column(sop, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    p = write(tmp_path, "respondent_id,instrument_version,leadership.now\na,1.0.0,7\nb,2.0.0,7\n")
    rs = load_responses(sop, p, allow_missing_items=True)
    assert rs.n_accepted == 1 and rs.rejected[0].problems[0].rule == "const"
