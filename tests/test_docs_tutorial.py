"""The documentation's code runs: the plugin tutorial (docs/tutorial/), the getting-started
example (docs/examples/), and what the pages say about the package."""

from __future__ import annotations

import importlib
import math
import re
import runpy
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from aspire_models import Registry, hookspecs, score
from aspire_models.errors import DocumentError

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
TUTORIAL = DOCS / "tutorial"


@pytest.fixture(scope="module")
def plugin() -> Iterator[ModuleType]:
    """The tutorial's plugin module, imported from docs/tutorial/ (as its script does)."""
    sys.path.insert(0, str(TUTORIAL))
    try:
        yield importlib.import_module("riverside_plugin")
    finally:
        sys.path.remove(str(TUTORIAL))


@pytest.fixture(scope="module")
def reg(plugin: ModuleType) -> Registry:
    return Registry(entry_points=False, plugins=[plugin], strict=True)


def test_plugin_registers_cleanly(reg: Registry) -> None:
    assert reg.problems == ()
    assert reg.owner("framework", "riverside-values") == "riverside_plugin"
    assert reg.owner("instrument", "riverside-pulse") == "riverside_plugin"
    assert reg.owner("scorer", "net-agreement") == "riverside_plugin"
    ins = reg.instrument("riverside-pulse")
    assert ins.elements_measured() == (
        "residents-first",
        "working-together",
        "doing-the-right-thing",
        "proud-of-riverside",
    )
    assert [i.id for i in ins.items if i.reverse] == ["wt-silos"]


def test_quoted_definitions_are_in_the_cited_lines(reg: Registry) -> None:
    statement = (TUTORIAL / "riverside-values-statement.txt").read_text(encoding="utf-8").splitlines()
    fw = reg.framework("riverside-values")
    for e in fw:
        assert e.source.document == "riverside-values-statement.txt"
        assert e.source.lines is not None
        first, last = e.source.lines
        cited = " ".join(" ".join(statement[first - 1 : last]).split())
        assert e.name in cited or e.definition_status != "not-given"
        if e.definition_status == "quoted":
            assert e.definition is not None and e.definition in cited, e.id
    assert fw.element("proud-of-riverside").definition is None


def rows_by_team(table: Any) -> dict[tuple[str, str], dict[str, Any]]:
    return {(r["team"], r["element"]): r for r in table.rows()}


def test_scores_the_example_data(reg: Registry) -> None:
    result = score(reg, "riverside-pulse", TUTORIAL / "riverside-responses.csv")

    # fourteen rows in, thirteen scored; X1 (row 14) answered 6 on a 1-5 scale
    assert (result.accounting.input, result.accounting.accepted, result.accounting.rejected) == (14, 13, 1)
    [rejection] = result.rejected
    assert rejection.row == 14
    assert [(p.field, p.rule) for p in rejection.problems] == [("rf-needs", "maximum")]

    rows = rows_by_team(result.table("net-agreement", "net-agreement"))
    expected = {  # (n, share favourable, share unfavourable), worked out by hand from the CSV
        ("(all)", "residents-first"): (13, 7 / 13, 2 / 13),
        ("(all)", "working-together"): (13, 6 / 13, 3 / 13),  # P3 scored from its one answered item
        ("(all)", "doing-the-right-thing"): (13, 4 / 13, 2 / 13),
        ("(all)", "proud-of-riverside"): (13, 6 / 13, 3 / 13),
        ("Housing", "residents-first"): (4, 3 / 4, 0),
        ("Housing", "working-together"): (4, 2 / 4, 1 / 4),  # H4's reverse-keyed 4 scores 2
        ("Housing", "doing-the-right-thing"): (4, 0, 1 / 4),
        ("Housing", "proud-of-riverside"): (4, 3 / 4, 0),
        ("Parks", "residents-first"): (4, 2 / 4, 1 / 4),
        ("Parks", "working-together"): (4, 2 / 4, 1 / 4),
        ("Parks", "doing-the-right-thing"): (4, 2 / 4, 0),
        ("Parks", "proud-of-riverside"): (4, 2 / 4, 1 / 4),
    }
    for key, (n, fav, unfav) in expected.items():
        row = rows[key]
        assert row["n"] == n and not row["suppressed"], key
        assert math.isclose(row["favourable"], 100 * fav), key
        assert math.isclose(row["unfavourable"], 100 * unfav), key
        assert math.isclose(row["net"], 100 * (fav - unfav), abs_tol=1e-9), key

    # Waste (2 respondents) is below min_group_size 3; Planning (3) is withheld too, or Waste's
    # answers could be recovered as the council total minus Housing, Parks and Planning
    for team, size in (("Planning", 3), ("Waste", 2)):
        for element in ("residents-first", "working-together", "doing-the-right-thing", "proud-of-riverside"):
            row = rows[(team, element)]
            assert row["suppressed"] and row["respondents"] is None and size < 4  # sizes withheld too
            assert row["n"] is None and row["favourable"] is None and row["net"] is None

    assert result.output("net-agreement").summary == {
        "highest_net_agreement": "residents-first",
        "withheld_teams": ["Planning", "Waste"],
    }


