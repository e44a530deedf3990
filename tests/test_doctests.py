"""The examples in docstrings (``>>>``) run, in every module of aspire_models.

The API reference (docs/api.rst) shows these docstrings, so an example that no longer runs is
a documentation bug; this test finds it. Modules are found by walking the package, so a new
module is covered without editing this file.
"""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import aspire_models

OPTIONS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def modules() -> list[str]:
    found = ["aspire_models"]
    found += [m.name for m in pkgutil.walk_packages(aspire_models.__path__, prefix="aspire_models.")]
    return sorted(found)


def run_doctests(name: str) -> tuple[int, int, str]:
    """(examples tried, examples failed, failure report) for one module."""
    module = importlib.import_module(name)
    runner = doctest.DocTestRunner(optionflags=OPTIONS)
    report: list[str] = []
    for test in doctest.DocTestFinder(exclude_empty=True).find(module, name):
        runner.run(test, out=report.append)
    return runner.tries, runner.failures, "".join(report)


@pytest.mark.parametrize("name", modules())
def test_docstring_examples(name: str) -> None:
    _, failed, report = run_doctests(name)
    assert failed == 0, f"doctest failures in {name}:\n{report}"


def test_examples_are_found() -> None:
    """Guard against the finder silently finding nothing (a wrong import, a renamed module)."""
    for name in ("aspire_models.registry", "aspire_models.engine", "aspire_models.framework"):
        tried, _, _ = run_doctests(name)
        assert tried > 0, f"no docstring examples found in {name}"
