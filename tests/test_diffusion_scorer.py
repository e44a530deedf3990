"""Diffusion scorer through the engine and the CLI."""

from __future__ import annotations

import io
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from aspire_models import Registry, score
from aspire_models.cli import main
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
    assert (bass.status == "fitted").sum() >= 2
    for practice, row in bass.iterrows():
        if row.status == "m-at-bound":
            assert row.m_bound in ("lower", "upper") and math.isnan(row.m_se)
            assert any(practice in n and "m-at-bound" in n for n in r.output("diffusion").notes)
        elif row.status != "fitted":
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
        {"respondent_id": f"u{i}", "organisation": f"u{i}"}
        | dict.fromkeys(PRACTICES)
        | ({} if np.isnan(y) else {"digital-hr": int(y)})
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
        "Bass model (fitted): p =",
        "R^2 of per-period adoptions",
        "Observation window: observed until 2025",
        "95% band",
        "chasm (16% cumulative) crossed in",
        "forecast cumulative",
        "Most innovative units",
    ):
        assert needle in r.stdout
    r = subprocess.run([exe, "demo", "diffusion"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "generic-role-profiles" in r.stdout


def _cli(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main(["--no-plugins", *argv], out)
    return code, out.getvalue()


def test_diffusion_and_demo_give_identical_fits_on_the_bundled_file(core: Registry) -> None:
    code1, by_command = _cli("diffusion", str(example_path("innovation-adoption.csv")))
    code2, by_demo = _cli("demo", "diffusion")
    assert code1 == code2 == 0
    assert by_command == by_demo  # the same window rule, so the same fits, the same text
    assert "Observation window: observed until 2025, the latest adoption in the data" in by_command
    # and the API with the scorer's defaults agrees with both
    bass = score(core, ADOPT, example_path("innovation-adoption.csv")).frame("diffusion", "bass")
    assert set(bass.observed_until) == {2025}
    shared = bass.set_index("practice").loc["shared-management-team"]
    assert f"m = {shared.m:.1f} (se {shared.m_se:.1f})" in by_command


def test_m_at_its_lower_bound_is_reported_as_such(core: Registry) -> None:
    r = score(core, ADOPT, example_path("innovation-adoption.csv"))
    bass = r.frame("diffusion", "bass").set_index("practice")
    row = bass.loc["generic-role-profiles"]
    assert row.status == "m-at-bound" and row.m_bound == "lower"
    assert row.m == pytest.approx(row.adopters)
    assert math.isnan(row.m_se) and math.isnan(row.m_ci_low)
    curve = r.frame("diffusion", "curve")
    assert curve[(curve.practice == "generic-role-profiles") & (curve.kind == "forecast")].empty
    assert any("generic-role-profiles: Bass model m-at-bound" in n for n in r.output("diffusion").notes)
    assert r.output("diffusion").summary["status"]["generic-role-profiles"] == "m-at-bound"


def _rows(years: dict[str, list[int | None]]) -> list[dict[str, Any]]:
    n = len(next(iter(years.values())))
    out = []
    for i in range(n):
        row: dict[str, Any] = {"respondent_id": f"u{i}", "organisation": f"Council {i:02d}"}
        row |= dict.fromkeys(PRACTICES)  # every answer column, blank = not adopted
        for practice, ys in years.items():
            if ys[i] is not None:
                row[practice] = ys[i]
        out.append(row)
    return out


def test_all_adoptions_in_one_period_are_not_classified(core: Registry) -> None:
    rows = _rows(
        {"digital-hr": [2013] * 6 + [None], "shared-management-team": [2010, 2011, 2012, 2012, 2013, 2015, 2016]}
    )
    r = score(core, ADOPT, rows)
    cats = r.frame("diffusion", "categories")
    assert "digital-hr" not in set(cats.practice)  # not "100% late majority"
    assert "shared-management-team" in set(cats.practice)
    adopters = r.frame("diffusion", "adopters")
    assert adopters[adopters.practice == "digital-hr"].category.isna().all()
    bass = r.frame("diffusion", "bass").set_index("practice")
    assert bass.loc["digital-hr", "categories"].startswith("refused (zero-spread:")
    assert any("digital-hr: no adopter categories: zero-spread" in n for n in r.output("diffusion").notes)


def test_adoptions_after_the_observation_date_are_rejected(core: Registry, tmp_path: Path) -> None:
    years = [2012, 2013, 2013, 2014, 2014, 2015, 2016, 2018, 2027, None]
    r = score(core, ADOPT, _rows({"digital-hr": years}), params={"diffusion": {"observed_until": 2020}})
    assert (r.accounting.input, r.accounting.accepted, r.accounting.rejected) == (10, 9, 1)
    (rej,) = r.rejected
    assert rej.row == 9
    (prob,) = rej.problems
    assert prob.rule == "observed-until" and prob.field == "digital-hr" and "2027" in prob.message
    fit = r.frame("diffusion", "bass").set_index("practice").loc["digital-hr"]
    assert fit.adopters == 8 and fit.observed_until == 2020
    # the command lists the rejected rows, as `aspire score` does
    csv = tmp_path / "adoption.csv"
    csv.write_text(
        "respondent_id,organisation,"
        + ",".join(PRACTICES)
        + "\n"
        + "".join(f"u{i},C{i},,,,,{'' if y is None else y}\n" for i, y in enumerate(years)),
        encoding="utf-8",
    )
    code, text = _cli("diffusion", str(csv), "--observed-until", "2020")
    assert code == 0
    assert "10 units, 9 scored, 1 rejected" in text
    assert "Rejected rows (1):" in text and "row 9: column 'digital-hr': adopted in 2027" in text
    assert "[rule: observed-until]" in text


def test_launch_period_starts_the_clock(core: Registry) -> None:
    years = [2012, 2013, 2013, 2014, 2014, 2014, 2015, 2015, 2016, 2018, None, None]
    rows = _rows({"digital-hr": years})
    default = score(core, ADOPT, rows).frame("diffusion", "bass").set_index("practice").loc["digital-hr"]
    assert default.launch == 2012 and default.launch_rule == "first observed adoption"
    r = score(core, ADOPT, rows, params={"diffusion": {"launch": {"digital-hr": 2009}, "observed_until": 2020}})
    fit = r.frame("diffusion", "bass").set_index("practice").loc["digital-hr"]
    assert fit.launch == 2009 and fit.launch_rule == "given" and fit.n_periods == 12
    curve = r.frame("diffusion", "curve")
    observed = curve[(curve.kind == "observed") & (curve.practice == "digital-hr")]
    assert observed.period.tolist()[:4] == [2009, 2010, 2011, 2012]
    assert observed.adoptions.tolist()[:3] == [0, 0, 0]
    assert r.output("diffusion").summary["launch"]["digital-hr"] == 2009
    # an adoption before a given launch is rejected with its reason
    late_launch = score(core, ADOPT, rows, params={"diffusion": {"launch": 2013}})
    (rej,) = late_launch.rejected
    assert rej.problems[0].rule == "launch" and "before the launch period 2013" in rej.problems[0].message


def test_forecast_band_in_the_curve(core: Registry) -> None:
    r = score(core, ADOPT, example_path("innovation-adoption.csv"), params={"diffusion": {"observed_until": 2025}})
    curve = r.frame("diffusion", "curve")
    bass = r.frame("diffusion", "bass").set_index("practice")
    for practice in bass[bass.status == "fitted"].index:
        fc = curve[(curve.practice == practice) & (curve.kind == "forecast")]
        assert (fc.period > 2025).all()  # never a "forecast" of an observed period
        assert (fc.cumulative_low <= fc.cumulative).all() and (fc.cumulative <= fc.cumulative_high).all()
        assert (fc.adoptions_low <= fc.adoptions).all() and (fc.adoptions <= fc.adoptions_high).all()
        width = (fc.cumulative_high - fc.cumulative_low).to_numpy()
        assert np.all(np.diff(width) >= 0) and width[-1] > width[0]
        assert (fc.cumulative_high <= np.maximum(60, fc.cumulative)).all()  # 60 units in the data
        observed = curve[(curve.practice == practice) & (curve.kind == "observed")]
        assert fc.cumulative_low.min() >= observed.adoptions.sum() - 1e-9


def test_cli_launch_option() -> None:
    code, text = _cli(
        "diffusion",
        str(example_path("innovation-adoption.csv")),
        "--launch",
        "digital-hr=2008",
        "--launch",
        "generic-role-profiles=2008",
    )
    assert code == 0
    assert "Window: 2008 (launch: given) to 2025" in text
    assert "Window: 2015 (launch: first observed adoption) to 2025" in text  # temporary talent transfers
    code, _ = _cli("diffusion", str(example_path("innovation-adoption.csv")), "--launch", "2008", "--launch", "2009")
    assert code == 2  # one period for all practices cannot be combined with others
    code, _ = _cli("diffusion", str(example_path("innovation-adoption.csv")), "--launch", "digital-hr=soon")
    assert code == 2
