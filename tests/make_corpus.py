"""Write the small hostile files of ``tests/corpus/`` (run once; the files are committed).

    python tests/make_corpus.py

Big files and special files (FIFO, directory, devices, sparse multi-gigabyte files, 100,000
columns) are made at test time in a temporary folder by ``tests/test_corpus.py``, never
committed. Each file here is hostile in one way and otherwise a plausible Aspire
self-assessment response file or document, so that it reaches the deeper readers.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

HERE = Path(__file__).parent / "corpus"
EXAMPLE = Path(__file__).parents[1] / "src" / "aspire_models" / "examples" / "aspire-sop-responses.csv"
INSTRUMENT = Path(__file__).parents[1] / "src" / "aspire_models" / "builtins" / "instruments"
FRAMEWORK = Path(__file__).parents[1] / "src" / "aspire_models" / "builtins" / "frameworks"


def _lines() -> list[str]:
    return EXAMPLE.read_text(encoding="utf-8").splitlines()[:5]  # header and four rows


def _csv(rows: list[str], end: str = "\n") -> bytes:
    return (end.join(rows) + end).encode("utf-8")


def _records() -> list[dict[str, object]]:
    import csv
    import io

    reader = csv.DictReader(io.StringIO("\n".join(_lines())))
    out: list[dict[str, object]] = []
    for row in reader:
        rec: dict[str, object] = {}
        for k, v in row.items():
            if v == "":
                continue
            rec[k] = v.split(";") if k.startswith("hr-tools-") and k != "hr-tools-other" else v
        out.append(rec)
    return out


def _with_cell(row: int, column: str, value: str) -> list[str]:
    lines = _lines()
    header = lines[0].split(",")
    cells = lines[row].split(",")
    cells[header.index(column)] = value
    lines[row] = ",".join(cells)
    return lines


def _doc(name: str, folder: Path = INSTRUMENT) -> dict[str, object]:
    return json.loads((folder / name).read_text(encoding="utf-8"))  # type: ignore[no-any-return]


#: the time written in the corpus's zip files (so that making them again changes nothing)
_STAMP = (2026, 1, 1, 0, 0, 0)


def _xlsx(sheet_data: str, strings: str | None = None) -> bytes:
    """A one-sheet workbook holding ``sheet_data`` inside ``<sheetData>`` (and the shared-string
    table ``strings``, the whole ``<sst>`` element, when given)."""
    ns = "http://schemas.openxmlformats.org"
    rel = f"{ns}/officeDocument/2006/relationships"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in {
            "[Content_Types].xml": f'<Types xmlns="{ns}/package/2006/content-types"><Default Extension="xml" '
            'ContentType="application/xml"/></Types>',
            "_rels/.rels": f'<Relationships xmlns="{ns}/package/2006/relationships"><Relationship Id="rId1" '
            f'Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
            "xl/workbook.xml": f'<workbook xmlns="{ns}/spreadsheetml/2006/main" xmlns:r="{rel}"><sheets>'
            '<sheet name="Responses" sheetId="1" r:id="rId1"/></sheets></workbook>',
            "xl/_rels/workbook.xml.rels": f'<Relationships xmlns="{ns}/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
            "xl/worksheets/sheet1.xml": f'<worksheet xmlns="{ns}/spreadsheetml/2006/main"><sheetData>{sheet_data}'
            "</sheetData></worksheet>",
        }.items():
            z.writestr(zipfile.ZipInfo(name, date_time=_STAMP), text, zipfile.ZIP_DEFLATED)
        if strings is not None:
            z.writestr(zipfile.ZipInfo("xl/sharedStrings.xml", date_time=_STAMP), strings, zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _stated_size(data: bytes, part: str, size: int) -> bytes:
    """The workbook with ``part``'s unpacked size stated as ``size`` in its zip entries."""
    out = bytearray(data)
    head = zipfile.ZipFile(io.BytesIO(data)).getinfo(part).header_offset
    out[head + 22 : head + 26] = size.to_bytes(4, "little")
    at = 0
    while (at := out.find(b"PK\x01\x02", at)) >= 0:
        if out[at + 46 : at + 46 + int.from_bytes(out[at + 28 : at + 30], "little")] == part.encode():
            out[at + 24 : at + 28] = size.to_bytes(4, "little")
        at += 4
    return bytes(out)


