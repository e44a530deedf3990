"""A large ``.xlsx`` / ``.xlsm`` sheet read straight from its XML into Arrow text columns.

python-calamine makes a Python object of every cell and reads a sheet's XML twice (the
second time for merged cells): for a 100,000-row survey export that is most of the time it
takes to score it. Here the sheet's part is inflated once and read by one compiled pass
(:mod:`._xlsxkernels`) that lists each cell's bytes; the columns are then copied out of
the XML (and the shared-string table) in one more pass. The text is the same as the
calamine path makes, cell for cell (numbers as :func:`~aspire_models.formats.grid._cell`
writes them; XML entities, ``_xHHHH_`` escapes, line ends and trimmed white space decoded
as calamine decodes them; blank cells null).

Only the plain shapes are read here. Anything else (merged cells, dates, times and other
number formats with letters, error cells, ISO-date cells, rich inline text, namespaced
tags, a DOCTYPE, a part that is not UTF-8 XML, a damaged zip member, a shape the loops do
not know) returns None, and the caller reads the sheet with python-calamine as before:
the result does not depend on which reader was used.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import math
import re
import struct
import zipfile
import zlib
from collections.abc import Callable
from typing import Any, TypeVar
from xml.etree import ElementTree

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from aspire_models.errors import Problem, ResponseError
from aspire_models.formats.base import ReadOptions
from aspire_models.limits import DEFAULT_LIMITS

__all__ = ["FAST_MIN_BYTES", "available", "read_columns", "sparse_sheet"]

#: workbooks smaller than this are read by python-calamine (the compiled loops cost about
#: 0.3 s to load in a new process; calamine reads a small sheet faster than that)
FAST_MIN_BYTES = 4 << 20
#: least bytes of sheet XML scanned between two progress reports
PROGRESS_STEP = 4 << 20
#: largest workbook part (workbook, relationships, styles) parsed with ElementTree
_SMALL_PART = 16 << 20

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/"
#: built-in number formats python-calamine reads as plain numbers (the rest are dates,
#: times and durations, or not fixed by the standard)
_PLAIN_FORMATS = frozenset({0, 1, 2, 3, 4, 9, 10, 11, 12, 13, 37, 38, 39, 40, 48, 49})
#: built-in number formats python-calamine reads as dates and times (46, ``[h]:mm:ss``, is
#: a duration)
_DATE_FORMATS = frozenset({"14", "15", "16", "17", "18", "19", "20", "21", "22", "45", "47"})
_NUMBER = re.compile(rb"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_ENTITY = re.compile(r"&(?:(lt|gt|amp|quot|apos)|#([0-9]{1,7})|#x([0-9a-fA-F]{1,6}));")
_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"', "apos": "'"}
_ESCAPE = re.compile(r"_x00([0-9a-fA-F]{2}|\+[0-9a-fA-F])_")
_ATTRIBUTE = re.compile(rb"([A-Za-z_:][-A-Za-z0-9_:.]*)\s*=\s*(?:\"([^\"<]*)\"|'([^'<]*)')")
_RICH_TOKEN = re.compile(
    rb"<(/?)([A-Za-z]+)((?:\s+[A-Za-z_:][-A-Za-z0-9_:.]*\s*=\s*(?:\"[^\"<]*\"|'[^'<]*'))*\s*)(/?)>|([^<]+)|(<)"
)


_G = TypeVar("_G", bound=np.generic)


class _Sparse(Exception):  # noqa: N818 - turned into the named error
    """The sheet names a cell far beyond the cells it holds (see :func:`sparse_sheet`)."""

    def __init__(self, max_row: int, max_col: int, cells: int) -> None:
        super().__init__(max_row, max_col, cells)
        self.extent = (max_row, max_col, cells)


class _Fallback(Exception):  # noqa: N818 - not an error: the other reader is used
    """The sheet has a shape read only by python-calamine."""


class _Oversize(_Fallback):
    """A part unpacks to more than the file size limit."""

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"{size:,} bytes unpacked")
        self.size = size
        self.limit = limit


class _Damaged(_Fallback):
    """A part unpacks to more than its zip entry gives."""


@functools.cache
def _kernels() -> Any:
    from aspire_models.formats import _xlsxkernels

    return _xlsxkernels


@functools.cache
def available() -> bool:
    """Whether the compiled loops load (or compile) and read a one-cell sheet; without them
    every workbook is read by python-calamine. Asked once per process."""
    try:
        sheet = b'<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1"><v>7</v></c></row>'
        strings = b"<si><t>a</t></si>"
        columns, rows = _columns(sheet, 0, len(sheet), strings, 0, len(strings), np.zeros(1, dtype=bool))
        return rows == 1 and [c.to_pylist() for c in columns] == [["a"], ["7"]]
    except Exception:  # numba missing, or a platform it cannot compile for
        return False


def read_columns(
    data: bytes,
    options: ReadOptions,
    choose: Callable[[list[str]], str],
    source: str = "",
    progress: Callable[[int, int], None] | None = None,
) -> tuple[list[pa.Array], int, str] | None:
    """The chosen sheet of an ``.xlsx`` / ``.xlsm`` workbook as Arrow text columns (trailing
    empty rows and columns dropped), its row count and its name; None when python-calamine
    must read it (see the module's notes). ``choose`` picks the sheet from the workbook's
    sheet names (and raises the named error when there is no such sheet). A sheet that
    names a cell far beyond the cells it holds is refused (rule ``sheet-size``) as it is
    before calamine reads one. ``progress`` is called as the sheet is scanned, with (bytes
    of the file, in proportion to the sheet's XML scanned; the file's size)."""
    if len(data) < FAST_MIN_BYTES or not data.startswith(b"PK\x03\x04") or not available():
        return None
    try:
        book = zipfile.ZipFile(io.BytesIO(data))
        sheets, strings_part, styles_part = _parts(book)
        name = choose(list(sheets))
        formats = _number_formats(book, styles_part)
        sheet = _inflate(book, data, sheets[name])
        start, end = _content(sheet, b"sheetData")
        if sheet.find(b"<mergeCell", end) >= 0:
            raise _Fallback("merged cells")
        strings, s_start, s_end = b"", 0, 0
        if strings_part is not None:
            strings = _inflate(book, data, strings_part)
            s_start, s_end = _content(strings, b"sst")
        scanned = None if progress is None else _scaled(progress, len(data))
        columns, rows = _columns(sheet, start, end, strings, s_start, s_end, formats, scanned)
    except ResponseError:  # no such sheet
        raise
    except _Sparse as far:
        raise ResponseError([Problem("sheet-size", _sparse_message(name, *far.extent), file=source)]) from None
    except (_Fallback, zipfile.BadZipFile, KeyError, ValueError, OSError, zlib.error, ElementTree.ParseError):
        return None
    return columns, rows, name


#: a sheet asking for a grid of more cells than this, and over 8 times the cells it holds,
#: is refused: python-calamine makes the whole grid (a one-cell file naming ``XFD1048576``
#: asks for 17 billion cells, and the process is killed when memory runs out)
MAX_SPARSE_CELLS = 20_000_000
_TAG = re.compile(rb"<(?:[A-Za-z_][-A-Za-z0-9_.]*:)?(row|c)((?:\s(?:[^\"'>]|\"[^\"]*\"|'[^']*')*)?)>")
_REF = re.compile(rb"\sr\s*=\s*[\"']([A-Za-z]*)([0-9]*)")
_TYPE_ATTR = re.compile(rb"\st\s*=\s*[\"']([^\"']*)")
_CHILD = re.compile(
    rb"\s*<(/?)(?:[A-Za-z_][-A-Za-z0-9_.]*:)?([A-Za-z_][-A-Za-z0-9_.]*)((?:[^\"'>]|\"[^\"]*\"|'[^']*')*)>"
)


def _scaled(progress: Callable[[int, int], None], size: int) -> Callable[[int, int], None]:
    """``progress`` told a share of ``size`` (the file's bytes) for each share of the sheet."""

    def told(done: int, total: int) -> None:
        progress(size * done // max(total, 1), size)

    return told


def sparse_sheet(data: bytes, name: str) -> tuple[str, str] | None:
    """Why the sheet ``name`` of an ``.xlsx`` / ``.xlsm`` workbook must not be given to
    python-calamine, as (rule, message), or None: ``sheet-size`` for a cell reference far
    beyond the cells it holds, ``max-file-bytes`` for a part that unpacks to more than the
    file size limit, ``workbook`` for one that unpacks to more than its zip entry gives (as
    calamine would say, after unpacking it). A workbook whose parts cannot be found here is
    left to calamine to judge."""
    try:
        book = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        return None
    try:
        parts = [_parts(book)[0][name]]
    except (_Fallback, KeyError, ValueError, OSError, zlib.error, ElementTree.ParseError):
        # the sheet's part not found as calamine finds it: every worksheet part is looked at
        parts = sorted(n for n in book.namelist() if n.lower().startswith("xl/worksheets/"))
    for part in parts:
        shown = part if len(parts) > 1 else name
        try:
            why = _sparse_part(_inflate(book, data, part), shown)
        except _Oversize as exc:
            return "max-file-bytes", f"sheet {shown!r} unpacks to {exc.size:,} bytes, over the limit of {exc.limit:,}"
        except _Damaged as exc:
            return "workbook", f"sheet {shown!r} is damaged: {exc}"
        except (_Fallback, KeyError, ValueError, OSError, zlib.error):
            continue
        if why is not None:
            return "sheet-size", why
    return None


def _sparse_part(xml: bytes, name: str) -> str | None:
    if len(xml) >= FAST_MIN_BYTES and available():
        max_row, max_col, cells = _kernels().refs_extent(np.frombuffer(xml, dtype=np.uint8))
    else:
        max_row, max_col, cells = refs_extent(xml)
    return _sparse_message(name, max_row, max_col, cells) if _too_sparse(max_row, max_col, cells) else None


def _too_sparse(max_row: int, max_col: int, cells: int) -> bool:
    grid = max(max_row, 1) * max(max_col, 1)
    return grid > MAX_SPARSE_CELLS and grid > 8 * cells


def _sparse_message(name: str, max_row: int, max_col: int, cells: int) -> str:
    grid = max(max_row, 1) * max(max_col, 1)
    letters = ""
    col = max_col
    while col > 0 and len(letters) < 8:
        col, rest = divmod(col - 1, 26)
        letters = chr(65 + rest) + letters
    corner = f"{letters}{max_row}" if max_col <= 16384 and max_row <= 1048576 else "beyond the last cell Excel has"
    return (
        f"sheet {name!r} reaches {corner} (row {max_row:,}, column {max_col:,}: {grid:,} cells as a "
        f"grid) but holds {cells:,} cells; delete the far cells, or copy the table to a sheet of its own"
    )


def refs_extent(xml: bytes) -> tuple[int, int, int]:
    """What :func:`._xlsxkernels.refs_extent` finds (the largest row and column of a cell
    calamine places in its grid, as it places cells, and how many such cells), with
    regular expressions: for small sheets, or without numba."""
    max_row = max_col = cells = row = col = 0
    for m in _TAG.finditer(xml):
        attrs = m.group(2)
        ref = _REF.search(b" " + attrs) if attrs else None
        ref_col = ref_row = 0
        if ref is not None:
            for ch in ref.group(1)[:12].upper():
                ref_col = ref_col * 26 + ch - 64
            ref_row = int(ref.group(2)[:14] or 0)
        if m.group(1) == b"row":
            row = ref_row if ref_row > 0 else row + 1
            col = 0
            continue
        col = ref_col if ref_col > 0 else col + 1
        kind = _TYPE_ATTR.search(b" " + attrs)
        numeric = kind is None or kind.group(1) == b"n"
        if attrs.endswith(b"/") or not _placed(xml, m.end(), numeric):
            continue
        cells += 1
        max_row = max(max_row, ref_row if ref_row > 0 else row)
        max_col = max(max_col, col)
    return max_row, max_col, cells


def _placed(xml: bytes, at: int, numeric: bool) -> bool:
    """Whether the cell whose content starts at ``at`` is one calamine places in its grid
    (see :func:`._xlsxkernels._placed`)."""
    while True:
        m = _CHILD.match(xml, at)
        if m is None:
            return True
        if m.group(1):  # the cell ends
            return False
        name, empty = m.group(2), m.group(3).endswith(b"/")
        if name not in (b"v", b"f"):
            return True
        at = m.end()
        if not empty:
            text_end = xml.find(b"<", at)
            if text_end < 0:
                return True
            if name == b"v" and (text_end > at or not numeric):
                return True
            close = xml.find(b">", text_end)
            if close < 0:
                return True
            at = close + 1
        elif name == b"v" and not numeric:
            return True


def _xml(book: zipfile.ZipFile, name: str) -> ElementTree.Element:
    """A small part parsed; one with a DOCTYPE (entities) is not read here."""
    info = book.getinfo(name)
    if info.file_size > _SMALL_PART:
        raise _Fallback(f"{name} is large")
    raw = book.read(name)
    if b"<!DOCTYPE" in raw or b"<!ENTITY" in raw:
        raise _Fallback(f"{name} has a DOCTYPE")
    return ElementTree.fromstring(raw)


def _parts(book: zipfile.ZipFile) -> tuple[dict[str, str], str | None, str | None]:
    """The workbook's sheets (name -> part, in the workbook's order), its shared-string part
    and its styles part, found where python-calamine finds them (``xl/sharedStrings.xml``
    and ``xl/styles.xml`` whatever the relationships say, a sheet's target joined to
    ``xl/`` as it is written). Anything calamine might find elsewhere or not at all (part
    names differing only in case, ``..`` in a target, two sheets of one name, white space
    other than spaces in a sheet's tag that XML would change) is left to calamine."""
    names = set(book.namelist())
    folded = {n.lower().replace("\\", "/") for n in names}
    if len(folded) != len(names):
        raise _Fallback("part names that differ only in case")
    package = _xml(book, "_rels/.rels")
    office = [
        r.get("Target", "")
        for r in package.iter(f"{_PKG}Relationship")
        if r.get("Type", "").endswith("/relationships/officeDocument")
    ]
    if [t.removeprefix("/") for t in office] != ["xl/workbook.xml"]:
        raise _Fallback("the workbook is not xl/workbook.xml")
    raw_workbook = book.read("xl/workbook.xml")
    if re.search(rb"<(?:\w+:)?sheet\s[^>]*[\t\r\n]", raw_workbook):
        raise _Fallback("a sheet tag with tabs or line ends")
    workbook = _xml(book, "xl/workbook.xml")
    if any(p.get("date1904", "").lower() in ("1", "true") for p in workbook.iter(f"{_MAIN}workbookPr")):
        raise _Fallback("dates counted from 1904")
    rels = _xml(book, "xl/_rels/workbook.xml.rels")
    targets: dict[str, tuple[str, str]] = {}
    for rel in rels.iter(f"{_PKG}Relationship"):
        target = rel.get("Target", "")
        path = target[1:] if target.startswith("/") else "xl/" + target
        targets[rel.get("Id", "")] = (rel.get("Type", "").removeprefix(_TYPE), path)
    sheets: dict[str, str] = {}
    for sheet in workbook.iter(f"{_MAIN}sheet"):
        kind, path = targets.get(sheet.get(f"{_REL}id", ""), ("", ""))
        if kind != "worksheet" or path not in names or ".." in path:
            raise _Fallback("a sheet that is not a worksheet part")
        name = sheet.get("name", "")
        if name in sheets:
            raise _Fallback("two sheets of one name")
        sheets[name] = path
    if not sheets:
        raise _Fallback("no sheets")
    for kind, path in targets.values():
        if kind in ("sharedStrings", "styles") and path != f"xl/{kind}.xml":
            raise _Fallback(f"{kind} elsewhere than calamine reads them")
    strings = "xl/sharedStrings.xml" if "xl/sharedStrings.xml" in names else None
    styles = "xl/styles.xml" if "xl/styles.xml" in names else None
    return sheets, strings, styles


def _plain_format(code: str) -> bool:
    """Whether a number format writes a number as a number: no letters (``d``, ``m``,
    ``y``, ``h``, ``s``... make dates and times) and no ``[...]`` outside quoted text."""
    outside = re.sub(r'"[^"]*"', "", code)
    return code == "General" or not re.search(r"[A-Za-z\[\\]", outside)


def _number_formats(book: zipfile.ZipFile, part: str | None) -> NDArray[np.uint8]:
    """What each cell format (``cellXfs``) makes of a number, as python-calamine reads it:
    PLAIN, DATE (a date, time or date and time), DURATION; UNKNOWN where this reader does
    not follow calamine (a built-in format it does not list, a code with letters calamine
    does not read as a date)."""
    k = _kernels()
    if part is None:
        return np.zeros(0, dtype=np.uint8)
    styles = _xml(book, part)
    codes: dict[str, str] = {}
    for group in styles.findall(f"{_MAIN}numFmts"):  # not the <numFmt> of <dxfs>
        for f in group.findall(f"{_MAIN}numFmt"):
            if f.get("numFmtId") is not None and f.get("formatCode") is not None:
                codes[f.get("numFmtId", "")] = f.get("formatCode", "")
    shown: list[int] = []
    for xfs in styles.findall(f"{_MAIN}cellXfs"):
        for xf in xfs.findall(f"{_MAIN}xf"):
            fmt = xf.get("numFmtId")
            if fmt is None:
                shown.append(k.PLAIN)
            elif fmt in codes:
                kind = _custom_format(codes[fmt])
                shown.append(k.UNKNOWN if kind == k.PLAIN and not _plain_format(codes[fmt]) else kind)
            elif fmt in _DATE_FORMATS:
                shown.append(k.DATE)
            elif fmt == "46":
                shown.append(k.DURATION)
            else:
                plain = fmt.isdigit() and fmt == str(int(fmt)) and int(fmt) in _PLAIN_FORMATS
                shown.append(k.PLAIN if plain else k.UNKNOWN)
    return np.array(shown, dtype=np.uint8)


def _custom_format(code: str) -> int:
    """What a custom number format makes of a number, as calamine decides: a date or time
    when, in its first section and outside quotes, brackets and escaped characters, it has
    ``d``, ``m``, ``h``, ``y`` or ``s`` (or ``m``, ``p`` or ``/`` after ``a``, as in
    ``AM/PM``); a duration for ``[h]``, ``[m]`` or ``[s]``."""
    k = _kernels()
    escaped = quoted = ampm = hms = False
    brackets = 0
    prev = " "
    for ch in code:
        if escaped:
            escaped = False
        elif ch in "_\\*":
            escaped = True
        elif quoted:
            quoted = ch != '"'
        elif ch == '"':
            quoted = True
        elif ch == ";":
            return int(k.PLAIN)
        elif ch == "[":
            brackets = min(brackets + 1, 255)
        elif ch == "]" and brackets == 1 and hms:
            return int(k.DURATION)
        elif ch == "]":
            brackets = max(brackets - 1, 0)
        elif ch in "aA" and not ampm and brackets == 0:
            ampm = True
        elif brackets == 0 and (ch in "pmPM/" if ampm else ch in "dmhysDMHYS"):
            return int(k.DATE)
        elif not (hms and ch.lower() == prev.lower()):
            hms = prev == "[" and ch in "mhsMHS"
        prev = ch
    return int(k.PLAIN)


def _inflate(book: zipfile.ZipFile, data: bytes, name: str) -> bytes:
    """A part's bytes, inflated in one call (stored parts as they are), its CRC checked."""
    info = book.getinfo(name)
    if info.file_size > DEFAULT_LIMITS.max_file_bytes:
        raise _Oversize(info.file_size, DEFAULT_LIMITS.max_file_bytes)
    if info.flag_bits & 1 or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise _Fallback(f"{name}: encrypted or compressed another way")
    head = info.header_offset
    if data[head : head + 4] != b"PK\x03\x04":
        raise _Fallback(f"{name}: no local header")
    name_len, extra_len = struct.unpack("<HH", data[head + 26 : head + 30])
    begin = head + 30 + name_len + extra_len
    packed = memoryview(data)[begin : begin + info.compress_size]
    if info.compress_type == zipfile.ZIP_STORED:
        raw = bytes(packed)
    else:
        inflater = zlib.decompressobj(-15)
        raw = inflater.decompress(packed, info.file_size + 1)
        if len(raw) > info.file_size:
            raise _Damaged(f"it unpacks to more than the {info.file_size:,} bytes its zip entry gives")
    if len(raw) != info.file_size or zlib.crc32(raw) != info.CRC:
        raise _Fallback(f"{name}: not the size or checksum its zip entry gives")
    return raw


def _content(xml: bytes, element: bytes) -> tuple[int, int]:
    """Where the content of the one ``<element>`` (``sheetData`` or ``sst``) starts and
    ends; an empty range when it closes itself. The part must be UTF-8 without a DOCTYPE."""
    at = xml.find(b"<" + element)
    if at < 0:
        raise _Fallback(f"no <{element.decode()}>")
    head = xml[:at]
    if b"<!" in head or b"\x00" in head[:4]:
        raise _Fallback("a DOCTYPE, a comment or wide text before the data")
    declared = re.search(rb"encoding\s*=\s*[\"']([A-Za-z0-9_.-]+)", head[:200])
    if declared is not None and declared.group(1).lower() not in (b"utf-8", b"utf8"):
        raise _Fallback("not UTF-8")
    close = xml.find(b">", at)
    tag = xml[at + 1 + len(element) : close]
    if close < 0 or (tag and tag[:1] not in b" \t\r\n/"):
        raise _Fallback("not the element")
    if tag.endswith(b"/"):
        return close + 1, close + 1
    end = xml.rfind(b"</" + element + b">")
    if end < close:
        raise _Fallback(f"<{element.decode()}> does not end")
    return close + 1, end


def _columns(
    sheet: bytes,
    start: int,
    end: int,
    strings: bytes,
    s_start: int,
    s_end: int,
    formats: NDArray[np.uint8],
    progress: Callable[[int, int], None] | None = None,
) -> tuple[list[pa.Array], int]:
    k = _kernels()
    buf = np.frombuffer(sheet, dtype=np.uint8)
    cap = max(1 << 12, (end - start) // 24) + k.MAX_COL + 1
    rows = np.empty(cap, dtype=np.int32)
    cols = np.empty(cap, dtype=np.int16)
    kinds = np.empty(cap, dtype=np.uint8)
    starts = np.empty(cap, dtype=np.int64)
    lens = np.empty(cap, dtype=np.int64)
    st = np.array([start, 0, -1, 0, 0, 0, 0, 0], dtype=np.int64)
    step = max((end - start) // 50, PROGRESS_STEP)  # progress reported about 50 times
    while True:
        k.scan_sheet(buf, end, formats, rows, cols, kinds, starts, lens, st, int(st[0]) + step)
        if progress is not None:
            progress(int(st[0]) - start, end - start)
        if st[3] == k.PAUSE:
            continue
        if st[3] != k.ROOM:
            break
        cap *= 2
        rows, cols, kinds = _grow(rows, cap), _grow(cols, cap), _grow(kinds, cap)
        starts, lens = _grow(starts, cap), _grow(lens, cap)
    if st[3] != k.DONE:
        raise _Fallback(f"sheet: outcome {int(st[3])} at byte {int(st[4])}")
    if _too_sparse(int(st[5]), int(st[6]), int(st[7])):  # as the guard before calamine finds it
        raise _Sparse(int(st[5]), int(st[6]), int(st[7]))
    n = int(st[1])
    extra = bytearray(b"FALSETRUE")
    memo: dict[tuple[int, bytes], tuple[int, int, int]] = {}
    _decode_listed(sheet, kinds[:n], starts[:n], lens[:n], extra, memo)
    s_kinds, s_starts, s_lens = _strings(strings, s_start, s_end, extra, memo)
    s_buf = np.frombuffer(strings or b"\x00", dtype=np.uint8)
    n_rows, n_cols, bad = k.extent(rows, cols, kinds, starts, n, s_kinds)
    if bad >= 0:
        raise _Fallback("a shared-string index out of range")
    if n_rows * n_cols > 4 * n + (1 << 20):  # a sparse sheet: calamine's dense range path
        raise _Fallback("sparse")
    offsets = np.empty((n_cols, n_rows + 1), dtype=np.int32)
    valid = np.zeros((n_cols, n_rows), dtype=bool)
    sizes = np.zeros(max(n_cols, 1), dtype=np.int64)
    pool = np.frombuffer(bytes(extra), dtype=np.uint8)
    data = k.columns(n_rows, n_cols, rows, cols, kinds, starts, lens, n, buf, s_kinds, s_starts, s_lens, s_buf, pool,
                     offsets, valid, sizes)  # fmt: skip
    if sizes[0] < 0:
        raise _Fallback("a column over 2 GB")
    whole = pa.py_buffer(data)
    out: list[pa.Array] = []
    base = 0
    for j in range(n_cols):
        ok = valid[j]
        nulls = n_rows - int(np.count_nonzero(ok))
        validity = pa.py_buffer(np.packbits(ok, bitorder="little")) if nulls else None
        size = int(sizes[j])
        column = pa.Array.from_buffers(
            pa.string(), n_rows, [validity, pa.py_buffer(offsets[j]), whole.slice(base, size)], null_count=nulls
        )
        column.validate(full=True)  # bytes that are not UTF-8 raise (calamine then reports them)
        out.append(column)
        base += size
    return out, n_rows


def _grow(a: NDArray[_G], cap: int) -> NDArray[_G]:
    """``a`` in a larger array (its values first)."""
    out = np.empty(cap, dtype=a.dtype)
    out[: len(a)] = a
    return out


def _decode_listed(
    xml: bytes,
    kinds: NDArray[np.uint8],
    starts: NDArray[np.int64],
    lens: NDArray[np.int64],
    extra: bytearray,
    memo: dict[tuple[int, bytes], tuple[int, int, int]],
) -> None:
    """Decode, in Python, the listed cells the loops left (numbers not written as whole
    numbers, text with entities or escapes...): each becomes text in ``extra`` (kind EXTRA)
    or blank (NULL). The same bytes are decoded once."""
    k = _kernels()
    todo = np.flatnonzero(kinds >= k.NUM_ODD)
    for i in todo.tolist():
        kind = int(kinds[i])
        raw = xml[int(starts[i]) : int(starts[i]) + int(lens[i])]
        got = memo.get((kind, raw))
        if got is None:
            if kind == k.NUM_ODD:
                text = _number(raw)
            elif kind in (k.DATE_ODD, k.DURATION_ODD):
                text = _shown(raw, duration=kind == k.DURATION_ODD)
            elif kind == k.RICH:
                text = _rich(raw)
            else:
                text = _xml_text(raw, keep=kind == k.TEXT_KEEP)
            if not text or text.isspace():
                got = (k.NULL, 0, 0)
            else:
                encoded = text.encode("utf-8")
                got = (k.EXTRA, len(extra), len(encoded))
                extra += encoded
            memo[(kind, raw)] = got
        kinds[i], starts[i], lens[i] = got


def _strings(
    xml: bytes, start: int, end: int, extra: bytearray, memo: dict[tuple[int, bytes], tuple[int, int, int]]
) -> tuple[NDArray[np.uint8], NDArray[np.int64], NDArray[np.int64]]:
    """The shared strings: kind, start and length each (RAW: bytes of ``xml``; EXTRA: of
    ``extra``; NULL: blank)."""
    k = _kernels()
    buf = np.frombuffer(xml or b"\x00", dtype=np.uint8)
    cap = max(1 << 10, (end - start) // 16)
    kinds = np.empty(cap, dtype=np.uint8)
    starts = np.empty(cap, dtype=np.int64)
    lens = np.empty(cap, dtype=np.int64)
    st = np.array([start, 0, 0, 0], dtype=np.int64)
    while True:
        k.scan_strings(buf, end, kinds, starts, lens, st)
        if st[2] != k.ROOM:
            break
        cap *= 2
        kinds, starts, lens = _grow(kinds, cap), _grow(starts, cap), _grow(lens, cap)
    if st[2] != k.DONE:
        raise _Fallback(f"shared strings: outcome {int(st[2])} at byte {int(st[3])}")
    n = int(st[1])
    out_kinds: NDArray[np.uint8] = kinds[:n].copy()
    out_starts: NDArray[np.int64] = starts[:n].copy()
    out_lens: NDArray[np.int64] = lens[:n].copy()
    _decode_listed(xml, out_kinds, out_starts, out_lens, extra, memo)
    return out_kinds, out_starts, out_lens


def _number(raw: bytes) -> str | None:
    """A number cell's value as :func:`~aspire_models.formats.grid._cell` writes the float
    calamine reads; a value that is not a plain decimal number is left to calamine."""
    from aspire_models.formats.grid import _cell

    if not _NUMBER.fullmatch(raw):
        raise _Fallback(f"number {raw[:20]!r}")
    return _cell(float(raw))


#: milliseconds in a day, the unit calamine rounds a date's time to
_MS_PER_DAY = 86_400_000.0
_EPOCH = dt.datetime(1899, 12, 30)


def _rounded(x: float) -> int:
    """``x`` rounded half away from zero, as Rust's ``f64::round``."""
    whole = math.floor(x)
    return int(whole) + (1 if x - whole >= 0.5 else 0) if x >= 0 else -_rounded(-x)


def _shown(raw: bytes, *, duration: bool) -> str | None:
    """A number in a date, time or duration format as python-calamine gives it, written as
    :func:`~aspire_models.formats.grid._cell` writes the value: a duration as a
    ``timedelta``; a date and time counted in days from 1899-12-30 (Excel's 1900 leap-year
    error kept: below 60 a day more), to the millisecond; a time alone below 1, a date alone
    for a whole number, the number itself when the year is outside 1-9999."""
    from aspire_models.formats.grid import _cell

    if not _NUMBER.fullmatch(raw):
        raise _Fallback(f"number {raw[:20]!r}")
    v = float(raw)
    if not math.isfinite(v) or abs(v) > 9e7:  # beyond the dates calamine can count: left to it
        raise _Fallback(f"a date of {v!r} days")
    if duration:
        return _cell(dt.timedelta(milliseconds=_rounded(v * _MS_PER_DAY)))
    ms = _rounded((v if v >= 60.0 else v + 1.0) * _MS_PER_DAY)
    if v < 1.0:
        day_ms = ms % 86_400_000
        return _cell((dt.datetime.min + dt.timedelta(milliseconds=day_ms)).time())
    try:
        when = _EPOCH + dt.timedelta(milliseconds=ms)
    except OverflowError:  # calamine's year range check: the number as it is
        return _cell(v)
    return _cell(when.date() if v == float(int(v)) else when)


def _xml_text(raw: bytes, *, keep: bool) -> str:
    """The text of a ``<t>`` (or a formula's ``<v>``) as calamine reads it: XML white space
    at the ends trimmed unless ``xml:space="preserve"``; line ends (CRLF, CR) made LF; the
    five entities and character references decoded; then ``_x00HH_`` escapes."""
    if not keep:
        raw = raw.strip(b" \t\r\n")
        if b"&#" in raw:  # a reference may stand for white space at an end
            raise _Fallback("a character reference in trimmed text")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise _Fallback("not UTF-8") from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "&" in text:
        if text.count("&") != len(_ENTITY.findall(text)):
            raise _Fallback("an entity XML does not define")
        text = _ENTITY.sub(_entity, text)
    if "_x" in text:
        text = _ESCAPE.sub(_escape, text)
    return text


def _entity(m: re.Match[str]) -> str:
    if m.group(1):
        return _NAMED[m.group(1)]
    code = int(m.group(2)) if m.group(2) else int(m.group(3), 16)
    if code == 0 or 0xD800 <= code <= 0xDFFF or code > 0x10FFFF:
        raise _Fallback("a character reference to no character")
    return chr(code)


def _escape(m: re.Match[str]) -> str:
    """An ``_x00HH_`` escape as calamine reads it: the character U+00HH (other ``_xHHHH_``
    are left as they are)."""
    return chr(int(m.group(1), 16))


def _rich(raw: bytes) -> str:
    """A shared string of several ``<t>`` (runs of rich text; phonetic runs left out)."""
    parts: list[str] = []
    stack: list[bytes] = []
    keep = False
    for m in _RICH_TOKEN.finditer(raw):
        closing, tag, attrs, closed, text, stray = m.groups()
        if stray is not None or (closing and (attrs.strip() or closed)):
            raise _Fallback("rich text that is not well-formed")
        if text is not None:
            if stack[-1:] == [b"t"]:
                if b"rPh" not in stack:
                    parts.append(_xml_text(text, keep=keep))
            elif b"rPr" not in stack and text.strip(b" \t\r\n"):
                raise _Fallback("text outside <t>")
            continue
        if closing:
            if not stack or stack.pop() != tag:
                raise _Fallback("rich text out of order")
        elif not closed:
            if tag == b"t":
                given = _ATTRIBUTE.findall(attrs)
                if any(name != b"xml:space" for name, _, _ in given):
                    raise _Fallback("a <t> attribute")
                keep = any(a == b"preserve" or b == b"preserve" for _, a, b in given)
            elif tag not in (b"r", b"rPr", b"rPh") and b"rPr" not in stack:
                raise _Fallback(f"rich text <{tag.decode()}>")
            stack.append(tag)
    if stack:
        raise _Fallback("rich text does not end")
    return "".join(parts)
