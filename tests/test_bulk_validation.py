"""Bulk (column-wise) validation of response records is the record JSON Schema, vectorised.

A differential test: for any generated record, ``read_records(..., strict=True)`` and
``jsonschema`` against :meth:`Instrument.response_record_schema` accept or reject it alike
and name the same fields. Records come from the schema itself (hypothesis-jsonschema), then
are broken: a field dropped, retyped, stretched, emptied or added.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from aspire_models import Instrument, Registry, ResponseError
from aspire_models.responses import read_records

hjs = pytest.importorskip("hypothesis_jsonschema")

REG = Registry(entry_points=False)
INSTRUMENTS = sorted(REG.instruments)
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))

ODD_VALUES = [
    None,
    True,
    False,
    0,
    -1,
    11,
    7.5,
    7.0,
    1e300,
    "7",
    "",
    " ",
    "seven",
    " padded ",
    "x" * 201,
    "é" * 200,
    [],
    ["not-an-option"],
    {},
    {"nested": 1},
]


def schema_fields(schema: dict[str, Any], record: Any) -> set[str | None]:
    """Fields the JSON Schema names as broken (empty: valid)."""
    out: set[str | None] = set()
    for e in Draft202012Validator(schema).iter_errors(record):
        if e.path:
            out.add(str(e.path[0]))
        elif e.validator == "required":
            out.add(re.match(r"'(.*)' is a required property", e.message).group(1))  # type: ignore[union-attr]
        elif e.validator == "additionalProperties":
            out |= {k for k in record if k not in schema["properties"]}
        else:
            out.add(None)
    return out


def engine_fields(ins: Instrument, record: Any) -> set[str | None]:
    """Fields bulk validation names as broken (empty: accepted)."""
    try:
        # one record at a time, as the schema judges it: a field it leaves out is no missing column
        rs = read_records([record], ins, strict=True, allow_missing_items=True)
    except ResponseError as exc:
        return {p.field for p in exc.problems}
    assert rs.n_input == 1 and rs.n_accepted + rs.n_rejected == 1
    return {p.field for r in rs.rejected for p in r.problems}


@st.composite
def records(draw: st.DrawFn, ins: Instrument) -> Any:
    schema = ins.response_record_schema()
    record = dict(draw(hjs.from_schema(schema)))
    props = sorted(schema["properties"])
    for _ in range(draw(st.integers(0, 3))):
        kind = draw(st.sampled_from(["drop", "set", "set", "extra"]))
        if kind == "drop" and record:
            del record[draw(st.sampled_from(sorted(record)))]
        elif kind == "set":
            record[draw(st.sampled_from(props))] = draw(st.sampled_from(ODD_VALUES))
        elif kind == "extra":
            record[draw(st.sampled_from(["colour", "respondent", "rater_role", "notes "]))] = 1
    return record


@pytest.mark.parametrize("instrument_id", INSTRUMENTS)
def test_bulk_validation_matches_the_record_schema(instrument_id: str) -> None:
    ins = REG.instrument(instrument_id)
    schema = ins.response_record_schema()

    @SETTINGS
    @given(records(ins))
    def check(record: dict[str, Any]) -> None:
        expected = schema_fields(schema, record)
        found = engine_fields(ins, record)
        assert (not expected) == (not found), (record, expected, found)
        assert found == expected, (record, expected, found)

    check()


@pytest.mark.parametrize("record", ["not a record", 42, None, ["a"]])
def test_a_record_that_is_not_an_object_is_rejected(record: Any) -> None:
    ins = REG.instrument("aspire-sop-self-assessment")
    rs = read_records(
        [{"respondent_id": "ok", "leadership.now": 5}, record], ins, strict=True, allow_missing_items=True
    )
    assert rs.n_accepted == 1 and [r.row for r in rs.rejected] == [2]
    assert rs.rejected[0].problems[0].rule == "type"


def test_rules_of_the_set_still_apply_in_strict_mode() -> None:
    ins = REG.instrument("aspire-sop-self-assessment")
    rs = read_records(
        [
            {"respondent_id": "a", "organisation": "C1", "leadership.now": 5},
            {"respondent_id": "a", "organisation": "C1", "leadership.now": 6},  # repeated id
            {"respondent_id": "b", "leadership.now": 7},  # no organisation where others have one
            {"respondent_id": " c", "organisation": "C1"},  # spaces kept: a different id
        ],
        ins,
        strict=True,
        allow_missing_items=True,
    )
    assert {r.row: [p.rule for p in r.problems] for r in rs.rejected} == {2: ["unique"], 3: ["required"]}
    assert list(rs.respondent_id) == ["a", " c"]


def test_lenient_mode_reads_numbers_written_as_text() -> None:
    ins = REG.instrument("aspire-sop-self-assessment")
    record = {"respondent_id": " a ", "organisation": "C1", "leadership.now": " 7 "}
    assert read_records([record], ins, allow_missing_items=True).n_accepted == 1
    assert read_records([record], ins, strict=True, allow_missing_items=True).n_accepted == 0
