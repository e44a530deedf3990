"""The typed model of a framework: a published set of elements (themes, behaviours,
competencies, adopter categories...), each with its definition and its source.

Frameworks are frozen: build them with :meth:`Framework.from_dict` (which validates) or the
constructor, and convert back with :meth:`Framework.to_dict`. The two round-trip exactly.

>>> fw = Framework.from_dict({
...     "id": "demo", "name": "Demo", "version": "1", "publisher": "Us",
...     "description": "A demo.", "source": {"document": "notes.txt", "section": "1"},
...     "kinds": [{"id": "value", "name": "Value"}],
...     "elements": [{"id": "trust", "name": "Trust", "kind": "value",
...                   "definition": None, "definition_status": "not-given",
...                   "source": {"document": "notes.txt", "section": "1"}}]})
>>> fw.element("trust").name
'Trust'
>>> Framework.from_dict(fw.to_dict()) == fw
True
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from types import MappingProxyType
from typing import Any, Literal

import attrs

from aspire_models import validation
from aspire_models.errors import DocumentError, Problem, UnknownIdError

__all__ = ["Element", "ElementKind", "Framework", "SourceRef"]

DefinitionStatus = Literal["quoted", "paraphrased", "not-given"]
#: how an element's name relates to its source: the source's own words ('quoted'), the
#: project's shortening or rewording of them ('paraphrased'), or a label the project wrote
#: where the source has no name of its own ('project')
NameStatus = Literal["quoted", "paraphrased", "project"]


def _freeze_attributes(value: Mapping[str, float] | None) -> Mapping[str, float]:
    return MappingProxyType(dict(value or {}))


@attrs.frozen
class SourceRef:
    """Where a text was taken from: document (file name or title), section, optional lines.

    ``name_lines`` are the lines that give an element's name when the source names it
    somewhere other than the cited ``lines`` (a table heading, a diagram label).
    """

    document: str
    section: str
    lines: tuple[int, int] | None = None
    note: str | None = None
    name_lines: tuple[int, int] | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"document": self.document, "section": self.section}
        if self.lines is not None:
            out["lines"] = list(self.lines)
        if self.name_lines is not None:
            out["name_lines"] = list(self.name_lines)
        if self.note is not None:
            out["note"] = self.note
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> SourceRef:
        lines = data.get("lines")
        name_lines = data.get("name_lines")
        return cls(
            document=data["document"],
            section=data["section"],
            lines=(int(lines[0]), int(lines[1])) if lines is not None else None,
            note=data.get("note"),
            name_lines=(int(name_lines[0]), int(name_lines[1])) if name_lines is not None else None,
        )

    def __str__(self) -> str:
        lines = f", lines {self.lines[0]}-{self.lines[1]}" if self.lines else ""
        return f"{self.document}, {self.section}{lines}"


@attrs.frozen
class ElementKind:
    """A kind of element a framework holds (e.g. 'behaviour', 'professional-area')."""

    id: str
    name: str
    description: str | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "name": self.name}
        if self.description is not None:
            out["description"] = self.description
        return out


@attrs.frozen
class Element:
    """One element of a framework, with its definition and source.

    ``definition`` is ``None`` exactly when ``definition_status`` is ``'not-given'``: the
    source names the element without defining it, and we do not invent one.
    ``name_status`` says whether the name itself is the source's words (``'quoted'``), our
    wording of them (``'paraphrased'``) or a label we wrote (``'project'``); ``None`` when a
    document does not say.
    """

    id: str
    name: str
    kind: str
    definition: str | None
    definition_status: DefinitionStatus
    source: SourceRef
    parent: str | None = None
    order: int | None = None
    attributes: Mapping[str, float] = attrs.field(factory=lambda: MappingProxyType({}), converter=_freeze_attributes)
    name_status: NameStatus | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "name": self.name}
        if self.name_status is not None:
            out["name_status"] = self.name_status
        out |= {
            "kind": self.kind,
            "definition": self.definition,
            "definition_status": self.definition_status,
            "source": self.source.to_dict(),
        }
        if self.parent is not None:
            out["parent"] = self.parent
        if self.order is not None:
            out["order"] = self.order
        if self.attributes:
            out["attributes"] = dict(self.attributes)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Element:
        return cls(
            id=data["id"],
            name=data["name"],
            kind=data["kind"],
            definition=data["definition"],
            definition_status=data["definition_status"],
            source=SourceRef.from_dict(data["source"]),
            parent=data.get("parent"),
            order=data.get("order"),
            attributes=data.get("attributes"),
            name_status=data.get("name_status"),
        )


def _kinds(value: Iterable[ElementKind]) -> tuple[ElementKind, ...]:
    return tuple(value)


def _elements(value: Iterable[Element]) -> tuple[Element, ...]:
    return tuple(value)


@attrs.frozen
class Framework:
    """A framework: identity, provenance and its elements (in source order)."""

    id: str
    name: str
    version: str
    publisher: str
    description: str
    source: SourceRef
    kinds: tuple[ElementKind, ...] = attrs.field(converter=_kinds)
    elements: tuple[Element, ...] = attrs.field(converter=_elements)
    citation: str | None = None
    _index: Mapping[str, Element] = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        problems = semantic_problems(self)
        if problems:
            raise DocumentError(f"framework {self.id!r}", problems)
        object.__setattr__(self, "_index", MappingProxyType({e.id: e for e in self.elements}))

    # -- look-ups -------------------------------------------------------------------------
    def element(self, element_id: str) -> Element:
        """The element with this id; :class:`UnknownIdError` (with suggestions) otherwise."""
        try:
            return self._index[element_id]
        except KeyError:
            raise UnknownIdError("element", element_id, self._index, f"framework {self.id!r}") from None

    def __contains__(self, element_id: object) -> bool:
        return element_id in self._index

    def __iter__(self) -> Iterator[Element]:
        return iter(self.elements)

    def __len__(self) -> int:
        return len(self.elements)

    def kind(self, kind_id: str) -> ElementKind:
        for k in self.kinds:
            if k.id == kind_id:
                return k
        raise UnknownIdError("element kind", kind_id, [k.id for k in self.kinds], f"framework {self.id!r}")

    def elements_of_kind(self, kind_id: str) -> tuple[Element, ...]:
        """Elements of one kind, in source order (the kind must be declared)."""
        self.kind(kind_id)
        return tuple(e for e in self.elements if e.kind == kind_id)

    def children(self, element_id: str) -> tuple[Element, ...]:
        self.element(element_id)
        return tuple(e for e in self.elements if e.parent == element_id)

    # -- conversion -----------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """A plain JSON-able dict that :meth:`from_dict` turns back into an equal framework."""
        out: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "version": self.version,
            "publisher": self.publisher,
        }
        if self.citation is not None:
            out["citation"] = self.citation
        out["description"] = self.description
        out["source"] = self.source.to_dict()
        out["kinds"] = [k.to_dict() for k in self.kinds]
        out["elements"] = [e.to_dict() for e in self.elements]
        return out

    @classmethod
    def from_dict(cls, data: Any, *, source: str | None = None) -> Framework:
        """Validate a framework document (schema, then semantic rules) and build it.

        Raises :class:`~aspire_models.errors.DocumentError` listing every problem with its
        JSON path and rule.
        """
        where = source or (
            f"framework {data.get('id')!r}" if isinstance(data, Mapping) and data.get("id") else "framework"
        )
        validation.check(data, "framework", source=where)
        kinds = tuple(ElementKind(k["id"], k["name"], k.get("description")) for k in data["kinds"])
        elements = tuple(Element.from_dict(e) for e in data["elements"])
        try:
            return cls(
                id=data["id"],
                name=data["name"],
                version=data["version"],
                publisher=data["publisher"],
                description=data["description"],
                source=SourceRef.from_dict(data["source"]),
                kinds=kinds,
                elements=elements,
                citation=data.get("citation"),
            )
        except DocumentError as exc:
            raise DocumentError(where, [attrs.evolve(p, file=where) for p in exc.problems]) from None


def semantic_problems(fw: Framework) -> list[Problem]:
    """Rules JSON Schema cannot express: unique ids, declared kinds, parents exist, no cycles,
    definition present exactly when the status says so."""
    out: list[Problem] = []
    kind_ids = [k.id for k in fw.kinds]
    seen_kinds: set[str] = set()
    for i, k in enumerate(fw.kinds):
        if k.id in seen_kinds:
            out.append(Problem("unique-kind-id", f"duplicate kind id {k.id!r}", f"$.kinds[{i}].id", value=k.id))
        seen_kinds.add(k.id)
    positions: dict[str, int] = {}
    for i, e in enumerate(fw.elements):
        if e.id in positions:
            out.append(
                Problem(
                    "unique-element-id",
                    f"duplicate element id {e.id!r} (first at $.elements[{positions[e.id]}])",
                    f"$.elements[{i}].id",
                    value=e.id,
                )
            )
        else:
            positions[e.id] = i
        if e.kind not in seen_kinds:
            out.append(
                Problem(
                    "declared-kind",
                    f"kind {e.kind!r} is not declared in $.kinds (declared: {', '.join(kind_ids)})",
                    f"$.elements[{i}].kind",
                    value=e.kind,
                )
            )
        if (e.definition is None) != (e.definition_status == "not-given"):
            out.append(
                Problem(
                    "definition-status",
                    "definition must be null exactly when definition_status is 'not-given'",
                    f"$.elements[{i}].definition",
                    value=e.definition,
                )
            )
    parents = {e.id: e.parent for e in fw.elements}
    for i, e in enumerate(fw.elements):
        if e.parent is None:
            continue
        if e.parent not in parents:
            out.append(
                Problem(
                    "parent-exists",
                    f"parent {e.parent!r} is not an element of this framework",
                    f"$.elements[{i}].parent",
                    value=e.parent,
                )
            )
            continue
        # walk up: a cycle returns to e.id
        seen = {e.id}
        cur: str | None = e.parent
        while cur is not None and cur in parents:
            if cur in seen:
                out.append(
                    Problem(
                        "no-parent-cycle",
                        f"element {e.id!r} is its own ancestor via {cur!r}",
                        f"$.elements[{i}].parent",
                        value=e.parent,
                    )
                )
                break
            seen.add(cur)
            cur = parents[cur]
    return out
