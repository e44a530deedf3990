"""The compiled loops of the workbook sheet reader (:mod:`._xlsxscan`).

A worksheet's XML (``<sheetData>``) and a shared-string table are read byte by byte in one
pass each. The loops know only the plain shapes that spreadsheet programs write: any other
element, attribute value or cell type stops them with a reason, and the sheet is then read
by python-calamine instead. Text that needs decoding (entities, ``_xHHHH_`` escapes, line
ends, trimming) is listed, not decoded, here. Kept in a module of their own, defined at the
top level, so that numba caches them on disk; imported only when a large workbook is read.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np

jit = numba.njit(nogil=True, cache=True, boundscheck=False)

#: what a listed cell (or shared string) is: nothing (blank), a byte range of the XML kept
#: as it is, an index into the shared strings, a boolean (0 or 1), text in the extra pool
#: (decoded in Python), a number or a text to decode in Python (without and with
#: ``xml:space="preserve"``), rich text to decode in Python, a number shown as a date or
#: time, or as a duration, to convert in Python
NULL, RAW, SST, BOOL, EXTRA, NUM_ODD, TEXT_ODD, TEXT_KEEP, RICH, DATE_ODD, DURATION_ODD = range(11)
#: what a cell format makes of a number, as python-calamine reads it: the number, a date
#: or time, a duration; or not known here (the sheet is then left to calamine)
PLAIN, DATE, DURATION, UNKNOWN = range(4)
#: the loops' outcomes: done, out of room for another row, or a shape they do not know;
#: paused at a row's start (to report progress)
DONE, ROOM = 0, 1
PAUSE = 11
(
    BAD_TAG,
    BAD_ATTR,
    BAD_ROW,
    BAD_REF,
    BAD_TYPE,
    BAD_STYLE,
    BAD_VALUE,
    BAD_TEXT,
    BAD_ORDER,
) = range(2, 11)
#: largest column (XFD) and row Excel has, 0-based
MAX_COL = 16383
MAX_ROW = 1048575

_LT, _GT, _SL, _EQ, _QQ, _Q1 = 60, 62, 47, 61, 34, 39


@jit
def _ws(c: int) -> bool:
    return c == 32 or c == 9 or c == 10 or c == 13


@jit
def _skip_ws(buf: Any, i: int, end: int) -> int:
    while i < end and _ws(buf[i]):
        i += 1
    return i


@jit
def _is(buf: Any, i: int, end: int, pat: Any) -> bool:
    """Whether ``buf[i:]`` starts with ``pat``."""
    n = len(pat)
    if i + n > end:
        return False
    for k in range(n):  # noqa: SIM110 - a loop numba compiles
        if buf[i + k] != pat[k]:
            return False
    return True


@jit
def _tag(buf: Any, i: int, end: int, pat: Any) -> bool:
    """Whether ``buf[i:]`` opens the element ``pat`` (``<name`` then white space, ``>`` or ``/``)."""
    if not _is(buf, i, end, pat):
        return False
    j = i + len(pat)
    if j >= end:
        return False
    c = buf[j]
    if c == _GT:
        return True
    return _ws(c) or c == _SL


@jit
def _name_char(c: int, first: bool) -> bool:
    """Whether ``c`` may be in an attribute's name (ASCII letters, ``_`` and ``:``; digits,
    ``-`` and ``.`` after the first)."""
    if (65 <= c <= 90) or (97 <= c <= 122) or c == 95 or c == 58:
        return True
    return not first and ((48 <= c <= 57) or c == 45 or c == 46)


@jit
def _attr(buf: Any, i: int, end: int) -> tuple[int, int, int, int, int]:
    """The next attribute of an open tag at ``i``: (name start, name end, value start, value
    end, position after it); name start -1 when the tag ends here (position at ``>`` or
    ``/>``), -2 when the bytes are not an attribute."""
    i = _skip_ws(buf, i, end)
    if i >= end:
        return -2, 0, 0, 0, i
    c = buf[i]
    if c == _GT or c == _SL:  # noqa: SIM109 - compiled by numba
        return -1, 0, 0, 0, i
    a = i
    while i < end and _name_char(buf[i], i == a):
        i += 1
    b = i
    i = _skip_ws(buf, i, end)
    if a == b or i >= end or buf[i] != _EQ:
        return -2, 0, 0, 0, i
    i = _skip_ws(buf, i + 1, end)
    if i >= end or (buf[i] != _QQ and buf[i] != _Q1):
        return -2, 0, 0, 0, i
    q = buf[i]
    i += 1
    s = i
    while i < end and buf[i] != q:
        if buf[i] == _LT:
            return -2, 0, 0, 0, i
        i += 1
    if i + 1 >= end:
        return -2, 0, 0, 0, i
    c = buf[i + 1]  # a value is followed by white space or the tag's end
    if not _ws(c) and c != _GT and c != _SL:
        return -2, 0, 0, 0, i
    return a, b, s, i, i + 1


@jit
def _tag_end(buf: Any, i: int, end: int) -> tuple[int, bool]:
    """After the last attribute (``i`` at ``>`` or ``/>``): position after the tag, and
    whether it closed itself; -1 when it is neither."""
    if i < end and buf[i] == _GT:
        return i + 1, False
    if i + 1 < end and buf[i] == _SL and buf[i + 1] == _GT:
        return i + 2, True
    return -1, False


@jit
def _uint(buf: Any, s: int, e: int) -> int:
    """A whole number of at most 9 digits, -1 otherwise."""
    if e <= s or e - s > 9:
        return -1
    v = 0
    for k in range(s, e):
        c = buf[k]
        if c < 48 or c > 57:
            return -1
        v = v * 10 + c - 48
    return v


def _classes() -> Any:
    """Each byte's flags for :func:`_text`."""
    table = np.full(256, 16, dtype=np.uint8)  # ASCII that is not white space
    for c in (9, 10, 11, 12, 13, 28, 29, 30, 31, 32):  # white space to str.isspace
        table[c] = 0
    table[13] = 2
    table[38] = 1 | 16  # &
    table[95] = 32 | 16  # _ (then look for _x)
    table[128:] = 8
    return table


