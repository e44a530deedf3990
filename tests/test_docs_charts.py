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
    assert html.count('<figure class="chart"') == 3 + 5  # gaps and priorities, five councils
    assert "PRIVACY NOTICE" in html
