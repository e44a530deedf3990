"""Benchmark percentile ranks with exact ties, the same with and without a norm table built
from the same data, and a warning when the reference group is too small to rank against."""

from __future__ import annotations

import io
import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aspire_models import Registry, score
from aspire_models.cli import main
from aspire_models.scorers.benchmark import _quartile, build_norms
from aspire_models.stats.ties import SMALL_REFERENCE, average_ranks, exact_mean, midrank_percentile

ULRICH = "ulrich-hr-competency-self-assessment"  # three items per dimension: scores in thirds
RESPONDENTS = 5  # per organisation (at least the default minimum group size)


def _records(ins: Any, answers: dict[str, np.ndarray]) -> list[dict[str, Any]]:
    """One record per respondent; ``answers[org]`` is respondents x numeric columns."""
    cols = [c.name for c in ins.numeric_columns()]
    other = [c.name for c in ins.columns() if c.kind != "numeric"]
    out = []
    for org, a in answers.items():
        for r, row in enumerate(a):
            out.append(
                {"respondent_id": f"{org}-{r}", "organisation": org}
                | dict.fromkeys(other, "")
                | {c: int(v) for c, v in zip(cols, row, strict=True)}
            )
    return out


def _others(ins: Any, n_orgs: int, seed: int = 11) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    width = len(ins.numeric_columns())
    return {f"Other {i:02d}": rng.integers(1, 6, size=(RESPONDENTS, width)) for i in range(n_orgs)}


def _benchmark(reg: Registry, ins: Any, records: list[dict[str, Any]], norms: Any = None) -> Any:
    return score(reg, ins, records, scorers=["benchmark"], params={"benchmark": {"norms": norms, "min_answered": 1}})


def _norms(reg: Registry, ins: Any, records: list[dict[str, Any]]) -> dict[str, Any]:
    agg = score(reg, ins, records, scorers=["aggregate"], params={"aggregate": {"min_answered": 1}})
    return build_norms(
        {"rows": agg.table("aggregate", "organisations").rows()},
        norms_id="same-data",
        version="1",
        title="Built from the same data",
        instrument_id=ins.id,
        instrument_version=ins.version,
        instrument=ins,
    )


# -- pure: exact means, mid-ranks, quartiles ------------------------------------------------
sums_counts = st.lists(st.tuples(st.integers(0, 500), st.integers(1, 60)), min_size=1, max_size=12)


@settings(max_examples=200, deadline=None)
@given(base=sums_counts, factor=st.integers(2, 9), data=st.data())
def test_equal_sum_count_ratios_get_identical_percentile_and_quartile(
    base: list[tuple[int, int]], factor: int, data: st.DataObject
) -> None:
    """Organisations whose means are the same fraction (s/n and ks/kn) tie exactly, however
    their floating-point means were computed (here: scores in thirds summed in two orders)."""
    orgs = base + [(s * factor, n * factor) for s, n in base]

    def float_mean(s: int, n: int, order: int) -> float:
        # n scores in thirds summing to s/3: the float sum depends on the order of the scores
        q, r = divmod(s, n)
        scores = [(q + (1 if i < r else 0)) / 3 for i in range(n)]
        if order:
            scores.reverse()
        total = 0.0
        for v in scores:
            total += v
        return total / n

    means = [float_mean(s, n, i % 2) for i, (s, n) in enumerate(orgs)]
    exact = [exact_mean(m, n, 3) for m, (_, n) in zip(means, orgs, strict=True)]
    assert all(e.exact for e in exact)
    assert [e.value for e in exact] == [Fraction(s, 3 * n) for s, n in orgs]
    reference = [e.value for e in exact]
    pct = [midrank_percentile(v, reference) for v in reference]
    for i in range(len(base)):
        j = len(base) + i  # the same ratio, a different count
        assert pct[i] == pct[j]
        assert _quartile(pct[i]) == _quartile(pct[j])
    ranks = average_ranks(reference)
    for i in range(len(base)):
        assert ranks[i] == ranks[len(base) + i]


def test_percentile_counts_half_of_the_ties() -> None:
    ref = [Fraction(313, 54), Fraction(626, 108), Fraction(1, 2), Fraction(7)]
    assert midrank_percentile(Fraction(313, 54), ref) == 50.0  # 1 below, 2 equal: (1 + 1) / 4
    assert midrank_percentile(Fraction(7), ref) == 87.5


def test_exact_mean_falls_back_to_the_float_when_it_cannot_be_made_exact() -> None:
    assert not exact_mean(0.1234567, 10, 3).exact  # not a multiple of 1/30
    assert not exact_mean(2.5, 4, None).exact
    assert exact_mean(2.5, 4, None).value == Fraction(5, 2)  # the float's own value
    with pytest.raises(ValueError):
        exact_mean(float("nan"), 3, 1)


# -- through the scorer -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def ulrich(core: Registry) -> Any:
    return core.instrument(ULRICH)


