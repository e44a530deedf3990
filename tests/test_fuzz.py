"""Fuzzing from our own JSON Schemas (hypothesis-jsonschema): valid documents load and score;
invalid ones raise only the library's own errors, each with a JSON path."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aspire_models import DocumentError, Framework, Instrument, Registry, ResponseError, score, validation

hjs = pytest.importorskip("hypothesis_jsonschema")

REG = Registry(entry_points=False)
ULRICH = REG.instrument("ulrich-hr-competency-self-assessment")
SOP = REG.instrument("aspire-sop-self-assessment")
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))


def _local(name: str) -> dict[str, Any]:
    """A schema hypothesis-jsonschema can resolve: no $id, and the one cross-schema ref inlined."""
    text = json.dumps(dict(validation.load_schema(name))).replace(
        '"urn:aspire-models:schema:framework:1#/$defs/source"', '"#/$defs/source"'
    )
    out: dict[str, Any] = json.loads(text)
    out.pop("$id")
    out["$defs"]["source"] = validation.load_schema("framework")["$defs"]["source"]
    return out


@FUZZ
@given(hjs.from_schema(_local("framework")))
def test_schema_valid_frameworks_load_or_fail_semantically(doc: dict[str, Any]) -> None:
    try:
        fw = Framework.from_dict(doc)
    except DocumentError as exc:
        assert exc.problems and all(p.path and p.path.startswith("$") for p in exc.problems)
        assert {p.rule for p in exc.problems} <= {
            "unique-element-id",
            "unique-kind-id",
            "declared-kind",
            "parent-exists",
            "no-parent-cycle",
            "definition-status",
        }
    else:
        assert Framework.from_dict(fw.to_dict()) == fw


@FUZZ
@given(hjs.from_schema(_local("instrument")))
def test_schema_valid_instruments_load_or_fail_with_paths(doc: dict[str, Any]) -> None:
    try:
        REG.bind(Instrument.from_dict(doc))
    except DocumentError as exc:
        assert exc.problems and all(p.path and p.path.startswith("$") for p in exc.problems)


def _mutations(draw: st.DrawFn, doc: Any, depth: int = 0) -> Any:
    """Break a valid document somewhere: drop a key, change a type, or add an unknown key."""
    if isinstance(doc, dict) and doc and (depth > 3 or draw(st.booleans())):
        key = draw(st.sampled_from(sorted(doc)))
        kind = draw(st.sampled_from(["drop", "retype", "extra"]))
        out = dict(doc)
        if kind == "drop":
            del out[key]
        elif kind == "retype":
            out[key] = draw(st.sampled_from([None, 3.5, [], {}, "", True]))
        else:
            out["unexpected_field"] = 1
        return out
    if isinstance(doc, dict) and doc:
        key = draw(st.sampled_from(sorted(doc)))
        return {**doc, key: _mutations(draw, doc[key], depth + 1)}
    if isinstance(doc, list) and doc:
        i = draw(st.integers(0, len(doc) - 1))
        return [*doc[:i], _mutations(draw, doc[i], depth + 1), *doc[i + 1 :]]
    return draw(st.sampled_from([None, 3.5, "x", [], {}]))


@FUZZ
@given(st.data())
def test_broken_instruments_raise_our_errors_with_paths(data: st.DataObject) -> None:
    doc = data.draw(st.builds(lambda: None).flatmap(lambda _: st.just(copy.deepcopy(ULRICH.to_dict()))))
    broken = _mutations(data.draw, doc)
    try:
        REG.bind(Instrument.from_dict(broken))
    except DocumentError as exc:
        assert all(p.path for p in exc.problems)
    except Exception as exc:  # pragma: no cover - the property under test
        pytest.fail(f"{type(exc).__name__} escaped: {exc}")


@FUZZ
@given(st.lists(hjs.from_schema(SOP.response_record_schema()), min_size=1, max_size=8))
def test_valid_response_records_are_all_scored(records: list[dict[str, Any]]) -> None:
    named = any("organisation" in r for r in records)
    for i, r in enumerate(records):  # set-level rules the per-record schema cannot state:
        r["respondent_id"] = f"{i}-{r['respondent_id']}"  # ids are unique,
        if named:
            r.setdefault("organisation", "O")  # and when some records name an organisation, all do
            if not r["organisation"].strip():  # the documented lenient reading: trimmed, white space is blank
                r["organisation"] = "O"
    given = {k for r in records for k in r}
    absent = [c.name for c in SOP.columns() if c.kind != "text" and c.name not in given]
    try:
        # a whole answer column no record holds is a set-level error unless allowed (below)
        result = score(REG, SOP, records, allow_missing_items=True)
    except ResponseError as exc:
        # the only file-level refusal a schema-valid set can then meet: no answer column at all
        assert {p.rule for p in exc.problems} == {"answer-columns"}
        return
    assert result.accounting.rejected == 0 and result.accounting.accepted == len(records)
    assert not result.failures
    if absent:  # not allowed: each absent answer column is named, nothing is scored
        with pytest.raises(ResponseError) as missing:
            score(REG, SOP, records)
        assert [(p.rule, p.field) for p in missing.value.problems] == [("missing-column", c) for c in absent]


@FUZZ
@given(
    st.lists(
        st.dictionaries(
            st.sampled_from(["respondent_id", "organisation", "leadership.now", "hr-tools-used", "bogus"]),
            st.one_of(
                st.none(),
                st.integers(-5, 15),
                st.text(max_size=5),
                st.floats(),
                st.lists(st.text(max_size=4), max_size=2),
                st.booleans(),
            ),
        ),
        min_size=1,
        max_size=10,
    )
)
def test_arbitrary_records_are_scored_or_rejected_never_crash(records: list[dict[str, Any]]) -> None:
    try:
        result = score(REG, SOP, records, scorers=["dimension-scores", "aggregate"])
    except ResponseError as exc:
        assert exc.problems
        return
    a = result.accounting
    assert a.input == len(records) == a.accepted + a.rejected
