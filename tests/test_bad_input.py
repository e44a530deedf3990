"""The bad-input corpus (tests/corpus/): every file gives a clear error naming what and where,
or a documented lenient reading; never a dependency's traceback, never a silently wrong
score; accounting stays exact."""

from __future__ import annotations

from pathlib import Path

import pytest

from aspire_models import AspireError, DocumentError, Framework, Limits, Registry, ResponseError, load_responses
from aspire_models.responses import ResponseSet

CORPUS = Path(__file__).parent / "corpus"
SOP = "aspire-sop-self-assessment"


@pytest.fixture(scope="module")
def sop(core: Registry):  # type: ignore[no-untyped-def]
    return core.instrument(SOP)


def load(sop, name: str, **kw) -> ResponseSet:  # type: ignore[no-untyped-def]
    kw.setdefault("allow_missing_items", True)  # most corpus files hold a few answer columns only
    rs = load_responses(sop, CORPUS / name, **kw)
    assert rs.n_accepted + rs.n_rejected == rs.n_input, "accounting must be exact"
    return rs


def rules(rs: ResponseSet) -> dict[int, list[str]]:
    return {r.row: sorted(p.rule for p in r.problems) for r in rs.rejected}


def value(rs: ResponseSet, row: int, column: str) -> float:
    i = list(rs.rows).index(row)
    return float(rs.numeric[i, rs.column_index(column)])


def test_utf8_bom_is_read(sop) -> None:  # type: ignore[no-untyped-def]
    rs = load(sop, "utf8_bom.csv")
    assert rs.n_accepted == 1 and value(rs, 1, "leadership.now") == 7


def test_utf16_with_bom_is_read_leniently(sop) -> None:  # type: ignore[no-untyped-def]
    rs = load(sop, "utf16_bom.csv")
    assert rs.n_accepted == 1 and value(rs, 1, "leadership.future") == 9


def test_windows_encoding_is_detected_and_named(sop) -> None:  # type: ignore[no-untyped-def]
    """A Windows-1252 file (what Excel on Windows writes) is read, with a warning naming the
    encoding used; an explicit encoding is taken as given."""
    rs = load(sop, "latin1.csv")
    assert rs.n_accepted == 2 and rs.text["leadership-worked"][1] == "résumé of café"
    assert any("Windows-1252" in w for w in rs.warnings)
    rs = load(sop, "latin1.csv", encoding="latin-1")
    assert rs.n_accepted == 2 and rs.text["leadership-worked"][1] == "résumé of café"


def test_excel_semicolons_and_decimal_commas(sop) -> None:  # type: ignore[no-untyped-def]
    rs = load(sop, "excel_semicolon_decimal_comma.csv")
    assert rs.n_input == 3 and rs.n_accepted == 2
    assert value(rs, 2, "leadership.now") == 7.0  # '7,0' read as 7.0 (documented)
    assert rules(rs) == {3: ["integer"]}  # '6,5' is 6.5: not a whole number on this scale


@pytest.mark.parametrize("name", ["duplicated_header.csv", "missing_header.csv", "empty.csv", "header_only.csv"])
def test_file_level_problems_are_named(sop, name: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ResponseError) as exc:
        load(sop, name)
    assert all(p.file and p.file.endswith(name) for p in exc.value.problems)


def test_blank_lines_are_not_rows(sop) -> None:  # type: ignore[no-untyped-def]
    rs = load(sop, "blank_lines.csv")
    assert rs.n_input == 2 and rs.n_accepted == 2


def test_quoted_newlines_in_comments(sop) -> None:  # type: ignore[no-untyped-def]
    rs = load(sop, "quoted_newlines.csv")
    assert rs.n_accepted == 2
    assert list(rs.text["leadership-worked"]) == ["line one\nline two, with comma", 'say "hi"']


def test_number_formats(sop) -> None:  # type: ignore[no-untyped-def]
    rs = load(sop, "number_formats.csv")
    assert rs.n_input == 10
    assert [str(i) for i in rs.respondent_id] == ["n1", "n2", "n9"]
    assert value(rs, 1, "leadership.now") == 7 and value(rs, 2, "leadership.now") == 7
    assert value(rs, 9, "leadership.now") == 8
    assert rules(rs) == {
        3: ["type"],
        4: ["type"],
        5: ["type"],
        6: ["minimum"],
        7: ["type"],
        8: ["maximum"],
        10: ["type"],
    }


