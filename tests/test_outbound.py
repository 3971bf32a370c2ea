"""Outbound work (``channel: outbound``): call lists dialled in their hours, attempts and retries, pickup,
blending with inbound work, call-backs after resolved work and the balance recovered.
"""

from __future__ import annotations

import numpy as np
import pytest

import sim
from sim.call_lists import mean_attempt_s
from sim.html_report import attempt
from sim.scenario.campaigns import Pickup
from sim.staffing.backoffice import backoffice_requirements
from sim.staffing.roster import staffed_scenario
from tests import pages

DAY = 86400.0


def outbound_scenario(*, entries=1500, attempts=3, pickup=None, agents=30, extra=None) -> dict:
    """A call list of ``entries`` customers on average joining in the first four hours, worked by a
    dedicated team over a day.
    """
    queue = {"channel": "outbound", "arrivals": {"daily_volume": entries, "profile": [1] * 4 + [0] * 20},
             "attempts": attempts, "retry_after": {"dist": "exponential", "mean": "30min"},
             "pickup": pickup or {"answer": 0.5, "busy": 0.1}, "handle_time": {"dist": "exponential", "mean": 60},
             **(extra or {})}
    return {"name": "outbound", "start": "2026-11-10T00:00:00", "horizon": "1d", "interval": "1h", "seed": 3,
            "queues": {"reminders": queue}, "groups": {"team": {"skills": ["reminders"], "headcount": agents}}}


def _within(values: np.ndarray, expected: float, z: float = 3.5) -> None:
    half = z * values.std(ddof=1) / np.sqrt(values.size)
    assert abs(values.mean() - expected) < half + 1e-4, (values.mean(), expected, half)


@pytest.mark.parametrize("attempts", [1, 3])
def test_share_reached_is_one_minus_the_chance_of_missing_every_attempt(attempts):
    """Every entry gets all its attempts (ample agents, a day to make them): the answer rate is the chance
    p of one attempt, (1 − busy) × answer × P(picks up within the rings), and the share of the list
    reached 1 − (1 − p)^k (12 replications, 3.5 standard errors).
    """
    data = outbound_scenario(attempts=attempts)
    sc = sim.load_scenario(data)
    p = Pickup(**data["queues"]["reminders"]["pickup"]).reach_probability()
    assert 0.3 < p < 0.45
    res = sim.simulate(sc, replications=12, seed=5)
    totals = res.totals
    assert (totals["abandoned"] == 0).all() and (totals["waiting_at_end"] == 0).all()   # every attempt made
    _within(totals["service_level"].to_numpy(), p)
    _within(totals["reach_rate"].to_numpy(), 1 - (1 - p) ** attempts)
    if attempts > 1:
        assert (totals["retrials"] > 0).all()


def test_attempts_follow_their_rules():
    """On the records: an entry's attempts come retry_after after the previous one ended (retry_after_busy
    after a busy line; no dialling hours here), no more than ``attempts`` of them, none after one
    connected; the agent is held for the connect time plus the full rings when nobody answers, the
    connect time alone on a busy line.
    """
    data = outbound_scenario(entries=600, pickup={"answer": 0.4, "busy": 0.2, "rings": 2, "ring": "6s",
                                                 "connect": "4s"})
    data["queues"]["reminders"]["retry_after"] = {"dist": "constant", "value": "45min"}
    data["queues"]["reminders"]["retry_after_busy"] = {"dist": "constant", "value": "10min"}
    res = sim.simulate(sim.load_scenario(data), seed=8, record_contacts=True)
    c = res.contacts.sort_values(["caller", "attempt"])
    assert set(c["dial"]) == {"connected", "no answer", "busy"}
    handle = c["handle_s"]
    assert np.allclose(handle[c["dial"] == "no answer"], 4 + 12)
    assert np.allclose(handle[c["dial"] == "busy"], 4)
    assert (handle[c["dial"] == "connected"] > 4).all()
    per_entry = c.groupby("caller")
    assert per_entry.size().max() == 3
    assert (per_entry["dial"].apply(lambda d: (d == "connected").sum() <= 1 and
                                    ("connected" not in list(d)[:-1]))).all()
    gap = (c["arrival_s"] - per_entry["end_s"].shift())[c["attempt"] > 0]
    after_busy = (per_entry["dial"].shift() == "busy")[c["attempt"] > 0]
    assert np.allclose(gap[after_busy], 10 * 60) and np.allclose(gap[~after_busy], 45 * 60)


