"""The compiled ``.xlsx`` sheet reader gives the calamine path's text, cell for cell, or None.

:func:`aspire_models.formats._xlsxscan.read_columns` reads a large sheet's XML straight into
Arrow text columns; whatever it cannot read exactly as python-calamine does, it must leave
to calamine (it returns None). These tests build workbooks by hand (zip + XML parts: every
cell shape, text escape and style the reader looks at) and with openpyxl, and compare the
columns with the trusted path (:func:`~aspire_models.formats.grid._sheet` then
:func:`~aspire_models.formats.grid._workbook_columns`). The reader is used only for files of
:data:`~aspire_models.formats._xlsxscan.FAST_MIN_BYTES` or more: the tests set it to 0.
"""

from __future__ import annotations

import io
import subprocess
import zipfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from aspire_models.errors import ResponseError
from aspire_models.formats import _xlsxscan
from aspire_models.formats import grid as grid_module
from aspire_models.formats.base import ReadOptions

ROOT = Path(__file__).resolve().parents[1]
SOURCE = "book.xlsx"
MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
OFFICE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE = "http://schemas.openxmlformats.org/package/2006/relationships"
CONTENT = "application/vnd.openxmlformats-officedocument.spreadsheetml"
X14AC = "http://schemas.microsoft.com/office/spreadsheetml/2009/9/ac"
DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

Columns = tuple[list[list[str | None]], int]


