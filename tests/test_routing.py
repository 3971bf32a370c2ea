"""Routing rules: customer classes (against Cobham's formula), overflow after a wait, reserved agents; and
the general routing path equals the plain one when no rule changes anything."""

from __future__ import annotations

import copy
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim.arrivals import generate_demand
from sim.contacts import ANSWERED
from sim.engine import Model
from sim.routing import Plain, Plan, Rules
from sim.staffing import ErlangC
from tests.conftest import MIXED, single_queue
from tests.test_validation import assert_in_ci

ROOT = Path(__file__).resolve().parent.parent


def _run(data: dict, replications: int = 2, seed: int = 4) -> sim.Results:
    return sim.simulate(sim.load_scenario(data), replications=replications, seed=seed, record_contacts=True)


def test_the_example_scenarios_take_the_plain_path():
    for name in ("double11", "normal_day", "double11_refunds", "tickets_week"):
        assert Plan.of(sim.load_scenario(f"scenarios/{name}.yaml")).plain


def test_the_general_path_gives_the_plain_path_tables_when_no_rule_bites():
    """A class with share 0 switches the engine to the general policies; every contact is then 'others',
    so the general path must serve exactly the same contacts at the same times."""
    plain = copy.deepcopy(MIXED)
    general = copy.deepcopy(MIXED)
    for q in general["queues"].values():
        q["classes"] = [{"name": "vip", "share": 0.0}]
    assert not Plan.of(sim.load_scenario(general)).plain
    a, b = _run(plain), _run(general)
    columns = ["arrival_s", "queue", "outcome", "wait_s", "end_s", "group", "agent"]
    pd.testing.assert_frame_equal(a.contacts[columns], b.contacts[columns])
    pd.testing.assert_frame_equal(a.intervals, b.intervals)


def _two_classes(vip_share: float, load: float, days: int = 4) -> dict:
    data = single_queue(agents=10, aht=300, load=load, days=days)
    data["queues"]["q"]["classes"] = [{"name": "vip", "share": vip_share}]
    return data


def test_a_higher_class_waits_less_and_is_reported_per_class():
    res = _run(_two_classes(0.3, 9.5, days=2), replications=3)
    c = res.contacts
    waits = c[c["outcome"] == "answered"].groupby("customer_class")["wait_s"].mean()
    assert waits["vip"] < waits["others"] / 3
    summary = res.class_summary.set_index("customer_class")
    assert summary.loc["vip", "offered"] == pytest.approx(0.3 * res.summary["offered"].iloc[0], rel=0.1)
    assert summary.loc["vip", "service_level"] > summary.loc["others", "service_level"]


@pytest.mark.slow
@pytest.mark.parametrize("vip_share,load", [(0.3, 9.0), (0.5, 8.5)])
def test_two_class_priority_matches_cobham(vip_share, load):
    """Non-preemptive priority M/M/c, equal service rates: class k waits on average
    C(c, a) / (c mu) / ((1 - s_{k-1}) (1 - s_k)), s_k the load share of classes 1..k (Cobham, 1954)."""
    data = _two_classes(vip_share, load, days=10)     # the low class relaxes slowly: long runs
    res = sim.simulate(sim.load_scenario(data), replications=30, seed=909, record_contacts=True)
    c = res.contacts
    # The first day is warm-up; the last 12 hours' arrivals are left out, as those still waiting at the
    # horizon would shorten the mean (their waits are cut) and skew it towards those served quickly.
    c = c[(c["arrival_s"] >= 86400) & (c["arrival_s"] < res.scenario.horizon - 12 * 3600)]
    assert (c["outcome"] == "answered").all()
    erlang = ErlangC(rate=load / 300, aht=300, agents=10)
    unit = erlang.prob_wait / (10 / 300)
    s1 = vip_share * load / 10
    s2 = load / 10
    theory = {"vip": unit / (1 - s1), "others": unit / ((1 - s1) * (1 - s2))}
    per_replication = c.groupby(["replication", "customer_class"])["wait_s"].mean().unstack()
    for name, value in theory.items():
        assert_in_ci(per_replication[name], value, f"Cobham {name}, load {load / 10:.2f}")


def _overflow(after: float) -> dict:
    data = single_queue(agents=1, aht=300, load=2.0, days=1)
    data["queues"]["q"]["overflow"] = {"after": after, "groups": ["aftersales"]}
    data["queues"]["other"] = {"channel": "call", "arrivals": {"daily_volume": 10}, "handle_time":
                               {"dist": "exponential", "mean": 60}}
    data["groups"]["aftersales"] = {"skills": ["other"], "headcount": 3}
    return data


def test_overflow_groups_take_contacts_only_after_the_wait():
    res = _run(_overflow(20.0))
    c = res.contacts[res.contacts["queue"] == "q"]
    by_overflow = c[c["group"] == "aftersales"]
    assert len(by_overflow) > 50
    assert (by_overflow["wait_s"] >= 20 - 1e-9).all()
    # Three overflow agents beside the one own agent for a load of two: few wait past 20 s.
    assert (c["wait_s"] > 20 + 1e-9).mean() < 0.25
    assert ((c["group"] == "team") | (c["group"] == "aftersales") | (c["outcome"] != "answered")).all()


def test_without_overflow_the_one_agent_is_swamped():
    data = _overflow(20.0)
    del data["queues"]["q"]["overflow"]
    c = _run(data).contacts
    assert (c.loc[c["queue"] == "q", "wait_s"] > 20).mean() > 0.5


