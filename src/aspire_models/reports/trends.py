"""Reports on survey waves (:func:`aspire_models.compare.compare`): a "what changed" table
sorted by effect size, and a trend chart per dimension (waves along the x-axis, each
organisation's mean with its confidence band against the sector's).

Only published figures are drawn: each wave's organisation and sector tables (as the
disclosure step left them) and the comparison's ``changes`` table.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from aspire_models.reports import charts as ch
from aspire_models.reports.document import MODE_NAMES, Cell, ChartBlock, Facts, Report, Section, TableBlock, Text
from aspire_models.reports.model import Labels

if TYPE_CHECKING:
    from aspire_models.compare import Comparison
    from aspire_models.registry import Registry

__all__ = ["comparison_report", "render_comparison", "trend_chart", "what_changed_rows"]

Point = tuple[float, float, float] | None  # mean, ci_low, ci_high
ADJUSTMENTS = {"holm": "Holm", "bh": "Benjamini-Hochberg", "none": "not adjusted"}


def _f(v: Any) -> float:
    return float("nan") if v is None else float(v)


def trend_chart(
    chart_id: str,
    title: str,
    waves: Sequence[str],
    organisations: Mapping[str, Sequence[Point]],
    sector: Sequence[Point],
    *,
    confidence: float = 0.95,
    scale: tuple[float, float] | None = None,
) -> ch.Chart:
    """One dimension across waves: per organisation its mean (line and points) with the
    confidence interval as a band, and the sector mean of organisation means (dashed, grey
    band). A wave where a group is withheld leaves a gap in its line."""
    x = list(range(len(waves)))
    with ch._figure(7.2, 3.6) as fig:
        ax = fig.subplots()
        values: list[float] = []

        def draw(points: Sequence[Point], colour: str, name: str, *, dashed: bool = False) -> None:
            mean = [p[0] if p else math.nan for p in points]
            lo = [p[1] if p else math.nan for p in points]
            hi = [p[2] if p else math.nan for p in points]
            values.extend(v for v in (*lo, *hi, *mean) if not math.isnan(v))
            ax.fill_between(x, lo, hi, color=colour, alpha=0.15, linewidth=0)
            ax.plot(
                x,
                mean,
                color=colour,
                marker="o",
                markersize=4.5,
                linewidth=1.8,
                linestyle="--" if dashed else "-",
                label=ch._t(name),
            )

        colours = (ch.BLUE, *ch.GROUP_COLOURS)
        for i, (org, points) in enumerate(organisations.items()):
            draw(points, colours[i % len(colours)], org)
        draw(sector, ch.GREY, "Sector (mean of organisations)", dashed=True)
        ax.set_xticks(x, [ch._t(w) for w in waves])
        if scale is not None:
            lo_v = min([scale[0], *values])
            hi_v = max([scale[1], *values])
            ax.set_ylim(lo_v - 0.3, hi_v + 0.3)
        ax.set_xlim(-0.3, len(waves) - 0.7)
        ax.set_ylabel("Mean score")
        ax.grid(axis="x", visible=False)
        ax.set_title(ch._t(title))
        fig.legend(loc="outside lower center", ncols=min(3, len(organisations) + 1))
        svg = ch._svg(fig, chart_id)
    return ch.Chart(
        chart_id,
        f"{title}: mean per wave with its {confidence:.0%} confidence interval (band)",
        svg,
        f"{title}: the mean of each organisation and of the sector in each wave, with confidence bands.",
    )


def what_changed_rows(comparison: Comparison, pair: tuple[str, str] | None = None) -> list[dict[str, Any]]:
    """The compared rows of one pair of waves (default: first and last), largest effect
    first (absolute Hedges' g, then absolute change; rows without g last)."""
    a, b = pair or (comparison.labels[0], comparison.labels[-1])
    rows = [r for r in comparison.table().rows() if r["from"] == a and r["to"] == b and not r["suppressed"]]

    def key(r: Mapping[str, Any]) -> tuple[int, float, float, str, str, str]:
        g = r["hedges_g"]
        return (
            g is None,
            -abs(g) if g is not None else 0.0,
            -abs(_f(r["change"])) if r["change"] is not None else 0.0,
            r["organisation"],
            r["element"],
            r["mode"],
        )

    return sorted(rows, key=key)


def _num(v: Any, fmt: str) -> Cell:
    return Cell("–", "none") if v is None else Cell(fmt.format(v), "num")


def _dimension(labels: Labels, element: str, mode: str) -> str:
    name = labels.element(element)
    return f"{name} ({MODE_NAMES.get(mode, mode)})" if mode else name


def _points(
    comparison: Comparison,
) -> tuple[dict[tuple[str, str], dict[str, list[Point]]], dict[tuple[str, str], list[Point]]]:
    orgs: dict[tuple[str, str], dict[str, list[Point]]] = {}
    sector: dict[tuple[str, str], list[Point]] = {}
    n = len(comparison.waves)
    for w, result in enumerate(comparison.waves):
        for r in result.table("aggregate", "organisations").rows():
            mode = str(r["mode"] or "")
            if mode == "gap":
                continue
            series = orgs.setdefault((r["element"], mode), {}).setdefault(r["organisation"], [None] * n)
            if not r["suppressed"] and r["mean"] is not None:
                series[w] = (r["mean"], _f(r.get("ci_low")), _f(r.get("ci_high")))
        for r in result.table("aggregate", "sector").rows():
            mode = str(r["mode"] or "")
            if mode == "gap":
                continue
            s = sector.setdefault((r["element"], mode), [None] * n)
            if r["mean"] is not None:
                s[w] = (r["mean"], _f(r.get("ci_low")), _f(r.get("ci_high")))
    return orgs, sector


def comparison_report(
    comparison: Comparison,
    registry: Registry | None = None,
    *,
    title: str | None = None,
    organisation: str | None = None,
    charts: bool = True,
) -> Report:
    """The report of a comparison: the findings per organisation, the "what changed" table
    (largest effect first), a trend chart per dimension and the instrument changes.
    ``organisation``: draw that organisation only against the sector."""
    first = comparison.waves[0]
    labels = Labels.lookup(registry, first.provenance.instrument_id, first.provenance.framework_id)
    params = comparison.output.params
    a, b = comparison.labels[0], comparison.labels[-1]
    summary = Section("summary", "What changed")
    findings = comparison.findings((a, b))
    facts = []
    reasons = {r["organisation"]: r["reason"] for r in comparison.table().rows() if (r["from"], r["to"]) == (a, b)}
    for org, counts in findings.items():
        total = sum(counts.values())
        if counts["not compared"] == total:
            text = str(reasons[org])
        else:
            text = (
                f"improved on {counts['improved']}, declined on {counts['declined']}, no detectable change on "
                f"{counts['no detectable change']} of {total - counts['not compared']} dimensions compared"
            )
        facts.append((org, text))
    summary.add(
        Text(
            f"{b} against {a}: changes with their {params['confidence']:.0%} confidence intervals, tested with "
            "Welch's t (the paired t where the same respondents answered both waves, the partially overlapping "
            "samples t where some did); p-values adjusted over every comparison, the sector's included "
            f"({ADJUSTMENTS.get(str(params['adjust']), 'not adjusted')}); "
            f"a change is labelled at alpha {params['alpha']:g}. Only groups both waves publish are compared.",
            "lead",
        ),
        Facts(tuple(facts), "findings"),
    )
    body = []
    for r in what_changed_rows(comparison, (a, b)):
        body.append(
            (
                Cell(str(r["organisation"])),
                Cell(_dimension(labels, r["element"], r["mode"])),
                _num(r["mean_from"], "{:.2f}"),
                _num(r["mean_to"], "{:.2f}"),
                _num(r["change"], "{:+.2f}"),
                Cell(
                    "–" if r["ci_low"] is None else f"{r['ci_low']:+.2f} to {r['ci_high']:+.2f}",
                    "num",
                ),
                Cell("–" if r["hedges_g"] is None else f"{r['hedges_g']:+.2f}", "num"),
                Cell("–" if r["p_adjusted"] is None else f"{r['p_adjusted']:.3g}", "num"),
                Cell(str(r["label"] or r["reason"]), f"tag-{str(r['label'] or 'untested').replace(' ', '-')}"),
            )
        )
    summary.add(
        TableBlock(
            "What changed, largest effect first",
            (
                "Organisation",
                labels.kind,
                f"{a} mean",
                f"{b} mean",
                "Change",
                f"{params['confidence']:.0%} interval",
                "Hedges' g",
                "Adjusted p",
                "Finding",
            ),
            tuple(body),
            "Hedges' g: the change in pooled standard deviations (0.2 small, 0.5 medium, 0.8 large, Cohen 1988).",
        )
    )
    sector_rows = [r for r in comparison.table("sector-changes").rows() if (r["from"], r["to"]) == (a, b)]
    if sector_rows:
        left = sorted({o for r in sector_rows for o in r["left_out"]})
        summary.add(
            TableBlock(
                "The sector: mean of organisation means",
                (
                    labels.kind,
                    "Organisations",
                    f"{a} mean",
                    f"{b} mean",
                    "Change",
                    f"{params['confidence']:.0%} interval",
                    "Adjusted p",
                    "Finding",
                ),
                tuple(
                    (
                        Cell(_dimension(labels, r["element"], r["mode"])),
                        Cell("–" if r["n_from"] is None else f"{r['n_from']} / {r['n_to']}", "num"),
                        _num(r["mean_from"], "{:.2f}"),
                        _num(r["mean_to"], "{:.2f}"),
                        _num(r["change"], "{:+.2f}"),
                        Cell(
                            "–" if r["ci_low"] is None else f"{r['ci_low']:+.2f} to {r['ci_high']:+.2f}",
                            "num",
                        ),
                        Cell("–" if r["p_adjusted"] is None else f"{r['p_adjusted']:.3g}", "num"),
                        Cell(
                            str(r["label"] or r["reason"]),
                            f"tag-{str(r['label'] or 'untested').replace(' ', '-')}",
                        ),
                    )
                    for r in sector_rows
                ),
                "Each organisation weighs the same. Paired by organisation over those published in both waves "
                "when there are at least two, otherwise Welch's t over each wave's published organisations."
                + (f" Not in it: {', '.join(left)}." if left else ""),
            )
        )
    sections = [summary]
    trend = Section("trends", "Trends")
    orgs, sector = _points(comparison)
    n_chart = 0
    for (element, mode), by_org in orgs.items():
        shown = {o: p for o, p in by_org.items() if (organisation is None or o == organisation) and any(p)}
        if not shown and organisation is not None:
            continue
        n_chart += 1
        if charts:
            trend.add(
                ChartBlock(
                    trend_chart(
                        f"trend-c{n_chart}",
                        _dimension(labels, element, mode),
                        comparison.labels,
                        shown,
                        sector.get((element, mode), [None] * len(comparison.labels)),
                        confidence=float(params["confidence"]),
                        scale=labels.scale,
                    )
                )
            )
    if charts:
        sections.append(trend)
    items = comparison.table("instrument-changes").rows()
    if items:
        sec = Section("instrument-changes", "Instrument changes")
        sec.add(
            Text(
                "These dimensions' items differ between the waves' instrument versions; they are not compared.", "note"
            ),
            TableBlock(
                "Items changed",
                ("From", "To", labels.kind, "Mode", "Item", "Change"),
                tuple(
                    tuple(Cell(str(r[c])) for c in ("from", "to", "element", "mode", "item", "change")) for r in items
                ),
            ),
        )
        sections.append(sec)
    return Report(
        title or f"Change between survey waves: {', '.join(comparison.labels)}",
        labels.instrument_title or first.provenance.instrument_id,
        tuple(sections),
    )


def render_comparison(
    comparison: Comparison,
    registry: Registry | None = None,
    *,
    fmt: str = "html",
    title: str | None = None,
    organisation: str | None = None,
) -> str:
    """The comparison report as one self-contained HTML page (``fmt="html"``) or Markdown
    (``"md"``: the tables, with a note that the charts are in the HTML report)."""
    if fmt == "html":
        ch.require_matplotlib()
        from aspire_models.reports.html import write_html

        return write_html(comparison_report(comparison, registry, title=title, organisation=organisation))
    if fmt == "md":
        from aspire_models.reports.markdown import write_markdown

        report = comparison_report(comparison, registry, title=title, organisation=organisation, charts=False)
        return write_markdown(report, note="The trend charts are in the HTML report (aspire compare -o report.html).")
    raise ValueError(f"unknown report format {fmt!r}: use 'html' or 'md'")
