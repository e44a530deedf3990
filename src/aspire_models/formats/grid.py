"""From bytes to a grid of text cells: decompression (``.gz``, a ``.zip`` holding one
data file), text decoding (byte-order marks, UTF-16/32 without one, Windows-1252 and
Latin-1 detected and reported), delimited text (comma, semicolon, tab; CR, LF or CRLF line
endings; quoted fields with newlines) and workbooks (``.xlsx``, ``.xlsm``, ``.ods``, ``.xls``
through python-calamine: merged cells filled, Excel dates as ISO dates, whole numbers
without ``.0``, trailing empty rows and columns dropped). A sheet without merged cells is
converted column by column into Arrow text (:class:`~aspire_models.formats.base.ColumnRows`),
each column in a few vectorised steps; the text is the same, cell for cell.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
import zipfile
import zlib
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from aspire_models.errors import Problem, ResponseError
from aspire_models.formats.base import ColumnRows, Grid, ReadOptions
from aspire_models.limits import DEFAULT_LIMITS

__all__ = ["decode_text", "is_workbook", "read_grid", "split_text", "unpack"]

_WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".ods", ".xls", ".xlsb")
_TEXT_SUFFIXES = (".csv", ".tsv", ".tab", ".txt")
#: sample of a file's bytes given to charset-normalizer
_DETECT_BYTES = 256 * 1024
_BOMS = (
    (b"\xff\xfe\x00\x00", "utf-32-le", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32-be", "utf-32"),
    (b"\xef\xbb\xbf", "utf-8", "utf-8-sig"),
    (b"\xff\xfe", "utf-16-le", "utf-16"),
    (b"\xfe\xff", "utf-16-be", "utf-16"),
)


def _fail(source: str, rule: str, message: str) -> ResponseError:
    return ResponseError([Problem(rule, message, file=source)])


def is_workbook(data: bytes, filename: str = "") -> bool:
    """Whether the bytes are a spreadsheet workbook (Office Open XML, OpenDocument, or BIFF)."""
    if data.startswith(b"\xd0\xcf\x11\xe0"):  # OLE2: .xls
        return True
    if not data.startswith(b"PK\x03\x04"):
        return False
    try:
        names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    except zipfile.BadZipFile:
        return filename.lower().endswith(_WORKBOOK_SUFFIXES)
    return "xl/workbook.xml" in names or "xl/workbook.bin" in names or "content.xml" in names


def unpack(data: bytes, filename: str, *, limit: int = DEFAULT_LIMITS.max_file_bytes) -> tuple[bytes, str, str]:
    """Decompress a ``.gz`` file or the one data file inside a ``.zip``: (bytes, inner file
    name, container). Decompressed size is bounded by ``limit`` (a small file that inflates
    without end is refused)."""
    if data.startswith(b"\x1f\x8b"):
        out = io.BytesIO()
        try:
            with gzip.GzipFile(fileobj=io.BytesIO(data)) as fh:
                while chunk := fh.read(1 << 20):
                    out.write(chunk)
                    if out.tell() > limit:
                        raise _fail(filename, "max-file-bytes", f"decompressed, the file is over {limit:,} bytes")
        except (OSError, EOFError, zlib.error) as exc:
            raise _fail(filename, "gzip", f"not a readable gzip file: {exc}") from None
        inner = filename[:-3] if filename.lower().endswith(".gz") else filename
        return out.getvalue(), inner, "gz"
    if data.startswith(b"PK\x03\x04") and not is_workbook(data, filename):
        try:
            zf = zipfile.ZipFile(io.BytesIO(data))
        except zipfile.BadZipFile as exc:
            raise _fail(filename, "zip", f"not a readable zip file: {exc}") from None
        members = [
            i
            for i in zf.infolist()
            if not i.is_dir()
            and not i.filename.startswith("__MACOSX/")
            and not i.filename.split("/")[-1].startswith(".")
        ]
        if len(members) != 1:
            listing = ", ".join(i.filename for i in members[:10]) or "none"
            raise _fail(
                filename,
                "zip-one-file",
                f"a zip file must hold exactly one data file; it holds {len(members)}: {listing}",
            )
        member = members[0]
        if member.file_size > limit:
            raise _fail(filename, "max-file-bytes", f"{member.filename} is {member.file_size:,} bytes unpacked")
        with zf.open(member) as fh:
            inner_data = fh.read(limit + 1)
        if len(inner_data) > limit:
            raise _fail(filename, "max-file-bytes", f"{member.filename} is over {limit:,} bytes unpacked")
        return inner_data, member.filename, "zip"
    return data, filename, ""


def _utf16_32_without_bom(sample: bytes) -> str | None:
    """UTF-16 or UTF-32 text without a byte-order mark, told by where its zero bytes are
    (text in any Latin script has a zero byte beside nearly every character)."""
    n = len(sample) - len(sample) % 4
    if n < 8:
        return None
    s = sample[:n]
    zeros = [s[i::4].count(0) / (n // 4) for i in range(4)]
    if zeros[1] > 0.9 and zeros[2] > 0.9 and zeros[3] > 0.9 and zeros[0] < 0.5:
        return "utf-32-le"
    if zeros[0] > 0.9 and zeros[1] > 0.9 and zeros[2] > 0.9 and zeros[3] < 0.5:
        return "utf-32-be"
    even = (zeros[0] + zeros[2]) / 2
    odd = (zeros[1] + zeros[3]) / 2
    if odd > 0.6 and even < 0.2:
        return "utf-16-le"
    if even > 0.6 and odd < 0.2:
        return "utf-16-be"
    return None


#: characters outside ASCII that Western European text in Windows-1252 holds besides letters
_WESTERN_MARKS = set("–—‘’“”„…•€£¥°·§©®™±×÷¼½¾¿¡ªº«»\u00a0")


def _western(data: bytes) -> str | None:
    """``cp1252`` (or ``latin-1``) when the text reads as Western European in it: nearly
    all its non-ASCII characters Latin letters or common marks. Short samples mislead
    statistical detectors, and this is what Excel on Windows writes; None otherwise."""
    import unicodedata

    for name in ("cp1252", "latin-1"):
        try:
            text = data[:_DETECT_BYTES].decode(name)
        except UnicodeDecodeError:
            continue
        odd = [c for c in text if ord(c) > 127]
        if not odd:
            return name
        western = sum(
            unicodedata.name(c, "").startswith("LATIN") or c in _WESTERN_MARKS or (name == "latin-1" and ord(c) < 160)
            for c in odd
        )
        return name if western >= 0.9 * len(odd) else None
    return None


def decode_text(data: bytes, source: str, encoding: str | None = None) -> tuple[str, str, tuple[str, ...]]:
    """Text of a file: (text, encoding used, warnings).

    With ``encoding`` the bytes must be valid in it. Otherwise a byte-order mark decides;
    then UTF-16/32 without one is recognised by its zero bytes, and valid UTF-8 is UTF-8;
    anything else is detected with charset-normalizer (Windows-1252 preferred to Latin-1,
    which it contains). Every detected encoding is reported in a warning.
    """
    if encoding is not None:
        try:
            text = data.decode(encoding)
        except LookupError:
            raise _fail(source, "encoding", f"unknown encoding {encoding!r}") from None
        except UnicodeDecodeError as exc:
            row = data.count(b"\n", 0, exc.start) + 1
            raise _fail(
                source,
                "encoding",
                f"not valid {encoding}: byte 0x{data[exc.start]:02x} at offset {exc.start} (line {row})",
            ) from None
        return text.removeprefix("\ufeff"), encoding, ()
    for bom, name, codec in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec).removeprefix("\ufeff"), name, ()
            except UnicodeDecodeError as exc:
                raise _fail(source, "encoding", f"not valid {name} after its byte-order mark: {exc}") from None
    wide = _utf16_32_without_bom(data[:4096])
    if wide is not None:
        try:
            text = data.decode(wide)
        except UnicodeDecodeError:
            pass
        else:
            return text, wide, (f"{source}: no byte-order mark; the text was read as {wide.upper()} (detected)",)
    if data.isascii():
        return data.decode("ascii"), "utf-8", ()
    try:
        return data.decode("utf-8"), "utf-8", ()
    except UnicodeDecodeError:
        pass
    guess = _western(data)
    if guess is None:
        import charset_normalizer

        best = charset_normalizer.from_bytes(data[:_DETECT_BYTES]).best()
        guess = best.encoding if best is not None else None
    for name in ([guess] if guess else []) + ["cp1252", "latin-1"]:
        try:
            text = data.decode(name)
        except (UnicodeDecodeError, LookupError):
            continue
        shown = {"latin-1": "Latin-1 (ISO-8859-1)", "cp1252": "Windows-1252"}.get(name, name)
        return (
            text,
            name,
            (f"{source}: not UTF-8; the text was read as {shown} (detected); pass --encoding to choose another",),
        )
    raise _fail(source, "encoding", "cannot tell the text encoding; pass --encoding")  # pragma: no cover


def _sniff_delimiter(text: str, filename: str) -> str:
    if filename.lower().endswith((".tsv", ".tab")):
        return "\t"
    end = len(text)
    for stop in ("\n", "\r"):
        at = text.find(stop)
        if 0 <= at < end:
            end = at
    first = text[:end]
    # count outside quotes
    counts = {d: 0 for d in (",", ";", "\t")}
    quoted = False
    for ch in first:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    return max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","


def split_text(text: str, delimiter: str) -> tuple[list[list[str]], list[int]]:
    """Rows of delimited text (any line ending, quoted fields may hold newlines), and the
    1-based line each row starts on."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
    rows: list[list[str]] = []
    lines: list[int] = []
    last = 0
    try:
        for row in reader:
            lines.append(last + 1)
            last = reader.line_num
            rows.append(row)
    except csv.Error as exc:  # pragma: no cover - strict=False accepts nearly everything
        raise ResponseError([Problem("csv", f"cannot parse the text: {exc}", record=len(rows) + 1)]) from None
    return rows, lines