def _shuffled(mat: np.ndarray, perms: list[list[int]]) -> np.ndarray:
    """``mat`` with each item's answers moved between respondents (``perms[j]`` for column
    ``j``): every item keeps its total, so every dimension keeps its exact mean (reverse keying
    included), while respondents get other scores (so the float mean may differ in its last
    bits)."""
    out = mat.copy()
    for j, perm in enumerate(perms):
        out[:, j] = mat[np.asarray(perm), j]
    return out


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), data=st.data())
def test_scorer_ties_equal_means_with_and_without_norms(
    core: Registry, ulrich: Any, seed: int, data: st.DataObject
) -> None:
    """Organisation B holds A's answers moved between respondents item by item: the same sums,
    so the same mean. They get the same percentile and quartile; and every organisation gets
    the same against a norm table built from the same data as against the data."""
    width = len(ulrich.numeric_columns())
    mat = np.random.default_rng(seed).integers(1, 6, size=(RESPONDENTS, width))
    n_dims = len({ulrich.item(c.item).element for c in ulrich.numeric_columns()})
    perms = [data.draw(st.permutations(range(RESPONDENTS))) for _ in range(width)]
    answers = {"Org A": mat, "Org B": _shuffled(mat, perms)} | _others(ulrich, 8)
    records = _records(ulrich, answers)
    plain = _benchmark(core, ulrich, records).frame("benchmark", "benchmarks")
    by = plain.set_index(["organisation", "element"])
    for element in set(plain.element):
        a_row, b_row = by.loc[("Org A", element)], by.loc[("Org B", element)]
        assert a_row.percentile_rank == b_row.percentile_rank
        assert a_row.quartile == b_row.quartile
    with_norms = _benchmark(core, ulrich, records, _norms(core, ulrich, records)).frame("benchmark", "benchmarks")
    key = ["organisation", "element", "mode"]
    merged = plain.merge(with_norms, on=key, suffixes=("", "_norms"))
    assert len(merged) == len(plain) == 10 * n_dims
    assert (merged.percentile_rank == merged.percentile_rank_norms).all()
    assert (merged.quartile == merged.quartile_norms).all()
    assert (merged.reference_n == merged.reference_n_norms).all()


def test_same_total_over_54_respondents(core: Registry, ulrich: Any) -> None:
    """Two organisations of 54 respondents with the same answers arranged differently: the
    same mean in every dimension (here their float means differ in the last bits), the same
    percentile rank and quartile."""
    width = len(ulrich.numeric_columns())
    a = np.random.default_rng(3).integers(1, 6, size=(54, width))
    perms = [list(np.random.default_rng(104 + j).permutation(54)) for j in range(width)]
    b = _shuffled(a, perms)
    records = _records(ulrich, {"Org A": a, "Org B": b} | _others(ulrich, 9, seed=5))
    agg = score(core, ulrich, records, scorers=["aggregate"], params={"aggregate": {"min_answered": 1}})
    means = agg.frame("aggregate", "organisations").set_index(["organisation", "element"])["mean"]
    differ = [e for e in set(agg.frame("aggregate", "organisations").element) if means["Org A", e] != means["Org B", e]]
    t = _benchmark(core, ulrich, records).frame("benchmark", "benchmarks").set_index(["organisation", "element"])
    for element in set(t.index.get_level_values("element")):
        assert t.loc[("Org A", element), "percentile_rank"] == t.loc[("Org B", element), "percentile_rank"]
        assert t.loc[("Org A", element), "quartile"] == t.loc[("Org B", element), "quartile"]
    assert differ  # the case that bit-identical comparison got wrong is in this data


def test_small_reference_group_is_warned(core: Registry, ulrich: Any, tmp_path: Path) -> None:
    few = _records(ulrich, _others(ulrich, 4))
    r = _benchmark(core, ulrich, few)
    out = r.output("benchmark")
    assert out.summary["warnings"] and all(f"fewer than {SMALL_REFERENCE}" in w for w in out.summary["warnings"])
    assert "only 4 organisations" in out.notes[0]
    many = _benchmark(core, ulrich, _records(ulrich, _others(ulrich, SMALL_REFERENCE)))
    assert many.output("benchmark").summary["warnings"] == []
    # the command says so too
    csv = tmp_path / "few.csv"
    header = list(few[0])
    csv.write_text(
        ",".join(header) + "\n" + "".join(",".join(str(rec[h]) for h in header) + "\n" for rec in few),
        encoding="utf-8",
    )
    text = io.StringIO()
    assert main(["--no-plugins", "benchmark", "-i", ULRICH, str(csv)], text) == 0
    assert "warning:" in text.getvalue() and "too few to rank against" in text.getvalue()


def test_norm_table_without_organisation_means_is_interpolated_and_says_so(core: Registry, ulrich: Any) -> None:
    records = _records(ulrich, _others(ulrich, 10))
    norms = _norms(core, ulrich, records)
    assert all(len(d["organisation_means"]) == d["n"] for d in norms["dimensions"])
    assert json.loads(json.dumps(norms)) == norms
    dims = [{k: v for k, v in d.items() if k != "organisation_means"} for d in norms["dimensions"]]
    old = dict(norms, dimensions=dims)
    r = _benchmark(core, ulrich, records, old)
    assert any("interpolated" in w for w in r.output("benchmark").summary["warnings"])
