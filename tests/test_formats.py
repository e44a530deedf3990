"""The reader layer: encodings, containers, workbooks, the mapping document and its
errors, plugin readers, the fast CSV path kept for plain files, and a round trip of any
valid response set through every platform's layout."""

from __future__ import annotations

import gzip
import io
import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aspire_models import Registry, score
from aspire_models.errors import DocumentError, ResponseError
from aspire_models.formats import fast_path, load_export, read_export
from aspire_models.formats.base import ReadOptions, Source, SourceColumn
from aspire_models.formats.draft import draft_mapping
from aspire_models.formats.grid import decode_text, read_grid
from aspire_models.formats.layout import make_table
from aspire_models.formats.mapping import Mapping, split_options
from aspire_models.hookspecs import hookimpl
from aspire_models.instrument import Instrument
from aspire_models.responses import ResponseSet, read_records
from tests.export_layouts import COUNCILS, LAYOUTS, LIME_ROLES

SOP = "aspire-sop-self-assessment"
R360 = "hrbp360-review"


def plain_csv(ins: Instrument, rows: int = 3) -> str:
    cols = [c.name for c in ins.columns() if c.kind == "numeric"]
    multi = [c.name for c in ins.columns() if c.kind == "multi-select"]
    lines = [",".join(["respondent_id", "organisation", *cols, *multi])]
    for n in range(rows):
        answers = [str(1 + (n + k) % 10) for k in range(len(cols))]
        lines.append(",".join([f"r{n}", "Bexhill Café Council", *answers, "employee-relations", "", ""]))
    return "\r\n".join(lines) + "\r\n"


# -- text: encodings, line endings, containers ------------------------------------------------
@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
def test_utf16_and_utf32_without_byte_order_mark_are_detected(codec: str) -> None:
    text = "respondent_id,organisation\r\nr1,Sainté Council\r\n"
    got, used, warnings = decode_text(text.encode(codec), "x.csv")
    assert got == text and used == codec
    assert warnings and codec.upper() in warnings[0] and "byte-order mark" in warnings[0]


@pytest.mark.parametrize(("codec", "named"), [("cp1252", "Windows-1252"), ("latin-1", "Latin-1")])
def test_windows_1252_and_latin_1_are_detected_and_named(codec: str, named: str) -> None:
    # a byte Windows-1252 leaves undefined (0x81) makes it Latin-1
    text = "respondent_id,organisation\nr1,Sainté Vale – Council\n" if codec == "cp1252" else "a,b\nr1,Sainté\x81\n"
    got, used, warnings = decode_text(text.encode(codec), "x.csv")
    assert got == text and used == {"cp1252": "cp1252", "latin-1": "latin-1"}[codec]
    assert named in warnings[0] and "--encoding" in warnings[0]


def test_an_encoding_given_is_used_and_a_wrong_one_is_a_named_error() -> None:
    assert decode_text("é".encode("latin-1"), "x.csv", "latin-1")[:2] == ("é", "latin-1")
    with pytest.raises(ResponseError, match="not valid utf-8: byte 0xe9 at offset 0"):
        decode_text("é".encode("latin-1"), "x.csv", "utf-8")
    with pytest.raises(ResponseError, match="unknown encoding 'nonsense'"):
        decode_text(b"a", "x.csv", "nonsense")


def test_cr_only_line_endings_and_quoted_newlines() -> None:
    grid = read_grid(b'a,b\r1,"x\ry"\r2,3\r', "x.csv", ReadOptions())
    assert grid.rows == (("a", "b"), ("1", "x\ry"), ("2", "3"))


def test_tsv_gz_and_zip_hold_the_same_table(tmp_path: Path) -> None:
    text = "respondent_id\torganisation\nr1\tA, B and C\nr2\tD\n"
    plain = read_grid(text.encode(), "x.tsv", ReadOptions())
    assert plain.rows[1] == ("r1", "A, B and C")
    gz = read_grid(gzip.compress(text.encode()), "x.tsv.gz", ReadOptions())
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("export/x.tsv", text)
        zf.writestr("__MACOSX/._x.tsv", "junk")
    zipped = read_grid(buf.getvalue(), "x.zip", ReadOptions())
    assert plain.rows == gz.rows == zipped.rows
    assert gz.container == "gz+text" and zipped.container == "zip+text"


