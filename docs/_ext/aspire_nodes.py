"""Small docutils node builders shared by the local Sphinx extensions (not an extension)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeAlias

from docutils import nodes
from sphinx import addnodes
from sphinx.domains.std import StandardDomain
from sphinx.environment import BuildEnvironment

#: What a table cell or paragraph may be built from: text, inline nodes, or body nodes.
Part: TypeAlias = str | nodes.Node
Cell: TypeAlias = Part | Sequence[Part] | None


def para(*parts: Part) -> nodes.paragraph:
    """A paragraph of text and inline nodes."""
    p = nodes.paragraph()
    for part in parts:
        p += nodes.Text(part) if isinstance(part, str) else part
    return p


def literal(text: str) -> nodes.literal:
    return nodes.literal(text=text)


def _body(cell: Cell) -> list[nodes.Node]:
    if cell is None:
        return []
    if isinstance(cell, str | nodes.Inline | nodes.Text):
        return [para(cell)]
    if isinstance(cell, nodes.Node):
        return [cell]
    if all(isinstance(c, str | nodes.Inline | nodes.Text) for c in cell):
        return [para(*cell)]
    return [c if isinstance(c, nodes.Body) else para(c) for c in cell]


def table(headers: Sequence[str], rows: Iterable[Sequence[Cell]], widths: Sequence[int]) -> nodes.table:
    """A table with a header row; each cell is text, inline nodes or body nodes."""
    tbl = nodes.table(classes=["aspire-table", "longtable"])
    group = nodes.tgroup(cols=len(headers))
    tbl += group
    for w in widths:
        group += nodes.colspec(colwidth=w)
    head = nodes.thead()
    group += head
    head += _row(headers)
    body = nodes.tbody()
    group += body
    for r in rows:
        body += _row(r)
    return tbl


def _row(cells: Sequence[Cell]) -> nodes.row:
    row = nodes.row()
    for c in cells:
        entry = nodes.entry()
        entry.extend(_body(c))
        row += entry
    return row


def field_list(fields: Iterable[tuple[str, Cell]]) -> nodes.field_list:
    out = nodes.field_list()
    for name, value in fields:
        field = nodes.field()
        field += nodes.field_name(text=name)
        body = nodes.field_body()
        body.extend(_body(value))
        field += body
        out += field
    return out


def std_domain(env: BuildEnvironment) -> StandardDomain:
    domain = env.get_domain("std")
    assert isinstance(domain, StandardDomain)
    return domain


def section(env: BuildEnvironment, label: str, *title: Part) -> nodes.section:
    """A section whose id is ``label``, registered so that ``:ref:`label``` works anywhere."""
    node_id = nodes.make_id(label)
    sec = nodes.section(ids=[node_id], names=[label])
    heading = nodes.title()
    for part in title:
        heading += nodes.Text(part) if isinstance(part, str) else part
    sec += heading
    std_domain(env).note_hyperlink_target(label, env.docname, node_id, heading.astext())
    return sec


def ref(label: str, *text: Part) -> addnodes.pending_xref:
    """A ``:ref:`` to a label, with explicit link text."""
    node = addnodes.pending_xref("", refdomain="std", reftype="ref", reftarget=label, refexplicit=True)
    inner = nodes.inline(classes=["std", "std-ref"])
    for part in text:
        inner += nodes.Text(part) if isinstance(part, str) else part
    node.append(inner)
    return node


def pyref(kind: str, target: str, text: str | None = None) -> addnodes.pending_xref:
    """A Python-domain cross-reference (``kind`` is class, func, mod...)."""
    node = addnodes.pending_xref(
        "", refdomain="py", reftype=kind, reftarget=target, refexplicit=text is not None, refwarn=False
    )
    node.append(nodes.literal(text=text or target, classes=["xref", "py", f"py-{kind}"]))
    return node


# -- JSON Schema -----------------------------------------------------------------------------
def _js(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def schema_ref_label(ref_value: str, current: str) -> tuple[str, str]:
    """The docs label and link text of a ``$ref`` (``#/$defs/x`` or ``urn:...:<schema>:1#/$defs/x``)."""
    base, _, pointer = ref_value.partition("#")
    schema = current
    if base:
        # urn:aspire-models:schema:<name>:<version>
        schema = base.split(":")[-2]
    name = pointer.rsplit("/", 1)[-1] if pointer else schema
    label = f"schema-{schema}-def-{name}" if pointer else f"schema-{schema}"
    text = name if schema == current else f"{schema}: {name}"
    return label, text


def describe_schema(schema: Any, current: str = "") -> list[Part]:
    """A short human description of a JSON Schema: type, allowed values and constraints."""
    if schema is True or schema == {}:
        return ["any"]
    if schema is False:
        return ["nothing"]
    if not isinstance(schema, Mapping):
        return [str(schema)]
    parts: list[Part] = []

    def add(*new: Part) -> None:
        if parts:
            parts.append("; ")
        parts.extend(new)

    if "$ref" in schema:
        label, text = schema_ref_label(schema["$ref"], current)
        add(ref(label, nodes.literal(text=text)))
    if "const" in schema:
        add("always ", literal(_js(schema["const"])))
    if "enum" in schema:
        opts: list[Part] = ["one of "]
        for i, v in enumerate(schema["enum"]):
            if i:
                opts.append(", ")
            opts.append(literal(_js(v)))
        add(*opts)
    for key in ("oneOf", "anyOf"):
        alts = [
            s for s in schema.get(key, []) if not (isinstance(s, Mapping) and "properties" in s and "type" not in s)
        ]
        if alts:
            joined: list[Part] = []
            for i, alt in enumerate(alts):
                if i:
                    joined.append(" or ")
                joined.extend(describe_schema(alt, current))
            add(*joined)
    types = schema.get("type")
    if types is not None:
        names = [types] if isinstance(types, str) else list(types)
        typed: list[Part] = []
        for i, t in enumerate(names):
            if i:
                typed.append(" or ")
            if t == "array" and "prefixItems" in schema:
                typed.append("array [")
                for j, item in enumerate(schema["prefixItems"]):
                    if j:
                        typed.append(", ")
                    typed.extend(describe_schema(item, current))
                typed.append("]")
            elif t == "array" and "items" in schema:
                typed.append("array of ")
                typed.extend(describe_schema(schema["items"], current))
            elif t == "object" and isinstance(schema.get("additionalProperties"), Mapping):
                typed.append("object whose values are ")
                typed.extend(describe_schema(schema["additionalProperties"], current))
            else:
                typed.append(t)
        add(*typed)
    constraints: list[Part] = []
    for key, words in (
        ("minLength", "length >= {}"),
        ("maxLength", "length <= {}"),
        ("minimum", ">= {}"),
        ("maximum", "<= {}"),
        ("exclusiveMinimum", "> {}"),
        ("exclusiveMaximum", "< {}"),
        ("minItems", "at least {} item(s)"),
        ("maxItems", "at most {} item(s)"),
        ("format", "format {}"),
    ):
        if key in schema:
            constraints += [", " if constraints else "", words.format(schema[key])]
    if schema.get("uniqueItems"):
        constraints += [", " if constraints else "", "unique items"]
    if "pattern" in schema:
        constraints += [", " if constraints else "", "matching ", literal(schema["pattern"])]
    constraints = [c for c in constraints if c != ""]
    if constraints and parts:
        parts += [" (", *constraints, ")"]
    elif constraints:
        parts = constraints
    return parts or ["any"]


def schema_rows(
    schema: Any, prefix: str = "", condition: str | None = None
) -> Iterable[tuple[str, Any, bool, str | None]]:
    """Flatten an object schema's properties to ``(path, subschema, required, condition)`` rows.

    Nested objects and arrays of objects are expanded with ``parent.child`` and
    ``parent[].child`` paths; ``oneOf`` variants of an object add their own properties with
    the condition under which they apply (e.g. ``when type is "numeric"``).
    """
    if not isinstance(schema, Mapping):
        return
    props = schema.get("properties", {})
    required = set(schema.get("required", []))
    for name, sub in props.items():
        if sub is True:
            continue
        path = f"{prefix}{name}"
        yield path, sub, name in required, condition
        yield from _children(sub, path)
    for variant in schema.get("oneOf", []):
        if not (isinstance(variant, Mapping) and "properties" in variant and "type" not in variant):
            continue
        consts = [
            f"{k} is {_js(v['const'])}"
            for k, v in variant["properties"].items()
            if isinstance(v, Mapping) and "const" in v
        ]
        cond = "when " + " and ".join(consts) if consts else "in one variant"
        vreq = set(variant.get("required", []))
        for name, sub in variant["properties"].items():
            if sub is True or name in props:
                continue
            path = f"{prefix}{name}"
            yield path, sub, name in vreq, cond
            yield from _children(sub, path)


def _children(sub: Any, path: str) -> Iterable[tuple[str, Any, bool, str | None]]:
    if not isinstance(sub, Mapping):
        return
    if "properties" in sub:
        yield from schema_rows(sub, path + ".")
    items = sub.get("items")
    if isinstance(items, Mapping) and "properties" in items:
        yield from schema_rows(items, path + "[].")
    for alt in sub.get("oneOf", []):
        if isinstance(alt, Mapping) and alt.get("type") == "object" and "properties" in alt:
            yield from schema_rows(alt, path + ".")


def schema_description(sub: Any, condition: str | None) -> list[Part]:
    if not isinstance(sub, Mapping):
        return []
    parts: list[Part] = []
    if condition:
        parts.append(nodes.emphasis(text=f"Only {condition}."))
    if sub.get("description"):
        parts.append((" " if parts else "") + str(sub["description"]))
    if "default" in sub:
        parts.extend([" Default: " if parts else "Default: ", literal(_js(sub["default"])), "."])
    return parts
