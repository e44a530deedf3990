"""Microsoft Forms workbooks ("Open results in Excel").

One header row: ``ID``, ``Start time``, ``Completion time``, ``Email``, ``Name`` (and
``Last modified time`` in newer exports), then the question text. Quizzes add ``Total
points`` and ``Quiz feedback`` and, after each question, ``Points - <question>`` and
``Feedback - <question>``. Multiple-answer questions are the chosen labels each followed by
``;`` (``Option A;Option B;``). Times are Excel dates (read as ISO dates).
"""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa

from aspire_models.formats.base import Provenance, Source, SourceColumn
from aspire_models.formats.layout import clean, find_header_row, first_cells, make_table, unique_names

__all__ = ["MicrosoftFormsReader"]

_PLATFORM = {"Start time", "Completion time", "Email", "Name", "Last modified time", "Total points", "Quiz feedback"}


class MicrosoftFormsReader:
    id = "msforms"
    title = "Microsoft Forms workbook (ID, Start time, Completion time, Email, Name; quiz columns)"

    def sniff(self, head: bytes, filename: str, rows: Sequence[Sequence[str | None]] | None) -> float:
        for r in range(min(3, len(rows or ()))):
            first = first_cells(rows, r)
            if first[:3] == ["ID", "Start time", "Completion time"]:
                return 0.95
        return 0.0

    def read(self, source: Source) -> tuple[pa.Table, Provenance]:
        grid = source.grid()
        at = find_header_row(grid.rows, source.options.header_row, source.filename)
        top = [clean(c) for c in grid.rows[at]]
        names, notes = unique_names(top)
        columns = []
        for name, header in zip(names, top, strict=True):
            h = header or ""
            hint = None
            if h == "ID":
                hint = "respondent_id"
            elif h in _PLATFORM or h.startswith(("Points - ", "Feedback - ")):
                hint = "platform"
            columns.append(SourceColumn(name, h or name, header, None, None, hint))
        return make_table(
            source, grid, fmt="msforms", columns=columns, first_data_row=at + 1, header_rows=1, warnings=notes
        )
