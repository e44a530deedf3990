"""Sphinx extension: command-line reference and captured output, produced while the docs build.

``.. aspire-cli::``
    The help of ``aspire`` and of every subcommand, from
    :func:`aspire_models.cli.build_parser` itself (so a new option appears without editing
    the docs), after examples of its use (:data:`EXAMPLES`; a subcommand without one is a
    build warning). Each subcommand gets a section labelled ``cli-<name>``.
``.. aspire-command-output:: aspire demo``
    Runs the command in-process through :func:`aspire_models.cli.main` and shows what it
    printed. A non-zero exit code or anything written to stderr is a build warning.
``.. aspire-script-output:: tutorial/score_riverside.py``
    Runs a Python file (path relative to the current document) as ``__main__``, with its
    directory first on ``sys.path``, and shows its standard output.

Help text is formatted for a fixed width (``COLUMNS=88``) so the output does not depend on
the terminal the build runs in.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import runpy
import shlex
import sys
from collections.abc import Iterator
from pathlib import Path

from aspire_cli_examples import EXAMPLES
from aspire_nodes import literal, para, section
from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective
from sphinx.util.typing import ExtensionMetadata

logger = logging.getLogger(__name__)

WIDTH = "88"



@contextlib.contextmanager
def fixed_width() -> Iterator[None]:
    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = WIDTH
    try:
        yield
    finally:
        if old is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = old


def output_block(text: str) -> nodes.literal_block:
    block = nodes.literal_block(text, text, language="text")
    block["classes"].append("aspire-output")
    return block


def subcommands(parser: argparse.ArgumentParser) -> Iterator[tuple[str, str, argparse.ArgumentParser]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help or "" for a in action._choices_actions}
            for name, sub in action.choices.items():
                yield name, helps.get(name, ""), sub


class CliDirective(SphinxDirective):
    """``.. aspire-cli::`` the help of the ``aspire`` command and its subcommands."""

    def run(self) -> list[nodes.Node]:
        from aspire_models.cli import build_parser

        self.env.note_reread()
        with fixed_width():
            parser = build_parser()
            out: list[nodes.Node] = [output_block("$ aspire --help\n" + parser.format_help())]
            for name, help_text, sub in subcommands(parser):
                sec = section(self.env, f"cli-{name}", literal(f"aspire {name}"))
                if help_text:
                    sec += para(help_text[0].upper() + help_text[1:] + ".")
                examples = EXAMPLES.get(name)
                if not examples:
                    logger.warning("aspire %s has no example in EXAMPLES", name, location=self.get_location())
                else:
                    sec += nodes.rubric(text="Examples")
                    text = "\n".join(f"# {what}\n{line}" for what, line in examples)
                    sec += nodes.literal_block(text, text, language="bash")
                sec += output_block(f"$ aspire {name} --help\n" + sub.format_help())
                out.append(sec)
        return out


class CommandOutputDirective(SphinxDirective):
    """``.. aspire-command-output:: aspire ARGS...`` run the CLI and show its output."""

    required_arguments = 1
    final_argument_whitespace = True

    def run(self) -> list[nodes.Node]:
        from aspire_models.cli import main

        self.env.note_reread()
        argv = shlex.split(self.arguments[0])
        if argv[0] != "aspire":
            raise self.error("aspire-command-output runs 'aspire ...' commands only")
        stdout, stderr = io.StringIO(), io.StringIO()
        with fixed_width(), contextlib.redirect_stderr(stderr):
            try:
                code = main(argv[1:], out=stdout)
            except SystemExit as exc:  # argparse usage errors
                code = exc.code if isinstance(exc.code, int) else 1
            except Exception as exc:
                raise self.error(f"{self.arguments[0]!r} failed: {type(exc).__name__}: {exc}") from exc
        if code != 0 or stderr.getvalue():
            logger.warning(
                "%r exited with %s; stderr: %s",
                self.arguments[0],
                code,
                stderr.getvalue(),
                location=self.get_location(),
            )
        return [output_block(f"$ {self.arguments[0]}\n{stdout.getvalue()}")]


class ScriptOutputDirective(SphinxDirective):
    """``.. aspire-script-output:: PATH`` run a Python file and show its standard output."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        rel, path = self.env.relfn2path(self.arguments[0], self.env.docname)
        script = Path(path)
        self.env.note_dependency(rel)
        for sibling in script.parent.iterdir():
            if sibling.is_file():
                self.env.note_dependency(str(sibling))
        stdout, stderr = io.StringIO(), io.StringIO()
        sys.path.insert(0, str(script.parent))
        try:
            with fixed_width(), contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
                runpy.run_path(str(script), run_name="__main__")
        except Exception as exc:
            raise self.error(f"{self.arguments[0]} failed: {type(exc).__name__}: {exc}") from exc
        finally:
            sys.path.remove(str(script.parent))
        if stderr.getvalue():
            logger.warning("%s wrote to stderr: %s", self.arguments[0], stderr.getvalue(), location=self.get_location())
        return [output_block(f"$ python {script.name}\n{stdout.getvalue()}")]


def setup(app: Sphinx) -> ExtensionMetadata:
    app.add_directive("aspire-cli", CliDirective)
    app.add_directive("aspire-command-output", CommandOutputDirective)
    app.add_directive("aspire-script-output", ScriptOutputDirective)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
