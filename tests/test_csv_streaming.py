"""Large CSV files are read block by block (:mod:`aspire_models.formats._csvscan`): never
all in memory, answers coded by one compiled pass, free-text columns left in the file until
asked for. Whatever the file, the result is the one the general reader gives; anything the
block reader does not take goes to the general reader."""

from __future__ import annotations

import json
import os
import pickle
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aspire_models import Registry
from aspire_models.errors import ResponseError
from aspire_models.formats import _csvscan
from aspire_models.formats import csv as csv_reader
from aspire_models.limits import Limits
from aspire_models.responses import DeferredText, ResponseSet, text_longer_than

pytestmark = pytest.mark.skipif(not _csvscan.available(), reason="numba is not installed")

HEADER = ["respondent_id", "organisation", "leadership.now", "leadership.future", "leadership-worked"]
ANSWERS = st.sampled_from(["", "1", "7", "10", "11", "0", " 7 ", "7.0", "7.5", "seven", '"7"', '""', '"1,5"', "-3"])
COMMENTS = st.sampled_from(
    [
        "",
        "fine",
        "a bit longer than eight",
        '""',
        '"a, b"',
        '"line one\nline two"',
        '"line one\r\nline two, too"',
        '"say ""hi"""',
        '""""',
        '"caf\u00e9 \u2019 \U0001f600"',
        "caf\u00e9",
        '"x,\n,y"',
    ]
)
#: what the block reader leaves to the general reader: stray quotes, a ragged row, a blank line
ODD = st.sampled_from(['a"b', '"a"b', '"', '"""', ' "a"', "x,extra", "\n"])


def read(path: Path, instrument: Any, stream: bool, **kw: Any) -> ResponseSet:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(csv_reader, "STREAM_MIN_BYTES", 0 if stream else 1 << 62)
        return csv_reader.read_csv(path, instrument, allow_missing_items=True, **kw)


def same(a: ResponseSet, b: ResponseSet) -> None:
    assert (a.n_input, a.n_accepted, a.n_rejected) == (b.n_input, b.n_accepted, b.n_rejected)
    assert [r.to_dict() for r in a.rejected] == [r.to_dict() for r in b.rejected]
    assert a.rows.tolist() == b.rows.tolist()
    assert a.respondent_id.tolist() == b.respondent_id.tolist()
    assert a.organisation.labels == b.organisation.labels
    assert a.organisation.codes.tolist() == b.organisation.codes.tolist()
    np.testing.assert_array_equal(a.numeric, b.numeric)
    assert {k: v.tolist() for k, v in a.text.items()} == {k: v.tolist() for k, v in b.text.items()}
    for name in b.text:
        for limit in (0, 3, 8, 100):
            got, want = text_longer_than(a.text, name, limit), text_longer_than(b.text, name, limit)
            assert got[0].tolist() == want[0].tolist() and got[1].tolist() == want[1].tolist()
    assert a.digest == b.digest
    assert a.warnings == b.warnings


@st.composite
def csv_text(draw: Any) -> tuple[bytes, str]:
    rows = draw(st.integers(1, 30))
    delimiter = draw(st.sampled_from([",", ",", ";", "\t"]))
    lines = [delimiter.join(HEADER)]
    odd = draw(st.booleans()) and draw(st.integers(0, rows - 1))
    for i in range(rows):
        rid = draw(st.sampled_from(["a", "b", "c", "d", '"e"', "", '"f,g"', " h "]))
        org = draw(st.sampled_from(["C1", '"C1"', '"C2, North"', "", "Caf\u00e9"]))
        comment = draw(ODD) if odd is not False and i == odd else draw(COMMENTS)
        answers = [draw(ANSWERS), draw(ANSWERS)]
        if delimiter != ",":
            answers = [a.replace('"1,5"', "1,5") if delimiter == ";" else a for a in answers]
        lines.append(delimiter.join([rid, org, *answers, comment]))
    ending = draw(st.sampled_from(["\n", "\r\n"]))
    text = ending.join(lines) + draw(st.sampled_from([ending, ""]))
    bom = draw(st.sampled_from([b"", b"\xef\xbb\xbf"]))
    return bom + text.encode(), delimiter


