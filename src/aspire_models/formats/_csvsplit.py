"""Splitting a plain CSV file into fields with numpy (internal).

A file without quote characters is the common case for survey exports: then no field can
hold a separator or a newline, and every line is a record. Such a file is cut into blocks
of whole lines, and each block into fields with a few passes of numpy over its bytes (a
table look-up per byte, one reshape), giving the end offset of every field (a field starts
one byte after the previous one ends). Answers are then read straight from the bytes
(:meth:`Fields.digit_codes`), without making a string per cell as a general CSV reader must.
A file with quote characters is split the same way once the separators inside quoted
fields are set aside (a separator is inside quotes when an odd number of quotes come before
it: :func:`quoted_blocks`, :func:`split` with ``quoted``), provided every quote is where
RFC 4180 puts it: a field that holds a quote starts and ends with one, and the quotes within
it are doubled. Anything else (a stray quote, a line with another number of fields, a blank
line) gives ``None``, and the caller reads the file with Arrow's CSV reader.
"""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from aspire_models import _columnar

__all__ = ["Fields", "blocks", "quoted_blocks", "split"]

NEWLINE = 10
RETURN = 13
QUOTE = 34
#: the digit code of each field key (length 0..3, second byte, first byte: the two bytes
#: read as one little-endian 16-bit number), see :meth:`Fields.keys`
KEY_CODES = np.ascontiguousarray(_columnar.CODE_TABLE.reshape(4, 256, 256).transpose(0, 2, 1)).ravel()


