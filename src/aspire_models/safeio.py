"""Safe reading and writing of files: the one place the library and the ``aspire`` command
touch the file system for data.

Reading (:func:`read_input_bytes`, :func:`load_json`):

- only regular files are read; a directory, named pipe (FIFO), device or socket is refused
  with a named error before it is opened (so ``/dev/zero`` or a FIFO with no writer can never
  hang or exhaust memory). Standard input is read only when the caller asks for it and the
  path is ``-``;
- the size is checked before reading, and the read is bounded: never more than the limit
  plus one byte is read, even if the file grows or lies about its size;
- JSON must be UTF-8 (a byte-order mark is skipped); its nesting depth is checked before it
  is parsed, number literals longer than :attr:`Limits.max_number_length` and the
  non-standard ``NaN``/``Infinity`` are refused, and a string holding a lone surrogate
  (``"\\ud800"``, which no UTF-8 file can hold) is reported with its JSON path.

Every refusal is an :class:`~aspire_models.errors.InputFileError` naming the file, the rule
and, where it applies, the line and column or the JSON path.

Writing (:func:`check_output_path`, :func:`atomic_write`): the target is checked before any
work starts; data is written to a temporary file in the same folder, flushed to disk and
renamed over the target, so a failure (disk full, killed process) never leaves a half-written
file. Targets that are not regular files (``/dev/null``, ``/dev/stdout``, a pipe) are written
directly.
"""

from __future__ import annotations

import contextlib
import errno
import io
import json
import os
import re
import stat
import sys
import tempfile
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from aspire_models.errors import InputFileError, OutputFileError, Problem
from aspire_models.limits import DEFAULT_LIMITS, Limits

__all__ = [
    "atomic_write",
    "check_output_path",
    "decode_json_text",
    "escape_lone_surrogates",
    "find_lone_surrogates",
    "has_surrogate_escape",
    "load_json",
    "open_input",
    "parse_json",
    "read_input_bytes",
]

_STDIN = "-"


def _fail(source: str, rule: str, message: str, **where: Any) -> InputFileError:
    return InputFileError(source, [Problem(rule, message, file=source, **where)])


