"""One pass over a large CSV file, block by block (internal).

A CSV file of a million respondents with comment columns is over a gigabyte, most of it
free text that no scorer reads. This module reads such a file in blocks of
:data:`PIECE` bytes, so it is never all in memory, and splits each block into records and
fields with one compiled pass over its bytes (numba: one loop, a few comparisons per byte;
the pure-numpy split in :mod:`aspire_models.formats._csvsplit` needs several passes and
copies, and keeps the whole file in memory). Per record it gives:

* for each answer column, the answer code, looked up in the codec's table by the field's
  *key* (its length, up to 3, and its first two bytes) as the field is scanned; the few
  cells that are not one or two digits on the scale (``" 7 "``, ``"7.0"``, ``"11"``, text)
  are listed with their byte offsets and key, to be parsed exactly or named;
* for the other columns that are kept in memory (respondent id, organisation, team, ...),
  the byte offsets of each field, gathered into Arrow strings block by block;
* for free-text (open question) columns, only the length in characters of the cells longer
  than the smallest limit that applies; the text itself stays in the file until someone
  asks for it (:class:`FileText`), which reads the file again and checks that it has not
  changed;
* the offset of the record, and checks that every byte is valid UTF-8, that every record
  has the header's number of fields and that quotes are where RFC 4180 puts them.

Three threads share the work (the compiled loops release the GIL): one reads the file and
hashes it, one scans the pieces in order (a piece's last, unfinished record is carried to
the front of the next, so no record boundary has to be known in advance), and one converts
the scanned answers and gathers the kept columns. Anything the scan does not take (a
ragged row, a blank line, a stray quote, bytes that are not UTF-8) makes
:func:`stream_csv` return ``None``, and the caller reads the file the general way, which
reports those problems by row.

The file's SHA-256 digest is computed as it is read, each 256 KB while those bytes are in
the processor's cache (the same digest as ``sha256sum`` gives).
"""

from __future__ import annotations

import functools
import hashlib
import os
import queue
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from aspire_models.responses import DeferredText

__all__ = ["PIECE", "FileText", "Scan", "available", "stream_csv"]

#: bytes per block (a block ends at the last record that ends in it)
PIECE = 32 << 20
#: records scanned per call of the compiled loop (bounds the per-thread scratch arrays)
_ROWS = 1 << 15
#: bytes read (and hashed) at a time
_SUB = 256 << 10
#: odd answer cells and long texts listed per call at most (then the call ends early)
_LISTED = 1 << 14
#: the kinds of column the scan knows
IGNORE, ANSWER, TEXT, KEPT = 0, 1, 2, 3
#: scan outcomes
OK, RAGGED, QUOTE, UTF8, BLANK, FULL_ROWS, FULL_LISTS = range(7)
_WHY = {
    RAGGED: "a record with another number of fields",
    QUOTE: "a quote character where RFC 4180 puts none",
    UTF8: "bytes that are not UTF-8",
    BLANK: "a blank line",
}


@functools.cache
def available() -> bool:
    """Whether the compiled loops can be used: numba imports, and the loops compile (or load
    from numba's cache) and run on a one-record file. Without them the general reader is
    used, with the same results. Asked once per process, when a large file is read."""
    try:
        scan, gather = _kernels()
        buf = np.frombuffer(b"a,1\n" + bytes(4), dtype=np.uint8).copy()
        buf64 = buf.view(np.uint64)
        s = _Scratch(1, 1, 2)
        kinds = np.array([KEPT, ANSWER], dtype=np.int8)
        slot = np.zeros(2, dtype=np.int64)
        rows = scan(buf, buf64, 0, 4, True, 44, kinds, slot, _NO_TABLE, _NO_TAB, 1 << 62,
                    s.vals, s.kstart, s.kend, s.kesc, s.rec, s.odd, s.long)[0]  # fmt: skip
        off = np.empty(2, dtype=np.int64)
        return bool(rows == 1 and len(gather(buf, s.kstart[:1, 0], s.kend[:1, 0], off)) == 1)
    except Exception:  # numba missing, or a platform it cannot compile for
        return False


