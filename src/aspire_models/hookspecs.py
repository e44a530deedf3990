"""The hook specifications: the only way frameworks, instruments and scorers get into a
:class:`~aspire_models.registry.Registry`. The built-ins use them too
(:mod:`aspire_models.builtins`).

A plugin is any module or object with functions marked ``@hookimpl``. Third-party plugins
are found through the entry-point group ``aspire_models``::

    # pyproject.toml of your distribution
    [project.entry-points.aspire_models]
    my_council = "my_council_plugin"

Every contribution is validated before use; a bad one is reported with the plugin's name
and left out (or raises, in strict mode). Hooks take no arguments and must not depend on
each other's order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from aspire_models.formats.base import Reader
    from aspire_models.framework import Framework
    from aspire_models.instrument import Instrument
    from aspire_models.reports.plugins import ReportChart
    from aspire_models.scoring import Scorer

__all__ = ["PROJECT", "hookimpl", "hookspec"]

#: The pluggy project name, also the entry-point group.
PROJECT = "aspire_models"

hookspec = pluggy.HookspecMarker(PROJECT)
#: Mark your plugin's functions with this.
hookimpl = pluggy.HookimplMarker(PROJECT)

#: What a document-contributing hook may return items of: a parsed JSON document, a path
#: (or package resource) to a JSON file, or an already-built model object.
DocumentLike = Mapping[str, Any] | Path | Traversable


@hookspec
def aspire_frameworks() -> Sequence[DocumentLike | Framework]:
    """Contribute frameworks.

    Return a list of framework documents (dicts following ``framework.schema.json``), paths
    to such JSON files, or :class:`~aspire_models.framework.Framework` objects.

    Example::

        from importlib.resources import files
        from aspire_models import hookimpl

        @hookimpl
        def aspire_frameworks():
            return [files(__package__) / "frameworks" / "our-values.json"]
    """
    raise NotImplementedError


@hookspec
def aspire_instruments() -> Sequence[DocumentLike | Instrument]:
    """Contribute instruments (questionnaires).

    Return instrument documents (``instrument.schema.json``), paths to them, or
    :class:`~aspire_models.instrument.Instrument` objects. Each is checked against the
    framework it names, which may come from any plugin.

    Example::

        @hookimpl
        def aspire_instruments():
            return [files(__package__) / "instruments" / "values-pulse.json"]
    """
    raise NotImplementedError


@hookspec
def aspire_scorers() -> Sequence[Scorer]:
    """Contribute scorers: objects following the :class:`~aspire_models.scoring.Scorer`
    protocol (an ``id``, a ``title``, a JSON Schema for ``params`` and a ``score`` method).

    Example::

        @hookimpl
        def aspire_scorers():
            return [TopBoxScorer()]
    """
    raise NotImplementedError


@hookspec
def aspire_norms() -> Sequence[DocumentLike]:
    """Contribute stored norm tables (``norms.schema.json``) for benchmarking.

    Example::

        @hookimpl
        def aspire_norms():
            return [files(__package__) / "norms" / "county-councils-2025.json"]
    """
    raise NotImplementedError


@hookspec
def aspire_readers() -> Sequence[Reader]:
    """Contribute readers of source formats: your HR system's export, a survey platform.

    Return objects following the :class:`~aspire_models.formats.base.Reader` protocol: an
    ``id`` (what ``--format`` takes), a ``title``, ``sniff(head, filename, rows)`` giving
    how sure (0 to 1) the reader is that a file is its format, and ``read(source)`` giving an
    Arrow table of text cells and a :class:`~aspire_models.formats.base.Provenance`. The
    reader most sure of a file reads it; the built-in formats (Qualtrics, SurveyMonkey,
    Google Forms, Microsoft Forms, LimeSurvey, delimited text, workbooks) are contributed
    through this hook too.

    Example::

        from aspire_models.formats.base import SourceColumn
        from aspire_models.formats.layout import make_table

        class PeopleSystemReader:
            id = "people-system"
            title = "Our people system's survey export"

            def sniff(self, head, filename, rows):
                return 0.9 if head.startswith(b"PEOPLE-SYSTEM EXPORT") else 0.0

            def read(self, source):
                grid = source.grid()  # decoded text or workbook cells, row by row
                columns = [SourceColumn(h, h) for h in grid.rows[1]]
                return make_table(source, grid, fmt=self.id, columns=columns,
                                  first_data_row=2, header_rows=2)

        @hookimpl
        def aspire_readers():
            return [PeopleSystemReader()]
    """
    raise NotImplementedError


@hookspec
def aspire_report_charts() -> Sequence[ReportChart]:
    """Contribute charts to reports (HTML): objects following the
    :class:`~aspire_models.reports.plugins.ReportChart` protocol, each drawing the output of
    one scorer (``scorer``, its id) under a caption (``title``). Its ``draw(figure, output,
    labels)`` draws on an empty matplotlib :class:`~matplotlib.figure.Figure` (the report's
    style already applied) from the scorer's output as the report sees it
    (:class:`~aspire_models.reports.model.OutputView`: ``rows(table)``, ``summary``,
    ``params``; respondent-level tables are never included; rows the engine withheld have
    missing figures) and returns the chart's alternative text, which states what the chart
    shows, or ``None`` to leave the chart out (no data). The chart appears in the scorer's
    section, under its title and summary; a chart that raises is left out with a note.

    Example::

        class FavourableChart:
            scorer = "my-council-favourable"
            title = "Favourable answers by item"

            def draw(self, figure, output, labels):
                rows = [r for r in output.rows("favourable") if r["favourable"] is not None]
                if not rows:
                    return None
                ax = figure.add_subplot()
                ax.barh([r["item"] for r in rows], [r["favourable"] for r in rows])
                ax.set_xlabel("% favourable")
                return "Favourable answers by item: " + "; ".join(
                    f"{r['item']} {r['favourable']:.0f}%" for r in rows
                )

        @hookimpl
        def aspire_report_charts():
            return [FavourableChart()]
    """
    raise NotImplementedError
