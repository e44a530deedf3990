"""The fast paths give the same answers as the general ones.

* A plain CSV file (no quote characters) is split with numpy (:mod:`aspire_models.formats._csvsplit`);
  every file is read exactly as Arrow's CSV reader reads it.
* Answers on whole-number scales are stored as one-byte codes
  (:class:`~aspire_models.responses.AnswerMatrix`); scores are the same as from float64.
* The fingerprint of an in-memory table is exact: it changes when any cell changes, even a
  cell that breaks a rule, and not when only the column type does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aspire_models import Registry, responses
from aspire_models.examples import example_path
from aspire_models.formats import _csvsplit, codec
from aspire_models.formats import csv as csv_reader
from aspire_models.responses import AnswerMatrix, ResponseSet
from aspire_models.scorers.aggregate import gap_levels, gap_pairs, moments_with_gaps
from aspire_models.scorers.dimensions import dimension_scores

ROOT = Path(__file__).resolve().parents[1]
HEADER = ["respondent_id", "organisation", "leadership.now", "leadership.future", "alignment.now", "hr-tools-used"]
ANSWERS = st.sampled_from(["", "1", "7", "10", "11", "0", "00", "07", " 7 ", "7.0", "7.5", "seven", "99", "-1", "1e1"])


# the inputs here hold a few answer columns only: the readers are told that is allowed
def read_csv(path: Path, instrument: Any, **options: Any) -> ResponseSet:
    return csv_reader.read_csv(path, instrument, allow_missing_items=True, **options)


def read_arrow(table: pa.Table, instrument: Any, **options: Any) -> ResponseSet:
    return responses.read_arrow(table, instrument, allow_missing_items=True, **options)


def arrow_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(csv_reader, "_read_plain", lambda *a, **k: None)


def same(a: ResponseSet, b: ResponseSet) -> None:
    assert (a.n_input, a.n_accepted, a.n_rejected) == (b.n_input, b.n_accepted, b.n_rejected)
    assert [r.to_dict() for r in a.rejected] == [r.to_dict() for r in b.rejected]
    assert a.rows.tolist() == b.rows.tolist()
    assert a.respondent_id.tolist() == b.respondent_id.tolist()
    assert a.organisation.labels == b.organisation.labels
    assert a.organisation.codes.tolist() == b.organisation.codes.tolist()
    np.testing.assert_array_equal(a.numeric, b.numeric)
    assert {k: v.tolist() for k, v in a.multi.items()} == {k: v.tolist() for k, v in b.multi.items()}
    assert a.digest == b.digest


@st.composite
def plain_csv(draw: Any) -> str:
    rows = draw(st.integers(1, 30))
    lines = [",".join(HEADER)]
    for _ in range(rows):
        rid = draw(st.sampled_from(["a", "b", "c", "d", "e", "f", "", " g "]))
        org = draw(st.sampled_from(["C1", "C2", "", " C3 "]))
        cells = [draw(ANSWERS) for _ in range(3)]
        tools = draw(st.sampled_from(["", "employee-relations", "astrology", "employee-relations;astrology"]))
        lines.append(",".join([rid, org, *cells, tools]))
    ending = draw(st.sampled_from(["\n", "\r\n"]))
    return ending.join(lines) + draw(st.sampled_from([ending, ""]))


@given(text=plain_csv())
def test_numpy_csv_split_reads_as_arrow_does(core: Registry, text: str) -> None:
    sop = core.instrument("aspire-sop-self-assessment")
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "r.csv"
        p.write_bytes(text.encode())
        fast = read_csv(p, sop)
        with pytest.MonkeyPatch.context() as mp:
            arrow_only(mp)
            slow = read_csv(p, sop)
    same(fast, slow)


def test_the_numpy_split_is_taken_for_plain_files_only(core: Registry, tmp_path: Path) -> None:
    sop = core.instrument("aspire-sop-self-assessment")
    names = HEADER
    plain = tmp_path / "plain.csv"
    plain.write_text(",".join(names) + "\na,C1,7,9,1,\n")
    quoted = tmp_path / "quoted.csv"
    quoted.write_text(",".join(names) + '\na,"C1",7,9,1,\n')
    ragged = tmp_path / "ragged.csv"
    ragged.write_text(",".join(names) + "\na,C1,7,9,1,\nb,C1,7\n")
    blank = tmp_path / "blank.csv"
    blank.write_text(",".join(names) + "\na,C1,7,9,1,\n\nb,C1,7,9,1,\n")
    data = plain.read_bytes()
    assert _csvsplit.blocks(data, data.find(b"\n") + 1, 1 << 20) is not None
    assert _csvsplit.blocks(quoted.read_bytes(), 0, 1 << 20) is None
    raw = np.frombuffer(ragged.read_bytes(), dtype=np.uint8)
    assert _csvsplit.split(raw[raw.tolist().index(10) + 1 :], len(names), ord(",")) is None
    raw = np.frombuffer(blank.read_bytes(), dtype=np.uint8)
    assert _csvsplit.split(raw[raw.tolist().index(10) + 1 :], len(names), ord(",")) is None
    # and each is still read, by Arrow's reader, with nothing lost
    assert read_csv(ragged, sop).n_input == 2 and read_csv(ragged, sop).n_rejected == 1
    assert read_csv(blank, sop).n_accepted == 2
    assert read_csv(quoted, sop).organisation.labels == ("C1",)


def test_blocks_of_a_large_file_are_cut_at_line_ends(
    core: Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sop = core.instrument("aspire-sop-self-assessment")
    monkeypatch.setattr(csv_reader, "_SPLIT_BLOCK", 64)  # many small blocks
    lines = [",".join(HEADER)] + [
        f"r{i},C{i % 3},{i % 10 + 1},{(i * 7) % 12},{i % 11},employee-relations" for i in range(500)
    ]
    p = tmp_path / "many.csv"
    p.write_text("\n".join(lines) + "\n")
    fast = read_csv(p, sop)
    arrow_only(monkeypatch)
    same(fast, read_csv(p, sop))
    assert fast.n_input == 500


# ---------------------------------------------------------------------------------------
# one-byte answer codes
# ---------------------------------------------------------------------------------------
def test_answers_on_a_rating_scale_are_one_byte_codes(core: Registry) -> None:
    rs = read_csv(example_path("aspire-sop-responses.csv"), core.instrument("aspire-sop-self-assessment"))
    assert rs.answers.coded and rs.answers.data.dtype == np.uint8
    assert rs.numeric.dtype == np.float64 and not rs.numeric.flags.writeable
    assert set(np.unique(rs.answers.data).tolist()) <= set(range(0, 11))


@pytest.mark.parametrize(
    ("instrument", "example"),
    [
        ("aspire-sop-self-assessment", "aspire-sop-responses.csv"),
        ("hrbp360-review", "hrbp360-responses.csv"),
        ("innovation-adoption-survey", "innovation-adoption.csv"),
    ],
)
def test_codes_and_floats_score_alike(
    core: Registry, monkeypatch: pytest.MonkeyPatch, instrument: str, example: str
) -> None:
    from aspire_models import score

    coded = score(core, instrument, example_path(example))
    monkeypatch.setattr(codec, "coded_scale", lambda scale: False)
    floats = score(core, instrument, example_path(example))
    assert coded.to_json() == floats.to_json()


BENCH = ROOT / "benchmarks" / "bench-instrument.json"


@given(
    seed=st.integers(0, 2**32 - 1),
    rows=st.integers(1, 300),
    missing=st.floats(0.0, 0.9),
    min_answered=st.sampled_from([0.5, 1, 2, 0.9]),
    method=st.sampled_from(["mean", "sum"]),
)
def test_dimension_scores_from_codes_equal_scores_from_values(
    core: Registry, seed: int, rows: int, missing: float, min_answered: float, method: str
) -> None:
    ins = core.load_instrument(BENCH)  # reverse-keyed items, now/future modes
    rng = np.random.default_rng(seed)
    m = len(ins.numeric_columns())
    codes = rng.integers(1, 11, (rows, m)).astype(np.uint8)  # scale 1-10: code k is value k
    codes[rng.random((rows, m)) < missing] = 0
    matrix = AnswerMatrix(np.asfortranarray(codes), np.ones(m))
    values = np.where(codes == 0, np.nan, codes.astype(np.float64))
    a = dimension_scores(ins, matrix, method=method, min_answered=min_answered)
    b = dimension_scores(ins, values, method=method, min_answered=min_answered)
    np.testing.assert_array_equal(a.scores, b.scores)
    np.testing.assert_array_equal(a.answered, b.answered)
    np.testing.assert_array_equal(matrix.values(), values)
    # the scores from codes are also discrete: each score is its level's value, bit for bit
    assert len(a.discrete) == a.scores.shape[1] and all(x is not None for x in a.discrete)
    for j, x in enumerate(a.discrete):
        assert x is not None
        np.testing.assert_array_equal(x.values[x.levels], a.scores[:, j])
        assert np.isnan(x.values[-1]) and np.all(np.diff(x.values[:-1]) > 0)  # distinct, NaN last
    assert b.discrete == () or all(x is None for x in b.discrete)


@given(
    seed=st.integers(0, 2**32 - 1),
    rows=st.integers(1, 400),
    missing=st.floats(0.0, 0.9),
    groups=st.integers(1, 12),
    min_answered=st.sampled_from([0.5, 1, 3]),
    method=st.sampled_from(["mean", "sum"]),
)
def test_counted_moments_equal_summed_moments(
    core: Registry, seed: int, rows: int, missing: float, groups: int, min_answered: float, method: str
) -> None:
    """Organisation statistics counted from discrete scores and gaps (histograms of levels)
    are those summed from the float scores: the same counts, minima and maxima exactly,
    means and M2 to rounding."""
    ins = core.load_instrument(BENCH)
    rng = np.random.default_rng(seed)
    m = len(ins.numeric_columns())
    codes = rng.integers(1, 11, (rows, m)).astype(np.uint8)
    codes[rng.random((rows, m)) < missing] = 0
    dims = dimension_scores(
        ins, AnswerMatrix(np.asfortranarray(codes), np.ones(m)), method=method, min_answered=min_answered
    )
    org = rng.integers(0, groups, rows).astype(np.int32)
    pairs = gap_pairs(dims, "now", "future")
    counted = moments_with_gaps(dims, pairs, org, groups + 1)  # the last group is empty
    summed = moments_with_gaps(attrs.evolve(dims, scores=np.array(dims.scores), discrete=()), pairs, org, groups + 1)
    np.testing.assert_array_equal(counted.n, summed.n)
    np.testing.assert_array_equal(counted.min, summed.min)
    np.testing.assert_array_equal(counted.max, summed.max)
    np.testing.assert_allclose(counted.mean, summed.mean, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(counted.m2, summed.m2, rtol=1e-9, atol=1e-9)
    for now, future in pairs:  # a gap's levels give the float difference, bit for bit
        a, b = dims.discrete[now], dims.discrete[future]
        assert a is not None and b is not None
        gap = gap_levels(a, b)
        assert gap is not None
        np.testing.assert_array_equal(gap.values[gap.levels], dims.scores[:, future] - dims.scores[:, now])


# ---------------------------------------------------------------------------------------
# in-memory fingerprints
# ---------------------------------------------------------------------------------------
def _table(cells: dict[str, list[Any]], typ: pa.DataType | None = None) -> pa.Table:
    typ = typ or pa.float64()
    return pa.table(
        {
            "respondent_id": pa.array(["a", "b"]),
            "organisation": pa.array(["C1", "C1"]),
            **{k: pa.array(v, type=typ) for k, v in cells.items()},
        }
    )


def test_fingerprint_is_exact_even_for_broken_cells(core: Registry) -> None:
    sop = core.instrument("aspire-sop-self-assessment")
    d = [read_arrow(_table({"leadership.now": [7, v]}), sop) for v in (11.0, 12.0, 11.5, 7.0)]
    assert d[0].n_rejected == d[1].n_rejected == d[2].n_rejected == 1 and d[3].n_rejected == 0
    assert len({r.digest for r in d}) == 4  # 11, 12 and 11.5 are all coded 'broken': still told apart
    as_int = read_arrow(_table({"leadership.now": [7, 11]}, pa.int64()), sop)
    assert as_int.digest == d[0].digest  # the same numbers, another column type
    frame = responses.read_frame(
        pd.DataFrame({"respondent_id": ["a", "b"], "organisation": ["C1", "C1"], "leadership.now": [7.0, 11.0]}),
        sop,
        allow_missing_items=True,
    )
    assert frame.digest == d[0].digest


@given(
    st.lists(st.none() | st.text(alphabet=st.sampled_from("ab7 \t\r\n\u00a0\u2003\u3000é\x1f"), max_size=6), max_size=8)
)
def test_trimming_is_skipped_only_when_it_changes_nothing(texts: list[str | None]) -> None:
    import pyarrow.compute as pc

    from aspire_models._columnar import may_need_trimming

    arr = pa.array(texts, type=pa.string())
    if not may_need_trimming(arr):
        assert pc.utf8_trim_whitespace(arr).to_pylist() == texts


def test_identifier_length_rule_still_counts_characters(core: Registry) -> None:
    sop = core.instrument("aspire-sop-self-assessment")
    ids = ["a" * 200, "é" * 150, "b" * 201]  # 200 characters; 150 characters in 300 bytes; 201
    rs = read_arrow(
        pa.table({"respondent_id": ids, "organisation": ["C1"] * 3, "leadership.now": [1.0, 2.0, 3.0]}), sop
    )
    assert [(r.row, [p.rule for p in r.problems]) for r in rs.rejected] == [(3, ["maxLength"])]


def test_missing_scores_are_counted_while_scoring(core: Registry) -> None:
    ins = core.load_instrument(BENCH)
    rng = np.random.default_rng(7)
    values = rng.integers(1, 11, (5_000, len(ins.numeric_columns()))).astype(np.float64)
    values[rng.random(values.shape) < 0.6] = np.nan
    for data in (
        values,
        AnswerMatrix(np.asfortranarray(np.nan_to_num(values).astype(np.uint8)), np.ones(values.shape[1])),
    ):
        dims = dimension_scores(ins, data, min_answered=2)
        assert dims.missing == int(np.isnan(dims.scores).sum()) > 0
