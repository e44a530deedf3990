"""The demo report as a person sees it: rendered by headless Chromium, screenshotted, and its
loaded DOM checked (charts present, user text inert, nothing blocked or failing).

The report and the screenshot are kept in the repository's ignored ``build/`` folder
(``build/report.html``, ``build/report-screenshot.png``) as CI artefacts, with the report
printed to A4 (``build/report-a4.pdf`` and, with poppler's ``pdftoppm``, its first pages as
``build/report-a4-N.png``) and the 1280 px screenshot of the audited page
(``build/report-1280.png``).

The audit (:data:`AUDIT`, run in a copy of the page without its Content Security Policy, as
the report itself allows no script) computes the WCAG 2.1 contrast of every visible text
against the background it is drawn on (chart text against the chart's white), and measures
every table against its box: at 1280 px on screen, and at the printable width of A4 with the
print stylesheet applied, where collapsed sections must be open. Without Chromium
the test is skipped, except on CI (``CI`` set), where ``.ci/run`` installs it and its absence
is a failure.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from aspire_models import Registry
from tests.report_data import BOLD_ORG, SCRIPT, hostile_results

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "build"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    "--enable-logging=stderr",
    "--v=0",
]
# What Chromium logs about a page: any console message (the report has no scripts, so any is a
# blocked load or a policy violation), blocked or failed loads. dbus and GPU noise is not the page's.
PAGE_ERRORS = re.compile(r":CONSOLE|Content Security Policy|Refused to|net::ERR_|Failed to load|Uncaught", re.I)


def _chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        if os.environ.get("CI", "").lower() in ("true", "1", "yes"):
            pytest.fail("chromium is not installed; .ci/run installs Debian's chromium package before the tests")
        pytest.skip("chromium not installed (apt-get install chromium); the browser check runs on CI")
    return exe


def _run(exe: str, tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [exe, *FLAGS, f"--user-data-dir={tmp / 'profile'}", *args],
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, "HOME": str(tmp)},
    )


def test_demo_report_in_headless_chromium(core: Registry, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    exe = _chromium()
    from aspire_models.reports import render_html

    BUILD.mkdir(exist_ok=True)
    html_path = BUILD / "report.html"
    shot = BUILD / "report-screenshot.png"
    shot.unlink(missing_ok=True)
    rendered = render_html(hostile_results(core, tmp_path), core, title="aspire-models demo report")
    html_path.write_text(rendered, encoding="utf-8")
    n_charts = rendered.count('<figure class="chart"')
    assert n_charts >= 21  # aggregate, gap-priority (3), benchmark (5), 360 (6 + 2 teams), diffusion (5)
    url = html_path.as_uri()

    dom = _run(exe, tmp_path, "--dump-dom", url)
    assert dom.returncode == 0, dom.stderr[-2000:]
    page = dom.stdout
    assert "<title>aspire-models demo report</title>" in page
    assert len(re.findall(r"<svg\b", page)) == n_charts, "every chart is in the loaded page"
    assert len(re.findall(r"<figure class=\"chart\"", page)) == n_charts
    assert not re.search(r"<script\b", page, re.I), "user text must never become a script element"
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and SCRIPT not in page
    assert BOLD_ORG not in page and "<b>x</b>" not in page
    problems = [line for line in dom.stderr.splitlines() if PAGE_ERRORS.search(line)]
    assert not problems, problems

    shot_run = _run(exe, tmp_path, f"--screenshot={shot}", "--window-size=1280,2400", url)
    assert shot_run.returncode == 0, shot_run.stderr[-2000:]
    assert shot.exists(), shot_run.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 20_000, "a blank page compresses to a few kilobytes"
    problems = [line for line in shot_run.stderr.splitlines() if PAGE_ERRORS.search(line)]
    assert not problems, problems
    try:  # pillow comes with matplotlib; if it is there, check the page is not one colour
        from PIL import Image
    except ImportError:  # pragma: no cover
        return
    with Image.open(shot) as im:
        assert im.size == (1280, 2400)
        colours = im.convert("RGB").resize((160, 300)).getcolors(maxcolors=100_000)
        assert colours is not None and len(colours) > 50


# -- contrast and layout, on screen and printed ---------------------------------------------------
#: Runs in the audited copy: every visible text's contrast with what is behind it (WCAG 2.1,
#: 4.5:1 for normal text), every table's width against its box, every table inside a collapsed
#: section measured; the findings are written into the page as JSON for --dump-dom.
AUDIT = r"""
<script>
(function () {
  function rgba(s) {
    const m = s.match(/rgba?\(([^)]+)\)/);
    if (!m) return null;
    const p = m[1].split(',').map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  }
  function lum(c) {
    const v = c.slice(0, 3).map(function (x) {
      x /= 255; return x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2];
  }
  function over(top, under) {
    const a = top[3];
    return [0, 1, 2].map(function (i) { return top[i] * a + under[i] * (1 - a); }).concat([1]);
  }
  function background(el) {
    const layers = [];
    for (let e = el; e && e.nodeType === 1; e = e.parentElement) {
      const c = rgba(getComputedStyle(e).backgroundColor);
      if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
    }
    let bg = [255, 255, 255, 1];
    for (let i = layers.length - 1; i >= 0; i--) bg = over(layers[i], bg);
    return bg;
  }
  function ratio(a, b) {
    const x = lum(a), y = lum(b);
    return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05);
  }
  const failures = [];
  let checked = 0;
  const all = document.querySelectorAll('body *');
  for (const el of all) {
    if (el.tagName === 'SCRIPT' || el.tagName === 'STYLE' || el.id === 'audit') continue;
    let text = '';
    for (const n of el.childNodes) if (n.nodeType === 3) text += n.textContent;
    text = text.trim();
    if (!text) continue;
    const box = el.getBoundingClientRect();
    const st = getComputedStyle(el);
    if (box.width === 0 || box.height === 0 || st.visibility === 'hidden' || st.display === 'none') continue;
    const svgText = el instanceof SVGElement;
    const fg = rgba(svgText ? st.fill : st.color);
    if (!fg) continue;
    const bg = svgText ? [255, 255, 255, 1] : background(el);
    const r = ratio(over(fg, bg), bg);
    checked++;
    if (r < 4.5) failures.push({text: text.slice(0, 60), ratio: Math.round(r * 100) / 100, tag: el.tagName});
  }
  const clipped = [];
  for (const wrap of document.querySelectorAll('.table-wrap')) {
    const t = wrap.querySelector('table');
    const page = document.documentElement.clientWidth;
    const right = t.getBoundingClientRect().right;
    if (t.offsetWidth > wrap.clientWidth + 1 || right > page + 1) {
      clipped.push({table: (wrap.previousElementSibling || {}).textContent || '', width: t.offsetWidth,
                    box: wrap.clientWidth, page: page});
    }
  }
  const collapsed = [];
  for (const d of document.querySelectorAll('details')) {
    const t = d.querySelector('table');
    if (t) collapsed.push(t.getBoundingClientRect().height > 0);
  }
  const out = document.createElement('pre');
  out.id = 'audit';
  out.textContent = JSON.stringify({checked: checked, failures: failures, clipped: clipped,
                                    collapsedShown: collapsed, width: document.documentElement.clientWidth});
  document.body.appendChild(out);
})();
</script>
"""

#: A4 (210 mm) less the print stylesheet's 12 mm side margins, in CSS pixels (96 per inch)
A4_PRINTABLE_PX = round((210 - 2 * 12) / 25.4 * 96)


def _audit(exe: str, tmp: Path, html: str, name: str, width: int, *, print_media: bool) -> dict[str, object]:
    import json

    page = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", html, count=1)
    if print_media:  # the print stylesheet applied on screen, at the printable width of A4
        page = page.replace("@media print {", "@media all {")
    page = page.replace("</body>", AUDIT + "</body>")
    path = tmp / name
    path.write_text(page, encoding="utf-8")
    run = _run(exe, tmp, f"--window-size={width},1000", "--dump-dom", path.as_uri())
    assert run.returncode == 0, run.stderr[-2000:]
    m = re.search(r'<pre id="audit">(.*?)</pre>', run.stdout, re.S)
    assert m, "the audit script did not run: " + run.stderr[-2000:]
    from html import unescape

    found: dict[str, object] = json.loads(unescape(m.group(1)))
    return found


def test_report_contrast_and_layout_on_screen_and_on_a4(core: Registry, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    exe = _chromium()
    from aspire_models.reports import render_html

    BUILD.mkdir(exist_ok=True)
    html = render_html(hostile_results(core, tmp_path), core, title="aspire-models board report")

    screen = _audit(exe, tmp_path, html, "screen.html", 1280, print_media=False)
    assert int(str(screen["checked"])) > 500, screen["checked"]  # page text and chart text
    assert screen["failures"] == [], f"text below 4.5:1 contrast at 1280 px: {screen['failures']}"
    assert screen["clipped"] == [], f"tables wider than their box at 1280 px: {screen['clipped']}"

    printed = _audit(exe, tmp_path, html, "print.html", A4_PRINTABLE_PX, print_media=True)
    assert printed["failures"] == [], f"text below 4.5:1 contrast in print: {printed['failures']}"
    assert printed["clipped"] == [], f"tables cut off on A4: {printed['clipped']}"
    shown = printed["collapsedShown"]
    assert isinstance(shown, list) and shown and all(shown), "collapsed sections must print open"

    # the pictures: the page at 1280 px, and the report printed to A4
    shot = BUILD / "report-1280.png"
    shot.unlink(missing_ok=True)
    (BUILD / "report-board.html").write_text(html, encoding="utf-8")
    url = (BUILD / "report-board.html").as_uri()
    r = _run(exe, tmp_path, f"--screenshot={shot}", "--window-size=1280,3000", url)
    assert r.returncode == 0 and shot.exists(), r.stderr[-2000:]
    pdf = BUILD / "report-a4.pdf"
    pdf.unlink(missing_ok=True)
    r = _run(exe, tmp_path, f"--print-to-pdf={pdf}", "--no-pdf-header-footer", url)
    assert r.returncode == 0 and pdf.exists(), r.stderr[-2000:]
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    media = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", data)
    boxes = {tuple(round(float(x)) for x in m) for m in media}
    assert boxes == {(595, 842)} or boxes == {(596, 842)}, f"pages are not A4: {boxes}"
    pages = len(re.findall(rb"/Type\s*/Page[^s]", data))
    assert pages > 3, pages
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is not None:  # poppler-utils: the first printed pages as pictures
        for old in BUILD.glob("report-a4-*.png"):
            old.unlink()
        done = subprocess.run(
            [pdftoppm, "-png", "-r", "60", "-f", "1", "-l", "4", str(pdf), str(BUILD / "report-a4")],
            capture_output=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        assert len(list(BUILD.glob("report-a4-*.png"))) == 4