@pytest.fixture(autouse=True)
def _fast_for_every_size(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(_xlsxscan, "FAST_MIN_BYTES", 0)
    yield


# -- a workbook written by hand ------------------------------------------------------------------


def worksheet(sheet_data: str, *, before: str = "", after: str = "", head: str = DECL) -> str:
    """A worksheet part: ``<sheetData>`` holding ``sheet_data`` (rows), ``before`` and
    ``after`` it inside ``<worksheet>``."""
    return (
        f'{head}<worksheet xmlns="{MAIN}" xmlns:r="{OFFICE}" xmlns:x14ac="{X14AC}">{before}'
        f"<sheetData>{sheet_data}</sheetData>{after}</worksheet>"
    )


def chartsheet() -> str:
    views = '<sheetViews><sheetView workbookViewId="0"/></sheetViews>'
    return f'{DECL}<chartsheet xmlns="{MAIN}" xmlns:r="{OFFICE}">{views}</chartsheet>'


def shared_strings(items: Sequence[str], *, counts: bool = True) -> str:
    """A shared-string part of ``<si>`` contents (XML, as written)."""
    attrs = f' count="{len(items)}" uniqueCount="{len(items)}"' if counts else ""
    return f'{DECL}<sst xmlns="{MAIN}"{attrs}>' + "".join(f"<si>{s}</si>" for s in items) + "</sst>"


#: cell formats: 0 General, 1 "0.00", 2 a date (14), 3 a custom "0.0%", 4 a custom date
STYLES = (
    f'{DECL}<styleSheet xmlns="{MAIN}">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="0.0%"/>'
    '<numFmt numFmtId="165" formatCode="yyyy\\-mm\\-dd"/></numFmts>'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="5"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="2" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    "</cellXfs></styleSheet>"
)
#: the cell formats above that write a number as a date
DATE_STYLES = frozenset({2, 4})


def xlsx(
    sheets: Sequence[tuple[str, str]],
    *,
    strings: str | None = None,
    styles: str | None = None,
    chart: int | None = None,
    compression: int = zipfile.ZIP_DEFLATED,
) -> bytes:
    """A workbook of ``sheets`` ((name, worksheet part) in order), a shared-string part and a
    styles part when given; with ``chart`` a chartsheet is put at that position as well."""
    parts: list[tuple[str, str, str, str]] = []  # name, part path, relationship type, content type
    for k, (name, _) in enumerate(sheets, start=1):
        parts.append((name, f"worksheets/sheet{k}.xml", "worksheet", f"{CONTENT}.worksheet+xml"))
    if chart is not None:
        parts.insert(chart, ("Chart", "chartsheets/sheet1.xml", "chartsheet", f"{CONTENT}.chartsheet+xml"))
    overrides = [f'<Override PartName="/xl/{path}" ContentType="{ctype}"/>' for _, path, _, ctype in parts]
    overrides.append(f'<Override PartName="/xl/workbook.xml" ContentType="{CONTENT}.sheet.main+xml"/>')
    rels = [
        f'<Relationship Id="rId{k}" Type="{OFFICE}/{kind}" Target="{path}"/>'
        for k, (_, path, kind, _) in enumerate(parts, start=1)
    ]
    listed = [f'<sheet name="{name}" sheetId="{k}" r:id="rId{k}"/>' for k, (name, _, _, _) in enumerate(parts, start=1)]
    if strings is not None:
        overrides.append(f'<Override PartName="/xl/sharedStrings.xml" ContentType="{CONTENT}.sharedStrings+xml"/>')
        rels.append(f'<Relationship Id="rIdS" Type="{OFFICE}/sharedStrings" Target="sharedStrings.xml"/>')
    if styles is not None:
        overrides.append(f'<Override PartName="/xl/styles.xml" ContentType="{CONTENT}.styles+xml"/>')
        rels.append(f'<Relationship Id="rIdT" Type="{OFFICE}/styles" Target="styles.xml"/>')
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as z:
        z.writestr(
            "[Content_Types].xml",
            f'{DECL}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>' + "".join(overrides) + "</Types>",
        )
        z.writestr(
            "_rels/.rels",
            f'{DECL}<Relationships xmlns="{PACKAGE}"><Relationship Id="rId1" Type="{OFFICE}/officeDocument"'
            ' Target="xl/workbook.xml"/></Relationships>',
        )
        z.writestr(
            "xl/workbook.xml",
            f'{DECL}<workbook xmlns="{MAIN}" xmlns:r="{OFFICE}"><sheets>' + "".join(listed) + "</sheets></workbook>",
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels", f'{DECL}<Relationships xmlns="{PACKAGE}">{"".join(rels)}</Relationships>'
        )
        for k, (_, body) in enumerate(sheets, start=1):
            z.writestr(f"xl/worksheets/sheet{k}.xml", body)
        if chart is not None:
            z.writestr("xl/chartsheets/sheet1.xml", chartsheet())
        if strings is not None:
            z.writestr("xl/sharedStrings.xml", strings)
        if styles is not None:
            z.writestr("xl/styles.xml", styles)
    return buf.getvalue()


def one_sheet(sheet_data: str, *, strings: Sequence[str] | None = None, styles: str | None = None, **kw: str) -> bytes:
    return xlsx(
        [("Sheet1", worksheet(sheet_data, **kw))],
        strings=None if strings is None else shared_strings(strings),
        styles=styles,
    )


def col_name(col: int) -> str:
    """``A`` for column 0, ``AA`` for 26..."""
    name = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        name = chr(65 + rem) + name
    return name


# -- the two readers -----------------------------------------------------------------------------


def calamine(data: bytes, options: ReadOptions | None = None) -> tuple[Columns | None, str]:
    """The trusted path: the columns (as lists) and row count; None for columns when the
    sheet has merged cells (filled row by row, not comparable); and the sheet's name."""
    raw, merged, name = grid_module._sheet(data, SOURCE, options or ReadOptions())
    if merged:
        return None, name
    got = grid_module._workbook_columns(raw)
    if got is None:  # rows of different widths: the row-by-row text, made into columns
        rows = grid_module._trim(grid_module._cells(raw))
        width = max((len(r) for r in rows), default=0)
        return ([[r[j] if j < len(r) else None for r in rows] for j in range(width)], len(rows)), name
    columns, n_rows = got
    return ([c.to_pylist() for c in columns], n_rows), name


def fast(data: bytes, options: ReadOptions | None = None) -> tuple[Columns, str] | None:
    """The compiled reader's columns (as lists), row count and sheet name; None = calamine."""
    opts = options or ReadOptions()
    got = _xlsxscan.read_columns(data, opts, lambda names: grid_module.choose_sheet(names, SOURCE, opts), SOURCE)
    if got is None:
        return None
    columns, n_rows, name = got
    for c in columns:
        assert isinstance(c, pa.Array)
        assert c.type == pa.string()
        assert len(c) == n_rows
    return ([c.to_pylist() for c in columns], n_rows), name


def same_or_none(data: bytes, options: ReadOptions | None = None) -> bool:
    """Assert the compiled reader gives the calamine path's cells or None; whether it read it."""
    expected, name = calamine(data, options)
    got = fast(data, options)
    if got is None:
        return False
    assert expected is not None, "the compiled reader read a sheet with merged cells"
    assert got[1] == name
    assert got[0] == expected
    return True


def assert_same(data: bytes, options: ReadOptions | None = None) -> None:
    """The compiled reader reads it (no fallback) and gives the calamine path's cells."""
    assert fast(data, options) is not None, "the compiled reader fell back"
    assert same_or_none(data, options)


def assert_falls_back(data: bytes, options: ReadOptions | None = None) -> None:
    """The compiled reader leaves it to calamine, and read_grid gives calamine's cells (or
    the same error)."""
    assert fast(data, options) is None
    try:
        expected, _ = calamine(data, options)
    except ResponseError as exc:
        with pytest.raises(ResponseError) as caught:
            grid_module.read_grid(data, SOURCE, options or ReadOptions())
        assert str(caught.value) == str(exc)
        return
    rows = grid_module.read_grid(data, SOURCE, options or ReadOptions()).rows
    if expected is not None:
        columns, n_rows = expected
        assert [list(r) for r in rows] == [[c[i] for c in columns] for i in range(n_rows)]


# -- deterministic cells -------------------------------------------------------------------------


def test_the_reader_is_available() -> None:
    assert _xlsxscan.available()


def test_small_files_are_left_to_calamine(monkeypatch: pytest.MonkeyPatch) -> None:
    data = one_sheet('<row r="1"><c r="A1"><v>1</v></c></row>')
    monkeypatch.setattr(_xlsxscan, "FAST_MIN_BYTES", len(data) + 1)
    assert fast(data) is None
    monkeypatch.setattr(_xlsxscan, "FAST_MIN_BYTES", len(data))
    assert_same(data)


def test_a_plain_sheet() -> None:
    data = one_sheet(
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
        '<row r="2"><c r="A2"><v>7</v></c><c r="B2" t="inlineStr"><is><t>seven</t></is></c></row>'
        '<row r="4"><c r="C4" t="b"><v>1</v></c><c r="D4" t="b"><v>0</v></c></row>',
        strings=["<t>id</t>", "<t>name</t>"],
    )
    assert fast(data) == (([["id", "7", None, None], ["name", "seven", None, None], [None, None, None, "TRUE"],
                            [None, None, None, "FALSE"]], 4), "Sheet1")  # fmt: skip
    assert_same(data)


NUMBERS = [
    "0", "1", "42", "-3", "007", "-007", "3.5", "-0.25", "1E3", "1e-3", "2.5E+2", "-0", "0.0", "-0.0",
    "123456789012345678", "-123456789012345678", "999999999999999", "-999999999999999", "1000000000000000",
    "9007199254740993", "+7", ".5", "5.", "0.1", "1.0", "2.50", "1E400", "4.9E-324", "0.30000000000000004",
    "100000000000000000000", "12345678901234567890123", "2e-400", "-2e-400", "1.7976931348623157e308",
    "1.7976931348623159e308", "0000000000000001", "1e15", "-1e15", "999999999999999.9", "0.1e1",
]  # fmt: skip


@pytest.mark.parametrize("number", NUMBERS)
def test_a_number(number: str) -> None:
    data = one_sheet(f'<row r="1"><c r="A1"><v>{number}</v></c><c r="B1" t="n"><v>{number}</v></c></row>')
    same_or_none(data)
    assert_same(data)


@pytest.mark.parametrize("number", ["", " 7", "7 ", "1,5", "0x10", "inf", "NaN", "-", "1e", "7%", "١"])
def test_a_number_that_is_not_plain(number: str) -> None:
    rows = f'<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1"><v>{number}</v></c></row>'
    data = one_sheet(rows, strings=["<t>a</t>"])
    try:
        calamine(data)
    except ResponseError:
        assert fast(data) is None
    else:
        same_or_none(data)


TEXTS = [
    "plain", " lead", "trail ", "\tboth\n", "a\r\nb", "a\rb", "a\nb", "\x0b", "x\x0b", "\u00a0", "\u00a0x\u00a0",
    "\u3000", "\u3000x", "😀", "é", "a&amp;b", "&lt;tag&gt;", "&quot;q&quot;", "&apos;", "&#10;", "a&#10;b",
    "&#65;", "x&#x42;", "&#x42;y", "_x000D_", "a_x000D_b", "_x0041_", "_x005F_x000D_", "_x000d_", "_xD83D_",
    "_xD83D__xDE00_", "_x0000_", "_x0009_", "_x0020_a", "a_x0020_", "_x00A0_", "_x", "_x12_", "_X0041_", "  ",
    " \t\r\n ", "&#32;", " a &#32;", "&#x3000;", "&#13;", "a&#13;&#10;b", "&amp;amp;", "&amp;#65;", "&#38;#65;",
    "&#95;x0041_", "_x0026_amp;", "&#x1F600;", "&#xFFFE;", "&#1114111;", "\x1c", "\x85", "\u2028", "a\x00b", "\x00",
    "&#x85;", "a\x85", "\x85a", "_x0085_", "_x001C_", "a]]>b", "a>b", "'\"",
    "a\r&#10;b", "a&#13;\nb", "a\r_x000A_b", "a_x000D_\nb", "a\r\r\nb", "a&#13;\r\nb", "\r", "a\r", "_x000D__x000A_",
]  # fmt: skip


@pytest.mark.parametrize("text", TEXTS)
@pytest.mark.parametrize("shape", ["shared", "preserved", "inline", "inline-preserved", "formula"])
def test_a_text(text: str, shape: str) -> None:
    same_or_none(text_sheet(text, shape))


def text_sheet(text: str, shape: str) -> bytes:
    """A sheet of two cells: a shared string, then ``text`` (as written in the XML) in a
    shared string, an inline string or a formula's text (``shape``)."""
    strings = ["<t>pad</t>"]
    if shape == "shared":
        strings.append(f"<t>{text}</t>")
        cell = '<c r="B1" t="s"><v>1</v></c>'
    elif shape == "preserved":
        strings.append(f'<t xml:space="preserve">{text}</t>')
        cell = '<c r="B1" t="s"><v>1</v></c>'
    elif shape == "inline":
        cell = f'<c r="B1" t="inlineStr"><is><t>{text}</t></is></c>'
    elif shape == "inline-preserved":
        cell = f'<c r="B1" t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'
    else:
        cell = f'<c r="B1" t="str"><f>"x"</f><v>{text}</v></c>'
    return one_sheet(f'<row r="1"><c r="A1" t="s"><v>0</v></c>{cell}</row>', strings=strings)


@pytest.mark.parametrize(
    "text",
    ["_x00FF_", "a_x00ff_b", "_x0100_", "ID_x20AC_", "a_x2028_b", "_xFFFF_", "_x4E00_x", "_x00+9_", "_x00+A_x",
     "_x00-1_", "_x0+41_", "_x00 9_", "_x00+_"],
)  # fmt: skip
@pytest.mark.parametrize("shape", ["shared", "inline-preserved"])
def test_escapes_beyond_latin1(text: str, shape: str) -> None:
    """calamine (python-calamine 0.9) decodes ``_x00HH_`` only (its two last digits read as
    a byte, a sign allowed); ``_x0100_`` and above stay as written."""
    assert_same(text_sheet(text, shape))


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["", "a", " ", "_", "_x", "&amp;"]),
            st.text(alphabet="0123456789abcdefABCDEFxX+- _", min_size=1, max_size=5),
        ),
        min_size=1,
        max_size=3,
    ),
    st.sampled_from(["shared", "preserved", "inline", "inline-preserved"]),
)
def test_random_escapes(parts: list[tuple[str, str]], shape: str) -> None:
    """Text near the ``_xHHHH_`` form (a digit short or over, a sign, a space, another case)."""
    text = "".join(f"{before}_x{digits}_" for before, digits in parts)
    event("read" if same_or_none(text_sheet(text, shape)) else "left to calamine")


