"""One disclosure-control step for a whole result, and the auditor that checks it.

Every published table that summarises people declares its :class:`~.cells.Cells`. From the
declarations and the result's :class:`Population` (the groups that exist, never their sizes)
this module builds, for each statistic (an element and mode, a behaviour, an option, or the
people count), the linear system an attacker can write: each published cell gives the count
and the sum over the *atoms* (finest groups) it covers.

:func:`protect` (run by the engine after all scorers, before anything is returned):

1. withholds every cell covering fewer than ``k`` people (*primary*), except groups declared
   exempt (a 360's self and line manager, shown by design);
2. then, while any withheld cell can be worked out exactly from the published ones, or any
   atom or residual (a published cell less the published cells inside it) covering between 1
   and ``k - 1`` people can, withholds one more published cell of that combination, the one
   with the fewest people (*complementary*);
3. withholds every minimum and maximum of people's scores (one person's answer);
4. withholds derived figures (priorities, benchmarks, self-versus-others) of withheld cells,
   and drops comments of groups that are not published.

:func:`audit` reads a result document alone (its tables and declarations, as written) and
reports every withheld cell, atom or residual it can solve for, with exact rational
arithmetic. :func:`protect` uses the same search, so a protected result audits clean; the
auditor exists to check results written by anything, including older versions and plugins.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from fractions import Fraction
from typing import Any, cast

import attrs
import numpy as np

from aspire_models.privacy.cells import ALL, DIMENSIONS, Cells
from aspire_models.privacy.linear import Span

__all__ = ["Finding", "Population", "TableView", "analyse", "withheld_columns"]

REASON_SMALL = "fewer than {k} people"
REASON_DIFFERENCING = "could be worked out from other published figures"
REASON_DERIVED = "built on a withheld group"
PEOPLE = ("#people",)


@attrs.frozen
class Population:
    """The groups that exist in the scored data: per dimension its labels, and the
    combinations of labels that occur (*atoms*). Sizes are never stored here."""

    dims: tuple[str, ...]
    labels: Mapping[str, tuple[str, ...]]
    atoms: tuple[tuple[str, ...], ...]

    @classmethod
    def of(cls, columns: Mapping[str, Any], dims: Iterable[str]) -> Population:
        """From coded columns (``ResponseSet.organisation`` etc.: ``.codes`` and ``.labels``),
        over the dimensions the result's tables use."""
        used = [d for d in DIMENSIONS if d in set(dims) and columns.get(d) is not None]
        labels = {}
        for d in used:  # labels of the scored rows only (a rejected row's label is not published)
            codes = np.asarray(columns[d].codes)
            present = np.unique(codes[codes >= 0]).tolist()
            labels[d] = tuple(str(columns[d].labels[c]) for c in present)
        if not used:
            return cls((), {}, ((),))
        if len(used) == 1:
            codes = np.asarray(columns[used[0]].codes)
            atoms = tuple((lab,) for lab in labels[used[0]])
            if (codes < 0).any():
                atoms += (("",),)
            return cls(tuple(used), labels, atoms)
        key = np.zeros(len(np.asarray(columns[used[0]].codes)), dtype=np.int64)
        sizes = [len(labels[d]) + 1 for d in used]
        for d, size in zip(used, sizes, strict=True):
            key = key * size + (np.asarray(columns[d].codes).astype(np.int64) + 1)
        out = []
        every = {d: tuple(str(x) for x in columns[d].labels) for d in used}
        for k in np.unique(key).tolist():
            parts = []
            for d, size in zip(reversed(used), reversed(sizes), strict=True):
                c = k % size - 1
                k //= size
                parts.append(every[d][c] if c >= 0 else "")
            out.append(tuple(reversed(parts)))
        return cls(tuple(used), labels, tuple(out))

    def to_dict(self) -> dict[str, Any]:
        return {
            "dimensions": list(self.dims),
            "labels": {d: list(v) for d, v in self.labels.items()},
            "groups": [list(a) for a in self.atoms],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Population:
        return cls(
            tuple(data["dimensions"]),
            {d: tuple(v) for d, v in data["labels"].items()},
            tuple(tuple(a) for a in data["groups"]),
        )


@attrs.frozen
class TableView:
    """A table as the disclosure step reads it: its place, declaration and columns."""

    scorer: str
    name: str
    cells: Cells
    columns: Mapping[str, Sequence[Any]]

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0

    def get(self, column: str, i: int) -> Any:
        col = self.columns.get(column)
        return None if col is None else col[i]


@attrs.frozen
class Finding:
    """A group of fewer than k people (or a withheld cell) that published figures reveal."""

    what: str  # "withheld cell", "group", "residual"
    scorer: str
    table: str
    row: int | None
    statistic: tuple[str, ...]
    group: Mapping[str, tuple[str, ...]]
    people: Fraction | None
    combination: tuple[tuple[str, str, int, Fraction], ...]

    def __str__(self) -> str:
        where = f"{self.scorer}/{self.table}" + (f" row {self.row}" if self.row is not None else "")
        group = "; ".join(f"{d}={'|'.join(v)}" for d, v in self.group.items()) or "everyone"
        n = "" if self.people is None else f" ({self.people} people)"
        terms = " ".join(f"{'+' if c > 0 else '-'}{abs(c)}x[{s}/{t} row {r}]" for s, t, r, c in self.combination)
        stat = ".".join(x for x in self.statistic if x) or "people"
        return f"{self.what} {group}{n}, statistic {stat}, at {where}: = {terms}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "what": self.what,
            "scorer": self.scorer,
            "table": self.table,
            "row": self.row,
            "statistic": list(self.statistic),
            "group": {d: list(v) for d, v in self.group.items()},
            "people": None if self.people is None else str(self.people),
            "combination": [[s, t, r, str(c)] for s, t, r, c in self.combination],
        }


