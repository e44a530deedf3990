"""Problems and rejected rows as text for people: one way for every command.

A short list is shown whole. A long one is summarised: how many problems break each rule,
then the first few, then how many more there are and where to find them all, so that a
file with 100,000 unknown columns gives a screenful, not 100,000 lines. Text taken from the
input (column names, values) is shown with control characters, terminal escape sequences
and bidirectional-override characters escaped, so it cannot rewrite the terminal.

>>> from aspire_models.errors import Problem
>>> ps = [Problem("known-column", f"unknown column c{i}", file="f.csv") for i in range(3)]
>>> print("\\n".join(problem_lines(ps, first=2)))
3 problems: known-column 3
f.csv: unknown column c0 [rule: known-column]
f.csv: unknown column c1 [rule: known-column]
... and 1 more
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Protocol, TextIO

from aspire_models.errors import Problem

__all__ = ["LONGEST", "SHOWN", "problem_lines", "rejection_lines", "safe_text", "shown_text", "write_rejections"]

#: problems shown before a list is summarised
SHOWN = 20
#: longest line shown for one problem (a message may quote a whole value)
LONGEST = 1000

# C0 and C1 controls (but tab), DEL, bidirectional embeddings, overrides and isolates, lone surrogates
_UNSAFE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c\ud800-\udfff]")


class _Rejected(Protocol):
    @property
    def row(self) -> int: ...

    @property
    def problems(self) -> tuple[Problem, ...]: ...


def safe_text(text: str) -> str:
    r"""``text`` with characters that could act on a terminal written as escapes.

    >>> safe_text("a\x1b[31mred\u202e")
    'a\\x1b[31mred\\u202e'
    """
    return _UNSAFE.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


def _line(problem: Problem) -> str:
    return shown_text(str(problem))


def shown_text(text: str) -> str:
    """``text`` made safe for a terminal (:func:`safe_text`) and cut to :data:`LONGEST` characters."""
    text = safe_text(text)
    if len(text) <= LONGEST:
        return text
    return f"{text[:LONGEST]}... ({len(text):,} characters in all)"


def _counts(rules: Iterable[str]) -> str:
    return ", ".join(f"{rule} {n:,}" for rule, n in Counter(rules).most_common())


def problem_lines(problems: Sequence[Problem], *, first: int = SHOWN, more: str = "") -> list[str]:
    """Lines describing ``problems``: all of them when there are at most ``first``, else the
    count per rule, the first ``first`` and how many more (``more`` says where to see them)."""
    lines = [_line(p) for p in problems[:first]]
    if len(problems) <= first:
        return lines
    rest = len(problems) - first
    return [
        f"{len(problems):,} problems: {_counts(p.rule for p in problems)}",
        *lines,
        f"... and {rest:,} more{f' ({more})' if more else ''}",
    ]


def rejection_lines(rejected: Sequence[_Rejected], *, first: int = SHOWN, more: str = "") -> list[str]:
    """``Rejected rows (n):`` and the problems of the first rows, summarised as by
    :func:`problem_lines` when there are more than ``first`` rows."""
    if not rejected:
        return []
    head = f"Rejected rows ({len(rejected):,}):"
    if len(rejected) > first:
        head += " " + _counts(p.rule for r in rejected for p in r.problems)
    lines = [head]
    for r in rejected[:first]:
        lines.extend(f"  {_line(p)}" for p in r.problems)
    if len(rejected) > first:
        lines.append(f"  ... {len(rejected) - first:,} more rows{f' ({more})' if more else ''}")
    return lines


def write_rejections(
    rejected: Sequence[_Rejected], out: TextIO, *, first: int = SHOWN, more: str = "see the JSON output"
) -> None:
    """Write :func:`rejection_lines` to ``out`` (nothing when no row was rejected)."""
    for line in rejection_lines(rejected, first=first, more=more):
        out.write(line + "\n")
