"""Sphinx extension: the catalogue of frameworks, instruments, scorers and sources, generated
from :class:`aspire_models.Registry` while the documentation is built.

Nothing here is written by hand: every framework, element, definition and source comes from
the registry (built-ins plus every installed plugin), so the page cannot drift from the data
and a plugin's frameworks appear as soon as it is installed.

Directives
----------
``.. aspire-catalogue::``
    The compact index: per plugin, a table of its frameworks (name linked to the framework's
    own page, id, elements, how many defined). The pages themselves, ``catalogue/<id>.rst``,
    are written when the build starts (:func:`write_framework_pages`, one per framework in
    the registry; the folder is generated, not kept in the repository) and hold
    ``.. aspire-framework:: ID``.
``.. aspire-framework:: ID``
    One framework: its metadata and a table of its elements (kind, parent, name status,
    definition with its status, source). Label ``framework-<id>``.
``.. aspire-instruments::``
    A table of every instrument (design, framework, items, modes, scorers, plugin).
``.. aspire-scorers::``
    One section per scorer with its description, designs and parameter table (from the
    scorer's own ``params_schema``). Labels ``scorer-<id>``.
``.. aspire-sources::``
    Per source document (one file name per content line, then any other document the
    registry cites): how many frameworks and elements cite it, by definition status.

Sources are shown by the document's title and section, linked to its entry on the Sources
page (label ``source-NNN``), not by file name (:data:`SOURCE_TITLES`).

Plugin problems reported by the registry are emitted as Sphinx warnings, so a broken plugin
fails a ``-W`` build.
"""

from __future__ import annotations

import functools
from collections import Counter
from pathlib import Path
from typing import Any, ClassVar

from aspire_nodes import (
    Cell,
    Part,
    describe_schema,
    field_list,
    literal,
    para,
    pyref,
    ref,
    schema_description,
    section,
    table,
)
from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective
from sphinx.util.typing import ExtensionMetadata

from aspire_models import Framework, Registry
from aspire_models.framework import Element
from aspire_models.registry import BUILTIN_PLUGIN

logger = logging.getLogger(__name__)

STATUS_TEXT = {"quoted": "quoted", "paraphrased": "paraphrased", "not-given": "not given"}
#: how an element's name relates to its source (``name_status``)
NAME_STATUS_TEXT = {
    "quoted": "name quoted",
    "paraphrased": "name paraphrased",
    "project": "name ours; the source gives none",
}


#: The source documents' titles, by file name (the Sources page describes each; label
#: ``source-NNN`` from the file name's number)
SOURCE_TITLES = {
    "000_77ac12d120e17bdb.txt": "Aspire HRBP research booklet",
    "001_6b8b41d90e08dbd0.txt": "Aspire commissioning paper",
    "002_a0ab8b9a0d372cda.txt": "IES/LGA shared-management study",
    "003_0cec8ed635003a55.txt": "CIPD report on HRM and innovation",
    "004_cceaeb49f35b8f9a.txt": "CIPD press release (April 2013)",
}


def source_label(document: str) -> str:
    return "source-" + document.split("_", 1)[0]


def source_title(document: str) -> Part:
    """A source document as its title linked to the Sources page (a plugin's own document,
    not among the five, as its name)."""
    title = SOURCE_TITLES.get(document)
    return ref(source_label(document), title) if title else document


def citation(document: str, section_name: str, lines: tuple[int, int] | None) -> list[Part]:
    """'Aspire HRBP research booklet, Section 3, lines 1982–2025', the title linked."""
    parts: list[Part] = [source_title(document), f", {section_name}"]
    if lines:
        parts.append(f", lines {lines[0]}–{lines[1]}" if lines[0] != lines[1] else f", line {lines[0]}")
    return parts


@functools.cache
def registry() -> Registry:
    """One registry per build: the built-ins and every installed plugin."""
    return Registry()


def framework_label(framework_id: str) -> str:
    return f"framework-{framework_id}"


def plugin_heading(reg: Registry, plugin: str) -> list[Part]:
    info = {p.name: p for p in reg.plugins()}[plugin]
    dist = f" ({info.distribution} {info.version})" if info.distribution else ""
    if plugin == BUILTIN_PLUGIN:
        return [f"Built in{dist}"]
    return ["Plugin ", literal(plugin), dist]


class _RegistryDirective(SphinxDirective):
    def registry(self) -> Registry:
        self.env.note_reread()  # generated from installed data: rebuild every time
        reg = registry()
        for problem in reg.problems:
            logger.warning("aspire registry: %s", problem, location=self.get_location())
        return reg


