"""Charts for reports, drawn with matplotlib (Agg-free: figures are rendered straight to SVG
without pyplot, so no global backend or figure state is touched) and returned as inline SVG
text: no XML header, no metadata, no external fonts or URLs, element ids prefixed per chart
so that several charts can live in one HTML page, and deterministic bytes
(``svg.hashsalt`` is fixed, dates are left out).

Every chart takes plain table rows (dicts, as :meth:`Table.rows` gives them) and a
:class:`~aspire_models.reports.model.Labels`, and returns a :class:`Chart`.

Text from users (element names, organisation names, practice names) goes into the SVG as
text, which matplotlib escapes for XML; dollar signs are escaped so that they are never
read as mathematical notation.

Confidence intervals: where a row carries one (``ci_low``/``ci_high``, or ``now_ci_low`` and
the like in a priorities table), the chart draws it as an error bar through the point, names
the level in the legend ("95% confidence interval") and caption, and gives the interval's
ends in the alternative text. A withheld row (``suppressed``) or one without an interval
(fewer than two observations) draws no bar. The bars are drawn as artists whose ``gid``
starts with ``ci-`` (``<g id="…-ci-…">`` in the SVG).
"""

from __future__ import annotations

import io
import math
import re
import textwrap
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import attrs

from aspire_models.errors import AspireError
from aspire_models.reports.model import Labels

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "CLASS_COLOURS",
    "Chart",
    "benchmark_chart",
    "gap_bars",
    "priority_matrix",
    "profile_360",
    "radar",
    "require_matplotlib",
    "s_curve",
    "team_profile",
]

# Okabe-Ito palette: distinguishable with the common colour-vision deficiencies.
BLUE, ORANGE, GREEN, VERMILION, SKY, PURPLE, YELLOW, GREY = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#D55E00",
    "#56B4E9",
    "#CC79A7",
    "#F0E442",
    "#8C8C8C",
)
INK = "#1F2933"
CLASS_COLOURS = {
    "key-priority": VERMILION,
    "quick-win": GREEN,
    "other": GREY,
    "concentrate-here": VERMILION,
    "keep-up-the-good-work": GREEN,
    "low-priority": GREY,
    "possible-overkill": ORANGE,
}
CLASS_NAMES = {
    "key-priority": "Key priority",
    "quick-win": "Quick win",
    "other": "Not selected",
    "concentrate-here": "Concentrate here",
    "keep-up-the-good-work": "Keep up the good work",
    "low-priority": "Low priority",
    "possible-overkill": "Possible overkill",
}
# Text drawn in a class's colour: darker shades of the palette with at least 4.5:1 contrast on
# white and on the chart's pale bands (WCAG 2.1 AA), where the palette itself falls short
# (orange 2.25:1, green 3.42:1, vermilion 3.87:1, grey 3.36:1).
TEXT_COLOURS = {VERMILION: "#A84800", GREEN: "#006B4F", ORANGE: "#8A5A00", GREY: "#5F5F5F", BLUE: BLUE}
MUTED = "#52606D"  # axis and tick text: 6.5:1 on white
GROUP_COLOURS = (ORANGE, GREEN, PURPLE, SKY, "#A6761D", YELLOW, "#666666")
CATEGORY_NAMES = {
    "innovators": "Innovators",
    "early-adopters": "Early adopters",
    "early-majority": "Early majority",
    "late-majority": "Late majority",
    "laggards": "Laggards",
}
CATEGORY_FILLS = ("#E8F1FA", "#D3E5F5", "#F4F4F4", "#E9E9E9", "#FBF0DC")

_RC: Any = {
    "svg.hashsalt": "aspire-models",
    "svg.fonttype": "none",  # text stays text (searchable, accessible), drawn in the page's fonts
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Liberation Sans", "Arial", "Helvetica"],
    "font.size": 9.5,
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.titlepad": 10,
    "axes.labelsize": 9.5,
    "axes.labelcolor": INK,
    "axes.edgecolor": "#9AA5B1",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.color": "#E4E7EB",
    "grid.linewidth": 0.8,
    "xtick.color": "#52606D",
    "ytick.color": "#52606D",
    "text.color": INK,
    "legend.frameon": False,
    "legend.fontsize": 8.5,
    "figure.dpi": 100,
    "path.simplify": False,
}


@attrs.frozen
class Chart:
    """A rendered chart: title (for the figure caption), inline SVG, alternative text."""

    id: str
    title: str
    svg: str
    description: str = ""


