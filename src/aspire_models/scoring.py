"""What scorers take and give: the :class:`Scorer` protocol, the :class:`ScoringContext`
they read from, and the :class:`Table` / :class:`ScorerOutput` they return.

A scorer is a small object: an ``id``, a ``title``, a JSON Schema for its parameters, the
instrument designs it applies to, and a ``score(ctx, params)`` method. Tables are columnar
(numpy arrays or tuples, all the same length), so a scorer never loops over respondents in
Python.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias, TypeGuard, runtime_checkable

import attrs
import numpy as np
from numpy.typing import NDArray

from aspire_models.errors import DocumentError, Problem, ScoringError
from aspire_models.privacy.cells import Cells

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

    from aspire_models.framework import Framework
    from aspire_models.instrument import Instrument
    from aspire_models.responses import ResponseSet

__all__ = [
    "MIN_GROUP_SIZE_SCHEMA",
    "Scorer",
    "ScorerOutput",
    "ScoringContext",
    "Table",
    "json_value",
    "resolve_params",
]

#: The parameter every scorer that publishes figures about groups of people takes. Left
#: unset, the engine fills in the run's threshold (the instrument design's default unless the
#: run sets another); setting it below the default makes the result carry a notice.
MIN_GROUP_SIZE_SCHEMA: Mapping[str, Any] = {
    "type": ["integer", "null"],
    "minimum": 1,
    "default": None,
    "description": "Smallest group of people whose figures are published (default: the run's, "
    "5 for staff surveys, 3 for 360 rater groups). Groups below it are withheld, and so is any "
    "other figure that would let them be worked out.",
}

#: a table column: a numpy array, an Arrow array (text the engine never made into Python
#: strings, such as respondent ids), or a tuple
ColumnData: TypeAlias = "NDArray[Any] | pa.Array | tuple[Any, ...]"


def json_value(v: Any) -> Any:
    """A JSON-able Python value: numpy scalars unwrapped, NaN/inf become None."""
    if isinstance(v, np.generic):
        v = v.item()
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if isinstance(v, tuple | list):
        return [json_value(x) for x in v]
    if isinstance(v, frozenset | set):
        return sorted(json_value(x) for x in v)
    return v


def _pyarrow() -> Any:
    """pyarrow if something has loaded it (only then can a column be an Arrow array): listing
    frameworks or reading a small JSON file never pays for importing it."""
    return sys.modules.get("pyarrow")


def _is_arrow(v: Any) -> TypeGuard[pa.Array]:
    pa = _pyarrow()
    return pa is not None and isinstance(v, pa.Array)


def _freeze_columns(value: Mapping[str, Any]) -> Mapping[str, ColumnData]:
    out: dict[str, ColumnData] = {}
    for k, v in value.items():
        if isinstance(v, np.ndarray):
            v = v.copy() if v.flags.writeable else v
            v.flags.writeable = False
            out[k] = v
        elif (pa := _pyarrow()) is not None and isinstance(v, pa.ChunkedArray):
            out[k] = v.combine_chunks()
        elif pa is not None and isinstance(v, pa.Array):  # immutable
            out[k] = v
        else:
            out[k] = tuple(v)
    return out


@attrs.frozen
class Table:
    """A named, columnar table. Columns are read-only numpy arrays, Arrow arrays, or tuples
    (:data:`ColumnData`); :meth:`rows`, :meth:`to_dict` and :meth:`to_frame` read all three."""

    name: str
    level: str
    columns: Mapping[str, ColumnData] = attrs.field(converter=_freeze_columns)
    description: str = ""
    #: which people each row describes (see :class:`aspire_models.privacy.Cells`); a table
    #: about groups of people without it is not published
    cells: Cells | None = None

    def __attrs_post_init__(self) -> None:
        lengths = {k: len(v) for k, v in self.columns.items()}
        if len(set(lengths.values())) > 1:
            raise ScoringError(f"table {self.name!r}: columns differ in length: {lengths}")

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(self.columns)

    def column(self, name: str) -> ColumnData:
        return self.columns[name]

    def rows(self) -> list[dict[str, Any]]:
        """One JSON-able dict per row (NaN as None)."""
        names = self.column_names
        cols = [_as_list(c) for c in self.columns.values()]
        return [{n: json_value(v) for n, v in zip(names, vals, strict=True)} for vals in zip(*cols, strict=True)]

    def to_dict(self) -> dict[str, Any]:
        cols = [_as_list(c) for c in self.columns.values()]
        out: dict[str, Any] = {
            "level": self.level,
            "description": self.description,
            "columns": list(self.column_names),
            "rows": [[json_value(v) for v in row] for row in zip(*cols, strict=True)],
        }
        if self.cells is not None:
            out["cells"] = self.cells.to_dict()
        return out

    @classmethod
    def from_dict(cls, name: str, data: Mapping[str, Any]) -> Table:
        names = data["columns"]
        rows = data["rows"]
        cols: dict[str, Any] = {n: tuple(r[i] for r in rows) for i, n in enumerate(names)}
        cells = Cells.from_dict(data["cells"]) if data.get("cells") else None
        return cls(name, data["level"], cols, data.get("description", ""), cells)

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(
            {
                k: v
                if isinstance(v, np.ndarray)
                else v.to_numpy(zero_copy_only=False)
                if _is_arrow(v)
                else list(v)
                for k, v in self.columns.items()
            }
        )


def _as_list(column: ColumnData) -> list[Any]:
    if isinstance(column, np.ndarray):
        return list(column.tolist())
    if _is_arrow(column):
        return list(column.to_pylist())
    return list(column)


def _tables(value: Iterable[Table]) -> tuple[Table, ...]:
    return tuple(value)


def _notes(value: Iterable[str]) -> tuple[str, ...]:
    return tuple(value)


@attrs.frozen
class ScorerOutput:
    """What one scorer produced: tables, a JSON-able summary, and notes for people."""

    scorer: str
    params: Mapping[str, Any]
    tables: tuple[Table, ...] = attrs.field(converter=_tables)
    summary: Mapping[str, Any] = attrs.field(factory=dict)
    notes: tuple[str, ...] = attrs.field(default=(), converter=_notes)

    def table(self, name: str) -> Table:
        for t in self.tables:
            if t.name == name:
                return t
        from aspire_models.errors import UnknownIdError

        raise UnknownIdError("table", name, [t.name for t in self.tables], f"scorer {self.scorer!r}")


@runtime_checkable
class Scorer(Protocol):
    """The protocol a scorer follows. See :mod:`aspire_models.scorers` for the built-ins.

    ``params_schema`` is a JSON Schema object whose top-level ``properties`` carry
    ``default`` values; :func:`resolve_params` fills them in and validates.
    """

    @property
    def id(self) -> str:
        """Unique id, lower-case words joined by hyphens (e.g. ``'dimension-scores'``)."""

    @property
    def title(self) -> str:
        """Short human title."""

    @property
    def description(self) -> str:
        """What the scorer computes, for people (shown in docs and ``aspire plugins``)."""

    @property
    def params_schema(self) -> Mapping[str, Any]:
        """JSON Schema of the parameters; top-level properties carry their ``default``."""

    @property
    def designs(self) -> tuple[str, ...]:
        """Instrument designs the scorer applies to (``self-assessment``, ``review-360``, ``adoption``)."""

    def score(self, ctx: ScoringContext, params: Mapping[str, Any]) -> ScorerOutput:
        """Compute the scorer's tables from the context's responses."""


def resolve_params(scorer: Scorer, params: Mapping[str, Any] | None, *, where: str = "params") -> dict[str, Any]:
    """Fill defaults from the scorer's parameter schema and validate the result."""
    from jsonschema import Draft202012Validator

    schema = dict(scorer.params_schema)
    out: dict[str, Any] = {}
    for name, prop in schema.get("properties", {}).items():
        if "default" in prop:
            out[name] = prop["default"]
    out.update(params or {})
    errors = sorted(Draft202012Validator(schema).iter_errors(out), key=lambda e: e.json_path)
    if errors:
        raise DocumentError(
            f"parameters of scorer {scorer.id!r} ({where})",
            [Problem(str(e.validator), e.message, e.json_path, value=e.instance) for e in errors],
        )
    return out


