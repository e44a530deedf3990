"""A :class:`~aspire_models.reports.document.Report` as Markdown (GitHub-flavoured tables).

Charts are images beside the Markdown file: :func:`aspire_models.reports.write_report` writes
each chart as an SVG file in a folder next to the report (``report.md`` and
``report-charts/``) and links it with its data as alternative text. Rendered as text only
(:func:`~aspire_models.reports.render_markdown`), each chart is named where it stands, with
a note saying where to find it. Every text is escaped so that it renders as the text it is.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from aspire_models.reports.document import ChartBlock, Comments, Facts, Report, Section, TableBlock, Text

__all__ = ["md_escape", "write_markdown"]

_SPECIAL = re.compile(r"([\\`*_\[\]<>|~#!])")
_LEADING = re.compile(r"^(\d{1,9}(?=[.)])|)([.)]|[-+])(?=\s|$)")  # "1. ", "2) ", "- ", "+ "


def md_escape(text: object) -> str:
    r"""Text that Markdown renders as itself: punctuation with a meaning is backslash-escaped
    and line breaks become spaces (so a value cannot break out of a table cell).

    >>> md_escape("<b>x</b> | *y*")
    '\\<b\\>x\\</b\\> \\| \\*y\\*'
    """
    text = _SPECIAL.sub(r"\\\1", " ".join(str(text).split()))
    return _LEADING.sub(r"\1\\\2", text)  # no list item or heading at the start


def _table(t: TableBlock, level: int) -> list[str]:
    numeric = t.numeric or tuple(False for _ in t.headers)
    out = [f"{'#' * min(level + 1, 6)} {md_escape(t.title)}", ""]
    if t.description:
        out += [f"_{md_escape(t.description)}_", ""]
    out.append("| " + " | ".join(md_escape(h) for h in t.headers) + " |")
    out.append("|" + "|".join("---:" if n else "---" for n in numeric) + "|")
    out.extend("| " + " | ".join(md_escape(c.text) for c in row) + " |" for row in t.rows)
    out.append("")
    return out


def _chart(b: ChartBlock, links: Mapping[str, str]) -> list[str]:
    c = b.chart
    link = links.get(c.id)
    if link is None:
        return [
            f"_Chart (in the HTML report, or as an SVG file when the report is written to a file): "
            f"{md_escape(c.title)}_",
            "",
        ]
    alt = md_escape(c.description or c.title)
    return [f"![{alt}]({link})", "", f"_{md_escape(c.title)}_", ""]


def _section(s: Section, level: int, links: Mapping[str, str]) -> list[str]:
    out = [f"{'#' * level} {md_escape(s.title)}", ""]
    for b in s.blocks:
        if isinstance(b, Text):
            out += [f"_{md_escape(b.text)}_" if b.kind == "note" else md_escape(b.text), ""]
        elif isinstance(b, Facts):
            out += [f"- **{md_escape(k)}:** {md_escape(v)}" for k, v in b.items] + [""]
        elif isinstance(b, TableBlock):
            out += _table(b, level)
        elif isinstance(b, ChartBlock):
            out += _chart(b, links)
        elif isinstance(b, Comments):
            out += [f"{'#' * min(level + 1, 6)} {md_escape(b.title)}", ""]
            for question, groups in b.groups:
                out += [f"**{md_escape(question)}**", ""]
                for group, texts in groups:
                    out += [f"- _{md_escape(group)}_"] + [f"  - {md_escape(t)}" for t in texts]
                out.append("")
    for c in s.children:
        out += _section(c, min(level + 1, 6), links)
    return out


def write_markdown(report: Report, chart_links: Mapping[str, str] | None = None, *, note: str = "") -> str:
    """The report as Markdown; ``chart_links`` maps chart ids to the relative paths of their
    SVG files (charts without a link are named, with a note); ``note`` stands under the title."""
    links = chart_links or {}
    lines = [f"# {md_escape(report.title)}", "", md_escape(report.subtitle), ""]
    if note:
        lines += [f"_{md_escape(note)}_", ""]
    for s in report.sections:
        lines += _section(s, 2, links)
    lines += [
        "---",
        "",
        "_Made with aspire-models from the result's tables only (no respondent-level data); "
        "360 groups below the reporting threshold are withheld._",
        "",
    ]
    return "\n".join(lines)


def svg_file(svg: str) -> str:
    """A chart's inline SVG (sized to its page) as a standalone SVG file: an XML declaration
    and its natural width, so that it shows at its size in a Markdown viewer."""
    text = re.sub(
        r'<svg([^>]*?) style="width: 100%; max-width: ([^;"]*); height: auto"',
        r'<svg\1 width="\2"',
        svg,
        count=1,
    )
    return '<?xml version="1.0" encoding="utf-8" standalone="no"?>\n' + text
