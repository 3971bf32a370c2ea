"""Warm start: a run may begin with each queue's backlog (items with their ages, waiting customers)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import sim

DAY = 86400.0


def back_office(start="2026-11-02T00:00:00", days=2, backlog=None) -> dict:
    """Tickets and refund items around the clock, worked 09:00-18:00 only: at midnight nobody is on duty and
    nothing is being worked, so the state of the centre is the work waiting and its ages.
    """
    tickets = {"channel": "ticket", "arrivals": {"daily_volume": 240, "profile": "ecommerce_chat"},
               "handle_time": {"dist": "exponential", "mean": "6min"}, "deadline": "12h", "sla": {"target": 0.8}}
    refunds = {"channel": "refund", "arrivals": {"daily_volume": 120, "profile": "ecommerce_chat"},
               "handle_time": {"dist": "lognormal", "mean": "8min", "cv": 0.5}, "deadline": "14h",
               "amount": {"dist": "lognormal", "mean": 120, "cv": 0.6}, "sla": {"resolve_within": "12h"}}
    for queue, ages in (backlog or {}).items():
        (tickets if queue == "tickets" else refunds)["backlog"] = {"ages": ages}
    return {"name": "back_office", "start": start, "horizon": f"{days}d", "interval": "1h", "seed": 1,
            "queues": {"tickets": tickets, "refunds": refunds},
            "groups": {"day": {"skills": ["refunds", "tickets"],
                               "shifts": [{"start": "09:00", "end": "18:00", "count": 2}]}}}


def test_a_run_started_with_the_backlog_of_a_longer_run_continues_it():
    """For each replication of a two-day run, the items waiting at midnight between the days, with their
    ages, start a one-day run of the second day. Over 30 replications each, the second day's interval KPIs
    agree (per interval: offered, answered, late, auto-approved, backlog, service level; z-test on the
    difference of means, Bonferroni over the cells at 0.1%).
    """
    reps, cut = 30, DAY
    long = sim.simulate(sim.load_scenario(back_office()), replications=reps, seed=5, record_contacts=True)
    firsts = []
    for r, c in long.contacts.groupby("replication"):
        waiting_then = (c["arrival_s"] < cut) & (c["arrival_s"] + c["wait_s"] > cut)     # not left the queue
        ages = {q: (cut - c.loc[waiting_then & (c["queue"] == q), "arrival_s"]).round(6).tolist()
                for q in ("tickets", "refunds")}
        short = sim.load_scenario(back_office(start="2026-11-03T00:00:00", days=1, backlog=ages))
        firsts.append(sim.simulate(short, seed=100 + r).intervals)
    second = long.intervals[long.intervals["interval_start"] >= "2026-11-03"]
    started = pd.concat(firsts)
    kpis = ["offered", "answered", "late", "auto_approved", "backlog", "service_level"]
    cells = 0
    for kpi in kpis:
        a = second.pivot_table(index="replication", columns=["interval_start", "queue"], values=kpi)
        b = started.assign(replication=np.repeat(range(reps), len(firsts[0]))).pivot_table(
            index="replication", columns=["interval_start", "queue"], values=kpi)
        a, b = a.dropna(axis=1, how="any"), b.dropna(axis=1, how="any")
        common = a.columns.intersection(b.columns)
        a, b = a[common], b[common]
        spread = np.sqrt(a.var(ddof=1) / reps + b.var(ddof=1) / reps)
        varied = spread > 0
        z = (a.mean() - b.mean())[varied] / spread[varied]
        assert (a.mean()[~varied] == b.mean()[~varied]).all(), kpi
        cells += len(common)
        assert np.abs(z.to_numpy()).max(initial=0) < 4.4, (kpi, z.abs().sort_values().tail(3))
    assert cells > 200
    assert (started.groupby("interval_start")["backlog"].sum().iloc[0]) > 0


def test_the_backlog_is_worked_and_counted_apart():
    """Items waiting at the start are worked (first come, first served, so before the day's arrivals), keep
    the deadline of their own arrival, and count as carried in, not as offered.
    """
    ages = {"tickets": [3600.0 * h for h in range(1, 31)], "refunds": [13 * 3600.0, 15 * 3600.0, 2 * 3600.0]}
    res = sim.simulate(sim.load_scenario(back_office(days=1, backlog=ages)), seed=2, record_contacts=True)
    c = res.contacts
    carried = c[c["arrival_s"] < 0]
    assert len(carried) == 33
    totals = res.totals.set_index("queue")
    assert totals.loc["tickets", "carried_in"] == 30 and totals.loc["refunds", "carried_in"] == 3
    assert totals["offered"].sum() == (c["arrival_s"] >= 0).sum()
    assert res.intervals.groupby("interval_start")["backlog"].sum().iloc[0] == 32       # one already approved
    refunds = carried[carried["queue"] == "refunds"].set_index(carried[carried["queue"] == "refunds"]["arrival_s"])
    assert refunds.loc[-15 * 3600.0, "auto_approved"]              # past its 14 h deadline at the start
    assert refunds.loc[-13 * 3600.0, "auto_approved"]              # due at 01:00, before anyone works
    assert not refunds.loc[-2 * 3600.0, "auto_approved"]           # due at 12:00: worked in the morning
    tickets = c[(c["queue"] == "tickets") & (c["outcome"] == "answered")]
    started = tickets["arrival_s"] + tickets["wait_s"]
    assert (carried["queue"] == "tickets").sum() == (tickets["arrival_s"] < 0).sum()      # all answered
    assert started[tickets["arrival_s"] < 0].max() <= started[tickets["arrival_s"] >= 0].min()


def test_waiting_callers_keep_a_fresh_patience():
    """Callers waiting at the start with no agent free abandon after a fresh patience from the start."""
    data = {"name": "calls", "start": "2026-11-02T00:00:00", "horizon": "2h", "interval": "15min",
            "queues": {"hotline": {"channel": "call", "arrivals": {"daily_volume": 0},
                                   "backlog": {"count": 4000, "age": {"dist": "exponential", "mean": "5min"}},
                                   "handle_time": {"dist": "exponential", "mean": 200},
                                   "patience": {"dist": "exponential", "mean": 60}}},
            "groups": {"team": {"skills": ["hotline"], "headcount": 0}}}
    res = sim.simulate(sim.load_scenario(data), seed=1, record_contacts=True)
    c = res.contacts
    gave_up_after = c["arrival_s"] + c["wait_s"]                  # from the start
    assert (c["outcome"] == "abandoned").all() and (gave_up_after >= 0).all()
    assert abs(gave_up_after.mean() - 60) < 4 * 60 / np.sqrt(len(c))


@pytest.mark.parametrize(("backlog", "message"), [
    ({"count": 3}, "queues.tickets.backlog: give 'count' and 'age'"),
    ({"ages": ["-1h"]}, "queues.tickets.backlog.ages"),
])
def test_backlog_mistakes_name_their_key(backlog, message):
    data = back_office()
    data["queues"]["tickets"]["backlog"] = backlog
    with pytest.raises(sim.ScenarioError, match=message.replace(".", r"\.")):
        sim.load_scenario(data)