@functools.cache
def _kernels() -> tuple[Callable[..., Any], Callable[..., Any]]:
    """The compiled loops (:mod:`._scankernels`: numba is imported only when a file needs them)."""
    from aspire_models.formats import _scankernels

    return _scankernels.scan, _scankernels.gather


class _Block:
    """One part of a block's scan: its bytes, the answer codes the scan stored (rows x the
    block's answer columns, column by column), and the cells it listed as odd (to parse, or
    breaking a rule: row, answer, start, end, doubled quotes, key)."""

    __slots__ = ("buf", "odd", "rows", "vals")

    def __init__(self, buf: NDArray[np.uint8], vals: NDArray[np.uint8], odd: NDArray[np.int64]) -> None:
        self.buf = buf
        self.vals = vals
        self.odd = odd
        self.rows = vals.shape[0]


def _strings(buf: NDArray[np.uint8], s: NDArray[np.int64], e: NDArray[np.int64], esc: NDArray[np.bool_]) -> pa.Array:
    """An Arrow string array of the byte ranges ``s:e`` of ``buf`` (an empty one is null),
    doubled quotes made single where ``esc``."""
    ln = e - s
    off = np.empty(len(ln) + 1, dtype=np.int64)
    values = _kernels()[1](buf, np.ascontiguousarray(s), np.ascontiguousarray(e), off)
    empty = ln == 0
    nulls = int(empty.sum())
    validity = pa.py_buffer(np.packbits(~empty, bitorder="little")) if nulls else None
    out = pa.Array.from_buffers(
        pa.large_string(), len(ln), [validity, pa.py_buffer(off), pa.py_buffer(values)], null_count=nulls
    )
    if esc.any():
        out = pc.if_else(pa.array(esc), pc.replace_substring(out, '""', '"'), out)
    return out


def _convert(
    answers: Any, start: int, block: _Block, columns: NDArray[np.int64], slots: NDArray[np.int64]
) -> list[Any]:
    """A block's answers into the codec's matrix from row ``start``, and the cells that break
    a rule (the codec's ``Found``: column, rows, rule bits, the cells as given), for the whole
    block at once: ``columns[k]`` is the codec's column of the block's answer ``slots[k]``.
    What :meth:`aspire_models.formats.codec._Answers.convert` does for a coded block of
    fields, without a round of calls per column."""
    from aspire_models.formats import codec

    r = block.rows
    if len(columns) and (np.diff(columns) == 1).all() and (slots == np.arange(len(slots))).all():
        j0 = int(columns[0])
        answers.values[start : start + r, j0 : j0 + len(columns)] = block.vals[:, : len(slots)]
    else:
        for j, k in zip(columns.tolist(), slots.tolist(), strict=True):
            answers.values[start : start + r, j] = block.vals[:, k]
    odd = block.odd
    if not len(odd):
        return []
    column_of = np.zeros(int(slots.max()) + 1, dtype=np.int64)
    column_of[slots] = columns
    col = column_of[odd[:, 1]]
    code = np.take(_csvsplit_codes(), odd[:, 5])
    bits = np.zeros(len(odd), dtype=np.uint8)
    scales = [answers.scales[j] for j in col.tolist()]
    for scale in {id(x): x for x in scales}.values():
        mine = np.array([x is scale for x in scales], dtype=bool)
        bits[mine] = np.take(answers.tables[id(scale)], code[mine])
    found: list[Any] = []
    hit = np.flatnonzero(bits)  # one or two digits that break a rule (out of the scale)
    for j in np.unique(col[hit]).tolist():
        at = hit[col[hit] == j]
        found.append((j, odd[at, 0] + start, bits[at], [_digits()[k - 2] for k in code[at].tolist()]))
    other = np.flatnonzero(code == 0)  # OTHER: to be parsed as text
    if len(other):
        strings = _strings(block.buf, odd[other, 2], odd[other, 3], odd[other, 4] > 0)  # as given
        v_all, bad_all = codec._parse_text(
            pc.replace_substring(strings, ",", ".") if answers.decimal_comma else strings
        )
        rule = np.zeros(len(other), dtype=np.uint8)
        stored = np.zeros(len(other), dtype=answers.values.dtype)
        other_scales = [scales[i] for i in other.tolist()]
        for scale in {id(x): x for x in other_scales}.values():
            mine = np.array([x is scale for x in other_scales], dtype=bool)
            b = codec._rule_bits(v_all[mine], scale) | np.where(bad_all[mine], codec._TYPE, 0).astype(np.uint8)
            rule[mine] = b
            stored[mine] = answers._encode(v_all[mine], b, scale)
        answers.values[odd[other, 0] + start, col[other]] = stored
        broken = np.flatnonzero(rule)
        given = strings.take(pa.array(broken)).to_pylist() if len(broken) else []
        by = col[other][broken]
        for j in np.unique(by).tolist():
            mine = np.flatnonzero(by == j)
            at = other[broken[mine]]
            found.append((j, odd[at, 0] + start, rule[broken[mine]], [given[m] for m in mine.tolist()]))
    return found


