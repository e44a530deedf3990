"""Every element of every framework in the registry (built-ins and both first-party plugins)
read against the lines it cites.

- ``name_status`` is stated for every element;
- an element citing a seed file cites lines inside that file;
- a ``quoted`` name is found in its ``name_lines`` (where given) or else in its ``lines``;
- a ``quoted`` definition is found in its ``lines``;
- an element citing a document that is not a seed file (the example plugin's fictitious
  council) claims no quoted name or definition: there is nothing to check them against.

"Found" means: the text's words, in order, are the words of the cited lines, after Unicode
compatibility normalisation, lower-casing, dropping apostrophes inside words and treating
every run of other punctuation and white space as one word break; superscript digits (the
seeds' footnote marks) are dropped. Nothing looser: a changed,
missing or reordered word fails. The one documented joiner: the ten-point plan's definitions
join two verbatim table cells with the labels 'Key action:' and 'Success criterion:', and each
part is looked up on its own.
"""

from __future__ import annotations

import functools
import importlib.metadata as md
import re
import subprocess
import sys
import unicodedata
from pathlib import Path

import attrs
import pytest

from aspire_models import Registry
from aspire_models.framework import Element, SourceRef
from tests.conftest import SEEDS

SEED_FILES = frozenset(p.name for p in SEEDS.glob("*.txt")) if SEEDS.is_dir() else frozenset()
JOINER = re.compile(r"(?:Key action|Success criterion): ")

pytestmark = pytest.mark.skipif(not SEEDS.is_dir(), reason="source documents (../shared/seeds) not present")


def words(text: str) -> str:
    """The text as its lower-case words, one space apart, with a space at each end."""
    text = re.sub("[\u00b9\u00b2\u00b3\u2070-\u2079]", "", text)  # footnote marks: 'efficiency⁶'
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"(?<=[a-z0-9])['\u2019](?=[a-z0-9])", "", text)
    return " " + " ".join(re.findall(r"[0-9a-z]+", text)) + " "


@functools.cache
def seed_lines(document: str) -> tuple[str, ...]:
    return tuple((SEEDS / document).read_text(encoding="utf-8").splitlines())


def _cited(document: str, span: tuple[int, int]) -> str | None:
    lines = seed_lines(document)
    first, last = span
    if not 1 <= first <= last <= len(lines):
        return None
    return words(" ".join(lines[first - 1 : last]))


def citation_problems(e: Element) -> list[str]:
    """What is wrong with one element's citation; empty when it checks out."""
    src = e.source
    out: list[str] = []
    if e.name_status is None:
        out.append("name_status is not stated")
    if src.document not in SEED_FILES:
        if e.name_status == "quoted" or e.definition_status == "quoted":
            out.append(f"cites {src.document!r}, not a seed file, yet claims a quoted name or definition")
        return out
    n_lines = len(seed_lines(src.document))
    if src.lines is None:
        return [*out, f"cites seed {src.document} without line numbers"]
    cited = _cited(src.document, src.lines)
    if cited is None:
        return [*out, f"lines {src.lines} are not a range inside {src.document} (1-{n_lines})"]
    if e.name_status == "quoted":
        span = src.name_lines or src.lines
        where = _cited(src.document, span)
        if where is None:
            out.append(f"name_lines {span} are not a range inside {src.document} (1-{n_lines})")
        elif words(e.name) not in where:
            out.append(f"quoted name {e.name!r} is not in {src.document} lines {span[0]}-{span[1]}")
    if e.definition_status == "quoted":
        assert e.definition is not None
        for part in (p for p in JOINER.split(e.definition) if p.strip()):
            if words(part) not in cited:
                out.append(
                    f"quoted definition text {part[:60]!r}... is not in {src.document} "
                    f"lines {src.lines[0]}-{src.lines[1]}"
                )
    return out


@pytest.fixture(scope="module")
def reg() -> Registry:
    for dist in ("aspire-public-sector", "aspire-council-values"):
        try:
            md.distribution(dist)
        except md.PackageNotFoundError:
            pytest.fail(f"install plugins/{dist} beside aspire-models (nox does)")
    registry = Registry()
    assert registry.problems == ()
    return registry


def test_the_registry_holds_builtins_and_both_plugins(reg: Registry) -> None:
    owners = {reg.owner("framework", fid) for fid in reg.frameworks}
    assert {"aspire_models.builtins", "public_sector"} <= owners
    assert "anytown-values" in reg.frameworks
    assert sum(len(fw) for fw in reg.frameworks.values()) > 300


def test_every_element_of_every_framework_checks_out(reg: Registry) -> None:
    """One test over the whole registry, so that a new plugin framework is covered by it
    without being listed here; the failure names every bad element."""
    bad = [
        f"{fw.id}/{e.id}: {problem}" for fw in reg.frameworks.values() for e in fw for problem in citation_problems(e)
    ]
    assert not bad, "\n".join(bad)


def test_every_shipped_element_states_its_name_status(reg: Registry) -> None:
    counts: dict[str | None, int] = {}
    for fw in reg.frameworks.values():
        for e in fw:
            counts[e.name_status] = counts.get(e.name_status, 0) + 1
    assert None not in counts
    assert counts["quoted"] > counts["paraphrased"] > 0
    assert counts["project"] >= 10  # the example plugin's fictitious values


