"""Frequency tables as an input: read counts per scale point per item, score and rank them.

File formats (UTF-8):

* **JSON**: ``{"kind": "frequency-table", "id": ..., "title": ..., "source": {...},
  "scale": {"points": [1, 2, 3, 4, 5], "labels": {"1": "Not at all", "5": "A great extent"}},
  "items": [{"id": ..., "label": ..., "counts": [0, 2, 3, 3, 3], "total": 11}, ...]}``.
  ``total`` is optional; when given it must equal the sum of the counts (published tables
  print it, and a mismatch is a transcription error). ``source`` is free-form (file,
  section, lines).
* **CSV**: a header ``item,label,1,2,3,4,5[,total]`` (``label`` optional; the scale-point
  columns are whole numbers in ascending order), then one row per item with whole-number
  counts.

The statistics and the exact-tie rankings are :mod:`aspire_models.stats.frequencies`. Two
published tables are bundled and can be named instead of a file:
``ies-2015-table-3-1`` (the roles played by HR) and ``ies-2015-table-3-2`` (integration of HR
policies), seed 002 lines 1176-1239.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Mapping, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import attrs

from aspire_models.errors import DocumentError, Problem
from aspire_models.stats.frequencies import (
    MEASURES,
    FrequencyItem,
    ItemStatistics,
    Ranking,
    item_statistics,
    rank_items,
)

__all__ = ["BUNDLED", "FrequencyTable", "ScoredFrequencies", "read_frequency_table", "score_frequencies"]

_DIR = Path(__file__).parent / "reference"
#: bundled published frequency tables: id -> file name
BUNDLED = {
    "ies-2015-table-3-1": "ies-2015-table-3-1.json",
    "ies-2015-table-3-2": "ies-2015-table-3-2.json",
}


@attrs.frozen
class FrequencyTable:
    """Counts per scale point per item, with where they come from."""

    id: str
    title: str
    points: tuple[int, ...]
    items: tuple[FrequencyItem, ...]
    labels: Mapping[str, str] = attrs.field(factory=dict)
    source: Mapping[str, Any] = attrs.field(factory=dict)


@attrs.frozen
class ScoredFrequencies:
    """Per item statistics and a ranking by every measure."""

    table: FrequencyTable
    stats: tuple[ItemStatistics, ...]
    rankings: Mapping[str, Ranking]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: fractions as ``"38/11"`` strings beside their decimal value."""

        def frac(v: Fraction | None) -> Any:
            return None if v is None else {"fraction": f"{v.numerator}/{v.denominator}", "value": float(v)}

        def tied(measure: str, v: Fraction | float | int) -> Any:
            if measure == "sd" and isinstance(v, Fraction):  # ranked by the exact variance
                return {"variance": frac(v), "sd": math.sqrt(v)}
            return frac(v) if isinstance(v, Fraction) else v

        return {
            "id": self.table.id,
            "title": self.table.title,
            "source": dict(self.table.source),
            "points": list(self.table.points),
            "items": [
                {
                    "id": s.id,
                    "label": s.label,
                    "n": s.n,
                    "mean": frac(s.mean),
                    "sd": s.sd,
                    "top_box": frac(s.top_box),
                    "top_two_box": frac(s.top_two_box),
                    # 95% Wilson intervals of the two shares (aspire_models.stats.intervals)
                    "top_box_ci": _wilson(s.top_box, s.n),
                    "top_two_box_ci": _wilson(s.top_two_box, s.n),
                    "ranks": {m: self.rankings[m].ranks.get(s.id) for m in MEASURES},
                }
                for s in self.stats
            ],
            "ties": {m: [{"items": list(g), "value": tied(m, v)} for g, v in self.rankings[m].ties] for m in MEASURES},
        }


def _wilson(share: Fraction | None, n: int) -> list[float] | None:
    """The 95% Wilson interval of a share of ``n`` answers, as [low, high]; None without answers."""
    if share is None or n <= 0:
        return None
    import numpy as np

    from aspire_models.stats.intervals import wilson_interval

    lo, hi = wilson_interval(np.array([float(share * n)]), np.array([n]))
    return [float(lo[0]), float(hi[0])]


def _problem(source: str, rule: str, message: str, **kw: Any) -> Problem:
    return Problem(rule, message, file=source, **kw)


