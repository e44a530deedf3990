"""The reader layer's shared types: a :class:`Source` (the bytes of one export and how to
read them), the :class:`Reader` protocol every format plugin follows, and the
:class:`Provenance` each reader reports.

A reader turns a source into an Arrow table of text cells (``null`` = blank), one column per
source column, and says what it found: the format, the encoding used, how many header rows,
each column's header, question text and platform id, and any warnings. Mapping that table
onto an instrument is a separate step (:mod:`aspire_models.formats.mapping`).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Protocol, overload, runtime_checkable

import attrs
import pyarrow as pa

from aspire_models.errors import Problem

__all__ = ["ColumnRows", "Grid", "Provenance", "ReadOptions", "Reader", "Source", "SourceColumn"]

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


class ColumnRows(Sequence[tuple[str | None, ...]]):
    """The rows of a grid held column by column (Arrow text arrays of one length, null =
    blank): a row is made into a tuple of Python strings only when it is asked for, so a
    large workbook's cells are never all turned into Python objects (readers look at its
    first rows; :func:`~aspire_models.formats.layout.make_table` takes the columns as
    they are). Equal to a tuple of the same rows."""

    #: rows made into tuples at a time when iterating
    _BLOCK = 4096

    def __init__(self, columns: Sequence[pa.Array], length: int) -> None:
        if any(len(c) != length for c in columns):
            raise ValueError("every column of a grid must hold one cell per row")
        self._columns = tuple(columns)
        self._length = length

    def __len__(self) -> int:
        return self._length

    @overload
    def __getitem__(self, index: int) -> tuple[str | None, ...]: ...

    @overload
    def __getitem__(self, index: slice) -> tuple[tuple[str | None, ...], ...]: ...

    def __getitem__(self, index: int | slice) -> Any:
        if isinstance(index, slice):
            start, stop, step = index.indices(self._length)
            if step != 1:
                return tuple(self._block(k, k + 1)[0] for k in range(start, stop, step))
            return self._block(start, stop)
        k = operator.index(index)
        if k < 0:
            k += self._length
        if not 0 <= k < self._length:
            raise IndexError("grid row out of range")
        return self._block(k, k + 1)[0]

    def _block(self, start: int, stop: int) -> tuple[tuple[str | None, ...], ...]:
        if stop <= start:
            return ()
        if not self._columns:
            return tuple(() for _ in range(start, stop))
        cells = [c.slice(start, stop - start).to_pylist() for c in self._columns]
        return tuple(zip(*cells, strict=True))

    def __iter__(self) -> Iterator[tuple[str | None, ...]]:
        for start in range(0, self._length, self._BLOCK):
            yield from self._block(start, min(start + self._BLOCK, self._length))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ColumnRows | tuple | list):
            return len(self) == len(other) and all(a == tuple(b) for a, b in zip(self, other, strict=True))
        return NotImplemented

    def __hash__(self) -> int:
        return hash(tuple(self))

    def __repr__(self) -> str:
        return f"ColumnRows({len(self._columns)} columns x {self._length} rows)"


@attrs.frozen
class Grid:
    """A file's cells as text, row by row (``None`` = blank), before any header is known."""

    #: a tuple of row tuples, or for a workbook the same rows read from :attr:`columns`
    rows: Sequence[tuple[str | None, ...]]
    #: the encoding the text was read in (None for a workbook)
    encoding: str | None
    #: the sheet read (None for a text file)
    sheet: str | None
    #: "text" or "workbook"; "gz" / "zip" in front when it was compressed
    container: str
    warnings: tuple[str, ...] = ()
    #: 0-based rows whose number of fields differs from the header's: (row, fields found)
    ragged: tuple[tuple[int, int], ...] = ()
    #: the same cells column by column (Arrow text, null = blank; every row as wide as the
    #: widest), when the file was read that way (a workbook without merged cells); None otherwise
    columns: tuple[pa.Array, ...] | None = None


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

    def __init__(
        self,
        data: bytes,
        filename: str,
        options: ReadOptions | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> None:
        self.data = data
        self.filename = filename
        self.options = options or ReadOptions()
        #: told (bytes, bytes in all) while the grid is read (a large workbook's sheet)
        self.progress = progress
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
                self._grid.append(read_grid(self.data, self.filename, self.options, self.progress))
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
