"""Functional behaviour: monotone in staff and patience, proficiency, breaks, overtime, reproducibility."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import sim
from tests.conftest import single_queue


def mean_wait(res: sim.Results) -> float:
    t = res.totals
    return float((t["mean_wait_s"] * (t["answered"] + t["abandoned"])).sum()
                 / (t["answered"] + t["abandoned"]).sum())


@given(load=st.floats(3, 12), seed=st.integers(0, 10_000), channel=st.sampled_from(["call", "chat"]),
       concurrency=st.integers(1, 3))
@pytest.mark.slow
def test_more_agents_never_raise_the_mean_wait(load, seed, channel, concurrency):
    """FCFS with identical servers and service requirements attached to customers: every customer's
    wait is non-increasing in the number of servers (same seed = same customers), so the mean is too."""
    concurrency = 1 if channel == "call" else concurrency
    waits = []
    for agents in range(max(1, int(load / concurrency)), int(load / concurrency) + 5):
        sc = sim.load_scenario(single_queue(channel=channel, agents=agents, load=load,
                                            concurrency=concurrency, days=1))
        waits.append(mean_wait(sim.simulate(sc, seed=seed)))
    assert all(later <= earlier + 1e-9 for earlier, later in zip(waits, waits[1:])), waits


def test_more_patience_never_raises_abandonment():
    """Same customers (patience scales with its mean on the same draws): abandonment falls."""
    rates = []
    for patience in (30, 60, 120, 240, 480, 960):
        sc = sim.load_scenario(single_queue(agents=10, load=9, patience=patience, days=3))
        res = sim.simulate(sc, seed=9)
        rates.append(res.totals["abandoned"].sum() / res.totals["offered"].sum())
    assert all(later <= earlier for earlier, later in zip(rates, rates[1:])), rates
    assert rates[0] > 2 * rates[-1]


def test_same_customers_across_staffing_variants():
    """Common random numbers: a variant with other staff sees the same arrivals and draws."""
    small = sim.load_scenario(single_queue(agents=8, load=7, patience=200, days=1))
    large = sim.load_scenario(single_queue(agents=12, load=7, patience=200, days=1))
    a = sim.simulate(small, seed=4, record_contacts=True).contacts
    b = sim.simulate(large, seed=4, record_contacts=True).contacts
    np.testing.assert_array_equal(a["arrival_s"], b["arrival_s"])
    served = a["outcome"].eq("answered") & b["outcome"].eq("answered") & a["end_s"].notna() & b["end_s"].notna()
    np.testing.assert_allclose(a.loc[served, "handle_s"], b.loc[served, "handle_s"], rtol=1e-9)


def test_proficiency_divides_handle_time():
    data = single_queue(agents=3, load=1, days=1, handle={"dist": "constant", "value": 120})
    data["groups"]["team"]["skills"] = {"q": 0.5}
    res = sim.simulate(sim.load_scenario(data), record_contacts=True)
    done = res.contacts.dropna(subset=["end_s"])
    np.testing.assert_allclose(done["handle_s"], 240.0)


def test_break_waits_for_the_current_contact_and_lasts_its_duration():
    """One agent, contacts of exactly 1 h arriving constantly: a break due at 10:30 starts at 11:00."""
    data = single_queue(agents=1, load=50, days=1, handle={"dist": "constant", "value": 3600})
    data["groups"]["team"] = {"skills": ["q"], "shifts": [
        {"start": "08:00", "end": "16:00", "count": 1, "breaks": [{"at": "10:30", "duration": "30min"}]}]}
    res = sim.simulate(sim.load_scenario(data), record_contacts=True)
    spans = res.agents
    breaks = spans[spans["kind"] == "breaks"]
    staffed = spans[spans["kind"] == "staffed"].sort_values("start_s")
    assert breaks[["start_s", "end_s"]].values.tolist() == [[11 * 3600, 11.5 * 3600]]
    assert staffed[["start_s", "end_s"]].values.tolist() == [[8 * 3600, 11 * 3600], [11.5 * 3600, 16.5 * 3600]]
    started = (res.contacts["arrival_s"] + res.contacts["wait_s"])[res.contacts["outcome"] == "answered"]
    assert not ((started > 10.5 * 3600) & (started < 11.5 * 3600)).any()


def test_shift_end_finishes_work_and_measures_overtime():
    """The contact taken at 15:30 ends at 16:30: 30 min of overtime after a 16:00 shift end."""
    data = single_queue(agents=1, load=50, days=1, handle={"dist": "constant", "value": 3600})
    data["groups"]["team"] = {"skills": ["q"], "shifts": [{"start": "07:30", "end": "16:00", "count": 1}]}
    res = sim.simulate(sim.load_scenario(data))
    assert res.groups["overtime_agent_s"].sum() == 1800.0
    sixteen = res.groups[res.groups["interval_start"] == pd.Timestamp("2026-11-02 16:00")]
    assert sixteen["busy_agent_s"].item() == 1800.0 and sixteen["occupancy"].item() == 1.0


def test_shift_crossing_midnight_covers_both_days():
    data = single_queue(agents=1, load=2, days=2)
    data["groups"]["team"] = {"skills": ["q"], "shifts": [{"start": "22:00", "end": "06:00", "count": 3}]}
    res = sim.simulate(sim.load_scenario(data))
    on = res.groups.set_index("interval_start")["agents_on_shift"]
    assert on[pd.Timestamp("2026-11-02 03:00")] > 0       # from the shift that began the evening before
    assert on[pd.Timestamp("2026-11-02 12:00")] == 0
    assert on[pd.Timestamp("2026-11-02 23:00")] > 0


def test_slot_utilisation_matches_the_offered_load():
    """Chats at 8 Erlangs on 5 agents x 4 slots, no abandonment: in steady state 8 of 20 slots are busy."""
    sc = sim.load_scenario(single_queue(channel="chat", agents=5, concurrency=4, load=8, days=3))
    res = sim.simulate(sc, replications=4, seed=2)
    steady = res.groups[res.groups["interval_start"] >= pd.Timestamp("2026-11-03")]
    utilisation = steady["contact_s"].sum() / (steady["staffed_agent_s"].sum() * 4)
    assert abs(utilisation - 0.4) < 0.02
    assert (steady["occupancy"] > utilisation).all()     # busy with at least one chat is more than slot use