def test_dialling_hours_and_the_window_bound_the_attempts():
    """No attempt starts outside the dialling hours or after the window's end; entries joining before the
    window wait for it, and those not dialled by its end expire (counted as abandoned, never dialled).
    """
    extra = {"arrivals": {"daily_volume": 2000, "profile": "flat"},
             "campaign": {"window": {"start": "2026-11-10T06:00", "end": "2026-11-11T12:00"},
                          "hours": {"start": "09:00", "end": "21:00"}}}
    data = outbound_scenario(agents=3, extra=extra)
    data["horizon"] = "2d"
    sc = sim.load_scenario(data)
    res = sim.simulate(sc, seed=4, record_contacts=True)
    c = res.contacts
    dialled = c[c["outcome"] == "answered"]
    start = dialled["arrival_s"] + dialled["wait_s"]
    hour = (start % DAY) / 3600
    assert ((hour >= 9) & (hour < 21)).all() and (start < 36 * 3600).all()
    assert (c["arrival_s"] >= 9 * 3600).all()            # the first joined at 06:00, dialled from 09:00
    expired = c[c["outcome"] == "abandoned"]
    assert len(expired) > 100 and np.allclose(expired["arrival_s"] + expired["wait_s"], 36 * 3600)
    assert (c["outcome"] != "waiting").all()
    assert res.totals.loc[0, "abandoned"] == len(expired)


def test_blended_agents_dial_only_below_the_inbound_threshold():
    """Agents who serve a hotline and a call list (listed first) dial only while fewer than
    ``blend.inbound_below`` callers wait: checked against the waiting callers reconstructed from the
    records at every attempt's start. Without the rule they dial while more wait.
    """
    def waiting_at_dial(blend):
        data = outbound_scenario(entries=4000, agents=12, extra={"blend": {"inbound_below": blend}} if blend else {})
        data["queues"]["hotline"] = {"channel": "call", "arrivals": {"daily_volume": 2400, "profile": "flat"},
                                     "handle_time": {"dist": "exponential", "mean": 240},
                                     "patience": {"dist": "exponential", "mean": 300}}
        data["groups"]["team"]["skills"] = ["reminders", "hotline"]
        c = sim.simulate(sim.load_scenario(data), seed=6, record_contacts=True).contacts
        calls = c[c["queue"] == "hotline"]
        arrived, left = calls["arrival_s"].to_numpy(), (calls["arrival_s"] + calls["wait_s"]).to_numpy()
        dials = c[(c["queue"] == "reminders") & (c["outcome"] == "answered")]
        starts = (dials["arrival_s"] + dials["wait_s"]).to_numpy()
        return np.array([((arrived < s) & (left > s)).sum() for s in starts])

    blended = waiting_at_dial(3)
    assert blended.size > 1000 and blended.max() < 3
    assert (blended > 0).sum() > 10                   # the threshold is 3, not "nobody waiting"
    assert waiting_at_dial(None).max() >= 3


def test_call_backs_follow_resolved_work_and_the_balance_recovered_is_counted():
    """A share of the refunds resolved puts its customer on the follow-up list ``after`` the resolution;
    the balance recovered is balance × pays over the entries reached.
    """
    data = outbound_scenario(entries=800, extra={"balance": {"amount": {"dist": "constant", "value": 200},
                                                             "pays": 0.6}})
    data["queues"]["refunds"] = {"channel": "refund", "arrivals": {"daily_volume": 3000, "profile": "flat"},
                                 "handle_time": {"dist": "exponential", "mean": 120}}
    data["queues"]["follow_ups"] = {"channel": "outbound", "handle_time": {"dist": "exponential", "mean": 90},
                                    "after_resolution": {"queues": ["refunds"], "share": 0.25,
                                                       "after": {"dist": "constant", "value": "2h"}}}
    data["groups"]["back"] = {"skills": ["refunds"], "headcount": 10}
    data["groups"]["team"]["skills"] = ["reminders", "follow_ups"]
    res = sim.simulate(sim.load_scenario(data), replications=4, seed=9, record_contacts=True)
    totals = res.totals.set_index(["replication", "queue"])
    for r, c in res.contacts.groupby("replication"):
        refunds = c[(c["queue"] == "refunds") & c["end_s"].notna()]
        called = c[(c["queue"] == "follow_ups") & (c["attempt"] == 0)]
        eligible = refunds[refunds["end_s"] + 7200 < 86400]
        assert abs(len(called) - 0.25 * len(eligible)) < 4 * np.sqrt(0.25 * 0.75 * len(eligible))
        assert np.isin(np.round(called["arrival_s"] - 7200, 6), np.round(refunds["end_s"], 6)).all()
        row = totals.loc[(r, "reminders")]
        assert row["recovered_value"] == pytest.approx(row["reached"] * 200 * 0.6)
        assert np.isnan(totals.loc[(r, "follow_ups"), "recovered_value"]) or totals.loc[(r, "follow_ups"),
                                                                                         "recovered_value"] == 0


