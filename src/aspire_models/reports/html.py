"""A :class:`~aspire_models.reports.document.Report` as one self-contained HTML page:
inline CSS, charts as inline SVG, no scripts, no external resources (a Content Security
Policy forbids them too). Every text is escaped with :func:`html.escape`.
"""

from __future__ import annotations

import html
import re

from aspire_models.reports.document import Cell, ChartBlock, Comments, Facts, Report, Section, TableBlock, Text

__all__ = ["write_html"]


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


CSS = """
:root {
  --ink: #1f2933; --muted: #52606d; --faint: #616e7c; --line: #e4e7eb; --band: #0b3954;
  --accent: #0b4f6c; --bg: #f3f5f8; --panel: #ffffff;
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0; background: var(--bg); color: var(--ink);
  font: 15px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "DejaVu Sans", Arial, sans-serif;
}
header.top { background: var(--band); color: #fff; padding: 30px 0 24px; }
header.top .inner, main, footer { max-width: 1180px; margin: 0 auto; padding-left: 32px; padding-right: 32px; }
header.top h1 { margin: 0; font-size: 28px; font-weight: 650; letter-spacing: -0.01em; }
header.top p { margin: 6px 0 0; color: #c9dde9; font-size: 15px; }
nav.toc { background: #fff; border-bottom: 1px solid var(--line); }
nav.toc ul { list-style: none; margin: 0 auto; padding: 10px 32px; max-width: 1180px; display: flex; flex-wrap: wrap;
  gap: 4px 18px; font-size: 14px; }
nav.toc a { color: var(--accent); text-decoration: none; }
nav.toc a:hover { text-decoration: underline; }
main { padding-top: 8px; padding-bottom: 40px; }
section.result { background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 8px 32px 24px;
  margin: 24px 0; box-shadow: 0 1px 2px rgba(16, 42, 67, 0.05); }
section.scorer { border-top: 1px solid var(--line); margin-top: 28px; padding-top: 4px; }
section.sub { margin-top: 18px; }
h2 { font-size: 23px; margin: 20px 0 12px; color: var(--band); }
h3 { font-size: 19px; margin: 22px 0 10px; color: var(--band); }
h4 { font-size: 16px; margin: 20px 0 6px; }
h5 { font-size: 15px; margin: 16px 0 6px; color: #334e68; }
h6 { font-size: 14px; margin: 12px 0 4px; color: #334e68; }
p { margin: 8px 0; }
p.note { color: var(--muted); font-size: 13.5px; }
p.lead { font-size: 16px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 3px 18px; margin: 8px 0 12px; font-size: 14px; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
dl.findings { background: #fff8e8; border-left: 4px solid #e69f00; padding: 10px 16px; border-radius: 4px; }
dl.findings dt { color: #7a4b00; font-weight: 600; }
figure { margin: 14px 0 18px; }
figure.chart svg { display: block; height: auto; }
figcaption { font-size: 13px; color: var(--muted); margin-top: 4px; }
.table-wrap { overflow-x: auto; margin: 4px 0 14px; }
table.data { border-collapse: collapse; font-size: 13.5px; min-width: 40%; }
table.data th { text-align: left; background: #f0f4f8; color: #334e68; font-weight: 600;
  border-bottom: 2px solid #cbd2d9; padding: 6px 9px; vertical-align: bottom; }
table.data td { padding: 5px 9px; border-bottom: 1px solid var(--line); vertical-align: top; }
table.data td:first-child { min-width: 9em; }
table.data tbody tr:nth-child(even) td { background: #fafbfc; }
table.data .num { text-align: right; font-variant-numeric: tabular-nums; }
/* numbers stay whole (no break inside "-0.41"); a range or "(n=3)" may wrap at its spaces in a wide table */
table.data td.num { overflow-wrap: normal; }
table.data td.caution { white-space: normal; min-width: 7em; }
table.data td.withheld { color: var(--faint); font-style: italic; text-align: right; }
table.data td.none { color: var(--faint); text-align: right; }
.desc { color: var(--muted); font-size: 13px; margin: 0 0 4px; }
.tag { display: inline-block; padding: 0 8px; border-radius: 10px; font-size: 12px; font-weight: 600;
  white-space: nowrap; }
.tag-focus, .tag-blind-spot { background: #fde3d3; color: #93370d; }
.tag-quick-win, .tag-hidden-strength, .tag-agreed-strength { background: #d9f2e6; color: #0b5e3e; }
.tag-improve { background: #fdefcf; color: #7a4b00; }
.tag-lower-priority, .tag-agreed { background: #e9edf1; color: #3e4c59; }
.tag-agreed-development { background: #e6e0f3; color: #4a2f7a; }
details { margin: 10px 0; }
details > summary { cursor: pointer; color: var(--accent); font-weight: 600; font-size: 14.5px; }
.comments h5 { margin-bottom: 2px; }
.comments ul { margin: 4px 0 10px; padding-left: 20px; }
.comments li { margin: 2px 0; }
.comments .group { color: var(--muted); font-size: 13px; font-weight: 600; margin: 6px 0 0; }
footer { color: var(--faint); font-size: 12.5px; padding-bottom: 32px; }
/* Printed on A4 for a board pack: full width, every column on the page (cells wrap, nothing is
   cut off by a scroll box), collapsed sections printed open, headings kept with what follows. */
@page { size: A4; margin: 14mm 12mm 16mm; }
@media print {
  body { background: #fff; font-size: 10pt; line-height: 1.4; }
  header.top { background: #fff; color: var(--ink); padding: 0 0 6px; border-bottom: 2px solid var(--band); }
  header.top p { color: var(--muted); }
  header.top .inner, main, footer { max-width: none; padding-left: 0; padding-right: 0; }
  nav.toc { display: none; }
  section.result { border: none; box-shadow: none; padding: 0; margin: 0 0 12px; border-radius: 0; }
  section.result + section.result { break-before: page; }
  h2, h3, h4, h5, h6, figcaption, p.desc { break-after: avoid; }
  figure, tr, dl { break-inside: avoid; }
  figure.chart svg { max-width: 100% !important; }
  .table-wrap { overflow: visible; }
  table.data { width: 100%; font-size: 8pt; }
  table.data thead { display: table-header-group; }
  table.data th, table.data td { padding: 3px 3px; }
  table.data td { overflow-wrap: break-word; }
  table.data td:first-child { min-width: 0; }
  table.data .num { white-space: normal; }
  table.data td.num { overflow-wrap: normal; }
  table.data td.caution { white-space: normal; min-width: 0; }
  .tag { white-space: normal; }
  details::details-content { content-visibility: visible; display: contents; }
  details > summary { list-style: none; color: var(--band); }
  details > summary::-webkit-details-marker { display: none; }
}
"""

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"


