"""The answer codec: answer cells, as text or numbers, into the answer matrix.

Answer columns become one rows x columns matrix (:class:`~aspire_models.responses.AnswerMatrix`):
one-byte answer codes when every column's scale is a whole-number scale of at most 254
points, else float64. Numbers written as one or two digits are looked up, not parsed
(:func:`aspire_models._columnar.digit_codes`, or straight from a CSV block's bytes:
:mod:`aspire_models.formats._csvsplit`); the few other cells are parsed together, exactly
(:func:`_parse_text`). A cell that breaks a rule (not a number, out of range, not whole) is
coded :data:`~aspire_models.responses.BROKEN` and listed with its rule bits and its value as
given, for the validation step (:mod:`aspire_models.formats.validate`) to name. Text
columns of categories (organisation, rater role, subject, team) are dictionary-encoded here
too (:func:`_codes`).

Documented lenient readings: leading/trailing spaces around numbers are ignored
(``' 7 '`` is 7); ``7.0`` is a valid answer on a whole-number scale; blank cells are missing
answers; in a file separated by ``;`` a decimal comma is read as a point.
"""

from __future__ import annotations

import itertools
import threading
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any, TypeAlias

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from aspire_models import _columnar
from aspire_models.formats import _csvsplit
from aspire_models.instrument import Instrument, NumericScale
from aspire_models.responses import BROKEN, AnswerMatrix, coded_scale

__all__: list[str] = []


_NUMBER = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$"


Column_: TypeAlias = "pa.ChunkedArray | pa.Array | NDArray[Any]"

#: rule bits of a numeric answer, in the order problems are listed
_TYPE, _BELOW, _ABOVE, _FRACTION = 1, 2, 4, 8
#: rows and answer columns per task when answer columns are converted in parallel
_ROWS_PER_TASK = 1 << 18
_COLUMNS_PER_TASK = 4


def _as_array(col: pa.ChunkedArray | pa.Array) -> pa.Array:
    """One contiguous Arrow array."""
    if isinstance(col, pa.ChunkedArray):
        return col.chunk(0) if col.num_chunks == 1 else col.combine_chunks()
    return col


def _as_text(col: Column_) -> pa.Array:
    """A column as one string array (other types cast; numpy object arrays converted)."""
    if isinstance(col, np.ndarray):
        col = pa.array(col, from_pandas=True)
    arr = _as_array(col)
    if pa.types.is_dictionary(arr.type):
        arr = arr.cast(arr.type.value_type)
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        arr = pc.cast(arr, pa.string())
    return arr


