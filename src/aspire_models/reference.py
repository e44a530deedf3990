"""Published results as reference data, and a council's own results set against them.

A *reference* document (``kind: "reference"``, :file:`schemas/reference.schema.json`) keeps
the numbers a source document published, as published, with a citation (file, section,
lines) for every data set and a line for every row; where the published numbers contradict
themselves (a range that does not contain its own average) the row lists the inconsistency
instead of correcting it. Bundled references are loaded by id:

* ``aspire-2015-averages``: the Aspire paper (seed 001, June 2015), 'Table showing average
  response scores' (lines 97-107: now and future averages and ranges for the eight themes)
  and the HR-tools counts (lines 111-140: used, needed, barriers and the footnoted tools).

:func:`compare_with_reference` sets a scored result's theme means (each organisation's, and
the sector's mean of organisation means) beside the published average and range: the
difference from the average, and whether the mean is below, within or above the published
range (said as "range inconsistent" where the published range does not contain the
published average, since the position against such a range means little).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aspire_models.errors import DocumentError, Problem, UnknownIdError

__all__ = ["REFERENCE_DIR", "compare_with_reference", "load_reference", "reference_ids", "theme_averages"]

REFERENCE_DIR = Path(__file__).parent / "reference"
SCHEMA = Path(__file__).parent / "schemas" / "reference.schema.json"


def reference_ids() -> list[str]:
    """Ids of the bundled reference documents."""
    out = []
    for p in sorted(REFERENCE_DIR.glob("*.json")):
        doc = json.loads(p.read_text(encoding="utf-8"))
        if isinstance(doc, dict) and doc.get("kind") == "reference":
            out.append(str(doc["id"]))
    return out


def validate_reference(doc: Any, source: str) -> None:
    """Raise :class:`DocumentError` naming every rule the document breaks."""
    from jsonschema import Draft202012Validator

    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    errors = sorted(Draft202012Validator(schema).iter_errors(doc), key=lambda e: list(e.absolute_path))
    if errors:
        raise DocumentError(
            source,
            [
                Problem(
                    f"schema-{e.validator}",
                    e.message,
                    "$" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in e.absolute_path),
                    file=source,
                    value=e.instance if not isinstance(e.instance, dict | list) else None,
                )
                for e in errors
            ],
        )


def load_reference(id_or_path: str | Path) -> dict[str, Any]:
    """A bundled reference by id, or a reference document from a file; validated."""
    path = Path(id_or_path)
    if not path.suffix:
        path = REFERENCE_DIR / f"{id_or_path}.json"
        if not path.is_file():
            raise UnknownIdError("reference", str(id_or_path), reference_ids())
    from aspire_models.safeio import load_json

    doc = load_json(str(path), what="reference document")
    validate_reference(doc, str(path))
    result: dict[str, Any] = doc
    return result


def theme_averages(ref: Mapping[str, Any]) -> Mapping[str, Any]:
    """The reference's ``theme-averages`` data set."""
    for ds in ref["datasets"]:
        if ds["kind"] == "theme-averages":
            out: Mapping[str, Any] = ds
            return out
    raise DocumentError(
        str(ref.get("id")), [Problem("theme-averages", "the reference has no theme-averages data set", "$.datasets")]
    )


def _position(value: float, lo: float, hi: float, consistent: bool) -> str:
    where = "below range" if value < lo else "above range" if value > hi else "within range"
    return where if consistent else where + " (range inconsistent)"


def compare_with_reference(result: Any, ref: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Rows of (level, organisation, element, mode, n, mean, published mean, difference,
    published range, position) for the sector and every organisation, in theme order.
    ``result`` is a scored result with an ``aggregate`` output. An organisation whose scores
    are withheld (fewer respondents than the minimum group size) or missing keeps its rows,
    with no mean and the position 'withheld (small group)' or 'no score'."""
    ds = theme_averages(ref)
    published = {r["element"]: r for r in ds["rows"]}
    rows: list[dict[str, Any]] = []
    sector = result.table("aggregate", "sector").rows()
    orgs = result.table("aggregate", "organisations").rows()
    for level, records in (("sector", sector), ("organisation", orgs)):
        for rec in records:
            pub = published.get(rec["element"])
            mode = rec["mode"]
            if pub is None or mode not in ("now", "future"):
                continue
            p = pub[mode]
            lo, hi = p["range"]
            mean = rec["mean"]
            consistent = lo <= p["mean"] <= hi
            row = {
                "level": level,
                "organisation": rec.get("organisation", "(sector)") if level == "organisation" else "(sector)",
                "element": rec["element"],
                "mode": mode,
                "n": rec.get("respondents", rec.get("n")),
                "mean": None,
                "published_mean": p["mean"],
                "difference": None,
                "published_range": f"{lo:g}-{hi:g}",
                "position": "withheld (small group)" if rec.get("suppressed") else "no score",
                "source_line": pub["line"],
            }
            if mean is not None and mean == mean:  # not NaN: a score to place
                row.update(
                    mean=float(mean),
                    difference=float(mean) - p["mean"],
                    position=_position(float(mean), lo, hi, consistent),
                )
            rows.append(row)
    order = {e: i for i, e in enumerate(published)}
    rows.sort(key=lambda r: (r["level"] != "sector", r["organisation"], order[r["element"]], r["mode"] != "now"))
    return rows