def _cell(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value if value.strip() else None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return str(value)
    return str(value)


def _cells(raw: Sequence[Sequence[Any]]) -> list[list[str | None]]:
    """Typed workbook cells as text (see :func:`_cell`); values other than text are
    converted once each (answers repeat: a sheet of ratings holds a handful of numbers)."""
    seen: dict[tuple[type, Any], str | None] = {}
    out: list[list[str | None]] = []
    for r in raw:
        row: list[str | None] = []
        for v in r:
            if type(v) is str:
                row.append(v if v and not v.isspace() else None)
                continue
            key = (type(v), v)
            try:
                row.append(seen[key])
            except KeyError:
                seen[key] = text = _cell(v)
                row.append(text)
        out.append(row)
    return out


def choose_sheet(names: Sequence[str], source: str, options: ReadOptions) -> str:
    """The sheet ``options.sheet`` names (a name, or a 0-based position), the first when it
    names none; a named error listing the sheets when there is no such sheet."""
    sheet_opt = options.sheet
    if sheet_opt is None:
        return names[0] if names else ""
    if isinstance(sheet_opt, int) or (isinstance(sheet_opt, str) and sheet_opt.isdigit() and sheet_opt not in names):
        pos = int(sheet_opt)
        if not 0 <= pos < len(names):
            raise _fail(source, "sheet", f"there is no sheet {pos} (0-based); sheets: {', '.join(names)}")
        return names[pos]
    if sheet_opt not in names:
        raise _fail(source, "sheet", f"there is no sheet {sheet_opt!r}; sheets: {', '.join(names)}")
    return str(sheet_opt)


def _sheet(data: bytes, source: str, options: ReadOptions) -> tuple[list[list[Any]], list[Any], str]:
    """A workbook sheet's typed cells as python-calamine gives them (row lists), its merged
    cell ranges and its name."""
    import python_calamine

    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):  # .ods, .xlsb, .xls: calamine builds whole grids
        from aspire_models.formats._gridguard import ods_problem, xls_problem, xlsb_problem

        zipped = data.startswith(b"PK\x03\x04")  # .xlsx sheets are checked below, once chosen
        why = (ods_problem(data) or xlsb_problem(data)) if zipped else xls_problem(data)
        if why is not None:
            raise _fail(source, *why)
    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except BaseException as exc:  # calamine raises its own error types, and panics
        if not isinstance(exc, Exception) and type(exc).__name__ != "PanicException":
            raise
        raise _fail(source, "workbook", f"cannot read the workbook: {exc}") from None
    name = choose_sheet(list(book.sheet_names), source, options)
    from aspire_models.formats._xlsxscan import sparse_sheet

    why = sparse_sheet(data, name)  # calamine makes the whole grid: refuse one that cannot fit
    if why is not None:
        raise _fail(source, *why)
    try:
        sheet = book.get_sheet_by_name(name)
        raw = sheet.to_python(skip_empty_area=False)
        merged = list(getattr(sheet, "merged_cell_ranges", None) or [])
    except BaseException as exc:  # calamine's panics (pyo3's PanicException) are not Exceptions
        if not isinstance(exc, Exception) and type(exc).__name__ != "PanicException":
            raise
        raise _fail(source, "workbook", f"cannot read sheet {name!r}: {exc}") from None
    return raw, merged, name