# -- the check fails when it should ---------------------------------------------------------
def _moved(e: Element, lines: tuple[int, int]) -> Element:
    return attrs.evolve(e, source=attrs.evolve(e.source, lines=lines))


@pytest.mark.parametrize(
    ("fid", "eid"),
    [
        ("cipd-sop-eight-themes", "leadership"),
        ("cipd-innovation-barriers", "evaluation-systems"),
        ("ies-roles-played-by-hr", "strategic-partner"),
        ("aspire-commissioning-key-themes", "continuous-communication"),
        ("cipd-hr-map", "employee-relations"),
    ],
)
def test_a_wrong_line_number_fails(reg: Registry, fid: str, eid: str) -> None:
    """One line late, one line early, a line short, or far away: each loses part of the
    quoted name or definition, and is reported."""
    e = reg.framework(fid).element(eid)
    assert citation_problems(e) == []
    assert e.source.lines is not None
    first, last = e.source.lines
    for lines in ((first + 1, last + 1), (first - 1, last - 1), (first + 200, last + 200)):
        assert citation_problems(_moved(e, lines=lines)), (fid, eid, lines)
    if first < last:
        assert citation_problems(_moved(e, lines=(first + 1, last)))
        assert citation_problems(_moved(e, lines=(first, last - 1)))


def test_a_range_outside_the_file_fails(reg: Registry) -> None:
    e = reg.framework("cipd-sop-eight-themes").element("alignment")
    [problem] = citation_problems(_moved(e, lines=(999_998, 999_999)))
    assert "not a range inside" in problem
    [problem] = citation_problems(_moved(e, lines=(20, 10)))
    assert "not a range inside" in problem


def test_a_project_name_passed_off_as_quoted_fails(reg: Registry) -> None:
    e = reg.framework("aspire-commissioning-key-themes").element("outcome-data-measures")
    assert e.name_status == "paraphrased" and citation_problems(e) == []
    [problem] = citation_problems(attrs.evolve(e, name_status="quoted"))
    assert "quoted name 'Outcome data measures' is not in" in problem


def test_a_name_given_elsewhere_needs_its_name_lines(reg: Registry) -> None:
    e = reg.framework("devolved-super-councils-hr-areas").element("best-fit-hr")
    assert e.source.name_lines is not None and citation_problems(e) == []
    [problem] = citation_problems(attrs.evolve(e, source=attrs.evolve(e.source, name_lines=None)))
    assert "quoted name" in problem


def test_a_changed_word_fails_but_spacing_case_and_punctuation_do_not(reg: Registry) -> None:
    e = reg.framework("cipd-innovation-barriers").element("silos")
    assert e.definition is not None
    loose = e.definition.upper().replace(" ", "  \n").replace("(", "[").replace(")", "]")
    assert citation_problems(attrs.evolve(e, definition=loose)) == []
    changed = e.definition.replace("do not", "never")
    assert citation_problems(attrs.evolve(e, definition=changed))
    dropped = e.definition.replace("silos that", "silos")
    assert citation_problems(attrs.evolve(e, definition=dropped))


def test_unstated_name_status_and_unsourced_quotes_are_reported() -> None:
    e = Element(
        id="x",
        name="Customer first",
        kind="value",
        definition="Residents come first.",
        definition_status="quoted",
        source=SourceRef(document="a README", section="values"),
    )
    problems = citation_problems(e)
    assert "name_status is not stated" in problems
    assert any("not a seed file" in p for p in problems)


def test_words() -> None:
    assert words("Balancing short- and\nlong-term  horizons") == " balancing short and long term horizons "
    assert words("don’t ‘Best Fit’ HR") == " dont best fit hr "
    assert words("ﬁt") == " fit "
    assert words("A relentless drive for efficiency⁶") == " a relentless drive for efficiency "


def test_seed_files_are_found() -> None:
    assert len(SEED_FILES) == 5
    assert all(isinstance(n, str) for n in SEED_FILES)
    assert Path(SEEDS / "000_77ac12d120e17bdb.txt").is_file()


def test_frameworks_show_says_where_names_come_from() -> None:
    r = subprocess.run(
        [sys.executable, "-m", "aspire_models.cli", "frameworks", "show", "aspire-commissioning-key-themes"],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert r.returncode == 0, r.stderr
    block = r.stdout.split("\nOutcome data measures (outcome-data-measures)")[1].split("\n\n")[0]
    assert "  Name: our wording of what the source says" in block
    block = r.stdout.split("\nContinuous communication (continuous-communication)")[1].split("\n\n")[0]
    assert "  Name: quoted from the source" in block


def test_hr_parenting_percentages_are_data_and_match_the_findings(reg: Registry) -> None:
    fw = reg.framework("hr-parenting-findings-and-actions")
    findings = fw.elements_of_kind("finding")
    percents = {e.id: e.attributes["percent"] for e in findings if "percent" in e.attributes}
    assert list(percents.values()) == [22, 15, 20, 32, 36, 100]
    for e in findings:
        if e.id in percents:
            assert e.name.startswith(f"{percents[e.id]:g}% of "), e.name
        else:
            assert "%" not in e.name
        assert fw.children(e.id), f"{e.id} has no proposed action"
    assert [a.name for a in fw.elements_of_kind("area")] == [
        "Training",
        "Policies and Procedures",
        "Preventing Action being taken",
        "The Future of HR",
    ]
