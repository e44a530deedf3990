"""CSV files of responses: the fast reader.

A CSV file whose header row holds the instrument's column ids is read here without the
general reader layer (:mod:`aspire_models.formats`): its bytes are checked as UTF-8 (or
re-encoded from the named encoding), split into fields with numpy when every quote is where
RFC 4180 puts it (:mod:`aspire_models.formats._csvsplit`), else parsed by Arrow's CSV reader;
answers are encoded straight from the bytes (:mod:`aspire_models.formats.codec`) and the
result goes through the one validation step (:mod:`aspire_models.formats.validate`). A row
with the wrong number of fields is rejected by name (rule ``columns``), not lost.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from aspire_models import _columnar
from aspire_models.errors import Problem, ResponseError
from aspire_models.formats import _csvscan, _csvsplit
from aspire_models.formats.codec import Column_, Found, _Answers
from aspire_models.formats.validate import _check_header, _note_missing, _validate
from aspire_models.instrument import Instrument
from aspire_models.limits import DEFAULT_LIMITS, Limits
from aspire_models.responses import Rejection, ResponseSet
from aspire_models.safeio import open_input, read_input_bytes

__all__ = ["read_csv"]

#: bytes of CSV per parse task (parsed in parallel threads)
_CSV_BLOCK = 4 << 20
#: bytes of a plain CSV file per block split with numpy (:mod:`._csvsplit`)
_SPLIT_BLOCK = 4 << 20
#: rows a block should hold at least: a file of long lines (comment columns) gets blocks of a
#: whole multiple of _SPLIT_BLOCK, as each block's answer columns cost the same per call
_SPLIT_ROWS = 20_000
#: files of at least this many bytes are read block by block (:mod:`._csvscan`), when they can be
STREAM_MIN_BYTES = 32 << 20


def read_csv(
    path: str | Path,
    instrument: Instrument,
    *,
    delimiter: str | None = None,
    extra_columns: str = "error",
    encoding: str | None = None,
    allow_missing_items: bool = False,
    limits: Limits = DEFAULT_LIMITS,
    progress: Callable[[int, int], None] | None = None,
) -> ResponseSet:
    """Read and validate a CSV file of responses (header row first).

    Text must be UTF-8 (a byte-order mark is skipped; UTF-16 with a byte-order mark is read
    too) unless ``encoding`` names another (e.g. ``'cp1252'`` for old Excel exports). A file
    that is not valid in its encoding is refused, naming the row and the byte. In a file
    separated by ``;`` (Excel in many European locales), a decimal comma is read as a point.
    A row with too few or too many fields is rejected (rule ``columns``), not lost. Lines may
    end in LF, CRLF or a lone CR (classic Mac OS, some survey tools).

    :param delimiter: field separator; by default sniffed from the header among ``,;\\t``.
    :param extra_columns: ``'error'`` (default) refuses columns the instrument does not know;
        ``'ignore'`` reads past them with a warning in the result.
    :param allow_missing_items: read a file that lacks answer columns of items that are not
        optional (by default each is an error, rule ``missing-column``); a dimension none of
        whose columns is present is then reported as not measured.
    :param limits: the file must be a regular file of at most ``limits.max_file_bytes``
        (read by :func:`aspire_models.safeio.read_input_bytes`).
    :param progress: called as the file is read, with ``(bytes read, bytes in all)`` of its
        text (as UTF-8), from the calling thread, the bytes read never decreasing; the last
        call has both equal. A progress bar moves with it (:meth:`aspire_models.progress.Progress.advance`).
    """
    p = Path(path)
    source = str(p)
    if progress is not None:
        progress = _never_back(progress)
    streamed = _read_streaming(p, instrument, delimiter, encoding, extra_columns, allow_missing_items, limits, progress)
    if streamed is not None:
        return streamed
    raw = read_input_bytes(p, limits=limits, what="response file")
    if not raw or raw.isspace():  # (strip() would copy the whole file)
        raise ResponseError([Problem("not-empty", "the file is empty", file=source)])
    data = _cr_lines(_utf8(raw, encoding, source))
    head = data[: data.find(b"\n") if b"\n" in data else len(data)].decode("utf-8", errors="replace").rstrip("\r")
    if delimiter is None:
        delimiter = max((",", ";", "\t"), key=head.count)
    names = next(csv.reader([head], delimiter=delimiter))
    names = [n.strip() for n in names]
    warnings = _check_header(
        names, instrument, source, extra_columns=extra_columns, allow_missing_items=allow_missing_items
    )
    answers = _Answers(instrument, data.count(b"\n") + 1)  # rows <= newlines + 1
    answers.decimal_comma = delimiter == ";"
    ragged: list[tuple[int, int, str]] = []

    def ragged_row(row: Any) -> str:
        ragged.append((row.expected_columns, row.actual_columns, row.text))
        return "skip"

    kept: dict[str, list[pa.Array]] = {name: [] for name in names if name not in answers.index}
    found: list[Found] = []
    n = 0
    with (
        ThreadPoolExecutor(max_workers=1) as hasher,
        ThreadPoolExecutor(max_workers=_columnar.threads()) as pool,
    ):
        hashing = hasher.submit(lambda: hashlib.sha256(raw).hexdigest())  # the file's bytes, alongside the parse
        plain = _read_plain(data, names, delimiter, answers, set(kept), pool, progress)
        if plain is not None:
            n, found, parts = plain
            for name in kept:
                kept[name] = [p[name] for p in parts]
        else:  # quotes, ragged or blank lines: Arrow's CSV reader
            answers = _Answers(instrument, data.count(b"\n") + 1)
            answers.decimal_comma = delimiter == ";"
            try:
                # the whole file at once: Arrow parses its blocks in parallel (a streaming reader
                # would convert them one at a time)
                table = pacsv.read_csv(
                    pa.BufferReader(data),
                    read_options=pacsv.ReadOptions(
                        column_names=names, skip_rows=1, use_threads=True, block_size=_CSV_BLOCK
                    ),
                    # without a quote character no value can hold a newline, and blocks parse in parallel
                    parse_options=pacsv.ParseOptions(
                        delimiter=delimiter, newlines_in_values=b'"' in data, invalid_row_handler=ragged_row
                    ),
                    convert_options=pacsv.ConvertOptions(
                        column_types=dict.fromkeys(names, pa.string()),
                        strings_can_be_null=True,
                        null_values=[""],
                    ),
                )
            except pa.ArrowInvalid as exc:
                raise ResponseError([Problem("csv", f"cannot parse the CSV: {exc}", file=source)]) from None
            # each block of rows' answers are parsed in parallel threads
            starts: list[int] = []
            blocks: list[dict[str, Any]] = []
            for batch in table.to_batches():
                starts.append(n)
                blocks.append({name: batch.column(i) for i, name in enumerate(names) if name in answers.index})
                for i, name in enumerate(names):
                    if name in kept:
                        kept[name].append(batch.column(i))
                n += batch.num_rows
            del table
            for k, part in enumerate(pool.map(answers.convert, starts, blocks)):
                found += part
                if progress is not None:  # the parse is done; rows converted, as a share of the bytes
                    done = starts[k + 1] if k + 1 < len(starts) else n
                    progress(len(data) * done // max(n, 1), len(data))
        digest = hashing.result()
    if progress is not None:
        progress(len(data), len(data))
    if n == 0 and not ragged:
        raise ResponseError([Problem("not-empty", "the file has a header but no data rows", file=source)])
    columns: dict[str, Column_] = {
        name: pa.chunked_array(parts) if parts else pa.chunked_array([], type=pa.string())
        for name, parts in kept.items()
    }
    result = _validate(
        columns,
        n,
        instrument,
        source=source,
        digest=digest,
        warnings=warnings,
        answers=(answers.finish(n), found),
    )
    result = _note_missing(result, names)
    return _with_ragged(result, ragged, data, source) if ragged else result


def _never_back(progress: Callable[[int, int], None]) -> Callable[[int, int], None]:
    """``progress`` called only with bytes read that never decrease (a file the block-by-block
    reader leaves to the general reader is read again from its start)."""
    most = [0]

    def call(done: int, total: int) -> None:
        if done >= most[0]:
            most[0] = done
            progress(done, total)

    return call


def _read_streaming(
    p: Path,
    instrument: Instrument,
    delimiter: str | None,
    encoding: str | None,
    extra_columns: str,
    allow_missing_items: bool,
    limits: Limits,
    progress: Callable[[int, int], None] | None,
) -> ResponseSet | None:
    """A large UTF-8 file read block by block (:mod:`._csvscan`), never all in memory, its
    free-text columns left in the file until asked for; None when the file is small, not
    UTF-8 with LF or CRLF line ends, on a scale stored as numbers, without numba, or holding
    anything the scan leaves to the general reader (a ragged row, a blank line, a stray
    quote, bytes that are not UTF-8: the general reader reports them by row)."""
    source = str(p)
    if encoding not in (None, "utf-8", "utf8", "UTF-8"):
        return None
    with open_input(p, limits=limits, what="response file") as fh:
        size = os.fstat(fh.fileno()).st_size
        if size < STREAM_MIN_BYTES or not _csvscan.available():  # (numba is imported only here)
            return None
        first = fh.read(1 << 20)
        bom = 3 if first.startswith(codecs.BOM_UTF8) else 0
        if first[bom:].startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or b"\x00" in first:
            return None  # UTF-16 or UTF-32: the general reader
        newline = first.find(b"\n")
        if newline < 0 or b"\r" in first[: max(0, newline - 1)]:
            return None  # a header longer than 1 MB, or lone-CR line ends
        try:
            head = first[bom:newline].decode("utf-8").rstrip("\r")
        except UnicodeDecodeError:
            return None
        if delimiter is None:
            delimiter = max((",", ";", "\t"), key=head.count)
        names = [n.strip() for n in next(csv.reader([head], delimiter=delimiter))]
        warnings = _check_header(
            names, instrument, source, extra_columns=extra_columns, allow_missing_items=allow_missing_items
        )
        answers = _Answers(instrument, size // max(1, len(names)) + 2)  # a record is a byte per field at least
        answers.decimal_comma = delimiter == ";"
        texts = {
            q.id: min(q.max_length if q.max_length is not None else limits.max_text_length, limits.max_text_length)
            for q in instrument.open_questions
        }
        scan = _csvscan.stream_csv(
            fh, source, newline + 1, names, delimiter, answers, texts, progress=progress, threads=_columnar.threads()
        )
    if scan is None:
        return None
    if scan.rows == 0:
        raise ResponseError([Problem("not-empty", "the file has a header but no data rows", file=source)])
    columns: dict[str, Any] = {**scan.kept, **scan.text}
    result = _validate(
        columns,
        scan.rows,
        instrument,
        source=source,
        digest=scan.digest,
        warnings=warnings,
        answers=(answers.finish(scan.rows), scan.found),
    )
    return _note_missing(result, names)


def _read_plain(
    data: bytes,
    names: list[str],
    delimiter: str,
    answers: _Answers,
    kept: set[str],
    pool: ThreadPoolExecutor,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[int, list[Found], list[dict[str, pa.Array]]] | None:
    """Read a CSV file without quote characters by splitting its bytes (:mod:`._csvsplit`),
    blocks of lines in parallel: (rows, cells that break a rule, the other columns' text per
    block). None when the file needs a general CSV reader (quotes, a line with another
    number of fields, a blank line)."""
    if len(delimiter.encode()) != 1:
        return None
    head = data.find(b"\n") + 1
    sample = data[head : head + (1 << 20)]
    line = len(sample) // max(1, sample.count(b"\n"))  # bytes per line, about
    size = _SPLIT_BLOCK * max(1, _SPLIT_ROWS * line // (4 << 20))
    plan = _csvsplit.blocks(data, head, size)
    quoted = plan is None
    if plan is None:  # quote characters: records found by the parity of quotes
        planned = _csvsplit.quoted_blocks(data, head, size, pool)
        if planned is None:
            return None
        plan, counts = planned
    else:
        counts = [data.count(b"\n", a, b) for a, b in plan]
        if data[-1:] != b"\n" and counts:
            counts[-1] += 1
    if not plan:
        return None
    first = np.cumsum([0, *counts])
    raw = np.frombuffer(data, dtype=np.uint8)
    sep = delimiter.encode()[0]

    def task(k: int) -> tuple[list[Found], dict[str, pa.Array]] | None:
        fields = _csvsplit.split(raw[plan[k][0] : plan[k][1]], len(names), sep, quoted)
        if fields is None or fields.rows != counts[k]:
            return None
        found = answers.convert(int(first[k]), {n: (fields, i) for i, n in enumerate(names) if n in answers.index})
        wanted = [(i, n) for i, n in enumerate(names) if n in kept]
        strings = fields.gather([(i, None) for i, _ in wanted])  # one copy of all their bytes
        return found, {n: strings.slice(c * fields.rows, fields.rows) for c, (_, n) in enumerate(wanted)}

    results: list[tuple[list[Found], dict[str, pa.Array]] | None] = []
    for k, r in enumerate(pool.map(task, range(len(plan)))):  # in order, as blocks finish
        results.append(r)
        if progress is not None and r is not None:
            progress(plan[k][1], len(data))
    if any(r is None for r in results):
        return None
    found: list[Found] = []
    parts: list[dict[str, pa.Array]] = []
    for r in results:
        assert r is not None
        found += r[0]
        parts.append(r[1])
    return int(first[-1]), found, parts


def _cr_lines(data: bytes) -> bytes:
    """``data`` with lone-CR line ends (classic Mac OS, some survey tools) made LF, when the
    header line ends in a lone CR; other files are returned as they are (one bounded search)."""
    first_lf = data.find(b"\n")
    cr = data.find(b"\r", 0, first_lf if first_lf >= 0 else len(data))
    if cr < 0 or data[cr + 1 : cr + 2] == b"\n" or cr + 1 == len(data):
        return data
    return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")


def _utf8(data: bytes, encoding: str | None, source: str) -> bytes:
    """The file's bytes as UTF-8 without a byte-order mark; a named error if they are not text."""
    if encoding is not None:
        try:
            return data.decode(encoding).encode("utf-8").removeprefix(b"\xef\xbb\xbf")
        except (UnicodeDecodeError, LookupError) as exc:
            raise ResponseError(
                [Problem("encoding", f"cannot read the file as {encoding}: {exc}", file=source)]
            ) from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16").encode("utf-8")
        except UnicodeDecodeError as exc:
            raise ResponseError([Problem("encoding", f"not valid UTF-16: {exc}", file=source)]) from None
    data = data.removeprefix(b"\xef\xbb\xbf")
    if data.isascii() or _valid_utf8(data):  # fast tests that make no string
        return data
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        row = data.count(b"\n", 0, exc.start)
        byte = data[exc.start]
        raise ResponseError(
            [
                Problem(
                    "encoding",
                    f"not valid UTF-8 (byte 0x{byte:02x} at offset {exc.start}); re-save the file as UTF-8, or pass "
                    "encoding='cp1252' (or the file's encoding)",
                    file=source,
                    record=row if row else None,
                )
            ]
        ) from None
    return data


