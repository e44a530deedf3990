"""Benchmarking: compare each organisation's dimension scores with a reference distribution.

The reference is either the organisations in the same data (the organisation itself among
them, as it is in a norm table built from the same data, so that both give the same answer),
or a stored, versioned norm table (``norms.schema.json``), contributed by a plugin
(``aspire_norms`` hook) or read from a file.

For an organisation mean :math:`x` and reference organisation means :math:`y_1..y_n`:

* percentile rank :math:`100\\,(\\#\\{y_i < x\\} + \\tfrac12 \\#\\{y_i = x\\}) / n` (mid-rank
  definition), with means compared as exact fractions (:mod:`aspire_models.stats.ties`): two
  organisations with the same mean, say both 313/54, always tie. A norm table stores its
  organisations' means as exact fractions (``organisation_means``) for this; an older table
  holding percentiles only is read by linear interpolation between them, which cannot see
  ties (a note says so);
* z-score :math:`(x - \\bar y)/s_y` (``s_y`` with n-1);
* quartile 1-4 from the percentile rank (1: below 25, 4: 75 and above);
* ``ci_low``/``ci_high``: the t-interval of the organisation mean :math:`x` over its
  respondents, :math:`x \\pm t_{1-\\alpha/2,\\,n-1}\\, s/\\sqrt n`, at the level of the
  ``confidence`` parameter (default 0.95), from the counted moments (none for n < 2). For
  mode ``gap`` it is the paired interval of the mean of the respondents' own gaps.

A reference group of fewer than 10 organisations is too small to rank against: the output's
notes and summary (``warnings``) say so for every dimension concerned.

:func:`build_norms` turns a scored result into a norm table document to store and share
(the pattern of sector-wide pay benchmarking, applied to these frameworks).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from aspire_models import validation
from aspire_models.errors import ScoringError, UnknownIdError
from aspire_models.privacy.cells import Cells
from aspire_models.scorers.aggregate import CONFIDENCE_SCHEMA, organisation_statistics, small_organisations
from aspire_models.scorers.dimensions import GAP_MODES_SCHEMA, MIN_ANSWERED_SCHEMA
from aspire_models.scorers.exact import exact_means, score_resolutions
from aspire_models.scoring import MIN_GROUP_SIZE_SCHEMA, ScorerOutput, ScoringContext, Table, json_value
from aspire_models.stats.intervals import t_interval
from aspire_models.stats.ties import SMALL_REFERENCE, midrank_percentile, parse_fraction

if TYPE_CHECKING:
    from aspire_models.instrument import Instrument

__all__ = ["BenchmarkScorer", "build_norms", "percentile_rank"]

_BENCHMARK_VALUES = (
    "score",
    "ci_low",
    "ci_high",
    "reference_n",
    "reference_mean",
    "reference_sd",
    "z",
    "percentile_rank",
    "quartile",
)


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
    instrument: Instrument | None = None,
    now_mode: str = "now",
    future_mode: str = "future",
) -> dict[str, Any]:
    """A norm table document from an ``organisations`` aggregate table (rows as dicts, with
    ``element``, ``mode``, ``n`` and ``mean``).

    Each dimension stores its organisations' means as exact fractions (``organisation_means``,
    sorted, no names), so that a percentile rank against the table is the same as against
    the same organisations in the data, ties included. The fractions are exact when the
    ``instrument`` is given and its scores have a known resolution
    (:func:`aspire_models.scorers.exact.dimension_resolution`); else they are the
    floating-point means' own values. Dimensions with fewer than two organisations are left
    out.
    """
    by_dim: dict[tuple[str, str | None], list[tuple[float, int]]] = {}
    for row in result_tables["rows"]:
        if row["mean"] is not None:
            by_dim.setdefault((row["element"], row["mode"] or None), []).append((row["mean"], int(row["n"])))
    dims = []
    for (element, mode), pairs in by_dim.items():
        v = np.asarray([m for m, _ in pairs], dtype=np.float64)
        if len(v) < 2:
            continue
        resolution = (
            score_resolutions(instrument, [element], [mode or ""], now_mode, future_mode)[0]
            if instrument is not None
            else None
        )
        exact = exact_means([m for m, _ in pairs], [n for _, n in pairs], resolution)
        dims.append(
            {
                "element": element,
                "mode": mode,
                "n": len(v),
                "mean": float(v.mean()),
                "sd": float(v.std(ddof=1)),
                "percentiles": {str(p): float(np.percentile(v, p)) for p in percentiles},
                "organisation_means": [str(f) for f in sorted(e.value for e in exact if e is not None)],
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
        "against the organisations in the data (ties exact) or a stored norm table."
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
                    "null compares with the organisations in the data.",
                },
                "organisation": {
                    "type": ["string", "null"],
                    "default": None,
                    "description": "Benchmark this organisation only.",
                },
                "min_answered": MIN_ANSWERED_SCHEMA,
                "min_group_size": MIN_GROUP_SIZE_SCHEMA,
                "confidence": CONFIDENCE_SCHEMA,
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
        confidence = float(params.get("confidence", 0.95))
        ci_low, ci_high = t_interval(m.n, m.mean, m.m2, confidence)
        k = params["min_group_size"]
        small = small_organisations(ctx, k)  # withheld: neither benchmarked nor a reference
        present = [g for g in range(len(orgs.labels)) if m.n[g].sum() > 0 and not small[g]]
        if params["organisation"] is not None:
            if params["organisation"] not in orgs.labels:
                raise UnknownIdError("organisation", params["organisation"], orgs.labels)
            focus = [g for g in [orgs.labels.index(params["organisation"])] if not small[g]]
        else:
            focus = present
        norm_dims = {(d["element"], d["mode"]): d for d in norms["dimensions"]} if norms else {}
        cols: dict[str, list[Any]] = {
            k: []
            for k in (
                "organisation",
                "element",
                "mode",
                "n",
                "score",
                "ci_low",
                "ci_high",
                "reference_n",
                "reference_mean",
                "reference_sd",
                "z",
                "percentile_rank",
                "quartile",
            )
        }
        # every organisation mean as an exact fraction, per variable (None: no mean)
        resolutions = score_resolutions(ctx.instrument, elements, modes, params["now_mode"], params["future_mode"])
        exact = [
            exact_means([float(means[g, j]) for g in range(len(orgs.labels))], m.n[:, j].tolist(), resolutions[j])
            for j in range(len(elements))
        ]
        notes: list[str] = []
        small_refs: dict[int, tuple[str, str, int]] = {}
        interpolated: set[str] = set()
        for j, (element, mode) in enumerate(zip(elements, modes, strict=True)):
            if any(e is not None and not e.exact for e in exact[j]):
                notes.append(
                    f"{element}{f' ({mode})' if mode else ''}: the scores have no known resolution (non-integer "
                    "answers or weights), so means are compared as floating-point numbers, not exact fractions"
                )
        for g in focus:
            for j, (element, mode) in enumerate(zip(elements, modes, strict=True)):
                x = float(means[g, j])
                mine = exact[j][g]
                if norms is not None:
                    d = norm_dims.get((element, mode or None))
                    if d is None:
                        continue
                    ref_n, ref_mean, ref_sd = d["n"], d["mean"], d["sd"]
                    if d.get("organisation_means") and mine is not None:
                        pct = midrank_percentile(mine.value, [parse_fraction(t) for t in d["organisation_means"]])
                    else:
                        pct = _from_percentiles(x, d["percentiles"])
                        interpolated.add(element + (f" ({mode})" if mode else ""))
                else:  # the organisations in the data, this one included
                    others = [exact[j][h] for h in present]
                    reference = [e.value for e in others if e is not None]
                    ref = np.array([means[h, j] for h in present])
                    ref = ref[~np.isnan(ref)]
                    ref_n = len(ref)
                    ref_mean = float(ref.mean()) if ref_n else float("nan")
                    ref_sd = float(ref.std(ddof=1)) if ref_n > 1 else float("nan")
                    pct = midrank_percentile(mine.value, reference) if mine is not None else float("nan")
                if ref_n < SMALL_REFERENCE:
                    small_refs.setdefault(j, (element, mode, int(ref_n)))
                z = (x - ref_mean) / ref_sd if ref_sd and not np.isnan(ref_sd) and ref_sd > 0 else float("nan")
                cols["organisation"].append(orgs.labels[g])
                cols["element"].append(element)
                cols["mode"].append(mode)
                cols["n"].append(int(m.n[g, j]))
                cols["score"].append(x)
                cols["ci_low"].append(float(ci_low[g, j]))
                cols["ci_high"].append(float(ci_high[g, j]))
                cols["reference_n"].append(ref_n)
                cols["reference_mean"].append(ref_mean)
                cols["reference_sd"].append(ref_sd)
                cols["z"].append(z)
                cols["percentile_rank"].append(pct)
                cols["quartile"].append(_quartile(pct))
        source = (
            f"norm table {norms['id']} version {norms['version']}"
            if norms
            else "the organisations in the data (each one included)"
        )
        warnings = [
            f"{element}{f' ({mode})' if mode else ''}: the reference group has only {n} organisation"
            f"{'' if n == 1 else 's'} (fewer than {SMALL_REFERENCE}): too few to rank against; read percentile "
            "ranks and quartiles as positions in a short list, not as a distribution"
            for element, mode, n in small_refs.values()
        ]
        if interpolated:
            warnings.append(
                f"norm table {norms['id'] if norms else ''}: it stores percentiles only (no organisation_means), "
                "so percentile ranks are interpolated between them and ties cannot be seen: "
                + ", ".join(sorted(interpolated))
            )
        notes = warnings + notes
        return ScorerOutput(
            self.id,
            params,
            (
                Table(
                    "benchmarks",
                    "organisation",
                    cols,
                    f"Organisation means against {source}, with the {confidence:.0%} confidence interval of "
                    "each organisation mean over its respondents (ci_low, ci_high).",
                    cells=Cells(
                        by={"organisation": "organisation"},
                        count="n",
                        values=_BENCHMARK_VALUES,
                        statistic=("element", "mode"),
                        k=k,
                    ),
                ),
            ),
            {"reference": json_value(source), "organisations": len(focus), "warnings": warnings},
            notes,
        )
