"""Splitting a plain CSV file into fields with numpy (internal).

A file without quote characters is the common case for survey exports: then no field can
hold a separator or a newline, and every line is a record. Such a file is cut into blocks
of whole lines, and each block into fields with a few passes of numpy over its bytes (a
table look-up per byte, one reshape), giving the end offset of every field (a field starts
one byte after the previous one ends). Answers are then read straight from the bytes
(:meth:`Fields.digit_codes`), without making a string per cell as a general CSV reader must.
Anything else (quotes, a line with another number of fields, a blank line) gives ``None``,
and the caller reads the file with Arrow's CSV reader.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from aspire_models import _columnar

__all__ = ["Fields", "blocks", "split"]

NEWLINE = 10
RETURN = 13
#: the digit code of each field key (length 0..3, second byte, first byte: the two bytes
#: read as one little-endian 16-bit number), see :meth:`Fields.keys`
KEY_CODES = np.ascontiguousarray(_columnar.CODE_TABLE.reshape(4, 256, 256).transpose(0, 2, 1)).ravel()


class Fields:
    """The fields of a block of whole lines of ``data``: ``ends`` (fields x rows, offsets
    into ``data``); field ``j`` of a row starts one byte after field ``j - 1`` ends (the
    first field after the previous line's newline). A carriage return before a newline is
    not part of the last field."""

    __slots__ = ("data", "ends", "line_starts", "pairs", "rows")

    def __init__(self, data: NDArray[np.uint8], ends: NDArray[np.intp]) -> None:
        self.data = data
        self.ends = ends
        self.rows = ends.shape[1]
        self.line_starts = np.empty(self.rows, dtype=np.intp)
        self.line_starts[0] = 0
        self.line_starts[1:] = ends[-1, :-1] + 1
        cr = np.take(data, np.maximum(ends[-1] - 1, 0)) == RETURN
        cr &= ends[-1] > (ends[-2] + 1 if len(ends) > 1 else self.line_starts)
        self.ends[-1] -= cr  # the newline itself is found again as line_starts - 1
        # every byte with the next one, as a little-endian 16-bit number (one look-up per cell)
        padded = np.zeros(len(data) + 1, dtype=np.uint16)
        padded[:-1] = data
        self.pairs = padded[:-1] | (padded[1:] << 8)

    def starts(self, j: int) -> NDArray[np.intp]:
        return self.line_starts if j == 0 else self.ends[j - 1] + 1

    def keys(self, j: int) -> NDArray[np.intp]:
        """Per row, the key of field ``j``: its length (0, 1, 2 or 3 for more) times 65536
        plus its first two bytes as a little-endian number (see :data:`KEY_CODES`)."""
        s = self.starts(j)
        key: NDArray[np.intp] = self.ends[j] - s
        np.minimum(key, 3, out=key)
        key <<= 16
        key += np.take(self.pairs, s, mode="clip")
        return key

    def digit_codes(self, j: int) -> NDArray[np.int16]:
        """:func:`aspire_models._columnar.digit_codes` of field ``j`` (empty: NULL)."""
        return np.take(KEY_CODES, self.keys(j))

    def strings(self, j: int, rows: NDArray[np.int64] | None = None) -> pa.Array:
        """Field ``j`` (of the rows given, or all) as an Arrow string array; an empty field is
        null, as the CSV reader makes it."""
        return self.gather([(j, rows)])

    def gather(self, parts: list[tuple[int, NDArray[np.int64] | None]]) -> pa.Array:
        """One Arrow string array of field ``j`` of ``rows`` (all when None), for each
        ``(j, rows)`` in turn."""
        s = np.concatenate([self.starts(j) if r is None else self.starts(j)[r] for j, r in parts])
        e = np.concatenate([self.ends[j] if r is None else self.ends[j, r] for j, r in parts])
        ln = e - s
        total = int(ln.sum())
        offsets = np.zeros(len(ln) + 1, dtype=np.int64)
        np.cumsum(ln, out=offsets[1:])
        if total:
            idx = np.repeat(s - offsets[:-1], ln) + np.arange(total, dtype=np.int64)
            values = np.take(self.data, idx)
        else:
            values = np.zeros(0, dtype=np.uint8)
        empty = ln == 0
        nulls = int(empty.sum())
        validity = pa.py_buffer(np.packbits(~empty, bitorder="little")) if nulls else None
        return pa.Array.from_buffers(
            pa.large_string(), len(ln), [validity, pa.py_buffer(offsets), pa.py_buffer(values)], null_count=nulls
        )


def blocks(data: bytes, start: int, size: int) -> list[tuple[int, int]] | None:
    """Byte ranges of blocks of whole lines from ``start`` (after the header), about ``size``
    bytes each; None when the file holds a quote character (then a field may span lines)."""
    if b'"' in data:
        return None
    out: list[tuple[int, int]] = []
    pos = start
    end = len(data)
    while pos < end:
        cut = data.find(b"\n", min(end - 1, pos + size))
        cut = end if cut < 0 else cut + 1
        out.append((pos, cut))
        pos = cut
    return out


def split(data: NDArray[np.uint8], n_fields: int, delimiter: int) -> Fields | None:
    """The fields of the lines of ``data`` (whole lines, the last newline optional), or None
    when a line does not have exactly ``n_fields`` fields (a blank line included)."""
    if len(data) == 0:
        return None
    if data[-1] != NEWLINE:  # a last line without a newline
        data = np.append(data, np.uint8(NEWLINE))
    newline = data == NEWLINE
    seps = np.flatnonzero(newline | (data == delimiter))
    if len(seps) % n_fields:
        return None
    ends = seps.reshape(-1, n_fields)
    # each line's last separator is a newline, and there are no other newlines
    if not (np.take(data, ends[:, -1]) == NEWLINE).all() or int(np.count_nonzero(newline)) != len(ends):
        return None
    return Fields(data, np.ascontiguousarray(ends.T))
