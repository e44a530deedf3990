"""A report as a tree of sections and blocks (text, facts, tables, charts, comments), built
once from one or more results and then written out as HTML or Markdown.

Everything here is plain text: escaping for the output format is the writers' job, so no
value from users is ever trusted as markup. Only a result's tables are read (never raw
responses), and 360 groups withheld by the anonymity rule appear as ``withheld`` cells.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any

import attrs

from aspire_models.progress import Progress
from aspire_models.reports import charts as ch
from aspire_models.reports.errorbars import has_intervals, means_with_intervals
from aspire_models.reports.model import Labels, OutputView, ReportData
from aspire_models.scoring import Table
from aspire_models.stats.ties import SMALL_REFERENCE

__all__ = ["Cell", "ChartBlock", "Comments", "Facts", "Report", "Section", "TableBlock", "Text", "build_report"]

MAX_BENCHMARK_CHARTS = 12
#: a benchmark reference group smaller than SMALL_REFERENCE (the benchmark scorer's rule) is
#: flagged next to its z-scores and percentile ranks
SMALL_MARK = "small reference group"


def small_reference(n: Any) -> bool:
    """Whether a benchmark's reference group is too small to rank against."""
    return isinstance(n, int | float) and not isinstance(n, bool) and 0 < n < SMALL_REFERENCE


NUMERIC = ("num", "num-caution")


@attrs.frozen
class Cell:
    """A formatted table cell. ``kind``: ``num`` (right-aligned), ``num-caution`` (a number with
    a caution beside it, which may wrap), ``withheld``, ``none``,
    ``class-<priority class>`` or ``tag-<classification>`` (a coloured label), or empty."""

    text: str
    kind: str = ""


@attrs.frozen
class Text:
    text: str
    kind: str = "p"  # p | note | lead


@attrs.frozen
class Facts:
    """Key-value pairs (key findings, provenance)."""

    items: tuple[tuple[str, str], ...]
    kind: str = "facts"  # facts | findings


@attrs.frozen
class TableBlock:
    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    description: str = ""
    collapsed: bool = False

    @property
    def numeric(self) -> tuple[bool, ...]:
        cols = list(zip(*[[c.kind for c in r] for r in self.rows], strict=True)) if self.rows else []
        return tuple(
            any(k in NUMERIC for k in col) and all(k in (*NUMERIC, "none", "withheld") for k in col) for col in cols
        )


@attrs.frozen
class ChartBlock:
    chart: ch.Chart


@attrs.frozen
class Comments:
    """Open comments: per question, per rater group, the texts (never attributed)."""

    title: str
    groups: tuple[tuple[str, tuple[tuple[str, tuple[str, ...]], ...]], ...]


Block = Text | Facts | TableBlock | ChartBlock | Comments


@attrs.define
class Section:
    id: str
    title: str
    blocks: list[Block] = attrs.field(factory=list)
    children: list[Section] = attrs.field(factory=list)

    def add(self, *blocks: Block) -> None:
        self.blocks.extend(blocks)


@attrs.frozen
class Report:
    title: str
    subtitle: str
    sections: tuple[Section, ...]

    def charts(self) -> list[ch.Chart]:
        out: list[ch.Chart] = []

        def walk(s: Section) -> None:
            out.extend(b.chart for b in s.blocks if isinstance(b, ChartBlock))
            for c in s.children:
                walk(c)

        for s in self.sections:
            walk(s)
        return out


# -- formatting -----------------------------------------------------------------------------
INT_COLUMNS = {
    "n",
    "n_raters",
    "others_n",
    "count",
    "answered",
    "organisations",
    "respondents",
    "adopters",
    "units",
    "reference_n",
    "quartile",
    "n_subjects",
    "n_periods",
    "practices_adopted",
    "items",
    "n_used",
    "rank",
    "row",
}
PERIOD_COLUMNS = {"period", "peak_period", "chasm_period", "adopted"}
PERCENT_COLUMNS = {"share", "observed_share", "theoretical_share"}
DIGITS = {
    **dict.fromkeys(("p", "p_se", "p_ci_low", "p_ci_high", "q", "q_se", "q_ci_low", "q_ci_high"), 4),
    **dict.fromkeys(("m", "m_se", "m_ci_low", "m_ci_high", "percentile_rank"), 1),
    **dict.fromkeys(("r_squared", "rmse", "alpha", "standardized_alpha", "average_r", "r_drop", "alpha_if_deleted"), 3),
}
HEADERS = {
    "n": "n",
    "sd": "SD",
    "ci_low": "CI low",
    "ci_high": "CI high",
    "z": "z",
    "self_mean": "Self",
    "others_mean": "All others",
    "others_n": "Others n",
    "n_raters": "Raters",
    "r_squared": "R²",
    "rmse": "RMSE",
    "p": "p (innovation)",
    "q": "q (imitation)",
    "m": "m (potential)",
    "p_se": "p SE",
    "q_se": "q SE",
    "m_se": "m SE",
    "class": "Priority",
    "importance_high": "High importance",
    "reference_n": "Reference n",
    "reference_mean": "Reference mean",
    "reference_sd": "Reference SD",
    "chasm_period": "Chasm crossed",
    "peak_period": "Peak period",
    "mean_time": "Mean time",
    "sd_time": "SD time",
    "respondent_min": "Respondent min",
    "respondent_max": "Respondent max",
    "r_drop": "Item-rest r",
    "now_ci_low": "Now CI low",
    "now_ci_high": "Now CI high",
    "future_ci_low": "Future CI low",
    "future_ci_high": "Future CI high",
    "gap_ci_low": "Gap CI low",
    "gap_ci_high": "Gap CI high",
}
NAME_COLUMNS = {"element", "behaviour", "practice"}
CLASS_NAMES = {
    "key-priority": "Key priority",
    "quick-win": "Quick win",
    "other": "Not selected",
    "concentrate-here": "Concentrate here",
    "keep-up-the-good-work": "Keep up the good work",
    "low-priority": "Low priority",
    "possible-overkill": "Possible overkill",
    "blind-spot": "Blind spot",
    "hidden-strength": "Hidden strength",
    "agreed-strength": "Agreed strength",
    "agreed-development": "Agreed development area",
    "agreed": "Agreed",
    "not-measured": "Not measured",
}
MODE_NAMES = {"now": "Now", "future": "Future", "gap": "Gap", "": ""}


