"""Chats as conversations (``sim.conversations``): against queueing theory, and what the rounds do."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim import metrics
from sim.arrivals import generate_demand
from sim.engine import ANSWERED, WAITING, Model
from sim.staffing import ErlangC
from tests.conftest import single_queue
from tests.test_validation import assert_in_ci, ci99, per_replication

ROOT = Path(__file__).resolve().parent.parent


def _chats(agents: int, concurrency: int, load: float, days: int, **conversation) -> dict:
    data = single_queue(channel="chat", agents=agents, concurrency=concurrency, aht=300, load=load, days=days,
                        answer_within=30)
    data["queues"]["q"]["conversation"] = conversation
    return data


def _const(value: float) -> dict:
    return {"dist": "constant", "value": value}


def _exp(mean: float) -> dict:
    return {"dist": "exponential", "mean": mean}


@pytest.mark.slow
def test_one_round_at_concurrency_one_is_erlang_c():
    """One round (the first message and its reply) at one chat per agent: an M/M/10 queue whose service is
    the reply, so the first message's wait is Erlang C's."""
    data = _chats(10, 1, 8.0, 4, rounds=_const(1), reply=_exp(300), gap=_exp(60))
    est = per_replication(sim.simulate(sim.load_scenario(data), replications=30, seed=11))
    theory = ErlangC(rate=8.0 / 300, aht=300, agents=10)
    assert_in_ci(est["prob_wait"], theory.prob_wait, "P(wait), one round")
    assert_in_ci(est["mean_wait"], theory.mean_wait, "mean wait, one round")


@pytest.mark.slow
def test_instant_replies_are_the_slot_model():
    """Replies taking no time: a conversation of two rounds holds its slot for one customer gap
    (exponential, 300 s), so 5 agents with 3 slots each are M/M/15 (the slot model of plain chats)."""
    data = _chats(5, 3, 12.75, 5, rounds=_const(2), reply=_const(0.001), gap=_exp(300))
    est = per_replication(sim.simulate(sim.load_scenario(data), replications=30, seed=12))
    theory = ErlangC(rate=12.75 / 300, aht=300, agents=15)
    assert_in_ci(est["prob_wait"], theory.prob_wait, "P(wait), instant replies")
    assert_in_ci(est["mean_wait"], theory.mean_wait, "mean wait, instant replies")


def machine_repairman(k: int, reply: float, gap: float) -> float:
    """Mean response time of M/M/1//k (k customers thinking ``gap`` on average, one server of mean
    ``reply``): R = k / X - gap with throughput X = (1 - p0) / reply."""
    ratio = reply / gap
    p0 = 1.0 / sum(math.factorial(k) / math.factorial(k - n) * ratio ** n for n in range(k + 1))
    return k / ((1.0 - p0) / reply) - gap


@pytest.mark.slow
@pytest.mark.parametrize("k", [2, 5])
def test_a_saturated_agent_is_the_machine_repairman(k):
    """One agent holding k conversations that never end writes one reply at a time: its customers see the
    response time of the machine-repairman queue M/M/1//k, exactly."""
    data = _chats(1, k, 50.0, 1, rounds=_const(1e9), reply=_exp(30), gap=_exp(60))
    sc = sim.load_scenario(data)
    means = []
    for r in range(20):
        m = Model(sc, generate_demand(sc, r, 13)).run().messages
        later = (m.sent > 3600) & ~np.isnan(m.replied)             # after an hour: all k slots long taken
        means.append(float(np.mean(m.response[later])))
    assert_in_ci(pd.Series(means), machine_repairman(k, 30.0, 60.0), f"response time, M/M/1//{k}")


