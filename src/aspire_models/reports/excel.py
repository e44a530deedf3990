"""Excel export: an ``About`` sheet (provenance, accounting, a list of the sheets), then one
sheet per result table: a header row in words (``Self``, ``Reference mean``, as in the HTML
report), element, rater-group and class names rather than ids when a registry gave them,
the header frozen and an autofilter on every column.

Text cells are always stored as text, so a value such as ``=HYPERLINK(...)`` from a
response file is never a formula. Characters a workbook cannot hold (control characters such
as ``\x07``, lone surrogates) are written as visible escapes (``\x07``), never dropped, and
the ``About`` sheet says how many values were changed so. The workbook is written atomically
(a temporary file, then renamed). Values of 360 groups withheld by the anonymity rule are
written as ``withheld (...)``, as in the HTML report.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aspire_models.errors import AspireError
from aspire_models.reports.document import (
    CLASS_NAMES,
    DIGITS,
    INT_COLUMNS,
    MODE_NAMES,
    NAME_COLUMNS,
    PERCENT_COLUMNS,
    PERIOD_COLUMNS,
    VALUE_COLUMNS,
    header,
    withheld_text,
)
from aspire_models.reports.model import Labels, ReportData
from aspire_models.safeio import atomic_write

__all__ = ["sheet_name", "write_workbook"]

_BAD = re.compile(r"[\[\]:*?/\\]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")


def _escape(text: str) -> str:
    r"""``text`` with the characters a workbook cannot hold written as escapes.

    >>> _escape("bell\x07 and \ud800")
    'bell\\x07 and \\ud800'
    """
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape", "backslashreplace").decode("ascii"), text)


def sheet_name(scorer: str, table: str, taken: set[str]) -> str:
    """A valid, unique Excel sheet name (at most 31 characters, no ``[]:*?/\\``).

    >>> sheet_name("multi-select-frequencies", "frequencies", set())
    'multi-select-frequ…frequencies'
    """
    base = _BAD.sub("-", f"{scorer} {table}")
    if len(base) > 31:
        head = _BAD.sub("-", scorer)[: max(4, 31 - len(table) - 2)]
        base = f"{head}…{table}"[:31]
    name, i = base, 2
    while name.lower() in {t.lower() for t in taken}:
        suffix = f" ({i})"
        name = base[: 31 - len(suffix)] + suffix
        i += 1
    taken.add(name)
    return name


def _format(column: str, v: Any) -> str | None:
    if isinstance(v, bool):
        return None
    if column in PERCENT_COLUMNS:
        return "0.0%"
    if column in PERIOD_COLUMNS:
        return "0" if isinstance(v, int) or float(v).is_integer() else "0.00"
    if isinstance(v, int) or (column in INT_COLUMNS and float(v).is_integer()):
        return "#,##0"
    return "0." + "0" * DIGITS.get(column, 2)


def _named(column: str, v: Any, labels: Labels) -> Any:
    """An id as the name a person reads (element, rater group, class, mode); other values as
    they are."""
    if not isinstance(v, str):
        return v
    if column in NAME_COLUMNS:
        return labels.element(v)
    if column == "group":
        return labels.role(v)
    if column in ("class", "classification"):
        return CLASS_NAMES.get(v, v)
    if column == "mode":
        return MODE_NAMES.get(v, v)
    return v


def write_workbook(results: Sequence[ReportData], path: str | Path) -> None:
    try:
        from openpyxl import Workbook
        from openpyxl.styles import Alignment, Font, PatternFill
        from openpyxl.utils import get_column_letter
    except ImportError:
        raise AspireError(
            "Excel export needs openpyxl, which is not installed: pip install 'aspire-models[reports]'"
        ) from None

    escaped = 0

    def clean(v: Any) -> Any:
        nonlocal escaped
        if isinstance(v, str) and _CONTROL.search(v):
            escaped += 1
            return _escape(v)
        return v

    wb = Workbook()
    about = wb.active
    assert about is not None
    about.title = "About"
    bold = Font(bold=True)
    head_fill = PatternFill("solid", fgColor="DCE6F0")
    taken = {"About"}
    about_rows: list[tuple[Any, ...]] = [("aspire-models results",), ()]
    for data in results:
        doc = data.document
        acc = data.accounting
        about_rows += [
            ("Instrument", f"{doc['instrument']['id']} {doc['instrument']['version']}"),
            ("Framework", doc["framework"]["id"]),
            ("Data", doc["input"]["source"]),
            ("Data SHA-256", doc["input"]["sha256"]),
            ("Rows read / scored / rejected", f"{acc['input']} / {acc['accepted']} / {acc['rejected']}"),
            ("Library", f"aspire-models {doc['library']['version']}"),
            (),
            ("Sheet", "Scorer", "Table", "Description"),
        ]
        for out in data.outputs:
            k = out.params.get("min_group_size")
            for name, table in out.tables.items():
                title = sheet_name(out.scorer, name, taken)
                about_rows.append((title, out.scorer, name, table.description))
                ws = wb.create_sheet(title)
                cols = list(table.column_names)
                ws.append([clean(header(c, data.labels)) for c in cols])
                for c in ws[1]:
                    c.font = bold
                    c.fill = head_fill
                for r in table.rows():
                    values = []
                    for c in cols:
                        v = r[c]
                        if r.get("suppressed") and c in VALUE_COLUMNS:
                            v = withheld_text(r.get("reason"), k)
                        values.append(_named(c, v, data.labels))
                    values = [clean(v) for v in values]
                    ws.append(values)
                    row = ws.max_row
                    for j, (c, v) in enumerate(zip(cols, values, strict=True), start=1):
                        cell = ws.cell(row=row, column=j)
                        if isinstance(v, str):
                            cell.value = v
                            cell.data_type = "s"  # never a formula
                        elif isinstance(v, list | tuple | dict):
                            cell.value = clean(str(v))
                            cell.data_type = "s"
                        elif isinstance(v, int | float) and not isinstance(v, bool):
                            fmt = _format(c, v)
                            if fmt:
                                cell.number_format = fmt
                ws.freeze_panes = "A2"
                if cols:
                    ws.auto_filter.ref = f"A1:{get_column_letter(len(cols))}{ws.max_row}"
                for j, c in enumerate(cols, start=1):
                    shown = [str(_named(c, r[c], data.labels)) for r in table.rows()[:200] if r[c] is not None]
                    width = max([len(header(c, data.labels))] + [len(x) for x in shown])
                    ws.column_dimensions[get_column_letter(j)].width = min(60, max(8, width * 0.9 + 2))
        about_rows.append(())
    about_rows = [tuple(clean(str(v)) for v in line) for line in about_rows]
    if escaped:
        about_rows.append(
            (
                "Note",
                f"{escaped} text value(s) held characters a workbook cannot hold (control characters); "
                "they are written as escapes such as \\x07",
            )
        )
    for line in about_rows:
        about.append(list(line))
        for cell in about[about.max_row]:
            cell.data_type = "s"
    about["A1"].font = Font(bold=True, size=14)
    for row in about.iter_rows():
        if row and row[0].value in ("Sheet",):
            for c in row:
                c.font = bold
                c.fill = head_fill
    about.column_dimensions["A"].width = 34
    about.column_dimensions["B"].width = 40
    about.column_dimensions["C"].width = 22
    about.column_dimensions["D"].width = 90
    for row in about.iter_rows(min_col=4, max_col=4):
        row[0].alignment = Alignment(wrap_text=True, vertical="top")
    buffer = io.BytesIO()
    wb.save(buffer)
    atomic_write(path, buffer.getvalue(), what="report")
