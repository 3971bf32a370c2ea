"""Tickets (工单): nobody abandons, a first-reply deadline, a backlog carried over nights."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

import sim
from sim.channels import CHANNELS
from sim.cli import main


def ticket_scenario(*, deadline="12h", from_orders=False, days=3) -> dict:
    """Tickets around the clock; a day team of 4 works them 09:00-18:00 only."""
    queue = {"channel": "ticket", "handle_time": {"dist": "exponential", "mean": "5min"}, "deadline": deadline,
             "sla": {"target": 0.9}}
    scenario = {"name": "tickets", "start": "2026-11-02T00:00:00", "horizon": f"{days}d", "interval": "1h", "seed": 7,
                "queues": {"tickets": queue},
                "groups": {"day": {"skills": ["tickets"], "shifts": [{"start": "09:00", "end": "18:00", "count": 4}]}}}
    if from_orders:
        scenario["orders"] = {"arrivals": {"daily_volume": 20000, "profile": "flat"}, "average_order_value": 100}
        queue["from_orders"] = {"rate": 0.01, "lag": {"dist": "exponential", "mean": "6h"}}
    else:
        queue["arrivals"] = {"daily_volume": 200, "profile": "flat"}
    return scenario


@pytest.fixture(scope="module")
def run() -> sim.Results:
    return sim.simulate(sim.load_scenario(ticket_scenario()), replications=3, seed=3, record_contacts=True)


def test_ticket_channel_is_exclusive_without_patience_and_late_at_its_deadline():
    ticket = CHANNELS["ticket"]
    assert ticket.exclusive and not ticket.patience and ticket.at_deadline == "late" and ticket.sl_clock == "answer"


def test_nobody_abandons_and_night_tickets_wait_for_the_morning(run):
    c = run.contacts
    assert (c["outcome"] != "abandoned").all()
    answered = c[c["outcome"] == "answered"]
    answer_hour = ((answered["arrival_s"] + answered["wait_s"]) % 86400) / 3600
    assert ((answer_hour >= 9) & (answer_hour <= 18 + 1)).all()       # replies only while the team works
    night = answered[(answered["arrival_s"] % 86400) < 6 * 3600]
    assert len(night) > 0 and (night["wait_s"] > 3 * 3600).all()


def test_backlog_is_what_arrived_and_was_not_yet_replied_to(run):
    """The interval table's backlog at each interval start, against the per-contact records."""
    c, iv = run.contacts, run.intervals
    for r in range(run.replications):
        mine, table = c[c["replication"] == r], iv[iv["replication"] == r]
        starts = (table["interval_start"] - pd.Timestamp(run.scenario.start)).dt.total_seconds().to_numpy()
        replied = (mine["arrival_s"] + mine["wait_s"]).where(mine["outcome"] == "answered", np.inf).to_numpy()
        arrived = mine["arrival_s"].to_numpy()
        expected = [int(np.sum((arrived < t) & (replied >= t))) for t in starts[1:]]
        assert table["backlog"].to_numpy()[1:].tolist() == expected
    assert iv.loc[iv["interval_start"].dt.hour == 9, "backlog"].min() > 0      # the night's tickets


def test_late_and_service_level_follow_the_deadline(run):
    """Late: replied after the deadline, or still open past it at the horizon; the service level counts
    replies within the deadline over tickets that could be judged."""
    c = run.contacts.copy()
    deadline, horizon = 12 * 3600, run.scenario.horizon
    answered = c["outcome"] == "answered"
    late = (answered & (c["wait_s"] > deadline)) | (~answered & (horizon - c["arrival_s"] > deadline))
    totals = run.totals.set_index("replication")
    for r in range(run.replications):
        mine = c["replication"] == r
        assert totals.loc[r, "late"] == late[mine].sum()
        judged = mine & (answered | (horizon - c["arrival_s"] > deadline))
        within = mine & answered & (c["wait_s"] <= deadline)
        assert totals.loc[r, "service_level"] == pytest.approx(within.sum() / judged.sum())
    assert late.sum() > 0 and (~late).sum() > 0