def test_a_zip_with_two_data_files_is_refused_by_name() -> None:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("wave1.csv", "a\n1\n")
        zf.writestr("wave2.csv", "a\n1\n")
    with pytest.raises(ResponseError, match=r"exactly one data file; it holds 2: wave1.csv, wave2.csv"):
        read_grid(buf.getvalue(), "x.zip", ReadOptions())


def test_a_gzip_bomb_is_stopped_at_the_limit() -> None:
    from aspire_models.formats.grid import unpack

    with pytest.raises(ResponseError, match="decompressed, the file is over 1,000 bytes"):
        unpack(gzip.compress(b"a" * 100_000), "x.csv.gz", limit=1000)


@pytest.mark.parametrize(
    ("name", "encode"),
    [
        ("cp1252.csv", lambda t: t.encode("cp1252")),
        ("utf16.csv", lambda t: t.encode("utf-16-le")),
        ("cr.csv", lambda t: t.replace("\r\n", "\r").encode()),
        ("data.csv.gz", lambda t: gzip.compress(t.encode())),
    ],
)
def test_plain_files_in_any_encoding_or_container_score_alike(
    name: str, encode: Any, tmp_path: Path, core: Registry
) -> None:
    ins = core.instrument(SOP)
    text = plain_csv(ins)
    (tmp_path / "ref.csv").write_text(text, encoding="utf-8", newline="")
    (tmp_path / name).write_bytes(encode(text))
    ref = score(core, ins, tmp_path / "ref.csv")
    got = score(core, ins, tmp_path / name)
    assert got.accounting == ref.accounting and got.accounting.accepted == 3
    assert json.loads(got.to_json())["outputs"] == json.loads(ref.to_json())["outputs"]
    if name == "cp1252.csv":
        assert any("Windows-1252 (detected)" in w for w in got.warnings)


def test_the_fast_csv_path_is_kept_for_plain_files(tmp_path: Path, core: Registry) -> None:
    ins = core.instrument(SOP)
    plain = tmp_path / "plain.csv"
    plain.write_text(plain_csv(ins), encoding="utf-8")
    assert fast_path(plain, {})
    assert fast_path(plain, {"encoding": "cp1252"})
    assert not fast_path(plain, {"mapping": "m.json"})
    (tmp_path / "cp.csv").write_bytes(plain_csv(ins).encode("cp1252"))
    assert not fast_path(tmp_path / "cp.csv", {})
    (tmp_path / "q.csv").write_text("ResponseId,Q1\n", encoding="utf-8")
    assert not fast_path(tmp_path / "q.csv", {})
    # the plain file gives no reader-layer note
    assert not any("read as" in w for w in score(core, ins, plain).warnings)


# -- workbooks ------------------------------------------------------------------------------
def _workbook(path: Path) -> None:
    import datetime as dt

    from openpyxl import Workbook

    wb = Workbook()
    first = wb.active
    first.title = "Notes"
    first.append(["nothing here"])
    ws = wb.create_sheet("Responses")
    ws.append(["Staff survey 2025"])  # a title row above the table
    ws.append(["respondent_id", "organisation", "Answers", None, "submitted"])
    ws.merge_cells("C2:D2")  # a merged header cell over two columns
    ws.append([None, None, "alignment.now", "alignment.future", None])
    ws.append(["r1", "Northshire", 7, "8", dt.datetime(2025, 3, 14, 9, 30)])  # a number stored as text
    ws.append([101, "Riverside", 3.0, 4, dt.date(2025, 3, 15)])
    ws.append([None, None, None, None, None])  # trailing empty rows
    ws.append([None, None, None, None, None])
    wb.save(path)