RICH = [
    "<r><t>bold</t></r>",
    '<r><rPr><b/><sz val="11"/><color rgb="FFFF0000"/><rFont val="Calibri"/><family val="2"/></rPr><t>bold</t></r>'
    '<r><t xml:space="preserve"> and plain</t></r>',
    "<t>head</t><r><t>run</t></r>",
    "<r><rPr><b/></rPr><t> lead</t></r><r><t>trail </t></r>",
    '<r><t xml:space="preserve">  </t></r><r><t xml:space="preserve">\t</t></r>',
    "<r><t>a&amp;b</t></r><r><t>_x000D_</t></r>",
    "<r><t>a\r\nb</t></r><r><t>c\rd</t></r>",
    '<t>\u6f22\u5b57</t><rPh sb="0" eb="2"><t>\u304b\u3093\u3058</t></rPh><phoneticPr fontId="1"/>',
    '<t>x</t><phoneticPr fontId="1" type="noConversion"/>',
    '<r><t>\u6f22</t></r><rPh sb="0" eb="1"><t>\u304b\u3093</t></rPh><phoneticPr fontId="1"/>',
    "<r><t/></r><r><t>only</t></r>",
    "<r><t></t></r>",
    "\n  <t>pretty</t>\n",
    "\n <r>\n <t>b</t>\n </r>\n <r><t> c</t></r>\n",
    '<r><t xml:space="default"> y </t></r><r><t>z</t></r>',
    "<r><t xml:space='preserve'> y </t></r><r><t>z</t></r>",
    '<r><t xml:space="preserve" foo="1"> y </t></r><r><t>z</t></r>',
    '<t xml:space="default"> y </t>',
    "<t xml:space='preserve'> y </t>",
    "<si/>",
]


@pytest.mark.parametrize("item", RICH)
def test_rich_and_phonetic_shared_strings(item: str) -> None:
    data = one_sheet('<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>',
                     strings=["<t>pad</t>", item])  # fmt: skip
    same_or_none(data)


def test_plain_rich_text_is_read() -> None:
    data = one_sheet(
        '<row r="1"><c r="A1" t="s"><v>0</v></c></row>',
        strings=['<r><rPr><b/></rPr><t>bold</t></r><r><t xml:space="preserve"> plain</t></r>'],
    )
    assert_same(data)


EMPTY_CELLS = [
    '<c r="B1"/>',
    '<c r="B1" t="n"></c>',
    '<c r="B1" s="1"/>',
    '<c r="B1" t="s"/>',
    '<c r="B1" t="inlineStr"><is><t/></is></c>',
    '<c r="B1" t="inlineStr"><is><t></t></is></c>',
    '<c r="B1" t="inlineStr"><is></is></c>',
    '<c r="B1" t="str"><f>""</f><v></v></c>',
    '<c r="B1" t="str"><f>""</f></c>',
    '<c r="B1"><f>1+1</f></c>',
    '<c r="B1"><f>1+1</f><v></v></c>',
    '<c r="B1"><f>1+1</f><v/></c>',
    '<c r="B1"><v></v></c>',
    '<c r="B1" t="b"></c>',
]


@pytest.mark.parametrize("cell", EMPTY_CELLS)
def test_an_empty_cell(cell: str) -> None:
    data = one_sheet(f'<row r="1"><c r="A1"><v>1</v></c>{cell}<c r="C1"><v>3</v></c></row><row r="2">{cell}</row>')
    same_or_none(data)


@pytest.mark.parametrize(
    "cell",
    [
        '<c r="B1"><f>1+1</f><v>2</v></c>',
        '<c r="B1" t="b"><f>TRUE()</f><v>1</v></c>',
        '<c r="B1"><f t="shared" ref="B1:B2" si="0">A1*2</f><v>2</v></c>',
        '<c r="B1"><f t="shared" si="0"/><v>4</v></c>',
        '<c r="B1" s="0" t="n"><v>5</v></c>',
    ],
)
def test_formula_cells_are_read(cell: str) -> None:
    data = one_sheet(f'<row r="1"><c r="A1"><v>1</v></c>{cell}</row>', styles=STYLES)
    assert_same(data)


@pytest.mark.parametrize(
    "rows",
    [
        "<row><c><v>1</v></c><c><v>2</v></c></row><row><c><v>3</v></c></row>",  # no references at all
        '<row r="1"><c><v>1</v></c><c r="C1"><v>2</v></c><c><v>3</v></c></row>',  # some cells without
        '<row r="3"><c r="B3"><v>1</v></c></row><row><c r="C4"><v>2</v></c></row>',  # a row without r after one with
        '<row r="5" spans="2:3" ht="15" customHeight="1"><c r="B5" s="0"><v>1</v></c></row>',  # leading empty rows
        '<row r="1"/><row r="2"></row><row r="3"><c r="A3"><v>1</v></c></row>',
        '<row r="1"><c r="A1"><v>1</v></c><c r="E1"/><c r="F1" t="s"/></row><row r="9"/>',  # trailing blanks
        '<row r="1"><c r="AA1"><v>1</v></c><c r="ZZ1"><v>2</v></c></row>',
        '\n  <row r="1">\n    <c r="A1">\n      <v>1</v>\n    </c>\n  </row>\n',
        "<row r='1'><c r='A1' t='inlineStr'><is><t xml:space='preserve'> x </t></is></c></row>",
        '<row r="3"/><row><c><v>1</v></c></row>',  # a row without r after an empty one
        '<row r="3"></row><row><c><v>1</v></c></row>',
        '<row r="2"><c r="C2"/><c><v>1</v></c></row>',  # a cell without r after an empty one
        '<row r="2"><c r="C2" t="s"/><c><v>1</v></c></row>',
        '<row><c r="C1"/><c><v>1</v></c></row><row><c><v>2</v></c></row>',
        '<row r="1"><c><v>1</v><v>2</v></c></row>',  # two values: the last
        '<row r="1"><c t="s"><v>0</v><v>1</v></c></row>',
        '<row r="2"><c r="A2"><v>1</v></c></row><row><c r="A3"><v>2</v></c></row>',
        '<row r="01"><c r="A01"><v>1</v></c></row>',
        '<row r="1"><c r="XFD1"><v>1</v></c></row>',
        '<row r="1"><c r="A1" t="b"><v>1</v></c><c r="B1" t="b"><f>1=1</f><v>0</v></c></row>',
        '<row r="1"><c r="A1" t="s"><v>01</v></c></row>',
        '<row r="1"><c r = "A1" t = "n"><v>1</v></c></row>',
        '<row r="1"><c r="A1" cm="1"><f t="array" ref="A1">SEQUENCE(1)</f><v>1</v></c></row>',
        '<row r="1"><c r="A1" ph="1" t="s"><v>1</v></c></row>',
        "",
    ],
)
def test_row_and_column_positions(rows: str) -> None:
    data = one_sheet(rows, strings=["<t>a</t>", "<t>b</t>"], styles=STYLES)
    assert_same(data)


@pytest.mark.parametrize(
    "rows",
    [
        '<row r="1"><c t="inlineStr"><is><t>a</t></is><is><t>b</t></is></c></row>',
        '<row r="1" ><c r="A1" ><v >1</v></c></row>',
        '<row r="1"><c r="A1"><v>1</v></c ></row>',
        '<row r="1"><c r="A1"><f>1+1</f><v /></c></row>',
        '<row r="1"><c r="A1"><!-- note --><v>1</v></c></row>',
        '<row r="1"><c r="A1" t="inlineStr"><is><t><![CDATA[a<b]]></t></is></c></row>',
        '<row r="1"><c r="A1" t="s"><v> 0</v></c></row>',
        '<row r="1"><c r="a1"><v>1</v></c></row>',
        '<row r="1"><c r="$A$1"><v>1</v></c></row>',
        '<row r="1"><c r="A1" t="b"><v>2</v></c></row>',
        '<row r="1"><c r="A1" t="b"><v>true</v></c></row>',
        '<row r="1"><c r="A1"><is><t>x</t></is></c></row>',
        '<row r="1"><c r="A1" t="inlineStr"><v>1</v><is><t>x</t></is></c></row>',
        '<row r="1"><c r="A1" t="inlineStr"><is><t>x</t><rPh sb="0" eb="1"><t>y</t></rPh></is></c></row>',
        '<row r="1"><c r="A1" t="str"><v>a&amp;b</v></c></row>',
        '<row r="1"><c r="A1" t="str"><f>"a"&amp;"b"</f><v>ab</v></c></row>',
        '<row r="1"><c r="A1"><f>A2&lt;3</f><v>1</v></c></row>',
        '<row r="1"><c r="A1"><f t="shared" si="0" ref="A1:A2">1</f><v>1</v></c></row>',
        '<row r="1"><c r="A1"><f t="shared"si="0">1</f><v>1</v></c></row>',
        '<row r="1"><c r="A1" t="s"x="1"><v>0</v></c></row>',
        '<row r="0"><c><v>1</v></c></row>',
        '<row r="1"><c r="XFE1"><v>1</v></c></row>',
    ],
)
def test_shapes_the_reader_need_not_know(rows: str) -> None:
    data = one_sheet(rows, strings=["<t>a</t>"])
    try:
        calamine(data)
    except ResponseError:
        assert fast(data) is None
    else:
        same_or_none(data)


