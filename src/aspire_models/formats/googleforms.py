"""Google Forms responses (the linked Google Sheet, or its CSV download).

One header row: ``Timestamp``, ``Email Address`` when the form collects addresses,
``Score`` for quizzes, then the question text. Grid questions have one column per row,
headed ``Question [Row]``. Checkbox answers are the chosen options' labels joined by
``", "``, even when a label itself holds a comma: they are resolved against the known
labels (see the mapping document), never split blindly.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import pyarrow as pa

from aspire_models.formats.base import Provenance, Source, SourceColumn
from aspire_models.formats.layout import clean, first_cells, make_table, unique_names

__all__ = ["GoogleFormsReader"]

_GRID = re.compile(r"^(?P<text>.*\S)\s*\[(?P<sub>[^\[\]]+)\]$", re.S)


class GoogleFormsReader:
    id = "googleforms"
    title = "Google Forms responses (Timestamp, question-text headers, 'Question [Row]' grids)"

    def sniff(self, head: bytes, filename: str, rows: Sequence[Sequence[str | None]] | None) -> float:
        first = first_cells(rows, 0)
        if first[:1] in (["Timestamp"], ["Horodateur"], ["Marca temporal"], ["Zeitstempel"]):
            return 0.85 if any(c.lower() == "email address" for c in first) or len(first) > 2 else 0.6
        return 0.0

    def read(self, source: Source) -> tuple[pa.Table, Provenance]:
        grid = source.grid()
        top = [clean(c) for c in grid.rows[0]]
        names, notes = unique_names(top)
        columns = []
        for name, header in zip(names, top, strict=True):
            text, sub = header, None
            m = _GRID.match(header or "")
            if m:
                text, sub = m.group("text"), m.group("sub")
            hint = None
            if header in ("Timestamp", "Score"):
                hint = "platform"
            elif (header or "").lower() == "email address":
                hint = "respondent_id"
            columns.append(SourceColumn(name, header or name, text, sub, None, hint))
        return make_table(
            source, grid, fmt="googleforms", columns=columns, first_data_row=1, header_rows=1, warnings=notes
        )
