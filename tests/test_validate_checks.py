"""`aspire validate` runs exactly the checks that loading an instrument for scoring runs
(:mod:`aspire_models.checks`): the registry refuses, ``load_instrument`` refuses and
``validate`` refuses the same documents, naming the same JSON paths and rules."""

from __future__ import annotations

import copy
import json
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from aspire_models import DocumentError, Framework, Registry
from aspire_models.checks import check_instrument, instrument_problems
from aspire_models.hookspecs import hookimpl
from aspire_models.instrument import Instrument
from tests.conftest import minimal_framework
from tests.test_cli import run

REG = Registry(entry_points=False)


def plugin(name: str, **hooks: Any) -> types.ModuleType:
    mod = types.ModuleType(name)
    for hook, fn in hooks.items():
        setattr(mod, hook, hookimpl(fn))
    return mod


def sop() -> dict[str, Any]:
    doc = REG.instrument("aspire-sop-self-assessment").to_dict()
    doc["id"] = "broken"
    return copy.deepcopy(doc)


def unknown_scorer(doc: dict[str, Any]) -> None:
    doc["scoring"] = [{"scorer": "dimension-scores"}, {"scorer": "gap-priorty"}]


def param_of_wrong_type(doc: dict[str, Any]) -> None:
    doc["scoring"] = [{"scorer": "dimension-scores", "params": {"min_answered": "all"}}]


def scorer_for_another_design(doc: dict[str, Any]) -> None:
    doc["scoring"] = [{"scorer": "review-360"}]


def no_whole_number_on_scale(doc: dict[str, Any]) -> None:
    scale = next(s for s in doc["scales"] if s["type"] == "numeric")
    scale.update(min=1.2, max=1.8)
    scale.pop("anchors", None)


def unknown_element(doc: dict[str, Any]) -> None:
    doc["items"][3]["element"] = "leadershp"


def unknown_framework(doc: dict[str, Any]) -> None:
    doc["framework"] = "cipd-sop-eight-themez"


# (break the document, JSON path named, rule)
BROKEN: list[tuple[Callable[[dict[str, Any]], None], str, str]] = [
    (unknown_scorer, "$.scoring[1].scorer", "known-scorer"),
    (param_of_wrong_type, "$.scoring[0].params.min_answered", "oneOf"),
    (scorer_for_another_design, "$.scoring[0].scorer", "scorer-design"),
    (no_whole_number_on_scale, "$.scales[0]", "scale-accepts-answer"),
    (unknown_element, "$.items[3].element", "element-exists"),
    (unknown_framework, "$.framework", "known-framework"),
]
IDS = [b[0].__name__ for b in BROKEN]