def test_open_conversations_obey_littles_law():
    """Little's law per agent: the conversations agents hold, sampled from the engine's own state every
    10 s, equal the conversation throughput times the mean time a conversation holds its slot (answer
    to close, silent ones held to the idle timeout), from the contact records; over replications."""
    data = _chats(5, 3, 10.0, 1, rounds={"dist": "gamma", "mean": 4, "cv": 0.6}, reply=_exp(20), gap=_exp(40),
                  slowdown=[1.0, 1.1, 1.25], message_patience=_exp(120), idle_timeout="3min")
    sc = sim.load_scenario(data)
    start, end = 3600.0, sc.horizon - 3600.0
    held, little = [], []
    for r in range(12):
        model = Model(sc, generate_demand(sc, r, 21))
        samples = []

        def sample(model=model, samples=samples):      # scheduled as the components' events are
            samples.append(sum(agent.load for agent in model.agents.agents))
            if model.now + 10.0 < end:
                model.at(model.now + 10.0, sample)

        model.at(start, sample)
        c = model.run().contacts
        answered = (c.outcome == ANSWERED) & ~np.isnan(c.end)
        taken, closed = c.time + c.wait, c.end
        inside = answered & (taken >= start) & (taken < end)
        held.append(np.mean(samples))
        little.append(inside.sum() / (end - start) * np.mean(closed[inside] - taken[inside]))
    difference = pd.Series(held) - pd.Series(little)
    assert_in_ci(difference, 0.0, "held conversations - throughput x holding time")
    assert np.mean(held) > 5                                # the agents were well loaded


@pytest.mark.slow
def test_new_first_writes_new_conversations_first():
    """``reply_order: new_first``: an agent never starts a later round's reply while a new conversation's
    first message waits for it, so first responses are quicker and later ones slower than in arrival
    order, on the same customers (30 replications, 99% CIs of the paired differences)."""
    base = dict(rounds=_const(4), reply=_exp(20), gap=_exp(30))
    scenarios = {order: sim.load_scenario(_chats(3, 4, 6.0, 1, **base, reply_order=order))
                 for order in ("arrival", "new_first")}
    first, later = {order: [] for order in scenarios}, {order: [] for order in scenarios}
    for r in range(30):
        for order, sc in scenarios.items():
            out = Model(sc, generate_demand(sc, r, 17)).run()
            m, c = out.messages, out.contacts
            is_first = np.zeros(m.contact.size, dtype=bool)
            is_first[np.unique(m.contact, return_index=True)[1]] = True
            done = ~np.isnan(m.replied)
            first[order].append(np.mean(m.response[is_first & done]))
            later[order].append(np.mean(m.response[~is_first & done]))
            if order == "new_first" and r < 3:
                ready = c.time + c.wait                              # a first message is before its agent
                agent = c.agent[m.contact]
                for k in range(out.writing.agent.size):
                    who, start, end = out.writing.agent[k], out.writing.start[k], out.writing.end[k]
                    written = np.flatnonzero((agent == who) & (m.replied == end))
                    if written.size == 0 or is_first[written].any():     # past the horizon, or a first
                        continue
                    waiting = (agent == who) & is_first & (ready[m.contact] < start) & ~(m.replied <= start)
                    assert not waiting.any(), f"agent {who} wrote a later reply at {start} before a first"
    gain = pd.Series(first["arrival"]) - pd.Series(first["new_first"])
    cost = pd.Series(later["new_first"]) - pd.Series(later["arrival"])
    for change, label in ((gain, "first responses quicker"), (cost, "later responses slower")):
        mean, half = ci99(change)
        assert mean - half > 0, f"{label}: {mean:.2f} ± {half:.2f} s"


def test_rounds_make_messages_and_each_gets_a_reply_in_turn():
    """Four rounds: four messages per conversation, replies in the order the agent got them, every
    conversation ending after its last reply; two events per round at most."""
    data = _chats(3, 3, 2.0, 1, rounds=_const(4), reply=_exp(20), gap=_exp(60))
    sc = sim.load_scenario(data)
    out = Model(sc, generate_demand(sc, 0, 3)).run()
    m, c = out.messages, out.contacts
    done = ~np.isnan(c.end)
    per_contact = np.bincount(m.contact, minlength=c.time.size)
    assert (per_contact[done] == 4).all()
    assert (m.replied[~np.isnan(m.replied)] >= m.sent[~np.isnan(m.replied)]).all()
    last = pd.DataFrame({"contact": m.contact, "replied": m.replied}).groupby("contact")["replied"].max()
    np.testing.assert_allclose(c.end[last.index[done[last.index]]], last[done[last.index]].to_numpy())
    assert out.events / done.sum() <= 2 * 4 + 1


