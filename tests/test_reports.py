"""Reports: HTML (charts inline, no network, escaped), Markdown, Excel, the 360 anonymity
rule, determinism, the ``aspire report`` command and the progress bar."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from html import escape
from pathlib import Path

import attrs
import pytest

from aspire_models import AspireError, DocumentError, Registry, Result, score
from aspire_models.examples import example_path
from aspire_models.progress import Progress, score_with_progress
from aspire_models.reports import (
    demo_results,
    load_result,
    render_html,
    render_markdown,
    write_excel,
    write_report,
)
from aspire_models.reports.document import CLASS_NAMES, header
from aspire_models.reports.model import report_data
from tests.report_data import BOLD_ORG, DOLLAR_ORG, EVIL_SUBJECT, FORMULA, SCRIPT, hostile_results

openpyxl = pytest.importorskip("openpyxl")
get_column_letter = openpyxl.utils.get_column_letter
pytest.importorskip("matplotlib")

ASPIRE = Path(sys.executable).with_name("aspire")


@pytest.fixture(scope="module")
def hostile(core: Registry, tmp_path_factory: pytest.TempPathFactory) -> list[Result]:
    return hostile_results(core, tmp_path_factory.mktemp("hostile"))


@pytest.fixture(scope="module")
def hostile_html(core: Registry, hostile: list[Result]) -> str:
    return render_html(hostile, core, title="Hostile <title>")


@pytest.fixture(scope="module")
def aspire_result(core: Registry) -> Result:
    return score(core, "aspire-sop-self-assessment", example_path("aspire-sop-responses.csv"))


# -- HTML -------------------------------------------------------------------------------------
def test_html_has_every_chart(hostile_html: str) -> None:
    # aggregate: organisation means with intervals (1); gap-priority: radar, gap bars, matrix (3);
    # benchmark: 5 organisations; 360: 6 subjects and 2 teams; diffusion: 5 fitted practices
    assert hostile_html.count("<svg") == 1 + 3 + 5 + 6 + 2 + 5
    assert hostile_html.count('<figure class="chart"') == 22
    for title in ("Now and future by theme", "Gaps in priority order", "Importance-gap matrix", "360 profile"):
        assert title in hostile_html
    assert "against the benchmark" in hostile_html and "adoption S-curve" in hostile_html
    assert "<?xml" not in hostile_html and "<metadata" not in hostile_html


def test_html_is_self_contained(hostile_html: str) -> None:
    attrs = re.findall(r"""(?:src|href|xlink:href|action|srcset|poster)\s*=\s*["']([^"']*)["']""", hostile_html)
    assert attrs, "expected in-page links (contents, SVG references)"
    for value in attrs:
        assert value.startswith("#"), value
    assert not re.search(r"url\(\s*['\"]?(?!#)", hostile_html)
    assert "@import" not in hostile_html and "<link" not in hostile_html.lower()
    assert "<script" not in hostile_html.lower()
    assert "Content-Security-Policy" in hostile_html


def test_svg_ids_are_unique_across_charts(hostile_html: str) -> None:
    ids = re.findall(r'\bid="([^"]+)"', hostile_html)
    assert len(ids) == len(set(ids))


def test_user_text_is_escaped_in_html(hostile_html: str) -> None:
    assert SCRIPT not in hostile_html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in hostile_html
    assert BOLD_ORG not in hostile_html
    assert "&lt;b&gt;x&lt;/b&gt;" in hostile_html
    assert EVIL_SUBJECT not in hostile_html and "&lt;i&gt;HRBP-06&lt;/i&gt;" in hostile_html
    assert "Hostile &lt;title&gt;" in hostile_html
    # dollar signs are text, never TeX: the organisation name reaches the chart unchanged
    assert escape(DOLLAR_ORG) == "Council $B$ &amp; Co" and escape(DOLLAR_ORG) in hostile_html
    # the organisation is marked in its own benchmark chart (escaped in the SVG text)
    assert hostile_html.count("&lt;b&gt;x&lt;/b&gt; against the benchmark") >= 1


def test_report_from_stored_json_is_the_same(core: Registry, aspire_result: Result, tmp_path: Path) -> None:
    path = tmp_path / "result.json"
    path.write_text(aspire_result.to_json(), encoding="utf-8")
    doc = load_result(path)
    assert render_html(doc, core) == render_html(aspire_result, core)
    assert render_markdown(doc, core) == render_markdown(aspire_result, core)


def test_html_is_deterministic(core: Registry, aspire_result: Result) -> None:
    a = render_html(aspire_result, core)
    b = render_html(aspire_result, core)
    assert a.encode() == b.encode()


def test_html_without_registry_uses_ids(aspire_result: Result) -> None:
    html = render_html(aspire_result)
    assert "leadership" in html and html.count("<svg") == 3


def test_respondent_level_rows_never_reach_a_report(core: Registry, aspire_result: Result) -> None:
    html = render_html(aspire_result, core)
    assert "R001" not in html and "respondent_id" not in html


def test_failed_scorers_are_named(core: Registry, aspire_result: Result) -> None:
    from aspire_models.result import ScorerFailure

    failed = attrs.evolve(aspire_result, failures=(ScorerFailure("x-scorer", "<em>plugin</em>", "boom"),))
    page = render_html(failed, core)
    assert "Scorer x-scorer (plugin &lt;em&gt;plugin&lt;/em&gt;) failed and is left out: boom" in page


def test_load_result_rejects_other_documents(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"schema": "nope"}), encoding="utf-8")
    with pytest.raises(DocumentError):
        load_result(bad)
    with pytest.raises(TypeError):
        report_data(42)  # type: ignore[arg-type]


def test_missing_matplotlib_is_a_clear_error(aspire_result: Result, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(AspireError, match=r"aspire-models\[reports\]"):
        render_html(aspire_result)
    assert "| leadership |" in render_markdown(aspire_result)  # Markdown needs no matplotlib


# -- 360 anonymity ------------------------------------------------------------------------------
def _change_suppressed_peers(tmp: Path) -> tuple[Path, Path]:
    """The 360 example, and a copy where every answer and comment of HRBP-02's peers (a
    group below k, withheld) is different."""
    src = example_path("hrbp360-responses.csv")
    rows = list(csv.DictReader(src.open(encoding="utf-8")))
    changed = [dict(r) for r in rows]
    peers = [r for r in changed if r["subject_id"] == "HRBP-02" and r["rater_role"] == "peer"]
    assert 0 < len(peers) < 3
    items = [c for c in rows[0] if c[-2:] in ("-1", "-2", "-3")]
    for r in peers:
        for c in items:
            r[c] = "1" if r[c] != "1" else "5"
        r["strengths"] = "PEER SECRET strengths"
        r["development"] = "PEER SECRET development"
    paths = []
    for name, data in (("a", rows), ("b", changed)):
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(data)
        (tmp / name).mkdir()
        (tmp / name / "responses.csv").write_text(buf.getvalue(), encoding="utf-8")
        paths.append(tmp / name / "responses.csv")
    return paths[0], paths[1]


def test_360_report_withholds_suppressed_groups(core: Registry, tmp_path: Path) -> None:
    a, b = _change_suppressed_peers(tmp_path)
    ra = score(core, "hrbp360-review", a, scorers=["review-360"])
    rb = score(core, "hrbp360-review", b, scorers=["review-360"])
    ha, hb = render_html(ra, core), render_html(rb, core)
    assert "withheld (fewer than 3 raters)" in ha
    # HRBP-02's section says its peers are withheld
    section = ha[ha.index('id="review-360-hrbp-02"') : ha.index('id="review-360-hrbp-03"')]
    assert "withheld (fewer than 3 raters)" in section and "Withheld: Peer" in section
    # no value of the withheld group reaches the report: changing all its answers and
    # comments changes nothing but the data digest
    digest = re.compile(r"<dt>Data SHA-256</dt><dd>[^<]*</dd>")
    assert digest.sub("", ha) == digest.sub("", hb)
    assert "PEER SECRET" not in hb
    ma, mb = render_markdown(ra, core), render_markdown(rb, core)
    md_digest = re.compile(r"Data SHA-256:\*\* \S+")
    assert md_digest.sub("", ma) == md_digest.sub("", mb)
    assert "withheld (fewer than 3 raters)" in ma


# -- Markdown --------------------------------------------------------------------------------------
def test_markdown_tables_and_escaping(core: Registry, hostile: list[Result]) -> None:
    md = render_markdown(hostile, core)
    assert md.startswith("# aspire-models report\n")
    # the framework's kind; each mean with its interval
    heads = "| Rank | Theme | Now | Now interval | Future | Future interval | Gap | Gap interval | Priority | Reason |"
    assert heads in md
    assert "Aspire method" in md and "4-way tie at 2.00" in md
    assert "|---:|---|---:|---:|---:|---:|---:|---:|---|---|" in md
    assert "| 1 | Leadership | 7.00 | 6.24 – 7.76 | 9.00 | 8.24 – 9.76 | 2.00 | 2.00 – 2.00 | Key priority |" in md
    assert SCRIPT not in md and "\\<script\\>alert(1)\\</script\\>" in md
    assert BOLD_ORG not in md and "\\<b\\>x\\</b\\>" in md
    assert "withheld (fewer than 3 raters)" in md
    # every table row has as many cells as its header
    for block in re.findall(r"(?m)^(\|.*\|\n\|[-:|]+\|\n(?:\|.*\|\n)+)", md):
        lines = block.strip().split("\n")
        widths = {len(re.findall(r"(?<!\\)\|", line)) for line in lines}
        assert len(widths) == 1, lines[:3]


# -- Excel ----------------------------------------------------------------------------------------
def test_excel_one_sheet_per_table(core: Registry, hostile: list[Result], tmp_path: Path) -> None:
    path = write_excel(hostile, tmp_path / "report.xlsx", core)
    wb = openpyxl.load_workbook(path)
    expected = [(o.scorer, t) for r in hostile for o in r.outputs for t in o.tables if t.level != "respondent"]
    assert wb.sheetnames[0] == "About"
    assert len(wb.sheetnames) == 1 + len(expected)
    assert all(len(n) <= 31 for n in wb.sheetnames)
    labels = {id(r): report_data(r, core).labels for r in hostile}
    expected_labels = [labels[id(r)] for r in hostile for o in r.outputs for t in o.tables if t.level != "respondent"]
    for name, (_scorer, table), lab in zip(wb.sheetnames[1:], expected, expected_labels, strict=True):
        ws = wb[name]
        # words, not snake_case; the element column named by the framework's kind
        assert [c.value for c in ws[1]] == [header(c, lab) for c in table.column_names]
        assert ws.max_row == 1 + len(table)
        assert ws.auto_filter.ref == f"A1:{get_column_letter(len(table.column_names))}{ws.max_row}"
    pr = wb["gap-priority priorities"]
    heads = [c.value for c in pr[1]]
    at = heads.index("Rank")
    ranks = {row[0].value: row[at].value for row in pr.iter_rows(min_row=2)}
    # element names, not ids; classes in words
    assert ranks["Leadership"] == 1 and pr.cell(2, at + 1).number_format == "#,##0"
    assert "leadership" not in ranks
    assert {row[heads.index("Priority")].value for row in pr.iter_rows(min_row=2)} <= set(CLASS_NAMES.values())
    # text is text: a formula from a response file stays a string
    comments = next(wb[n] for n in wb.sheetnames if n.endswith("comments"))
    values = [c for row in comments.iter_rows(min_row=2) for c in row if c.value == FORMULA]
    assert values and all(c.data_type == "s" for c in values)
    groups = next(wb[n] for n in wb.sheetnames if n.startswith("review-360 groups"))
    assert any(c.value == "withheld (fewer than 3 raters)" for row in groups.iter_rows() for c in row)


# -- CLI ------------------------------------------------------------------------------------------
def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    assert ASPIRE.exists(), f"console script not installed at {ASPIRE}"
    return subprocess.run([str(ASPIRE), *args], capture_output=True, text=True, cwd=cwd, timeout=300)


def test_cli_report_end_to_end(tmp_path: Path) -> None:
    csv_path = str(example_path("aspire-sop-responses.csv"))
    html = tmp_path / "report.html"
    r = run(
        "report",
        "--no-plugins",
        "--instrument",
        "aspire-sop-self-assessment",
        csv_path,
        "--benchmark",
        "-o",
        str(html),
        "--min-group-size",
        "1",  # the bundled councils have 2-4 respondents
    )
    assert r.returncode == 0, r.stderr
    text = html.read_text(encoding="utf-8")
    # gap and priority 3, benchmark 5, means with their confidence intervals 1
    assert text.startswith("<!DOCTYPE html>") and text.count("<svg") == 3 + 5 + 1
    # not a terminal: no progress bar, just the message
    assert "\r" not in r.stderr and "[#" not in r.stderr and f"wrote {html}" in r.stderr

    result_json = tmp_path / "result.json"
    r = run("score", "--no-plugins", "-i", "aspire-sop-self-assessment", csv_path, "-o", str(result_json))
    assert r.returncode == 0 and "\r" not in r.stderr
    for name in ("r.md", "r.xlsx", "r.html"):
        r = run("report", "--no-plugins", "--result", str(result_json), "-o", str(tmp_path / name), "--quiet")
        assert r.returncode == 0, r.stderr
        assert r.stderr == "" and (tmp_path / name).stat().st_size > 1000
    assert "| 1 | Leadership |" in (tmp_path / "r.md").read_text(encoding="utf-8")
    r = run("report", "--no-plugins", "--result", str(result_json), "-o", str(tmp_path / "r.out"), "--format", "md")
    assert r.returncode == 0 and (tmp_path / "r.out").read_text(encoding="utf-8").startswith("# ")


def test_cli_report_usage_errors(tmp_path: Path) -> None:
    assert run("report", "-o", str(tmp_path / "x.html")).returncode == 2
    assert run("report", "--demo", "-o", str(tmp_path / "x.pdf")).returncode == 2
    csv_path = str(example_path("aspire-sop-responses.csv"))
    assert run("report", csv_path, "-o", str(tmp_path / "x.html")).returncode == 2
    # a missing input file is a usage error, as for every command
    assert run("report", "--result", str(tmp_path / "missing.json"), "-o", str(tmp_path / "x.html")).returncode == 2


def test_write_report_by_extension(core: Registry, aspire_result: Result, tmp_path: Path) -> None:
    assert write_report(aspire_result, tmp_path / "a.md", core).read_text(encoding="utf-8").startswith("# ")
    with pytest.raises(AspireError):
        write_report(aspire_result, tmp_path / "a.pdf", core)


def test_demo_results_cover_every_chart_kind(core: Registry) -> None:
    results = demo_results(core)
    assert [r.provenance.instrument_id for r in results] == [
        "aspire-sop-self-assessment",
        "hrbp360-review",
        "innovation-adoption-survey",
    ]
    assert "benchmark" in [o.scorer for o in results[0].outputs]


# -- progress bar -----------------------------------------------------------------------------------
class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_silent_off_a_terminal() -> None:
    stream = io.StringIO()
    with Progress(3, stream=stream) as bar:
        bar.step("one")
        bar.step("two")
    assert stream.getvalue() == "" and not bar.enabled


def test_progress_draws_on_a_terminal_unless_quiet() -> None:
    tty = FakeTerminal()
    with Progress(2, stream=tty) as bar:
        bar.step("reading")
        bar.step("scoring")
    out = tty.getvalue()
    assert "reading" in out and "1/2" in out and out.endswith("\r")
    quiet = FakeTerminal()
    with Progress(2, stream=quiet, quiet=True) as bar:
        bar.step("reading")
    assert quiet.getvalue() == ""


def test_score_with_progress_steps(core: Registry) -> None:
    tty = FakeTerminal()
    ins = core.instrument("aspire-sop-self-assessment")
    with Progress(0, stream=tty) as bar:
        result = score_with_progress(core, ins, example_path("aspire-sop-responses.csv"), bar)
    out = tty.getvalue()
    assert "reading and validating" in out
    for rule in ins.scoring:
        assert f"scoring: {rule.scorer}" in out
    plain = score(core, ins, example_path("aspire-sop-responses.csv"))
    assert result.to_json() == plain.to_json()