def _valid_utf8(data: bytes) -> bool:
    """Whether ``data`` is valid UTF-8, checked by Arrow's validator (as strict as Python's
    decoder) without making a string: decoding a large file would make a copy up to four
    times its size."""
    offsets = pa.py_buffer(np.array([0, len(data)], dtype=np.int64))
    try:
        pa.Array.from_buffers(pa.large_binary(), 1, [None, offsets, pa.py_buffer(data)]).cast(pa.large_string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return False
    return True


def _with_ragged(result: ResponseSet, ragged: list[tuple[int, int, str]], data: bytes, source: str) -> ResponseSet:
    """Add rows with the wrong number of fields as rejections, and renumber the other rows.

    Arrow skips such rows without saying where they were; each is found by its text (in file
    order), and its row number is its line number (the header is row 0).
    """
    used: set[int] = set()
    found: list[tuple[int, int, int, str]] = []
    for expected, actual, text in ragged:
        needle = text.encode("utf-8")
        pos = data.find(needle)
        while pos >= 0 and (pos in used or (pos > 0 and data[pos - 1 : pos] != b"\n")):
            pos = data.find(needle, pos + 1)
        used.add(pos)
        row = data.count(b"\n", 0, pos) if pos >= 0 else 0
        found.append((row, expected, actual, text))
    bad_rows = np.array(sorted(r for r, *_ in found), dtype=np.int64)
    total = result.n_input + len(found)
    good_rows = np.setdiff1d(np.arange(1, total + 1, dtype=np.int64), bad_rows)

    def renumber(r: int) -> int:
        return int(good_rows[r - 1]) if 0 < r <= len(good_rows) else r

    rejected = [
        Rejection(
            renumber(rej.row),
            tuple(attrs.evolve(p, record=renumber(p.record)) if isinstance(p.record, int) else p for p in rej.problems),
        )
        for rej in result.rejected
    ]
    for row, expected, actual, text in found:
        shown = text if len(text) <= 80 else text[:77] + "..."
        rejected.append(
            Rejection(
                row,
                (
                    Problem(
                        "columns",
                        f"expected {expected} fields, found {actual}: {shown!r}",
                        file=source,
                        record=row,
                    ),
                ),
            )
        )
    rejected.sort(key=lambda r: r.row)
    return attrs.evolve(
        result,
        n_input=total,
        rows=good_rows[result.rows - 1] if len(result.rows) else result.rows,
        rejected=tuple(rejected),
    )
