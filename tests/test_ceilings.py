"""The service level no staffing can exceed (``sim.ceilings``): what sets it per channel, that simulation
with every agent one could want reaches it and no more, and that check, staffing and roster say so
instead of adding agents for nothing."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import yaml

import sim
from sim.ceilings import ceiling, near_ceiling, unattainable
from sim.cli import main
from sim.lint import warnings
from sim.rosters.programme import RosterInfeasible
from sim.rosters.search import search_roster
from sim.rosters.templates import read_templates
from sim.staffing.backoffice import backoffice_requirements
from sim.staffing.iterative import simulation_requirement
from tests.conftest import single_queue
from tests.test_outbound import outbound_scenario


def conversation_chats(reply: dict, on: str = "first_response", proficiency: float = 1.0,
                       message_within: float | None = None, agents: int = 4, concurrency: int = 3) -> dict:
    data = single_queue(channel="chat", agents=agents, concurrency=concurrency, aht=300, load=4.0, days=1,
                        answer_within=30)
    data["queues"]["q"]["conversation"] = {"rounds": {"dist": "constant", "value": 3}, "reply": reply,
                                           "gap": {"dist": "exponential", "mean": 60}}
    data["queues"]["q"]["sla"]["on"] = on
    if message_within is not None:
        data["queues"]["q"]["sla"]["message_within"] = message_within
    data["groups"]["team"]["skills"] = {"q": proficiency}
    return data


def refunds(target: float, agents: int = 30, deadline: str | None = None) -> dict:
    """Refunds of exponential 10-minute work, to be resolved within 30 minutes."""
    data = single_queue(load=3.0, aht=600, days=1)
    data["queues"]["q"] = {"channel": "refund", "arrivals": data["queues"]["q"]["arrivals"],
                           "handle_time": {"dist": "exponential", "mean": 600},
                           "sla": {"resolve_within": "30min", "target": target}}
    if deadline is not None:
        data["queues"]["q"]["deadline"] = deadline
    data["groups"]["team"]["headcount"] = agents
    return data


@pytest.mark.parametrize("on,proficiency,message_within,expected", [
    ("first_response", 1.0, None, 1 - np.exp(-1)), ("first_response", 2.0, None, 1 - np.exp(-2)),
    ("every_message", 1.0, None, (1 - np.exp(-1)) ** 3),
    ("every_message", 1.0, 60, (1 - np.exp(-1)) * (1 - np.exp(-2)) ** 2)])
def test_a_conversation_chat_is_capped_by_writing_the_reply(on, proficiency, message_within, expected):
    """No staffing beats writing the reply itself: with exponential reply work of the threshold's mean,
    at most 1 - e^-1 of first replies (1 - e^-2 at proficiency 2; every one of three replies: its cube;
    the later two against 60 s: (1 - e^-2) each) come in time; 100,000 draws, so within 0.006."""
    sc = sim.load_scenario(conversation_chats({"dist": "exponential", "mean": 30}, on, proficiency, message_within))
    assert ceiling(sc, "q").level == pytest.approx(expected, abs=0.006)
    assert ceiling(sim.load_scenario(conversation_chats({"dist": "constant", "value": 20})), "q").level == 1.0


def test_what_caps_each_channel():
    """An answer rate is the pickup's reach probability; a refund, its handle time within the sooner of
    resolve_within and the platform's deadline; calls and tickets have no ceiling."""
    sc = sim.load_scenario(outbound_scenario(pickup={"answer": 0.55, "busy": 0.08, "rings": 3}))
    assert ceiling(sc, "reminders").level == sc.queues["reminders"].pickup.reach_probability()
    assert ceiling(sc, "reminders").level == pytest.approx(0.92 * 0.55 * (1 - np.exp(-15 / 8)))
    assert ceiling(sim.load_scenario(refunds(0.9)), "q").level == pytest.approx(1 - np.exp(-3))
    assert ceiling(sim.load_scenario(refunds(0.9, deadline="20min")), "q").level == pytest.approx(1 - np.exp(-2))
    assert ceiling(sim.load_scenario(single_queue(load=5.0)), "q") is None
    assert ceiling(sim.load_scenario(single_queue(channel="ticket", load=5.0, answer_within=3600)), "q") is None


@pytest.mark.slow
@pytest.mark.parametrize("data,expected", [
    (conversation_chats({"dist": "exponential", "mean": 30}, agents=60, concurrency=1), 1 - np.exp(-1)),
    (refunds(0.9, agents=30), 1 - np.exp(-3)),
    (outbound_scenario(pickup={"answer": 0.55, "busy": 0.08, "rings": 3}), 0.92 * 0.55 * (1 - np.exp(-15 / 8)))])
