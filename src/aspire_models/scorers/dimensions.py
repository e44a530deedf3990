"""Dimension scores: per respondent, the (weighted) mean or prorated sum of the items mapped
to each framework element, in each response mode, after reverse keying.

For respondent :math:`r`, dimension :math:`d` with items :math:`I_d`, weights :math:`w_i`
and answered items :math:`A_r \\subseteq I_d`:

.. math::

   x'_{ri} = \\begin{cases} \\min + \\max - x_{ri} & i \\text{ reverse-keyed} \\\\
             x_{ri} & \\text{otherwise}\\end{cases}
   \\qquad s_{rd} = \\frac{\\sum_{i\\in A_r} w_i x'_{ri}}{\\sum_{i\\in A_r} w_i}

if :math:`|A_r| \\ge` ``min_answered`` (a count, or a proportion of :math:`|I_d|` when below 1),
otherwise missing (never zero). ``method='sum'`` reports the prorated sum
:math:`s_{rd}\\sum_{i \\in I_d} w_i`. Computed column by column over blocks of respondents
(no Python loop over respondents).
"""

from __future__ import annotations

import math
import threading
from collections.abc import Mapping
from typing import Any

import attrs
import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from aspire_models import _columnar
from aspire_models.instrument import Instrument, NumericScale
from aspire_models.responses import AnswerMatrix
from aspire_models.scoring import ScorerOutput, ScoringContext, Table
from aspire_models.stats.moments import Discrete

__all__ = ["DimensionScorer", "Dimensions", "dimension_scores", "reverse_keyed"]

#: answers per block of rows in :func:`dimension_scores` (a few MB: stays in cache)
_CELLS_PER_BLOCK = 1 << 20

#: the ``method`` parameter of the scorers built on dimension scores
METHOD_SCHEMA = {"enum": ["mean", "sum"], "default": "mean"}
#: the ``now_mode`` and ``future_mode`` parameters of the scorers that take now/future gaps
GAP_MODES_SCHEMA = {
    "now_mode": {"type": "string", "default": "now"},
    "future_mode": {"type": "string", "default": "future"},
}
MIN_ANSWERED_SCHEMA = {
    "description": "Minimum answered items for a dimension score: a whole number of items (>= 1), "
    "or a proportion of the dimension's items (0 < p < 1, rounded up). Below it the score is missing.",
    "oneOf": [{"type": "integer", "minimum": 1}, {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1}],
    "default": 0.5,
}


@attrs.frozen(eq=False)
class Dimensions:
    """Respondent x dimension scores; a dimension is an (element, mode) pair.

    When every dimension is :attr:`discrete`, the scores are kept as levels only (one byte
    per score instead of eight) and :attr:`scores` makes the float64 matrix on first use.
    """

    elements: tuple[str, ...]
    modes: tuple[str | None, ...]
    #: respondents x dimensions as float64 (column-major), or None: made from ``discrete``
    _scores: NDArray[np.float64] | None = attrs.field(alias="scores")
    answered: NDArray[np.integer[Any]]
    n_items: tuple[int, ...]
    #: how many scores are missing (NaN): too few items answered
    missing: int = 0
    #: per dimension, its scores as a :class:`~aspire_models.stats.moments.Discrete`
    #: variable when they take few values (sums of one-byte codes), else None; grouped
    #: statistics then count levels instead of summing floats (empty: none)
    discrete: tuple[Discrete | None, ...] = ()
    _decoded: list[NDArray[np.float64]] = attrs.field(factory=list, init=False, repr=False)

    def __attrs_post_init__(self) -> None:
        if self._scores is None and not (self.discrete and all(x is not None for x in self.discrete)):
            raise ValueError("Dimensions without scores need every dimension discrete")

    @property
    def scores(self) -> NDArray[np.float64]:
        """Respondents x dimensions, float64, NaN = missing (column-major). Made from the
        discrete levels on first use when they were not stored (then read-only)."""
        if self._scores is not None:
            return self._scores
        if not self._decoded:
            out = np.empty((len(self.answered), len(self.discrete)), order="F")
            for j, x in enumerate(self.discrete):
                assert x is not None
                np.take(x.values, x.levels, out=out[:, j])
            out.flags.writeable = False
            self._decoded.append(out)
        return self._decoded[0]

    def column(self, j: int) -> NDArray[np.float64] | pa.Array:
        """Dimension ``j``'s scores for a table: float64, or an Arrow dictionary array (the
        levels as indices into the distinct scores) when they are discrete."""
        x = self.discrete[j] if self.discrete else None
        if x is not None:
            return pa.DictionaryArray.from_arrays(pa.array(x.levels), pa.array(x.values))
        return self.scores[:, j]

    def index(self, element: str, mode: str | None) -> int:
        for j, (e, m) in enumerate(zip(self.elements, self.modes, strict=True)):
            if e == element and m == mode:
                return j
        raise KeyError((element, mode))

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(e if m is None else f"{e}.{m}" for e, m in zip(self.elements, self.modes, strict=True))


