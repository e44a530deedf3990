"""``aspire report``: score responses (or read a stored result) and write a report.

    aspire report --instrument ID RESPONSES -o report.html
    aspire report --result result.json -o report.xlsx
    aspire report --demo -o demo.html
    aspire report -i hrbp360-review responses.csv --subject HRBP-01 -o hrbp-01.html

The format comes from the output file's extension (``.html``, ``.md``, ``.xlsx``) or
``--format``. A progress bar is drawn on standard error when it is a terminal (never with
``--quiet``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, TextIO

__all__ = ["add_parser", "cmd_report"]


def add_parser(subparsers: Any, common: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the ``report`` subcommand to the ``aspire`` parser."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "report",
        parents=[common],
        help="write a report (HTML with charts, Markdown or Excel) from responses or a stored result",
        description="Score a response file and write a report, or write one from a stored result JSON "
        "(aspire score -o). Format from the output's extension (.html, .md, .xlsx) or --format.",
    )
    p.add_argument("responses", nargs="?", help="CSV file (one respondent per row) or JSON list of records")
    p.add_argument("--instrument", "-i", help="instrument id, or path to an instrument JSON file")
    p.add_argument("--result", "-r", metavar="RESULT_JSON", help="report on a stored result instead of scoring")
    p.add_argument("--demo", action="store_true", help="report on the bundled examples (Aspire, 360 and diffusion)")
    p.add_argument("--output", "-o", required=True, help="the report file (.html, .md or .xlsx)")
    p.add_argument("--format", "-f", choices=["html", "md", "xlsx"], help="report format (default: from --output)")
    p.add_argument("--title", help="report title")
    p.add_argument("--benchmark", action="store_true", help="also run the benchmark scorer (self-assessments)")
    p.add_argument("--organisation", help="benchmark charts: mark this organisation only (default: each, up to 12)")
    p.add_argument(
        "--subject",
        metavar="ID",
        help="360 reviews: a report on this subject (the person reviewed) only, to hand to them "
        "(default: every subject, and the team view)",
    )
    p.add_argument(
        "--min-group-size",
        type=int,
        metavar="N",
        help="when scoring RESPONSES: smallest group of people whose figures are published (default: 5 for "
        "staff surveys, 3 for 360 rater groups; below the default the report carries a notice)",
    )
    p.add_argument("--ignore-extra-columns", action="store_true", help="read past columns the instrument does not know")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar and no messages")
    p.set_defaults(func=cmd_report)
    return p


def cmd_report(args: argparse.Namespace, out: TextIO) -> int:
    from aspire_models.cli import EXIT_OK, UsageError, _check_output, _failures, _instrument, _registry
    from aspire_models.instrument import ScoringRule
    from aspire_models.progress import Progress, score_with_progress
    from aspire_models.rejections import write_rejections
    from aspire_models.reports import FORMATS, demo_results, load_result, write_report
    from aspire_models.reports.model import ResultLike
    from aspire_models.result import Result

    sources = sum([bool(args.responses), bool(args.result), bool(args.demo)])
    if sources != 1:
        raise UsageError("give one of: RESPONSES with --instrument, --result RESULT_JSON, or --demo")
    if args.responses and not args.instrument:
        raise UsageError("scoring RESPONSES needs --instrument ID")
    if (args.result or args.demo) and (args.instrument or args.benchmark or args.min_group_size is not None):
        raise UsageError("--instrument, --benchmark and --min-group-size apply when scoring RESPONSES")
    fmt = args.format or FORMATS.get(Path(args.output).suffix.lower())
    if fmt is None:
        raise UsageError(f"cannot tell the report format from {args.output!r}: use .html, .md or .xlsx, or --format")
    _check_output(args.output)  # before any work: a folder that exists, not a directory
    reg = _registry(args)
    results: list[ResultLike] = []
    with Progress(0, quiet=args.quiet) as bar:
        if args.result:
            bar.add(1)
            bar.step("reading the result")
            results.append(load_result(args.result))
        elif args.demo:
            bar.add(1)
            bar.step("scoring the bundled examples")
            results.extend(demo_results(reg))
        else:
            if not Path(args.responses).exists():
                raise UsageError(f"no such file: {args.responses}")
            ins = _instrument(reg, args.instrument)
            if args.subject and ins.design != "review-360":
                raise UsageError(f"--subject applies to 360 instruments; {ins.id!r} is a {ins.design} instrument")
            rules = [*ins.scoring, ScoringRule("benchmark")] if args.benchmark else None
            options: dict[str, Any] = {"extra_columns": "ignore"} if args.ignore_extra_columns else {}
            from aspire_models.formats.cli import read_options

            options.update(read_options(args, reg))  # --encoding, --input-format, --mapping...
            if args.min_group_size is not None:
                options["min_group_size"] = args.min_group_size
            if args.subject:  # one subject's review only, as `aspire score --subject`
                rules = [r for r in (rules or ins.scoring) if r.scorer != "review-360-team"]
                options["params"] = {"review-360": {"subject": args.subject}}
            results.append(score_with_progress(reg, ins, args.responses, bar, scorers=rules, **options))
        path = write_report(
            results,
            args.output,
            reg,
            format=fmt,
            title=args.title or ("aspire-models demo report" if args.demo else None),
            organisation=args.organisation,
            progress=bar,
            subject=args.subject,
        )
    if not args.quiet:
        print(f"wrote {path}", file=sys.stderr)
    code = EXIT_OK
    for result in results:  # as `aspire score`: rejected rows listed, a failed scorer is exit 1
        if isinstance(result, Result):
            write_rejections(result.rejected, out)
            code = max(code, _failures(result))
    return code
