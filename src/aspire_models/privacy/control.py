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
from numpy.typing import NDArray

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
            seen = np.bincount(codes[codes >= 0], minlength=len(columns[d].labels)) > 0
            labels[d] = tuple(str(columns[d].labels[c]) for c in np.flatnonzero(seen).tolist())
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
    columns: Mapping[str, Any]  # Python sequences or numpy arrays

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0

    def get(self, column: str, i: int) -> Any:
        col = self.columns.get(column)
        if col is None:
            return None
        v = col[i]
        if isinstance(v, np.generic):
            v = v.item()
        return None if isinstance(v, float) and v != v else v


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


def _pylist(column: Sequence[Any] | None, n: int) -> Sequence[Any]:
    if column is None:
        return [None] * n
    return column.tolist() if isinstance(column, np.ndarray) else column


def _flags(column: Sequence[Any] | None, n: int) -> NDArray[np.bool_]:
    if column is None:
        return np.zeros(n, dtype=bool)
    if isinstance(column, np.ndarray) and column.dtype == bool:
        return column
    return np.array([_truthy(x) for x in column], dtype=bool)


def _numbers(column: Sequence[Any] | None, n: int) -> NDArray[np.float64]:
    if column is None:
        return np.full(n, np.nan)
    if isinstance(column, np.ndarray) and column.dtype.kind in "fiub":
        return column.astype(np.float64)
    return np.array([np.nan if x is None else x for x in column], dtype=np.float64)


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
    every finding). Returns ``({(view, row): reason}, findings)``; a row ``-1 - r`` means only
    row ``r``'s people count is withheld.

    Rows are gathered column by column: each row gets the id of the group it covers and of
    its statistic, and cells are the (statistic, group) pairs, found by sorting, so the cost
    grows with the number of distinct groups and statistic patterns, not with rows."""
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

    covs: list[frozenset[int]] = []
    cov_ids: dict[frozenset[int], int] = {}
    stats: list[tuple[str, ...]] = []
    stat_ids: dict[tuple[str, ...], int] = {}

    def keys_of(v: TableView, columns: Iterable[str]) -> list[tuple[Any, ...]]:
        n = len(v)
        cols = [_pylist(v.columns.get(c), n) for c in columns]
        return list(zip(*cols, strict=True)) if cols else [()] * n

    def row_covs(v: TableView) -> NDArray[np.int64]:
        """Each row's group, as an id into ``covs`` (a table repeats each group per statistic)."""
        keys = keys_of(v, v.cells.by)
        local: dict[tuple[Any, ...], int] = {}
        for key in dict.fromkeys(keys):
            row = dict(zip(v.cells.by, key, strict=True))
            cov = cover(v.cells.condition(row, population.labels), v.cells.exclude)
            cid = local[key] = cov_ids.setdefault(cov, len(covs))
            if cid == len(covs):
                covs.append(cov)
        return np.array([local[k] for k in keys], dtype=np.int64)

    def row_stats(v: TableView) -> NDArray[np.int64]:
        keys = keys_of(v, v.cells.statistic)
        local: dict[tuple[Any, ...], int] = {}
        for key in dict.fromkeys(keys):
            full = (v.cells.topic, *("" if x is None else str(x) for x in key))
            sid = local[key] = stat_ids.setdefault(full, len(stats))
            if sid == len(stats):
                stats.append(full)
        return np.array([local[k] for k in keys], dtype=np.int64)

    people_id = stat_ids.setdefault(PEOPLE, 0)
    stats.append(PEOPLE)
    parts: list[tuple[NDArray[Any], ...]] = []
    cov_of: dict[int, NDArray[np.int64]] = {}
    stat_of: dict[int, NDArray[np.int64]] = {}
    for vi, v in enumerate(views):
        c = v.cells
        n = len(v)
        if not n or c.kind not in ("aggregate", "derived", "text"):
            continue
        cov_of[vi] = row_covs(v)
        if c.statistic and c.kind != "text":
            stat_of[vi] = row_stats(v)
        if c.kind == "text" or (c.kind == "derived" and not c.people):
            continue
        flagged = _flags(v.columns.get(c.flag) if c.flag else None, n)
        exempt = np.zeros(n, dtype=bool)
        for column, labels in c.exempt.items():
            if column in v.columns:
                wanted = set(labels)
                exempt |= np.array([str(x) in wanted for x in _pylist(v.columns[column], n)], dtype=bool)
        pairs: list[tuple[NDArray[np.int64], str]] = []
        if c.kind == "aggregate" and c.count:
            pairs.append((stat_of[vi] if vi in stat_of else row_stats(v), c.count))
        if c.people:
            pairs.append((np.full(n, people_id, dtype=np.int64), c.people))
        for sid, column in pairs:
            counts = _numbers(v.columns.get(column), n)
            parts.append(
                (
                    np.full(n, vi, dtype=np.int64),
                    np.arange(n, dtype=np.int64),
                    cov_of[vi],
                    sid,
                    counts,
                    (flagged if column == c.count else False) | np.isnan(counts),
                    exempt,
                    np.full(n, c.k, dtype=np.int64),
                )
            )
    withheld: dict[tuple[int, int], str] = {}
    findings: list[Finding] = []
    published: dict[tuple[int, int], bool] = {}  # (statistic, group) -> published
    if parts:
        view_i, row_i, cov_i, stat_i, count_i, hidden_i, exempt_i, k_i = (
            np.concatenate(x) for x in zip(*parts, strict=True)
        )
        key = stat_i * (len(covs) + 1) + cov_i
        order = np.argsort(key, kind="stable")
        ukeys, first, inverse = np.unique(key[order], return_index=True, return_inverse=True)
        cell_stat = stat_i[order][first]
        cell_cov = cov_i[order][first]
        # merge the entries of a cell: shown by design if any says so; the largest k; the
        # count where published; withheld everywhere (protect) or published anywhere (audit)
        ex = np.zeros(len(ukeys), dtype=bool)
        np.logical_or.at(ex, inverse, exempt_i[order])
        kk = np.zeros(len(ukeys), dtype=np.int64)
        np.maximum.at(kk, inverse, k_i[order])
        hid = np.zeros(len(ukeys), dtype=bool)
        shown = np.zeros(len(ukeys), dtype=bool)
        np.logical_or.at(hid, inverse, hidden_i[order])
        np.logical_or.at(shown, inverse, ~hidden_i[order])
        cnt = np.full(len(ukeys), np.nan)
        valid = ~np.isnan(count_i[order])
        cnt[inverse[valid][::-1]] = count_i[order][valid][::-1]  # the first count given
        cell_hidden = (hid & ~ex) if fix else ~shown
        cell_hidden &= ~(ex & shown)
        reasons: list[str | None] = ["withheld by its scorer" if h else None for h in cell_hidden.tolist()]
        bounds = np.flatnonzero(np.diff(cell_stat)) + 1
        structures: dict[Any, list[_Candidate]] = {}
        cov_lists: dict[bytes, list[frozenset[int]]] = {}
        for lo, hi in zip(np.r_[0, bounds].tolist(), np.r_[bounds, len(ukeys)].tolist(), strict=True):
            ids = cell_cov[lo:hi]
            pattern = ids.tobytes()
            if pattern not in cov_lists:
                cov_lists[pattern] = [covs[j] for j in ids.tolist()]
            system = _System(
                cov_lists[pattern],
                [None if x != x else int(x) for x in cnt[lo:hi].tolist()],
                reasons[lo:hi],
                ex[lo:hi].tolist(),
                int(kk[lo:hi].max()),
                range(lo, hi),
                pattern,
            )
            found = _solve(system, structures, exempt_atoms, fix=fix)
            reasons[lo:hi] = system.withheld
            for what, cov, comb, people, cell in found:
                findings.append(
                    _finding(
                        what,
                        stats[int(cell_stat[lo])],
                        cov,
                        comb,
                        people,
                        cell,
                        system,
                        first,
                        order,
                        view_i,
                        row_i,
                        views,
                        population,
                    )
                )
        hidden_cells = np.array([r is not None for r in reasons], dtype=bool)
        if any(v.cells.kind in ("derived", "text") for v in views):
            for j in range(len(reasons)):
                published[(int(cell_stat[j]), int(cell_cov[j]))] = not hidden_cells[j]
        if fix:
            entries = np.flatnonzero(hidden_cells[inverse])  # positions in sorted order
            sorted_view, sorted_row = view_i[order], row_i[order]
            is_people = stat_i[order] == people_id
            for e in entries.tolist():
                r = reasons[int(inverse[e])]
                assert r is not None
                row = int(sorted_row[e])  # a people count withheld alone keeps the row's other figures
                withheld.setdefault((int(sorted_view[e]), -1 - row if is_people[e] else row), r)
    # derived figures and comments follow the cells they are built on
    by_cov: dict[int, list[tuple[int, bool]]] = {}
    for (stat_id, cov_id), ok in published.items():
        by_cov.setdefault(cov_id, []).append((stat_id, ok))
    for vi, v in enumerate(views):
        c = v.cells
        if c.kind not in ("derived", "text") or vi not in cov_of:
            continue
        row_stat = stat_of.get(vi)
        for i, cid in enumerate(cov_of[vi].tolist()):
            status = by_cov.get(cid, [])
            if row_stat is not None:  # the cells of its statistic (or of those it names the start of)
                own = stats[int(row_stat[i])]
                status = [f for f in status if stats[f[0]][: len(own)] == own] or status
            if status and all(ok for _, ok in status):
                continue
            if fix:
                withheld[(vi, i)] = REASON_DERIVED
            elif c.kind == "text" or any(v.get(col, i) is not None for col in c.values):
                what = "unprotected " + ("comment" if c.kind == "text" else "derived figure")
                findings.append(Finding(what, v.scorer, v.name, i, (), _group_of(covs[cid], population), None, ()))
    return withheld, findings


