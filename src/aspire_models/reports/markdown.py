"""A :class:`~aspire_models.reports.document.Report` as Markdown (GitHub-flavoured tables).

Charts are not embedded (Markdown viewers differ on inline images); each is named where it
stands in the HTML report. Every text is escaped so that it renders as the text it is.
"""

from __future__ import annotations

import re

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


def _section(s: Section, level: int) -> list[str]:
    out = [f"{'#' * level} {md_escape(s.title)}", ""]
    for b in s.blocks:
        if isinstance(b, Text):
            out += [f"_{md_escape(b.text)}_" if b.kind == "note" else md_escape(b.text), ""]
        elif isinstance(b, Facts):
            out += [f"- **{md_escape(k)}:** {md_escape(v)}" for k, v in b.items] + [""]
        elif isinstance(b, TableBlock):
            out += _table(b, level)
        elif isinstance(b, ChartBlock):
            out += [f"_Chart (in the HTML report): {md_escape(b.chart.title)}_", ""]
        elif isinstance(b, Comments):
            out += [f"{'#' * min(level + 1, 6)} {md_escape(b.title)}", ""]
            for question, groups in b.groups:
                out += [f"**{md_escape(question)}**", ""]
                for group, texts in groups:
                    out += [f"- _{md_escape(group)}_"] + [f"  - {md_escape(t)}" for t in texts]
                out.append("")
    for c in s.children:
        out += _section(c, min(level + 1, 6))
    return out


def write_markdown(report: Report) -> str:
    lines = [f"# {md_escape(report.title)}", "", md_escape(report.subtitle), ""]
    for s in report.sections:
        lines += _section(s, 2)
    lines += [
        "---",
        "",
        "_Made with aspire-models from the result's tables only (no respondent-level data); "
        "360 groups below the reporting threshold are withheld._",
        "",
    ]
    return "\n".join(lines)
