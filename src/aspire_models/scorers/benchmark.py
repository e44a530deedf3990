"""Benchmarking: compare each organisation's dimension scores with a reference distribution.

The reference is either the *other* organisations in the same data (each organisation is
left out of its own reference), or a stored, versioned norm table (``norms.schema.json``),
contributed by a plugin (``aspire_norms`` hook) or read from a file.

For an organisation mean :math:`x` and reference organisation means :math:`y_1..y_n`:

* percentile rank :math:`100\\,(\\#\\{y_i < x\\} + \\tfrac12 \\#\\{y_i = x\\}) / n` (mid-rank
  definition); with a norm table, linear interpolation between its stored percentiles;
* z-score :math:`(x - \\bar y)/s_y` (``s_y`` with n-1);
* quartile 1-4 from the percentile rank (1: below 25, 4: 75 and above).

:func:`build_norms` turns a scored result into a norm table document to store and share
(the pattern of sector-wide pay benchmarking, applied to these frameworks).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import attrs
import numpy as np

from aspire_models import validation
from aspire_models.errors import ScoringError, UnknownIdError
from aspire_models.scorers.aggregate import organisation_statistics
from aspire_models.scorers.dimensions import GAP_MODES_SCHEMA, MIN_ANSWERED_SCHEMA
from aspire_models.scoring import ScorerOutput, ScoringContext, Table, json_value

__all__ = ["BenchmarkScorer", "build_norms", "percentile_rank"]


def percentile_rank(x: float, reference: np.ndarray[Any, Any]) -> float:
    """Mid-rank percentile of ``x`` among ``reference`` (0-100).

    >>> percentile_rank(3.0, np.array([1.0, 2.0, 3.0, 4.0]))
    62.5
    """
    ref = reference[~np.isnan(reference)]
    if not len(ref) or np.isnan(x):
        return float("nan")
    return float(100.0 * ((ref < x).sum() + 0.5 * (ref == x).sum()) / len(ref))


def _from_percentiles(x: float, table: Mapping[str, float]) -> float:
    pts = sorted((float(p), float(v)) for p, v in table.items())
    ps = np.array([p for p, _ in pts])
    vs = np.array([v for _, v in pts])
    if np.isnan(x):
        return float("nan")
    return float(np.interp(x, vs, ps, left=0.0, right=100.0))


def _quartile(p: float) -> int | None:
    if np.isnan(p):
        return None
    return 1 if p < 25 else 2 if p < 50 else 3 if p < 75 else 4


def build_norms(
    result_tables: Mapping[str, Any],
    *,
    norms_id: str,
    version: str,
    title: str,
    instrument_id: str,
    instrument_version: str,
    population: str = "",
    percentiles: Sequence[int] = (5, 10, 25, 50, 75, 90, 95),
) -> dict[str, Any]:
    """A norm table document from an ``organisations`` aggregate table (rows as dicts).

    Dimensions with fewer than two organisations are left out.
    """
    by_dim: dict[tuple[str, str | None], list[float]] = {}
    for row in result_tables["rows"]:
        if row["mean"] is not None:
            by_dim.setdefault((row["element"], row["mode"] or None), []).append(row["mean"])
    dims = []
    for (element, mode), values in by_dim.items():
        v = np.asarray(values, dtype=np.float64)
        if len(v) < 2:
            continue
        dims.append(
            {
                "element": element,
                "mode": mode,
                "n": len(v),
                "mean": float(v.mean()),
                "sd": float(v.std(ddof=1)),
                "percentiles": {str(p): float(np.percentile(v, p)) for p in percentiles},
            }
        )
    doc = {
        "id": norms_id,
        "version": version,
        "title": title,
        "instrument": {"id": instrument_id, "version": instrument_version},
        "population": population,
        "dimensions": dims,
    }
    validation.check(doc, "norms", source=f"norm table {norms_id!r}")
    return doc


@attrs.frozen
class BenchmarkScorer:
    """Percentile rank, z-score and quartile of each organisation against a reference."""

    id: str = "benchmark"
    title: str = "Benchmarking"
    description: str = (
        "Per organisation and dimension: the organisation mean, its percentile rank, z-score and quartile "
        "against the other organisations in the data or a stored norm table."
    )
    designs: tuple[str, ...] = ("self-assessment",)
    params_schema: Mapping[str, Any] = attrs.field(
        factory=lambda: {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "norms": {
                    "type": ["string", "object", "null"],
                    "default": None,
                    "description": "Id of a registered norm table, or a norm table document; "
                    "null compares with the other organisations in the data.",
                },
                "organisation": {
                    "type": ["string", "null"],
                    "default": None,
                    "description": "Benchmark this organisation only.",
                },
                "min_answered": MIN_ANSWERED_SCHEMA,
                **GAP_MODES_SCHEMA,
            },
        }
    )

    def _norms(self, ctx: ScoringContext, spec: Any) -> Mapping[str, Any] | None:
        if spec is None:
            return None
        if isinstance(spec, Mapping):
            validation.check(spec, "norms", source="norm table")
            doc = spec
        else:
            found = [n for n in ctx.norms if n["id"] == spec]
            if not found:
                raise UnknownIdError("norm table", spec, [n["id"] for n in ctx.norms])
            doc = found[0]
        ins = ctx.instrument
        if doc["instrument"]["id"] != ins.id or doc["instrument"]["version"].split(".")[0] != ins.version.split(".")[0]:
            raise ScoringError(
                f"norm table {doc['id']!r} is for {doc['instrument']['id']} {doc['instrument']['version']}, "
                f"not {ins.id} {ins.version}"
            )
        return doc

    def score(self, ctx: ScoringContext, params: Mapping[str, Any]) -> ScorerOutput:
        norms = self._norms(ctx, params["norms"])
        m, elements, modes = organisation_statistics(
            ctx, "mean", params["min_answered"], params["now_mode"], params["future_mode"]
        )
        orgs = ctx.data.organisation
        means = np.where(m.n > 0, m.mean, np.nan)
        present = [g for g in range(len(orgs.labels)) if m.n[g].sum() > 0]
        if params["organisation"] is not None:
            if params["organisation"] not in orgs.labels:
                raise UnknownIdError("organisation", params["organisation"], orgs.labels)
            focus = [orgs.labels.index(params["organisation"])]
        else:
            focus = present
        norm_dims = {(d["element"], d["mode"]): d for d in norms["dimensions"]} if norms else {}
        cols: dict[str, list[Any]] = {
            k: []
            for k in (
                "organisation",
                "element",
                "mode",
                "score",
                "reference_n",
                "reference_mean",
                "reference_sd",
                "z",
                "percentile_rank",
                "quartile",
            )
        }
        for g in focus:
            for j, (element, mode) in enumerate(zip(elements, modes, strict=True)):
                x = float(means[g, j])
                if norms is not None:
                    d = norm_dims.get((element, mode or None))
                    if d is None:
                        continue
                    ref_n, ref_mean, ref_sd = d["n"], d["mean"], d["sd"]
                    pct = _from_percentiles(x, d["percentiles"])
                else:
                    ref = np.array([means[h, j] for h in present if h != g])
                    ref = ref[~np.isnan(ref)]
                    ref_n = len(ref)
                    ref_mean = float(ref.mean()) if ref_n else float("nan")
                    ref_sd = float(ref.std(ddof=1)) if ref_n > 1 else float("nan")
                    pct = percentile_rank(x, ref)
                z = (x - ref_mean) / ref_sd if ref_sd and not np.isnan(ref_sd) and ref_sd > 0 else float("nan")
                cols["organisation"].append(orgs.labels[g])
                cols["element"].append(element)
                cols["mode"].append(mode)
                cols["score"].append(x)
                cols["reference_n"].append(ref_n)
                cols["reference_mean"].append(ref_mean)
                cols["reference_sd"].append(ref_sd)
                cols["z"].append(z)
                cols["percentile_rank"].append(pct)
                cols["quartile"].append(_quartile(pct))
        source = f"norm table {norms['id']} version {norms['version']}" if norms else "the other organisations"
        return ScorerOutput(
            self.id,
            params,
            (Table("benchmarks", "organisation", cols, f"Organisation means against {source}."),),
            {"reference": json_value(source), "organisations": len(focus)},
        )