def not_measured_modes(summary: Mapping[str, Any]) -> set[tuple[str, str]]:
    """The ``(element, mode)`` pairs a scorer's summary lists as not measured
    (:mod:`aspire_models.measured`); mode ``""`` for items without modes."""
    found = summary.get("not_measured") or ()
    return {(str(d["element"]), str(d.get("mode") or "")) for d in found if isinstance(d, Mapping)}


def header(column: str, labels: Labels | None = None) -> str:
    """A column's heading in words; with ``labels``, the element column is named by the
    framework's own kind of element ("Theme", "Behaviour", "Practice")."""
    if labels is not None and column in ("element", "behaviour"):
        return labels.kind
    return HEADERS.get(column, column.replace("_", " ").capitalize())


def interval_text(row: Mapping[str, Any], low: str = "ci_low", high: str = "ci_high") -> str | None:
    """A row's published confidence interval as ``"6.24 – 7.76"``; None when it has none
    (withheld, fewer than two observations, or a result made before intervals)."""
    iv = ch.interval(row, low, high)
    return None if iv is None else f"{iv[0]:.2f} – {iv[1]:.2f}"


def interval_cell(row: Mapping[str, Any], low: str = "ci_low", high: str = "ci_high") -> Cell:
    text = interval_text(row, low, high)
    return Cell("–", "none") if text is None else Cell(text, "num")


def mean_cell(row: Mapping[str, Any]) -> Cell:
    """A group mean with its number of raters and, when it has one, its interval."""
    ci = interval_text(row)
    return Cell(f"{row['mean']:.2f} (n={row['n']}" + (f"; {ci})" if ci else ")"), "num")


def level(params: Mapping[str, Any]) -> float:
    """A scorer's confidence level (its ``confidence`` parameter; 0.95 when unset)."""
    v = params.get("confidence", 0.95)
    return float(v) if isinstance(v, int | float) and not isinstance(v, bool) else 0.95


def withheld_text(reason: Any, k: Any) -> str:
    if reason == "differencing-risk":
        return "withheld (protects a small group)"
    return f"withheld (fewer than {k} raters)" if k is not None else "withheld (too few raters)"


def fmt_number(column: str, v: Any) -> str:
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, int):
        return f"{v:,}" if column not in PERIOD_COLUMNS else str(v)
    f = float(v)
    if math.isnan(f):
        return "–"
    if column in PERCENT_COLUMNS:
        return f"{100 * f:.1f}%"
    if column in PERIOD_COLUMNS:
        return f"{f:.0f}" if f.is_integer() else f"{f:.2f}"
    if column in INT_COLUMNS and f.is_integer():
        return f"{int(f):,}"
    if column in INT_COLUMNS:
        return f"{f:.1f}"
    return f"{f:.{DIGITS.get(column, 2)}f}"


def cell(column: str, v: Any, labels: Labels) -> Cell:
    if v is None:
        return Cell("–", "none")
    if isinstance(v, bool):
        return Cell("yes" if v else "no")
    if isinstance(v, int | float):
        return Cell(fmt_number(column, v), "num")
    if isinstance(v, list | tuple):
        return Cell(", ".join(str(x) for x in v))
    text = str(v)
    if column in NAME_COLUMNS:
        return Cell(labels.element(text))
    if column == "group":
        return Cell(labels.role(text))
    if column == "mode":
        return Cell(MODE_NAMES.get(text, text))
    if column in ("class", "classification") and text in CLASS_NAMES:
        return Cell(CLASS_NAMES[text], f"tag-{text}")
    return Cell(text)


VALUE_COLUMNS = {"n_raters", "n", "mean", "sd", "min", "max", "ci_low", "ci_high"}


