"""aspire-models: UK local-government HR and OD frameworks as typed data, survey instruments
as JSON documents, and scorers for them.

Importing the package has no side effects: nothing is loaded until you make a
:class:`Registry`. The names below are imported from their modules on first use, so that
``import aspire_models`` (and the ``aspire`` command) stay quick; numpy, pyarrow and the
rest load only when something needs them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from aspire_models.hookspecs import hookimpl

if TYPE_CHECKING:
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
    from aspire_models.instrument import Instrument
    from aspire_models.limits import Limits
    from aspire_models.registry import Registry
    from aspire_models.result import Result
    from aspire_models.scoring import Scorer, ScorerOutput, ScoringContext, Table

__version__ = "0.1.0"

#: where each public name is defined (imported on first use, see :func:`__getattr__`)
_LAZY = {
    "load_responses": "aspire_models.engine",
    "score": "aspire_models.engine",
    "score_responses": "aspire_models.engine",
    "AspireError": "aspire_models.errors",
    "DocumentError": "aspire_models.errors",
    "PluginError": "aspire_models.errors",
    "Problem": "aspire_models.errors",
    "ResponseError": "aspire_models.errors",
    "ScoringError": "aspire_models.errors",
    "UnknownIdError": "aspire_models.errors",
    "Element": "aspire_models.framework",
    "ElementKind": "aspire_models.framework",
    "Framework": "aspire_models.framework",
    "SourceRef": "aspire_models.framework",
    "Instrument": "aspire_models.instrument",
    "Limits": "aspire_models.limits",
    "Registry": "aspire_models.registry",
    "Result": "aspire_models.result",
    "Scorer": "aspire_models.scoring",
    "ScorerOutput": "aspire_models.scoring",
    "ScoringContext": "aspire_models.scoring",
    "Table": "aspire_models.scoring",
}

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


def __getattr__(name: str) -> Any:
    """Import a public name from its module the first time it is asked for (PEP 562)."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'aspire_models' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups do not come back here
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