def broken(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    doc = sop()
    change(doc)
    return doc


def test_the_built_in_instruments_pass() -> None:
    for ins in REG.instruments.values():
        assert instrument_problems(ins, REG.frameworks, REG.scorers) == [], ins.id


@pytest.mark.parametrize(("change", "path", "rule"), BROKEN, ids=IDS)
def test_api_names_the_problem(change: Callable[[dict[str, Any]], None], path: str, rule: str) -> None:
    ins = Instrument.from_dict(broken(change))
    found = instrument_problems(ins, REG.frameworks, REG.scorers)
    assert [(p.path, p.rule) for p in found] == [(path, rule)]
    if rule == "known-scorer":
        assert "did you mean 'gap-priority'" in found[0].message
    with pytest.raises(DocumentError) as exc:
        check_instrument(ins, REG.frameworks, REG.scorers, source="ins.json")
    assert [(p.path, p.rule, p.file) for p in exc.value.problems] == [(path, rule, "ins.json")]


@pytest.mark.parametrize(("change", "path", "rule"), BROKEN, ids=IDS)
def test_the_registry_refuses_the_same(change: Callable[[dict[str, Any]], None], path: str, rule: str) -> None:
    doc = broken(change)
    reg = Registry(entry_points=False, plugins=[plugin("council", aspire_instruments=lambda: [doc])])
    assert "broken" not in reg.instruments
    [problem] = reg.problems
    assert problem.item == "broken" and path in problem.reason and rule in problem.reason


@pytest.mark.parametrize(("change", "path", "rule"), BROKEN, ids=IDS)
def test_load_instrument_and_validate_refuse_the_same(
    change: Callable[[dict[str, Any]], None], path: str, rule: str, tmp_path: Path
) -> None:
    file = tmp_path / "ins.json"
    file.write_text(json.dumps(broken(change)))
    with pytest.raises(DocumentError) as exc:
        REG.load_instrument(file)
    assert [(p.path, p.rule) for p in exc.value.problems] == [(path, rule)]
    r = run("validate", str(file), "--no-plugins")
    assert r.returncode == 1, r.stdout
    assert path in r.stderr and f"rule: {rule}" in r.stderr and str(file) in r.stderr
    assert "valid instrument" not in r.stdout


def test_multi_select_over_a_kind_without_elements_accepts_no_answer() -> None:
    fw_doc = minimal_framework(kinds=[{"id": "value", "name": "Value"}, {"id": "habit", "name": "Habit"}])
    fw = Framework.from_dict(fw_doc)
    doc = {
        "id": "demo-check",
        "version": "1.0",
        "title": "Demo",
        "description": "Demo.",
        "design": "self-assessment",
        "framework": "demo",
        "scales": [
            {"id": "agree", "type": "numeric", "min": 1, "max": 5},
            {"id": "habits", "type": "multi-select", "options": {"framework": "demo", "kind": "habit"}},
        ],
        "items": [
            {"id": "trust", "text": "We trust.", "scale": "agree", "element": "trust"},
            {"id": "habits", "text": "Which habits?", "scale": "habits"},
        ],
        "scoring": [{"scorer": "dimension-scores"}],
    }
    ins = Instrument.from_dict(doc)
    found = instrument_problems(ins, {"demo": fw}, REG.scorers)
    assert [(p.path, p.rule) for p in found] == [("$.scales[1].options", "scale-accepts-answer")]
    doc["scales"][1]["options"]["kind"] = "value"
    assert instrument_problems(Instrument.from_dict(doc), {"demo": fw}, REG.scorers) == []


def _plugin_folder(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A plugin's folder: a framework only there, and an instrument on it."""
    folder = tmp_path / "plugin"
    (folder / "frameworks").mkdir(parents=True)
    (folder / "instruments").mkdir()
    fw = folder / "frameworks" / "demo.json"
    fw.write_text(json.dumps(minimal_framework()))
    ins = folder / "instruments" / "demo-check.json"
    ins.write_text(
        json.dumps(
            {
                "id": "demo-check",
                "version": "1.0",
                "title": "Demo",
                "description": "Demo.",
                "design": "self-assessment",
                "framework": "demo",
                "scales": [{"id": "agree", "type": "numeric", "min": 1, "max": 5}],
                "items": [
                    {"id": "trust", "text": "We trust.", "scale": "agree", "element": "trust"},
                    {"id": "brave", "text": "We are brave.", "scale": "agree", "element": "bravery"},
                ],
                "scoring": [{"scorer": "dimension-scores"}, {"scorer": "aggregate"}],
            }
        )
    )
    return folder, fw, ins


def test_validate_takes_the_framework_from_a_file(tmp_path: Path) -> None:
    _, fw, ins = _plugin_folder(tmp_path)
    r = run("validate", str(ins), "--no-plugins")
    assert r.returncode == 1 and "$.framework" in r.stderr and "'demo'" in r.stderr
    r = run("validate", str(ins), "--no-plugins", "--framework", str(fw))
    assert r.returncode == 0, r.stderr
    assert "valid instrument" in r.stdout
    r = run("validate", str(ins), "--no-plugins", "--framework", str(fw.parent))  # a folder of frameworks
    assert r.returncode == 0, r.stderr


def test_validate_a_plugin_folder(tmp_path: Path) -> None:
    folder, _, ins = _plugin_folder(tmp_path)
    r = run("validate", str(folder), "--no-plugins")
    assert r.returncode == 0, r.stderr
    assert "2 of 2 documents valid" in r.stdout
    doc = json.loads(ins.read_text())
    doc["scoring"][1]["params"] = {"min_group_size": "five"}
    doc["items"][1]["element"] = "braveryy"
    ins.write_text(json.dumps(doc))
    r = run("validate", str(folder), "--no-plugins")
    assert r.returncode == 1
    assert "1 of 2 documents valid" in r.stdout and "valid framework" in r.stdout
    assert str(ins) in r.stderr and "$.items[1].element" in r.stderr and "did you mean 'bravery'" in r.stderr
    assert "$.scoring[1].params" in r.stderr
    # and the API agrees, with the framework from the folder
    fw = Framework.from_dict(minimal_framework())
    found = instrument_problems(Instrument.from_dict(doc), {"demo": fw}, REG.scorers)
    assert {p.path for p in found} == {"$.items[1].element", "$.scoring[1].params.min_group_size"}
