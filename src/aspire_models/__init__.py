"""aspire-models: UK local-government HR and OD frameworks as typed data, survey instruments
as JSON documents, and scorers for them.

Importing the package has no side effects: nothing is loaded until you make a
:class:`Registry`.
"""

from aspire_models.engine import load_responses, score, score_responses
from aspire_models.errors import (
    AspireError,
    DocumentError,
    PluginError,
    Problem,
    ResponseError,
    ScoringError,
    UnknownIdError,
)
from aspire_models.framework import Element, ElementKind, Framework, SourceRef
from aspire_models.hookspecs import hookimpl
from aspire_models.instrument import Instrument
from aspire_models.limits import Limits
from aspire_models.registry import Registry
from aspire_models.result import Result
from aspire_models.scoring import Scorer, ScorerOutput, ScoringContext, Table

__version__ = "0.1.0"

__all__ = [
    "AspireError",
    "DocumentError",
    "Element",
    "ElementKind",
    "Framework",
    "Instrument",
    "Limits",
    "PluginError",
    "Problem",
    "Registry",
    "ResponseError",
    "Result",
    "Scorer",
    "ScorerOutput",
    "ScoringContext",
    "ScoringError",
    "SourceRef",
    "Table",
    "UnknownIdError",
    "__version__",
    "hookimpl",
    "load_responses",
    "score",
    "score_responses",
]
