"""Workbooks read column by column give the same cells, tables and responses as row by row.

A workbook sheet without merged cells is turned into Arrow text columns with one vectorised
step per column (:func:`aspire_models.formats.grid._workbook_columns`); the general path
converts each cell (:func:`~aspire_models.formats.grid._cells`) and drops trailing empty rows
and columns (:func:`~aspire_models.formats.grid._trim`). Both must give the same text for
every cell: whole numbers without ``.0``, other numbers as ``repr``, Excel dates as ISO
dates, booleans as ``TRUE``/``FALSE``, numbers stored as text as written, blank text as
blank; and the same bytes, so that a response set's fingerprint does not depend on the path.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aspire_models import Registry, _columnar
from aspire_models.engine import load_responses
from aspire_models.formats import grid as grid_module
from aspire_models.formats import read_export
from aspire_models.formats.base import ColumnRows, Grid, ReadOptions, Source, SourceColumn
from aspire_models.formats.grid import _cell, _cells, _column_text, _trim, _workbook_columns
from aspire_models.formats.layout import make_table
from aspire_models.responses import ResponseSet

SOP = "aspire-sop-self-assessment"


def _text_column(values: list[str | None]) -> pa.Array:
    return pa.array(values, type=pa.string())


def same_bytes(a: pa.Array, b: pa.Array) -> None:
    """Equal values and equal canonical bytes (offsets, data, validity), as fingerprinted."""
    assert a.to_pylist() == b.to_pylist()
    assert _columnar.table_digest(["c"], [a]) == _columnar.table_digest(["c"], [b])


# -- one column at a time -----------------------------------------------------------------------
CELLS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-10, 12).map(float),
    st.sampled_from([0.0, -0.0, 7.5, 0.1 + 0.2, 1e15, -1e15, 1e15 - 1, 123456789.123, 1e-7, 2.0**60]),
    st.text(max_size=8),
    st.sampled_from(["", " ", "\t", "\u00a0", "\u3000 ", "7", " 7 ", "7.0", "seven", "café"]),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.dates(),
    st.datetimes(),
    st.times(),
    st.timedeltas(),
)


@given(st.lists(CELLS, max_size=40))
def test_a_column_of_any_cells_reads_as_cell_by_cell(values: list[Any]) -> None:
    arr = np.empty(len(values), dtype=object)
    arr[:] = values
    same_bytes(_column_text(arr), _text_column([_cell(v) for v in values]))


@pytest.mark.parametrize(
    "values",
    [
        [1.0, 2.0, 3.0],  # all numbers
        ["a", "", " ", "b"],  # all text, some blank
        [1.0, "", 2.5, " 3 ", "x", 1e15, -0.0],  # numbers with blanks and text
        [True, 1.0, "1", dt.date(2025, 3, 15)],  # other types among them
        ["", "", ""],  # all blank
        [],
    ],
)
def test_column_kinds(values: list[Any]) -> None:
    arr = np.empty(len(values), dtype=object)
    arr[:] = values
    same_bytes(_column_text(arr), _text_column([_cell(v) for v in values]))


@given(
    st.lists(st.lists(st.one_of(st.none(), CELLS), min_size=3, max_size=3), max_size=12).map(
        # python-calamine gives "" for an empty cell
        lambda rows: [["" if c is None else c for c in r] for r in rows]
    )
)
def test_a_sheet_reads_as_row_by_row(raw: list[list[Any]]) -> None:
    expected = _trim(_cells(raw))
    got = _workbook_columns(raw)
    assert got is not None
    columns, n_rows = got
    assert n_rows == len(expected)
    assert len(columns) == (len(expected[0]) if expected else 0)
    assert ColumnRows(columns, n_rows) == tuple(tuple(r) for r in expected)
    for j, col in enumerate(columns):
        same_bytes(col, _text_column([r[j] for r in expected]))


def test_rows_of_different_widths_take_the_row_path() -> None:
    assert _workbook_columns([["a", "b"], ["c"]]) is None
    assert _workbook_columns([]) == ([], 0)


# -- the row view of columns ------------------------------------------------------------------
def test_column_rows_behave_as_a_tuple_of_rows() -> None:
    rows = (("a", "1", None), ("b", None, "x"), (None, "3", "y"), ("d", "4", None))
    columns = [pa.array([r[j] for r in rows], type=pa.string()) for j in range(3)]
    view = ColumnRows(columns, 4)
    assert len(view) == 4 and view == rows and rows == view and view == list(rows)
    assert view[0] == rows[0] and view[-1] == rows[-1] and view[1:3] == rows[1:3]
    assert view[::2] == rows[::2] and view[5:] == () and list(view) == list(rows)
    assert view != rows[:3] and view != ("a",)
    assert hash(view) == hash(rows)
    with pytest.raises(IndexError):
        view[4]
    with pytest.raises(ValueError, match="one cell per row"):
        ColumnRows([pa.array(["a"]), pa.array(["b", "c"])], 1)
    assert ColumnRows([], 2)[0:2] == ((), ())


@pytest.mark.parametrize(("first", "skip"), [(1, ()), (2, (3,)), (1, (1, 4, 99)), (9, ())])
def test_a_table_from_columns_is_the_table_from_rows(first: int, skip: tuple[int, ...]) -> None:
    rows = (("h1", "h2"), ("a", "1"), ("b", None), ("h1", "h2"), (None, "4"), ("e", "5"))
    columns = [pa.array([r[j] for r in rows], type=pa.string()) for j in range(2)]
    by_rows = Grid(rows=rows, encoding=None, sheet="S", container="workbook")
    by_columns = Grid(
        rows=ColumnRows(columns, len(rows)), encoding=None, sheet="S", container="workbook", columns=tuple(columns)
    )
    cols = [SourceColumn("h1", "h1"), SourceColumn("h2", "h2")]
    source = Source(b"", "w.xlsx")
    a, pa_ = make_table(source, by_rows, fmt="xlsx", columns=cols, first_data_row=first, header_rows=1, skip=skip)
    b, pb = make_table(source, by_columns, fmt="xlsx", columns=cols, first_data_row=first, header_rows=1, skip=skip)
    assert a.equals(b) and pa_ == pb
    # a header narrower than the rows: the row path names the rows with extra cells
    narrow = [SourceColumn("h1", "h1")]
    c, pc_ = make_table(source, by_columns, fmt="xlsx", columns=narrow, first_data_row=1, header_rows=1)
    d, pd_ = make_table(source, by_rows, fmt="xlsx", columns=narrow, first_data_row=1, header_rows=1)
    assert c.equals(d) and pc_ == pd_ and pc_.row_problems


# -- whole workbooks ----------------------------------------------------------------------------
def _mixed_workbook(path: Path, *, merged: bool = False) -> None:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "Responses"
    ws.append(["Staff survey 2025"])  # a title row above the table
    ws.append(
        [
            "respondent_id",
            "organisation",
            "alignment.now",
            "alignment.future",
            "alignment-worked",
            "hr-tools-used",
            "submitted",
            None,
        ]
    )
    answers: list[Any] = [7, "8", " 9 ", "7.0", 7.5, None, "", "seven", 11, 3.0, 1e15, True, -0.0, "  "]
    comments: list[Any] = ["Fine, thanks", "", "   ", None, "Line one\nline two", "café", 42, 0.1 + 0.2]
    for i in range(60):
        ws.append(
            [
                f"r{i}" if i % 17 else i,  # some ids are numbers
                "Northshire" if i % 3 else "Riverside",
                answers[i % len(answers)],
                answers[(i * 5) % len(answers)],
                comments[i % len(comments)],
                "employee-relations" if i % 4 else None,
                dt.datetime(2025, 3, 14, 9, 30) if i % 2 else dt.date(2025, 3, 15),
                None,
            ]
        )
    if merged:
        ws.merge_cells("A1:C1")
    for _ in range(3):  # trailing empty rows
        ws.append([None] * 8)
    wb.save(path)


def same_responses(a: ResponseSet, b: ResponseSet) -> None:
    assert (a.n_input, a.n_accepted, a.n_rejected) == (b.n_input, b.n_accepted, b.n_rejected)
    assert [r.to_dict() for r in a.rejected] == [r.to_dict() for r in b.rejected]
    assert a.rows.tolist() == b.rows.tolist()
    assert a.respondent_id.tolist() == b.respondent_id.tolist()
    assert a.organisation.labels == b.organisation.labels
    np.testing.assert_array_equal(a.numeric, b.numeric)
    assert {k: v.tolist() for k, v in a.multi.items()} == {k: v.tolist() for k, v in b.multi.items()}
    assert {k: a.text.arrow(k).to_pylist() for k in a.text} == {k: b.text.arrow(k).to_pylist() for k in b.text}
    assert a.warnings == b.warnings
    assert a.digest == b.digest


def _row_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(grid_module, "_workbook_columns", lambda raw: None)


def test_a_workbook_reads_the_same_by_columns_as_by_rows(
    tmp_path: Path, core: Registry, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "mixed.xlsx"
    _mixed_workbook(path)
    ins = core.instrument(SOP)
    fast_grid = Source(path.read_bytes(), str(path)).grid()
    assert fast_grid.columns is not None and isinstance(fast_grid.rows, ColumnRows)
    fast_table, fast_prov = read_export(path)
    fast = load_responses(ins, path, allow_missing_items=True, extra_columns="ignore")
    assert fast.n_rejected > 0 and fast.n_accepted > 0  # both kinds of row are compared
    _row_path(monkeypatch)
    slow_grid = Source(path.read_bytes(), str(path)).grid()
    assert slow_grid.columns is None and isinstance(slow_grid.rows, tuple)
    assert fast_grid.rows == slow_grid.rows and len(fast_grid.rows) == 62  # trailing rows dropped
    assert len(slow_grid.rows[0]) == 7  # the empty last column dropped
    assert fast_grid.rows[2] == ("0", "Riverside", "7", "7", "Fine, thanks", None, "2025-03-15")
    assert fast_grid.rows[4] == (
        "r2",
        "Northshire",
        " 9 ",
        "1000000000000000.0",
        None,
        "employee-relations",
        "2025-03-15",
    )
    slow_table, slow_prov = read_export(path)
    assert fast_table.equals(slow_table) and fast_prov == slow_prov
    assert _columnar.table_digest(fast_table.column_names, fast_table.columns) == _columnar.table_digest(
        slow_table.column_names, slow_table.columns
    )
    slow = load_responses(ins, path, allow_missing_items=True, extra_columns="ignore")
    same_responses(fast, slow)


def test_a_workbook_with_merged_cells_is_read_row_by_row(tmp_path: Path) -> None:
    path = tmp_path / "merged.xlsx"
    _mixed_workbook(path, merged=True)
    grid = Source(path.read_bytes(), str(path)).grid()
    assert grid.columns is None
    assert grid.rows[0][:3] == ("Staff survey 2025",) * 3
    assert any("merged cell" in w for w in grid.warnings)
    assert read_export(path, options=ReadOptions(header_row=2))[0].num_rows == 60
