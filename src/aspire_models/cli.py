"""The ``aspire`` command line.

Exit codes: 0 success; 1 invalid input (a document or response file broke a rule, a plugin
failed in strict mode); 2 usage error (unknown command, option or id).
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import sys
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn, TextIO

from aspire_models import __version__
from aspire_models.errors import AspireError, DocumentError, PluginError, ResponseError, UnknownIdError
from aspire_models.registry import Registry

__all__ = ["build_parser", "main"]

EXIT_OK, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    pass


def _width() -> int:
    return max(60, min(120, shutil.get_terminal_size((100, 24)).columns))


def _fmt(v: Any) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return "-" if math.isnan(v) else f"{v:.2f}"
    return str(v)


def render_table(
    rows: Sequence[dict[str, Any]], columns: Sequence[str], out: TextIO, headers: Sequence[str] | None = None
) -> None:
    """Plain-text table, numbers right-aligned."""
    headers = list(headers or columns)
    cells = [[_fmt(r.get(c)) for c in columns] for r in rows]
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


def _registry(args: argparse.Namespace) -> Registry:
    reg = Registry(entry_points=not args.no_plugins, strict=args.strict)
    if args.strict:
        _ = reg.problems  # collect now so that strict mode fails here
    else:
        for p in reg.problems:
            print(f"warning: {p}", file=sys.stderr)
    return reg


# -- commands ------------------------------------------------------------------------------
def cmd_frameworks(args: argparse.Namespace, out: TextIO) -> int:
    reg = _registry(args)
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
    return "framework"


def cmd_validate(args: argparse.Namespace, out: TextIO) -> int:
    from aspire_models import validation
    from aspire_models.framework import Framework
    from aspire_models.instrument import Instrument

    path = Path(args.file)
    try:
        doc = json.loads(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise UsageError(f"no such file: {path}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        print(f"{path}: not valid JSON: {exc}", file=sys.stderr)
        return EXIT_INVALID
    kind = args.kind if args.kind != "auto" else _guess_kind(doc)
    if kind == "framework":
        Framework.from_dict(doc, source=str(path))
    elif kind == "instrument":
        ins = Instrument.from_dict(doc, source=str(path))
        reg = _registry(args)
        if ins.framework in reg.frameworks:
            ins.bind(reg.framework(ins.framework), reg.framework)
        else:
            raise DocumentError(
                str(path), [UnknownIdError("framework", ins.framework, reg.frameworks).as_problem("$.framework")]
            )
    else:
        validation.check(doc, kind, source=str(path))
    out.write(f"{path}: valid {kind} document\n")
    return EXIT_OK


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
        out.write(f"\nRejected rows ({len(result.rejected)}):\n")
        for r in result.rejected[:50]:
            for prob in r.problems:
                out.write(f"  {prob}\n")
        if len(result.rejected) > 50:
            out.write(f"  ... {len(result.rejected) - 50} more (see the JSON output)\n")
    for w in result.warnings:
        out.write(f"warning: {w}\n")


def cmd_score(args: argparse.Namespace, out: TextIO) -> int:
    from aspire_models.engine import score

    reg = _registry(args)
    if not Path(args.responses).exists():
        raise UsageError(f"no such file: {args.responses}")
    ins = reg.load_instrument(args.instrument) if args.instrument.endswith(".json") else reg.instrument(args.instrument)
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
    options: dict[str, Any] = {}
    if args.ignore_extra_columns:
        options["extra_columns"] = "ignore"
    result = score(reg, ins, args.responses, params=params, **options)
    text = result.to_json(include_respondents=args.include_respondents)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        print(f"wrote {args.output}", file=sys.stderr)
    if args.format == "json":
        out.write(text)
    else:  # with -o and no --format: just the accounting and the rejected rows
        _print_result_text(result, out, tables=not args.output or args.format == "text")
    return EXIT_OK


def cmd_demo(args: argparse.Namespace, out: TextIO) -> int:
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
                "now range": f"{_fmt(now['min'])}-{_fmt(now['max'])}",
                "future": fut["mean"],
                "future range": f"{_fmt(fut['min'])}-{_fmt(fut['max'])}",
                "gap": prio[e.id]["gap"],
                "priority": prio[e.id]["class"],
                "rank": prio[e.id]["rank"],
            }
        )
    out.write("Theme scores: mean of council means (range of council means), 1-10 attainment scale\n")
    render_table(rows, ["theme", "now", "now range", "future", "future range", "gap", "priority", "rank"], out)
    s = result.output("gap-priority").summary
    out.write(f"\nTop priority: {s['top_priority']}. Quick wins: {', '.join(s['quick_wins'])}.\n")
    out.write("(The Aspire paper concluded: leadership the priority; alignment and agility the quick wins.)\n\n")
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
    common = _Parser(add_help=False)
    common.add_argument("--no-plugins", action="store_true", help="do not load installed plugins (built-ins only)")
    common.add_argument("--strict", action="store_true", help="fail on the first plugin problem")
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
    p.add_argument("action", nargs="?", choices=["show"])
    p.add_argument("id", nargs="?")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_instruments)

    p = sub.add_parser("plugins", parents=[common], help="loaded plugins, their distributions and contributions")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_plugins)

    p = sub.add_parser("validate", parents=[common], help="validate a framework, instrument, norms or result document")
    p.add_argument("file")
    p.add_argument("--kind", choices=["auto", "framework", "instrument", "norms", "result"], default="auto")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("score", parents=[common], help="score a response file (CSV or JSON records)")
    p.add_argument("responses", help="CSV file (one respondent per row) or JSON list of records")
    p.add_argument("--instrument", "-i", required=True, help="instrument id, or path to an instrument JSON file")
    p.add_argument("--output", "-o", help="write the result JSON here")
    p.add_argument("--format", choices=["text", "json"], default=None, help="what to print (default: text)")
    p.add_argument("--param", action="append", metavar="SCORER.NAME=VALUE", help="override a scorer parameter")
    p.add_argument(
        "--include-respondents",
        action="store_true",
        help="include respondent-level tables (with identifiers) in the JSON",
    )
    p.add_argument("--ignore-extra-columns", action="store_true", help="read past columns the instrument does not know")
    p.set_defaults(func=cmd_score)

    p = sub.add_parser("demo", parents=[common], help="score the bundled Aspire example and print the theme table")
    p.set_defaults(func=cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "action", None) == "show" and not args.id:
        parser.error(f"{args.command} show needs an id")
    if getattr(args, "action", None) is None and getattr(args, "id", None) is None and hasattr(args, "id"):
        pass
    try:
        code: int = args.func(args, out)
        return code
    except UnknownIdError as exc:
        print(f"aspire: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except UsageError as exc:
        print(f"aspire: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (DocumentError, ResponseError, PluginError) as exc:
        print(f"aspire: invalid input: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except AspireError as exc:
        print(f"aspire: error: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except BrokenPipeError:  # pragma: no cover - e.g. piped into head
        return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
