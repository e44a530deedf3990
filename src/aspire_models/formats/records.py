"""JSON records of responses: one mapping per respondent (multi-selects as lists).

The records become a table of text cells (or, read strictly, are judged as the response
record's JSON Schema judges them, type by type) and go through the one validation step
(:mod:`aspire_models.formats.validate`); a record's fingerprint is the SHA-256 of the
records as canonical JSON.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

import pyarrow as pa

from aspire_models.errors import Problem, ResponseError
from aspire_models.formats.validate import _check_header, _note_missing, _validate
from aspire_models.instrument import META_COLUMNS, Instrument
from aspire_models.responses import ResponseSet

__all__ = ["read_records"]


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
