"""The command line documents itself: every argument of every command has help text, every
default is stated, and every command has examples on the CLI page that its own parser
accepts (docs/_ext/aspire_cli.py, EXAMPLES)."""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from aspire_models.cli import build_parser

DOCS = Path(__file__).resolve().parents[1] / "docs"


def commands(parser: argparse.ArgumentParser, prefix: str = "aspire") -> Iterator[tuple[str, argparse.ArgumentParser]]:
    yield prefix, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from commands(sub, f"{prefix} {name}")


def arguments() -> Iterator[tuple[str, argparse.Action]]:
    skip = (argparse._HelpAction, argparse._SubParsersAction, argparse._VersionAction)
    for name, parser in commands(build_parser()):
        for action in parser._actions:
            if not isinstance(action, skip):
                yield name, action


def test_every_argument_has_help() -> None:
    missing = [(cmd, a.option_strings or a.dest) for cmd, a in arguments() if not a.help or a.help == argparse.SUPPRESS]
    assert not missing, missing


def test_every_default_is_stated() -> None:
    flags = (argparse._StoreTrueAction, argparse._StoreFalseAction, argparse._CountAction)
    unstated = [
        (cmd, a.option_strings or a.dest, a.default)
        for cmd, a in arguments()
        if a.default not in (None, False, argparse.SUPPRESS)
        and not isinstance(a, flags)
        and "default" not in str(a.help).lower()
    ]
    assert not unstated, unstated


@pytest.fixture(scope="module")
def examples() -> dict[str, list[tuple[str, str]]]:
    sys.path.insert(0, str(DOCS / "_ext"))
    try:
        import aspire_cli_examples
    finally:
        sys.path.remove(str(DOCS / "_ext"))
    found: dict[str, list[tuple[str, str]]] = aspire_cli_examples.EXAMPLES
    return found


def test_every_command_has_examples_its_parser_accepts(examples: dict[str, list[tuple[str, str]]]) -> None:
    parser = build_parser()
    names = {name.split(" ", 1)[1] for name, _ in commands(parser) if " " in name}
    assert names == set(examples), names ^ set(examples)
    for name, lines in examples.items():
        assert lines, name
        for what, line in lines:
            argv = shlex.split(line)
            assert argv[:2] == ["aspire", name] and what, line
            args = parser.parse_args(argv[1:])  # exits (a failure) on an unknown option
            assert args.func is not None, line
