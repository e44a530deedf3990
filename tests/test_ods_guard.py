"""An OpenDocument spreadsheet whose repeated cells holding values would expand to a grid far
larger than the file is refused by name before python-calamine opens it (calamine expands
them when it opens the file: a 1 KB file asked for 100 million cells and the process was
killed). Repeated empty cells, which LibreOffice writes to fill a sheet, are not counted."""

from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from aspire_models.errors import ResponseError
from aspire_models.formats._odsguard import ods_problem
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