_CLASS = _classes()


@jit
def _text(buf: Any, i: int, end: int) -> tuple[int, int]:
    """Text up to the next ``<`` from ``i``: (its end, flags). Flags: 1 an ``&``, 2 a CR, 4
    ``_x``, 8 a byte that is not ASCII, 16 an ASCII byte that is not white space to
    ``str.isspace``."""
    flags = 0
    s = i
    while i < end:
        c = buf[i]
        if c == _LT:
            break
        flags |= _CLASS[c]
        i += 1
    if flags & 32:
        flags &= ~32
        for q in range(s, i - 1):
            if buf[q] == 95 and buf[q + 1] == 120:
                flags |= 4
                break
    return i, flags


@jit
def _text_kind(buf: Any, s: int, e: int, flags: int, keep: bool, trims: bool) -> int:
    """What a text's cell is: RAW when its bytes are its text, NULL when it is blank (white
    space only), TEXT_ODD / TEXT_KEEP when Python must decode it (entities, CR, ``_x``
    escapes, white space at an end that XML trims, or characters beyond ASCII beside white
    space only: ``str.isspace`` decides)."""
    if flags & 7:
        return TEXT_KEEP if keep else TEXT_ODD
    if flags & 16 == 0:
        return NULL if flags & 8 == 0 else (TEXT_KEEP if keep else TEXT_ODD)
    if trims and not keep and (_ws(buf[s]) or _ws(buf[e - 1])):
        return TEXT_ODD
    return RAW


