"""The one validation step: named columns of any reader into a :class:`~aspire_models.responses.ResponseSet`.

Every reader ends here: the CSV reader (:mod:`aspire_models.formats.csv`), JSON records
(:mod:`aspire_models.formats.records`), in-memory tables (:mod:`aspire_models.formats.arrow`)
and, through :func:`~aspire_models.formats.read_export`, every survey platform's reader.
The header is checked as a whole first (:func:`_check_header`: unknown, duplicated and
missing columns, a wrong instrument), raising :class:`~aspire_models.errors.ResponseError`
before any row is read; then every row's rules are checked on whole columns (Arrow compute
and numpy), and accounting is exact: every input row is either accepted or listed in
:attr:`~aspire_models.responses.ResponseSet.rejected` with each rule it broke, and
``n_accepted + n_rejected == n_input``. The fingerprint of an in-memory table
(:func:`_table_digest`) is taken here too, once its answers are parsed.

Documented lenient readings: spaces around ids and labels are trimmed (a blank respondent
id rejects its row); multi-select answers are option ids separated by ``;`` (spaces around them are
ignored, as are empty entries). With ``exact`` (JSON records read strictly) text is taken
as given, as the response record's JSON Schema would.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import attrs
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from aspire_models import _columnar
from aspire_models.errors import Problem, ResponseError
from aspire_models.formats.codec import (
    _ABOVE,
    _BELOW,
    _FRACTION,
    _TYPE,
    Column_,
    Found,
    _as_text,
    _codes,
    _convert_answers,
)
from aspire_models.instrument import META_COLUMNS, Instrument, MultiSelectScale, NumericScale
from aspire_models.responses import (
    AnswerMatrix,
    Codes,
    DeferredText,
    Rejection,
    ResponseSet,
    TextColumns,
    _is_text_type,
    _longer_than,
)

__all__ = ["MissingColumns", "missing_answer_columns", "validate_table"]


#: longest identifier or label (respondent, organisation, subject, team), as in the record schema
_ID_MAX_LENGTH = 200


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


#: characters a group label may not hold: C0/C1 controls (incl. NUL and ANSI escapes) and
#: bidirectional overrides, which would let two labels print alike or rewrite a terminal
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _cell_text(arr: Column_ | DeferredText, row: int) -> Any:
    if isinstance(arr, DeferredText):
        return arr.cell(row)
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
    columns: Mapping[str, Column_ | DeferredText],
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
            limit = next((q.max_length for q in instrument.open_questions if q.id == col.name), None)
            if isinstance(arr, DeferredText):  # left in the file: its long cells are known
                if limit is not None:
                    message = f"the answer is longer than {limit} characters"
                    flag(arr.longer_than(limit)[0], "maxLength", message, col.name)
                text[col.name] = arr
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