def _group_of(cov: Iterable[int], population: Population) -> dict[str, tuple[str, ...]]:
    atoms = [population.atoms[a] for a in cov]
    out: dict[str, tuple[str, ...]] = {}
    for j, dim in enumerate(population.dims):
        labels = sorted({a[j] for a in atoms})
        if len(labels) < len(population.labels.get(dim, ())) or len(population.labels.get(dim, ())) == 1:
            out[dim] = tuple(labels)
    return out


#: (what, atoms, combination of cells, the withheld cell's index or None)
_Candidate = tuple[str, frozenset[int], dict[Any, Fraction], int | None]
_Found = tuple[str, frozenset[int], dict[Any, Fraction], Fraction | None, int | None]


@attrs.define
class _System:
    """The cells of one statistic: the groups they cover, their counts, and which are withheld."""

    cov: list[frozenset[int]]
    count: list[int | None]
    withheld: list[str | None]
    exempt: list[bool]
    k: int
    cells: range  # their places among all cells
    pattern: bytes = b""  # which groups, as bytes (systems of the same groups share it)


def _solve(
    system: _System, structures: dict[Any, list[_Candidate]], exempt_atoms: set[int], *, fix: bool
) -> list[_Found]:
    """Protect (``fix``: withhold until nothing discloses) or audit (report what discloses)."""
    k = system.k
    if fix:
        for i, n in enumerate(system.count):
            if system.withheld[i] is None and not system.exempt[i] and n is not None and 0 < n < k:
                system.withheld[i] = REASON_SMALL.format(k=k)
    while True:
        found = _disclosures(system, _candidates(system, exempt_atoms, structures), collect=not fix)
        if not found or not fix:
            return found
        comb = found[0][2]
        support = [cast(int, i) for i in comb if not system.exempt[cast(int, i)]]
        if not support:  # only groups shown by design are involved: nothing to withhold
            return []
        victim = min(support, key=lambda i: (system.count[i] or 0, -len(system.cov[i]), i))
        system.withheld[victim] = REASON_DIFFERENCING


