"""Before python-calamine opens an OpenDocument spreadsheet (``.ods``): the grid it would build.

An ``.ods`` sheet says "this row, 100,000 times" and "this cell, 1,000 times"
(``table:number-rows-repeated``, ``table:number-columns-repeated``), and python-calamine
expands every repeated cell that holds a value when it opens the file: a 1 KB file can ask
for a hundred million cells, and the process is killed when memory runs out (no ``except``
catches that). Repeated *empty* cells, which LibreOffice writes to fill a sheet to its last
row and column, are not expanded, and are not counted here either.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib

from aspire_models.formats._xlsxscan import MAX_SPARSE_CELLS
from aspire_models.limits import DEFAULT_LIMITS

__all__ = ["ods_problem"]

_TOKEN = re.compile(
    rb"<table:table-row\b([^>]*?)(/?)>"
    rb"|(</table:table-row>)"
    rb"|<table:(?:covered-)?table-cell\b([^>]*?)/?>"
    rb"|<table:table(?=[\s>])([^>]*)>"
)
_ROWS = re.compile(rb"number-rows-repeated\s*=\s*[\"']([0-9]{1,12})")
_COLUMNS = re.compile(rb"number-columns-repeated\s*=\s*[\"']([0-9]{1,12})")
_VALUED = re.compile(rb"\bvalue-type\s*=")
_NAME = re.compile(rb"table:name\s*=\s*\"([^\"]*)\"|table:name\s*=\s*'([^']*)'")


def _repeat(pattern: re.Pattern[bytes], attrs: bytes) -> int:
    m = pattern.search(attrs)
    return max(int(m.group(1)), 1) if m else 1


def ods_problem(data: bytes) -> tuple[str, str] | None:
    """Why python-calamine must not open this ``.ods`` file, as (rule, message), or None:
    ``max-file-bytes`` when its ``content.xml`` unpacks past the file size limit,
    ``sheet-size`` when a sheet's cells holding values, repeats expanded, make a grid of
    more than 20 million cells and over eight times the cells the file writes."""
    try:
        book = zipfile.ZipFile(io.BytesIO(data))
        info = book.getinfo("content.xml")
    except (zipfile.BadZipFile, KeyError):
        return None
    limit = DEFAULT_LIMITS.max_file_bytes
    if info.file_size > limit:
        return "max-file-bytes", f"content.xml unpacks to {info.file_size:,} bytes, over the limit of {limit:,}"
    try:
        with book.open(info) as fh:
            content = fh.read(limit + 1)
    except (zipfile.BadZipFile, OSError, zlib.error, EOFError, NotImplementedError, RuntimeError):
        return None  # calamine judges a damaged or encrypted file
    if len(content) > limit:
        return "max-file-bytes", f"content.xml unpacks to more than the limit of {limit:,} bytes"
    name = ""
    row = max_row = max_col = cells = 0
    row_repeat = 1
    col = row_cols = 0
    for m in _TOKEN.finditer(content):
        row_attrs, row_closed, row_end, cell_attrs, table_attrs = m.groups()
        if table_attrs is not None:  # a new sheet
            why = _judge(name, max_row, max_col, cells)
            if why is not None:
                return why
            found = _NAME.search(table_attrs)
            name = (found.group(1) or found.group(2) or b"").decode("utf-8", "replace") if found else ""
            row = max_row = max_col = cells = 0
        elif row_attrs is not None:
            row_repeat = _repeat(_ROWS, row_attrs)
            col = row_cols = 0
            if row_closed:
                row += row_repeat
        elif row_end is not None:
            if row_cols:
                max_row = row + row_repeat
                max_col = max(max_col, row_cols)
            row += row_repeat
        else:
            cells += 1
            repeat = _repeat(_COLUMNS, cell_attrs)
            if _VALUED.search(cell_attrs):
                row_cols = col + repeat
            col += repeat
    return _judge(name, max_row, max_col, cells)


def _judge(name: str, max_row: int, max_col: int, cells: int) -> tuple[str, str] | None:
    grid = max_row * max_col
    if grid > MAX_SPARSE_CELLS and grid > 8 * cells:
        return "sheet-size", (
            f"sheet {name!r}: its repeated cells (number-rows-repeated, number-columns-repeated) holding values "
            f"make a grid of {grid:,} cells ({max_row:,} rows, {max_col:,} columns) from {cells:,} cell(s) "
            "written; save the table without repeated cells, or as .xlsx or CSV"
        )
    return None
