"""A scorer that never returns, exits or raises a BaseException is contained: the run goes on
without it, names it, and the program still exits."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from collections.abc import Mapping
from typing import Any

import attrs
import pytest

from aspire_models import Registry, score
from aspire_models.errors import ScoringError
from aspire_models.examples import example_path
from aspire_models.hookspecs import hookimpl
from aspire_models.scoring import ScorerOutput, ScoringContext

SOP = "aspire-sop-self-assessment"


@attrs.frozen
class _Bad:
    id: str
    action: str
    title: str = "bad"
    description: str = "misbehaves"
    designs: tuple[str, ...] = ("self-assessment",)
    params_schema: Mapping[str, Any] = attrs.field(factory=lambda: {"type": "object"})

    def score(self, ctx: ScoringContext, params: Mapping[str, Any]) -> ScorerOutput:
        if self.action == "hang":
            time.sleep(10_000)
        if self.action == "exit":
            raise SystemExit(3)
        raise KeyboardInterrupt


class _Plugin:
    @hookimpl
    def aspire_scorers(self) -> list[Any]:
        return [_Bad("hangs", "hang"), _Bad("exits", "exit"), _Bad("interrupts", "interrupt")]


def _registry() -> Registry:
    return Registry(entry_points=False, plugins=[_Plugin()])


@pytest.mark.parametrize(
    ("scorer", "reason"), [("hangs", "timeout"), ("exits", "SystemExit"), ("interrupts", "KeyboardInterrupt")]
)
def test_bad_scorer_is_left_out_and_named(scorer: str, reason: str) -> None:
    r = score(_registry(), SOP, example_path("aspire-sop-responses.csv"), scorers=["aggregate", scorer], timeout=0.5)
    assert [o.scorer for o in r.outputs] == ["aggregate"]
    [failure] = r.failures
    assert failure.scorer == scorer and reason in failure.reason


def test_strict_mode_names_the_scorer() -> None:
    with pytest.raises(ScoringError, match=r"'exits'.*SystemExit"):
        score(_registry(), SOP, example_path("aspire-sop-responses.csv"), scorers=["exits"], timeout=0.5, strict=True)


def test_a_never_returning_scorer_does_not_keep_the_program_alive() -> None:
    code = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(__import__("pathlib").Path(__file__).parent)!r})
        from test_scorer_guard import _registry, SOP
        from aspire_models import score
        from aspire_models.examples import example_path
        r = score(_registry(), SOP, example_path("aspire-sop-responses.csv"), scorers=["hangs"], timeout=0.5)
        print(len(r.failures))
        """
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "1"