_ROW = np.frombuffer(b"<row", dtype=np.uint8)
_ROW_END = np.frombuffer(b"</row>", dtype=np.uint8)
_C = np.frombuffer(b"<c", dtype=np.uint8)
_C_END = np.frombuffer(b"</c>", dtype=np.uint8)
_V = np.frombuffer(b"<v>", dtype=np.uint8)
_V_EMPTY = np.frombuffer(b"<v/>", dtype=np.uint8)
_V_END = np.frombuffer(b"</v>", dtype=np.uint8)
_F = np.frombuffer(b"<f", dtype=np.uint8)
_F_END = np.frombuffer(b"</f>", dtype=np.uint8)
_IS = np.frombuffer(b"<is>", dtype=np.uint8)
_IS_END = np.frombuffer(b"</is>", dtype=np.uint8)
_T = np.frombuffer(b"<t", dtype=np.uint8)
_T_END = np.frombuffer(b"</t>", dtype=np.uint8)
_SI = np.frombuffer(b"<si>", dtype=np.uint8)
_SI_END = np.frombuffer(b"</si>", dtype=np.uint8)
_R = np.frombuffer(b"<r>", dtype=np.uint8)
_R_END = np.frombuffer(b"</r>", dtype=np.uint8)
_RPR = np.frombuffer(b"<rPr", dtype=np.uint8)
_RPR_END = np.frombuffer(b"</rPr>", dtype=np.uint8)
_RPH = np.frombuffer(b"<rPh", dtype=np.uint8)
_RPH_END = np.frombuffer(b"</rPh>", dtype=np.uint8)
_PHON = np.frombuffer(b"<phoneticPr", dtype=np.uint8)
_XML_SPACE = np.frombuffer(b"xml:space", dtype=np.uint8)
_PRESERVE = np.frombuffer(b"preserve", dtype=np.uint8)
_STR = np.frombuffer(b"str", dtype=np.uint8)
_INLINE = np.frombuffer(b"inlineStr", dtype=np.uint8)


@jit
def _name_is(buf: Any, a: int, b: int, pat: Any) -> bool:
    return b - a == len(pat) and _is(buf, a, b, pat)


@jit
def _t_open(buf: Any, i: int, end: int) -> tuple[int, bool, bool]:
    """A ``<t ...>`` tag at ``i``: (position after it, ``xml:space="preserve"``, closed
    itself); position -1 when it has another attribute."""
    keep = False
    i += 2
    while True:
        a, b, s, e, nxt = _attr(buf, i, end)
        if a == -2:
            return -1, False, False
        if a == -1:
            j, closed = _tag_end(buf, nxt, end)
            return j, keep, closed
        if not _name_is(buf, a, b, _XML_SPACE):
            return -1, False, False
        keep = _name_is(buf, s, e, _PRESERVE)
        i = nxt


@jit
def _t_element(buf: Any, i: int, end: int) -> tuple[int, int, int, int, bool]:
    """A ``<t>`` element at ``i``: (position after it, its text's start and end, the text's
    flags (:func:`_text`), ``xml:space="preserve"``); position -1 for an attribute other than
    ``xml:space``, -2 when the element does not end after its text."""
    i, keep, closed = _t_open(buf, i, end)
    if i < 0:
        return -1, 0, 0, 0, False
    if closed:
        return i, i, i, 0, keep
    te, flags = _text(buf, i, end)
    if not _is(buf, te, end, _T_END):
        return -2, 0, 0, 0, False
    return te + 4, i, te, flags, keep


@jit
def _skip_element(buf: Any, i: int, end: int, close: Any) -> int:
    """Past an element opened at ``i`` (its open tag, then up to and past ``close``, or the
    open tag alone when it closes itself); -1 when it does not end."""
    while i < end and buf[i] != _GT:
        i += 1
    if i >= end:
        return -1
    if buf[i - 1] == _SL:
        return i + 1
    while i < end:
        if buf[i] == _LT and _is(buf, i, end, close):
            return i + len(close)
        i += 1
    return -1