@pytest.mark.parametrize(("change", "message"), [
    (lambda q: q.update(after_resolution={"queues": ["nowhere"], "share": 0.1}),
     r"queues\.reminders\.after_resolution\.queues: unknown queue"),
    (lambda q: q.update(campaign={"window": {"start": "2026-12-01T00:00", "end": "2026-12-02T00:00"}}),
     r"queues\.reminders\.campaign\.window: outside the horizon"),
    (lambda q: q.update(campaign={"hours": {"start": "09:00", "end": "09:00"}}),
     r"queues\.reminders\.campaign\.hours: .*no hours to dial"),
    (lambda q: q.update(attempts=0), r"queues\.reminders\.attempts"),
    (lambda q: q.update(pickup={"answer": 1.5}), r"queues\.reminders\.pickup\.answer"),
])
def test_mistakes_are_named(change, message):
    data = outbound_scenario()
    change(data["queues"]["reminders"])
    with pytest.raises(sim.ScenarioError, match=message):
        sim.load_scenario(data)


def test_the_mean_agent_time_of_an_attempt_is_the_one_simulated():
    """``mean_attempt_s`` (connect, rings and talk over the outcomes) against the mean handle time of the
    simulated attempts (3.5 standard errors).
    """
    data = outbound_scenario(entries=3000, pickup={"answer": 0.6, "busy": 0.15, "rings": 2,
                                                   "answers_after": {"dist": "lognormal", "mean": 9, "cv": 0.8}})
    sc = sim.load_scenario(data)
    handle = sim.simulate(sc, seed=2, record_contacts=True).contacts["handle_s"].dropna().to_numpy()
    assert abs(handle.mean() - mean_attempt_s(sc.queues["reminders"])) < 3.5 * handle.std() / np.sqrt(handle.size)


@pytest.mark.slow
def test_a_call_list_is_staffed_to_be_worked_within_its_deadline_in_its_hours():
    """The deferred-work rule on a call list (entries joining in the dialling hours, 08:00-20:00, to be
    dialled within 4 hours): no agents asked for outside the hours, and staffed as it asks almost no entry
    expires (3 replications); with half of those agents many do.
    """
    extra = {"arrivals": {"daily_volume": 2400, "profile": [0] * 8 + [1] * 12 + [0] * 4},
             "campaign": {"hours": {"start": "08:00", "end": "20:00"}, "deadline": "4h"}}
    data = outbound_scenario(extra=extra)
    data["horizon"] = "2d"
    sc = sim.load_scenario(data)
    need = backoffice_requirements(sc, replications=3, seed=1, workers=1)
    agents = need["agents"].to_numpy()
    hour = np.arange(agents.size) % 24
    assert (agents[(hour < 8) | (hour >= 20)] == 0).all() and agents[(hour >= 12) & (hour < 20)].min() > 0

    def expired_share(staff: np.ndarray) -> float:
        staffed = staffed_scenario(sc, {"reminders": staff}, "staffed")
        totals = sim.simulate(staffed, replications=3, seed=4, workers=1).totals
        return totals["abandoned"].sum() / totals["first_attempts"].sum()

    assert expired_share(agents) < 0.02
    assert expired_share(np.ceil(agents / 2)) > 0.1


def test_the_run_page_shows_the_call_lists_with_the_summary_numbers(tmp_path):
    data = outbound_scenario(entries=300, extra={"balance": {"amount": {"dist": "constant", "value": 100}}})
    res = sim.simulate(sim.load_scenario(data), replications=2, seed=1, workers=1)
    out = res.save(tmp_path / "out", plots=False)
    attempt(out)
    table = pages.parse(out / "report.html").tables["call_lists"]
    row = res.summary.iloc[0]
    cells = [value for value, _ in table["rows"][0]]
    assert cells[0] == "reminders" and float(cells[1]) == row["first_attempts"] and float(cells[2]) == row["attempts"]
    assert float(cells[3]) == pytest.approx(row["service_level"])
    assert float(cells[5]) == pytest.approx(row["reach_rate"])
    assert float(cells[8]) == pytest.approx(row["recovered_value"])
