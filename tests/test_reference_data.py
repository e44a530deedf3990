"""The bundled reference data against the source documents: every cited line exists, every
quoted answer or statement is in the seed where it is cited, and the counts are the tables'."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from aspire_models.reference import REFERENCE_DIR, load_reference, reference_ids
from aspire_models.registry import Registry

SEEDS = Path(__file__).resolve().parents[1].parent / "shared" / "seeds"
needs_seeds = pytest.mark.skipif(not SEEDS.is_dir(), reason="source documents (../shared/seeds) not present")


def seed_lines(name: str) -> list[str]:
    return (SEEDS / name).read_text(encoding="utf-8").split("\n")


def norm(text: str) -> str:
    """Whitespace, bullets, emphasis and line-end hyphens as the text extraction left them."""
    text = text.replace("**", "").replace("•", " ")
    text = re.sub(r"(\w)-\s+(?=[A-Z])", r"\1-", text)
    return re.sub(r"\s+", " ", text).strip()


def span(lines: list[str], cited: str, slack: int = 2) -> str:
    """The cited lines (plus ``slack`` after), normalised, footnote marks ('Service1') dropped."""
    first, _, last = cited.partition("-")
    a, b = int(first), int(last or first)
    assert 1 <= a <= b <= len(lines), cited
    return re.sub(r"(?<=[a-z])\d\b", "", norm(" ".join(lines[a - 1 : b + slack])))


def test_every_bundled_reference_validates() -> None:
    ids = reference_ids()
    assert {"aspire-2015-averages", "ies-2015-shared-management", "aspire-hrbp-appendix-1"} <= set(ids)
    for ref_id in ids:
        doc = load_reference(ref_id)
        assert doc["id"] == ref_id and json.loads((REFERENCE_DIR / f"{ref_id}.json").read_text())["kind"] == "reference"


@needs_seeds
def test_appendix_1_answers_are_the_booklets_words_under_the_instruments_open_questions() -> None:
    ref = load_reference("aspire-hrbp-appendix-1")
    rows = ref["datasets"][0]["rows"]
    assert len(rows) == 82
    lines = seed_lines(ref["source"]["file"])
    for r in rows:
        assert norm(r["text"]) in span(lines, f"{r['line']}-{r['line'] + 6}", 0), r
    ins = Registry(entry_points=False).instrument("aspire-sop-self-assessment")
    questions = {q.id for q in ins.open_questions}
    assert {r["question"] for r in rows} <= questions
    themes = {r["theme"] for r in rows}
    assert len(themes) == 8
    per = {(r["theme"], r["question"].rsplit("-", 1)[1]) for r in rows}
    assert ("locus-of-engagement", "barriers") not in per and ("locus-of-engagement", "help") not in per
    assert ("alignment", "worked") in per and ("capability-building", "help") in per


@needs_seeds
def test_seed_002_survey_figures_and_table_2() -> None:
    ref = load_reference("ies-2015-shared-management")
    sets = {d["id"]: d for d in ref["datasets"]}
    lines = seed_lines(ref["source"]["file"])
    figs = {r["id"]: r for r in sets["survey-figures"]["rows"]}
    for r in figs.values():
        text = span(lines, r["lines"])
        for piece in r["statement"].split(" ... "):
            assert norm(piece).rstrip(".") in text.replace("’", "'"), (r["id"], piece)
    assert figs["staff-in-shared-roles"]["value"] == 31 and figs["staff-in-shared-roles"]["range"] == [5, 70]
    four_r = {k.removeprefix("4r-"): v["value"] for k, v in figs.items() if k.startswith("4r-")}
    assert four_r == {
        "voluntary-redundancy": 7,
        "compulsory-redundancy": 9,
        "selective-recruitment": 9,
        "relocation": 6,
        "retirement-and-voluntary-severance": 9,
    }
    assert figs["respondents"]["value"] == 11
    profiles = sets["partnership-profiles"]["rows"]
    assert len(profiles) == 23
    for p in profiles:
        text = span(lines, p["line"] if isinstance(p["line"], str) else str(p["line"]), 0)
        assert norm(p["council"].split()[0]) in text
        for key in ("employees_2014_headcount", "total_service_expenditure_2013_14_gbp_m", "date_partnership_formed"):
            if p[key] is not None:
                assert re.search(rf"(?<![\d.]){re.escape(f'{p[key]:g}')}(?![\d.])", text), (p["council"], key)
    # Tables 3.1 and 3.2: each row totals 11, as printed
    for t in ("table-3-1", "table-3-2"):
        for row in sets[t]["rows"]:
            assert sum(row[c] for c in "12345") == 11


@needs_seeds
def test_seed_001_averages_and_tools_are_the_printed_rows() -> None:
    ref = load_reference("aspire-2015-averages")
    lines = seed_lines(ref["source"]["file"])
    sets = {d["id"]: d for d in ref["datasets"]}
    for r in sets["theme-averages"]["rows"]:
        cells = lines[r["line"] - 1].split("\t")
        assert cells[0] == r["label_in_source"]
        assert [float(cells[1]), float(cells[3])] == [r["now"]["mean"], r["future"]["mean"]]
        assert cells[2] == "{:g}-{:g}".format(*r["now"]["range"])
        assert cells[4].startswith("{:g}-{:g}".format(*r["future"]["range"]))
    for r in sets["hr-tools"]["rows"]:
        cells = lines[r["line"] - 1].split("\t")
        assert cells[0] == r["label"] and [int(cells[1]), int(cells[2])] == [r["used"], r["needed"]]