def test_parameters_are_defaulted_overridden_and_validated(reg: Registry) -> None:
    data = TUTORIAL / "riverside-responses.csv"
    # the instrument sets min_group_size 3; with 5 every team (at most 4 respondents) is withheld
    result = score(reg, "riverside-pulse", data, params={"net-agreement": {"min_group_size": 5}})
    assert result.output("net-agreement").summary["withheld_teams"] == ["Housing", "Parks", "Planning", "Waste"]
    assert result.output("net-agreement").params == {"favourable": 4, "unfavourable": 2, "min_group_size": 5}
    with pytest.raises(DocumentError, match="min_group_size"):
        score(reg, "riverside-pulse", data, params={"net-agreement": {"min_group_size": 0}})


def test_without_a_team_column_only_the_council_is_reported(reg: Registry) -> None:
    records = [
        {"respondent_id": "a", "rf-needs": 5, "rf-difference": 5, "wt-share": 1, "wt-silos": 5},
        {"respondent_id": "b", "rf-needs": 1, "rf-difference": 2, "wt-share": 3, "wt-silos": 3},
    ]
    result = score(
        reg,
        "riverside-pulse",
        records,
        scorers=["net-agreement"],
        params={"net-agreement": {"min_group_size": 2}},
        allow_missing_items=True,  # the records answer two of the four values only
    )
    rows = result.table("net-agreement", "net-agreement").rows()
    assert {r["team"] for r in rows} == {"(all)"}
    by_element = {r["element"]: r for r in rows}
    assert by_element["residents-first"]["net"] == 0.0  # one favourable (5), one unfavourable (1.5)
    assert by_element["working-together"]["net"] == -50.0  # a: (1 + 1) / 2 = 1; b: 3
    assert result.output("net-agreement").summary["highest_net_agreement"] == "residents-first"

    # with the instrument's min_group_size of 3, two respondents are too few to report at all
    result = score(reg, "riverside-pulse", records, scorers=["net-agreement"], allow_missing_items=True)
    assert all(r["suppressed"] for r in result.table("net-agreement", "net-agreement").rows())
    assert result.output("net-agreement").summary["highest_net_agreement"] is None


def test_the_tutorial_script_prints_what_the_page_explains(capsys: pytest.CaptureFixture[str]) -> None:
    sys.path.insert(0, str(TUTORIAL))
    try:
        runpy.run_path(str(TUTORIAL / "score_riverside.py"), run_name="__main__")
    finally:
        sys.path.remove(str(TUTORIAL))
    out = capsys.readouterr().out
    assert out.startswith("14 rows: 13 scored, 1 rejected\n")
    assert "row 14, column rf-needs: '6' is above the scale maximum 5 [maximum]" in out
    assert re.search(r"Housing\s+residents-first\s+4\s+4\s+75\.0\s+0\.0\s+75\.0\s+False", out)
    assert "{'highest_net_agreement': 'residents-first', 'withheld_teams': ['Planning', 'Waste']}" in out


def test_the_packaging_example_declares_the_entry_point(plugin: ModuleType) -> None:
    project = tomllib.loads((TUTORIAL / "example-pyproject.toml").read_text(encoding="utf-8"))
    entry_points = project["project"]["entry-points"][hookspecs.PROJECT]
    assert list(entry_points.values()) == [plugin.__name__]


def test_getting_started_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    runpy.run_path(str(DOCS / "examples" / "quickstart.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "Accounting(input=14, accepted=14, rejected=0)" in out
    assert "Top priority: leadership - quick wins: alignment, agility" in out


def test_dependencies_page_covers_every_runtime_dependency() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    page = (DOCS / "dependencies.rst").read_text(encoding="utf-8")
    names = [re.split(r"[<>=\[ ;]", d, maxsplit=1)[0] for d in project["dependencies"]]
    for extra in project["optional-dependencies"].values():
        names += [re.split(r"[<>=\[ ;]", d, maxsplit=1)[0] for d in extra]
    missing = [n for n in names if f"``{n}``" not in page and f"``{n}[" not in page]
    assert not missing, f"docs/dependencies.rst does not explain: {missing}"
