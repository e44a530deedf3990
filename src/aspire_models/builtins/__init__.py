"""The built-in plugin: the core frameworks, instruments and scorers.

It is registered by :class:`~aspire_models.registry.Registry` through exactly the same hooks
as any third-party plugin, and reads its documents from the JSON files beside this module.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import TYPE_CHECKING

from aspire_models.hookspecs import hookimpl

if TYPE_CHECKING:
    from aspire_models.formats.base import Reader
    from aspire_models.scoring import Scorer


def _json_files(folder: str) -> list[Traversable]:
    return sorted(
        (p for p in files(__package__).joinpath(folder).iterdir() if p.name.endswith(".json")), key=lambda p: p.name
    )


@hookimpl
def aspire_frameworks() -> Sequence[Traversable]:
    return _json_files("frameworks")


@hookimpl
def aspire_instruments() -> Sequence[Traversable]:
    return _json_files("instruments")


@hookimpl
def aspire_scorers() -> Sequence[Scorer]:
    # imported here, not at the top: listing frameworks needs no scorer (nor numpy and pyarrow)
    from aspire_models.scorers.aggregate import AggregateScorer
    from aspire_models.scorers.benchmark import BenchmarkScorer
    from aspire_models.scorers.breakdown import BreakdownScorer
    from aspire_models.scorers.diffusion import DiffusionScorer
    from aspire_models.scorers.dimensions import DimensionScorer
    from aspire_models.scorers.multiselect import MultiSelectScorer
    from aspire_models.scorers.priority import PriorityScorer
    from aspire_models.scorers.reliability import ReliabilityScorer
    from aspire_models.scorers.review360 import Review360Scorer, TeamViewScorer

    return [
        DimensionScorer(),
        AggregateScorer(),
        PriorityScorer(),
        MultiSelectScorer(),
        ReliabilityScorer(),
        BenchmarkScorer(),
        BreakdownScorer(),
        Review360Scorer(),
        TeamViewScorer(),
        DiffusionScorer(),
    ]


@hookimpl
def aspire_readers() -> Sequence[Reader]:
    # the source formats: Qualtrics, SurveyMonkey, Google Forms, Microsoft Forms, LimeSurvey,
    # delimited text and workbooks (aspire_models.formats)
    from aspire_models.formats import builtin_readers

    return builtin_readers()
