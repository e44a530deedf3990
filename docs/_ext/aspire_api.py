"""Sphinx extension: the API reference and the methods page, generated from the package.

``.. aspire-api:: aspire_models``
    One section per public module of the package (found with :mod:`pkgutil`, so a new
    module is documented without editing the docs), each an ``automodule`` with its
    members. Per-module options come from the ``aspire_api_options`` config value
    (``{module: [":members: a, b", ...]}``).
``.. aspire-methods::``
    One section per module of ``aspire_models.scorers`` and ``aspire_models.stats``: the
    module docstring (where the formulas and references live), then selected functions'
    docstrings (without their Returns, Raises and Examples sections), and links to the
    scorers implemented there and to the API. Content lines give the order, titles and
    functions (``module: Title | func, func``); modules not listed follow, titled by the
    first sentence of their docstring. Labels ``method-<module>``.

Footnotes and citations in docstrings (``.. [1]``, ``[1]_``, ``.. [Bass1969]``) are scoped
to their module when rendered (``[#<module>-1]``): numbered footnotes are local to a page and
citations global to the site, so without this two modules' ``[1]`` on one page, or one
module's citations on both the API and the methods page, would collide.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import re
import sys
from collections.abc import Iterator
from types import ModuleType
from typing import Any

from aspire_nodes import literal, para, pyref, ref, section
from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.ext.napoleon.docstring import NumpyDocstring
from sphinx.util.docutils import SphinxDirective
from sphinx.util.typing import ExtensionMetadata

METHOD_PACKAGES = ("aspire_models.scorers", "aspire_models.stats")

_LABEL = r"([A-Za-z0-9][A-Za-z0-9_.-]*)"
_FOOTNOTE = re.compile(r"^(\s*)\.\. \[" + _LABEL + r"\]", re.MULTILINE)
_FOOTNOTE_REF = re.compile(r"(?<![\w`\[])\[" + _LABEL + r"\]_")


def scope_footnotes(text: str, scope: str) -> str:
    """Rewrite footnote and citation labels to auto-numbered footnotes scoped to ``scope``."""

    def label(name: str) -> str:
        return f"#{scope}-{name}".lower()

    text = _FOOTNOTE.sub(lambda m: f"{m.group(1)}.. [{label(m.group(2))}]", text)
    return _FOOTNOTE_REF.sub(lambda m: f"[{label(m.group(1))}]_", text)


def module_of(name: str) -> str:
    """The longest importable prefix of a dotted name (the module an object lives in)."""
    parts = name.split(".")
    while parts and ".".join(parts) not in sys.modules:
        parts.pop()
    return ".".join(parts) or name


def public_modules(package: str) -> Iterator[str]:
    """The package and its submodules, recursively, skipping private (``_x``) names."""
    pkg = importlib.import_module(package)
    yield package
    for info in sorted(pkgutil.walk_packages(pkg.__path__, prefix=package + "."), key=lambda i: i.name):
        if not any(part.startswith("_") for part in info.name.split(".")):
            yield info.name


def method_modules() -> list[str]:
    return [m for pkg in METHOD_PACKAGES for m in public_modules(pkg) if m != pkg]


def _process_docstring(app: Sphinx, what: str, name: str, obj: Any, options: Any, lines: list[str]) -> None:
    if not name.startswith("aspire_models"):
        return
    scope = name if what == "module" else module_of(name)
    lines[:] = scope_footnotes("\n".join(lines), scope).split("\n")


class ApiDirective(SphinxDirective):
    """``.. aspire-api:: PACKAGE`` an ``automodule`` section for every public module."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        overrides: dict[str, list[str]] = self.config.aspire_api_options
        lines: list[str] = []
        for modname in public_modules(self.arguments[0]):
            title = f"``{modname}``"
            lines += [title, "-" * len(title), "", f".. automodule:: {modname}"]
            lines += [f"   {opt}" for opt in overrides.get(modname, [":members:", ":show-inheritance:"])]
            lines.append("")
        return self.parse_text_to_nodes("\n".join(lines), allow_section_headings=True)


