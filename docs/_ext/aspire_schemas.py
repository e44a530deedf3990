"""Sphinx extension: reference tables generated from the JSON Schemas in ``schemas/``.

``.. aspire-schema:: instrument`` reads ``schemas/instrument.schema.json`` (the file the
library validates against) while the documentation is built and renders its title,
description and ``$id``, a download link, a table of its properties (nested objects and
arrays of objects flattened to ``parent.child`` / ``parent[].child`` paths, ``oneOf``
variants marked with the condition under which they apply), and one subsection per entry of
``$defs``. ``$ref`` values become links to those subsections (label
``schema-<name>-def-<def>``); the schema itself gets the label ``schema-<name>``.

The directory is the ``aspire_schema_dir`` config value (default: ``../schemas`` from the
documentation directory).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aspire_nodes import (
    describe_schema,
    field_list,
    literal,
    para,
    schema_description,
    schema_rows,
    section,
    table,
)
from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective
from sphinx.util.typing import ExtensionMetadata


def schema_dir(app_confdir: str | os.PathLike[str], configured: str | None) -> Path:
    base = Path(app_confdir)
    return (base / configured).resolve() if configured else (base.parent / "schemas").resolve()


def properties_table(schema: Mapping[str, Any], current: str) -> nodes.table:
    rows = [
        [
            literal(path),
            describe_schema(sub, current),
            "yes" if required else "",
            schema_description(sub, condition) or "–",
        ]
        for path, sub, required, condition in schema_rows(schema)
    ]
    return table(["Field", "Type and allowed values", "Required", "Description"], rows, [22, 30, 8, 40])


class SchemaDirective(SphinxDirective):
    """``.. aspire-schema:: NAME`` the reference of ``NAME.schema.json``."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        name = self.arguments[0]
        path = schema_dir(self.env.srcdir, self.config.aspire_schema_dir) / f"{name}.schema.json"
        self.env.note_dependency(str(path))
        schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        sec = section(self.env, f"schema-{name}", schema.get("title", name), " (", literal(path.name), ")")
        if schema.get("description"):
            sec += para(schema["description"])
        here = Path(self.env.doc2path(self.env.docname)).parent
        download = addnodes.download_reference(
            "",
            "",
            reftarget=os.path.relpath(path, here),
            refdoc=self.env.docname,
            refexplicit=True,
            refdomain="",
            reftype="download",
        )
        download += literal(path.name)
        sec += field_list(
            [
                ("$id", literal(schema.get("$id", "–"))),
                ("Dialect", literal(schema.get("$schema", "–"))),
                ("File", [download, " (in ", literal("schemas/"), " and in the wheel)"]),
                (
                    "Extra properties",
                    "not allowed" if schema.get("additionalProperties") is False else "allowed",
                ),
            ]
        )
        sec += properties_table(schema, name)
        for def_name, sub in schema.get("$defs", {}).items():
            dsec = section(self.env, f"schema-{name}-def-{def_name}", "Definition ", literal(def_name))
            if isinstance(sub, Mapping) and sub.get("description"):
                dsec += para(sub["description"])
            if isinstance(sub, Mapping) and ("properties" in sub or ("oneOf" in sub and "type" in sub)):
                kind = describe_schema({k: v for k, v in sub.items() if k not in ("oneOf", "description")}, name)
                dsec += para("Value: ", *kind, ".")
                dsec += properties_table(sub, name)
            else:
                dsec += para("Value: ", *describe_schema(sub, name), ".")
            sec += dsec
        return [sec]


def setup(app: Sphinx) -> ExtensionMetadata:
    app.add_config_value("aspire_schema_dir", None, "env", types=frozenset({str, type(None)}))
    app.add_directive("aspire-schema", SchemaDirective)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