def test_customers_who_wait_too_long_for_a_reply_leave_silently():
    """A message patience far below the reply time: every later message is a silent abandonment, and the
    conversation holds its slot until the idle timeout after that reply."""
    data = _chats(2, 2, 1.0, 1, rounds=_const(5), reply=_const(30), gap=_const(10),
                  message_patience=_const(1), idle_timeout="2min")
    sc = sim.load_scenario(data)
    out = Model(sc, generate_demand(sc, 0, 4)).run()
    m, c = out.messages, out.contacts
    first = pd.Series(m.sent).groupby(m.contact).transform("min").to_numpy() == m.sent
    assert not m.silent[first].any() and m.silent[~first & ~np.isnan(m.replied)].all()
    ended = ~np.isnan(c.end)
    replied = pd.Series(m.replied).groupby(m.contact).max()
    np.testing.assert_allclose(c.end[ended], replied[np.flatnonzero(ended)].to_numpy() + 120)


def test_replies_slow_down_with_the_conversations_open():
    """``slowdown``: reply work grows with the agent's open conversations (here twice as long with two
    open, ...), so responses are much longer than with the same work at any load."""
    plain = _chats(4, 4, 6.0, 1, rounds=_const(3), reply=_exp(20), gap=_exp(60))
    slowed = _chats(4, 4, 6.0, 1, rounds=_const(3), reply=_exp(20), gap=_exp(60), slowdown=[1.0, 2.0, 3.0, 4.0])
    response = []
    for data in (plain, slowed):
        sc = sim.load_scenario(data)
        response.append(np.nanmean(Model(sc, generate_demand(sc, 0, 5)).run().messages.response))
    assert response[1] > 1.5 * response[0]


def test_a_conversation_belongs_to_chats():
    data = single_queue(channel="call", agents=2, aht=300, load=1.0, days=1)
    data["queues"]["q"]["conversation"] = {"rounds": _const(2), "reply": _exp(20), "gap": _exp(60)}
    with pytest.raises(sim.ScenarioError) as caught:
        sim.load_scenario(data)
    assert "queues.q.conversation: applies to chat queues" in str(caught.value)


def test_the_tables_count_messages_and_response_times():
    """Per-message KPIs: four messages a conversation, the first response the queue wait plus the first
    reply, no silent abandonment without a message patience; a plain chat queue has none of them."""
    data = _chats(4, 3, 6.0, 2, rounds=_const(4), reply=_const(20), gap=_exp(60))
    data["queues"]["plain"] = single_queue(channel="chat", load=2.0, days=2)["queues"]["q"]
    data["groups"]["team"]["skills"] = ["q", "plain"]
    res = sim.simulate(sim.load_scenario(data), replications=2, seed=6)
    t = res.totals.set_index(["replication", "queue"])
    talk = t.xs("q", level="queue")
    assert ((talk["messages"] / talk["answered"]).between(3.9, 4.0)).all()
    assert (talk["first_response_s"] >= talk["asa_s"] + 20 - 1e-9).all()
    assert (talk["replied_within"] <= talk["messages"]).all() and (talk["silent_abandoned"] == 0).all()
    assert t.xs("plain", level="queue")[["messages", "first_response_s", "response_s"]].isna().all().all()
    writing = res.groups.groupby("replication")["writing_agent_s"].sum()          # 20 s a reply
    assert writing.to_numpy() == pytest.approx(20 * talk["messages"].to_numpy(), rel=0.01)
    assert (res.groups["reply_occupancy"].dropna() <= 1).all()
    p90 = talk["first_response_p90_s"]
    assert (p90 >= talk["first_response_s"]).all() and (p90 >= 20).all()
    assert (res.groups["open_contacts"].dropna() <= 3).all() and res.groups["open_contacts"].max() > 0.5


def test_the_service_level_of_a_conversation_counts_its_first_reply():
    """At a light load every chat gets a slot at once, but a first reply takes 40 s: none is within 30 s."""
    quick = _chats(4, 3, 1.0, 1, rounds=_const(2), reply=_const(10), gap=_exp(60))
    slow = _chats(4, 3, 1.0, 1, rounds=_const(2), reply=_const(40), gap=_exp(60))
    levels = [sim.simulate(sim.load_scenario(d), replications=1, seed=2).totals["service_level"].iloc[0]
              for d in (quick, slow)]
    assert levels[0] > 0.95 and levels[1] == 0.0