def _fill_merged(
    rows: list[list[str | None]], merged: list[Any], source: str, name: str
) -> tuple[list[list[str | None]], list[str]]:
    """Merged cells filled from their first cell, row by row, and a warning saying so."""
    warnings: list[str] = []
    for (r0, c0), (r1, c1) in merged:  # a merged cell's value belongs to every cell it covers
        if r0 >= len(rows) or c0 >= len(rows[r0]):
            continue
        value = rows[r0][c0]
        for r in range(r0, min(r1 + 1, len(rows))):
            for c in range(c0, min(c1 + 1, len(rows[r]))):
                if rows[r][c] is None:
                    rows[r][c] = value
    if merged:
        warnings.append(f"{source}: sheet {name!r}: {len(merged)} merged cell range(s) filled from their first cell")
    return rows, warnings


def _trim(rows: list[list[str | None]]) -> list[list[str | None]]:
    """Drop trailing empty rows and trailing empty columns."""
    while rows and all(c is None for c in rows[-1]):
        rows.pop()
    width = max((max((i + 1 for i, c in enumerate(r) if c is not None), default=0) for r in rows), default=0)
    return [r[:width] for r in rows]


def _workbook_columns(raw: Sequence[Sequence[Any]]) -> tuple[list[pa.Array], int] | None:
    """A sheet's typed cells (rows of one width, as python-calamine gives them) as Arrow
    text columns, trailing empty rows and columns dropped: the same text as :func:`_cells`
    and :func:`_trim` make, cell for cell, without a Python step per number. None when the
    rows are not all of one width (then the row-by-row path is taken)."""
    if not raw:
        return [], 0
    width = len(raw[0])
    if any(len(r) != width for r in raw):
        return None
    # cells are scalars (text, numbers, dates...): one object array, laid out column by column
    try:
        by_column = np.ascontiguousarray(np.array(raw, dtype=object).reshape(len(raw), width).T)
    except ValueError:  # a cell numpy reads as a sequence
        return None
    columns = [_column_text(by_column[j]) for j in range(width)]
    del by_column
    last_row = 0
    last_col = 0
    for j, col in enumerate(columns):
        if col.null_count == len(col):
            continue
        filled = np.flatnonzero(col.is_valid().to_numpy(zero_copy_only=False))
        last_row = max(last_row, int(filled[-1]) + 1)
        last_col = j + 1
    return [c.slice(0, last_row) for c in columns[:last_col]], last_row


