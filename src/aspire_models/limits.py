"""Resource limits for untrusted input, with safe defaults.

A hostile or broken file must not exhaust memory or time: every reader checks these before
(file size) or while (JSON depth, number length, rows, text length) it reads. Every file the
library reads goes through :mod:`aspire_models.safeio`, which applies them. Raise a limit explicitly when
you trust the input::

    from aspire_models import Limits, score
    score(registry, "aspire-sop-self-assessment", "national.csv", limits=Limits(max_rows=50_000_000))
"""

from __future__ import annotations

from typing import Any

import attrs

from aspire_models.errors import Problem, ResponseError

__all__ = ["DEFAULT_LIMITS", "Limits", "json_depth"]


@attrs.frozen
class Limits:
    """Upper bounds applied when reading responses and documents."""

    #: largest response or document file read, in bytes (default 2 GiB)
    max_file_bytes: int = 2 * 1024**3
    #: most data rows (respondents) in one response set
    max_rows: int = 20_000_000
    #: longest text in any cell, in characters (open comments included)
    max_text_length: int = 100_000
    #: deepest nesting of JSON arrays and objects
    max_json_depth: int = 32
    #: largest JSON document (framework, instrument, norm table, result) read, in bytes (64 MiB)
    max_document_bytes: int = 64 * 1024**2
    #: largest pseudonymisation key file read, in bytes
    max_key_bytes: int = 64 * 1024
    #: longest number literal in a JSON file, in characters (sign, digits, point, exponent)
    max_number_length: int = 100

    def check_file_size(self, size: int, source: str) -> None:
        if size > self.max_file_bytes:
            raise ResponseError(
                [
                    Problem(
                        "max-file-bytes",
                        f"the file is {size:,} bytes, over the limit of "
                        f"{self.max_file_bytes:,} (Limits.max_file_bytes)",
                        file=source,
                    )
                ]
            )

    def check_rows(self, rows: int, source: str) -> None:
        if rows > self.max_rows:
            raise ResponseError(
                [
                    Problem(
                        "max-rows",
                        f"{rows:,} rows is over the limit of {self.max_rows:,} (Limits.max_rows)",
                        file=source,
                    )
                ]
            )

    def check_json_depth(self, doc: Any, source: str) -> None:
        depth = json_depth(doc, self.max_json_depth + 1)
        if depth > self.max_json_depth:
            raise ResponseError(
                [
                    Problem(
                        "max-json-depth",
                        f"JSON nested deeper than {self.max_json_depth} levels (Limits.max_json_depth)",
                        file=source,
                    )
                ]
            )


def json_depth(doc: Any, stop_at: int = 1_000_000) -> int:
    """Nesting depth of a parsed JSON value (iterative: no recursion limit), up to ``stop_at``.

    >>> json_depth([{"a": [1]}])
    3
    """
    deepest = 0
    stack: list[tuple[Any, int]] = [(doc, 0)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            depth += 1
            deepest = max(deepest, depth)
            if deepest >= stop_at:
                return deepest
            children = value.values() if isinstance(value, dict) else value
            stack.extend((child, depth) for child in children)
    return deepest


DEFAULT_LIMITS = Limits()
