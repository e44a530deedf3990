"""Qualtrics CSV/TSV exports.

Current layout: three header rows: column names (``ResponseId``, ``Q1_1``...), the question
text (a matrix statement after `` - ``), and ``{"ImportId":"QID1_1"}``, whose id stays the
same when questions are renamed. Legacy layout: a first row ``V1, V2...`` (then ``Q1``...;
names may repeat) and the question text in the second row. Answers are the choice text or
the recode values, as chosen when exporting; multiple-answer questions are one column per
choice (``1`` when chosen) in legacy exports, or one column of choices joined by ``,``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import pyarrow as pa

from aspire_models.formats.base import Provenance, Source, SourceColumn
from aspire_models.formats.layout import clean, first_cells, make_table, unique_names

__all__ = ["QualtricsReader"]

_PLATFORM = {
    "StartDate",
    "EndDate",
    "Status",
    "IPAddress",
    "Progress",
    "Duration (in seconds)",
    "Finished",
    "RecordedDate",
    "RecipientLastName",
    "RecipientFirstName",
    "RecipientEmail",
    "ExternalReference",
    "ExternalDataReference",
    "LocationLatitude",
    "LocationLongitude",
    "LocationAccuracy",
    "DistributionChannel",
    "UserLanguage",
    "ResponseSet",
    "Name",
    "EmailAddress",
}


class QualtricsReader:
    id = "qualtrics"
    title = "Qualtrics export (three header rows with ImportId, or legacy V1... headers)"

    def sniff(self, head: bytes, filename: str, rows: Sequence[Sequence[str | None]] | None) -> float:
        third = first_cells(rows, 2)
        if third and third[0].startswith('{"ImportId"'):
            return 0.95
        first, second = first_cells(rows, 0), first_cells(rows, 1)
        if first[:2] == ["V1", "V2"] and second[:1] == ["ResponseID"]:
            return 0.95
        if "ResponseId" in first and "StartDate" in first:
            return 0.6
        return 0.0

    def read(self, source: Source) -> tuple[pa.Table, Provenance]:
        grid = source.grid()
        rows = grid.rows
        first = [clean(c) for c in rows[0]]
        legacy = first[:1] == ["V1"]
        notes: list[str] = []
        if legacy:
            ids = [clean(c) for c in rows[1]]  # legacy: row 2 is the text; row 1 the V/Q names
            headers: list[str | None] = first
            texts = ids
            import_ids: list[str | None] = [None] * len(first)
            header_rows = 2
            # legacy files repeat names: the first ten are V1..V10 with their meaning in row 2
        else:
            headers = first
            texts = [clean(c) for c in rows[1]] if len(rows) > 1 else [None] * len(first)
            import_ids = []
            header_rows = 2
            if len(rows) > 2 and (rows[2][0] or "").startswith("{"):
                header_rows = 3
                for cell in rows[2]:
                    try:
                        doc = json.loads(cell or "{}")
                    except json.JSONDecodeError:
                        doc = {}
                    import_ids.append(str(doc["ImportId"]) if isinstance(doc, dict) and "ImportId" in doc else None)
            import_ids += [None] * (len(first) - len(import_ids))
        names, dup = unique_names(headers)
        notes += dup
        columns = []
        for i, name in enumerate(names):
            text = texts[i] if i < len(texts) else None
            header = headers[i] or name
            meta_name = text if legacy else header
            hint = None
            if meta_name in ("ResponseId", "ResponseID"):
                hint = "respondent_id"
            elif meta_name in _PLATFORM:
                hint = "platform"
            columns.append(SourceColumn(name, header, text, None, import_ids[i], hint))
        return make_table(
            source,
            grid,
            fmt="qualtrics-legacy" if legacy else "qualtrics",
            columns=columns,
            first_data_row=header_rows,
            header_rows=header_rows,
            warnings=notes,
        )
