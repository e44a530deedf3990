"""Instrument documents: schema, internal and framework cross-references, response schema."""

from __future__ import annotations

import copy
from typing import Any

import jsonschema
import pytest

from aspire_models import DocumentError, Instrument, Registry


@pytest.fixture()
def ulrich_doc(core: Registry) -> dict[str, Any]:
    return copy.deepcopy(core.instrument("ulrich-hr-competency-self-assessment").to_dict())


def problems(doc: Any) -> list[tuple[str | None, str]]:
    with pytest.raises(DocumentError) as exc:
        Instrument.from_dict(doc)
    return [(p.path, p.rule) for p in exc.value.problems]


def test_round_trip(core: Registry) -> None:
    for ins in core.instruments.values():
        assert Instrument.from_dict(ins.to_dict()).to_dict() == ins.to_dict()


def test_aspire_instrument_structure(core: Registry) -> None:
    ins = core.instrument("aspire-sop-self-assessment")
    assert ins.mode_ids == ("now", "future")
    assert ins.elements_measured() == tuple(e.id for e in core.framework("cipd-sop-eight-themes").elements)
    cols = {c.name: c.kind for c in ins.columns()}
    assert cols["leadership.now"] == "numeric" and cols["leadership.future"] == "numeric"
    for q in ("used", "needed", "barriers"):
        assert cols[f"hr-tools-{q}"] == "multi-select"
    assert sum(1 for c in ins.open_questions if c.element) == 24  # three per theme
    scale = ins.scale("attainment")
    assert (scale.min, scale.max) == (1, 10)  # type: ignore[union-attr]
    tools = ins.scale("hr-tools")
    assert "performance-and-reward" in tools.option_ids  # type: ignore[union-attr]


def test_ulrich_items_trace_to_competencies(core: Registry) -> None:
    ins = core.instrument("ulrich-hr-competency-self-assessment")
    fw = core.framework("ulrich-hr-competencies")
    assert set(ins.elements_measured()) == {e.id for e in fw.elements}
    for item in ins.items:
        assert item.traces_to and fw.element(item.element or "").name in item.traces_to
    assert sum(i.reverse for i in ins.items) == 6


def test_unknown_scale_and_mode(ulrich_doc: dict[str, Any]) -> None:
    ulrich_doc["items"][0]["scale"] = "agreemnt"
    ulrich_doc["items"][1]["modes"] = ["now"]
    probs = problems(ulrich_doc)
    assert ("$.items[0].scale", "scale-exists") in probs
    assert ("$.items[1].modes", "mode-exists") in probs


def test_duplicate_item_ids(ulrich_doc: dict[str, Any]) -> None:
    ulrich_doc["items"][1]["id"] = ulrich_doc["items"][0]["id"]
    assert ("$.items[1].id", "unique-item-id") in problems(ulrich_doc)


def test_numeric_item_needs_element(ulrich_doc: dict[str, Any]) -> None:
    del ulrich_doc["items"][0]["element"]
    assert ("$.items[0].element", "element-required") in problems(ulrich_doc)


def test_schema_errors_name_path(ulrich_doc: dict[str, Any]) -> None:
    ulrich_doc["version"] = "one"
    ulrich_doc["items"][0]["weight"] = -1
    probs = problems(ulrich_doc)
    assert ("$.version", "pattern: '^[0-9]+\\\\.[0-9]+(\\\\.[0-9]+)?$'") in probs or any(
        p == "$.version" for p, _ in probs
    )
    assert any(p == "$.items[0].weight" for p, _ in probs)


def test_framework_version_mismatch(core: Registry) -> None:
    doc = copy.deepcopy(core.instrument("aspire-sop-self-assessment").to_dict())
    doc["framework_version"] = "2099"
    ins = Instrument.from_dict(doc)
    with pytest.raises(DocumentError, match="framework-version"):
        ins.bind(core.framework("cipd-sop-eight-themes"), core.framework)


def test_digest_is_stable_and_content_sensitive(core: Registry, ulrich_doc: dict[str, Any]) -> None:
    a = Instrument.from_dict(ulrich_doc).digest()
    assert a == Instrument.from_dict(copy.deepcopy(ulrich_doc)).digest()
    ulrich_doc["items"][0]["text"] += "!"
    assert Instrument.from_dict(ulrich_doc).digest() != a


def test_response_record_schema(core: Registry) -> None:
    ins = core.instrument("aspire-sop-self-assessment")
    schema = ins.response_record_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    v = jsonschema.Draft202012Validator(schema)
    assert v.is_valid({"respondent_id": "a", "leadership.now": 7, "hr-tools-used": ["employee-relations"]})
    assert not v.is_valid({"respondent_id": "a", "leadership.now": 11})
    assert not v.is_valid({"respondent_id": "a", "leadership.now": 7.5})
    assert not v.is_valid({"respondent_id": "a", "hr-tools-used": ["astrology"]})
    assert not v.is_valid({"leadership.now": 7})
