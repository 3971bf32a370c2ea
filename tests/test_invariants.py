"""Invariants of the engine over generated valid scenarios (Hypothesis)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import sim
from sim.channels import channel_of
from sim.routing import Plan

QUEUE_NAMES = ("q0", "q1", "q2")

handle_times = st.one_of(
    st.builds(lambda m: {"dist": "exponential", "mean": m}, st.floats(30, 900)),
    st.builds(lambda m, cv: {"dist": "lognormal", "mean": m, "cv": cv}, st.floats(30, 900), st.floats(0.1, 2)),
    st.builds(lambda m, cv: {"dist": "gamma", "mean": m, "cv": cv}, st.floats(30, 900), st.floats(0.2, 1.5)),
    st.builds(lambda v: {"dist": "constant", "value": v}, st.floats(30, 900)),
    st.builds(lambda v: {"dist": "empirical", "values": v}, st.lists(st.floats(10, 900), min_size=1, max_size=5)),
)
balks = st.sampled_from([0.0, 0.0, 0.2, 0.7])
patiences = st.one_of(
    st.none(),
    st.builds(lambda m, b: {"dist": "exponential", "mean": m, "balk": b}, st.floats(10, 600), balks),
    st.builds(lambda m, cv: {"dist": "lognormal", "mean": m, "cv": cv}, st.floats(10, 600), st.floats(0.2, 2)),
    st.builds(lambda v, b: {"dist": "constant", "value": v, "balk": b}, st.floats(10, 600), balks),
)
clock = st.integers(0, 23).map(lambda h: f"{h:02d}:00")


@st.composite
def shifts(draw):
    start, length = draw(st.integers(0, 23)), draw(st.integers(2, 12))
    shift = {"start": f"{start:02d}:00", "end": f"{(start + length) % 24:02d}:00",
             "count": draw(st.integers(0, 6)), "proficiency": draw(st.sampled_from([1.0, 1.0, 0.6]))}
    if draw(st.booleans()):
        at = (start + draw(st.integers(0, length - 1))) % 24
        shift["breaks"] = [{"at": f"{at:02d}:00", "duration": draw(st.sampled_from(["15min", "30min", "1h"]))}]
    if draw(st.booleans()):
        at = (start + draw(st.integers(0, length - 1))) % 24
        shift["shrinkage"] = [{"at": f"{at:02d}:00", "duration": draw(st.sampled_from(["30min", "1h"])),
                               "share": draw(st.floats(0, 1))}]
    return shift


@st.composite
def scenarios(draw):
    n_queues = draw(st.integers(1, 3))
    queues = {}
    for name in QUEUE_NAMES[:n_queues]:
        queue = {"channel": draw(st.sampled_from(["chat", "call", "call", "ticket"])),
                 "arrivals": {"daily_volume": draw(st.floats(0, 1500)),
                              "profile": draw(st.sampled_from(["flat", "ecommerce_chat", "ecommerce_call"]))},
                 "handle_time": draw(handle_times)}
        patience = draw(patiences)
        if patience is not None and queue["channel"] != "ticket":
            queue["patience"] = patience
        if queue["channel"] == "ticket":
            queue["deadline"] = draw(st.sampled_from(["30min", "4h", "1d"]))
        if draw(st.booleans()):
            queue["classes"] = [{"name": "vip", "share": draw(st.floats(0, 0.6))}]
        if draw(st.booleans()):
            queue["wrap_up"] = draw(handle_times)
        if queue["channel"] == "call" and draw(st.booleans()):
            queue["retrial"] = {"probability": draw(st.floats(0, 0.9)),
                                "delay": {"dist": "exponential", "mean": draw(st.floats(10, 1800))}}
        if queue["channel"] == "chat" and draw(st.booleans()):
            queue["bot"] = {"share": draw(st.floats(0, 1)), "share_during_surges": draw(st.floats(0, 1))}
        queues[name] = queue
    groups = {}
    for g in range(draw(st.integers(1, 3))):
        skills = draw(st.lists(st.sampled_from(list(queues)), min_size=1, unique=True))
        group = {"skills": {q: draw(st.floats(0.5, 1.5)) for q in skills},
                 "concurrency": draw(st.integers(1, 4)), "absenteeism": draw(st.sampled_from([0.0, 0.2]))}
        if draw(st.booleans()):
            start = draw(st.integers(0, 20))
            group["mass_absences"] = [{"start": f"2026-11-10T{start:02d}:00", "end": f"2026-11-10T{start + 3:02d}:00",
                                       "share": draw(st.floats(0, 1))}]
        if draw(st.booleans()):
            group["not_ready"] = {"share": draw(st.floats(0.01, 0.5)), "mean": draw(st.floats(30, 1800))}
        if draw(st.booleans()):
            group["headcount"] = draw(st.integers(0, 8))
        else:
            group["shifts"] = draw(st.lists(shifts(), min_size=1, max_size=3))
        groups[f"g{g}"] = group
    uncovered = set(queues) - {q for g in groups.values() for q in g["skills"]}
    if uncovered:
        groups["backup"] = {"skills": {q: 1.0 for q in sorted(uncovered)}, "headcount": 1}
    for name, queue in queues.items():
        others = [g for g, group in groups.items() if name not in group["skills"]]
        if others and draw(st.booleans()):
            queue["overflow"] = {"after": draw(st.floats(0, 300)), "groups": draw(st.lists(
                st.sampled_from(others), min_size=1, unique=True))}
    for name, queue in queues.items():
        others = [q for q in queues if q != name]
        if others and draw(st.booleans()):
            queue["escalate_after"] = {"after": draw(st.sampled_from(["5min", "1h", "6h"])),
                                       "to": draw(st.sampled_from(others))}
        if draw(st.booleans()):
            queue["repeat"] = {"probability": draw(st.floats(0, 0.6)), "to": draw(st.sampled_from(list(queues))),
                               "delay": {"dist": "exponential", "mean": draw(st.floats(60, 6 * 3600))}}
    for group in groups.values():
        if draw(st.booleans()):
            group["reserve"] = {"queue": draw(st.sampled_from(list(group["skills"]))),
                                "agents": draw(st.integers(1, 3))}
    levels = {}
    if draw(st.booleans()):     # refund work with permission levels and escalation
        levels = {"levels": ["L0", "L1", "L2"]}
        queues["refunds"] = {"channel": "refund", "arrivals": {"daily_volume": draw(st.floats(0, 600))},
                             "handle_time": draw(handle_times), "amount": {"dist": "lognormal", "mean": 100, "cv": 1},
                             "deadline": draw(st.sampled_from(["2h", "6h", "1d"])),
                             "levels_by_amount": [{"up_to": draw(st.floats(0, 200)), "level": "L1"}, {"level": "L2"}],
                             "escalate_to": {"L1": "review", "L2": "review"}}
        queues["review"] = {"channel": "refund", "handle_time": {"dist": "exponential", "mean": 300}}
        for g in groups.values():
            g["level"] = draw(st.sampled_from(["L0", "L1", "L2"]))
        groups[draw(st.sampled_from(list(groups)))]["skills"]["refunds"] = 1.0
        groups["specialists"] = {"skills": ["review", "refunds"], "level": "L2", "headcount": draw(st.integers(0, 3))}
    if draw(st.booleans()):     # outbound work, blended into a group that takes inbound work too
        opens, closes = draw(st.lists(st.integers(0, 23), min_size=2, max_size=2, unique=True))
        queues["calls_out"] = {
            "channel": "outbound", "arrivals": {"daily_volume": draw(st.floats(0, 800))},
            "handle_time": draw(handle_times), "attempts": draw(st.integers(1, 4)),
            "retry_after": {"dist": "exponential", "mean": draw(st.floats(60, 7200))},
            "pickup": {"answer": draw(st.floats(0, 1)), "busy": draw(st.floats(0, 0.5))},
            "after_resolution": {"queues": [draw(st.sampled_from(list(queues)))], "share": draw(st.floats(0, 0.5)),
                                 "after": {"dist": "exponential", "mean": 3600}}}
        if draw(st.booleans()):
            queues["calls_out"]["campaign"] = {"hours": {"start": f"{opens:02d}:00", "end": f"{closes:02d}:00"}}
        if draw(st.booleans()):
            queues["calls_out"]["blend"] = {"inbound_below": draw(st.integers(1, 3))}
        blended = groups[draw(st.sampled_from(list(groups)))]
        skills = blended["skills"]          # a list (the specialists') or speeds by queue
        blended["skills"] = {**(skills if isinstance(skills, dict) else dict.fromkeys(skills, 1.0)), "calls_out": 1.0}
    surges = []
    if draw(st.booleans()):
        start = draw(st.integers(0, 20))
        surges.append({"start": f"2026-11-10T{start:02d}:00", "end": f"2026-11-10T{start + 2:02d}:00",
                       "multiplier": draw(st.floats(1, 5)), "shape": draw(st.sampled_from(["step", "decay"]))})
    return {"name": "generated", "start": "2026-11-10T00:00:00", "horizon": "1d",
            "interval": draw(st.sampled_from(["15min", "30min", "1h"])), "seed": draw(st.integers(0, 1000)),
            "queues": queues, "surges": surges, "groups": groups, **levels}


def max_overlap(starts: np.ndarray, ends: np.ndarray) -> int:
    """Largest number of [start, end) spans open at once (an end frees its slot before a start).

    Starts are rebuilt as arrival + wait, which can differ from the event time by a rounding error;
    ends are moved 1e-7 s earlier so back-to-back contacts do not count as overlapping.
    """
    times = np.concatenate([starts, ends - 1e-7])
    steps = np.concatenate([np.ones(starts.size), -np.ones(ends.size)])
    order = np.lexsort((steps, times))
    return int(np.cumsum(steps[order]).max(initial=0))


@pytest.mark.slow
@given(scenarios())
def test_engine_invariants(data):
    sc = sim.load_scenario(data)
    res = sim.simulate(sc, record_contacts=True)
    iv, contacts, agents = res.intervals, res.contacts, res.agents

    # Conservation of contacts and of attempts, per interval and over the run.
    assert (iv["offered"] == iv["answered"] + iv["abandoned"] + iv["transferred"] + iv["waiting_at_end"]).all()
    assert (iv["offered"] == iv["first_attempts"] + iv["retrials"]).all()
    assert (contacts.loc[contacts["balked"], "wait_s"] == 0).all()
    counts = contacts["outcome"].value_counts()
    assert len(contacts) == iv["offered"].sum()
    assert counts.get("answered", 0) == iv["answered"].sum()
    assert counts.get("abandoned", 0) == iv["abandoned"].sum()

    # Waits are finite and non-negative; nobody waits past the horizon or past their patience.
    assert contacts["wait_s"].notna().all() and (contacts["wait_s"] >= 0).all()
    assert (contacts["arrival_s"] + contacts["wait_s"] <= sc.horizon + 1e-6).all()

    answered = contacts[contacts["outcome"] == "answered"].copy()
    answered["start_s"] = answered["arrival_s"] + answered["wait_s"]
    answered["end_s"] = (answered["end_s"] + answered["wrap_s"]).fillna(np.inf)     # the agent is free after it
    capacity = {g: sc.groups[g].concurrency for g in sc.groups}
    exclusive = {q: channel_of(sc.queues[q]).exclusive for q in sc.queues}
    overflow = {q: spec.overflow for q, spec in sc.queues.items()}
    staffed = agents[agents["kind"] == "staffed"]
    breaks = agents[agents["kind"].isin(["breaks", "shrinkage", "not_ready"])]     # every pause
    for agent, mine in answered.groupby("agent"):
        group = mine["group"].iloc[0]
        assert (mine["group"] == group).all()
        assert group in sc.groups
        for q, wait in zip(mine["queue"], mine["wait_s"]):     # its skills, or a queue it overflows to
            assert q in sc.groups[group].skills or (overflow[q] is not None and group in overflow[q].groups
                                                     and wait >= overflow[q].after - 1e-7)
        # Never more open contacts than the concurrency; a call is never held with anything else.
        assert max_overlap(mine["start_s"].to_numpy(), mine["end_s"].to_numpy()) <= capacity[group]
        calls = mine[mine["queue"].map(exclusive)]
        for _, call in calls.iterrows():
            others = mine[(mine.index != call.name) & (mine["start_s"] < call["end_s"] - 1e-7)
                          & (mine["end_s"] - 1e-7 > call["start_s"])]
            assert others.empty
        # Every contact starts while the agent is on duty (inside a shift, not on a break).
        # No contact starts from the moment a break falls due until the agent is back from it.
        spans = staffed[staffed["agent"] == agent]
        pauses = breaks[breaks["agent"] == agent]
        shift_end = spans["shift_end_s"].iloc[0]
        for start in mine["start_s"]:
            assert start <= shift_end + 1e-9
            assert ((spans["start_s"] <= start + 1e-9) & (start <= spans["end_s"] + 1e-9)).any()
            assert not ((pauses["start_s"] < start - 1e-7) & (start < pauses["end_s"] - 1e-7)).any()

    assert (agents["end_s"] >= agents["start_s"]).all()

    # Permission levels: nothing is resolved below its level; every escalation has exactly one follow-up.
    if sc.levels:
        rank = {g: sc.levels.index(sc.groups[g].level or sc.levels[0]) for g in sc.groups}
        done = contacts[(contacts["outcome"] == "answered") & ~contacts["escalated"] & ~contacts["auto_approved"]
                        & contacts["end_s"].notna() & (contacts["level"] != "")]
        assert (done["group"].map(rank) >= done["level"].map(sc.levels.index)).all()
        ends = contacts["end_s"].dropna()
        due = (contacts["arrival_s"] + sc.queues["refunds"].deadline)[contacts["queue"] == "refunds"]
        assert (ends.reindex(due.index).dropna() <= due.reindex(ends.index).dropna() + 1e-6).all()

    # Work moves on unresolved exactly when it has waited its queue's escalate_after, with one follow-up.
    moved = contacts[contacts["outcome"] == "transferred"]
    after = {name: q.escalate_after.after if q.escalate_after else np.inf for name, q in sc.queues.items()}
    assert np.allclose(moved["wait_s"].to_numpy(float), moved["queue"].map(after).to_numpy(float))
    still = contacts[contacts["outcome"] == "waiting"]
    assert (still["wait_s"].to_numpy(float) <= still["queue"].map(after).to_numpy(float) + 1e-6).all()
    followups = contacts[contacts["origin"] >= 0]
    assert len(followups) == contacts["escalated"].sum() + len(moved)

    # Repeats follow resolved contacts only, at the time each noted, once; later ones are only noted.
    repeats = contacts[contacts["repeat_of"] >= 0]
    earlier = contacts.loc[repeats["repeat_of"]]
    assert ((earlier["outcome"] == "answered") & ~earlier["escalated"] & ~earlier["auto_approved"]).all()
    assert np.allclose(repeats["arrival_s"].to_numpy(), earlier["repeat_at_s"].to_numpy())
    assert repeats["repeat_of"].is_unique
    assert set(repeats["repeat_of"]) == set(contacts.index[contacts["repeat_at_s"] < sc.horizon])
    assert iv["repeats"].sum() == len(repeats)

    # Outbound: attempts start inside the dialling hours, no more than the queue's attempts per entry, and
    # blended agents dial only while fewer than blend.inbound_below contacts wait in their inbound queues.
    if "calls_out" in sc.queues:
        out = sc.queues["calls_out"]
        mine = answered[answered["queue"] == "calls_out"]
        assert (contacts[contacts["queue"] == "calls_out"].groupby("caller").size() <= out.attempts).all()
        hours = out.campaign.hours
        if hours is not None:
            since = (mine["start_s"] - hours.start) % 86400
            assert (since < hours.seconds_open() + 1e-6).all()
        if out.blend is not None:
            plan = Plan.of(sc)
            names = list(sc.queues)
            left = contacts["arrival_s"] + contacts["wait_s"]
            for start, group in zip(mine["start_s"], mine["group"]):
                for q in plan.inbound[list(sc.groups).index(group)]:
                    here = contacts["queue"] == names[q]
                    waiting = (here & (contacts["arrival_s"] < start - 1e-7) & (left > start + 1e-7)).sum()
                    assert waiting < out.blend.inbound_below

    # Same seed, same tables.
    again = sim.simulate(sc, record_contacts=True)
    pd.testing.assert_frame_equal(res.intervals, again.intervals)
    pd.testing.assert_frame_equal(res.groups, again.groups)
    pd.testing.assert_frame_equal(res.contacts, again.contacts)
