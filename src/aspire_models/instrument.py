"""The typed model of an instrument (questionnaire): scales, items mapped to framework
elements, response modes, rater roles, open questions and scoring rules.

An instrument's responses are flat records, one per respondent (or per rater form in a
360 review). Their columns are derived from the instrument:

* ``respondent_id`` (required), ``organisation``, ``rater_role``, ``subject_id``, ``team``;
* one column per numeric or multi-select item and mode: ``<item>.<mode>``, or ``<item>`` for
  items without modes (multi-select answers are option ids separated by ``;``);
* one column per open question: ``<question>``.

:meth:`Instrument.response_record_schema` gives the JSON Schema of such a record.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import attrs

from aspire_models import validation
from aspire_models.errors import DocumentError, Problem, UnknownIdError
from aspire_models.framework import Framework, SourceRef

if TYPE_CHECKING:
    from collections.abc import Callable

#: A group label (organisation, team, subject) holds no control or bidirectional-override
#: character: they would let two labels print alike or rewrite a terminal.
LABEL_PATTERN = "^[^\\x00-\\x1f\\x7f-\\x9f\\u202a-\\u202e\\u2066-\\u2069]*$(?!\\n)"

__all__ = [
    "META_COLUMNS",
    "Column",
    "Instrument",
    "Item",
    "Mode",
    "MultiSelectScale",
    "NumericScale",
    "OpenQuestion",
    "Option",
    "RaterRole",
    "ScoringRule",
]

#: Columns that describe the respondent rather than answer an item.
META_COLUMNS = ("respondent_id", "organisation", "rater_role", "subject_id", "team", "instrument_version")

Design = Literal["self-assessment", "review-360", "adoption"]


def _tuple(value: Any) -> tuple[Any, ...]:
    return tuple(value)


@attrs.frozen
class Option:
    id: str
    label: str


@attrs.frozen
class NumericScale:
    """A numeric rating scale from ``min`` to ``max`` (whole numbers only if ``integer``)."""

    id: str
    min: float
    max: float
    integer: bool = True
    anchors: tuple[tuple[float, str], ...] = attrs.field(default=(), converter=_tuple)
    label: str | None = None
    type: Literal["numeric"] = "numeric"

    def reverse(self, value: float) -> float:
        """Reverse-key a value: ``min + max - value`` (an involution)."""
        return self.min + self.max - value

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "type": "numeric"}
        if self.label is not None:
            out["label"] = self.label
        out.update({"min": self.min, "max": self.max, "integer": self.integer})
        if self.anchors:
            out["anchors"] = [{"value": v, "label": lab} for v, lab in self.anchors]
        return out


@attrs.frozen
class MultiSelectScale:
    """A multi-select over a list of options, or over one kind of a framework's elements.

    ``options`` is filled from the framework when the instrument is bound to a registry.
    """

    id: str
    options: tuple[Option, ...] = attrs.field(default=(), converter=_tuple)
    options_from: tuple[str, str] | None = None
    label: str | None = None
    type: Literal["multi-select"] = "multi-select"

    @property
    def option_ids(self) -> tuple[str, ...]:
        return tuple(o.id for o in self.options)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "type": "multi-select"}
        if self.label is not None:
            out["label"] = self.label
        if self.options_from is not None:
            out["options"] = {"framework": self.options_from[0], "kind": self.options_from[1]}
        else:
            out["options"] = [{"id": o.id, "label": o.label} for o in self.options]
        return out


Scale = NumericScale | MultiSelectScale


@attrs.frozen
class Mode:
    id: str
    label: str


@attrs.frozen
class RaterRole:
    id: str
    label: str
    protected: bool = True
    is_self: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.label, "protected": self.protected, "self": self.is_self}


@attrs.frozen
class Item:
    id: str
    text: str
    scale: str
    element: str | None = None
    modes: tuple[str, ...] = attrs.field(default=(), converter=_tuple)
    reverse: bool = False
    weight: float = 1.0
    traces_to: str | None = None
    #: responses may leave out this item's columns altogether (not an error)
    optional: bool = False

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "text": self.text, "scale": self.scale}
        if self.element is not None:
            out["element"] = self.element
        if self.modes:
            out["modes"] = list(self.modes)
        out["reverse"] = self.reverse
        out["weight"] = self.weight
        if self.traces_to is not None:
            out["traces_to"] = self.traces_to
        if self.optional:
            out["optional"] = True
        return out


@attrs.frozen
class OpenQuestion:
    id: str
    text: str
    element: str | None = None
    max_length: int | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "text": self.text}
        if self.element is not None:
            out["element"] = self.element
        if self.max_length is not None:
            out["max_length"] = self.max_length
        return out


@attrs.frozen
class ScoringRule:
    scorer: str
    params: Mapping[str, Any] = attrs.field(factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"scorer": self.scorer, "params": dict(self.params)}


@attrs.frozen
class Column:
    """One response column: an item answered in one mode, or an open question."""

    name: str
    kind: Literal["numeric", "multi-select", "text"]
    item: str
    mode: str | None
    scale: str | None


@attrs.frozen
class Instrument:
    """A questionnaire and how to score it. Build with :meth:`from_dict` (validates)."""

    id: str
    version: str
    title: str
    description: str
    design: Design
    framework: str
    scales: tuple[Scale, ...] = attrs.field(converter=_tuple)
    items: tuple[Item, ...] = attrs.field(converter=_tuple)
    modes: tuple[Mode, ...] = attrs.field(default=(), converter=_tuple)
    rater_roles: tuple[RaterRole, ...] = attrs.field(default=(), converter=_tuple)
    open_questions: tuple[OpenQuestion, ...] = attrs.field(default=(), converter=_tuple)
    scoring: tuple[ScoringRule, ...] = attrs.field(default=(), converter=_tuple)
    framework_version: str | None = None
    source: SourceRef | None = None
    authorship: str | None = None

    def __attrs_post_init__(self) -> None:
        problems = self._internal_problems()
        if problems:
            raise DocumentError(f"instrument {self.id!r}", problems)

    # -- look-ups -------------------------------------------------------------------------
    def scale(self, scale_id: str) -> Scale:
        for s in self.scales:
            if s.id == scale_id:
                return s
        raise UnknownIdError("scale", scale_id, [s.id for s in self.scales], f"instrument {self.id!r}")

    def item(self, item_id: str) -> Item:
        for i in self.items:
            if i.id == item_id:
                return i
        raise UnknownIdError("item", item_id, [i.id for i in self.items], f"instrument {self.id!r}")

    @property
    def mode_ids(self) -> tuple[str, ...]:
        return tuple(m.id for m in self.modes)

    @property
    def role_ids(self) -> tuple[str, ...]:
        return tuple(r.id for r in self.rater_roles)

    def columns(self) -> tuple[Column, ...]:
        """Every answer column, in instrument order: items (by mode), then open questions."""
        out: list[Column] = []
        for it in self.items:
            scale = self.scale(it.scale)
            for mode in it.modes or (None,):
                name = it.id if mode is None else f"{it.id}.{mode}"
                out.append(Column(name, scale.type, it.id, mode, it.scale))
        for q in self.open_questions:
            out.append(Column(q.id, "text", q.id, None, None))
        return tuple(out)

    def numeric_columns(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns() if c.kind == "numeric")

    def elements_measured(self) -> tuple[str, ...]:
        """Framework element ids measured by numeric items, in first-use order."""
        seen: dict[str, None] = {}
        for it in self.items:
            if it.element is not None and isinstance(self.scale(it.scale), NumericScale):
                seen.setdefault(it.element, None)
        return tuple(seen)

    def iter_numeric_items(self) -> Iterator[tuple[Item, NumericScale]]:
        for it in self.items:
            s = self.scale(it.scale)
            if isinstance(s, NumericScale):
                yield it, s

    # -- provenance -----------------------------------------------------------------------
    def digest(self) -> str:
        """SHA-256 of the canonical JSON form (sorted keys, no whitespace)."""
        canon = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(canon.encode("utf-8")).hexdigest()

    # -- response records -----------------------------------------------------------------
    def response_record_schema(self) -> dict[str, Any]:
        """JSON Schema (2020-12) of one flat response record for this instrument."""
        props: dict[str, Any] = {
            "respondent_id": {"type": "string", "minLength": 1, "maxLength": 200},
            "organisation": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": LABEL_PATTERN},
            "subject_id": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": LABEL_PATTERN},
            "team": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": LABEL_PATTERN},
            "instrument_version": {"const": self.version},
        }
        required = ["respondent_id"]
        if self.rater_roles:
            props["rater_role"] = {"enum": list(self.role_ids)}
        if self.design == "review-360":
            required += ["subject_id", "rater_role"]
        for col in self.columns():
            if col.kind == "numeric":
                scale = self.scale(col.scale or "")
                assert isinstance(scale, NumericScale)
                num: dict[str, Any] = {
                    "type": "integer" if scale.integer else "number",
                    "minimum": scale.min,
                    "maximum": scale.max,
                }
                props[col.name] = {"oneOf": [num, {"type": "null"}]}
            elif col.kind == "multi-select":
                scale = self.scale(col.scale or "")
                assert isinstance(scale, MultiSelectScale)
                props[col.name] = {
                    "oneOf": [
                        {"type": "array", "items": {"enum": list(scale.option_ids)}, "uniqueItems": True},
                        {"type": "null"},
                    ]
                }
            else:
                limit = next((q.max_length for q in self.open_questions if q.id == col.name), None)
                text: dict[str, Any] = {"type": "string"}
                if limit:
                    text["maxLength"] = limit
                props[col.name] = {"oneOf": [text, {"type": "null"}]}
        return {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": f"Response record for {self.id} {self.version}",
            "type": "object",
            "properties": props,
            "required": required,
            "additionalProperties": False,
        }

    # -- conversion -----------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "version": self.version,
            "title": self.title,
            "description": self.description,
            "design": self.design,
            "framework": self.framework,
        }
        if self.framework_version is not None:
            out["framework_version"] = self.framework_version
        if self.source is not None:
            out["source"] = self.source.to_dict()
        if self.authorship is not None:
            out["authorship"] = self.authorship
        out["scales"] = [s.to_dict() for s in self.scales]
        if self.modes:
            out["modes"] = [{"id": m.id, "label": m.label} for m in self.modes]
        if self.rater_roles:
            out["rater_roles"] = [r.to_dict() for r in self.rater_roles]
        out["items"] = [i.to_dict() for i in self.items]
        if self.open_questions:
            out["open_questions"] = [q.to_dict() for q in self.open_questions]
        if self.scoring:
            out["scoring"] = [r.to_dict() for r in self.scoring]
        return out

    @classmethod
    def from_dict(cls, data: Any, *, source: str | None = None) -> Instrument:
        """Validate an instrument document against the schema and its internal references."""
        where = source or (
            f"instrument {data.get('id')!r}" if isinstance(data, Mapping) and data.get("id") else "instrument"
        )
        validation.check(data, "instrument", source=where)
        scales: list[Scale] = []
        for s in data["scales"]:
            if s["type"] == "numeric":
                scales.append(
                    NumericScale(
                        id=s["id"],
                        min=s["min"],
                        max=s["max"],
                        integer=s.get("integer", True),
                        anchors=[(a["value"], a["label"]) for a in s.get("anchors", [])],
                        label=s.get("label"),
                    )
                )
            else:
                opts = s["options"]
                if isinstance(opts, list):
                    scales.append(
                        MultiSelectScale(s["id"], [Option(o["id"], o["label"]) for o in opts], label=s.get("label"))
                    )
                else:
                    scales.append(
                        MultiSelectScale(s["id"], (), (opts["framework"], opts["kind"]), label=s.get("label"))
                    )
        try:
            return cls(
                id=data["id"],
                version=data["version"],
                title=data["title"],
                description=data["description"],
                design=data["design"],
                framework=data["framework"],
                framework_version=data.get("framework_version"),
                source=SourceRef.from_dict(data["source"]) if "source" in data else None,
                authorship=data.get("authorship"),
                scales=scales,
                modes=[Mode(m["id"], m["label"]) for m in data.get("modes", [])],
                rater_roles=[
                    RaterRole(r["id"], r["label"], r.get("protected", True), r.get("self", False))
                    for r in data.get("rater_roles", [])
                ],
                items=[
                    Item(
                        id=i["id"],
                        text=i["text"],
                        scale=i["scale"],
                        element=i.get("element"),
                        modes=i.get("modes", []),
                        reverse=i.get("reverse", False),
                        weight=i.get("weight", 1.0),
                        traces_to=i.get("traces_to"),
                        optional=i.get("optional", False),
                    )
                    for i in data["items"]
                ],
                open_questions=[
                    OpenQuestion(q["id"], q["text"], q.get("element"), q.get("max_length"))
                    for q in data.get("open_questions", [])
                ],
                scoring=[ScoringRule(r["scorer"], dict(r.get("params", {}))) for r in data.get("scoring", [])],
            )
        except DocumentError as exc:
            raise DocumentError(where, [attrs.evolve(p, file=where) for p in exc.problems]) from None

    # -- checks ---------------------------------------------------------------------------
    def _internal_problems(self) -> list[Problem]:
        out: list[Problem] = []

        def dupes(kind: str, ids: Sequence[str], path: str) -> None:
            seen: set[str] = set()
            for i, x in enumerate(ids):
                if x in seen:
                    out.append(Problem(f"unique-{kind}-id", f"duplicate {kind} id {x!r}", f"$.{path}[{i}].id", value=x))
                seen.add(x)

        dupes("scale", [s.id for s in self.scales], "scales")
        dupes("item", [i.id for i in self.items], "items")
        dupes("mode", [m.id for m in self.modes], "modes")
        dupes("rater-role", [r.id for r in self.rater_roles], "rater_roles")
        dupes("open-question", [q.id for q in self.open_questions], "open_questions")
        scales = {s.id: s for s in self.scales}
        modes = set(self.mode_ids)
        names = {i.id for i in self.items}
        for n, q in enumerate(self.open_questions):
            if q.id in names:
                out.append(
                    Problem(
                        "unique-column",
                        f"open question id {q.id!r} is also an item id",
                        f"$.open_questions[{n}].id",
                        value=q.id,
                    )
                )
        for n, s in enumerate(self.scales):
            if isinstance(s, NumericScale) and not s.min < s.max:
                out.append(
                    Problem(
                        "scale-range",
                        f"scale {s.id!r}: min ({s.min}) must be below max ({s.max})",
                        f"$.scales[{n}]",
                        value=[s.min, s.max],
                    )
                )
        for n, it in enumerate(self.items):
            scale = scales.get(it.scale)
            if scale is None:
                out.append(
                    Problem(
                        "scale-exists",
                        f"item {it.id!r} uses unknown scale {it.scale!r} (declared: {', '.join(scales)})",
                        f"$.items[{n}].scale",
                        value=it.scale,
                    )
                )
            elif isinstance(scale, NumericScale) and it.element is None:
                out.append(
                    Problem(
                        "element-required",
                        f"numeric item {it.id!r} must name the framework element it measures",
                        f"$.items[{n}].element",
                    )
                )
            if isinstance(scale, MultiSelectScale) and it.reverse:
                out.append(
                    Problem(
                        "reverse-numeric-only",
                        "only numeric items can be reverse-keyed",
                        f"$.items[{n}].reverse",
                        value=True,
                    )
                )
            for m in it.modes:
                if m not in modes:
                    out.append(
                        Problem(
                            "mode-exists",
                            f"item {it.id!r} uses undeclared mode {m!r} (declared: {', '.join(modes) or 'none'})",
                            f"$.items[{n}].modes",
                            value=m,
                        )
                    )
        if self.design == "review-360":
            if not self.rater_roles:
                out.append(
                    Problem("roles-required", "a review-360 instrument must declare rater_roles", "$.rater_roles")
                )
            elif sum(r.is_self for r in self.rater_roles) > 1:
                out.append(Problem("one-self-role", "at most one rater role may be the self role", "$.rater_roles"))
        return out

    def problems_against(self, framework: Framework, lookup: Callable[[str], Framework] | None = None) -> list[Problem]:
        """Cross-reference problems against the framework (and others, for option lists)."""
        out: list[Problem] = []
        if framework.id != self.framework:
            out.append(
                Problem("framework-id", f"instrument measures {self.framework!r}, not {framework.id!r}", "$.framework")
            )
        if self.framework_version is not None and framework.version != self.framework_version:
            out.append(
                Problem(
                    "framework-version",
                    f"instrument wants {self.framework!r} version {self.framework_version!r}, "
                    f"registered version is {framework.version!r}",
                    "$.framework_version",
                    value=self.framework_version,
                )
            )
        for n, it in enumerate(self.items):
            if it.element is not None and it.element not in framework:
                try:
                    framework.element(it.element)
                except UnknownIdError as exc:
                    out.append(Problem("element-exists", exc.message, f"$.items[{n}].element", value=it.element))
        for n, q in enumerate(self.open_questions):
            if q.element is not None and q.element not in framework:
                out.append(
                    Problem(
                        "element-exists",
                        f"unknown element {q.element!r} in framework {framework.id!r}",
                        f"$.open_questions[{n}].element",
                        value=q.element,
                    )
                )
        for n, s in enumerate(self.scales):
            if isinstance(s, MultiSelectScale) and s.options_from is not None:
                fw_id, kind = s.options_from
                try:
                    fw = framework if fw_id == framework.id else (lookup(fw_id) if lookup else None)
                    if fw is None:
                        raise UnknownIdError("framework", fw_id, [framework.id])
                    fw.elements_of_kind(kind)
                except UnknownIdError as exc:
                    out.append(Problem("options-exist", exc.message, f"$.scales[{n}].options", value=[fw_id, kind]))
        return out

    def bind(self, framework: Framework, lookup: Callable[[str], Framework] | None = None) -> Instrument:
        """Check references against ``framework`` and fill framework-derived option lists."""
        problems = self.problems_against(framework, lookup)
        if problems:
            raise DocumentError(f"instrument {self.id!r}", problems)
        scales: list[Scale] = []
        for s in self.scales:
            if isinstance(s, MultiSelectScale) and s.options_from is not None:
                fw_id, kind = s.options_from
                fw = framework if fw_id == framework.id else lookup(fw_id)  # type: ignore[misc]
                s = attrs.evolve(s, options=[Option(e.id, e.name) for e in fw.elements_of_kind(kind)])
            scales.append(s)
        return attrs.evolve(self, scales=scales)
