"""``aspire new-plugin NAME``: write a new plugin distribution from the templates in
``aspire_models/kit/templates/plugin/`` (rendered with :class:`string.Template`).

The plugin is complete and installable as written: a ``pyproject.toml`` with the
``aspire_models`` entry point, a package holding a framework, an instrument (survey), a
scorer and the hooks, the framework's source document, sample responses made from the
instrument, and tests that pass as generated. Its ids start with NAME, so they do not clash
with other plugins'.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from importlib.resources import files
from pathlib import Path

import attrs

from aspire_models.errors import AspireError

__all__ = ["NewPlugin", "new_plugin", "plugin_names"]

_NAME = re.compile(r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$")

#: template file -> path in the new distribution (``$module`` etc. substituted)
FILES: Mapping[str, str] = {
    "pyproject.toml.tmpl": "pyproject.toml",
    "README.md.tmpl": "README.md",
    "init.py.tmpl": "src/$module/__init__.py",
    "framework.json.tmpl": "src/$module/frameworks/$framework_id.json",
    "instrument.json.tmpl": "src/$module/instruments/$instrument_id.json",
    "source.txt.tmpl": "src/$module/sources/$source_file",
    "conftest.py.tmpl": "tests/conftest.py",
    "test_plugin.py.tmpl": "tests/test_plugin.py",
}
#: respondents in the generated sample responses
SAMPLE_SIZE = 30


@attrs.frozen
class NewPlugin:
    """What :func:`new_plugin` wrote."""

    root: Path
    names: Mapping[str, str]
    files: tuple[Path, ...]


def plugin_names(name: str) -> dict[str, str]:
    """The names a plugin called ``name`` uses: distribution, module, entry point and ids.

    >>> names = plugin_names("Riverside Council")
    >>> names["distribution"], names["module"], names["instrument_id"]
    ('aspire-riverside-council', 'aspire_riverside_council', 'riverside-council-survey')
    """
    slug = re.sub(r"[\s_]+", "-", name.strip().lower())
    if slug.startswith("aspire-"):
        slug = slug.removeprefix("aspire-")
    if not _NAME.fullmatch(slug):
        raise AspireError(
            f"plugin name {name!r}: use letters, digits and hyphens, starting with a letter "
            "(for example: riverside-council)"
        )
    from aspire_models import __version__

    return {
        "name": slug,
        "title": " ".join(w.capitalize() for w in slug.split("-")),
        "distribution": f"aspire-{slug}",
        "module": "aspire_" + slug.replace("-", "_"),
        "entry_point": slug.replace("-", "_"),
        "framework_id": f"{slug}-values",
        "instrument_id": f"{slug}-survey",
        "scorer_id": f"{slug}-favourable",
        "source_file": f"{slug}-values-statement.txt",
        "library_version": __version__,
    }


def new_plugin(name: str, directory: str | Path = ".") -> NewPlugin:
    """Write a new plugin distribution into ``directory/aspire-NAME`` (which must not exist
    or be empty) and return what was written.

    :raises AspireError: a bad name, or the target folder exists and is not empty.
    """
    names = plugin_names(name)
    root = Path(directory) / names["distribution"]
    if root.exists() and (not root.is_dir() or any(root.iterdir())):
        raise AspireError(f"{root} already exists and is not an empty folder: choose another --dir or name")
    templates = files("aspire_models.kit").joinpath("templates", "plugin")
    written: list[Path] = []
    for template, target in FILES.items():
        text = string.Template(templates.joinpath(template).read_text(encoding="utf-8")).substitute(names)
        path = root / string.Template(target).substitute(names)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    package = root / "src" / names["module"]
    (package / "py.typed").write_text("", encoding="utf-8")
    written.append(package / "py.typed")
    written.append(_write_examples(package, names))
    return NewPlugin(root, names, tuple(written))


def _write_examples(package: Path, names: Mapping[str, str]) -> Path:
    """Sample responses to the new instrument, made from it (:func:`aspire_models.testing.write_sample_csv`)."""
    import json

    from aspire_models.framework import Framework
    from aspire_models.instrument import Instrument
    from aspire_models.testing import write_sample_csv

    fw_doc = json.loads((package / "frameworks" / f"{names['framework_id']}.json").read_text(encoding="utf-8"))
    ins_doc = json.loads((package / "instruments" / f"{names['instrument_id']}.json").read_text(encoding="utf-8"))
    framework = Framework.from_dict(fw_doc)
    instrument = Instrument.from_dict(ins_doc).bind(framework, lambda _id: framework)
    out = package / "examples" / f"{names['instrument_id']}-responses.csv"
    out.parent.mkdir(parents=True, exist_ok=True)
    return write_sample_csv(instrument, out, SAMPLE_SIZE, seed=1)