@attrs.define
class ScoringContext:
    """Everything a scorer may read. Built by :func:`aspire_models.engine.score`.

    ``previous`` holds the outputs of scorers that ran earlier in the same run, so a scorer
    may build on another's tables; ``cache`` memoises shared intermediate arrays (e.g.
    respondent dimension scores) for the duration of one run.
    """

    instrument: Instrument
    framework: Framework
    data: ResponseSet
    lookup_framework: Callable[[str], Framework]
    norms: Sequence[Mapping[str, Any]] = ()
    previous: dict[str, ScorerOutput] = attrs.field(factory=dict)
    cache: dict[Any, Any] = attrs.field(factory=dict)
    #: the smallest ``min_group_size`` of the run's scorers: shared organisation statistics
    #: leave out organisations smaller than this (each scorer applies its own, larger or equal)
    min_group_size: int = 5

    def memo(self, key: Any, compute: Callable[[], Any]) -> Any:
        if key not in self.cache:
            self.cache[key] = compute()
        return self.cache[key]


def check_schema_is_valid(schema: Mapping[str, Any]) -> None:
    """Raise if a scorer's parameter schema is not itself a valid JSON Schema."""
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import SchemaError

    try:
        Draft202012Validator.check_schema(dict(schema))
    except SchemaError as exc:
        raise ScoringError(f"invalid params_schema: {exc.message}") from None
