"""Routing: which agent takes an arriving contact, and which waiting contact a freed agent takes.

The default (what Ciw calls the server priority function and the service discipline): an arriving
contact goes to the eligible agent idle longest (a chat: fewest open chats first, ties to the longest in
that state); an agent with free capacity takes from its queues in skill-priority order and, within a
queue, the longest-waiting contact. Four rules refine it, each off unless the scenario asks for it:

- **customer classes** (``queues.Q.classes``): within a queue, a higher class is taken first
  (non-preemptive priority), first come first served within a class;
- **overflow** (``queues.Q.overflow``): a contact waiting ``after`` seconds may also be taken by further
  groups, which look at it after their own queues;
- **reserve** (``groups.G.reserve``): a group keeps its last ``agents`` idle agents for one queue;
- **dialling hours and blending** (outbound queues' ``campaign.hours`` and ``blend``): nobody takes an
  outbound entry outside its hours, and an agent who also serves inbound queues dials only while each of
  them has fewer than ``blend.inbound_below`` contacts waiting.

``Plan`` resolves these to indices once. A ``Policy`` answers the engine's three questions (which agent,
which contact, may this agent take this queue now); ``Rules`` is the policy of the scenario keys above.
The engine keeps a plain fast path, equal to ``Rules`` without rules, for scenarios that use none
(``Plan.plain``); ``sim.engine.Model`` takes another policy for experiments with new rules.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import Protocol

from sim.call_lists import is_open
from sim.channels import channel_of
from sim.contacts import WAITING
from sim.scenario.campaigns import DialHours


class Waiting:
    """The contacts waiting in one queue: a first-come-first-served line per customer class (highest class
    first), a heap of (deadline, contact) for those who may leave, and how many are still waiting.

    Lines keep contacts that already left (abandoned, or taken out of order); readers skip them.
    """

    __slots__ = ("lines", "deadlines", "n")

    def __init__(self, classes: int):
        self.lines = [deque() for _ in range(classes)]
        self.deadlines: list[tuple[float, int]] = []
        self.n = 0


@dataclass(frozen=True)
class Plan:
    """A scenario's routing, by index.

    ``eligible[q]``: groups that may take queue q's contacts on arrival; ``pulls[g]``: the queues group g
    takes from, in priority order (its skills, then the queues it takes after an overflow wait);
    ``proficiency[g][q]``: speed factor; ``overflow_after[q]``: seconds after which ``overflow_groups[q]``
    may take a contact (inf: never); ``late_only[g]``: queues g takes only after that wait;
    ``reserve[g]``: (queue, agents) kept idle for that queue, or None; ``classes[q]``: customer classes;
    ``dial_hours[q]``: an outbound queue's hours (None: any time); ``inbound_below[q]``: its blending
    threshold (None: none); ``inbound[g]``: the queues g takes that are not outbound.
    """

    eligible: list[list[int]]
    pulls: list[list[int]]
    proficiency: list[dict[int, float]]
    overflow_after: list[float]
    overflow_groups: list[list[int]]
    late_only: list[frozenset[int]]
    reserve: list[tuple[int, int] | None]
    classes: list[int]
    dial_hours: list[DialHours | None] = ()
    inbound_below: list[int | None] = ()
    inbound: list[list[int]] = ()

    @property
    def plain(self) -> bool:
        """True when no rule is on: the engine's fast path is exactly this plan."""
        return (all(n == 1 for n in self.classes) and not any(self.overflow_groups)
                and not any(r is not None for r in self.reserve)
                and not any(h is not None for h in self.dial_hours)
                and not any(b is not None for b in self.inbound_below))

    @classmethod
    def of(cls, sc) -> Plan:
        queues, groups = list(sc.queues), list(sc.groups)
        pulls = [[queues.index(q) for q in g.skills] for g in sc.groups.values()]
        proficiency = [{queues.index(q): p for q, p in g.skills.items()} for g in sc.groups.values()]
        late_only: list[set[int]] = [set() for _ in groups]
        overflow_after, overflow_groups = [], []
        for qi, q in enumerate(sc.queues.values()):
            extra = q.overflow.groups if q.overflow is not None else {}
            overflow_after.append(q.overflow.after if q.overflow is not None else math.inf)
            overflow_groups.append([groups.index(g) for g in extra])
            for g, speed in extra.items():
                gi = groups.index(g)
                pulls[gi].append(qi)
                proficiency[gi][qi] = speed
                late_only[gi].add(qi)
        reserve = [(queues.index(g.reserve.queue), g.reserve.agents) if g.reserve is not None else None
                   for g in sc.groups.values()]
        return cls(eligible=[[gi for gi, g in enumerate(sc.groups.values()) if q in g.skills] for q in queues],
                   pulls=pulls, proficiency=proficiency, overflow_after=overflow_after,
                   overflow_groups=overflow_groups, late_only=[frozenset(s) for s in late_only], reserve=reserve,
                   classes=[len(q.class_names) for q in sc.queues.values()],
                   dial_hours=[q.campaign.hours if q.campaign is not None else None for q in sc.queues.values()],
                   inbound_below=[q.blend.inbound_below if q.blend is not None else None for q in sc.queues.values()],
                   inbound=[[qi for qi in p if not channel_of(list(sc.queues.values())[qi]).dials] for p in pulls])


