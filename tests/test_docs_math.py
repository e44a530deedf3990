"""Formulas readable offline: every ``:math:`` and ``.. math::`` formula of the docs and of the
package's docstrings renders as HTML text (docs/_ext/aspire_math.py), with no LaTeX left."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import aspire_models

pytest.importorskip("sphinx")

DOCS = Path(__file__).resolve().parents[1] / "docs"
_ROLE = re.compile(r":math:`([^`]+)`")
_BLOCK = re.compile(r"^([ \t]*)\.\. math::[^\n]*\n((?:\1[ \t]+[^\n]*\n|[ \t]*\n)+)", re.M)


@pytest.fixture(scope="module")
def to_html() -> object:
    sys.path.insert(0, str(DOCS / "_ext"))
    try:
        import aspire_math
    finally:
        sys.path.remove(str(DOCS / "_ext"))
    return aspire_math.to_html


def formulas(text: str) -> Iterator[str]:
    yield from _ROLE.findall(text)
    for m in _BLOCK.finditer(text):
        body = "\n".join(line.strip() for line in m.group(2).splitlines() if not line.strip().startswith(":"))
        if body.strip():
            yield body


def docstrings() -> Iterator[str]:
    for info in pkgutil.walk_packages(aspire_models.__path__, prefix="aspire_models."):
        try:
            module = importlib.import_module(info.name)
        except ImportError:  # an optional extra (dask) not installed
            continue
        yield inspect.getdoc(module) or ""
        for _, obj in inspect.getmembers(module):
            if getattr(obj, "__module__", None) == info.name:
                yield inspect.getdoc(obj) or ""
                for _, member in inspect.getmembers(obj):
                    yield (inspect.getdoc(member) or "") if callable(member) else ""


def all_formulas() -> list[str]:
    found = [f for page in DOCS.glob("*.rst") for f in formulas(page.read_text(encoding="utf-8"))]
    found += [f for doc in docstrings() for f in formulas(doc)]
    return sorted(set(found))


def test_every_formula_renders_without_latex(to_html: object) -> None:
    found = all_formulas()
    assert len(found) > 50  # the docs and the methods' docstrings hold many
    for tex in found:
        out = to_html(tex)  # type: ignore[operator]
        assert "\\" not in out, (tex, out)
        assert out.strip(), tex


def test_rendering(to_html: object) -> None:
    render = to_html
    assert render(r"\bar x = \sum x / n") == '<span class="bar"><i>x</i></span> = ∑<i>x</i>/<i>n</i>'  # type: ignore[operator]
    assert render(r"s_p^2") == "<i>s</i><sub><i>p</i></sub><sup>2</sup>"  # type: ignore[operator]
    frac = render(r"\frac{a}{b}")  # type: ignore[operator]
    assert frac == '<span class="frac"><span><i>a</i></span><span><i>b</i></span></span>'
    assert render(r"\alpha \le \hat\sigma^2") == "α ≤ σ\u0302<sup>2</sup>"  # type: ignore[operator]
    assert render(r"x < y") == "<i>x</i> &lt; <i>y</i>"  # type: ignore[operator]


def test_unknown_commands_are_refused(to_html: object) -> None:
    sys.path.insert(0, str(DOCS / "_ext"))
    try:
        from aspire_math import UnknownCommandError
    finally:
        sys.path.remove(str(DOCS / "_ext"))
    with pytest.raises(UnknownCommandError):
        to_html(r"\notacommand x")  # type: ignore[operator]
    with pytest.raises(UnknownCommandError):
        to_html(r"\begin{matrix} 1 \end{matrix}")  # type: ignore[operator]


def test_no_mathjax_in_the_configuration() -> None:
    conf = (DOCS / "conf.py").read_text(encoding="utf-8")
    assert 'html_math_renderer = "aspire_text"' in conf and "mathjax" not in conf.split("extensions")[1].split("]")[0]