@pytest.mark.parametrize(
    "rows",
    [
        '<row r="2"><c r="A2"><v>1</v></c></row><row r="1"><c r="A1"><v>2</v></c></row>',  # rows out of order
        '<row r="1"><c r="B1"><v>1</v></c><c r="A1"><v>2</v></c></row>',  # cells out of order
        '<row r="1"><c r="A2"><v>1</v></c></row>',  # a reference to another row
        '<row r="1"><c r="A1"><v>1</v></c><c r="A1"><v>2</v></c></row>',  # a cell twice
    ],
)
def test_cells_out_of_order(rows: str) -> None:
    data = one_sheet(rows)
    try:
        expected = calamine(data)
    except ResponseError:
        assert fast(data) is None
        return
    assert expected is not None
    same_or_none(data)


def test_many_small_cells_and_strings() -> None:
    """More cells and shared strings than the loops first make room for (they resume)."""
    rows = "".join(
        "<row>"
        + "".join(
            f"<c><v>{(r * 7 + c) % 10}</v></c>" if c % 3 else f'<c t="s"><v>{(r + c) % 2100}</v></c>'
            for c in range(120)
        )
        + "</row>"
        for r in range(150)
    )
    strings = ["<t/>" if k % 2 else f"<t>s{k}</t>" for k in range(2100)]
    assert_same(one_sheet(rows, strings=strings))


@pytest.mark.parametrize(
    "far",
    [
        '<c r="XFD1048576" s="0"/>',
        '<c r="XFD1048576" t="s"/>',
        '<c r="XFD1048576" t="n"></c>',
        '<c r="XFD1048576" t="b"></c>',
        '<c r="XFD1048576"> </c>',
        '<c r="XFD1048576"><f>1+1</f></c>',
        '<c r="XFD1048576"><f>1+1</f><v></v></c>',
        '<c r="XFD1048576"><v/></c>',
        '<c r="XFD1048576" t="str"><f>""</f></c>',
    ],
)
def test_a_far_cell_without_a_value(far: str) -> None:
    """A cell far away without a value (formatted, a formula not computed, an empty value):
    calamine does not make a grid reaching it (checked below on calamine itself), so the
    workbook is read, and by both paths alike."""
    import python_calamine

    data = one_sheet(f'<row r="1"><c r="A1"><v>1</v></c></row><row r="1048576">{far}</row>', styles=STYLES)
    book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    assert book.get_sheet_by_name("Sheet1").to_python(skip_empty_area=False) == [[1.0]]
    assert calamine(data) == (([["1"]], 1), "Sheet1")
    assert fast(data) in (None, (([["1"]], 1), "Sheet1"))


@pytest.mark.parametrize(
    "far",
    [
        '<c r="XFD1048576" t="inlineStr"><is><t> </t></is></c>',
        '<c r="XFD1048576" t="inlineStr"><is><t></t></is></c>',
        '<c r="XFD1048576" t="inlineStr"><is><t/></is></c>',
        '<c r="XFD1048576" t="inlineStr"><is></is></c>',
        '<c r="XFD1048576" t="s"><v>1</v></c>',
        '<c r="XFD1048576" t="str"><f>""</f><v></v></c>',
    ],
)
def test_a_far_cell_with_a_blank_value(far: str) -> None:
    """A far cell holding blank text: calamine would make the whole grid, so the sheet-size
    guard refuses the sheet (checked first, so calamine is never asked); the compiled
    reader refuses it in the same words (or the answer would depend on the file's size)."""
    data = one_sheet(
        f'<row r="1"><c r="A1"><v>1</v></c></row><row r="1048576">{far}</row>', strings=["<t>a</t>", "<t> </t>"]
    )
    assert _xlsxscan.sparse_sheet(data, "Sheet1") is not None
    with pytest.raises(ResponseError) as caught:
        grid_module.read_grid(data, SOURCE, ReadOptions())
    assert [p.rule for p in caught.value.problems] == ["sheet-size"]
    with pytest.raises(ResponseError) as fast_caught:
        fast(data)
    assert str(fast_caught.value) == str(caught.value)


# -- styles --------------------------------------------------------------------------------------


@pytest.mark.parametrize("style", [0, 1, 3])
def test_number_formats_without_dates_are_read(style: int) -> None:
    data = one_sheet(f'<row r="1"><c r="A1" s="{style}"><v>0.25</v></c><c r="B1" s="{style}"><v>3</v></c></row>',
                     styles=STYLES)  # fmt: skip
    assert_same(data)


@pytest.mark.parametrize("style", sorted(DATE_STYLES))
def test_a_date_styled_number_is_read_as_calamine_reads_it(style: int) -> None:
    data = one_sheet(f'<row r="1"><c r="A1"><v>1</v></c><c r="B1" s="{style}"><v>45000</v></c></row>', styles=STYLES)
    assert_same(data)


#: custom number formats: dates and times, durations, and numbers (letters only in quotes)
DATE_CODES = ["yyyy-mm-dd h:mm:ss", "[h]:mm:ss", "0.0%", "h:mm AM/PM", "mm:ss.0", "[mm]:ss", "d-mmm", "#,##0",
              "General", "@", "yy", "[ss]", "0.00", 'hh"h"mm', 'dd/mm/yyyy\\ hh:mm', '0" days"']  # fmt: skip
#: built-in number formats: numbers, dates and times (14-22, 45, 47), a duration (46)
DATE_BUILTINS = [0, 1, 2, 9, 10, 14, 15, 16, 17, 18, 19, 20, 21, 22, 45, 46, 47, 48, 49]
#: serial numbers around the edges of calamine's conversion: below 1 (a time), 59-61
#: (Excel's 29 February 1900), whole days, milliseconds rounding half away from zero,
#: negative, the last day of 9999 and beyond it (the number itself)
DATE_VALUES = ["0.5", "1", "45000", "45000.5", "45000.3333333", "60", "61", "59", "-1", "1e7", "2958465.99999",
               "45000.0000001", "0", "45000.99999999", "0.00001", "2958466", "-0.5", "1.5", "59.5", "60.5",
               "-693594.5", "0.49999999999999994", "45000.00000578703", "45000.000005787037", "1E2", "3.0"]  # fmt: skip


def date_book(values: list[str]) -> bytes:
    """Each value in every date-like format: custom codes (ids 164...) then built-ins."""
    formats = "".join(
        f'<numFmt numFmtId="{164 + i}" formatCode="{c.replace(chr(34), "&quot;")}"/>' for i, c in enumerate(DATE_CODES)
    )
    xfs = "".join(f'<xf numFmtId="{164 + i}"/>' for i in range(len(DATE_CODES)))
    xfs += "".join(f'<xf numFmtId="{b}"/>' for b in DATE_BUILTINS)
    styles = f'{DECL}<styleSheet xmlns="{MAIN}"><numFmts>{formats}</numFmts><cellXfs>{xfs}</cellXfs></styleSheet>'
    width = len(DATE_CODES) + len(DATE_BUILTINS)
    rows = "".join(
        f'<row r="{r + 1}">' + "".join(f'<c s="{x}"><v>{v}</v></c>' for x in range(width)) + "</row>"
        for r, v in enumerate(values)
    )
    return one_sheet(rows, styles=styles)


def test_dates_times_and_durations_as_calamine_gives_them() -> None:
    assert_same(date_book(DATE_VALUES))


@settings(max_examples=100, deadline=None, derandomize=True)
@given(st.lists(st.floats(min_value=-1e5, max_value=3e6, allow_nan=False), min_size=1, max_size=8))
def test_any_date_within_excel_years_as_calamine_gives_it(values: list[float]) -> None:
    assert_same(date_book([repr(v) for v in values]))


def test_a_1904_workbook_is_left_to_calamine() -> None:
    data = date_book(["45000.5"])
    assert_same(data)

    def in_1904(name: str, part: bytes) -> list[tuple[str, bytes]]:
        if name == "xl/workbook.xml":
            part = part.replace(b"<sheets>", b'<workbookPr date1904="1"/><sheets>')
        return [(name, part)]

    assert_falls_back(rewrite(data, in_1904))


