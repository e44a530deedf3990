"""Comparing survey waves: did each organisation change, and is the change real?

:func:`compare` scores every wave through the normal engine (so each wave is protected
exactly as a single result is: small groups withheld, complementary suppression), then,
for each pair of waves (consecutive waves, and the first against the last when there are
more than two), per organisation and dimension:

* the change (second wave minus first) with its confidence interval;
* a test: Welch's t on the two waves' counted moments; the paired t when the
  organisation's respondents with a score are the same people in both waves (matched by
  respondent id); the partially overlapping samples t-test (Derrick, Toher and White 2017,
  :mod:`aspire_models.stats.overlap`) when at least ``min_group_size`` of them answered both
  waves and others only one; optionally a permutation p-value instead of the t test's;
* Hedges' g, the change in pooled standard deviations;
* adjusted p-values over every comparison made (Holm or Benjamini-Hochberg) and a label:
  ``improved``, ``declined`` or ``no detectable change``.

and per dimension the change of the sector (the mean of the organisation means each wave
publishes; the ``sector-changes`` table), paired over the organisations published in both
waves, in the same family of adjusted p-values.

Change is published only for a group whose figures both waves publish. A dimension whose
items differ between the waves' instrument versions (added, removed, reworded, rescaled,
reverse keying or weight changed) is not compared: it is listed in the
``instrument-changes`` table instead.

The methods and what the privacy rules do and do not cover across waves are on the
documentation's *Survey waves* page.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import attrs
import numpy as np
from numpy.typing import NDArray

from aspire_models.errors import AspireError, UnknownIdError
from aspire_models.instrument import Instrument, ScoringRule
from aspire_models.privacy.cells import Cells
from aspire_models.registry import Registry
from aspire_models.responses import ResponseSet
from aspire_models.result import Result
from aspire_models.scoring import ScorerOutput, Table, _as_list, json_value
from aspire_models.stats import intervals as iv
from aspire_models.stats.moments import Discrete, Moments
from aspire_models.stats.overlap import partial_overlap

if TYPE_CHECKING:
    import pandas as pd

    from aspire_models.engine import Responses
    from aspire_models.privacy import AuditReport, Finding

__all__ = ["COMPARISON_SCHEMA_ID", "Comparison", "audit_comparison", "compare", "instrument_changes", "sector_row"]

COMPARISON_SCHEMA_ID = "urn:aspire-models:schema:comparison:1"
SCORER = "compare"
IMPROVED, DECLINED, NO_CHANGE = "improved", "declined", "no detectable change"
#: the figures of a comparison row, withheld together (the disclosure declaration's values)
VALUES = (
    "n_from",
    "mean_from",
    "n_to",
    "mean_to",
    "change",
    "ci_low",
    "ci_high",
    "t",
    "df",
    "p",
    "p_adjusted",
    "hedges_g",
    "label",
)
COLUMNS = ("from", "to", "organisation", "element", "mode", *VALUES[:12], "test", "label", "suppressed", "reason")
#: the sector-changes table: per pair of waves and dimension, the change of the mean of the
#: organisation means; n_from and n_to count organisations
SECTOR_COLUMNS = ("from", "to", "element", "mode", *VALUES[:12], "test", "label", "left_out", "suppressed", "reason")
#: the tests a row may name
PAIRED, PARTIAL, WELCH = "paired", "partial-overlap", "welch"

Test = Literal["welch", "permutation"]
Pairing = Literal["auto", "never"]


class ComparisonError(AspireError):
    """Waves that cannot be compared (fewer than two, labels repeated, no shared dimension)."""


# -- one wave --------------------------------------------------------------------------------
@attrs.frozen(eq=False)
class _Wave:
    label: str
    result: Result
    instrument: Instrument
    names: tuple[tuple[str, str], ...]  # (element, mode or "") per dimension column
    columns: tuple[NDArray[np.float64] | Discrete, ...]
    org_labels: tuple[str, ...]
    org_codes: NDArray[np.int32]
    ids: Any  # Arrow string array
    published: frozenset[tuple[str, str, str]]  # (organisation, element, mode) published
    withheld: frozenset[tuple[str, str, str]]
    #: per published (organisation, element, mode): the n, mean and sd the wave publishes
    figures: Mapping[tuple[str, str, str], tuple[int, float, float]]
    #: organisations with respondents (rows in the wave's organisation table)
    organisations: tuple[str, ...]

    def values(self, j: int) -> NDArray[np.float64]:
        col = self.columns[j]
        if isinstance(col, Discrete):
            return np.take(col.values, col.levels)
        return col

    def values_at(self, j: int, rows: NDArray[np.int64]) -> NDArray[np.float64]:
        """The scores of column ``j`` of ``rows`` only."""
        col = self.columns[j]
        if isinstance(col, Discrete):
            return np.take(col.values, col.levels[rows])
        return col[rows]


def _split_name(name: str, modes: Sequence[str]) -> tuple[str, str]:
    for m in modes:
        if name.endswith("." + m):
            return name[: -len(m) - 1], m
    return name, ""


def _rules(ins: Instrument, confidence: float) -> list[ScoringRule]:
    """The instrument's own rules for the dimension scores and the aggregate (its parameters,
    e.g. ``min_answered``), with the run's ``confidence``."""
    given = {r.scorer: dict(r.params) for r in ins.scoring}
    dims = given.get("dimension-scores", {})
    agg = {**given.get("aggregate", {}), "confidence": confidence}
    for key in ("method", "min_answered"):
        if key in dims and key not in agg:
            agg[key] = dims[key]
    if "min_answered" in agg and "min_answered" not in dims:
        dims["min_answered"] = agg["min_answered"]
    return [ScoringRule("dimension-scores", dims), ScoringRule("aggregate", agg)]


