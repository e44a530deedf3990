"""Plugins in reports: charts contributed through the ``aspire_report_charts`` hook
(:func:`aspire_models.hookspecs.aspire_report_charts`), drawn in the report's style.

A plugin scorer's section in a report is headed by the scorer's ``title``, shows its
``description`` and its summary, then the charts contributed for it, then its tables.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from aspire_models.reports.charts import Chart
    from aspire_models.reports.model import Labels, OutputView

__all__ = ["CHART_SIZE", "ReportChart", "draw_chart"]

#: width and height (inches) of the figure a contributed chart draws on; ``draw`` may change it
CHART_SIZE = (7.5, 4.0)


@runtime_checkable
class ReportChart(Protocol):
    """A chart a plugin contributes to reports (see ``aspire_report_charts``)."""

    @property
    def scorer(self) -> str:
        """Id of the scorer whose output the chart draws."""

    @property
    def title(self) -> str:
        """The chart's caption."""

    def draw(self, figure: Figure, output: OutputView, labels: Labels) -> str | None:
        """Draw on ``figure``; return the alternative text (what the chart shows, with its
        figures), or ``None`` to leave the chart out."""


def problem(item: object) -> str | None:
    """Why a contributed object is not a usable report chart (``None``: it is)."""
    for attr in ("scorer", "title"):
        if not isinstance(getattr(item, attr, None), str):
            return f"a report chart needs a string attribute {attr!r}"
    if not callable(getattr(item, "draw", None)):
        return "a report chart needs a draw(figure, output, labels) method"
    return None


def draw_chart(contribution: ReportChart, output: OutputView, labels: Labels, chart_id: str) -> Chart | None:
    """Draw one contributed chart as inline SVG (``None`` when it leaves itself out).
    Exceptions from the plugin's ``draw`` propagate; the report turns them into a note."""
    from aspire_models.reports import charts as ch

    with ch._figure(*CHART_SIZE) as fig:
        alt = contribution.draw(fig, output, labels)
        if alt is None:
            return None
        svg = ch._svg(fig, chart_id)
    return ch.Chart(chart_id, contribution.title, svg, str(alt))


def charts_for(contributions: Sequence[ReportChart], scorer: str) -> list[ReportChart]:
    """The contributed charts that draw ``scorer``'s output, in contribution order."""
    return [c for c in contributions if c.scorer == scorer]