def test_a_date_style_on_text_or_an_empty_cell() -> None:
    data = one_sheet(
        '<row r="1"><c r="A1" s="2" t="s"><v>0</v></c><c r="B1" s="2"/>'
        '<c r="C1" s="4" t="inlineStr"><is><t>x</t></is></c><c r="D1" s="2" t="b"><v>1</v></c></row>',
        strings=["<t>a</t>"],
        styles=STYLES,
    )
    same_or_none(data)


def test_a_style_beyond_the_cell_formats() -> None:
    data = one_sheet('<row r="1"><c r="A1" s="9"><v>1</v></c></row>', styles=STYLES)
    same_or_none(data)


# -- what is left to calamine --------------------------------------------------------------------

ROWS = '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1"><v>2</v></c></row><row r="2"><c r="B2"><v>3.5</v></c></row>'


def test_merged_cells_fall_back() -> None:
    data = one_sheet(ROWS, strings=["<t>a</t>"], after='<mergeCells count="1"><mergeCell ref="A1:A2"/></mergeCells>')
    assert_falls_back(data)
    assert grid_module.read_grid(data, SOURCE, ReadOptions()).rows == (("a", "2"), ("a", "3.5"))


@pytest.mark.parametrize(
    "cell",
    [
        '<c r="C1" t="e"><v>#DIV/0!</v></c>',
        '<c r="C1" t="e"><f>1/0</f><v>#DIV/0!</v></c>',
        '<c r="C1" t="d"><v>2024-03-01T00:00:00</v></c>',
        '<c r="C1" t="inlineStr"><is><r><t>a</t></r><r><t>b</t></r></is></c>',
        '<c r="C1" vm="1"><v>1</v></c>',
        '<c r="C1" t="z"><v>1</v></c>',
        '<c r="C1"><v>1</v><extLst/></c>',
    ],
)
def test_cells_left_to_calamine(cell: str) -> None:
    data = one_sheet(f'<row r="1"><c r="A1"><v>1</v></c>{cell}</row>')
    assert_falls_back(data)


def test_a_doctype_falls_back() -> None:
    head = DECL + '<!DOCTYPE worksheet [<!ENTITY who "me">]>'
    data = one_sheet(ROWS, strings=["<t>a</t>"], head=head)
    assert fast(data) is None
    try:
        expected = grid_module.read_grid(data, SOURCE, ReadOptions())
    except ResponseError as exc:
        with pytest.raises(ResponseError) as caught:
            _sheet_by_calamine(data)
        assert str(caught.value) == str(exc)
    else:
        assert_falls_back(data)
        assert expected.rows == _sheet_by_calamine(data)


def _sheet_by_calamine(data: bytes) -> tuple[tuple[str | None, ...], ...]:
    got, _ = calamine(data)
    assert got is not None
    columns, n_rows = got
    return tuple(tuple(c[i] for c in columns) for i in range(n_rows))


def test_a_namespace_prefix_falls_back() -> None:
    rows = ROWS.replace("<row", "<x:row").replace("</row", "</x:row").replace("<c ", "<x:c ").replace("</c>", "</x:c>")
    rows = rows.replace("<v>", "<x:v>").replace("</v>", "</x:v>")
    body = f'{DECL}<x:worksheet xmlns:x="{MAIN}"><x:sheetData>{rows}</x:sheetData></x:worksheet>'
    data = xlsx([("Sheet1", body)], strings=shared_strings(["<t>a</t>"]))
    assert fast(data) is None
    assert_falls_back(data)


def test_a_chartsheet_falls_back() -> None:
    data = xlsx([("Data", worksheet(ROWS)), ("More", worksheet(ROWS))], strings=shared_strings(["<t>a</t>"]), chart=1)
    for sheet in (None, "Data", "More", 0, 2):
        assert_falls_back(data, ReadOptions(sheet=sheet))


def test_a_workbook_not_in_utf8_falls_back() -> None:
    body = worksheet(ROWS, head='<?xml version="1.0" encoding="UTF-16"?>').encode("utf-16")
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(one_sheet(ROWS, strings=["<t>a</t>"]))) as src, zipfile.ZipFile(buf, "w") as dst:
        for info in src.infolist():
            dst.writestr(info, body if info.filename.endswith("sheet1.xml") else src.read(info))
    data = buf.getvalue()
    assert fast(data) is None


@pytest.mark.parametrize(
    "text", [b"ab\xffcd", b"ab\xed\xa0\x80cd", b"ab\xc0\xafcd", b"\xe9t\xe9", b"ab\xf4\x90\x80\x80"]
)
@pytest.mark.parametrize("where", ["inline", "shared"])
def test_bytes_that_are_not_utf8_fall_back(text: bytes, where: str) -> None:
    """Not UTF-8 (a stray byte, an encoded surrogate, an overlong form, Latin-1, beyond U+10FFFF)."""
    cell = (
        b'<c r="A1" t="s"><v>0</v></c>'
        if where == "shared"
        else b'<c r="A1" t="inlineStr"><is><t>' + text + b"</t></is></c>"
    )
    strings = shared_strings(["<t>x</t>"]).encode()
    if where == "shared":
        strings = strings.replace(b"<t>x</t>", b"<t>" + text + b"</t>")

    def change(name: str, part: bytes) -> list[tuple[str, bytes]]:
        if name == "xl/worksheets/sheet1.xml":
            part = worksheet("").encode().replace(b"<sheetData>", b'<sheetData><row r="1">' + cell + b"</row>")
        elif name == "xl/sharedStrings.xml":
            part = strings
        return [(name, part)]

    assert_falls_back(rewrite(one_sheet("", strings=["<t>x</t>"]), change))


def test_a_sheet_in_latin1_falls_back() -> None:
    head = '<?xml version="1.0" encoding="ISO-8859-1"?>\n'
    body = worksheet('<row r="1"><c r="A1" t="inlineStr"><is><t>caf\u00e9</t></is></c></row>', head=head)
    data = rewrite(one_sheet(""), lambda n, p: [(n, body.encode("latin-1") if n.endswith("sheet1.xml") else p)])
    assert_falls_back(data)


def test_an_empty_sheet_is_the_same_error(monkeypatch: pytest.MonkeyPatch) -> None:
    data = one_sheet('<row r="1"><c r="A1" t="inlineStr"><is><t> </t></is></c></row>')
    assert_same(data)
    with pytest.raises(ResponseError) as by_fast:
        grid_module.read_grid(data, SOURCE, ReadOptions())
    monkeypatch.setattr(_xlsxscan, "FAST_MIN_BYTES", 1 << 62)
    with pytest.raises(ResponseError) as by_calamine:
        grid_module.read_grid(data, SOURCE, ReadOptions())
    assert [p.rule for p in by_fast.value.problems] == ["not-empty"]
    assert str(by_fast.value) == str(by_calamine.value)


def test_an_xlsm_workbook() -> None:
    macro = "application/vnd.ms-excel.sheet.macroEnabled.main+xml"

    def change(name: str, part: bytes) -> list[tuple[str, bytes]]:
        if name == "[Content_Types].xml":
            part = part.replace(f"{CONTENT}.sheet.main+xml".encode(), macro.encode())
            return [(name, part), ("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0 not really")]
        return [(name, part)]

    data = rewrite(one_sheet(ROWS, strings=["<t>a</t>"]), change)
    assert_same(data)
    grid = grid_module.read_grid(data, "book.xlsm", ReadOptions())
    assert grid.columns is not None
    assert tuple(grid.rows) == (("a", "2"), (None, "3.5"))


def test_a_stored_zip_is_read() -> None:
    data = xlsx([("Sheet1", worksheet(ROWS))], strings=shared_strings(["<t>a</t>"]), compression=zipfile.ZIP_STORED)
    assert_same(data)


def test_an_index_beyond_the_shared_strings() -> None:
    data = one_sheet('<row r="1"><c r="A1" t="s"><v>3</v></c></row>', strings=["<t>a</t>"])
    assert fast(data) is None


def rewrite(data: bytes, change: Callable[[str, bytes], list[tuple[str, bytes]]]) -> bytes:
    """The workbook with each part replaced by the parts ``change(name, bytes)`` gives."""
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            for name, part in change(info.filename, src.read(info)):
                dst.writestr(name, part)
    return buf.getvalue()