def test_long_text(sop) -> None:  # type: ignore[no-untyped-def]
    rs = load(sop, "long_text.csv")
    assert rules(rs) == {1: ["maxLength"]}
    rs = load(sop, "long_text.csv", limits=Limits(max_text_length=3))
    assert rules(rs) == {1: ["maxLength"], 2: ["max-text-length"]}


def test_ragged_rows_are_rejected_not_lost(sop) -> None:  # type: ignore[no-untyped-def]
    rs = load(sop, "ragged_rows.csv")
    assert rs.n_input == 4 and rs.n_accepted == 2
    assert rules(rs) == {2: ["columns"], 3: ["columns"]}
    assert "expected 5 fields, found 3" in str(rs.rejected[0].problems[0])


def test_truncated_csv(sop) -> None:  # type: ignore[no-untyped-def]
    try:
        rs = load(sop, "truncated.csv")
    except ResponseError as exc:
        assert "truncated.csv" in str(exc)
    else:
        assert rs.n_input == 2  # the unterminated last field is read to the end of the file


def test_truncated_and_deep_json(sop) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ResponseError, match="not valid JSON"):
        load(sop, "truncated.json")
    with pytest.raises(ResponseError) as exc:
        load(sop, "deeply_nested.json")
    assert exc.value.problems[0].rule == "max-json-depth"


def test_enormous_file_is_refused_before_reading(sop, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    big = tmp_path / "big.csv"
    big.write_text("respondent_id,leadership.now\n" + "a,1\n" * 300_000)
    with pytest.raises(ResponseError) as exc:
        load_responses(sop, big, limits=Limits(max_file_bytes=1_000_000), allow_missing_items=True)
    assert exc.value.problems[0].rule == "max-file-bytes"
    with pytest.raises(ResponseError) as exc:
        load_responses(sop, big, limits=Limits(max_rows=1000), allow_missing_items=True)
    assert exc.value.problems[0].rule == "max-rows"


def test_json_records_follow_the_record_schema(sop) -> None:  # type: ignore[no-untyped-def]
    rs = load(sop, "records_mixed.json", strict=True)
    assert rs.n_input == 7 and [str(i) for i in rs.respondent_id] == ["a", "e"]
    found = rules(rs)
    assert sorted(found) == [2, 3, 4, 6, 7] and all("type" in found[r] for r in found)
    # by default, the lenient readings of a CSV file apply: '7' and 42 are read as given
    rs = load(sop, "records_mixed.json")
    assert [str(i) for i in rs.respondent_id] == ["a", "b", "e", "42"]
    found = rules(rs)
    assert sorted(found) == [3, 4, 6] and all("type" in found[r] for r in found)


def test_instrument_version_mismatch(sop) -> None:  # type: ignore[no-untyped-def]
    rs = load(sop, "version_mismatch.csv")
    assert rules(rs) == {2: ["const"], 3: ["const"]}


def test_bad_documents(core: Registry) -> None:
    import json

    with pytest.raises(DocumentError) as exc:
        Framework.from_dict(json.loads((CORPUS / "framework_circular_duplicate.json").read_text()))
    found = {(p.path, p.rule) for p in exc.value.problems}
    assert ("$.elements[2].id", "unique-element-id") in found
    assert any(rule == "no-parent-cycle" for _, rule in found)
    with pytest.raises(DocumentError) as exc:
        core.load_instrument(CORPUS / "instrument_unknown_element.json")
    assert "$.items[0].element" in str(exc.value) and "did you mean 'credible-activist'" in str(exc.value)
    with pytest.raises(DocumentError, match="unique-item-id"):
        core.load_instrument(CORPUS / "instrument_duplicate_ids.json")


@pytest.mark.parametrize("path", sorted(CORPUS.iterdir()), ids=lambda p: p.name)
def test_only_our_errors_escape(sop, core: Registry, path: Path) -> None:  # type: ignore[no-untyped-def]
    """Whatever the file, the library raises its own errors or returns a result."""
    try:
        if path.name.startswith(("framework", "instrument")):
            from aspire_models.safeio import load_json

            core.load_instrument(path) if path.name.startswith("instrument") else Framework.from_dict(
                load_json(path, what="framework")
            )
        else:
            load(sop, path.name)
    except AspireError:
        pass
