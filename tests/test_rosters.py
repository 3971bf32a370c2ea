"""Rosters at least cost (``sim.rosters``): costs, the roster file and its errors, the integer programme
against enumeration, shrinkage, and the search closed by simulation (``run.py roster``)."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim.cli import main
from sim.costs import night_seconds, roster_cost, shift_cost
from sim.errors import ScenarioError
from sim.rosters.patterns import candidate_shifts, fixed_floor
from sim.rosters.programme import MIP_GAP, RosterInfeasible, solve
from sim.rosters.search import rostered, search_roster
from sim.rosters.templates import read_templates
from sim.scenario import dump_scenario
from sim.scenario.staff import Cost
from sim.staffing import erlang_c_agents
from sim.staffing.backoffice import backoffice_requirements
from tests.conftest import single_queue
from tests.test_validation import ci99


def _scenario(interval: str = "1h", absenteeism: float = 0.0, load: float = 5.0, **group) -> sim.Scenario:
    data = single_queue(load=load, aht=300, days=1)
    data["interval"] = interval
    data["groups"]["team"].update(cost={"per_hour": 10}, absenteeism=absenteeism, **group)
    if "shifts" in group:
        del data["groups"]["team"]["headcount"]
    return sim.load_scenario(data)


def _templates(tmp_path: Path, data: dict, sc: sim.Scenario):
    path = tmp_path / "roster.yaml"
    path.write_text(yaml.safe_dump(data))
    return read_templates(path, sc)


def test_a_shift_costs_its_hours_with_night_and_overtime_premiums():
    """A 10-hour shift from 20:00: 10 h at 40, the 8 h from 22:00 to 06:00 at 30% more, the 2 h beyond 8 h
    at 50% more: 400 + 96 + 40."""
    cost = Cost(per_hour=40, night={"start": "22:00", "end": "06:00", "factor": 1.3},
                overtime={"after": "8h", "factor": 1.5})
    assert night_seconds(20 * 3600, 30 * 3600, 22 * 3600, 6 * 3600, 0.0) == 8 * 3600
    assert shift_cost(cost, 20 * 3600, 30 * 3600, 0.0) == pytest.approx(400 + 96 + 40)
    assert night_seconds(0, 3600, 22 * 3600, 6 * 3600, 12 * 3600) == 0          # 12:00-13:00 on the clock
    sc = _scenario(shifts=[{"start": "08:00", "end": "17:00", "count": 3}])
    cost_table = roster_cost(sc).set_index("group")
    assert cost_table.loc["team", "paid_hours"] == 27 and cost_table.loc["team", "cost"] == 270


def test_a_run_reports_what_its_groups_cost(tmp_path):
    """Every run with priced groups: paid hours, cost and cost per contact answered, in costs.csv and the
    group table; none without a cost."""
    sc = _scenario(shifts=[{"start": "08:00", "end": "17:00", "count": 3}])
    res = sim.simulate(sc, replications=2, seed=1, workers=1)
    row = res.costs.set_index("group").loc["team"]
    assert row["paid_hours"] == 27 and row["cost"] == 270
    assert row["cost_per_answered"] == pytest.approx(270 / res.group_totals.loc["team", "answered"])
    folder = res.save(tmp_path / "run", plots=False)
    assert pd.read_csv(folder / "costs.csv", encoding="utf-8-sig")["cost"].iloc[0] == 270
    plain = sim.simulate(sim.load_scenario(single_queue(load=1.0, aht=300, days=1)), replications=1, seed=1,
                         workers=1)
    assert plain.costs is None and "costs" not in plain.tables()


def test_a_vendor_is_billed_per_contact_with_its_minimum_and_penalty():
    """A vendor paid 2 per contact answered, with a 100,000 minimum and 50 per point of service level
    short of the target, beside an in-house team paid by the hour: per replication the vendor's bill is
    the larger of its contacts' price and the minimum, plus the penalty; the costs table is their mean."""
    data = single_queue(load=12.0, aht=300, days=1)
    data["groups"] = {"team": {"skills": ["q"], "headcount": 6, "cost": {"per_hour": 10}},
                      "vendor": {"skills": ["q"], "headcount": 6,
                                 "cost": {"per_contact": 2, "minimum": 100_000, "sla_penalty": 50}}}
    res = sim.simulate(sim.load_scenario(data), replications=3, seed=2, workers=1)
    answered = res.groups.groupby(["replication", "group"])["answered"].sum().unstack()
    level = res.totals.set_index("replication")["service_level"]
    bill = np.maximum(2 * answered["vendor"], 100_000) + 50 * np.maximum(0.8 - level, 0) * 100
    costs = res.costs.set_index("group")
    assert costs.loc["vendor", "cost"] == pytest.approx(bill.mean())
    assert costs.loc["vendor", "minimum_topup"] == pytest.approx((100_000 - 2 * answered["vendor"]).mean())
    assert level.max() < 0.8 and costs.loc["vendor", "penalty"] > 0
    assert costs.loc["team", "cost"] == pytest.approx(6 * 24 * 10) and costs.loc["team", "penalty"] == 0
    with pytest.raises(ScenarioError, match="give per_hour .* or per_contact"):
        sim.load_scenario({**data, "groups": {"team": {"skills": ["q"], "headcount": 1, "cost": {"minimum": 5}}}})


