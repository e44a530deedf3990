"""The command line of the reader layer: ``aspire map`` and the read options every
command that reads responses takes (``--encoding``, ``--format``, ``--sheet``,
``--header-row``, ``--mapping``)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from aspire_models.registry import Registry

__all__ = ["add_map_parser", "add_read_options", "cmd_map", "read_options"]

#: the commands that read a response file
READING_COMMANDS = ("score", "reliability", "benchmark", "norms", "diffusion", "report")


def add_read_options(p: argparse.ArgumentParser, *, mapping: bool = True) -> None:
    g = p.add_argument_group("reading the file")
    g.add_argument("--encoding", help="text encoding of the file (default: UTF-8, a byte-order mark, or detected)")
    # (``--format`` already chooses the output of score and report: here it is --input-format)
    flags = ["--input-format"] + ([] if "--format" in p._option_string_actions else ["--format"])
    g.add_argument(
        *flags,
        dest="source_format",
        metavar="FORMAT",
        help="source format: qualtrics, surveymonkey, googleforms, msforms, limesurvey, csv, workbook, or a "
        "plugin's (default: recognised)",
    )
    g.add_argument("--sheet", help="workbook sheet, by name or 0-based number (default: the first)")
    g.add_argument("--header-row", type=int, metavar="N", help="1-based row of the header (default: found)")
    if mapping:
        g.add_argument("--mapping", metavar="FILE", help="mapping document (aspire map drafts one)")


def _sheet(value: str | None) -> str | int | None:
    return int(value) if value is not None and value.isdigit() else value


def read_options(args: argparse.Namespace, registry: Registry) -> dict[str, Any]:
    """The reading options given on the command line, as keyword arguments of
    :func:`aspire_models.score` (only those given), with the registry's readers."""
    out: dict[str, Any] = {}
    for key, value in (
        ("encoding", getattr(args, "encoding", None)),
        ("format", getattr(args, "source_format", None)),
        ("sheet", _sheet(getattr(args, "sheet", None))),
        ("header_row", getattr(args, "header_row", None)),
        ("mapping", getattr(args, "mapping", None)),
    ):
        if value is not None:
            out[key] = value
    responses = str(getattr(args, "responses", None) or "")
    if out and responses.lower().endswith(".json"):
        from aspire_models.cli import UsageError

        given = ", ".join("--" + k.replace("_", "-").replace("format", "input-format") for k in out)
        raise UsageError(f"{given}: JSON response files are read as UTF-8 JSON records; these options are for exports")
    if out.get("mapping") is not None:
        from aspire_models.formats.mapping import load_mapping

        out["mapping"] = load_mapping(out["mapping"])
    out["readers"] = list(registry.readers.values())
    return out


def add_map_parser(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "map",
        parents=[common],
        help="draft a mapping document for a survey export (question text matched to items)",
        description="Read a survey export or workbook, match its questions to the instrument's items "
        "and print what matched, what is uncertain and what is unmatched; write the draft mapping "
        "(to check, then use with: aspire score --mapping FILE).",
    )
    p.add_argument("export", help="the export: CSV/TSV (also .gz, .zip), .xlsx, .xlsm, .ods")
    p.add_argument("--instrument", "-i", required=True, help="instrument id, or path to an instrument JSON file")
    p.add_argument("--output", "-o", help="write the mapping here (default: standard output)")
    add_read_options(p, mapping=False)
    p.set_defaults(func=cmd_map)


def cmd_map(args: argparse.Namespace, out: TextIO) -> int:
    from aspire_models.cli import EXIT_OK, UsageError, _check_output, _instrument, _registry, _write_output
    from aspire_models.formats import read_export
    from aspire_models.formats.base import ReadOptions
    from aspire_models.formats.draft import draft_mapping

    _check_output(args.output)
    reg = _registry(args)
    if not Path(args.export).exists():
        raise UsageError(f"no such file: {args.export}")
    ins = _instrument(reg, args.instrument)
    options = ReadOptions(encoding=args.encoding, sheet=_sheet(args.sheet), header_row=args.header_row, delimiter=None)
    table, prov = read_export(
        args.export, readers=list(reg.readers.values()), format=args.source_format, options=options
    )
    draft = draft_mapping(table, prov, ins)
    text = json.dumps(draft.mapping.to_dict(), indent=2, ensure_ascii=False) + "\n"
    report = out if args.output else sys.stderr
    report.write(f"{args.export}: read as {prov.describe()}; {table.num_rows} data rows, {len(prov.columns)} columns\n")
    for w in prov.warnings:
        report.write(f"warning: {w}\n")
    sections = (
        ("Matched", draft.matched),
        ("Uncertain (check these)", draft.uncertain),
        ("Unmatched columns (left out: map them by hand if they answer an item)", draft.unmatched),
    )

    def more(items: Sequence[Any]) -> None:  # a long list is cut, saying how much
        if len(items) > _LISTED:
            report.write(f"  ... and {len(items) - _LISTED:,} more\n")

    for title, found in sections:
        report.write(f"\n{title}: {len(found)}\n")
        for m in found[:_LISTED]:
            target = f" -> {m.target}" if m.target else ""
            note = f"  ({m.note})" if m.note else ""
            report.write(f"  [{m.score:5.1f}] {_short(m.column)}{target}{note}\n")
        more(found)
    ignored = [m for m in draft.matches if m.status == "ignored"]
    report.write(f"\nIgnored (the platform's own columns): {len(ignored)}\n")
    for m in ignored[:_LISTED]:
        report.write(f"  {_short(m.column)}" + (f"  ({m.note})" if m.note else "") + "\n")
    more(ignored)
    report.write(f"\nInstrument columns not found in the export: {len(draft.unmatched_items)}\n")
    for name in draft.unmatched_items:
        report.write(f"  {name}\n")
    if draft.label_notes:
        report.write("\nAnswer labels:\n")
        for note in draft.label_notes:
            report.write(f"  {note}\n")
    if args.output:
        _write_output(args.output, text)
    else:
        out.write(text)
    return EXIT_OK


#: entries listed per section of ``aspire map``'s report before the rest are counted
_LISTED = 50


def _short(text: str, limit: int = 90) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."
