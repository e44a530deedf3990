"""What the `aspire` command prints (a short summary from `score`, whole numbers and yes/no)
and what it imports: listing frameworks or asking for help loads no scipy, pandas or
matplotlib (start-up time is measured in benchmarks/cli_startup.py, not here)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

from aspire_models.cli import main, render_table
from aspire_models.examples import example_path

HEAVY = ("scipy", "pandas", "matplotlib", "statsmodels")


def imported_after(code: str) -> set[str]:
    """Top-level packages loaded by a fresh interpreter running ``code``."""
    probe = code + "\nimport sys, json; print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    r = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return set(json.loads(r.stdout.strip().splitlines()[-1]))


def test_importing_the_command_line_loads_nothing_heavy() -> None:
    loaded = imported_after("import aspire_models.cli, aspire_models")
    assert not loaded & {*HEAVY, "numpy", "pyarrow"}, loaded & {*HEAVY, "numpy", "pyarrow"}


def test_help_and_listing_frameworks_load_no_scipy_pandas_or_matplotlib() -> None:
    code = (
        "import io, contextlib\n"
        "from aspire_models.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n"
        "        main(['--help'])\n"
        "    except SystemExit:\n"
        "        pass\n"
        "    assert main(['frameworks'], io.StringIO()) == 0\n"
        "    assert main(['frameworks', 'show', 'cipd-sop-eight-themes'], io.StringIO()) == 0\n"
    )
    loaded = imported_after(code)
    assert not loaded & set(HEAVY), loaded & set(HEAVY)


def test_score_without_output_prints_a_short_summary(tmp_path: Path) -> None:
    score = ["score", "-q", "-i", "aspire-sop-self-assessment", str(example_path("aspire-sop-responses.csv"))]
    buf = io.StringIO()
    code = main(score, buf)
    text = buf.getvalue()
    assert code == 0
    lines = text.splitlines()
    assert len(lines) < 50, text  # every table would be about 200 lines
    assert lines[0] == (
        "Instrument aspire-sop-self-assessment 1.0.0 on aspire-sop-responses.csv: 14 rows, 14 scored, 0 rejected"
    )
    assert "Gaps and priorities (gap-priority)" in text and "  top priority: leadership" in text
    assert "  tables: priorities (8 rows)" in text
    assert text.rstrip().endswith("or --format text to print them here.")
    assert all(len(line) <= 100 for line in lines if line.startswith("  ") and ": " in line)
    # with -o the summary says where the full result went; --format text prints every table
    buf = io.StringIO()
    out = tmp_path / "r.json"
    assert main([*score, "-o", str(out)], buf) == 0
    assert buf.getvalue().rstrip().endswith(f"Full result (every table): {out}")
    assert json.loads(out.read_text(encoding="utf-8"))["accounting"]["input"] == 14
    buf = io.StringIO()
    main([*score, "--format", "text"], buf)
    assert "gap-priority: priorities" in buf.getvalue() and len(buf.getvalue().splitlines()) > 100


def test_whole_numbers_print_without_decimals_and_flags_as_yes_no() -> None:
    rows = [
        {"element": "a", "rank": 1.0, "year": 2014.0, "n": 12, "mean": 3.0, "suppressed": False},
        {"element": "b", "rank": None, "year": 2015.0, "n": 7, "mean": 3.25, "suppressed": True},
    ]
    buf = io.StringIO()
    render_table(rows, ["element", "rank", "year", "n", "mean", "suppressed"], buf)
    _header, _rule, first, second = buf.getvalue().splitlines()
    assert first.split() == ["a", "1", "2014", "12", "3.00", "no"]  # a mean keeps its decimals
    assert second.split() == ["b", "-", "2015", "7", "3.25", "yes"]


def test_demo_ranks_are_whole_numbers() -> None:
    buf = io.StringIO()
    assert main(["demo"], buf) == 0
    leadership = next(line for line in buf.getvalue().splitlines() if line.startswith("Leadership "))
    assert leadership.split()[-1] == "1" and "1.00" not in leadership.split()[-1:]