def table_block(
    table: Table,
    labels: Labels,
    *,
    title: str | None = None,
    columns: Sequence[str] | None = None,
    collapsed: bool = False,
    k: Any = None,
    unmeasured: set[tuple[str, str]] | None = None,
) -> TableBlock:
    """A result table as it is, formatted (withheld 360 cells marked; with ``unmeasured``
    (element, mode) pairs, their rows' values say ``not measured``)."""
    cols = [c for c in (columns or table.column_names) if c in table.column_names]
    rows = []
    gaps = {e for e, _ in unmeasured or ()}
    for r in table.rows():
        suppressed = bool(r.get("suppressed"))
        mode = str(r.get("mode") or "")
        missing = (str(r.get("element")), mode) in (unmeasured or ()) or (mode == "gap" and r.get("element") in gaps)
        cells = []
        for c in cols:
            if missing and c in VALUE_COLUMNS:
                cells.append(Cell("not measured", "none"))
            elif suppressed and c in VALUE_COLUMNS:
                cells.append(Cell(withheld_text(r.get("reason"), k), "withheld"))
            else:
                cells.append(cell(c, r[c], labels))
        rows.append(tuple(cells))
    return TableBlock(
        title or _title(table.name), tuple(header(c, labels) for c in cols), tuple(rows), table.description, collapsed
    )


ACRONYMS = {"hr": "HR", "od": "OD", "it": "IT", "hrbp": "HRBP", "ld": "L&D"}


def _title(name: str) -> str:
    words = name.replace("-", " ").replace("_", " ").split()
    text = " ".join(ACRONYMS.get(w.lower(), w) for w in words)
    return text[:1].upper() + text[1:]


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"