def _score_wave(
    registry: Registry,
    ins: Instrument,
    data: Responses,
    label: str,
    *,
    confidence: float,
    min_group_size: int | None,
    read_options: Mapping[str, Any],
) -> _Wave:
    from aspire_models.engine import load_responses, score_responses

    if ins.design != "self-assessment":
        raise ComparisonError(
            f"wave {label!r}: instrument {ins.id!r} is a {ins.design} instrument; waves are compared for "
            "self-assessment and staff-survey instruments (organisation and dimension means)"
        )
    if isinstance(data, ResponseSet):
        rs = data
    else:
        options = dict(read_options)
        if isinstance(data, str | Path) and "readers" not in options:
            options["readers"] = list(registry.readers.values())
        rs = load_responses(ins, data, **options)
    result = score_responses(registry, rs, scorers=_rules(ins, confidence), min_group_size=min_group_size)
    if result.failures:
        raise ComparisonError(f"wave {label!r}: " + "; ".join(str(f) for f in result.failures))
    table = result.table("dimension-scores", "respondent-scores")
    modes = ins.mode_ids
    import pyarrow as pa

    names: list[tuple[str, str]] = []
    columns: list[NDArray[np.float64] | Discrete] = []
    for name in table.column_names[3:]:
        names.append(_split_name(name, modes))
        col = table.column(name)
        if isinstance(col, pa.DictionaryArray):  # discrete scores: levels and their values
            levels = col.indices.to_numpy(zero_copy_only=False)
            values = np.asarray(col.dictionary.to_numpy(zero_copy_only=False), dtype=np.float64)
            columns.append(Discrete(levels, values))
        elif isinstance(col, pa.Array):
            columns.append(np.asarray(col.to_numpy(zero_copy_only=False), dtype=np.float64))
        else:
            columns.append(np.asarray(col, dtype=np.float64))
    published, withheld = set(), set()
    figures: dict[tuple[str, str, str], tuple[int, float, float]] = {}
    present: dict[str, None] = {}
    org_table = result.table("aggregate", "organisations")
    col = {
        c: _as_list(org_table.column(c)) for c in ("organisation", "element", "mode", "n", "mean", "sd", "suppressed")
    }
    for org, e, m, n, mean, sd, suppressed in zip(*col.values(), strict=True):
        key = (str(org), str(e), str(m or ""))
        present[key[0]] = None
        if m == "gap":
            continue
        if suppressed:
            withheld.add(key)
        elif mean is not None and mean == mean:  # (neither: no scores, e.g. a dimension not measured)
            published.add(key)
            figures[key] = (int(n), float(mean), float(sd) if sd is not None and sd == sd else 0.0)
    return _Wave(
        label,
        result,
        ins,
        tuple(names),
        tuple(columns),
        tuple(str(x) for x in rs.organisation.labels),
        rs.organisation.codes,
        rs.ids,
        frozenset(published),
        frozenset(withheld),
        figures,
        tuple(present),
    )


# -- instrument versions ---------------------------------------------------------------------
def _item_signature(ins: Instrument, item_id: str) -> dict[str, Any]:
    it = ins.item(item_id)
    scale = ins.scale(it.scale)
    return {"text": it.text, "scale": scale.to_dict(), "reverse": it.reverse, "weight": it.weight}


def _dimension_items(ins: Instrument) -> dict[tuple[str, str], list[str]]:
    out: dict[tuple[str, str], list[str]] = {}
    for it in ins.items:
        if it.element is None or it.id not in {c.item for c in ins.numeric_columns()}:
            continue
        for mode in it.modes or ("",):
            out.setdefault((it.element, mode), []).append(it.id)
    return out


def instrument_changes(first: Instrument, second: Instrument) -> list[dict[str, Any]]:
    """Per dimension (element, mode), each item that differs between two instrument versions:
    ``added``, ``removed``, or which of its wording, scale, reverse keying and weight changed.
    A dimension listed here is not compared between the two waves."""
    a, b = _dimension_items(first), _dimension_items(second)
    out: list[dict[str, Any]] = []
    for key in sorted(set(a) | set(b)):
        ia, ib = a.get(key, []), b.get(key, [])
        for item in sorted(set(ia) | set(ib)):
            if item not in ib:
                what = "removed"
            elif item not in ia:
                what = "added"
            else:
                sa, sb = _item_signature(first, item), _item_signature(second, item)
                changed = [
                    {"text": "wording", "scale": "scale", "reverse": "reverse keying", "weight": "weight"}[f]
                    for f in sa
                    if sa[f] != sb[f]
                ]
                if not changed:
                    continue
                what = ", ".join(changed) + " changed"
            out.append({"element": key[0], "mode": key[1], "item": item, "change": what})
    return out


