"""Sphinx extension: the API reference and the methods page, generated from the package.

``.. aspire-api:: aspire_models``
    One section per public module of the package (found with :mod:`pkgutil`, so a new
    module is documented without editing the docs), each an ``automodule`` with its
    members. Per-module options come from the ``aspire_api_options`` config value
    (``{module: [":members: a, b", ...]}``).
One page per module
    When the build starts, :func:`write_api_pages` writes ``api/<module>.rst`` for every
    public module (generated, not kept in the repository): the module's name as title, an
    "On this page" list linking each documented class and function, then its
    ``automodule``. ``api.rst`` lists them in a toctree.
``.. aspire-methods::``
    One section per module of ``aspire_models.scorers`` and ``aspire_models.stats``: the
    module docstring (where the formulas and references live), then selected functions'
    docstrings (without their Returns, Raises and Examples sections), and links to the
    scorers implemented there and to the API. Content lines give the order, titles and
    functions (``module: Title | func, func``); modules not listed follow, titled by the
    first sentence of their docstring. Labels ``method-<module>``.

Docstrings are numpydoc, read by ``sphinx.ext.napoleon``; :func:`fix_rst` then makes two
numpydoc conventions explicit for reStructuredText (reference lists, array shapes).
"""

from __future__ import annotations

import functools
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

_DEFINITION = re.compile(r"^(\s*)\.\. \[([A-Za-z0-9][A-Za-z0-9_.-]*)\]\s+(.*)$")
_REFERENCE = re.compile(r"\[([A-Za-z0-9][A-Za-z0-9_.-]*)\]_")
_TYPE_FIELD = re.compile(r"^\s*:(type|vartype|rtype)\b[^:]*:")
_SHAPE = re.compile(r"shape \(([^)]*)\)")


def references_in(text: str) -> set[str]:
    """Footnote and citation labels referenced (``[label]_``) in some text."""
    return set(_REFERENCE.findall(text))


def fix_rst(text: str, referenced: set[str]) -> str:
    """Two numpydoc conventions that reStructuredText reads differently, made explicit.

    * A ``References`` list (``.. [1] Author (year)...``) is a bibliography: an entry that
      no docstring of its module cites (``[1]_``) is rendered as a plain paragraph, not as
      an unreferenced footnote or a site-wide citation. Cited entries stay footnotes.
    * ``shape (k,)`` in a type (``ndarray of float, shape (k,)``) is a shape, not a name:
      it is set as code so that ``k`` is not linked to some attribute called ``k``.
    """
    lines = text.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        m = _DEFINITION.match(line)
        if m and m.group(2) not in referenced:
            indent = m.group(1)
            entry = [f"{indent}[{m.group(2)}] {m.group(3)}"]
            i += 1
            while i < len(lines) and lines[i].strip() and len(lines[i]) - len(lines[i].lstrip()) > len(indent):
                entry.append(indent + lines[i].strip())
                i += 1
            if out and out[-1].strip():
                out.append("")
            out += [*entry, ""]
            continue
        if _TYPE_FIELD.match(line):
            line = _SHAPE.sub(lambda s: f"shape ``({s.group(1)})``", line)
        out.append(line)
        i += 1
    return "\n".join(out)


@functools.cache
def _module_references(modname: str) -> frozenset[str]:
    module = sys.modules.get(modname)
    try:
        return frozenset(references_in(inspect.getsource(module))) if module else frozenset()
    except (OSError, TypeError):
        return frozenset()


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
    modname = name if what == "module" else module_of(name)
    lines[:] = fix_rst("\n".join(lines), set(_module_references(modname))).split("\n")