def _parse_text(arr: pa.Array | pa.ChunkedArray) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Exact reading of numbers written as text: (values, mask of non-blank cells that are not
    numbers). Spaces around a number are ignored; a number is what ``_NUMBER`` matches and is
    finite (``nan``, ``inf`` and numbers too large for a double are not numbers)."""
    trimmed = pc.utf8_trim_whitespace(arr)
    ok = pc.fill_null(pc.match_substring_regex(trimmed, _NUMBER), False)
    present = np.asarray(pc.fill_null(pc.not_equal(trimmed, ""), False).to_numpy(zero_copy_only=False), dtype=bool)
    good = pc.if_else(ok, trimmed, pa.scalar(None, pa.string()))
    try:
        cast = pc.fill_null(pc.cast(good, pa.float64()), np.nan).to_numpy(zero_copy_only=False)
        values = np.array(cast, dtype=np.float64)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # pragma: no cover - Arrow stricter than the pattern
        values = np.array([np.nan if t is None else float(t) for t in good.to_pylist()], dtype=np.float64)
    finite = np.isfinite(values)
    values[~finite] = np.nan
    notnum = present & ~finite
    return values, notnum


def _parse_numeric(arr: Column_) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """(values with NaN for blank or invalid, mask of non-blank cells that are not numbers)."""
    if isinstance(arr, np.ndarray) and arr.dtype.kind in "fiu":
        return np.asarray(arr, dtype=np.float64), np.zeros(len(arr), dtype=bool)
    if not isinstance(arr, np.ndarray) and (pa.types.is_floating(arr.type) or pa.types.is_integer(arr.type)):
        values = np.asarray(pc.fill_null(pc.cast(arr, pa.float64()), np.nan).to_numpy(zero_copy_only=False))
        return np.asarray(values, dtype=np.float64), np.zeros(len(values), dtype=bool)
    text = _as_text(arr)
    code = _columnar.digit_codes(text)
    values = _columnar.CODE_VALUES[code]
    notnum = np.zeros(len(code), dtype=bool)
    other = np.flatnonzero(code == _columnar.OTHER)
    if len(other):
        v, bad = _parse_text(text.take(pa.array(other)))
        values[other] = v
        notnum[other] = bad
    return values, notnum


def _rule_bits(values: NDArray[np.float64], scale: NumericScale) -> NDArray[np.uint8]:
    """Range and whole-number rule bits of parsed values (NaN: none)."""
    bits = np.zeros(len(values), dtype=np.uint8)
    with np.errstate(invalid="ignore"):
        bits[values < scale.min] |= _BELOW
        bits[values > scale.max] |= _ABOVE
        if scale.integer:
            bits[np.isfinite(values) & (values != np.floor(values))] |= _FRACTION
    return bits


def _digit_bits(scale: NumericScale) -> NDArray[np.uint8]:
    """Rule bits of each digit code on a scale."""
    return _rule_bits(_columnar.CODE_VALUES, scale)


#: a cell that breaks a rule: (answer column, rows, rule bits, the cells as given)
Found = tuple[int, NDArray[np.int64], NDArray[np.uint8], list[Any]]


class _Answers:
    """Answer columns parsed into one rows x columns matrix (column-major), block by block.

    The matrix holds one-byte answer codes (see :class:`AnswerMatrix`) when every column's
    scale allows, else float64. Blocks of rows may be converted in parallel threads (each
    writes its own rows). Numbers written as one or two digits are looked up by
    :func:`_columnar.digit_codes`, not parsed; the few other cells of a block are parsed
    together, exactly (:func:`_parse_text`). Cells that break a rule are listed with their
    rule bits and their value as given (and coded :data:`BROKEN`).
    """

    def __init__(self, instrument: Instrument, rows: int) -> None:
        self.columns = instrument.numeric_columns()
        self.index = {c.name: j for j, c in enumerate(self.columns)}
        self.scales: list[NumericScale] = []
        for c in self.columns:
            scale = instrument.scale(c.scale or "")
            assert isinstance(scale, NumericScale)
            self.scales.append(scale)
        self.tables = {id(scale): _digit_bits(scale) for scale in self.scales}
        self.coded = bool(self.scales) and all(coded_scale(s) for s in self.scales)
        self.lows: NDArray[np.float64] | None = None
        self.values: NDArray[Any]
        if self.coded:
            self.lows = np.array([s.min for s in self.scales], dtype=np.float64)
            self.code_tables = {id(scale): _digit_answer_codes(scale) for scale in self.scales}
            # zero (missing) until written; untouched pages cost nothing
            self.values = np.zeros((rows, len(self.columns)), dtype=np.uint8, order="F")
        else:
            # filled at once (missing throughout until parsed): touching the pages in order
            # is far cheaper than faulting them in one small column piece at a time
            self.values = np.full((rows, len(self.columns)), np.nan, dtype=np.float64, order="F")
        #: read '7,5' as 7.5 (files separated by ';', as Excel writes them in many locales)
        self.decimal_comma = False
        self.key_tables: dict[int, NDArray[np.uint8]] = {}
        self._local = threading.local()

    def _work(self, n: int) -> NDArray[np.float64]:
        """A float64 work array of ``n`` values for this thread (reused column after column)."""
        work: NDArray[np.float64] | None = getattr(self._local, "work", None)
        if work is None or len(work) < n:
            work = self._local.work = np.empty(n)
        return work[:n]

    def _store(
        self,
        out: NDArray[Any],
        x: NDArray[np.float64],
        scale: NumericScale,
        valid: NDArray[np.bool_] | None = None,
    ) -> tuple[NDArray[np.int64], NDArray[np.uint8]]:
        """Store parsed values (NaN = missing; where ``valid`` is given, the False cells are
        missing whatever ``x`` holds there) in a column piece; the rows that break a range or
        whole-number rule, and their rule bits (a cheap test over all values; the rules
        themselves only for the cells that fail it)."""
        with np.errstate(invalid="ignore"):
            if self.coded:
                # codes 1..points for the values min..max. Cast to a byte, a whole number
                # from 0 to 255 stays itself and anything else (fractions, NaN, out of
                # range) becomes another number, so one comparison with the value tells
                # whole numbers in range from all else. The cells that fail are set below.
                shift = scale.min - 1.0
                t = x if shift == 0.0 else np.subtract(x, shift, out=self._work(len(x)))
                np.copyto(out, t, casting="unsafe")
                bad = np.not_equal(out, t)
                bad |= out == 0
                bad |= out > int(scale.max - scale.min + 1)
            else:
                bad = ~(x >= scale.min)
                bad |= x > scale.max
                if scale.integer:
                    bad |= np.floor(x) != x
                if out is not x:
                    out[:] = x
        odd = np.flatnonzero(bad)  # out of range, not whole, missing (NaN), or null
        if valid is not None:
            if self.coded:
                np.multiply(out, valid, out=out)  # nulls are missing: code 0
            odd = odd[valid[odd]]
        if self.coded:
            out[odd] = 0
        bits = _rule_bits(x[odd], scale)
        hit = bits != 0
        rows = odd[hit]
        if self.coded and len(rows):
            out[rows] = BROKEN
        return rows, bits[hit]

    def _encode(self, v: NDArray[np.float64], bits: NDArray[np.uint8], scale: NumericScale) -> NDArray[Any]:
        """Values as stored: codes (0 missing, BROKEN where ``bits``) or the values themselves."""
        if not self.coded:
            return v
        out = np.zeros(len(v), dtype=np.uint8)
        good = ~np.isnan(v) & (bits == 0)
        out[good] = (v[good] - (scale.min - 1.0)).astype(np.uint8)
        out[bits != 0] = BROKEN
        return out

    def convert(self, start: int, pieces: Mapping[str, Any]) -> list[Found]:
        """Parse one block of rows starting at ``start``: ``{column name: array}``, or
        ``{column name: (Fields, field index)}`` for a block split by :mod:`._csvsplit`."""
        found: list[Found] = []
        # (answer column, scale, rows, where the text is: an Arrow array or (Fields, field))
        others: list[tuple[int, NumericScale, NDArray[np.int64], Any]] = []
        for name, piece in pieces.items():
            j = self.index.get(name)
            if j is None:
                continue
            scale = self.scales[j]
            given: tuple[str, Any]  # where to find the cells as given, for messages
            rows: NDArray[np.int64] | None = None  # rows that break a rule, when found directly
            if isinstance(piece, tuple):  # fields of a plain CSV block
                fields, i = piece
                out = self.values[start : start + fields.rows, j]
                if self.coded:  # one look-up from a field's bytes to its answer code
                    key = fields.keys(i)
                    np.take(self._key_table(scale), key, out=out)
                    odd = np.flatnonzero(out == BROKEN)  # cells to parse, or that break a rule
                    code = np.take(_csvsplit.KEY_CODES, key[odd])
                    bits = np.take(self.tables[id(scale)], code)
                    other = odd[code == _columnar.OTHER]
                    rows = odd[bits != 0]
                    given = ("digits", code[bits != 0])  # already the cells of ``rows``
                    bits = bits[bits != 0]
                else:
                    code = fields.digit_codes(i)
                    bits = self._digits(out, code, scale)
                    other = np.flatnonzero(code == _columnar.OTHER)
                    given = ("codes", code)
                if len(other):
                    others.append((j, scale, other, (fields, i)))
            elif isinstance(piece, np.ndarray) and piece.dtype.kind in "fiu":
                out = self.values[start : start + len(piece), j]
                rows, bits = self._store(out, np.asarray(piece, dtype=np.float64), scale)
                given = ("numpy", piece)
            else:
                out = self.values[start : start + len(piece), j]
                if isinstance(piece, np.ndarray):
                    piece = pa.array(piece, from_pandas=True)
                piece = _as_array(piece)
                typ = piece.type
                if self.coded and pa.types.is_float64(typ):  # read from the buffers, nulls as they are
                    data, valid = _float64_buffers(piece)
                    rows, bits = self._store(out, data, scale, valid)
                    given = ("arrow", piece)
                elif pa.types.is_floating(typ) or pa.types.is_integer(typ):
                    rows, bits = self._store(out, _arrow_floats(piece, None if self.coded else out), scale)
                    given = ("arrow", piece)
                elif pa.types.is_dictionary(typ):
                    v, bad = _parse_numeric(piece.dictionary)
                    lut = _rule_bits(v, scale) | np.where(bad, _TYPE, 0).astype(np.uint8)
                    idx = np.asarray(pc.fill_null(piece.indices, -1).to_numpy(zero_copy_only=False), dtype=np.int64)
                    stored = self._encode(v, lut, scale)
                    out[:] = np.append(stored, np.zeros(1, stored.dtype) if self.coded else np.nan)[idx]
                    bits = np.append(lut, np.uint8(0))[idx]
                    given = ("arrow", piece)
                else:
                    if not (pa.types.is_string(typ) or pa.types.is_large_string(typ)):
                        piece = pc.cast(piece, pa.string())
                    code = _columnar.digit_codes(piece)
                    bits = self._digits(out, code, scale)
                    other = np.flatnonzero(code == _columnar.OTHER)
                    if len(other):
                        others.append((j, scale, other, piece))
                    given = ("codes", code)
            if rows is None:
                rows = np.flatnonzero(bits)
                bits = bits[rows]
            if len(rows):
                found.append((j, rows + start, bits, _given(given, rows)))
        if others:  # cells that are not one or two digits: one exact parse for the whole block
            if isinstance(others[0][3], tuple):  # fields of a plain CSV block
                strings = others[0][3][0].gather([(where[1], rows) for _, _, rows, where in others])
            else:
                strings = _columnar.gather_strings([(p, rows) for _, _, rows, p in others])
            v_all, bad_all = _parse_text(pc.replace_substring(strings, ",", ".") if self.decimal_comma else strings)
            at = 0
            for j, scale, rows, _ in others:
                v, bad = v_all[at : at + len(rows)], bad_all[at : at + len(rows)]
                bits = _rule_bits(v, scale) | np.where(bad, _TYPE, 0).astype(np.uint8)
                self.values[start + rows, j] = self._encode(v, bits, scale)
                hit = np.flatnonzero(bits)
                if len(hit):
                    found.append((j, rows[hit] + start, bits[hit], strings.take(pa.array(hit + at)).to_pylist()))
                at += len(rows)
        return found

    def _key_table(self, scale: NumericScale) -> NDArray[np.uint8]:
        """The answer code of each CSV field key on a coded scale (see
        :meth:`._csvsplit.Fields.keys`): made once per scale, 256 KB."""
        table = self.key_tables.get(id(scale))
        if table is None:
            table = self.key_tables[id(scale)] = np.take(self.code_tables[id(scale)], _csvsplit.KEY_CODES)
        return table

    def _digits(self, out: NDArray[Any], code: NDArray[np.int16], scale: NumericScale) -> NDArray[np.uint8]:
        """Store cells given by their digit codes; their rule bits (OTHER cells: none yet)."""
        if self.coded:
            np.take(self.code_tables[id(scale)], code, out=out, mode="clip")
        else:
            np.take(_columnar.CODE_VALUES, code, out=out, mode="clip")
        bits: NDArray[np.uint8] = np.take(self.tables[id(scale)], code)
        return bits

    def finish(self, n: int) -> AnswerMatrix:
        """The matrix of the first ``n`` rows (columns never given are missing throughout)."""
        return AnswerMatrix(self.values[:n], self.lows)


def _digit_answer_codes(scale: NumericScale) -> NDArray[np.uint8]:
    """The answer code of each digit code on a coded scale (BROKEN for a cell still to be
    parsed, or that breaks a rule; 0 for a blank cell)."""
    v = _columnar.CODE_VALUES
    out = np.full(len(v), BROKEN, dtype=np.uint8)
    out[_columnar.NULL] = 0
    with np.errstate(invalid="ignore"):
        ok = (v >= scale.min) & (v <= scale.max) & (np.floor(v) == v)
    out[ok] = (v[ok] - (scale.min - 1.0)).astype(np.uint8)
    return out


def _float64_buffers(arr: pa.Array) -> tuple[NDArray[np.float64], NDArray[np.bool_] | None]:
    """A float64 Arrow array's values as they are in its buffer (a null's slot holds any
    value) and its validity (None: no nulls), without copying the values."""
    n = len(arr)
    bufs = arr.buffers()
    data = np.frombuffer(bufs[1], dtype=np.float64)[arr.offset : arr.offset + n]
    if not arr.null_count:
        return data, None
    first = arr.offset // 8
    bitmap = np.frombuffer(bufs[0], dtype=np.uint8)[first : (arr.offset + n + 7) // 8]
    shift = arr.offset - 8 * first
    return data, np.unpackbits(bitmap, bitorder="little", count=shift + n)[shift:].view(np.bool_)


def _arrow_floats(arr: pa.Array, out: NDArray[np.float64] | None = None) -> NDArray[np.float64]:
    """A numeric Arrow array as float64, null = NaN (float64 arrays read from their buffers)."""
    if pa.types.is_float64(arr.type):
        data, valid = _float64_buffers(arr)
        if out is None:
            out = data.copy() if valid is not None else data
        else:
            out[:] = data
        if valid is not None:
            np.copyto(out, np.nan, where=~valid)
        return out
    values = np.asarray(pc.fill_null(pc.cast(arr, pa.float64()), np.nan).to_numpy(zero_copy_only=False))
    if out is None:
        return np.asarray(values, dtype=np.float64)
    out[:] = values
    return out


def _given(where: tuple[str, Any], rows: NDArray[np.int64]) -> list[Any]:
    """Cells as given: from a numpy column, an Arrow column, or digit codes (of all the
    block's rows, or ``digits``: of the rows given only)."""
    kind, source = where
    if kind == "numpy":
        return list(source[rows].tolist())
    if kind == "arrow":
        return list(source.take(pa.array(rows)).to_pylist())
    if kind == "digits":
        return [_columnar.DIGITS[k - 2] for k in source.tolist()]
    return [_columnar.DIGITS[k - 2] for k in source[rows].tolist()]


def _convert_answers(
    n: int, instrument: Instrument, columns: Mapping[str, Column_]
) -> tuple[AnswerMatrix, list[Found]]:
    """Parse the answer columns of a whole table in parallel threads, each task a tall block
    of rows of a few columns (:data:`_ROWS_PER_TASK`, :data:`_COLUMNS_PER_TASK`): measured
    on two cores, twice as fast as short blocks of all columns, whose threads fault in the
    same pages of the matrix and pay numpy's per-call cost more often."""
    answers = _Answers(instrument, n)
    mine = [(name, col) for name, col in columns.items() if name in answers.index]
    groups = [mine[i : i + _COLUMNS_PER_TASK] for i in range(0, len(mine), _COLUMNS_PER_TASK)]

    def task(job: tuple[tuple[int, int], list[tuple[str, Column_]]]) -> list[Found]:
        (a, b), group = job
        return answers.convert(a, {name: col[a:b] for name, col in group})

    jobs = [(rows, group) for rows in _row_blocks(n, [col for _, col in mine]) for group in groups]
    results = _columnar.parallel_map(task, jobs)
    return answers.finish(n), [f for part in results for f in part]


def _row_blocks(n: int, cols: Sequence[Column_]) -> list[tuple[int, int]]:
    """Row ranges for parallel tasks of at most :data:`_ROWS_PER_TASK` rows, cut at the
    columns' own chunk boundaries when they all share them (as the CSV reader's do)."""
    layouts = {tuple(len(c) for c in col.chunks) for col in cols if isinstance(col, pa.ChunkedArray)}
    cuts = [0, n]
    if len(layouts) == 1 and all(isinstance(c, pa.ChunkedArray) for c in cols):
        cuts = [int(b) for b in np.cumsum((0, *next(iter(layouts))))]
    out: list[tuple[int, int]] = []
    for a, b in itertools.pairwise(cuts):
        out += [(x, min(b, x + _ROWS_PER_TASK)) for x in range(a, b, _ROWS_PER_TASK)]
    return out


def _codes(arr: Column_, *, trim: bool = True) -> tuple[NDArray[np.int32], tuple[str, ...]]:
    """Dictionary-encode a text column into codes of its sorted labels (-1 for null).

    Labels are the values with surrounding spaces removed (``trim``); only the dictionary of
    distinct values is trimmed and sorted, never the whole column.
    """
    col = _as_array(pa.array(arr, from_pandas=True) if isinstance(arr, np.ndarray) else arr)
    enc = col if pa.types.is_dictionary(col.type) else pc.dictionary_encode(col)
    dictionary = enc.dictionary
    if not (pa.types.is_string(dictionary.type) or pa.types.is_large_string(dictionary.type)):
        dictionary = pc.cast(dictionary, pa.string())
    raw = (pc.utf8_trim_whitespace(dictionary) if trim else dictionary).to_pylist()
    # one spelling per label: "Café" typed in two Unicode forms is one organisation
    raw = [v if v is None or v.isascii() else unicodedata.normalize("NFC", v) for v in raw]
    labels = sorted({v for v in raw if v is not None})
    where = {lab: i for i, lab in enumerate(labels)}
    remap = np.array([where[v] if v is not None else -1 for v in raw] + [-1], dtype=np.int32)
    idx = np.asarray(pc.fill_null(enc.indices, -1).to_numpy(zero_copy_only=False), dtype=np.int64)
    return remap[idx], tuple(labels)