def test_one_service_level_in_the_summary_the_days_and_the_intervals(run):
    """Tickets still open at the end and not yet due are left out of every service level alike: the
    summary's, each day's (the last day has them) and the horizon's; the days say how many."""
    c, days = run.contacts, run.sla_probability.set_index(["queue", "period"])
    deadline, horizon = 12 * 3600, run.scenario.horizon
    answered = c["outcome"] == "answered"
    pending = ~answered & (horizon - c["arrival_s"] <= deadline)
    within = answered & (c["wait_s"] <= deadline)
    day = (c["arrival_s"] // 86400).astype(int)
    for d in range(run.scenario.n_days):
        mine = day == d
        levels = [within[mine & (c["replication"] == r)].sum() / (mine & ~pending & (c["replication"] == r)).sum()
                  for r in range(run.replications)]
        row = days.loc[("tickets", str(run.scenario.day(d)))]
        assert row["service_level"] == pytest.approx(np.mean(levels))
        assert row["open_at_end"] == pytest.approx((mine & pending).sum() / run.replications)
    assert days.loc[("tickets", "horizon"), "open_at_end"] > 0
    assert days.loc[("tickets", "horizon"), "service_level"] == pytest.approx(run.summary["service_level"].iloc[0])


def test_tickets_may_come_from_orders():
    res = sim.simulate(sim.load_scenario(ticket_scenario(from_orders=True)), replications=2, seed=1)
    offered = res.totals["offered"]
    assert (offered > 0.01 * 20000 * 1.5).all()        # most of three days' orders, after a 6 h lag


def test_ticket_keys_are_checked_per_channel(tmp_path, capsys):
    data = ticket_scenario()
    data["queues"]["tickets"]["patience"] = {"dist": "exponential", "mean": 60}
    data["queues"]["tickets"]["sla"] = {"target": 0.9, "answer_within": 30}
    path = tmp_path / "t.yaml"
    path.write_text(yaml.safe_dump(data))
    assert main(["check", str(path)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert f"{path}: queues.tickets.patience: applies to chat and call queues, got channel 'ticket'" in err
    assert any(line.startswith(f"{path}: queues.tickets.sla.answer_within: unknown key") for line in err), err


def test_summary_shows_tickets_late_and_replies_in_hours(run):
    from rich.console import Console

    from sim.console import summary_tables
    screen = Console(record=True, width=160)
    for table in summary_tables(run):
        screen.print(table)
    text = screen.export_text()
    assert "late" in text and "replied" in text and " h " in text


def test_tickets_open_too_long_move_to_the_escalation_queue():
    """With escalate_after 12 h, the tickets of the night (the day team works 09:00-18:00) that wait past
    it move on, each once, exactly 12 h after arriving, and the supervisors answer them; those the day
    team took in time stay. The supervisors' queue receives one follow-up per transferred ticket.
    """
    data = ticket_scenario(deadline="1d")
    data["queues"]["tickets"]["escalate_after"] = {"after": "12h", "to": "supervisors"}
    data["queues"]["supervisors"] = {"channel": "ticket", "handle_time": {"dist": "exponential", "mean": "5min"},
                                     "deadline": "1d"}
    data["groups"]["leads"] = {"skills": ["supervisors"], "headcount": 2}
    res = sim.simulate(sim.load_scenario(data), seed=3, record_contacts=True)
    c = res.contacts
    moved = c[c["outcome"] == "transferred"]
    assert len(moved) > 20 and np.allclose(moved["wait_s"], 12 * 3600)
    answered = c[(c["queue"] == "tickets") & (c["outcome"] == "answered")]
    assert (answered["wait_s"] <= 12 * 3600 + 1e-6).all()
    followups = c[c["queue"] == "supervisors"]
    assert sorted(followups["origin"]) == sorted(moved.index)
    assert np.allclose(followups["arrival_s"].to_numpy(), moved.loc[followups["origin"], "arrival_s"] + 12 * 3600)
    totals = res.totals.set_index("queue")
    assert totals.loc["tickets", "transferred"] == len(moved)
    assert totals.loc["supervisors", "offered"] == len(moved)