# -- the comparison --------------------------------------------------------------------------
@attrs.frozen
class Comparison:
    """What :func:`compare` returns: the waves' own (protected) results and the comparison.

    ``output`` holds the ``changes`` table (one row per pair of waves, organisation and
    dimension) and the ``instrument-changes`` table; :meth:`frame` gives either as a
    DataFrame, :meth:`to_json` the whole document, :meth:`audit` checks it."""

    labels: tuple[str, ...]
    waves: tuple[Result, ...]
    output: ScorerOutput
    warnings: tuple[str, ...] = ()

    def table(self, name: str = "changes") -> Table:
        return self.output.table(name)

    def frame(self, name: str = "changes") -> pd.DataFrame:
        return self.table(name).to_frame()

    def wave(self, label: str) -> Result:
        for lab, r in zip(self.labels, self.waves, strict=True):
            if lab == label:
                return r
        raise UnknownIdError("wave", label, list(self.labels))

    def to_dict(self) -> dict[str, Any]:
        o = self.output
        return {
            "schema": COMPARISON_SCHEMA_ID,
            "waves": [{"label": lab, "result": r.to_dict()} for lab, r in zip(self.labels, self.waves, strict=True)],
            "warnings": list(self.warnings),
            "comparison": {
                "scorer": o.scorer,
                "params": {k: json_value(v) for k, v in o.params.items()},
                "summary": {k: json_value(v) for k, v in o.summary.items()},
                "notes": list(o.notes),
                "tables": {t.name: t.to_dict() for t in o.tables},
            },
        }

    def to_json(self, *, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n"

    def audit(self) -> list[AuditReport]:
        """The privacy auditor run on each wave's published result together with the
        comparison (see :func:`audit_comparison`)."""
        return audit_comparison(self.to_dict())

    def findings(self, pair: tuple[str, str] | None = None) -> dict[str, dict[str, int]]:
        """Per organisation: how many dimensions improved, declined, showed no detectable
        change, or were not compared, between the waves of ``pair`` (default: first and
        last)."""
        a, b = pair or (self.labels[0], self.labels[-1])
        out: dict[str, dict[str, int]] = {}
        for r in self.table().rows():
            if r["from"] != a or r["to"] != b:
                continue
            counts = out.setdefault(r["organisation"], {IMPROVED: 0, DECLINED: 0, NO_CHANGE: 0, "not compared": 0})
            counts[r["label"] or "not compared"] += 1
        return out


def audit_comparison(document: Mapping[str, Any]) -> list[AuditReport]:
    """For each wave, audit that wave's published result together with the comparison's
    tables (as one document: the wave's population, every published table of both). A
    comparison row that gives figures of a group the wave withholds is found.

    The ``sector-changes`` rows are checked apart: each is recomputed from the organisation
    means the two waves publish (nothing else), and a row that differs (for instance one that
    counted an organisation a wave withholds) is reported with both waves, naming the
    organisations of the dimension that the waves do not publish."""
    from aspire_models.privacy import audit

    reports = []
    comparison = dict(document["comparison"])
    for w in document["waves"]:
        doc = dict(w["result"])
        doc["outputs"] = [*doc["outputs"], comparison]
        reports.append(audit(doc))
    extra = _audit_sector(document)
    return [
        attrs.evolve(r, findings=(*r.findings, *extra.get(w["label"], ())))
        for w, r in zip(document["waves"], reports, strict=True)
    ]


def _published_means(result: Mapping[str, Any]) -> tuple[dict[tuple[str, str], dict[str, float]], set[str]]:
    """From a wave's result document: per dimension (element, mode), organisation -> the mean
    it publishes; and the organisations with respondents."""
    means: dict[tuple[str, str], dict[str, float]] = {}
    present: set[str] = set()
    for o in result["outputs"]:
        table = o["tables"].get("organisations") if o["scorer"] == "aggregate" else None
        if table is None:
            continue
        col = {c: i for i, c in enumerate(table["columns"])}
        for r in table["rows"]:
            org, e, m = str(r[col["organisation"]]), str(r[col["element"]]), str(r[col["mode"]] or "")
            present.add(org)
            if m != "gap" and not r[col["suppressed"]] and r[col["mean"]] is not None:
                means.setdefault((e, m), {})[org] = float(r[col["mean"]])
    return means, present


def _audit_sector(document: Mapping[str, Any]) -> dict[str, list[Finding]]:
    from aspire_models.privacy import Finding

    table = document["comparison"]["tables"].get("sector-changes")
    if not table:
        return {}
    params = document["comparison"]["params"]
    waves = {w["label"]: _published_means(w["result"]) for w in document["waves"]}
    cols = table["columns"]
    out: dict[str, list[Finding]] = {}
    for i, values in enumerate(table["rows"]):
        r = dict(zip(cols, values, strict=True))
        if r["suppressed"] and all(r[c] is None for c in VALUES):
            continue
        a, b = waves.get(r["from"]), waves.get(r["to"])
        dim = (str(r["element"]), str(r["mode"] or ""))
        want = (
            sector_row(
                (r["from"], r["to"]),
                dim,
                (a[0].get(dim, {}), b[0].get(dim, {})),
                (a[1], b[1]),
                confidence=params["confidence"],
                test=params["test"],
                paired=params["paired"],
                permutations=params["permutations"],
                seed=params["seed"],
            )
            if a is not None and b is not None
            else None
        )
        if want is not None and all(_same(r[c], want[c]) for c in (*VALUES[:10], "hedges_g", "test", "left_out")):
            continue
        for label, w in ((r["from"], a), (r["to"], b)):
            hidden = tuple(sorted(w[1] - set(w[0].get(dim, {})))) if w is not None else ()
            group = {"organisation": hidden} if hidden else {}
            out.setdefault(label, []).append(
                Finding("unprotected derived figure", SCORER, "sector-changes", i, dim, group, None, ())
            )
    return out


def _same(x: Any, y: Any) -> bool:
    if isinstance(x, float | int) and isinstance(y, float | int) and not isinstance(x, bool):
        return math.isclose(x, y, rel_tol=1e-9, abs_tol=1e-12)
    return bool(x == y)


def _pairs(n: int) -> list[tuple[int, int]]:
    pairs = [(i, i + 1) for i in range(n - 1)]
    if n > 2:
        pairs.append((0, n - 1))
    return pairs


def _label_of(data: Any, i: int) -> str:
    if isinstance(data, str | Path):
        return Path(data).stem
    if isinstance(data, ResponseSet) and data.source:
        return Path(data.source).stem
    return f"wave {i + 1}"


def compare(
    registry: Registry,
    instrument: str | Instrument | Sequence[str | Instrument],
    waves: Sequence[Responses],
    *,
    labels: Sequence[str] | None = None,
    confidence: float = 0.95,
    alpha: float = 0.05,
    adjust: iv.Adjustment = "holm",
    test: Test = "welch",
    paired: Pairing = "auto",
    permutations: int = 9999,
    seed: int = 0,
    min_group_size: int | None = None,
    **read_options: Any,
) -> Comparison:
    """Compare survey waves per organisation and dimension.

    :param instrument: one instrument for every wave, or one per wave (instrument versions;
        a dimension whose items changed is reported, not compared).
    :param waves: two or more waves, oldest first: files, records, DataFrames or
        :class:`~aspire_models.responses.ResponseSet`.
    :param labels: a name per wave (default: the file names, else ``wave 1``, ...).
    :param confidence: level of the intervals of the means and of the changes.
    :param alpha: the level at which an adjusted p-value labels a change.
    :param adjust: ``"holm"`` (family-wise error), ``"bh"`` (Benjamini-Hochberg false
        discovery rate) or ``"none"``, over every comparison the table makes.
    :param test: ``"welch"`` (t tests) or ``"permutation"`` (permutation p-values,
        ``permutations`` resamples, seeded by ``seed``; the interval stays the t interval).
    :param paired: ``"auto"``: the paired t where an organisation's respondents with a score
        are the same people (respondent ids) in both waves, the partially overlapping samples
        t-test where at least ``min_group_size`` of them are; the sector paired by
        organisation; ``"never"``: always Welch.
    :param min_group_size: as for :func:`~aspire_models.score` (every wave the same).
    :param read_options: reading options for every wave (see :func:`~aspire_models.engine.load_responses`).
    """
    if len(waves) < 2:
        raise ComparisonError(f"comparing waves needs at least two waves, got {len(waves)}")
    if adjust not in ("holm", "bh", "none"):
        raise ComparisonError(f"adjust must be 'holm', 'bh' or 'none', got {adjust!r}")
    if test not in ("welch", "permutation"):
        raise ComparisonError(f"test must be 'welch' or 'permutation', got {test!r}")
    if paired not in ("auto", "never"):
        raise ComparisonError(f"paired must be 'auto' or 'never', got {paired!r}")
    if not 0.0 < alpha < 1.0:
        raise ComparisonError(f"alpha must be between 0 and 1 (exclusive), got {alpha!r}")
    if not 0.0 < confidence < 1.0:
        raise ComparisonError(f"confidence must be between 0 and 1 (exclusive), got {confidence!r}")
    names = [str(x) for x in labels] if labels is not None else [_label_of(w, i) for i, w in enumerate(waves)]
    if len(names) != len(waves):
        raise ComparisonError(f"{len(names)} labels for {len(waves)} waves")
    if len(set(names)) != len(names):
        raise ComparisonError(f"wave labels must differ, got {names}: pass labels=[...]")
    specs = list(instrument) if isinstance(instrument, Sequence) and not isinstance(instrument, str) else None
    if specs is not None and len(specs) != len(waves):
        raise ComparisonError(f"{len(specs)} instruments for {len(waves)} waves: give one, or one per wave")
    inss = [
        registry.instrument(s) if isinstance(s, str) else s
        for s in (specs if specs is not None else [instrument] * len(waves))
    ]

    def one(job: tuple[Instrument, Responses, str]) -> _Wave:
        ins, w, lab = job
        return _score_wave(
            registry, ins, w, lab, confidence=confidence, min_group_size=min_group_size, read_options=read_options
        )

    # waves are scored two at a time: most of the work is numpy, which releases the GIL
    with ThreadPoolExecutor(max_workers=2) as pool:
        scored = list(pool.map(one, zip(inss, waves, names, strict=True)))
    k = max(max(w.result.privacy.get("min_group_size", {}).values(), default=5) for w in scored)
    rows: dict[str, list[Any]] = {c: [] for c in COLUMNS}
    sector: dict[str, list[Any]] = {c: [] for c in SECTOR_COLUMNS}
    changes: dict[str, list[Any]] = {c: [] for c in ("from", "to", "element", "mode", "item", "change")}
    warnings: list[str] = []
    pvals: list[float] = []
    sector_p: list[float] = []
    for a, b in _pairs(len(scored)):
        wa, wb = scored[a], scored[b]
        changed = instrument_changes(wa.instrument, wb.instrument)
        skip = {(c["element"], c["mode"]) for c in changed}
        for c in changed:
            for col, v in (
                ("from", wa.label),
                ("to", wb.label),
                *((x, c[x]) for x in ("element", "mode", "item", "change")),
            ):
                changes[col].append(v)
        for e, m in sorted(skip):
            warnings.append(
                f"{e}{'.' + m if m else ''} is not compared between {wa.label} and {wb.label}: its items changed "
                "between the instrument versions (see the instrument-changes table)"
            )
        _compare_pair(
            wa,
            wb,
            skip,
            rows,
            pvals,
            sector,
            sector_p,
            confidence=confidence,
            test=test,
            paired=paired,
            permutations=permutations,
            seed=seed,
            k=k,
        )
    # one family: every organisation row and every sector row of every pair of waves
    adjusted = iv.adjust(np.array([*pvals, *sector_p], dtype=np.float64), adjust)
    q_all = [None if np.isnan(x) else float(x) for x in adjusted]
    rows["p_adjusted"], sector["p_adjusted"] = q_all[: len(pvals)], q_all[len(pvals) :]
    for table_rows in (rows, sector):
        table_rows["label"] = [
            _label(ch, q, sup, alpha)
            for ch, q, sup in zip(table_rows["change"], table_rows["p_adjusted"], table_rows["suppressed"], strict=True)
        ]
    params = {
        "confidence": confidence,
        "alpha": alpha,
        "adjust": adjust,
        "test": test,
        "paired": paired,
        "permutations": permutations,
        "seed": seed,
        "min_group_size": k,
    }
    cells = Cells(
        "derived",
        by={"organisation": "organisation"},
        values=VALUES,
        statistic=("element", "mode"),
        flag="suppressed",
        reason="reason",
        k=k,
    )
    table = Table(
        "changes",
        "organisation",
        {c: tuple(v) for c, v in rows.items()},
        f"Per pair of waves, organisation and dimension: the change (to minus from) with its {confidence:.0%} "
        "confidence interval, the test (Welch's t, or the paired t when the same respondents answered both "
        f"waves), Hedges' g, the p-value and the p-value adjusted over every comparison ({adjust}), and the "
        f"label at alpha {alpha:g}. Published only for groups both waves publish.",
        cells=cells,
    )
    sector_table = Table(
        "sector-changes",
        "sector",
        {c: tuple(v) for c, v in sector.items()},
        "Per pair of waves and dimension: the change of the sector, the mean of the organisation means each "
        "wave publishes (n_from and n_to count organisations), with its interval, test, Hedges' g and label; "
        "paired over the organisations published in both waves when there are at least two, otherwise "
        "Welch's t over each wave's published organisations. Adjusted together with the organisation rows. "
        "left_out: organisations with respondents in a wave that the row does not use.",
        # built from published organisation means only: checked by audit_comparison, which
        # recomputes every row from the waves' published organisation tables
        cells=Cells("none"),
    )
    item_table = Table(
        "instrument-changes",
        "instrument",
        {c: tuple(v) for c, v in changes.items()},
        "Items that differ between the waves' instrument versions; their dimensions are not compared.",
        cells=Cells("none"),
    )
    # Rule 5 of the disclosure step (a derived figure only where every cell it is built on is
    # published) was applied above with each wave's protected result: a row has figures only
    # when both waves publish its group. The declaration lets protect() and audit() check it.
    output = ScorerOutput(SCORER, params, (table, sector_table, item_table), {}, ())
    summary = _summary(output.table("changes"), [w.label for w in scored])
    output = attrs.evolve(output, summary=summary, notes=tuple(warnings))
    return Comparison(tuple(names), tuple(w.result for w in scored), output, tuple(warnings))


def _label(change: float | None, q: float | None, suppressed: bool, alpha: float) -> str | None:
    if suppressed or q is None or change is None:
        return None
    if q < alpha and change > 0:
        return IMPROVED
    if q < alpha and change < 0:
        return DECLINED
    return NO_CHANGE


def _compare_pair(
    wa: _Wave,
    wb: _Wave,
    skip: set[tuple[str, str]],
    rows: dict[str, list[Any]],
    pvals: list[float],
    sector: dict[str, list[Any]],
    sector_p: list[float],
    *,
    confidence: float,
    test: Test,
    paired: Pairing,
    permutations: int,
    seed: int,
    k: int,
) -> None:
    dims = [(e, m) for e, m in wa.names if (e, m) in set(wb.names) and (e, m) not in skip]
    ja = [wa.names.index(d) for d in dims]
    jb = [wb.names.index(d) for d in dims]
    orgs = list(dict.fromkeys([*wa.org_labels, *wb.org_labels]))
    where = {o: i for i, o in enumerate(orgs)}
    ua = np.array([where[o] for o in wa.org_labels], dtype=np.int64)[wa.org_codes]
    ub = np.array([where[o] for o in wb.org_labels], dtype=np.int64)[wb.org_codes]
    g = len(orgs)
    # Welch's t and Hedges' g from the figures each wave publishes (n, mean, sd)
    fa, fb = _published_moments(wa, where, dims), _published_moments(wb, where, dims)
    welch = iv.welch(*fa, *fb, confidence)
    hedges = iv.hedges_g(*fa, *fb)
    stats = {f: getattr(welch, f).copy() for f in ("change", "df", "t", "p", "ci_low", "ci_high")}
    # the test of each organisation and dimension: 0 Welch, 1 paired, 2 partially overlapping
    method = np.zeros((g, len(dims)), dtype=np.int8)
    match: NDArray[np.int64] | None = None
    if paired == "auto":
        # respondents of the second wave who answered the first in the same organisation
        candidate = (np.bincount(ua, minlength=g) > 1) & (np.bincount(ub, minlength=g) > 1)
        match, same = _matches(wa, wb, ua, ub, candidate) if candidate.any() else (None, None)
        picked = np.flatnonzero(same) if same is not None else np.zeros(0, dtype=np.int64)
        if match is not None and len(picked):
            partner, codes = match[picked], ub[picked]
            for j in range(len(dims)):
                xa, xb = wa.values_at(ja[j], partner), wb.values_at(jb[j], picked)
                ok = ~np.isnan(xa) & ~np.isnan(xb)
                xa, xb, grp = xa[ok], xb[ok], codes[ok]
                n12 = np.bincount(grp, minlength=g).astype(np.float64)
                if not (n12 > 1).any():
                    continue
                n1, n2 = fa[0][:, j], fb[0][:, j]
                # everyone scored in either wave scored in both: the paired t
                full = (n12 == n1) & (n12 == n2) & (n12 > 1)
                if full.any():
                    md = Moments.grouped(xb - xa, grp, g)
                    pt = iv.paired(md.n[:, 0], md.mean[:, 0], md.m2[:, 0], confidence)
                    for f in stats:
                        stats[f][:, j] = np.where(full, getattr(pt, f), stats[f][:, j])
                    method[:, j] = np.where(full, 1, method[:, j])
                # some people in both waves, at least min_group_size of them: the partially
                # overlapping samples t-test (Derrick, Toher and White 2017); not with the
                # permutation test, whose resampling is for independent or fully paired samples
                partial = ~full & (n12 >= max(k, 2)) & (n1 > 1) & (n2 > 1)
                if test == "welch" and partial.any():
                    ma, mb = Moments.grouped(xa, grp, g), Moments.grouped(xb, grp, g)
                    cross = np.bincount(grp, weights=(xa - ma.mean[grp, 0]) * (xb - mb.mean[grp, 0]), minlength=g)
                    spread = (ma.m2[:, 0] > 0) & (mb.m2[:, 0] > 0)  # a correlation needs spread in both
                    partial &= spread
                    with np.errstate(invalid="ignore", divide="ignore"):
                        r = np.where(spread, cross / np.sqrt(np.where(spread, ma.m2[:, 0] * mb.m2[:, 0], 1.0)), 0.0)
                    po = partial_overlap(n1, fa[1][:, j], fa[2][:, j], n2, fb[1][:, j], fb[2][:, j], n12, r, confidence)
                    for f in stats:
                        stats[f][:, j] = np.where(partial, getattr(po, f), stats[f][:, j])
                    method[:, j] = np.where(partial, 2, method[:, j])
    is_paired = method == 1
    if test == "permutation":  # each organisation's rows, for its respondents' values
        order_a, order_b = np.argsort(ua, kind="stable"), np.argsort(ub, kind="stable")
        bounds_a = np.searchsorted(ua[order_a], np.arange(g + 1))
        bounds_b = np.searchsorted(ub[order_b], np.arange(g + 1))
    present = {*wa.organisations, *wb.organisations}

    def listed(a: NDArray[Any]) -> list[list[Any]]:  # Python numbers, NaN as None
        return [[None if v != v else v for v in row] for row in a.tolist()]

    figs = {c: listed(stats[c]) for c in ("change", "ci_low", "ci_high", "t", "df", "p")}
    figs["hedges_g"] = listed(hedges)
    n_from, mean_from, n_to, mean_to = (listed(x) for x in (fa[0], fa[1], fb[0], fb[1]))
    kinds = np.array([WELCH, PAIRED, PARTIAL], dtype=object)[method].tolist()
    for gi, org in enumerate(orgs):
        if org not in present:
            continue
        for j, (e, m) in enumerate(dims):
            key = (org, e, m)
            both = key in wa.published and key in wb.published
            rows["from"].append(wa.label)
            rows["to"].append(wb.label)
            rows["organisation"].append(org)
            rows["element"].append(e)
            rows["mode"].append(m)
            if not both:
                hidden = [w.label for w in (wa, wb) if key in w.withheld]
                empty = [w.label for w in (wa, wb) if key not in w.withheld and key not in w.published]
                parts = [f"withheld in {' and '.join(hidden)} (too few people, or protecting a small group)"] * bool(
                    hidden
                ) + [f"no scores in {' and '.join(empty)}"] * bool(empty)
                reason = "not compared: " + "; ".join(parts)
                for c in VALUES[:12]:
                    rows[c].append(None)
                rows["test"].append(None)
                rows["suppressed"].append(True)
                rows["reason"].append(reason)
                pvals.append(np.nan)
                continue
            p = figs["p"][gi][j]
            kind = kinds[gi][j]
            if test == "permutation":
                xa = wa.values(ja[j])[order_a[bounds_a[gi] : bounds_a[gi + 1]]]
                xb = wb.values(jb[j])[order_b[bounds_b[gi] : bounds_b[gi + 1]]]
                if is_paired[gi, j] and match is not None:
                    rb = order_b[bounds_b[gi] : bounds_b[gi + 1]]
                    rb = rb[~np.isnan(wb.values(jb[j])[rb])]
                    xb = wb.values(jb[j])[rb]
                    xa = wa.values(ja[j])[match[rb]]
                    p = iv.permutation_p(xa, xb, paired=True, resamples=permutations, seed=seed)
                else:
                    xa, xb = xa[~np.isnan(xa)], xb[~np.isnan(xb)]
                    p = iv.permutation_p(xa, xb, resamples=permutations, seed=seed)
                kind += "+permutation"
            rows["n_from"].append(int(n_from[gi][j]))
            rows["mean_from"].append(mean_from[gi][j])
            rows["n_to"].append(int(n_to[gi][j]))
            rows["mean_to"].append(mean_to[gi][j])
            for c in ("change", "ci_low", "ci_high", "t", "df", "hedges_g"):
                rows[c].append(figs[c][gi][j])
            p = float("nan") if p is None or p != p else float(p)
            untested = p != p  # a wave publishes one score only (min_group_size 1): no spread to test
            if untested:
                rows["change"][-1] = mean_to[gi][j] - mean_from[gi][j]
            rows["p"].append(None if untested else p)
            rows["p_adjusted"].append(None)
            rows["test"].append(None if untested else kind)
            rows["suppressed"].append(False)
            rows["reason"].append("not tested: fewer than two scores in a wave" if untested else None)
            pvals.append(p)
    _sector_rows(wa, wb, dims, orgs, fa, fb, sector, sector_p, confidence, test, paired, permutations, seed)


def _sector_rows(
    wa: _Wave,
    wb: _Wave,
    dims: Sequence[tuple[str, str]],
    orgs: Sequence[str],
    fa: tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]],
    fb: tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]],
    sector: dict[str, list[Any]],
    sector_p: list[float],
    confidence: float,
    test: Test,
    paired: Pairing,
    permutations: int,
    seed: int,
) -> None:
    """The sector rows of a pair of waves, one per dimension, from the organisation means the
    waves publish (``fa``, ``fb``: zero n where a wave publishes none)."""
    for j, (e, m) in enumerate(dims):
        means = [{o: float(f[1][i, j]) for i, o in enumerate(orgs) if f[0][i, j] > 0} for f in (fa, fb)]
        row = sector_row(
            (wa.label, wb.label),
            (e, m),
            (means[0], means[1]),
            (set(wa.organisations), set(wb.organisations)),
            confidence=confidence,
            test=test,
            paired=paired,
            permutations=permutations,
            seed=seed,
        )
        for c in SECTOR_COLUMNS:
            sector[c].append(row[c])
        sector_p.append(np.nan if row["p"] is None else row["p"])