@functools.cache
def _csvsplit_codes() -> NDArray[np.int16]:
    from aspire_models.formats._csvsplit import KEY_CODES

    return KEY_CODES


@functools.cache
def _digits() -> tuple[str, ...]:
    from aspire_models._columnar import DIGITS

    return DIGITS


class FileText(DeferredText):
    """A free-text column of a CSV file, left in the file until it is asked for.

    Holds the file's identity (device, inode, size, modification time) as it was read, the
    length of the cells over :attr:`threshold` characters, and what is needed to find the
    column again. :meth:`arrow` reads the file once more (block by block, as it was read)
    and refuses, with a named error, a file that has changed since.
    """

    def __init__(self, reader: _Rereader, name: str, field: int, rows: int, long: Mapping[int, int], threshold: int):
        self._reader = reader
        self.name = name
        self.field = field
        self.rows = rows
        self.threshold = threshold
        order = sorted(long)
        self._long_rows = np.array(order, dtype=np.int64)
        self._long_len = np.array([long[r] for r in order], dtype=np.int64)

    def __len__(self) -> int:
        return self.rows

    def longer_than(self, limit: int) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """The rows whose text is longer than ``limit`` characters, and those lengths."""
        if limit >= self.threshold:
            hit = self._long_len > limit
            return self._long_rows[hit], self._long_len[hit]
        from aspire_models.responses import _longer_than

        return _longer_than(self.arrow(), limit)

    def arrow(self) -> pa.ChunkedArray:
        """The column as Arrow strings (null for a blank), read from the file now."""
        return self._reader.column(self.field)

    def cell(self, row: int) -> str | None:
        """One cell (for a message)."""
        value = self._reader.cell(row, self.field)
        return value


