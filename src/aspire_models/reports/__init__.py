"""Reports: a scored result as a self-contained HTML page (charts inline as SVG, no
network needed to view it), as Markdown, or as an Excel workbook (one sheet per table).

>>> from aspire_models import Registry, score
>>> from aspire_models.examples import example_path
>>> from aspire_models.reports import render_markdown
>>> reg = Registry(entry_points=False)
>>> result = score(reg, "aspire-sop-self-assessment", example_path("aspire-sop-responses.csv"))
>>> text = render_markdown(result, reg)
>>> "| 1 | Leadership |" in text
True

Reports read a result's tables only, never raw responses: respondent-level tables are left
out, and 360 groups withheld by the anonymity rule show as ``withheld (fewer than k
raters)``. A stored result document (``aspire score -o result.json``) gives the same
report as the :class:`~aspire_models.result.Result` it came from (see :func:`load_result`).
Pass a :class:`~aspire_models.registry.Registry` to show element names, rater-role labels
and the scale range (without one, reports show ids).

HTML and Excel need the ``reports`` extra (``pip install 'aspire-models[reports]'``:
matplotlib and openpyxl); Markdown needs neither.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aspire_models.errors import UnknownIdError

if TYPE_CHECKING:
    from aspire_models.progress import Progress
    from aspire_models.registry import Registry
    from aspire_models.reports.model import ResultLike, load_result
    from aspire_models.result import Result

__all__ = [
    "FORMATS",
    "demo_results",
    "load_result",
    "render_html",
    "render_markdown",
    "write_excel",
    "write_report",
]


def __getattr__(name: str) -> Any:
    # load_result lives in reports.model, which needs numpy and pyarrow: imported on first
    # use so that the ``aspire`` command starts quickly
    if name == "load_result":
        from aspire_models.reports.model import load_result

        return load_result
    raise AttributeError(f"module 'aspire_models.reports' has no attribute {name!r}")


FORMATS = {".html": "html", ".htm": "html", ".md": "md", ".markdown": "md", ".xlsx": "xlsx"}


def render_html(
    result: ResultLike | Sequence[ResultLike],
    registry: Registry | None = None,
    *,
    title: str | None = None,
    organisation: str | None = None,
    progress: Progress | None = None,
    subject: str | None = None,
) -> str:
    """One self-contained HTML page for a result (or several, one section each).

    :param organisation: with a benchmark output, mark this organisation (default: the
        scorer's ``organisation`` parameter, else each organisation, up to 12).
    :param progress: advanced once per chart.
    :param subject: a 360 review: this subject only (a report to hand to the person reviewed).
    """
    from aspire_models.reports.charts import require_matplotlib
    from aspire_models.reports.document import build_report, expected_charts
    from aspire_models.reports.html import write_html

    require_matplotlib()
    from aspire_models.reports.model import as_list, report_data

    data = [report_data(r, registry) for r in as_list(result)]
    if progress is not None:
        progress.add(expected_charts(data, organisation))
    return write_html(build_report(data, title=title, organisation=organisation, progress=progress, subject=subject))


def render_markdown(
    result: ResultLike | Sequence[ResultLike],
    registry: Registry | None = None,
    *,
    title: str | None = None,
    organisation: str | None = None,
    subject: str | None = None,
) -> str:
    """The report as Markdown text: the same sections and tables as the HTML, with a note that
    the charts are not in the text (:func:`write_report` writes them as SVG files beside a
    Markdown file)."""
    from aspire_models.reports.document import build_report
    from aspire_models.reports.markdown import write_markdown
    from aspire_models.reports.model import as_list, report_data

    data = [report_data(r, registry) for r in as_list(result)]
    report = build_report(data, title=title, organisation=organisation, charts=False, subject=subject)
    return write_markdown(report, note=MD_NO_CHARTS)


MD_NO_CHARTS = (
    "Charts are not part of this text: written to a file (aspire report -o report.md), the report "
    "has them as SVG files beside it; the HTML report has them inline."
)


def _write_markdown_with_charts(
    data: list[Any],
    path: Path,
    *,
    title: str | None,
    organisation: str | None,
    subject: str | None,
    progress: Progress | None,
) -> None:
    """The Markdown report at ``path`` with its charts as SVG files in ``<stem>-charts/`` beside
    it; without matplotlib, the text says the charts are left out and why."""
    from aspire_models.reports.document import build_report, expected_charts
    from aspire_models.reports.markdown import svg_file, write_markdown
    from aspire_models.safeio import atomic_write

    try:
        import matplotlib  # noqa: F401
    except ImportError:
        report = build_report(data, title=title, organisation=organisation, charts=False, subject=subject)
        note = "Charts are left out: drawing them needs matplotlib (pip install 'aspire-models[reports]')."
        atomic_write(path, write_markdown(report, note=note), what="report")
        return
    if progress is not None:
        progress.add(expected_charts(data, organisation))
    report = build_report(data, title=title, organisation=organisation, progress=progress, subject=subject)
    folder = path.with_name(f"{path.stem}-charts")
    links: dict[str, str] = {}
    charts = report.charts()
    if charts:
        folder.mkdir(exist_ok=True)
    for c in charts:
        atomic_write(folder / f"{c.id}.svg", svg_file(c.svg), what="report chart")
        links[c.id] = f"{folder.name}/{c.id}.svg"
    atomic_write(path, write_markdown(report, links), what="report")


def write_excel(result: ResultLike | Sequence[ResultLike], path: str | Path, registry: Registry | None = None) -> Path:
    """An Excel workbook: an ``About`` sheet, then one sheet per result table."""
    from aspire_models.reports.excel import write_workbook
    from aspire_models.reports.model import as_list, report_data

    data = [report_data(r, registry) for r in as_list(result)]
    write_workbook(data, path)
    return Path(path)


def write_report(
    result: ResultLike | Sequence[ResultLike],
    path: str | Path,
    registry: Registry | None = None,
    *,
    format: str | None = None,
    title: str | None = None,
    organisation: str | None = None,
    progress: Progress | None = None,
    subject: str | None = None,
) -> Path:
    """Write a report; the format is ``format`` (``html``, ``md``, ``xlsx``) or comes from
    the file's extension. A Markdown report's charts are SVG files in a folder beside it
    (``report.md``, ``report-charts/r1-c1.svg``...). ``subject``: a 360 review shows that
    subject only."""
    p = Path(path)
    fmt = format or FORMATS.get(p.suffix.lower())
    if fmt not in ("html", "md", "xlsx"):
        raise UnknownIdError("report format", fmt or p.suffix or "(none)", ["html", "md", "xlsx"])
    if fmt == "xlsx":
        return write_excel(result, p, registry)
    if fmt == "md":
        from aspire_models.reports.model import as_list, report_data

        data = [report_data(r, registry) for r in as_list(result)]
        _write_markdown_with_charts(data, p, title=title, organisation=organisation, subject=subject, progress=progress)
        return p
    text = render_html(result, registry, title=title, organisation=organisation, progress=progress, subject=subject)
    from aspire_models.safeio import atomic_write

    atomic_write(p, text, what="report")  # whole or not at all
    return p


def demo_results(registry: Registry | None = None) -> list[Result]:
    """The three bundled examples scored as ``aspire demo`` scores them, with benchmarking
    added to the Aspire self-assessment: the results of the demo report."""
    from aspire_models.engine import score
    from aspire_models.examples import example_path
    from aspire_models.instrument import ScoringRule
    from aspire_models.registry import Registry

    reg = registry or Registry(entry_points=False)
    aspire_ins = reg.instrument("aspire-sop-self-assessment")
    return [
        score(
            reg,
            aspire_ins,
            example_path("aspire-sop-responses.csv"),
            scorers=[*aspire_ins.scoring, ScoringRule("benchmark", {"min_answered": 1})],
        ),
        score(reg, "hrbp360-review", example_path("hrbp360-responses.csv")),
        # the diffusion scorer's defaults, as `aspire diffusion` and `aspire demo diffusion` use them
        score(reg, "innovation-adoption-survey", example_path("innovation-adoption.csv")),
    ]