#: the cell types compared with a whole column of types at once
_FLOAT: Any = float
_STR: Any = str


def _column_text(values: NDArray[np.object_]) -> pa.Array:
    """One column of typed workbook cells as Arrow text, as :func:`_cell` makes each (blank
    text -> null): numbers (floats) in one vectorised step, text as it is, anything else
    (booleans, dates, times...) cell by cell."""
    n = len(values)
    try:  # a column of text only (ids, comments) needs no look at each cell's type
        return _plain_text(values)
    except TypeError:  # a cell that is not text (str.isspace refuses it)
        pass
    kinds = np.fromiter(map(type, values), dtype=object, count=n)
    floats = np.asarray(kinds == _FLOAT, dtype=bool)
    n_float = int(floats.sum())
    if n_float == 0:
        return _other_text(values, kinds)
    numbers = _float_text(values, floats)
    if n_float == n:
        return numbers
    others = ~floats
    return pc.replace_with_mask(numbers, pa.array(others), _other_text(values[others], kinds[others]))


def _float_text(values: NDArray[np.object_], floats: NDArray[np.bool_]) -> pa.Array:
    """The Python floats among ``values`` (where ``floats``; null elsewhere) as :func:`_cell`
    writes them: a whole number under 1e15 without ``.0`` (``str(int(x))``, here Arrow's
    integer to text cast), any other as its ``repr``."""
    x = pa.array(values, type=pa.float64(), mask=~floats).to_numpy(zero_copy_only=False)
    with np.errstate(invalid="ignore"):
        whole = floats & (np.abs(x) < 1e15) & (np.floor(x) == x)
    text = pa.array(np.where(whole, x, 0.0).astype(np.int64), mask=~floats).cast(pa.string())
    odd = floats & ~whole
    if odd.any():
        reprs = pa.array([repr(v) for v in x[odd].tolist()], type=pa.string())
        text = pc.replace_with_mask(text, pa.array(odd), reprs)
    return text