class _Rereader:
    """Reads columns of a scanned CSV file again, checking it is the file that was scanned."""

    def __init__(
        self,
        path: str,
        identity: tuple[int, int, int, int],
        body: int,
        delim: int,
        n_fields: int,
        rows: int,
        record_starts: NDArray[np.int64],
    ) -> None:
        self.path = path
        self.identity = identity
        self.body = body
        self.delim = delim
        self.n_fields = n_fields
        self.rows = rows
        self.record_starts = record_starts
        self._lock = threading.Lock()
        self._cache: dict[int, pa.ChunkedArray] = {}

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        del state["_lock"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def _open(self) -> Any:
        from aspire_models.errors import Problem, ResponseError
        from aspire_models.safeio import open_input

        fh = open_input(self.path, what="response file", max_bytes=self.identity[2])
        st = os.fstat(fh.fileno())
        if (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns) != self.identity:
            fh.close()
            raise ResponseError(
                [
                    Problem(
                        "unchanged",
                        "the file has changed since it was read, so its free-text answers cannot be read from it",
                        file=self.path,
                    )
                ]
            )
        return fh

    def column(self, field: int) -> pa.ChunkedArray:
        with self._lock:
            got = self._cache.get(field)
            if got is None:
                got = self._read(field)
                self._cache[field] = got
            return got

    def _read(self, field: int) -> pa.ChunkedArray:
        kinds = np.zeros(self.n_fields, dtype=np.int8)
        kinds[field] = KEPT
        slot = np.zeros(self.n_fields, dtype=np.int64)
        chunks: list[pa.Array] = []

        def on_piece(buf: NDArray[np.uint8], parts: list[_Raw]) -> None:
            chunks.extend(_strings(buf, p.kstart[:, 0], p.kend[:, 0], p.kesc[:, 0]) for p in parts)

        args = (self.delim, kinds, slot, _NO_TABLE, _NO_TAB, 1 << 62)
        with self._open() as fh:
            ok = _scan_file(fh, self.body, args, _Scratch(0, 1, self.n_fields), on_piece)
        if not ok or sum(len(c) for c in chunks) != self.rows:
            raise AssertionError("the file no longer scans as it did")
        return pa.chunked_array(chunks, type=pa.large_string())

    def cell(self, row: int, field: int) -> str | None:
        with self._lock:
            got = self._cache.get(field)
        if got is not None:
            value: str | None = got[row].as_py()
            return value
        scan = _kernels()[0]
        start = int(self.record_starts[row])
        end = int(self.record_starts[row + 1]) if row + 1 < len(self.record_starts) else self.identity[2]
        with self._open() as fh:
            fh.seek(start)
            raw = fh.read(end - start)
        n = len(raw)
        buf = np.zeros(n + 8 - n % 8, dtype=np.uint8)
        buf[:n] = np.frombuffer(raw, dtype=np.uint8)
        kinds = np.zeros(self.n_fields, dtype=np.int8)
        kinds[field] = KEPT
        slot = np.zeros(self.n_fields, dtype=np.int64)
        s = _Scratch(0, 1, self.n_fields)
        r, _, _, _, _ = scan(
            buf, buf.view(np.uint64), 0, n, True, self.delim, kinds, slot, _NO_TABLE, _NO_TAB, 1 << 62,
            s.vals, s.kstart, s.kend, s.kesc, s.rec, s.odd, s.long,
        )  # fmt: skip
        if r < 1:
            return None
        value = _strings(buf, s.kstart[:1, 0], s.kend[:1, 0], s.kesc[:1, 0])[0].as_py()
        return value


_NO_TABLE = np.zeros((1, 4 << 16), dtype=np.uint8)
_NO_TAB = np.zeros(1, dtype=np.int64)


class _Scratch:
    """A thread's output arrays for the compiled scan (reused block after block)."""

    def __init__(self, n_answers: int, n_kept: int, n_fields: int) -> None:
        # column by column, as the answer matrix is: a column of a part is copied in one go
        self.vals = np.empty((_ROWS, max(n_answers, 1)), dtype=np.uint8, order="F")
        self.kstart = np.empty((_ROWS, max(n_kept, 1)), dtype=np.int64)
        self.kend = np.empty((_ROWS, max(n_kept, 1)), dtype=np.int64)
        self.kesc = np.empty((_ROWS, max(n_kept, 1)), dtype=np.bool_)
        self.rec = np.empty(_ROWS, dtype=np.int64)
        self.odd = np.empty((max(_LISTED, n_fields), 6), dtype=np.int64)
        self.long = np.empty((max(_LISTED, n_fields), 3), dtype=np.int64)


#: bytes kept free before each piece, for the record carried over from the piece before
_HEAD = 1 << 20


def _pooled_size() -> int:
    """The size of a read buffer: the free room and a piece, in whole 8-byte words."""
    return (_HEAD + PIECE + 7) // 8 * 8


def _pieces(
    fh: Any,
    seen: Callable[[memoryview], Any] | None,
    progress: Callable[[int], None] | None,
    free: queue.SimpleQueue[NDArray[np.uint8]] | None,
) -> Iterator[tuple[NDArray[np.uint8], int, int]]:
    """The file's bytes from its start, :data:`PIECE` at a time: ``(buffer, end, offset)``,
    the piece in ``buffer[_HEAD:end]`` and ``offset`` the file offset of its first byte. It
    is read :data:`_SUB` bytes at a time, each given to ``seen`` (the digest) as it is read,
    while it is in the processor's cache. Buffers come from ``free`` when it has one: new
    memory costs a page fault per 4 KB."""
    fh.seek(0)
    offset = 0
    while True:
        buf = None
        if free is not None:
            try:
                buf = free.get_nowait()
            except queue.Empty:
                buf = None
        if buf is None:
            buf = np.empty(_pooled_size(), dtype=np.uint8)
        end = _HEAD
        while end < _HEAD + PIECE:
            n = fh.readinto(buf.data[end : min(_HEAD + PIECE, end + _SUB)]) or 0
            if not n:
                break
            if seen is not None:
                seen(buf.data[end : end + n])
            if progress is not None:
                progress(n)
            end += n
        if end == _HEAD:
            return
        yield buf, end, offset
        offset += end - _HEAD


def _ahead(items: Iterator[Any], depth: int) -> Iterator[Any]:
    """``items`` produced on a thread of its own, at most ``depth`` ahead of the consumer."""
    out: queue.Queue[Any] = queue.Queue(maxsize=depth)
    stop = threading.Event()
    done = object()

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        out.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            out.put(done)
        except BaseException as exc:  # handed to the consumer, raised there
            out.put(exc)

    thread = threading.Thread(target=produce, name="aspire-csv-reader", daemon=True)
    thread.start()
    try:
        while True:
            item = out.get()
            if item is done:
                return
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()
        while thread.is_alive():  # let the reader see the stop, however full the queue
            try:
                out.get_nowait()
            except queue.Empty:
                thread.join(0.05)


class _Raw:
    """Up to :data:`_ROWS` records as the compiled scan leaves them (copied out of the scratch
    arrays): answer codes, odd answer cells, kept fields' byte ranges, long texts, and the
    file offset of each record."""

    __slots__ = ("kend", "kesc", "kstart", "long", "odd", "records", "rows", "vals")

    def __init__(self, s: _Scratch, r: int, no: int, nl: int, offset: int) -> None:
        self.rows = r
        self.vals = s.vals[:r].copy(order="F")
        self.odd = s.odd[:no].copy()
        self.kstart = s.kstart[:r].copy()
        self.kend = s.kend[:r].copy()
        self.kesc = s.kesc[:r].copy()
        self.long = s.long[:nl].copy()
        self.records = s.rec[:r] + offset


def _scan_file(
    fh: Any,
    body: int,
    args: tuple[Any, ...],
    scratch: _Scratch,
    on_piece: Callable[[NDArray[np.uint8], list[_Raw]], None],
    *,
    seen: Callable[[memoryview], Any] | None = None,
    progress: Callable[[int], None] | None = None,
    free: queue.SimpleQueue[NDArray[np.uint8]] | None = None,
    read_ahead: bool = False,
) -> bool:
    """Scan every record of the file from byte ``body``, piece after piece, in order, on
    this thread: a piece's last, unfinished record is carried to the front of the next
    piece, so no record boundary needs to be known before its piece is scanned. For each
    piece, ``on_piece(buffer, parts)`` (it then owns the buffer). ``args`` are the compiled
    scan's column arguments (delimiter, kinds, slot, tables, tab, text limit). False when the
    scan gives up (see the module's notes); the file is read on another thread with
    ``read_ahead``."""
    scan = _kernels()[0]
    delim, kinds, slot, tables, tab, text_min = args
    s = scratch
    pieces: Iterator[tuple[NDArray[np.uint8], int, int]] = _pieces(fh, seen, progress, free)
    if read_ahead:
        pieces = _ahead(pieces, 2)
    carry = np.zeros(0, dtype=np.uint8)
    skip = body  # the header's bytes

    def records(buf: NDArray[np.uint8], start: int, end: int, final: bool, offset: int) -> tuple[bool, int, list[_Raw]]:
        buf64 = buf.view(np.uint64)
        parts: list[_Raw] = []
        pos = start
        while True:
            r, status, nxt, no, nl = scan(
                buf, buf64, pos, end, final, delim, kinds, slot, tables, tab, text_min,
                s.vals, s.kstart, s.kend, s.kesc, s.rec, s.odd, s.long,
            )  # fmt: skip
            if status not in (OK, FULL_ROWS, FULL_LISTS):
                return False, pos, parts
            if r:
                parts.append(_Raw(s, r, no, nl, offset))
            pos = nxt
            if status == OK:
                return (pos == end) or not final, pos, parts

    try:
        for buf, end, at in pieces:
            start = _HEAD
            if skip:
                taken = min(skip, end - start)
                start += taken
                skip -= taken
                if start == end:
                    if free is not None and len(buf) == _pooled_size():
                        free.put(buf)
                    continue
            if len(carry) <= _HEAD:
                start -= len(carry)
                buf[start : start + len(carry)] = carry
                offset = at - _HEAD
            else:  # a record longer than the free room: one buffer for it and the piece
                whole = np.empty((len(carry) + end - start + 7) // 8 * 8, dtype=np.uint8)
                whole[: len(carry)] = carry
                whole[len(carry) : len(carry) + end - start] = buf[start:end]
                offset = at + (start - _HEAD) - len(carry)
                if free is not None and len(buf) == _pooled_size():
                    free.put(buf)
                buf, start, end = whole, 0, len(carry) + end - start
            ok, pos, parts = records(buf, start, end, False, offset)
            if not ok:
                return False
            carry = buf[pos:end].copy()
            on_piece(buf, parts)
        if len(carry):  # the last record, without a newline at the end, or unfinished
            last = np.zeros((len(carry) + 7) // 8 * 8, dtype=np.uint8)
            last[: len(carry)] = carry
            size = os.fstat(fh.fileno()).st_size
            ok, pos, parts = records(last, 0, len(carry), True, size - len(carry))
            if not ok or pos != len(carry):
                return False
            on_piece(last, parts)
    finally:
        close = getattr(pieces, "close", None)
        if close is not None:
            close()
    return True


class _Done:
    """A piece scanned and converted: its first row, rows, parts, and the cells that break a
    rule."""

    __slots__ = ("found", "kept", "parts", "rows", "start")

    def __init__(self, start: int, rows: int, parts: list[_Raw], found: list[Any], kept: list[list[pa.Array]]) -> None:
        self.start = start
        self.rows = rows
        self.parts = parts
        self.found = found
        self.kept = kept


class Scan:
    """What :func:`stream_csv` read: ``rows``, the cells that break a rule (from the answer
    codec), the kept columns as Arrow strings, the free-text columns left in the file, the
    digest, the file's size."""

    def __init__(
        self,
        rows: int,
        found: list[Any],
        kept: dict[str, pa.ChunkedArray],
        text: dict[str, FileText],
        digest: str,
        size: int,
    ) -> None:
        self.rows = rows
        self.found = found
        self.kept = kept
        self.text = text
        self.digest = digest
        self.size = size


def stream_csv(
    fh: Any,
    path: str,
    body: int,
    names: Sequence[str],
    delimiter: str,
    answers: Any,
    texts: Mapping[str, int],
    *,
    progress: Callable[[int, int], None] | None = None,
    threads: int = 2,
) -> Scan | None:
    """Read the records of the CSV file ``fh`` (open, unbuffered; its name ``path``) from
    byte ``body`` (just after the header line) with the header ``names``.

    ``answers`` is the answer codec (:class:`aspire_models.formats.codec._Answers`): the
    answer columns are converted as each block is scanned, on the block's thread.
    ``texts`` are the free-text columns, each with the smallest length limit that applies
    to it (its longer cells are listed). ``progress`` is called with ``(bytes read, bytes
    in all)``. None when the file needs the general reader (see the module's notes).
    """
    if len(delimiter.encode()) != 1:
        return None
    n_fields = len(names)
    kinds = np.full(n_fields, KEPT, dtype=np.int8)
    slot = np.zeros(n_fields, dtype=np.int64)
    answer_fields = [i for i, n in enumerate(names) if n in answers.index]
    text_fields = [i for i, n in enumerate(names) if n in texts and n not in answers.index]
    taken = set(answer_fields) | set(text_fields)
    kept_fields = [i for i in range(n_fields) if i not in taken]
    for k, i in enumerate(answer_fields):
        kinds[i], slot[i] = ANSWER, k
    for k, i in enumerate(text_fields):
        kinds[i], slot[i] = TEXT, k
    for k, i in enumerate(kept_fields):
        kinds[i], slot[i] = KEPT, k
    text_min = min((texts[names[i]] for i in text_fields), default=1 << 62)
    answer_columns = np.array([answers.index[names[i]] for i in answer_fields], dtype=np.int64)
    answer_slots = np.arange(len(answer_fields), dtype=np.int64)
    delim = delimiter.encode()[0]
    if not answers.coded:
        return None  # answers stored as numbers, not codes: the general reader
    # the answer code of each field key, per scale (the codec's tables), and each column's table
    by_scale: dict[int, int] = {}
    stacked: list[NDArray[np.uint8]] = []
    tab = np.zeros(max(len(answer_fields), 1), dtype=np.int64)
    for k, i in enumerate(answer_fields):
        scale = answers.scales[answers.index[names[i]]]
        if id(scale) not in by_scale:
            by_scale[id(scale)] = len(stacked)
            stacked.append(answers._key_table(scale))
        tab[k] = by_scale[id(scale)]
    tables = np.stack(stacked) if stacked else _NO_TABLE
    free: queue.SimpleQueue[NDArray[np.uint8]] = queue.SimpleQueue()  # buffers to read into again
    rows = [0]

    def convert(buf: NDArray[np.uint8], parts: list[_Raw], start: int) -> _Done:
        found: list[Any] = []
        kept: list[list[pa.Array]] = []
        at = start
        for part in parts:
            found += _convert(answers, at, _Block(buf, part.vals, part.odd), answer_columns, answer_slots)
            kept.append(
                [_strings(buf, part.kstart[:, c], part.kend[:, c], part.kesc[:, c]) for c in range(len(kept_fields))]
            )
            part.vals = part.odd = part.kstart = part.kend = part.kesc = None  # type: ignore[assignment]
            at += part.rows
        if len(buf) == _pooled_size():
            free.put(buf)  # nothing refers to the piece's bytes any more
        return _Done(start, at - start, parts, found, kept)

    st = os.fstat(fh.fileno())
    size = st.st_size
    done_bytes = [0]

    def advanced(n: int) -> None:
        done_bytes[0] += n
        if progress is not None:
            progress(min(done_bytes[0], size), size)

    results: list[Future[_Done]] = []
    sha = hashlib.sha256()  # of the whole file, as it is read: each small piece while it is in the cache
    scratch = _Scratch(len(answer_fields), len(kept_fields), n_fields)
    args = (delim, kinds, slot, tables, tab, text_min)
    with ThreadPoolExecutor(max_workers=max(1, threads - 1)) as pool:

        def on_piece(buf: NDArray[np.uint8], parts: list[_Raw]) -> None:
            results.append(pool.submit(convert, buf, parts, rows[0]))
            rows[0] += sum(p.rows for p in parts)
            waiting = [f for f in results[-8:] if not f.done()]
            if len(waiting) > 3:  # at most a few pieces in memory
                waiting[0].result()

        ok = _scan_file(
            fh, body, args, scratch, on_piece, seen=sha.update, progress=advanced, free=free, read_ahead=True
        )
        outs = [f.result() for f in results]
    if not ok:
        return None
    found: list[Any] = []
    kept: dict[str, list[pa.Array]] = {names[i]: [] for i in kept_fields}
    record_starts: list[NDArray[np.int64]] = []
    long_rows: dict[int, list[NDArray[np.int64]]] = {i: [] for i in text_fields}
    long_len: dict[int, list[NDArray[np.int64]]] = {i: [] for i in text_fields}
    for o in outs:
        found += o.found
        at = o.start
        for part, arrays in zip(o.parts, o.kept, strict=True):
            for c, i in enumerate(kept_fields):
                kept[names[i]].append(arrays[c])
            record_starts.append(part.records)
            for t in np.unique(part.long[:, 1]).tolist():
                mine = part.long[part.long[:, 1] == t]
                long_rows[text_fields[t]].append(mine[:, 0] + at)
                long_len[text_fields[t]].append(mine[:, 2])
            at += part.rows
    n_rows = rows[0]
    reader = _Rereader(
        path,
        (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns),
        body,
        delim,
        n_fields,
        n_rows,
        np.concatenate(record_starts) if record_starts else np.zeros(0, dtype=np.int64),
    )
    text = {
        names[i]: FileText(
            reader,
            names[i],
            i,
            n_rows,
            dict(zip(_cat(long_rows[i]).tolist(), _cat(long_len[i]).tolist(), strict=True)),
            texts[names[i]],
        )
        for i in text_fields
    }
    return Scan(
        n_rows,
        found,
        {n: pa.chunked_array(v, type=pa.large_string()) for n, v in kept.items()},
        text,
        sha.hexdigest(),
        size,
    )


def _cat(parts: list[NDArray[np.int64]]) -> NDArray[np.int64]:
    return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
