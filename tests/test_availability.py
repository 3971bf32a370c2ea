"""Agent availability: not-ready (aux) episodes, planned shrinkage, and their place in the group tables."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import sim
from tests.conftest import single_queue
from tests.test_validation import assert_in_ci


def _idle_team(not_ready=None, shifts=None, days=3, volume=0.0) -> dict:
    data = single_queue(agents=20, aht=300, rate_per_s=volume / 86400, days=days)
    team = data["groups"]["team"]
    if not_ready is not None:
        team["not_ready"] = not_ready
    if shifts is not None:
        del team["headcount"]
        team["shifts"] = shifts
    return data


def test_not_ready_takes_its_share_of_on_duty_time_in_episodes_of_its_mean():
    """Without traffic the episodes are exogenous on/off periods: the time-average identity says the
    not-ready share of on-duty time is mean / (mean + mean ready time) = share, and episodes average mean."""
    res = sim.simulate(sim.load_scenario(_idle_team({"share": 0.2, "mean": "5min"})), replications=20, seed=8,
                       record_contacts=True)
    g = res.groups.groupby("replication")[["not_ready_agent_s", "staffed_agent_s"]].sum()
    assert_in_ci(g["not_ready_agent_s"] / (g["not_ready_agent_s"] + g["staffed_agent_s"]), 0.2, "not-ready share")
    episodes = res.agents[res.agents["kind"] == "not_ready"]
    inside = episodes[episodes["end_s"] < res.scenario.horizon]          # whole episodes only
    per_replication = (inside["end_s"] - inside["start_s"]).groupby(inside["replication"]).mean()
    assert_in_ci(per_replication, 300.0, "not-ready episode length")


def test_not_ready_agents_answer_less_and_callers_wait_more():
    base = single_queue(agents=10, aht=300, load=8.0, days=2)
    aux = single_queue(agents=10, aht=300, load=8.0, days=2)
    aux["groups"]["team"]["not_ready"] = {"share": 0.1, "mean": "5min"}
    a, b = (sim.simulate(sim.load_scenario(d), replications=5, seed=3) for d in (base, aux))
    assert b.summary["asa_s"].iloc[0] > 1.5 * a.summary["asa_s"].iloc[0]
    assert a.groups["not_ready_agent_s"].sum() == 0 < b.groups["not_ready_agent_s"].sum()


def test_shrinkage_takes_its_share_of_the_shift_at_its_time():
    shifts = [{"start": "08:00", "end": "20:00", "count": 4,
               "shrinkage": [{"at": "10:00", "duration": "1h", "share": 0.5}]}]
    res = sim.simulate(sim.load_scenario(_idle_team(shifts=shifts)), replications=1, seed=1)
    hours = res.groups["interval_start"].dt.hour
    assert (res.groups.loc[hours == 10, "shrinkage_agent_s"] == 2 * 3600).all()
    assert (res.groups.loc[hours == 10, "agents_on_shift"] == 2).all()
    assert (res.groups.loc[hours != 10, "shrinkage_agent_s"] == 0).all()


def test_a_break_due_during_a_not_ready_episode_starts_on_time():
    shifts = [{"start": "08:00", "end": "20:00", "count": 20, "breaks": [{"at": "12:00", "duration": "1h"}]}]
    res = sim.simulate(sim.load_scenario(_idle_team({"share": 0.5, "mean": "20min"}, shifts=shifts)),
                       replications=2, seed=5, record_contacts=True)
    breaks = res.agents[res.agents["kind"] == "breaks"]
    assert len(breaks) == 2 * 3 * 20
    assert np.allclose(breaks["start_s"] % 86400, 12 * 3600) and np.allclose(breaks["end_s"] % 86400, 13 * 3600)


def test_the_same_seed_gives_the_same_not_ready_episodes():
    data = _idle_team({"share": 0.2, "mean": "5min"}, volume=3000)
    a, b = (sim.simulate(sim.load_scenario(data), replications=2, seed=4, record_contacts=True) for _ in range(2))
    assert a.agents.equals(b.agents) and a.groups.equals(b.groups)


def test_hourly_shares_put_the_episodes_in_their_hours():
    """Not ready half the time from 10:00 to 12:00 only: every episode starts in those hours, and there the
    not-ready share of on-duty time is the hour's share (the on/off identity, as above)."""
    shares = [0.5 if hour in (10, 11) else 0.0 for hour in range(24)]
    res = sim.simulate(sim.load_scenario(_idle_team({"share": shares, "mean": "2min"})), replications=10, seed=6,
                       record_contacts=True)
    episodes = res.agents[res.agents["kind"] == "not_ready"]
    assert len(episodes) > 0 and set((episodes["start_s"] % 86400 // 3600).astype(int)) == {10, 11}
    hours = res.groups["interval_start"].dt.hour
    inside = res.groups[(hours == 11)].groupby("replication")[["not_ready_agent_s", "staffed_agent_s"]].sum()
    assert_in_ci(inside["not_ready_agent_s"] / inside.sum(axis=1), 0.5, "not-ready share 11:00-12:00")


@pytest.mark.parametrize("not_ready", [{"share": 0.3, "mean": "2min", "when": "idle"},
                                       {"after_contact": 0.3, "mean": "2min", "when": "idle"}])
def test_agents_never_go_not_ready_while_a_contact_waits_for_them(not_ready):
    """``when: idle``: an episode that falls due while callers queue starts once none does."""
    data = single_queue(agents=4, aht=120, load=3.6, days=1)
    data["groups"]["team"]["not_ready"] = not_ready
    res = sim.simulate(sim.load_scenario(data), replications=2, seed=7, record_contacts=True)
    for r, contacts in res.contacts.groupby("replication"):
        starts = res.agents[(res.agents["kind"] == "not_ready") & (res.agents["replication"] == r)]["start_s"]
        waited = contacts[contacts["wait_s"] > 0]
        came, left = waited["arrival_s"].to_numpy(), (waited["arrival_s"] + waited["wait_s"]).to_numpy()
        waiting = ((came[None, :] < starts.to_numpy()[:, None] - 1e-9)
                   & (left[None, :] > starts.to_numpy()[:, None] + 1e-9)).any(axis=1)
        assert len(starts) > 50 and not waiting.any()


def test_pauses_after_contacts_grow_with_the_work():
    """``after_contact``: the time not ready per contact handled is the probability times the mean episode,
    at a light load and at twice it, so the time not ready grows with the work."""
    for load in (2.0, 4.0):
        data = single_queue(agents=10, aht=120, load=load, days=1)
        data["groups"]["team"]["not_ready"] = {"after_contact": 0.2, "mean": "2min"}
        res = sim.simulate(sim.load_scenario(data), replications=3, seed=9)
        per_contact = res.groups["not_ready_agent_s"].sum() / res.totals["answered"].sum()
        assert per_contact == pytest.approx(0.2 * 120, rel=0.1)


def test_not_ready_varies_from_day_to_day_around_the_same_mean():
    """``day_to_day_cv``: each day's probability is multiplied by a gamma factor of mean 1, the same for the
    whole group: the days' not-ready shares scatter far more than without, around about the same mean."""
    data = single_queue(agents=10, aht=120, load=6, days=10)
    shares = []
    for cv in (0.0, 0.5):
        data["groups"]["team"]["not_ready"] = {"after_contact": 0.3, "mean": 120, "day_to_day_cv": cv}
        res = sim.simulate(sim.load_scenario(data), replications=4, seed=3)
        days = res.groups.assign(day=res.groups["interval_start"].dt.date).groupby(["replication", "day"])[
            ["not_ready_agent_s", "staffed_agent_s"]].sum()
        shares.append(days["not_ready_agent_s"] / days.sum(axis=1))
    assert shares[1].std() > 4 * shares[0].std()
    assert shares[1].mean() == pytest.approx(shares[0].mean(), rel=0.15)


@pytest.mark.parametrize("key,value,message", [
    ("not_ready", {"share": 1.0, "mean": "5min"},
     "groups.team.not_ready.share: input should be greater than 0 and less than 1"),
    ("not_ready", {"share": 0.1}, "groups.team.not_ready.mean: required key is missing"),
    ("not_ready", {"share": [0.1] * 23, "mean": 60}, "expected 24 shares, one per hour of the day"),
    ("not_ready", {"mean": 60}, "give either share (of on-duty time) or after_contact"),
    ("not_ready", {"share": 0.1, "after_contact": 0.1, "mean": 60}, "give either share"),
    ("not_ready", {"after_contact": 0.1, "mean": 60, "when": "later"}, "groups.team.not_ready.when"),
])
def test_availability_keys_are_checked(key, value, message):
    data = _idle_team()
    data["groups"]["team"][key] = value
    with pytest.raises(sim.ScenarioError) as caught:
        sim.load_scenario(data)
    assert message in str(caught.value)


def _log_of(chance: float | None, tmp_path) -> Path:
    from calibration import synthetic_log
    from tests.test_calibration import call_centre

    sc = call_centre(days=7, cv=0.0, agents=7)
    if chance is not None:
        aux = sim.scenario.staff.NotReady(after_contact=chance, mean=300, when="idle")
        sc = sc.model_copy(update={"groups": {"team": sc.groups["team"].model_copy(update={"not_ready": aux})}})
    path = tmp_path / "log.csv"
    synthetic_log(sc, seed=2).to_csv(path, index=False)
    return path


@pytest.mark.slow
@pytest.mark.parametrize("chance", [None, 0.3])
def test_calibration_finds_how_available_the_agents_were(chance, tmp_path):
    """Agents not ready after three contacts in ten: seen on duty all day, they answer too fast in the model
    until the availability is estimated from the log's own waits; agents always ready need almost none."""
    from calibration import calibrate
    from calibration.availability import MIN_CONTACTS

    result = calibrate(_log_of(chance, tmp_path), interval=900)
    fit = result.fit_availability(replications=5)
    busy = fit.table[fit.table["contacts"] >= MIN_CONTACTS]
    pooled = lambda column: np.average(busy[column], weights=busy["contacts"])   # noqa: E731
    assert abs(pooled("model_sl") - pooled("history_sl")) < 0.02
    if chance is None:
        assert pooled("after_contact") < 0.1
    else:
        assert 0.2 < pooled("after_contact") < 0.4
    spec = fit.spec()
    assert all(g.get("not_ready") == spec for g in result.scenario["groups"].values() if g.get("headcount") != 0)


@pytest.mark.slow
@pytest.mark.parametrize("cv", [0.0, 0.5])
def test_calibration_finds_how_much_availability_varies_from_day_to_day(cv, tmp_path):
    """Two weeks whose agents' pauses vary from day to day with cv 0.5 (the same probability 0.3 on
    average): the log's days scatter more than the model's, and calibration finds the cv (0.62 when
    measured); steady days give none."""
    from calibration import calibrate, synthetic_log
    from tests.test_calibration import call_centre

    sc = call_centre(days=14, cv=0.0, agents=7)
    aux = sim.scenario.staff.NotReady(after_contact=0.3, mean=300, when="idle", day_to_day_cv=cv)
    sc = sc.model_copy(update={"groups": {"team": sc.groups["team"].model_copy(update={"not_ready": aux})}})
    path = tmp_path / "log.csv"
    synthetic_log(sc, seed=2).to_csv(path, index=False)
    fit = calibrate(path, interval=900).fit_availability(replications=5)
    assert (fit.day_to_day_cv < 0.25) if cv == 0 else (0.25 < fit.day_to_day_cv < 0.9)
    assert set(fit.days.columns) == {"day", "history_sl", "model_sl", "model_sl_sd"} and len(fit.days) == 14