def require_matplotlib() -> None:
    """Raise a clear error when the ``reports`` extra is not installed."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise AspireError(
            "charts need matplotlib, which is not installed: pip install 'aspire-models[reports]'"
        ) from None


def _t(text: Any) -> str:
    """User text for matplotlib: never mathtext."""
    return str(text).replace("\\", "\\\\").replace("$", r"\$")


def _wrap(text: Any, width: int = 18) -> str:
    return "\n".join(textwrap.wrap(_t(text), width)) or _t(text)


@contextmanager
def _figure(width: float, height: float) -> Iterator[Figure]:
    require_matplotlib()
    import matplotlib
    from matplotlib.figure import Figure

    with matplotlib.rc_context(_RC):
        fig = Figure(figsize=(width, height), layout="constrained")
        yield fig


_ID = re.compile(r'\bid="([^"]+)"')


def _svg(fig: Figure, chart_id: str) -> str:
    import matplotlib

    buf = io.StringIO()
    with matplotlib.rc_context(_RC):
        fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    text = buf.getvalue()
    text = text[text.index("<svg") :]  # drop the XML declaration and DOCTYPE
    text = re.sub(r"\s*<metadata>.*?</metadata>", "", text, flags=re.S)
    ids = set(_ID.findall(text))
    prefix = f"{chart_id}-"

    def fix(m: re.Match[str]) -> str:
        return m.group(0).replace(m.group(1), prefix + m.group(1)) if m.group(1) in ids else m.group(0)

    text = _ID.sub(fix, text)
    text = re.sub(r'(xlink:href|href)="#([^"]+)"', lambda m: f'{m.group(1)}="#{prefix}{m.group(2)}"', text)
    text = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}{m.group(1)})", text)
    # scale down with the page (never up): the natural width becomes the maximum width
    text = re.sub(
        r'<svg([^>]*?) width="([^"]*)" height="[^"]*"',
        r'<svg\1 style="width: 100%; max-width: \2; height: auto"',
        text,
        count=1,
    )
    return text.strip() + "\n"


def _num(v: Any) -> float:
    return float("nan") if v is None else float(v)


Interval = tuple[float, float]
CI_INK = "#3E4C59"  # error bars in black-ish ink: 9.6:1 on white


def interval(row: Mapping[str, Any], low: str = "ci_low", high: str = "ci_high") -> Interval | None:
    """A row's published interval (``low``, ``high`` columns), or None when the row is
    withheld or has none (missing, NaN)."""
    if row.get("suppressed"):
        return None
    lo, hi = row.get(low), row.get(high)
    if lo is None or hi is None:
        return None
    a, b = float(lo), float(hi)
    return None if math.isnan(a) or math.isnan(b) else (a, b)


def level_text(confidence: float) -> str:
    """``0.95`` -> ``"95% confidence interval"``."""
    return f"{100 * confidence:g}% confidence interval"


def _ci_text(iv: Interval | None) -> str:
    return "" if iv is None else f" (interval {iv[0]:.2f} to {iv[1]:.2f})"


def _ci_handle(confidence: float, colour: str = CI_INK) -> Any:
    """The legend entry of the error bars."""
    from matplotlib.lines import Line2D

    return Line2D(
        [], [], color=colour, linewidth=1.3, marker="|", markersize=9, markeredgewidth=1.3, label=level_text(confidence)
    )


def _errorbars(
    ax: Any,
    points: Sequence[tuple[float, Interval]],
    gid: str,
    *,
    horizontal: bool = True,
    colour: str = CI_INK,
    zorder: float = 2.5,
    caps: bool = True,
    linewidth: float = 1.2,
    clip: tuple[float, float] | None = None,
) -> None:
    """Error bars from ``(position, (low, high))``: across x at height ``position``
    (``horizontal``), or along y at ``position`` (also radially on a polar axis). The bars
    are exactly the intervals' ends (a LineCollection with ``gid``), with caps as markers.
    With ``clip`` (the axis range), a bar is cut at the range and the cut end has no cap:
    the interval goes on past the edge (its ends are in the chart's alternative text)."""
    if not points:
        return
    from matplotlib.collections import LineCollection

    a, b = clip if clip is not None else (-math.inf, math.inf)
    cut = [(pos, (max(lo, a), min(hi, b))) for pos, (lo, hi) in points]
    segs = [[(lo, y), (hi, y)] if horizontal else [(y, lo), (y, hi)] for y, (lo, hi) in cut]
    bars = LineCollection(segs, colors=colour, linewidths=linewidth, zorder=zorder, capstyle="butt")
    bars.set_gid(gid)
    ax.add_collection(bars, autolim=False)
    if caps:
        whole = [(lo >= a, hi <= b) for _, (lo, hi) in points]
        ends = [pt for seg, keep in zip(segs, whole, strict=True) for pt, k in zip(seg, keep, strict=True) if k]
        if not ends:
            return
        ax.scatter(
            [e[0] for e in ends],
            [e[1] for e in ends],
            marker="|" if horizontal else "_",
            s=28,
            linewidths=linewidth,
            color=colour,
            zorder=zorder,
            gid=f"{gid}-caps",
        )


def _scale_limits(values: Sequence[float], scale: tuple[float, float] | None) -> tuple[float, float]:
    if scale is not None:
        return scale
    finite = [v for v in values if not math.isnan(v)]
    if not finite:
        return 0.0, 1.0
    return math.floor(min(finite)), math.ceil(max(finite))


# -- gap and priority ------------------------------------------------------------------------
def radar(chart_id: str, priorities: Sequence[Mapping[str, Any]], labels: Labels, *, confidence: float = 0.95) -> Chart:
    """Now versus future per theme, on a radar (spider) chart, with each mean's confidence
    interval (``now_ci_low``/``now_ci_high``, ``future_ci_*``) as a radial bar beside its point."""
    rows = list(priorities)
    names = [labels.element(r["element"]) for r in rows]
    now = [_num(r["now"]) for r in rows]
    fut = [_num(r["future"]) for r in rows]
    now_ci = [interval(r, "now_ci_low", "now_ci_high") for r in rows]
    fut_ci = [interval(r, "future_ci_low", "future_ci_high") for r in rows]
    lo, hi = _scale_limits(now + fut, labels.scale)
    n = len(rows)
    angles = [2 * math.pi * i / n for i in range(n)]
    dodge = min(0.045, math.pi / max(n, 1) / 4)  # now and future bars side by side, not on top
    drawn = any(now_ci) or any(fut_ci)
    with _figure(6.4, 5.6) as fig:
        ax: Any = fig.add_subplot(projection="polar")
        ax.set_theta_offset(math.pi / 2)
        ax.set_theta_direction(-1)
        closed = [*angles, angles[0]]
        ax.plot(closed, [*fut, fut[0]], color=VERMILION, linewidth=2, label="Future (where we need to be)")
        ax.fill(closed, [*fut, fut[0]], color=VERMILION, alpha=0.08)
        ax.plot(closed, [*now, now[0]], color=BLUE, linewidth=2, label="Now (where we are)")
        ax.fill(closed, [*now, now[0]], color=BLUE, alpha=0.15)
        ax.scatter(angles, fut, color=VERMILION, s=16, zorder=3)
        ax.scatter(angles, now, color=BLUE, s=16, zorder=3)
        for gid, cis, colour, side in (("ci-now", now_ci, BLUE, -1), ("ci-future", fut_ci, VERMILION, 1)):
            pts = [(a + side * dodge, c) for a, c in zip(angles, cis, strict=True) if c is not None]
            _errorbars(
                ax, pts, gid, horizontal=False, colour=colour, linewidth=1.6, caps=False, zorder=2.8, clip=(lo, hi)
            )
        ax.set_xticks(angles)
        ax.set_xticklabels([_wrap(x, 16) for x in names], fontsize=8.5)
        ax.tick_params(axis="x", pad=10)
        ax.set_ylim(lo, hi)
        ticks = _nice_ticks(lo, hi)
        ax.set_yticks(ticks)
        ax.set_yticklabels([f"{t:g}" for t in ticks], fontsize=7.5, color=MUTED)
        ax.set_rlabel_position(180 / max(n, 1))
        ax.spines["polar"].set_color("#CBD2D9")
        handles, _ = ax.get_legend_handles_labels()
        if drawn:
            handles.append(_ci_handle(confidence, MUTED))
        fig.legend(handles=handles, loc="outside lower center", ncols=3 if drawn else 2)
        ax.set_title(f"Now and future by {labels.kind.lower()}", pad=24)
        svg = _svg(fig, chart_id)
    desc = (
        f"Radar chart, now and future by {labels.kind.lower()}"
        + (
            f", with the {level_text(confidence)} of each sector mean as a radial bar (clipped at the scale's ends)"
            if drawn
            else ""
        )
        + ": "
        + "; ".join(
            f"{x}: now {a:.2f}{_ci_text(ci_a)}, future {b:.2f}{_ci_text(ci_b)}"
            for x, a, b, ci_a, ci_b in zip(names, now, fut, now_ci, fut_ci, strict=True)
        )
    )
    title = f"Now and future by {labels.kind.lower()} (sector means" + (
        f", with {level_text(confidence)}s)" if drawn else ")"
    )
    return Chart(chart_id, title, svg, desc)


def _nice_ticks(lo: float, hi: float) -> list[float]:
    span = hi - lo
    step = 1.0 if span <= 6 else 2.0 if span <= 12 else 10 ** math.floor(math.log10(span))
    first = math.ceil(lo / step) * step
    out = []
    t = first
    while t <= hi + 1e-9:
        out.append(round(t, 6))
        t += step
    return out


def gap_bars(
    chart_id: str, priorities: Sequence[Mapping[str, Any]], labels: Labels, *, confidence: float = 0.95
) -> Chart:
    """Gap (future minus now) per theme, in priority order, coloured by priority class, with
    each gap's confidence interval (``gap_ci_low``/``gap_ci_high``) as an error bar."""
    rows = sorted(priorities, key=lambda r: (r["rank"] is None, r["rank"] or 0))
    names = [labels.element(r["element"]) for r in rows]
    gaps = [_num(r["gap"]) for r in rows]
    cis = [interval(r, "gap_ci_low", "gap_ci_high") for r in rows]
    with _figure(7.6, 0.42 * len(rows) + 1.5) as fig:
        ax = fig.add_subplot()
        y = list(range(len(rows)))
        colours = [CLASS_COLOURS.get(str(r["class"]), GREY) for r in rows]
        ax.barh(y, [0 if math.isnan(g) else g for g in gaps], color=colours, height=0.62, zorder=2)
        _errorbars(ax, [(yi, c) for yi, c in zip(y, cis, strict=True) if c is not None], "ci-gap", zorder=3)
        ax.set_yticks(y, [f"{r['rank'] or '–'}. {_t(x)}" for r, x in zip(rows, names, strict=True)])
        ax.invert_yaxis()
        ax.grid(axis="y", visible=False)
        ends = [g for g in gaps if not math.isnan(g)] + [v for c in cis if c is not None for v in c]
        top = max(ends, default=1.0)
        top = top if top > 0 else 1.0
        ax.set_xlim(min([0.0, *ends]), top * 1.18 + 1e-9)
        for yi, g, c in zip(y, gaps, cis, strict=True):
            if not math.isnan(g):
                at = max(g, c[1]) if c is not None else g  # the label clears the error bar
                ax.text(at + top * 0.015, yi, f"{g:.2f}", va="center", fontsize=8.5, color=INK)
        ax.set_xlabel("Gap: future minus now (scale points)")
        from matplotlib.patches import Patch

        present = [c for c in CLASS_COLOURS if any(r["class"] == c for r in rows)]
        handles: list[Any] = [Patch(color=CLASS_COLOURS[c], label=CLASS_NAMES[c]) for c in present]
        if any(cis):
            handles.append(_ci_handle(confidence))
        fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 4))
        ax.set_title("Gaps in priority order")
        svg = _svg(fig, chart_id)
    drawn = any(cis)
    desc = (
        "Bar chart of gaps, future minus now, in priority order"
        + (f", with the {level_text(confidence)} of each gap as an error bar" if drawn else "")
        + ": "
        + "; ".join(
            f"{r['rank'] or '–'}. {x}: gap {g:.2f}{_ci_text(c)} ({CLASS_NAMES.get(str(r['class']), r['class'])})"
            for r, x, g, c in zip(rows, names, gaps, cis, strict=True)
        )
    )
    title = "Gaps in priority order (rank 1 = top priority; – = not ranked" + (
        f"; bars: {level_text(confidence)}s)" if drawn else ")"
    )
    return Chart(chart_id, title, svg, desc)


