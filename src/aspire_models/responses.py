"""Responses, validated: the model every reader produces.

A :class:`ResponseSet` holds the accepted rows of one input, columnar: respondent ids as an
Arrow array, categories as :class:`Codes`, numeric answers as an :class:`AnswerMatrix`
(one-byte codes on rating scales), multi-select answers as boolean matrices and free text
as :class:`TextColumns`; each row that was not accepted is a :class:`Rejection` naming every
rule it broke, and ``n_accepted + n_rejected == n_input``.

The path data takes to get here is the reader layer, :mod:`aspire_models.formats`: one
module per source format (:mod:`~aspire_models.formats.csv`,
:mod:`~aspire_models.formats.records`, :mod:`~aspire_models.formats.arrow`, and the survey
platforms' readers), the answer codec (:mod:`~aspire_models.formats.codec`) and the one
validation step (:mod:`~aspire_models.formats.validate`). The readers and the validation
step are importable from here as well (``from aspire_models.responses import read_csv``,
``read_records``, ``read_frame``, ``read_arrow``, ``validate_table``,
``missing_answer_columns``, ``MissingColumns``); they are loaded when first asked for.
"""

from __future__ import annotations

import abc
import threading
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from aspire_models.errors import Problem
from aspire_models.instrument import Column, Instrument, NumericScale

if TYPE_CHECKING:
    # moved to the reader layer; importable from here through __getattr__ (below)
    from aspire_models.formats.arrow import read_arrow as read_arrow
    from aspire_models.formats.arrow import read_frame as read_frame
    from aspire_models.formats.csv import read_csv as read_csv
    from aspire_models.formats.records import read_records as read_records
    from aspire_models.formats.validate import MissingColumns as MissingColumns
    from aspire_models.formats.validate import missing_answer_columns as missing_answer_columns
    from aspire_models.formats.validate import validate_table as validate_table

__all__ = [
    "AnswerMatrix",
    "Codes",
    "DeferredText",
    "Rejection",
    "ResponseSet",
    "TextColumns",
]


@attrs.frozen
class Rejection:
    """One input row that was not scored, with every rule it broke."""

    row: int
    problems: tuple[Problem, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"row": self.row, "problems": [p.to_dict() for p in self.problems]}


@attrs.frozen(eq=False)
class Codes:
    """A categorical column: integer codes into sorted ``labels`` (-1 = absent)."""

    codes: NDArray[np.int32]
    labels: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.codes)

    def take(self, mask: NDArray[np.bool_]) -> Codes:
        return Codes(self.codes[mask], self.labels)


#: answer code of a cell that breaks a rule (its row is rejected); 0 is a missing answer
BROKEN = 255
#: widest whole-number scale stored as one-byte codes (codes 1..254)
_MAX_CODED_POINTS = 254


def coded_scale(scale: NumericScale) -> bool:
    """Whether answers on ``scale`` are stored as one-byte codes: whole numbers, at most
    :data:`_MAX_CODED_POINTS` points."""
    return (
        scale.integer
        and float(scale.min).is_integer()
        and float(scale.max).is_integer()
        and scale.max - scale.min + 1 <= _MAX_CODED_POINTS
    )


@attrs.frozen(eq=False)
class AnswerMatrix:
    """The numeric answers of the accepted respondents: respondents x numeric columns.

    When every numeric column is on a whole-number scale of at most 254 points (the common
    rating scale), answers are stored as one byte each: code 0 is a missing answer, code
    ``k`` is the value ``lows[j] + k - 1`` of column ``j``. That is an eighth of the memory
    of float64, and exact. Otherwise ``data`` holds the values as float64 (NaN = missing)
    and ``lows`` is None. :meth:`values` gives float64 values either way (decoded once).
    """

    data: NDArray[Any]
    lows: NDArray[np.float64] | None = None
    _decoded: list[NDArray[np.float64]] = attrs.field(factory=list, init=False, repr=False)

    @property
    def coded(self) -> bool:
        return self.lows is not None

    @property
    def shape(self) -> tuple[int, int]:
        rows, cols = self.data.shape
        return int(rows), int(cols)

    def lookup(self, j: int) -> NDArray[np.float64]:
        """The value of each code 0..255 of coded column ``j`` (NaN: missing or unused)."""
        assert self.lows is not None
        table = np.full(256, np.nan)
        table[1:BROKEN] = self.lows[j] + np.arange(BROKEN - 1)
        return table

    def values(self) -> NDArray[np.float64]:
        """Respondents x columns as float64, NaN = missing (decoded once, read-only)."""
        if self.lows is None:
            return self.data
        if not self._decoded:
            out = np.empty(self.data.shape, dtype=np.float64, order="F")
            for j in range(self.data.shape[1]):
                np.take(self.lookup(j), self.data[:, j], out=out[:, j])
            out.flags.writeable = False
            self._decoded.append(out)
        return self._decoded[0]

    def take(self, mask: NDArray[np.bool_]) -> AnswerMatrix:
        return AnswerMatrix(np.asfortranarray(self.data[mask]), self.lows)


