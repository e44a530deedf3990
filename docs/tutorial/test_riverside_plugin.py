"""The Riverside plugin's own tests, as a plugin author writes them: with
aspire_models.testing, a registry holding only the built-ins and this plugin.

Run from docs/tutorial/: ``python -m pytest test_riverside_plugin.py``.
"""

from __future__ import annotations

import math
from pathlib import Path

import riverside_plugin

from aspire_models import score
from aspire_models.testing import check_plugin, plugin_registry

HERE = Path(__file__).parent


def test_every_contribution_is_valid_and_scores() -> None:
    # registers cleanly and scores sample responses made from the survey with every scorer
    checked = check_plugin(riverside_plugin)
    assert checked.scorers == ("net-agreement",)


def test_net_agreement_per_team() -> None:
    reg = plugin_registry(riverside_plugin)  # strict: any refused contribution raises
    result = score(reg, "riverside-pulse", HERE / "riverside-responses.csv")
    assert (result.accounting.accepted, result.accounting.rejected) == (13, 1)  # X1 answered 6
    rows = {(r["team"], r["element"]): r for r in result.table("net-agreement", "net-agreement").rows()}
    housing = rows[("Housing", "residents-first")]  # 3 of 4 favourable, none unfavourable
    assert housing["n"] == 4 and math.isclose(housing["net"], 75.0)
    assert rows[("Waste", "residents-first")]["suppressed"]  # 2 people: withheld
    assert result.output("net-agreement").summary["withheld_teams"] == ["Planning", "Waste"]