class Fields:
    """The fields of a block of whole lines of ``data``: ``ends`` (fields x rows, offsets
    into ``data``); field ``j`` of a row starts one byte after field ``j - 1`` ends (the
    first field after the previous line's newline). A carriage return before a newline is
    not part of the last field. With ``quotes`` (the offsets of the block's quote
    characters), a field that starts with a quote is read without its enclosing quotes and
    with doubled quotes made single; :attr:`valid` says whether the quotes are where RFC 4180
    puts them."""

    __slots__ = (
        "_cend",
        "_cstart",
        "_doubled",
        "_escaped",
        "data",
        "ends",
        "line_starts",
        "pairs",
        "rows",
        "valid",
    )

    def __init__(self, data: NDArray[np.uint8], ends: NDArray[np.intp], quotes: NDArray[np.intp] | None = None) -> None:
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
        self._cstart: NDArray[np.intp] | None = None  # content bounds of quoted fields
        self._cend: NDArray[np.intp] | None = None
        self._escaped: NDArray[np.bool_] | None = None
        self._doubled: tuple[NDArray[np.intp], NDArray[np.intp]] | None = None
        self.valid = quotes is None or len(quotes) == 0 or self._unquote(quotes)

    def _unquote(self, quotes: NDArray[np.intp]) -> bool:
        """Content bounds of the quoted fields; False when a quote is where RFC 4180 puts none
        (then the block is read by a general CSV reader)."""
        starts = np.empty_like(self.ends)
        starts[0] = self.line_starts
        starts[1:] = self.ends[:-1] + 1
        flat_s = starts.T.ravel()  # fields in file order
        flat_e = self.ends.T.ravel()
        f = np.searchsorted(flat_e, quotes)  # the field each quote is in
        if len(f) and int(f[-1]) >= len(flat_e):
            return False
        fs, fe = flat_s[f], flat_e[f]
        # every field holding a quote starts and ends with one, and is two bytes at least
        if not ((fe - fs >= 2) & (self.data[fs] == QUOTE) & (self.data[np.maximum(fe - 1, 0)] == QUOTE)).all():
            return False
        inner = (quotes != fs) & (quotes != fe - 1)
        interior = quotes[inner]
        if len(interior) % 2 or not (interior[1::2] - interior[0::2] == 1).all():
            return False  # quotes within a field come in pairs ("")
        quoted = (np.take(self.data, starts, mode="clip") == QUOTE) & (self.ends > starts)
        self._cstart = starts + quoted
        self._cend = self.ends - quoted
        if len(interior):
            escaped = np.zeros(len(flat_e), dtype=bool)
            escaped[f[inner][0::2]] = True
            self._escaped = np.ascontiguousarray(escaped.reshape(self.rows, -1).T)
            self._doubled = (interior[1::2], f[inner][1::2])  # the second quote of each pair, its field
        return True

    def _spans(self, columns: list[int]) -> pa.Array:
        """The block's fields ``columns`` (ascending) as one binary array whose elements are,
        in file order, each field's content and the bytes between it and the next: field
        ``columns[k]`` of row ``r`` is element ``2 * (r * len(columns) + k)``. No bytes are
        copied."""
        starts = np.stack([self.starts(j) for j in columns])
        ends = np.stack([self.end(j) for j in columns])
        bounds = np.empty(2 * starts.size + 1, dtype=np.int64)
        bounds[0:-1:2] = starts.T.ravel()
        bounds[1::2] = ends.T.ravel()
        bounds[-1] = bounds[-2]
        return pa.Array.from_buffers(
            pa.large_binary(), 2 * starts.size, [None, pa.py_buffer(bounds), pa.py_buffer(self.data)]
        )

    def starts(self, j: int) -> NDArray[np.intp]:
        if self._cstart is not None:
            first: NDArray[np.intp] = self._cstart[j]
            return first
        return self.line_starts if j == 0 else self.ends[j - 1] + 1

    def end(self, j: int) -> NDArray[np.intp]:
        """Per row, the offset just after field ``j``'s content."""
        last: NDArray[np.intp] = self.ends[j] if self._cend is None else self._cend[j]
        return last

    def keys(self, j: int) -> NDArray[np.intp]:
        """Per row, the key of field ``j``: its length (0, 1, 2 or 3 for more) times 65536
        plus its first two bytes as a little-endian number (see :data:`KEY_CODES`)."""
        s = self.starts(j)
        key: NDArray[np.intp] = self.end(j) - s
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
        e = np.concatenate([self.end(j) if r is None else self.end(j)[r] for j, r in parts])
        ln = e - s
        n_fields = self.ends.shape[0]
        columns = [j for j, r in parts if r is None]
        whole = len(columns) == len(parts) and len(set(columns)) == len(columns)  # whole columns, each once
        if whole:  # Arrow copies each field's bytes
            wanted = sorted(columns)
            slot = {j: k for k, j in enumerate(wanted)}
            every = np.arange(self.rows, dtype=np.int64)
            picked = np.concatenate([every * len(wanted) + slot[j] for j, _ in parts]) * 2
            buffers = self._spans(wanted).take(pa.array(picked)).buffers()
            offsets, values = buffers[1], buffers[2]
        else:  # a few cells of many columns: their bytes picked one by one
            off = np.zeros(len(ln) + 1, dtype=np.int64)
            np.cumsum(ln, out=off[1:])
            total = int(off[-1])
            idx = np.repeat(s - off[:-1], ln) + np.arange(total, dtype=np.int64)
            offsets = pa.py_buffer(off)
            values = pa.py_buffer(np.take(self.data, idx) if total else np.zeros(0, dtype=np.uint8))
        empty = ln == 0
        nulls = int(empty.sum())
        validity = pa.py_buffer(np.packbits(~empty, bitorder="little")) if nulls else None
        if self._doubled is not None and whole:
            # doubled quotes within quoted fields made single: the second of each pair dropped
            at, field = self._doubled
            base = np.full(n_fields, -1, dtype=np.int64)  # each column's first cell in the output
            base[columns] = np.arange(len(columns), dtype=np.int64) * self.rows
            cell = base[field % n_fields]
            hit = cell >= 0
            if hit.any():
                cells = cell[hit] + field[hit] // n_fields
                off = np.frombuffer(offsets, dtype=np.int64)[: len(ln) + 1]
                drop = np.sort(off[cells] + (at[hit] - s[cells]))
                keep = np.ones(int(off[-1]), dtype=bool)
                keep[drop] = False
                values = pa.py_buffer(np.frombuffer(values, dtype=np.uint8)[: int(off[-1])][keep])
                offsets = pa.py_buffer(off - np.searchsorted(drop, off))
        out = pa.Array.from_buffers(pa.large_string(), len(ln), [validity, offsets, values], null_count=nulls)
        if self._escaped is not None and not whole:
            esc = np.concatenate([self._escaped[j] if r is None else self._escaped[j, r] for j, r in parts])
            if esc.any():  # a field asked for twice: the general way
                out = pc.if_else(pa.array(esc), pc.replace_substring(out, '""', '"'), out)
        return out


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


