"""Grouped statistics (:class:`~aspire_models.stats.moments.Moments`) against a plain
per-group computation: summed in blocks of rows merged pairwise, and counted from the
levels of a discrete variable."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from aspire_models.stats import moments
from aspire_models.stats.moments import Discrete, Moments


def naive(values: np.ndarray[Any, Any], codes: np.ndarray[Any, Any], n_groups: int) -> dict[str, np.ndarray[Any, Any]]:
    """n, mean, M2, min and max per group and variable, one group at a time."""
    k = values.shape[1]
    out = {f: np.full((n_groups, k), np.nan) for f in ("n", "mean", "m2", "min", "max")}
    for g in range(n_groups):
        for j in range(k):
            x = values[codes == g, j]
            x = x[~np.isnan(x)]
            out["n"][g, j] = len(x)
            out["m2"][g, j] = 0.0
            if len(x):
                out["mean"][g, j] = x.mean()
                out["m2"][g, j] = ((x - x.mean()) ** 2).sum()
                out["min"][g, j], out["max"][g, j] = x.min(), x.max()
    return out


def check(m: Moments, expected: dict[str, np.ndarray[Any, Any]]) -> None:
    np.testing.assert_array_equal(m.n, expected["n"])
    np.testing.assert_array_equal(m.min, expected["min"])
    np.testing.assert_array_equal(m.max, expected["max"])
    np.testing.assert_allclose(m.mean, expected["mean"], rtol=1e-12, atol=1e-9)
    np.testing.assert_allclose(m.m2, expected["m2"], rtol=1e-9, atol=1e-6)


#: rows x variables of values in a modest range, some missing
VALUES = arrays(
    np.float64,
    st.tuples(st.integers(1, 80), st.integers(1, 4)),
    elements=st.one_of(st.floats(-1e3, 1e3), st.just(np.nan)),
)


@given(VALUES, st.data())
def test_aggregation_over_any_split_equals_whole(values: np.ndarray[Any, Any], data: st.DataObject) -> None:
    """Statistics of parts of the rows, merged, are those of all the rows (what lets chunks,
    Dask partitions and Spark tasks be combined)."""
    n = len(values)
    groups = data.draw(arrays(np.int64, n, elements=st.integers(0, 4)))
    cuts = sorted(data.draw(st.lists(st.integers(0, n), max_size=4)))
    whole = Moments.grouped(values, groups, 5)
    merged = Moments.empty(5, values.shape[1])
    for a, b in itertools.pairwise([0, *cuts, n]):
        merged = merged.merge(Moments.grouped(values[a:b], groups[a:b], 5))
    np.testing.assert_array_equal(merged.n, whole.n)
    np.testing.assert_array_equal(merged.min, whole.min)
    np.testing.assert_array_equal(merged.max, whole.max)
    np.testing.assert_allclose(merged.mean, whole.mean, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(merged.m2, whole.m2, rtol=1e-9, atol=1e-6)


@given(VALUES, st.data(), st.integers(1, 9))
def test_summed_in_blocks_equals_per_group(values: np.ndarray[Any, Any], data: st.DataObject, block: int) -> None:
    groups = data.draw(arrays(np.int32, len(values), elements=st.integers(0, 4)))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(moments, "_ROWS_PER_BLOCK", block)  # many blocks, merged pairwise
        m = Moments.grouped(values, groups, 6)  # group 5 never appears
    check(m, naive(values, groups, 6))


@given(st.data(), st.integers(1, 300), st.integers(1, 40))
def test_counted_levels_equal_summed_values(data: st.DataObject, rows: int, width: int) -> None:
    distinct = np.unique(data.draw(arrays(np.float64, width, elements=st.floats(-50, 50))))
    values = np.append(distinct, np.nan)  # the last level is missing
    seed = data.draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    levels = rng.integers(0, len(values), rows).astype(np.uint8)
    groups = rng.integers(0, 5, rows).astype(np.int32)
    counted = Moments.of_columns(lambda j: Discrete(levels, values), groups, 6, 1)
    check(counted, naive(values[levels][:, None], groups, 6))
    summed = Moments.of_columns(lambda j: values[levels], groups, 6, 1)
    check(summed, naive(values[levels][:, None], groups, 6))


def test_a_group_with_only_missing_values_has_no_statistics() -> None:
    values = np.array([[np.nan], [1.0], [np.nan]])
    for m in (
        Moments.grouped(values, np.array([0, 1, 0]), 2),
        Moments.of_columns(lambda j: Discrete(np.array([1, 0, 1]), np.array([1.0, np.nan])), np.array([0, 1, 0]), 2, 1),
    ):
        assert m.n[:, 0].tolist() == [0, 1]
        assert np.isnan(m.mean[0, 0]) and np.isnan(m.min[0, 0]) and np.isnan(m.max[0, 0]) and m.m2[0, 0] == 0
        assert m.mean[1, 0] == 1.0 and np.isnan(m.sd[1, 0])
