"""The registry: hooks, validation of contributions, faulty plugins, strict mode, entry points."""

from __future__ import annotations

import sys
import types
from collections.abc import Mapping
from typing import Any

import attrs
import pytest

from aspire_models import PluginError, Registry, ScorerOutput, UnknownIdError, hookimpl
from tests.conftest import minimal_framework


def plugin(name: str, **hooks: Any) -> types.ModuleType:
    """A throwaway plugin module with the given hook implementations."""
    mod = types.ModuleType(name)
    for hook, fn in hooks.items():
        setattr(mod, hook, hookimpl(fn))
    return mod


def test_no_import_time_side_effects() -> None:
    import subprocess

    code = (
        "import sys, aspire_models; "
        "assert 'aspire_models.builtins' not in sys.modules, 'builtins imported at import time'; "
        "assert 'pluggy' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_registries_are_isolated(fresh_core: Registry) -> None:
    other = Registry(entry_points=False, plugins=[plugin("p", aspire_frameworks=lambda: [minimal_framework()])])
    assert "demo" in other.frameworks
    assert "demo" not in fresh_core.frameworks


def test_builtins_registered_through_hooks() -> None:
    bare = Registry(builtins=False, entry_points=False)
    assert dict(bare.frameworks) == {}
    from aspire_models import builtins

    bare.register(builtins, name="again")
    assert "cipd-hr-map" in bare.frameworks
    assert bare.owner("framework", "cipd-hr-map") == "again"


def test_plugin_that_raises_is_reported_and_rest_works() -> None:
    def boom() -> list[Any]:
        raise RuntimeError("database down")

    reg = Registry(entry_points=False, plugins=[plugin("flaky", aspire_frameworks=boom)])
    assert "cipd-sop-eight-themes" in reg.frameworks
    [problem] = reg.problems
    assert problem.plugin == "flaky"
    assert "database down" in problem.reason and "aspire_frameworks" in problem.reason


def test_invalid_contribution_is_refused_with_reason() -> None:
    bad = minimal_framework(id="bad-one")
    bad["elements"][0]["kind"] = "nonsense"
    reg = Registry(
        entry_points=False, plugins=[plugin("council", aspire_frameworks=lambda: [bad, minimal_framework()])]
    )
    assert "bad-one" not in reg.frameworks
    assert "demo" in reg.frameworks
    [problem] = reg.problems
    assert (problem.plugin, problem.item) == ("council", "bad-one")
    assert "$.elements[0].kind" in problem.reason and "declared-kind" in problem.reason


def test_duplicate_ids_name_both_plugins() -> None:
    reg = Registry(
        entry_points=False,
        plugins=[
            plugin("first", aspire_frameworks=lambda: [minimal_framework()]),
            plugin("second", aspire_frameworks=lambda: [minimal_framework()]),
        ],
    )
    assert reg.owner("framework", "demo") == "first"
    [problem] = reg.problems
    assert problem.plugin == "second" and "'first'" in problem.reason and "duplicate" in problem.reason


def test_wrong_return_type_is_reported() -> None:
    reg = Registry(entry_points=False, plugins=[plugin("odd", aspire_frameworks=lambda: minimal_framework())])
    [problem] = reg.problems
    assert problem.plugin == "odd" and "must return a list" in problem.reason


def test_strict_mode_fails_fast() -> None:
    reg = Registry(entry_points=False, strict=True, plugins=[plugin("odd", aspire_frameworks=lambda: 42)])
    with pytest.raises(PluginError) as exc:
        _ = reg.frameworks
    assert exc.value.plugin == "odd"


def test_instrument_with_unknown_element_is_refused(core: Registry) -> None:
    doc = core.instrument("ulrich-hr-competency-self-assessment").to_dict()
    doc["id"] = "broken"
    doc["items"][0]["element"] = "credible-activst"
    reg = Registry(entry_points=False, plugins=[plugin("council", aspire_instruments=lambda: [doc])])
    assert "broken" not in reg.instruments
    [problem] = reg.problems
    assert "$.items[0].element" in problem.reason and "did you mean 'credible-activist'" in problem.reason


def test_instrument_naming_unknown_scorer_is_refused(core: Registry) -> None:
    doc = core.instrument("ulrich-hr-competency-self-assessment").to_dict()
    doc["id"] = "broken"
    doc["scoring"] = [{"scorer": "dimension-scorez"}]
    reg = Registry(entry_points=False, plugins=[plugin("council", aspire_instruments=lambda: [doc])])
    assert "broken" not in reg.instruments
    assert "did you mean 'dimension-scores'" in reg.problems[0].reason


def test_instrument_with_bad_scorer_params_is_refused(core: Registry) -> None:
    doc = core.instrument("ulrich-hr-competency-self-assessment").to_dict()
    doc["id"] = "broken"
    doc["scoring"] = [{"scorer": "dimension-scores", "params": {"method": "median"}}]
    reg = Registry(entry_points=False, plugins=[plugin("council", aspire_instruments=lambda: [doc])])
    assert "broken" not in reg.instruments
    assert "median" in reg.problems[0].reason


@attrs.frozen
class _NoScore:
    id: str = "no-score"
    title: str = "x"
    description: str = "x"


def test_invalid_scorer_is_refused() -> None:
    @attrs.frozen
    class BadSchema:
        id: str = "bad-schema"
        title: str = "x"
        description: str = "x"
        designs: tuple[str, ...] = ("self-assessment",)
        params_schema: Mapping[str, Any] = attrs.field(factory=lambda: {"type": "not-a-type"})

        def score(self, ctx: Any, params: Any) -> ScorerOutput:
            raise NotImplementedError

    reg = Registry(entry_points=False, plugins=[plugin("s", aspire_scorers=lambda: [_NoScore(), BadSchema()])])
    assert "no-score" not in reg.scorers and "bad-schema" not in reg.scorers
    reasons = sorted(p.reason for p in reg.problems)
    assert any("score(ctx, params)" in r for r in reasons)
    assert any("params_schema" in r for r in reasons)


def test_unknown_ids_suggest(core: Registry) -> None:
    with pytest.raises(UnknownIdError, match="did you mean 'cipd-hr-map'"):
        core.framework("cipd-hr-mapp")
    with pytest.raises(UnknownIdError):
        core.instrument("nope")
    with pytest.raises(UnknownIdError):
        core.scorer("nope")


def test_entry_point_plugin_is_discovered() -> None:
    reg = Registry()
    names = {p.name: p for p in reg.plugins()}
    assert "council_values" in names, "install plugins/aspire-council-values (nox does)"
    info = names["council_values"]
    assert info.distribution == "aspire-council-values" and info.version
    assert "anytown-values" in reg.frameworks
    assert reg.owner("framework", "anytown-values") == "council_values"
    assert "top-box" in reg.scorers
    assert "anytown-values" not in Registry(entry_points=False).frameworks


def test_entry_point_that_fails_to_load_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.metadata as md

    broken = md.EntryPoint(name="broken", value="no_such_module_xyz", group="aspire_models")
    real = md.entry_points

    def fake(**kw: Any) -> Any:
        return [*list(real(**kw)), broken] if kw.get("group") == "aspire_models" else real(**kw)

    monkeypatch.setattr(md, "entry_points", fake)
    reg = Registry()
    assert any(p.plugin == "broken" and "no_such_module_xyz" in p.reason for p in reg.problems)
    assert "cipd-hr-map" in reg.frameworks
    with pytest.raises(PluginError, match="broken"):
        Registry(strict=True)
