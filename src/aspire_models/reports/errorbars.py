"""A chart of organisation means with their confidence intervals as error bars, against the
sector mean of organisation means and its interval (a band), one panel per response mode.

Drawn from the published ``aggregate`` tables only: withheld organisations are absent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from aspire_models.reports import charts as ch
from aspire_models.reports.model import Labels

__all__ = ["MAX_BARS", "has_intervals", "means_with_intervals"]

#: organisations drawn with their own error bars; beyond it, their means only (grey dots)
MAX_BARS = 8
MODE_NAMES = {"now": "Now", "future": "Future", "": "Score"}


def _published(rows: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [
        r
        for r in rows
        if not r.get("suppressed")
        and r.get("mean") is not None
        and r.get("ci_low") is not None
        and r.get("ci_high") is not None
        and str(r.get("mode") or "") != "gap"
    ]


def has_intervals(organisations: Sequence[Mapping[str, Any]]) -> bool:
    """Whether an organisation table publishes any mean with an interval (then the chart is drawn)."""
    return bool(_published(organisations))


def means_with_intervals(
    chart_id: str,
    organisations: Sequence[Mapping[str, Any]],
    sector: Sequence[Mapping[str, Any]],
    labels: Labels,
) -> ch.Chart:
    """Per dimension: each published organisation's mean with its confidence interval (error
    bar), and the sector's mean of organisation means with its interval (grey band)."""
    rows = _published(organisations)
    modes = list(dict.fromkeys(str(r["mode"] or "") for r in rows))
    elements = list(dict.fromkeys(r["element"] for r in rows))
    orgs = list(dict.fromkeys(r["organisation"] for r in rows))
    bars = len(orgs) <= MAX_BARS
    by = {(r["organisation"], r["element"], str(r["mode"] or "")): r for r in rows}
    sec = {(r["element"], str(r["mode"] or "")): r for r in sector if r.get("mean") is not None}
    colours = (ch.BLUE, *ch.GROUP_COLOURS)
    with ch._figure(max(7.8, 3.2 * len(modes) + 1.8), 0.55 * len(elements) + 1.9) as fig:
        axes = fig.subplots(1, len(modes), sharey=True, squeeze=False)[0]
        for ax, mode in zip(axes, modes, strict=True):
            for y, e in enumerate(elements):
                s = sec.get((e, mode))
                if s is not None and s.get("ci_low") is not None and s.get("ci_high") is not None:
                    ax.fill_betweenx(
                        [y - 0.42, y + 0.42], s["ci_low"], s["ci_high"], color="#E4E7EB", linewidth=0, zorder=1
                    )
                if s is not None:
                    ax.plot([s["mean"]] * 2, [y - 0.42, y + 0.42], color=ch.MUTED, linewidth=1.4, zorder=2)
            for i, org in enumerate(orgs):
                pts = [(y, by[(org, e, mode)]) for y, e in enumerate(elements) if (org, e, mode) in by]
                if not pts:
                    continue
                offset = (i - (len(orgs) - 1) / 2) * (0.6 / max(len(orgs), 1)) if bars else 0.0
                ys = [y + offset for y, _ in pts]
                means = [r["mean"] for _, r in pts]
                if bars:
                    err = [[r["mean"] - r["ci_low"] for _, r in pts], [r["ci_high"] - r["mean"] for _, r in pts]]
                    ax.errorbar(
                        means,
                        ys,
                        xerr=err,
                        fmt="o",
                        markersize=4.5,
                        capsize=2.5,
                        linewidth=1.2,
                        color=colours[i % len(colours)],
                        zorder=3,
                        label=ch._t(org) if mode == modes[0] else None,
                    )
                else:
                    ax.scatter(means, ys, s=12, color="#9AA5B1", zorder=3)
            ax.set_title(MODE_NAMES.get(mode, ch._t(mode)), fontsize=9.5, loc="center")
            ax.grid(axis="y", visible=False)
            if labels.scale is not None:
                ax.set_xlim(labels.scale[0] - 0.5, labels.scale[1] + 0.5)
        axes[0].set_yticks(range(len(elements)), [ch._wrap(labels.element(e), 24) for e in elements])
        axes[0].invert_yaxis()
        handles, names = axes[0].get_legend_handles_labels()
        from matplotlib.patches import Patch

        handles.append(Patch(color="#E4E7EB"))
        names.append("Sector mean (line) and its interval (band)")
        fig.legend(handles, names, loc="outside lower center", ncols=3)
        fig.suptitle("Means with confidence intervals", x=0.02, ha="left", fontweight="bold", fontsize=11)
        svg = ch._svg(fig, chart_id)
    what = "each organisation's mean with its confidence interval (bar)" if bars else "each organisation's mean (grey)"
    return ch.Chart(
        chart_id,
        "Means with confidence intervals: organisations and the sector",
        svg,
        f"Per dimension, {what}, and the sector mean of organisation means with its interval (band). "
        + _sector_text(sec, elements, modes, labels),
    )


def _sector_text(
    sec: Mapping[tuple[Any, str], Mapping[str, Any]], elements: Sequence[Any], modes: Sequence[str], labels: Labels
) -> str:
    """The sector figures the chart shows, for its alternative text (the data, not the caption)."""
    parts = []
    for e in elements:
        for m in modes:
            s = sec.get((e, m))
            if s is None:
                continue
            ci = (
                f" ({s['ci_low']:.2f} to {s['ci_high']:.2f})"
                if s.get("ci_low") is not None and s.get("ci_high") is not None
                else ""
            )
            parts.append(f"{labels.element(e)}{f' ({m})' if m else ''}: {s['mean']:.2f}{ci}")
    return "Sector means: " + "; ".join(parts) + "." if parts else ""
