"""Common random numbers: paired differences between scenario variants."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim import kpis
from sim.channels import CHANNELS
from sim.cli import main
from sim.verdicts import difference_rows
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
    assert "double11_refunds_l1 − double11_refunds" in out and "mean resolution" in out
    assert " h ± " in out and " pts ± " in out              # refunds' waits in hours, shares differ by points
    totals = (tmp_path / "double11_refunds_l1_totals.csv").read_text()
    assert "paired_ci95" in totals and "unpaired_ci95" in totals
    assert main(["compare", str(base), str(variant), "-r", "1"]) == 2


def test_a_difference_reads_in_its_unit_with_its_verdict():
    """Shares differ by points, waits in the channel's unit, money in yuan; a service level that improved
    but still misses its target says so; a difference the paired CI cannot tell from zero is no verdict;
    costs are better lower."""
    totals = pd.DataFrame([
        {"queue": "hotline", "kpi": "service_level", "base": 0.70, "variant": 0.75, "difference": 0.05,
         "paired_ci95": 0.01, "unpaired_ci95": 0.04, "channel": "call", "sl_target": 0.8},
        {"queue": "refunds", "kpi": "resolution_mean_s", "base": 36000.0, "variant": 28800.0, "difference": -7200.0,
         "paired_ci95": 900.0, "unpaired_ci95": 3600.0, "channel": "refund", "sl_target": 0.9},
        {"queue": "refunds", "kpi": "auto_approved_value", "base": 500.0, "variant": 480.0, "difference": -20.0,
         "paired_ci95": 30.0, "unpaired_ci95": 60.0, "channel": "refund", "sl_target": 0.9},
        {"queue": "hotline", "kpi": "escalation_rate", "base": 0.0, "variant": 0.0, "difference": 0.0,
         "paired_ci95": 0.0, "unpaired_ci95": 0.0, "channel": "call", "sl_target": 0.8}])
    costs = pd.DataFrame([{"group": "all groups", "kpi": "cost", "base": 1000.0, "variant": 1200.0,
                           "difference": 200.0, "paired_ci95": 0.0, "unpaired_ci95": 0.0}])
    rows = {(r["where"], r["kpi"]): r for r in difference_rows(totals, costs)}
    sl = rows[("hotline", "service_level")]
    assert (sl["base"], sl["difference"], sl["verdict"], sl["meets"]) == (
        "70.0%", "+5.0 pts ± 1.0 pts", "better, still below target", (False, False))
    wait = rows[("refunds", "resolution_mean_s")]
    assert (wait["base"], wait["difference"], wait["verdict"]) == ("10.0 h", "-2.0 h ± 0.2 h", "better")
    money = rows[("refunds", "auto_approved_value")]
    assert (money["difference"], money["verdict"]) == ("-¥20 ± ¥30", "not told apart")
    assert ("hotline", "escalation_rate") not in rows                    # the same in every replication
    assert (rows[("all groups", "cost")]["difference"], rows[("all groups", "cost")]["verdict"]) == (
        "+¥200 ± ¥0", "worse")


@settings(max_examples=200, deadline=None)
@given(st.sampled_from([k for k in kpis.KPIS if k.compared]), st.sampled_from(sorted(CHANNELS)),
       st.one_of(st.floats(-1e7, 1e7), st.just(float("nan")), st.just(float("inf"))), st.booleans())
def test_kpi_text_is_never_nan_or_minus_zero(kpi, channel, value, difference):
    text = kpi.text(value, CHANNELS[channel], difference)
    assert "nan" not in text.lower() and "inf" not in text.lower()
    assert not re.match(r"^-[¥]?0(\.0+)?( |%|$)", text), text


def test_a_variant_of_the_base_from_the_command_line(tmp_path, capsys):
    """``--variant-set groups.*.absenteeism=0.15``: one variant of the base file with every group's
    absenteeism changed (the wildcard), compared on the same customers; the hotline loses service level."""
    out = tmp_path / "cmp"
    assert main(["compare", str(ROOT / "scenarios" / "double11.yaml"), "--variant-set", "groups.*.absenteeism=0.15",
                 "-r", "3", "--workers", "1", "--no-plots", "--out", str(out)]) == 0
    totals = pd.read_csv(out / "double11_variant_totals.csv", encoding="utf-8-sig").set_index(["queue", "kpi"])
    assert totals.loc[("hotline", "service_level"), "difference"] < 0
    assert main(["compare", str(ROOT / "scenarios" / "double11.yaml")]) == 2
    assert "give variant files, or --variant-set" in capsys.readouterr().err


def test_a_wildcard_sets_every_member():
    sc = sim.load_scenario(ROOT / "scenarios" / "double11_refunds.yaml",
                           overrides={"groups.*.absenteeism": 0.15, "groups.*.shifts.*.count": 3})
    assert {g.absenteeism for g in sc.groups.values()} == {0.15}
    assert {s.count for g in sc.groups.values() for s in g.shifts} == {3}
    with pytest.raises(sim.ScenarioError, match=r"groups\.\*\.shifts\.9\.count: nothing matches: no member of "
                                                r"groups has shifts\.9\.count"):
        sim.load_scenario(ROOT / "scenarios" / "double11.yaml", overrides={"groups.*.shifts.9.count": 1})
    with pytest.raises(sim.ScenarioError, match="no key 'groupz'"):
        sim.load_scenario(ROOT / "scenarios" / "double11.yaml", overrides={"groupz.*.absenteeism": 0.1})