def test_workbook_sheet_header_row_merged_cells_dates_and_numbers(tmp_path: Path) -> None:
    path = tmp_path / "survey.xlsx"
    _workbook(path)
    source = Source(path.read_bytes(), str(path), ReadOptions(sheet="Responses"))
    grid = source.grid()
    assert grid.sheet == "Responses" and grid.encoding is None
    assert grid.rows[1][2:4] == ("Answers", "Answers")  # the merged cell fills what it covers
    assert grid.rows[3] == ("r1", "Northshire", "7", "8", "2025-03-14 09:30:00")
    assert grid.rows[4] == ("101", "Riverside", "3", "4", "2025-03-15")  # a date-only cell stays a date
    assert len(grid.rows) == 5  # trailing empty rows dropped
    assert any("merged cell" in w for w in grid.warnings)
    table, prov = read_export(path, options=ReadOptions(sheet=1, header_row=3))
    assert prov.format == "xlsx" and prov.sheet == "Responses"
    assert [c.header for c in prov.columns][2:4] == ["alignment.now", "alignment.future"]
    assert table.column("alignment.future").to_pylist() == ["8", "4"]
    with pytest.raises(ResponseError, match="there is no sheet 'Missing'; sheets: Notes, Responses"):
        read_export(path, options=ReadOptions(sheet="Missing"))


def test_a_workbook_scores_with_sheet_and_header_row(tmp_path: Path, core: Registry) -> None:
    ins = core.instrument(SOP)
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    cols = [c.name for c in ins.columns() if c.kind == "numeric"]
    ws.append(["Exported from the HR system"])
    ws.append(["respondent_id", "organisation", *cols])
    ws.append(["r1", "A", *[5] * len(cols)])
    ws.append(["r2", "A", *[11] * len(cols)])  # out of range: rejected
    wb.save(tmp_path / "w.xlsx")
    result = score(core, ins, tmp_path / "w.xlsx", header_row=2, allow_missing_items=True)
    assert (result.accounting.input, result.accounting.accepted, result.accounting.rejected) == (2, 1, 1)
    assert result.rejected[0].row == 2 and result.rejected[0].problems[0].rule == "maximum"


# -- the mapping document -------------------------------------------------------------------
def _table(columns: list[SourceColumn], rows: list[list[str | None]]) -> tuple[Any, Any]:
    from aspire_models.formats.base import Grid

    grid = Grid(
        rows=(tuple(c.header for c in columns), *map(tuple, rows)), encoding="utf-8", sheet=None, container="text"
    )
    return make_table(Source(b"", "export.csv"), grid, fmt="csv", columns=columns, first_data_row=1, header_rows=1)


def test_labels_map_themselves_missing_labels_have_reasons_unknown_labels_reject(core: Registry) -> None:
    ins = core.instrument(R360)
    cols = [SourceColumn("id", "id"), SourceColumn("who", "who"), SourceColumn("role", "role")]
    cols += [SourceColumn(f"q{i}", f"q{i}") for i in range(18)]
    rows = [
        ["a", "S1", "Self", *["Strongly agree"] * 18],
        ["b", "S1", "Peer", "Don't know", *["agree "] * 17],  # case and spaces do not matter
        ["c", "S1", "Peer", "Mostly agree", *["3"] * 17],  # not a label the mapping knows
    ]
    table, prov = _table(cols, rows)
    doc = {
        "instrument": R360,
        "columns": [
            {"source": {"header": "id"}, "target": "respondent_id"},
            {"source": {"header": "who"}, "target": "subject_id"},
            {"source": {"header": "role"}, "target": "rater_role"},
            *[{"source": {"header": f"q{i}"}, "target": c.name} for i, c in enumerate(ins.numeric_columns())],
        ],
        "missing": {"Don't know": "don't know"},
    }
    rs = load_export_from(table, prov, Mapping.from_dict(doc), ins)
    assert (rs.n_input, rs.n_accepted, rs.n_rejected) == (3, 2, 1)
    assert rs.numeric[0].tolist() == [5.0] * 18
    assert np.isnan(rs.numeric[1, 0]) and rs.numeric[1, 1] == 4.0
    (rej,) = rs.rejected
    assert rej.row == 3 and rej.problems[0].rule == "answer-label"
    assert "'Mostly agree'" in rej.problems[0].message and rej.problems[0].field == "decisive-thinker-1"
    assert "export.csv: 1 answer(s) 'Don't know' read as missing (reason: don't know)" in rs.warnings


