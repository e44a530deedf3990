"""Golden tests of the survey-platform exports in tests/fixtures/exports/: each is
recognised, a mapping is drafted by `aspire map`, then used by `aspire score --mapping`,
with exact accounting and the same results as the respondents' own records give."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from aspire_models import Registry
from aspire_models.engine import score_responses
from aspire_models.responses import read_records
from tests.export_layouts import FIXTURES, LAYOUTS, dont_know, fixture_records

ASPIRE = Path(sys.executable).with_name("aspire")

#: layout -> (format reported, rows, rejected rows and the rule that rejects each)
EXPECTED: dict[str, tuple[str, int, dict[int, str]]] = {
    "surveymonkey": ("surveymonkey", 12, {8: "required"}),
    "qualtrics-legacy": ("qualtrics-legacy", 12, {8: "required"}),
    "googleforms": ("googleforms", 12, {8: "required"}),
    "msforms": ("msforms", 12, {8: "required"}),
    "qualtrics": ("qualtrics", 14, {5: "required"}),
    "limesurvey": ("limesurvey", 14, {5: "required", 10: "answer-label"}),
}


def run(*args: str) -> subprocess.CompletedProcess[str]:
    assert ASPIRE.exists(), f"console script not installed at {ASPIRE}"
    return subprocess.run([str(ASPIRE), *args], capture_output=True, text=True, timeout=120)


def truth(core: Registry, layout: str) -> list[dict[str, Any]]:
    """The fixture's respondents as plain records (what the export should read back as)."""
    iid = LAYOUTS[layout][0]
    ins = core.instrument(iid)
    records = fixture_records(ins)
    if layout == "qualtrics":
        records = dont_know(records, ins)
    keep = {c.name for c in ins.columns() if c.kind != "text"} | {
        "respondent_id",
        "organisation",
        "rater_role",
        "subject_id",
        "team",
        "alignment-worked",
        "hr-tools-other",
        "strengths",
        "development",
    }
    out = [{k: v for k, v in r.items() if k in keep} for r in records]
    if layout == "limesurvey":  # the respondent who answered "Other": their role is unknown
        out[9]["rater_role"] = "unknown role"
    return out


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return (math.isnan(a) and math.isnan(b)) or math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-12)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_export_recognised_mapped_and_scored(layout: str, tmp_path: Path, core: Registry) -> None:
    iid, filename, _ = LAYOUTS[layout]
    fmt, n_rows, rejected = EXPECTED[layout]
    export = FIXTURES / filename
    mapping = tmp_path / "mapping.json"

    drafted = run("map", "--no-plugins", "-i", iid, str(export), "-o", str(mapping))
    assert drafted.returncode == 0, drafted.stderr
    assert f"read as format {fmt}" in drafted.stdout
    assert "Instrument columns not found in the export: 0" in drafted.stdout
    assert "Unmatched columns (left out: map them by hand if they answer an item): 0" in drafted.stdout
    doc = json.loads(mapping.read_text(encoding="utf-8"))
    assert doc["instrument"] == iid and doc["format"] == fmt

    out = tmp_path / "result.json"
    scored = run("score", "--no-plugins", "-i", iid, str(export), "--mapping", str(mapping), "-q", "-o", str(out))
    assert scored.returncode == 0, scored.stderr
    result = json.loads(out.read_text(encoding="utf-8"))
    acc = result["accounting"]
    assert (acc["input"], acc["accepted"], acc["rejected"]) == (n_rows, n_rows - len(rejected), len(rejected))
    got = {r["row"]: r["problems"][0]["rule"] for r in result["rejected"]}
    assert got == rejected
    if layout == "limesurvey":  # the answer code the mapping does not know is quoted, not guessed
        (problem,) = [p for r in result["rejected"] if r["row"] == 10 for p in r["problems"][:1]]
        assert "'-oth-'" in problem["message"] and problem["field"] == "rater_role"

    # the same results as the respondents' own records give
    ins = core.instrument(iid)
    expected = score_responses(core, read_records(truth(core, layout), ins, source=filename)).to_json()
    want = json.loads(expected)
    for key in ("outputs", "accounting"):
        assert _same(result[key], want[key]), key
    assert [r["row"] for r in result["rejected"]] == [r["row"] for r in want["rejected"]]


def test_golden_values_of_the_self_assessment_exports(tmp_path: Path) -> None:
    """Figures of the Aspire self-assessment fixtures, the same from every platform."""
    seen = set()
    for layout in ("surveymonkey", "msforms"):
        iid, filename, _ = LAYOUTS[layout]
        mapping = tmp_path / f"{layout}.json"
        assert run("map", "--no-plugins", "-i", iid, str(FIXTURES / filename), "-o", str(mapping)).returncode == 0
        r = run("score", "--no-plugins", "-i", iid, str(FIXTURES / filename), "--mapping", str(mapping), "-q")
        assert r.returncode == 0, r.stderr
        assert "12 rows, 11 scored, 1 rejected" in r.stdout
        summary = next(line for line in r.stdout.splitlines() if "largest gap value" in line)
        seen.add(summary.strip())
        assert "top priority: locus-of-engagement" in r.stdout
    assert seen == {"largest gap value: 3.89"}


def test_surveymonkey_export_reports_the_encoding_it_detected(tmp_path: Path) -> None:
    iid, filename, _ = LAYOUTS["surveymonkey"]
    data = (FIXTURES / filename).read_bytes()
    assert b"\n" not in data and b"\r" in data  # CR-only line endings, as older exports
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    r = run("map", "--no-plugins", "-i", iid, str(FIXTURES / filename))
    assert "read as Windows-1252 (detected)" in r.stderr
    assert json.loads(r.stdout)["instrument"] == iid  # the mapping on standard output


def test_the_same_mapping_serves_the_next_wave(tmp_path: Path, core: Registry) -> None:
    """A mapping drafted from one wave's export scores the next wave's export as it is."""
    from tests.export_layouts import qualtrics

    iid, filename, _ = LAYOUTS["qualtrics"]
    ins = core.instrument(iid)
    mapping = tmp_path / "mapping.json"
    assert run("map", "--no-plugins", "-i", iid, str(FIXTURES / filename), "-o", str(mapping)).returncode == 0
    wave2 = [dict(r, respondent_id=f"W2_{n}") for n, r in enumerate(reversed(fixture_records(ins)))]
    wave2[0]["decisive-thinker-1"] = None
    wave2[0]["decisive-thinker-1:label"] = "Not applicable"  # a label wave 1 never used
    (tmp_path / "wave2.csv").write_bytes(qualtrics(ins, wave2))
    out = tmp_path / "r.json"
    r = run(
        "score", "--no-plugins", "-i", iid, str(tmp_path / "wave2.csv"), "--mapping", str(mapping), "-q", "-o", str(out)
    )
    assert r.returncode == 0, r.stderr
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["accounting"] == {"input": 14, "accepted": 12, "rejected": 2}
    # the subject left blank (row 10 in this order), and the label the mapping does not know
    by_row = {x["row"]: x["problems"][0] for x in result["rejected"]}
    assert by_row[1]["rule"] == "answer-label" and "'Not applicable'" in by_row[1]["message"]
    assert by_row[10]["rule"] == "required"
