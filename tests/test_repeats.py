"""Repeat contacts: customers whose problem was not solved come back, and first-contact resolution is
measured as the shops define it (no repeat contact within N days).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import sim
from sim.staffing.requirements import interval_rates
from tests.conftest import single_queue

DAY = 86400.0


def repeat_scenario(probability=0.2, mean_delay="8h", within="1d", to=None, days=5) -> dict:
    data = single_queue(agents=40, aht=300.0, load=10.0, patience=600, days=days)
    data["queues"]["q"]["repeat"] = {"probability": probability, "within": within,
                                     "delay": {"dist": "exponential", "mean": mean_delay}, **({"to": to} if to else {})}
    return data


def test_measured_first_contact_resolution_is_the_configured_one():
    """Measured on the simulated records, as a shop would on its log: of the contacts resolved at least a
    day before the horizon, the share with no repeat contact arriving within a day of their end is
    1 − p·(1 − e^(−1 day / mean delay)); and the run's first_contact_resolution KPI is the same (95% t
    intervals over 12 replications, each widened by the binomial error of the expected value).
    """
    p, mean = 0.2, 8 * 3600.0
    sc = sim.load_scenario(repeat_scenario(probability=p, mean_delay="8h"))
    expected = 1 - p * (1 - np.exp(-DAY / mean))
    res = sim.simulate(sc, replications=12, seed=3, record_contacts=True)
    measured = []
    for _, c in res.contacts.groupby("replication"):
        c = c.reset_index(drop=True)
        resolved = c[(c["outcome"] == "answered") & c["end_s"].notna() & (c["end_s"] < sc.horizon - DAY)]
        repeats = c[c["repeat_of"] >= 0]
        gap = pd.Series(repeats["arrival_s"].to_numpy(), index=repeats["repeat_of"].to_numpy())
        came_back = gap.reindex(resolved.index) - resolved["end_s"] <= DAY
        measured.append(1 - came_back.mean())
    for values in (np.array(measured), res.totals["first_contact_resolution"].to_numpy()):
        half = 2.2 * values.std(ddof=1) / np.sqrt(values.size)
        assert abs(values.mean() - expected) < half + 1e-3, (values.mean(), expected, half)


def test_repeats_come_back_to_their_queue_and_count_as_offered():
    data = repeat_scenario(probability=0.3, to="back")
    data["queues"]["back"] = {"channel": "call", "handle_time": {"dist": "exponential", "mean": 200}}
    data["groups"]["team"]["skills"] = ["q", "back"]
    res = sim.simulate(sim.load_scenario(data), seed=2, record_contacts=True)
    c = res.contacts
    totals = res.totals.set_index("queue")
    assert totals.loc["back", "repeats"] == totals.loc["back", "offered"] == (c["repeat_of"] >= 0).sum() > 100
    assert totals.loc["q", "repeats"] == 0
    share = (c.loc[c["queue"] == "q", "repeat_at_s"].notna()).sum() / (c["queue"] == "q").sum()
    assert 0.25 < share < 0.32                  # repeats of the answered, nearly all of them


def test_a_repeat_probability_of_zero_changes_nothing():
    """No repeat draws are made where nobody comes back: the same customers as without the key (common
    random numbers), every resolved contact resolved at first contact.
    """
    data = single_queue(agents=12, aht=300.0, load=10.0, patience=200)
    plain = sim.load_scenario(data)
    data["queues"]["q"]["repeat"] = {"probability": 0.0, "delay": {"dist": "exponential", "mean": 60}}
    never = sim.load_scenario(data)
    a, b = sim.simulate(plain, seed=4), sim.simulate(never, seed=4)
    pd.testing.assert_frame_equal(a.intervals, b.intervals)
    assert (b.totals["first_contact_resolution"] == 1).all() and (b.totals["repeats"] == 0).all()


def test_an_unknown_repeat_queue_is_named():
    with pytest.raises(sim.ScenarioError, match=r"queues\.q\.repeat\.to: unknown queue"):
        sim.load_scenario(repeat_scenario(to="nowhere"))


def test_staffing_counts_the_customers_coming_back():
    """The formulas' expected arrivals include repeats: λ at the start, λ / (1 − p) once repeats of repeats
    have built up, and interval by interval the simulated offered contacts (everyone served at once;
    20 replications, 4 standard errors each).
    """
    p = 0.3
    data = repeat_scenario(probability=p, mean_delay="2h", days=2)
    data["groups"]["team"]["headcount"] = 400
    del data["queues"]["q"]["patience"]
    sc = sim.load_scenario(data)
    rates = interval_rates(sc, "q")
    base = 10.0 / 300.0
    assert rates[0] == pytest.approx(base * (1 + p * (1 - np.exp(-0.5 * 3600 / 7200))), rel=0.05)
    assert rates[-1] == pytest.approx(base / (1 - p), rel=1e-3)
    offered = sim.simulate(sc, replications=20, seed=6).intervals.pivot(
        index="interval_start", columns="replication", values="offered").to_numpy()
    expected = rates * sc.interval
    error = offered.std(axis=1, ddof=1) / np.sqrt(offered.shape[1])
    assert (np.abs(offered.mean(axis=1) - expected) < 4 * error + 1).all()
