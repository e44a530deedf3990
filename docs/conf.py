"""Sphinx configuration for aspire-models.

Built with ``nox -s docs`` (``sphinx-build -W --keep-going -b html docs docs/_build/html``):
warnings are errors. Only Sphinx and its bundled extensions are used; the generated pages
(catalogue, schemas, CLI, API, methods, captured output) come from the small local
extensions in ``docs/_ext/``, which read the installed package while the docs are built.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment

import aspire_models

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "_ext"))

project = "aspire-models"
author = "aspire-models developers"
project_copyright = "aspire-models developers"
version = release = aspire_models.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
    "aspire_api",
    "aspire_catalogue",
    "aspire_charts",
    "aspire_cli",
    "aspire_math",
    "aspire_schemas",
]

root_doc = "index"
exclude_patterns = ["_build"]
templates_path: list[str] = []
html_theme = "alabaster"
html_static_path = ["_static"]
html_css_files = ["aspire.css"]
html_theme_options = {"page_width": "1180px", "sidebar_width": "230px", "fixed_sidebar": True}
html_title = f"aspire-models {release}"
html_show_sourcelink = False
# formulas as HTML text (docs/_ext/aspire_math.py): readable offline, no MathJax from a CDN
html_math_renderer = "aspire_text"

# -- autodoc -----------------------------------------------------------------------------------
autodoc_typehints = "description"
autodoc_member_order = "bysource"
autodoc_class_signature = "separated"
napoleon_google_docstring = False
napoleon_numpy_docstring = True

aspire_schema_dir = "../schemas"
# Hook specifications are not in hookspecs.__all__ (which exports only the markers), but they
# are the plugin API: document them explicitly. The package itself re-exports names defined
# in its modules; those are documented where they are defined.
aspire_api_options = {
    "aspire_models": [],
    "aspire_models.hookspecs": [
        ":members: PROJECT, hookimpl, aspire_frameworks, aspire_instruments, aspire_scorers, aspire_norms, "
        "aspire_readers, aspire_report_charts"
    ],
    # the package's own functions; Cells, Population, Finding and the pseudonyms are documented
    # where they are defined (aspire_models.privacy.cells, .control, .pseudonyms)
    "aspire_models.privacy": [":members: AuditReport, audit, dimensions_used, protect", ":show-inheritance:"],
}

# -- optional pages ----------------------------------------------------------------------------
#: Pages written by others that may not exist yet. index.rst lists them in its toctree; the
#: entry is removed while reading index.rst when the file is absent, so the build passes
#: with ``-W`` either way (no "nonexisting document" and no "not in any toctree" warning).
OPTIONAL_DOCS = ("performance",)


def _drop_missing_optional_docs(app: Sphinx, docname: str, source: list[str]) -> None:
    if docname != root_doc:
        return
    for name in OPTIONAL_DOCS:
        if not (DOCS / f"{name}.rst").exists():
            source[0] = "\n".join(line for line in source[0].split("\n") if line.strip() != name)


def _reread_index(app: Sphinx, env: BuildEnvironment, added: Any, changed: Any, removed: Any) -> list[str]:
    # whether an optional page exists can change between builds: re-read the toctree each time
    return [root_doc]


def setup(app: Sphinx) -> None:
    app.connect("source-read", _drop_missing_optional_docs)
    app.connect("env-get-outdated", _reread_index)