@jit
def scan_sheet(
    buf: Any,
    end: int,
    formats: Any,
    rows: Any,
    cols: Any,
    kinds: Any,
    starts: Any,
    lens: Any,
    st: Any,
    pause: int,
) -> None:
    """List the cells of ``<sheetData>`` (``buf[st[0]:end]``, its content) that hold a value.

    ``st``: position, cells listed, last row (0-based, -1 before the first), outcome, the
    position where a shape was not known; then the rows and columns up to the last cell
    python-calamine would place in its grid and the number of such cells (blank ones too:
    see :func:`_placed`). Each listed cell: row, column, kind, start and length (a byte
    range of ``buf``; a shared-string index or boolean in ``start``). Returns at a row's
    start with ROOM when fewer than a row's worth of cells fit, with PAUSE at the first row
    starting at or after ``pause``. A number's cell format
    (``formats``: what each makes of a number) lists it as a date or a duration to convert
    in Python; a format not known here ends the scan with BAD_STYLE.
    """
    i = st[0]
    n = st[1]
    last_row = st[2]
    placed_rows = st[5]
    placed_cols = st[6]
    placed = st[7]
    cap = len(rows)
    why = DONE
    while True:
        i = _skip_ws(buf, i, end)
        if i >= end:
            break
        if n + MAX_COL + 1 > cap:
            why = ROOM
            break
        if i >= pause:
            why = PAUSE
            break
        if not _tag(buf, i, end, _ROW):
            why = BAD_TAG
            break
        i += 4
        r = -1
        while True:
            a, b, s, e, nxt = _attr(buf, i, end)
            if a == -2:
                why = BAD_ATTR
                break
            if a == -1:
                i = nxt
                break
            if b - a == 1 and buf[a] == 114:  # r
                r = _uint(buf, s, e)
                if r <= 0:
                    why = BAD_ROW
                    break
            i = nxt
        if why != DONE:
            break
        i, closed = _tag_end(buf, i, end)
        if i < 0:
            why = BAD_TAG
            break
        row = r - 1 if r > 0 else last_row + 1
        if row <= last_row or row > MAX_ROW:
            why = BAD_ORDER
            break
        last_row = row
        if closed:
            continue
        col = -1
        while why == DONE:
            i = _skip_ws(buf, i, end)
            if _is(buf, i, end, _ROW_END):
                i += 6
                break
            if not _tag(buf, i, end, _C):
                why = BAD_TAG
                break
            i += 2
            ref_col = -1
            kind_t = 1  # 1 number, 2 shared string, 3 boolean, 4 formula text, 5 inline text
            style = -1
            while True:
                a, b, s, e, nxt = _attr(buf, i, end)
                if a == -2:
                    why = BAD_ATTR
                    break
                if a == -1:
                    i = nxt
                    break
                if b - a == 1 and buf[a] == 114:  # r="AB12"
                    k = s
                    c = 0
                    while k < e and 65 <= buf[k] <= 90 and k - s < 3:
                        c = c * 26 + buf[k] - 64
                        k += 1
                    rr = _uint(buf, k, e)
                    if c == 0 or rr != row + 1:
                        why = BAD_REF
                        break
                    ref_col = c - 1
                elif b - a == 1 and buf[a] == 116:  # t
                    if e - s == 1 and buf[s] == 110:
                        kind_t = 1
                    elif e - s == 1 and buf[s] == 115:
                        kind_t = 2
                    elif e - s == 1 and buf[s] == 98:
                        kind_t = 3
                    elif _name_is(buf, s, e, _STR):
                        kind_t = 4
                    elif _name_is(buf, s, e, _INLINE):
                        kind_t = 5
                    else:  # errors, ISO dates, anything new
                        why = BAD_TYPE
                        break
                elif b - a == 1 and buf[a] == 115:  # s
                    style = _uint(buf, s, e)
                    if style < 0:
                        why = BAD_STYLE
                        break
                elif b - a == 2 and buf[a] == 118 and buf[a + 1] == 109:  # vm: rich value data
                    why = BAD_TYPE
                    break
                i = nxt
            if why != DONE:
                break
            i, closed = _tag_end(buf, i, end)
            if i < 0:
                why = BAD_TAG
                break
            here = ref_col if ref_col >= 0 else col + 1
            if here <= col or here > MAX_COL:
                why = BAD_ORDER
                break
            col = here
            if closed:
                continue
            vs = -1
            ve = -1
            vflags = 0
            nseg = 0
            ts = 0
            te = 0
            tflags = 0
            keep = False
            inline = False
            while True:
                i = _skip_ws(buf, i, end)
                if _is(buf, i, end, _C_END):
                    i += 4
                    break
                if _is(buf, i, end, _V):
                    vs = i + 3
                    ve, vflags = _text(buf, vs, end)
                    if not _is(buf, ve, end, _V_END):
                        why = BAD_TAG
                        break
                    i = ve + 4
                elif _is(buf, i, end, _V_EMPTY):
                    vs = i
                    ve = i
                    i += 4
                elif _tag(buf, i, end, _F):  # a formula: its text is passed over
                    i += 2
                    while True:
                        a, b, s, e, nxt = _attr(buf, i, end)
                        if a < 0:
                            i = nxt
                            break
                        i = nxt
                    if a == -2:
                        why = BAD_ATTR
                        break
                    i, fclosed = _tag_end(buf, i, end)
                    if i < 0:
                        why = BAD_TAG
                        break
                    if not fclosed:
                        i, fflags = _text(buf, i, end)
                        if fflags & 1 or not _is(buf, i, end, _F_END):  # an entity in a formula: left to calamine
                            why = BAD_TAG
                            break
                        i += 4
                elif _is(buf, i, end, _IS) and kind_t == 5:
                    inline = True
                    i += 4
                    while True:
                        i = _skip_ws(buf, i, end)
                        if _is(buf, i, end, _IS_END):
                            i += 5
                            break
                        if not _tag(buf, i, end, _T):
                            why = BAD_TAG
                            break
                        i, ts, te, tflags, keep = _t_element(buf, i, end)
                        if i < 0:
                            why = BAD_ATTR if i == -1 else BAD_TAG
                            break
                        nseg += 1
                    if why != DONE:
                        break
                else:
                    why = BAD_TAG
                    break
            if why != DONE:
                break
            if (ve > vs) if kind_t == 1 else (vs >= 0 or inline):  # a cell calamine places
                placed += 1
                placed_rows = max(placed_rows, row + 1)
                placed_cols = max(placed_cols, col + 1)
            kind = NULL
            start = 0
            length = 0
            if kind_t == 1:
                if vs >= 0 and ve > vs:  # (an empty value, as a formula not computed has, is blank)
                    shown = PLAIN
                    if style >= 0:
                        shown = formats[style] if style < len(formats) else UNKNOWN
                        if shown == UNKNOWN:
                            why = BAD_STYLE
                            break
                    kind = RAW
                    k = vs + 1 if buf[vs] == 45 else vs
                    if ve - k > 15 or ve == k or (buf[k] == 48 and ve - vs > 1):
                        kind = NUM_ODD
                    else:
                        for q in range(k, ve):
                            if buf[q] < 48 or buf[q] > 57:
                                kind = NUM_ODD
                                break
                    if shown == DATE:
                        kind = DATE_ODD
                    elif shown == DURATION:
                        kind = DURATION_ODD
                    start = vs
                    length = ve - vs
            elif kind_t == 2:
                if vs >= 0:
                    v = _uint(buf, vs, ve)
                    if v < 0:
                        why = BAD_VALUE
                        break
                    kind = SST
                    start = v
            elif kind_t == 3:
                if vs >= 0:
                    if ve - vs != 1 or (buf[vs] != 48 and buf[vs] != 49):
                        why = BAD_VALUE
                        break
                    kind = BOOL
                    start = buf[vs] - 48
            elif kind_t == 4:
                if vs >= 0 and ve > vs:
                    if vflags & 7:  # formula text with entities, CR or _x escapes
                        why = BAD_TEXT
                        break
                    kind = _text_kind(buf, vs, ve, vflags, True, False)
                    start = vs
                    length = ve - vs
            else:
                if vs >= 0 or nseg > 1:  # a value beside inline text, or rich inline text
                    why = BAD_TEXT
                    break
                if nseg == 1 and te > ts:
                    kind = _text_kind(buf, ts, te, tflags, keep, True)
                    start = ts
                    length = te - ts
            if kind != NULL:
                rows[n] = row
                cols[n] = col
                kinds[n] = kind
                starts[n] = start
                lens[n] = length
                n += 1
        if why != DONE:
            break
    st[0] = i
    st[1] = n
    st[2] = last_row
    st[3] = why
    st[4] = i
    st[5] = placed_rows
    st[6] = placed_cols
    st[7] = placed