# -- building ---------------------------------------------------------------------------------
@attrs.define
class _Builder:
    data: ReportData
    prefix: str
    progress: Progress
    organisation: str | None
    charts: bool = True
    subject: str | None = None
    used: set[tuple[str, str]] = attrs.field(factory=set)
    n_charts: int = 0

    @property
    def labels(self) -> Labels:
        return self.data.labels

    def chart(self, make: Callable[[str], ch.Chart], what: str) -> list[Block]:
        if not self.charts:
            return []
        self.n_charts += 1
        self.progress.step(f"chart: {what}")
        return [ChartBlock(make(f"{self.prefix}c{self.n_charts}"))]

    def use(self, out: OutputView, name: str) -> Table | None:
        t = out.tables.get(name)
        if t is not None:
            self.used.add((out.scorer, name))
        return t

    # -- per scorer --------------------------------------------------------------------------
    def aggregate(self, out: OutputView, sec: Section) -> None:
        sector = self.use(out, "sector")
        if sector is None:
            return
        rows = sector.rows()
        modes = list(dict.fromkeys(str(r["mode"] or "") for r in rows))
        by = {(r["element"], str(r["mode"] or "")): r for r in rows}
        elements = list(dict.fromkeys(r["element"] for r in rows))
        heads = [self.labels.kind]
        for m in modes:
            name = MODE_NAMES.get(m, m) or "Score"
            heads += [f"{name} mean", f"{name} interval", f"{name} range"]
        heads += ["Organisations", "Respondents"]
        unmeasured = not_measured_modes(out.summary)
        body = []
        for e in elements:
            cells = [Cell(self.labels.element(e))]
            for m in modes:
                r = by.get((e, m))
                if (e, m) in unmeasured or (m == "gap" and any(x == e for x, _ in unmeasured)):
                    cells += [Cell("not measured", "none")] * 3
                    continue
                if r is None:
                    cells += [Cell("–", "none")] * 3
                    continue
                cells.append(cell("mean", r["mean"], self.labels))
                ci_lo, ci_hi = r.get("ci_low"), r.get("ci_high")
                ci = "–" if ci_lo is None or ci_hi is None else f"{ci_lo:.2f} – {ci_hi:.2f}"
                cells.append(Cell(ci, "num" if ci_lo is not None and ci_hi is not None else "none"))
                lo, hi = r["min"], r["max"]
                rng = "–" if lo is None or hi is None else f"{lo:.2f} – {hi:.2f}"
                cells.append(Cell(rng, "num"))
            first = by[(e, modes[0])] if (e, modes[0]) in by else next(r for r in rows if r["element"] == e)
            cells += [
                cell("organisations", first["organisations"], self.labels),
                cell("n", first["respondents"], self.labels),
            ]
            body.append(tuple(cells))
        sec.add(
            TableBlock(
                f"{self.labels.kinds} across all organisations",
                tuple(heads),
                tuple(body),
                "Mean of the organisation means (each organisation weighs the same); interval: its confidence "
                "interval over the organisations (the aggregate's confidence level, 95% unless set); range: "
                "lowest to highest organisation mean.",
            )
        )
        orgs = out.tables.get("organisations")
        if orgs is not None:
            self.used.add((out.scorer, "organisations"))
            sec.add(
                table_block(orgs, self.labels, title="Scores by organisation", collapsed=True, unmeasured=unmeasured)
            )
            org_rows = orgs.rows()
            if has_intervals(org_rows):  # published means with their intervals as error bars
                make = partial(means_with_intervals, organisations=org_rows, sector=rows, labels=self.labels)
                sec.add(*self.chart(make, "means with intervals"))

    def gap_priority(self, out: OutputView, sec: Section) -> None:
        pr = self.use(out, "priorities")
        if pr is None:
            return
        rows = pr.rows()
        s = out.summary
        el = self.labels.element
        facts = []
        if s.get("method_name"):
            facts.append(("Method", f"{s['method_name']} ({s.get('method_source', '')})"))
        if s.get("key_priorities"):
            facts.append(("Key priority", ", ".join(el(x) for x in s["key_priorities"])))
        for key, name in (("quick_wins", "Quick wins"), ("focus", "Focus")):
            if s.get(key):
                facts.append((name, ", ".join(el(x) for x in s[key])))
        largest = s.get("largest_gap") or []
        if isinstance(largest, str):
            largest = [largest]
        if largest:
            value = s.get("largest_gap_value")
            at = f" at {value:.2f}" if isinstance(value, int | float) else ""
            tie = f"{len(largest)}-way tie{at}: " if len(largest) > 1 else ""
            facts.append(("Largest gap", tie + ", ".join(el(x) for x in largest)))
        if facts:
            sec.add(Facts(tuple(facts), "findings"))
        for line in s.get("reasoning") or ():
            sec.add(Text(str(line)))
        for line in s.get("ties") or ():
            sec.add(Text(f"Tie: {line}", "note"))
        if s.get("paper_words"):
            words = " ".join(f"“{w}”" for w in s["paper_words"])
            sec.add(Text(f"The paper's words (Aspire commissioning paper, 'Findings', lines 91-95): {words}", "note"))
        charted = [r for r in rows if r.get("class") != "not-measured"]  # no score is not a low score
        conf = level(out.params)
        if charted:
            sec.add(*self.chart(lambda i: ch.radar(i, charted, self.labels, confidence=conf), "radar"))
            sec.add(*self.chart(lambda i: ch.gap_bars(i, charted, self.labels, confidence=conf), "gap bars"))
            sec.add(*self.chart(lambda i: ch.priority_matrix(i, charted, out.params, self.labels), "priority matrix"))
        if len(charted) < len(rows):
            left = ", ".join(el(r["element"]) for r in rows if r not in charted)
            sec.add(Text(f"Not measured (no answer column in the input), so not charted or ranked: {left}.", "note"))
        ordered = sorted(rows, key=lambda r: (r["rank"] is None, r["rank"] or 0))
        heads = [header("rank"), header("element", self.labels)]
        for v in ("now", "future", "gap"):
            heads += [header(v), f"{header(v)} interval"]
        heads += [header("class"), header("reason")]
        body = tuple(
            (
                cell("rank", r["rank"], self.labels),
                cell("element", r["element"], self.labels),
                *(
                    c
                    for v in ("now", "future", "gap")
                    for c in (cell(v, r[v], self.labels), interval_cell(r, f"{v}_ci_low", f"{v}_ci_high"))
                ),
                cell("class", r["class"], self.labels),
                cell("reason", r["reason"], self.labels),
            )
            for r in ordered
        )
        intervals = (
            f" Intervals: {100 * conf:g}% confidence intervals over the organisations (gap: of each "
            "organisation's future mean minus its now mean); – where there is none."
        )
        sec.add(TableBlock("Priorities", tuple(heads), body, pr.description.split(" Intervals:")[0] + intervals))

    def multi_select(self, out: OutputView, sec: Section) -> None:
        fr = self.use(out, "frequencies")
        if fr is None:
            return
        rows = fr.rows()
        questions = list(dict.fromkeys(r["question"] for r in rows))
        options = list(dict.fromkeys((r["option"], r["label"]) for r in rows))
        by = {(r["option"], r["question"]): r for r in rows}
        # group questions that share options into one table, one column per question
        body = []
        for opt, label in options:
            cells = [Cell(str(label))]
            for q in questions:
                r = by.get((opt, q))
                if r is None:
                    cells.append(Cell("–", "none"))
                else:
                    share = "" if r["share"] is None else f" ({100 * r['share']:.0f}%)"
                    cells.append(Cell(f"{r['count']}{share}", "num"))
            body.append(tuple(cells))
        answered = {r["question"]: r["answered"] for r in rows}
        heads = ("Option", *(f"{_title(q)} (of {answered[q]})" for q in questions))
        sec.add(
            TableBlock("Choices", heads, tuple(body), "Respondents choosing each option (share of those who answered).")
        )

    def benchmark(self, out: OutputView, sec: Section) -> None:
        bt = self.use(out, "benchmarks")
        if bt is None:
            return
        rows = bt.rows()
        if out.summary.get("reference"):
            sec.add(Text(f"Reference: {out.summary['reference']}.", "note"))
        orgs = list(dict.fromkeys(r["organisation"] for r in rows))
        focus = self.organisation or out.params.get("organisation")
        chosen = [str(focus)] if focus in orgs else [str(o) for o in orgs[:MAX_BENCHMARK_CHARTS]]
        if focus and focus not in orgs:
            sec.add(Text(f"Organisation {focus!s} is not in the benchmark table; showing all.", "note"))
        if len(orgs) > len(chosen) and focus not in orgs:
            sec.add(
                Text(
                    f"Charts for the first {len(chosen)} of {len(orgs)} organisations "
                    "(choose one with --organisation).",
                    "note",
                )
            )
        conf = level(out.params)
        for org in chosen:
            sub = Section(f"{sec.id}-{slug(str(org))}", str(org))
            sub.add(
                *self.chart(
                    partial(ch.benchmark_chart, organisation=org, rows=rows, labels=self.labels, confidence=conf),
                    f"benchmark {org}",
                )
            )
            sub.add(self._benchmark_table(org, rows, conf))
            sec.children.append(sub)

    def _benchmark_table(self, org: str, rows: list[dict[str, Any]], conf: float = 0.95) -> TableBlock:
        mine = [r for r in rows if r["organisation"] == org]
        modes = list(dict.fromkeys(str(r["mode"] or "") for r in mine))
        by = {(r["element"], str(r["mode"] or "")): r for r in mine}
        heads = [self.labels.kind]
        for m in modes:
            name = MODE_NAMES.get(m, m) or "Score"
            heads += [f"{name} (interval)", f"{name} z", f"{name} percentile"]
        body = []
        small = False
        for e in dict.fromkeys(r["element"] for r in mine):
            cells = [Cell(self.labels.element(e))]
            for m in modes:
                r = by.get((e, m), {})
                z, pct = (
                    cell("z", r.get("z"), self.labels),
                    cell("percentile_rank", r.get("percentile_rank"), self.labels),
                )
                if small_reference(r.get("reference_n")) and r.get("score") is not None:
                    small = True  # the caution stands next to the figures it qualifies
                    z, pct = (
                        Cell(f"{c.text} ({SMALL_MARK})", "num-caution") if c.kind == "num" else c for c in (z, pct)
                    )
                score = cell("score", r.get("score"), self.labels)
                ci = interval_text(r)
                if ci is not None and score.kind == "num":  # the interval wraps under the score when space is short
                    score = Cell(f"{score.text} ({ci})", "num")
                cells += [score, z, pct]
            body.append(tuple(cells))
        caution = ""
        if small:
            ns = sorted({int(r["reference_n"]) for r in mine if small_reference(r.get("reference_n"))})
            caution = (
                f" {SMALL_MARK.capitalize()}: the reference group has only {' or '.join(map(str, ns))} "
                f"organisations (fewer than {SMALL_REFERENCE}), too few to rank against: read the z-score and "
                "percentile rank as a position in a short list, not in a distribution."
            )
        return TableBlock(
            f"{org}: scores, z-scores and percentile ranks",
            tuple(heads),
            tuple(body),
            "Percentile rank: share of the reference scoring below (ties count half); z: distance from the reference "
            f"mean in reference standard deviations; in brackets: the {100 * conf:g}% confidence interval of the "
            "organisation's mean over its respondents." + caution,
        )

    def review360(self, out: OutputView, sec: Section) -> None:
        groups_t, summary_t = self.use(out, "groups"), self.use(out, "summary")
        comments_t = self.use(out, "comments")
        if groups_t is None or summary_t is None:
            return
        k = out.params.get("min_group_size", out.summary.get("min_group_size"))
        for note in out.notes:
            sec.add(Text(note, "note"))
        supp = out.summary.get("suppressed_groups") or {}
        if self.subject is not None:  # a one-subject report names no one else
            supp = {s: gs for s, gs in supp.items() if s == self.subject}
        if supp:
            sec.add(
                Facts(
                    tuple(
                        (str(s), ", ".join(self.labels.role(g) for g in gs) + f" withheld (fewer than {k} raters)")
                        for s, gs in supp.items()
                    ),
                    "findings",
                )
            )
        groups = groups_t.rows()
        summary = summary_t.rows()
        comments = comments_t.rows() if comments_t is not None else []
        subjects = list(dict.fromkeys(r["subject"] for r in summary))
        if self.subject is not None:  # a one-subject report
            if self.subject not in subjects:
                from aspire_models.errors import UnknownIdError

                raise UnknownIdError("subject", self.subject, sorted(str(x) for x in subjects))
            subjects = [self.subject]
        for subject in subjects:
            g_rows = [r for r in groups if r["subject"] == subject]
            s_rows = [r for r in summary if r["subject"] == subject]
            sub = Section(f"{sec.id}-{slug(str(subject))}", f"{subject}")
            sub.add(
                *self.chart(
                    partial(
                        ch.profile_360,
                        subject=str(subject),
                        groups=g_rows,
                        summary=s_rows,
                        labels=self.labels,
                        confidence=level(out.params),
                    ),
                    f"360 {subject}",
                )
            )
            group_ids = list(dict.fromkeys(r["group"] for r in g_rows))
            by = {(r["behaviour"], r["group"]): r for r in g_rows}
            body = []
            for b in dict.fromkeys(r["behaviour"] for r in g_rows):
                cells = [Cell(self.labels.element(b))]
                for g in group_ids:
                    r = by.get((b, g))
                    if r is None:
                        cells.append(Cell("–", "none"))
                    elif r["suppressed"]:
                        cells.append(Cell(withheld_text(r["reason"], k), "withheld"))
                    elif r["mean"] is None:
                        cells.append(Cell("–", "none"))
                    else:
                        cells.append(mean_cell(r))
                body.append(tuple(cells))
            sub.add(
                TableBlock(
                    "Mean rating by rater group",
                    (self.labels.kind, *(self.labels.role(g) for g in group_ids)),
                    tuple(body),
                    "n is the number of raters who scored the behaviour; after it, the "
                    f"{100 * level(out.params):g}% confidence interval of the mean (none for a group of one).",
                )
            )
            cols = ("behaviour", "self_mean", "others_mean", "others_n", "gap", "classification", "rank")
            if s_rows and all(r["others_mean"] is None for r in s_rows):
                sub.add(
                    Text(
                        f"All others' ratings of {subject} are withheld: showing them would reveal a withheld group.",
                        "note",
                    )
                )
            sub.add(
                TableBlock(
                    "Self versus others",
                    tuple(header(c, self.labels) for c in cols),
                    tuple(tuple(cell(c, r[c], self.labels) for c in cols) for r in s_rows),
                    "Gap: self minus all others. Rank: by all others' mean (1 = highest).",
                )
            )
            c_rows = [r for r in comments if r["subject"] == subject]
            if c_rows:
                grouped: list[tuple[str, tuple[tuple[str, tuple[str, ...]], ...]]] = []
                for q in dict.fromkeys(r["question"] for r in c_rows):
                    per_group = []
                    for g in dict.fromkeys(r["group"] for r in c_rows if r["question"] == q):
                        texts = tuple(str(r["comment"]) for r in c_rows if r["question"] == q and r["group"] == g)
                        per_group.append((self.labels.role(g), texts))
                    grouped.append((self.labels.question(q), tuple(per_group)))
                sub.add(Comments("Comments (grouped by rater group, never attributed)", tuple(grouped)))
            sec.children.append(sub)

    def team_view(self, out: OutputView, sec: Section) -> None:
        tt = self.use(out, "teams")
        if tt is None:
            return
        if self.subject is not None:  # a one-subject report leaves out what pools other subjects
            sec.add(Text("The team view pools several subjects, so a one-subject report leaves it out.", "note"))
            return
        k = out.params.get("min_group_size")
        for note in out.notes:
            sec.add(Text(note, "note"))
        rows = tt.rows()
        for team in dict.fromkeys(r["team"] for r in rows):
            t_rows = [r for r in rows if r["team"] == team]
            group_ids = list(dict.fromkeys(r["group"] for r in t_rows))
            by = {(r["behaviour"], r["group"]): r for r in t_rows}
            body = []
            for b in dict.fromkeys(r["behaviour"] for r in t_rows):
                cells = [Cell(self.labels.element(b))]
                for g in group_ids:
                    r = by.get((b, g))
                    if r is None or (r["mean"] is None and not r["suppressed"]):
                        cells.append(Cell("–", "none"))
                    elif r["suppressed"]:
                        cells.append(Cell(withheld_text(r["reason"], k), "withheld"))
                    else:
                        cells.append(mean_cell(r))
                body.append(tuple(cells))
            n_subjects = t_rows[0]["n_subjects"] if t_rows else 0
            if any(r["mean"] is not None and not r["suppressed"] for r in t_rows):
                sec.add(
                    *self.chart(
                        partial(
                            ch.team_profile,
                            team=str(team),
                            rows=t_rows,
                            labels=self.labels,
                            confidence=level(out.params),
                        ),
                        f"team {team}",
                    )
                )
            sec.add(
                TableBlock(
                    f"{team} ({n_subjects} subjects)",
                    (self.labels.kind, *(self.labels.role(g) for g in group_ids)),
                    tuple(body),
                    "Mean rating pooled over the team's subjects (n = rater forms), with the "
                    f"{100 * level(out.params):g}% confidence interval of the mean.",
                )
            )

    def diffusion(self, out: OutputView, sec: Section) -> None:
        bass, curve_t = self.use(out, "bass"), self.use(out, "curve")
        cats_t, adopters_t = self.use(out, "categories"), out.tables.get("adopters")
        if bass is None or curve_t is None:
            return
        for note in out.notes:
            sec.add(Text(note, "note"))
        fits = bass.rows()
        cols = ("practice", "status", "adopters", "units", "p", "q", "m", "r_squared", "peak_period", "chasm_period")
        sec.add(
            table_block(
                Table("bass", "practice", {c: tuple(r.get(c) for r in fits) for c in cols}),
                self.labels,
                title="Bass model fits (R² of the per-period adoptions)",
            )
        )
        curve = curve_t.rows()
        cats = cats_t.rows() if cats_t is not None else []
        adopters = adopters_t.rows() if adopters_t is not None else []
        for fit in fits:
            p = fit["practice"]
            sub = Section(f"{sec.id}-{slug(str(p))}", self.labels.element(p))
            share = f"{fit['adopters']} of {fit['units']} units adopted"
            if fit["status"] in ("fitted", "m-at-bound"):
                window = (
                    f" Window {_period(fit['launch'])} (launch: {fit['launch_rule']}) to "
                    f"{_period(fit['observed_until'])}."
                    if fit.get("launch") is not None
                    else ""
                )
                m_text = (
                    f"m = {fit['m']:.1f} on its {fit.get('m_bound')} bound (not identified: no standard errors, "
                    "no forecast)"
                    if fit["status"] == "m-at-bound"
                    else f"m = {fit['m']:.1f}"
                )
                sub.add(
                    Text(
                        f"{share}.{window} Bass model ({fit['status']}): p = {fit['p']:.4f}, q = {fit['q']:.4f}, "
                        f"{m_text} (R² of the per-period adoptions = {fit['r_squared']:.3f}); peak in "
                        f"{_period(fit['peak_period'])}, chasm (16% of m) crossed in {_period(fit['chasm_period'])}."
                    )
                )
                c_rows = [r for r in curve if r["practice"] == p]
                a_rows = [r for r in adopters if r["practice"] == p]
                sub.add(
                    *self.chart(
                        partial(
                            ch.s_curve,
                            practice=str(p),
                            fit=fit,
                            curve=c_rows,
                            adopters=a_rows,
                            params=out.params,
                            labels=self.labels,
                        ),
                        f"S-curve {p}",
                    )
                )
            else:
                sub.add(Text(f"{share}. Bass model: {fit['status']}.", "note"))
            p_cats = [r for r in cats if r["practice"] == p]
            if p_cats:
                cc = ("category", "n", "observed_share", "theoretical_share")
                body = tuple(
                    (
                        Cell(ch.CATEGORY_NAMES.get(r["category"], str(r["category"]).replace("-", " ").capitalize())),
                        *(cell(c, r[c], self.labels) for c in cc[1:]),
                    )
                    for r in p_cats
                )
                sub.add(TableBlock("Adopter categories", tuple(header(c) for c in cc), body))
            sec.children.append(sub)
        inn = out.tables.get("innovativeness")
        if inn is not None:
            ranked = sorted(
                (r for r in inn.rows() if r["innovativeness"] is not None),
                key=lambda r: (r["innovativeness"], str(r["unit"])),
            )
            top = ranked[:10]
            cols2 = ("unit", "practices_adopted", "innovativeness", "category")
            sec.add(
                table_block(
                    Table("i", "unit", {c: tuple(r[c] for r in top) for c in cols2}),
                    self.labels,
                    title="Most innovative units",
                )
            )

    HANDLERS: Mapping[str, str] = {
        "aggregate": "aggregate",
        "gap-priority": "gap_priority",
        "multi-select-frequencies": "multi_select",
        "benchmark": "benchmark",
        "review-360": "review360",
        "review-360-team": "team_view",
        "diffusion": "diffusion",
    }
    TITLES: Mapping[str, str] = {
        "dimension-scores": "Dimension scores",
        "aggregate": "Organisation and sector scores",
        "gap-priority": "Gaps and priorities",
        "multi-select-frequencies": "Multiple-choice questions",
        "benchmark": "Benchmarking",
        "review-360": "360-degree reviews",
        "review-360-team": "360 team view",
        "diffusion": "Diffusion of innovation",
        "reliability": "Reliability",
    }

    def plugin_output(self, out: OutputView, sec: Section) -> None:
        """A scorer without a handler here (a plugin's): its description, its summary, and the
        charts plugins contribute for it (``aspire_report_charts``); its tables follow."""
        from aspire_models.reports.plugins import charts_for, draw_chart

        description = self.data.scorers.get(out.scorer, ("", ""))[1]
        if description:
            sec.add(Text(description, "lead"))
        if out.summary:
            sec.add(Facts(tuple((_title(k), _summary_value(v)) for k, v in out.summary.items()), "findings"))
        for contribution in charts_for(self.data.charts, out.scorer):
            if not self.charts:
                continue
            self.n_charts += 1
            self.progress.step(f"chart: {contribution.title}")
            try:
                chart = draw_chart(contribution, out, self.labels, f"{self.prefix}c{self.n_charts}")
            except Exception as exc:  # a plugin's fault: the report goes on without the chart
                sec.add(Text(f"Chart {contribution.title!r} could not be drawn: {type(exc).__name__}: {exc}", "note"))
                continue
            if chart is not None:
                sec.add(ChartBlock(chart))

    def build(self) -> Section:
        d = self.data
        lab = self.labels
        prov = d.document
        acc = d.accounting
        title = lab.instrument_title or d.instrument_id
        top = Section(f"{self.prefix}result", title)
        facts = [
            ("Instrument", f"{prov['instrument']['id']} {prov['instrument']['version']}"),
            (
                "Framework",
                (lab.framework_name + f" ({prov['framework']['id']})")
                if lab.framework_name
                else prov["framework"]["id"],
            ),
            ("Data", prov["input"]["source"] or "(in memory)"),
            ("Rows", f"{acc['input']:,} read, {acc['accepted']:,} scored, {acc['rejected']:,} rejected"),
            ("Data SHA-256", str(prov["input"]["sha256"])[:16] + "…"),
            ("Library", f"aspire-models {prov['library']['version']}"),
        ]
        top.add(Facts(tuple(facts)))
        for w in prov.get("warnings", ()):
            top.add(Text(f"Warning: {w}", "note"))
        for notice in (prov.get("privacy") or {}).get("notices", ()):  # smaller groups published than usual
            top.add(Text(str(notice), "note"))
        for f in prov.get("failures", ()):
            top.add(
                Text(
                    f"Scorer {f.get('scorer')} (plugin {f.get('plugin')}) failed and is left out: {f.get('reason')}",
                    "note",
                )
            )
        for out in d.outputs:
            # a plugin's scorer: its own title (from the registry), else a title made from its id
            name = self.TITLES.get(out.scorer) or d.scorers.get(out.scorer, (_title(out.scorer), ""))[0]
            sec = Section(f"{self.prefix}{slug(out.scorer)}", name)
            handler = self.HANDLERS.get(out.scorer)
            if handler is not None:
                getattr(self, handler)(out, sec)
            elif out.scorer == "dimension-scores":
                sec.add(
                    Facts(
                        (
                            ("Respondents scored", _summary_value(out.summary.get("respondents", "–"))),
                            ("Dimensions", _summary_value(len(out.summary.get("dimensions", ())))),
                            ("Missing scores", _summary_value(out.summary.get("missing_scores", "–"))),
                        )
                    ),
                    Text("Respondent-level scores are not shown in reports (they identify respondents).", "note"),
                )
            elif out.scorer not in self.TITLES:  # a plugin's scorer: description, summary, charts
                self.plugin_output(out, sec)
            elif not out.tables and out.summary:
                sec.add(Facts(tuple((_title(k), _summary_value(v)) for k, v in out.summary.items())))
            rest = [t for n, t in out.tables.items() if (out.scorer, n) not in self.used]
            for t in rest:
                k = out.params.get("min_group_size")
                sec.add(table_block(t, lab, collapsed=handler is not None or len(t) > 30, k=k))
            if not sec.blocks and not sec.children:
                continue
            top.children.append(sec)
        rejected = prov.get("rejected") or []
        if rejected:
            sec = Section(f"{self.prefix}rejected", f"Rejected rows ({len(rejected)})")
            body = []
            for r in rejected[:200]:
                for p in r.get("problems", []):
                    body.append(
                        (
                            Cell(str(r.get("row", r.get("record", "")))),
                            Cell(str(p.get("field", ""))),
                            Cell(str(p.get("message", ""))),
                        )
                    )
            sec.add(TableBlock("Problems", ("Row", "Column", "Problem"), tuple(body), collapsed=len(body) > 30))
            top.children.append(sec)
        return top


