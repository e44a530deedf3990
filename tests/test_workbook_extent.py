"""A workbook whose sheet names a cell far beyond the cells it holds is refused by name, not
handed to python-calamine, which makes the whole grid (a 1 KB file naming ``XFD1048576``
asks for 17 billion cells and the process is killed when memory runs out)."""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from aspire_models.errors import ResponseError
from aspire_models.formats import _xlsxscan
from aspire_models.formats.base import ReadOptions
from aspire_models.formats.grid import read_grid

ASPIRE = Path(sys.executable).with_name("aspire")
_NS = "http://schemas.openxmlformats.org"


def book(sheet_data: str) -> bytes:
    """A one-sheet workbook (sheet ``S``) holding ``sheet_data`` inside ``<sheetData>``."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "[Content_Types].xml",
            f'<Types xmlns="{_NS}/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/worksheets/sheet1.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
        )
        z.writestr(
            "_rels/.rels",
            f'<Relationships xmlns="{_NS}/package/2006/relationships"><Relationship Id="rId1" '
            f'Type="{_NS}/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        z.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{_NS}/spreadsheetml/2006/main" xmlns:r="{_NS}/officeDocument/2006/relationships">'
            '<sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<Relationships xmlns="{_NS}/package/2006/relationships"><Relationship Id="rId1" '
            f'Type="{_NS}/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
            "</Relationships>",
        )
        z.writestr(
            "xl/worksheets/sheet1.xml",
            f'<worksheet xmlns="{_NS}/spreadsheetml/2006/main"><sheetData>{sheet_data}</sheetData></worksheet>',
        )
    return out.getvalue()


FAR = (
    '<row r="1"><c r="A1" t="inlineStr"><is><t>respondent_id</t></is></c></row>'
    '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
)


def test_a_far_cell_is_refused_by_name() -> None:
    with pytest.raises(ResponseError) as err:
        read_grid(book(FAR), "far.xlsx", ReadOptions())
    problem = err.value.problems[0]
    assert problem.rule == "sheet-size" and problem.file == "far.xlsx"
    assert "reaches XFD1048576 (row 1,048,576, column 16,384" in problem.message and "holds 2 cells" in problem.message


def test_a_far_cell_on_the_command_line_exits_1_without_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "far.xlsx"
    path.write_bytes(book(FAR))
    r = subprocess.run(
        [str(ASPIRE), "score", "-i", "aspire-sop-self-assessment", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 1, (r.returncode, r.stderr[-2000:])
    assert "sheet-size" in r.stderr and "Traceback" not in r.stderr


@pytest.mark.parametrize(
    "far",
    [
        '<row r="2"><c r="xfd1048576"><v>1</v></c></row>',  # calamine reads letters in either case
        '<row r="2"><c r="AAAAAA2"><v>1</v></c></row>',  # and any number of them
        '<row r="2000000000"><c><v>1</v></c><c r="ZZ2000000000"><v>1</v></c></row>',
    ],
)
def test_other_spellings_of_a_far_cell_are_refused(far: str) -> None:
    with pytest.raises(ResponseError, match=r"\[rule: sheet-size\]"):
        read_grid(book('<row r="1"><c r="A1"><v>1</v></c></row>' + far), "far.xlsx", ReadOptions())


def test_a_sheet_with_a_far_column_of_real_size_is_read() -> None:
    # 200 rows that each fill A and Z: the grid (200 x 26) is the sheet's own size
    rows = "".join(
        f'<row r="{r}"><c r="A{r}"><v>{r}</v></c><c r="Z{r}" t="inlineStr"><is><t>note</t></is></c></row>'
        for r in range(1, 201)
    )
    grid = read_grid(book(rows), "ok.xlsx", ReadOptions())
    assert len(grid.rows) == 200 and grid.rows[199][0] == "200" and grid.rows[199][25] == "note"


@pytest.mark.parametrize(
    ("sheet_data", "expected"),
    [
        (FAR, (1048576, 16384, 2)),
        (
            '<row r="3"><c r="C3"><v>1</v></c><c r="AB3"><v>2</v></c></row>'
            '<row r="70000"><c r="B70000"><v>1</v></c></row>',
            (70000, 28, 3),
        ),
        ("<row><c><v>1</v></c><c><v>2</v></c></row><row><c/><c><v>3</v></c></row>", (2, 2, 3)),
        ('<row r = "12"><c r=\'D12\' s="0"><v>1</v></c><c t="s"><v>0</v></c></row>', (12, 5, 2)),
        ('<row r="2"><c r="xfd1048576"><v>1</v></c></row>', (1048576, 16384, 1)),
        (
            '<row r="2"><c r="aaaaaaaaaaaaaaaaa99999999999999999"><v>2</v></c></row>',
            (99999999999999, (26**12 - 1) // 25, 1),
        ),  # the first 12 letters and 14 digits
        # cells without a value are not placed; a namespace prefix is read as calamine reads it
        ('<row r="1"><c r="A1"><v>1</v></c></row><row r="1048576"><c r="XFD1048576" s="0"/></row>', (1, 1, 1)),
        ('<row r="9"><c r="A9" s="1"></c><c r="B9">\n</c><x:c r="C9"><x:v>1</x:v></x:c></row>', (9, 3, 1)),
        ('<row r="4"><c r="B4" foo="a>r=&quot;Z9&quot;"><v>1</v></c></row>', (4, 2, 1)),
        # what calamine places: a number needs a value; other types a value (even empty) or inline text
        ('<row r="5"><c r="C5"><f>1+1</f></c><c r="D5"><f>1</f><v></v></c><c r="E5"><v/></c></row>', (0, 0, 0)),
        ('<row r="5"><c r="C5" t="str"><f>""</f></c><c r="D5" t="n"><v></v></c></row>', (0, 0, 0)),
        ('<row r="6"><c r="C6" t="str"><f>""</f><v></v></c></row>', (6, 3, 1)),
        ('<row r="6"><c r="C6" t="s"><v/></c><c r="D6" t="inlineStr"><is/></c></row>', (6, 4, 2)),
        ('<row r="7"><c r="C7" t="b"><v></v></c><c r="D7"><f t="shared" si="0"/><v>2</v></c></row>', (7, 4, 2)),
        ('<row r="8"><c r="C8" t=\'n\'><x:f>1</x:f><x:v>3</x:v></c><c r="D8"><v> </v></c></row>', (8, 4, 2)),
    ],
)
def test_the_compiled_extent_is_the_one_python_finds(sheet_data: str, expected: tuple[int, int, int]) -> None:
    xml = book(sheet_data)
    with zipfile.ZipFile(io.BytesIO(xml)) as z:
        part = z.read("xl/worksheets/sheet1.xml")
    assert _xlsxscan.available()
    compiled = _xlsxscan._kernels().refs_extent(np.frombuffer(part, dtype=np.uint8))
    assert tuple(compiled) == _xlsxscan.refs_extent(part) == expected


def test_a_sheet_unpacking_past_the_size_limit_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from aspire_models.limits import Limits

    rows = "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>' for r in range(1, 2001))
    data = book(rows)  # about 60 KB of sheet XML, a few KB packed
    assert read_grid(data, "big.xlsx", ReadOptions()).rows[1999] == ("2000",)
    monkeypatch.setattr(_xlsxscan, "DEFAULT_LIMITS", Limits(max_file_bytes=20_000))
    with pytest.raises(ResponseError) as err:
        read_grid(data, "big.xlsx", ReadOptions())
    problem = err.value.problems[0]
    assert problem.rule == "max-file-bytes" and "over the limit of 20,000" in problem.message


def _lying(data: bytes, part: str, size: int) -> bytes:
    """The workbook with ``part``'s unpacked size given as ``size`` in both its headers."""
    out = bytearray(data)
    info = zipfile.ZipFile(io.BytesIO(data)).getinfo(part)
    out[info.header_offset + 22 : info.header_offset + 26] = size.to_bytes(4, "little")
    at = 0
    found = False
    while (at := out.find(b"PK\x01\x02", at)) >= 0:  # the central directory entry of the part
        name_len = int.from_bytes(out[at + 28 : at + 30], "little")
        if out[at + 46 : at + 46 + name_len] == part.encode():
            out[at + 24 : at + 28] = size.to_bytes(4, "little")
            found = True
        at += 4
    assert found
    return bytes(out)