@jit
def scan_strings(buf: Any, end: int, kinds: Any, starts: Any, lens: Any, st: Any) -> None:
    """List the shared strings (``<si>`` elements of ``buf[st[0]:end]``): kind, start and
    length each, as :func:`scan_sheet` lists cells (rich text as RICH: its ``<si>`` content
    for Python to decode). ``st``: position, strings listed, outcome, where it stopped."""
    i = st[0]
    n = st[1]
    cap = len(kinds)
    why = DONE
    while True:
        i = _skip_ws(buf, i, end)
        if i >= end:
            break
        if n >= cap:
            why = ROOM
            break
        if not _is(buf, i, end, _SI):
            why = BAD_TAG
            break
        i += 4
        body = i
        nseg = 0
        ts = 0
        te = 0
        tflags = 0
        keep = False
        while True:
            i = _skip_ws(buf, i, end)
            if _is(buf, i, end, _SI_END):
                i += 5
                break
            if _tag(buf, i, end, _T):
                i, ts, te, tflags, keep = _t_element(buf, i, end)
                if i < 0:
                    why = BAD_ATTR if i == -1 else BAD_TAG
                    break
                nseg += 1
            elif _is(buf, i, end, _R):  # a run of rich text: its <t> decoded in Python
                nseg += 2
                i = _skip_element(buf, i, end, _R_END)
            elif _tag(buf, i, end, _RPH):
                nseg += 2
                i = _skip_element(buf, i, end, _RPH_END)
            elif _tag(buf, i, end, _PHON):  # phonetic properties: no text
                while i < end and buf[i] != _GT:
                    i += 1
                i = i + 1 if i < end and buf[i - 1] == _SL else -1
            else:
                why = BAD_TAG
                break
            if i < 0:
                why = BAD_TAG
                break
        if why != DONE:
            break
        kind = NULL
        start = 0
        length = 0
        if nseg > 1:
            kind = RICH
            start = body
            length = i - 5 - body
        elif nseg == 1 and te > ts:
            kind = _text_kind(buf, ts, te, tflags, keep, True)
            start = ts
            length = te - ts
        kinds[n] = kind
        starts[n] = start
        lens[n] = length
        n += 1
    st[0] = i
    st[1] = n
    st[2] = why
    st[3] = i


