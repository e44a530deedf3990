"""The two baselines the engine is compared with, and the summary all three must agree on.

* :func:`jsonschema_loop` (baseline a): read the CSV with the ``csv`` module, turn each row
  into a JSON record, validate it with ``jsonschema`` against the instrument's response
  record schema (plus the two rules a single-record schema cannot state: unique ids, and
  an organisation on every row of a file that has the column), then score it in a plain
  per-row Python loop.
* :func:`pandas_groupby` (baseline b): the same job written as idiomatic pandas: one
  ``read_csv``, column-wise checks, row means for dimension scores, ``groupby().agg()``.

Both follow the library's documented readings (spaces around numbers ignored, ``7.0`` is
seven, ``nan``/``inf`` written out are not numbers, blank cells are missing answers).
:func:`summary` reduces a result to what the benchmark asserts is identical: the
accounting, every organisation's n and mean per dimension and gap, and the sector means.
"""

from __future__ import annotations

import csv
import math
import re
from pathlib import Path
from typing import Any

from aspire_models import Instrument, Result

NUMBER = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")
MISSING = object()

Summary = dict[str, Any]


# ---------------------------------------------------------------------------------------
# what is compared
# ---------------------------------------------------------------------------------------
def summary(result: Result) -> Summary:
    """Accounting, organisation n/mean and sector means of an engine result."""
    org = {}
    for r in result.table("aggregate", "organisations").rows():
        if r["n"]:
            org[f"{r['organisation']}|{r['element']}|{r['mode']}"] = [r["n"], r["mean"]]
    sector = {f"{r['element']}|{r['mode']}": r["mean"] for r in result.table("aggregate", "sector").rows()}
    acc = result.accounting
    return {"accounting": [acc.input, acc.accepted, acc.rejected], "org": org, "sector": sector}


def compare(a: Summary, b: Summary, what: str, tol: float = 1e-9) -> None:
    """Raise AssertionError unless two summaries agree (means within ``tol``)."""
    assert a["accounting"] == b["accounting"], f"{what}: accounting {a['accounting']} != {b['accounting']}"
    assert a["org"].keys() == b["org"].keys(), f"{what}: different organisation cells"
    for k, (n, m) in a["org"].items():
        n2, m2 = b["org"][k]
        assert n == n2 and abs(m - m2) <= tol, f"{what}: organisation {k}: {(n, m)} != {(n2, m2)}"
    assert a["sector"].keys() == b["sector"].keys(), f"{what}: different sector cells"
    for k, m in a["sector"].items():
        m2 = b["sector"][k]
        same = (m is None and m2 is None) or (m is not None and m2 is not None and abs(m - m2) <= tol)
        assert same, f"{what}: sector {k}: {m} != {m2}"


# ---------------------------------------------------------------------------------------
# the instrument's scoring rules, spelled out for the baselines
# ---------------------------------------------------------------------------------------
def _dimensions(instrument: Instrument, min_answered: float = 0.5) -> dict[str, Any]:
    cols = instrument.numeric_columns()
    dims: dict[tuple[str, str | None], list[tuple[str, float, float | None]]] = {}
    scale_of: dict[str, tuple[float, float, bool]] = {}
    for c in cols:
        item = instrument.item(c.item)
        scale = instrument.scale(c.scale or "")
        lo, hi, integer = scale.min, scale.max, scale.integer  # type: ignore[union-attr]
        scale_of[c.name] = (lo, hi, integer)
        dims.setdefault((item.element or "", c.mode), []).append(
            (c.name, item.weight, lo + hi if item.reverse else None)
        )
    need = {
        k: int(min_answered) if min_answered >= 1 else max(1, math.ceil(min_answered * len(v))) for k, v in dims.items()
    }
    gaps = [(e, (e, "now"), (e, "future")) for (e, m) in dims if m == "now" and (e, "future") in dims]
    return {"dims": dims, "need": need, "gaps": gaps, "scales": scale_of}


def _finish(n_in: int, rejected: int, cells: dict[tuple[str, str, str], list[float]]) -> Summary:
    org: dict[str, list[Any]] = {}
    by_dim: dict[str, list[float]] = {}
    for (o, e, m), values in sorted(cells.items()):
        if not values:
            continue
        mean = math.fsum(values) / len(values)
        org[f"{o}|{e}|{m}"] = [len(values), mean]
        by_dim.setdefault(f"{e}|{m}", []).append(mean)
    sector = {k: math.fsum(v) / len(v) for k, v in by_dim.items()}
    return {"accounting": [n_in, n_in - rejected, rejected], "org": org, "sector": sector}


def _mode(m: str | None) -> str:
    return m or ""