@settings(max_examples=40, deadline=None)
@given(need=st.lists(st.integers(0, 3), min_size=6, max_size=6), temps_rate=st.integers(5, 15),
       temps_max=st.integers(0, 3))
def test_the_programme_finds_the_optimum_of_every_combination(tmp_path_factory, need, temps_rate, temps_max):
    """A day's first six hours, 3-hour shifts at four starts for the team (10 an hour) and a 6-hour temps
    shift with an hour's break in a window (its own rate, at most ``temps_max``): solved to optimality, the
    programme's cost is the least of every combination of 0-3 agents per candidate shift that covers the
    need; at the search's gap, within it."""
    sc = _scenario(shifts=[{"start": "00:00", "end": "01:00", "count": 1}])
    roster, sc = _templates(tmp_path_factory.mktemp("r"), {
        "groups": {"temps": {"skills": ["q"], "cost": {"per_hour": temps_rate}}},
        "templates": {"short": {"group": "team", "starts": ["00:00", "01:00", "02:00", "03:00"], "length": "3h"},
                      "long": {"group": "temps", "starts": ["00:00"], "length": "6h", "max": temps_max,
                               "breaks": [{"duration": "1h", "earliest": "2h", "latest": "3h"}]}}}, sc)
    patterns = candidate_shifts(sc, roster)
    required = np.zeros(sc.n_intervals)
    required[:6] = need
    found = solve(sc, patterns, roster, {"q": required}, gap=0.0)
    quick = solve(sc, patterns, roster, {"q": required})                 # the search's default gap
    cover = patterns.cover.toarray() * patterns.table["weight"].to_numpy()[:, None]
    temps = (patterns.table["template"] == "long").to_numpy()
    best = min(patterns.table["cost"].to_numpy() @ np.array(x)
               for x in itertools.product(range(4), repeat=len(patterns.table))
               if np.array(x)[temps].sum() <= temps_max and np.all(cover.T @ np.array(x) >= required - 1e-9))
    assert found.cost == pytest.approx(best)
    assert best - 1e-9 <= quick.cost <= best * (1 + MIP_GAP) + 1e-9
    assert np.all(cover.T @ found.counts >= required - 1e-9) and np.all(cover.T @ quick.counts >= required - 1e-9)


@settings(max_examples=30, deadline=None)
@given(a=st.lists(st.integers(0, 2), min_size=6, max_size=6), b=st.lists(st.integers(0, 3), min_size=6, max_size=6),
       flex_rate=st.integers(8, 25), flex_max=st.integers(0, 3), helper=st.integers(0, 1))