@attrs.define
class _Cell:
    cov: frozenset[int]
    entries: list[tuple[int, int]]  # (view index, row)
    count: int | None
    k: int
    exempt: bool
    withheld: str | None  # reason, or None when published


def _coverage(
    population: Population, index: Mapping[str, Mapping[str, frozenset[int]]]
) -> Callable[[Mapping[str, frozenset[str]], Sequence[Mapping[str, str]]], frozenset[int]]:
    everyone = frozenset(range(len(population.atoms)))

    def cover(cond: Mapping[str, frozenset[str]], exclude: Sequence[Mapping[str, str]]) -> frozenset[int]:
        cov = everyone
        for dim, labels in cond.items():
            by_label = index.get(dim, {})
            hit: set[int] = set()
            for label in labels:
                hit |= by_label.get(label, frozenset())
            cov = cov & frozenset(hit)
        for ex in exclude:
            drop = everyone
            for dim, label in ex.items():
                drop = drop & index.get(dim, {}).get(label, frozenset())
            cov = cov - drop
        return cov

    return cover


def _int(v: Any) -> int | None:
    if v is None:
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if f != f else int(f)


def _truthy(v: Any) -> bool:
    return bool(v) and v == v


def analyse(
    views: Sequence[TableView], population: Population, *, fix: bool
) -> tuple[dict[tuple[int, int], str], list[Finding]]:
    """The disclosure analysis shared by :func:`protect` (``fix=True``: withhold until no
    finding is left, return what to withhold) and :func:`audit` (``fix=False``: report
    every finding). Returns ``({(view, row): reason}, findings)``."""
    dims = population.dims
    index: dict[str, dict[str, frozenset[int]]] = {}
    for j, dim in enumerate(dims):
        groups: dict[str, set[int]] = {}
        for a, atom in enumerate(population.atoms):
            groups.setdefault(atom[j], set()).add(a)
        index[dim] = {label: frozenset(s) for label, s in groups.items()}
    cover = _coverage(population, index)
    exempt_atoms: set[int] = set()
    for v in views:
        for column, labels in v.cells.exempt.items():
            by_label = index.get(v.cells.by.get(column) or "", {})
            for label in labels:
                exempt_atoms |= by_label.get(label, frozenset())

    def row_cov(v: TableView, i: int, extra: Mapping[str, str] | None = None) -> frozenset[int]:
        row = {c: v.get(c, i) for c in v.cells.by}
        if extra:
            row.update(extra)
        return cover(v.cells.condition(row, population.labels), v.cells.exclude)

    systems: dict[tuple[str, ...], dict[frozenset[int], _Cell]] = {}
    withheld: dict[tuple[int, int], str] = {}
    for vi, v in enumerate(views):
        c = v.cells
        if c.kind not in ("aggregate", "derived") or (c.kind == "derived" and not c.people):
            continue
        for i in range(len(v)):
            cov = row_cov(v, i)
            flagged = c.flag is not None and _truthy(v.get(c.flag, i))
            exempt = c.is_exempt({col: v.get(col, i) for col in c.exempt})
            stat = (c.topic, *("" if v.get(s, i) is None else str(v.get(s, i)) for s in c.statistic))
            pairs = [(stat, c.count)] if c.kind == "aggregate" else []
            pairs += [(PEOPLE, c.people)] if c.people else []
            for key, col in pairs:
                if col is None:
                    continue
                n = _int(v.get(col, i))
                system = systems.setdefault(key, {})
                cell = system.get(cov)
                reason = "withheld by its scorer" if flagged or n is None else None
                if cell is None:
                    system[cov] = _Cell(cov, [(vi, i)], n, c.k, exempt, reason)
                    continue
                cell.entries.append((vi, i))
                cell.k = max(cell.k, c.k)
                cell.exempt = cell.exempt or exempt  # the same people as a group shown by design
                if fix and not cell.exempt:  # withheld in one table: withheld in every table
                    cell.withheld = cell.withheld or reason
                    cell.count = n if cell.count is None else cell.count
                elif reason is None:  # published in one table: an attacker reads it there
                    cell.withheld, cell.count = None, n
    findings: list[Finding] = []
    for key, system in systems.items():
        findings += _solve(key, list(system.values()), views, population, exempt_atoms, fix=fix)
        for cell in system.values():
            if cell.withheld and fix:
                for e in cell.entries:
                    withheld.setdefault(e, cell.withheld)
    # derived figures and comments follow the cells they are built on
    published: dict[frozenset[int], list[tuple[tuple[str, ...], bool]]] = {}
    for key, system in systems.items():
        for cov, cell in system.items():
            published.setdefault(cov, []).append((key, cell.withheld is None))
    for vi, v in enumerate(views):
        c = v.cells
        if c.kind not in ("derived", "text"):
            continue
        for i in range(len(v)):
            cov = row_cov(v, i)
            found = published.get(cov, [])
            if c.kind == "derived" and c.statistic:
                stat = (c.topic, *("" if v.get(s, i) is None else str(v.get(s, i)) for s in c.statistic))
                found = [f for f in found if f[0] == stat] or found
            ok = bool(found) and all(p for _, p in found)
            if not ok:
                if fix:
                    withheld[(vi, i)] = REASON_DERIVED
                elif c.kind == "text" or any(v.get(col, i) is not None for col in c.values):
                    findings.append(
                        Finding(
                            "unprotected " + ("comment" if c.kind == "text" else "derived figure"),
                            v.scorer,
                            v.name,
                            i,
                            (),
                            _group_of(cov, population),
                            None,
                            (),
                        )
                    )
    return withheld, findings


