"""The first-party plugin distribution plugins/aspire-public-sector, as users install it.

It must be installed beside aspire-models (nox does; by hand:
``pip install -e plugins/aspire-public-sector``). It is registered only through the public
hooks, so a core-only registry, and ``import aspire_models``, never see it.
"""

from __future__ import annotations

import csv
import importlib.metadata as md
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from aspire_models import Registry
from aspire_models.instrument import META_COLUMNS, Instrument, NumericScale

ROOT = Path(__file__).resolve().parents[1]
PLUGIN = ROOT / "plugins" / "aspire-public-sector"
PACKAGE = PLUGIN / "src" / "aspire_public_sector"
SEEDS = ROOT.parent / "shared" / "seeds"
PLUGIN_NAME = "public_sector"

#: the source documents every framework cites (file names in ../shared/seeds/)
SEED_FILES = frozenset(
    {
        "000_77ac12d120e17bdb.txt",
        "001_6b8b41d90e08dbd0.txt",
        "002_a0ab8b9a0d372cda.txt",
        "003_0cec8ed635003a55.txt",
        "004_cceaeb49f35b8f9a.txt",
    }
)

#: instrument id -> framework it measures
INSTRUMENTS = {
    "customer-focused-leadership-stop-start": "customer-focused-leadership-characteristics",
    "performance-management-principles-assessment": "performance-management-ten-principles",
    "community-engagement-culture-audit": "community-engagement-culture",
    "integration-readiness-check": "successful-integration-key-considerations",
    "innovation-barriers-audit": "cipd-innovation-barriers",
    "commercial-thinking-self-assessment": "commercial-thinking-wheel",
}


def _load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


FRAMEWORK_FILES = sorted((PACKAGE / "frameworks").glob("*.json"))
FRAMEWORK_DOCS = {p.stem: _load(p) for p in FRAMEWORK_FILES}
INSTRUMENT_DOCS = {p.stem: _load(p) for p in sorted((PACKAGE / "instruments").glob("*.json"))}