def relate(old: bytes, new: bytes) -> Callable[[str, bytes], list[tuple[str, bytes]]]:
    def change(name: str, part: bytes) -> list[tuple[str, bytes]]:
        if name == "xl/_rels/workbook.xml.rels":
            part = part.replace(old, new)
        return [(name, part)]

    return change


STYLED = '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" s="1"><v>45000</v></c></row>'


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (b'Target="worksheets/', b'Target="/xl/worksheets/'),  # absolute targets
        (b'Target="', b'Target="/xl/'),
        (b'<Relationship Id="rIdS"', b'<Other Id="rIdS"'),  # the shared strings not related
        (b'<Relationship Id="rIdT"', b'<Other Id="rIdT"'),  # the styles not related
        (b'Target="worksheets/', b'Target="xl/worksheets/'),
    ],
)
def test_relationships(old: bytes, new: bytes) -> None:
    data = rewrite(one_sheet(STYLED, strings=["<t>a</t>"], styles=STYLES), relate(old, new))
    try:
        calamine(data)
    except ResponseError:
        assert fast(data) is None
    else:
        same_or_none(data)


def test_a_sheet_target_calamine_does_not_resolve() -> None:
    """calamine looks for ``xl/../xl/worksheets/sheet1.xml`` and refuses the workbook."""
    up = relate(b'Target="worksheets/', b'Target="../xl/worksheets/')
    data = rewrite(one_sheet(STYLED, strings=["<t>a</t>"], styles=STYLES), up)
    with pytest.raises(ResponseError):
        calamine(data)
    assert fast(data) is None


def test_shared_strings_elsewhere_than_calamine_reads() -> None:
    """calamine reads ``xl/sharedStrings.xml`` whatever the relationships say."""

    def change(name: str, part: bytes) -> list[tuple[str, bytes]]:
        if name == "xl/sharedStrings.xml":
            return [("xl/strings2.xml", part), (name, part.replace(b"<t>a</t>", b"<t>other</t>"))]
        if name == "xl/_rels/workbook.xml.rels":
            return [(name, part.replace(b'Target="sharedStrings.xml"', b'Target="strings2.xml"'))]
        return [(name, part)]

    data = rewrite(one_sheet(STYLED, strings=["<t>a</t>"], styles=STYLES), change)
    assert calamine(data) == (([["other"], ["45000"]], 1), "Sheet1")
    same_or_none(data)
    alone = rewrite(data, lambda name, part: [] if name == "xl/sharedStrings.xml" else [(name, part)])
    with pytest.raises(ResponseError):
        calamine(alone)
    assert fast(alone) is None


def test_styles_elsewhere_than_calamine_reads() -> None:
    """calamine reads ``xl/styles.xml`` whatever the relationships say."""

    def change(name: str, part: bytes) -> list[tuple[str, bytes]]:
        if name == "xl/styles.xml":
            return [("xl/styles2.xml", part), (name, part.replace(b'<xf numFmtId="2" ', b'<xf numFmtId="14" '))]
        if name == "xl/_rels/workbook.xml.rels":
            return [(name, part.replace(b'Target="styles.xml"', b'Target="styles2.xml"'))]
        return [(name, part)]

    data = rewrite(one_sheet(STYLED, strings=["<t>a</t>"], styles=STYLES), change)
    assert calamine(data) == (([["a"], ["2023-03-15"]], 1), "Sheet1")
    same_or_none(data)


def test_number_formats_of_differential_formats() -> None:
    """A ``<dxf>`` (conditional formatting) may hold a ``<numFmt>`` of the same id: it is
    not the cell format's number format (calamine reads only ``<numFmts>``)."""
    styles = STYLES.replace('formatCode="0.0%"', 'formatCode="yyyy-mm-dd"').replace(
        "</cellXfs>",
        '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
        '<dxfs count="1"><dxf><numFmt numFmtId="164" formatCode="0.00"/></dxf></dxfs>',
    )
    data = one_sheet('<row r="1"><c r="A1" s="3"><v>45000</v></c></row>', styles=styles)
    assert calamine(data) == (([["2023-03-15"]], 1), "Sheet1")
    same_or_none(data)


FORMATS = [
    "0.0%", "0.00", "#,##0.00_);(#,##0.00)", "0&quot; days&quot;", "&quot;d&quot;0", "@", "# ?/?", "0%", "General",
    "0.00E+00", "0;-0;&quot;zero&quot;", "[h]:mm", "mm:ss", "0_m", "\\d0", "[Red]0.00", "general", "d", "",
]  # fmt: skip


@pytest.mark.parametrize("code", FORMATS)
@pytest.mark.parametrize("number", ["45000.5", "1", "-1", "0.25"])
def test_custom_number_formats(code: str, number: str) -> None:
    styles = STYLES.replace('formatCode="0.0%"', f'formatCode="{code}"')
    data = one_sheet(f'<row r="1"><c r="A1" s="3"><v>{number}</v></c></row>', styles=styles)
    same_or_none(data)


@pytest.mark.parametrize("builtin", [0, 1, 2, 14, 22, 45, 49])
def test_a_custom_format_in_place_of_a_built_in_one(builtin: int) -> None:
    styles = STYLES.replace('numFmtId="164" formatCode="0.0%"', f'numFmtId="{builtin}" formatCode="0.00"').replace(
        '<xf numFmtId="164" ', f'<xf numFmtId="{builtin}" '
    )
    data = one_sheet('<row r="1"><c r="A1" s="3"><v>45000.5</v></c></row>', styles=styles)
    same_or_none(data)


# -- choosing the sheet --------------------------------------------------------------------------


def three_sheets() -> bytes:
    return xlsx(
        [
            ("First", worksheet('<row r="1"><c r="A1" t="inlineStr"><is><t>first</t></is></c></row>')),
            ("2", worksheet('<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1"><v>2</v></c></row>')),
            ("Third sheet", worksheet('<row r="2"><c r="B2" t="s"><v>1</v></c></row>')),
        ],
        strings=shared_strings(["<t>second</t>", "<t>third</t>"]),
    )


@pytest.mark.parametrize("sheet", [None, "First", "2", "Third sheet", 0, 1, 2, "0", "1"])
def test_a_sheet_by_name_or_position(sheet: str | int | None) -> None:
    data = three_sheets()
    assert_same(data, ReadOptions(sheet=sheet))
    got = fast(data, ReadOptions(sheet=sheet))
    assert got is not None
    _, name = calamine(data, ReadOptions(sheet=sheet))
    assert got[1] == name


@pytest.mark.parametrize("sheet", ["Fourth", 3, "7", -1])
def test_a_missing_sheet_is_the_same_error(sheet: str | int) -> None:
    data = three_sheets()
    with pytest.raises(ResponseError) as by_calamine:
        grid_module._sheet(data, SOURCE, ReadOptions(sheet=sheet))
    with pytest.raises(ResponseError) as by_grid:
        grid_module.read_grid(data, SOURCE, ReadOptions(sheet=sheet))
    assert [p.rule for p in by_calamine.value.problems] == ["sheet"]
    assert str(by_grid.value) == str(by_calamine.value)
    try:  # the compiled reader raises the same error, or leaves the workbook to calamine
        assert fast(data, ReadOptions(sheet=sheet)) is None
    except ResponseError as exc:
        assert str(exc) == str(by_calamine.value)


def hidden_sheets() -> bytes:
    data = xlsx(
        [
            ("Hidden", worksheet('<row r="1"><c r="A1"><v>1</v></c></row>')),
            ("A&amp;B", worksheet('<row r="1"><c r="A1"><v>2</v></c></row>')),
            ("Very", worksheet('<row r="1"><c r="A1"><v>3</v></c></row>')),
        ]
    )

    def hide(name: str, part: bytes) -> list[tuple[str, bytes]]:
        if name == "xl/workbook.xml":
            part = part.replace(b'name="Hidden"', b'name="Hidden" state="hidden"')
            part = part.replace(b'name="Very"', b'name="Very" state="veryHidden"')
        return [(name, part)]

    return rewrite(data, hide)


@pytest.mark.parametrize("sheet", [None, 0, 1, 2, "A&B", "Hidden", "Very"])
def test_hidden_sheets_and_names_with_entities(sheet: str | int | None) -> None:
    assert_same(hidden_sheets(), ReadOptions(sheet=sheet))


