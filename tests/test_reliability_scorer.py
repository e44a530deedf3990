"""Reliability through the engine, checked against an independent computation."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from aspire_models import Registry, score

ULRICH = "ulrich-hr-competency-self-assessment"


def _data(seed: int, n: int = 200, missing: float = 0.0) -> list[dict[str, object]]:
    reg = Registry(entry_points=False)
    ins = reg.instrument(ULRICH)
    rng = np.random.default_rng(seed)
    trait = rng.normal(0, 1, size=(n, 6))
    rows = []
    for r in range(n):
        rec: dict[str, object] = {"respondent_id": f"r{r}", "organisation": f"O{r % 4}"}
        for it in ins.items:
            j = [e.id for e in reg.framework("ulrich-hr-competencies").elements].index(it.element)
            v = int(np.clip(np.rint(3 + trait[r, j] + rng.normal(0, 0.8)), 1, 5))
            if it.reverse:
                v = 6 - v
            if rng.random() >= missing:
                rec[it.id] = v
        rows.append(rec)
    return rows


def _alpha_by_hand(items: pd.DataFrame) -> float:
    k = items.shape[1]
    complete = items.dropna()
    return k / (k - 1) * (1 - complete.var(ddof=1).sum() / complete.sum(axis=1).var(ddof=1))


def test_alpha_matches_independent_computation(core: Registry) -> None:
    rows = _data(1)
    r = score(core, ULRICH, rows, scorers=["reliability"])
    scales = r.frame("reliability", "scales").set_index("element")
    df = pd.DataFrame(rows)
    for element in scales.index:
        cols = [c for c in df.columns if c.startswith(element + "-")]
        items = df[cols].astype(float).copy()
        items[f"{element}-3"] = 6 - items[f"{element}-3"]  # reverse-keyed on 1..5
        assert scales.loc[element, "alpha"] == pytest.approx(_alpha_by_hand(items), rel=1e-10)
        item_rows = r.frame("reliability", "items")
        one = item_rows[item_rows.element == element].set_index("item")
        rest = items.sum(axis=1) - items[f"{element}-1"]
        assert one.loc[f"{element}-1", "r_drop"] == pytest.approx(items[f"{element}-1"].corr(rest), rel=1e-10)
        assert one.loc[f"{element}-1", "alpha_if_deleted"] == pytest.approx(
            _alpha_by_hand(items.drop(columns=f"{element}-1")), rel=1e-10
        )


def test_identical_items_alpha_is_one(core: Registry) -> None:
    rows = []
    for r in range(30):
        v = r % 5 + 1
        rec: dict[str, object] = {"respondent_id": str(r), "organisation": "O"}
        for i in (1, 2):
            rec[f"change-champion-{i}"] = v
        rec["change-champion-3"] = 6 - v  # reverse-keyed: identical after keying
        rows.append(rec)
    r = score(core, ULRICH, rows, scorers=["reliability"], allow_missing_items=True)  # one scale's items only
    s = r.frame("reliability", "scales").set_index("element")
    assert s.loc["change-champion", "alpha"] == pytest.approx(1.0)


@given(st.randoms(use_true_random=False))
def test_invariant_to_respondent_order(rnd: object) -> None:
    reg = Registry(entry_points=False)
    rows = _data(2, n=60, missing=0.1)
    shuffled = rows[:]
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    for missing in ("listwise", "pairwise"):
        a = score(reg, ULRICH, rows, scorers=["reliability"], params={"reliability": {"missing": missing}})
        b = score(reg, ULRICH, shuffled, scorers=["reliability"], params={"reliability": {"missing": missing}})
        fa, fb = a.frame("reliability", "scales"), b.frame("reliability", "scales")
        pd.testing.assert_frame_equal(fa, fb, rtol=1e-10)


def test_pairwise_uses_more_data_than_listwise(core: Registry) -> None:
    rows = _data(3, missing=0.15)
    lw = score(core, ULRICH, rows, scorers=["reliability"]).frame("reliability", "scales")
    pw = score(core, ULRICH, rows, scorers=["reliability"], params={"reliability": {"missing": "pairwise"}}).frame(
        "reliability", "scales"
    )
    assert (pw.n_used.to_numpy() > lw.n_used.to_numpy()).all()


def test_cli(tmp_path: Path) -> None:
    df = pd.DataFrame(_data(4, n=50))
    path = tmp_path / "u.csv"
    df.to_csv(path, index=False)
    exe = Path(sys.executable).with_name("aspire")
    r = subprocess.run(
        [str(exe), "reliability", "-i", ULRICH, str(path), "--missing", "pairwise"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert "alpha_if_deleted" in r.stdout and "credible-activist" in r.stdout