def _plain_text(values: NDArray[np.object_]) -> pa.Array:
    """Cells that are all text as Arrow text, blank (empty or white space only) -> null;
    TypeError when a cell is not text (``str.isspace`` refuses it)."""
    blank = np.fromiter(map(str.isspace, values), dtype=bool, count=len(values))
    blank |= np.asarray(values == "", dtype=bool)
    return pa.array(values, type=pa.string(), mask=blank)


def _other_text(values: NDArray[np.object_], kinds: NDArray[np.object_]) -> pa.Array:
    """Cells that are not floats as :func:`_cell` writes them: text as it is (blank ->
    null) in one step when all are text, else cell by cell (each distinct value once)."""
    if bool(np.all(kinds == _STR)):
        return _plain_text(values)
    seen: dict[tuple[type, Any], str | None] = {}
    out: list[str | None] = []
    for v in values.tolist():
        key = (type(v), v)
        if key not in seen:
            seen[key] = _cell(v)
        out.append(seen[key])
    return pa.array(out, type=pa.string())


def read_grid(
    data: bytes, filename: str, options: ReadOptions, progress: Callable[[int, int], None] | None = None
) -> Grid:
    """Every cell of a file (or its one sheet) as text, blank cells ``None``. ``progress``
    is told (bytes, bytes in all) as a large workbook's sheet is read."""
    if not data:
        raise _fail(filename, "not-empty", "the file is empty")
    inner, name, container = unpack(data, filename)
    warnings: list[str] = []
    encoding: str | None
    columns: list[pa.Array] | None = None
    if is_workbook(inner, name):
        from aspire_models.formats import _xlsxscan
        from aspire_models.formats._gridguard import xlsx_problem

        why = xlsx_problem(inner) if inner.startswith(b"PK\x03\x04") else None  # before either reader
        if why is not None:
            raise _fail(filename, *why)

        fast = _xlsxscan.read_columns(
            inner, options, lambda names: choose_sheet(names, filename, options), filename, progress
        )
        raw: list[list[Any]] = []
        merged: list[Any] = []
        by_column: tuple[list[pa.Array], int] | None
        if fast is not None:  # a large .xlsx sheet of plain cells, read from its XML
            by_column = fast[0], fast[1]
            sheet = fast[2]
        else:
            raw, merged, sheet = _sheet(inner, filename, options)
            by_column = None if merged else _workbook_columns(raw)
        if by_column is not None:  # the fast path: no Python string made per cell
            columns, n_rows = by_column
            rows: Sequence[Sequence[str | None]] = ColumnRows(columns, n_rows)
        else:  # merged cells filled row by row
            cell_rows, notes = _fill_merged(_cells(raw), merged, filename, sheet)
            warnings += notes
            rows = _trim(cell_rows)
        del raw
        encoding = None
        kind = "workbook"
        ragged: list[tuple[int, int]] = []
    else:
        text, encoding, text_notes = decode_text(inner, filename, options.encoding)
        warnings += text_notes
        if "\x00" in text[:4096]:
            raise _fail(filename, "text", "the file holds NUL characters: not a text file (or a wrong --encoding)")
        delimiter = options.delimiter or _sniff_delimiter(text, name)
        parsed, _ = split_text(text, delimiter)
        rows = [[c if c.strip() else None for c in r] for r in parsed]
        sheet = None
        kind = "text"
        # blank lines are not rows
        rows = [r for r in rows if any(c is not None for c in r)]
        width = len(rows[0]) if rows else 0
        ragged = [(i, len(r)) for i, r in enumerate(rows) if len(r) != width and i > 0]
    if not rows:
        raise _fail(filename, "not-empty", "the file has no rows")
    return Grid(
        rows=rows if isinstance(rows, ColumnRows) else tuple(tuple(r) for r in rows),
        encoding=encoding,
        sheet=sheet,
        container=f"{container}+{kind}" if container else kind,
        warnings=tuple(warnings),
        ragged=tuple(ragged),
        columns=tuple(columns) if columns is not None else None,
    )


def header_row_problem(source: str, row: int, rows: Sequence[Sequence[str | None]]) -> ResponseError:
    return _fail(source, "header-row", f"header row {row} is outside the file's {len(rows)} rows")
