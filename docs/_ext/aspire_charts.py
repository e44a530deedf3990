"""The report charts, drawn while the docs are built: ``.. aspire-chart:: NAME``.

The bundled examples are scored once per build and turned into a report by the library's own
report code (:func:`aspire_models.reports.document.build_report`, which calls
``aspire_models.reports.charts``), so the pictures in the docs are the charts a user's
report holds, for the version documented. Each chart is written as an SVG file into the
build (``_charts/NAME.svg``) and shown as an image whose alternative text is the chart's
data, with its caption.

Names: ``radar``, ``gaps``, ``matrix`` (the Aspire method's importance-gap matrix), ``ipa``
(the importance-performance grid), ``benchmark``, ``profile-360``, ``team-360``,
``s-curve``. Option ``:caption:`` replaces the report's caption.

The bundled staff-survey councils have 2-4 respondents, fewer than the smallest group whose
figures are published by default (5, see the privacy page): the benchmark is drawn with
``min_group_size=2`` chosen explicitly, as a user would have to, and its result carries a
privacy notice.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

#: chart name -> (result index, start of the report's caption)
CHARTS = {
    "radar": (0, "Now and future by"),
    "gaps": (0, "Gaps in priority order"),
    "matrix": (0, "Importance-gap matrix"),
    "benchmark": (0, "Council C against the benchmark"),
    "ipa": (1, "Importance-performance grid"),
    "profile-360": (2, "360 profile of HRBP-01"),
    "team-360": (2, "Team view of"),
    "s-curve": (3, "Diffusion of Temporary talent transfers"),
}


def draw_all() -> dict[str, Any]:
    """Every chart the docs show, by name (``aspire_models.reports.charts.Chart`` values)."""
    from aspire_models import Registry, score
    from aspire_models.examples import example_path
    from aspire_models.instrument import ScoringRule
    from aspire_models.reports.document import build_report
    from aspire_models.reports.model import report_data

    reg = Registry(entry_points=False)
    aspire = reg.instrument("aspire-sop-self-assessment")
    responses = example_path("aspire-sop-responses.csv")
    results = [
        # councils of 2-4 respondents: shown with a smaller group chosen explicitly (a notice says so)
        score(
            reg,
            aspire,
            responses,
            scorers=[*aspire.scoring, ScoringRule("benchmark", {"min_answered": 1})],
            min_group_size=2,
        ),
        score(reg, aspire, responses, scorers=[ScoringRule("gap-priority", {"method": "ipa"})]),
        score(reg, "hrbp360-review", example_path("hrbp360-responses.csv")),
        score(reg, "innovation-adoption-survey", example_path("innovation-adoption.csv")),
    ]
    reports = [build_report([report_data(r, reg)], organisation="Council C") for r in results]
    charts = [r.charts() for r in reports]
    out: dict[str, Any] = {}
    for name, (i, caption) in CHARTS.items():
        found = [c for c in charts[i] if c.title.startswith(caption)]
        if not found:
            raise RuntimeError(f"aspire-chart {name}: no chart captioned {caption!r} in the example report")
        out[name] = found[0]
    return out


def _charts(app: Sphinx) -> dict[str, Any]:
    cached: dict[str, Any] | None = getattr(app, "aspire_chart_cache", None)
    if cached is None:
        cached = draw_all()
        app.aspire_chart_cache = cached  # type: ignore[attr-defined]  # once per build
    return cached


class AspireChart(SphinxDirective):
    """``.. aspire-chart:: NAME``: a report chart drawn from the bundled examples."""

    required_arguments = 1
    option_spec = {"caption": directives.unchanged}  # noqa: RUF012 - docutils reads a class attribute

    def run(self) -> list[nodes.Node]:
        name = self.arguments[0]
        if name not in CHARTS:
            raise self.error(f"unknown chart {name!r}; known: {', '.join(CHARTS)}")
        from aspire_models.reports.markdown import svg_file

        chart = _charts(self.env.app)[name]
        folder = Path(self.env.app.outdir) / "_charts"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{name}.svg").write_text(svg_file(chart.svg), encoding="utf-8")
        up = "../" * self.env.docname.count("/")
        caption = self.options.get("caption") or chart.title
        alt = chart.description or chart.title
        markup = (
            f'<figure class="aspire-chart" id="chart-{html.escape(name)}">'
            f'<img src="{up}_charts/{html.escape(name)}.svg" alt="{html.escape(alt)}" loading="lazy">'
            f"<figcaption>{html.escape(caption)}</figcaption></figure>"
        )
        return [nodes.raw("", markup, format="html")]


def scaling_chart(series: dict[str, list[tuple[float, float]]]) -> tuple[str, str]:
    """Measured time against respondents on log-log axes, drawn with the report charts' style
    (``aspire_models.reports.charts``); a dotted line of slope one marks proportional growth.
    Returns the standalone SVG and its alternative text (the figures)."""
    from aspire_models.reports import charts as ch
    from aspire_models.reports.markdown import svg_file

    colours = (ch.BLUE, ch.VERMILION, ch.GREEN, ch.PURPLE)
    markers = ("o", "s", "D", "^")
    with ch._figure(7.2, 4.2) as fig:
        ax = fig.add_subplot()
        ax.set_xscale("log")
        ax.set_yscale("log")
        for i, (label, points) in enumerate(series.items()):
            xs, ys = [p[0] for p in points], [p[1] for p in points]
            ax.plot(xs, ys, marker=markers[i % 4], color=colours[i % 4], linewidth=2, label=label)
            for x, y in points:
                ax.annotate(f"{y:g} s", (x, y), xytext=(6, -10 if i else 4), textcoords="offset points", fontsize=8)
        first = next(iter(series.values()))
        x0, y0 = first[0]
        x1 = max(p[0] for pts in series.values() for p in pts)
        ax.plot([x0, x1], [y0, y0 * x1 / x0], linestyle=":", color=ch.MUTED, linewidth=1.2, label="proportional growth")
        ax.set_xlabel("Respondents (72 answers each)")
        ax.set_ylabel("Seconds, file or table to result")
        ax.legend(loc="upper left")
        ax.set_title("Time to score grows in proportion to the data")
        svg = ch._svg(fig, "scaling")
    alt = "Line chart, seconds to score by number of respondents: " + "; ".join(
        f"{label}: " + ", ".join(f"{x:,.0f} respondents {y:g} s" for x, y in points) for label, points in series.items()
    )
    return svg_file(svg), alt


class ScalingChart(SphinxDirective):
    """``.. aspire-scaling-chart::`` with one line per series: ``LABEL: N SECONDS, N SECONDS``."""

    has_content = True

    def run(self) -> list[nodes.Node]:
        series: dict[str, list[tuple[float, float]]] = {}
        for line in self.content:
            if not line.strip():
                continue
            label, _, pairs = line.partition(":")
            try:
                series[label.strip()] = [
                    (float(a), float(b)) for a, b in (p.split() for p in pairs.split(",") if p.strip())
                ]
            except ValueError:
                raise self.error(f"aspire-scaling-chart: not 'LABEL: N SECONDS, ...': {line!r}") from None
        if not series:
            raise self.error("aspire-scaling-chart needs at least one series")
        svg, alt = scaling_chart(series)
        folder = Path(self.env.app.outdir) / "_charts"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "scaling.svg").write_text(svg, encoding="utf-8")
        up = "../" * self.env.docname.count("/")
        markup = (
            f'<figure class="aspire-chart" id="chart-scaling"><img src="{up}_charts/scaling.svg" '
            f'alt="{html.escape(alt)}" loading="lazy"><figcaption>Measured scoring time by number of '
            "respondents (logarithmic axes; fastest of three runs)</figcaption></figure>"
        )
        return [nodes.raw("", markup, format="html")]


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_directive("aspire-chart", AspireChart)
    app.add_directive("aspire-scaling-chart", ScalingChart)
    return {"version": "1", "parallel_read_safe": False, "parallel_write_safe": True}
