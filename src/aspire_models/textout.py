"""Plain-text output of the ``aspire`` command: how values print, and the short summary of a
result that ``aspire score`` prints when it is not asked for every table.

* Whole numbers print as whole numbers: counts, ranks, years and periods are often stored
  as floats (a column with a missing value cannot be an integer column), but ``1.00`` for a
  rank or ``2014.00`` for a year reads wrongly; a column of such values whose name says it
  counts or ranks something prints without decimals.
* ``True``/``False`` print as ``yes``/``no``; missing values as ``-``.

>>> fmt_value(True), fmt_value(None), fmt_value(float("nan")), fmt_value(2.5), fmt_value(3.0, integer=True)
('yes', '-', '-', '2.50', '3')
>>> integer_columns([{"rank": 1.0, "mean": 3.0}, {"rank": None, "mean": 4.0}], ["rank", "mean"])
[True, False]
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any, TextIO

__all__ = ["fmt_value", "integer_columns", "print_summary", "summary_value"]

#: column names that hold whole numbers: counts, ranks, years, periods, sizes
_INTEGER_NAME = re.compile(
    r"^(n|k|n_.*|.*_n|.*count|.*counts|.*rank|.*year|.*years|.*period|.*periods|respondents|organisations|"
    r"units|adopters|quartile|items|answered|practices_adopted|n_subjects|subjects|raters|.*_size)$"
)


def fmt_value(v: Any, *, integer: bool = False) -> str:
    """One value as the command prints it (``integer``: a whole number prints without decimals)."""
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        if math.isnan(v):
            return "-"
        if integer and v.is_integer():
            return str(int(v))
        return f"{v:.2f}"
    return str(v)


def integer_columns(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> list[bool]:
    """Per column: whether it prints as whole numbers (its name counts, ranks or dates
    something and every value present is a whole number)."""
    out = []
    for c in columns:
        values = [r.get(c) for r in rows]
        whole = all(
            v is None
            or (isinstance(v, int) and not isinstance(v, bool))
            or (isinstance(v, float) and (math.isnan(v) or v.is_integer()))
            for v in values
        )
        out.append(whole and bool(_INTEGER_NAME.match(c.replace(" ", "_").lower())))
    return out


def summary_value(v: Any, *, limit: int = 8) -> str:
    """A summary entry on one line: lists joined (at most ``limit`` shown), mappings as
    ``key: value`` pairs, numbers as :func:`fmt_value` prints them."""
    if isinstance(v, list | tuple):
        shown = ", ".join(summary_value(x, limit=limit) for x in v[:limit])
        more = f", ... ({len(v)} in all)" if len(v) > limit else ""
        return (shown + more) or "none"
    if isinstance(v, Mapping):
        items = list(v.items())
        shown = "; ".join(f"{k}: {summary_value(x, limit=limit)}" for k, x in items[:limit])
        return shown + (f"; ... ({len(items)} in all)" if len(items) > limit else "") if items else "none"
    if isinstance(v, float):
        return fmt_value(v, integer=v.is_integer() and abs(v) < 1e15)
    return fmt_value(v)


def print_summary(result: Any, out: TextIO, *, titles: Mapping[str, str], full: str, width: int = 100) -> None:
    """The short form of a result: accounting, then per scorer its title, its summary (each
    entry on one line of at most ``width`` characters) and the tables it made (with their
    sizes), the first rejected rows, warnings, and ``full``: a line saying where the full
    result is (or how to get it)."""
    p = result.provenance
    a = result.accounting
    out.write(
        f"Instrument {p.instrument_id} {p.instrument_version} on {p.source}: "
        f"{a.input} rows, {a.accepted} scored, {a.rejected} rejected\n"
    )
    for o in result.outputs:
        title = titles.get(o.scorer, o.scorer)
        out.write(f"\n{title} ({o.scorer})\n")
        for key, value in o.summary.items():
            line = f"  {key.replace('_', ' ')}: {summary_value(value)}"
            out.write((line if len(line) <= width else line[: width - 3].rstrip() + "...") + "\n")
        shown = [t for t in o.tables if t.level != "respondent"]
        if shown:
            out.write("  tables: " + ", ".join(f"{t.name} ({len(t)} rows)" for t in shown) + "\n")
        for note in o.notes[:3]:
            out.write(f"  note: {note}\n")
        if len(o.notes) > 3:
            out.write(f"  ... {len(o.notes) - 3} more notes\n")
    if result.rejected:  # (one printer of rejected rows for every command)
        from aspire_models.rejections import write_rejections

        out.write("\n")
        write_rejections(result.rejected, out, first=10)
    for w in result.warnings:
        out.write(f"warning: {w}\n")
    out.write(f"\n{full}\n")