@jit
def extent(rows: Any, cols: Any, kinds: Any, starts: Any, n: int, sst_kinds: Any) -> tuple[int, int, int]:
    """Rows and columns up to the last cell that is not blank (a shared string may be), and
    the first shared-string index out of range (-1 when none is)."""
    n_rows = 0
    n_cols = 0
    bad = -1
    n_sst = len(sst_kinds)
    for k in range(n):
        kind = kinds[k]
        if kind == SST:
            v = starts[k]
            if v >= n_sst:
                bad = k
                continue
            if sst_kinds[v] == NULL:
                continue
        elif kind == NULL:
            continue
        if rows[k] + 1 > n_rows:
            n_rows = rows[k] + 1
        if cols[k] + 1 > n_cols:
            n_cols = cols[k] + 1
    return n_rows, n_cols, bad


@jit
def columns(
    n_rows: int,
    n_cols: int,
    rows: Any,
    cols: Any,
    kinds: Any,
    starts: Any,
    lens: Any,
    n: int,
    sheet: Any,
    sst_kinds: Any,
    sst_starts: Any,
    sst_lens: Any,
    sst: Any,
    extra: Any,
    offsets: Any,
    valid: Any,
    sizes: Any,
) -> Any:
    """The sheet's text column by column: one data buffer (column after column), each
    column's offsets into its own part (``offsets[j]``, from 0), validity (``valid[j]``)
    and size in bytes (``sizes[j]``). A cell's text is a byte range of the sheet, the
    shared strings or the extra pool. The cells are taken in the sheet's order (row by
    row), each column's text written where its part goes on."""
    size = np.zeros(n_cols, dtype=np.int64)
    for k in range(n):
        kind = kinds[k]
        ln = lens[k]
        if kind == SST:
            v = starts[k]
            kind = sst_kinds[v]
            ln = sst_lens[v]
        elif kind == BOOL:
            ln = 4 if starts[k] == 1 else 5
        if kind != NULL:
            size[cols[k]] += ln
    total = 0
    base = np.zeros(n_cols, dtype=np.int64)
    for j in range(n_cols):
        sizes[j] = size[j]
        base[j] = total
        total += size[j]
        if size[j] > 2147483647:  # beyond an Arrow text array's offsets
            sizes[0] = -1
            return np.empty(0, dtype=np.uint8)
    data = np.empty(total, dtype=np.uint8)
    filled = np.zeros(n_cols, dtype=np.int64)  # rows of each column whose offsets are set
    used = np.zeros(n_cols, dtype=np.int64)  # bytes of each column written
    for j in range(n_cols):
        offsets[j, 0] = 0
    for k in range(n):
        kind = kinds[k]
        s = starts[k]
        ln = lens[k]
        src = sheet
        if kind == SST:
            v = s
            kind = sst_kinds[v]
            s = sst_starts[v]
            ln = sst_lens[v]
            src = sst if kind == RAW else extra
        elif kind == BOOL:
            src = extra
            ln = 4 if s == 1 else 5
            s = 5 if s == 1 else 0
        elif kind == EXTRA:
            src = extra
        if kind == NULL:
            continue
        j = cols[k]
        r = rows[k]
        o = used[j]
        for q in range(filled[j], r):  # rows without a value in this column
            offsets[j, q + 1] = o
        at = base[j] + o
        for q in range(ln):
            data[at + q] = src[s + q]
        o += ln
        used[j] = o
        offsets[j, r + 1] = o
        valid[j, r] = True
        filled[j] = r + 1
    for j in range(n_cols):
        for q in range(filled[j], n_rows):
            offsets[j, q + 1] = used[j]
    return data