def priority_matrix(
    chart_id: str, priorities: Sequence[Mapping[str, Any]], params: Mapping[str, Any], labels: Labels
) -> Chart:
    """The method's own picture. Aspire method: importance (future) across, gap up, with the
    median future rating that bounds "the next most important". Importance-performance
    analysis: performance (now) across, importance (future) up, with the quadrant cut-points.
    Each point's confidence intervals (of both its coordinates) are thin grey error bars, so
    a point whose bars cross a cut could lie on either side of it."""
    rows = list(priorities)
    ipa = params.get("method") == "ipa"
    confidence = float(params.get("confidence", 0.95))
    x_of, y_of = ("now", "future") if ipa else ("future", "gap")
    with _figure(7.6, 5.2) as fig:
        ax = fig.add_subplot()
        xs = [_num(r[x_of]) for r in rows]
        ys = [_num(r[y_of]) for r in rows]
        shown = [not (math.isnan(x) or math.isnan(yv)) for x, yv in zip(xs, ys, strict=True)]
        x_ci = [
            interval(r, f"{x_of}_ci_low", f"{x_of}_ci_high") if ok else None for r, ok in zip(rows, shown, strict=True)
        ]
        y_ci = [
            interval(r, f"{y_of}_ci_low", f"{y_of}_ci_high") if ok else None for r, ok in zip(rows, shown, strict=True)
        ]
        fx = [v for v in xs if not math.isnan(v)] or [0.0]
        fy = [v for v in ys if not math.isnan(v)] or [0.0]
        # the axes cover the bars too (the cut-points and median stay those of the points)
        bx = fx + [v for c in x_ci if c is not None for v in c]
        by = fy + [v for c in y_ci if c is not None for v in c]
        _errorbars(ax, [(yv, c) for yv, c in zip(ys, x_ci, strict=True) if c is not None], "ci-x", colour="#9AA5B1")
        _errorbars(
            ax,
            [(x, c) for x, c in zip(xs, y_ci, strict=True) if c is not None],
            "ci-y",
            horizontal=False,
            colour="#9AA5B1",
        )
        line: dict[str, Any] = {"color": "#9AA5B1", "linestyle": "--", "linewidth": 1}
        if ipa:
            if params.get("cut") == "scale-midpoint" and labels.scale is not None:
                cx = cy = (labels.scale[0] + labels.scale[1]) / 2
            else:
                cx, cy = sum(fx) / len(fx), sum(fy) / len(fy)
            ax.axvline(cx, **line)
            ax.axhline(cy, **line)
            kw: dict[str, Any] = {"fontsize": 8, "fontweight": "bold", "transform": ax.transAxes}
            ax.text(0.01, 0.99, "Concentrate here", va="top", color=TEXT_COLOURS[VERMILION], **kw)
            ax.text(0.99, 0.99, "Keep up the good work", va="top", ha="right", color=TEXT_COLOURS[GREEN], **kw)
            ax.text(0.01, 0.01, "Low priority", va="bottom", color=TEXT_COLOURS[GREY], **kw)
            ax.text(0.99, 0.01, "Possible overkill", va="bottom", ha="right", color=TEXT_COLOURS[ORANGE], **kw)
            ax.set_xlim(min(min(fx) - 0.6, min(bx) - 0.1, cx - 0.6), max(max(fx) + 0.6, max(bx) + 0.1, cx + 0.6))
            ax.set_ylim(min(min(fy) - 0.6, min(by) - 0.1, cy - 0.6), max(max(fy) + 0.6, max(by) + 0.1, cy + 0.6))
        else:
            s = sorted(fx)
            k = len(s)
            median = s[k // 2] if k % 2 else (s[k // 2 - 1] + s[k // 2]) / 2
            ax.axvline(median, **line)
            top = max(max(fy) + 0.4, max(by) + 0.1)
            ax.text(median, top, " median future: next most important →", fontsize=8, color="#52606D")
            ax.set_xlim(min(min(fx) - 0.6, min(bx) - 0.1), max(max(fx) + 0.6, max(bx) + 0.1))
            ax.set_ylim(min(0.0, min(fy), min(by)) - 0.15, top + 0.2)
        ax.scatter(
            xs,
            ys,
            c=[CLASS_COLOURS.get(str(r["class"]), GREY) for r in rows],
            s=70,
            zorder=3,
            edgecolors="white",
            linewidths=1,
        )
        groups: dict[tuple[float, float], list[str]] = {}
        for r, x, yv in zip(rows, xs, ys, strict=True):
            if not (math.isnan(x) or math.isnan(yv)):
                groups.setdefault((round(x, 3), round(yv, 3)), []).append(_t(labels.element(r["element"])))
        for (x, yv), names in groups.items():
            ax.annotate(
                "\n".join(names),
                (x, yv),
                xytext=(7, 0),
                textcoords="offset points",
                va="center",
                fontsize=8,
                color=INK,
            )
        ax.set_xlabel("Performance: now rating (sector mean)" if ipa else "Importance: future rating (sector mean)")
        ax.set_ylabel("Importance: future rating (sector mean)" if ipa else "Gap: future minus now")
        from matplotlib.lines import Line2D

        present = [c for c in CLASS_COLOURS if any(r["class"] == c for r in rows)]
        handles: list[Any] = [
            Line2D([], [], marker="o", linestyle="", color=CLASS_COLOURS[c], label=CLASS_NAMES[c]) for c in present
        ]
        drawn = any(x_ci) or any(y_ci)
        if drawn:
            handles.append(_ci_handle(confidence, "#9AA5B1"))
        fig.legend(handles=handles, loc="outside lower center", ncols=min(max(len(handles), 1), 5))
        title = "Importance-performance grid" if ipa else "Importance-gap matrix (Aspire method)"
        ax.set_title(title)
        svg = _svg(fig, chart_id)
    how = (
        "importance-performance analysis (Martilla and James 1977); dashed lines: the quadrant cut-points"
        if ipa
        else "the Aspire commissioning paper's method; dashed line: the median future rating"
    )
    if drawn:
        how += f"; grey bars: {level_text(confidence)}s"
    points = "; ".join(
        f"{labels.element(r['element'])}: {x_of} {x:.2f}{_ci_text(cx_)}, {y_of} {yv:.2f}{_ci_text(cy_)}, "
        f"{CLASS_NAMES.get(str(r['class']), r['class'])}"
        for r, x, yv, ok, cx_, cy_ in zip(rows, xs, ys, shown, x_ci, y_ci, strict=True)
        if ok
    )
    return Chart(
        chart_id,
        f"{title} ({how})",
        svg,
        f"Scatter chart, each {labels.kind.lower()} placed by "
        + ("performance (now) and importance (future)" if ipa else "importance (future rating) and gap")
        + (f", with the {level_text(confidence)} of each coordinate as a grey bar" if drawn else "")
        + f": {points}.",
    )


# -- 360 ------------------------------------------------------------------------------------
MARKERS = ("o", "^", "v", "P", "X", "h", "<")


def profile_360(
    chart_id: str,
    subject: str,
    groups: Sequence[Mapping[str, Any]],
    summary: Sequence[Mapping[str, Any]],
    labels: Labels,
    *,
    self_group: str = "self",
    confidence: float = 0.95,
) -> Chart:
    """One subject's profile: self, each reported rater group and all others per behaviour;
    blind spots and hidden strengths marked; each group mean's confidence interval
    (``ci_low``/``ci_high``) as an error bar in the group's colour. Withheld groups are not
    drawn."""
    behaviours = list(dict.fromkeys(r["behaviour"] for r in summary))
    cls = {r["behaviour"]: r["classification"] for r in summary}
    order = [g for g in dict.fromkeys(r["group"] for r in groups) if g not in (self_group, "all-others")]
    value = {(r["behaviour"], r["group"]): r["mean"] for r in groups if not r["suppressed"]}
    cis = {
        (r["behaviour"], r["group"]): c for r in groups if r.get("mean") is not None and (c := interval(r)) is not None
    }
    vals = [v for v in value.values() if v is not None]
    withheld = sorted({r["group"] for r in groups if r["suppressed"]}, key=lambda g: [*order, "all-others"].index(g))
    lo, hi = _scale_limits(vals + [v for c in cis.values() for v in c], labels.scale)
    with _figure(7.8, 0.62 * len(behaviours) + 1.9) as fig:
        ax = fig.add_subplot()
        y = list(range(len(behaviours)))
        for yi, b in zip(y, behaviours, strict=True):
            c = cls.get(b)
            if c == "blind-spot":
                ax.axhspan(yi - 0.42, yi + 0.42, color="#FDECEA", zorder=0)
            elif c == "hidden-strength":
                ax.axhspan(yi - 0.42, yi + 0.42, color="#E6F4EA", zorder=0)
            s, o = value.get((b, self_group)), value.get((b, "all-others"))
            if s is not None and o is not None:
                colour = {"blind-spot": VERMILION, "hidden-strength": GREEN}.get(str(c), "#9AA5B1")
                ax.plot([s, o], [yi, yi], color=colour, linewidth=2.2, zorder=1)
        for i, g in enumerate(order):
            if g in withheld:
                continue
            pts = [(value[(b, g)], yi) for yi, b in zip(y, behaviours, strict=True) if value.get((b, g)) is not None]
            dy = 0.16 * ((i % 3) - 1)
            bars = [(yi + dy, cis[(b, g)]) for yi, b in zip(y, behaviours, strict=True) if (b, g) in cis]
            _errorbars(
                ax,
                bars,
                f"ci-{i}",
                colour=GROUP_COLOURS[i % len(GROUP_COLOURS)],
                linewidth=1.0,
                zorder=1.8,
                clip=(lo - 0.1, hi + 0.1),
            )
            if pts:
                ax.scatter(
                    [p[0] for p in pts],
                    [p[1] + dy for p in pts],
                    marker=MARKERS[i % len(MARKERS)],
                    s=26,
                    color=GROUP_COLOURS[i % len(GROUP_COLOURS)],
                    alpha=0.8,
                    zorder=2,
                    label=_t(labels.role(g)),
                )
        styles: tuple[tuple[str, dict[str, Any]], ...] = (
            (self_group, {"marker": "D", "color": INK, "s": 60}),
            ("all-others", {"marker": "s", "color": BLUE, "s": 70}),
        )
        for g, style in styles:
            pts = [(value[(b, g)], yi) for yi, b in zip(y, behaviours, strict=True) if value.get((b, g)) is not None]
            bars = [(yi, cis[(b, g)]) for yi, b in zip(y, behaviours, strict=True) if (b, g) in cis]
            gid = "ci-self" if g == self_group else "ci-all-others"
            _errorbars(ax, bars, gid, colour=str(style["color"]), linewidth=1.3, zorder=3.5, clip=(lo - 0.1, hi + 0.1))
            if pts:
                ax.scatter(
                    [p[0] for p in pts],
                    [p[1] for p in pts],
                    zorder=4,
                    edgecolors="white",
                    linewidths=1,
                    label=_t(labels.role(g)),
                    **style,
                )
        ax.set_yticks(y, [_wrap(labels.element(b), 22) for b in behaviours])
        ax.invert_yaxis()
        ax.set_xlim(lo - 0.1, hi + 0.1)
        ax.grid(axis="y", visible=False)
        ax.set_xlabel("Mean rating")
        for yi, b in zip(y, behaviours, strict=True):
            c = cls.get(b)
            if c in ("blind-spot", "hidden-strength"):
                ax.text(
                    1.01,
                    yi,
                    "blind spot" if c == "blind-spot" else "hidden strength",
                    transform=ax.get_yaxis_transform(),
                    va="center",
                    fontsize=8,
                    fontweight="bold",
                    color=TEXT_COLOURS[VERMILION if c == "blind-spot" else GREEN],
                )
        from matplotlib.patches import Patch

        handles, _ = ax.get_legend_handles_labels()
        if cis:
            handles.append(_ci_handle(confidence))
        if "blind-spot" in cls.values():
            handles.append(Patch(color="#FDECEA", label="Blind spot (self above others)"))
        if "hidden-strength" in cls.values():
            handles.append(Patch(color="#E6F4EA", label="Hidden strength (others above self)"))
        fig.legend(handles=handles, loc="outside lower center", ncols=3)
        ax.set_title(f"360 profile: {_t(subject)}")
        svg = _svg(fig, chart_id)
    note = f" Withheld: {', '.join(labels.role(g) for g in withheld)}." if withheld else ""
    bars_note = f" Bars: {level_text(confidence)}s (none for a group of one)." if cis else ""
    return Chart(
        chart_id,
        f"360 profile of {subject}: self, each rater group and all others per behaviour.{bars_note}{note}",
        svg,
        f"Dot chart of mean ratings of {subject} per behaviour"
        + (f", with the {level_text(confidence)} of each group mean" if cis else "")
        + ": "
        + "; ".join(
            f"{labels.element(b)}: "
            + ", ".join(
                f"{labels.role(g)} {value[(b, g)]:.2f}{_ci_text(cis.get((b, g)))}"
                for g in [self_group, *order, "all-others"]
                if value.get((b, g)) is not None
            )
            + (f" ({cls[b].replace('-', ' ')})" if cls.get(b) in ("blind-spot", "hidden-strength") else "")
            for b in behaviours
        )
        + f".{note}",
    )


def team_profile(
    chart_id: str, team: str, rows: Sequence[Mapping[str, Any]], labels: Labels, *, confidence: float = 0.95
) -> Chart:
    """A team's pooled profile: per behaviour, the mean of each reported rater group over the
    team's subjects (review-360-team rows for one team), with its confidence interval
    (``ci_low``/``ci_high``) as an error bar. Withheld groups are not drawn."""
    behaviours = list(dict.fromkeys(r["behaviour"] for r in rows))
    groups = list(dict.fromkeys(r["group"] for r in rows))
    value = {(r["behaviour"], r["group"]): r["mean"] for r in rows if not r["suppressed"] and r["mean"] is not None}
    cis = {
        (r["behaviour"], r["group"]): c for r in rows if r.get("mean") is not None and (c := interval(r)) is not None
    }
    withheld = [g for g in groups if all((b, g) not in value for b in behaviours)]
    lo, hi = _scale_limits([float(v) for v in value.values()] + [v for c in cis.values() for v in c], labels.scale)
    with _figure(7.8, 0.55 * len(behaviours) + 1.9) as fig:
        ax = fig.add_subplot()
        y = list(range(len(behaviours)))
        drawn = [g for g in groups if g not in withheld]
        for i, g in enumerate(drawn):
            pts = [(value[(b, g)], yi) for yi, b in zip(y, behaviours, strict=True) if (b, g) in value]
            offset = 0.5 * (i - (len(drawn) - 1) / 2) / max(len(drawn), 1)
            style: dict[str, Any] = (
                {"marker": "D", "color": INK, "s": 50}
                if g == "self"
                else {"marker": MARKERS[i % len(MARKERS)], "color": GROUP_COLOURS[i % len(GROUP_COLOURS)], "s": 40}
            )
            bars = [(yi + offset, cis[(b, g)]) for yi, b in zip(y, behaviours, strict=True) if (b, g) in cis]
            gid = f"ci-{groups.index(g)}"  # by the group's place in the table, drawn or withheld
            _errorbars(ax, bars, gid, colour=str(style["color"]), linewidth=1.1, zorder=2.5, clip=(lo - 0.1, hi + 0.1))
            ax.scatter(
                [p[0] for p in pts],
                [p[1] + offset for p in pts],
                zorder=3,
                edgecolors="white",
                linewidths=0.8,
                label=_t(labels.role(g)),
                **style,
            )
        ax.set_yticks(y, [_wrap(labels.element(b), 22) for b in behaviours])
        ax.invert_yaxis()
        ax.set_xlim(lo - 0.1, hi + 0.1)
        ax.grid(axis="y", visible=False)
        ax.set_xlabel("Mean rating, pooled over the team's subjects")
        handles, _ = ax.get_legend_handles_labels()
        if cis:
            handles.append(_ci_handle(confidence))
        fig.legend(handles=handles, loc="outside lower center", ncols=min(max(len(handles), 1), 4))
        ax.set_title(f"Team view: {_t(team)}")
        svg = _svg(fig, chart_id)
    note = f" Withheld: {', '.join(labels.role(g) for g in withheld)}." if withheld else ""
    bars_note = f" Bars: {level_text(confidence)}s." if cis else ""
    return Chart(
        chart_id,
        f"Team view of {team}: mean rating per behaviour by rater group, pooled over the team.{bars_note}{note}",
        svg,
        f"Dot chart of {team}'s pooled mean ratings per behaviour"
        + (f", with the {level_text(confidence)} of each group mean" if cis else "")
        + ": "
        + "; ".join(
            f"{labels.element(b)}: "
            + ", ".join(
                f"{labels.role(g)} {value[(b, g)]:.2f}{_ci_text(cis.get((b, g)))}" for g in groups if (b, g) in value
            )
            for b in behaviours
        )
        + f".{note}",
    )


# -- diffusion ------------------------------------------------------------------------------
def _category_bounds(
    fit: Mapping[str, Any], adopters: Sequence[Mapping[str, Any]], method: str
) -> list[tuple[str, float, float]]:
    """Time spans of the adopter categories (for shading)."""
    cats = list(CATEGORY_NAMES)
    if method == "sd" and fit.get("mean_time") is not None and fit.get("sd_time"):
        m, s = float(fit["mean_time"]), float(fit["sd_time"])
        edges = [-math.inf, m - 2 * s, m - s, m, m + s, math.inf]
        return [(c, edges[i], edges[i + 1]) for i, c in enumerate(cats)]
    spans: dict[str, list[float]] = {}
    for r in adopters:
        if r["adopted"] is not None and r["category"] in CATEGORY_NAMES:
            spans.setdefault(r["category"], []).append(float(r["adopted"]))
    present = [(c, min(spans[c]), max(spans[c])) for c in cats if c in spans]
    out = []
    for i, (c, a, b) in enumerate(present):
        left = -math.inf if i == 0 else (present[i - 1][2] + a) / 2
        right = math.inf if i == len(present) - 1 else (b + present[i + 1][1]) / 2
        out.append((c, left, right))
    return out


def s_curve(
    chart_id: str,
    practice: str,
    fit: Mapping[str, Any],
    curve: Sequence[Mapping[str, Any]],
    adopters: Sequence[Mapping[str, Any]],
    params: Mapping[str, Any],
    labels: Labels,
) -> Chart:
    """Cumulative adoption: observed, the Bass fit and its forecast with the prediction band,
    with the adopter categories shaded, the chasm (16% of the market potential) and the market
    potential. When m sits on a bound (status ``m-at-bound``) m is not identified: neither it
    nor the chasm line is drawn, and there is no forecast."""
    obs = [(r["period"], r["adoptions"], r["cumulative"]) for r in curve if r["kind"] == "observed"]
    fitted = [(r["period"], r["cumulative"]) for r in curve if r["kind"] == "fitted"]
    fc = [(r["period"], r["cumulative"]) for r in curve if r["kind"] == "forecast"]
    band = [
        (r["period"], r["cumulative_low"], r["cumulative_high"])
        for r in curve
        if r["kind"] == "forecast" and r.get("cumulative_low") is not None
    ]
    name = labels.element(practice)
    at_bound = fit.get("status") == "m-at-bound"
    m = math.nan if at_bound else _num(fit.get("m"))
    level = float(params.get("confidence", 0.95))
    with _figure(7.8, 4.4) as fig:
        ax = fig.add_subplot()
        periods = [p for p, *_ in obs] + [p for p, _ in fc]
        x0, x1 = min(periods) - 0.5, max(periods) + 0.5
        observed_end = max(p for p, *_ in obs) + 0.5
        for (c, a, b), fill in zip(
            _category_bounds(fit, adopters, str(params.get("method", "sd"))), CATEGORY_FILLS, strict=False
        ):
            a, b = max(a, x0), min(b, observed_end)
            if b > a:
                ax.axvspan(a, b, color=fill, zorder=0, linewidth=0)
                ax.text(
                    (a + b) / 2,
                    1.0,
                    _wrap(CATEGORY_NAMES[c], 10),
                    transform=ax.get_xaxis_transform(),
                    ha="center",
                    va="bottom",
                    fontsize=7.5,
                    color="#52606D",
                )
        ax.bar(
            [p for p, *_ in obs],
            [a for _, a, _ in obs],
            width=0.7,
            color="#BCCCDC",
            zorder=1,
            label="Adoptions per period",
        )
        if fitted:
            ax.plot(
                [p for p, _ in fitted],
                [c for _, c in fitted],
                color=BLUE,
                linewidth=2,
                zorder=3,
                label="Bass model (cumulative)",
            )
        if band:
            last_obs = [(p, c, c) for p, _, c in obs[-1:] if c is not None]
            ax.fill_between(
                [p for p, *_ in last_obs + band],
                [lo for _, lo, _ in last_obs + band],
                [hi for *_, hi in last_obs + band],
                color=BLUE,
                alpha=0.15,
                linewidth=0,
                zorder=2,
                label=f"{100 * level:g}% prediction band",
            )
        if fc:
            last = [(p, c) for p, _, c in obs[-1:] if c is not None]  # the forecast adds to what is observed
            ax.plot(
                [p for p, _ in last + fc],
                [c for _, c in last + fc],
                color=BLUE,
                linewidth=2,
                linestyle="--",
                zorder=3,
                label="Forecast (cumulative)",
            )
            ax.axvline(fc[0][0] - 0.5, color="#9AA5B1", linewidth=0.8, linestyle=":")
            ax.text(
                (fc[0][0] - 0.5 + x1) / 2,
                1.0,
                "Forecast",
                transform=ax.get_xaxis_transform(),
                ha="center",
                va="bottom",
                fontsize=7.5,
                color="#52606D",
            )
        cum = [(p, c) for p, _, c in obs if c is not None]
        if cum:
            ax.scatter(
                [p for p, _ in cum], [c for _, c in cum], color=INK, s=14, zorder=4, label="Observed (cumulative)"
            )
        if not math.isnan(m):
            ax.axhline(m, color="#7B8794", linewidth=0.9, linestyle="-.", zorder=2)
            ax.text(
                x1 - 0.2, m, f"market potential m = {m:.1f}", va="bottom", ha="right", fontsize=7.5, color="#52606D"
            )
            ax.axhline(0.16 * m, color=VERMILION, linewidth=0.9, linestyle="--", zorder=2)
            chasm = fit.get("chasm_period")
            label = "chasm: 16% of m" + (f", crossed {chasm:g}" if chasm is not None else "")
            ax.text(x1 - 0.2, 0.16 * m, label, va="bottom", ha="right", fontsize=7.5, color=TEXT_COLOURS[VERMILION])
            if chasm is not None:
                ax.axvline(float(chasm), color=VERMILION, linewidth=0.9, linestyle="--", zorder=2)
        units = fit.get("units")
        top = max(
            [m if not math.isnan(m) else 0.0, *[c for _, c in cum], *[c for _, c in fc], *[h for *_, h in band]]
            + ([float(units)] if units else [])
        )
        ax.set_ylim(0, top * 1.08 + 1e-9)
        ax.set_xlim(x0, x1)
        ax.grid(axis="x", visible=False)
        ax.set_xlabel("Period")
        ax.set_ylabel("Adopting units")
        ax.xaxis.set_major_formatter(_int_formatter())
        fig.legend(loc="outside lower center", ncols=4)
        ax.set_title(_t(name) + (" (m at its bound: not identified)" if at_bound else ""), pad=26)
        svg = _svg(fig, chart_id)
    what = (
        "fitted with m at its bound (no market potential, chasm line or forecast drawn)"
        if at_bound
        else f"chasm and forecast with its {100 * level:g}% prediction band"
    )
    return Chart(
        chart_id,
        f"Diffusion of {name}: adoption S-curve with adopter categories, {what}",
        svg,
        f"Line chart of cumulative adoption of {name} per period, observed: "
        + ", ".join(f"{_period_text(p)}: {c:g}" for p, _, c in obs if c is not None)
        + (
            ". Bass model: m at its bound, not identified"
            if at_bound
            else f". Bass model: market potential m = {m:.1f}"
            + (f", chasm crossed in {_period_text(fit.get('chasm_period'))}" if fit.get("chasm_period") else "")
            + (f", forecast to {fc[-1][1]:.1f} by {_period_text(fc[-1][0])}" if fc else "")
        )
        + ".",
    )


def _period_text(v: Any) -> str:
    f = float(v)
    return f"{f:.0f}" if f.is_integer() else f"{f:.2f}"


def _int_formatter() -> Any:
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda v, _pos: f"{v:.0f}" if abs(v - round(v)) < 1e-9 else "")