@settings(max_examples=200, deadline=None)
@given(
    case=csv_text(),
    piece=st.sampled_from([8, 64, 200, 1 << 20]),
    rows=st.sampled_from([1, 3, 1 << 15]),
    listed=st.sampled_from([1, 2, 1 << 14]),
    sub=st.sampled_from([1, 5, 1 << 18]),
)
def test_the_block_reader_reads_as_the_general_reader(
    core: Registry, case: tuple[bytes, str], piece: int, rows: int, listed: int, sub: int
) -> None:
    data, _ = case
    sop = core.instrument("aspire-sop-self-assessment")
    limits = Limits(max_text_length=8)  # texts over 8 characters are listed as they are read
    with tempfile.TemporaryDirectory() as d, pytest.MonkeyPatch.context() as mp:
        p = Path(d) / "r.csv"
        p.write_bytes(data)
        # small pieces: records across pieces and longer than a piece; few rows and listed cells
        # per call of the compiled loop: every early stop taken
        mp.setattr(_csvscan, "PIECE", piece)
        mp.setattr(_csvscan, "_ROWS", rows)
        mp.setattr(_csvscan, "_LISTED", listed)
        mp.setattr(_csvscan, "_SUB", sub)  # bytes read (hashed, quotes counted) at a time
        try:
            slow = read(p, sop, stream=False, limits=limits)
        except ResponseError as exc:  # both readers refuse alike
            with pytest.raises(ResponseError) as got:
                read(p, sop, stream=True, limits=limits)
            assert [x.to_dict() for x in got.value.problems] == [x.to_dict() for x in exc.problems]
            return
        fast = read(p, sop, stream=True, limits=limits)
        same(fast, slow)


def test_text_stays_in_the_file_until_asked_for(core: Registry, tmp_path: Path, monkeypatch: Any) -> None:
    sop = core.instrument("aspire-sop-self-assessment")
    lines = [",".join(HEADER)] + [f'r{i},C{i % 3},{i % 10 + 1},{i % 9 + 1},"one, two\nthree {i}"' for i in range(300)]
    p = tmp_path / "big.csv"
    p.write_text("\n".join(lines) + "\n")
    monkeypatch.setattr(_csvscan, "PIECE", 256)
    rs = read(p, sop, stream=True)
    column = rs.text._arrays["leadership-worked"]  # type: ignore[attr-defined]
    assert isinstance(column, DeferredText)  # not read into memory
    assert rs.text["leadership-worked"][7] == "one, two\nthree 7"
    assert column.cell(299) == "one, two\nthree 299"
    # it can travel (to a process pool) and be read there
    again = pickle.loads(pickle.dumps(column))
    assert again.arrow().to_pylist()[:2] == ["one, two\nthree 0", "one, two\nthree 1"]


def test_a_changed_file_is_not_read_for_its_text(core: Registry, tmp_path: Path) -> None:
    sop = core.instrument("aspire-sop-self-assessment")
    lines = [",".join(HEADER)] + [f"r{i},C1,1,2,comment {i}" for i in range(20)]
    p = tmp_path / "big.csv"
    p.write_text("\n".join(lines) + "\n")
    rs = read(p, sop, stream=True)
    p.write_text("\n".join(lines).replace("comment", "changed") + "\n")
    os.utime(p, ns=(1, 1))
    with pytest.raises(ResponseError) as got:
        rs.text.arrow("leadership-worked")
    assert got.value.problems[0].rule == "unchanged"
    assert "changed since it was read" in got.value.problems[0].message