def load_export_from(table: Any, prov: Any, mapping: Mapping, ins: Instrument) -> ResponseSet:
    from aspire_models.formats.mapping import apply_mapping
    from aspire_models.responses import read_arrow

    res = apply_mapping(table, prov, mapping, ins)
    rs = read_arrow(res.table, ins, source=prov.source, extra_problems=res.problems)
    import attrs

    return attrs.evolve(rs, warnings=(*res.warnings, *rs.warnings))


@pytest.mark.parametrize(
    ("change", "path", "needle"),
    [
        (lambda d: d["columns"][1].update(target="organisaton"), "$.columns[1].target", "did you mean 'organisation'"),
        (lambda d: d["columns"][0]["source"].update(header="Nope"), "$.columns[0].source.header", "no column"),
        (
            lambda d: d["columns"][0].update(source={"header": "id", "id": "x"}),
            "$.columns[0].source",
            "too many properties",
        ),
        (lambda d: d.update(scales={"attainment": {"Top": 11}}), '$.scales["attainment"]["Top"]', "not a value"),
        (lambda d: d.update(instrument="other"), "$.instrument", "not 'aspire-sop-self-assessment'"),
        (
            lambda d: d["columns"].append({"source": {"header": "org"}, "target": "organisation"}),
            "$.columns[2].target",
            "already",
        ),
        (lambda d: d["columns"][1].update(option="x"), "$.columns[1].option", "not a multi-select"),
    ],
)
def test_a_bad_mapping_is_a_named_error_with_its_json_path(change: Any, path: str, needle: str, core: Registry) -> None:
    ins = core.instrument(SOP)
    table, prov = _table([SourceColumn("id", "id"), SourceColumn("org", "org")], [["a", "A"]])
    doc: dict[str, Any] = {
        "instrument": SOP,
        "columns": [
            {"source": {"header": "id"}, "target": "respondent_id"},
            {"source": {"header": "org"}, "target": "organisation"},
        ],
    }
    change(doc)
    with pytest.raises(DocumentError) as err:
        load_export_from(table, prov, Mapping.from_dict(doc, source="m.json"), ins)
    assert any(p.path == path and needle in p.message for p in err.value.problems), err.value.problems
    assert "m.json" in str(err.value)


def test_joined_options_resolve_against_known_labels_even_with_the_separator_inside() -> None:
    known = {"pay, performance and reward": "reward", "employee relations": "er", "learning": "ld"}
    assert split_options("Pay, performance and reward, Employee relations", known, ", ") == (["reward", "er"], [])
    assert split_options("Employee relations;Learning;", known, ";") == (["er", "ld"], [])
    assert split_options("Learning, Knitting, Employee relations", known, ", ") == (["ld", "er"], ["Knitting"])


def test_an_export_without_a_mapping_says_how_to_make_one(core: Registry) -> None:
    iid, filename, _ = LAYOUTS["qualtrics"]
    from tests.export_layouts import FIXTURES

    with pytest.raises(ResponseError, match=r"aspire map -i hrbp360-review .* -o mapping.json"):
        load_export(FIXTURES / filename, core.instrument(iid))


# -- plugins add formats ----------------------------------------------------------------------
class PipeReader:
    id = "people-system"
    title = "A council's people system: '|'-separated, a banner line first"

    def sniff(self, head: bytes, filename: str, rows: Any) -> float:
        return 0.99 if head.startswith(b"PEOPLE-SYSTEM") else 0.0

    def read(self, source: Source) -> Any:
        lines = source.data.decode("utf-8").splitlines()[1:]
        rows = [line.split("|") for line in lines]
        from aspire_models.formats.base import Grid

        grid = Grid(tuple(map(tuple, rows)), "utf-8", None, "text")
        cols = [SourceColumn(h, h) for h in rows[0]]
        return make_table(source, grid, fmt=self.id, columns=cols, first_data_row=1, header_rows=1)


class PipePlugin:
    @hookimpl
    def aspire_readers(self) -> list[Any]:
        return [PipeReader(), object()]


