"""Before python-calamine reads an ``.ods``, ``.xlsb`` or ``.xls`` workbook: the grid it would build.

python-calamine builds a sheet's whole grid, from its first cell to its last, whatever lies
between. These checks count what it would place, as it would place it, and refuse a sheet
asking for far more than the file holds (the ``.xlsx`` check is
:func:`aspire_models.formats._xlsxscan.sparse_sheet`).

An ``.ods`` sheet says "this row, 100,000 times" and "this cell, 1,000 times"
(``table:number-rows-repeated``, ``table:number-columns-repeated``), and python-calamine
expands every repeated cell that holds a value when it opens the file: a 1 KB file can ask
for a hundred million cells, and the process is killed when memory runs out (no ``except``
catches that). Repeated *empty* cells, which LibreOffice writes to fill a sheet to its last
row and column, are not expanded, and are not counted here either.

An ``.xlsb`` sheet is a list of binary records: a row header gives the row (calamine stops
at one past row 1,048,576), and each cell record its column, any of 4 billion. One cell in
column 4,000,000,000 asks for a grid of that width.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib

from aspire_models.formats._xlsxscan import MAX_SPARSE_CELLS
from aspire_models.limits import DEFAULT_LIMITS

__all__ = ["ods_problem", "xls_problem", "xlsb_problem", "xlsx_problem"]

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


def xlsb_problem(data: bytes) -> tuple[str, str] | None:
    """Why python-calamine must not read this ``.xlsb`` file, as (rule, message), or None:
    ``max-file-bytes`` when a sheet unpacks past the file size limit, ``sheet-size`` when a
    sheet's cells (every cell record but a blank one), placed at their row header's row and
    their own column, make a grid of more than 20 million cells and over eight times the
    cells it holds. Every worksheet part is looked at (calamine reads the one asked for)."""
    try:
        book = zipfile.ZipFile(io.BytesIO(data))
        parts = [i for i in book.infolist() if i.filename.lower().startswith("xl/worksheets/")]
        parts = [i for i in parts if i.filename.lower().endswith(".bin")]
    except zipfile.BadZipFile:
        return None
    limit = DEFAULT_LIMITS.max_file_bytes
    for info in parts:
        if info.file_size > limit:
            return "max-file-bytes", f"{info.filename} unpacks to {info.file_size:,} bytes, over the limit of {limit:,}"
        try:
            with book.open(info) as fh:
                sheet = fh.read(limit + 1)
        except (zipfile.BadZipFile, OSError, zlib.error, EOFError, NotImplementedError, RuntimeError):
            continue  # calamine judges a damaged or encrypted part
        if len(sheet) > limit:
            return "max-file-bytes", f"{info.filename} unpacks to more than the limit of {limit:,} bytes"
        max_row, max_col, cells = xlsb_extent(sheet)
        grid = max_row * max_col
        if grid > MAX_SPARSE_CELLS and grid > 8 * cells:
            return "sheet-size", (
                f"{info.filename} places a cell at row {max_row:,}, column {max_col:,} ({grid:,} cells as a "
                f"grid) but holds {cells:,} cells; delete the far cells, or save the table as .xlsx or CSV"
            )
    return None


def xlsb_extent(sheet: bytes) -> tuple[int, int, int]:
    """The largest row and column (1-based) of a cell python-calamine places from a sheet's
    BIFF12 records (MS-XLSB 2.1.4: a type of 1-2 bytes and a size of 1-4, 7 bits each),
    and the number of such cells: a row header (type 0) sets the row (past row 1,048,576
    calamine stops reading); each cell record but a blank one (types 2-11) is placed at its
    own column (its first 4 bytes); the end of the sheet data (type 0x92) stops."""
    from aspire_models.formats import _xlsxscan

    if len(sheet) >= _xlsxscan.FAST_MIN_BYTES and _xlsxscan.available():
        import numpy as np

        got = _xlsxscan._kernels().xlsb_extent(np.frombuffer(sheet, dtype=np.uint8))
        return int(got[0]), int(got[1]), int(got[2])
    i, n = 0, len(sheet)
    row = max_row = max_col = cells = 0
    while i < n:
        typ = sheet[i]
        i += 1
        if typ & 0x80:
            if i >= n:
                break
            typ = (typ & 0x7F) | ((sheet[i] & 0x7F) << 7)
            i += 1
        size = k = 0
        more = True
        while more and k < 4 and i < n:
            b = sheet[i]
            i += 1
            size += (b & 0x7F) << (7 * k)
            more = bool(b & 0x80)
            k += 1
        body, i = i, i + size
        if i > n:
            break
        if typ == 0 and size >= 4:
            row = int.from_bytes(sheet[body : body + 4], "little")
            if row > 0x100000:
                break
        elif 2 <= typ <= 11 and size >= 4:
            cells += 1
            max_row = max(max_row, row + 1)
            max_col = max(max_col, int.from_bytes(sheet[body : body + 4], "little") + 1)
        elif typ == 0x92:
            break
    return max_row, max_col, cells


#: BIFF cell records python-calamine places at their (row, column), the first 4 bytes:
#: NUMBER, LABEL, RSTRING, BOOLERR, RK, LABELSST, FORMULA (its value and its formula)
_XLS_CELLS = frozenset({0x0203, 0x0204, 0x00D6, 0x0205, 0x027E, 0x00FD, 0x0006})


def xls_problem(data: bytes) -> tuple[str, str] | None:
    """Why python-calamine must not read this ``.xls`` file, as (rule, message), or None.

    python-calamine reads every sheet when it opens the file; for each, it reserves the grid
    the sheet's DIMENSIONS record states, and builds the grid of its cells, from the first
    to the last (a column can be any of 65,536). Each sheet's substream is walked here:
    ``sheet-size`` when either grid is over 20 million cells and over eight times the cells
    the sheet holds; ``max-file-bytes`` when the workbook stream is over the file size limit.
    The OLE2 container is read with olefile; a file it cannot read is left to calamine.
    """
    import olefile

    limit = DEFAULT_LIMITS.max_file_bytes
    try:
        with olefile.OleFileIO(io.BytesIO(data)) as ole:
            name = next((n for n in ("Workbook", "Book") if ole.exists(n)), None)
            if name is None:
                return None
            if ole.get_size(name) > limit:
                return "max-file-bytes", f"its {name} stream is over the limit of {limit:,} bytes"
            stream = ole.openstream(name).read(limit + 1)
    except Exception:  # olefile raises many kinds for a damaged container: calamine judges it
        return None
    return _xls_walk(stream)


def _xls_walk(stream: bytes) -> tuple[str, str] | None:
    i, n = 0, len(stream)
    depth = 0  # 1 inside a sheet's substream; more inside an embedded one (a chart), skipped
    sheet = 0  # the workbook's globals come first: sheet 1 is the second substream
    max_row = max_col = cells = reserved = 0
    while i + 4 <= n:
        typ = int.from_bytes(stream[i : i + 2], "little")
        size = int.from_bytes(stream[i + 2 : i + 4], "little")
        body = stream[i + 4 : i + 4 + size]
        i += 4 + size
        if typ == 0x0809:  # BOF
            depth += 1
            if depth == 1:
                sheet += 1
                max_row = max_col = cells = reserved = 0
            continue
        if typ == 0x000A:  # EOF
            if depth == 1:
                why = _xls_judge(sheet, max_row, max_col, cells, reserved)
                if why is not None:
                    return why
            depth = max(depth - 1, 0)
            continue
        if depth != 1:
            continue
        if typ == 0x0200 and len(body) in (10, 14):  # DIMENSIONS: the grid calamine reserves
            wide = len(body) == 14
            first, last = (body[0:4], body[4:8]) if wide else (body[0:2], body[2:4])
            at = 8 if wide else 4
            rf, rl = int.from_bytes(first, "little"), int.from_bytes(last, "little")
            cf, cl = int.from_bytes(body[at : at + 2], "little"), int.from_bytes(body[at + 2 : at + 4], "little")
            if cf > 0xFF or cl < cf:
                cf = 0
            if rl >= 1 and cl >= 1:
                rows = (rl - 1 - rf) % 2**32 + 1  # calamine's unsigned arithmetic
                reserved = max(reserved, rows * ((cl - 1 - cf) % 2**32 + 1))
        elif typ in _XLS_CELLS and len(body) >= 4:
            cells += 1
            max_row = max(max_row, int.from_bytes(body[0:2], "little") + 1)
            max_col = max(max_col, int.from_bytes(body[2:4], "little") + 1)
        elif typ == 0x00BD and len(body) >= 6:  # MULRK: a row of cells, its last column at the end
            cells += max((len(body) - 6) // 6, 1)
            max_row = max(max_row, int.from_bytes(body[0:2], "little") + 1)
            max_col = max(max_col, int.from_bytes(body[-2:], "little") + 1)
    return None


def _xls_judge(sheet: int, max_row: int, max_col: int, cells: int, reserved: int) -> tuple[str, str] | None:
    grid = max_row * max_col
    if reserved > MAX_SPARSE_CELLS and reserved > 8 * cells:
        return "sheet-size", (
            f"sheet {sheet - 1}: its DIMENSIONS record states a grid of {reserved:,} cells but it holds "
            f"{cells:,} cells; save the table again, or as .xlsx or CSV"
        )
    if grid > MAX_SPARSE_CELLS and grid > 8 * cells:
        return "sheet-size", (
            f"sheet {sheet - 1} places a cell at row {max_row:,}, column {max_col:,} ({grid:,} cells as a grid) "
            f"but holds {cells:,} cells; delete the far cells, or save the table as .xlsx or CSV"
        )
    return None


_UNIQUE = re.compile(rb"<(?:[A-Za-z_][-A-Za-z0-9_.]*:)?sst\b[^>]*?\buniqueCount\s*=\s*[\"']\s*([0-9]{1,20})")


def xlsx_problem(data: bytes) -> tuple[str, str] | None:
    """Why python-calamine must not open this ``.xlsx`` / ``.xlsm`` file, as (rule, message),
    or None: ``workbook`` when its shared-string table states more strings (``uniqueCount``)
    than its size can hold (``<si></si>`` is 9 bytes). calamine reserves memory for the
    stated count when it opens the file: a 1 KB file stating 4 billion killed the process.
    Every part named ``sharedStrings.xml`` is looked at, in any case (calamine finds the
    table's part by name)."""
    try:
        book = zipfile.ZipFile(io.BytesIO(data))
        parts = [i for i in book.infolist() if i.filename.replace("\\", "/").lower().endswith("sharedstrings.xml")]
        for info in parts:
            with book.open(info) as fh:
                head = fh.read(64 << 10)
            m = _UNIQUE.search(head)
            if m is None:
                continue
            stated = int(m.group(1))
            room = info.file_size // 9 + 16
            if stated > room:
                return "workbook", (
                    f"{info.filename} states {stated:,} shared strings (uniqueCount) but is {info.file_size:,} "
                    f"bytes, room for at most {room:,}; save the workbook again"
                )
    except (zipfile.BadZipFile, OSError, zlib.error, EOFError, NotImplementedError, RuntimeError):
        return None  # calamine judges a damaged or encrypted file
    return None
