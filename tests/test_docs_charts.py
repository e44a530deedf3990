"""The docs' pictures: the Sphinx extension ``docs/_ext/aspire_charts.py`` draws every chart
it names from the bundled examples with the report code, and the getting-started guide's
report example runs as the page shows it."""

from __future__ import annotations

import re
import runpy
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

pytest.importorskip("matplotlib")
pytest.importorskip("sphinx")

DOCS = Path(__file__).resolve().parents[1] / "docs"


@pytest.fixture(scope="module")
def ext() -> object:
    sys.path.insert(0, str(DOCS / "_ext"))
    try:
        import aspire_charts
    finally:
        sys.path.remove(str(DOCS / "_ext"))
    return aspire_charts


def test_every_named_chart_is_drawn_from_the_examples(ext: object) -> None:
    from aspire_models.reports.markdown import svg_file

    charts = ext.draw_all()  # type: ignore[attr-defined]
    assert sorted(charts) == sorted(ext.CHARTS)  # type: ignore[attr-defined]
    for name, chart in charts.items():
        root = ET.fromstring(svg_file(chart.svg).split("?>", 1)[1])
        assert root.tag.endswith("svg"), name
        assert len(chart.svg) > 5000, name  # a drawing, not an empty frame
        assert re.search(r"\d\.\d|: \d", chart.description), (name, chart.description[:120])  # its figures
    # organisation-level pictures of councils of 2-4: a smaller group chosen explicitly
    assert "Council C" in charts["benchmark"].description


def test_every_chart_directive_names_a_known_chart(ext: object) -> None:
    used = set()
    for page in DOCS.glob("*.rst"):
        used |= set(re.findall(r"^\.\. aspire-chart:: (\S+)", page.read_text(encoding="utf-8"), re.M))
    assert used and used <= set(ext.CHARTS)  # type: ignore[attr-defined]
    assert used == set(ext.CHARTS), "the gallery shows every chart"  # type: ignore[attr-defined]


def test_getting_started_ends_in_a_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = (DOCS / "getting-started.rst").read_text(encoding="utf-8")
    assert "pip install '.[reports]'" in text
    last = text.rsplit("\n---", 1)[0].rsplit("\n", 1)[-1]
    assert last == "A report for your board"
    monkeypatch.chdir(tmp_path)
    runpy.run_path(str(DOCS / "examples" / "board_report.py"), run_name="__main__")
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    # gaps and priorities (3), five councils (5), and whatever the aggregate draws
    assert html.count('<figure class="chart"') >= 3 + 5
    assert html.count("against the benchmark distribution") == 5
    assert "PRIVACY NOTICE" in html


def test_performance_page_is_written_for_users() -> None:
    page = (DOCS / "performance.rst").read_text(encoding="utf-8")
    assert not re.search(r"\bcommit [0-9a-f]{7}", page), "commit ids belong in benchmarks/README.md"
    assert "Tried and not kept" not in page and "What to expect" in page and "How it scales" in page
    assert ".. aspire-scaling-chart::" in page
    notes = (DOCS.parent / "benchmarks" / "README.md").read_text(encoding="utf-8")
    assert "Tried and not kept" in notes and "Maintainers' notes" in notes


def test_scaling_chart_states_its_figures(ext: object) -> None:
    svg, alt = ext.scaling_chart({"CSV file": [(1e5, 0.33), (1e6, 2.14)]})  # type: ignore[attr-defined]
    assert ET.fromstring(svg.split("?>", 1)[1]).tag.endswith("svg")
    assert alt.endswith("CSV file: 100,000 respondents 0.33 s, 1,000,000 respondents 2.14 s")


def test_api_pages_and_source_citations() -> None:
    sys.path.insert(0, str(DOCS / "_ext"))
    try:
        import aspire_api
        import aspire_catalogue
    finally:
        sys.path.remove(str(DOCS / "_ext"))
    page = aspire_api.api_page("aspire_models.engine", [":members:", ":show-inheritance:"])
    assert page.splitlines()[2:4] == ["``aspire_models.engine``", "=" * len("``aspire_models.engine``")]
    assert ".. rubric:: On this page" in page and "* :func:`~aspire_models.engine.score`" in page
    assert ".. automodule:: aspire_models.engine" in page
    parts = aspire_catalogue.citation("000_77ac12d120e17bdb.txt", "Section 3", (1982, 2025))
    text = "".join(p if isinstance(p, str) else p.astext() for p in parts)
    assert text == "Aspire HRBP research booklet, Section 3, lines 1982–2025"
    assert parts[0]["reftarget"] == "source-000"  # type: ignore[index]
    # a plugin's own document keeps its name
    assert aspire_catalogue.citation("README (example)", "Values", None) == ["README (example)", ", Values"]
