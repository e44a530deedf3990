"""Scoring beyond one machine: a Dask DataFrame, partition by partition.

>>> from aspire_models.dask import score_dask          # doctest: +SKIP
>>> result = score_dask(registry, instrument, ddf)     # doctest: +SKIP

Every partition is validated and scored where it lives. What travels back to the client is
small and *mergeable*: per organisation, the :class:`~aspire_models.stats.moments.Moments`
(count, mean, sum of squared deviations, min, max) of every dimension score and gap, and the
rejected rows with their reasons. Moments merge exactly (Chan et al.), so the organisation
and sector tables equal the single-process engine's (counts, minima and maxima bit for bit;
means and standard deviations to rounding), and the accounting is exact.

Two passes over the data:

1. partition lengths (for global row numbers) and respondent ids. The rule that an id must
   not repeat spans partitions, so the ids go through a distributed group-by (smallest row
   per id); only the rows that repeat an earlier id come back to the client.
2. per partition: validation (told which of its rows repeat an id of an earlier partition),
   dimension scores, organisation moments keyed by organisation *name* (codes differ between
   partitions); the client merges them in partition order.

Runs the instrument's ``dimension-scores`` and ``aggregate`` scorers (their parameters from
the instrument's scoring rules or ``params``). Respondent-level scores stay in the partitions
unless ``respondents=True`` asks for them in the result. Needs the ``dask`` extra
(``pip install aspire-models[dask]``). See the performance page of the docs for the same
pattern on Spark.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np
import pyarrow.compute as pc

from aspire_models import _columnar
from aspire_models.errors import Problem, ResponseError
from aspire_models.formats.arrow import _frame_columns
from aspire_models.formats.codec import _as_text
from aspire_models.formats.validate import _check_header, _validate
from aspire_models.instrument import Instrument, ScoringRule
from aspire_models.privacy import Population, protect
from aspire_models.registry import Registry
from aspire_models.responses import Rejection
from aspire_models.result import Accounting, Provenance, Result
from aspire_models.scorers.aggregate import gap_pairs, moments_with_gaps, only, organisation_table, sector_table
from aspire_models.scorers.dimensions import dimension_scores
from aspire_models.scoring import ScorerOutput, Table, resolve_params
from aspire_models.stats.moments import Moments

if TYPE_CHECKING:
    import dask.dataframe as dd
    import pandas as pd

__all__ = ["score_dask"]

SOURCE = "<dask DataFrame>"


def score_dask(
    registry: Registry,
    instrument: str | Instrument,
    ddf: dd.DataFrame,
    *,
    params: Mapping[str, Mapping[str, Any]] | None = None,
    respondents: bool = False,
) -> Result:
    """Score a Dask DataFrame of responses (columns as in a CSV file), partition by partition.

    Uses the current Dask scheduler (a ``distributed.Client`` if one is active).

    :param params: per-scorer parameter overrides, ``{scorer_id: {name: value}}``.
    :param respondents: also return the respondent-level ``dimension-scores`` table (brings
        every respondent's scores to the client: for moderate sizes only).
    """
    import pandas as pd

    compute, delayed = _dask()
    ins = registry.instrument(instrument) if isinstance(instrument, str) else instrument
    framework = registry.framework(ins.framework)
    names = [str(c) for c in ddf.columns]
    warnings = _check_header(names, ins, SOURCE)
    dim_params, agg_params = _params(registry, ins, params)
    if agg_params.get("interval", "t") != "t":
        from aspire_models.errors import ScoringError

        raise ScoringError(
            f"aggregate interval {agg_params['interval']!r} needs every respondent's scores in one place; "
            "partitioned scoring merges moments: use interval 't' (the default)"
        )

    parts: list[Any] = ddf.to_delayed()  # type: ignore[no-untyped-call]
    lengths = [int(x) for x in compute(*[delayed(len)(p) for p in parts])]
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    if offsets[-1] == 0:
        raise ResponseError([Problem("not-empty", "the DataFrame has no rows", file=SOURCE)])

    # pass 1: rows whose respondent id appeared in an earlier partition
    earlier = _repeats(parts, offsets)

    # pass 2: validate and score each partition; bring back mergeable statistics
    tasks = [
        delayed(_score_partition)(
            p, int(offsets[i]), earlier.get(i, np.zeros(0, np.int64)), ins, dim_params, agg_params, respondents
        )
        for i, p in enumerate(parts)
        if lengths[i]
    ]
    outs: Sequence[dict[str, Any]] = compute(*tasks)

    labels = sorted(set().union(*(o["labels"] for o in outs)))
    where = {lab: i for i, lab in enumerate(labels)}
    elements, modes = outs[0]["elements"], outs[0]["modes"]
    total = Moments.empty(len(labels), len(elements))
    for o in outs:
        total = total.merge(_widen(o["moments"], [where[lab] for lab in o["labels"]], len(labels)))
    rejected = tuple(r for o in outs for r in o["rejected"])
    n_input = int(offsets[-1])
    n_accepted = sum(int(o["accepted"]) for o in outs)

    outputs: list[ScorerOutput] = []
    if respondents:
        frame = pd.concat([o["respondents"] for o in outs], ignore_index=True)
        score_cols = [c for c in frame.columns if c not in ("row", "respondent_id", "organisation")]
        columns: dict[str, Any] = {
            "row": frame["row"].to_numpy(dtype=np.int64),
            "respondent_id": frame["respondent_id"].to_numpy(dtype=object),
            "organisation": frame["organisation"].to_numpy(dtype=object),
        }
        columns.update({c: frame[c].to_numpy(dtype=np.float64) for c in score_cols})
        table = Table(
            "respondent-scores",
            "respondent",
            columns,
            "One row per accepted respondent (input row number, id, organisation) and one column per "
            "dimension ('element' or 'element.mode'); a score is missing (null) when fewer than "
            "min_answered items were answered.",
        )
        missing = int(sum(np.isnan(columns[c]).sum() for c in score_cols))
        summary = {"respondents": n_accepted, "dimensions": score_cols, "missing_scores": missing}
        outputs.append(ScorerOutput("dimension-scores", dim_params, (table,), summary))
    confidence = agg_params.get("confidence", 0.95)  # intervals from the merged moments
    # the same disclosure rules as the engine: small organisations withheld and, when together
    # too few, left out of the sector; then the result-wide disclosure step
    k = int(agg_params["min_group_size"])
    counts = np.zeros(len(labels), dtype=np.int64)
    for o in outs:
        np.add.at(counts, [where[lab] for lab in o["labels"]], o["counts"])
    small = (counts > 0) & (counts < k)
    members = (counts > 0) & ~(small if 0 < int(counts[small].sum()) < k else np.zeros_like(small))
    org_t = organisation_table(only(total, ~small), tuple(labels), elements, modes, small, k, confidence=confidence)
    member_labels = tuple(lab for lab, m in zip(labels, members.tolist(), strict=True) if m)
    sec_t = sector_table(
        only(total, members), elements, modes, k, member_labels, confidence, bool((members & small).any())
    )
    summary = {
        "organisations": int((total.n.sum(axis=1) > 0).sum()),
        "respondents": n_accepted,
        "withheld_organisations": int(small.sum()),
    }
    outputs.append(ScorerOutput("aggregate", agg_params, (org_t, sec_t), summary))
    population = Population(("organisation",), {"organisation": tuple(labels)}, tuple((lab,) for lab in labels))
    protected, notes = protect(outputs, population)
    outputs = list(protected)
    warnings = [*warnings, *notes]

    from aspire_models import __version__

    digest = hashlib.sha256("".join(o["digest"] for o in outs).encode()).hexdigest()
    prov = Provenance(
        __version__, ins.id, ins.version, ins.digest(), framework.id, framework.version, Path(SOURCE).name, digest
    )
    return Result(prov, Accounting(n_input, n_accepted, len(rejected)), rejected, tuple(outputs), tuple(warnings))


def _dask() -> tuple[Any, Any]:
    """``dask.compute`` and ``dask.delayed`` (untyped: held as ``Any``)."""
    from dask.base import compute
    from dask.delayed import delayed

    return compute, delayed


def _params(
    registry: Registry, ins: Instrument, overrides: Mapping[str, Mapping[str, Any]] | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    rules = {r.scorer: r for r in ins.scoring}
    out = []
    for scorer_id in ("dimension-scores", "aggregate"):
        scorer = registry.scorer(scorer_id)
        rule = rules.get(scorer_id, ScoringRule(scorer_id))
        merged = {**rule.params, **(overrides or {}).get(scorer_id, {})}
        if "min_group_size" in scorer.params_schema.get("properties", {}) and merged.get("min_group_size") is None:
            from aspire_models.engine import DEFAULT_MIN_GROUP_SIZE

            merged["min_group_size"] = DEFAULT_MIN_GROUP_SIZE.get(ins.design, 5)
        out.append(resolve_params(scorer, merged, where=f"instrument {ins.id!r}"))
    return out[0], out[1]


def _ids(df: pd.DataFrame, offset: int) -> pd.DataFrame:
    """A partition's respondent ids as compared (spaces trimmed) and their global rows."""
    import pandas as pd

    ids = pc.utf8_trim_whitespace(_as_text(_frame_columns(df)["respondent_id"]))
    valid = np.asarray(ids.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    rows = np.flatnonzero(valid).astype(np.int64) + offset
    return pd.DataFrame({"id": pd.Series(ids.filter(ids.is_valid()).to_pylist(), dtype=object), "row": rows})


def _repeats(parts: Sequence[Any], offsets: np.ndarray[Any, Any]) -> dict[int, np.ndarray[Any, Any]]:
    """Per partition, the local rows whose id first appeared in an earlier partition."""
    import dask.dataframe as dd
    import pandas as pd

    _, delayed = _dask()
    meta = pd.DataFrame({"id": pd.Series(dtype=object), "row": pd.Series(dtype=np.int64)})
    ids = dd.from_delayed([delayed(_ids)(p, int(offsets[i])) for i, p in enumerate(parts)], meta=meta)
    first = ids.groupby("id")["row"].min().rename("first").reset_index()
    joined = ids.merge(first, on="id")
    repeats = joined[joined["row"] > joined["first"]].compute()
    rows = repeats["row"].to_numpy(dtype=np.int64)
    firsts = repeats["first"].to_numpy(dtype=np.int64)
    part = np.searchsorted(offsets, rows, side="right") - 1
    out: dict[int, np.ndarray[Any, Any]] = {}
    for i in np.unique(part).tolist():
        mine = (part == i) & (firsts < offsets[i])  # repeats within a partition are found there
        out[i] = rows[mine] - offsets[i]
    return out


def _score_partition(
    df: pd.DataFrame,
    offset: int,
    earlier_rows: np.ndarray[Any, Any],
    ins: Instrument,
    dim_params: Mapping[str, Any],
    agg_params: Mapping[str, Any],
    respondents: bool,
) -> dict[str, Any]:
    import pandas as pd

    n = len(df)
    columns = _frame_columns(df)
    earlier = np.zeros(n, dtype=bool)
    earlier[earlier_rows] = True
    names = list(columns)
    rs = _validate(columns, n, ins, source=SOURCE, digest="", earlier=earlier)
    dims = dimension_scores(ins, rs.answers, method=dim_params["method"], min_answered=dim_params["min_answered"])
    if (agg_params["method"], agg_params["min_answered"]) != (dim_params["method"], dim_params["min_answered"]):
        agg_dims = dimension_scores(
            ins, rs.answers, method=agg_params["method"], min_answered=agg_params["min_answered"]
        )
    else:
        agg_dims = dims
    pairs = gap_pairs(agg_dims, agg_params["now_mode"], agg_params["future_mode"])
    elements = list(agg_dims.elements) + [agg_dims.elements[j] for j, _ in pairs]
    modes = [m if m is not None else "" for m in agg_dims.modes] + ["gap"] * len(pairs)
    orgs = rs.organisation
    moments = moments_with_gaps(agg_dims, pairs, orgs.codes, len(orgs.labels))
    out: dict[str, Any] = {
        "labels": list(orgs.labels),
        "counts": np.bincount(orgs.codes[orgs.codes >= 0], minlength=len(orgs.labels)),
        "moments": moments,
        "elements": elements,
        "modes": modes,
        "accepted": rs.n_accepted,
        "rejected": [_shift(r, offset) for r in rs.rejected],
        "digest": _columnar.table_digest(names, [columns[c] for c in names]),
    }
    if respondents:
        frame = pd.DataFrame(
            {
                "row": rs.rows + offset,
                "respondent_id": rs.respondent_id,
                "organisation": np.asarray(orgs.labels, dtype=object)[orgs.codes],
            }
        )
        for j, name in enumerate(dims.names):
            frame[name] = dims.scores[:, j]
        out["respondents"] = frame
    return out


def _shift(rejection: Rejection, offset: int) -> Rejection:
    """A partition's rejection with global row numbers."""
    problems = tuple(
        attrs.evolve(p, record=p.record + offset) if isinstance(p.record, int) else p for p in rejection.problems
    )
    return Rejection(rejection.row + offset, problems)


def _widen(m: Moments, at: list[int], n_groups: int) -> Moments:
    """Moments of some groups placed among ``n_groups`` (the others empty)."""
    out = Moments.empty(n_groups, m.n.shape[1])
    for field in ("n", "mean", "m2", "min", "max"):
        getattr(out, field)[at] = getattr(m, field)
    return out
