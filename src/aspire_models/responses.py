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

import csv
import hashlib
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from numpy.typing import NDArray

from aspire_models.errors import Problem, ResponseError
from aspire_models.instrument import META_COLUMNS, Column, Instrument, MultiSelectScale, NumericScale

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["Codes", "Rejection", "ResponseSet", "read_csv", "read_frame", "read_records", "validate_table"]

_NUMBER = r"^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$"


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


@attrs.frozen(eq=False)
class ResponseSet:
    """Validated responses, columnar. Rows are the accepted input rows, in input order."""

    instrument: Instrument
    source: str
    n_input: int
    rows: NDArray[np.int64]
    respondent_id: NDArray[np.object_]
    organisation: Codes
    rater_role: Codes | None
    subject: Codes | None
    team: Codes | None
    numeric_columns: tuple[Column, ...]
    numeric: NDArray[np.float64]
    multi: Mapping[str, NDArray[np.bool_]]
    text: Mapping[str, NDArray[np.object_]]
    rejected: tuple[Rejection, ...]
    digest: str
    warnings: tuple[str, ...] = ()

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
            respondent_id=self.respondent_id[mask],
            organisation=self.organisation.take(mask),
            rater_role=opt(self.rater_role),
            subject=opt(self.subject),
            team=opt(self.team),
            numeric=self.numeric[mask],
            multi={k: v[mask] for k, v in self.multi.items()},
            text={k: v[mask] for k, v in self.text.items()},
        )


# ---------------------------------------------------------------------------------------
# readers
# ---------------------------------------------------------------------------------------
def _check_header(
    names: Sequence[str], instrument: Instrument, source: str, *, extra_columns: str = "error"
) -> list[str]:
    problems: list[Problem] = []
    warnings: list[str] = []
    known = {c.name for c in instrument.columns()} | set(META_COLUMNS)
    seen: dict[str, int] = {}
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

            close = difflib.get_close_matches(name, sorted(known), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            msg = f"not an answer or meta column of instrument {instrument.id!r}{hint}"
            if extra_columns == "ignore":
                warnings.append(f"{source}: column {name!r}: {msg} (ignored)")
            else:
                problems.append(Problem("known-column", msg, file=source, record=0, field=name, value=name))
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
    if not answer_cols & set(seen):
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


def read_csv(
    path: str | Path, instrument: Instrument, *, delimiter: str | None = None, extra_columns: str = "error"
) -> ResponseSet:
    """Read and validate a CSV file of responses (UTF-8, optional BOM; header row first).

    :param delimiter: field separator; by default sniffed from the header among ``,;\\t``.
    :param extra_columns: ``'error'`` (default) refuses columns the instrument does not know;
        ``'ignore'`` reads past them with a warning in the result.
    """
    p = Path(path)
    source = str(p)
    data = p.read_bytes()
    if not data.strip():
        raise ResponseError([Problem("not-empty", "the file is empty", file=source)])
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    head = data[: data.find(b"\n") if b"\n" in data else len(data)].decode("utf-8", errors="replace").rstrip("\r")
    if delimiter is None:
        delimiter = max((",", ";", "\t"), key=head.count)
    names = next(csv.reader([head], delimiter=delimiter))
    names = [n.strip() for n in names]
    warnings = _check_header(names, instrument, source, extra_columns=extra_columns)
    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1),
            parse_options=pacsv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=True,
                null_values=[""],
            ),
        )
    except pa.ArrowInvalid as exc:
        raise ResponseError([Problem("csv", f"cannot parse the CSV: {exc}", file=source)]) from None
    if table.num_rows == 0:
        raise ResponseError([Problem("not-empty", "the file has a header but no data rows", file=source)])
    digest = hashlib.sha256(data).hexdigest()
    return validate_table(table, instrument, source=source, digest=digest, warnings=warnings)


