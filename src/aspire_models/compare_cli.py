"""``aspire compare``: compare survey waves, and ``aspire demo waves``.

    aspire compare -i aspire-sop-self-assessment wave-2024.csv wave-2025.csv
    aspire compare -i ID w1.csv w2.csv w3.csv --labels 2023,2024,2025 -o change.html
    aspire demo waves

``-o`` writes the comparison document (``.json``: both waves' protected results and the
comparison) or a report (``.html`` with trend charts, ``.md``).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from aspire_models.compare import Comparison

__all__ = ["add_parser", "cmd_compare", "demo_waves"]


def add_parser(subparsers: Any, common: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """Add the ``compare`` subcommand to the ``aspire`` parser."""
    p: argparse.ArgumentParser = subparsers.add_parser(
        "compare",
        parents=[common],
        help="compare survey waves: change per organisation and dimension, with intervals and tests",
        description="Score each wave (oldest first) and compare them per organisation and dimension: the change "
        "with its confidence interval, Welch's t (paired when respondent ids persist), Hedges' g, p-values "
        "adjusted for the many comparisons, and a label. Only groups published in both waves are compared.",
    )
    p.add_argument("waves", nargs="+", metavar="WAVE", help="response files, oldest first (two or more)")
    p.add_argument(
        "--instrument",
        "-i",
        action="append",
        required=True,
        help="instrument id or JSON file: once for every wave, or once per wave (instrument versions)",
    )
    p.add_argument("--labels", help="wave names, comma-separated (default: the file names)")
    p.add_argument("--confidence", type=float, default=0.95, help="level of the intervals (default 0.95)")
    p.add_argument("--alpha", type=float, default=0.05, help="level at which a change is labelled (default 0.05)")
    p.add_argument(
        "--adjust",
        choices=["holm", "bh", "none"],
        default="holm",
        help="multiple-comparison control: holm (family-wise error, default), bh (false discovery rate), none",
    )
    p.add_argument("--test", choices=["welch", "permutation"], default="welch", help="t tests (default) or permutation")
    p.add_argument("--permutations", type=int, default=9999, help="resamples of the permutation test (default 9999)")
    p.add_argument("--seed", type=int, default=0, help="seed of the permutation test (default 0)")
    p.add_argument("--no-pairing", action="store_true", help="never pair respondents across waves (always Welch)")
    p.add_argument("--min-group-size", type=int, metavar="N", help="smallest group published, in every wave")
    p.add_argument("--all", action="store_true", help="print every row, also the groups not compared")
    p.add_argument("--output", "-o", help="write the comparison: .json (document), .html or .md (report)")
    p.add_argument("--ignore-extra-columns", action="store_true", help="read past columns the instrument does not know")
    from aspire_models.formats.cli import add_read_options

    add_read_options(p)  # --encoding, --input-format, --sheet, --header-row, --mapping (every wave)
    p.set_defaults(func=cmd_compare)
    return p


def cmd_compare(args: argparse.Namespace, out: TextIO) -> int:
    from aspire_models.cli import EXIT_OK, UsageError, _check_output, _instrument, _registry, _write_output
    from aspire_models.compare import compare

    _check_output(args.output)
    if args.output and Path(args.output).suffix.lower() not in (".json", ".html", ".htm", ".md"):
        raise UsageError(f"--output {args.output}: use a .json, .html or .md file")
    if len(args.waves) < 2:
        raise UsageError("compare needs two or more wave files")
    for w in args.waves:
        if not Path(w).exists():
            raise UsageError(f"no such file: {w}")
    if len(args.instrument) not in (1, len(args.waves)):
        raise UsageError(
            f"give --instrument once, or once per wave ({len(args.waves)}), not {len(args.instrument)} times"
        )
    labels = [x.strip() for x in args.labels.split(",")] if args.labels else None
    if labels is not None and len(labels) != len(args.waves):
        raise UsageError(f"--labels names {len(labels)} waves, but {len(args.waves)} files were given")
    for name, value in (("--confidence", args.confidence), ("--alpha", args.alpha)):
        if not 0 < value < 1:
            raise UsageError(f"{name} must be between 0 and 1, got {value}")
    if args.permutations < 1:
        raise UsageError(f"--permutations must be at least 1, got {args.permutations}")
    reg = _registry(args)
    inss = [_instrument(reg, spec) for spec in args.instrument]
    from aspire_models.formats.cli import read_options

    options: dict[str, Any] = dict(read_options(args, reg))
    if args.ignore_extra_columns:
        options["extra_columns"] = "ignore"
    comparison = compare(
        reg,
        inss if len(inss) > 1 else inss[0],
        list(args.waves),
        labels=labels,
        confidence=args.confidence,
        alpha=args.alpha,
        adjust=args.adjust,
        test=args.test,
        paired="never" if args.no_pairing else "auto",
        permutations=args.permutations,
        seed=args.seed,
        min_group_size=args.min_group_size,
        **options,
    )
    print_comparison(comparison, out, every=args.all)
    from aspire_models.rejections import write_rejections

    for label, wave in zip(comparison.labels, comparison.waves, strict=True):  # rows read and rejected, as score
        a = wave.accounting
        out.write(f"\n{label}: {a.input} rows, {a.accepted} scored, {a.rejected} rejected\n")
        write_rejections(wave.rejected, out)
    if args.output:
        suffix = Path(args.output).suffix.lower()
        if suffix == ".json":
            text = comparison.to_json()
        else:
            from aspire_models.reports.trends import render_comparison

            text = render_comparison(comparison, reg, fmt="md" if suffix == ".md" else "html")
        _write_output(args.output, text)
    return EXIT_OK


def print_comparison(comparison: Comparison, out: TextIO, *, every: bool = False) -> None:
    """The findings per organisation and the changes, largest effect first."""
    from aspire_models.cli import render_table
    from aspire_models.reports.trends import what_changed_rows

    params = comparison.output.params
    adjust = {"holm": "Holm", "bh": "Benjamini-Hochberg", "none": "no adjustment"}[str(params["adjust"])]
    out.write(
        f"Waves: {', '.join(comparison.labels)} ({params['confidence']:.0%} intervals; p-values adjusted: {adjust}; "
        f"alpha {params['alpha']:g}; groups under {params['min_group_size']} people are not published)\n"
    )
    for warning in comparison.warnings:
        out.write(f"note: {warning}\n")
    pairs = list(dict.fromkeys((r["from"], r["to"]) for r in comparison.table().rows()))
    for a, b in pairs:
        out.write(f"\n{a} -> {b}\n")
        reasons = {r["organisation"]: r["reason"] for r in comparison.table().rows() if (r["from"], r["to"]) == (a, b)}
        for org, counts in comparison.findings((a, b)).items():
            total = sum(counts.values())
            if counts["not compared"] == total:
                out.write(f"  {org}: {reasons[org]}\n")
                continue
            parts = [f"{counts[x]} {x}" for x in ("improved", "declined", "no detectable change") if counts[x]]
            extra = f", {counts['not compared']} not compared" if counts["not compared"] else ""
            out.write(f"  {org}: {', '.join(parts)}{extra} (of {total} dimensions)\n")
        rows = what_changed_rows(comparison, (a, b))
        shown = [
            {
                "organisation": r["organisation"],
                "dimension": r["element"] + (f".{r['mode']}" if r["mode"] else ""),
                "from": r["mean_from"],
                "to": r["mean_to"],
                "change": r["change"],
                "ci_low": r["ci_low"],
                "ci_high": r["ci_high"],
                "g": r["hedges_g"],
                "p_adj": r["p_adjusted"],
                "test": r["test"],
                "finding": r["label"],
            }
            for r in rows
        ]
        if every:
            shown += [
                {
                    "organisation": r["organisation"],
                    "dimension": r["element"] + (f".{r['mode']}" if r["mode"] else ""),
                    "finding": r["reason"],
                }
                for r in comparison.table().rows()
                if (r["from"], r["to"]) == (a, b) and r["suppressed"]
            ]
        if shown:
            out.write("\n")
            cols = [
                "organisation",
                "dimension",
                "from",
                "to",
                "change",
                "ci_low",
                "ci_high",
                "g",
                "p_adj",
                "test",
                "finding",
            ]
            render_table(shown, cols, out)
        sector = [
            {
                "dimension": r["element"] + (f".{r['mode']}" if r["mode"] else ""),
                "orgs": r["n_from"] if r["n_from"] == r["n_to"] else f"{r['n_from']}/{r['n_to']}",
                "from": r["mean_from"],
                "to": r["mean_to"],
                "change": r["change"],
                "ci_low": r["ci_low"],
                "ci_high": r["ci_high"],
                "g": r["hedges_g"],
                "p_adj": r["p_adjusted"],
                "test": r["test"],
                "finding": r["label"] or r["reason"],
            }
            for r in comparison.table("sector-changes").rows()
            if (r["from"], r["to"]) == (a, b)
        ]
        if sector:
            left = sorted({o for r in comparison.table("sector-changes").rows() for o in r["left_out"]})
            out.write("\nSector (mean of organisation means)")
            out.write(f"; not in it: {', '.join(left)}\n" if left else "\n")
            render_table(sector, list(sector[0]), out)


def audit_document(doc: dict[str, Any], args: argparse.Namespace, out: TextIO) -> int:
    """``aspire audit comparison.json``: each wave's published result audited together with the
    comparison; exit 0 when no withheld group can be worked out from either, 1 otherwise."""
    from aspire_models import validation
    from aspire_models.cli import EXIT_INVALID, EXIT_OK
    from aspire_models.compare import audit_comparison

    validation.check(doc, "comparison", source=args.result)  # (each wave's result against the result schema too)
    reports = audit_comparison(doc)
    if args.json:
        found = [
            {"wave": w["label"], **f.to_dict()} for w, r in zip(doc["waves"], reports, strict=True) for f in r.findings
        ]
        out.write(json.dumps(found, indent=2, ensure_ascii=False) + "\n")
    else:
        for w, r in zip(doc["waves"], reports, strict=True):
            out.write(f"wave {w['label']} with the comparison: {r}\n")
    return EXIT_OK if all(r.ok for r in reports) else EXIT_INVALID


def demo_waves(registry: Any, out: TextIO) -> None:
    """``aspire demo waves``: the bundled two-wave example, and what it shows."""
    from aspire_models.compare import compare
    from aspire_models.examples import example_path

    comparison = compare(
        registry,
        "aspire-sop-self-assessment",
        [example_path("aspire-waves-2024.csv"), example_path("aspire-waves-2025.csv")],
        labels=["2024", "2025"],
    )
    out.write(
        "Two synthetic waves of the Aspire self-assessment: Northfield Council genuinely improved its 'now' "
        "ratings (the same 48 people, +1.5 points), Southmoor Council changed by noise only, Little Fenwick "
        "Council has 3 respondents a year.\n\n"
    )
    print_comparison(comparison, out)
