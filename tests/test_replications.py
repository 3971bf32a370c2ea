"""Replications: identical tables whatever the number of worker processes; statistics across replications."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim.cli import main
from sim.statistics import cell_stats
from tests.conftest import single_queue

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def normal_day():
    return sim.load_scenario(ROOT / "scenarios" / "normal_day.yaml")


@pytest.fixture(scope="module")
def five(normal_day):
    return sim.simulate(normal_day, replications=5, seed=21, workers=1)


def test_same_tables_whatever_the_workers(normal_day, five):
    parallel = sim.simulate(normal_day, replications=5, seed=21, workers=2)
    for name in ("intervals", "groups", "totals"):
        pd.testing.assert_frame_equal(getattr(five, name), getattr(parallel, name))
    assert five.events == parallel.events


def test_interval_stats_match_a_groupby(five):
    stats = five.interval_stats.set_index(["interval_start", "queue", "kpi"])
    iv = five.intervals
    for kpi in ("offered", "service_level", "asa_s", "max_queue_len"):
        g = iv.groupby(["interval_start", "queue"], sort=False)[kpi]
        mine = stats.xs(kpi, level="kpi")
        np.testing.assert_allclose(mine["mean"], g.mean().reindex(mine.index), equal_nan=True)
        np.testing.assert_allclose(mine["sd"], g.std().reindex(mine.index), equal_nan=True)
        np.testing.assert_allclose(mine["p90"], g.quantile(0.9).reindex(mine.index), equal_nan=True)
    meets = ((iv["service_level"] >= iv["sl_target"]) | (iv["offered"] == 0)).groupby(
        [iv["interval_start"], iv["queue"]], sort=False).mean()
    mine = stats.xs("meets_sl", level="kpi")["mean"]
    np.testing.assert_allclose(mine, meets.reindex(mine.index))


def test_group_totals_and_stats_match_a_groupby(five):
    per_replication = five.groups.groupby(["group", "replication"], sort=False)[
        ["staffed_agent_s", "busy_agent_s", "overtime_agent_s", "answered"]].sum()
    expected = per_replication.groupby("group", sort=False).mean()
    np.testing.assert_allclose(five.group_totals.loc[expected.index, expected.columns], expected)
    stats = five.group_stats[five.group_stats["kpi"] == "occupancy"].set_index(["interval_start", "group"])
    g = five.groups.groupby(["interval_start", "group"], sort=False)["occupancy"]
    np.testing.assert_allclose(stats["mean"], g.mean().reindex(stats.index), equal_nan=True)
    np.testing.assert_allclose(stats["p10"], g.quantile(0.1).reindex(stats.index), equal_nan=True)


def test_intervals_meeting_sl_counts_intervals_with_traffic(five):
    iv = five.intervals[five.intervals["offered"] > 0]
    met = (iv["service_level"] >= iv["sl_target"]).groupby(iv["queue"]).mean()
    summary = five.summary.set_index("queue")["intervals_meeting_sl"]
    np.testing.assert_allclose(summary, met.reindex(summary.index))


def test_sla_probability_per_day_and_horizon(five, normal_day):
    p = five.sla_probability.set_index(["queue", "period"])
    t = five.totals
    for queue in normal_day.queues:
        mine = t[t["queue"] == queue]
        level = mine["answered_within_sl"] / mine["judged"]
        assert p.loc[(queue, "horizon"), "p_meets_sl"] == pytest.approx(
            (level >= normal_day.queues[queue].sla.target).mean())
        assert p.loc[(queue, "2026-10-20"), "service_level"] == pytest.approx(level.mean())
    assert list(five.summary["p_meets_sl"]) == list(p.xs("horizon", level="period")["p_meets_sl"])


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 7).flatmap(lambda r: st.lists(
    st.one_of(st.floats(-1e6, 1e6), st.just(float("nan")), st.sampled_from([0.0, 1.0])),
    min_size=3 * r, max_size=3 * r).map(lambda v: np.array(v).reshape(r, 3))))
def test_cell_stats_agree_with_numpy(values):
    """Sorted-copy statistics equal NumPy's NaN-aware ones, ties, all-NaN cells and single values included."""
    mine = cell_stats(values)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        expected = {"mean": np.nanmean(values, axis=0), "sd": np.nanstd(values, axis=0, ddof=1)}
        expected.update(zip(("p10", "p50", "p90"), np.nanpercentile(values, [10, 50, 90], axis=0)))
    for name, value in expected.items():
        np.testing.assert_allclose(mine[name], value, rtol=1e-9, atol=1e-6, equal_nan=True, err_msg=name)


def test_bad_worker_counts(normal_day, capsys):
    with pytest.raises(ValueError):
        sim.simulate(normal_day, workers=0)
    assert main(["run", str(ROOT / "scenarios" / "normal_day.yaml"), "--workers", "0", "--no-plots"]) == 2
    assert "argument --workers: must be a whole number >= 1, got '0'" in capsys.readouterr().err


@pytest.mark.slow
def test_dask_local_cluster_gives_the_same_tables(normal_day, five):
    """A real Dask LocalCluster on loopback: identical tables to one local process."""
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        on_dask = sim.simulate(normal_day, replications=5, seed=21, dask=client)
    for name in ("intervals", "groups", "totals"):
        pd.testing.assert_frame_equal(getattr(five, name), getattr(on_dask, name))


def test_bad_dask_addresses(capsys):
    scenario = str(ROOT / "scenarios" / "normal_day.yaml")
    for address, message in (("local:0", "local:N needs a number of worker processes N from 1 to"),
                             ("local:100000", "(four per core here), got 'local:100000'"),
                             ("somewhere", "expected tcp://host:port or local:N")):
        assert main(["run", scenario, "--dask", address, "--no-plots"]) == 2
        assert message in capsys.readouterr().err


def test_worst_intervals_put_the_busiest_of_equally_failing_intervals_first():
    """A queue nobody serves in the evening misses every interval there: of the intervals at 0%, the
    busiest come first, not the earliest; a queue with no traffic at all has no worst interval."""
    data = single_queue(load=8.0, aht=300, days=1)
    data["queues"]["q"]["arrivals"]["profile"] = [1] * 18 + [4, 4, 2, 1, 1, 1]      # busiest 18:00-20:00
    data["groups"]["team"] = {"skills": ["q"], "shifts": [{"start": "00:00", "end": "17:00", "count": 10}]}
    res = sim.simulate(sim.load_scenario(data), replications=3, seed=2)
    worst = res.worst_intervals(4)
    assert (worst["p_meets_sl"] == 0).all() and (worst["service_level"] == 0).all()
    hours = worst["interval_start"].dt.hour.tolist()
    assert set(hours[:2]) == {18, 19} and hours[2] == 20
    empty = single_queue(load=5.0, days=1)
    empty["queues"]["q"]["arrivals"]["daily_volume"] = 0
    assert sim.simulate(sim.load_scenario(empty), replications=2).worst_intervals().empty
