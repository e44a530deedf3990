"""Example results for the report tests: the bundled demo data with hostile user text put in
(HTML and script in names and comments, a spreadsheet formula, TeX dollar signs)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from aspire_models import Registry, Result, score
from aspire_models.examples import example_path
from aspire_models.instrument import ScoringRule

SCRIPT = "<script>alert(1)</script>"
BOLD_ORG = "<b>x</b>"
DOLLAR_ORG = "Council $B$ & Co"
FORMULA = '=HYPERLINK("http://example.invalid/x","click")'
EVIL_SUBJECT = "<i>HRBP-06</i>"


def _rewrite_360(path: Path) -> Path:
    rows = list(csv.DictReader(example_path("hrbp360-responses.csv").open(encoding="utf-8")))
    lm = next(r for r in rows if r["subject_id"] == "HRBP-01" and r["rater_role"] == "line-manager")
    lm["strengths"] = SCRIPT
    peer = next(r for r in rows if r["subject_id"] == "HRBP-01" and r["rater_role"] == "peer")
    peer["development"] = FORMULA
    for r in rows:
        if r["subject_id"] == "HRBP-06":
            r["subject_id"] = EVIL_SUBJECT
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0]))
    w.writeheader()
    w.writerows(rows)
    path.write_text(buf.getvalue(), encoding="utf-8")
    return path


def hostile_results(reg: Registry, tmp: Path) -> list[Result]:
    """Aspire (with benchmarking), 360 and diffusion results carrying hostile text."""
    text = example_path("aspire-sop-responses.csv").read_text(encoding="utf-8")
    aspire = tmp / "aspire.csv"
    aspire.write_text(text.replace("Council A", BOLD_ORG).replace("Council B", DOLLAR_ORG), encoding="utf-8")
    ins = reg.instrument("aspire-sop-self-assessment")
    return [
        # the bundled councils have 2-4 respondents each, under the default smallest group (5):
        # shown here (min_group_size=1, as a caller must choose) so that their figures and charts
        # are in the report
        score(
            reg, ins, aspire, scorers=[*ins.scoring, ScoringRule("benchmark", {"min_answered": 1})], min_group_size=1
        ),
        score(reg, "hrbp360-review", _rewrite_360(tmp / "hrbp360.csv")),
        score(
            reg,
            "innovation-adoption-survey",
            example_path("innovation-adoption.csv"),
            params={"diffusion": {"observed_until": 2025}},
        ),
    ]
