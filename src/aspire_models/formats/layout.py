"""Helpers the format readers share: cleaning header text, unique column names, finding
the header row, and turning a grid's data rows into an Arrow table with its provenance
(rows with too few or too many fields are kept, padded or cut, and rejected by name)."""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Sequence

import numpy as np
import pyarrow as pa

from aspire_models.errors import Problem, ResponseError
from aspire_models.formats.base import Grid, Provenance, Source, SourceColumn

__all__ = ["clean", "find_header_row", "make_table", "norm", "unique_names"]

_SPACE = re.compile(r"\s+")
_TAG = re.compile(r"<[^>]{0,200}>")


def clean(text: str | None) -> str | None:
    """Header or label text as a person reads it: HTML entities and tags resolved,
    non-breaking and repeated spaces made one space, ends trimmed."""
    if text is None:
        return None
    if "&" in text:
        text = html.unescape(text)
    if "<" in text and ">" in text:
        text = _TAG.sub(" ", text)
    text = _SPACE.sub(" ", text.replace("\u00a0", " ")).strip()
    return text or None


def norm(text: str) -> str:
    """A label compared without regard to case, Unicode form, HTML or spacing."""
    return (clean(unicodedata.normalize("NFKC", text)) or "").casefold()


def unique_names(headers: Sequence[str | None]) -> tuple[list[str], list[str]]:
    """Unique column names for headers (blank -> ``column N``, repeats -> ``name (2)``),
    and warnings naming each repeat."""
    names: list[str] = []
    warnings: list[str] = []
    seen: dict[str, int] = {}
    for i, h in enumerate(headers):
        base = h if h else f"column {i + 1}"
        name = base
        if name in seen:
            k = 2
            while f"{base} ({k})" in seen:
                k += 1
            name = f"{base} ({k})"
            warnings.append(f"header {base!r} appears more than once; column {i + 1} is called {name!r}")
        seen[name] = i
        names.append(name)
    return names, warnings


def find_header_row(rows: Sequence[Sequence[str | None]], given: int | None, source: str) -> int:
    """0-based header row: the one given (1-based), else the first row with at least two
    non-blank cells and no fewer than half the widest row's (title rows above a table are
    skipped)."""
    if given is not None:
        if not 1 <= given <= len(rows):
            raise ResponseError(
                [Problem("header-row", f"header row {given} is outside the file's {len(rows)} rows", file=source)]
            )
        return given - 1
    width = max((sum(c is not None for c in r) for r in rows[:50]), default=0)
    for i, r in enumerate(rows[:50]):
        filled = sum(c is not None for c in r)
        if filled >= 2 and filled * 2 >= width:
            return i
    return 0


def make_table(
    source: Source,
    grid: Grid,
    *,
    fmt: str,
    columns: Sequence[SourceColumn],
    first_data_row: int,
    header_rows: int,
    warnings: Sequence[str] = (),
    skip: Sequence[int] = (),
) -> tuple[pa.Table, Provenance]:
    """The data rows from ``first_data_row`` on (0-based in the grid; rows in ``skip``
    left out, e.g. a repeated header) as a table of text columns named by ``columns``."""
    width = len(columns)
    problems: dict[int, tuple[Problem, ...]] = {}
    if grid.columns is not None and len(grid.columns) == width:  # every row as wide as the header
        table = _column_table(grid.columns, columns, first_data_row, skip)
    else:
        table = _row_table(grid, columns, first_data_row, skip, problems, source)
    prov = Provenance(
        format=fmt,
        source=source.filename,
        encoding=grid.encoding,
        header_rows=header_rows,
        columns=tuple(columns),
        sheet=grid.sheet,
        container=grid.container,
        warnings=(*grid.warnings, *(f"{source.filename}: {w}" for w in warnings)),
        row_problems=problems,
    )
    return table, prov


def _column_table(
    grid_columns: Sequence[pa.Array], columns: Sequence[SourceColumn], first_data_row: int, skip: Sequence[int]
) -> pa.Table:
    """The data rows of a grid held column by column: its columns sliced (no cell copied)."""
    data = [c.slice(first_data_row) for c in grid_columns]
    n = len(data[0]) if data else 0
    leave_out = sorted({i - first_data_row for i in skip if first_data_row <= i < first_data_row + n})
    if leave_out:
        keep = np.ones(n, dtype=bool)
        keep[leave_out] = False
        data = [c.filter(pa.array(keep)) for c in data]
    return pa.table({c.name: v for c, v in zip(columns, data, strict=True)})


def _row_table(
    grid: Grid,
    columns: Sequence[SourceColumn],
    first_data_row: int,
    skip: Sequence[int],
    problems: dict[int, tuple[Problem, ...]],
    source: Source,
) -> pa.Table:
    """The data rows of a grid held row by row (rows with too few or too many fields are
    padded or cut, and a problem is noted for each)."""
    width = len(columns)
    leave_out = set(skip)
    data = [r for i, r in enumerate(grid.rows[first_data_row:], start=first_data_row) if i not in leave_out]
    pad = (None,) * width
    for n, row in enumerate(data):
        if len(row) != width:
            extra = [c for c in row[width:] if c is not None]
            if len(row) < width or extra:
                problems[n] = (
                    Problem(
                        "columns",
                        f"expected {width} fields, found {len(row)}",
                        file=source.filename,
                        record=n + 1,
                    ),
                )
            data[n] = (tuple(row) + pad)[:width]
    cols = list(zip(*data, strict=True)) if data else [() for _ in range(width)]
    return pa.table({c.name: pa.array(v, type=pa.string()) for c, v in zip(columns, cols, strict=True)})


def first_cells(rows: Sequence[Sequence[str | None]] | None, row: int = 0) -> list[str]:
    """The cells of one of the first rows, cleaned (blank -> "")."""
    if rows is None or len(rows) <= row:
        return []
    return [clean(c) or "" for c in rows[row]]
