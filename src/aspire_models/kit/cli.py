"""``aspire new-plugin NAME [--dir DIR]``: start a plugin from the kit's template."""

from __future__ import annotations

import argparse
import sys
from typing import Any, TextIO

__all__ = ["add_parser", "cmd_new_plugin"]


def add_parser(subparsers: Any, common: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the ``new-plugin`` subcommand to the ``aspire`` parser."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "new-plugin",
        parents=[common],
        help="create a new plugin distribution (framework, survey, scorer, tests) to start from",
        description="Create an installable plugin distribution, aspire-NAME, in DIR: a framework, a survey on "
        "it, a scorer, sample responses and tests that pass as generated. Then: cd aspire-NAME && "
        "pip install -e . && python -m pytest",
    )
    p.add_argument("name", help="the plugin's name: letters, digits and hyphens (e.g. riverside-council)")
    p.add_argument("--dir", default=".", help="folder to create aspire-NAME in (default: the current folder)")
    p.set_defaults(func=cmd_new_plugin)
    return p


def cmd_new_plugin(args: argparse.Namespace, out: TextIO) -> int:
    from aspire_models.cli import UsageError
    from aspire_models.errors import AspireError
    from aspire_models.kit.scaffold import new_plugin

    try:
        made = new_plugin(args.name, args.dir)
    except AspireError as exc:  # a bad name or an existing folder: the command was misused
        raise UsageError(str(exc)) from None
    n = made.names
    out.write(f"created {made.root} ({len(made.files)} files):\n")
    for path in made.files:
        out.write(f"  {path.relative_to(made.root)}\n")
    out.write(
        f"\nIt contributes framework {n['framework_id']}, instrument {n['instrument_id']} and scorer "
        f"{n['scorer_id']}. Next:\n"
        f"  cd {made.root}\n"
        "  pip install -e .            # editable: changes take effect without reinstalling\n"
        "  python -m pytest            # its tests pass as generated\n"
        f"  aspire score -i {n['instrument_id']} src/{n['module']}/examples/{n['instrument_id']}-responses.csv\n"
    )
    print(f"wrote {made.root}", file=sys.stderr)
    return 0