@pytest.mark.slow
def test_multi_skilled_groups_are_shared_among_their_queues_at_least_cost(tmp_path_factory, a, b, flex_rate,
                                                                            flex_max, helper):
    """Two queues, a team for each (3-hour shifts at two starts, 10 an hour), a flexible group on a 6-hour
    shift (a at proficiency 1, b at 0.5; its own rate, at most ``flex_max``) and a helper keeping its own
    all-day shift (both queues at 1): the programme's optimum is the least cost of every combination of
    0-3 agents per candidate shift that can share its agents to cover both queues (per interval: the
    helper takes b first, where it is the better; the flexible agents then cover what is left of a, and of
    b at half speed), and the allocation it plans covers each queue within each group's agents."""
    data = single_queue(load=1.0, aht=300, days=1)
    data["queues"] = {"a": data["queues"]["q"], "b": data["queues"]["q"]}
    data["groups"] = {"a_team": {"skills": ["a"], "headcount": 0, "cost": {"per_hour": 10}},
                      "b_team": {"skills": ["b"], "headcount": 0, "cost": {"per_hour": 10}},
                      "flex": {"skills": {"a": 1.0, "b": 0.5}, "headcount": 0, "cost": {"per_hour": flex_rate}},
                      "helper": {"skills": ["a", "b"], "headcount": helper}}
    roster, sc = _templates(tmp_path_factory.mktemp("r"), {"templates": {
        "a_short": {"group": "a_team", "starts": ["00:00", "03:00"], "length": "3h"},
        "b_short": {"group": "b_team", "starts": ["00:00", "03:00"], "length": "3h"},
        "flex_long": {"group": "flex", "starts": ["00:00"], "length": "6h", "max": flex_max}}},
        sim.load_scenario(data))
    patterns = candidate_shifts(sc, roster)
    need = {q: np.zeros(sc.n_intervals) for q in "ab"}
    need["a"][:6], need["b"][:6] = a, np.array(b) / 2
    found = solve(sc, patterns, roster, need, fixed_floor(sc, ["helper"]), gap=0.0)
    table, cover = patterns.table, patterns.cover.toarray()[:, :6]
    on = {g: cover[(table["group"] == g).to_numpy()] for g in ("a_team", "b_team", "flex")}

    def covers(x: np.ndarray) -> bool:
        floor = {g: on[g].T @ x[(table["group"] == g).to_numpy()] for g in on}
        short_a = np.maximum(need["a"][:6] - floor["a_team"], 0)
        short_b = np.maximum(need["b"][:6] - floor["b_team"], 0)
        helped_b = np.minimum(helper, short_b)
        left_a = np.maximum(short_a - (helper - helped_b), 0)
        return bool(np.all(left_a + (short_b - helped_b) / 0.5 <= floor["flex"] + 1e-9))

    flex = (table["group"] == "flex").to_numpy()
    best = min(table["cost"].to_numpy() @ np.array(x) for x in itertools.product(range(4), repeat=len(table))
               if np.array(x)[flex].sum() <= flex_max and covers(np.array(x)))
    assert found.cost == pytest.approx(best)
    plan = found.allocation
    for q in "ab":
        mine = plan[plan["queue"] == q]
        served = np.bincount(mine["interval"], mine["agents"] * mine["proficiency"], minlength=sc.n_intervals)
        assert np.all(served >= need[q] - 1e-6)
    per_group = plan.groupby(["group", "interval"]).agg(agents=("agents", "sum"), on_floor=("on_floor", "first"))
    assert np.all(per_group["agents"] <= per_group["on_floor"] + 1e-6)


def test_an_interval_no_template_covers_is_named(tmp_path):
    sc = _scenario(shifts=[{"start": "00:00", "end": "01:00", "count": 1}])
    roster, sc = _templates(tmp_path, {"templates": {"day": {"group": "team", "starts": ["08:00"], "length": "8h",
                                                             "max": 2}}}, sc)
    patterns = candidate_shifts(sc, roster)
    need = np.zeros(sc.n_intervals)
    need[3] = 1
    need[4] = need[6] = 1
    with pytest.raises(RosterInfeasible) as caught:
        solve(sc, patterns, roster, {"q": need})
    assert str(caught.value) == ("q needs up to 1.0 agents on the floor in 3 intervals no template of a group doing "
                                 "it covers: 2026-11-02 03:00-05:00, 2026-11-02 "
                                 "06:00-07:00")
    need[:] = 0
    need[9:11] = 3
    with pytest.raises(RosterInfeasible) as caught:
        solve(sc, patterns, roster, {"q": need})
    assert str(caught.value) == ("q needs more agents on the floor than its templates' max agents give in 2 "
                                 "intervals (at 2026-11-02 09:00-10:00: 3.0 needed, at most 2.0): 2026-11-02 "
                                 "09:00-11:00")