def reverse_keyed(instrument: Instrument, values: NDArray[np.float64]) -> NDArray[np.float64]:
    """Apply reverse keying column-wise: ``min + max - x`` for reverse-keyed items."""
    cols = instrument.numeric_columns()
    flip = np.array([instrument.item(c.item).reverse for c in cols], dtype=bool)
    if not flip.any():
        return values
    lo = np.array([_scale(instrument, c.scale).min for c in cols])
    hi = np.array([_scale(instrument, c.scale).max for c in cols])
    out = values.copy()
    out[:, flip] = (lo + hi)[flip] - values[:, flip]
    return out


def _scale(instrument: Instrument, scale_id: str | None) -> NumericScale:
    s = instrument.scale(scale_id or "")
    assert isinstance(s, NumericScale)
    return s


def dimension_scores(
    instrument: Instrument,
    values: NDArray[np.float64] | AnswerMatrix,
    *,
    method: str = "mean",
    min_answered: float = 0.5,
) -> Dimensions:
    """Score a respondents x numeric-columns array (columns as ``instrument.numeric_columns()``),
    or a :class:`~aspire_models.responses.AnswerMatrix` (read in its one-byte codes when it
    has them: eight times less memory to go through; the scores are the same).

    Each dimension sums its own columns only (a column belongs to one dimension, so a dense
    respondents x items x dimensions product would be mostly zeros), over blocks of rows
    that stay in the processor's cache, in parallel threads; no full-size temporary is made.
    """
    cols = instrument.numeric_columns()
    keys: dict[tuple[str, str | None], int] = {}
    items = [instrument.item(c.item) for c in cols]
    for c, item in zip(cols, items, strict=True):
        assert item.element is not None
        keys.setdefault((item.element, c.mode), len(keys))
    d = len(keys)
    members: list[list[tuple[int, float, float | None]]] = [[] for _ in range(d)]
    for j, (c, item) in enumerate(zip(cols, items, strict=True)):
        if item.weight > 0:
            scale = _scale(instrument, c.scale)
            flip = scale.min + scale.max if item.reverse else None
            members[keys[(item.element or "", c.mode)]].append((j, float(item.weight), flip))
    n_items = np.array([len(m) for m in members], dtype=np.int64)
    total_weight = np.array([sum(w for _, w, _ in m) for m in members])
    need = np.array([int(min_answered) if min_answered >= 1 else max(1, math.ceil(min_answered * k)) for k in n_items])
    tables: list[NDArray[np.float64]] = []
    #: per dimension, (scale min, points) when its columns are codes on one scale, unit weights
    integral: list[tuple[float, int] | None] = [None] * d
    if isinstance(values, AnswerMatrix) and values.coded:
        for k, mem in enumerate(members):
            scales = {(_scale(instrument, cols[j].scale).min, _scale(instrument, cols[j].scale).max) for j, _, _ in mem}
            if len(scales) == 1 and all(w == 1.0 for _, w, _ in mem):
                lo, hi = next(iter(scales))
                integral[k] = (float(lo), int(hi - lo + 1))
        # per column, the value of each code after reverse keying (0 for a missing answer)
        for j, c in enumerate(cols):
            t = values.lookup(j)
            if items[j].reverse:
                scale = _scale(instrument, c.scale)
                t = (scale.min + scale.max) - t
            t[0] = 0.0
            tables.append(t)
        values = values.data
    else:
        values = np.asarray(values.values() if isinstance(values, AnswerMatrix) else values, dtype=np.float64)
    n = values.shape[0]
    # Integral dimensions: each respondent's (answered count c, sum of codes s) is one small
    # integer key c * stride + s, and the score is a look-up in a table of every key's score,
    # made with the same float operations as the general path (so the same bits).
    strides = [len(members[k]) * shared[1] + 1 if shared else 0 for k, shared in enumerate(integral)]
    widest = max(((len(members[k]) + 1) * strides[k] for k, shared in enumerate(integral) if shared), default=0)
    int_type = np.int16 if widest < 1 << 15 else np.int32  # twice the numbers per instruction
    score_tables: list[NDArray[np.float64] | None] = [None] * d
    #: per integral dimension, the level of each key and the score of each level (distinct
    #: scores in order, then NaN), when there are at most 256 levels
    level_tables: list[tuple[NDArray[np.uint8], NDArray[np.float64]] | None] = [None] * d
    for k, shared in enumerate(integral):
        if shared is not None:
            cnt = np.repeat(np.arange(len(members[k]) + 1), strides[k]).astype(int_type)
            total = np.tile(np.arange(strides[k]), len(members[k]) + 1).astype(int_type)
            table = np.multiply(cnt, shared[0] - 1.0)
            table += total
            with np.errstate(invalid="ignore", divide="ignore"):
                table /= cnt
            table[cnt < need[k]] = np.nan
            score_tables[k] = table
            distinct = np.unique(table[~np.isnan(table)])
            if len(distinct) < 256:
                level = np.searchsorted(distinct, table)  # NaN sorts last: level len(distinct)
                level_tables[k] = level.astype(np.uint8), np.append(distinct, np.nan)
    levels = [np.empty(n, dtype=np.uint8) if level_tables[k] is not None else None for k in range(d)]
    # column-major: one column per dimension, as tables and aggregates read them; not made
    # at all when every dimension is discrete (see Dimensions.scores)
    discrete_only = d > 0 and all(t is not None for t in level_tables)
    scores = None if discrete_only else np.empty((n, d), dtype=np.float64, order="F")
    count_type = np.int8 if max(n_items, default=0) < 128 else np.int32
    answered = np.empty((n, d), dtype=count_type, order="F")
    local = threading.local()
    missing_scores: list[int] = []  # per block and dimension (appending is thread-safe)
    step = max(1, _CELLS_PER_BLOCK // 8)

    def block(bounds: tuple[int, int]) -> None:
        a, b = bounds
        x = values[a:b] if values.strides[0] == values.itemsize else np.asfortranarray(values[a:b])
        assert isinstance(x, np.ndarray)
        m = b - a
        if getattr(local, "size", 0) < m:  # work arrays, reused block after block by this thread
            local.size = m
            local.work = np.empty(m), np.empty(m), np.empty(m, dtype=bool), np.empty(m, dtype=np.int32)
            local.ints = tuple(np.empty(m, int_type) for _ in range(3))
            local.keys = np.empty(m, dtype=np.intp)
        den, z, nan, missing = (w[:m] for w in local.work)
        for k, mem in enumerate(members):
            table, shared = score_tables[k], integral[k]
            if table is not None and shared is not None:  # codes of one scale, unit weights
                points = shared[1]
                isum, icnt, itmp = (w[:m] for w in local.ints)
                isum.fill(0)
                icnt.fill(0)
                for j, _, flip in mem:
                    col = x[:, j]
                    np.not_equal(col, 0, out=nan)  # answered
                    icnt += nan
                    if flip is None:
                        isum += col
                    else:  # reverse keyed: code k stands for points + 1 - k
                        np.multiply(nan, points + 1, out=itmp)
                        isum += itmp
                        isum -= col
                missing_scores.append(int(np.count_nonzero(icnt < need[k])))
                answered[a:b, k] = icnt
                key = local.keys[:m]
                np.multiply(icnt, strides[k], out=key)
                key += isum
                if scores is not None:
                    np.take(table, key, out=scores[a:b, k])
                level, level_of = levels[k], level_tables[k]
                if level is not None and level_of is not None:
                    np.take(level_of[0], key, out=level[a:b])
                continue
            assert scores is not None
            out = scores[a:b, k]
            out.fill(0.0)
            missing.fill(0)
            unit = all(w == 1.0 for _, w, _ in mem)
            if not unit:
                den.fill(sum(w for _, w, _ in mem))
            for j, w, flip in mem:
                col = x[:, j]
                if tables:  # codes: 0 is missing; the table holds the keyed values (0 for missing)
                    np.equal(col, 0, out=nan)
                    np.take(tables[j], col.astype(np.intp), out=z)
                else:
                    np.isnan(col, out=nan)
                    if flip is None:
                        np.copyto(z, col)
                    else:  # reverse keyed: min + max - x
                        np.subtract(flip, col, out=z)
                    np.copyto(z, 0.0, where=nan)  # a missing answer adds nothing
                if w != 1.0:
                    z *= w
                    np.subtract(den, w, out=den, where=nan)
                out += z
                missing += nan
            cnt = n_items[k] - missing
            total = cnt if unit else den
            with np.errstate(invalid="ignore", divide="ignore"):
                np.divide(out, total, out=out)
            unscored = (cnt < need[k]) | (total <= 0)
            out[unscored] = np.nan
            missing_scores.append(int(np.count_nonzero(unscored)))
            answered[a:b, k] = cnt

    _columnar.parallel_map(block, [(a, min(n, a + step)) for a in range(0, n, step)])
    if method == "sum" and scores is not None:
        scores *= total_weight
    elements = tuple(k[0] for k in keys)
    modes = tuple(k[1] for k in keys)
    discrete = tuple(
        None
        if level is None or level_of is None
        else Discrete(level, level_of[1] * total_weight[k] if method == "sum" else level_of[1])
        for k, (level, level_of) in enumerate(zip(levels, level_tables, strict=True))
    )
    return Dimensions(elements, modes, scores, answered, tuple(int(k) for k in n_items), sum(missing_scores), discrete)


def cached_dimensions(ctx: ScoringContext, method: str = "mean", min_answered: float = 0.5) -> Dimensions:
    """Dimension scores shared by the scorers of one run (read-only: scorers share them)."""

    def compute() -> Dimensions:
        dims = dimension_scores(ctx.instrument, ctx.data.answers, method=method, min_answered=min_answered)
        if dims._scores is not None:
            dims._scores.flags.writeable = False
        dims.answered.flags.writeable = False
        for x in dims.discrete:
            if x is not None:
                x.levels.flags.writeable = False
        return dims

    result: Dimensions = ctx.memo(("dimensions", method, min_answered), compute)
    return result


@attrs.frozen
class DimensionScorer:
    """Per respondent: a score for each framework element (and mode)."""

    id: str = "dimension-scores"
    title: str = "Dimension scores"
    description: str = (
        "Per respondent, the weighted mean (or prorated sum) of the items mapped to each framework "
        "element in each response mode, after reverse keying; missing when fewer than min_answered "
        "items were answered."
    )
    designs: tuple[str, ...] = ("self-assessment",)
    params_schema: Mapping[str, Any] = attrs.field(
        factory=lambda: {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "method": METHOD_SCHEMA,
                "min_answered": MIN_ANSWERED_SCHEMA,
            },
        }
    )

    def score(self, ctx: ScoringContext, params: Mapping[str, Any]) -> ScorerOutput:
        dims = cached_dimensions(ctx, params["method"], params["min_answered"])
        data = ctx.data
        organisation = np.asarray(data.organisation.labels, dtype=object)[data.organisation.codes]
        organisation.flags.writeable = False  # read-only arrays go into the table uncopied
        columns: dict[str, Any] = {
            "row": data.rows,
            "respondent_id": data.ids,
            "organisation": organisation,
        }
        for j, name in enumerate(dims.names):
            columns[name] = dims.column(j)
        table = Table(
            "respondent-scores",
            "respondent",
            columns,
            "One row per accepted respondent (input row number, id, organisation) and one column per "
            "dimension ('element' or 'element.mode'); a score is missing (null) when fewer than "
            "min_answered items were answered.",
        )
        missing = dims.missing
        return ScorerOutput(
            self.id,
            params,
            (table,),
            {"respondents": data.n_accepted, "dimensions": list(dims.names), "missing_scores": missing},
        )