def _group_of(cov: Iterable[int], population: Population) -> dict[str, tuple[str, ...]]:
    atoms = [population.atoms[a] for a in cov]
    out: dict[str, tuple[str, ...]] = {}
    for j, dim in enumerate(population.dims):
        labels = sorted({a[j] for a in atoms})
        if len(labels) < len(population.labels.get(dim, ())) or len(population.labels.get(dim, ())) == 1:
            out[dim] = tuple(labels)
    return out


def _solve(
    key: tuple[str, ...],
    cells: list[_Cell],
    views: Sequence[TableView],
    population: Population,
    exempt_atoms: set[int],
    *,
    fix: bool,
) -> list[Finding]:
    k = max((c.k for c in cells), default=1)
    if fix:
        for c in cells:
            if c.withheld is None and not c.exempt and c.count is not None and 0 < c.count < k:
                c.withheld = REASON_SMALL.format(k=k)
    findings: list[Finding] = []
    while True:
        pub = [i for i, c in enumerate(cells) if c.withheld is None]
        span = Span()
        for i in pub:
            span.add(dict.fromkeys(cells[i].cov, 1), i)
        found = _first_disclosure(cells, pub, span, k, exempt_atoms, collect=not fix)
        if not found:
            return findings
        if not fix:
            for what, cov, comb, people, row_cell in found:
                findings.append(_finding(what, key, cov, comb, people, row_cell, cells, views, population))
            return findings
        comb = found[0][2]
        support = [cast(int, i) for i in comb if not cells[cast(int, i)].exempt]
        if not support:  # only groups shown by design are involved: nothing to withhold
            return findings
        victim = min(support, key=lambda i: (cells[i].count or 0, -len(cells[i].cov), i))
        cells[victim].withheld = REASON_DIFFERENCING