def test_a_plugin_adds_a_format_and_a_bad_reader_is_reported(tmp_path: Path) -> None:
    reg = Registry(entry_points=False, plugins=[PipePlugin()])
    assert list(reg.readers)[:5] == ["qualtrics", "surveymonkey", "googleforms", "msforms", "limesurvey"]
    assert "people-system" in reg.readers
    assert any("a reader needs a string attribute 'id'" in str(p) for p in reg.problems)
    ins = reg.instrument(SOP)
    cols = [c.name for c in ins.columns() if c.kind != "text"]
    body = "|".join(["respondent_id", "organisation", *cols]) + "\n" + "|".join(["r1", "A", *["5"] * 16, *[""] * 3])
    (tmp_path / "hr.txt").write_text("PEOPLE-SYSTEM EXPORT v2\n" + body + "\n", encoding="utf-8")
    result = score(reg, ins, tmp_path / "hr.txt")
    assert result.accounting.accepted == 1
    assert any("read as format people-system" in w for w in result.warnings)


# -- round trip: any valid response set, written in each platform's layout, reads back the same
def _records(ins: Instrument) -> st.SearchStrategy[list[dict[str, Any]]]:
    text = st.from_regex(r"[A-Za-z][A-Za-z ,\"]{0,12}[a-z]", fullmatch=True)
    numeric = [c for c in ins.columns() if c.kind == "numeric"]
    multi = [c for c in ins.columns() if c.kind == "multi-select"]

    def one(n: int) -> st.SearchStrategy[dict[str, Any]]:
        fields: dict[str, st.SearchStrategy[Any]] = {"respondent_id": st.just(f"id-{n}@example.org")}
        for k, c in enumerate(numeric):  # (the first always answered: a set needs some answer)
            scale = ins.scale(c.scale or "")
            answer = st.integers(int(scale.min), int(scale.max))  # type: ignore[union-attr]
            fields[c.name] = answer if k == 0 else st.none() | answer
        for c in multi:
            opts = ins.scale(c.scale or "").option_ids  # type: ignore[union-attr]
            fields[c.name] = st.lists(st.sampled_from(opts), unique=True).map(
                lambda xs, o=opts: sorted(xs, key=o.index)
            )
        if ins.design == "review-360":
            fields["subject_id"] = st.sampled_from(["HRBP-01", "HRBP-02"])
            fields["rater_role"] = st.sampled_from(list(LIME_ROLES))
            fields["team"] = st.sampled_from(["Place", "People"]) | st.none()
            fields["strengths"] = st.none() | text
        else:
            fields["organisation"] = st.sampled_from(COUNCILS)
            fields["alignment-worked"] = st.none() | text
            fields["hr-tools-other"] = st.none() | text
        return st.fixed_dictionaries(fields)

    return st.integers(1, 6).flatmap(lambda k: st.tuples(*[one(n) for n in range(k)]).map(list))


def _same_set(a: ResponseSet, b: ResponseSet) -> None:
    assert a.n_input == b.n_input and a.rows.tolist() == b.rows.tolist()
    assert [r.row for r in a.rejected] == [r.row for r in b.rejected]
    assert a.ids.to_pylist() == b.ids.to_pylist()
    assert [a.organisation.labels[c] for c in a.organisation.codes] == [
        b.organisation.labels[c] for c in b.organisation.codes
    ]
    np.testing.assert_array_equal(a.numeric, b.numeric)
    assert a.multi.keys() == b.multi.keys()
    for k in a.multi:
        np.testing.assert_array_equal(a.multi[k], b.multi[k])
    for k in set(a.text) & set(b.text):
        assert a.text[k].tolist() == b.text[k].tolist(), k

    def labels(codes: Any) -> list[str | None]:  # a column left out reads as all blank
        if codes is None:
            return [None] * a.n_accepted
        return [codes.labels[c] if c >= 0 else None for c in codes.codes]

    for name in ("rater_role", "subject", "team"):
        assert labels(getattr(a, name)) == labels(getattr(b, name)), name


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_round_trip_through_each_platform_layout(layout: str, core: Registry, tmp_path_factory: Any) -> None:
    iid, filename, writer = LAYOUTS[layout]
    ins = core.instrument(iid)
    folder = tmp_path_factory.mktemp(layout)

    @settings(max_examples=10, suppress_health_check=[HealthCheck.too_slow], deadline=None)
    @given(_records(ins))
    def check(records: list[dict[str, Any]]) -> None:
        path = folder / filename
        path.write_bytes(writer(ins, records))
        table, prov = read_export(path)
        assert prov.format == {"qualtrics-legacy": "qualtrics-legacy"}.get(layout, layout)
        draft = draft_mapping(table, prov, ins)
        got = load_export(path, ins, mapping=draft.mapping)
        want = read_records(records, ins, source=filename)
        _same_set(got, want)

    check()


