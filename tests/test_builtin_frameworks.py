"""The four built-in frameworks, checked against the source documents."""

from __future__ import annotations

import re

import pytest

from aspire_models import Registry
from tests.conftest import SEEDS

EIGHT_THEMES = [
    "alignment",
    "shared-purpose",
    "leadership",
    "locus-of-engagement",
    "assessment-and-evaluation",
    "balancing-horizons",
    "agility",
    "capability-building",
]


def test_four_core_builtins_and_the_practice_list(core: Registry) -> None:
    assert set(core.frameworks) == {
        "hr-practice-innovations",
        "cipd-sop-eight-themes",
        "cipd-hr-map",
        "ulrich-hr-competencies",
        "rogers-diffusion-of-innovation",
    }
    for fid in core.frameworks:
        assert core.owner("framework", fid) == "aspire_models.builtins"


def test_eight_themes_with_definitions(core: Registry) -> None:
    fw = core.framework("cipd-sop-eight-themes")
    assert [e.id for e in fw.elements] == EIGHT_THEMES
    for e in fw.elements:
        assert e.definition and e.definition_status == "quoted"
        assert e.source.document.startswith("000_") or e.source.document.startswith("001_")
    assert "future-oriented vision" in fw.element("leadership").definition  # type: ignore[operator]


def test_hr_map_has_two_kinds(core: Registry) -> None:
    fw = core.framework("cipd-hr-map")
    behaviours = [e.id for e in fw.elements_of_kind("behaviour")]
    assert behaviours == [
        "decisive-thinker",
        "skilled-influencer",
        "personally-credible",
        "collaborative",
        "driven-to-deliver",
        "courage-to-challenge",
    ]
    areas = [e.id for e in fw.elements_of_kind("professional-area")]
    assert {"organisational-design", "performance-and-reward", "employee-relations"} <= set(areas)


def test_ulrich_six(core: Registry) -> None:
    fw = core.framework("ulrich-hr-competencies")
    assert [e.id for e in fw.elements] == [
        "credible-activist",
        "strategic-positioner",
        "capability-builder",
        "change-champion",
        "hr-innovator-and-integrator",
        "technology-proponent",
    ]


def test_rogers_shares_and_boundaries(core: Registry) -> None:
    fw = core.framework("rogers-diffusion-of-innovation")
    cats = fw.elements_of_kind("adopter-category")
    assert [c.attributes["share"] for c in cats] == [0.025, 0.135, 0.34, 0.34, 0.16]
    assert sum(c.attributes["share"] for c in cats) == pytest.approx(1.0)
    assert fw.element("innovators").attributes["z_upper"] == -2
    assert fw.element("laggards").attributes["z_lower"] == 1
    assert fw.element("the-chasm").attributes["cumulative_share"] == pytest.approx(0.16)


def _normalise(text: str) -> str:
    text = text.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    text = re.sub(r"(\w)-\s*\n\s*(\w)", r"\1-\2", text)  # words hyphenated across a line break
    return re.sub(r"[\s*_]+", " ", text).strip().lower()


@pytest.mark.skipif(not SEEDS.is_dir(), reason="source documents (../shared/seeds) not present")
def test_quoted_definitions_appear_in_the_cited_seed(core: Registry) -> None:
    """Every 'quoted' definition is found verbatim (up to white space) in the seed it cites."""
    missing = []
    for fw in core.frameworks.values():
        for e in fw.elements:
            if e.definition_status != "quoted":
                continue
            seed = SEEDS / e.source.document
            assert seed.is_file(), f"{fw.id}/{e.id} cites {e.source.document}, which is not a seed file"
            body = _normalise(seed.read_text(encoding="utf-8"))
            if _normalise(e.definition or "") not in body:
                missing.append(f"{fw.id}/{e.id}")
    assert not missing, f"quoted definitions not found verbatim in their seed: {missing}"


def test_every_element_cites_a_source(core: Registry) -> None:
    for fw in core.frameworks.values():
        for e in fw.elements:
            assert e.source.document and e.source.section, f"{fw.id}/{e.id}"
