"""In-memory tables of responses: pandas DataFrames and Arrow tables.

Columns are handed to the one validation step (:mod:`aspire_models.formats.validate`) as
they are: numbers as numpy or Arrow arrays (no text made of them), text as Arrow strings;
nothing is copied to Python objects except the accepted respondent ids. The survey
platforms' readers (:mod:`aspire_models.formats`) end here too, through :func:`read_arrow`.
A table's fingerprint is taken from its columns once its answers are parsed
(:func:`aspire_models.formats.validate._table_digest`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from aspire_models.errors import Problem, ResponseError
from aspire_models.formats.codec import Column_, _as_array, _as_text
from aspire_models.formats.records import _to_cell
from aspire_models.formats.validate import _check_header, _note_missing, _table_digest, _validate
from aspire_models.instrument import Instrument
from aspire_models.responses import ResponseSet

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["read_arrow", "read_frame"]


def read_frame(
    df: pd.DataFrame,
    instrument: Instrument,
    *,
    source: str = "<DataFrame>",
    extra_columns: str = "error",
    allow_missing_items: bool = False,
) -> ResponseSet:
    """Validate a pandas DataFrame (one respondent per row, columns as in a CSV file).

    Numeric columns are read as they are (float64, NaN = missing); text columns go to Arrow
    without a Python loop when they hold only strings and missing values.
    """

    names = [str(c) for c in df.columns]
    warnings = _check_header(
        names, instrument, source, extra_columns=extra_columns, allow_missing_items=allow_missing_items
    )
    if len(df) == 0:
        raise ResponseError([Problem("not-empty", "the DataFrame has no rows", file=source)])
    columns = _frame_columns(df)
    digest = _table_digest(names, columns, instrument)
    result = _validate(columns, len(df), instrument, source=source, digest=digest, warnings=warnings)
    return _note_missing(result, names)


def _frame_columns(df: pd.DataFrame) -> dict[str, Column_]:
    """A DataFrame's columns as numpy (numbers) or Arrow (text) arrays, by name."""
    import pandas as pd

    columns: dict[str, Column_] = {}
    for name, s in df.items():
        if s.dtype == np.float64:  # NaN is already the missing value: no copy
            columns[str(name)] = s.to_numpy(copy=False)
        elif pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
            columns[str(name)] = s.to_numpy(dtype="float64", na_value=np.nan)
        else:
            columns[str(name)] = _frame_text(s)
    return columns


def _frame_text(s: pd.Series[Any]) -> pa.Array:
    """A non-numeric DataFrame column as Arrow text (strings kept, missing values null)."""
    try:
        arr = pa.array(s, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
        arr = None
    if arr is not None:
        typ = arr.type
        if pa.types.is_dictionary(typ):
            typ = typ.value_type
        if pa.types.is_string(typ) or pa.types.is_large_string(typ) or pa.types.is_null(typ):
            return _as_array(arr) if pa.types.is_dictionary(arr.type) else _as_text(arr)
    return pa.array([_to_cell(v) if not _isna(v) else None for v in s.tolist()], type=pa.string())


def read_arrow(
    table: pa.Table,
    instrument: Instrument,
    *,
    source: str = "<Arrow table>",
    extra_columns: str = "error",
    allow_missing_items: bool = False,
    extra_problems: Mapping[int, list[Problem]] | None = None,
) -> ResponseSet:
    """Validate an Arrow table (one respondent per row, columns as in a CSV file).

    Answer columns may be numbers (any integer or floating type; null = missing) or text,
    read as in a CSV file; the other columns are read as text. Nothing is copied to Python
    objects except the accepted respondent ids.

    ``extra_problems`` are problems found before validation (0-based row -> problems), e.g.
    an answer label a mapping does not know: those rows are rejected with them listed first.
    """
    names = [str(c) for c in table.column_names]
    warnings = _check_header(
        names, instrument, source, extra_columns=extra_columns, allow_missing_items=allow_missing_items
    )
    if table.num_rows == 0:
        raise ResponseError([Problem("not-empty", "the table has no rows", file=source)])
    columns: dict[str, Column_] = {name: table.column(i) for i, name in enumerate(names)}
    digest = _table_digest(names, columns, instrument)
    result = _validate(
        columns,
        table.num_rows,
        instrument,
        source=source,
        digest=digest,
        warnings=warnings,
        extra_problems=extra_problems,
    )
    return _note_missing(result, names)


def _isna(v: Any) -> bool:
    return v is None or (isinstance(v, float) and v != v)