def _candidates(system: _System, exempt_atoms: set[int], structures: dict[Any, list[_Candidate]]) -> list[_Candidate]:
    """What the published cells let a reader solve for: withheld cells, atoms, and residuals
    (a published cell less the published cells inside it), each with its combination. This
    depends only on which groups are published, not on the figures, so statistics with the
    same pattern (the usual case) share one computation."""
    sig = (system.pattern or tuple(system.cov), tuple(w is None for w in system.withheld), tuple(system.exempt))
    hit = structures.get(sig)
    if hit is not None:
        return hit
    cov = system.cov
    pub = [i for i, w in enumerate(system.withheld) if w is None]
    span = Span()
    for i in pub:
        span.add(dict.fromkeys(cov[i], 1), i)
    out: list[_Candidate] = []
    for i, w in enumerate(system.withheld):
        if w is not None and cov[i] and not system.exempt[i] and not cov[i] <= exempt_atoms:
            comb = span.express(dict.fromkeys(cov[i], 1))
            if comb is not None:
                out.append(("withheld cell", cov[i], comb, i))
    singles = {a for i in pub if len(cov[i]) == 1 for a in cov[i]}
    for a in sorted({a for i in pub for a in cov[i]} - exempt_atoms - singles):
        comb = span.express({a: 1})
        if comb is not None and len(comb) > 1:
            out.append(("group", frozenset({a}), comb, None))
    for i in pub:
        if len(cov[i]) < 2:
            continue
        inside = [cov[j] for j in pub if j != i and len(cov[j]) < len(cov[i]) and cov[j] < cov[i]]
        if not inside:
            continue
        rest = cov[i] - frozenset().union(*inside)
        if not rest or rest == cov[i] or rest <= exempt_atoms:
            continue
        comb = span.express(dict.fromkeys(rest, 1))
        if comb is not None:
            out.append(("residual", rest, comb, None))
    structures[sig] = out
    return out