class DeferredText(abc.ABC):
    """A free-text column left where it was read from until it is asked for (a large CSV
    file's comment columns: :class:`aspire_models.formats._csvscan.FileText`). It knows its
    cells' lengths over a limit without reading them."""

    @abc.abstractmethod
    def __len__(self) -> int: ...

    @abc.abstractmethod
    def arrow(self) -> pa.Array | pa.ChunkedArray:
        """All the column's cells as Arrow strings (null for a blank)."""

    @abc.abstractmethod
    def longer_than(self, limit: int) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """The rows whose text is longer than ``limit`` characters, and those lengths."""

    @abc.abstractmethod
    def cell(self, row: int) -> str | None:
        """One cell (to quote in a message)."""


class TextColumns(Mapping[str, NDArray[np.object_]]):
    """The free-text answers of accepted rows, by column (open question id).

    Kept as Arrow string arrays (:meth:`arrow`, :meth:`lengths`); ``columns[name]`` gives a
    column's Python strings (``None`` for a blank), made on first use, once, read-only, as
    :attr:`ResponseSet.respondent_id` does for ids. Twenty-five comment columns of a million
    respondents are 25 million strings, about 2.5 GB and seconds to make, so the engine keeps
    to the Arrow arrays. ``rows`` (accepted rows as positions in the arrays, or all) lets
    rejected rows be left out without copying the text.
    """

    __slots__ = ("_arrays", "_lock", "_objects", "_rows")

    def __init__(
        self, arrays: Mapping[str, pa.Array | pa.ChunkedArray | DeferredText], rows: NDArray[np.int64] | None = None
    ) -> None:
        self._arrays = dict(arrays)
        self._rows = rows
        self._objects: dict[str, NDArray[np.object_]] = {}
        self._lock = threading.Lock()

    def arrow(self, name: str) -> pa.Array | pa.ChunkedArray:
        """Column ``name`` of the accepted rows as an Arrow string array (null for a blank)."""
        arr = self._arrays[name]
        if isinstance(arr, DeferredText):
            arr = arr.arrow()
        return arr if self._rows is None else arr.take(pa.array(self._rows))

    def longer_than(self, name: str, limit: int) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """The accepted rows (positions) whose text in column ``name`` is longer than ``limit``
        characters (code points), and those lengths."""
        arr = self._arrays[name]
        at, lengths = arr.longer_than(limit) if isinstance(arr, DeferredText) else _longer_than(arr, limit)
        if self._rows is None:
            return at, lengths
        if not len(self._rows):  # every row rejected
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        pos = np.searchsorted(self._rows, at)
        kept = (pos < len(self._rows)) & (self._rows[np.minimum(pos, len(self._rows) - 1)] == at)
        return pos[kept].astype(np.int64), lengths[kept]

    def take(self, mask: NDArray[np.bool_]) -> TextColumns:
        """The rows selected by a boolean mask over the accepted rows."""
        picked = np.flatnonzero(mask).astype(np.int64)
        return TextColumns(self._arrays, picked if self._rows is None else self._rows[picked])

    def __getitem__(self, name: str) -> NDArray[np.object_]:
        with self._lock:
            out = self._objects.get(name)
            if out is None:
                arr = self._arrays[name]
                if isinstance(arr, DeferredText):
                    arr = arr.arrow()
                out = np.asarray(arr.to_numpy(zero_copy_only=False), dtype=object)
                if self._rows is not None:
                    out = out[self._rows]
                out.flags.writeable = False
                self._objects[name] = out
            return out

    def __iter__(self) -> Iterator[str]:
        return iter(self._arrays)

    def __len__(self) -> int:
        return len(self._arrays)

    def __contains__(self, name: object) -> bool:
        return name in self._arrays