def _cell(c: Cell, tag: str = "td") -> str:
    if c.kind.startswith("tag-"):
        return f'<{tag}><span class="tag {esc(c.kind)}">{esc(c.text)}</span></{tag}>'
    kind = "num caution" if c.kind == "num-caution" else c.kind
    cls = f' class="{esc(kind)}"' if kind else ""
    return f"<{tag}{cls}>{esc(c.text)}</{tag}>"


def _table(t: TableBlock, level: int) -> str:
    numeric = t.numeric or tuple(False for _ in t.headers)
    num = ' class="num"'
    heads = "".join(
        f'<th scope="col"{num if n else ""}>{esc(h)}</th>' for h, n in zip(t.headers, numeric, strict=False)
    )
    body = "\n".join("<tr>" + "".join(_cell(c) for c in row) + "</tr>" for row in t.rows)
    desc = f'<p class="desc">{esc(t.description)}</p>' if t.description else ""
    table = (
        f'<div class="table-wrap"><table class="data">\n<thead><tr>{heads}</tr></thead>\n'
        f"<tbody>\n{body}\n</tbody></table></div>"
    )
    if t.collapsed:
        return f"<details><summary>{esc(t.title)} ({len(t.rows)} rows)</summary>{desc}\n{table}</details>"
    h = min(level + 1, 6)
    return f"<h{h}>{esc(t.title)}</h{h}>{desc}\n{table}"


def _chart(b: ChartBlock) -> str:
    c = b.chart
    # the alternative text states the data (the caption says what the chart is)
    svg = re.sub(r"^<svg", f'<svg role="img" aria-label="{esc(c.description or c.title)}"', c.svg, count=1)
    return f'<figure class="chart" id="{esc(c.id)}">\n{svg}<figcaption>{esc(c.title)}</figcaption></figure>'


def _facts(f: Facts) -> str:
    items = "".join(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in f.items)
    return f'<dl class="facts {esc(f.kind)}">{items}</dl>'


def _comments(c: Comments, level: int) -> str:
    h = min(level + 1, 6)
    parts = [f'<div class="comments"><h{h}>{esc(c.title)}</h{h}>']
    for question, groups in c.groups:
        parts.append(f"<h{min(h + 1, 6)}>{esc(question)}</h{min(h + 1, 6)}>")
        for group, texts in groups:
            parts.append(f'<p class="group">{esc(group)}</p><ul>')
            parts.extend(f"<li>{esc(t)}</li>" for t in texts)
            parts.append("</ul>")
    parts.append("</div>")
    return "\n".join(parts)


def _section(s: Section, level: int) -> str:
    cls = {2: "result", 3: "scorer"}.get(level, "sub")
    out = [f'<section class="{cls}" id="{esc(s.id)}">', f"<h{level}>{esc(s.title)}</h{level}>"]
    for b in s.blocks:
        if isinstance(b, Text):
            out.append(f'<p class="{esc(b.kind)}">{esc(b.text)}</p>')
        elif isinstance(b, Facts):
            out.append(_facts(b))
        elif isinstance(b, TableBlock):
            out.append(_table(b, level))
        elif isinstance(b, ChartBlock):
            out.append(_chart(b))
        elif isinstance(b, Comments):
            out.append(_comments(b, level))
    for c in s.children:
        out.append(_section(c, min(level + 1, 5)))
    out.append("</section>")
    return "\n".join(out)


def write_html(report: Report) -> str:
    toc = []
    for s in report.sections:
        if len(report.sections) > 1:
            toc.append(f'<li><a href="#{esc(s.id)}"><strong>{esc(s.title)}</strong></a></li>')
        toc.extend(f'<li><a href="#{esc(c.id)}">{esc(c.title)}</a></li>' for c in s.children)
    body = "\n".join(_section(s, 2) for s in report.sections)
    return f"""<!DOCTYPE html>
<html lang="en-GB">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="aspire-models">
<title>{esc(report.title)}</title>
<style>{CSS}</style>
</head>
<body>
<header class="top"><div class="inner">
<h1>{esc(report.title)}</h1>
<p>{esc(report.subtitle)}</p>
</div></header>
<nav class="toc" aria-label="Contents"><ul>
{chr(10).join(toc)}
</ul></nav>
<main>
{body}
</main>
<footer>Made with aspire-models from the result's tables only (no respondent-level data).
360 groups below the reporting threshold are withheld. Charts: matplotlib.</footer>
</body>
</html>
"""
