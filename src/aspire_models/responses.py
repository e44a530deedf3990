"""Reading and validating responses: CSV files, JSON records and pandas DataFrames all
become one validated, columnar :class:`ResponseSet`.

Validation is vectorised (Arrow compute and numpy over whole columns). Accounting is exact:
every input row is either accepted or listed in :attr:`ResponseSet.rejected` with each
rule it broke, and ``n_accepted + n_rejected == n_input``. Problems that concern the whole
file (empty, unknown or duplicated columns, wrong instrument) raise
:class:`~aspire_models.errors.ResponseError` before any row is read.

Documented lenient readings: leading/trailing spaces around numbers are ignored
(``' 7 '`` is 7); ``7.0`` is a valid answer on a whole-number scale; blank cells are missing
answers; multi-select answers are option ids separated by ``;`` (spaces around them are
ignored, as are empty entries).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import threading
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeAlias

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from aspire_models import _columnar
from aspire_models.errors import Problem, ResponseError
from aspire_models.formats import _csvsplit
from aspire_models.instrument import META_COLUMNS, Column, Instrument, MultiSelectScale, NumericScale

if TYPE_CHECKING:
    import pandas as pd

    # moved to the reader layer; importable from here through __getattr__ (below)
    from aspire_models.formats.csv import read_csv as read_csv

__all__ = [
    "AnswerMatrix",
    "Codes",
    "Rejection",
    "ResponseSet",
    "TextColumns",
    "read_arrow",
    "read_frame",
    "read_records",
    "validate_table",
]

_NUMBER = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$"
#: longest identifier or label (respondent, organisation, subject, team), as in the record schema
_ID_MAX_LENGTH = 200


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

    def __init__(self, arrays: Mapping[str, pa.Array | pa.ChunkedArray], rows: NDArray[np.int64] | None = None) -> None:
        self._arrays = dict(arrays)
        self._rows = rows
        self._objects: dict[str, NDArray[np.object_]] = {}
        self._lock = threading.Lock()

    def arrow(self, name: str) -> pa.Array | pa.ChunkedArray:
        """Column ``name`` of the accepted rows as an Arrow string array (null for a blank)."""
        arr = self._arrays[name]
        return arr if self._rows is None else arr.take(pa.array(self._rows))

    def longer_than(self, name: str, limit: int) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
        """The accepted rows (positions) whose text in column ``name`` is longer than ``limit``
        characters (code points), and those lengths."""
        at, lengths = _longer_than(self._arrays[name], limit)
        if self._rows is None:
            return at, lengths
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
                out = np.asarray(self._arrays[name].to_numpy(zero_copy_only=False), dtype=object)
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


# ---------------------------------------------------------------------------------------
# readers
# ---------------------------------------------------------------------------------------
#: unknown columns given a did-you-mean (and, when ignored, a warning each); the rest are counted
_HINTED = 20


def _check_header(
    names: Sequence[str],
    instrument: Instrument,
    source: str,
    *,
    extra_columns: str = "error",
    require_answers: bool = True,
    allow_missing_items: bool = False,
    given: Iterable[str] | None = None,
) -> list[str]:
    """Problems of the header as a whole (raised together), or the warnings to keep.

    ``given`` are the columns the input holds at all, when that differs from ``names``
    (records: a field given only as null); answer columns missing from them break rule
    ``missing-column`` unless their item is optional or ``allow_missing_items``."""
    problems: list[Problem] = []
    warnings: list[str] = []
    known = {c.name for c in instrument.columns()} | set(META_COLUMNS)
    seen: dict[str, int] = {}
    known_sorted = sorted(known)
    ignored: list[str] = []
    for i, name in enumerate(names):
        if name in seen:
            problems.append(
                Problem(
                    "unique-column",
                    f"column {name!r} appears twice (columns {seen[name] + 1} and {i + 1})",
                    file=source,
                    record=0,
                    field=name,
                )
            )
        seen[name] = i
        if name not in known:
            import difflib

            hint = ""
            if len(ignored) + len(problems) < _HINTED:  # (a did-you-mean for each of 100,000 columns took seconds)
                close = difflib.get_close_matches(name, known_sorted, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else ""
            msg = f"not an answer or meta column of instrument {instrument.id!r}{hint}"
            if extra_columns == "ignore":
                ignored.append(name)
                if len(ignored) <= _HINTED:
                    warnings.append(f"{source}: column {name!r}: {msg} (ignored)")
            else:
                problems.append(Problem("known-column", msg, file=source, record=0, field=name, value=name))
    if len(ignored) > _HINTED:  # a long list of ignored columns is summarised, not repeated
        warnings.append(
            f"{source}: ... and {len(ignored) - _HINTED:,} more columns ignored "
            f"({len(ignored):,} in all that are not answer or meta columns of instrument {instrument.id!r})"
        )
    if "respondent_id" not in seen:
        problems.append(
            Problem(
                "required-column", "the 'respondent_id' column is missing", file=source, record=0, field="respondent_id"
            )
        )
    if instrument.design == "review-360":
        for col in ("subject_id", "rater_role"):
            if col not in seen:
                problems.append(
                    Problem(
                        "required-column", f"a 360 review needs the {col!r} column", file=source, record=0, field=col
                    )
                )
    answer_cols = {c.name for c in instrument.columns()}
    no_answers = require_answers and not answer_cols & set(seen)
    if not no_answers:  # (a wrong instrument is said once, not as every column missing)
        unknown = [n for n in names if n not in known]
        missing = missing_answer_columns(instrument, set(seen) | set(given or ()))
        for col in missing.required:
            if allow_missing_items:
                continue
            problems.append(_missing_column_problem(col, instrument, unknown, source))
        if missing.required and allow_missing_items:
            warnings.append(
                f"{source}: answer column(s) missing, allowed by allow_missing_items: {', '.join(missing.required)}; "
                "a dimension without any of its columns is reported as not measured"
            )
        if missing.optional:
            warnings.append(f"{source}: optional item column(s) not in the input: {', '.join(missing.optional)}")
    if no_answers:
        problems.append(
            Problem(
                "answer-columns",
                f"no column answers an item of instrument {instrument.id!r} "
                f"(expected e.g. {', '.join(sorted(answer_cols)[:4])}); wrong instrument?",
                file=source,
                record=0,
            )
        )
    if problems:
        raise ResponseError(problems)
    return warnings


@attrs.frozen
class MissingColumns:
    """Answer columns of an instrument that an input does not hold: of required items (an
    error unless allowed) and of optional items."""

    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()

    @property
    def all(self) -> tuple[str, ...]:
        return self.required + self.optional


def missing_answer_columns(instrument: Instrument, given: Iterable[str]) -> MissingColumns:
    """The item answer columns of ``instrument`` not among ``given``, in instrument order.

    Open questions are free-text comments and never required."""
    have = set(given)
    optional = {it.id for it in instrument.items if it.optional}
    required: list[str] = []
    opt: list[str] = []
    for col in instrument.columns():
        if col.kind == "text" or col.name in have:
            continue
        (opt if col.item in optional else required).append(col.name)
    return MissingColumns(tuple(required), tuple(opt))


def _missing_column_problem(column: str, instrument: Instrument, unknown: Sequence[str], source: str) -> Problem:
    import difflib

    folded = {u.strip().lower(): u for u in unknown}
    close = difflib.get_close_matches(column.lower(), list(folded), n=1, cutoff=0.6)
    hint = f"; did you mean the file's column {folded[close[0]]!r}?" if close else ""
    return Problem(
        "missing-column",
        f"answer column {column!r} of instrument {instrument.id!r} is missing{hint} "
        "(an item may be declared optional in the instrument, or a run may allow missing items: "
        "allow_missing_items=True, aspire score --allow-missing-items)",
        file=source,
        record=0,
        field=column,
        value=column,
    )


def read_records(
    records: Iterable[Mapping[str, Any]],
    instrument: Instrument,
    *,
    source: str = "<records>",
    strict: bool = False,
    allow_missing_items: bool = False,
) -> ResponseSet:
    """Validate JSON-style records (one dict per respondent; multi-selects as lists).

    A field the instrument does not know rejects that record (rule ``additionalProperties``),
    as the response record's JSON Schema would.

    :param strict: judge every record exactly as its JSON Schema
        (:meth:`~aspire_models.instrument.Instrument.response_record_schema`) does: answers
        must be JSON numbers (not text), names and ids strings of 1 to 200 characters taken
        as they are (no trimming), multi-select answers lists of distinct option ids, and a
        record may leave out any field but ``respondent_id``. Type checks happen as the
        records are turned into columns; every other rule is checked on whole columns. The
        rules the schema cannot state for one record still apply to the set: ids are unique,
        and when some records name an organisation all must. By default the lenient readings
        of a CSV file apply (numbers may be written as text, spaces are trimmed).
    :param allow_missing_items: as for :func:`read_csv`: an answer field that no record
        holds (not even as null) is an error (rule ``missing-column``) unless allowed.
    """
    recs = list(records)
    if not recs:
        raise ResponseError([Problem("not-empty", "there are no records", file=source)])
    known = [c.name for c in instrument.columns()] + [
        m for m in META_COLUMNS if not (strict and m == "rater_role" and not instrument.rater_roles)
    ]
    known_set = set(known)
    kinds = {c.name: c.kind for c in instrument.columns()}
    cols: dict[str, list[str | None]] = {k: [None] * len(recs) for k in known}
    extra: dict[int, list[Problem]] = {}
    given: set[str] = set()
    for r, rec in enumerate(recs):
        if not isinstance(rec, Mapping):
            extra.setdefault(r, []).append(
                Problem(
                    "type", f"record is a {type(rec).__name__}, not an object", file=source, record=r + 1, value=rec
                )
            )
            continue
        given.update(rec.keys())
        for key, value in rec.items():
            if key not in known_set:
                extra.setdefault(r, []).append(
                    Problem(
                        "additionalProperties",
                        f"unknown field {key!r}",
                        file=source,
                        record=r + 1,
                        field=str(key),
                        value=key,
                    )
                )
                continue
            if strict:
                cell, broken = _strict_cell(kinds.get(key, "meta"), key, value)
                if broken is not None:
                    rule, message = broken
                    extra.setdefault(r, []).append(
                        Problem(rule, message, file=source, record=r + 1, field=key, value=value)
                    )
                    continue
                cols[key][r] = cell
            else:
                cols[key][r] = _to_cell(value)
    # a field that some record names is present, even if every record leaves it empty
    present = [k for k in known if k in given or any(v is not None for v in cols[k])]
    if strict:  # a missing required field rejects the record, as in the schema
        needed = ["respondent_id"] + (["subject_id", "rater_role"] if instrument.design == "review-360" else [])
        present += [k for k in needed if k not in present]
    _check_header(
        present,
        instrument,
        source,
        require_answers=not strict,
        allow_missing_items=allow_missing_items,
        given=[g for g in given if g in known_set],
    )
    table = pa.table({k: pa.array(cols[k], type=pa.string()) for k in present})
    digest = hashlib.sha256(json.dumps(recs, sort_keys=True, default=str).encode()).hexdigest()
    result = _validate(
        {k: table.column(k) for k in present},
        table.num_rows,
        instrument,
        source=source,
        digest=digest,
        extra_problems=extra,
        exact=strict,
    )
    return _note_missing(result, given)


def _strict_cell(kind: str, key: str, value: Any) -> tuple[str | None, tuple[str, str] | None]:
    """A record's value as a cell, or the schema rule its JSON type breaks."""
    if kind == "numeric":
        if value is None:
            return None, None
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None, ("type", f"{value!r} is not a number")
        return repr(value), None
    if kind == "multi-select":
        if value is None:
            return None, None
        if not isinstance(value, list | tuple):
            return None, ("type", f"{value!r} is not a list of options")
        if not all(isinstance(v, str) and v and v == v.strip() and ";" not in v for v in value):
            return None, ("enum", f"{value!r} holds something that is not an option id")
        if len(set(value)) != len(value):
            return None, ("uniqueItems", f"{value!r} names an option twice")
        return ";".join(value), None
    if kind == "text":
        if value is None:
            return None, None
        if not isinstance(value, str):
            return None, ("type", f"{value!r} is not text")
        return value, None
    if not isinstance(value, str):  # respondent_id, organisation, rater_role, subject_id, team, version
        rule = {"rater_role": "enum", "instrument_version": "const"}.get(key, "type")
        return None, (rule, f"{key} {value!r} is not a string")
    return value, None


