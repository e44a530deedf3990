"""The reader layer's shared types: a :class:`Source` (the bytes of one export and how to
read them), the :class:`Reader` protocol every format plugin follows, and the
:class:`Provenance` each reader reports.

A reader turns a source into an Arrow table of text cells (``null`` = blank), one column per
source column, and says what it found: the format, the encoding used, how many header rows,
each column's header, question text and platform id, and any warnings. Mapping that table
onto an instrument is a separate step (:mod:`aspire_models.formats.mapping`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol, runtime_checkable

import attrs
import pyarrow as pa

from aspire_models.errors import Problem

__all__ = ["Grid", "Provenance", "ReadOptions", "Reader", "Source", "SourceColumn"]

#: bytes of a file a reader is shown to recognise it
HEAD_BYTES = 64 * 1024
#: rows of a file a reader is shown to recognise it
HEAD_ROWS = 6


@attrs.frozen
class ReadOptions:
    """What a user may say about how to read a file (each ``None``: found out)."""

    #: text encoding (``--encoding``); by default UTF-8, a byte-order mark, or detected
    encoding: str | None = None
    #: workbook sheet, by name or 0-based position (default: the first sheet)
    sheet: str | int | None = None
    #: 1-based row of the (first) header row in a workbook or text file (default: found)
    header_row: int | None = None
    #: field separator of a text file (default: ``\t`` for ``.tsv``, else sniffed among ``,;\t``)
    delimiter: str | None = None


@attrs.frozen
class Grid:
    """A file's cells as text, row by row (``None`` = blank), before any header is known."""

    rows: tuple[tuple[str | None, ...], ...]
    #: the encoding the text was read in (None for a workbook)
    encoding: str | None
    #: the sheet read (None for a text file)
    sheet: str | None
    #: "text" or "workbook"; "gz" / "zip" in front when it was compressed
    container: str
    warnings: tuple[str, ...] = ()
    #: 0-based rows whose number of fields differs from the header's: (row, fields found)
    ragged: tuple[tuple[int, int], ...] = ()


@attrs.frozen
class SourceColumn:
    """One column of an export, as the platform wrote it.

    ``name`` is unique within the reader's table; ``header`` is the first header row as
    written; ``text`` the question as the respondent saw it (HTML entities and
    non-breaking spaces resolved) and ``sub`` the sub-question, option or row label the
    platform gives separately (SurveyMonkey's second header row, Google Forms' ``[row]``);
    ``platform_id`` an identifier the platform keeps stable between waves (Qualtrics
    ``ImportId``, LimeSurvey question code); ``hint`` what the platform says the column is:
    a meta column (``respondent_id``...) or ``"platform"`` for the platform's own
    housekeeping (start time, IP address...).
    """

    name: str
    header: str
    text: str | None = None
    sub: str | None = None
    platform_id: str | None = None
    hint: str | None = None

    @property
    def question(self) -> str:
        """The fullest description of the column: text and sub-label, or the header."""
        base = self.text or self.header
        return f"{base} [{self.sub}]" if self.sub else base


@attrs.frozen
class Provenance:
    """What a reader found: format, encoding, header rows, columns and warnings."""

    format: str
    source: str
    encoding: str | None
    header_rows: int
    columns: tuple[SourceColumn, ...]
    sheet: str | None = None
    container: str = "text"
    warnings: tuple[str, ...] = ()
    #: problems of single data rows found while reading (0-based row -> problems); such
    #: rows are rejected, never dropped
    row_problems: Mapping[int, tuple[Problem, ...]] = attrs.field(factory=dict)

    def describe(self) -> str:
        parts = [f"format {self.format}"]
        if self.encoding:
            parts.append(f"encoding {self.encoding}")
        if self.sheet is not None:
            parts.append(f"sheet {self.sheet!r}")
        parts.append(f"{self.header_rows} header row(s)")
        return ", ".join(parts)


class Source:
    """One export to read: its bytes, file name and the user's options. The decoded grid
    of cells is made once, on first use, and shared by every reader that looks at it."""

    def __init__(self, data: bytes, filename: str, options: ReadOptions | None = None) -> None:
        self.data = data
        self.filename = filename
        self.options = options or ReadOptions()
        self._grid: list[Grid] = []
        self._error: list[Exception] = []

    @property
    def head(self) -> bytes:
        return self.data[:HEAD_BYTES]

    def grid(self) -> Grid:
        """All cells as text (decoded, decompressed; a workbook's sheet read)."""
        if self._error:
            raise self._error[0]
        if not self._grid:
            from aspire_models.formats.grid import read_grid

            try:
                self._grid.append(read_grid(self.data, self.filename, self.options))
            except Exception as exc:
                self._error.append(exc)
                raise
        return self._grid[0]

    def peek(self) -> Sequence[Sequence[str | None]] | None:
        """The first rows of the grid, or None when the file cannot be read as cells."""
        try:
            return self.grid().rows[:HEAD_ROWS]
        except Exception:
            return None


@runtime_checkable
class Reader(Protocol):
    """A source format: recognises its files and reads them into an Arrow table.

    Contribute one through the ``aspire_readers`` hook
    (:func:`aspire_models.hookspecs.aspire_readers`).
    """

    #: short id, used by ``--format`` and in reports (``qualtrics``, ``csv``...)
    id: str
    #: one line for people
    title: str

    def sniff(self, head: bytes, filename: str, rows: Sequence[Sequence[str | None]] | None) -> float:
        """How sure (0 to 1) the reader is that a file is its format, from its first bytes,
        its name, and its first rows as text (None when it cannot be read as cells)."""
        ...

    def read(self, source: Source) -> tuple[pa.Table, Provenance]:
        """The file's data rows as an Arrow table of text columns (named as in
        :attr:`Provenance.columns`), and what was found."""
        ...
