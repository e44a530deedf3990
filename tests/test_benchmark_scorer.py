"""Benchmarking against the other organisations or a stored, versioned norm table."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from aspire_models import Registry, ScoringError, score, validation
from aspire_models.examples import example_path
from aspire_models.scorers.benchmark import build_norms, percentile_rank

SOP = "aspire-sop-self-assessment"


def test_percentile_rank_mid_rank() -> None:
    ref = np.array([1.0, 2.0, 2.0, 4.0])
    assert percentile_rank(0.5, ref) == 0
    assert percentile_rank(2.0, ref) == 50.0  # 1 below, 2 ties -> (1 + 1) / 4
    assert percentile_rank(5.0, ref) == 100
    assert np.isnan(percentile_rank(3.0, np.array([])))


def test_reference_is_every_organisation_in_the_data(core: Registry) -> None:
    """The organisation is in its own reference group, as it is in a norm table built from the
    same data (so that both give the same percentile rank)."""
    shown = {"min_group_size": 1}  # the bundled councils have 2-4 respondents each
    data = example_path("aspire-sop-responses.csv")
    r = score(core, SOP, data, scorers=["benchmark"], params={"benchmark": shown})
    t = r.frame("benchmark", "benchmarks")
    agg = score(core, SOP, data, scorers=["aggregate"], params={"aggregate": shown})
    orgs = agg.frame("aggregate", "organisations")
    lead = orgs[(orgs.element == "leadership") & (orgs["mode"] == "now")].set_index("organisation")["mean"]
    row = t[(t.organisation == "Council B") & (t.element == "leadership") & (t["mode"] == "now")].iloc[0]
    assert row.reference_n == 5
    assert row.reference_mean == pytest.approx(lead.mean())
    assert row.z == pytest.approx((lead["Council B"] - lead.mean()) / lead.std(ddof=1))
    assert row.percentile_rank == pytest.approx(percentile_rank(lead["Council B"], lead.to_numpy()))
    # five organisations: too few to rank against, and the output says so
    assert any("only 5 organisations" in w for w in r.output("benchmark").summary["warnings"])
    assert row.quartile == (
        1 if row.percentile_rank < 25 else 2 if row.percentile_rank < 50 else 3 if row.percentile_rank < 75 else 4
    )


def test_norm_table_round_trip(core: Registry) -> None:
    agg = score(
        core,
        SOP,
        example_path("aspire-sop-responses.csv"),
        scorers=["aggregate"],
        params={"aggregate": {"min_group_size": 1}},  # the bundled councils have 2-4 respondents
    )
    doc = build_norms(
        {"rows": agg.table("aggregate", "organisations").rows()},
        norms_id="demo-norms",
        version="2026.1",
        title="Demo",
        instrument_id=SOP,
        instrument_version="1.0.0",
    )
    validation.check(json.loads(json.dumps(doc)), "norms")
    lead = next(d for d in doc["dimensions"] if (d["element"], d["mode"]) == ("leadership", "now"))
    assert lead["n"] == 5 and lead["percentiles"]["50"] == pytest.approx(7.0)
    r = score(
        core,
        SOP,
        example_path("aspire-sop-responses.csv"),
        scorers=["benchmark"],
        params={"benchmark": {"norms": doc, "organisation": "Council A", "min_group_size": 1}},
    )
    t = r.frame("benchmark", "benchmarks")
    assert set(t.organisation) == {"Council A"} and (t.reference_n == 5).all()
    assert "demo-norms" in r.output("benchmark").summary["reference"]


def test_norms_for_another_instrument_are_refused(core: Registry) -> None:
    doc = {
        "id": "x",
        "version": "1",
        "title": "x",
        "instrument": {"id": "other", "version": "1.0"},
        "dimensions": [
            {
                "element": "leadership",
                "mode": "now",
                "n": 3,
                "mean": 5,
                "sd": 1,
                "percentiles": {"25": 4, "50": 5, "75": 6},
            }
        ],
    }
    r = score(
        core, SOP, example_path("aspire-sop-responses.csv"), scorers=["benchmark"], params={"benchmark": {"norms": doc}}
    )
    assert r.outputs == () and "is for other" in r.failures[0].reason
    with pytest.raises(ScoringError, match="is for other"):
        score(
            core,
            SOP,
            example_path("aspire-sop-responses.csv"),
            scorers=["benchmark"],
            params={"benchmark": {"norms": doc}},
            strict=True,
        )
    bad = dict(doc, dimensions=[])
    r = score(
        core, SOP, example_path("aspire-sop-responses.csv"), scorers=["benchmark"], params={"benchmark": {"norms": bad}}
    )
    assert "dimensions" in r.failures[0].reason


#: the bundled councils have 2-4 respondents: published only with an explicit threshold
SMALL = ("--min-group-size", "2")


def test_cli_norms_then_benchmark(tmp_path: Path) -> None:
    exe = str(Path(sys.executable).with_name("aspire"))
    data = str(example_path("aspire-sop-responses.csv"))
    norms = tmp_path / "norms.json"
    r = subprocess.run(
        [exe, "norms", "-i", SOP, data, "--id", "county-2026", "--version", "1", "-o", str(norms), *SMALL],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert subprocess.run([exe, "validate", str(norms)], capture_output=True, timeout=120).returncode == 0
    r = subprocess.run(
        [exe, "benchmark", "-i", SOP, data, "--norms", str(norms), "--organisation", "Council C", *SMALL],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert "Council C" in r.stdout and "percentile_rank" in r.stdout


def test_norm_tables_from_a_plugin_hook(core: Registry) -> None:
    import types

    from aspire_models import hookimpl

    agg = score(
        core,
        SOP,
        example_path("aspire-sop-responses.csv"),
        scorers=["aggregate"],
        params={"aggregate": {"min_group_size": 1}},  # the bundled councils have 2-4 respondents
    )
    doc = build_norms(
        {"rows": agg.table("aggregate", "organisations").rows()},
        norms_id="plugin-norms",
        version="1",
        title="From a plugin",
        instrument_id=SOP,
        instrument_version="1.0.0",
    )
    bad = dict(doc, id="Bad Id")
    plugin = types.ModuleType("norms_plugin")
    plugin.aspire_norms = hookimpl(lambda: [doc, bad])  # type: ignore[attr-defined]
    reg = Registry(entry_points=False, plugins=[plugin])
    assert list(reg.norms) == ["plugin-norms"]
    assert reg.problems[0].plugin == "norms_plugin" and "pattern" in reg.problems[0].reason
    r = score(
        reg,
        SOP,
        example_path("aspire-sop-responses.csv"),
        scorers=["benchmark"],
        params={"benchmark": {"norms": "plugin-norms", "min_group_size": 1}},
    )
    assert (r.frame("benchmark", "benchmarks").reference_n == 5).all()
