"""Dimensions that were not measured: an input without any answer column of a dimension
(allowed for optional items, or with ``allow_missing_items``) has no score for it, and that
is said everywhere, never shown as a low score.

A dimension is an element in one mode (``now``, ``future``...), or the element alone for
items without modes. It is *not measured* when every numeric item measuring it lacks its
answer column in the input (:attr:`~aspire_models.responses.ResponseSet.missing_columns`);
a ``gap`` of an element is not measured when one of the element's modes is not.

:func:`mark_not_measured` is applied by the engine to every scorer's output: it adds a note
per dimension and ``summary["not_measured"]``; in a table of priorities (columns ``element``
and ``class``) the element's class becomes ``not-measured``, with no rank and the reason, so
that it is excluded from the priorities rather than ranked low.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

if TYPE_CHECKING:
    from aspire_models.instrument import Instrument
    from aspire_models.scoring import ScorerOutput, Table

__all__ = ["NOT_MEASURED", "mark_not_measured", "not_measured"]

#: the class of an element that was not measured, in tables of priorities
NOT_MEASURED = "not-measured"


def not_measured(
    instrument: Instrument, missing_columns: Iterable[str]
) -> dict[tuple[str, str | None], tuple[str, ...]]:
    """The dimensions ``(element, mode)`` none of whose answer columns is in the input, with
    those columns, in instrument order (empty when nothing is missing)."""
    missing = set(missing_columns)
    if not missing:
        return {}
    columns: dict[tuple[str, str | None], list[str]] = {}
    for col in instrument.numeric_columns():
        element = instrument.item(col.item).element
        if element is not None:
            columns.setdefault((element, col.mode), []).append(col.name)
    return {dim: tuple(cols) for dim, cols in columns.items() if all(c in missing for c in cols)}


def _describe(element: str, mode: str | None) -> str:
    return element if mode is None else f"{element} ({mode})"


def mark_not_measured(
    output: ScorerOutput, dimensions: Mapping[tuple[str, str | None], tuple[str, ...]]
) -> ScorerOutput:
    """``output`` saying which dimensions were not measured (see the module documentation)."""
    if not dimensions or not _about_dimensions(output, dimensions):
        return output
    elements = {e for e, _ in dimensions}
    notes = [
        f"not measured: {_describe(e, m)}: the input has no answer column for it "
        f"({', '.join(cols)}); its values are empty, not a low score"
        for (e, m), cols in dimensions.items()
    ]
    summary = dict(output.summary)
    summary["not_measured"] = [{"element": e, "mode": m, "columns": list(cols)} for (e, m), cols in dimensions.items()]
    reasons = {
        e: "not measured: no answer column in the input ("
        + ", ".join(c for (el, _), cols in dimensions.items() if el == e for c in cols)
        + "); left out of the priorities"
        for e in elements
    }
    tables = tuple(_mark_table(t, reasons) for t in output.tables)
    new_notes = tuple(n for n in notes if n not in output.notes)  # (marking twice changes nothing)
    return attrs.evolve(output, tables=tables, summary=summary, notes=(*output.notes, *new_notes))


#: columns naming the element of a row (360 reviews call elements behaviours), and its class
_ELEMENT_COLUMNS = ("element", "behaviour")
_CLASS_COLUMNS = ("class", "classification")


def _about_dimensions(output: ScorerOutput, dimensions: Mapping[tuple[str, str | None], Any]) -> bool:
    """Whether an output reports on dimensions: a table by element, a column per dimension."""
    names = {e if m is None else f"{e}.{m}" for e, m in dimensions}
    return "dimensions" in output.summary or any(
        any(c in _ELEMENT_COLUMNS or c in names for c in t.column_names) for t in output.tables
    )


def _mark_table(table: Table, reasons: Mapping[str, str]) -> Table:
    names = table.column_names
    key = next((c for c in _ELEMENT_COLUMNS if c in names), None)
    cls = next((c for c in _CLASS_COLUMNS if c in names), None)
    if key is None or cls is None:
        return table
    element = _values(table.columns[key])
    hit = [e in reasons for e in element]
    if not any(hit):
        return table
    columns: dict[str, Any] = dict(table.columns)
    columns[cls] = tuple(NOT_MEASURED if h else c for h, c in zip(hit, _values(columns[cls]), strict=True))
    if "rank" in columns:
        columns["rank"] = _cleared(columns["rank"], hit)
    if "focus" in columns:
        columns["focus"] = tuple(False if h else f for h, f in zip(hit, _values(columns["focus"]), strict=True))
    if "reason" in columns:
        columns["reason"] = tuple(
            reasons[e] if h else r for h, e, r in zip(hit, element, _values(columns["reason"]), strict=True)
        )
    return attrs.evolve(table, columns=columns)


def _values(column: Any) -> list[Any]:
    if isinstance(column, np.ndarray):
        return list(column.tolist())
    if hasattr(column, "to_pylist"):
        return list(column.to_pylist())
    return list(column)


def _cleared(column: Any, hit: list[bool]) -> Any:
    """The column with the hit rows emptied: NaN in a float array, None otherwise."""
    if isinstance(column, np.ndarray) and column.dtype.kind == "f":
        out = column.copy()
        out[np.asarray(hit)] = math.nan
        return out
    return tuple(None if h else v for h, v in zip(hit, _values(column), strict=True))