def write_framework_pages(app: Sphinx) -> None:
    """One page per framework in ``docs/catalogue/`` (generated when the build starts, so that
    a plugin's frameworks get pages as soon as it is installed); pages of frameworks no
    longer registered are removed. A page is rewritten only when its text changes."""
    folder = Path(app.srcdir) / "catalogue"
    folder.mkdir(exist_ok=True)
    wanted = {}
    for fw in registry().frameworks.values():
        wanted[f"{fw.id}.rst"] = (
            f".. Generated by docs/_ext/aspire_catalogue.py; do not edit.\n\n.. aspire-framework:: {fw.id}\n"
        )
    for old in folder.glob("*.rst"):
        if old.name not in wanted:
            old.unlink()
    for name, text in wanted.items():
        path = folder / name
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")


class CatalogueDirective(_RegistryDirective):
    """``.. aspire-catalogue::`` the compact index of every framework, grouped by plugin."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        reg = self.registry()
        by_plugin: dict[str, list[Framework]] = {p.name: [] for p in reg.plugins()}
        for fw in reg.frameworks.values():
            by_plugin[reg.owner("framework", fw.id)].append(fw)
        n_el = sum(len(fw) for fw in reg.frameworks.values())
        out: list[nodes.Node] = [
            para(
                f"{len(reg.frameworks)} frameworks with {n_el} elements from "
                f"{sum(bool(f) for f in by_plugin.values())} plugins, one page each. "
                "“Defined” counts the elements whose source gives a definition."
            )
        ]
        for plugin, fws in by_plugin.items():
            if not fws:
                continue
            sec = section(self.env, f"catalogue-plugin-{plugin}", *plugin_heading(reg, plugin))
            sec += table(
                ["Framework", "Elements", "Defined"],
                [
                    [
                        [para(ref(framework_label(fw.id), fw.name)), para(literal(fw.id))],
                        str(len(fw)),
                        str(sum(e.definition is not None for e in fw)),
                    ]
                    for fw in fws
                ],
                [76, 12, 12],
            )
            out.append(sec)
        return out


class FrameworkDirective(_RegistryDirective):
    """``.. aspire-framework:: ID`` one framework's page: metadata and every element."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        reg = self.registry()
        fw = reg.framework(self.arguments[0])
        return [self.framework_section(fw, reg.owner("framework", fw.id))]

    def framework_section(self, fw: Framework, plugin: str) -> nodes.section:
        sec = section(self.env, framework_label(fw.id), fw.name)
        sec += para(fw.description)
        kinds = Counter(e.kind for e in fw)
        status = Counter(e.definition_status for e in fw)
        name_status = Counter(e.name_status for e in fw if e.name_status is not None)
        fields: list[tuple[str, Cell]] = [
            ("Id", literal(fw.id)),
            ("Version", fw.version),
            ("Publisher", fw.publisher),
        ]
        if fw.citation:
            fields.append(("Citation", fw.citation))
        fields += [
            (
                "Source",
                [
                    *citation(fw.source.document, fw.source.section, fw.source.lines),
                    f" ({fw.source.note})" if fw.source.note else "",
                ],
            ),
            ("Contributed by", literal(plugin)),
            ("Elements", ", ".join(f"{kinds[k.id]} {k.name.lower()}" for k in fw.kinds if kinds[k.id])),
            (
                "Definitions",
                ", ".join(f"{status[s]} {STATUS_TEXT[s]}" for s in ("quoted", "paraphrased", "not-given") if status[s]),
            ),
        ]
        if name_status:
            fields.append(
                (
                    "Names",
                    ", ".join(
                        f"{name_status[s]} {t}"
                        for s, t in (("quoted", "quoted"), ("paraphrased", "paraphrased"), ("project", "ours"))
                        if name_status[s]
                    ),
                )
            )
        sec += field_list(fields)
        names = {e.id: e.name for e in fw}
        kind_names = {k.id: k.name for k in fw.kinds}
        sec += table(
            ["Element", "Kind", "Definition", "Source"],
            [self.element_row(e, names, kind_names, fw) for e in fw],
            [22, 10, 50, 18],
        )
        return sec

    @staticmethod
    def element_row(e: Element, names: dict[str, str], kind_names: dict[str, str], fw: Framework) -> list[Cell]:
        who: list[nodes.Node] = [para(nodes.strong(text=e.name)), para(literal(e.id))]
        if e.name_status is not None:
            who.append(para(nodes.emphasis(text=f"({NAME_STATUS_TEXT[e.name_status]})")))
        if e.parent:
            who.append(para("in ", nodes.emphasis(text=names[e.parent])))
        if e.attributes:
            who.append(para(", ".join(f"{k} = {v:g}" for k, v in e.attributes.items())))
        if e.definition is None:
            definition: list[nodes.Node] = [
                para(nodes.emphasis(text="The source names this element without defining it."))
            ]
        else:
            definition = [para(e.definition), para(nodes.emphasis(text=f"({STATUS_TEXT[e.definition_status]})"))]
        src = e.source
        where: list[Part] = citation(src.document, src.section, src.lines)
        if src.name_lines:
            where.append(f" (named at lines {src.name_lines[0]}–{src.name_lines[1]})")
        source: list[nodes.Node] = [para(*where)]
        if src.note:
            source.append(para(nodes.emphasis(text=src.note)))
        return [who, kind_names.get(e.kind, e.kind), definition, source]