@jit
def _placed(buf: Any, j: int, end: int, numeric: bool) -> bool:
    """Whether the cell whose content starts at ``j`` is one python-calamine places in its
    grid: a number with a value of at least one character; any other type with a value
    (even empty) or inline text. A formula without a value places nothing. Any
    other content counts as placed (the guard errs on refusing)."""
    while True:
        j = _skip_ws(buf, j, end)
        if j + 1 >= end or buf[j] != _LT:
            return True
        if buf[j + 1] == _SL:  # the cell ends
            return False
        what, k = _local_name(buf, j, end)
        while k < end and buf[k] != _GT:
            k += 1
        if k >= end:
            return True
        empty = buf[k - 1] == _SL
        if what == 3:  # <v>
            if not empty:
                e = k + 1
                while e < end and buf[e] != _LT:
                    e += 1
                if e > k + 1 or not numeric:
                    return True
                k = e
                while k < end and buf[k] != _GT:
                    k += 1
            elif not numeric:
                return True
        elif what == 4:  # <f>: its text, then its end tag
            if not empty:
                k += 1
                while k < end and buf[k] != _LT:
                    k += 1
                while k < end and buf[k] != _GT:
                    k += 1
        else:
            return True
        j = k + 1


@jit
def _local_name(buf: Any, i: int, end: int) -> tuple[int, int]:
    """The element opened at ``buf[i]`` (``<``), by its name without a namespace prefix: 1
    ``row``, 2 ``c``, 3 ``v``, 4 ``f``, 0 another (or a closing tag); and where its name
    ends."""
    j = i + 1
    local = j
    while j < end and _name_char(buf[j], j == i + 1):
        if buf[j] == 58:  # a prefix ends
            local = j + 1
        j += 1
    n = j - local
    if n == 3 and buf[local] == 114 and buf[local + 1] == 111 and buf[local + 2] == 119:
        return 1, j
    if n == 1:
        c = buf[local]
        return (2 if c == 99 else 3 if c == 118 else 4 if c == 102 else 0), j
    return 0, j


