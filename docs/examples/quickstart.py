"""The getting-started example: score the bundled Aspire data from Python.

Executed by the test suite (tests/test_docs_tutorial.py) and while the docs are built.
"""

from __future__ import annotations

from aspire_models import Registry, score
from aspire_models.examples import example_path


def main() -> None:
    reg = Registry()  # the built-ins and every installed plugin
    fw = reg.framework("cipd-sop-eight-themes")
    print(fw.name, "-", len(fw), "themes")
    print("Leadership:", fw.element("leadership").definition)

    result = score(reg, "aspire-sop-self-assessment", example_path("aspire-sop-responses.csv"))
    print(result.accounting)  # input == accepted + rejected, always

    sector = result.frame("aggregate", "sector")  # a pandas DataFrame, one row per dimension
    gaps = sector[sector["mode"] == "gap"]  # respondent-level future minus now, averaged
    print(gaps[["element", "organisations", "mean", "min", "max"]].round(2).to_string(index=False))

    priorities = result.output("gap-priority").summary
    print("Top priority:", priorities["top_priority"], "- quick wins:", ", ".join(priorities["quick_wins"]))


if __name__ == "__main__":
    main()