def test_conversion_counts_the_orders_a_first_response_wins_and_loses():
    """Conversion falling from 0.4 at once to 0.1 at 60 s: with a constant 30 s first response (agents
    to spare, one chat each: nobody waits, nobody leaves) every conversation is worth 0.25 orders and
    loses 0.15, at 200 an order (the last few, not yet replied to at the horizon, are not counted)."""
    data = _chats(20, 1, 1.0, 1, rounds=_const(2), reply=_const(30), gap=_exp(60),
                  conversion={"by_first_response": {0: 0.4, "1min": 0.1}, "order_value": 200})
    t = sim.simulate(sim.load_scenario(data), replications=1, seed=3).totals.iloc[0]
    assert t["queued"] == 0 and t["answered"] > 250
    assert t["orders"] == pytest.approx(0.25 * t["answered"], abs=0.25 * 2)
    assert t["orders_lost"] == pytest.approx(0.15 * t["answered"], abs=0.15 * 2)
    assert t["gmv"] == pytest.approx(200 * t["orders"]) and t["gmv_lost"] == pytest.approx(200 * t["orders_lost"])


def test_customers_who_leave_order_nothing():
    """Too few agents, impatient customers: those who leave lose the shop what an instant reply would win."""
    data = _chats(1, 1, 3.0, 1, rounds=_const(2), reply=_const(30), gap=_exp(60),
                  conversion={"by_first_response": {0: 0.5, 600: 0.5}, "order_value": 100})
    data["queues"]["q"]["patience"] = {"dist": "exponential", "mean": 60}
    t = sim.simulate(sim.load_scenario(data), replications=1, seed=3).totals.iloc[0]
    assert t["abandoned"] > 50
    assert t["orders_lost"] == pytest.approx(0.5 * t["abandoned"], abs=0.6)


def test_a_run_shows_the_conversations_table(tmp_path, capsys):
    import yaml

    from sim.cli import main

    data = _chats(3, 3, 2.0, 1, rounds=_const(3), reply=_exp(20), gap=_exp(60),
                  conversion={"by_first_response": {0: 0.3, "2min": 0.1}, "order_value": 150})
    path = tmp_path / "talk.yaml"
    path.write_text(yaml.safe_dump(data))
    assert main(["run", str(path), "-r", "2", "--out", str(tmp_path / "out"), "--no-plots"]) == 0
    shown = capsys.readouterr().out
    assert "chats as conversations" in shown and "¥" in shown


def test_a_service_level_on_every_message_asks_more_than_on_the_first():
    """``sla.on: every_message``: a conversation counts only when every reply came within the threshold,
    so it is never above the first-response level; quick replies at a light load meet both."""
    levels = {}
    for on in ("first_response", "every_message"):
        data = _chats(4, 3, 6.0, 1, rounds=_const(4), reply=_exp(20), gap=_exp(60))
        data["queues"]["q"]["sla"]["on"] = on
        levels[on] = sim.simulate(sim.load_scenario(data), replications=2, seed=8).summary["service_level"].iloc[0]
    assert levels["every_message"] < levels["first_response"] - 0.05
    quick = _chats(6, 3, 1.0, 1, rounds=_const(4), reply=_const(10), gap=_exp(60))
    quick["queues"]["q"]["sla"]["on"] = "every_message"
    assert sim.simulate(sim.load_scenario(quick), replications=1, seed=8).summary["service_level"].iloc[0] > 0.95
    plain = single_queue(channel="chat", load=1.0, days=1)
    plain["queues"]["q"]["sla"]["on"] = "every_message"
    with pytest.raises(sim.ScenarioError) as caught:
        sim.load_scenario(plain)
    assert "sla.on: every_message judges the messages of a conversation" in str(caught.value)


