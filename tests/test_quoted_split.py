"""CSV files with quoted fields (commas, quotes and line breaks in comments) are split with
numpy (:func:`aspire_models.formats._csvsplit.quoted_blocks`, :func:`~aspire_models.formats._csvsplit.split`
with ``quoted``) and read exactly as Arrow's CSV reader reads them; a quote where RFC 4180
puts none sends the file to Arrow's reader. The CSV reader reports its progress in bytes."""

from __future__ import annotations

import io
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aspire_models import Registry
from aspire_models.formats import _csvsplit
from aspire_models.formats import csv as csv_reader
from aspire_models.progress import Progress, score_with_progress
from aspire_models.responses import ResponseSet

HEADER = ["respondent_id", "organisation", "leadership.now", "leadership.future", "leadership-worked"]
ANSWERS = st.sampled_from(["", "1", "7", "10", "11", " 7 ", "7.5", "seven", '"7"', '""', '"1,5"'])
COMMENTS = st.sampled_from(
    [
        "",
        "fine",
        '""',
        '"a, b"',
        '"line one\nline two"',
        '"line one\r\nline two, too"',
        '"say ""hi"""',
        '""""',
        '"caf\u00e9 \u2019"',
        '"x,\n,y"',
    ]
)
#: quotes that RFC 4180 does not allow: the file goes to Arrow's reader
STRAY = st.sampled_from(['a"b', '"a"b', '"', '"""', ' "a"'])


def read_csv(path: Path, instrument: Any) -> ResponseSet:
    return csv_reader.read_csv(path, instrument, allow_missing_items=True)


def same(a: ResponseSet, b: ResponseSet) -> None:
    assert (a.n_input, a.n_accepted, a.n_rejected) == (b.n_input, b.n_accepted, b.n_rejected)
    assert [r.to_dict() for r in a.rejected] == [r.to_dict() for r in b.rejected]
    assert a.rows.tolist() == b.rows.tolist()
    assert a.respondent_id.tolist() == b.respondent_id.tolist()
    assert a.organisation.labels == b.organisation.labels
    assert a.organisation.codes.tolist() == b.organisation.codes.tolist()
    np.testing.assert_array_equal(a.numeric, b.numeric)
    assert {k: v.tolist() for k, v in a.text.items()} == {k: v.tolist() for k, v in b.text.items()}
    assert a.digest == b.digest


@st.composite
def quoted_csv(draw: Any) -> str:
    rows = draw(st.integers(1, 25))
    lines = [",".join(HEADER)]
    stray = draw(st.booleans()) and draw(st.integers(0, rows - 1))
    for i in range(rows):
        rid = draw(st.sampled_from(["a", "b", "c", "d", '"e"', "", '"f,g"']))
        org = draw(st.sampled_from(["C1", '"C1"', '"C2, North"', ""]))
        comment = draw(STRAY) if stray is not False and i == stray else draw(COMMENTS)
        lines.append(",".join([rid, org, draw(ANSWERS), draw(ANSWERS), comment]))
    ending = draw(st.sampled_from(["\n", "\r\n"]))
    return ending.join(lines) + draw(st.sampled_from([ending, ""]))


@settings(max_examples=150, deadline=None)
@given(text=quoted_csv(), block=st.sampled_from([16, 64, 1 << 20]))
def test_quoted_split_reads_as_arrow_does(core: Registry, text: str, block: int) -> None:
    sop = core.instrument("aspire-sop-self-assessment")
    with tempfile.TemporaryDirectory() as d, pytest.MonkeyPatch.context() as mp:
        p = Path(d) / "r.csv"
        p.write_bytes(text.encode())
        mp.setattr(csv_reader, "_SPLIT_BLOCK", block)  # records split across raw blocks, too
        try:
            fast = read_csv(p, sop)
        except Exception as exc:  # both readers must refuse alike
            mp.setattr(csv_reader, "_read_plain", lambda *a, **k: None)
            with pytest.raises(type(exc)):
                read_csv(p, sop)
            return
        mp.setattr(csv_reader, "_read_plain", lambda *a, **k: None)
        slow = read_csv(p, sop)
    same(fast, slow)


def split(text: str, quoted: bool = True) -> Any:
    data = text.encode()
    raw = np.frombuffer(data, dtype=np.uint8)
    return _csvsplit.split(raw[data.find(b"\n") + 1 :], len(HEADER), ord(","), quoted)


def test_quoted_files_take_the_numpy_split() -> None:
    head = ",".join(HEADER) + "\n"
    fields = split(head + 'a,"C1, North",7,"8","say ""hi""\nagain"\nb,C2,,1,""\n')
    assert fields is not None and fields.rows == 2
    assert fields.strings(1).to_pylist() == ["C1, North", "C2"]
    assert fields.strings(3).to_pylist() == ["8", "1"]
    assert fields.strings(4).to_pylist() == ['say "hi"\nagain', None]
    assert fields.digit_codes(3).tolist() == split(head + "a,C1,7,8,x\nb,C2,,1,\n").digit_codes(3).tolist()
    for stray in ('a"b', '"a"b', '"""', ' "a"'):
        assert split(head + f"a,C1,7,8,{stray}\n") is None, stray
    assert split(head + 'a,C1,7,8,"open\n') is None  # an odd number of quotes
    assert split(head + 'a,"C1",7,8,x\n', quoted=False) is not None  # quotes not looked at


