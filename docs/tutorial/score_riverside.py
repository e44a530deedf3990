"""Score the tutorial's example responses with the tutorial plugin and print the result.

Run from this directory: ``python score_riverside.py``. (Once the plugin is installed as a
distribution, ``Registry()`` finds it through its entry point and the ``plugins=`` argument
is not needed.)
"""

from __future__ import annotations

from pathlib import Path

import riverside_plugin

from aspire_models import Registry, score

HERE = Path(__file__).parent


def main() -> None:
    reg = Registry(entry_points=False, plugins=[riverside_plugin], strict=True)
    result = score(reg, "riverside-pulse", HERE / "riverside-responses.csv")

    a = result.accounting
    print(f"{a.input} rows: {a.accepted} scored, {a.rejected} rejected")
    for rejection in result.rejected:
        for problem in rejection.problems:
            print(f"  row {rejection.row}, column {problem.field}: {problem.message} [{problem.rule}]")

    table = result.frame("net-agreement", "net-agreement")
    count = {c: (lambda v: "-" if v != v else f"{v:.0f}") for c in ("respondents", "n")}  # counts as integers
    print(table.round(1).to_string(index=False, na_rep="-", formatters=count))
    print(result.output("net-agreement").summary)


if __name__ == "__main__":
    main()
