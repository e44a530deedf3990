"""LimeSurvey response exports (CSV, or the Excel export).

Headings are question codes (``id``, ``submitdate``, ``DT[SQ001]``...), full question text
(``Response ID``, ``Date submitted``..., with HTML entities and non-breaking spaces left
in), or code and text (``DT[SQ001]. The HR business partner: ... [Makes decisions]``).
Answers are full answer text or answer codes (``A1``...; ``-oth-`` when the respondent
chose "Other", its text in the ``[other]`` column; ``Y`` for a ticked multiple-choice
option).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import pyarrow as pa

from aspire_models.formats.base import Provenance, Source, SourceColumn
from aspire_models.formats.layout import clean, first_cells, make_table, unique_names

__all__ = ["LimeSurveyReader"]

_CODE_TEXT = re.compile(r"^(?P<code>[A-Za-z][A-Za-z0-9_]*(?:\[[A-Za-z0-9_]+\])*)\.\s+(?P<text>.+)$", re.S)
_SUB = re.compile(r"^(?P<text>.*\S)\s*\[(?P<sub>[^\[\]]+)\]$", re.S)
_CODES = {"id", "submitdate", "lastpage", "startlanguage", "seed", "startdate", "datestamp", "ipaddr", "refurl"}
_TEXTS = {
    "Response ID": "respondent_id",
    "Date submitted": "platform",
    "Last page": "platform",
    "Start language": "platform",
    "Seed": "platform",
    "Date started": "platform",
    "Date last action": "platform",
    "IP address": "platform",
    "Referrer URL": "platform",
}


class LimeSurveyReader:
    id = "limesurvey"
    title = "LimeSurvey export (question codes and/or text headings; answer codes such as A1, -oth-)"

    def sniff(self, head: bytes, filename: str, rows: Sequence[Sequence[str | None]] | None) -> float:
        first = [c.split(". ", 1)[0] for c in first_cells(rows, 0)]
        if first[:3] == ["id", "submitdate", "lastpage"] or first[:3] == ["Response ID", "Date submitted", "Last page"]:
            return 0.95
        if first[:1] in (["id"], ["Response ID"]) and ("startlanguage" in first or "Start language" in first):
            return 0.8
        return 0.0

    def read(self, source: Source) -> tuple[pa.Table, Provenance]:
        grid = source.grid()
        raw = list(grid.rows[0])
        names, notes = unique_names([clean(c) for c in raw])
        columns = []
        for name, cell in zip(names, raw, strict=True):
            header = clean(cell) or name
            code: str | None = None
            text: str | None = header
            m = _CODE_TEXT.match(header)
            if m:
                code, text = m.group("code"), clean(m.group("text"))
            elif re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*(\[[A-Za-z0-9_]+\])*", header):
                code, text = header, None
            sub = None
            if text:
                s = _SUB.match(text)
                if s:
                    text, sub = s.group("text"), s.group("sub")
            key = (code or header).split("[")[0]
            hint = None
            if key == "id" or header == "Response ID" or text == "Response ID":
                hint = "respondent_id"
            elif key in _CODES or _TEXTS.get(text or "") == "platform" or _TEXTS.get(header) == "platform":
                hint = "platform"
            columns.append(SourceColumn(name, header, text, sub, code, hint))
        return make_table(
            source, grid, fmt="limesurvey", columns=columns, first_data_row=1, header_rows=1, warnings=notes
        )