def _documented(modname: str, options: list[str]) -> list[tuple[str, str]]:
    """(role, name) of the classes and functions an ``automodule`` with ``options`` shows."""
    module = importlib.import_module(modname)
    chosen = next((o.split(":members:", 1)[1] for o in options if o.startswith(":members:")), None)
    if chosen is None:
        return []
    if chosen.strip():
        names = [n.strip() for n in chosen.split(",") if n.strip()]
    else:
        names = list(getattr(module, "__all__", None) or [n for n in vars(module) if not n.startswith("_")])
    out = []
    for name in names:
        obj = getattr(module, name, None)
        if obj is None or getattr(obj, "__module__", modname) != modname or not inspect.getdoc(obj):
            continue
        if inspect.isclass(obj):
            out.append(("class", name))
        elif inspect.isfunction(obj):
            out.append(("func", name))
    return out


def api_page(modname: str, options: list[str]) -> str:
    """The text of one module's API page."""
    title = f"``{modname}``"
    lines = [".. Generated by docs/_ext/aspire_api.py; do not edit.", "", title, "=" * len(title), ""]
    members = _documented(modname, options)
    if members:
        lines += [".. rubric:: On this page", ""]
        lines += [f"* :{role}:`~{modname}.{name}`" for role, name in members]
        lines.append("")
    lines += [f".. automodule:: {modname}", *(f"   {opt}" for opt in options), ""]
    return "\n".join(lines)


def write_api_pages(app: Sphinx) -> None:
    """``api/<module>.rst`` for every public module of the package; pages of modules that
    are gone are removed, and a page is rewritten only when its text changes."""
    from pathlib import Path

    folder = Path(app.srcdir) / "api"
    folder.mkdir(exist_ok=True)
    overrides: dict[str, list[str]] = app.config.aspire_api_options
    wanted = {
        f"{m}.rst": api_page(m, overrides.get(m, [":members:", ":show-inheritance:"]))
        for m in public_modules("aspire_models")
    }
    for old in folder.glob("*.rst"):
        if old.name not in wanted:
            old.unlink()
    for name, text in wanted.items():
        path = folder / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")


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
            raise self.error(
                f"aspire-methods: not a module of {', '.join(METHOD_PACKAGES)}: {', '.join(sorted(unknown))}"
            )
        order = list(listed) + [m for m in method_modules() if m not in listed]
        scorers: dict[str, list[str]] = {}
        for scorer in registry().scorers.values():
            scorers.setdefault(type(scorer).__module__, []).append(scorer.id)
        out: list[nodes.Node] = []
        for modname in order:
            title, funcs = listed.get(modname, (None, []))
            out.append(self.module_section(importlib.import_module(modname), title, funcs, scorers.get(modname, [])))
        return out

    def render(self, doc: str, what: str, name: str, obj: Any, referenced: set[str]) -> list[nodes.Node]:
        text = str(NumpyDocstring(doc, self.config, what=what, name=name, obj=obj))  # type: ignore[arg-type]
        return self.parse_text_to_nodes(fix_rst(text, referenced), allow_section_headings=True)

    def module_section(
        self, module: ModuleType, title: str | None, funcs: list[str], scorer_ids: list[str]
    ) -> nodes.section:
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
        bodies = {f: numpydoc_without(inspect.getdoc(getattr(module, f)) or "", _DROP_SECTIONS) for f in funcs}
        referenced = references_in("\n".join([doc, *bodies.values()]))
        sec.extend(self.render(doc, "module", modname, module, referenced))
        for fname, body in bodies.items():
            sec += nodes.rubric("", "", nodes.Text("In detail: "), pyref("func", f"{modname}.{fname}"))
            sec.extend(self.render(body, "function", f"{modname}.{fname}", getattr(module, fname), referenced))
        return sec


def setup(app: Sphinx) -> ExtensionMetadata:
    app.add_config_value("aspire_api_options", {}, "env", types=frozenset({dict}))
    app.add_directive("aspire-api", ApiDirective)
    app.connect("builder-inited", write_api_pages)
    app.add_directive("aspire-methods", MethodsDirective)
    app.connect("autodoc-process-docstring", _process_docstring)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
