"""The demo report as a person sees it: rendered by headless Chromium, screenshotted, and its
loaded DOM checked (charts present, user text inert, nothing blocked or failing).

The report and the screenshot are kept in the repository's ignored ``build/`` folder
(``build/report.html``, ``build/report-screenshot.png``) as CI artefacts. Without Chromium
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
    html_path.write_text(
        render_html(hostile_results(core, tmp_path), core, title="aspire-models demo report"), encoding="utf-8"
    )
    url = html_path.as_uri()

    dom = _run(exe, tmp_path, "--dump-dom", url)
    assert dom.returncode == 0, dom.stderr[-2000:]
    page = dom.stdout
    assert "<title>aspire-models demo report</title>" in page
    assert len(re.findall(r"<svg\b", page)) == 19, "every chart is in the loaded page"
    assert len(re.findall(r"<figure class=\"chart\"", page)) == 19
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