class InstrumentsDirective(_RegistryDirective):
    """``.. aspire-instruments::`` a table of every registered instrument."""

    def run(self) -> list[nodes.Node]:
        reg = self.registry()
        rows: list[list[Cell]] = []
        for ins in reg.instruments.values():
            scorers: list[Part] = []
            for i, rule in enumerate(ins.scoring):
                if i:
                    scorers.append(", ")
                scorers.append(ref(f"scorer-{rule.scorer}", literal(rule.scorer)))
            rows.append(
                [
                    [para(nodes.strong(text=ins.title)), para(literal(ins.id), f" version {ins.version}")],
                    ins.design,
                    ref(framework_label(ins.framework), literal(ins.framework)),
                    str(len(ins.items)),
                    ", ".join(ins.mode_ids) or "–",
                    scorers or "–",
                    literal(reg.owner("instrument", ins.id)),
                ]
            )
        return [
            table(
                ["Instrument", "Design", "Framework", "Items", "Modes", "Scorers", "Plugin"],
                rows,
                [28, 12, 18, 6, 10, 16, 12],
            )
        ]


class ScorersDirective(_RegistryDirective):
    """``.. aspire-scorers::`` one section per registered scorer, with its parameters."""

    #: modules whose method is described on a page (label ``method-<module>``)
    method_prefixes: ClassVar[tuple[str, ...]] = ("aspire_models.scorers.", "aspire_models.stats.")

    def run(self) -> list[nodes.Node]:
        reg = self.registry()
        out: list[nodes.Node] = []
        for scorer in reg.scorers.values():
            cls = type(scorer)
            sec = section(self.env, f"scorer-{scorer.id}", literal(scorer.id), f" — {scorer.title}")
            sec += para(scorer.description)
            fields: list[tuple[str, Cell]] = [
                ("Designs", ", ".join(scorer.designs)),
                ("Contributed by", literal(reg.owner("scorer", scorer.id))),
                ("Implementation", pyref("class", f"{cls.__module__}.{cls.__qualname__}")),
            ]
            if cls.__module__.startswith(self.method_prefixes):
                fields.append(("Method", ref(f"method-{cls.__module__}", "how it is computed")))
            sec += field_list(fields)
            props: dict[str, Any] = dict(scorer.params_schema).get("properties", {})
            if props:
                sec += table(
                    ["Parameter", "Allowed values", "Description"],
                    [
                        [literal(name), describe_schema(prop), schema_description(prop, None) or "–"]
                        for name, prop in props.items()
                    ],
                    [18, 32, 50],
                )
            else:
                sec += para("No parameters.")
            out.append(sec)
        return out


class SourcesDirective(_RegistryDirective):
    """``.. aspire-sources::`` how many frameworks and elements cite each source document."""

    has_content = True

    def run(self) -> list[nodes.Node]:
        reg = self.registry()
        listed = [line.strip() for line in self.content if line.strip()]
        frameworks: dict[str, set[str]] = {}
        status: dict[str, Counter[str]] = {}
        for fw in reg.frameworks.values():
            frameworks.setdefault(fw.source.document, set()).add(fw.id)
            for e in fw:
                frameworks.setdefault(e.source.document, set()).add(fw.id)
                status.setdefault(e.source.document, Counter())[e.definition_status] += 1
        docs = listed + sorted(d for d in frameworks if d not in listed)
        rows: list[list[Cell]] = []
        for doc in docs:
            c = status.get(doc, Counter())
            rows.append(
                [
                    source_title(doc) if doc in SOURCE_TITLES else literal(doc),
                    str(len(frameworks.get(doc, ()))),
                    str(sum(c.values())),
                    str(c["quoted"]),
                    str(c["paraphrased"]),
                    str(c["not-given"]),
                ]
            )
        return [
            table(
                ["Document", "Frameworks", "Elements", "Quoted", "Paraphrased", "Not given"],
                rows,
                [40, 12, 12, 12, 12, 12],
            )
        ]


def setup(app: Sphinx) -> ExtensionMetadata:
    app.add_directive("aspire-catalogue", CatalogueDirective)
    app.add_directive("aspire-framework", FrameworkDirective)
    app.connect("builder-inited", write_framework_pages)
    app.add_directive("aspire-instruments", InstrumentsDirective)
    app.add_directive("aspire-scorers", ScorersDirective)
    app.add_directive("aspire-sources", SourcesDirective)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
