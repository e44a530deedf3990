"""The tutorial plugin: Riverside District Council's values (fictitious), a pulse survey on
them, and a scorer reporting net agreement per team with small teams suppressed.

The test suite registers this module in a registry and scores the example data
(tests/test_docs_tutorial.py); the documentation includes it piece by piece.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs
import numpy as np
from numpy.typing import NDArray

from aspire_models import ScorerOutput, ScoringContext, Table, hookimpl
from aspire_models.privacy import ALL, Cells
from aspire_models.scorers.dimensions import dimension_scores
from aspire_models.scoring import Scorer
from aspire_models.stats.suppression import suppress_cells

HERE = Path(__file__).parent


@attrs.frozen
class NetAgreementScorer:
    """Net agreement per value and team: the share of respondents who agree minus the share
    who disagree, with teams too small to publish withheld."""

    id: str = "net-agreement"
    title: str = "Net agreement by team"
    description: str = (
        "Per value, for the whole council and for each team: the percentage of respondents whose "
        "value score is favourable (at least `favourable`) minus the percentage whose score is "
        "unfavourable (at most `unfavourable`). Teams with fewer than `min_group_size` respondents are "
        "withheld, and so is the next smallest team while the withheld ones could be recovered "
        "from the council total, so that no answer can be traced to a person."
    )
    designs: tuple[str, ...] = ("self-assessment",)
    params_schema: Mapping[str, Any] = attrs.field(
        factory=lambda: {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "favourable": {"type": "number", "default": 4, "description": "Lowest favourable score."},
                "unfavourable": {"type": "number", "default": 2, "description": "Highest unfavourable score."},
                "min_group_size": {
                    "type": "integer",
                    "minimum": 1,
                    "default": 5,
                    "description": "Smallest team that is reported.",
                },
            },
        }
    )

    def score(self, ctx: ScoringContext, params: Mapping[str, Any]) -> ScorerOutput:
        # respondents x values: the mean of each respondent's items per value, after reverse keying
        dims = dimension_scores(ctx.instrument, ctx.data.answers, min_answered=1)
        scored = ~np.isnan(dims.scores)
        favourable = scored & (dims.scores >= params["favourable"])
        unfavourable = scored & (dims.scores <= params["unfavourable"])

        # the whole council, then each team ("team" is an optional response column)
        everyone = np.ones(ctx.data.n_accepted, dtype=bool)
        groups: list[tuple[str, NDArray[np.bool_]]] = [("(all)", everyone)]
        no_team = 0
        if ctx.data.team is not None:
            codes, labels = ctx.data.team.codes, ctx.data.team.labels
            groups += [(label, codes == i) for i, label in enumerate(labels)]
            no_team = int((codes < 0).sum())

        # small teams are withheld, and so is the next smallest while the withheld ones could be
        # recovered by subtracting the published teams from the council total
        sizes = [int(rows.sum()) for _, rows in groups]
        withhold = suppress_cells([sizes], k=params["min_group_size"], hidden=[no_team])[0]

        columns: dict[str, list[Any]] = {
            k: [] for k in ("team", "element", "respondents", "n", "favourable", "unfavourable", "net", "suppressed")
        }
        for (team, rows), size, hide in zip(groups, sizes, withhold, strict=True):
            for j, element in enumerate(dims.elements):
                n = int(scored[rows, j].sum())
                fav = 100 * favourable[rows, j].sum() / n if n else float("nan")
                unfav = 100 * unfavourable[rows, j].sum() / n if n else float("nan")
                columns["team"].append(team)
                columns["element"].append(element)
                columns["respondents"].append(None if hide else size)
                columns["n"].append(None if hide else n)
                columns["favourable"].append(None if hide else fav)
                columns["unfavourable"].append(None if hide else unfav)
                columns["net"].append(None if hide else fav - unfav)
                columns["suppressed"].append(bool(hide))

        table = Table(
            "net-agreement",
            "team",
            columns,
            "Per team (and '(all)') and value: respondents in the team, respondents with a value score "
            "(n), % favourable, % unfavourable and net agreement (favourable minus unfavourable, in "
            "percentage points). Withheld teams show only their name.",
            # which people each row describes, for the engine's disclosure check: the team's
            # respondents ('(all)': every team), n of them behind the figures
            cells=Cells(
                by={"team": "team"},
                count="n",
                people="respondents",
                values=("favourable", "unfavourable", "net"),
                statistic=("element",),
                unions={"team": {"(all)": ALL}},
                k=params["min_group_size"],
            ),
        )
        council_net = columns["net"][: len(dims.elements)]  # the '(all)' rows come first
        reported = [
            (net, e)
            for net, e in zip(council_net, dims.elements, strict=True)
            if net is not None and not math.isnan(net)
        ]
        summary = {
            "highest_net_agreement": max(reported, key=lambda r: r[0])[1] if reported else None,
            "withheld_teams": [team for (team, _), hide in zip(groups[1:], withhold[1:], strict=True) if hide],
        }
        return ScorerOutput(self.id, params, (table,), summary)


# The hooks: what this plugin contributes (paths to its JSON documents, and scorer objects).
@hookimpl
def aspire_frameworks() -> Sequence[Path]:
    return [HERE / "riverside-values.json"]


@hookimpl
def aspire_instruments() -> Sequence[Path]:
    return [HERE / "riverside-pulse.json"]


@hookimpl
def aspire_scorers() -> Sequence[Scorer]:
    return [NetAgreementScorer()]
