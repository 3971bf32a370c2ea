"""Routing: which agent takes an arriving contact, and which waiting contact a freed agent takes.

The default (what Ciw calls the server priority function and the service discipline): an arriving
contact goes to the eligible agent idle longest (a chat: fewest slots used first, ties to the longest in
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

``Plan`` resolves these to indices once. A ``Policy`` answers the engine's three questions (which agent
takes an arriving contact, which waiting contact a freed agent takes, may this agent take this queue
now), looking at the ``Floor``: the agents free for work and the waiting lines, read-only. ``Plain`` is
the default; ``Rules`` adds the four rules above and is the policy of scenarios that use any
(``Plan.plain``). ``sim.engine.Model`` takes another policy for experiments with new rules
(docs/engine.md has one in a dozen lines).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from sim.call_lists import is_open
from sim.channels import channel_of
from sim.scenario.campaigns import DialHours


@dataclass(frozen=True)
class Plan:
    """A scenario's routing, by index.

    ``eligible[q]``: groups that may take queue q's contacts on arrival; ``pulls[g]``: the queues group g
    takes from, in priority order (its skills, then the queues it takes after an overflow wait);
    ``proficiency[g][q]``: speed factor; ``overflow_after[q]``: seconds after which ``overflow_groups[q]``
    may take a contact (inf: never); ``late_only[g]``: queues g takes only after that wait;
    ``reserve[g]``: (queue, agents) kept idle for that queue, or None; ``classes[q]``: customer classes;
    ``dial_hours[q]``: an outbound queue's hours (None: any time); ``inbound_below[q]``: its blending
    threshold (None: none); ``inbound[g]``: the queues g takes that are not outbound; ``capacity[g]``:
    the slots of each of g's agents (its ``concurrency``); ``slots[g][q]``: how many of them a contact of q
    would take (``Channel.slots``: all for a call or an item, one for a chat).
    """

    capacity: list[int]
    slots: list[list[int]]
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
        """True when no rule is on: the ``Plain`` policy routes it."""
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
        concurrency = [g.concurrency for g in sc.groups.values()]
        specs = [channel_of(q) for q in sc.queues.values()]
        return cls(capacity=concurrency,
                   slots=[[spec.slots(k) for spec in specs] for k in concurrency],
                   eligible=[[gi for gi, g in enumerate(sc.groups.values()) if q in g.skills] for q in queues],
                   pulls=pulls, proficiency=proficiency, overflow_after=overflow_after,
                   overflow_groups=overflow_groups, late_only=[frozenset(s) for s in late_only], reserve=reserve,
                   classes=[len(q.class_names) for q in sc.queues.values()],
                   dial_hours=[q.campaign.hours if q.campaign is not None else None for q in sc.queues.values()],
                   inbound_below=[q.blend.inbound_below if q.blend is not None else None for q in sc.queues.values()],
                   inbound=[[qi for qi in p if not specs[qi].dials] for p in pulls])

    def reach(self, g: int, q: int) -> int:
        """Group ``g``'s agents using fewer slots than this may take a contact of queue ``q`` (1: idle only)."""
        return self.capacity[g] - self.slots[g][q] + 1

    def most_used(self, g: int) -> int:
        """The most slots one of group ``g``'s agents may use and still take a contact of some queue."""
        return max(self.reach(g, q) for q in self.pulls[g]) - 1


class Agent(Protocol):
    """What a routing policy reads of an agent (``sim.agents.Agent``)."""

    id: int
    group: int        # index of its group
    load: int         # contacts it holds
    used: int         # slots they take (``Plan.slots``)
    since: float      # when it got into its bucket, with those slots used (s)
    speed: float      # its proficiency factor (the shift's), times its group's on each queue (``Plan``)


class WaitingView(Protocol):
    """What a routing policy sees of one queue's line: the contacts still waiting, in order."""

    def __len__(self) -> int:
        """How many contacts wait."""

    def __iter__(self) -> Iterator[int]:
        """The waiting contacts (indices into the contact table), highest class first, then longest waiting."""

    def first(self, customer_class: int = 0) -> int | None:
        """The longest-waiting contact of a class (default: the first class), or None."""


class Floor(Protocol):
    """What a routing policy sees, read-only: the time, the agents free for work, the waiting lines and
    the contacts' attributes.
    """

    @property
    def now(self) -> float:
        """The simulation time (s from the start)."""

    time_of_day_at_0: float     # s from midnight to the start

    def free(self, group: int) -> list[Mapping[Agent, None]]:
        """The group's agents on duty who can take one more contact, by the slots they use (index 0: idle),
        each in the order they got there (longest first). A contact of queue ``q`` fits the first
        ``Plan.reach(group, q)`` of them.
        """

    def line(self, queue: int) -> WaitingView:
        """The queue's waiting contacts, in order."""

    def contacts(self, attribute: str) -> Sequence[float]:
        """Every contact's value of an attribute (``sim.contacts.ATTRIBUTES``), by contact index."""


