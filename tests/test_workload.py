"""A run's cost is estimated from the scenario before it runs; what cannot fit is refused, naming the key."""

from __future__ import annotations

import copy
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import yaml

import sim
from sim import workload
from sim.cli import main
from sim.runner import replicate
from tests.conftest import single_queue

ROOT = Path(__file__).resolve().parent.parent
NORMAL_DAY = yaml.safe_load((ROOT / "scenarios" / "normal_day.yaml").read_text())


def scaled(change) -> dict:
    data = copy.deepcopy(NORMAL_DAY)
    change(data)
    return data


ABSURD = {
    "surges.0.multiplier": lambda d: d.update(surges=[{"start": "2026-10-20T10:00", "end": "2026-10-20T11:00",
                                                       "multiplier": 1e300}]),
    "queues.hotline.arrivals.daily_volume": lambda d: d["queues"]["hotline"]["arrivals"].update(daily_volume=1e300),
    "groups.hotline_team.headcount": lambda d: d["groups"].update(hotline_team={"skills": ["hotline"],
                                                                                "headcount": 10**12}),
    "groups.presales.shifts.2.count": lambda d: [s.update(count=s["count"] * 10**6) for g in d["groups"].values()
                                                 for s in g["shifts"]],
    "interval": lambda d: d.update(interval=1, horizon="3650d"),
}


@pytest.mark.parametrize("key", list(ABSURD))
def test_what_cannot_fit_is_refused_naming_the_key(key, tmp_path, capsys):
    """Each of these hung, crashed or allocated hundreds of GB before."""
    path = tmp_path / "absurd.yaml"
    path.write_text(yaml.safe_dump(scaled(ABSURD[key])))
    for command in (["check", str(path)], ["run", str(path), "-r", "1", "--out", str(tmp_path / "out")]):
        assert main(command) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"{path}: {key}: about ") and "allowed (--max-memory), got " in err
    assert not (tmp_path / "out").exists()


def test_simulate_refuses_too(tmp_path):
    with pytest.raises(sim.ScenarioError, match="queues.hotline.arrivals.daily_volume: about 1.0e\\+300 contacts"):
        sim.simulate(sim.load_scenario(scaled(ABSURD["queues.hotline.arrivals.daily_volume"])))


def test_the_limit_can_be_lowered_and_raised(capsys):
    path = str(ROOT / "scenarios" / "normal_day.yaml")
    assert main(["run", path, "-r", "2", "--max-memory", "100M", "--no-plots"]) == 2
    assert "more than the 100 MB allowed (--max-memory)" in capsys.readouterr().err
    assert main(["run", path, "--max-memory", "lots"]) == 2
    assert "argument --max-memory: must be a size such as 12G or 800M, got 'lots'" in capsys.readouterr().err


def test_check_shows_the_estimate(capsys):
    assert main(["check", str(ROOT / "scenarios" / "double11.yaml")]) == 0
    assert "contacts, " in capsys.readouterr().out


@pytest.mark.slow
def test_expected_contacts_match_the_simulated_ones():
    """The estimate's contacts are the rate curves' expectation: 20 replications of double11 (surges, bots,
    retrials) average within their 99% CI of it, or above it (retrials are counted at their most)."""
    sc = sim.load_scenario(ROOT / "scenarios" / "double11.yaml")
    expected = workload.estimate(sc)
    totals = sim.simulate(sc, replications=20, seed=4).totals
    arrivals = totals.groupby("replication")[["offered", "deflected"]].sum().sum(axis=1).to_numpy()
    half = 2.86 * arrivals.std(ddof=1) / np.sqrt(arrivals.size)
    assert arrivals.mean() - half <= expected.contacts
    assert expected.contacts <= 1.1 * arrivals.mean()
    shifts = sum(occ.count for g in sc.groups for occ in sc.shift_occurrences(g))
    assert expected.agent_shifts == shifts


@pytest.mark.slow
def test_the_memory_estimate_is_not_below_what_a_replication_allocates():
    """Traced allocations of one replication (200,000 calls, 40 agents) stay under the estimate less the
    process's own baseline."""
    sc = sim.load_scenario(single_queue(rate_per_s=200_000 / 86400, agents=1200, days=1, patience=100))
    estimate = workload.estimate(sc).memory - workload.PROCESS_BYTES
    tracemalloc.start()
    replicate(sc, 0, 1)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < estimate < 4 * peak


def test_large_runs_are_announced():
    sc = sim.load_scenario(single_queue(rate_per_s=4e6 / 86400, agents=20000, days=1))
    work = workload.estimate(sc)
    assert work.memory > workload.LARGE_BYTES
    assert work.notes(2)[0].startswith("large run: about 4,000,000 contacts")
    assert work.problems(2, max_memory=1e12) == []


@pytest.mark.slow
def test_short_intervals_are_priced_with_their_statistics_tables():
    """Half a day of 1-second intervals with few contacts: what the run and its statistics tables allocate
    (traced) stays under the estimate less the process's baseline (it was a third of it)."""
    data = single_queue(load=5.0, days=1)
    data["interval"], data["horizon"] = 1, "12h"
    sc = sim.load_scenario(data)
    estimate = workload.estimate(sc).memory - workload.PROCESS_BYTES
    tracemalloc.start()
    res = sim.simulate(sc, replications=1, workers=1)
    _ = res.interval_stats, res.group_stats, res.sla_probability, res.summary
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < estimate < 4 * peak


def test_contacts_drawn_from_orders_outside_the_horizon_are_counted():
    """A year of orders before a one-day horizon: every order's contacts are drawn before those outside
    the horizon are dropped, so the estimate counts them all (it said 'about 0 contacts') and refuses,
    naming the source's rate."""
    import datetime

    data = single_queue(load=5.0, days=1)
    first = datetime.date(2026, 11, 2) - datetime.timedelta(days=364)
    data["orders"] = {"average_order_value": 100, "plan": {"days": {
        (first + datetime.timedelta(days=d)).isoformat(): 1_000_000 for d in range(365)}}}
    data["queues"]["q"] = {**data["queues"]["q"], "arrivals": None,
                           "from_orders": {"rate": 100, "lag": {"dist": "exponential", "mean": "1h"}}}
    del data["queues"]["q"]["arrivals"]
    work = workload.estimate(sim.load_scenario(data))
    assert work.draws == pytest.approx(365 * 1e8, rel=1e-6) and work.contacts < 1.1e8
    problem = work.problems(1, max_memory=64 * 2**30)[0]
    assert problem.startswith("queues.q.from_orders.0.rate: about 3.7e+10 contacts drawn from orders") and \
        problem.endswith("got 100.0")


def test_the_estimate_says_how_long_a_replication_takes():
    sc = sim.load_scenario(single_queue(load=5.0, days=1))
    agents = copy.deepcopy(single_queue(load=5.0, days=1))
    agents["groups"]["team"]["headcount"] = 10_000_000
    big = workload.estimate(sim.load_scenario(agents))
    assert big.seconds > workload.LONG_S and "min of one core" in big.describe()
    assert big.notes()[0].startswith("large run:")
    assert workload.estimate(sc).describe().endswith("1 s of one core")
    assert workload.duration(7200) == "2.0 h" and workload.duration(3 * 86400) == "3 days"