def _reserve(kept: int | None) -> dict:
    data = {"name": "reserve", "start": "2026-11-02T00:00:00", "horizon": "1d", "interval": "1h", "seed": 3,
            "queues": {"calls": {"channel": "call", "arrivals": {"daily_volume": 2600},
                                 "handle_time": {"dist": "exponential", "mean": 300}},
                       "vip": {"channel": "call", "arrivals": {"daily_volume": 50},
                               "handle_time": {"dist": "exponential", "mean": 300}}},
            "groups": {"team": {"skills": ["vip", "calls"], "headcount": 4}}}
    if kept:
        data["groups"]["team"]["reserve"] = {"queue": "vip", "agents": kept}
    return data


def _most_at_once(c: pd.DataFrame, queue: str) -> int:
    """Most contacts of ``queue`` in service at once, in any replication."""
    most = 0
    for _, mine in c[(c["queue"] == queue) & (c["outcome"] == "answered")].groupby("replication"):
        start = (mine["arrival_s"] + mine["wait_s"]).to_numpy()
        end = mine["end_s"].fillna(np.inf).to_numpy()
        times = np.round(np.concatenate([start, end]), 6)     # arrival + wait may miss the end by an ulp
        steps = np.concatenate([np.ones(start.size), -np.ones(end.size)])
        order = np.lexsort((steps, times))              # ends before starts at the same instant
        most = max(most, int(np.cumsum(steps[order]).max()))
    return most


def test_a_reserve_keeps_idle_agents_for_its_queue():
    kept = _run(_reserve(1)).contacts
    assert _most_at_once(kept, "calls") == 3                 # never the fourth agent
    vip = kept[kept["queue"] == "vip"]
    free = _run(_reserve(None)).contacts
    assert _most_at_once(free, "calls") == 4
    assert vip["wait_s"].mean() < free.loc[free["queue"] == "vip", "wait_s"].mean()


def test_routing_keys_are_checked(tmp_path):
    data = _overflow(20.0)
    data["queues"]["q"]["overflow"]["groups"] = ["team", "nobody"]
    data["queues"]["q"]["classes"] = [{"name": "others", "share": 0.5}, {"name": "b", "share": 0.7}]
    data["groups"]["team"]["reserve"] = {"queue": "other", "agents": 1}
    with pytest.raises(sim.ScenarioError) as caught:
        sim.load_scenario(data)
    text = str(caught.value)
    for expected in ["queues.q.overflow.groups: group 'team' serves this queue from the start",
                     "queues.q.overflow.groups: unknown group, got 'nobody'",
                     "queues.q.classes.0.name: must be unique and not 'others'",
                     "queues.q.classes: shares add up to more than 1, got 1.2",
                     "groups.team.reserve.queue: must be one of the group's skills ['q'], got 'other'"]:
        assert expected in text, text


class _Newest(Plain):
    """A policy that takes the newest waiting contact first (last come, first served)."""

    def choose_contact(self, agent, q):
        waiting = list(self.lines[q])
        return waiting[-1] if waiting else None


def _answer_order_is_arrival_order(policy) -> bool:
    sc = sim.load_scenario(single_queue(agents=3, aht=300, load=2.9, days=1))
    out = Model(sc, generate_demand(sc, 0, 1), policy=policy).run()
    c = out.contacts
    waited = (c.outcome == ANSWERED) & (c.wait > 0)
    answer = c.time[waited] + c.wait[waited]
    return bool(np.all(np.diff(c.time[waited][np.argsort(answer, kind="stable")]) >= 0))


def test_another_policy_plugs_into_the_engine():
    """The plain path serves a queue's waiting contacts in arrival order; a last-come-first-served policy
    given to the engine does not."""
    assert _answer_order_is_arrival_order(None)
    assert _answer_order_is_arrival_order(Rules())
    assert not _answer_order_is_arrival_order(_Newest())


def _doc_policy() -> str:
    """The policy example of docs/engine.md, as written there."""
    text = (ROOT / "docs" / "engine.md").read_text(encoding="utf-8")
    block = text.split("<!-- tested: tests/test_routing.py -->", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    return textwrap.dedent(block)


def test_the_docs_policy_runs_and_routes_to_the_fastest():
    """Two groups on one call queue, one twice as fast: with the plain routing each answers about half
    the calls; with the documented policy the fast group answers most of them."""
    data = single_queue(agents=6, aht=300, load=3.0, days=1)
    data["groups"] = {"fast": {"skills": {"q": 2.0}, "headcount": 6}, "slow": {"skills": {"q": 1.0}, "headcount": 6}}
    sc = sim.load_scenario(data)
    shares = {}
    for name, policy in (("plain", None), ("fastest", "doc")):
        scope = {"Model": Model, "sc": sc, "demand": generate_demand(sc, 0, 1)}
        if policy is None:
            scope["out"] = Model(sc, scope["demand"]).run()
        else:
            exec(_doc_policy(), scope)
        c = scope["out"].contacts
        answered = c.outcome == ANSWERED
        shares[name] = float(np.mean(c.group[answered] == 0))
    assert 0.4 < shares["plain"] < 0.6 and shares["fastest"] > 0.9, shares


def test_slots_say_which_agents_a_contact_fits():
    """A call takes all of its agent's slots (idle agents only), a chat one; a group is findable up to
    the most slots with which one of its queues still fits."""
    plan = Plan.of(sim.load_scenario(MIXED))
    chat_a, calls = 0, 2
    chatters, blended, phones = 0, 1, 2
    assert plan.slots[blended][calls] == 2 and plan.slots[blended][chat_a] == 1
    assert plan.reach(blended, calls) == 1 and plan.reach(blended, chat_a) == 2 and plan.reach(chatters, chat_a) == 3
    assert [plan.most_used(g) for g in (chatters, blended, phones)] == [2, 1, 0]
