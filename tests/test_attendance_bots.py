"""Absenteeism, mass absences, proficiency per shift row and chatbot deflection."""

from __future__ import annotations

import numpy as np
import pandas as pd

import sim
from sim.arrivals import generate_demand
from sim.attendance import draw_attendance
from sim.engine import Model
from tests.conftest import single_queue


def rostered(absenteeism: float = 0.0, **group) -> dict:
    data = single_queue(agents=1, load=20, days=3, patience=120)
    data["groups"]["team"] = {"skills": ["q"], "absenteeism": absenteeism, **group, "shifts": [
        {"start": "08:00", "end": "16:00", "count": 30}, {"start": "16:00", "end": "24:00", "count": 20}]}
    return data


def test_no_show_share_matches_the_probability():
    """Over 40 replications of 150 agent-shifts, the share of no-shows is 0.12 (99.9% binomial band)."""
    sc = sim.load_scenario(rostered(0.12))
    shows = [Model(sc, generate_demand(sc, r, 4), draw_attendance(sc, r, 4)).run().agent_shift.shape[0]
             for r in range(40)]
    rostered_shifts = 40 * 3 * 50
    share = 1 - sum(shows) / rostered_shifts
    assert abs(share - 0.12) < 3.3 * np.sqrt(0.12 * 0.88 / rostered_shifts)


def test_zero_absenteeism_equals_no_key():
    plain = rostered()
    del plain["groups"]["team"]["absenteeism"]
    zero = rostered(0.0, mass_absences=[{"start": "2026-11-02T10:00", "end": "2026-11-02T12:00", "share": 0.0}])
    a = sim.simulate(sim.load_scenario(plain), replications=2, seed=6)
    b = sim.simulate(sim.load_scenario(zero), replications=2, seed=6)
    pd.testing.assert_frame_equal(a.intervals, b.intervals)
    pd.testing.assert_frame_equal(a.groups, b.groups)


def test_absence_draws_are_per_shift_occurrence():
    """Changing one shift row's count leaves who is absent on the other row unchanged."""
    a = sim.load_scenario(rostered(0.3))
    data = rostered(0.3)
    data["groups"]["team"]["shifts"][1]["count"] = 25
    b = sim.load_scenario(data)
    pa, pb = draw_attendance(a, 0, 9).present, draw_attendance(b, 0, 9).present
    for day in range(3):
        np.testing.assert_array_equal(pa[("team", 0, day)], pb[("team", 0, day)])


def test_mass_absence_takes_the_share_off_the_floor():
    """Everyone is missing 10:00-12:00 on the 2nd (after finishing what they hold); back at 12:00."""
    data = rostered(0.0, mass_absences=[{"start": "2026-11-02T10:00", "end": "2026-11-02T12:00", "share": 1.0}])
    res = sim.simulate(sim.load_scenario(data), seed=1)
    on = res.groups.set_index("interval_start")["agents_on_shift"]
    assert on[pd.Timestamp("2026-11-02 11:00")] == 0
    assert on[pd.Timestamp("2026-11-02 09:00")] == 30 and on[pd.Timestamp("2026-11-03 11:00")] == 30
    assert on[pd.Timestamp("2026-11-02 13:00")] > 25       # back, less the ones still finishing a call


def test_proficiency_per_shift_row():
    """New hires on the late row (proficiency 0.5) take twice the handle time."""
    data = single_queue(agents=1, load=2, days=1, handle={"dist": "constant", "value": 100})
    data["groups"]["team"] = {"skills": ["q"], "shifts": [
        {"start": "00:00", "end": "12:00", "count": 5}, {"start": "12:00", "end": "24:00", "count": 5,
                                                         "proficiency": 0.5}]}
    c = sim.simulate(sim.load_scenario(data), record_contacts=True).contacts.dropna(subset=["end_s"])
    started = c["arrival_s"] + c["wait_s"]
    assert np.allclose(c.loc[started < 12 * 3600 - 1, "handle_s"], 100)
    assert np.allclose(c.loc[started >= 12 * 3600, "handle_s"], 200)


def bot_scenario(share, during=None) -> sim.Scenario:
    data = single_queue(channel="chat", agents=5, concurrency=3, load=8, days=2)
    data["queues"]["q"]["bot"] = {"share": share, **({"share_during_surges": during} if during is not None else {})}
    data["surges"] = [{"start": "2026-11-02T10:00", "end": "2026-11-02T14:00", "multiplier": 3}]
    return sim.load_scenario(data)


def test_bot_share_outside_and_during_surges():
    sc = bot_scenario(0.4, during=0.1)
    d = generate_demand(sc, 0, 5)
    in_surge = (d.deflected_time >= 10 * 3600) & (d.deflected_time < 14 * 3600)
    all_time = np.concatenate([d.time, d.deflected_time])
    arrivals_in_surge = ((all_time >= 10 * 3600) & (all_time < 14 * 3600)).sum()
    arrivals_out = all_time.size - arrivals_in_surge
    for hits, n, share in ((in_surge.sum(), arrivals_in_surge, 0.1), ((~in_surge).sum(), arrivals_out, 0.4)):
        assert abs(hits / n - share) < 3.3 * np.sqrt(share * (1 - share) / n)
    iv = sim.simulate(sc, seed=5).intervals
    assert iv["deflected"].sum() == d.deflected_time.size
    assert iv["offered"].sum() == d.time.size                # deflected contacts never queue


def test_bots_keep_the_other_customers_draws():
    """The customers who reach an agent keep their arrival time and handle time whatever the bot share."""
    low, high = generate_demand(bot_scenario(0.1), 0, 5), generate_demand(bot_scenario(0.5), 0, 5)
    common, i_low, i_high = np.intersect1d(low.time, high.time, return_indices=True)
    assert common.size > 0.4 * high.time.size
    np.testing.assert_array_equal(low.work[i_low], high.work[i_high])