def test_message_within_judges_the_later_messages_on_their_own_threshold():
    """``message_within``: the first message against ``answer_within``, the later ones against their own
    threshold. With a day for the first and 30 s for the others, the service level is the share of the
    conversations ended by the horizon whose every later reply came within 30 s, counted from the run's
    messages; and the option needs ``on: every_message``."""
    data = _chats(4, 3, 6.0, 1, rounds=_const(4), reply=_exp(20), gap=_exp(60))
    data["queues"]["q"]["sla"].update(on="every_message", answer_within="1d", message_within="30s")
    sc = sim.load_scenario(data)
    out = Model(sc, generate_demand(sc, 0, 9)).run()
    m, c = out.messages, out.contacts
    first = np.zeros(m.contact.size, dtype=bool)
    first[np.unique(m.contact, return_index=True)[1]] = True
    replied = ~np.isnan(m.replied)                          # unreplied at the horizon: late once 30 s old
    late = ~first & np.where(replied, m.response > 30, sc.horizon - m.sent > 30)
    no_late = np.bincount(m.contact, late, minlength=c.time.size) == 0
    ended = ~np.isnan(c.end)
    undecided = (c.outcome == WAITING) | ((c.outcome == ANSWERED) & ~ended & no_late)    # a day to answer
    kpis = metrics.queue_kpis(sc, c, metrics.final_end(c), np.zeros(c.time.size, dtype=np.int64), 1,
                              metrics.conversation_values(sc, c, m))
    assert kpis["answered_within_sl"][0] == (ended & no_late).sum()
    assert kpis["service_level"][0] == pytest.approx((ended & no_late).sum() / (c.time.size - undecided.sum()))
    assert 0.2 < kpis["service_level"][0] < 0.9
    data["queues"]["q"]["sla"]["on"] = "first_response"
    with pytest.raises(sim.ScenarioError) as caught:
        sim.load_scenario(data)
    assert "message_within judges every message after the first; set on: every_message" in str(caught.value)


def test_a_message_log_alternates_customer_and_agent():
    """The message-level synthetic log: per conversation, customer and agent messages alternate, the
    customer first, and a finished conversation has its rounds of each."""
    from calibration import synthetic_message_log

    sc = sim.load_scenario(_chats(3, 3, 2.0, 1, rounds=_const(3), reply=_exp(20), gap=_exp(60)))
    log = synthetic_message_log(sc, seed=4)
    assert list(log.columns) == ["conversation", "queue", "sender", "time", "agent"]
    senders = log.groupby("conversation")["sender"].agg(list)
    assert all(s[::2] == ["customer"] * len(s[::2]) and s[1::2] == ["agent"] * len(s[1::2]) for s in senders)
    assert (senders.map(len) == 6).mean() > 0.95
    with pytest.raises(ValueError, match="no chat queue is a conversation"):
        synthetic_message_log(sim.load_scenario(single_queue(channel="chat", load=1.0, days=1)))


def test_synthetic_log_writes_messages(tmp_path, capsys):
    import yaml

    from sim.cli import main

    path, out = tmp_path / "talk.yaml", tmp_path / "messages.csv"
    path.write_text(yaml.safe_dump(_chats(3, 3, 2.0, 1, rounds=_const(3), reply=_exp(20), gap=_exp(60))))
    assert main(["synthetic-log", str(path), "--messages", "--out", str(out)]) == 0
    log = pd.read_csv(out, encoding="utf-8-sig")
    assert list(log.columns) == ["conversation", "queue", "sender", "time", "agent"] and len(log) > 100
    assert main(["synthetic-log", str(ROOT / "scenarios" / "normal_day.yaml"), "--messages",
                 "--out", str(tmp_path / "none.csv")]) == 2
    assert "no chat queue is a conversation" in capsys.readouterr().err
    assert not (tmp_path / "none.csv").exists()


def test_a_sweep_draws_the_conversations(tmp_path):
    from sim.sweep import sweep

    data = _chats(3, 3, 2.0, 1, rounds=_const(3), reply=_exp(20), gap=_exp(60))
    table = sweep(data, [{"groups.team.concurrency": 2}, {"groups.team.concurrency": 3}], tmp_path, replications=2,
                  workers=1)
    assert table["first_response_s"].notna().all() and (tmp_path / "sweep_conversations.png").stat().st_size > 0