def test_roster_file_mistakes_name_the_file_and_key(tmp_path):
    sc = _scenario(interval="30min", shifts=[{"start": "00:00", "end": "01:00", "count": 1}])
    with pytest.raises(ScenarioError) as caught:
        _templates(tmp_path, {"groups": {"team": {"skills": ["q"]}, "vendor": {"skills": ["q"]}}, "templates": {
            "a": {"group": "nobody", "starts": ["08:10"], "length": "8h"},
            "b": {"group": "vendor", "starts": ["08:00"], "length": "8h"},
            "c": {"group": "team", "starts": ["08:00"], "length": "8h", "min": 3, "max": 1}}}, sc)
    problems = str(caught.value)
    roster = str(tmp_path / "roster.yaml")
    assert f"{roster}: templates.c: max (1) is below min (3)" in problems
    with pytest.raises(ScenarioError) as caught:
        _templates(tmp_path, {"groups": {"team": {"skills": ["q"]}, "vendor": {"skills": ["q"]}},
                              "staff": {"ghost": {"heads": 3}}, "templates": {
            "a": {"group": "nobody", "starts": ["08:10"], "length": "8h"},
            "b": {"group": "vendor", "starts": ["08:00"], "length": "8h"}}}, sc)
    problems = str(caught.value)
    assert f"{roster}: staff.ghost: not a group with templates (nobody, vendor), got 'ghost'" in problems
    assert f"{roster}: groups.team: the scenario already has this group" in problems
    assert f"{roster}: templates.a.group: not a group of the scenario or of this file" in problems
    assert f"{roster}: templates.a.starts.0: must fall on the scenario's 30min grid, got 08:10" in problems
    assert f"{roster}: templates.b.group: group 'vendor' has no cost" in problems


@pytest.mark.slow
def test_unplanned_shrinkage_is_rostered_for(tmp_path):
    """Shrinkage: for 36 agents on the floor (Erlang C, 30 Erlangs, 80% in 20 s) a team with 20% absenteeism
    is rostered 45, and simulated with those absences it serves as the 36 do without absence (40
    replications each: the mean service levels' difference within its 99% CI); the 36 alone, with the
    absences, fall far short."""
    need = float(erlang_c_agents(30 / 300, 300, 20, 0.8))
    levels, counts = {}, {}
    for absent, rostered_for in ((0.0, 0.0), (0.2, 0.2), (0.2, 0.0)):
        sc = _scenario(load=30.0, absenteeism=rostered_for)
        roster, sc = _templates(tmp_path, {"templates": {"all_day": {"group": "team", "starts": ["00:00"],
                                                                     "length": "24h"}}}, sc)
        patterns = candidate_shifts(sc, roster)
        found = solve(sc, patterns, roster, {"q": np.full(sc.n_intervals, need)})
        counts[(absent, rostered_for)] = int(found.counts.sum())
        data = dump_scenario(rostered(sc, patterns, found.counts, "shrinkage"))
        data["groups"]["team"]["absenteeism"] = absent
        res = sim.simulate(sim.load_scenario(data), replications=40, seed=4, workers=1)
        levels[(absent, rostered_for)] = res.totals["service_level"].reset_index(drop=True)
    assert counts == {(0.0, 0.0): 36, (0.2, 0.2): 45, (0.2, 0.0): 36}
    mean, half = ci99(levels[(0.2, 0.2)] - levels[(0.0, 0.0)])
    assert abs(mean) <= half, (mean, half)
    assert levels[(0.2, 0.0)].mean() < levels[(0.0, 0.0)].mean() - 0.3