# -- benchmark ------------------------------------------------------------------------------
def benchmark_chart(
    chart_id: str, organisation: str, rows: Sequence[Mapping[str, Any]], labels: Labels, *, confidence: float = 0.95
) -> Chart:
    """Per dimension: every organisation's score (grey), the reference mean +/- 1 sd (a grey
    band with the mean marked), and the organisation marked, with its percentile rank and the
    confidence interval of its mean (``ci_low``/``ci_high``) as an error bar; one panel per
    response mode."""
    modes = list(dict.fromkeys(str(r["mode"] or "") for r in rows))
    elements = list(dict.fromkeys(r["element"] for r in rows))
    mine = {(r["element"], str(r["mode"] or "")): r for r in rows if r["organisation"] == organisation}
    cis = {key: c for key, r in mine.items() if r.get("score") is not None and (c := interval(r)) is not None}
    others: dict[tuple[str, str], list[float]] = {}
    for r in rows:
        if r["organisation"] != organisation and r["score"] is not None:
            others.setdefault((r["element"], str(r["mode"] or "")), []).append(float(r["score"]))
    mode_names = {"now": "Now", "future": "Future", "gap": "Gap (future - now)", "": "Score"}
    with _figure(max(7.8, 3.0 * len(modes) + 1.8), 0.4 * len(elements) + 1.9) as fig:
        axes = fig.subplots(1, len(modes), sharey=True, squeeze=False)[0]
        y = list(range(len(elements)))
        for panel, (ax, mode) in enumerate(zip(axes, modes, strict=True)):
            a: Axes = ax
            ox = [v for yi, e in zip(y, elements, strict=True) for v in others.get((e, mode), [])]
            oy = [yi for yi, e in zip(y, elements, strict=True) for _ in others.get((e, mode), [])]
            if ox:
                a.scatter(ox, oy, color="#BCCCDC", s=18, zorder=2, label="Other organisations")
            ref = [(yi, mine[(e, mode)]) for yi, e in zip(y, elements, strict=True) if (e, mode) in mine]
            segs = [
                [
                    (r["reference_mean"] - (r["reference_sd"] or 0.0), yi),
                    (r["reference_mean"] + (r["reference_sd"] or 0.0), yi),
                ]
                for yi, r in ref
                if r["reference_mean"] is not None
            ]
            if segs:
                a.barh(
                    [s[0][1] for s in segs],
                    [s[1][0] - s[0][0] for s in segs],
                    left=[s[0][0] for s in segs],
                    height=0.5,
                    color="#E4E7EB",
                    zorder=1,
                    label="Reference mean ± 1 sd",
                )
                a.scatter(
                    [s[0][0] / 2 + s[1][0] / 2 for s in segs],
                    [s[0][1] for s in segs],
                    marker="|",
                    s=120,
                    color="#52606D",
                    zorder=1,
                )
            pts = [(r["score"], yi, r["percentile_rank"]) for yi, r in ref if r["score"] is not None]
            bars = [(yi, cis[(e, mode)]) for yi, e in zip(y, elements, strict=True) if (e, mode) in cis]
            if bars:  # the view takes in the bars, up to the ends of the scale (for a gap: its widest)
                a.update_datalim([(c[0], yi) for yi, c in bars] + [(c[1], yi) for yi, c in bars])
            if pts:
                a.scatter(
                    [p[0] for p in pts],
                    [p[1] for p in pts],
                    marker="D",
                    s=48,
                    color=VERMILION,
                    zorder=4,
                    edgecolors="white",
                    linewidths=0.8,
                    label=_t(organisation),
                )
                for x, yi, pct in pts:
                    if pct is not None:
                        a.annotate(
                            f"P{pct:.0f}",
                            (x, yi),
                            xytext=(0, 7),
                            textcoords="offset points",
                            ha="center",
                            fontsize=7.5,
                            color=TEXT_COLOURS[VERMILION],
                        )
            a.autoscale_view()
            a.set_title(mode_names.get(mode, _t(mode)), fontsize=9.5, loc="center")
            a.grid(axis="y", visible=False)
            a.margins(x=0.12)
            if bars:
                x0, x1 = a.get_xlim()
                if labels.scale is not None:
                    span = labels.scale[1] - labels.scale[0]
                    s0, s1 = (-span, span) if mode == "gap" else labels.scale
                    x0, x1 = max(x0, s0 - 0.5), min(x1, s1 + 0.5)
                _errorbars(
                    a,
                    bars,
                    f"ci-score-{panel}",
                    colour=TEXT_COLOURS[VERMILION],
                    linewidth=1.4,
                    zorder=3.5,
                    clip=(x0, x1),
                )
                a.set_xlim(x0, x1)
        axes[0].set_yticks(y, [_wrap(labels.element(e), 24) for e in elements])
        axes[0].invert_yaxis()
        handles, names = axes[0].get_legend_handles_labels()
        if cis:
            handles.append(_ci_handle(confidence, TEXT_COLOURS[VERMILION]))
            names.append(f"{_t(organisation)}: {level_text(confidence)}")
        fig.legend(handles, names, loc="outside lower center", ncols=min(len(handles), 4) or 1)
        fig.suptitle(f"{_t(organisation)} against the benchmark", x=0.02, ha="left", fontweight="bold", fontsize=11)
        svg = _svg(fig, chart_id)
    n_orgs = len({r["organisation"] for r in rows})
    marks = "; ".join(
        f"{labels.element(e)}"
        + (f" ({mode_names.get(m, m).lower()})" if len(modes) > 1 else "")
        + f": {r['score']:.2f}{_ci_text(cis.get((e, m)))}"
        + (f", P{r['percentile_rank']:.0f}" if r.get("percentile_rank") is not None else "")
        + (f", reference mean {r['reference_mean']:.2f}" if r.get("reference_mean") is not None else "")
        for (e, m), r in mine.items()
        if r.get("score") is not None
    )
    return Chart(
        chart_id,
        f"{organisation} against the benchmark distribution (P = percentile rank"
        + (f"; bars: {level_text(confidence)} of {organisation}'s mean)" if cis else ")"),
        svg,
        f"Dot chart of {organisation}'s scores against {n_orgs - 1} other organisations"
        + (f", with the {level_text(confidence)} of each of its means" if cis else "")
        + f": {marks}.",
    )