def test_every_agent_one_could_want_reaches_the_ceiling_and_no_more(data, expected):
    """With agents to spare (nobody waits for one), the simulated service level over the horizon is the
    ceiling: within 3.5 standard errors over 12 replications."""
    res = sim.simulate(sim.load_scenario(data), replications=12, seed=4)
    levels = res.totals["service_level"].to_numpy()
    half = 3.5 * levels.std(ddof=1) / np.sqrt(levels.size)
    assert abs(levels.mean() - expected) < half + 1e-3, (levels.mean(), expected, half)


def test_check_warns_of_a_target_above_or_just_under_its_ceiling(tmp_path, capsys):
    """The docs' payment-reminder pickup answers 42.8% at most: a 60% target is named with its ceiling,
    by check and at the top of a run's page; a refund target 2 points under its ceiling is a caveat; a
    target well under it is silent."""
    data = outbound_scenario(pickup={"answer": 0.55, "busy": 0.08, "rings": 3}, extra={"sla": {"target": 0.6}})
    path = tmp_path / "list.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert main(["check", str(path)]) == 0
    err = capsys.readouterr().err
    assert (f"warning: {path}: queues.reminders.sla.target: 60% cannot be met by any staffing: the answer rate is "
            "the customers' pickup") in err and "no staffing gives more than 42.8%" in err
    out = tmp_path / "out"
    assert main(["run", str(path), "-r", "2", "--workers", "1", "--no-plots", "--out", str(out)]) == 0
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "Read first" in page and "no staffing gives more than 42.8%" in page
    assert unattainable(sim.load_scenario(refunds(0.96)))["q"].startswith("queues.q.sla.target: 96% cannot be met")
    assert list(near_ceiling(sim.load_scenario(refunds(0.93)))) == ["q"]
    assert "2.0 points under the 95.0%" in warnings(sim.load_scenario(refunds(0.93)))[0]
    assert warnings(sim.load_scenario(refunds(0.8))) == []


def test_staffing_refuses_a_target_no_staffing_meets(tmp_path, capsys):
    """A conversation chat asking 80% within 30 s of replies that alone take longer 37% of the time: the
    simulation-based search refuses at once, saying why, instead of adding agents for nothing."""
    data = conversation_chats({"dist": "exponential", "mean": 30})
    with pytest.raises(ValueError, match="no staffing gives more than 63"):
        simulation_requirement(sim.load_scenario(data), replications=2, workers=1)
    path = tmp_path / "chats.yaml"
    path.write_text(yaml.safe_dump(data))
    assert main(["staffing", str(path), "--formula", "erlang_c,simulation", "--out", str(tmp_path / "o")]) == 2
    assert "queues.q.sla.target: 80% cannot be met by any staffing" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


def _roster(tmp_path, data: dict, templates: dict):
    path = tmp_path / "roster.yaml"
    path.write_text(yaml.safe_dump(templates))
    return read_templates(path, sim.load_scenario(data))


def test_the_roster_refuses_a_target_no_staffing_meets(tmp_path):
    data = conversation_chats({"dist": "exponential", "mean": 30})
    data["groups"]["team"]["cost"] = {"per_hour": 10}
    roster, sc = _roster(tmp_path, data, {"templates": {"d": {"group": "team", "starts": ["00:00"],
                                                              "length": "24h"}}})
    with pytest.raises(RosterInfeasible, match="queues.q.sla.target: 80% cannot be met by any staffing"):
        search_roster(sc, roster, replications=2, workers=1)


def test_the_roster_never_adds_agents_for_an_answer_rate(tmp_path):
    """A call list whose 60% answer-rate target is above the pickup's 42.8%: the roster keeps the
    deferred-work rule's requirement for it, the search ends at once, and a reachable target gives the
    same roster."""
    data = outbound_scenario(entries=600, pickup={"answer": 0.55, "busy": 0.08, "rings": 3},
                             extra={"sla": {"target": 0.6}})
    data["groups"]["team"] = {"skills": ["reminders"], "headcount": 1, "cost": {"per_hour": 30}}
    templates = {"templates": {"day": {"group": "team", "starts": [f"{h:02d}:00" for h in range(17)],
                                       "length": "8h"}}}
    costs = []
    for target in (0.6, 0.4):
        changed = copy.deepcopy(data)
        changed["queues"]["reminders"]["sla"]["target"] = target
        roster, sc = _roster(tmp_path, changed, templates)
        found = search_roster(sc, roster, replications=3, seed=2, workers=1, compare_with_scenario=False)
        rule = backoffice_requirements(sc, replications=3, seed=2, workers=1)["agents"].to_numpy()
        assert found.met and len(found.history) == 1
        np.testing.assert_array_equal(found.need["reminders"], rule)
        costs.append(found.solution.cost)
    assert costs[0] == costs[1]