def _parse_json(doc: Any, source: str) -> FrequencyTable:
    problems: list[Problem] = []
    if not isinstance(doc, dict):
        raise DocumentError(source, [_problem(source, "type", "a frequency table is a JSON object", path="$")])
    if doc.get("kind") != "frequency-table":
        problems.append(
            _problem(source, "kind", "'kind' must be 'frequency-table'", path="$.kind", value=doc.get("kind"))
        )
    scale = doc.get("scale")
    points = scale.get("points") if isinstance(scale, dict) else None
    if not (
        isinstance(points, list) and points and all(isinstance(p, int) and not isinstance(p, bool) for p in points)
    ):
        problems.append(_problem(source, "scale-points", "scale.points must be whole numbers", path="$.scale.points"))
        points = []
    elif points != sorted(set(points)):
        problems.append(
            _problem(source, "scale-points", "scale.points must ascend without repeats", path="$.scale.points")
        )
    items: list[FrequencyItem] = []
    raw = doc.get("items")
    if not isinstance(raw, list) or not raw:
        problems.append(_problem(source, "items", "'items' must be a non-empty list", path="$.items"))
        raw = []
    seen: set[str] = set()
    for i, it in enumerate(raw):
        path = f"$.items[{i}]"
        if not isinstance(it, dict) or not isinstance(it.get("id"), str) or not it["id"]:
            problems.append(_problem(source, "item-id", "each item needs a non-empty string 'id'", path=path))
            continue
        if it["id"] in seen:
            problems.append(_problem(source, "unique-id", f"item id {it['id']!r} repeats", path=f"{path}.id"))
        seen.add(it["id"])
        counts = it.get("counts")
        if not (
            isinstance(counts, list)
            and all(isinstance(c, int) and not isinstance(c, bool) and c >= 0 for c in counts)
            and len(counts) == len(points)
        ):
            problems.append(
                _problem(
                    source,
                    "counts",
                    f"counts must be {len(points)} whole numbers >= 0, one per scale point",
                    path=f"{path}.counts",
                    value=counts,
                )
            )
            continue
        total = it.get("total")
        if total is not None and total != sum(counts):
            problems.append(
                _problem(
                    source,
                    "total",
                    f"total {total} is not the sum of the counts ({sum(counts)})",
                    path=f"{path}.total",
                    value=total,
                )
            )
        items.append(FrequencyItem(it["id"], str(it.get("label", it["id"])), tuple(counts)))
    if problems:
        raise DocumentError(source, problems)
    labels = scale.get("labels", {}) if isinstance(scale, dict) else {}
    return FrequencyTable(
        str(doc.get("id", Path(source).stem)),
        str(doc.get("title", "")),
        tuple(points),
        tuple(items),
        {str(k): str(v) for k, v in labels.items()},
        dict(doc.get("source", {})),
    )


def _parse_csv(text: str, source: str) -> FrequencyTable:
    try:  # (newline=None: lines may end in LF, CRLF or a lone CR)
        rows = list(csv.reader(io.StringIO(text, newline=None)))
    except csv.Error as exc:
        raise DocumentError(source, [_problem(source, "csv", f"not readable as CSV: {exc}", record=0)]) from None
    if not rows:
        raise DocumentError(source, [_problem(source, "empty", "the file is empty", record=0)])
    head = [h.strip() for h in rows[0]]
    problems: list[Problem] = []
    if not head or head[0] != "item":
        problems.append(
            _problem(source, "header", "the first column must be 'item'", record=0, field=head[0] if head else None)
        )
    rest = head[1:]
    has_label = bool(rest) and rest[0] == "label"
    if has_label:
        rest = rest[1:]
    has_total = bool(rest) and rest[-1] == "total"
    if has_total:
        rest = rest[:-1]
    points: list[int] = []
    for h in rest:
        try:
            points.append(int(h))
        except ValueError:
            problems.append(
                _problem(
                    source, "scale-points", "scale-point columns must be whole numbers", record=0, field=h, value=h
                )
            )
    if points != sorted(set(points)) or not points:
        problems.append(_problem(source, "scale-points", "scale-point columns must ascend without repeats", record=0))
    if problems:
        raise DocumentError(source, problems)
    first = 2 if has_label else 1
    items: list[FrequencyItem] = []
    seen: set[str] = set()
    for r, row in enumerate(rows[1:], 1):
        if not any(c.strip() for c in row):
            continue
        if len(row) != len(head):
            problems.append(_problem(source, "columns", f"{len(row)} cells, the header has {len(head)}", record=r))
            continue
        iid = row[0].strip()
        if not iid or iid in seen:
            problems.append(
                _problem(source, "item-id", "item ids must be non-empty and unique", record=r, field="item", value=iid)
            )
            continue
        seen.add(iid)
        counts: list[int] = []
        for h, c in zip(head[first : first + len(points)], row[first : first + len(points)], strict=True):
            try:
                v = int(c.strip())
                if v < 0:
                    raise ValueError
                counts.append(v)
            except ValueError:
                problems.append(
                    _problem(source, "counts", "counts must be whole numbers >= 0", record=r, field=h, value=c)
                )
        if len(counts) != len(points):
            continue
        if has_total:
            t = row[-1].strip()
            if t and (not t.isdigit() or int(t) != sum(counts)):
                problems.append(
                    _problem(
                        source,
                        "total",
                        f"total is not the sum of the counts ({sum(counts)})",
                        record=r,
                        field="total",
                        value=t,
                    )
                )
        items.append(FrequencyItem(iid, row[1].strip() if has_label else iid, tuple(counts)))
    if not items and not problems:
        problems.append(_problem(source, "items", "no item rows", record=1))
    if problems:
        raise DocumentError(source, problems)
    return FrequencyTable(Path(source).stem, "", tuple(points), tuple(items), {}, {"file": Path(source).name})


