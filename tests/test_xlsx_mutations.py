"""Damaged sheets: the compiled workbook reader, given a sheet or shared-string table with
bytes inserted, deleted or replaced, either gives python-calamine's cells or leaves the file
to calamine; it never reads a file calamine refuses, never gives other text, and never
crashes (its loops run without bounds checks, so a read past a buffer would)."""

from __future__ import annotations

import io
import random
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aspire_models.errors import ResponseError
from aspire_models.formats import _xlsxscan, grid
from aspire_models.formats.base import ReadOptions

_NS = "http://schemas.openxmlformats.org"
SHEET = (
    '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="inlineStr"><is><t xml:space="preserve"> x &amp; '
    'y_x000D_</t></is></c><c r="C1"><v>12</v></c></row><row r="2"><c r="A2" t="s"><v>1</v></c><c r="B2" t="b">'
    '<v>1</v></c><c r="C2"><v>-3.5E2</v></c><c r="D2" t="str"><f>A1</f><v>q</v></c></row><row><c><v>7</v></c>'
    '<c t="inlineStr"><is><t>\u00e9\r\nz</t></is></c></row>'
)
STRINGS = (
    '<si><t>alpha</t></si><si><r><rPr><b/></rPr><t>be</t></r><r><t xml:space="preserve"> ta </t></r>'
    '<rPh sb="0" eb="1"><t>P</t></rPh></si><si><t>  </t></si>'
)
PIECES = [*'<>/="\' &;#x_0123456789ABCrtvsifn\r\n\t', "<c>", "</c>", "<v>", "</v>", "<row>", "</row>", "<t>",
          "</t>", "<is>", "</is>", "<si>", "</si>", 'r="', 't="s"', "<r>", "</r>", "\u00e9", "\U0001f600",
          "&#10;", "&amp;", "_x0041_", "<f>", "</f>", ' xml:space="preserve"']  # fmt: skip


def book(sheet_data: str, strings: str) -> bytes:
    out = io.BytesIO()
    rel = f"{_NS}/officeDocument/2006/relationships"
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "[Content_Types].xml",
            f'<Types xmlns="{_NS}/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/></Types>',
        )
        z.writestr(
            "_rels/.rels",
            f'<Relationships xmlns="{_NS}/package/2006/relationships"><Relationship Id="rId1" '
            f'Type="{rel}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        z.writestr(
            "xl/workbook.xml",
            f'<workbook xmlns="{_NS}/spreadsheetml/2006/main" xmlns:r="{rel}">'
            '<sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>',
        )
        z.writestr(
            "xl/_rels/workbook.xml.rels",
            f'<Relationships xmlns="{_NS}/package/2006/relationships">'
            f'<Relationship Id="rId1" Type="{rel}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{rel}/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
        )
        z.writestr("xl/sharedStrings.xml", f'<sst xmlns="{_NS}/spreadsheetml/2006/main">{strings}</sst>'.encode())
        z.writestr(
            "xl/worksheets/sheet1.xml",
            f'<worksheet xmlns="{_NS}/spreadsheetml/2006/main"><sheetData>{sheet_data}</sheetData>'
            "</worksheet>".encode(),
        )
    return out.getvalue()


edit = st.tuples(st.sampled_from(["insert", "delete", "replace"]), st.floats(0, 1), st.sampled_from(PIECES))


def mutate(text: str, edits: list[tuple[str, float, str]]) -> str:
    chars = list(text)
    for op, where, piece in edits:
        at = min(int(where * len(chars)), max(len(chars) - 1, 0))
        if op == "insert":
            chars.insert(at, piece)
        elif op == "delete" and chars:
            del chars[at : at + 1 + len(piece) % 5]
        elif chars:
            chars[at] = piece
    return "".join(chars)


@pytest.fixture(autouse=True)
def every_size(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_xlsxscan, "FAST_MIN_BYTES", 0)


