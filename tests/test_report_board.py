"""Reports fit for a board: text contrast in the charts, alternative text that states the
data, labels in the framework's own words, a one-subject 360 report, the team-view chart,
Markdown with its charts as SVG files, cautions on small benchmark reference groups and the
print stylesheet. (The page as a browser draws and prints it: tests/test_report_browser.py.)"""

from __future__ import annotations

import re
import sys
import xml.etree.ElementTree as ET
from html import unescape
from pathlib import Path

import pytest

from aspire_models import Registry, Result, UnknownIdError, score
from aspire_models.examples import example_path
from aspire_models.instrument import ScoringRule
from aspire_models.reports import render_html, render_markdown, write_report
from aspire_models.reports.model import _plural
from tests.report_data import hostile_results

pytest.importorskip("matplotlib")

ASPIRE = Path(sys.executable).with_name("aspire")


def contrast(fg: str, bg: str = "#ffffff") -> float:
    """WCAG 2.1 contrast ratio of two #rrggbb colours."""

    def lum(h: str) -> float:
        rgb = [int(h.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
        lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]

    hi, lo = sorted((lum(fg), lum(bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_contrast_function_knows_the_failures_found() -> None:
    # the palette colours once used for text: orange ("Possible overkill"), green ("Quick win")
    assert round(contrast("#E69F00"), 2) == 2.25 and round(contrast("#009E73"), 2) == 3.42
    assert contrast("#000000") == pytest.approx(21.0)


@pytest.fixture(scope="module")
def hostile(core: Registry, tmp_path_factory: pytest.TempPathFactory) -> list[Result]:
    return hostile_results(core, tmp_path_factory.mktemp("board"))


@pytest.fixture(scope="module")
def page(core: Registry, hostile: list[Result]) -> str:
    return render_html(hostile, core)


@pytest.fixture(scope="module")
def ipa(core: Registry) -> Result:
    ins = core.instrument("aspire-sop-self-assessment")
    rules = [ScoringRule("gap-priority", {"method": "ipa"}) if r.scorer == "gap-priority" else r for r in ins.scoring]
    return score(core, ins, example_path("aspire-sop-responses.csv"), scorers=rules)


def _text_fills(html: str) -> set[str]:
    fills = set()
    for tag in re.findall(r"<text\b[^>]*>", html):
        m = re.search(r"fill: ?(#[0-9a-fA-F]{6})", tag)
        fills.add((m.group(1) if m else "#000000").lower())
    return fills


def test_chart_text_meets_wcag_aa(page: str, core: Registry, ipa: Result) -> None:
    # every text in every chart, the quadrant labels of the importance-performance grid included
    fills = _text_fills(page) | _text_fills(render_html(ipa, core))
    assert len(fills) >= 3
    low = {f: round(contrast(f), 2) for f in fills if contrast(f) < 4.5}
    assert not low, f"chart text below 4.5:1 on white: {low}"
    # and on the pale bands the 360 profile draws behind blind spots and hidden strengths
    from aspire_models.reports.charts import TEXT_COLOURS

    for colour in TEXT_COLOURS.values():
        for band in ("#FDECEA", "#E6F4EA", "#FFFFFF"):
            assert contrast(colour, band) >= 4.5, (colour, band)


def test_report_css_colours_meet_wcag_aa() -> None:
    from aspire_models.reports.html import CSS

    variables = dict(re.findall(r"--([a-z]+): (#[0-9a-f]{6})", CSS))
    for name in ("ink", "muted", "faint", "accent"):
        assert contrast(variables[name]) >= 4.5, name
        assert contrast(variables[name], "#fafbfc") >= 4.5, name  # the striped rows
    # each coloured label: its text on its own background
    for rule in re.findall(r"\.tag-[^{]+\{([^}]*)\}", CSS):
        bg = re.search(r"background: (#[0-9a-f]{6})", rule)
        fg = re.search(r"(?<!-)color: (#[0-9a-f]{6})", rule)
        assert bg and fg, rule
        assert contrast(fg.group(1), bg.group(1)) >= 4.5, rule


def test_alt_text_states_the_data(page: str) -> None:
    figures = re.findall(r'<svg role="img" aria-label="([^"]*)".*?<figcaption>(.*?)</figcaption>', page, re.S)
    assert len(figures) == page.count('<figure class="chart"') >= 21
    for alt, caption in figures:
        alt, caption = unescape(alt), unescape(caption)
        assert alt != caption
        assert re.search(r"\d\.\d\d|: \d", alt), alt[:200]  # figures, not a description of the picture
    radar = next(a for a, c in figures if c.startswith("Now and future"))
    assert "Leadership: now" in unescape(radar) and "future" in radar
    bench = next(unescape(a) for a, c in figures if "benchmark" in c)
    assert re.search(r"P\d+", bench) and "reference mean" in bench


def test_labels_come_from_the_framework_kinds(page: str, core: Registry) -> None:
    assert '<th scope="col">Theme</th>' in page  # the Aspire framework's elements are themes
    assert "Themes across all organisations" in page and "Sector scores" not in page
    assert "Now and future by theme" in page
    # the 360 framework holds behaviours and professional areas; the review scores behaviours
    from aspire_models.reports.model import Labels

    assert Labels.lookup(core, "hrbp360-review", "cipd-hr-map").kind == "Behaviour"
    assert Labels.lookup(core, "innovation-adoption-survey", "hr-practice-innovations").kinds == "Practices"
    assert Labels.lookup(None, "x", "y").kind == "Element"
    assert [_plural(x) for x in ("Theme", "Competency", "Adopter category", "Day", "Process")] == [
        "Themes",
        "Competencies",
        "Adopter categories",
        "Days",
        "Processes",
    ]


def test_team_view_has_a_chart(page: str) -> None:
    captions = re.findall(r"<figcaption>(Team view of [^<]*)</figcaption>", page)
    assert [c.split(":")[0] for c in captions] == ["Team view of Team North", "Team view of Team South"]


def test_one_subject_360_report(core: Registry) -> None:
    result = score(core, "hrbp360-review", example_path("hrbp360-responses.csv"))
    html = render_html(result, core, subject="HRBP-01")
    assert html.count('<figure class="chart"') == 1
    assert "360 profile of HRBP-01" in html and "HRBP-02" not in html
    assert "Team view of" not in html and "leaves it out" in html
    with pytest.raises(UnknownIdError, match="HRBP-99"):
        render_html(result, core, subject="HRBP-99")


def test_cli_report_one_subject(tmp_path: Path) -> None:
    import subprocess

    out = tmp_path / "one.html"
    csv_path = str(example_path("hrbp360-responses.csv"))
    args = [str(ASPIRE), "report", "--no-plugins", "-i", "hrbp360-review", csv_path, "--subject", "HRBP-03"]
    r = subprocess.run([*args, "-o", str(out)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    text = out.read_text(encoding="utf-8")
    assert "360 profile of HRBP-03" in text and "HRBP-01" not in text and "Team view of" not in text
    aspire = [
        "report",
        "--no-plugins",
        "-i",
        "aspire-sop-self-assessment",
        str(example_path("aspire-sop-responses.csv")),
    ]
    r = subprocess.run([str(ASPIRE), *aspire, "--subject", "x", "-o", str(out)], capture_output=True, text=True)
    assert r.returncode == 2 and "--subject applies to 360 instruments" in r.stderr


def test_markdown_charts_are_svg_files_beside_it(core: Registry, hostile: list[Result], tmp_path: Path) -> None:
    path = write_report(hostile, tmp_path / "board.md", core)
    text = path.read_text(encoding="utf-8")
    links = re.findall(r"!\[([^\]]*)\]\((board-charts/[^)]+\.svg)\)", text)
    assert len(links) == render_html(hostile, core).count('<figure class="chart"') >= 21
    for alt, link in links:
        svg = tmp_path / link
        root = ET.parse(svg).getroot()  # a well-formed standalone SVG
        assert root.tag.endswith("svg") and root.get("width")
        assert re.search(r"\d", alt)  # the data as alternative text
    assert sorted(p.name for p in (tmp_path / "board-charts").iterdir()) == sorted(Path(x).name for _, x in links)
    # as text only, the report says where its charts are
    assert "Charts are not part of this text" in render_markdown(hostile, core)


def test_small_reference_groups_are_flagged_next_to_the_figures(
    page: str, core: Registry, hostile: list[Result]
) -> None:
    # the hostile Aspire data has 5 councils: every reference group is smaller than 10
    cells = re.findall(r'<td class="num caution">([^<]*small reference group[^<]*)</td>', page)
    assert cells and all(re.match(r"-?\d+\.\d+ \(small reference group\)$", c) for c in cells)
    assert "the reference group has only 5 organisations (fewer than 10)" in page
    md = render_markdown(hostile, core)
    assert "(small reference group)" in md


def test_no_caution_with_a_large_reference_group(core: Registry) -> None:
    from aspire_models.reports.document import _Builder, small_reference

    assert small_reference(4) and small_reference(9) and not small_reference(10)
    assert not small_reference(None) and not small_reference(0) and not small_reference(True)
    assert _Builder  # the table builder applies small_reference per row (above)


def test_print_stylesheet(page: str) -> None:
    css = page[page.index("<style>") : page.index("</style>")]
    assert "@page { size: A4" in css
    printing = css[css.index("@media print") :]
    assert "details::details-content" in printing and "content-visibility: visible" in printing
    assert ".table-wrap { overflow: visible; }" in printing and "td { overflow-wrap: break-word; }" in printing


def test_the_privacy_notice_is_in_the_report(core: Registry) -> None:
    # the getting-started example: groups under the default of 5 shown, and the report says so
    ins = core.instrument("aspire-sop-self-assessment")
    result = score(core, ins, example_path("aspire-sop-responses.csv"), min_group_size=2)
    assert result.privacy["notices"]
    html = render_html(result, core)
    assert "PRIVACY NOTICE: groups smaller than the default of 5 people are published" in html
    plain = render_html(score(core, ins, example_path("aspire-sop-responses.csv")), core)
    assert "PRIVACY NOTICE" not in plain