class Policy(Protocol):
    """What the engine asks when it routes (``model`` is the ``sim.engine.Model``; agents are ``sim.agents.Agent``)."""

    def choose_agent(self, model, groups: list[int], q: int):
        """The agent of ``groups`` (idle or with a free slot) to take a contact of queue ``q`` now, or None."""

    def choose_contact(self, model, agent, q: int, now: float) -> int | None:
        """The waiting contact of queue ``q`` the agent takes next (removed from its line), or None."""

    def may_take(self, model, agent, q: int) -> bool:
        """Whether the agent, about to look for work, may take queue ``q``'s contacts at all now."""


class Rules:
    """The scenario's routing: customer classes, overflow and reserve (each off unless set)."""

    def choose_agent(self, model, groups: list[int], q: int):
        return choose_agent(model, groups, q)

    def choose_contact(self, model, agent, q: int, now: float) -> int | None:
        return choose_contact(model, agent, q, now)

    def may_take(self, model, agent, q: int) -> bool:
        return may_take(model, agent, q)


def choose_agent(model, groups: list[int], q: int):
    """The agent of ``groups`` to take a contact of queue ``q`` now, or None: the longest idle (calls and
    items: only agents holding nothing; chats: fewest open chats first), leaving each group's reserved idle
    agents to their queue.
    """
    exclusive, buckets, reserve = model.exclusive[q], model.buckets, model.plan.reserve
    if not dialling_open(model, q):
        return None
    best, best_key = None, None
    for g in groups:
        if not blend_allows(model, g, q):
            continue
        kept = reserve[g]
        spare_idle = not (kept is not None and kept[0] != q and len(buckets[g][0]) <= kept[1])
        for load, bucket in enumerate(buckets[g][:1] if exclusive else buckets[g]):
            if not bucket or (load == 0 and not spare_idle):
                continue
            agent = next(iter(bucket))
            if best is None or (load, agent.since) < best_key:
                best, best_key = agent, (load, agent.since)
            break
    return best


def may_take(model, agent, q: int) -> bool:
    """Whether ``agent`` (not parked) may take work of queue ``q``: not outside an outbound queue's
    dialling hours or against its blending rule, nor if that would leave its group fewer idle agents than
    it keeps for another queue.
    """
    if not (dialling_open(model, q) and blend_allows(model, agent.group, q)):
        return False
    kept = model.plan.reserve[agent.group]
    return kept is None or kept[0] == q or agent.load > 0 or len(model.buckets[agent.group][0]) >= kept[1]


def dialling_open(model, q: int) -> bool:
    """Whether queue ``q`` may be worked now: always, or for an outbound queue inside its dialling hours."""
    hours = model.plan.dial_hours[q]
    return hours is None or is_open(hours, model.env.now, model.time_of_day_at_0)


def blend_allows(model, g: int, q: int) -> bool:
    """Whether group ``g``'s agents may dial outbound queue ``q`` now: each inbound queue they serve has
    fewer than the queue's ``blend.inbound_below`` contacts waiting (always, without a ``blend``).
    """
    below = model.plan.inbound_below[q]
    return below is None or all(model.waiting[p].n < below for p in model.plan.inbound[g])


def choose_contact(model, agent, q: int, now: float) -> int | None:
    """The waiting contact of queue ``q`` the agent takes next, or None: the highest class first, the
    longest waiting within it; a group taking ``q`` on overflow only takes contacts that waited long enough.
    Contacts that already left are dropped from the lines on the way.
    """
    lines, state = model.waiting[q].lines, model.outcome
    late = q in model.plan.late_only[agent.group]
    oldest = now - model.plan.overflow_after[q]
    for line in lines:
        while line and state[line[0]] != WAITING:
            line.popleft()
        if line and (not late or model.time[line[0]] <= oldest):
            return line.popleft()
    return None