@pytest.mark.parametrize(
    "sheet",
    [None, 0, 1, 2, "A", "B"],
)
def test_two_sheets_of_one_name(sheet: str | int | None) -> None:
    """Excel refuses two sheets of one name; calamine lists both and reads the first."""
    data = xlsx([(name, worksheet(f'<row r="1"><c r="A1"><v>{k}</v></c></row>')) for k, name in enumerate("AAB")])
    same_or_none(data, ReadOptions(sheet=sheet))


@pytest.mark.parametrize(
    "name",
    ["A\tB", "A\nB", "A\r\nB", "A&#9;B", "A&#10;B", " A ", "A&amp;B", "\u00e9\u6f22"],
)
@pytest.mark.parametrize("sheet", [None, 0])
def test_sheet_names_with_white_space(name: str, sheet: int | None) -> None:
    """A tab or line end written as it is in a sheet's name: XML makes it a space, calamine
    keeps it (the name is reported with the grid)."""
    data = xlsx([(name, worksheet('<row r="1"><c r="A1"><v>1</v></c></row>')), ("Other", worksheet(""))])
    same_or_none(data, ReadOptions(sheet=sheet))


def test_read_grid_is_the_same_with_and_without_the_reader(monkeypatch: pytest.MonkeyPatch) -> None:
    data = three_sheets()
    for sheet in (None, 1, "Third sheet"):
        options = ReadOptions(sheet=sheet)
        monkeypatch.setattr(_xlsxscan, "FAST_MIN_BYTES", 0)
        with_reader = grid_module.read_grid(data, SOURCE, options)
        assert with_reader.columns is not None
        monkeypatch.setattr(_xlsxscan, "FAST_MIN_BYTES", 1 << 62)
        without = grid_module.read_grid(data, SOURCE, options)
        assert tuple(with_reader.rows) == tuple(without.rows)
        assert with_reader.sheet == without.sheet
        assert with_reader.warnings == without.warnings
        assert with_reader.container == without.container
        assert without.columns is not None
        assert [c.to_pylist() for c in with_reader.columns] == [c.to_pylist() for c in without.columns]


def test_without_the_compiled_loops(monkeypatch: pytest.MonkeyPatch) -> None:
    """Where numba cannot load, every workbook is read by calamine, with the same cells."""
    data = three_sheets()
    expected = grid_module.read_grid(data, SOURCE, ReadOptions(sheet=1))
    monkeypatch.setattr(_xlsxscan, "available", lambda: False)
    assert fast(data) is None
    got = grid_module.read_grid(data, SOURCE, ReadOptions(sheet=1))
    assert tuple(got.rows) == tuple(expected.rows) == (("second", "2"),)


def test_a_gzipped_workbook(monkeypatch: pytest.MonkeyPatch) -> None:
    import gzip

    data = gzip.compress(three_sheets())
    with_reader = grid_module.read_grid(data, "book.xlsx.gz", ReadOptions(sheet="Third sheet"))
    monkeypatch.setattr(_xlsxscan, "FAST_MIN_BYTES", 1 << 62)
    without = grid_module.read_grid(data, "book.xlsx.gz", ReadOptions(sheet="Third sheet"))
    assert with_reader.columns is not None
    assert tuple(with_reader.rows) == tuple(without.rows) == ((None, None), (None, "third"))
    assert with_reader.container == without.container == "gz+workbook"


# -- workbooks written by openpyxl ---------------------------------------------------------------


def openpyxl_book(write_only: bool, rows: Sequence[Sequence[Any]], *, merge: str | None = None) -> bytes:
    from openpyxl import Workbook

    wb = Workbook(write_only=write_only)
    ws = wb.create_sheet("Data") if write_only else wb.active
    if not write_only:
        ws.title = "Data"
    for row in rows:
        ws.append(list(row))
    if merge is not None:
        ws.merge_cells(merge)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


OPENPYXL_ROWS: list[list[Any]] = [
    ["id", "name", "score", "ok", "note"],
    [1, "Ann", 4.5, True, None],
    [2, " Bob ", -3, False, "line\nbreak"],
    [None, "café 😀", 1e20, None, "a & b < c"],
    [123456789012345, "_x000D_", 0.1, True, "  "],
    [7, "=1+1", None, None, "tab\there"],
    [],
    [None, None, None, None, "last"],
]


def sheet_xml(data: bytes) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        return z.read("xl/worksheets/sheet1.xml").decode("utf-8")


@pytest.mark.parametrize("write_only", [False, True])
def test_openpyxl_workbooks(write_only: bool) -> None:
    """openpyxl (3.1) writes text as inline strings in both modes, and a formula it has not
    computed as ``<f>1+1</f><v />``: the reader may leave such a sheet to calamine."""
    data = openpyxl_book(write_only, OPENPYXL_ROWS)
    assert "<f>1+1</f>" in sheet_xml(data)
    same_or_none(data)


@pytest.mark.parametrize("write_only", [False, True])
def test_openpyxl_workbooks_without_formulas_are_read(write_only: bool) -> None:
    rows = [[c for c in r if not (isinstance(c, str) and c.startswith("="))] for r in OPENPYXL_ROWS]
    data = openpyxl_book(write_only, rows)
    assert_same(data)


def test_openpyxl_dates_are_read_and_merged_cells_fall_back() -> None:
    import datetime as dt

    assert_same(openpyxl_book(False, [["when"], [dt.date(2024, 3, 1)], [dt.datetime(2024, 3, 1, 9, 30)]]))
    assert_falls_back(openpyxl_book(False, [["a", None], [1, 2]], merge="A1:B1"))


# -- the repository's workbook fixtures ----------------------------------------------------------


