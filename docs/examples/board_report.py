"""The getting-started guide's last step: a report for a board from the bundled examples.

Run as a script it writes ``report.html`` (charts inline, no network needed to open it);
``report.md`` writes Markdown with the charts as SVG files beside it, ``report.xlsx`` a
workbook.
"""

from __future__ import annotations

from pathlib import Path

from aspire_models import Registry, score
from aspire_models.examples import example_path
from aspire_models.instrument import ScoringRule
from aspire_models.reports import write_report


def main(out: Path = Path("report.html")) -> Path:
    reg = Registry()
    ins = reg.instrument("aspire-sop-self-assessment")
    result = score(
        reg,
        ins,
        example_path("aspire-sop-responses.csv"),
        scorers=[*ins.scoring, ScoringRule("benchmark", {"min_answered": 1})],
        # The bundled councils have 2-4 respondents each. Figures for groups of fewer than 5
        # people are withheld unless you choose a smaller group, as here; the result then
        # carries a privacy notice, and the report shows it.
        min_group_size=2,
    )
    for notice in result.privacy.get("notices", ()):
        print("Privacy notice:", notice)
    path = write_report(result, out, reg)
    print(f"wrote {path}")
    return path


if __name__ == "__main__":
    main()