def _ods(rows_xml: str) -> bytes:
    """A one-sheet OpenDocument spreadsheet holding ``rows_xml`` in its table."""
    ns = "urn:oasis:names:tc:opendocument:xmlns"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype", date_time=_STAMP), "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr(
            zipfile.ZipInfo("content.xml", date_time=_STAMP),
            f'<office:document-content xmlns:office="{ns}:office:1.0" xmlns:table="{ns}:table:1.0" '
            f'xmlns:text="{ns}:text:1.0" office:version="1.2"><office:body><office:spreadsheet>'
            f'<table:table table:name="Responses">{rows_xml}</table:table></office:spreadsheet></office:body>'
            "</office:document-content>",
        )
    return out.getvalue()


def _far_xlsb() -> bytes:
    """The calamine project's ``issues.xlsb`` (tests/fixtures/workbooks/) with its first
    sheet's last cell moved to the last row and column."""
    src = zipfile.ZipFile(Path(__file__).parent / "fixtures" / "workbooks" / "calamine-issues.xlsb")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            part = bytearray(src.read(info))
            if info.filename == "xl/worksheets/sheet1.bin":
                part[442:446] = (0x0FFFFF).to_bytes(4, "little")  # the last row header's row
                part[469:473] = (0x3FFF).to_bytes(4, "little")  # that row's cell's column
            dst.writestr(info, bytes(part))
    return out.getvalue()


def _far_xls() -> bytes:
    """The calamine project's ``issues.xls`` (tests/fixtures/workbooks/) with its first
    sheet's row-5 cell moved to row 65,536, column 65,536."""
    data = bytearray((Path(__file__).parent / "fixtures" / "workbooks" / "calamine-issues.xls").read_bytes())
    at = data.find(bytes.fromhex("7e020a000500"))  # the RK cell record of row 5
    data[at + 4 : at + 8] = bytes.fromhex("ffffffff")
    return bytes(data)