@jit
def refs_extent(buf: Any) -> tuple[int, int, int]:
    """The largest row and column (1-based) of a cell python-calamine places in its grid
    (see :func:`_placed`), as it places cells (a cell's reference, such as ``XFD1048576``
    with letters in either case, or the next column of its row; a row's ``r``, or the next
    row), and the number of such cells: how large a grid calamine makes of the sheet,
    against the cells it holds."""
    end = len(buf)
    max_row = 0
    max_col = 0
    cells = 0
    row = 0
    col = 0
    i = 0
    while i < end:
        if buf[i] != _LT:
            i += 1
            continue
        what, j = _local_name(buf, i, end)
        if what != 1 and what != 2:
            i = j if j > i + 1 else i + 1
            continue
        ref_col = 0
        ref_row = 0
        numeric = True
        closed = False
        while j < end:  # the attributes, up to the tag's end (quoted values may hold '>')
            c = buf[j]
            if c == _GT:
                closed = buf[j - 1] == _SL
                j += 1
                break
            if c == _QQ or c == _Q1:  # noqa: SIM109 - compiled by numba
                j += 1
                while j < end and buf[j] != c:
                    j += 1
                j += 1
                continue
            if (c == 114 or c == 116) and _ws(buf[j - 1]):
                k = _skip_ws(buf, j + 1, end)
                if k < end and buf[k] == _EQ:
                    k = _skip_ws(buf, k + 1, end)
                    if k < end and (buf[k] == _QQ or buf[k] == _Q1):
                        q = buf[k]
                        k += 1
                        if c == 116:  # t: a number ("n", or no t), or another type
                            numeric = k + 1 < end and buf[k] == 110 and buf[k + 1] == q
                            j = k - 1  # at the value's quote: passed over whole
                            continue
                        n = 0
                        while k < end and (65 <= buf[k] <= 90 or 97 <= buf[k] <= 122):
                            if n < 12:
                                ref_col = ref_col * 26 + (buf[k] & 0xDF) - 64
                            n += 1
                            k += 1
                        n = 0
                        while k < end and 48 <= buf[k] <= 57:
                            if n < 14:
                                ref_row = ref_row * 10 + buf[k] - 48
                            n += 1
                            k += 1
            j += 1
        if what == 1:
            row = ref_row if ref_row > 0 else row + 1
            col = 0
        else:
            col = ref_col if ref_col > 0 else col + 1
            here = ref_row if ref_row > 0 else row
            if not closed and _placed(buf, j, end, numeric):
                cells += 1
                if here > max_row:
                    max_row = here
                if col > max_col:
                    max_col = col
        i = j
    return max_row, max_col, cells


@jit
def _u32(buf: Any, i: int) -> int:
    return int(buf[i]) | (int(buf[i + 1]) << 8) | (int(buf[i + 2]) << 16) | (int(buf[i + 3]) << 24)


@jit
def xlsb_extent(buf: Any) -> tuple[int, int, int]:
    """What :func:`aspire_models.formats._gridguard.xlsb_extent` finds, compiled for large
    sheets: the largest row and column of a cell python-calamine places from an ``.xlsb``
    sheet's records, and how many such cells."""
    i = 0
    n = len(buf)
    row = 0
    max_row = 0
    max_col = 0
    cells = 0
    while i < n:
        typ = int(buf[i])
        i += 1
        if typ & 0x80:
            if i >= n:
                break
            typ = (typ & 0x7F) | ((int(buf[i]) & 0x7F) << 7)
            i += 1
        size = 0
        k = 0
        more = True
        while more and k < 4 and i < n:
            b = int(buf[i])
            i += 1
            size += (b & 0x7F) << (7 * k)
            more = (b & 0x80) != 0
            k += 1
        body = i
        i += size
        if i > n:
            break
        if typ == 0 and size >= 4:
            row = _u32(buf, body)
            if row > 0x100000:
                break
        elif 2 <= typ <= 11 and size >= 4:
            cells += 1
            col = _u32(buf, body)
            if row + 1 > max_row:
                max_row = row + 1
            if col + 1 > max_col:
                max_col = col + 1
        elif typ == 0x92:
            break
    return max_row, max_col, cells
