"""Every Python block of the plugin guides runs as the page shows it.

For each page, the Python blocks (``literalinclude`` of a ``.py`` file, with its
``:pyobject:``, ``:start-at:``, ``:end-before:`` options, and ``code-block:: python``) are
taken in page order and run one after the other in one fresh namespace, as a reader copying
them into a file would: a block that uses a name no earlier block of the page imported or
defined fails with NameError. Included files run with their folder current and on
``sys.path``; ``test_*`` functions a block defines are called.
"""

from __future__ import annotations

import ast
import contextlib
import io
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

DOCS = Path(__file__).resolve().parents[1] / "docs"
PAGES = ("tutorial.rst", "plugin-kit.rst", "writing-a-scorer.rst")

_DIRECTIVE = re.compile(r"^\.\. (literalinclude|code-block)::\s*(\S+)\s*$")
_OPTION = re.compile(r"^\s+:([a-z-]+):\s*(.*)$")


def blocks(page: Path) -> Iterator[tuple[str, Path | None, int]]:
    """(code, included file or None, line of the directive) of each Python block of a page."""
    lines = page.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        m = _DIRECTIVE.match(lines[i])
        if not m:
            i += 1
            continue
        kind, arg, start = m.group(1), m.group(2), i + 1
        options: dict[str, str] = {}
        i += 1
        while i < len(lines) and _OPTION.match(lines[i]):
            key, value = _OPTION.match(lines[i]).groups()  # type: ignore[union-attr]
            options[key] = value
            i += 1
        if kind == "literalinclude":
            path = (page.parent / arg).resolve()
            if path.suffix != ".py":
                continue
            yield select(path.read_text(encoding="utf-8"), options), path, start
        elif arg == "python":
            body: list[str] = []
            while i < len(lines) and (not lines[i].strip() or lines[i].startswith("   ")):
                body.append(lines[i][3:])
                i += 1
            yield "\n".join(body).strip() + "\n", None, start


def select(text: str, options: dict[str, str]) -> str:
    """The part of a file a literalinclude shows (the options the guides use)."""
    if "pyobject" in options:
        tree = ast.parse(text)
        node = next(
            n
            for n in tree.body
            if isinstance(n, ast.ClassDef | ast.FunctionDef) and n.name == options["pyobject"]
        )
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        return "\n".join(text.splitlines()[first - 1 : node.end_lineno]) + "\n"
    if "start-at" in options:
        text = text[text.index(options["start-at"]) :]
    if "end-before" in options:
        text = text[: text.index(options["end-before"])]
    return text


@contextlib.contextmanager
def in_folder(folder: Path) -> Iterator[None]:
    old_cwd, old_path = Path.cwd(), list(sys.path)
    os.chdir(folder)
    sys.path.insert(0, str(folder))
    try:
        yield
    finally:
        os.chdir(old_cwd)
        sys.path[:] = old_path


@pytest.mark.parametrize("page", PAGES)
def test_every_python_block_runs_as_shown(page: str) -> None:
    found = list(blocks(DOCS / page))
    assert found, f"{page} has no Python block"
    namespace: dict[str, Any] = {"__name__": "__main__"}
    for code, path, line in found:
        folder = path.parent if path is not None else DOCS
        if path is not None:
            namespace["__file__"] = str(path)
        where = f"{page}, block at line {line}" + (f" ({path.name})" if path else "")
        with in_folder(folder), contextlib.redirect_stdout(io.StringIO()):
            before = set(namespace)
            try:
                exec(compile(code, where, "exec"), namespace)
                for name in sorted(set(namespace) - before):
                    if name.startswith("test_") and callable(namespace[name]):
                        namespace[name]()
            except Exception as exc:
                raise AssertionError(f"{where}: {type(exc).__name__}: {exc}") from exc