def _kind_of(mode: int) -> str | None:
    """What a non-regular file is, for messages; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def _bounded_read(fh: BinaryIO | io.RawIOBase, limit: int, source: str, what: str, limit_name: str) -> bytes:
    """Read at most ``limit + 1`` bytes; refuse if there were more than ``limit``."""
    parts: list[bytes] = []
    left = limit + 1
    while left > 0:
        # one read for a file up to 2 GB (the most one read() returns on Linux): joining parts
        # would copy the whole file again
        chunk = fh.read(min(left, 0x7FFFF000))
        if not chunk:
            break
        parts.append(chunk)
        left -= len(chunk)
    data = parts[0] if len(parts) == 1 else b"".join(parts)
    if len(data) > limit:
        raise _fail(
            source,
            "max-file-bytes",
            f"the {what} is over the limit of {limit:,} bytes (Limits.{limit_name})",
        )
    return data


def read_input_bytes(
    path: str | os.PathLike[str],
    *,
    limits: Limits = DEFAULT_LIMITS,
    what: str = "input file",
    max_bytes: int | None = None,
    limit_name: str = "max_file_bytes",
    allow_stdin: bool = False,
) -> bytes:
    """The bytes of a regular file, refusing anything else with a named error.

    :param what: what the file is, for messages (``"instrument file"``).
    :param max_bytes: the size limit; by default ``limits.max_file_bytes``.
    :param limit_name: the :class:`Limits` field named in the message when over the limit.
    :param allow_stdin: read standard input when ``path`` is ``-``.
    """
    limit = limits.max_file_bytes if max_bytes is None else max_bytes
    source = os.fspath(path)
    if allow_stdin and source == _STDIN:
        return _bounded_read(sys.stdin.buffer, limit, "<standard input>", what, limit_name)
    fh = open_input(
        source, limits=limits, what=what, max_bytes=max_bytes, limit_name=limit_name, stdin_hint=allow_stdin
    )
    with fh:
        try:
            return _bounded_read(fh, limit, source, what, limit_name)
        except OSError as exc:
            raise _fail(source, "readable", f"cannot read the {what}: {_reason(exc)}") from None


def open_input(
    path: str | os.PathLike[str],
    *,
    limits: Limits = DEFAULT_LIMITS,
    what: str = "input file",
    max_bytes: int | None = None,
    limit_name: str = "max_file_bytes",
    stdin_hint: bool = False,
) -> io.FileIO:
    """A regular file of at most the size limit, opened for reading (unbuffered), refusing
    anything else with a named error, as :func:`read_input_bytes` does; for a reader that
    reads a large file piece by piece."""
    limit = limits.max_file_bytes if max_bytes is None else max_bytes
    source = os.fspath(path)
    try:
        st = os.stat(source)
    except (FileNotFoundError, NotADirectoryError):
        raise _fail(source, "file-exists", f"no such {what}") from None
    except PermissionError:
        raise _fail(source, "readable", f"permission denied: cannot read the {what}") from None
    except (OSError, ValueError) as exc:  # name too long, loop of links, NUL in the name
        raise _fail(source, "readable", f"cannot read the {what}: {_reason(exc)}") from None
    kind = _kind_of(st.st_mode)
    if kind is not None:
        hint = " (use '-' to read standard input)" if stdin_hint and kind.startswith("a named pipe") else ""
        raise _fail(source, "regular-file", f"the {what} is {kind}, not a regular file{hint}")
    if st.st_size > limit:
        raise _fail(
            source,
            "max-file-bytes",
            f"the {what} is {st.st_size:,} bytes, over the limit of {limit:,} (Limits.{limit_name})",
        )
    try:  # O_NONBLOCK: should the path have been swapped for a FIFO since stat, open cannot block
        fd = os.open(source, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        raise _fail(source, "file-exists", f"no such {what}") from None
    except OSError as exc:
        raise _fail(source, "readable", f"cannot read the {what}: {_reason(exc)}") from None
    fh = io.FileIO(fd, "rb", closefd=True)
    kind = _kind_of(os.fstat(fd).st_mode)
    if kind is not None:
        fh.close()
        raise _fail(source, "regular-file", f"the {what} is {kind}, not a regular file")
    return fh


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return str(exc) or type(exc).__name__


# -- JSON ------------------------------------------------------------------------------------
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def _line_col(text: str | bytes, offset: int) -> str:
    nl = "\n" if isinstance(text, str) else b"\n"
    line = text.count(nl, 0, offset) + 1  # type: ignore[arg-type]
    col = offset - (text.rfind(nl, 0, offset) + 1) + 1  # type: ignore[arg-type]
    return f"line {line} column {col}"


def decode_json_text(data: bytes, source: str, what: str = "JSON file") -> str:
    """UTF-8 text of a JSON file (a byte-order mark skipped), or a named error."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _fail(
            source,
            "encoding",
            f"the {what} is UTF-16 (it starts with a UTF-16 byte-order mark); JSON must be UTF-8: "
            "save it again as UTF-8",
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        bad = data[exc.start : exc.start + 1]
        raise _fail(
            source,
            "encoding",
            f"byte 0x{bad.hex()} at {_line_col(data, exc.start)} (byte {exc.start:,}) is not UTF-8; JSON must be UTF-8",
        ) from None


def _max_depth(raw: bytes) -> int:
    """Deepest bracket nesting outside strings, at C/numpy speed (no recursion)."""
    brackets = _STRING.sub(b'""', raw).translate(None, _NOT_BRACKET)
    if not brackets:
        return 0
    arr = np.frombuffer(brackets, dtype=np.uint8)
    steps = np.where((arr == ord("[")) | (arr == ord("{")), 1, -1).astype(np.int8)
    return int(np.cumsum(steps, dtype=np.int32).max())


class _BadNumberError(Exception):
    def __init__(self, literal: str, reason: str) -> None:
        super().__init__(literal)
        self.literal = literal
        self.reason = reason


