"""The compiled loops of the block-by-block CSV reader (:mod:`._csvscan`).

Kept in a module of their own, defined at the top level, so that numba caches them on disk
(in ``__pycache__``, or numba's cache directory when that is not writable): a new process
loads them instead of compiling them again. Imported only when a large file is read.
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np

jit = numba.njit(nogil=True, cache=True, boundscheck=False)


@jit
def utf8_len(buf: Any, i: int, end: int) -> int:
    """Bytes in the UTF-8 sequence starting at ``buf[i]`` (>= 128): 2-4, 0 when invalid,
    -1 when it runs past ``end``."""
    c = buf[i]
    if c < 0xC2:
        return 0
    n = 2 if c < 0xE0 else 3 if c < 0xF0 else 4 if c < 0xF5 else 0
    if n == 0:
        return 0
    if i + n > end:
        return -1
    c1 = buf[i + 1]
    if (c1 & 0xC0) != 0x80:
        return 0
    if (c == 0xE0 and c1 < 0xA0) or (c == 0xED and c1 > 0x9F):  # overlong, or a surrogate
        return 0
    if (c == 0xF0 and c1 < 0x90) or (c == 0xF4 and c1 > 0x8F):  # overlong, or over U+10FFFF
        return 0
    for k in range(2, n):
        if (buf[i + k] & 0xC0) != 0x80:
            return 0
    return n


@jit
def scan(
    buf: Any,
    buf64: Any,
    start: int,
    end: int,
    final: bool,
    delim: int,
    kinds: Any,
    slot: Any,
    tables: Any,
    tab: Any,
    text_min: int,
    vals: Any,
    kstart: Any,
    kend: Any,
    kesc: Any,
    rec: Any,
    odd: Any,
    long: Any,
) -> tuple[int, int, int, int, int]:
    """Records of ``buf[start:end]`` from a record start: (records, outcome, where the
    next record starts, odd answer cells listed, long texts listed)."""
    nf = kinds.shape[0]
    ones = np.uint64(0x0101010101010101)
    high = np.uint64(0x8080808080808080)
    quotes = np.uint64(0x2222222222222222)
    newlines = np.uint64(0x0A0A0A0A0A0A0A0A)
    delims = np.uint64(delim) * ones
    cap = rec.shape[0]
    ocap = odd.shape[0]
    lcap = long.shape[0]
    r = 0
    no = 0
    nl = 0
    i = start
    while i < end:
        if r == cap:
            return r, 5, i, no, nl
        if no + nf > ocap or nl + nf > lcap:
            return r, 6, i, no, nl
        rs = i
        rec[r] = i
        no0 = no
        nl0 = nl
        c0 = buf[i]
        if c0 == 10 or (c0 == 13 and i + 1 < end and buf[i + 1] == 10):
            return r, 4, i, no, nl
        f = 0
        while True:
            if kinds[f] == 1 and i + 2 < end and f + 1 < nf:
                # the common answer: blank, one or two digits, then the separator
                c0 = buf[i]
                ln = -1
                if c0 == delim:
                    ln = 0
                elif 48 <= c0 <= 57:
                    c1 = buf[i + 1]
                    if c1 == delim:
                        ln = 1
                    elif 48 <= c1 <= 57 and buf[i + 2] == delim:
                        ln = 2
                if ln >= 0:
                    key = np.int64(ln << 16)
                    if ln > 0:
                        key |= c0
                    if ln > 1:
                        key |= np.int64(buf[i + 1]) << 8
                    a = slot[f]
                    v = tables[tab[a], key]
                    vals[r, a] = v
                    if v == 255:  # BROKEN: out of the scale, to be named
                        odd[no, 0] = r
                        odd[no, 1] = a
                        odd[no, 2] = i
                        odd[no, 3] = i + ln
                        odd[no, 4] = 0
                        odd[no, 5] = key
                        no += 1
                    i += ln + 1
                    f += 1
                    continue
            nesc = 0
            cont = 0
            if i < end and buf[i] == 34:
                i += 1
                cs = i
                while True:
                    if (i & 7) == 0 and i + 8 <= end:  # eight bytes at a time while none is a quote or not ASCII
                        w = buf64[i >> 3]
                        t = w ^ quotes
                        if ((t - ones) & ~t & high) | (w & high) == 0:
                            i += 8
                            continue
                    if i >= end:
                        if final:
                            return r, 2, i, no, nl
                        return r, 0, rs, no0, nl0  # an unfinished record: nothing of it listed
                    c = buf[i]
                    if c == 34:
                        if i + 1 >= end and not final:
                            return r, 0, rs, no0, nl0  # an unfinished record: nothing of it listed
                        if i + 1 < end and buf[i + 1] == 34:
                            nesc += 1
                            i += 2
                            continue
                        break
                    if c >= 128:
                        n = utf8_len(buf, i, end)
                        if n == 0 or (n < 0 and final):
                            return r, 3, i, no, nl
                        if n < 0:
                            return r, 0, rs, no0, nl0  # an unfinished record: nothing of it listed
                        cont += n - 1
                        i += n
                        continue
                    i += 1
                ce = i
                i += 1  # the closing quote
                if i < end:
                    c = buf[i]
                    if c == 13:
                        if i + 1 >= end:
                            if not final:
                                return r, 0, rs, no0, nl0  # an unfinished record: nothing of it listed
                            return r, 2, i, no, nl
                        if buf[i + 1] != 10:
                            return r, 2, i, no, nl
                    elif c != delim and c != 10:
                        return r, 2, i, no, nl
                elif not final:
                    return r, 0, rs, no0, nl0  # an unfinished record: nothing of it listed
            else:
                cs = i
                while i < end:
                    # eight bytes at a time while none is a separator, quote, newline or not ASCII
                    if (i & 7) == 0 and i + 8 <= end:
                        w = buf64[i >> 3]
                        t1 = w ^ quotes
                        t2 = w ^ newlines
                        t3 = w ^ delims
                        hit = ((t1 - ones) & ~t1) | ((t2 - ones) & ~t2) | ((t3 - ones) & ~t3) | w
                        if hit & high == 0:
                            i += 8
                            continue
                    c = buf[i]
                    if c == delim or c == 10:
                        break
                    if c == 34:
                        return r, 2, i, no, nl
                    if c >= 128:
                        n = utf8_len(buf, i, end)
                        if n == 0 or (n < 0 and final):
                            return r, 3, i, no, nl
                        if n < 0:
                            return r, 0, rs, no0, nl0  # an unfinished record: nothing of it listed
                        cont += n - 1
                        i += n
                        continue
                    i += 1
                if i >= end and not final:
                    return r, 0, rs, no0, nl0  # an unfinished record: nothing of it listed
                ce = i
                if (i >= end or buf[i] == 10) and ce > cs and buf[ce - 1] == 13:
                    ce -= 1
            last = i >= end or buf[i] == 10 or buf[i] == 13
            if f >= nf:
                return r, 1, rs, no, nl
            k = kinds[f]
            if k == 1:
                ln = ce - cs
                key = np.int64((3 if ln > 3 else ln) << 16)
                if ln > 0:
                    key |= buf[cs]
                if ln > 1:
                    key |= np.int64(buf[cs + 1]) << 8
                a = slot[f]
                v = tables[tab[a], key]
                vals[r, a] = v
                if v == 255 or nesc > 0:  # BROKEN: to parse, or breaking a rule
                    odd[no, 0] = r
                    odd[no, 1] = a
                    odd[no, 2] = cs
                    odd[no, 3] = ce
                    odd[no, 4] = nesc
                    odd[no, 5] = key
                    no += 1
            elif k == 2:
                chars = ce - cs - nesc - cont
                if chars > text_min:
                    long[nl, 0] = r
                    long[nl, 1] = slot[f]
                    long[nl, 2] = chars
                    nl += 1
            elif k == 3:
                kstart[r, slot[f]] = cs
                kend[r, slot[f]] = ce
                kesc[r, slot[f]] = nesc > 0
            f += 1
            if last:
                if i < end and buf[i] == 13:
                    i += 1
                i += 1
                break
            i += 1  # the delimiter
        if f != nf:
            return r, 1, rs, no, nl
        r += 1
    return r, 0, i, no, nl


@jit
def gather(buf: Any, s: Any, e: Any, offsets: Any) -> Any:
    """The bytes ``buf[s[k]:e[k]]`` one after another; ``offsets`` (len + 1) filled."""
    n = s.shape[0]
    offsets[0] = 0
    for k in range(n):
        offsets[k + 1] = offsets[k] + (e[k] - s[k])
    out = np.empty(offsets[n], dtype=np.uint8)
    for k in range(n):
        at = offsets[k]
        for b in range(s[k], e[k]):
            out[at] = buf[b]
            at += 1
    return out