def sector_row(
    labels: tuple[str, str],
    dimension: tuple[str, str],
    means: tuple[Mapping[str, float], Mapping[str, float]],
    present: tuple[set[str], set[str]],
    *,
    confidence: float = 0.95,
    test: Test = "welch",
    paired: Pairing = "auto",
    permutations: int = 9999,
    seed: int = 0,
) -> dict[str, Any]:
    """One row of the ``sector-changes`` table (``p_adjusted`` and ``label`` still empty): the
    change of the mean of organisation means between two waves on one dimension, from
    ``means`` (per wave: organisation -> the mean the wave publishes) alone; ``present``: per
    wave, the organisations with respondents. Paired over the organisations published in both
    waves when there are at least two (and ``paired`` is ``"auto"``); otherwise Welch's t over
    each wave's published organisation means."""
    both = sorted(set(means[0]) & set(means[1]))
    is_paired = paired == "auto" and len(both) >= 2
    used = (both, both) if is_paired else (sorted(means[0]), sorted(means[1]))
    left_out = sorted((present[0] - set(used[0])) | (present[1] - set(used[1])))
    row: dict[str, Any] = {"from": labels[0], "to": labels[1], "element": dimension[0], "mode": dimension[1]}
    row["left_out"] = left_out
    xa = np.array([means[0][o] for o in used[0]], dtype=np.float64)
    xb = np.array([means[1][o] for o in used[1]], dtype=np.float64)
    row.update({c: None for c in (*VALUES, "test")})
    if not len(xa) or not len(xb):
        empty = [lab for lab, x in zip(labels, (xa, xb), strict=True) if not len(x)]
        row.update(suppressed=True, reason=f"not compared: no organisation published in {' and '.join(empty)}")
        return row
    if is_paired:
        d = xb - xa
        st = iv.paired(np.array([len(d)]), np.array([d.mean()]), np.array([_m2(d)]), confidence)
    else:
        st = iv.welch(*_moments(xa), *_moments(xb), confidence)
    kind = PAIRED if is_paired else WELCH
    p = float(st.p[0])
    if test == "permutation" and p == p:
        p = iv.permutation_p(xa, xb, paired=is_paired, resamples=permutations, seed=seed)
        kind += "+permutation"
    untested = p != p  # one organisation in a wave: no spread to test
    row.update(
        n_from=len(xa),
        mean_from=float(xa.mean()),
        n_to=len(xb),
        mean_to=float(xb.mean()),
        change=float(xb.mean() - xa.mean()) if untested else json_value(float(st.change[0])),
        ci_low=json_value(float(st.ci_low[0])),
        ci_high=json_value(float(st.ci_high[0])),
        t=json_value(float(st.t[0])),
        df=json_value(float(st.df[0])),
        p=None if untested else p,
        hedges_g=json_value(float(iv.hedges_g(*_moments(xa), *_moments(xb))[0])),
        test=None if untested else kind,
        suppressed=False,
        reason="not tested: fewer than two organisations in a wave" if untested else None,
    )
    return row


