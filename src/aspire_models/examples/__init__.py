"""Bundled example data (synthetic), used by ``aspire demo``, the docs and the tests."""

from __future__ import annotations

from importlib.resources import as_file, files
from pathlib import Path

__all__ = ["example_path"]


def example_path(name: str) -> Path:
    """Filesystem path of a bundled example file (the package is installed unzipped)."""
    resource = files(__package__).joinpath(name)
    if not resource.is_file():
        available = sorted(p.name for p in files(__package__).iterdir() if not p.name.startswith("_"))
        raise FileNotFoundError(f"no example {name!r}; available: {', '.join(available)}")
    with as_file(resource) as path:
        return Path(path)