def aspire(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """The ordinary CLI, in a subprocess (as `aspire ...`)."""
    return subprocess.run(
        [sys.executable, "-m", "aspire_models.cli", *args], capture_output=True, text=True, cwd=cwd, timeout=180
    )


@pytest.fixture(scope="module")
def reg() -> Registry:
    try:
        md.distribution("aspire-public-sector")
    except md.PackageNotFoundError:
        pytest.fail("install plugins/aspire-public-sector (pip install -e plugins/aspire-public-sector; nox does)")
    return Registry()


def test_the_package_holds_the_expected_documents() -> None:
    assert len(FRAMEWORK_FILES) == 53
    for stem, doc in FRAMEWORK_DOCS.items():
        assert doc["id"] == stem, "file name and framework id must agree"
    assert set(INSTRUMENT_DOCS) == set(INSTRUMENTS)


# -- (a) installed: everything registered, through the entry point -------------------------
def test_installed_plugin_registers_without_problems(reg: Registry) -> None:
    assert reg.problems == ()
    info = {p.name: p for p in reg.plugins()}[PLUGIN_NAME]
    assert info.distribution == "aspire-public-sector" and info.version
    assert info.module == "aspire_public_sector"


def test_installed_plugin_lists_all_frameworks_and_instruments(reg: Registry) -> None:
    for fid in FRAMEWORK_DOCS:
        assert fid in reg.frameworks, fid
        assert reg.owner("framework", fid) == PLUGIN_NAME
    for iid, fid in INSTRUMENTS.items():
        assert iid in reg.instruments, iid
        assert reg.owner("instrument", iid) == PLUGIN_NAME
        assert reg.instrument(iid).framework == fid


def test_hooks_return_sorted_package_resources() -> None:
    import aspire_public_sector as plugin

    frameworks = plugin.aspire_frameworks()
    instruments = plugin.aspire_instruments()
    assert [p.name for p in frameworks] == sorted(p.name for p in FRAMEWORK_FILES)
    assert [p.name for p in instruments] == sorted(f"{i}.json" for i in INSTRUMENTS)


def test_plugin_alone_beside_the_builtins() -> None:
    """Registered by hand (not via the entry point), the plugin is complete on its own."""
    import aspire_public_sector as plugin

    reg = Registry(entry_points=False, plugins=[plugin])
    assert reg.problems == ()
    assert set(FRAMEWORK_DOCS) <= set(reg.frameworks)
    assert set(INSTRUMENTS) <= set(reg.instruments)


# -- (b) core only: none of it ---------------------------------------------------------------
def test_core_registry_lists_none_of_it() -> None:
    core = Registry(entry_points=False)
    assert not set(FRAMEWORK_DOCS) & set(core.frameworks)
    assert not set(INSTRUMENTS) & set(core.instruments)
    assert PLUGIN_NAME not in {p.name for p in core.plugins()}


def test_importing_aspire_models_never_imports_the_plugin() -> None:
    code = (
        "import aspire_models, sys; from aspire_models import Registry; "
        "Registry(entry_points=False).frameworks; assert 'aspire_public_sector' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_cli_without_plugins_lists_none_of_it() -> None:
    r = aspire("frameworks", "--json", "--no-plugins")
    assert r.returncode == 0, r.stderr
    assert not {row["id"] for row in json.loads(r.stdout)} & set(FRAMEWORK_DOCS)


# -- (c) provenance ------------------------------------------------------------------------
@pytest.mark.parametrize("fid", sorted(FRAMEWORK_DOCS))
def test_every_element_has_a_source_with_document_and_section(fid: str) -> None:
    doc = FRAMEWORK_DOCS[fid]
    assert doc["source"]["document"] in SEED_FILES
    assert doc["source"].get("section", "").strip()
    missing = [
        e["id"]
        for e in doc["elements"]
        if not isinstance(e.get("source"), dict)
        or not str(e["source"].get("document", "")).strip()
        or not str(e["source"].get("section", "")).strip()
    ]
    assert not missing, f"{fid}: elements without a source document and section: {missing}"


@pytest.mark.parametrize("fid", sorted(FRAMEWORK_DOCS))
def test_quoted_definitions_cite_a_seed_file(fid: str, reg: Registry) -> None:
    for e in reg.framework(fid).elements:
        assert e.source.document and e.source.section
        if e.definition_status == "quoted":
            assert e.source.document in SEED_FILES, (fid, e.id, e.source.document)
        if e.definition_status == "not-given":
            assert e.definition is None


def test_seed_files_are_the_ones_on_disk() -> None:
    if not SEEDS.is_dir():
        pytest.skip("seed documents not present")
    assert {p.name for p in SEEDS.iterdir() if p.suffix == ".txt"} == SEED_FILES


def _squash(text: str) -> str:
    """Compare quotations with the seed text regardless of line breaks, spacing and quote marks."""
    for a, b in (("’", "'"), ("‘", "'"), ("“", '"'), ("”", '"'), ("–", "-"), ("—", "-")):
        text = text.replace(a, b)
    return re.sub(r"\s+", "", text).lower()


@pytest.mark.parametrize("fid", sorted(FRAMEWORK_DOCS))
def test_quoted_definitions_are_in_the_cited_lines(fid: str) -> None:
    """A quoted definition is in its seed within the cited lines (the ten-point plan joins two
    verbatim table cells with 'Key action:' and 'Success criterion:' labels, as its note says)."""
    if not SEEDS.is_dir():
        pytest.skip("seed documents not present")
    for e in FRAMEWORK_DOCS[fid]["elements"]:
        src = e["source"]
        lines = (SEEDS / src["document"]).read_text(encoding="utf-8").splitlines()
        if "lines" in src:
            first, last = src["lines"]
            assert 1 <= first <= last <= len(lines), (fid, e["id"], src["lines"])
        if e["definition_status"] != "quoted":
            continue
        first, last = src["lines"]
        cited = _squash(" ".join(lines[first - 1 : last]))
        parts = [p for p in re.split(r"(?:Key action|Success criterion): ", e["definition"]) if p.strip()]
        for part in parts:
            assert _squash(part).rstrip(".") in cited, (fid, e["id"], part[:80])


# -- the instruments -----------------------------------------------------------------------
@pytest.mark.parametrize("iid", sorted(INSTRUMENTS))
def test_instrument_design(iid: str, reg: Registry) -> None:
    ins = reg.instrument(iid)
    fw = reg.framework(INSTRUMENTS[iid])
    assert ins.design == "self-assessment"
    assert ins.authorship and "aspire-models" in ins.authorship
    assert ins.source is not None and ins.source.document in SEED_FILES and ins.source.section
    for s in ins.scales:
        assert isinstance(s, NumericScale) and (s.min, s.max, s.integer) == (1, 5, True)
        assert [v for v, _ in s.anchors] == [1, 2, 3, 4, 5]
    assert {"dimension-scores", "aggregate"} <= {r.scorer for r in ins.scoring}
    # every element of the measured kind(s), 2-4 items each
    per_element: dict[str, int] = {}
    for it in ins.items:
        assert it.element is not None
        per_element[it.element] = per_element.get(it.element, 0) + 1
    kinds = {fw.element(e).kind for e in per_element}
    assert set(per_element) == {e.id for e in fw.elements if e.kind in kinds}
    assert all(2 <= k <= 4 for k in per_element.values()), per_element


def test_commercial_thinking_measures_segments_not_tools(reg: Registry) -> None:
    ins = reg.instrument("commercial-thinking-self-assessment")
    fw = reg.framework("commercial-thinking-wheel")
    assert set(ins.elements_measured()) == {e.id for e in fw.elements_of_kind("segment")}


@pytest.mark.parametrize("iid", sorted(INSTRUMENTS))
def test_items_trace_to_the_source(iid: str, reg: Registry) -> None:
    """Each item cites a seed; items on undefined elements trace to the element's name and
    never claim a definition."""
    ins = reg.instrument(iid)
    fw = reg.framework(ins.framework)
    for it in ins.items:
        assert it.traces_to, it.id
        assert it.element is not None
        element = fw.element(it.element)
        assert any(s in it.traces_to for s in SEED_FILES), (iid, it.id)
        if element.definition_status == "not-given":
            assert f"'{element.name}'" in it.traces_to, (iid, it.id)
            assert "definition not given" in it.traces_to, (iid, it.id)
            assert "Quoted definition" not in it.traces_to, (iid, it.id)


def test_stop_start_model(reg: Registry) -> None:
    ins = reg.instrument("customer-focused-leadership-stop-start")
    for e in ins.elements_measured():
        questions = {q.id for q in ins.open_questions if q.element == e}
        assert questions == {f"{e}-stop", f"{e}-start"}
        assert sum(it.reverse for it in ins.items if it.element == e) == 1  # the 'stop' statement
    assert "stop/start" in ins.description


def test_performance_management_raters() -> None:
    doc = INSTRUMENT_DOCS["performance-management-principles-assessment"]
    assert [r["id"] for r in doc["rater_roles"]] == ["self", "peer"]


def test_innovation_barriers_direction_is_documented(reg: Registry) -> None:
    ins = reg.instrument("innovation-barriers-audit")
    assert "higher scores mean a stronger barrier" in ins.description.lower()
    assert not any(it.reverse for it in ins.items)


# -- (d) the bundled examples score through the CLI ------------------------------------------
def _example(iid: str) -> Path:
    return PACKAGE / "examples" / f"{iid}.csv"


@pytest.mark.parametrize("iid", sorted(INSTRUMENTS))
def test_example_columns_are_the_instruments(iid: str, reg: Registry) -> None:
    ins = reg.instrument(iid)
    with _example(iid).open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    header, body = rows[0], rows[1:]
    meta = ["respondent_id", "organisation"] + (["rater_role"] if ins.rater_roles else [])
    assert set(meta) <= set(META_COLUMNS)
    assert header == meta + [c.name for c in ins.columns()]
    assert 30 <= len(body) <= 60
    assert {r[1] for r in body} == {"Council A", "Council B", "Council C", "Council D"}
    numeric = [header.index(c.name) for c in ins.numeric_columns()]
    blanks = sum(1 for r in body for j in numeric if r[j] == "")
    assert 1 <= blanks <= 10, "a few missing answers"


def test_examples_are_what_the_generator_writes(tmp_path: Path) -> None:
    from aspire_public_sector.examples import _generate

    for iid in INSTRUMENTS:
        ins = Instrument.from_dict(_load(PACKAGE / "instruments" / f"{iid}.json"))
        header, rows = _generate.generate(ins)
        out = tmp_path / f"{iid}.csv"
        with out.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(header)
            w.writerows(rows)
        assert out.read_bytes() == _example(iid).read_bytes(), f"regenerate {iid}.csv"


@pytest.mark.parametrize("iid", sorted(INSTRUMENTS))
def test_example_scores_through_the_cli(iid: str, reg: Registry, tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    r = aspire("score", "--instrument", iid, str(_example(iid)), "-o", str(out))
    assert r.returncode == 0, r.stderr
    result = json.loads(out.read_text(encoding="utf-8"))
    acc = result["accounting"]
    assert acc["input"] == acc["accepted"] + acc["rejected"]
    assert acc["accepted"] > 0
    measured = set(reg.instrument(iid).elements_measured())
    outputs = {o["scorer"]: o for o in result["outputs"]}
    assert set(outputs["dimension-scores"]["summary"]["dimensions"]) == measured
    sector = outputs["aggregate"]["tables"]["sector"]
    col = sector["columns"].index("element")
    assert {row[col] for row in sector["rows"]} == measured
    orgs = outputs["aggregate"]["tables"]["organisations"]
    ocol, ecol = orgs["columns"].index("organisation"), orgs["columns"].index("element")
    assert {(row[ocol], row[ecol]) for row in orgs["rows"]} == {
        (c, e) for c in ("Council A", "Council B", "Council C", "Council D") for e in measured
    }


# -- (e) `aspire frameworks` ---------------------------------------------------------------
def test_cli_frameworks_lists_the_plugin_frameworks(reg: Registry) -> None:
    r = aspire("frameworks")
    assert r.returncode == 0, r.stderr
    listed = {line.split()[0] for line in r.stdout.splitlines()[2:] if line.strip()}
    assert set(FRAMEWORK_DOCS) <= listed
    r = aspire("frameworks", "--json")
    assert r.returncode == 0, r.stderr
    owners = {row["id"]: row["plugin"] for row in json.loads(r.stdout)}
    assert all(owners.get(fid) == PLUGIN_NAME for fid in FRAMEWORK_DOCS)


def test_cli_instruments_lists_the_plugin_instruments() -> None:
    r = aspire("instruments", "--json")
    assert r.returncode == 0, r.stderr
    owners = {row["id"]: row["plugin"] for row in json.loads(r.stdout)}
    assert all(owners.get(iid) == PLUGIN_NAME for iid in INSTRUMENTS)