def _m2(x: NDArray[np.float64]) -> float:
    return float(((x - x.mean()) ** 2).sum()) if len(x) else 0.0


def _moments(x: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    return np.array([float(len(x))]), np.array([float(x.mean())]), np.array([_m2(x)])


def _published_moments(
    w: _Wave, where: Mapping[str, int], dims: Sequence[tuple[str, str]]
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """(n, mean, M2) per organisation and dimension from the figures the wave publishes (n,
    mean, sd; M2 = sd^2 (n - 1)); zero n where the wave publishes none."""
    col = {d: j for j, d in enumerate(dims)}
    n = np.zeros((len(where), len(dims)))
    mean = np.full((len(where), len(dims)), np.nan)
    m2 = np.zeros((len(where), len(dims)))
    for (org, e, m), (count, mu, sd) in w.figures.items():
        j = col.get((e, m))
        if j is not None and org in where:
            n[where[org], j], mean[where[org], j], m2[where[org], j] = count, mu, sd * sd * (count - 1)
    return n, mean, m2


def _matches(
    wa: _Wave, wb: _Wave, ua: NDArray[np.int64], ub: NDArray[np.int64], candidate: NDArray[np.bool_]
) -> tuple[NDArray[np.int64] | None, NDArray[np.bool_] | None]:
    """For each respondent of the second wave in a ``candidate`` organisation, the row of the
    same respondent id in the first wave (-1: none), and whether that row is in the same
    organisation (False outside the candidates). None when no id persists."""
    import pyarrow as pa
    import pyarrow.compute as pc

    ids_a = wa.ids if isinstance(wa.ids, pa.Array) else pa.array(wa.ids)
    ids_b = wb.ids if isinstance(wb.ids, pa.Array) else pa.array(wb.ids)
    match = np.full(len(ids_b), -1, dtype=np.int64)
    # Respondent ids are unique within a wave (the reader rejects repeats), so a row whose id
    # is the id at the same position in the other wave (a panel exported in the same order)
    # can match nothing else: only the other rows are looked up by hash.
    m = min(len(ids_a), len(ids_b))
    aligned = (
        np.asarray(pc.equal(ids_a.slice(0, m), ids_b.slice(0, m)).fill_null(False).to_numpy(zero_copy_only=False))
        if m and ids_a.type == ids_b.type
        else np.zeros(m, dtype=bool)
    )
    if aligned.sum() * 2 > m:
        match[np.flatnonzero(aligned)] = np.flatnonzero(aligned)
        rows_a = np.concatenate([np.flatnonzero(~aligned), np.arange(m, len(ids_a))]).astype(np.int64)
        rows_b = np.concatenate([np.flatnonzero(~aligned), np.arange(m, len(ids_b))]).astype(np.int64)
    else:
        rows_a, rows_b = np.flatnonzero(candidate[ua]), np.flatnonzero(candidate[ub])
    if len(rows_a) and len(rows_b):
        found = pc.index_in(
            ids_b if len(rows_b) == len(ids_b) else ids_b.take(pa.array(rows_b)),
            value_set=ids_a if len(rows_a) == len(ids_a) else ids_a.take(pa.array(rows_a)),
        )
        local = np.asarray(found.fill_null(-1).to_numpy(zero_copy_only=False), dtype=np.int64)
        match[rows_b] = np.where(local >= 0, rows_a[np.maximum(local, 0)], -1)
    same = match >= 0
    same[same] = ua[match[same]] == ub[same]
    same &= candidate[ub]
    return (match, same) if same.any() else (None, None)


def _summary(table: Table, labels: Sequence[str]) -> dict[str, Any]:
    out: dict[str, Any] = {"waves": list(labels), "pairs": []}
    pairs = list(zip(_as_list(table.column("from")), _as_list(table.column("to")), strict=True))
    labels_ = _as_list(table.column("label"))
    for a, b in dict.fromkeys(pairs):
        counts = {IMPROVED: 0, DECLINED: 0, NO_CHANGE: 0, "not compared": 0}
        for pair, label in zip(pairs, labels_, strict=True):
            if pair == (a, b):
                counts[label or "not compared"] += 1
        out["pairs"].append({"from": a, "to": b, **{k.replace(" ", "_"): v for k, v in counts.items()}})
    return out