def calamine(data: bytes) -> tuple[list[list[str | None]], int] | None:
    try:
        raw, merged, _ = grid._sheet(data, "damaged.xlsx", ReadOptions())
    except ResponseError:
        return None
    if merged:
        return None
    got = grid._workbook_columns(raw)
    assert got is not None
    return [c.to_pylist() for c in got[0]], got[1]


def test_the_undamaged_sheet_is_read_fast_and_as_calamine_reads_it() -> None:
    data = book(SHEET, STRINGS)
    fast = _xlsxscan.read_columns(data, ReadOptions(), lambda names: names[0])
    assert fast is not None
    assert ([c.to_pylist() for c in fast[0]], fast[1]) == calamine(data)


def random_edits(rng: random.Random, most: int) -> list[tuple[str, float, str]]:
    return [
        (rng.choice(["insert", "delete", "replace"]), rng.random(), rng.choice(PIECES))
        for _ in range(rng.randint(1, most))
    ]


def check(sheet_data: str, strings: str) -> str:
    """'fast' or 'calamine': which reader read it (asserting the fast one read it as calamine does)."""
    data = book(sheet_data, strings)
    fast = _xlsxscan.read_columns(data, ReadOptions(), lambda names: names[0])
    if fast is None:
        return "calamine"
    expected = calamine(data)
    assert expected is not None, f"the compiled reader read a sheet calamine refuses: {sheet_data!r} {strings!r}"
    assert ([c.to_pylist() for c in fast[0]], fast[1]) == expected, (sheet_data, strings)
    return "fast"


@pytest.mark.parametrize("block", range(8))
def test_damaged_sheets_are_read_as_calamine_reads_them_or_left_to_calamine(block: int) -> None:
    """500 damaged workbooks per block, each from its own seed: one to three edits of the
    sheet (four times in five), of the shared strings (one time in two)."""
    rng = random.Random(20261202 + block)
    used = {"fast": 0, "calamine": 0}
    for _ in range(500):
        sheet = mutate(SHEET, random_edits(rng, 1 + block % 3)) if rng.random() < 0.8 else SHEET
        strings = mutate(STRINGS, random_edits(rng, 2)) if rng.random() < 0.5 else STRINGS
        used[check(sheet, strings)] += 1
    assert used["fast"] >= 25  # the compiled reader is tried, not always left out


@settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(sheet_edits=st.lists(edit, max_size=3), string_edits=st.lists(edit, max_size=2))
def test_a_damaged_sheet_is_read_as_calamine_reads_it_or_left_to_calamine(
    sheet_edits: list[tuple[str, float, str]], string_edits: list[tuple[str, float, str]]
) -> None:
    check(mutate(SHEET, sheet_edits), mutate(STRINGS, string_edits))


@pytest.mark.parametrize(
    ("sheet", "strings", "reader"),
    [  # damage the random edits above found, each once read differently by the two readers
        (SHEET.replace('t="b"', 't"="b"'), STRINGS, "calamine"),  # not an attribute name
        (SHEET, STRINGS.replace('sb="0" eb="1"', 'sb="0b="1"'), "calamine"),  # a value runs into the next
        (SHEET.replace("<f>A1</f>", "<f></si>A1</f>"), STRINGS, "calamine"),  # markup in a formula
        (SHEET.replace("<f>A1</f>", "<f>A1&amp;</f>"), STRINGS, "calamine"),  # an entity in a formula
        (SHEET.replace("<f>A1</f>", "<f>A1&</f>"), STRINGS, "calamine"),  # a bare & in a formula
        (SHEET, STRINGS.replace('<t xml:space="preserve"> ta', '<t Bxml:space="preserve"> ta'), "calamine"),
        (SHEET.replace("y_x000D_", "y_xC00D_"), STRINGS, "fast"),  # kept as written, as calamine keeps it
        (SHEET.replace("y_x000D_", "y_x00e9__x005F_x0041_"), STRINGS, "fast"),
    ],
)
def test_damage_once_read_differently(sheet: str, strings: str, reader: str) -> None:
    assert check(sheet, strings) == reader
