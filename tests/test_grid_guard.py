"""Workbooks python-calamine would build a grid far larger than the file for are refused by name
before it reads them (each of these killed the process): an OpenDocument sheet whose repeated
cells holding values expand (a 1 KB file asked for 100 million cells; the empty cells
LibreOffice repeats to fill a sheet are not counted), an ``.xlsb`` or ``.xls`` sheet with a
cell far beyond the others, an ``.xls`` sheet whose DIMENSIONS record states billions."""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from aspire_models.errors import ResponseError
from aspire_models.formats._gridguard import ods_problem, xls_problem, xlsb_extent, xlsb_problem, xlsx_problem
from aspire_models.formats.base import ReadOptions
from aspire_models.formats.grid import read_grid

ASPIRE = Path(sys.executable).with_name("aspire")
_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"


def ods(*tables: tuple[str, str]) -> bytes:
    """An ``.ods`` file of the given (name, rows XML) sheets."""
    body = "".join(f'<table:table table:name="{name}">{rows}</table:table>' for name, rows in tables)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr(
            "META-INF/manifest.xml",
            '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
            '<manifest:file-entry manifest:full-path="/" '
            'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
            '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
            "</manifest:manifest>",
        )
        z.writestr(
            "content.xml",
            f'<office:document-content xmlns:office="{_OFFICE}" xmlns:table="{_TABLE}" xmlns:text="{_TEXT}" '
            f'office:version="1.2"><office:body><office:spreadsheet>{body}</office:spreadsheet></office:body>'
            "</office:document-content>",
        )
    return out.getvalue()


def text(value: str) -> str:
    return f'<table:table-cell office:value-type="string"><text:p>{value}</text:p></table:table-cell>'


HEAD = f"<table:table-row>{text('respondent_id')}{text('organisation')}</table:table-row>"
DENSE = (
    '<table:table-row table:number-rows-repeated="100000"><table:table-cell office:value-type="float" '
    'office:value="1" table:number-columns-repeated="1000"><text:p>1</text:p></table:table-cell></table:table-row>'
)
#: what LibreOffice writes after a table: empty cells repeated to the sheet's last row and column
FILLER = (
    '<table:table-row table:number-rows-repeated="1048574">'
    '<table:table-cell table:number-columns-repeated="1024"/></table:table-row>'
)


def test_repeated_cells_with_values_past_the_limit_are_refused_by_name() -> None:
    with pytest.raises(ResponseError) as err:
        read_grid(ods(("Responses", HEAD + DENSE)), "dense.ods", ReadOptions())
    problem = err.value.problems[0]
    assert problem.rule == "sheet-size" and problem.file == "dense.ods"
    assert (
        "100,001,000 cells (100,001 rows, 1,000 columns) from 3 cell(s)" in problem.message
        and "'Responses'" in problem.message
    )


def test_a_hostile_sheet_after_a_plain_one_is_refused() -> None:
    """calamine reads every sheet when it opens the file, whichever sheet is asked for."""
    data = ods(("Plain", HEAD), ("Hostile", DENSE))
    assert ods_problem(data) is not None
    with pytest.raises(ResponseError, match=r"sheet 'Hostile'.*\[rule: sheet-size\]"):
        read_grid(data, "two.ods", ReadOptions(sheet="Plain"))


def test_libreoffice_filler_is_not_counted_and_the_file_is_read() -> None:
    row = f"<table:table-row>{text('r1')}{text('A')}" + '<table:table-cell table:number-columns-repeated="1022"/>'
    data = ods(("Responses", HEAD + row + "</table:table-row>" + FILLER))
    assert ods_problem(data) is None
    grid = read_grid(data, "filled.ods", ReadOptions())
    assert [tuple(r) for r in grid.rows] == [("respondent_id", "organisation"), ("r1", "A")]