def quoted_blocks(
    data: bytes, start: int, size: int, pool: ThreadPoolExecutor
) -> tuple[list[tuple[int, int]], list[int]] | None:
    """Byte ranges of blocks of whole records from ``start``, about ``size`` bytes each, of a
    file with quote characters (a quoted field may hold newlines), and the number of records
    in each; None when the file ends inside a quoted field. A newline ends a record when an
    even number of quotes come before it: each block's quotes and newlines are found in
    parallel, and the quotes of the blocks before it give its starting parity."""
    raw = np.frombuffer(data, dtype=np.uint8)
    cuts: list[int] = []
    pos = start
    while pos < len(data):
        cut = data.find(b"\n", min(len(data) - 1, pos + size))
        pos = len(data) if cut < 0 else cut + 1
        cuts.append(pos)

    def scan(k: int) -> tuple[int, NDArray[np.intp], NDArray[np.intp]]:
        a = start if k == 0 else cuts[k - 1]
        seg = raw[a : cuts[k]]
        quotes = np.flatnonzero(seg == QUOTE)
        newlines = np.flatnonzero(seg == NEWLINE)
        return len(quotes), newlines + a, np.searchsorted(quotes, newlines) & 1

    parity = 0
    record_ends: list[NDArray[np.intp]] = []
    for n_quotes, newlines, local in pool.map(scan, range(len(cuts))):
        record_ends.append(newlines[local == parity])
        parity ^= n_quotes & 1
    if parity:
        return None
    ends = np.concatenate(record_ends) if record_ends else np.zeros(0, dtype=np.intp)
    # blocks end after the last record that ends in each raw block
    bounds = [start]
    for c in cuts:
        i = int(np.searchsorted(ends, c))
        if i and int(ends[i - 1]) + 1 > bounds[-1]:
            bounds.append(int(ends[i - 1]) + 1)
    if bounds[-1] < len(data):  # a last record without a newline
        bounds.append(len(data))
    plan = list(itertools.pairwise(bounds))
    counts = np.diff(np.searchsorted(ends, bounds)).tolist()
    if data[-1:] != b"\n" and counts:
        counts[-1] += 1
    return plan, counts


def split(data: NDArray[np.uint8], n_fields: int, delimiter: int, quoted: bool = False) -> Fields | None:
    """The fields of the lines of ``data`` (whole lines, the last newline optional), or None
    when a line does not have exactly ``n_fields`` fields (a blank line included). With
    ``quoted``, ``data`` is whole records that may hold quoted fields (RFC 4180); None when
    a quote is elsewhere."""
    if len(data) == 0:
        return None
    if data[-1] != NEWLINE:  # a last line without a newline
        data = np.append(data, np.uint8(NEWLINE))
    newline = data == NEWLINE
    seps = np.flatnonzero(newline | (data == delimiter))
    quotes = np.flatnonzero(data == QUOTE) if quoted else None
    if quotes is not None and len(quotes):
        if len(quotes) % 2:
            return None
        # not inside quotes: drop the separators between each opening quote and the next one
        inside = np.zeros(len(seps) + 1, dtype=np.int8)
        np.add.at(inside, np.searchsorted(seps, quotes[0::2]), 1)
        np.add.at(inside, np.searchsorted(seps, quotes[1::2]), -1)
        seps = seps[np.cumsum(inside[:-1]) == 0]
    if len(seps) % n_fields:
        return None
    ends = seps.reshape(-1, n_fields)
    # each line's last separator is a newline, and there are no other newlines (outside quotes)
    if not (np.take(data, ends[:, -1]) == NEWLINE).all():
        return None
    lines = np.count_nonzero(np.take(data, seps) == NEWLINE) if quotes is not None else np.count_nonzero(newline)
    if int(lines) != len(ends):
        return None
    fields = Fields(data, np.ascontiguousarray(ends.T), quotes)
    return fields if fields.valid else None