def _disclosures(system: _System, candidates: list[_Candidate], *, collect: bool) -> list[_Found]:
    """The candidates that disclose: any withheld cell that can be solved for, and any atom or
    residual of 1 to k-1 people (its size worked out from the published counts)."""
    out: list[_Found] = []

    def people(comb: Mapping[Any, Fraction]) -> Fraction | None:
        total = Fraction(0)
        for i, coef in comb.items():
            n = system.count[cast(int, i)]
            if n is None:
                return None
            total += coef * n
        return total

    for what, cov, comb, cell in candidates:
        p = people(comb)
        if what == "withheld cell" or (p is None or 0 < p < system.k):
            out.append((what, cov, comb, p, cell))
            if not collect:
                return out
    return out


def _finding(
    what: str,
    statistic: tuple[str, ...],
    cov: frozenset[int],
    comb: Mapping[Any, Fraction],
    people: Fraction | None,
    cell: int | None,
    system: _System,
    first: NDArray[np.int64],
    order: NDArray[np.int64],
    view_i: NDArray[np.int64],
    row_i: NDArray[np.int64],
    views: Sequence[TableView],
    population: Population,
) -> Finding:
    def place(local: int) -> tuple[TableView, int]:
        e = int(order[first[system.cells[local]]])
        return views[int(view_i[e])], int(row_i[e])

    terms = []
    for i, coef in sorted(comb.items(), key=lambda x: cast(int, x[0])):
        v, r = place(cast(int, i))
        terms.append((v.scorer, v.name, r, coef))
    if cell is not None:
        v, row = place(cell)
        scorer, table, at = v.scorer, v.name, row
    else:
        scorer, table, at = terms[0][0], terms[0][1], None
    stat = statistic[1:] if statistic and statistic != PEOPLE else ("#people",)
    return Finding(what, scorer, table, at, stat, _group_of(cov, population), people, tuple(terms))


def withheld_columns(cells: Cells) -> tuple[str, ...]:
    """The columns a row withheld for its statistic loses (its people count is a cell of its
    own, withheld only when that cell is)."""
    cols = [*cells.values]
    if cells.kind == "aggregate" and cells.count:
        cols.append(cells.count)
    return tuple(dict.fromkeys(cols))


_ = ALL  # re-exported name used by declarations
