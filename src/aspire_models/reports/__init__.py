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
) -> str:
    """One self-contained HTML page for a result (or several, one section each).

    :param organisation: with a benchmark output, mark this organisation (default: the
        scorer's ``organisation`` parameter, else each organisation, up to 12).
    :param progress: advanced once per chart.
    """
    from aspire_models.reports.charts import require_matplotlib
    from aspire_models.reports.document import build_report, expected_charts
    from aspire_models.reports.html import write_html

    require_matplotlib()
    from aspire_models.reports.model import as_list, report_data

    data = [report_data(r, registry) for r in as_list(result)]
    if progress is not None:
        progress.add(expected_charts(data, organisation))
    return write_html(build_report(data, title=title, organisation=organisation, progress=progress))


def render_markdown(
    result: ResultLike | Sequence[ResultLike],
    registry: Registry | None = None,
    *,
    title: str | None = None,
    organisation: str | None = None,
) -> str:
    """The report as Markdown: the same sections and tables as the HTML, without charts."""
    from aspire_models.reports.document import build_report
    from aspire_models.reports.markdown import write_markdown
    from aspire_models.reports.model import as_list, report_data

    data = [report_data(r, registry) for r in as_list(result)]
    return write_markdown(build_report(data, title=title, organisation=organisation, charts=False))


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
) -> Path:
    """Write a report; the format is ``format`` (``html``, ``md``, ``xlsx``) or comes from
    the file's extension."""
    p = Path(path)
    fmt = format or FORMATS.get(p.suffix.lower())
    if fmt not in ("html", "md", "xlsx"):
        raise UnknownIdError("report format", fmt or p.suffix or "(none)", ["html", "md", "xlsx"])
    if fmt == "xlsx":
        return write_excel(result, p, registry)
    if fmt == "md":
        text = render_markdown(result, registry, title=title, organisation=organisation)
    else:
        text = render_html(result, registry, title=title, organisation=organisation, progress=progress)
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