def text_longer_than(
    text: Mapping[str, NDArray[np.object_]], name: str, limit: int
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Rows (positions) of the free-text column ``name`` of ``text`` longer than ``limit``
    characters, and their lengths; from the Arrow array when there is one
    (:class:`TextColumns`), without making Python strings."""
    if isinstance(text, TextColumns):
        return text.longer_than(name, limit)
    texts = text[name]
    lengths = np.fromiter((len(t) if isinstance(t, str) else 0 for t in texts), dtype=np.int64, count=len(texts))
    at = np.flatnonzero(lengths > limit).astype(np.int64)
    return at, lengths[at]


def _is_text_type(t: pa.DataType) -> bool:
    return bool(pa.types.is_string(t) or pa.types.is_large_string(t))


def _longer_than(arr: pa.Array | pa.ChunkedArray, limit: int) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Rows of a string array longer than ``limit`` characters, and their lengths. A character
    is at least one byte, so only cells of more than ``limit`` bytes (read from the offsets)
    are measured in characters."""
    rows: list[NDArray[np.int64]] = []
    lengths: list[NDArray[np.int64]] = []
    base = 0
    for chunk in arr.chunks if isinstance(arr, pa.ChunkedArray) else [arr]:
        if _is_text_type(chunk.type) and len(chunk):
            width = np.int64 if pa.types.is_large_string(chunk.type) else np.int32
            offsets = np.frombuffer(chunk.buffers()[1], dtype=width)[chunk.offset : chunk.offset + len(chunk) + 1]
            candidates = np.flatnonzero(np.diff(offsets) > limit)
        else:
            candidates = np.arange(len(chunk))
        if len(candidates):
            chars = pc.fill_null(pc.utf8_length(chunk.take(pa.array(candidates))), 0)
            n = np.asarray(chars.to_numpy(), dtype=np.int64)
            rows.append(candidates[n > limit].astype(np.int64) + base)
            lengths.append(n[n > limit])
        base += len(chunk)
    if not rows:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(rows), np.concatenate(lengths)


@attrs.frozen(eq=False)
class ResponseSet:
    """Validated responses, columnar. Rows are the accepted input rows, in input order."""

    instrument: Instrument
    source: str
    n_input: int
    rows: NDArray[np.int64]
    #: the accepted respondent ids, as an Arrow string array (see :attr:`respondent_id`)
    ids: pa.Array
    organisation: Codes
    rater_role: Codes | None
    subject: Codes | None
    team: Codes | None
    numeric_columns: tuple[Column, ...]
    answers: AnswerMatrix
    multi: Mapping[str, NDArray[np.bool_]]
    #: free-text answers by open question: a :class:`TextColumns` (Arrow arrays; Python strings
    #: made per column on first use) from the readers
    text: Mapping[str, NDArray[np.object_]]
    rejected: tuple[Rejection, ...]
    digest: str
    warnings: tuple[str, ...] = ()
    #: answer columns of the instrument the input did not hold (allowed: optional items, or
    #: ``allow_missing_items``); their answers are all missing
    missing_columns: tuple[str, ...] = ()
    _objects: list[NDArray[np.object_]] = attrs.field(factory=list, init=False, repr=False)

    @property
    def respondent_id(self) -> NDArray[np.object_]:
        """The accepted respondent ids as Python strings (made once, on first use, read-only).
        A million strings take about 0.1 s and 60 MB, so the engine itself keeps to
        :attr:`ids`, and tables of respondents carry that Arrow array."""
        if not self._objects:
            out = np.asarray(self.ids.to_numpy(zero_copy_only=False), dtype=object)
            out.flags.writeable = False
            self._objects.append(out)
        return self._objects[0]

    @property
    def numeric(self) -> NDArray[np.float64]:
        """Accepted respondents x numeric columns (``numeric_columns``), float64, NaN = missing."""
        return self.answers.values()

    @property
    def n_accepted(self) -> int:
        return len(self.rows)

    @property
    def n_rejected(self) -> int:
        return len(self.rejected)

    def column_index(self, name: str) -> int:
        for i, c in enumerate(self.numeric_columns):
            if c.name == name:
                return i
        raise KeyError(name)

    def take(self, mask: NDArray[np.bool_]) -> ResponseSet:
        """The accepted rows selected by a boolean mask (rejections are kept as they are)."""

        def opt(c: Codes | None) -> Codes | None:
            return None if c is None else c.take(mask)

        return attrs.evolve(
            self,
            rows=self.rows[mask],
            ids=self.ids.filter(pa.array(mask)),
            organisation=self.organisation.take(mask),
            rater_role=opt(self.rater_role),
            subject=opt(self.subject),
            team=opt(self.team),
            answers=self.answers.take(mask),
            multi={k: v[mask] for k, v in self.multi.items()},
            text=self.text.take(mask)
            if isinstance(self.text, TextColumns)
            else {k: v[mask] for k, v in self.text.items()},
        )


#: names that moved to the reader layer (:mod:`aspire_models.formats`), still importable from
#: here: {name: module that defines it}. Imported when first asked for, which keeps this module
#: light and free of import cycles (those modules import the model from here).
_MOVED = {
    "read_csv": "aspire_models.formats.csv",
    "read_records": "aspire_models.formats.records",
    "read_frame": "aspire_models.formats.arrow",
    "read_arrow": "aspire_models.formats.arrow",
    "validate_table": "aspire_models.formats.validate",
    "missing_answer_columns": "aspire_models.formats.validate",
    "MissingColumns": "aspire_models.formats.validate",
}


def __getattr__(name: str) -> Any:
    """The readers and the validation step, from their homes in :mod:`aspire_models.formats`."""
    home = _MOVED.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(home), name)