def files() -> dict[str, bytes]:
    lines = _lines()
    header = lines[0]
    rows = lines[1:]
    out: dict[str, bytes] = {}
    # -- line endings --------------------------------------------------------------------
    out["cr_only.csv"] = _csv(lines, "\r")
    out["crlf.csv"] = _csv(lines, "\r\n")
    out["mixed_line_endings.csv"] = (header + "\n" + rows[0] + "\r\n" + rows[1] + "\r" + rows[2] + "\n").encode()
    out["no_final_newline.csv"] = "\n".join(lines).encode()
    out["only_newlines.csv"] = b"\n\n\n\r\n\r\r\n"
    out["cr_only_quoted_newline.csv"] = _csv(_with_cell(1, "leadership-worked", '"first line\rsecond line"'), "\r")
    out["form_feed_and_vertical_tab.csv"] = _csv(_with_cell(1, "leadership-worked", "a\x0cb\x0bc"))
    # -- encodings -----------------------------------------------------------------------
    text = "\n".join(_with_cell(1, "leadership-worked", "Café – “quoted” naïve")) + "\n"
    out["utf16le_no_bom.csv"] = text.encode("utf-16-le")
    out["utf16be_bom.csv"] = b"\xfe\xff" + text.encode("utf-16-be")
    out["utf32_bom.csv"] = text.encode("utf-32")
    out["cp1252_smart_quotes.csv"] = text.encode("cp1252")
    out["invalid_utf8_in_header.csv"] = _csv(lines).replace(b"organisation", b"organ\xffsation", 1)
    out["overlong_utf8.csv"] = _csv(_with_cell(1, "leadership-worked", "x")).replace(b",x\n", b",\xc0\xaf\n", 1)
    out["utf8_encoded_surrogate.csv"] = _csv(_with_cell(1, "leadership-worked", "x")).replace(
        b",x\n", b",\xed\xa0\x80\n", 1
    )
    out["bom_twice.csv"] = b"\xef\xbb\xbf\xef\xbb\xbf" + _csv(lines)
    out["bom_only.csv"] = b"\xef\xbb\xbf"
    out["truncated_utf8_sequence.csv"] = _csv(lines)[:-1] + b"\xe2\x82"
    # -- Unicode and terminal hazards ------------------------------------------------------
    out["nul_in_field.csv"] = _csv(_with_cell(1, "leadership-worked", "before\x00after"))
    out["nul_in_header.csv"] = _csv(lines).replace(b"organisation", b"organi\x00sation", 1)
    out["nul_bytes_only.csv"] = b"\x00" * 4096
    out["bidi_override_ids.csv"] = _csv(_with_cell(1, "respondent_id", "R\u202e100\u202c"))
    out["ansi_escape_text.csv"] = _csv(_with_cell(1, "leadership-worked", "\x1b[2J\x1b[31mred\x1b[0m\x07"))
    out["ansi_escape_header.csv"] = _csv(lines).replace(b"agility-barriers", b"\x1b[31magility-barriers\x1b[0m", 1)
    out["zero_width_in_ids.csv"] = _csv(_with_cell(2, "respondent_id", "R\u200b001"))
    out["homoglyph_header.csv"] = _csv(lines).replace(b"leadership.now", "le\u0430dership.now".encode(), 1)
    out["emoji_and_combining.csv"] = _csv(_with_cell(1, "leadership-worked", "👩🏽‍💻 e\u0301\u0301\u0301 𝔘𝔫𝔦"))
    out["control_chars_text.csv"] = _csv(_with_cell(1, "leadership-worked", "bell\x07 esc\x1b del\x7f c1\x85"))
    out["formula_injection.csv"] = _csv(
        _with_cell(1, "leadership-worked", '"=HYPERLINK(""http://evil"",""x"")"')
    ).replace(b"R001", b"=1+1", 1)
    out["fullwidth_digits.csv"] = _csv(_with_cell(1, "leadership.now", "\uff17"))
    out["arabic_indic_digits.csv"] = _csv(_with_cell(1, "leadership.now", "\u0667"))
    out["nbsp_around_numbers.csv"] = _csv(_with_cell(1, "leadership.now", "\u00a07\u00a0"))
    out["lone_surrogate_escape_text.csv"] = _csv(_with_cell(1, "leadership-worked", "\\ud800"))
    # -- structure -------------------------------------------------------------------------
    out["unclosed_quote_in_header.csv"] = _csv(lines).replace(b"respondent_id", b'"respondent_id', 1)
    out["quote_inside_unquoted_field.csv"] = _csv(_with_cell(1, "leadership-worked", 'he said "no"'))
    out["tab_separated.csv"] = _csv([ln.replace(",", "\t") for ln in lines])
    out["pipe_separated.csv"] = _csv([ln.replace(",", "|") for ln in lines])
    out["only_delimiters.csv"] = b",,,,,\n,,,,,\n"
    out["duplicate_respondent_ids.csv"] = _csv(_with_cell(2, "respondent_id", "R001"))
    out["empty_respondent_id.csv"] = _csv(_with_cell(2, "respondent_id", ""))
    out["whitespace_header.csv"] = _csv([",".join(f"  {c}\t" for c in header.split(",")), *rows])
    out["excel_sep_line.csv"] = b"sep=,\n" + _csv(lines)
    out["trailing_delimiters.csv"] = _csv([ln + ",,," for ln in lines])
    out["missing_answer_column.csv"] = _csv(
        [
            ",".join(c for i, c in enumerate(ln.split(",")) if i != header.split(",").index("shared-purpose.future"))
            for ln in lines
        ]
    )
    out["exotic_numbers.csv"] = _csv(
        [header]
        + [
            _with_cell(k, "leadership.now", v)[k]
            for k, v in zip(range(1, 5), ["1e1", "0x7", "inf", "nan"], strict=True)
        ]
        + [
            _with_cell(1, "leadership.now", v)[1].replace("R001", f"R9{i}")
            for i, v in enumerate(["-0", "7.0000000001", "1_000", "+7", "٧"])
        ]
    )
    out["huge_number_cell.csv"] = _csv(_with_cell(1, "leadership.now", "9" * 5000))
    out["backslash_escapes.csv"] = _csv(_with_cell(1, "leadership-worked", "C:\\\\temp\\n\\x00\\u0000"))
    out["unknown_organisation_spaces.csv"] = _csv(_with_cell(1, "organisation", "   "))
    out["multi_select_unknown_option.csv"] = _csv(_with_cell(1, "hr-tools-used", "no-such-tool;;;"))
    out["wide_row.csv"] = _csv([header, rows[0] + "," * 10_000, *rows[1:]])
    out["binary_garbage.csv"] = bytes(range(256)) * 16
    out["gzip_disguised.csv"] = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03" + b"\x00" * 64
    out["xlsx_disguised.csv"] = b"PK\x03\x04" + b"\x00" * 200
    # -- workbooks asking for more than they hold ------------------------------------------------
    table = "".join(
        f'<row r="{i + 1}">'
        + "".join(f'<c t="inlineStr"><is><t>{escape(cell)}</t></is></c>' for cell in line.split(","))
        + "</row>"
        for i, line in enumerate([header, *rows[:3]])
    )
    out["far_cell.xlsx"] = _xlsx(table + '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>')
    out["far_cell_lower_case.xlsx"] = _xlsx(table + '<row r="1048576"><c r="xfd1048576"><v>1</v></c></row>')
    out["far_row_without_refs.xlsx"] = _xlsx(table + '<row r="1048576"><c/><c/><c><v>1</v></c></row>')
    out["shared_strings_count_4e9.xlsx"] = _xlsx(
        '<row r="1"><c r="A1" t="s"><v>0</v></c></row>',
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="4000000000" '
        'uniqueCount="4000000000"><si><t>respondent_id</t></si></sst>',
    )
    out["sheet_larger_than_stated.xlsx"] = _stated_size(_xlsx(table), "xl/worksheets/sheet1.xml", 100)
    out["far_cell.xlsb"] = _far_xlsb()
    out["far_cell.xls"] = _far_xls()
    out["repeated_cells.ods"] = _ods(
        '<table:table-row table:number-rows-repeated="100000"><table:table-cell office:value-type="float" '
        'office:value="1" table:number-columns-repeated="1000"><text:p>1</text:p></table:table-cell></table:table-row>'
    )
    out["html_not_csv.csv"] = b"<!doctype html><html><body><table><tr><td>1</td></tr></table></body></html>\n"
    # -- JSON response records -------------------------------------------------------------
    recs = _records()
    out["records_valid.json"] = json.dumps(recs).encode()
    out["records_lone_surrogate.json"] = json.dumps(recs).replace('"R002"', '"R\\ud800 002"', 1).encode()
    out["records_lone_low_surrogate_key.json"] = json.dumps(recs).replace('"organisation"', '"org\\udc00"', 1).encode()
    out["records_bigint.json"] = json.dumps(recs).replace('"6"', "9" * 5000, 1).encode()
    out["records_float_overflow.json"] = json.dumps(recs).replace('"6"', "1e999", 1).encode()
    out["records_nan.json"] = json.dumps(recs).replace('"6"', "NaN", 1).encode()
    out["records_not_a_list.json"] = json.dumps({"records": recs}).encode()
    out["records_list_of_lists.json"] = json.dumps([list(r.values()) for r in recs]).encode()
    out["records_nul_escape.json"] = json.dumps(recs).replace('"R001"', '"R\\u0000001"', 1).encode()
    out["records_utf16.json"] = json.dumps(recs).encode("utf-16")
    out["records_empty_list.json"] = b"[]"
    out["records_null.json"] = b"null"
    out["records_duplicate_keys.json"] = b'[{"respondent_id": "A", "respondent_id": "B", "organisation": "C"}]'
    out["records_bool_and_object_answers.json"] = (
        json.dumps(recs).replace('"6"', "true", 1).replace('"7"', '{"value": 7}', 1).encode()
    )
    out["records_deep_5000.json"] = b"[" * 5000 + b"]" * 5000
    out["records_brackets_in_strings.json"] = json.dumps(
        [{**recs[0], "leadership-worked": "[" * 5000 + "{" * 5000}, *recs[1:]]
    ).encode()
    out["records_trailing_comma.json"] = json.dumps(recs).encode()[:-1] + b",]"
    out["records_with_comments.json"] = b"// exported\n" + json.dumps(recs).encode()
    # -- documents -------------------------------------------------------------------------
    ins = _doc("aspire-sop-self-assessment.json")
    fw = _doc("cipd-sop-eight-themes.json", FRAMEWORK)
    text_ins = json.dumps(ins)
    out["instrument_deep_5000.json"] = b'{"id": "x", "items": ' + b"[" * 5000 + b"]" * 5000 + b"}"
    out["instrument_bigint.json"] = text_ins.replace('"max": 10', '"max": ' + "1" * 5000, 1).encode()
    out["instrument_not_json.json"] = b"this is not JSON, it is a note about the instrument\n"
    out["instrument_lone_surrogate.json"] = text_ins.replace('"title": "', '"title": "\\udfff', 1).encode()
    out["instrument_empty.json"] = b""
    out["instrument_null.json"] = b"null"
    out["instrument_array.json"] = b"[]"
    out["instrument_nan_scale.json"] = text_ins.replace('"max": 10', '"max": NaN', 1).encode()
    out["instrument_utf16.json"] = text_ins.encode("utf-16")
    out["instrument_version_newline.json"] = json.dumps({**ins, "version": "1.0.0\n"}).encode()
    out["instrument_unknown_scorer.json"] = json.dumps(
        {**ins, "id": "hostile-unknown-scorer", "scoring": [{"scorer": "no-such-scorer"}]}
    ).encode()
    out["instrument_huge_scale.json"] = text_ins.replace('"max": 10', '"max": 1e300', 1).encode()
    out["instrument_string_everything.json"] = json.dumps({k: "x" for k in ins}).encode()
    out["framework_utf8_bom.json"] = b"\xef\xbb\xbf" + json.dumps(fw).encode()
    out["framework_deep_5000.json"] = b"{" + b'"a":{' * 5000 + b"}" * 5001
    out["framework_ansi_name.json"] = json.dumps({**fw, "name": "\x1b[2J\x1b[31mOwned\x1b[0m"}).encode()
    out["framework_id_newline.json"] = json.dumps({**fw, "id": fw["id"] + "\n"}).encode()
    out["norms_wrong_shape.json"] = b'{"dimensions": 5, "instrument": [1, 2]}'
    out["norms_nan.json"] = b'{"id": "n", "instrument": "aspire-sop-self-assessment", "dimensions": {"a": NaN}}'
    out["result_truncated.json"] = b'{"schema": "urn:aspire-models:schema:result:1", "accounting": {"input": 3'
    out["result_wrong_types.json"] = json.dumps(
        {"schema": "urn:aspire-models:schema:result:1", "accounting": "all of them", "outputs": 7}
    ).encode()
    out["json_duplicate_keys.json"] = b'{"id": "a", "id": "b", "elements": [], "kinds": []}'
    out["json_only_whitespace.json"] = b" \n\t\r\n "
    # -- key files -------------------------------------------------------------------------
    out["key_empty.key"] = b""
    out["key_whitespace.key"] = b"  \n\t\n"
    out["key_binary.key"] = bytes(range(256))
    return out


def main() -> None:
    for name, data in files().items():
        (HERE / name).write_bytes(data)
    print(f"wrote {len(files())} files to {HERE}")


if __name__ == "__main__":
    main()
