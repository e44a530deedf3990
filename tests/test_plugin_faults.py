"""Faulty plugins are isolated: reported by name, the run goes on (or stops, in strict mode)."""

from __future__ import annotations

import time
import types
from collections.abc import Mapping
from typing import Any

import attrs
import numpy as np
import pytest

from aspire_models import PluginError, Registry, ScorerOutput, ScoringContext, Table, hookimpl, score
from aspire_models.examples import example_path

SOP = "aspire-sop-self-assessment"


@attrs.frozen
class Custom:
    id: str
    behaviour: str
    title: str = "custom"
    description: str = "custom"
    designs: tuple[str, ...] = ("self-assessment",)
    params_schema: Mapping[str, Any] = attrs.field(factory=lambda: {"type": "object"})

    def score(self, ctx: ScoringContext, params: Mapping[str, Any]) -> Any:
        if self.behaviour == "raise":
            raise RuntimeError("boom")
        if self.behaviour == "wrong-type":
            return {"not": "an output"}
        if self.behaviour == "slow":
            time.sleep(3)
        if self.behaviour == "mutate-data":
            ctx.data.numeric[:] = 0  # must be refused: inputs are read-only
        if self.behaviour == "mutate-params":
            params["added"] = True  # type: ignore[index]
        return ScorerOutput(self.id, params, (Table("t", "sector", {"x": np.array([1.0])}),))


def registry_with(*scorers: Custom, strict: bool = False) -> Registry:
    plugin = types.ModuleType("faulty_plugin")
    plugin.aspire_scorers = hookimpl(lambda: list(scorers))  # type: ignore[attr-defined]
    return Registry(entry_points=False, plugins=[plugin], strict=strict)


@pytest.mark.parametrize(
    ("behaviour", "needle"),
    [
        ("raise", "RuntimeError: boom"),
        ("wrong-type", "returned dict, not ScorerOutput"),
        ("mutate-data", "read-only"),
    ],
)
def test_faulty_scorer_is_left_out_and_named(behaviour: str, needle: str) -> None:
    reg = registry_with(Custom("bad", behaviour))
    r = score(reg, SOP, example_path("aspire-sop-responses.csv"), scorers=["dimension-scores", "bad", "aggregate"])
    assert [o.scorer for o in r.outputs] == ["dimension-scores", "aggregate"]
    [failure] = r.failures
    assert (failure.scorer, failure.plugin) == ("bad", "faulty_plugin") and needle in failure.reason
    assert "faulty_plugin" in r.to_json()
    # the shared data is intact for the scorers after it
    assert r.output("aggregate").summary["respondents"] == 14


def test_slow_scorer_times_out() -> None:
    reg = registry_with(Custom("slow", "slow"))
    started = time.monotonic()
    r = score(reg, SOP, example_path("aspire-sop-responses.csv"), scorers=["slow", "aggregate"], timeout=0.5)
    assert time.monotonic() - started < 2.5
    assert "timeout" in r.failures[0].reason and r.failures[0].plugin == "faulty_plugin"
    assert [o.scorer for o in r.outputs] == ["aggregate"]


def test_params_are_copies() -> None:
    reg = registry_with(Custom("mut", "mutate-params"))
    r = score(reg, SOP, example_path("aspire-sop-responses.csv"), scorers=["mut"])
    assert "added" not in r.output("mut").params


def test_strict_mode_stops() -> None:
    reg = registry_with(Custom("bad", "raise"), strict=True)
    with pytest.raises(PluginError, match="boom") as exc:
        score(reg, SOP, example_path("aspire-sop-responses.csv"), scorers=["bad"])
    assert exc.value.plugin == "faulty_plugin"


def test_slow_hook_is_left_out() -> None:
    plugin = types.ModuleType("sleepy")

    def frameworks() -> list[Any]:
        time.sleep(3)
        return []

    plugin.aspire_frameworks = hookimpl(frameworks)  # type: ignore[attr-defined]
    reg = Registry(entry_points=False, plugins=[plugin], hook_timeout=0.3)
    assert "cipd-hr-map" in reg.frameworks
    assert any(p.plugin == "sleepy" and "timeout" in p.reason for p in reg.problems)