def test_a_sheet_unpacking_past_its_stated_size_is_refused_and_one_smaller_read() -> None:
    """More than the zip entry says is refused before calamine unpacks it (calamine refuses it
    too, after); less is left to calamine, which reads it."""
    rows = "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>' for r in range(1, 201))
    with pytest.raises(ResponseError) as err:
        read_grid(_lying(book(rows), "xl/worksheets/sheet1.xml", 10), "lying.xlsx", ReadOptions())
    assert err.value.problems[0].rule == "workbook" and "more than the 10 bytes" in err.value.problems[0].message
    grid = read_grid(_lying(book(rows), "xl/worksheets/sheet1.xml", 10_000_000), "lying.xlsx", ReadOptions())
    assert len(grid.rows) == 200


def test_a_large_workbook_reports_progress_as_its_sheet_is_read(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """``aspire score``'s bar moves while a large workbook is read: the compiled reader tells
    the share of the sheet scanned, as bytes of the file, never going back, ending whole."""
    from aspire_models import Registry
    from aspire_models.engine import load_responses

    monkeypatch.setattr(_xlsxscan, "FAST_MIN_BYTES", 0)
    monkeypatch.setattr(_xlsxscan, "PROGRESS_STEP", 1)
    ins = Registry(entry_points=False).instrument("aspire-sop-self-assessment")
    header = ["respondent_id", "organisation", "leadership.now", "leadership.future"]
    rows = "".join(
        f'<row r="{r}">'
        + "".join(
            f'<c t="inlineStr"><is><t>{v}</t></is></c>' for v in (header if r == 1 else [f"R{r}", "Org", "7", "9"])
        )
        + "</row>"
        for r in range(1, 301)
    )
    path = tmp_path / "survey.xlsx"
    path.write_bytes(book(rows))
    told: list[tuple[int, int]] = []
    rs = load_responses(ins, path, allow_missing_items=True, progress=lambda done, total: told.append((done, total)))
    assert rs.n_input == 299
    size = path.stat().st_size
    assert len(told) >= 40 and {t for _, t in told} == {size}
    assert [d for d, _ in told] == sorted(d for d, _ in told) and told[-1] == (size, size)