def test_records_are_found_across_blocks() -> None:
    from concurrent.futures import ThreadPoolExecutor

    body = "".join(f'r{i},C1,1,2,"line {i}\nmore, ""text"""\n' for i in range(40))
    data = (",".join(HEADER) + "\n" + body).encode()
    with ThreadPoolExecutor(2) as pool:
        planned = _csvsplit.quoted_blocks(data, data.find(b"\n") + 1, 50, pool)
        assert _csvsplit.quoted_blocks(data + b'x,"open\n', data.find(b"\n") + 1, 50, pool) is None
    assert planned is not None
    plan, counts = planned
    assert sum(counts) == 40 and len(plan) > 1
    assert all(data[b - 1 : b] == b"\n" for _, b in plan)
    assert [a for a, _ in plan[1:]] == [b for _, b in plan[:-1]]


# ---------------------------------------------------------------------------------------
# progress while reading
# ---------------------------------------------------------------------------------------
def _many_rows(tmp_path: Path, quoted: bool) -> Path:
    comment = '"one, two\nthree"' if quoted else "fine"
    lines = [",".join(HEADER)] + [f"r{i},C{i % 3},{i % 10 + 1},{i % 9 + 1},{comment}" for i in range(400)]
    p = tmp_path / "many.csv"
    p.write_text("\n".join(lines) + "\n")
    return p


@pytest.mark.parametrize("how", ["plain", "quoted", "arrow"])
def test_the_csv_reader_reports_increasing_byte_counts(
    core: Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    sop = core.instrument("aspire-sop-self-assessment")
    p = _many_rows(tmp_path, quoted=how != "plain")
    monkeypatch.setattr(csv_reader, "_SPLIT_BLOCK", 512)  # many blocks
    monkeypatch.setattr(csv_reader, "_CSV_BLOCK", 1024)
    if how == "arrow":
        monkeypatch.setattr(csv_reader, "_read_plain", lambda *a, **k: None)
    calls: list[tuple[int, int]] = []
    rs = csv_reader.read_csv(p, sop, allow_missing_items=True, progress=lambda done, total: calls.append((done, total)))
    assert rs.n_accepted == 400
    size = p.stat().st_size
    assert len(calls) >= 3
    assert all(total == size for _, total in calls)
    done = [d for d, _ in calls]
    assert done == sorted(done) and done[0] < size and done[-1] == size
    assert len(set(done)) >= 3  # it moves, not only at the end


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_progress_bar_moves_while_a_file_is_read(
    core: Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sop = core.instrument("aspire-sop-self-assessment")
    p = _many_rows(tmp_path, quoted=False)
    monkeypatch.setattr(csv_reader, "_SPLIT_BLOCK", 512)
    screen = _Terminal()
    with Progress(0, stream=screen) as bar:
        score_with_progress(core, sop, p, bar, allow_missing_items=True)
    frames = screen.getvalue().split("\r")
    reading = [f for f in frames if "reading and validating responses:" in f]
    assert len(reading) >= 3  # several frames while reading, each with the share read
    assert reading[-1].rstrip().endswith("100%")
    fills = [f.split("]")[0].count("#") for f in reading]
    assert fills == sorted(fills)


def test_no_progress_is_drawn_off_a_terminal(core: Registry, tmp_path: Path) -> None:
    sop = core.instrument("aspire-sop-self-assessment")
    screen = io.StringIO()
    with Progress(0, stream=screen) as bar:
        score_with_progress(core, sop, _many_rows(tmp_path, quoted=False), bar, allow_missing_items=True)
    assert screen.getvalue() == ""


# ---------------------------------------------------------------------------------------
# free text kept as Arrow arrays
# ---------------------------------------------------------------------------------------
def test_text_columns_give_the_strings_and_lengths_of_accepted_rows() -> None:
    import pyarrow as pa

    from aspire_models.responses import TextColumns, text_longer_than

    arr = pa.chunked_array([["ab", None, "\u00e9" * 4], ["abcdef", "\u2019" * 5]])  # 8 and 15 bytes, 4 and 5 chars
    every = TextColumns({"c": arr})
    assert every["c"].tolist() == ["ab", None, "\u00e9" * 4, "abcdef", "\u2019" * 5]
    assert not every["c"].flags.writeable
    at, n = text_longer_than(every, "c", 4)  # bytes over the limit, characters not
    assert at.tolist() == [3, 4] and n.tolist() == [6, 5]
    some = every.take(np.array([True, False, True, False, True]))
    assert some["c"].tolist() == ["ab", "\u00e9" * 4, "\u2019" * 5]
    assert some.arrow("c").to_pylist() == some["c"].tolist()
    at, n = text_longer_than(some, "c", 4)
    assert at.tolist() == [2] and n.tolist() == [5]
    plain = {"c": np.array(["ab", None, "abcdef"], dtype=object)}
    assert [x.tolist() for x in text_longer_than(plain, "c", 4)] == [[2], [6]]