def test_the_search_meets_every_interval_and_says_when_it_does_not(tmp_path, capsys):
    """A day of calls: the roster found meets every interval's target on the search's customers and
    most on fresh ones, costs what its shifts cost, loads as a scenario; stopped after one round from an
    under-staffed start, it says it has not met them."""
    sc = sim.load_scenario(_call_day())
    roster, sc = _templates(tmp_path, CALL_TEMPLATES, sc)
    found = search_roster(sc, roster, replications=4, seed=2, workers=1)
    assert found.met and found.history["intervals_missing"].iloc[-1] == 0
    assert found.intervals["meets"].all()
    assert found.fresh["share_meeting"].iloc[0] > 0.8
    assert found.costs()["cost_found"].sum() == pytest.approx(found.solution.cost)
    folder = found.save(tmp_path / "out", plots=False)
    again = sim.load_scenario(folder / "roster.yaml")
    assert again.scheduled_agents()["inhouse"].sum() == found.roster.scheduled_agents()["inhouse"].sum()
    row = pd.read_csv(folder / "roster_inhouse.csv", encoding="utf-8-sig")
    assert set(row.columns) == {"start", "end", "count", "days", "breaks"} and row["count"].sum() > 0
    data = _call_day()
    data["groups"]["inhouse"] = {**{k: v for k, v in data["groups"]["inhouse"].items() if k != "shifts"},
                                 "roster": str(folder / "roster_inhouse.csv")}
    from_csv = sim.load_scenario(data).scheduled_agents()["inhouse"]
    np.testing.assert_array_equal(from_csv, found.roster.scheduled_agents()["inhouse"])
    short = search_roster(sc, roster, replications=4, seed=2, probability=1.0, max_iterations=1, workers=1,
                          compare_with_scenario=False)
    assert not short.met and (~short.intervals["meets"]).any()


def _call_day() -> dict:
    data = single_queue(load=12.0, aht=240, patience=120, days=1)
    data["interval"] = "30min"
    data["queues"]["q"]["arrivals"]["profile"] = "ecommerce_call"
    data["groups"] = {"inhouse": {"skills": ["q"], "absenteeism": 0.05, "cost": {"per_hour": 40},
                                  "shifts": [{"start": "08:00", "end": "17:00", "count": 10}]}}
    return data


CALL_TEMPLATES = {"groups": {"temps": {"skills": ["q"], "cost": {"per_hour": 30}}},
                  "templates": {"day": {"group": "inhouse", "starts": [f"{h:02d}:00" for h in range(0, 16)],
                                        "length": "9h", "breaks": [{"duration": "1h", "earliest": "3h",
                                                                    "latest": "5h"}]},
                                "night": {"group": "inhouse", "starts": ["15:00", "18:00", "20:00", "22:00"],
                                          "length": "10h"},
                                "temps": {"group": "temps", "starts": [f"{h:02d}:00" for h in range(0, 21)],
                                          "length": "4h", "max": 4}}}


def test_the_search_rosters_back_office_work_judged_on_the_day(tmp_path):
    """Refunds (20 an hour of 10 minutes, exponential; 94% to be resolved within 30 minutes, of which
    no staffing gives more than 1 - e^-3 = 95%) served by a back-office team with templates beside the
    call templates: the requirement starts from the deferred-work rule, the day falls short with it
    and the search raises it, then meets every interval of both queues; on fresh customers the day's
    refunds are resolved in time at the target, less a point."""
    data = _call_day()
    data["queues"]["refunds"] = {"channel": "refund", "arrivals": {"daily_volume": 480, "profile": "flat"},
                                 "handle_time": {"dist": "exponential", "mean": 600},
                                 "sla": {"resolve_within": "30min", "target": 0.94}}
    data["groups"]["backoffice"] = {"skills": ["refunds"], "headcount": 1, "cost": {"per_hour": 30}}
    templates = {**CALL_TEMPLATES, "templates": {**CALL_TEMPLATES["templates"], "backoffice": {
        "group": "backoffice", "starts": [f"{h:02d}:00" for h in range(0, 17)], "length": "8h"}}}
    roster, sc = _templates(tmp_path, templates, sim.load_scenario(data))
    found = search_roster(sc, roster, replications=4, seed=2, compare_with_scenario=False, workers=1)
    rule = backoffice_requirements(sc, replications=4, seed=2, workers=1)["agents"].to_numpy()
    assert found.met and len(found.history) > 1
    raised = found.need["refunds"] - rule
    assert raised.min() >= 0 and raised.max() >= 1
    refunds = found.intervals[found.intervals["queue"] == "refunds"]
    assert (refunds["planned"] >= refunds["need"] - 1e-6).all()
    assert found.fresh.set_index("queue").loc["refunds", "service_level"] >= 0.93