class Policy(Protocol):
    """The engine's routing questions. A policy is attached once to the floor and plan of a run; it
    decides, and the engine acts (takes the contact out of its line, starts it).
    """

    def attach(self, floor: Floor, plan: Plan) -> None:
        """What the policy looks at during the run."""

    def choose_agent(self, q: int, groups: Sequence[int]) -> Agent | None:
        """The agent of ``groups`` (free for work) to take an arriving contact of queue ``q`` now, or None."""

    def choose_contact(self, agent: Agent, q: int) -> int | None:
        """The waiting contact of queue ``q`` the agent takes next, or None."""

    def may_take(self, agent: Agent, q: int) -> bool:
        """Whether the agent, about to look for work, may take queue ``q``'s contacts at all now."""


class Plain:
    """The default routing: an arriving contact goes to the eligible agent idle longest (a chat: fewest
    slots used first, ties to the longest in that state); a freed agent takes the longest-waiting contact.

    ``attach`` keeps, for subclasses, ``floor``, ``plan``, ``free[g]`` (``Floor.free``), ``lines[q]``
    (``Floor.line``) and ``reach[q][g]`` (``Plan.reach``).
    """

    def attach(self, floor: Floor, plan: Plan) -> None:
        self.floor, self.plan = floor, plan
        self.free = [floor.free(g) for g in range(len(plan.pulls))]
        self.lines = [floor.line(q) for q in range(len(plan.eligible))]
        self.reach = [[plan.reach(g, q) for g in range(len(plan.pulls))] for q in range(len(plan.eligible))]

    def choose_agent(self, q: int, groups: Sequence[int]) -> Agent | None:
        best, fewest, reach = None, 0, self.reach[q]
        for g in groups:
            free = self.free[g]
            if reach[g] == 1:                       # calls and items: only idle agents
                idle = free[0]
                if idle:
                    agent = next(iter(idle))
                    if best is None or fewest or agent.since < best.since:
                        best, fewest = agent, 0
                continue
            for used in range(reach[g]):
                bucket = free[used]
                if bucket:
                    agent = next(iter(bucket))
                    if best is None or used < fewest or (used == fewest and agent.since < best.since):
                        best, fewest = agent, used
                    break
        return best

    def choose_contact(self, agent: Agent, q: int) -> int | None:
        return self.lines[q].first()

    def may_take(self, agent: Agent, q: int) -> bool:
        return True


class Rules(Plain):
    """The scenario's routing: customer classes, overflow, reserve, dialling hours and blending (each off
    unless set); without any, the same choices as ``Plain``.
    """

    def attach(self, floor: Floor, plan: Plan) -> None:
        super().attach(floor, plan)
        self.time = floor.contacts("time")

    def choose_agent(self, q: int, groups: Sequence[int]) -> Agent | None:
        """The longest idle (calls and items: only idle agents; chats: fewest slots used first),
        leaving each group's reserved idle agents to their queue.
        """
        if not self.dialling_open(q):
            return None
        reach, reserve = self.reach[q], self.plan.reserve
        best, best_key = None, None
        for g in groups:
            if not self.blend_allows(g, q):
                continue
            kept, free = reserve[g], self.free[g]
            spare_idle = not (kept is not None and kept[0] != q and len(free[0]) <= kept[1])
            for used in range(reach[g]):
                bucket = free[used]
                if not bucket or (used == 0 and not spare_idle):
                    continue
                agent = next(iter(bucket))
                if best is None or (used, agent.since) < best_key:
                    best, best_key = agent, (used, agent.since)
                break
        return best

    def choose_contact(self, agent: Agent, q: int) -> int | None:
        """The highest class first, the longest waiting within it; a group taking ``q`` on overflow only
        takes contacts that waited long enough.
        """
        line = self.lines[q]
        late = q in self.plan.late_only[agent.group]
        oldest = self.floor.now - self.plan.overflow_after[q]
        for customer_class in range(self.plan.classes[q]):
            i = line.first(customer_class)
            if i is not None and (not late or self.time[i] <= oldest):
                return i
        return None

    def may_take(self, agent: Agent, q: int) -> bool:
        """Not outside an outbound queue's dialling hours or against its blending rule, nor if that would
        leave the agent's group fewer idle agents than it keeps for another queue.
        """
        if not (self.dialling_open(q) and self.blend_allows(agent.group, q)):
            return False
        kept = self.plan.reserve[agent.group]
        return kept is None or kept[0] == q or agent.used > 0 or len(self.free[agent.group][0]) >= kept[1]

    def dialling_open(self, q: int) -> bool:
        """Whether queue ``q`` may be worked now: always, or for an outbound queue inside its dialling hours."""
        hours = self.plan.dial_hours[q]
        return hours is None or is_open(hours, self.floor.now, self.floor.time_of_day_at_0)

    def blend_allows(self, g: int, q: int) -> bool:
        """Whether group ``g``'s agents may dial outbound queue ``q`` now: each inbound queue they serve has
        fewer than the queue's ``blend.inbound_below`` contacts waiting (always, without a ``blend``).
        """
        below = self.plan.inbound_below[q]
        return below is None or all(len(self.lines[p]) < below for p in self.plan.inbound[g])
