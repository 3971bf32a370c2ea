"""SimPy model of one replication: the kernel (``Model``) and its components (``sim.components``).

The kernel owns the clock and the event loop (SimPy), the contact table (``sim.contacts``) and the path
of a contact: arrival, start, end, release. It asks the routing policy (``sim.routing``) which agent
takes an arriving contact and which waiting contact a freed agent takes, and calls the components for
the rest: the agents (``sim.agents``), the waiting lines (``sim.waiting``), conversations
(``sim.conversations``), the contacts a run creates (``sim.later_contacts``) and the call lists
(``sim.outbound``).

Few events per contact (docs/engine.md). A service completion is one ``Timeout`` whose callback frees the
agent. Arrivals are pre-drawn; after every event, the contacts arriving before the next scheduled event
are admitted at once (they meet exactly the state they would meet at their own time), so an arrival costs
a SimPy event only when nothing else is pending. Abandonment needs no event: a waiting contact carries a
deadline (arrival + patience), and whenever its queue is looked at, contacts past their deadline leave
as abandoned at their deadline (``sim.waiting``); outcomes are exact because nothing can serve a contact
between two events.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import simpy

from sim.agents import Agent, Agents
from sim.arrivals import Demand, draws_amounts
from sim.attendance import Attendance
from sim.channels import channel_of
from sim.contacts import ABANDONED, ANSWERED, BY_NAME, OUTPUT, WAITING, Contacts, engine_columns
from sim.conversations import Conversations
from sim.later_contacts import LaterContacts
from sim.outbound import CallLists
from sim.records import EngineOutput
from sim.routing import Plain, Plan, Policy, Rules
from sim.scenario.model import Scenario, level_of
from sim.waiting import Lines, WaitingLines

__all__ = ["Model"]
_INF = float("inf")


class Model:
    """One replication of a scenario over pre-drawn demand and attendance (None: everyone shows up).

    ``policy`` replaces the scenario's routing (``sim.routing.Plain``, or ``Rules`` where the scenario
    has routing rules) with another ``sim.routing.Policy``. Build, then ``run()``.
    """

    def __init__(self, sc: Scenario, demand: Demand, attendance: Attendance | None = None,
                 policy: Policy | None = None):
        self.sc = sc
        self.env = simpy.Environment()
        self.events = 1                            # SimPy events scheduled, counting the run's end
        self.interval, self.last_interval = sc.interval, sc.n_intervals - 1
        for k in range(sc.n_intervals):            # first of all: at an interval start, before anything else
            self.at(k * sc.interval, self._interval_tick)
        self.time_of_day_at_0 = sc.start_offset
        # Keep only what the run needs from the demand, so its other columns can be freed meanwhile.
        self.drawn_amount = demand.amount if any(draws_amounts(q) for q in sc.queues.values()) else None
        self.deflected = demand.deflected_time, demand.deflected_queue
        self.columns = columns = engine_columns(demand.columns)
        self.time, self.queue, self.work = columns["time"], columns["queue"], columns["work"]
        self.wrap, self.ended = columns["wrap"], columns["end"]
        self.patience, self.retry, self.balks = columns["patience"], columns["retry"], columns["balks"]
        self.repeats, self.level, self.outcome = columns["repeats"], columns["level"], columns["outcome"]
        self.wait, self.balked, self.auto = columns["wait"], columns["balked"], columns["auto"]
        self.group, self.agent = columns["group"], columns["agent"]
        queues = list(sc.queues.values())
        self.plan = plan = Plan.of(sc)
        self.exclusive, self.skills, self.eligible = plan.exclusive, plan.pulls, plan.eligible
        self.proficiency, self.overflow_after = plan.proficiency, plan.overflow_after
        self.group_level = [level_of(sc, g) for g in sc.groups.values()]
        self.move_after = [_INF if q.escalate_after is None else q.escalate_after.after for q in queues]
        self.converses = [q.converses for q in queues]

        self.lines = WaitingLines(plan.classes, columns, [channel_of(q).auto_approves for q in queues], self._left)
        self.waiting = self.lines.queues
        self.later = LaterContacts(sc, self, self.lines, columns, demand)
        self.agents = Agents(sc, self, demand.later, attendance)           # schedules the shifts
        self.capacity = self.agents.capacity
        self.conversations = (Conversations(sc, self, self.agents, demand.later, self.time, plan.proficiency)
                              if any(self.converses) else None)
        self.call_lists = CallLists(sc, self, self.later, columns, plan.dial_hours)   # schedules the openings
        # Whether a contact of the queue may be followed when it ends: a repeat, a redial, a call-back.
        self.follows_end = [q.repeat is not None or self.call_lists.follows(k) for k, q in enumerate(queues)]
        self.policy = policy or (Plain() if plan.plain else Rules())
        self.policy.attach(_Floor(self), plan)
        self.choose_agent, self.choose_contact, self.may_take = (self.policy.choose_agent, self.policy.choose_contact,
                                                                 self.policy.may_take)

        self.max_queue_len = [[0] * len(queues) for _ in range(sc.n_intervals)]
        self.backlog = [[0] * len(queues) for _ in range(sc.n_intervals)]        # waiting at each interval start
        self.next_arrival, self.n_drawn = 0, len(demand)     # contacts created later are scheduled one by one
        self.arrival_pending = False     # whether a SimPy event is waiting for the next arrival
        self._timeout, self._on_finish, self._on_release = self.env.timeout, self._finish, self._wrapped  # hot path
        self._admit_arrivals()

    # ------------------------------------------------------------ what components ask (sim.components.Kernel)

    @property
    def now(self) -> float:
        return self.env.now

    def at(self, when: float, action: Callable[..., None], *args) -> None:
        """Call ``action(*args)`` at absolute time ``when``, then admit the arrivals due before the next event.
        Events at the same time run in the order they were scheduled.
        """
        self.events += 1
        self.env.timeout(when - self.env.now, (action, args)).callbacks.extend((self._act, self._admit_arrivals))

    @staticmethod
    def _act(event: simpy.Timeout) -> None:
        action, args = event.value
        action(*args)

    def arrive(self, i: int, q: int, t: float) -> None:
        """Contact ``i`` enters queue ``q`` at ``t``: its arrival, or the start for a backlog item, which
        arrived (``time``) before it.
        """
        waiting = self.waiting[q]
        deadlines = waiting.deadlines
        if deadlines and deadlines[0][0] <= t:
            self.lines.purge(q, t)
        if not waiting.n:
            agent = self.choose_agent(q, self.eligible[q])
            if agent is not None:
                self.agents.unpark(agent)
                self._start(agent, i, q, t, t - self.time[i])
                if not agent.exclusive:
                    self.agents.park(agent, t)
                return
        if self.balks[i]:                                # finds nobody free and leaves at once
            self.outcome[i], self.wait[i], self.balked[i] = ABANDONED, 0.0, 1
            if self.retry[i]:
                self.later.retry(i, q, t)
            return
        n = self.lines.join(i, q)
        arrived = self.time[i]
        if self.retry[i] and self.patience[i] < _INF:     # a real event at the deadline, so the retrial is in time
            self.at(max(arrived + self.patience[i], t), self._purge_now, q)
        if self.overflow_after[q] < _INF:
            self.at(max(arrived + self.overflow_after[q], t), self._overflow_due, i, q)
        if self.move_after[q] < _INF:
            self.at(max(arrived + self.move_after[q], t), self.later.move, i, q)
        row = self.max_queue_len[min(int(t // self.interval), self.last_interval)]
        if n > row[q]:
            row[q] = n

    def end(self, agent: Agent, i: int, q: int) -> None:
        self._end(agent, i, q, False)

    def pull(self, agent: Agent, now: float) -> None:
        """Fill the agent's free capacity from its queues in priority order, each contact chosen by the
        policy and only where it may take the queue now.
        """
        capacity, time, lines, choose = self.capacity[agent.group], self.time, self.lines, self.choose_contact
        for q in self.skills[agent.group]:
            if agent.exclusive or agent.load >= capacity:
                return
            waiting = self.waiting[q]
            if not waiting.n or (agent.load and self.exclusive[q]) or not self.may_take(agent, q):
                continue
            deadlines = waiting.deadlines
            if deadlines and deadlines[0][0] <= now:
                lines.purge(q, now)
            while waiting.n and agent.load < capacity and not agent.exclusive:
                i = choose(agent, q)
                if i is None:
                    break
                lines.take(i, q)
                self._start(agent, i, q, now, now - time[i])

    def serve_waiting(self, q: int) -> None:
        """Agents free for queue ``q`` take its waiting contacts now, as the policy chooses."""
        now, waiting = self.env.now, self.waiting[q]
        self.lines.purge(q, now)
        while waiting.n:
            agent = self.choose_agent(q, self.eligible[q])
            if agent is None:
                return
            i = self.choose_contact(agent, q)
            if i is None:
                return
            self.agents.unpark(agent)
            self.lines.take(i, q)
            self._start(agent, i, q, now, now - self.time[i])

    # ------------------------------------------------------------ arrivals, intervals

    def _admit_arrivals(self, _event=None) -> None:
        """Admit every contact arriving before the next scheduled event; runs after each event.

        A contact arriving at t earlier than every pending event (``env.peek()``) meets the state exactly
        as it will be at t, so it is admitted now, without an event of its own (whatever it schedules
        uses absolute times). A SimPy event waits for an arrival only when nothing is pending before it.
        """
        env, times, n = self.env, self.time, self.n_drawn
        i, now = self.next_arrival, env.now
        upcoming = env.peek()
        while i < n and (times[i] <= now or times[i] < upcoming):
            self.arrive(i, self.queue[i], times[i] if times[i] > now else now)   # a backlog: at the start
            i += 1
            upcoming = env.peek()
        self.next_arrival = i
        if i < n and upcoming > times[i] and not self.arrival_pending:
            self.events += 1
            env.timeout(times[i] - now).callbacks.append(self._arrival_due)
            self.arrival_pending = True

    def _arrival_due(self, _event) -> None:
        self.arrival_pending = False
        self._admit_arrivals()

    def _interval_tick(self) -> None:
        """At an interval start, before anything else happens then, count the contacts carried over as that
        interval's queue length and backlog.
        """
        now = self.env.now
        k = min(int(round(now / self.interval)), self.last_interval)
        row, backlog = self.max_queue_len[k], self.backlog[k]
        for q, waiting in enumerate(self.waiting):
            self.lines.purge(q, now)
            row[q] = backlog[q] = waiting.n

    def _purge_now(self, q: int) -> None:
        self.lines.purge(q, self.env.now)

    def _left(self, i: int, q: int, at: float) -> None:
        """Contact ``i`` left queue ``q``'s line at ``at`` (its patience ran out) and calls again."""
        self.later.retry(i, q, at)

    def _overflow_due(self, i: int, q: int) -> None:
        """Contact ``i`` has waited the queue's overflow time: an idle agent of the overflow groups takes it."""
        now = self.env.now
        self.lines.purge(q, now)
        if self.outcome[i] != WAITING:
            return
        agent = self.choose_agent(q, self.plan.overflow_groups[q])
        if agent is None:                     # they take it when one is free (choose_contact)
            return
        self.agents.unpark(agent)
        self.lines.take(i, q)
        self._start(agent, i, q, now, now - self.time[i])
        if not agent.exclusive:
            self.agents.park(agent, now)

    # ------------------------------------------------------------ service

    def _start(self, agent: Agent, i: int, q: int, now: float, wait: float) -> None:
        group = agent.group
        self.outcome[i] = ANSWERED
        self.wait[i] = wait
        self.group[i] = group
        self.agent[i] = agent.id
        if agent.busy_since is None:
            agent.busy_since = now
        agent.load += 1
        if self.exclusive[q]:
            agent.exclusive = True
        if self.converses[q]:
            self.conversations.begin(agent, i, q, now)     # rounds of messages and replies, then end()
            return
        done = now + self.work[i] / (self.proficiency[group][q] * agent.speed)   # absolute: ``now`` may lead env.now
        cut = False
        if self.lines.auto_approves[q]:
            due = self.time[i] + self.patience[i]          # the item's patience is the platform deadline
            if due < done:                                 # the platform approves the item mid-work
                done, cut = due, True
        self.events += 1
        self._timeout(done - self.env.now, (agent, i, q, cut)).callbacks.append(self._on_finish)

    def _finish(self, event: simpy.Timeout) -> None:
        self._end(*event.value)

    def _end(self, agent: Agent, i: int, q: int, cut: bool) -> None:
        """The contact ends now; what follows it is created; its agent wraps up, if it must, then is free."""
        now = self.env.now
        if cut:
            self.auto[i] = 1
        elif self.level[i] > self.group_level[agent.group]:
            self.later.escalate(i, q, now)
        elif self.follows_end[q]:
            if self.repeats[i]:
                self.later.repeat(i, q, now)
            self.call_lists.after_end(i, q, now)
        self.ended[i] = now
        wrap = 0.0 if cut else self.wrap[i]
        if wrap > 0.0:                        # the slot stays taken while the agent wraps up
            self.agents.record("wrap_up", agent, now, now + wrap)
            self.events += 1
            self._timeout(wrap, (agent, q)).callbacks.append(self._on_release)
            self._admit_arrivals()            # what arrives before the next event, as after any event
        else:
            self._release(agent, q, now)

    def _wrapped(self, event: simpy.Timeout) -> None:
        agent, q = event.value
        self._release(agent, q, self.env.now)

    def _release(self, agent: Agent, q: int, now: float) -> None:
        """The agent frees the capacity a contact of queue ``q`` held: it takes more work or leaves."""
        agent.load -= 1
        if self.exclusive[q]:
            agent.exclusive = False
        self.agents.freed(agent, now)
        i = self.next_arrival                 # same test as _admit_arrivals, without the call when idle
        if i < self.n_drawn and self.time[i] < self.env.peek():
            self._admit_arrivals()

    # ------------------------------------------------------------ run

    def run(self) -> EngineOutput:
        horizon = self.sc.horizon
        self.env.run(until=horizon)
        for q in range(len(self.waiting)):
            self.lines.purge(q, horizon)
        # Inputs no longer needed, emptied in place for every part holding them (the model sits in
        # reference cycles, SimPy callbacks among them, so it is not freed at once).
        for name in [name for name in self.columns if name not in OUTPUT]:
            del self.columns.pop(name)[:]
        self.later.release_inputs()
        # NumPy views share the compact arrays' memory: no copies of per-contact data.
        views = {name: np.frombuffer(self.columns[name], dtype=BY_NAME[name].dtype) for name in ("outcome", "wait",
                                                                                                "time", "origin")}
        still = views["outcome"] == WAITING
        views["wait"][still] = horizon - views["time"][still]
        origin = views["origin"]
        amount = np.full(origin.size, np.nan)          # a follow-up carries its customer's amount
        if self.drawn_amount is not None:
            amount[:self.drawn_amount.size] = self.drawn_amount
        followups = np.flatnonzero(origin >= 0)
        amount[followups] = amount[origin[followups]]
        spans = self.agents.close(horizon)
        return EngineOutput(
            contacts=Contacts.from_engine(self.columns, amount=amount),
            deflected_time=self.deflected[0], deflected_queue=self.deflected[1],
            max_queue_len=np.array(self.max_queue_len, dtype=np.int64).reshape(self.last_interval + 1, -1),
            backlog=np.array(self.backlog, dtype=np.int64).reshape(self.last_interval + 1, -1),
            agent_group=np.array([a.group for a in self.agents.agents], dtype=np.int64),
            agent_shift=np.array(self.agents.agent_shift, dtype=float).reshape(-1, 2),
            **spans,
            events=self.events,
            messages=self.conversations.messages() if self.conversations is not None else None,
        )


class _Floor:
    """What a routing policy sees of a run (``sim.routing.Floor``)."""

    def __init__(self, model: Model):
        self._env, self._agents, self._lines, self._columns = model.env, model.agents, model.lines, model.columns
        self.time_of_day_at_0 = model.time_of_day_at_0

    @property
    def now(self) -> float:
        return self._env.now

    def free(self, group: int) -> list[dict[Agent, None]]:
        return self._agents.buckets[group]

    def line(self, queue: int) -> Lines:
        return self._lines.view(queue)

    def contacts(self, attribute: str) -> Sequence[float]:
        return self._columns[attribute]
