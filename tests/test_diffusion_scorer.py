"""Diffusion scorer through the engine and the CLI."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from aspire_models import Registry, score
from aspire_models.examples import example_path

ADOPT = "innovation-adoption-survey"
PRACTICES = [
    "generic-role-profiles",
    "temporary-talent-transfers",
    "performance-without-annual-appraisal",
    "shared-management-team",
    "digital-hr",
]


def test_example_data(core: Registry) -> None:
    r = score(core, ADOPT, example_path("innovation-adoption.csv"), params={"diffusion": {"observed_until": 2025}})
    assert r.accounting.accepted == 60
    cats = r.frame("diffusion", "categories")
    assert set(cats.practice) == set(PRACTICES)
    five = cats[cats.category != "not-adopted"]
    for _, g in five.groupby("practice"):
        assert g.observed_share.sum() == pytest.approx(1.0)
        assert g.theoretical_share.tolist() == [0.025, 0.135, 0.34, 0.34, 0.16]
    bass = r.frame("diffusion", "bass").set_index("practice")
    assert (bass.status == "fitted").sum() >= 3
    for practice, row in bass.iterrows():
        if row.status != "fitted":
            assert row.status.startswith("not fitted:") and math.isnan(row.p)
            assert any(practice in n for n in r.output("diffusion").notes)
    curve = r.frame("diffusion", "curve")
    fitted = bass[bass.status == "fitted"].index[0]
    fc = curve[(curve.practice == fitted) & (curve.kind == "forecast")]
    assert len(fc) == 10 and fc.period.min() == 2026
    assert np.all(np.diff(fc.cumulative) >= 0)
    adopters = r.frame("diffusion", "adopters")
    assert set(adopters.category) <= {
        "innovators",
        "early-adopters",
        "early-majority",
        "late-majority",
        "laggards",
        "not-adopted",
    }
    assert (adopters[adopters.adopted.isna()].category == "not-adopted").all()  # censored: not laggards


def test_censored_as_laggards(core: Registry) -> None:
    r = score(core, ADOPT, example_path("innovation-adoption.csv"), params={"diffusion": {"censored": "laggards"}})
    adopters = r.frame("diffusion", "adopters")
    assert (adopters[adopters.adopted.isna()].category == "laggards").all()


def test_recovers_known_bass_parameters(core: Registry) -> None:
    """Adoption years drawn from a Bass process (p=0.03, q=0.4) for 20,000 units."""
    rng = np.random.default_rng(7)
    p, q = 0.03, 0.4
    u = rng.random(20000)
    t = -np.log((1 - u) / (1 + u * q / p)) / (p + q)
    years = np.floor(2000 + t)
    years[years > 2030] = np.nan
    rows = [
        {"respondent_id": f"u{i}", "organisation": f"u{i}"} | ({} if np.isnan(y) else {"digital-hr": int(y)})
        for i, y in enumerate(years)
    ]
    r = score(core, ADOPT, rows, params={"diffusion": {"observed_until": 2030}})
    fit = r.frame("diffusion", "bass").set_index("practice").loc["digital-hr"]
    assert fit.status == "fitted"
    # discrete yearly counts of a continuous process: tolerances 15% (p) and 10% (q)
    assert fit.p == pytest.approx(p, rel=0.15)
    assert fit.q == pytest.approx(q, rel=0.10)
    assert fit.r_squared > 0.99
    others = r.frame("diffusion", "bass").set_index("practice").drop("digital-hr")
    assert (others.status == "no adopters").all()


def test_cli_prints_categories_fit_chasm_forecast() -> None:
    exe = str(Path(sys.executable).with_name("aspire"))
    r = subprocess.run(
        [exe, "diffusion", str(example_path("innovation-adoption.csv")), "--observed-until", "2025"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    for needle in (
        "early-adopters",
        "Bass model: p =",
        "chasm (16% cumulative) crossed in",
        "forecast cumulative",
        "Most innovative units",
    ):
        assert needle in r.stdout
    r = subprocess.run([exe, "demo", "diffusion"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "generic-role-profiles" in r.stdout