def test_roster_command(tmp_path, capsys):
    scenario, templates = tmp_path / "calls.yaml", tmp_path / "templates.yaml"
    scenario.write_text(yaml.safe_dump(_call_day()))
    templates.write_text(yaml.safe_dump(CALL_TEMPLATES))
    out = tmp_path / "out"
    assert main(["roster", str(scenario), "--templates", str(templates), "-r", "3", "--workers", "1",
                 "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "least-cost roster" in printed and "cost, all groups" in printed and "q: service level" in printed
    for name in ("roster.yaml", "roster_inhouse.csv", "roster_temps.csv", "roster_shifts.csv", "roster_cost.csv",
                 "roster_search.csv", "roster_intervals.csv", "roster_allocation.csv", "roster_fresh_check.csv",
                 "roster_comparison.csv", "roster_q.png"):
        assert (out / name).stat().st_size > 0, name
    templates.write_text(yaml.safe_dump({"templates": {"x": {"group": "inhouse", "starts": ["08:10"],
                                                             "length": "8h"}}}))
    assert main(["roster", str(scenario), "--templates", str(templates), "--out", str(tmp_path / "o2")]) == 2
    assert "templates.x.starts.0: must fall on the scenario's 30min grid, got 08:10" in capsys.readouterr().err
    templates.write_text(yaml.safe_dump({"templates": {"x": {"group": "inhouse", "starts": ["08:00"],
                                                             "length": "8h"}}}))
    assert main(["roster", str(scenario), "--templates", str(templates), "--out", str(tmp_path / "o3")]) == 2
    assert "intervals no template of a group doing it covers: 2026-11-02 00:00-08:00" in (
        capsys.readouterr().err)
    assert not (tmp_path / "o2").exists() and not (tmp_path / "o3").exists()


@pytest.mark.slow
def test_the_roster_meets_its_probability_on_fresh_customers(tmp_path):
    """With ``probability`` 0.8 (an interval meets when 80% of replications reach the target), the roster
    found, simulated on fresh customers, meets the target in at least 80% of replications on average over
    the intervals (less three standard errors of that mean: 10 replications × 48 intervals)."""
    sc = sim.load_scenario(_call_day())
    roster, sc = _templates(tmp_path, CALL_TEMPLATES, sc)
    found = search_roster(sc, roster, replications=10, seed=2, probability=0.8, workers=1,
                          compare_with_scenario=False)
    assert found.met
    assert found.fresh["p_meets_sl"].iloc[0] >= 0.8 - 3 * np.sqrt(0.8 * 0.2 / (10 * 48))


def test_the_double11_templates_read():
    """The example roster file reads against double11: its new groups join the scenario and every
    template gives candidate shifts."""
    root = Path(__file__).resolve().parent.parent
    roster, sc = read_templates(root / "scenarios" / "rosters" / "double11_templates.yaml",
                                sim.load_scenario(root / "scenarios" / "double11.yaml"))
    assert {"temps", "vendor_hotline"} <= set(sc.groups)
    table = candidate_shifts(sc, roster).table
    assert set(table["template"]) == set(roster.templates)
    assert set(table.loc[table["template"] == "temps_big_day", "day"]) == {1}      # 11 November only


def test_the_roster_table_shows_the_sales_at_stake(tmp_path):
    """Pre-sales chats as conversations with a conversion: the roster table shows the sales lost under
    the scenario's roster and the one found, beside the cost."""
    from rich.console import Console

    from sim.console import roster_table

    data = single_queue(channel="chat", agents=3, concurrency=3, aht=300, load=6.0, days=1, answer_within=60)
    data["interval"] = "1h"
    data["queues"]["q"]["conversation"] = {
        "rounds": {"dist": "constant", "value": 3}, "reply": {"dist": "exponential", "mean": 10},
        "gap": {"dist": "exponential", "mean": 40},
        "conversion": {"by_first_response": {"0s": 0.3, "5min": 0.1}, "order_value": 200}}
    data["groups"]["team"]["cost"] = {"per_hour": 30}
    roster, sc = _templates(tmp_path, {"templates": {"day": {"group": "team", "starts": [f"{h:02d}:00" for h in
                                                                                       range(24)],
                                                             "length": "8h"}}}, sim.load_scenario(data))
    found = search_roster(sc, roster, replications=2, seed=1, workers=1)
    console = Console(width=200, record=True)
    console.print(roster_table(found))
    text = console.export_text()
    assert "q: sales lost (GMV)" in text and "cost, all groups" in text


def test_a_split_shift_covers_two_peaks_for_one_agents_pay(tmp_path):
    """Two agents needed 08:00-12:00 and again 17:00-21:00: a split shift (4 h, 5 h off unpaid, 4 h) covers
    both for 8 paid hours each, where 8-hour straight shifts need four agents; the roster writes each
    split as two rows of the same agents, and costs only the worked hours."""
    sc = _scenario(shifts=[{"start": "00:00", "end": "01:00", "count": 1}])
    roster, sc = _templates(tmp_path, {"templates": {
        "split": {"group": "team", "starts": ["08:00"], "length": "8h", "split": {"after": "4h", "gap": "5h"}},
        "straight": {"group": "team", "starts": [f"{h:02d}:00" for h in range(8, 18)], "length": "8h"}}}, sc)
    patterns = candidate_shifts(sc, roster)
    need = np.zeros(sc.n_intervals)
    need[8:12] = need[17:21] = 2
    found = solve(sc, patterns, roster, {"q": need}, gap=0.0)
    chosen = patterns.table.assign(agents=found.counts)
    assert chosen.loc[chosen["template"] == "split", "agents"].sum() == 2 and found.cost == 2 * 8 * 10
    staffed = rostered(sc, patterns, found.counts, "split")
    on_duty = staffed.scheduled_agents()["team"]
    assert on_duty[[8, 11, 17, 20]].tolist() == [2, 2, 2, 2] and on_duty[[12, 16, 21]].tolist() == [0, 0, 0]
    assert roster_cost(staffed).set_index("group").loc["team", "cost"] == 160
    with pytest.raises(ScenarioError, match="falls outside the shift's worked time"):
        _templates(tmp_path, {"templates": {"s": {"group": "team", "starts": ["08:00"], "length": "8h",
                                                  "split": {"after": "4h", "gap": "5h"},
                                                  "breaks": [{"duration": "1h", "earliest": "4h", "latest": "5h"}]}}},
                   sc)


def _week(tmp_path: Path, staff: dict) -> tuple:
    data = single_queue(load=5.0, aht=300, days=7)
    data["interval"] = "1h"
    data["start"] = "2026-11-02T00:00:00"                   # a Monday
    data["groups"]["team"].update(cost={"per_hour": 10})
    sc = sim.load_scenario(data)
    roster, sc = _templates(tmp_path, {"staff": {"team": staff},
                                       "templates": {"day": {"group": "team", "starts": ["09:00"], "length": "8h"}}},
                            sc)
    need = np.zeros(sc.n_intervals)
    for day in range(7):
        need[day * 24 + 9:day * 24 + 17] = 4
    return sc, roster, candidate_shifts(sc, roster), need


def test_staff_rules_limit_heads_and_days_on(tmp_path):
    """Four agents 09:00-17:00 every day of a week, from people working at most 5 days a week: 28 shifts
    need at least 6 people (5 give only 25); with Sunday a fixed day off, Sunday cannot be covered."""
    sc, roster, patterns, need = _week(tmp_path, {"heads": 6, "days_on": 5})
    found = solve(sc, patterns, roster, {"q": need}, gap=0.0)
    assert found.counts.sum() == 28 and found.cost == 28 * 8 * 10
    sc, roster, patterns, need = _week(tmp_path, {"heads": 5, "days_on": 5})
    with pytest.raises(RosterInfeasible, match=r"the staff rules leave too few people .*\(team: at most 5 people, "
                                               "5 days a week each"):
        solve(sc, patterns, roster, {"q": need})
    sc, roster, patterns, need = _week(tmp_path, {"heads": 20, "days_on": 5, "days_off": ["sun"]})
    with pytest.raises(RosterInfeasible, match="never on sun"):
        solve(sc, patterns, roster, {"q": need})
    with pytest.raises(ScenarioError, match="days_on .6. leaves no room for 2 fixed day"):
        _week(tmp_path, {"heads": 5, "days_on": 6, "days_off": ["sat", "sun"]})