def read_records(
    records: Iterable[Mapping[str, Any]], instrument: Instrument, *, source: str = "<records>"
) -> ResponseSet:
    """Validate JSON-style records (one dict per respondent; multi-selects as lists).

    A field the instrument does not know rejects that record (rule ``additionalProperties``),
    as the response record's JSON Schema would.
    """
    recs = list(records)
    if not recs:
        raise ResponseError([Problem("not-empty", "there are no records", file=source)])
    known = [c.name for c in instrument.columns()] + list(META_COLUMNS)
    known_set = set(known)
    cols: dict[str, list[str | None]] = {k: [None] * len(recs) for k in known}
    extra: dict[int, list[Problem]] = {}
    for r, rec in enumerate(recs):
        if not isinstance(rec, Mapping):
            extra.setdefault(r, []).append(
                Problem(
                    "type", f"record is a {type(rec).__name__}, not an object", file=source, record=r + 1, value=rec
                )
            )
            continue
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
            cols[key][r] = _to_cell(value)
    present = [k for k in known if any(v is not None for v in cols[k])]
    _check_header(present, instrument, source)
    table = pa.table({k: pa.array(cols[k], type=pa.string()) for k in present})
    digest = hashlib.sha256(json.dumps(recs, sort_keys=True, default=str).encode()).hexdigest()
    return validate_table(table, instrument, source=source, digest=digest, extra_problems=extra)


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
    df: pd.DataFrame, instrument: Instrument, *, source: str = "<DataFrame>", extra_columns: str = "error"
) -> ResponseSet:
    """Validate a pandas DataFrame (one respondent per row, columns as in a CSV file)."""
    import pandas as pd

    names = [str(c) for c in df.columns]
    warnings = _check_header(names, instrument, source, extra_columns=extra_columns)
    if len(df) == 0:
        raise ResponseError([Problem("not-empty", "the DataFrame has no rows", file=source)])
    arrays: dict[str, pa.Array] = {}
    for name in names:
        s = df[name]
        if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
            arrays[name] = pa.array(s.to_numpy(dtype="float64", na_value=np.nan), from_pandas=True)
        else:
            arrays[name] = pa.array([_to_cell(v) if not _isna(v) else None for v in s.tolist()], type=pa.string())
    table = pa.table(arrays)
    digest = hashlib.sha256(pd.util.hash_pandas_object(df, index=False).to_numpy().tobytes()).hexdigest()
    return validate_table(table, instrument, source=source, digest=digest, warnings=warnings)


def _isna(v: Any) -> bool:
    return v is None or (isinstance(v, float) and v != v)


# ---------------------------------------------------------------------------------------
# vectorised validation
# ---------------------------------------------------------------------------------------
def _null_or_blank(arr: pa.ChunkedArray) -> NDArray[np.bool_]:
    if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
        trimmed = pc.utf8_trim_whitespace(arr)
        blank = pc.or_kleene(pc.is_null(trimmed), pc.equal(trimmed, ""))
        return np.asarray(pc.fill_null(blank, True).to_numpy(zero_copy_only=False), dtype=bool)
    return np.asarray(pc.is_null(arr, nan_is_null=True).to_numpy(zero_copy_only=False), dtype=bool)


def _parse_numeric(arr: pa.ChunkedArray) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """(values with NaN for blank or invalid, mask of non-blank cells that are not numbers)."""
    if pa.types.is_floating(arr.type) or pa.types.is_integer(arr.type):
        values = np.asarray(pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)
        values = np.where(np.isnan(values), np.nan, values)
        return values, np.zeros(len(values), dtype=bool)
    try:  # fast path: every non-null cell is a plain number
        cast = pc.cast(arr, pa.float64())
        values = np.asarray(pc.fill_null(cast, np.nan).to_numpy(zero_copy_only=False), dtype=np.float64)
        notnum = np.zeros(len(values), dtype=bool)
        nonfinite = ~np.isfinite(values) & ~np.asarray(pc.is_null(arr).to_numpy(zero_copy_only=False), dtype=bool)
        if nonfinite.any():  # 'nan', 'inf' spelled out: not numbers for us
            notnum |= nonfinite
            values[nonfinite] = np.nan
        return values, notnum
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    trimmed = pc.utf8_trim_whitespace(arr)
    ok = pc.fill_null(pc.match_substring_regex(trimmed, _NUMBER), False)
    present = pc.fill_null(pc.not_equal(trimmed, ""), False)
    good = pc.if_else(ok, trimmed, pa.scalar(None, pa.string()))
    values = np.asarray(
        pc.fill_null(pc.cast(good, pa.float64()), np.nan).to_numpy(zero_copy_only=False), dtype=np.float64
    )
    notnum = np.asarray(pc.and_(present, pc.invert(ok)).to_numpy(zero_copy_only=False), dtype=bool)
    return values, notnum


