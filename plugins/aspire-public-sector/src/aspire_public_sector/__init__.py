"""First-party aspire-models plugin: the public-sector frameworks of the source documents,
self-assessment instruments on six of them, and synthetic example responses.

Registered only through the public hooks (entry point ``public_sector`` in the group
``aspire_models``); importing :mod:`aspire_models` never imports this package.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib.resources import files
from importlib.resources.abc import Traversable

from aspire_models import hookimpl

__all__ = ["aspire_frameworks", "aspire_instruments", "example_path"]


def _json_files(folder: str) -> list[Traversable]:
    """The JSON documents in one folder of this package, sorted by file name."""
    return sorted(
        (p for p in files(__name__).joinpath(folder).iterdir() if p.name.endswith(".json")),
        key=lambda p: p.name,
    )


@hookimpl
def aspire_frameworks() -> Sequence[Traversable]:
    return _json_files("frameworks")


@hookimpl
def aspire_instruments() -> Sequence[Traversable]:
    return _json_files("instruments")


def example_path(instrument_id: str) -> Traversable:
    """The bundled synthetic example responses for one of this plugin's instruments."""
    folder = files(__name__).joinpath("examples")
    resource = folder.joinpath(f"{instrument_id}.csv")
    if not resource.is_file():
        available = sorted(p.name.removesuffix(".csv") for p in folder.iterdir() if p.name.endswith(".csv"))
        raise FileNotFoundError(f"no example for {instrument_id!r}; available: {', '.join(available)}")
    return resource
