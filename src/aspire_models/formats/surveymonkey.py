"""SurveyMonkey CSV exports ("All individual responses", expanded).

Two header rows: the question text (written once over all of a question's columns, the
other cells of that first row left blank), then ``Response``, ``Open-Ended Response``, or
one option per column for a multiple-choice question (the cell holds the option's text
when it was chosen), ``Other (please specify)`` for the typed-in other answer. Older
exports are Windows-1252 text with CR-only line endings; both are handled by the text
layer. Respondent and collector columns come first.
"""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa

from aspire_models.formats.base import Provenance, Source, SourceColumn
from aspire_models.formats.layout import clean, first_cells, make_table, unique_names

__all__ = ["SurveyMonkeyReader"]

_PLATFORM = {
    "Collector ID",
    "Start Date",
    "End Date",
    "IP Address",
    "Email Address",
    "First Name",
    "Last Name",
    "Custom Data 1",
    "Custom Data",
}
_PLAIN = {"Response", "Open-Ended Response"}


class SurveyMonkeyReader:
    id = "surveymonkey"
    title = "SurveyMonkey export (two header rows; one column per option)"

    def sniff(self, head: bytes, filename: str, rows: Sequence[Sequence[str | None]] | None) -> float:
        first = first_cells(rows, 0)
        if first[:1] == ["Respondent ID"] and "Collector ID" in first:
            return 0.95
        second = first_cells(rows, 1)
        if "Respondent ID" in first and "Response" in second:
            return 0.7
        return 0.0

    def read(self, source: Source) -> tuple[pa.Table, Provenance]:
        grid = source.grid()
        rows = grid.rows
        top = [clean(c) for c in rows[0]]
        second = [clean(c) for c in rows[1]] if len(rows) > 1 else []
        second += [None] * (len(top) - len(second))
        texts: list[str | None] = []
        current: str | None = None
        for cell in top:
            if cell is not None:
                current = cell
            texts.append(current)
        headers = [f"{t} [{s}]" if s and s not in _PLAIN else t for t, s in zip(texts, second, strict=False)]
        names, notes = unique_names(headers)
        columns = []
        for i, name in enumerate(names):
            text, sub = texts[i], second[i]
            hint = None
            if top[i] == "Respondent ID":
                hint = "respondent_id"
            elif top[i] in _PLATFORM or (top[i] is None and texts[i] in _PLATFORM):
                hint = "platform"
            columns.append(SourceColumn(name, top[i] or "", text, None if sub in _PLAIN else sub, None, hint))
        return make_table(
            source, grid, fmt="surveymonkey", columns=columns, first_data_row=2, header_rows=2, warnings=notes
        )