# ---------------------------------------------------------------------------------------
# baseline a: jsonschema + per-row loop
# ---------------------------------------------------------------------------------------
def jsonschema_loop(path: str | Path, instrument: Instrument, limit: int | None = None) -> Summary:
    """Validate each record with jsonschema and score it in a plain Python loop."""
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(instrument.response_record_schema())
    spec = _dimensions(instrument)
    numeric = set(spec["scales"])
    cells: dict[tuple[str, str, str], list[float]] = {}
    seen: set[str] = set()
    n_in = rejected = 0
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = [h.strip() for h in next(reader)]
        has_org = "organisation" in header
        for row in reader:
            if not row:
                continue
            n_in += 1
            record: dict[str, Any] = {}
            for name, cell in zip(header, row, strict=True):
                if name in numeric:
                    value = _number(cell)
                    if value is not MISSING:
                        record[name] = value
                elif cell != "":
                    record[name] = cell.strip()
                elif name in ("respondent_id", "organisation"):
                    record[name] = ""  # blank: breaks minLength
            ok = validator.is_valid(record)
            rid = row[header.index("respondent_id")]
            if rid != "":
                key = rid.strip()
                if key in seen:
                    ok = False
                seen.add(key)
            if has_org and not record.get("organisation"):
                ok = False
            if not ok:
                rejected += 1
                continue
            org = record.get("organisation", "(all)")
            scores: dict[tuple[str, str | None], float] = {}
            for (element, mode), members in spec["dims"].items():
                num = den = 0.0
                k = 0
                for name, weight, flip in members:
                    x = record.get(name)
                    if x is None:
                        continue
                    x = float(x)
                    num += weight * (flip - x if flip is not None else x)
                    den += weight
                    k += 1
                if k >= spec["need"][(element, mode)] and den > 0:
                    scores[(element, mode)] = num / den
                    cells.setdefault((org, element, _mode(mode)), []).append(num / den)
            for element, now, future in spec["gaps"]:
                if now in scores and future in scores:
                    cells.setdefault((org, element, "gap"), []).append(scores[future] - scores[now])
            if limit is not None and n_in >= limit:
                break
    return _finish(n_in, rejected, cells)


def _number(cell: str) -> Any:
    """A CSV cell as the JSON value a careful reader would produce."""
    text = cell.strip()
    if text == "":
        return MISSING
    if NUMBER.fullmatch(text):
        value = float(text)
        if math.isfinite(value):
            return value
    return text  # not a number: the schema's type check rejects it


# ---------------------------------------------------------------------------------------
# baseline b: idiomatic pandas
# ---------------------------------------------------------------------------------------
def pandas_groupby(path: str | Path, instrument: Instrument) -> Summary:
    """The same validation and scores with pandas: read_csv, column checks, groupby."""
    import numpy as np
    import pandas as pd

    spec = _dimensions(instrument)
    df = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    df.columns = [c.strip() for c in df.columns]
    n_in = len(df)
    bad = pd.Series(False, index=df.index)
    values = {}
    for name, (lo, hi, integer) in spec["scales"].items():
        if name not in df:
            continue
        text = df[name].str.strip()
        v = pd.to_numeric(text.where(text.str.fullmatch(NUMBER.pattern, na=False)), errors="coerce")
        given = text.notna() & (text != "")
        not_number = given & (v.isna() | np.isinf(v))
        v = v.where(~np.isinf(v))
        bad |= not_number | (v < lo) | (v > hi)
        if integer:
            bad |= v.notna() & (v != np.floor(v))
        values[name] = v
    rid = df["respondent_id"].str.strip()
    bad |= rid.isna() | (rid == "")
    bad |= df["respondent_id"].notna() & rid.duplicated(keep="first")
    if "organisation" in df:
        org = df["organisation"].str.strip()
        bad |= org.isna() | (org == "")
    else:
        org = pd.Series("(all)", index=df.index)
    keep = ~bad
    x = pd.DataFrame(values)[keep]
    scores = pd.DataFrame(index=x.index)
    for (element, mode), members in spec["dims"].items():
        names = [m[0] for m in members if m[0] in x]
        w = pd.Series({m[0]: m[1] for m in members})[names]
        cols = x[names].copy()
        for name, _, flip in members:
            if flip is not None and name in cols:
                cols[name] = flip - cols[name]
        answered = cols.notna()
        num = (cols * w).sum(axis=1)
        den = (answered * w).sum(axis=1)
        ok = (answered.sum(axis=1) >= spec["need"][(element, mode)]) & (den > 0)
        scores[f"{element}|{_mode(mode)}"] = (num / den).where(ok)
    for element, now, future in spec["gaps"]:
        scores[f"{element}|gap"] = scores[f"{element}|{future[1]}"] - scores[f"{element}|{now[1]}"]
    grouped = scores.groupby(org[keep]).agg(["count", "mean"])
    out: dict[str, list[Any]] = {}
    for o, row in grouped.iterrows():
        for dim in scores.columns:
            n = int(row[(dim, "count")])
            if n:
                out[f"{o}|{dim}"] = [n, float(row[(dim, "mean")])]
    means = grouped.xs("mean", axis=1, level=1)
    sector = {dim: float(means[dim].mean()) for dim in scores.columns}
    rejected = int(bad.sum())
    return {"accounting": [n_in, n_in - rejected, rejected], "org": out, "sector": sector}
