"""The `aspire` command as a user runs it: the installed console script, in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import minimal_framework

ASPIRE = Path(sys.executable).with_name("aspire")


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    assert ASPIRE.exists(), f"console script not installed at {ASPIRE}"
    return subprocess.run([str(ASPIRE), *args], capture_output=True, text=True, cwd=cwd, timeout=120)


def test_frameworks_lists_builtins_and_example_plugin() -> None:
    r = run("frameworks")
    assert r.returncode == 0, r.stderr
    for fid in (
        "cipd-sop-eight-themes",
        "cipd-hr-map",
        "ulrich-hr-competencies",
        "rogers-diffusion-of-innovation",
        "anytown-values",
    ):
        assert fid in r.stdout
    assert "council_values" in r.stdout  # which plugin contributed it


def test_frameworks_no_plugins() -> None:
    r = run("frameworks", "--no-plugins")
    assert r.returncode == 0 and "anytown-values" not in r.stdout


def test_show_eight_themes_prints_definitions_and_sources() -> None:
    r = run("frameworks", "show", "cipd-sop-eight-themes")
    assert r.returncode == 0, r.stderr
    for name in (
        "Alignment",
        "Shared purpose",
        "Leadership",
        "Locus of engagement",
        "Assessment and evaluation",
        "Balancing short- and long-term horizons",
        "Agility",
        "Capability-building",
    ):
        assert f"\n{name} (" in r.stdout
    assert "future-oriented vision" in r.stdout
    assert r.stdout.count("Source: 000_77ac12d120e17bdb.txt") >= 8


def test_show_json_is_the_document() -> None:
    r = run("frameworks", "show", "cipd-hr-map", "--json")
    doc = json.loads(r.stdout)
    assert doc["id"] == "cipd-hr-map" and {k["id"] for k in doc["kinds"]} == {"behaviour", "professional-area"}


def test_show_not_given_definition_is_said() -> None:
    r = run("frameworks", "show", "cipd-hr-map")
    assert "(the source gives no definition)" in r.stdout


def test_unknown_id_is_a_usage_error() -> None:
    r = run("frameworks", "show", "cipd-hr-mapp")
    assert r.returncode == 2
    assert "did you mean 'cipd-hr-map'" in r.stderr


def test_usage_errors_exit_2() -> None:
    assert run().returncode == 2
    assert run("nonsense").returncode == 2
    assert run("frameworks", "show").returncode == 2


def test_plugins_lists_distribution_and_version() -> None:
    r = run("plugins")
    assert r.returncode == 0
    assert "aspire_models.builtins" in r.stdout and "aspire-models" in r.stdout
    assert "council_values" in r.stdout and "aspire-council-values" in r.stdout and "0.1.0" in r.stdout
    data = json.loads(run("plugins", "--json").stdout)
    assert data["problems"] == []


def test_validate_good_and_bad(tmp_path: Path) -> None:
    good = tmp_path / "good.json"
    good.write_text(json.dumps(minimal_framework()))
    r = run("validate", str(good))
    assert r.returncode == 0 and "valid framework" in r.stdout

    doc = minimal_framework()
    doc["elements"][1]["id"] = "trust"
    doc["elements"][0]["kind"] = "behaviour"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    r = run("validate", str(bad))
    assert r.returncode == 1
    assert str(bad) in r.stderr
    assert "$.elements[1].id" in r.stderr and "unique-element-id" in r.stderr
    assert "$.elements[0].kind" in r.stderr and "declared-kind" in r.stderr

    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    r = run("validate", str(broken))
    assert r.returncode == 1 and "not valid JSON" in r.stderr

    assert run("validate", str(tmp_path / "missing.json")).returncode == 2


def test_validate_instrument_checks_framework_references(tmp_path: Path) -> None:
    r = run("instruments", "show", "ulrich-hr-competency-self-assessment", "--json")
    doc = json.loads(r.stdout)
    doc["items"][2]["element"] = "nope"
    path = tmp_path / "ins.json"
    path.write_text(json.dumps(doc))
    r = run("validate", str(path))
    assert r.returncode == 1 and "$.items[2].element" in r.stderr


def test_instruments_list_and_show() -> None:
    r = run("instruments")
    assert "aspire-sop-self-assessment" in r.stdout and "ulrich-hr-competency-self-assessment" in r.stdout
    r = run("instruments", "show", "aspire-sop-self-assessment")
    assert "leadership.now" in r.stdout and "hr-tools-used" in r.stdout


def test_demo_prints_theme_table_and_priorities() -> None:
    r = run("demo")
    assert r.returncode == 0, r.stderr
    assert "Top priority: leadership. Quick wins: alignment, agility." in r.stdout
    assert "14 respondents, 14 scored, 0 rejected" in r.stdout
    line = next(ln for ln in r.stdout.splitlines() if ln.startswith("Leadership "))
    assert "7.00" in line and "9.00" in line and "key-priority" in line


def test_score_writes_json_and_reports_rejections(tmp_path: Path) -> None:
    from aspire_models.examples import example_path

    text = example_path("aspire-sop-responses.csv").read_text()
    lines = text.splitlines()
    header = lines[0].split(",")
    row = lines[1].split(",")
    row[0] = "R999"
    row[header.index("leadership.now")] = "11"
    csv = tmp_path / "responses.csv"
    csv.write_text("\n".join([*lines, ",".join(row)]) + "\n")
    out = tmp_path / "result.json"
    r = run("score", "--instrument", "aspire-sop-self-assessment", str(csv), "-o", str(out))
    assert r.returncode == 0, r.stderr
    result = json.loads(out.read_text())
    assert result["accounting"] == {"input": 15, "accepted": 14, "rejected": 1}
    [rej] = result["rejected"]
    assert rej["row"] == 15
    assert rej["problems"][0]["field"] == "leadership.now" and rej["problems"][0]["rule"] == "maximum"
    assert "row 15: column 'leadership.now'" in r.stdout


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        ("", "the file is empty"),
        ("respondent_id,organisation,bogus\n1,A,3\n", "column 'bogus'"),
    ],
)
def test_score_file_level_errors_exit_1(tmp_path: Path, content: str, needle: str) -> None:
    csv = tmp_path / "r.csv"
    csv.write_text(content)
    r = run("score", "-i", "aspire-sop-self-assessment", str(csv))
    assert r.returncode == 1
    assert needle in r.stderr and str(csv) in r.stderr


def test_score_unknown_instrument_exit_2(tmp_path: Path) -> None:
    csv = tmp_path / "r.csv"
    csv.write_text("respondent_id\n1\n")
    assert run("score", "-i", "no-such-instrument", str(csv)).returncode == 2


def test_score_pseudonymised_and_failures(tmp_path: Path) -> None:
    from aspire_models.examples import example_path

    key = tmp_path / "key"
    key.write_text("s3cret\n")
    out = tmp_path / "r.json"
    r = run(
        "score",
        "-i",
        "aspire-sop-self-assessment",
        str(example_path("aspire-sop-responses.csv")),
        "--pseudonymise-key-file",
        str(key),
        "--include-respondents",
        "-o",
        str(out),
    )
    assert r.returncode == 0, r.stderr
    text = out.read_text()
    assert "R001" not in text and "respondent-scores" in text
    # a scorer that cannot run on these data is reported and makes the exit code 1
    r = run(
        "score",
        "-i",
        "aspire-sop-self-assessment",
        str(example_path("aspire-sop-responses.csv")),
        "--param",
        "gap-priority.now_mode=before",
    )
    assert r.returncode == 1
    assert "scorer 'gap-priority'" in r.stderr and "'before'" in r.stderr
    assert "sector (24 rows)" in r.stdout  # the other scorers still ran (the summary lists their tables)
