"""Privacy: disclosure control of everything a result publishes, its auditor, and
pseudonymisation.

* :func:`protect` is the one disclosure-control step every result goes through (the engine
  calls it after all scorers, before anything is returned, written or reported).
* :func:`audit` independently checks a result (object or JSON document) and reports every
  withheld group it can work out from the published figures.
* :func:`pseudonymise` replaces respondent ids by keyed hashes.

See the *Privacy* page of the documentation for the threat model and the rules.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import attrs
import numpy as np

from aspire_models.privacy.cells import ALL, DIMENSIONS, Cells
from aspire_models.privacy.control import Finding, Population, TableView, analyse, withheld_columns
from aspire_models.privacy.pseudonyms import pseudonym, pseudonymise

if TYPE_CHECKING:
    from aspire_models.result import Result
    from aspire_models.scoring import ScorerOutput, Table

__all__ = [
    "ALL",
    "DIMENSIONS",
    "AuditReport",
    "Cells",
    "Finding",
    "Population",
    "audit",
    "dimensions_used",
    "protect",
    "pseudonym",
    "pseudonymise",
]

#: Table levels that hold one row per person: never published unless asked for explicitly.
PERSON_LEVEL = "respondent"
#: Table levels about organisations' adoption of practices, not about people: read as
#: ``Cells(kind="none")`` when a table declares nothing.
NOT_PEOPLE_LEVELS = frozenset({"practice", "unit", "period"})


def dimensions_used(outputs: Sequence[ScorerOutput]) -> set[str]:
    """The population dimensions the outputs' declarations refer to."""
    dims: set[str] = set()
    for o in outputs:
        for t in o.tables:
            if t.cells is not None:
                dims |= set(t.cells.by.values()) | set(t.cells.within) | {d for x in t.cells.exclude for d in x}
    return dims & set(DIMENSIONS)


def _view(scorer: str, t: Table) -> TableView:
    from aspire_models.scoring import _as_list

    c = t.cells
    assert c is not None
    wanted = {*c.by, *c.statistic, *(x for x in (c.count, c.people, c.flag) if x), *c.exempt, *c.values}
    return TableView(
        scorer,
        t.name,
        c,
        {n: col if isinstance(col := t.columns[n], np.ndarray) else _as_list(col) for n in wanted if n in t.columns},
    )


def _withhold(t: Table, rows: Mapping[int, str]) -> Table:
    """The table with ``rows`` withheld (their figures set to missing, flag and reason set)
    and every extreme (one person's value) withheld."""
    from aspire_models.scoring import Table, _as_list

    c = t.cells
    assert c is not None
    n = len(t)
    mask = np.zeros(n, dtype=bool)
    whole = [r for r in rows if r >= 0]
    if whole:
        mask[whole] = True
    counts_only = np.zeros(n, dtype=bool)
    counts_only[[-1 - r for r in rows if r < 0]] = True
    cols: dict[str, Any] = dict(t.columns)
    for name in withheld_columns(c):
        if name in cols and mask.any():
            cols[name] = _blank(cols[name], mask)
    if c.people and c.people in cols and counts_only.any():
        cols[c.people] = _blank(cols[c.people], counts_only)
    if c.kind == "aggregate":
        for name in c.extremes:
            if name in cols:
                cols[name] = _blank(cols[name], np.ones(n, dtype=bool))
    if c.flag and c.kind != "text":
        old = np.asarray(_as_list(cols[c.flag]), dtype=bool) if c.flag in cols else np.zeros(n, dtype=bool)
        cols[c.flag] = old | mask
    if c.reason:
        old_r = _as_list(cols[c.reason]) if c.reason in cols else [None] * n
        cols[c.reason] = tuple(rows.get(i, old_r[i]) if mask[i] and not old_r[i] else old_r[i] for i in range(n))
    if c.kind == "text":
        keep = ~mask
        cols = {k: tuple(x for x, kept in zip(_as_list(v), keep, strict=True) if kept) for k, v in cols.items()}
    return Table(t.name, t.level, cols, t.description, cells=c)


