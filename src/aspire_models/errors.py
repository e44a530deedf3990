"""Error types. Every error is for a person: it names where (file, record, field, JSON path),
what (the value) and why (the rule broken).

All errors raised on purpose by the library derive from :class:`AspireError`.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from typing import Any

import attrs

__all__ = [
    "AspireError",
    "DocumentError",
    "InputFileError",
    "OutputFileError",
    "PluginError",
    "Problem",
    "ResponseError",
    "ScoringError",
    "UnknownIdError",
]


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


@attrs.frozen
class Problem:
    """One broken rule, located as precisely as the input allows.

    ``path`` is a JSON path (``$.elements[3].kind``) for documents; for tabular responses
    ``record`` is the 1-based data row number (the header is row 0) and ``field`` the column.
    """

    rule: str
    message: str
    path: str | None = None
    file: str | None = None
    record: int | str | None = None
    field: str | None = None
    value: Any = attrs.field(default=None, eq=False)

    def where(self) -> str:
        parts = []
        if self.file:
            parts.append(self.file)
        if self.record is not None:
            parts.append(f"row {self.record}" if isinstance(self.record, int) else str(self.record))
        if self.field is not None:
            parts.append(f"column {self.field!r}")
        if self.path:
            parts.append(self.path)
        return ": ".join(parts) if parts else "(input)"

    def __str__(self) -> str:
        return f"{self.where()}: {self.message} [rule: {self.rule}]"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"rule": self.rule, "message": self.message}
        for key in ("path", "file", "record", "field"):
            val = getattr(self, key)
            if val is not None:
                out[key] = val
        if self.value is not None:
            out["value"] = self.value if isinstance(self.value, int | float | str | bool) else str(self.value)
        return out


class AspireError(Exception):
    """Base class of every error the library raises on purpose."""


class DocumentError(AspireError, ValueError):
    """A framework, instrument, norm table or result document broke one or more rules."""

    def __init__(self, source: str, problems: Sequence[Problem]) -> None:
        self.source = source
        self.problems = tuple(problems)
        shown = "\n".join(f"  - {p}" for p in self.problems[:20])
        more = f"\n  ... and {len(self.problems) - 20} more" if len(self.problems) > 20 else ""
        super().__init__(f"{source} is not valid ({len(self.problems)} problem(s)):\n{shown}{more}")


class UnknownIdError(AspireError, KeyError):
    """An id was looked up that does not exist; the message suggests close matches."""

    def __init__(self, what: str, wanted: str, known: Iterable[str], where: str = "") -> None:
        self.what = what
        self.wanted = wanted
        self.known = tuple(sorted(known))
        close = difflib.get_close_matches(wanted, self.known, n=3)
        hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        listing = ", ".join(self.known[:12]) + (" ..." if len(self.known) > 12 else "")
        loc = f" in {where}" if where else ""
        self.message = f"unknown {what} {wanted!r}{loc}{hint} (known: {listing or 'none'})"
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message

    def as_problem(self, path: str | None = None) -> Problem:
        return Problem(f"known-{self.what.replace(' ', '-')}", self.message, path, value=self.wanted)


class PluginError(AspireError):
    """A plugin failed to load or contributed something invalid (raised in strict mode)."""

    def __init__(self, plugin: str, item: str | None, reason: str) -> None:
        self.plugin = plugin
        self.item = item
        self.reason = reason
        what = f", item {item!r}" if item else ""
        super().__init__(f"plugin {plugin!r}{what}: {reason}")


class ResponseError(AspireError, ValueError):
    """A response file cannot be read at all (empty, wrong instrument, unknown columns...).

    Row-level problems never raise: they reject the row and are listed in the result.
    """

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class InputFileError(DocumentError, ResponseError):
    """A file could not be read safely: missing, not a regular file, over a size limit, not
    UTF-8, not JSON, nested too deeply, a number too long, an invalid Unicode escape...

    It is both a :class:`DocumentError` and a :class:`ResponseError`, so code that catches
    either for the file it passed sees it. Raised by :mod:`aspire_models.safeio`.
    """

    def __init__(self, source: str, problems: Sequence[Problem]) -> None:
        self.source = source
        self.problems = tuple(problems)
        AspireError.__init__(self, "\n".join(str(p) for p in self.problems))


class OutputFileError(AspireError):
    """An output file cannot be written (missing folder, a directory, not writable, disk full).

    Nothing half-written is left behind: outputs are written to a temporary file and renamed.
    """

    def __init__(self, problem: Problem) -> None:
        self.problem = problem
        super().__init__(str(problem))


class ScoringError(AspireError):
    """A scorer could not run with the given instrument, data or parameters."""


def short_repr(value: Any) -> str:
    """A repr cut to a readable length, for messages."""
    return _short(value)