def test_repeated_values_of_a_real_size_are_read_expanded() -> None:
    rows = (
        '<table:table-row table:number-rows-repeated="3"><table:table-cell office:value-type="float" '
        'office:value="2" table:number-columns-repeated="2"><text:p>2</text:p></table:table-cell></table:table-row>'
    )
    grid = read_grid(ods(("S", HEAD + rows)), "small.ods", ReadOptions())
    assert [tuple(r) for r in grid.rows] == [("respondent_id", "organisation")] + [("2", "2")] * 3


def test_on_the_command_line_a_dense_ods_exits_1_without_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "dense.ods"
    path.write_bytes(ods(("Responses", HEAD + DENSE)))
    r = subprocess.run(
        [str(ASPIRE), "score", "--no-plugins", "-i", "aspire-sop-self-assessment", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 1, (r.returncode, r.stderr[-2000:])
    assert "sheet-size" in r.stderr and "Traceback" not in r.stderr


# -- .xlsb ----------------------------------------------------------------------------------------
XLSB = Path(__file__).parent / "fixtures" / "workbooks" / "calamine-issues.xlsb"
#: where, in the fixture's first sheet, its last row header's row and that row's cell's column are
_ROW_AT, _COL_AT = 442, 469


def xlsb_with(row: int, col: int) -> bytes:
    """The fixture with its first sheet's last cell moved to ``row`` and ``col`` (0-based)."""
    src = zipfile.ZipFile(XLSB)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            part = bytearray(src.read(info))
            if info.filename == "xl/worksheets/sheet1.bin":
                assert part[_ROW_AT : _ROW_AT + 4] == (5).to_bytes(4, "little")
                part[_ROW_AT : _ROW_AT + 4] = row.to_bytes(4, "little")
                part[_COL_AT : _COL_AT + 4] = col.to_bytes(4, "little")
            dst.writestr(info, bytes(part))
    return out.getvalue()


def test_the_xlsb_fixture_is_read() -> None:
    assert xlsb_problem(XLSB.read_bytes()) is None
    grid = read_grid(XLSB.read_bytes(), "issues.xlsb", ReadOptions())
    assert grid.rows[0] == ("1",) and grid.rows[2] == ("ab",)
    assert xlsb_problem(xlsb_with(5, 3)) is None  # a cell moved near: read


@pytest.mark.parametrize(
    ("row", "col", "shown"),
    [(0x0FFFFF, 0x3FFF, "row 1,048,576, column 16,384"), (5, 4_000_000_000, "row 6, column 4,000,000,001")],
)
def test_a_far_xlsb_cell_is_refused_by_name(row: int, col: int, shown: str) -> None:
    """python-calamine builds the grid to the cell (and the process is killed)."""
    with pytest.raises(ResponseError) as err:
        read_grid(xlsb_with(row, col), "far.xlsb", ReadOptions())
    problem = err.value.problems[0]
    assert problem.rule == "sheet-size" and shown in problem.message and "holds 6 cells" in problem.message


def test_the_compiled_xlsb_walk_is_the_one_python_does(monkeypatch: pytest.MonkeyPatch) -> None:
    from aspire_models.formats import _xlsxscan

    for data in (XLSB.read_bytes(), xlsb_with(0x0FFFFF, 0x3FFF), xlsb_with(5, 4_000_000_000)):
        for info in zipfile.ZipFile(io.BytesIO(data)).infolist():
            if info.filename.startswith("xl/worksheets/") and info.filename.endswith(".bin"):
                sheet = zipfile.ZipFile(io.BytesIO(data)).read(info)
                plain = xlsb_extent(sheet)
                monkeypatch.setattr(_xlsxscan, "FAST_MIN_BYTES", 0)
                compiled = xlsb_extent(sheet)
                monkeypatch.setattr(_xlsxscan, "FAST_MIN_BYTES", 4 << 20)
                assert compiled == plain, info.filename


# -- .xls -----------------------------------------------------------------------------------------
XLS = Path(__file__).parent / "fixtures" / "workbooks" / "calamine-issues.xls"


def xls_with(record: bytes, offset: int, value: bytes) -> bytes:
    """The fixture with ``value`` written ``offset`` bytes into the body of the first record
    whose header (type and length) is ``record`` (the first sheet's, in this file)."""
    data = bytearray(XLS.read_bytes())
    at = data.find(record)
    assert at > 0
    data[at + 4 + offset : at + 4 + offset + len(value)] = value
    return bytes(data)


RK_ROW_5 = bytes.fromhex("7e020a00") + (5).to_bytes(2, "little")  # the RK cell record of row 5
DIMENSIONS = bytes.fromhex("00020e00")  # DIMENSIONS, 14 bytes (BIFF8)


def _rk_at(row: int, col: int) -> bytes:
    data = bytearray(XLS.read_bytes())
    at = data.find(RK_ROW_5)
    assert at > 0
    data[at + 4 : at + 8] = row.to_bytes(2, "little") + col.to_bytes(2, "little")
    return bytes(data)


def test_the_xls_fixture_is_read() -> None:
    assert xls_problem(XLS.read_bytes()) is None
    grid = read_grid(XLS.read_bytes(), "issues.xls", ReadOptions())
    assert grid.rows[0] == ("1",) and grid.rows[2] == ("ab",)
    assert xls_problem(_rk_at(5, 255)) is None  # a cell in the last BIFF8 column: 6 x 256
    assert xls_problem(_rk_at(65535, 255)) is None  # 65,536 x 256 cells: what calamine can build


@pytest.mark.parametrize(
    ("data", "shown"),
    [
        (lambda: _rk_at(65535, 65535), "sheet 1 places a cell at row 65,536, column 65,536"),
        (lambda: xls_with(DIMENSIONS, 4, (0xFFFFFF00).to_bytes(4, "little")), "DIMENSIONS record states"),
        (  # a last row before the first: calamine's unsigned subtraction wraps round
            lambda: xls_with(DIMENSIONS, 0, (7).to_bytes(4, "little") + (3).to_bytes(4, "little")),
            "a grid of 4,294,967,292 cells",
        ),
    ],
)
def test_an_xls_asking_for_billions_of_cells_is_refused_by_name(data: Callable[[], bytes], shown: str) -> None:
    """Each of these made python-calamine abort the process."""
    with pytest.raises(ResponseError) as err:
        read_grid(data(), "far.xls", ReadOptions())
    problem = err.value.problems[0]
    assert problem.rule == "sheet-size" and shown in problem.message and "holds 6 cells" in problem.message


# -- .xlsx shared strings ---------------------------------------------------------------------------
def xlsx_with_strings(sst_attrs: str, strings: str) -> bytes:
    """A one-sheet ``.xlsx`` whose A1 is shared string 0, its table ``<sst {sst_attrs}>``."""
    from tests.test_workbook_extent import book

    out = io.BytesIO()
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    sheet = book('<row r="1"><c r="A1" t="s"><v>0</v></c></row>')
    with zipfile.ZipFile(io.BytesIO(sheet)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info))
        dst.writestr("xl/sharedStrings.xml", f'<sst xmlns="{main}" {sst_attrs}>{strings}</sst>')
    return out.getvalue()


def test_a_shared_string_count_the_table_cannot_hold_is_refused_before_calamine_opens_it() -> None:
    """calamine reserves memory for the stated count when it opens the file (4 billion
    killed the process); both readers refuse it, whatever the file's size."""
    data = xlsx_with_strings('count="4000000000" uniqueCount="4000000000"', "<si><t>a</t></si>")
    with pytest.raises(ResponseError) as err:
        read_grid(data, "strings.xlsx", ReadOptions())
    problem = err.value.problems[0]
    assert problem.rule == "workbook" and "states 4,000,000,000 shared strings" in problem.message


def test_a_true_shared_string_count_is_read() -> None:
    data = xlsx_with_strings('count="1" uniqueCount="1"', "<si><t>respondent_id</t></si>")
    assert xlsx_problem(data) is None
    assert read_grid(data, "strings.xlsx", ReadOptions()).rows[0] == ("respondent_id",)
