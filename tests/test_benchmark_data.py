"""The benchmark's data generator: every invalid row it makes is rejected, and only those.

The benchmarks assert the accounting the generator expects; with many small blocks and a
high rate of invalid rows and of lenient spellings, every kind of invalid row meets every
other (a repeated id whose earlier row is itself invalid, a repeat in a block's first row,
invalid text in a cell also chosen for a lenient spelling), which a million rows at 0.1%
rarely show (ten million did).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from aspire_models import Registry
from aspire_models.responses import read_arrow, read_csv

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.fixture()
def generate(monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    import generate as module

    monkeypatch.setattr(module, "BLOCK", 500)
    yield module
    sys.modules.pop("generate", None)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_generated_rejections_are_exactly_the_expected_ones(generate, tmp_path: Path, seed: int) -> None:  # type: ignore[no-untyped-def]
    # lenient spellings in 5% of cells: invalid text cells land on some of them
    spec = generate.Spec(respondents=6_000, organisations=40, invalid=0.05, seed=seed, lenient=0.05)
    expected = generate.expected(spec)
    ins = Registry(entry_points=False).load_instrument(generate.INSTRUMENT)
    path = tmp_path / "r.csv"
    generate.write_csv(path, spec)
    from_csv = read_csv(path, ins)
    from_arrow = read_arrow(generate.arrow_table(spec), ins)
    for rs in (from_csv, from_arrow):
        assert (rs.n_input, rs.n_accepted, rs.n_rejected) == (expected.input, expected.accepted, expected.rejected)
    assert from_csv.rows.tolist() == from_arrow.rows.tolist()
