"""The ``aspire`` command line.

Exit codes:

- 0: success;
- 1: invalid input (a document or response file broke a rule or a limit, a scorer failed, an
  output could not be written, a plugin failed in strict mode);
- 2: usage error (unknown command, option or id, a missing input file, an output path that
  cannot be written, checked before any work);
- 70: an unexpected error, which is a bug in aspire-models or a plugin: one line says so and
  how to report it; ``--debug`` shows the traceback;
- 130: interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import json
import math
import re
import shutil
import sys
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO, cast

from aspire_models import __version__
from aspire_models.errors import (
    AspireError,
    DocumentError,
    InputFileError,
    OutputFileError,
    PluginError,
    Problem,
    ResponseError,
    UnknownIdError,
)
from aspire_models.rejections import shown_text, write_rejections

if TYPE_CHECKING:  # the registry (numpy, pyarrow, jsonschema) is imported when a command needs it
    from aspire_models.registry import Registry

__all__ = ["build_parser", "main"]

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2
#: an unexpected exception: a bug (EX_SOFTWARE of sysexits.h)
EXIT_BUG = 70
EXIT_INTERRUPTED = 130
BUG_REPORT = (
    "please report it to the maintainers as SECURITY.md ('Reporting a problem') says, with the command, "
    "the aspire-models version and the output of --debug (no personal data)"
)


class UsageError(Exception):
    pass


def _width() -> int:
    return max(60, min(120, shutil.get_terminal_size((100, 24)).columns))


def _fmt(v: Any, integer: bool = False) -> str:
    from aspire_models.textout import fmt_value  # whole numbers, yes/no, "-" for missing

    return fmt_value(v, integer=integer)


def _range(row: dict[str, Any]) -> str:
    """A range of organisation means, or 'withheld' when its ends are withheld."""
    if row.get("min") is None or row.get("max") is None:
        return "withheld"
    return f"{_fmt(row['min'])}-{_fmt(row['max'])}"


def render_table(
    rows: Sequence[dict[str, Any]], columns: Sequence[str], out: TextIO, headers: Sequence[str] | None = None
) -> None:
    """Plain-text table, numbers right-aligned."""
    from aspire_models.textout import integer_columns

    headers = list(headers or columns)
    whole = integer_columns(rows, columns)  # counts, ranks, years print without decimals
    cells = [[_fmt(r.get(c), w) for c, w in zip(columns, whole, strict=True)] for r in rows]
    widths = [max([len(h)] + [len(row[i]) for row in cells]) for i, h in enumerate(headers)]
    numeric = [all(isinstance(r.get(c), int | float) or r.get(c) is None for r in rows) for c in columns]

    def line(values: Sequence[str]) -> str:
        return "  ".join(
            v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric, strict=True)
        ).rstrip()

    out.write(line(headers) + "\n")
    out.write("  ".join("-" * w for w in widths) + "\n")
    for row in cells:
        out.write(line(row) + "\n")


def _registry(args: argparse.Namespace, *, frameworks_only: bool = False) -> Registry:
    from aspire_models.kit.devloop import import_plugins
    from aspire_models.registry import Registry

    # one registry per command, however many times a command asks: plugins load once and
    # each plugin problem is reported once
    reg: Registry | None = vars(args).get("_registry")
    if reg is None:
        dev_plugins = import_plugins(getattr(args, "plugin", None) or ())
        timeout = getattr(args, "plugin_timeout", None)
        reg = Registry(
            entry_points=not getattr(args, "no_plugins", False),
            strict=getattr(args, "strict", False),
            plugins=dev_plugins,
            **({} if timeout is None else {"hook_timeout": timeout}),
        )
        vars(args)["_registry"] = reg
    # collect now, so that strict mode fails here; listing frameworks collects frameworks only
    problems = reg.framework_problems if frameworks_only else reg.problems
    reported: set[Any] = vars(args).setdefault("_reported_problems", set())
    new = [p for p in problems if p not in reported]
    reported.update(new)
    if new and not reg.strict and getattr(args, "command", None) != "plugins":  # `plugins` lists them itself
        for paragraph in reg.problem_report(new):
            print(f"warning: {terminal_safe(paragraph)}", file=sys.stderr)
    return reg


# -- commands ------------------------------------------------------------------------------
#: how `frameworks show` states where an element's name comes from
NAME_STATUS_TEXT = {
    "quoted": "quoted from the source",
    "paraphrased": "our wording of what the source says",
    "project": "our label; the source gives this element no name",
}


def cmd_frameworks(args: argparse.Namespace, out: TextIO) -> int:
    reg = _registry(args, frameworks_only=True)
    if args.id:
        fw = reg.framework(args.id)
        if args.json:
            out.write(json.dumps(fw.to_dict(), indent=2, ensure_ascii=False) + "\n")
            return EXIT_OK
        width = _width()
        out.write(f"{fw.name} ({fw.id}, version {fw.version})\n")
        out.write(f"Publisher: {fw.publisher}\n")
        if fw.citation:
            out.write(f"Citation: {fw.citation}\n")
        out.write(f"Source: {fw.source}\n")
        out.write(textwrap.fill(fw.description, width) + "\n")
        for kind in fw.kinds:
            elements = fw.elements_of_kind(kind.id)
            out.write(f"\n{kind.name} ({len(elements)})\n{'=' * len(kind.name)}\n")
            for e in elements:
                parent = f" [in {fw.element(e.parent).name}]" if e.parent else ""
                out.write(f"\n{e.name} ({e.id}){parent}\n")
                if e.name_status is not None:
                    out.write(f"  Name: {NAME_STATUS_TEXT[e.name_status]}\n")
                if e.definition is None:
                    out.write("  (the source gives no definition)\n")
                else:
                    label = {"quoted": "", "paraphrased": "(paraphrase) "}[e.definition_status]
                    out.write(
                        textwrap.fill(label + e.definition, width, initial_indent="  ", subsequent_indent="  ") + "\n"
                    )
                if e.attributes:
                    out.write("  " + ", ".join(f"{k} = {v:g}" for k, v in e.attributes.items()) + "\n")
                out.write(f"  Source: {e.source}\n")
        return EXIT_OK
    rows = [
        {
            "id": f.id,
            "name": f.name,
            "elements": len(f),
            "publisher": f.publisher,
            "plugin": reg.owner("framework", f.id),
        }
        for f in reg.frameworks.values()
    ]
    if args.json:
        out.write(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
    else:
        render_table(rows, ["id", "name", "elements", "plugin"], out)
    return EXIT_OK


def cmd_instruments(args: argparse.Namespace, out: TextIO) -> int:
    reg = _registry(args)
    if args.id:
        ins = reg.instrument(args.id)
        if args.json:
            out.write(json.dumps(ins.to_dict(), indent=2, ensure_ascii=False) + "\n")
            return EXIT_OK
        width = _width()
        out.write(f"{ins.title} ({ins.id}, version {ins.version})\n")
        out.write(f"Design: {ins.design}; measures framework {ins.framework}\n")
        out.write(textwrap.fill(ins.description, width) + "\n")
        if ins.authorship:
            out.write(textwrap.fill("Authorship: " + ins.authorship, width) + "\n")
        out.write("\nScales:\n")
        for s in ins.scales:
            if s.type == "numeric":
                out.write(f"  {s.id}: {s.min:g} to {s.max:g}\n")
            else:
                out.write(f"  {s.id}: choose any of {', '.join(s.option_ids)}\n")
        if ins.modes:
            out.write("Modes: " + ", ".join(f"{m.id} ({m.label})" for m in ins.modes) + "\n")
        if ins.rater_roles:
            out.write("Rater roles: " + ", ".join(r.id for r in ins.rater_roles) + "\n")
        out.write("\nResponse columns:\n")
        for c in ins.columns():
            out.write(f"  {c.name}  [{c.kind}]\n")
        out.write("\nScorers: " + ", ".join(r.scorer for r in ins.scoring) + "\n")
        return EXIT_OK
    rows = [
        {
            "id": i.id,
            "version": i.version,
            "design": i.design,
            "framework": i.framework,
            "items": len(i.items),
            "plugin": reg.owner("instrument", i.id),
        }
        for i in reg.instruments.values()
    ]
    if args.json:
        out.write(json.dumps(rows, indent=2) + "\n")
    else:
        render_table(rows, ["id", "version", "design", "framework", "items", "plugin"], out)
    return EXIT_OK


def cmd_plugins(args: argparse.Namespace, out: TextIO) -> int:
    reg = _registry(args)
    contrib: dict[str, dict[str, int]] = {}
    for kind, store in (("frameworks", reg.frameworks), ("instruments", reg.instruments), ("scorers", reg.scorers)):
        for item_id in store:
            name = reg.owner(kind[:-1], item_id)
            contrib.setdefault(name, {}).setdefault(kind, 0)
            contrib[name][kind] += 1
    rows = [
        {
            "plugin": p.name,
            "distribution": p.distribution or "-",
            "version": p.version or "-",
            **{k: contrib.get(p.name, {}).get(k, 0) for k in ("frameworks", "instruments", "scorers")},
        }
        for p in reg.plugins()
    ]
    if args.json:
        out.write(json.dumps({"plugins": rows, "problems": [str(p) for p in reg.problems]}, indent=2) + "\n")
    else:
        render_table(rows, ["plugin", "distribution", "version", "frameworks", "instruments", "scorers"], out)
        for p in reg.problems:
            out.write(f"problem: {p}\n")
    return EXIT_OK


def _guess_kind(doc: Any) -> str:
    if isinstance(doc, dict):
        if "elements" in doc and "kinds" in doc:
            return "framework"
        if "items" in doc and "scales" in doc:
            return "instrument"
        if "dimensions" in doc and "instrument" in doc:
            return "norms"
        if doc.get("schema") == "urn:aspire-models:schema:result:1":
            return "result"
        if doc.get("schema") == "urn:aspire-models:schema:comparison:1":  # aspire compare -o x.json
            return "comparison"
        if doc.get("kind") == "reference":
            return "reference"
    return "framework"


def cmd_validate(args: argparse.Namespace, out: TextIO) -> int:
    """Check documents exactly as loading them for scoring does (:mod:`aspire_models.checks`).

    FILE may be a folder (a plugin's JSON files): its frameworks are checked first and are
    available to its instruments, as are frameworks given with ``--framework`` (a file or a
    folder) and the installed ones (a framework given in a file wins over an installed one)."""
    from aspire_models.checks import json_files, validate_document
    from aspire_models.framework import Framework
    from aspire_models.safeio import load_json

    path = Path(args.file)
    folder = path.is_dir()
    files = json_files(path) if folder else [path]
    if folder and not files:
        raise UsageError(f"no .json files in the folder {path}")
    extra: dict[str, Framework] = {}
    for spec in args.framework or []:
        given = Path(spec)
        for f in json_files(given) if given.is_dir() else [given]:
            doc = load_json(f, what="framework file")
            if given.is_dir() and _guess_kind(doc) != "framework":
                continue  # a plugin folder holds instruments and norms too
            fw = Framework.from_dict(doc, source=str(f))
            extra[fw.id] = fw
    loaded: list[tuple[Path, Any, str]] = []
    failed = 0
    for f in files:
        try:
            doc = load_json(f, what="document")  # (limits, named errors: aspire_models.safeio)
        except AspireError as exc:
            if not folder:
                raise
            print(f"aspire: invalid input: {exc}", file=sys.stderr)
            failed += 1
            continue
        loaded.append((f, doc, args.kind if args.kind != "auto" else _guess_kind(doc)))
    reg: Registry | None = None
    # frameworks first, so that the folder's own frameworks are there for its instruments
    for f, doc, kind in sorted(loaded, key=lambda t: t[2] != "framework"):
        try:
            if kind == "instrument" and reg is None:
                reg = _registry(args)
            frameworks = {**reg.frameworks, **extra} if reg is not None else extra
            obj = validate_document(
                doc, kind, source=str(f), frameworks=frameworks, scorers=reg.scorers if reg else None
            )
        except AspireError as exc:
            if not folder:
                raise
            print(f"aspire: invalid input: {exc}", file=sys.stderr)
            failed += 1
            continue
        if folder and kind == "framework":
            extra.setdefault(obj.id, obj)
        out.write(f"{f}: valid {kind} document\n")
    if folder:
        out.write(f"{path}: {len(files) - failed} of {len(files)} documents valid\n")
    return EXIT_INVALID if failed else EXIT_OK


def _print_result_text(result: Any, out: TextIO, *, tables: bool = True) -> None:
    p = result.provenance
    a = result.accounting
    out.write(
        f"Instrument {p.instrument_id} {p.instrument_version} on {p.source}: "
        f"{a.input} rows, {a.accepted} scored, {a.rejected} rejected\n"
    )
    for o in result.outputs if tables else ():
        for t in o.tables:
            if t.level == "respondent":
                continue
            out.write(f"\n{o.scorer}: {t.name}\n")
            rows = t.rows()
            render_table(rows, list(t.column_names), out)
        if o.summary:
            out.write("summary: " + json.dumps({k: v for k, v in o.summary.items()}, default=str) + "\n")
    if result.rejected:
        out.write("\n")
        write_rejections(result.rejected, out)
    for w in result.warnings:
        out.write(f"warning: {w}\n")


def cmd_audit(args: argparse.Namespace, out: TextIO) -> int:
    """Exit 0 when no withheld group can be worked out, 1 when one can (each is listed)."""
    from aspire_models.privacy import audit

    doc = _read_json_file(args.result)
    if isinstance(doc, dict) and "comparison" in doc and "waves" in doc:  # aspire compare -o x.json
        from aspire_models.compare_cli import audit_document

        return audit_document(doc, args, out)
    if not isinstance(doc, dict) or "outputs" not in doc:
        raise DocumentError(args.result, [Problem("type", "not a result document (no 'outputs')", "$")])
    from aspire_models import validation

    validation.check(doc, "result", source=args.result)  # (the audit reads the shape the schema states)
    report = audit(doc)
    if args.json:
        out.write(json.dumps([f.to_dict() for f in report.findings], indent=2, ensure_ascii=False) + "\n")
    else:
        out.write(str(report) + "\n")
    return EXIT_OK if report.ok else EXIT_INVALID


def cmd_score(args: argparse.Namespace, out: TextIO) -> int:
    from aspire_models.progress import Progress, score_with_progress

    _check_output(getattr(args, "output", None))
    reg = _registry(args)
    if not Path(args.responses).exists():
        raise UsageError(f"no such file: {args.responses}")
    ins = _instrument(reg, args.instrument)
    params: dict[str, dict[str, Any]] = {}
    for spec in args.param or []:
        try:
            key, value = spec.split("=", 1)
            scorer, name = key.split(".", 1)
        except ValueError:
            raise UsageError(f"--param takes SCORER.NAME=VALUE, got {spec!r}") from None
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            parsed = value
        params.setdefault(scorer, {})[name] = parsed
    if args.subject:
        params.setdefault("review-360", {})["subject"] = args.subject
        if ins.design != "review-360":
            raise UsageError(f"--subject applies to 360 instruments; {ins.id!r} is a {ins.design} instrument")
    options: dict[str, Any] = {}
    if args.ignore_extra_columns:
        options["extra_columns"] = "ignore"
    if args.allow_missing_items:
        options["allow_missing_items"] = True
    from aspire_models.formats.cli import read_options

    options.update(read_options(args, reg))  # --encoding, --input-format, --sheet, --mapping...
    scorers = ["review-360"] if args.subject else None
    key = None
    if args.pseudonymise_key_file:
        from aspire_models.limits import DEFAULT_LIMITS
        from aspire_models.safeio import read_input_bytes

        key = read_input_bytes(
            args.pseudonymise_key_file,
            what="pseudonymisation key file",
            max_bytes=DEFAULT_LIMITS.max_key_bytes,
            limit_name="max_key_bytes",
        ).strip()
        if not key:
            raise UsageError("the pseudonymisation key file is empty")
    with Progress(0, quiet=args.quiet) as bar:  # drawn only on a terminal
        result = score_with_progress(
            reg,
            ins,
            args.responses,
            bar,
            params=params,
            scorers=scorers,
            pseudonymise_key=key,
            min_group_size=args.min_group_size,
            **options,
        )
    text = result.to_json(include_respondents=args.include_respondents)
    if args.output:
        _write_output(args.output, text)
    if args.format == "json":
        out.write(text)
    elif args.format == "text":  # every table
        _print_result_text(result, out)
    else:  # a short summary per scorer, and where the full result is
        from aspire_models.textout import print_summary

        full = (
            f"Full result (every table): {args.output}"
            if args.output
            else "Every table: add -o result.json to write the full result, or --format text to print them here."
        )
        titles = {o.scorer: reg.scorer(o.scorer).title for o in result.outputs if o.scorer in reg.scorers}
        print_summary(result, out, titles=titles, full=full)
    return _failures(result)


def _check_output(path: str | None) -> None:
    """Refuse an ``-o`` path that cannot be written before any work starts (exit 2)."""
    from aspire_models.safeio import check_output_path

    if path:
        try:
            check_output_path(path)
        except OutputFileError as exc:
            raise UsageError(str(exc)) from None


def _write_output(path: str, text: str, note: str = "") -> None:
    """Write an ``-o`` file atomically (whole or not at all) and say so on standard error."""
    from aspire_models.safeio import atomic_write

    atomic_write(path, text)
    print(f"wrote {path}{note}", file=sys.stderr)


def _failures(result: Any) -> int:
    """Report scorers that failed (left out of the result); exit 1 if any did."""
    for failure in result.failures:
        print(f"aspire: {shown_text(str(failure))}", file=sys.stderr)
    return EXIT_INVALID if result.failures else EXIT_OK


def _is_path(spec: str) -> bool:
    """Whether an ``--instrument``/``--norms`` value names a file rather than an id."""
    return spec.endswith(".json") or "/" in spec or "\\" in spec


def _instrument(reg: Registry, spec: str) -> Any:
    return reg.load_instrument(spec) if _is_path(spec) else reg.instrument(spec)


def add_min_group_size(p: argparse.ArgumentParser) -> None:
    """The one privacy option of every command that publishes figures about groups."""
    p.add_argument(
        "--min-group-size",
        type=int,
        metavar="N",
        help="smallest group of people whose figures are published, for every scorer (default: 5 for "
        "staff surveys, 3 for 360 rater groups; below the default the result carries a notice)",
    )


def _run_scorer(args: argparse.Namespace, scorer: str, params: dict[str, Any], reg: Registry | None = None) -> Any:
    from aspire_models.engine import score

    _check_output(getattr(args, "output", None))
    reg = reg or _registry(args)
    if not Path(args.responses).exists():
        raise UsageError(f"no such file: {args.responses}")
    from aspire_models.formats.cli import read_options

    result = score(
        reg,
        _instrument(reg, args.instrument),
        args.responses,
        scorers=[scorer],
        params={scorer: params},
        min_group_size=getattr(args, "min_group_size", None),
        **read_options(args, reg),
    )
    if getattr(args, "output", None):
        _write_output(args.output, result.to_json())
    return result


def cmd_reliability(args: argparse.Namespace, out: TextIO) -> int:
    result = _run_scorer(args, "reliability", {"missing": args.missing})
    _print_result_text(result, out)
    return _failures(result)


def _read_json_file(path: str, what: str = "JSON document") -> Any:
    from aspire_models.safeio import load_json

    return load_json(path, what=what)  # (limits, named errors: aspire_models.safeio)


def cmd_benchmark(args: argparse.Namespace, out: TextIO) -> int:
    if getattr(args, "reference", None):
        return _benchmark_reference(args, out)
    norms: Any = None
    if args.norms:
        norms = _read_json_file(args.norms, "norm table") if _is_path(args.norms) else args.norms
    result = _run_scorer(args, "benchmark", {"norms": norms, "organisation": args.organisation})
    _print_result_text(result, out)
    if not result.failures:  # too small a reference group, interpolated norms: said where it is read
        for line in result.output("benchmark").notes:
            out.write(f"warning: {line}\n")
    return _failures(result)


def _benchmark_reference(args: argparse.Namespace, out: TextIO) -> int:
    """``aspire benchmark --reference ID``: theme means against a published average and range."""
    from aspire_models.reference import compare_with_reference, load_reference, theme_averages

    ref = load_reference(args.reference)
    result = _run_scorer(args, "aggregate", {})
    if result.failures:
        return _failures(result)
    ds = theme_averages(ref)
    src = ds["source"]
    out.write(f"Against {ref['id']}: {ds['title']} ({src['file']}, {src['section']}, lines {src['lines']})\n")
    rows = compare_with_reference(result, ref)
    if args.organisation:
        rows = [r for r in rows if r["level"] == "sector" or r["organisation"] == args.organisation]
    render_table(
        rows,
        ["organisation", "element", "mode", "mean", "published_mean", "difference", "published_range", "position"],
        out,
    )
    for r in ds["rows"]:
        for note in r["inconsistencies"]:
            out.write(f"note: published table, {r['element']} (line {r['line']}): {note}\n")
    scored = result.provenance.instrument_id
    if ref.get("instrument") and ref["instrument"] != scored:
        out.write(f"note: the reference was published for instrument {ref['instrument']!r}, not {scored!r}\n")
    if not rows:
        out.write("note: no theme of this instrument is in the reference\n")
    return _failures(result)


def cmd_norms(args: argparse.Namespace, out: TextIO) -> int:
    from aspire_models.scorers.benchmark import build_norms

    _check_output(args.output)
    reg = _registry(args)
    result = _run_scorer(argparse.Namespace(**{**vars(args), "output": None}), "aggregate", {}, reg)
    if result.failures:
        write_rejections(result.rejected, out)
        return _failures(result)
    table = result.table("aggregate", "organisations")
    doc = build_norms(
        {"rows": table.rows()},
        instrument=_instrument(reg, args.instrument),  # the scores' resolution: exact organisation means
        norms_id=args.id,
        version=args.version_label,
        title=args.title or f"Norms for {result.provenance.instrument_id}",
        instrument_id=result.provenance.instrument_id,
        instrument_version=result.provenance.instrument_version,
        population=args.population or "",
    )
    text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    if args.output:
        _write_output(args.output, text, f" ({len(doc['dimensions'])} dimensions)")
        write_rejections(result.rejected, out)
    else:
        out.write(text)
        write_rejections(result.rejected, sys.stderr)  # (standard output holds the norm table)
    return _failures(result)


def cmd_diffusion(args: argparse.Namespace, out: TextIO) -> int:
    params: dict[str, Any] = {
        "method": args.method,
        "censored": args.censored,
        "horizon": args.horizon,
        "confidence": args.confidence,
    }
    if args.observed_until is not None:
        params["observed_until"] = args.observed_until
    if args.launch:
        params["launch"] = _launch_param(args.launch)
    result = _run_scorer(args, "diffusion", params)
    if result.failures:
        write_rejections(result.rejected, out)
        return _failures(result)
    _print_diffusion(result, out)
    if result.rejected:
        out.write("\n")
        write_rejections(result.rejected, out)
    return EXIT_OK


def _launch_param(specs: Sequence[str]) -> int | dict[str, int]:
    """``--launch 2008`` (every practice) or ``--launch PRACTICE=2008`` (repeatable)."""
    per: dict[str, int] = {}
    for spec in specs:
        name, _, value = spec.rpartition("=")
        try:
            period = int(value)
        except ValueError:
            raise UsageError(f"--launch takes PERIOD or PRACTICE=PERIOD (an integer), got {spec!r}") from None
        if not name:
            if len(specs) > 1:
                raise UsageError("--launch PERIOD (for every practice) cannot be combined with other --launch")
            return period
        per[name] = period
    return per


def _print_diffusion(result: Any, out: TextIO) -> None:
    a = result.accounting
    out.write(
        f"{result.provenance.instrument_id} on {result.provenance.source}: {a.input} units, "
        f"{a.accepted} scored, {a.rejected} rejected\n"
    )
    output = result.output("diffusion")
    summary = output.summary
    if summary.get("window"):
        out.write(textwrap.fill(str(summary["window"]), _width()) + "\n")
    cats = result.table("diffusion", "categories").rows()
    fits = {r["practice"]: r for r in result.table("diffusion", "bass").rows()}
    curve = result.table("diffusion", "curve").rows()
    level = f"{100 * output.params.get('confidence', 0.95):g}%"
    for practice, fit in fits.items():
        out.write(f"\n== {practice} ({fit['adopters']} of {fit['units']} units adopted)\n")
        if fit.get("launch") is not None:
            out.write(
                f"Window: {fit['launch']} (launch: {fit['launch_rule']}) to {fit['observed_until']}\n"
            )
        p_cats = [r for r in cats if r["practice"] == practice]
        if p_cats:
            render_table(p_cats, ["category", "n", "observed_share", "theoretical_share"], out)
        else:
            out.write(f"Adopter categories: {fit.get('categories') or 'none'}\n")
        if fit["status"] not in ("fitted", "m-at-bound"):
            out.write(f"Bass model: {fit['status']}\n")
            continue
        if fit["status"] == "fitted":
            out.write(
                f"Bass model (fitted): p = {fit['p']:.4f} (se {fit['p_se']:.4f}), q = {fit['q']:.4f} "
                f"(se {fit['q_se']:.4f}), m = {fit['m']:.1f} (se {fit['m_se']:.1f}); "
                f"R^2 of per-period adoptions = {fit['r_squared']:.3f}\n"
            )
        else:
            out.write(
                f"Bass model: m-at-bound ({fit['m_bound']} bound): p = {fit['p']:.4f}, q = {fit['q']:.4f}, "
                f"m = {fit['m']:.1f} (not identified: no standard errors, no forecast); "
                f"R^2 of per-period adoptions = {fit['r_squared']:.3f}\n"
            )
        out.write(
            f"Peak period: {_period_text(fit['peak_period'])}; chasm (16% cumulative) crossed in: "
            f"{_period_text(fit['chasm_period'])}\n"
        )
        rows = [r for r in curve if r["practice"] == practice]
        by_period: dict[float, dict[str, Any]] = {}
        band = f"{level} band"
        for r in rows:
            d = by_period.setdefault(r["period"], {"period": int(r["period"])})
            d[r["kind"]] = r["adoptions"]
            if r["kind"] != "observed":
                d[f"{r['kind']} cumulative"] = r["cumulative"]
            if r["kind"] == "forecast" and r.get("cumulative_low") is not None:
                d[band] = f"{r['cumulative_low']:.1f}-{r['cumulative_high']:.1f}"
        columns = ["period", "observed", "fitted", "fitted cumulative"]
        if any("forecast" in d for d in by_period.values()):
            columns += ["forecast", "forecast cumulative", band]
        render_table(list(by_period.values()), columns, out)
    inn = result.table("diffusion", "innovativeness").rows()
    top = sorted((r for r in inn if r["innovativeness"] is not None), key=lambda r: r["innovativeness"])[:5]
    out.write("\nMost innovative units (mean standardised adoption time):\n")
    render_table(top, ["unit", "practices_adopted", "innovativeness", "category"], out)
    if summary.get("forecast_band"):
        out.write(
            f"Forecast cumulative: adopters observed so far plus expected new ones; {summary['forecast_band']}.\n"
        )
    for note in output.notes[1:] if summary.get("window") else output.notes:
        out.write(f"note: {note}\n")


def _period_text(v: Any) -> str:
    return "-" if v is None else f"{v:g}"


def cmd_frequencies(args: argparse.Namespace, out: TextIO) -> int:
    from aspire_models.frequencies import read_frequency_table, score_frequencies, write_text

    scored = score_frequencies(read_frequency_table(args.file))
    if args.json:
        out.write(json.dumps(scored.to_dict(), indent=2, ensure_ascii=False) + "\n")
    else:
        write_text(scored, out, args.rank_by)
    return EXIT_OK


def cmd_demo(args: argparse.Namespace, out: TextIO) -> int:
    from aspire_models.engine import score
    from aspire_models.examples import example_path

    if args.which == "360":
        reg = _registry(args)
        result = score(reg, "hrbp360-review", example_path("hrbp360-responses.csv"))
        _print_360(result, out, subject=args.subject or "HRBP-01")
        return EXIT_OK
    if args.which == "waves":  # two survey waves compared (aspire_models.compare_cli)
        from aspire_models.compare_cli import demo_waves

        demo_waves(_registry(args), out)
        return EXIT_OK
    if args.which == "diffusion":
        reg = _registry(args)
        # the scorer's defaults, as `aspire diffusion FILE` uses them: one window rule for both
        result = score(reg, "innovation-adoption-survey", example_path("innovation-adoption.csv"))
        _print_diffusion(result, out)
        write_rejections(result.rejected, out)
        return EXIT_OK
    return _demo_aspire(args, out)


def _print_360(result: Any, out: TextIO, *, subject: str) -> None:
    summ = [r for r in result.table("review-360", "summary").rows() if r["subject"] == subject]
    groups = [r for r in result.table("review-360", "groups").rows() if r["subject"] == subject]
    if not summ:
        raise UsageError(f"no subject {subject!r} in the data")
    s = result.output("review-360").summary
    k = s["min_group_size"]
    out.write(f"HRBP360 review of {subject} (min_group_size = {k}; smaller rater groups are withheld)\n")
    shown: dict[str, dict[str, Any]] = {}
    for g in groups:
        row = shown.setdefault(g["behaviour"], {"behaviour": g["behaviour"]})
        row[g["group"]] = "(withheld)" if g["suppressed"] else g["mean"]
    cols = ["behaviour", *list(dict.fromkeys(g["group"] for g in groups))]
    render_table(list(shown.values()), cols, out)
    out.write("\nSelf versus others:\n")
    render_table(summ, ["behaviour", "self_mean", "others_mean", "others_n", "gap", "classification", "rank"], out)
    comments = [c for c in result.table("review-360", "comments").rows() if c["subject"] == subject]
    if comments:
        out.write("\nComments (by rater group, never attributed):\n")
        for c in comments:
            out.write(f"  [{c['question']}, {c['group']}] {c['comment']}\n")
    team = result.table("review-360-team", "teams").rows()
    out.write("\nTeam view (all-others mean per behaviour):\n")
    tv = [r for r in team if r["group"] == "all-others"]
    render_table(tv, ["team", "n_subjects", "behaviour", "n", "mean", "suppressed"], out)


def _print_priority_findings(s: Mapping[str, Any], out: TextIO) -> None:
    """The gap-priority findings: which method, the focus, the reasoning, the ties."""
    out.write(f"\nPriorities by the {s['method_name']} ({s['method_source']}):\n")
    if s["method"] == "aspire":
        top = s["top_priority"] or ", ".join(s["key_priorities"])
        out.write(f"Top priority: {top}. Quick wins: {', '.join(s['quick_wins'])}.\n")
    out.write(f"Focus: {', '.join(s['focus']) or 'none'}.\n")
    for i, line in enumerate(s["reasoning"], 1):
        out.write(f"  {i}. {line}\n")
    for line in s["ties"]:
        out.write(f"  Tie: {line}\n")
    if s.get("paper_words"):
        out.write("The paper's words (seed 001, 'Findings', lines 91-95):\n")
        for line in s["paper_words"]:
            out.write(f'  "{line}"\n')
    out.write("\n")


def _demo_aspire(args: argparse.Namespace, out: TextIO) -> int:
    from aspire_models.engine import score
    from aspire_models.examples import example_path

    reg = _registry(args)
    path = example_path("aspire-sop-responses.csv")
    result = score(reg, "aspire-sop-self-assessment", path)
    fw = reg.framework("cipd-sop-eight-themes")
    a = result.accounting
    out.write("Aspire sustainable-organisation self-assessment (bundled synthetic data)\n")
    out.write(
        f"{path.name}: {a.input} respondents, {a.accepted} scored, {a.rejected} rejected; "
        f"{result.output('aggregate').summary['organisations']} councils\n\n"
    )
    sector = {(r["element"], r["mode"]): r for r in result.table("aggregate", "sector").rows()}
    prio = {r["element"]: r for r in result.table("gap-priority", "priorities").rows()}
    rows = []
    for e in fw.elements:
        now, fut = sector[(e.id, "now")], sector[(e.id, "future")]
        rows.append(
            {
                "theme": e.name,
                "now": now["mean"],
                "now range": _range(now),
                "future": fut["mean"],
                "future range": _range(fut),
                "gap": prio[e.id]["gap"],
                "priority": prio[e.id]["class"],
                "rank": prio[e.id]["rank"],
            }
        )
    out.write("Theme scores: mean of council means (range of council means), 1-10 attainment scale\n")
    if any(r["now range"] == "withheld" for r in rows):
        out.write(
            "(Councils with fewer respondents than min_group_size are not shown, and the range of council "
            "means, whose ends would be their own means, is withheld.)\n"
        )
    render_table(rows, ["theme", "now", "now range", "future", "future range", "gap", "priority", "rank"], out)
    s = result.output("gap-priority").summary
    _print_priority_findings(s, out)
    freq = result.table("multi-select-frequencies", "frequencies").rows()
    tools: dict[str, dict[str, Any]] = {}
    for r in freq:
        tools.setdefault(r["option"], {"HR tool": r["label"]})[r["question"].removeprefix("hr-tools-")] = r["count"]
    out.write("HR tools (CIPD HR Profession Map): respondents choosing each\n")
    render_table(list(tools.values()), ["HR tool", "used", "needed", "barriers"], out)
    out.write("\nNext: aspire score --instrument aspire-sop-self-assessment YOUR.csv -o result.json\n")
    return EXIT_OK


# -- parser --------------------------------------------------------------------------------
class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    # Global options, accepted before and after the subcommand (`aspire --no-plugins frameworks`
    # and `aspire frameworks --no-plugins`). None has a parser default (SUPPRESS), or the
    # subcommand's default would overwrite what was given before it; _main fills in
    # GLOBAL_DEFAULTS after parsing.
    common = _Parser(add_help=False)
    common.add_argument(
        "--no-plugins",
        action="store_true",
        default=argparse.SUPPRESS,
        help="do not load installed plugins (built-ins only)",
    )
    common.add_argument(
        "--strict", action="store_true", default=argparse.SUPPRESS, help="fail on the first plugin problem"
    )
    common.add_argument(
        "--plugin-timeout",
        type=_seconds,
        metavar="SECONDS",
        default=argparse.SUPPRESS,
        help="plugin time budget: the longest all plugins together may take to load and answer "
        "(default 20); a plugin still running then is reported and left out",
    )
    common.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,  # (as --plugin: a subcommand default must not override `aspire --debug CMD`)
        help="on an internal error (exit 70), show the Python traceback",
    )
    common.add_argument(
        "-p",
        "--plugin",
        action="append",
        metavar="MODULE",
        default=argparse.SUPPRESS,  # so that `aspire -p M score` keeps M (no subcommand default overrides it)
        help="also load this plugin module without installing it: a module name importable from here, "
        "or a path to a package folder or .py file (repeatable; for developing a plugin)",
    )
    parser = _Parser(
        prog="aspire",
        description="HR and OD frameworks, instruments and scoring for UK local government.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"aspire-models {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("frameworks", parents=[common], help="list frameworks, or show one: frameworks show ID")
    p.add_argument("action", nargs="?", choices=["show"], help="show one framework")
    p.add_argument("id", nargs="?", help="framework id")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_frameworks)

    p = sub.add_parser("instruments", parents=[common], help="list instruments, or show one: instruments show ID")
    p.add_argument("action", nargs="?", choices=["show"], help="show one instrument (default: list them all)")
    p.add_argument("id", nargs="?", help="instrument id (with show)")
    p.add_argument("--json", action="store_true", help="machine-readable output (default: text)")
    p.set_defaults(func=cmd_instruments)

    p = sub.add_parser("plugins", parents=[common], help="loaded plugins, their distributions and contributions")
    p.add_argument("--json", action="store_true", help="machine-readable output (default: text)")
    p.set_defaults(func=cmd_plugins)

    p = sub.add_parser("validate", parents=[common], help="validate a framework, instrument, norms or result document")
    p.add_argument("file", help="a JSON document, or a folder of them (a plugin's documents)")
    p.add_argument(
        "--kind",
        choices=["auto", "framework", "instrument", "norms", "result", "reference"],
        default="auto",
        help="what the document is (default: auto, told from its contents)",
    )
    p.add_argument(
        "--framework",
        action="append",
        metavar="FILE",
        help="a framework JSON file, or a folder of them, that instruments may refer to (repeatable)",
    )
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser(
        "audit",
        parents=[common],
        help="check a result JSON: can any withheld group be worked out from its published figures?",
    )
    p.add_argument("result", help="a result JSON file (aspire score -o result.json)")
    p.add_argument("--json", action="store_true", help="print the findings as JSON")
    p.set_defaults(func=cmd_audit)

    p = sub.add_parser("score", parents=[common], help="score a response file (CSV or JSON records)")
    p.add_argument("responses", help="CSV file (one respondent per row) or JSON list of records")
    p.add_argument("--instrument", "-i", required=True, help="instrument id, or path to an instrument JSON file")
    p.add_argument("--output", "-o", help="write the result JSON here")
    p.add_argument(
        "--format",
        choices=["text", "json"],
        default=None,
        help="what to print: text (every table) or json (the result document); default: a short summary per scorer",
    )
    p.add_argument("--param", action="append", metavar="SCORER.NAME=VALUE", help="override a scorer parameter")
    add_min_group_size(p)
    p.add_argument(
        "--include-respondents",
        action="store_true",
        help="include respondent-level tables (with identifiers) in the JSON",
    )
    p.add_argument("--ignore-extra-columns", action="store_true", help="read past columns the instrument does not know")
    p.add_argument(
        "--allow-missing-items",
        action="store_true",
        help="score a file that lacks answer columns; a dimension with none of its columns is 'not measured'",
    )
    p.add_argument("--subject", help="360 instruments: report one subject (the person reviewed) only")
    p.add_argument(
        "--pseudonymise-key-file",
        metavar="FILE",
        help="replace respondent ids by keyed hashes (HMAC-SHA256) using the key in FILE",
    )
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_score)

    p = sub.add_parser("reliability", parents=[common], help="Cronbach's alpha and item statistics per dimension")
    p.add_argument("responses", help="the response file: CSV, workbook, survey-platform export or JSON records")
    p.add_argument("--instrument", "-i", required=True, help="instrument id, or path to an instrument JSON file")
    p.add_argument(
        "--missing",
        choices=["listwise", "pairwise"],
        default="listwise",
        help="listwise: only respondents who answered every item of the dimension; pairwise: each covariance "
        "from the respondents who answered both items (default: listwise)",
    )
    p.add_argument("--output", "-o", help="write the result JSON here")
    add_min_group_size(p)
    p.set_defaults(func=cmd_reliability)

    p = sub.add_parser("benchmark", parents=[common], help="percentile ranks, z-scores, quartiles of organisations")
    p.add_argument("responses", help="the response file: CSV, workbook, survey-platform export or JSON records")
    p.add_argument("--instrument", "-i", required=True, help="instrument id, or path to an instrument JSON file")
    p.add_argument("--norms", help="norm table JSON file or registered id (default: the other organisations)")
    p.add_argument("--organisation", help="benchmark this organisation only (default: every organisation)")
    p.add_argument(
        "--reference",
        help="compare with published results instead: a bundled reference id (aspire-2015-averages) or a file",
    )
    p.add_argument("--output", "-o", help="write the result JSON here")
    add_min_group_size(p)
    p.set_defaults(func=cmd_benchmark)

    p = sub.add_parser("norms", parents=[common], help="build a norm table (JSON) from scored responses")
    p.add_argument("responses", help="the response file: CSV, workbook, survey-platform export or JSON records")
    p.add_argument("--instrument", "-i", required=True, help="instrument id, or path to an instrument JSON file")
    p.add_argument("--id", required=True, help="norm table id")
    p.add_argument("--version", dest="version_label", default="1", help="norm table version (default: 1)")
    p.add_argument("--title", help="norm table title (default: 'Norms for INSTRUMENT')")
    p.add_argument("--population", help="who the norms describe")
    p.add_argument("--output", "-o", help="write the norm table here (default: print it)")
    add_min_group_size(p)
    p.set_defaults(func=cmd_norms)

    p = sub.add_parser(
        "frequencies", parents=[common], help="score a frequency table (counts per scale point per item)"
    )
    p.add_argument("file", help="JSON or CSV frequency table, or a bundled id (ies-2015-table-3-1, ies-2015-table-3-2)")
    p.add_argument(
        "--rank-by",
        choices=["mean", "top_box", "top_two_box", "sd", "n"],
        default="mean",
        help="the statistic items are ranked by, highest first (default: mean)",
    )
    p.add_argument("--json", action="store_true", help="print the statistics, ranks and ties as JSON")
    p.set_defaults(func=cmd_frequencies)

    p = sub.add_parser("diffusion", parents=[common], help="adopter categories, Bass fit, chasm and forecast")
    p.add_argument("responses", help="the response file: CSV, workbook, survey-platform export or JSON records")
    p.add_argument(
        "--instrument",
        "-i",
        default="innovation-adoption-survey",
        help="instrument id, or path to an instrument JSON file (default: innovation-adoption-survey)",
    )
    p.add_argument(
        "--method",
        choices=["sd", "rank"],
        default="sd",
        help="adopter categories by Rogers' standard-deviation rule, or by rank against the 2.5/13.5/34/34/16 "
        "shares (default: sd)",
    )
    p.add_argument(
        "--censored",
        choices=["exclude", "laggards"],
        default="exclude",
        help="units that have not adopted: excluded from the shares, or counted as laggards (default: exclude)",
    )
    p.add_argument(
        "--horizon", type=int, default=10, help="periods to forecast after the observation window (default: 10)"
    )
    p.add_argument(
        "--observed-until",
        type=int,
        help="last period observed, the survey date (default: the latest adoption in the data); "
        "rows with a later adoption are rejected",
    )
    p.add_argument(
        "--launch",
        action="append",
        metavar="[PRACTICE=]PERIOD",
        help="launch period where the Bass clock starts, for every practice or one (repeatable); "
        "default: each practice's first observed adoption",
    )
    p.add_argument(
        "--confidence", type=float, default=0.95, help="level of intervals and forecast band (default: 0.95)"
    )
    p.add_argument("--output", "-o", help="write the result JSON here")
    p.set_defaults(func=cmd_diffusion)

    p = sub.add_parser("demo", parents=[common], help="score bundled example data (aspire, 360, diffusion or waves)")
    p.add_argument(
        "which",
        nargs="?",
        choices=["aspire", "360", "diffusion", "waves"],
        default="aspire",
        help="which example (default: aspire)",
    )
    p.add_argument("--subject", help="with 360: the subject to show (default HRBP-01)")
    p.set_defaults(func=cmd_demo)

    from aspire_models.reports.cli import add_parser as add_report_parser

    add_report_parser(sub, common)
    from aspire_models.compare_cli import add_parser as add_compare_parser

    add_compare_parser(sub, common)
    from aspire_models.kit.cli import add_parser as add_new_plugin_parser

    add_new_plugin_parser(sub, common)
    from aspire_models.formats.cli import READING_COMMANDS, add_map_parser, add_read_options

    for name in READING_COMMANDS:  # --encoding, --input-format, --sheet, --header-row, --mapping
        add_read_options(sub.choices[name])
    add_map_parser(sub, common)
    return parser


def _say_problems(head: str, problems: Sequence[Problem]) -> None:
    """Print problems to standard error, summarised when there are many (one way for all)."""
    from aspire_models.rejections import problem_lines, safe_text

    lines = problem_lines(problems)
    if len(lines) == 1:
        print(f"{head}{lines[0]}", file=sys.stderr)
        return
    print(safe_text(head.rstrip()), file=sys.stderr)
    for line in lines:
        print(f"  {line}", file=sys.stderr)


def _bug(exc: BaseException, *, debug: bool) -> int:
    """An exception nobody raised on purpose: say it is a bug, once; the traceback on --debug."""
    from aspire_models.rejections import safe_text

    if debug:
        import traceback

        traceback.print_exception(exc, file=sys.stderr)
    what = safe_text(f"{type(exc).__name__}: {exc}")[:300]
    hint = "" if debug else "; run again with --debug to see where"
    print(
        f"aspire: internal error (a bug, not a problem with your input): {what}{hint}; {BUG_REPORT}",
        file=sys.stderr,
    )
    return EXIT_BUG


#: characters that could act on a terminal (controls other than tab and newline, bidirectional
#: overrides, lone surrogates): written as ``\uXXXX`` (valid inside JSON strings too)
_TERMINAL_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def terminal_safe(text: str) -> str:
    r"""``text`` with every character that could act on a terminal escaped.

    >>> terminal_safe("Council\x1b[2J\u202e")
    'Council\\u001b[2J\\u202e'
    """
    return _TERMINAL_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


class _TerminalSafe:
    """What a command writes, made safe for a terminal: names, labels and messages come from
    data and plugins (:func:`terminal_safe`)."""

    def __init__(self, out: TextIO) -> None:
        self._out = out

    def write(self, text: str) -> int:
        return self._out.write(terminal_safe(text))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._out, name)


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run the ``aspire`` command; return its exit code (see the module docstring)."""
    try:
        return _main(argv, cast(TextIO, _TerminalSafe(out or sys.stdout)))
    except KeyboardInterrupt:
        print("aspire: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # anything not raised on purpose is a bug
        return _bug(exc, debug="--debug" in (sys.argv[1:] if argv is None else list(argv)))


#: values of the global options when not given (see build_parser)
GLOBAL_DEFAULTS: dict[str, Any] = {"no_plugins": False, "strict": False, "plugin_timeout": None, "debug": False}


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {text!r}")
    return value


def _main(argv: Sequence[str] | None, out: TextIO) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    for name, default in GLOBAL_DEFAULTS.items():
        if not hasattr(args, name):
            setattr(args, name, default)
    if getattr(args, "action", None) == "show" and not args.id:
        parser.error(f"{args.command} show needs an id")
    try:
        code: int = args.func(args, out)
        return code
    except InputFileError as exc:  # a missing file is a usage error; any other refusal, invalid input
        missing = all(p.rule == "file-exists" for p in exc.problems)
        _say_problems("aspire: error: " if missing else "aspire: invalid input: ", exc.problems)
        return EXIT_USAGE if missing else EXIT_INVALID
    except OutputFileError as exc:
        print(f"aspire: error: {shown_text(str(exc))}", file=sys.stderr)
        return EXIT_INVALID
    except UnknownIdError as exc:
        print(f"aspire: error: {shown_text(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    except UsageError as exc:
        print(f"aspire: error: {shown_text(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    except DocumentError as exc:
        head = f"aspire: invalid input: {exc.source} is not valid ({len(exc.problems)} problem(s)): "
        _say_problems(head, exc.problems)
        return EXIT_INVALID
    except ResponseError as exc:
        _say_problems("aspire: invalid input: ", exc.problems)
        return EXIT_INVALID
    except PluginError as exc:
        print(f"aspire: invalid input: {shown_text(str(exc))}", file=sys.stderr)
        return EXIT_INVALID
    except AspireError as exc:
        print(f"aspire: error: {shown_text(str(exc))}", file=sys.stderr)
        return EXIT_INVALID
    except BrokenPipeError:  # pragma: no cover - e.g. piped into head
        return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