def _blank(column: Any, mask: np.ndarray[Any, Any]) -> Any:
    from aspire_models.scoring import _as_list

    if isinstance(column, np.ndarray) and column.dtype.kind == "f":
        out = column.copy()
        out[mask] = np.nan
        return out
    values = _as_list(column)
    return tuple(None if m else v for v, m in zip(values, mask, strict=True))


def protect(
    outputs: Sequence[ScorerOutput], population: Population
) -> tuple[tuple[ScorerOutput, ...], tuple[str, ...]]:
    """Apply the disclosure rules to every table of a result (see
    :mod:`aspire_models.privacy.control`). Returns the protected outputs and notes for people
    (tables refused because they declare no cells, counts of withheld groups)."""
    views: list[TableView] = []
    where: list[tuple[int, int]] = []
    notes: list[str] = []
    refused: set[tuple[int, int]] = set()
    for oi, o in enumerate(outputs):
        for ti, t in enumerate(o.tables):
            if t.level == PERSON_LEVEL:
                continue
            if t.cells is None and t.level in NOT_PEOPLE_LEVELS:
                continue
            if t.cells is None:
                refused.add((oi, ti))
                notes.append(
                    f"table {t.name!r} of scorer {o.scorer!r} was not published: it summarises people at "
                    f"level {t.level!r} but declares no disclosure cells (see 'Writing a scorer')"
                )
                continue
            if t.cells.kind == "none":
                continue
            views.append(_view(o.scorer, t))
            where.append((oi, ti))
    withheld, _ = analyse(views, population, fix=True)
    per_table: dict[tuple[int, int], dict[int, str]] = {}
    for (vi, row), reason in withheld.items():  # row -1 - r: only r's people count
        per_table.setdefault(where[vi], {})[row] = reason
    out = []
    for oi, o in enumerate(outputs):
        tables = []
        for ti, t in enumerate(o.tables):
            if (oi, ti) in refused:
                continue
            if t.cells is not None and t.cells.kind != "none" and t.level != PERSON_LEVEL:
                rows = per_table.get((oi, ti), {})
                if rows or t.cells.extremes:
                    t = _withhold(t, rows)
            tables.append(t)
        out.append(attrs.evolve(o, tables=tuple(tables)))
    return tuple(out), tuple(notes)


@attrs.frozen
class AuditReport:
    """What :func:`audit` found: every withheld cell, group or residual that the published
    figures of one result reveal. ``ok`` when there is none."""

    findings: tuple[Finding, ...]
    tables: int
    cells: int

    @property
    def ok(self) -> bool:
        return not self.findings

    def __str__(self) -> str:
        head = f"audited {self.tables} tables, {self.cells} rows: "
        if self.ok:
            return head + "no withheld group can be worked out from the published figures"
        return head + f"{len(self.findings)} disclosure(s)\n" + "\n".join(f"  {f}" for f in self.findings)


def audit(result: Result | Mapping[str, Any]) -> AuditReport:
    """Rebuild the linear system of a result from its published tables alone and report
    every withheld cell, and every group of 1 to k-1 people, that can be solved for.

    Takes a :class:`~aspire_models.result.Result` or its JSON document (``to_dict()`` or a
    parsed ``result.json``); reads only what the document publishes.
    """
    from aspire_models.scoring import Table

    doc = result if isinstance(result, Mapping) else result.to_dict()
    privacy = doc.get("privacy") or {}
    population = Population.from_dict(privacy["population"]) if "population" in privacy else Population((), {}, ((),))
    views: list[TableView] = []
    rows = 0
    for o in doc.get("outputs", []):
        for name, data in o.get("tables", {}).items():
            t = Table.from_dict(name, data)
            if t.cells is None or t.cells.kind == "none":
                continue
            views.append(_view(o["scorer"], t))
            rows += len(t)
    _, findings = analyse(views, population, fix=False)
    return AuditReport(tuple(findings), len(views), rows)
