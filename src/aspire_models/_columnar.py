"""Columnar fast paths for reading and validating responses (internal).

* :func:`digit_codes` classifies answers read as text straight from the Arrow buffers: the
  one- and two-digit whole numbers that make up almost every answer on a rating scale need
  no string parsing at all; every other cell is left to the exact (regular-expression)
  reading of the answer codec, :mod:`aspire_models.formats.codec`.
* :func:`later_duplicates` finds repeated identifiers with 64-bit hashes computed over the
  Arrow buffers and one sort, checking every hash match against the actual strings.
* :func:`table_digest` fingerprints an in-memory table (SHA-256 over a canonical columnar
  form of the names, types and values), hashing in parallel threads.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

__all__ = [
    "CODE_VALUES",
    "DIGITS",
    "digit_codes",
    "gather_strings",
    "later_duplicates",
    "parallel_map",
    "string_buffers",
    "table_digest",
]

T = TypeVar("T")
#: digit codes of cells that are not one or two digits, and of null or empty cells
OTHER = 0
NULL = 1
R = TypeVar("R")

#: the dictionary every fast-path answer column starts with: "0".."9", then "00".."99"
DIGITS: tuple[str, ...] = tuple(str(i) for i in range(10)) + tuple(f"{i:02d}" for i in range(100))


def threads() -> int:
    return max(1, min(8, os.cpu_count() or 1))


def parallel_map(fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
    """``list(map(fn, items))`` on a thread pool (numpy and Arrow release the GIL)."""
    if len(items) < 2 or threads() == 1:
        return [fn(x) for x in items]
    with ThreadPoolExecutor(max_workers=threads()) as pool:
        return list(pool.map(fn, items))


# ---------------------------------------------------------------------------------------
# numbers written as text
# ---------------------------------------------------------------------------------------
def string_buffers(arr: pa.Array) -> tuple[NDArray[np.int64], NDArray[np.uint8]]:
    """(offsets as int64, value bytes) of a string or large-string array."""
    wide = pa.types.is_large_string(arr.type)
    bufs = arr.buffers()
    raw = np.frombuffer(bufs[1], dtype=np.int64 if wide else np.int32)
    offsets = raw[arr.offset : arr.offset + len(arr) + 1].astype(np.int64)
    values = np.frombuffer(bufs[2], dtype=np.uint8) if bufs[2] is not None else np.zeros(0, np.uint8)
    return offsets, values


def may_need_trimming(arr: pa.Array) -> bool:
    """False when no string of ``arr`` starts or ends with white space (a look at the first
    and last byte of each; True also when unsure), so ``utf8_trim_whitespace`` can be skipped.

    Unsure means a first or last byte that is a control character, a space, or part of a
    multi-byte character (which may be Unicode white space): trimming then decides.
    """
    offsets, values = string_buffers(arr)
    starts, ends = offsets[:-1], offsets[1:]
    filled = ends > starts
    if not filled.all():
        if not filled.any():
            return False
        starts, ends = starts[filled], ends[filled]
    first = np.take(values, starts)
    last = np.take(values, ends - 1)
    return bool((first <= 32).any() or (first >= 128).any() or (last <= 32).any() or (last >= 128).any())


def _code_table() -> NDArray[np.int16]:
    """Digit code of every (length 0..3+, first byte, second byte) key."""
    table = np.full((4, 256, 256), OTHER, dtype=np.int16)
    table[0] = NULL
    digits = np.arange(48, 58)
    table[1, digits, :] = (2 + digits - 48)[:, None]
    table[2, digits[:, None], digits[None, :]] = 12 + 10 * (digits[:, None] - 48) + (digits[None, :] - 48)
    return table.ravel()


_CODES = _code_table()
#: digit code of each key (length 0..3, first byte, second byte), see :func:`digit_codes`
CODE_TABLE = _CODES


def digit_codes(arr: pa.Array) -> NDArray[np.int16]:
    """Classify each cell of a string array without parsing it as text.

    Returns :data:`OTHER` (0) for cells the caller must parse as text, :data:`NULL` (1) for
    null or empty cells, and ``2 + k`` for the strings ``DIGITS[k]``: the one-digit strings
    ``"0".."9"`` and the two-digit strings ``"00".."99"``. One table look-up per cell, keyed
    by the cell's length (0, 1, 2 or more) and its first two bytes.
    """
    n = len(arr)
    bufs = arr.buffers()
    if bufs[2] is None or n == 0 or len(bufs[2]) == 0:
        return np.full(n, NULL, dtype=np.int16)
    wide = pa.types.is_large_string(arr.type)
    offsets: NDArray[Any] = np.frombuffer(bufs[1], dtype=np.int64 if wide else np.int32)
    offsets = offsets[arr.offset : arr.offset + n + 1]
    values: NDArray[np.uint8] = np.frombuffer(bufs[2], dtype=np.uint8)
    starts = offsets[:-1]
    key = offsets[1:] - starts
    np.minimum(key, 3, out=key)
    key <<= 16
    key += np.left_shift(np.take(values, starts, mode="clip"), 8, dtype=key.dtype)
    key += np.take(values, starts + 1, mode="clip")
    code: NDArray[np.int16] = np.take(_CODES, key)
    if arr.null_count:
        valid = np.unpackbits(np.frombuffer(bufs[0], dtype=np.uint8), bitorder="little")
        np.putmask(code, valid[arr.offset : arr.offset + n] == 0, np.int16(NULL))
    return code


def gather_strings(parts: Sequence[tuple[pa.Array, NDArray[np.int64]]]) -> pa.Array:
    """One string array of the cells ``rows`` of each (string array, rows) part, in order
    (the cells must not be null: the caller takes them from :func:`digit_codes`' OTHER)."""
    chunks: list[NDArray[np.uint8]] = []
    lengths: list[NDArray[np.int64]] = []
    for arr, rows in parts:
        bufs = arr.buffers()
        raw = np.frombuffer(bufs[1], dtype=np.int64 if pa.types.is_large_string(arr.type) else np.int32)
        values = np.frombuffer(bufs[2], dtype=np.uint8) if bufs[2] is not None else np.zeros(0, np.uint8)
        st = raw[rows + arr.offset].astype(np.int64)
        ln = raw[rows + arr.offset + 1] - st
        total = int(ln.sum())
        if total:
            idx = np.repeat(st - (np.cumsum(ln) - ln), ln) + np.arange(total, dtype=np.int64)
            chunks.append(np.take(values, idx))
        lengths.append(ln)
    ln_all = np.concatenate(lengths) if lengths else np.zeros(0, np.int64)
    offsets_all = np.zeros(len(ln_all) + 1, dtype=np.int64)
    np.cumsum(ln_all, out=offsets_all[1:])
    data = np.concatenate(chunks) if chunks else np.zeros(0, np.uint8)
    return pa.Array.from_buffers(pa.large_string(), len(ln_all), [None, pa.py_buffer(offsets_all), pa.py_buffer(data)])


#: the value of each digit code (NaN for OTHER and NULL)
CODE_VALUES = np.array([np.nan, np.nan] + [float(s) for s in DIGITS], dtype=np.float64)


# ---------------------------------------------------------------------------------------
# duplicates
# ---------------------------------------------------------------------------------------
_P1 = np.uint64(0x9E3779B97F4A7C15)
_P2 = np.uint64(0xC2B2AE3D27D4EB4F)


def string_hashes(arr: pa.Array) -> NDArray[np.uint64]:
    """A 64-bit hash of every string (nulls hash like empty strings)."""
    offsets, values = string_buffers(arr)
    starts = offsets[:-1]
    lengths = offsets[1:] - starts
    n = len(arr)
    width = int(lengths.max()) if n else 0
    words = max(1, (width + 7) // 8)
    padded = np.zeros((n, words * 8), dtype=np.uint8)
    if n and width and int(lengths.min()) == width:  # fixed width: one reshape
        padded[:, :width] = values[offsets[0] : offsets[-1]].reshape(n, width)
    else:
        for p in range(width):
            padded[:, p] = np.where(lengths > p, values.take(starts + p, mode="clip"), 0)
    lanes = padded.view(np.uint64)
    with np.errstate(over="ignore"):
        h = lengths.astype(np.uint64) * _P2
        for w in range(words):
            h ^= lanes[:, w]
            h *= _P1
            h ^= h >> np.uint64(29)
    return h


def later_duplicates(arr: pa.Array | pa.ChunkedArray) -> NDArray[np.bool_]:
    """True for each non-null string that equals one in an earlier row."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks() if arr.num_chunks != 1 else arr.chunk(0)
    n = len(arr)
    out = np.zeros(n, dtype=bool)
    if n < 2:
        return out
    valid = np.asarray(arr.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    offsets, _ = string_buffers(arr)
    if int((offsets[1:] - offsets[:-1]).max()) > 256:
        return _later_duplicates_exact(arr, valid)
    h = string_hashes(arr)
    hv = h[valid]
    s = np.sort(hv)
    repeated = np.unique(s[1:][s[1:] == s[:-1]])
    if not len(repeated):
        return out
    at = np.searchsorted(repeated, h)
    cand = np.flatnonzero(valid & (repeated[np.minimum(at, len(repeated) - 1)] == h))
    seen: set[str] = set()
    for row, text in zip(cand.tolist(), arr.take(pa.array(cand)).to_pylist(), strict=True):
        if text in seen:
            out[row] = True
        else:
            seen.add(text)
    return out


def _later_duplicates_exact(arr: pa.Array, valid: NDArray[np.bool_]) -> NDArray[np.bool_]:
    enc = pc.dictionary_encode(arr)
    idx = np.asarray(pc.fill_null(enc.indices, -1).to_numpy(zero_copy_only=False), dtype=np.int64)
    # the dictionary numbers values in order of first appearance
    running = np.maximum.accumulate(np.concatenate([[-1], idx]))[:-1]
    return valid & (idx <= running)


# ---------------------------------------------------------------------------------------
# digests
# ---------------------------------------------------------------------------------------
_PIECE = 64 << 20


def table_digest(names: Sequence[str], columns: Sequence[Any]) -> str:
    """SHA-256 fingerprint of named columns (numpy arrays or Arrow arrays).

    Each column contributes its name, its type and its values in a canonical form: numbers
    as little-endian float64 (missing = NaN) or int64, one-byte codes as they are, text as
    UTF-8 with offsets, plus the
    validity bitmap. Large buffers are hashed in parallel pieces (a hash of piece hashes).
    """
    pieces: list[tuple[int, int, memoryview]] = []
    header = hashlib.sha256()
    for i, (name, col) in enumerate(zip(names, columns, strict=True)):
        for k, part in enumerate(_canonical(col)):
            header.update(f"{i}:{name}:{k}:{len(part)};".encode())
            for start in range(0, max(len(part), 1), _PIECE):
                pieces.append((i, k, part[start : start + _PIECE]))
    digests = parallel_map(lambda p: hashlib.sha256(p[2]).digest(), pieces)
    for d in digests:
        header.update(d)
    return header.hexdigest()


def _canonical(col: Any) -> list[memoryview]:
    if isinstance(col, np.ndarray):
        if col.dtype == np.uint8:  # answer codes, byte strings
            return [np.ascontiguousarray(col).data.cast("B")]
        if col.dtype.kind == "f":
            return [np.ascontiguousarray(col, dtype="<f8").data.cast("B")]
        if col.dtype.kind in "iub":
            return [np.ascontiguousarray(col, dtype="<i8").data.cast("B")]
        col = pa.array(col.tolist(), type=pa.string())  # pragma: no cover - callers pass Arrow text
    arr = col.combine_chunks() if isinstance(col, pa.ChunkedArray) else col
    if pa.types.is_dictionary(arr.type):
        arr = arr.cast(arr.type.value_type)
    if pa.types.is_floating(arr.type) or pa.types.is_integer(arr.type) or pa.types.is_boolean(arr.type):
        typ = pa.float64() if pa.types.is_floating(arr.type) else pa.int64()
        vals = pc.fill_null(arr.cast(typ), np.nan if typ == pa.float64() else 0).to_numpy(zero_copy_only=False)
        valid = np.packbits(np.asarray(arr.is_valid().to_numpy(zero_copy_only=False), dtype=bool))
        return [np.ascontiguousarray(vals).data.cast("B"), valid.data.cast("B")]
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        arr = arr.cast(pa.string())
    offsets, values = string_buffers(arr)
    valid = np.packbits(np.asarray(arr.is_valid().to_numpy(zero_copy_only=False), dtype=bool))
    data = values[offsets[0] : offsets[-1]]
    return [
        (offsets - offsets[0]).astype("<i8").data.cast("B"),
        np.ascontiguousarray(data).data.cast("B"),
        valid.data.cast("B"),
    ]