def _period(v: Any) -> str:
    return "–" if v is None else fmt_number("period", v)


def _summary_value(v: Any) -> str:
    if isinstance(v, list | tuple):
        return ", ".join(str(x) for x in v)
    if isinstance(v, dict):
        return "; ".join(f"{k}: {_summary_value(x)}" for k, x in v.items())
    if isinstance(v, float):
        return fmt_number("", v)
    return str(v)


def build_report(
    results: Sequence[ReportData],
    *,
    title: str | None = None,
    organisation: str | None = None,
    progress: Progress | None = None,
    charts: bool = True,
    subject: str | None = None,
) -> Report:
    """The report for one or more results (one top-level section each); ``charts=False``
    leaves the charts out. With ``subject``, a 360 review shows that subject only (and the
    team view, which pools subjects, is left out)."""
    bar = progress or Progress(0, quiet=True)
    sections = []
    for i, data in enumerate(results):
        prefix = f"r{i + 1}-" if len(results) > 1 else ""
        sections.append(_Builder(data, prefix, bar, organisation, charts, subject).build())
    if title is None:
        title = f"{sections[0].title}: report" if len(sections) == 1 else "aspire-models report"
    subtitle = (
        f"{results[0].labels.framework_name or results[0].document['framework']['id']}"
        if len(results) == 1
        else " · ".join(s.title for s in sections)
    )
    return Report(title, subtitle, tuple(sections))


def expected_charts(results: Sequence[ReportData], organisation: str | None = None) -> int:
    """How many charts :func:`build_report` will draw (for a progress bar)."""
    n = 0
    for data in results:
        for out in data.outputs:
            if out.scorer == "gap-priority" and any(r.get("class") != "not-measured" for r in out.rows("priorities")):
                n += 3
            elif out.scorer == "aggregate" and "organisations" in out.tables:
                n += has_intervals(out.rows("organisations"))
            elif out.scorer == "benchmark":
                orgs = list(dict.fromkeys(r["organisation"] for r in out.rows("benchmarks")))
                focus = organisation or out.params.get("organisation")
                n += 1 if focus in orgs else min(len(orgs), MAX_BENCHMARK_CHARTS)
            elif out.scorer == "review-360" and "groups" in out.tables:
                n += len({r["subject"] for r in out.rows("summary")})
            elif out.scorer == "review-360-team":
                n += len({r["team"] for r in out.rows("teams") if r["mean"] is not None and not r["suppressed"]})
            elif out.scorer == "diffusion":
                n += sum(1 for r in out.rows("bass") if r["status"] == "fitted")
    return n