def parse_json(text: str, source: str, *, limits: Limits = DEFAULT_LIMITS, what: str = "JSON file") -> Any:
    """Parse JSON text under the depth and number limits, with named errors."""
    raw = text.encode("utf-8", "surrogatepass")
    depth_limit = limits.max_json_depth
    if raw.count(b"[") + raw.count(b"{") > depth_limit and _max_depth(raw) > depth_limit:
        raise _fail(
            source,
            "max-json-depth",
            f"JSON nested deeper than {depth_limit} levels (Limits.max_json_depth)",
        )
    longest = limits.max_number_length

    def number(literal: str, convert: Any) -> Any:
        if len(literal) > longest:
            raise _BadNumberError(
                literal, f"is {len(literal):,} characters long, over the limit of {longest} (Limits.max_number_length)"
            )
        value = convert(literal)
        if isinstance(value, float) and not np.isfinite(value):
            raise _BadNumberError(literal, "is too large for a floating-point number")
        return value

    def constant(name: str) -> Any:
        raise _BadNumberError(name, "is not standard JSON (NaN and Infinity are not allowed)")

    risky = re.search(rb"[0-9]{%d,}|[eE][+-]?[0-9]{3,}" % (longest // 2 + 1), raw) is not None
    try:
        if risky:
            return json.loads(
                text,
                parse_int=lambda s: number(s, int),
                parse_float=lambda s: number(s, float),
                parse_constant=constant,
            )
        return json.loads(text, parse_constant=constant)
    except _BadNumberError as exc:
        at = text.find(exc.literal)
        where = f" at {_line_col(text, at)}" if at >= 0 else ""
        shown = exc.literal if len(exc.literal) <= 24 else exc.literal[:20] + "..."
        raise _fail(source, "json-number", f"the number {shown}{where} {exc.reason}") from None
    except json.JSONDecodeError as exc:
        raise _fail(source, "json", f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:  # pragma: no cover - the pre-scan refuses deep nesting first
        raise _fail(source, "max-json-depth", "JSON nested too deeply to read (Limits.max_json_depth)") from None
    except ValueError as exc:  # e.g. Python's own integer-string conversion limit
        raise _fail(source, "json-number", f"a number cannot be read: {exc}") from None


def find_lone_surrogates(doc: Any, stop_after: int = 20) -> list[str]:
    """JSON paths of strings (values or keys) holding a lone surrogate, iteratively."""
    found: list[str] = []
    stack: list[tuple[Any, str]] = [(doc, "$")]
    while stack and len(found) < stop_after:
        value, path = stack.pop()
        if isinstance(value, str):
            if not _encodable(value):
                found.append(path)
        elif isinstance(value, dict):
            for key, child in reversed(list(value.items())):
                if not _encodable(key):
                    found.append(f"{path} (a key)")
                stack.append((child, f"{path}.{key}" if _plain_key(key) else f"{path}[{json.dumps(key)}]"))
        elif isinstance(value, list):
            stack.extend((child, f"{path}[{i}]") for i, child in reversed(list(enumerate(value))))
    return found


def has_surrogate_escape(text: str) -> bool:
    """Whether JSON text holds a ``\\uD800``-``\\uDFFF`` escape (then look for lone ones)."""
    return _SURROGATE_ESCAPE.search(text) is not None


def escape_lone_surrogates(value: Any) -> Any:
    """``value`` with every string holding a lone surrogate written with a visible escape."""
    if isinstance(value, str):
        return value if _encodable(value) else value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, dict):
        return {escape_lone_surrogates(k): escape_lone_surrogates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [escape_lone_surrogates(v) for v in value]
    return value


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _plain_key(key: str) -> bool:
    return key.isidentifier() or bool(re.fullmatch(r"[A-Za-z0-9_-]+", key))


def read_json_text(
    path: str | os.PathLike[str],
    *,
    limits: Limits = DEFAULT_LIMITS,
    what: str = "JSON document",
    max_bytes: int | None = None,
    limit_name: str = "max_document_bytes",
    allow_stdin: bool = False,
) -> tuple[str, str]:
    """``(source name, text)`` of a JSON file: read as :func:`read_input_bytes` reads, decoded
    as :func:`decode_json_text` decodes (``max_bytes`` defaults to ``limits.max_document_bytes``)."""
    size = limits.max_document_bytes if max_bytes is None else max_bytes
    data = read_input_bytes(
        path, limits=limits, what=what, max_bytes=size, limit_name=limit_name, allow_stdin=allow_stdin
    )
    source = "<standard input>" if allow_stdin and os.fspath(path) == _STDIN else os.fspath(path)
    return source, decode_json_text(data, source, what)


def load_json(
    path: str | os.PathLike[str],
    *,
    limits: Limits = DEFAULT_LIMITS,
    what: str = "JSON document",
    max_bytes: int | None = None,
    limit_name: str = "max_document_bytes",
    allow_stdin: bool = False,
    surrogates: str = "error",
) -> Any:
    """Read and parse a JSON file under ``limits``, with named errors for every refusal.

    :param max_bytes: size limit; by default ``limits.max_document_bytes``.
    :param surrogates: ``'error'`` refuses a document with a lone surrogate (naming the JSON
        path); ``'keep'`` returns it for the caller to reject the records concerned (see
        :func:`find_lone_surrogates`).
    """
    source, text = read_json_text(
        path, limits=limits, what=what, max_bytes=max_bytes, limit_name=limit_name, allow_stdin=allow_stdin
    )
    doc = parse_json(text, source, limits=limits, what=what)
    if surrogates == "error" and _SURROGATE_ESCAPE.search(text):
        paths = find_lone_surrogates(doc)
        if paths:
            raise InputFileError(
                source,
                [
                    Problem(
                        "unicode",
                        "the string holds a lone surrogate escape (such as \\ud800), which is not a "
                        "character; fix the text in the file",
                        path=p,
                        file=source,
                    )
                    for p in paths
                ],
            )
    return doc


# -- writing ---------------------------------------------------------------------------------
def check_output_path(path: str | os.PathLike[str], *, what: str = "output file") -> None:
    """Refuse an output path that cannot be written, before any work is done.

    The folder must exist and be writable; the target must not be a directory; an existing
    regular file must be writable. Devices and pipes (``/dev/null``, ``/dev/stdout``) pass.
    """
    target = os.fspath(path)
    if not target:
        raise OutputFileError(Problem("output-path", f"the {what} name is empty"))
    try:
        st: os.stat_result | None = os.stat(target)
    except FileNotFoundError:
        st = None
    except NotADirectoryError:
        raise OutputFileError(
            Problem("output-path", f"cannot write the {what}: a part of its folder is not a folder", file=target)
        ) from None
    except (OSError, ValueError) as exc:
        raise OutputFileError(Problem("output-path", f"cannot write the {what}: {_reason(exc)}", file=target)) from None
    if st is not None:
        if stat.S_ISDIR(st.st_mode):
            raise OutputFileError(Problem("output-path", f"the {what} is a directory; give a file name", file=target))
        if not os.access(target, os.W_OK):
            raise OutputFileError(Problem("output-path", f"the {what} exists and is not writable", file=target))
        if not stat.S_ISREG(st.st_mode):
            return
    parent = Path(target).parent
    if not parent.is_dir():
        raise OutputFileError(
            Problem("output-path", f"the folder {str(parent)!r} of the {what} does not exist", file=target)
        )
    if not os.access(parent, os.W_OK | os.X_OK):
        raise OutputFileError(
            Problem("output-path", f"the folder {str(parent)!r} of the {what} is not writable", file=target)
        )


def _new_file_mode() -> int:
    """The mode a plain ``open(path, 'w')`` would give a new file (0o666 less the umask)."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except OSError:
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def atomic_write(path: str | os.PathLike[str], data: bytes | str, *, what: str = "output file") -> None:
    """Write ``data`` (``str`` is written as UTF-8) so that the target is whole or untouched.

    A regular file (or a new one) is written to a temporary file in the same folder, flushed
    to disk and renamed over the target; on any failure the temporary file is removed and the
    target left as it was. A device or pipe (``/dev/null``, ``/dev/stdout``) is written
    directly. Failures raise :class:`~aspire_models.errors.OutputFileError`.
    """
    target = os.fspath(path)
    # (a lone surrogate cannot be UTF-8: it is written as its JSON-style escape, never lost)
    payload = data.encode("utf-8", "backslashreplace") if isinstance(data, str) else data
    check_output_path(target, what=what)
    try:
        st: os.stat_result | None = os.stat(target)
    except OSError:
        st = None
    if st is not None and not stat.S_ISREG(st.st_mode):
        _write_direct(target, payload, what)
        return
    folder = os.path.dirname(os.path.abspath(target))
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{os.path.basename(target)}.", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, stat.S_IMODE(st.st_mode) if st is not None else _new_file_mode())
        os.replace(tmp, target)
        tmp = None
    except OSError as exc:
        raise OutputFileError(
            Problem("write", f"could not write the {what} ({_reason(exc)}); it was left unchanged", file=target)
        ) from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    try:  # make the rename itself durable (best effort: not every file system allows it)
        dfd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)


def _write_direct(target: str, payload: bytes, what: str) -> None:
    try:
        with open(target, "wb") as fh:
            fh.write(payload)
            fh.flush()
    except OSError as exc:
        reason = "no space left" if exc.errno == errno.ENOSPC else _reason(exc)
        raise OutputFileError(Problem("write", f"could not write the {what}: {reason}", file=target)) from None