def _to_cell(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"  # never a valid number or option
    if isinstance(value, list | tuple):
        return (
            ";".join(str(v) for v in value)
            if all(isinstance(v, str) and ";" not in v for v in value)
            else "\x00invalid-list"
        )
    if isinstance(value, float | int):
        return repr(value)
    if isinstance(value, str):
        return value
    return "\x00" + type(value).__name__


def read_frame(
    df: pd.DataFrame,
    instrument: Instrument,
    *,
    source: str = "<DataFrame>",
    extra_columns: str = "error",
    allow_missing_items: bool = False,
) -> ResponseSet:
    """Validate a pandas DataFrame (one respondent per row, columns as in a CSV file).

    Numeric columns are read as they are (float64, NaN = missing); text columns go to Arrow
    without a Python loop when they hold only strings and missing values.
    """

    names = [str(c) for c in df.columns]
    warnings = _check_header(
        names, instrument, source, extra_columns=extra_columns, allow_missing_items=allow_missing_items
    )
    if len(df) == 0:
        raise ResponseError([Problem("not-empty", "the DataFrame has no rows", file=source)])
    columns = _frame_columns(df)
    digest = _table_digest(names, columns, instrument)
    result = _validate(columns, len(df), instrument, source=source, digest=digest, warnings=warnings)
    return _note_missing(result, names)


def _frame_columns(df: pd.DataFrame) -> dict[str, Column_]:
    """A DataFrame's columns as numpy (numbers) or Arrow (text) arrays, by name."""
    import pandas as pd

    columns: dict[str, Column_] = {}
    for name, s in df.items():
        if s.dtype == np.float64:  # NaN is already the missing value: no copy
            columns[str(name)] = s.to_numpy(copy=False)
        elif pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
            columns[str(name)] = s.to_numpy(dtype="float64", na_value=np.nan)
        else:
            columns[str(name)] = _frame_text(s)
    return columns


def _frame_text(s: pd.Series[Any]) -> pa.Array:
    """A non-numeric DataFrame column as Arrow text (strings kept, missing values null)."""
    try:
        arr = pa.array(s, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        arr = None
    if arr is not None:
        typ = arr.type
        if pa.types.is_dictionary(typ):
            typ = typ.value_type
        if pa.types.is_string(typ) or pa.types.is_large_string(typ) or pa.types.is_null(typ):
            return _as_array(arr) if pa.types.is_dictionary(arr.type) else _as_text(arr)
    return pa.array([_to_cell(v) if not _isna(v) else None for v in s.tolist()], type=pa.string())


def read_arrow(
    table: pa.Table,
    instrument: Instrument,
    *,
    source: str = "<Arrow table>",
    extra_columns: str = "error",
    allow_missing_items: bool = False,
    extra_problems: Mapping[int, list[Problem]] | None = None,
) -> ResponseSet:
    """Validate an Arrow table (one respondent per row, columns as in a CSV file).

    Answer columns may be numbers (any integer or floating type; null = missing) or text,
    read as in a CSV file; the other columns are read as text. Nothing is copied to Python
    objects except the accepted respondent ids.

    ``extra_problems`` are problems found before validation (0-based row -> problems), e.g.
    an answer label a mapping does not know: those rows are rejected with them listed first.
    """
    names = [str(c) for c in table.column_names]
    warnings = _check_header(
        names, instrument, source, extra_columns=extra_columns, allow_missing_items=allow_missing_items
    )
    if table.num_rows == 0:
        raise ResponseError([Problem("not-empty", "the table has no rows", file=source)])
    columns: dict[str, Column_] = {name: table.column(i) for i, name in enumerate(names)}
    digest = _table_digest(names, columns, instrument)
    result = _validate(
        columns,
        table.num_rows,
        instrument,
        source=source,
        digest=digest,
        warnings=warnings,
        extra_problems=extra_problems,
    )
    return _note_missing(result, names)


def _note_missing(result: ResponseSet, given: Iterable[str]) -> ResponseSet:
    """Record the answer columns the input did not hold (they passed the header check)."""
    missing = missing_answer_columns(result.instrument, given).all
    return attrs.evolve(result, missing_columns=missing) if missing else result


def _table_digest(
    names: Sequence[str], columns: Mapping[str, Column_], instrument: Instrument
) -> Callable[[AnswerMatrix, list[Found]], str]:
    """The fingerprint of an in-memory table, to take once its answers are parsed: a numeric
    answer column is hashed as parsed (its answer codes, or float64 with NaN = missing: the
    same bytes whatever the input type) together with every cell that broke a rule as given
    (so the fingerprint is exact), every other column as given (see
    :func:`_columnar.table_digest`)."""
    index = {c.name: j for j, c in enumerate(instrument.numeric_columns())}

    def digest(values: AnswerMatrix, cells: list[Found]) -> str:
        cols: list[Any] = []
        for name in names:
            col = columns[name]
            numeric = isinstance(col, np.ndarray) and col.dtype.kind in "fiu"
            if not isinstance(col, np.ndarray):
                numeric = pa.types.is_floating(col.type) or pa.types.is_integer(col.type)
            cols.append(values.data[:, index[name]] if numeric and name in index else col)
        broken = sorted(
            (j, r, _canonical_cell(g)) for j, rows, _, given in cells for r, g in zip(rows.tolist(), given, strict=True)
        )
        listing = "\n".join(f"{j}:{r}:{g}" for j, r, g in broken).encode()
        return _columnar.table_digest([*names, "\x00broken cells"], [*cols, np.frombuffer(listing, dtype=np.uint8)])

    return digest


def _canonical_cell(value: Any) -> str:
    """A cell that broke a rule, for the fingerprint: text as given, a number as a float
    when it is one exactly (so ``11`` and ``11.0`` are alike, as their answer codes are)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            if float(value) == value:
                return repr(float(value))
        except OverflowError:
            pass
    return repr(value)


def _isna(v: Any) -> bool:
    return v is None or (isinstance(v, float) and v != v)


# ---------------------------------------------------------------------------------------
# vectorised validation
# ---------------------------------------------------------------------------------------
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


def _is_text_type(t: pa.DataType) -> bool:
    return bool(pa.types.is_string(t) or pa.types.is_large_string(t))


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


#: characters a group label may not hold: C0/C1 controls (incl. NUL and ANSI escapes) and
#: bidirectional overrides, which would let two labels print alike or rewrite a terminal
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


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


def _cell_text(arr: Column_, row: int) -> Any:
    if isinstance(arr, np.ndarray):
        v = arr[row]
        return v.item() if isinstance(v, np.generic) else v
    return arr[row].as_py()


def _compact_rows(values: NDArray[Any], keep: NDArray[np.bool_]) -> NDArray[Any]:
    """The kept rows of a column-major matrix, moved up in place (no second matrix)."""
    index = np.flatnonzero(keep)
    k = len(index)
    if k == len(keep):
        return values
    local = threading.local()

    def move(j: int) -> None:
        if not hasattr(local, "buffer"):
            local.buffer = np.empty(k, dtype=values.dtype)
        col = values[:, j]
        np.take(col, index, out=local.buffer, mode="clip")
        col[:k] = local.buffer

    _columnar.parallel_map(move, list(range(values.shape[1])))
    return values[:k]


def validate_table(
    table: pa.Table,
    instrument: Instrument,
    *,
    source: str,
    digest: str,
    warnings: Sequence[str] = (),
    extra_problems: Mapping[int, list[Problem]] | None = None,
) -> ResponseSet:
    """Validate an Arrow table of responses (string or numeric columns) into a ResponseSet."""
    columns = {name: table.column(name) for name in table.column_names}
    return _validate(
        columns,
        table.num_rows,
        instrument,
        source=source,
        digest=digest,
        warnings=warnings,
        extra_problems=extra_problems,
    )


def _validate(
    columns: Mapping[str, Column_],
    n: int,
    instrument: Instrument,
    *,
    source: str,
    digest: str | Callable[[AnswerMatrix, list[Found]], str],
    warnings: Sequence[str] = (),
    extra_problems: Mapping[int, list[Problem]] | None = None,
    exact: bool = False,
    answers: tuple[AnswerMatrix, list[Found]] | None = None,
    earlier: NDArray[np.bool_] | None = None,
) -> ResponseSet:
    """Validate named columns (Arrow arrays of any type, or numpy arrays) of ``n`` rows.

    ``answers`` are the answer columns already parsed (:class:`_Answers`), as the CSV reader
    does while it reads; otherwise they are parsed from ``columns`` here. ``earlier`` marks
    rows whose respondent id appeared in an earlier part of the same data set (a partition
    scored elsewhere): they break ``unique`` as a repeat within these rows does.

    With ``exact``, text is compared as given (no trimming of spaces) and an empty string is
    a value that breaks ``minLength``, as in the response record's JSON Schema; otherwise
    the documented lenient readings apply.
    """
    bad = np.zeros(n, dtype=bool)
    # (rows, rule, message-template, column), in the order problems are listed per row
    findings: list[tuple[NDArray[np.int64], str, str, str]] = []

    def flag_into(
        into: list[tuple[NDArray[np.int64], str, str, str]],
        mask: NDArray[np.bool_] | NDArray[np.int64],
        rule: str,
        message: str,
        column: str,
    ) -> None:
        rows: NDArray[np.int64] = np.flatnonzero(mask) if mask.dtype == np.bool_ else mask.astype(np.int64)
        if len(rows):
            into.append((rows, rule, message, column))
            bad[rows] = True  # only ever set to True: safe from two threads

    def flag(mask: NDArray[np.bool_] | NDArray[np.int64], rule: str, message: str, column: str) -> None:
        flag_into(findings, mask, rule, message, column)

    def column(name: str) -> Column_ | None:
        return columns.get(name)

    # -- meta columns: checked on a thread of their own while the answers are parsed ------
    meta_findings: list[tuple[NDArray[np.int64], str, str, str]] = []

    def check_meta() -> tuple[pa.Array, Codes | None, Codes | None, Codes | None, Codes | None]:
        def flag(mask: NDArray[np.bool_] | NDArray[np.int64], rule: str, message: str, column: str) -> None:
            flag_into(meta_findings, mask, rule, message, column)

        def too_long(arr: pa.Array, name: str) -> None:
            offsets, _ = _columnar.string_buffers(arr)
            if len(arr) and int((offsets[1:] - offsets[:-1]).max()) <= _ID_MAX_LENGTH:
                return  # no more bytes than the limit, so no more characters
            lengths = np.asarray(pc.fill_null(pc.utf8_length(arr), 0).to_numpy(zero_copy_only=False))
            flag(lengths > _ID_MAX_LENGTH, "maxLength", f"{name} is longer than {_ID_MAX_LENGTH} characters", name)

        rid_col = column("respondent_id")
        assert rid_col is not None
        rid = _as_text(rid_col)
        ids = rid if exact or not _columnar.may_need_trimming(rid) else pc.utf8_trim_whitespace(rid)
        offsets, _ = _columnar.string_buffers(ids)
        empty = (offsets[1:] - offsets[:-1]) == 0
        valid = np.asarray(ids.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
        if exact:
            flag(~valid, "required", "respondent_id is blank", "respondent_id")
            flag(valid & empty, "minLength", "respondent_id is empty", "respondent_id")
        else:
            flag(~valid | empty, "required", "respondent_id is blank", "respondent_id")
        too_long(ids, "respondent_id")
        dup = _columnar.later_duplicates(ids)
        if earlier is not None:
            dup |= earlier
        flag(dup, "unique", "respondent_id {value!r} already appears in an earlier row", "respondent_id")

        def category(name: str, allowed: Sequence[str] | None, required: bool) -> Codes | None:
            arr = column(name)
            if arr is None:
                return None
            codes, labels = _codes(arr, trim=not exact)
            nulls = codes < 0
            hostile = [i for i, lab in enumerate(labels) if _CONTROL.search(lab)]
            if hostile:
                flag(
                    np.isin(codes, np.array(hostile, dtype=np.int32)),
                    "control-character",
                    f"{name} holds a control or bidirectional-override character (not allowed in a label)",
                    name,
                )
            blank = nulls.copy()
            if "" in labels:
                blank |= codes == labels.index("")
            if exact:
                if required:
                    flag(nulls, "required", f"{name} is blank", name)
                if allowed is None:
                    flag(blank & ~nulls, "minLength", f"{name} is empty", name)
            elif required:
                flag(blank, "required", f"{name} is blank", name)
            if allowed is not None:
                unknown = [i for i, lab in enumerate(labels) if lab not in allowed]
                if unknown:
                    mask = np.isin(codes, np.array(unknown, dtype=np.int32))
                    flag(mask, "enum", f"{name} {{value!r}} is not one of: {', '.join(allowed)}", name)
            else:
                long_labels = [i for i, lab in enumerate(labels) if len(lab) > _ID_MAX_LENGTH]
                if long_labels:
                    mask = np.isin(codes, np.array(long_labels, dtype=np.int32))
                    flag(mask, "maxLength", f"{name} is longer than {_ID_MAX_LENGTH} characters", name)
            return Codes(codes, labels)

        is360 = instrument.design == "review-360"
        organisation = category("organisation", None, True)
        rater_role = category("rater_role", instrument.role_ids if instrument.rater_roles else None, is360)
        subject = category("subject_id", None, is360)
        team = category("team", None, False)
        version = column("instrument_version")
        if version is not None:
            vs = _as_text(version)
            wrong = np.asarray(
                pc.fill_null(
                    pc.not_equal(vs if exact else pc.utf8_trim_whitespace(vs), instrument.version), False
                ).to_numpy(zero_copy_only=False),
                dtype=bool,
            )
            flag(
                wrong,
                "const",
                f"answers instrument version {{value!r}}, not {instrument.version!r}",
                "instrument_version",
            )
        return ids, organisation, rater_role, subject, team

    meta_thread = ThreadPoolExecutor(max_workers=1)
    meta_done = meta_thread.submit(check_meta)

    # -- answers --------------------------------------------------------------------------
    numeric_cols = instrument.numeric_columns()
    values, cells = answers if answers is not None else _convert_answers(n, instrument, columns)
    hashing = None
    if callable(digest):  # fingerprint the parsed table while the other rules are checked
        hashing = ThreadPoolExecutor(max_workers=1)
        digest_done = hashing.submit(digest, values, cells)
    by_column: dict[int, list[Found]] = {}
    for cell in cells:
        by_column.setdefault(cell[0], []).append(cell)
    given: dict[tuple[int, str], Any] = {}  # (row, column): the cell as given, for messages
    for j, parts in sorted(by_column.items()):
        rows = np.concatenate([p[1] for p in parts])
        bits = np.concatenate([p[2] for p in parts])
        scale = instrument.scale(numeric_cols[j].scale or "")
        assert isinstance(scale, NumericScale)
        name = numeric_cols[j].name
        for p in parts:
            given.update(zip(((r, name) for r in p[1].tolist()), p[3], strict=True))
        for bit, rule, message in (
            (_TYPE, "type", "{value!r} is not a number"),
            (_BELOW, "minimum", f"{{value!r}} is below the scale minimum {scale.min:g}"),
            (_ABOVE, "maximum", f"{{value!r}} is above the scale maximum {scale.max:g}"),
            (_FRACTION, "integer", "{value!r} is not a whole number on this scale"),
        ):
            flag(rows[(bits & bit) != 0], rule, message, name)

    multi: dict[str, NDArray[np.bool_]] = {}
    text: dict[str, pa.Array | pa.ChunkedArray] = {}
    for col in instrument.columns():
        arr = column(col.name)
        if col.kind == "multi-select":
            scale = instrument.scale(col.scale or "")
            assert isinstance(scale, MultiSelectScale)
            matrix = np.zeros((n, len(scale.options)), dtype=bool)
            if arr is not None:
                parts = pc.split_pattern(_as_text(arr), ";")
                flat = pc.utf8_trim_whitespace(pc.list_flatten(parts))
                parent = np.asarray(pc.list_parent_indices(parts).to_numpy(zero_copy_only=False), dtype=np.int64)
                nonempty = np.asarray(
                    pc.fill_null(pc.not_equal(flat, ""), False).to_numpy(zero_copy_only=False), dtype=bool
                )
                code = pc.index_in(flat, value_set=pa.array(scale.option_ids, type=pa.string()))
                code_np = np.asarray(pc.fill_null(code, -1).to_numpy(zero_copy_only=False), dtype=np.int64)
                unknown_rows = np.zeros(n, dtype=bool)
                unknown_rows[parent[nonempty & (code_np < 0)]] = True
                flag(
                    unknown_rows,
                    "enum",
                    f"{{value!r}} holds an option that is not one of: {', '.join(scale.option_ids)}",
                    col.name,
                )
                ok = nonempty & (code_np >= 0)
                matrix[parent[ok], code_np[ok]] = True
            multi[col.name] = matrix
        elif col.kind == "text":
            if arr is None:
                text[col.name] = pa.nulls(n, pa.string())
                continue
            # kept as Arrow text (chunks as read: combining them would copy all the text)
            if not (isinstance(arr, pa.ChunkedArray) and _is_text_type(arr.type)):
                arr = _as_text(arr)
            limit = next((q.max_length for q in instrument.open_questions if q.id == col.name), None)
            if limit is not None:
                message = f"the answer is longer than {limit} characters"
                flag(_longer_than(arr, limit)[0], "maxLength", message, col.name)
            text[col.name] = arr

    ids, organisation, rater_role, subject, team = meta_done.result()
    meta_thread.shutdown()
    findings[:0] = meta_findings  # a row's problems are listed meta columns first

    # -- accounting -----------------------------------------------------------------------
    extra = dict(extra_problems or {})
    for r in extra:
        bad[r] = True
    rejected: list[Rejection] = []
    bad_rows = np.flatnonzero(bad)
    if len(bad_rows):
        per_row: dict[int, list[Problem]] = {int(r): list(extra.get(int(r), [])) for r in bad_rows}
        for rows, rule, message, colname in findings:
            arr = column(colname)
            for i in rows.tolist():
                value = given.get((i, colname), _cell_text(arr, i) if arr is not None else None)
                per_row[i].append(
                    Problem(rule, message.format(value=value), file=source, record=i + 1, field=colname, value=value)
                )
        rejected = [Rejection(r + 1, tuple(per_row[r])) for r in sorted(per_row)]
    keep = ~bad
    n_keep = n - len(bad_rows)
    if hashing is not None:
        digest = digest_done.result()
        hashing.shutdown()
    assert isinstance(digest, str)
    kept = ids if n_keep == n else ids.filter(pa.array(keep))
    org = organisation.take(keep) if organisation is not None else Codes(np.zeros(n_keep, dtype=np.int32), ("(all)",))
    return ResponseSet(
        instrument=instrument,
        source=source,
        n_input=n,
        rows=np.flatnonzero(keep).astype(np.int64) + 1,
        ids=kept,
        organisation=org,
        rater_role=rater_role.take(keep) if rater_role is not None else None,
        subject=subject.take(keep) if subject is not None else None,
        team=team.take(keep) if team is not None else None,
        numeric_columns=numeric_cols,
        answers=AnswerMatrix(_compact_rows(values.data, keep), values.lows),
        multi={k: v[keep] for k, v in multi.items()},
        text=TextColumns(text, None if n_keep == n or not text else np.flatnonzero(keep).astype(np.int64)),
        rejected=tuple(rejected),
        digest=digest,
        warnings=tuple(warnings),
    )


#: names that moved to the reader layer (:mod:`aspire_models.formats`), still importable from
#: here: {name: module that defines it}. Imported when first asked for, which keeps this module
#: light and free of import cycles (those modules import the model from here).
_MOVED = {
    "read_csv": "aspire_models.formats.csv",
}


def __getattr__(name: str) -> Any:
    """The readers and the validation step, from their homes in :mod:`aspire_models.formats`."""
    home = _MOVED.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(home), name)