def test_the_digest_is_the_files_sha256(core: Registry, tmp_path: Path, monkeypatch: Any) -> None:
    import hashlib

    sop = core.instrument("aspire-sop-self-assessment")
    lines = [",".join(HEADER)] + [f'r{i},C1,1,2,"a\nb {i}"' for i in range(200)]
    p = tmp_path / "big.csv"
    p.write_text("\n".join(lines) + "\n")
    monkeypatch.setattr(_csvscan, "PIECE", 100)
    rs = read(p, sop, stream=True)
    assert rs.digest == hashlib.sha256(p.read_bytes()).hexdigest()


def test_progress_moves_with_bytes_and_never_back(core: Registry, tmp_path: Path, monkeypatch: Any) -> None:
    sop = core.instrument("aspire-sop-self-assessment")
    lines = [",".join(HEADER)] + [f'r{i},C1,1,2,"a\nb {i}"' for i in range(200)]
    p = tmp_path / "big.csv"
    p.write_text("\n".join(lines) + "\nbad,C1,1,2,x,extra\n")  # a ragged row: read again, the general way
    monkeypatch.setattr(_csvscan, "PIECE", 300)
    calls: list[tuple[int, int]] = []
    rs = read(p, sop, stream=True, progress=lambda a, b: calls.append((a, b)))
    size = p.stat().st_size
    assert rs.n_input == 201 and rs.n_rejected == 1
    assert len(calls) > 3 and calls[-1] == (size, size)
    assert all(b == size for _, b in calls)
    assert [a for a, _ in calls] == sorted(a for a, _ in calls)


def test_small_or_encoded_files_take_the_general_reader(core: Registry, tmp_path: Path, monkeypatch: Any) -> None:
    sop = core.instrument("aspire-sop-self-assessment")
    seen: list[str] = []
    real = _csvscan.stream_csv

    def spy(*a: Any, **k: Any) -> Any:
        seen.append("stream")
        return real(*a, **k)

    monkeypatch.setattr(_csvscan, "stream_csv", spy)
    p = tmp_path / "r.csv"
    p.write_text(",".join(HEADER) + "\nr1,C1,1,2,fine\n")
    csv_reader.read_csv(p, sop, allow_missing_items=True)  # small: not streamed
    assert seen == []
    read(p, sop, stream=True, encoding="cp1252")  # another encoding: the general reader decodes it
    assert seen == []
    read(p, sop, stream=True)
    assert seen == ["stream"]


@settings(max_examples=60, deadline=None)
@given(
    cells=st.lists(
        st.tuples(
            st.sampled_from(["", "1", "3", "5", "6", "10", "0", " 4 ", "4.0", "x"]),
            st.sampled_from(["", "2", "9", "11", "7.5", "abc"]),
        ),
        min_size=1,
        max_size=25,
    ),
    piece=st.sampled_from([16, 1 << 20]),
)
def test_answers_on_several_scales(core: Registry, cells: list[tuple[str, str]], piece: int) -> None:
    """Each answer column is coded, checked and named on its own scale."""
    doc = core.instrument("aspire-sop-self-assessment").to_dict()
    doc["id"] = "two-scales"
    doc["scales"].append({"id": "five", "type": "numeric", "label": "1-5", "min": 1, "max": 5, "integer": True})
    doc["items"][1]["scale"] = "five"  # the second theme on a five-point scale
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "two.json"
        path.write_text(json.dumps(doc))
        instrument = core.load_instrument(path)
    assert len({c.scale for c in instrument.numeric_columns()}) == 2
    first, second = doc["items"][0]["id"], doc["items"][1]["id"]
    header = ["respondent_id", "organisation", f"{first}.now", f"{second}.now", f"{second}.future"]
    lines = [",".join(header)] + [f"r{i},C1,{a},{a},{b}" for i, (a, b) in enumerate(cells)]
    with tempfile.TemporaryDirectory() as d, pytest.MonkeyPatch.context() as mp:
        p = Path(d) / "r.csv"
        p.write_text("\n".join(lines) + "\n")
        mp.setattr(_csvscan, "PIECE", piece)
        same(read(p, instrument, stream=True), read(p, instrument, stream=False))