def test_a_row_with_too_few_or_too_many_fields_is_rejected_not_lost(tmp_path: Path, core: Registry) -> None:
    ins = core.instrument(SOP)
    text = plain_csv(ins, rows=4).splitlines()
    text[2] = text[2] + ",surplus"  # one field too many
    text[3] = ",".join(text[3].split(",")[:5])  # too few
    path = tmp_path / "r.csv"
    path.write_bytes("\r".join(text).encode("cp1252"))  # CR-only and Windows-1252: the reader layer
    result = score(core, ins, path)
    assert (result.accounting.input, result.accounting.accepted, result.accounting.rejected) == (4, 2, 2)
    assert [(r.row, r.problems[0].rule) for r in result.rejected] == [(2, "columns"), (3, "columns")]
    assert "expected 21 fields, found 22" in result.rejected[0].problems[0].message


def test_encoding_and_input_format_on_the_command_line(
    tmp_path: Path, core: Registry, capsys: pytest.CaptureFixture[str]
) -> None:
    from aspire_models.cli import main

    ins = core.instrument(SOP)
    path = tmp_path / "r.txt"
    path.write_bytes(plain_csv(ins, rows=6).replace(",", ";").encode("cp1252"))
    out = io.StringIO()
    code = main(
        ["reliability", "--no-plugins", "-i", SOP, str(path), "--encoding", "cp1252", "--input-format", "csv"], out=out
    )
    assert code == 0 and "6 rows, 6 scored, 0 rejected" in out.getvalue()
    out = io.StringIO()
    code = main(["reliability", "--no-plugins", "-i", SOP, str(path), "--input-format", "qualtrics"], out=out)
    assert code == 1  # it is not a Qualtrics export: a named error, not a guess
    assert "does not look like Qualtrics export" in capsys.readouterr().err


def test_reading_options_are_refused_for_json_records(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from aspire_models.cli import main

    path = tmp_path / "r.json"
    path.write_text('[{"respondent_id": "a"}]', encoding="utf-8")
    assert main(["score", "--no-plugins", "-i", SOP, str(path), "--encoding", "cp1252"], out=io.StringIO()) == 2
    assert "--encoding: JSON response files are read as UTF-8" in capsys.readouterr().err


def test_a_qualtrics_tsv_export_in_utf16_and_an_xlsm_workbook_are_recognised(tmp_path: Path, core: Registry) -> None:
    from tests.export_layouts import FIXTURES

    iid, filename, _ = LAYOUTS["qualtrics"]
    text = (FIXTURES / filename).read_bytes().decode("utf-8-sig")
    import csv

    rows = list(csv.reader(io.StringIO(text, newline="")))
    buf = io.StringIO()
    csv.writer(buf, delimiter="\t", lineterminator="\r\n").writerows(rows)
    tsv = tmp_path / "export.tsv"
    tsv.write_bytes(buf.getvalue().encode("utf-16"))  # as Qualtrics writes TSV: UTF-16 with a byte-order mark
    table, prov = read_export(tsv)
    assert (prov.format, prov.encoding, prov.header_rows, table.num_rows) == ("qualtrics", "utf-16-le", 3, 14)
    ins = core.instrument(iid)
    got = load_export(tsv, ins, mapping=draft_mapping(table, prov, ins).mapping)
    csv_table, csv_prov = read_export(FIXTURES / filename)
    want = load_export(FIXTURES / filename, ins, mapping=draft_mapping(csv_table, csv_prov, ins).mapping)
    _same_set(got, want)

    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["respondent_id", "organisation"])
    wb.active.append(["r1", "A"])
    wb.save(tmp_path / "macro.xlsm")
    table, prov = read_export(tmp_path / "macro.xlsm")
    assert prov.format == "xlsm" and table.to_pylist() == [{"respondent_id": "r1", "organisation": "A"}]