def fixture_workbooks() -> list[str]:
    try:
        out = subprocess.run(
            ["git", "ls-files", "*.xlsx", "*.xlsm"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        out = []
    found = {str(p.relative_to(ROOT)) for p in (ROOT / "tests").rglob("*.xls[xm]")}
    # the hostile workbooks of tests/corpus/ are refused by name (tests/test_corpus.py)
    return sorted(p for p in found | set(out) if p.startswith("tests/") and not p.startswith("tests/corpus/"))


#: fixtures the compiled reader leaves to calamine, and why
FIXTURES_LEFT_TO_CALAMINE: dict[str, str] = {}


@pytest.mark.parametrize("path", fixture_workbooks())
def test_fixture_workbooks(path: str) -> None:
    data = (ROOT / path).read_bytes()
    read = same_or_none(data)
    assert read == (path not in FIXTURES_LEFT_TO_CALAMINE)


# -- random sheets -------------------------------------------------------------------------------

#: pieces of text as written in the XML (entities and references as they are)
PIECES = [
    "a", "b", "Z", "0", "7", " ", "  ", "\t", "\n", "\r\n", "\r", "\x0b", "\u00a0", "\u3000", "😀", "é", "\u6f22",
    "&amp;", "&lt;", "&gt;", "&quot;", "&apos;", "&#10;", "&#65;", "&#x42;", "&#32;", "&#13;", "_x000D_", "_x0041_",
    "_x005F_x000D_", "_x000d_", "_xD83D_", "_xDE00_", "_x0020_", "_x", "x_", "_", "_x00FF_", "_x00e9_", "_x0001_",
    "_x0009_", "&#x1F600;", "&#x85;", "\x85", "\u2028", "\x1c",
]  # fmt: skip
TEXT = st.lists(st.sampled_from(PIECES), max_size=6).map("".join)
BLANK = st.lists(st.sampled_from([" ", "\t", "\n", "\r\n", "\u00a0", "\u3000", "\x0b"]), min_size=1, max_size=3).map(
    "".join
)
ANY_TEXT = st.one_of(TEXT, BLANK, st.sampled_from(TEXTS))
PLAIN_TEXT = st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=8)

NUMBER = st.one_of(
    st.sampled_from(NUMBERS),
    st.integers(-(10**16), 10**16).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.decimals(allow_nan=False, allow_infinity=False, places=3).map(str),
)
WHOLE = st.integers(-(10**14), 10**14).map(str)


def t_tag(text: str, preserve: bool) -> str:
    return f'<t xml:space="preserve">{text}</t>' if preserve else f"<t>{text}</t>"


@st.composite
def shared_item(draw: st.DrawFn, text: st.SearchStrategy[str] = ANY_TEXT, rich: bool = True) -> str:
    """One ``<si>``'s content: one ``<t>``, rich text runs, or text with phonetic runs."""
    shape = draw(st.sampled_from(["t", "t", "rich", "phonetic"] if rich else ["t"]))
    if shape == "t":
        return t_tag(draw(text), draw(st.booleans()))
    if shape == "rich":
        runs = draw(st.lists(st.tuples(text, st.booleans(), st.booleans()), min_size=1, max_size=3))
        props = '<rPr><b/><sz val="11"/></rPr>'
        return "".join(f"<r>{props if bold else ''}{t_tag(t, keep)}</r>" for t, keep, bold in runs)
    head = t_tag(draw(text), draw(st.booleans()))
    reading = draw(text)
    return f'{head}<rPh sb="0" eb="1"><t>{reading}</t></rPh><phoneticPr fontId="1" type="noConversion"/>'


#: what a random cell may be
CELL_KINDS = ("number", "shared", "inline", "empty", "bool", "formula-text", "formula", "formula-empty")
PLAIN_KINDS = ("number", "shared", "inline", "empty")
EMPTY_BODIES = ("", ' t="n"', ' s="0"', ' t="s"', ' t="b"', ' t="str"', ' t="inlineStr"')


@st.composite
def cell(draw: st.DrawFn, strings: list[str], kinds: Sequence[str], styles: Sequence[int], *, plain: bool) -> str:
    """The attributes (without ``r``) and content of one cell, up to its closing tag; shared
    strings are added to ``strings``."""
    kind = draw(st.sampled_from(kinds))
    style = ""
    if len(styles) > 0 and draw(st.booleans()):
        style = f' s="{draw(st.sampled_from(styles))}"'
    if kind == "number":
        explicit = ' t="n"' if not plain and draw(st.booleans()) else ""
        value = draw(WHOLE if plain else NUMBER)
        return f"{style}{explicit}><v>{value}</v>"
    if kind == "shared":
        if len(strings) > 0 and draw(st.booleans()):
            index = draw(st.integers(0, len(strings) - 1))
        else:
            strings.append(f"<t>{draw(PLAIN_TEXT)}</t>" if plain else draw(shared_item()))
            index = len(strings) - 1
        return f'{style} t="s"><v>{index}</v>'
    if kind == "inline":
        text = draw(PLAIN_TEXT) if plain else draw(ANY_TEXT)
        return f' t="inlineStr"><is>{t_tag(text, not plain and draw(st.booleans()))}</is>'
    if kind == "bool":
        return f'{style} t="b"><v>{draw(st.sampled_from("01"))}</v>'
    if kind == "formula-text":
        return f' t="str"><f>"x"</f><v>{draw(ANY_TEXT)}</v>'
    if kind == "formula":
        return f"{style}><f>1+1</f><v>{draw(NUMBER)}</v>"
    if kind == "formula-empty":
        return f"{style}><f>1+1</f>"
    return draw(st.sampled_from(EMPTY_BODIES))


def sheet_part(draw: st.DrawFn, strings: list[str], kinds: Sequence[str], styles: Sequence[int], plain: bool) -> str:
    """A worksheet part of random rows and cells (with and without references, gaps, leading
    empty rows, trailing blank cells, white space between tags); shared strings are added
    to ``strings``."""
    gap_text = "" if plain else draw(st.sampled_from(["", "", "\n", "\n  ", "\r\n\t"]))
    row_no = draw(st.integers(0, 3))  # 1-based row of the row before the first
    rows: list[str] = []
    for _ in range(draw(st.integers(0, 6))):
        gap = draw(st.integers(0, 2))
        row_no += 1 + gap
        with_r = gap > 0 or draw(st.booleans()) or (row_no == 1 and draw(st.booleans()))
        if not with_r and rows == [] and row_no != 1:
            with_r = True
        cells: list[str] = []
        col = -1
        for _ in range(draw(st.integers(0, 5))):
            col_gap = draw(st.integers(0, 2))
            col += 1 + col_gap
            ref = f' r="{col_name(col)}{row_no}"' if col_gap or draw(st.booleans()) else ""
            body = draw(cell(strings, kinds, styles, plain=plain))
            if body in EMPTY_BODIES:
                closed = draw(st.booleans())
                cells.append(f"<c{ref}{body}/>" if closed else f"<c{ref}{body}></c>")
            else:
                cells.append(f"<c{ref}{body}</c>")
        attrs = f' r="{row_no}"' if with_r else ""
        if with_r and draw(st.booleans()):
            attrs += f' spans="1:{max(col + 1, 1)}" x14ac:dyDescent="0.25"'
        inner = gap_text + gap_text.join(cells) + gap_text
        rows.append(f"<row{attrs}>{inner}</row>" if len(cells) > 0 or draw(st.booleans()) else f"<row{attrs}/>")
    before = draw(
        st.sampled_from(
            [
                "",
                '<dimension ref="A1"/>',
                '<dimension ref="B2:C9"/><sheetViews><sheetView workbookViewId="0"/></sheetViews>'
                '<sheetFormatPr defaultRowHeight="15"/><cols><col min="1" max="3" width="9" customWidth="1"/></cols>',
            ]
        )
    )
    after = draw(st.sampled_from(["", '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3"/>']))
    return worksheet(gap_text + gap_text.join(rows) + gap_text, before=before, after=after)


@st.composite
def random_sheet(draw: st.DrawFn, *, plain: bool = False, sheets: int = 1) -> bytes:
    """A workbook of ``sheets`` sheets of random cells (see :func:`sheet_part`), its shared
    strings and maybe styles. Each sheet uses a few kinds of cell and style (so that one
    shape left to calamine does not decide every sheet)."""
    strings: list[str] = []
    parts: list[tuple[str, str]] = []
    any_styles = False
    for k in range(sheets):
        kinds = sorted(draw(st.sets(st.sampled_from(PLAIN_KINDS if plain else CELL_KINDS), min_size=1)))
        styles = [] if plain else sorted(draw(st.sets(st.integers(0, 4))))
        any_styles |= len(styles) > 0
        parts.append((f"Sheet{k + 1}", sheet_part(draw, strings, kinds, styles, plain)))
    return xlsx(
        parts,
        strings=shared_strings(strings, counts=draw(st.booleans()))
        if len(strings) > 0 or draw(st.booleans())
        else None,
        styles=STYLES.replace('formatCode="0.0%"', f'formatCode="{draw(st.sampled_from(FORMATS))}"')
        if any_styles or draw(st.booleans())
        else None,
    )


def compare_random(data: bytes, options: ReadOptions | None = None) -> None:
    try:
        expected, name = calamine(data, options)
    except BaseException as exc:  # a ResponseError; or calamine's Rust panic on a date out of range
        if not isinstance(exc, ResponseError) and type(exc).__name__ != "PanicException":
            raise
        event("calamine refuses the workbook")
        assert fast(data, options) is None, f"calamine refuses it ({exc}) but the compiled reader reads it"
        return
    got = fast(data, options)
    if got is None:
        event("left to calamine")
        return
    event("read by the compiled reader")
    assert expected is not None
    assert got == (expected, name)


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(random_sheet())
def test_random_sheets_read_the_same_or_fall_back(data: bytes) -> None:
    compare_random(data)


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(random_sheet(plain=True))
def test_random_plain_sheets_never_fall_back(data: bytes) -> None:
    assert_same(data)


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 3).flatmap(lambda n: st.tuples(random_sheet(sheets=n), st.integers(0, n - 1))), st.booleans())
def test_random_books_of_several_sheets(book: tuple[bytes, int], by_name: bool) -> None:
    """One sheet of several (sharing the shared strings), chosen by position or by name."""
    data, k = book
    compare_random(data, ReadOptions(sheet=f"Sheet{k + 1}" if by_name else k))


@pytest.mark.parametrize("value", ["-106751991169", "1e300"])
def test_a_date_calamine_cannot_make_is_a_named_error_not_a_crash(value: str) -> None:
    """python-calamine panics on a date-styled number far out of range (pyo3's
    PanicException, not an Exception): the reader reports it as a bad workbook."""
    style = sorted(DATE_STYLES)[0]
    data = one_sheet(f'<row r="1"><c r="A1"><v>1</v></c><c r="B1" s="{style}"><v>{value}</v></c></row>', styles=STYLES)
    try:
        grid = grid_module.read_grid(data, SOURCE, ReadOptions())
    except ResponseError as exc:
        assert [p.rule for p in exc.problems] == ["workbook"]
    else:
        assert grid.rows[0][0] == "1"
