"""Common random numbers: paired differences between scenario variants."""

from __future__ import annotations

from pathlib import Path

import pytest

import sim
from sim.cli import main
from tests.conftest import single_queue

ROOT = Path(__file__).resolve().parent.parent


def agents(n: int) -> sim.Scenario:
    return sim.load_scenario(single_queue(agents=n, load=18, patience=300, days=2))


def test_paired_ci_is_much_narrower_than_unpaired():
    """20 vs 21 agents: the same customers make the paired interval at least 3x narrower."""
    cmp = sim.compare(agents(20), agents(21), replications=20, seed=3)
    totals = cmp.totals.set_index("kpi")
    for kpi in ("mean_wait_s", "service_level", "abandon_rate"):
        row = totals.loc[kpi]
        assert row["paired_ci95"] * 3 <= row["unpaired_ci95"], kpi
    assert totals.loc["mean_wait_s", "difference"] < 0 < totals.loc["service_level", "difference"]


def test_identical_variants_differ_by_exactly_zero():
    cmp = sim.compare(agents(20), agents(20), replications=4, seed=3)
    for table in (cmp.intervals, cmp.totals):
        diffs = table["difference"].dropna()
        assert len(diffs) > 0 and (diffs == 0).all()
        assert (table["paired_ci95"].dropna() == 0).all()


def test_incomparable_scenarios_are_refused():
    longer = sim.load_scenario(single_queue(agents=20, load=18, days=3))
    with pytest.raises(sim.ScenarioError, match="horizon differs"):
        sim.compare(agents(20), longer, replications=2)


def test_cli_compare(tmp_path, capsys):
    base, variant = ROOT / "scenarios" / "double11_refunds.yaml", ROOT / "scenarios" / "double11_refunds_l1.yaml"
    assert main(["compare", str(base), str(variant), "-r", "2", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "double11_refunds_l1 − double11_refunds" in out and "resolution_mean_s" in out
    totals = (tmp_path / "double11_refunds_l1_totals.csv").read_text()
    assert "paired_ci95" in totals and "unpaired_ci95" in totals
    assert main(["compare", str(base), str(variant), "-r", "1"]) == 2
