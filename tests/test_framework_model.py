"""The framework model: look-ups, validation with paths and rules, exact round trips."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from aspire_models import DocumentError, Framework, UnknownIdError
from tests.conftest import minimal_framework


def test_lookup_by_id_and_kind() -> None:
    fw = Framework.from_dict(minimal_framework())
    assert fw.element("trust").name == "Trust"
    assert [e.id for e in fw.elements_of_kind("value")] == ["trust", "bravery"]
    assert "trust" in fw and "nope" not in fw
    assert len(fw) == 2


def test_unknown_element_suggests_close_ids() -> None:
    fw = Framework.from_dict(minimal_framework())
    with pytest.raises(UnknownIdError) as exc:
        fw.element("trsut")
    assert "did you mean 'trust'" in str(exc.value)
    assert "framework 'demo'" in str(exc.value)
    with pytest.raises(UnknownIdError):
        fw.kind("behaviour")


def test_not_given_definition_is_none_and_says_so() -> None:
    fw = Framework.from_dict(minimal_framework())
    assert fw.element("bravery").definition is None
    assert fw.element("bravery").definition_status == "not-given"


def _problems(doc: Any) -> list[tuple[str | None, str]]:
    with pytest.raises(DocumentError) as exc:
        Framework.from_dict(doc, source="bad.json")
    assert "bad.json" in str(exc.value)
    return [(p.path, p.rule) for p in exc.value.problems]


def test_missing_field_is_named() -> None:
    doc = minimal_framework()
    del doc["publisher"]
    assert ("$", "required") in _problems(doc)


def test_duplicate_element_id() -> None:
    doc = minimal_framework()
    doc["elements"][1]["id"] = "trust"
    probs = _problems(doc)
    assert ("$.elements[1].id", "unique-element-id") in probs


def test_unknown_kind() -> None:
    doc = minimal_framework()
    doc["elements"][0]["kind"] = "behaviour"
    assert ("$.elements[0].kind", "declared-kind") in _problems(doc)


def test_wrong_types() -> None:
    doc = minimal_framework()
    doc["elements"][0]["order"] = "first"
    doc["name"] = 7
    probs = _problems(doc)
    assert ("$.name", "type: 'string'") in probs
    assert ("$.elements[0].order", "type: 'integer'") in probs


def test_bad_identifier_pattern() -> None:
    doc = minimal_framework(id="Not An Id")
    [(path, rule)] = _problems(doc)
    assert path == "$.id" and rule.startswith("pattern")


def test_definition_required_unless_not_given() -> None:
    doc = minimal_framework()
    doc["elements"][0]["definition"] = None  # status says paraphrased
    probs = _problems(doc)
    assert any(path == "$.elements[0].definition" for path, _ in probs)


def test_parent_must_exist_and_not_cycle() -> None:
    doc = minimal_framework()
    doc["elements"][0]["parent"] = "ghost"
    assert ("$.elements[0].parent", "parent-exists") in _problems(doc)
    doc = minimal_framework()
    doc["elements"][0]["parent"] = "bravery"
    doc["elements"][1]["parent"] = "trust"
    probs = _problems(doc)
    assert ("$.elements[0].parent", "no-parent-cycle") in probs


def test_unknown_property_rejected() -> None:
    doc = minimal_framework()
    doc["elements"][0]["colour"] = "red"
    assert any(rule == "additionalProperties: False" for _, rule in _problems(doc))


def test_model_is_frozen() -> None:
    fw = Framework.from_dict(minimal_framework())
    with pytest.raises(AttributeError):
        fw.name = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        fw.element("trust").attributes["x"] = 1  # type: ignore[index]


# -- round trip property -------------------------------------------------------------------
ident = st.from_regex(r"\A[a-z0-9]{1,6}(-[a-z0-9]{1,4}){0,2}\Z")
text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=30)
source = st.fixed_dictionaries(
    {"document": text, "section": text},
    optional={
        "lines": st.tuples(st.integers(1, 9999), st.integers(1, 9999)).map(list),
        "name_lines": st.tuples(st.integers(1, 9999), st.integers(1, 9999)).map(list),
        "note": text,
    },
)


@st.composite
def framework_docs(draw: st.DrawFn) -> dict[str, Any]:
    kinds = draw(st.lists(ident, min_size=1, max_size=3, unique=True))
    ids = draw(st.lists(ident, min_size=1, max_size=8, unique=True))
    elements = []
    for n, eid in enumerate(ids):
        status = draw(st.sampled_from(["quoted", "paraphrased", "not-given"]))
        el: dict[str, Any] = {
            "id": eid,
            "name": draw(text),
            "kind": draw(st.sampled_from(kinds)),
            "definition": None if status == "not-given" else draw(text),
            "definition_status": status,
            "source": draw(source),
        }
        if draw(st.booleans()):
            el["name_status"] = draw(st.sampled_from(["quoted", "paraphrased", "project"]))
        if n and draw(st.booleans()):
            el["parent"] = draw(st.sampled_from(ids[:n]))  # earlier ids only: no cycles
        if draw(st.booleans()):
            el["order"] = draw(st.integers(0, 100))
        if draw(st.booleans()):
            el["attributes"] = draw(
                st.dictionaries(
                    st.from_regex(r"\A[a-z][a-z0-9_]{0,8}\Z"),
                    st.one_of(st.integers(-(10**6), 10**6), st.floats(allow_nan=False, allow_infinity=False)),
                    max_size=3,
                )
            )
            if not el["attributes"]:
                del el["attributes"]
        elements.append(el)
    doc: dict[str, Any] = {
        "id": draw(ident),
        "name": draw(text),
        "version": draw(text),
        "publisher": draw(text),
    }
    if draw(st.booleans()):
        doc["citation"] = draw(text)
    doc.update(
        {
            "description": draw(text),
            "source": draw(source),
            "kinds": [
                {"id": k, "name": draw(text)} | ({"description": draw(text)} if draw(st.booleans()) else {})
                for k in kinds
            ],
            "elements": elements,
        }
    )
    return doc


@given(framework_docs())
def test_dict_round_trip_is_exact(doc: dict[str, Any]) -> None:
    fw = Framework.from_dict(doc)
    assert fw.to_dict() == doc
    again = Framework.from_dict(json.loads(json.dumps(fw.to_dict())))
    assert again == fw
    assert json.dumps(again.to_dict(), sort_keys=True) == json.dumps(doc, sort_keys=True)


def test_name_status_is_one_of_three() -> None:
    doc = minimal_framework()
    doc["elements"][0]["name_status"] = "project"
    assert Framework.from_dict(doc).element("trust").name_status == "project"
    assert Framework.from_dict(minimal_framework()).element("trust").name_status is None
    doc["elements"][0]["name_status"] = "invented"
    [(path, rule)] = _problems(doc)
    assert path == "$.elements[0].name_status" and rule.startswith("enum")


def test_name_lines_round_trip() -> None:
    doc = minimal_framework()
    doc["elements"][0]["source"] = {"document": "notes.txt", "section": "1", "lines": [3, 4], "name_lines": [1, 1]}
    fw = Framework.from_dict(doc)
    assert fw.element("trust").source.name_lines == (1, 1)
    assert fw.to_dict()["elements"][0]["source"]["name_lines"] == [1, 1]
    doc["elements"][0]["source"]["name_lines"] = [0]
    paths = {path for path, _ in _problems(doc)}
    assert paths and all(p is not None and p.startswith("$.elements[0].source.name_lines") for p in paths)