_DROP_SECTIONS = {"returns", "raises", "examples", "yields", "warns"}


def numpydoc_without(doc: str, drop: set[str]) -> str:
    """A numpydoc docstring without the named sections (header line + dashes underline)."""
    lines = doc.splitlines()
    out: list[str] = []
    skipping = False
    for i, line in enumerate(lines):
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        is_header = bool(line.strip()) and set(nxt.strip()) == {"-"} and len(nxt.strip()) == len(line.strip())
        if is_header:
            skipping = line.strip().lower() in drop
        if not skipping:
            out.append(line)
    return "\n".join(out)


def first_sentence(doc: str) -> str:
    para_text = " ".join(doc.strip().split("\n\n", 1)[0].split())
    return re.split(r"[:.](\s|$)", para_text, maxsplit=1)[0]


class MethodsDirective(SphinxDirective):
    """``.. aspire-methods::`` one section per scorer and statistics module."""

    has_content = True
    option_spec = {"packages": directives.unchanged}  # noqa: RUF012 - docutils API

    def run(self) -> list[nodes.Node]:
        from aspire_catalogue import registry

        self.env.note_reread()
        listed: dict[str, tuple[str | None, list[str]]] = {}
        for line in self.content:
            if not line.strip():
                continue
            head, _, funcs = line.partition("|")
            mod, _, title = head.partition(":")
            listed[mod.strip()] = (title.strip() or None, [f.strip() for f in funcs.split(",") if f.strip()])
        unknown = set(listed) - set(method_modules())
        if unknown:
            raise self.error(f"aspire-methods: not a module of {', '.join(METHOD_PACKAGES)}: {', '.join(sorted(unknown))}")
        order = list(listed) + [m for m in method_modules() if m not in listed]
        scorers: dict[str, list[str]] = {}
        for scorer in registry().scorers.values():
            scorers.setdefault(type(scorer).__module__, []).append(scorer.id)
        out: list[nodes.Node] = []
        for modname in order:
            title, funcs = listed.get(modname, (None, []))
            out.append(self.module_section(importlib.import_module(modname), title, funcs, scorers.get(modname, [])))
        return out

    def render(self, doc: str, what: str, name: str, obj: Any, scope: str) -> list[nodes.Node]:
        text = str(NumpyDocstring(doc, self.config, what=what, name=name, obj=obj))  # type: ignore[arg-type]
        return self.parse_text_to_nodes(scope_footnotes(text, scope), allow_section_headings=True)

    def module_section(self, module: ModuleType, title: str | None, funcs: list[str], scorer_ids: list[str]) -> nodes.section:
        modname = module.__name__
        doc = inspect.getdoc(module) or ""
        sec = section(self.env, f"method-{modname}", title or first_sentence(doc) or modname)
        links: list[Any] = ["Module ", pyref("mod", modname)]
        if scorer_ids:
            links.append("; scorers ")
            for i, sid in enumerate(scorer_ids):
                if i:
                    links.append(", ")
                links.append(ref(f"scorer-{sid}", literal(sid)))
        sec += para(*links, ".")
        sec.extend(self.render(doc, "module", modname, module, modname))
        for fname in funcs:
            func = getattr(module, fname)
            sec += nodes.rubric("", "", nodes.Text("In detail: "), pyref("func", f"{modname}.{fname}"))
            body = numpydoc_without(inspect.getdoc(func) or "", _DROP_SECTIONS)
            sec.extend(self.render(body, "function", f"{modname}.{fname}", func, modname))
        return sec


def setup(app: Sphinx) -> ExtensionMetadata:
    app.add_config_value("aspire_api_options", {}, "env", types=frozenset({dict}))
    app.add_directive("aspire-api", ApiDirective)
    app.add_directive("aspire-methods", MethodsDirective)
    app.connect("autodoc-process-docstring", _process_docstring)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
