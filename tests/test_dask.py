"""Partition-wise scoring on a local Dask cluster equals the single-process engine."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from aspire_models import Registry, Result, score

dd = pytest.importorskip("dask.dataframe")

from aspire_models.dask import score_dask  # noqa: E402

SOP = "aspire-sop-self-assessment"


def responses_frame(n: int = 1200, seed: int = 7) -> pd.DataFrame:
    """Synthetic answers for the Aspire self-assessment, with invalid rows of every kind,
    including ids repeated across partitions and blank organisations."""
    rng = np.random.default_rng(seed)
    ins = Registry(entry_points=False).instrument(SOP)
    cols = [c.name for c in ins.numeric_columns()]
    data: dict[str, Any] = {
        "respondent_id": [f"r{i:05d}" for i in range(n)],
        "organisation": [f"Council {k}" for k in rng.integers(0, 9, n)],
    }
    for c in ins.columns():  # every answer column is there (a missing one is an error): unanswered
        if c.kind == "multi-select":
            data[c.name] = [None] * n
    for c in cols:
        v = rng.integers(1, 11, n).astype(float)
        v[rng.random(n) < 0.05] = np.nan
        data[c] = v
    df = pd.DataFrame(data)
    df.loc[17, cols[0]] = 11.0  # out of range
    df.loc[300, cols[3]] = 6.5  # not whole
    df.loc[450, "organisation"] = None  # blank organisation
    df.loc[451, "respondent_id"] = None  # blank id
    for later, first in ((999, 12), (1100, 12), (640, 5), (641, 640), (20, 19)):  # repeats, across partitions too
        df.loc[later, "respondent_id"] = df.loc[first, "respondent_id"]
    df.loc[800, "respondent_id"] = " r00005 "  # the same id once trimmed
    return df


def by_key(result: Result, table: str, keys: tuple[str, ...]) -> dict[tuple[Any, ...], dict[str, Any]]:
    return {tuple(r[k] for k in keys): r for r in result.table("aggregate", table).rows()}


def assert_same(single: Result, parts: Result) -> None:
    assert parts.accounting == single.accounting
    assert [(r.row, [(p.rule, p.field, p.value, p.record) for p in r.problems]) for r in parts.rejected] == [
        (r.row, [(p.rule, p.field, p.value, p.record) for p in r.problems]) for r in single.rejected
    ]
    for table, keys in (("organisations", ("organisation", "element", "mode")), ("sector", ("element", "mode"))):
        a, b = by_key(single, table, keys), by_key(parts, table, keys)
        assert a.keys() == b.keys()
        for k, row in a.items():
            for col, value in row.items():
                other = b[k][col]
                if isinstance(value, float):
                    assert other == pytest.approx(value, rel=1e-12, abs=1e-12), (table, k, col)
                else:
                    assert other == value, (table, k, col)


@pytest.fixture(scope="module")
def client() -> Any:
    """A local cluster of two workers (``distributed``); without it, Dask's thread pool."""
    try:
        import distributed
    except ImportError:
        import dask

        with dask.config.set(scheduler="threads", num_workers=2):
            yield None
        return
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None)
    with distributed.Client(cluster) as c:
        yield c
    cluster.close()


@pytest.mark.parametrize("npartitions", [1, 4, 7])
def test_partitions_give_the_single_process_result(client: Any, core: Registry, npartitions: int) -> None:
    df = responses_frame()
    single = score(core, SOP, df, scorers=["dimension-scores", "aggregate"])
    parts = score_dask(core, SOP, dd.from_pandas(df, npartitions=npartitions), respondents=True)
    assert single.accounting.rejected == 10
    assert_same(single, parts)
    a = single.frame("dimension-scores", "respondent-scores")
    b = parts.frame("dimension-scores", "respondent-scores")
    pd.testing.assert_frame_equal(a, b, check_dtype=False)


def test_respondent_scores_stay_in_the_partitions_by_default(client: Any, core: Registry) -> None:
    parts = score_dask(core, SOP, dd.from_pandas(responses_frame(), npartitions=3))
    assert [o.scorer for o in parts.outputs] == ["aggregate"]
    assert parts.accounting.input == 1200
