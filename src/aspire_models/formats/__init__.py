"""The reader layer: survey exports and workbooks as HR teams have them.

The path data takes, module by module (the folder tree shows it):

1. **The file's bytes**, read once and bounded (:mod:`aspire_models.safeio`).
2. **A reader per source format**, each giving an Arrow table plus where it came from:

   * :mod:`~aspire_models.formats.csv`: a plain CSV file whose header row holds the
     instrument's column ids (the fast path: :func:`fast_path`). Split with numpy
     (:mod:`~aspire_models.formats._csvsplit`) or Arrow's CSV reader; answers are encoded
     straight from the bytes, so this reader goes to step 4 itself.
   * :mod:`~aspire_models.formats.records`: JSON records (one mapping per respondent).
   * :mod:`~aspire_models.formats.arrow`: pandas DataFrames and Arrow tables in memory.
   * survey exports and workbooks, opened as a :class:`~aspire_models.formats.base.Source`
     and read by the reader that recognises them best, one module per platform
     (:mod:`~aspire_models.formats.qualtrics`, :mod:`~aspire_models.formats.surveymonkey`,
     :mod:`~aspire_models.formats.googleforms`, :mod:`~aspire_models.formats.msforms`,
     :mod:`~aspire_models.formats.limesurvey`, and any other delimited text or workbook:
     :mod:`~aspire_models.formats.table`, with :mod:`~aspire_models.formats.grid` and
     :mod:`~aspire_models.formats.layout`), each giving an Arrow table of text cells and its
     :class:`~aspire_models.formats.base.Provenance`. These are contributed through the
     ``aspire_readers`` hook: the built-in ones are registered by
     :mod:`aspire_models.builtins` like any plugin's, so adding a format means adding one
     module.

3. **The mapping step** (:mod:`~aspire_models.formats.mapping`; drafted by
   :mod:`~aspire_models.formats.draft`, ``aspire map``: :mod:`~aspire_models.formats.cli`):
   source columns renamed to the instrument's column ids and answer labels to numbers; nothing
   to do when the headers already are the column ids. Then into
   :func:`~aspire_models.formats.arrow.read_arrow`.
4. **The answer codec** (:mod:`~aspire_models.formats.codec`): answer cells into the answer
   matrix (one-byte codes on rating scales), cells that break a rule listed as given.
5. **The one validation step** (:mod:`~aspire_models.formats.validate`), with exact
   accounting: every row is accepted or rejected by name with each rule it broke (rows a
   reader or a mapping could not take are rejected there too).
6. **The model**: a :class:`~aspire_models.responses.ResponseSet`
   (:mod:`aspire_models.responses`).
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import attrs

from aspire_models.errors import Problem, ResponseError
from aspire_models.limits import DEFAULT_LIMITS, Limits

if TYPE_CHECKING:  # (base imports pyarrow: loaded when a file is read, not when the CLI starts)
    import pyarrow as pa

    from aspire_models.formats.base import Provenance, Reader, ReadOptions, Source
    from aspire_models.formats.mapping import Mapping as MappingDoc
    from aspire_models.instrument import Instrument
    from aspire_models.responses import ResponseSet

__all__ = [
    "builtin_readers",
    "choose_reader",
    "fast_path",
    "load_export",
    "read_export",
]

#: options only the reader layer understands
LAYER_OPTIONS = ("mapping", "format", "sheet", "header_row", "readers")
_CONTAINER_SUFFIXES = (".xlsx", ".xlsm", ".ods", ".xls", ".xlsb", ".gz", ".zip")


def builtin_readers() -> list[Reader]:
    """The formats shipped with the package (registered through the ``aspire_readers`` hook)."""
    from aspire_models.formats.googleforms import GoogleFormsReader
    from aspire_models.formats.limesurvey import LimeSurveyReader
    from aspire_models.formats.msforms import MicrosoftFormsReader
    from aspire_models.formats.qualtrics import QualtricsReader
    from aspire_models.formats.surveymonkey import SurveyMonkeyReader
    from aspire_models.formats.table import TextTableReader, WorkbookReader

    return [
        QualtricsReader(),
        SurveyMonkeyReader(),
        GoogleFormsReader(),
        MicrosoftFormsReader(),
        LimeSurveyReader(),
        TextTableReader(),
        WorkbookReader(),
    ]


def choose_reader(source: Source, readers: Sequence[Reader], format: str | None = None) -> Reader:
    """The reader named by ``format``, or the one most sure it recognises the file (ties go
    to the reader registered first)."""
    if format is not None:
        for r in readers:
            if r.id == format:
                rows = source.peek()
                if rows is not None and not r.sniff(source.head, source.filename, rows) > 0:
                    first = ", ".join(repr(c) for c in list(rows[0])[:4]) if rows else ""
                    raise ResponseError(
                        [
                            Problem(
                                "format",
                                f"the file does not look like {r.title} (its first cells: {first}); "
                                "leave --input-format out to have it recognised",
                                file=source.filename,
                                value=format,
                            )
                        ]
                    )
                return r
        raise ResponseError(
            [
                Problem(
                    "format",
                    f"unknown format {format!r} (known: {', '.join(r.id for r in readers)})",
                    file=source.filename,
                    value=format,
                )
            ]
        )
    rows = source.peek()
    best: tuple[float, int, Reader] | None = None
    for i, r in enumerate(readers):
        try:
            confidence = float(r.sniff(source.head, source.filename, rows))
        except Exception:  # a plugin's faulty sniff must not stop the others
            continue
        if confidence > 0 and (best is None or confidence > best[0]):
            best = (confidence, i, r)
    if best is None:
        source.grid()  # raises the reason the file cannot be read, if there is one
        raise ResponseError(
            [Problem("format", "no reader recognises this file; name one with --format", file=source.filename)]
        )
    return best[2]


def read_export(
    path: str | Path,
    *,
    readers: Sequence[Reader] | None = None,
    format: str | None = None,
    options: ReadOptions | None = None,
    limits: Limits = DEFAULT_LIMITS,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[pa.Table, Provenance]:
    """Read an export with the reader that recognises it: its table of text cells and what
    was found. ``progress`` is told (bytes, bytes in all) as a large workbook is read."""
    from aspire_models.safeio import read_input_bytes

    data = read_input_bytes(path, limits=limits, what="response file")
    from aspire_models.formats.base import Source

    source = Source(data, str(path), options, progress)
    reader = choose_reader(source, list(readers) if readers is not None else builtin_readers(), format)
    table, prov = reader.read(source)
    limits.check_rows(table.num_rows, str(path))
    return table, prov


def fast_path(path: Path, options: Mapping[str, Any]) -> bool:
    """Whether a file takes the fast CSV path (:func:`aspire_models.formats.csv.read_csv`):
    a plain CSV file, UTF-8 (or in the ``encoding`` given, or UTF-16 with a byte-order
    mark), with LF or CRLF line endings, whose header row names ``respondent_id``, read
    without a mapping. Anything else goes to the reader layer (:func:`load_export`)."""
    if any(options.get(k) is not None for k in ("mapping", "format", "sheet", "header_row")):
        return False
    if path.name.lower().endswith(_CONTAINER_SUFFIXES):
        return False
    if not path.is_file():  # a FIFO, device or directory is never opened here (it could block)
        return True  # the CSV reader refuses it by name (aspire_models.safeio)
    try:
        with path.open("rb") as fh:
            head = fh.read(64 * 1024)
    except OSError:
        return True  # the CSV reader reports it
    from aspire_models.formats.grid import _utf16_32_without_bom

    if head.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff", b"PK\x03\x04", b"\x1f\x8b", b"\xd0\xcf\x11\xe0")):
        return False
    if options.get("encoding") is not None:
        return True
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True  # UTF-16 with a byte-order mark: the CSV reader reads it
    if _utf16_32_without_bom(head[:4096]) is not None:
        return False
    if b"\n" not in head and b"\r" in head:  # CR-only line endings
        return False
    line = head.split(b"\n", 1)[0].removeprefix(b"\xef\xbb\xbf")
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return False  # not UTF-8: detected and reported by the reader layer
    # no respondent_id: a survey platform's export, or a table to map
    return b"respondent_id" in line


def load_export(
    path: str | Path,
    instrument: Instrument,
    *,
    mapping: MappingDoc | str | Path | None = None,
    format: str | None = None,
    encoding: str | None = None,
    sheet: str | int | None = None,
    header_row: int | None = None,
    delimiter: str | None = None,
    readers: Iterable[Reader] | None = None,
    limits: Limits = DEFAULT_LIMITS,
    extra_columns: str = "error",
    allow_missing_items: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> ResponseSet:
    """Read any supported export (see the module docs) and validate it into a ResponseSet.

    :param mapping: a :class:`~aspire_models.formats.mapping.Mapping` or the path of a
        mapping document; needed unless the headers are the instrument's column ids.
    :param format: the reader's id (``qualtrics``, ``surveymonkey``, ``googleforms``,
        ``msforms``, ``limesurvey``, ``csv``, ``workbook`` or a plugin's); default: recognised.
    :param progress: told (bytes, bytes in all) as a large workbook's sheet is read.
    """
    import pyarrow as pa

    from aspire_models.formats.arrow import read_arrow
    from aspire_models.formats.base import ReadOptions
    from aspire_models.formats.mapping import Mapping as MappingModel
    from aspire_models.formats.mapping import apply_mapping, load_mapping

    options = ReadOptions(encoding=encoding, sheet=sheet, header_row=header_row, delimiter=delimiter)
    table, prov = read_export(
        path,
        readers=list(readers) if readers is not None else None,
        format=format,
        options=options,
        limits=limits,
        progress=progress,
    )
    source = str(path)
    first_line = prov.header_rows + 1
    note = f"{source}: read as {prov.describe()}" + (
        f"; row numbers count data rows (row 1 is line {first_line})" if prov.header_rows > 1 else ""
    )
    warnings: list[str] = [note, *prov.warnings]
    if mapping is not None:
        m = mapping if isinstance(mapping, MappingModel) else load_mapping(mapping)
        res = apply_mapping(table, prov, m, instrument)
        out, extra = res.table, res.problems
        warnings += res.warnings
    else:
        headers = [c.header for c in prov.columns]
        if "respondent_id" not in headers:  # headers that are not the instrument's column ids
            raise ResponseError(
                [
                    Problem(
                        "mapping-required",
                        f"read as {prov.describe()}; its columns are not the column ids of instrument "
                        f"{instrument.id!r}. Draft a mapping with: aspire map -i {instrument.id} {source} "
                        "-o mapping.json; check it, then score with --mapping mapping.json",
                        file=source,
                    )
                ]
            )
        out = pa.Table.from_arrays([table.column(c.name) for c in prov.columns], names=headers)
        extra = {r: list(p) for r, p in prov.row_problems.items()}
    if out.num_rows == 0:
        raise ResponseError([Problem("not-empty", "the export has a header but no data rows", file=source)])
    rs = read_arrow(
        out,
        instrument,
        source=source,
        extra_columns=extra_columns,
        allow_missing_items=allow_missing_items,
        extra_problems=extra,
    )
    return attrs.evolve(rs, warnings=(*warnings, *rs.warnings))
