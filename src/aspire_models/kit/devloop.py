"""Loading a plugin that is not installed, for the edit-and-run loop (``aspire -p MODULE``).

An installed plugin is found through its ``aspire_models`` entry point. While writing one,
it is quicker to name the module directly, as pytest's ``-p`` does::

    aspire -p my_plugin frameworks                    # a module importable from here
    aspire -p src/my_plugin score -i my-survey data.csv   # or a path to a package or .py file

The Python equivalent is ``Registry(plugins=[my_plugin])``.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType

from aspire_models.errors import PluginError

__all__ = ["import_plugin", "import_plugins"]


def import_plugin(spec: str) -> ModuleType:
    """Import a plugin module named by ``spec``: a dotted module name, or a path to a package
    directory or a ``.py`` file (its folder is put on ``sys.path``, as Python does for a
    script).

    A module name is looked for in the current directory first, then on ``sys.path``.

    :raises PluginError: the module cannot be found or raised while being imported.
    """
    path = Path(spec)
    if spec.endswith(".py") or (path.is_dir() and (path / "__init__.py").is_file()):
        if not path.exists():
            raise PluginError(spec, None, f"no such file or folder: {path}")
        folder, name = str(path.resolve().parent), path.stem if path.suffix == ".py" else path.name
    else:
        folder, name = str(Path.cwd()), spec
    if folder not in sys.path:
        sys.path.insert(0, folder)
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and not (name + ".").startswith(exc.name + "."):  # it imports a missing module
            raise PluginError(spec, None, f"importing it failed: {type(exc).__name__}: {exc}") from exc
        raise PluginError(
            spec,
            None,
            f"no module named {name!r} in {folder} or on the Python path; run from the folder that holds it, "
            "or give a path (-p src/my_plugin or -p my_plugin.py)",
        ) from None
    except Exception as exc:  # the plugin's own code failed while importing
        raise PluginError(spec, None, f"importing it failed: {type(exc).__name__}: {exc}") from exc


def import_plugins(specs: Iterable[str]) -> list[ModuleType]:
    """:func:`import_plugin` for each spec, in order."""
    return [import_plugin(s) for s in specs]