def _first_disclosure(
    cells: list[_Cell], pub: list[int], span: Span, k: int, exempt_atoms: set[int], *, collect: bool
) -> list[tuple[str, frozenset[int], dict[Any, Fraction], Fraction | None, int | None]]:
    out: list[tuple[str, frozenset[int], dict[Any, Fraction], Fraction | None, int | None]] = []

    def people(comb: Mapping[Any, Fraction]) -> Fraction | None:
        total = Fraction(0)
        for i, coef in comb.items():
            n = cells[cast(int, i)].count
            if n is None:
                return None
            total += coef * n
        return total

    def small(p: Fraction | None) -> bool:
        return p is None or 0 < p < k

    for i, c in enumerate(cells):
        if c.withheld is not None and c.cov and not c.exempt and not c.cov <= exempt_atoms:
            comb = span.express(dict.fromkeys(c.cov, 1))
            if comb is not None:
                out.append(("withheld cell", c.cov, comb, people(comb), i))
                if not collect:
                    return out
    atoms = sorted({a for i in pub for a in cells[i].cov} - exempt_atoms)
    for a in atoms:
        comb = span.express({a: 1})
        if comb is not None and len(comb) > 1:
            p = people(comb)
            if small(p):
                out.append(("group", frozenset({a}), comb, p, None))
                if not collect:
                    return out
    for i in pub:
        cov = cells[i].cov
        inside = [cells[j].cov for j in pub if j != i and cells[j].cov < cov]
        if not inside:
            continue
        rest = cov - frozenset().union(*inside)
        if not rest or rest == cov or rest <= exempt_atoms:
            continue
        comb = span.express(dict.fromkeys(rest, 1))
        if comb is not None:
            p = people(comb)
            if small(p) and p != 0:
                out.append(("residual", rest, comb, p, None))
                if not collect:
                    return out
    return out


def _finding(
    what: str,
    key: tuple[str, ...],
    cov: frozenset[int],
    comb: Mapping[Any, Fraction],
    people: Fraction | None,
    row_cell: int | None,
    cells: list[_Cell],
    views: Sequence[TableView],
    population: Population,
) -> Finding:
    terms = []
    for i, coef in sorted(comb.items(), key=lambda x: cast(int, x[0])):
        vi, r = cells[cast(int, i)].entries[0]
        terms.append((views[vi].scorer, views[vi].name, r, coef))
    if row_cell is not None:
        vi, r = cells[row_cell].entries[0]
        scorer, table, row = views[vi].scorer, views[vi].name, r
    else:
        scorer, table, row = terms[0][0], terms[0][1], None
    return Finding(what, scorer, table, row, key, _group_of(cov, population), people, tuple(terms))


def withheld_columns(cells: Cells) -> tuple[str, ...]:
    """The columns a withheld row loses."""
    cols = [*cells.values]
    if cells.kind == "aggregate":
        cols += [c for c in (cells.count, cells.people) if c]
    return tuple(dict.fromkeys(cols))


_ = ALL  # re-exported name used by declarations
