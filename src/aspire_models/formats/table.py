"""Plain tables: delimited text (``.csv``, ``.tsv``, ``.txt``, compressed or not) and
workbooks (``.xlsx``, ``.xlsm``, ``.ods``, ``.xls``) with one header row. The header row is
found (the first row that fills at least half the table's width) or given
(``header_row``). When the headers are an instrument's column ids no mapping is needed."""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa

from aspire_models.formats.base import Provenance, Source, SourceColumn
from aspire_models.formats.grid import is_workbook
from aspire_models.formats.layout import clean, find_header_row, make_table, unique_names

__all__ = ["TextTableReader", "WorkbookReader"]


def _read(source: Source, fmt: str) -> tuple[pa.Table, Provenance]:
    grid = source.grid()
    at = find_header_row(grid.rows, source.options.header_row, source.filename)
    headers = [clean(c) for c in grid.rows[at]]
    names, notes = unique_names(headers)
    columns = [SourceColumn(n, h or n) for n, h in zip(names, headers, strict=True)]
    if at:
        notes.append(f"header found on row {at + 1}; the {at} row(s) above it were skipped")
    return make_table(source, grid, fmt=fmt, columns=columns, first_data_row=at + 1, header_rows=1, warnings=notes)


class TextTableReader:
    """Delimited text with one header row."""

    id = "csv"
    title = "Delimited text (CSV, TSV; any line ending; .gz or one file in a .zip)"

    def sniff(self, head: bytes, filename: str, rows: Sequence[Sequence[str | None]] | None) -> float:
        if rows is None or is_workbook(head, filename):
            return 0.0
        return 0.2

    def read(self, source: Source) -> tuple[pa.Table, Provenance]:
        name = source.filename.lower().removesuffix(".gz")
        return _read(source, "tsv" if name.endswith((".tsv", ".tab")) else "csv")


class WorkbookReader:
    """A workbook sheet with one header row."""

    id = "workbook"
    title = "Workbook sheet (.xlsx, .xlsm, .ods, .xls)"

    def sniff(self, head: bytes, filename: str, rows: Sequence[Sequence[str | None]] | None) -> float:
        if rows is None:
            return 0.0
        return 0.2 if filename.lower().endswith((".xlsx", ".xlsm", ".ods", ".xls", ".xlsb")) else 0.0

    def read(self, source: Source) -> tuple[pa.Table, Provenance]:
        suffix = source.filename.lower().rsplit(".", 1)[-1]
        return _read(source, suffix if suffix in ("xlsx", "xlsm", "ods", "xls", "xlsb") else "workbook")