def _codes(arr: pa.ChunkedArray) -> tuple[NDArray[np.int32], tuple[str, ...]]:
    """Dictionary-encode a string column into codes of its sorted labels (-1 for null)."""
    enc = pc.dictionary_encode(pc.utf8_trim_whitespace(arr)).combine_chunks()
    labels = enc.dictionary.to_pylist()
    order = np.argsort(np.array(labels, dtype=object)) if labels else np.zeros(0, dtype=np.int64)
    remap = np.empty(len(labels), dtype=np.int32)
    remap[order] = np.arange(len(labels), dtype=np.int32)
    idx = enc.indices.to_numpy(zero_copy_only=False)
    nulls = np.asarray(pc.is_null(enc.indices).to_numpy(zero_copy_only=False), dtype=bool)
    raw = np.where(nulls, 0, np.nan_to_num(idx, nan=0)).astype(np.int64)
    codes = np.where(nulls, -1, remap[raw] if len(labels) else -1).astype(np.int32)
    return codes, tuple(labels[i] for i in order)


def _cell_text(arr: pa.ChunkedArray, row: int) -> Any:
    v = arr[row].as_py()
    return v


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
    n = table.num_rows
    names = set(table.column_names)
    bad = np.zeros(n, dtype=bool)
    # (mask, rule, message-template, column) for later per-row problem lists
    findings: list[tuple[NDArray[np.bool_], str, str, str]] = []

    def flag(mask: NDArray[np.bool_], rule: str, message: str, column: str) -> None:
        if mask.any():
            findings.append((mask, rule, message, column))
            bad[...] = bad | mask

    def column(name: str) -> pa.ChunkedArray | None:
        return table.column(name) if name in names else None

    # -- meta columns ---------------------------------------------------------------------
    rid = column("respondent_id")
    assert rid is not None
    if not pa.types.is_string(rid.type):
        rid = pc.cast(rid, pa.string())
    rid_blank = _null_or_blank(rid)
    flag(rid_blank, "required", "respondent_id is blank", "respondent_id")
    rid_codes, _labels = _codes(rid)
    dup = np.zeros(n, dtype=bool)
    present = rid_codes >= 0
    if present.any():
        _, first = np.unique(rid_codes[present], return_index=True)
        idx_present = np.flatnonzero(present)
        dup[idx_present] = True
        dup[idx_present[first]] = False
    flag(dup, "unique", "respondent_id {value!r} already appears in an earlier row", "respondent_id")

    def category(name: str, allowed: Sequence[str] | None, required: bool) -> Codes | None:
        arr = column(name)
        if arr is None:
            return None
        if not pa.types.is_string(arr.type):
            arr = pc.cast(arr, pa.string())
        blank = _null_or_blank(arr)
        if required:
            flag(blank, "required", f"{name} is blank", name)
        codes, labels = _codes(arr)
        if allowed is not None:
            unknown = [i for i, lab in enumerate(labels) if lab not in allowed]
            if unknown:
                mask = np.isin(codes, np.array(unknown, dtype=np.int32))
                flag(mask, "enum", f"{name} {{value!r}} is not one of: {', '.join(allowed)}", name)
        return Codes(codes, labels)

    is360 = instrument.design == "review-360"
    organisation = category("organisation", None, True)
    rater_role = category("rater_role", instrument.role_ids if instrument.rater_roles else None, is360)
    subject = category("subject_id", None, is360)
    team = category("team", None, False)
    version = column("instrument_version")
    if version is not None:
        vs = pc.cast(version, pa.string())
        wrong = np.asarray(
            pc.fill_null(pc.not_equal(pc.utf8_trim_whitespace(vs), instrument.version), False).to_numpy(
                zero_copy_only=False
            ),
            dtype=bool,
        )
        flag(
            wrong, "const", f"answers instrument version {{value!r}}, not {instrument.version!r}", "instrument_version"
        )

    # -- answers --------------------------------------------------------------------------
    numeric_cols = instrument.numeric_columns()
    values = np.full((n, len(numeric_cols)), np.nan, dtype=np.float64)
    for j, col in enumerate(numeric_cols):
        arr = column(col.name)
        if arr is None:
            continue
        scale = instrument.scale(col.scale or "")
        assert isinstance(scale, NumericScale)
        v, notnum = _parse_numeric(arr)
        flag(notnum, "type", "{value!r} is not a number", col.name)
        with np.errstate(invalid="ignore"):
            flag(v < scale.min, "minimum", f"{{value!r}} is below the scale minimum {scale.min:g}", col.name)
            flag(v > scale.max, "maximum", f"{{value!r}} is above the scale maximum {scale.max:g}", col.name)
            if scale.integer:
                flag(
                    np.isfinite(v) & (v != np.floor(v)),
                    "integer",
                    "{value!r} is not a whole number on this scale",
                    col.name,
                )
        values[:, j] = v

    multi: dict[str, NDArray[np.bool_]] = {}
    text: dict[str, NDArray[np.object_]] = {}
    for col in instrument.columns():
        arr = column(col.name)
        if col.kind == "multi-select":
            scale = instrument.scale(col.scale or "")
            assert isinstance(scale, MultiSelectScale)
            matrix = np.zeros((n, len(scale.options)), dtype=bool)
            if arr is not None:
                if not pa.types.is_string(arr.type):
                    arr = pc.cast(arr, pa.string())
                parts = pc.split_pattern(arr.combine_chunks(), ";")
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
                text[col.name] = np.full(n, None, dtype=object)
                continue
            if not pa.types.is_string(arr.type):
                arr = pc.cast(arr, pa.string())
            limit = next((q.max_length for q in instrument.open_questions if q.id == col.name), None)
            if limit is not None:
                lengths = np.asarray(pc.fill_null(pc.utf8_length(arr), 0).to_numpy(zero_copy_only=False))
                flag(lengths > limit, "maxLength", f"the answer is longer than {limit} characters", col.name)
            text[col.name] = np.asarray(arr.to_numpy(zero_copy_only=False), dtype=object)

    # -- accounting -----------------------------------------------------------------------
    extra = dict(extra_problems or {})
    for r in extra:
        bad[r] = True
    rejected: list[Rejection] = []
    bad_rows = np.flatnonzero(bad)
    if len(bad_rows):
        per_row: dict[int, list[Problem]] = {int(r): list(extra.get(int(r), [])) for r in bad_rows}
        for mask, rule, message, colname in findings:
            arr = column(colname)
            for i in np.flatnonzero(mask).tolist():
                value = _cell_text(arr, i) if arr is not None else None
                per_row[i].append(
                    Problem(rule, message.format(value=value), file=source, record=i + 1, field=colname, value=value)
                )
        rejected = [Rejection(r + 1, tuple(per_row[r])) for r in sorted(per_row)]
    keep = ~bad
    rids = np.asarray(pc.utf8_trim_whitespace(rid).to_numpy(zero_copy_only=False), dtype=object)[keep]
    org = (
        organisation.take(keep)
        if organisation is not None
        else Codes(np.zeros(int(keep.sum()), dtype=np.int32), ("(all)",))
    )
    return ResponseSet(
        instrument=instrument,
        source=source,
        n_input=n,
        rows=np.flatnonzero(keep).astype(np.int64) + 1,
        respondent_id=rids,
        organisation=org,
        rater_role=rater_role.take(keep) if rater_role is not None else None,
        subject=subject.take(keep) if subject is not None else None,
        team=team.take(keep) if team is not None else None,
        numeric_columns=numeric_cols,
        numeric=np.ascontiguousarray(values[keep]),
        multi={k: v[keep] for k, v in multi.items()},
        text={k: v[keep] for k, v in text.items()},
        rejected=tuple(rejected),
        digest=digest,
        warnings=tuple(warnings),
    )