def read_frequency_table(path_or_id: str | Path) -> FrequencyTable:
    """Read a frequency table from a JSON or CSV file, or a bundled table by id."""
    name = str(path_or_id)
    path = _DIR / BUNDLED[name] if name in BUNDLED and not Path(name).exists() else Path(path_or_id)
    from aspire_models.limits import DEFAULT_LIMITS
    from aspire_models.safeio import load_json, read_input_bytes

    if path.suffix.lower() == ".json":
        return _parse_json(load_json(str(path), what="frequency table"), str(path))
    data = read_input_bytes(  # a regular file only, bounded (aspire_models.safeio)
        path, what="frequency table", max_bytes=DEFAULT_LIMITS.max_document_bytes, limit_name="max_document_bytes"
    )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocumentError(str(path), [_problem(str(path), "readable", f"cannot read the file: {exc}")]) from exc
    if path.suffix.lower() == ".csv":
        return _parse_csv(text, str(path))
    try:
        return _parse_json(json.loads(text), str(path))
    except json.JSONDecodeError:
        return _parse_csv(text, str(path))


def score_frequencies(table: FrequencyTable | Sequence[FrequencyItem], points: Sequence[int] = ()) -> ScoredFrequencies:
    """Statistics per item and rankings by every measure (exact ties)."""
    if not isinstance(table, FrequencyTable):
        table = FrequencyTable("", "", tuple(points), tuple(table))
    stats = tuple(item_statistics(it, table.points) for it in table.items)
    return ScoredFrequencies(table, stats, {m: rank_items(stats, m) for m in MEASURES})


def _frac(v: Fraction | None) -> str:
    return "-" if v is None else f"{float(v):.3f} ({v.numerator}/{v.denominator})"


def write_text(scored: ScoredFrequencies, out: Any, rank_by: str = "mean") -> None:
    """Plain-text output of ``aspire frequencies``: the items in rank order by ``rank_by``,
    every measure with its rank, then every tie under every measure."""
    t = scored.table
    src = t.source
    out.write(f"{t.title or t.id}\n")
    if src:
        where = ", ".join(str(src[k]) for k in ("file", "section", "lines") if k in src)
        out.write(f"source: {where}\n")
    out.write(f"scale points: {', '.join(str(p) for p in t.points)}; ranked by {rank_by}, highest first\n\n")
    r = scored.rankings
    by_id = {s.id: s for s in scored.stats}
    order = list(r[rank_by].order) + [s.id for s in scored.stats if s.id not in r[rank_by].ranks]
    width = max([len(by_id[i].label[:60]) for i in order] + [4])
    out.write(f"{'rank':>4}  {'item':<{width}}  {'n':>3}  {'mean':>14}  {'sd':>5}  {'top box':>14}  {'top two':>14}\n")
    for i in order:
        s = by_id[i]
        sd = "-" if s.sd is None else f"{s.sd:.2f}"
        rank = r[rank_by].ranks.get(i)
        out.write(
            f"{rank if rank is not None else '-':>4}  {s.label[:60]:<{width}}  {s.n:>3}  {_frac(s.mean):>14}  "
            f"{sd:>5}  {_frac(s.top_box):>14}  {_frac(s.top_two_box):>14}\n"
        )
    out.write("\nTies (equal values share a rank):\n")
    any_tie = False
    for m in ("mean", "top_box", "top_two_box"):
        for group, v in r[m].ties:
            any_tie = True
            shown = _frac(v) if isinstance(v, Fraction) else f"{v}"
            out.write(f"  by {m.replace('_', '-')}: {len(group)} items tie at {shown}, rank {r[m].ranks[group[0]]}: ")
            out.write(", ".join(by_id[g].label for g in group) + "\n")
    if not any_tie:
        out.write("  none\n")
