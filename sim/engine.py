"""SimPy model of one replication: the kernel (``Model``) and its components (``sim.components``).

The kernel owns the clock and the event loop (SimPy), the contact table (``sim.contacts``) and the path
of a contact: arrival, start, end, release. It asks the routing policy (``sim.routing``) which agent
takes an arriving contact and which waiting contact a freed agent takes, and calls the components for
the rest: the agents (``sim.agents``), the waiting lines (``sim.waiting``), conversations
(``sim.conversations``), the contacts a run creates (``sim.later_contacts``) and the call lists
(``sim.outbound``).

Two calendars, merged in time order. SimPy's holds the schedule: interval starts, shifts, breaks and
not-ready episodes, waits that run out (a caller's patience where it calls again, overflow, escalation
after a wait), dialling hours. The kernel's own holds each contact's steps: its arrival (pre-drawn, or
created during the run), a conversation's replies and messages, the end of its service or wrap-up.
Between two SimPy events the kernel runs its steps due before the next one (docs/engine.md): at the
same time, a SimPy event comes first, then the kernel's steps in the order they were made, then the
pre-drawn arrivals. Abandonment needs no event either: a waiting contact carries a deadline (arrival +
patience), and whenever its queue is looked at, contacts past their deadline leave as abandoned at their
deadline (``sim.waiting``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from heapq import heappop, heappush
from itertools import count

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
_WRAPPED, _STEP = -1, -2        # what a calendar entry holds where a contact's index would be


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
        self.clock = 0.0                           # the time of what happens now (s)
        self.upcoming = _INF                       # SimPy's next event time, while the kernel runs (_advance)
        # The kernel's calendar: a heap of (time, order made, then three forms): the end of a contact's
        # service (agent, contact, queue, cut by a deadline), the end of a wrap-up (agent, _WRAPPED, queue,
        # None) and any other step (action, _STEP, args, None).
        self.calendar: list[tuple] = []
        self.order = count()
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
        self.capacity, self.slots, self.skills, self.eligible = plan.capacity, plan.slots, plan.pulls, plan.eligible
        self.proficiency, self.overflow_after = plan.proficiency, plan.overflow_after
        self.group_level = [level_of(sc, g) for g in sc.groups.values()]
        self.move_after = [_INF if q.escalate_after is None else q.escalate_after.after for q in queues]
        self.converses = [q.converses for q in queues]

        self.auto_approves = [channel_of(q).auto_approves for q in queues]
        self.lines = WaitingLines(plan.classes, columns, self.auto_approves, self._left)
        self.waiting = self.lines.queues
        self.later = LaterContacts(sc, self, self.lines, columns, demand)
        self.agents = Agents(sc, self, demand.later, attendance,                # schedules the shifts
                             [plan.most_used(g) for g in range(len(sc.groups))])
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
        self._advance()

    # ------------------------------------------------------------ what components ask (sim.components.Kernel)

    @property
    def now(self) -> float:
        return self.clock

    def at(self, when: float, action: Callable[..., None], *args) -> None:
        """Call ``action(*args)`` at absolute time ``when`` (a SimPy event), then run the kernel's steps and
        arrivals due before the next event. Events at the same time run in the order they were scheduled,
        before the kernel's steps at that time.
        """
        self.events += 1
        env = self.env
        delay = when - env.now
        env.timeout(delay, (when, action, args)).callbacks.append(self._act)
        if env.now + delay < self.upcoming:         # SimPy's own time for it
            self.upcoming = env.now + delay

    def due(self, when: float, action: Callable[..., None], *args) -> None:
        """Call ``action(*args)`` at time ``when``, a step of a contact on the kernel's calendar (no SimPy
        event): after the SimPy events at that time and the steps made before it.
        """
        heappush(self.calendar, (when, next(self.order), action, _STEP, args, None))

    def _act(self, event: simpy.Timeout) -> None:
        when, action, args = event.value
        self.clock = when
        action(*args)
        self._advance()

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
                if agent.used <= agent.most_used:
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
        g, queues = agent.group, self.waiting
        for q in self.skills[g]:
            waiting = queues[q]
            if not waiting.n:
                continue
            if agent.used > agent.most_used:
                return
            capacity, slots = self.capacity[g], self.slots[g]
            if agent.used + slots[q] > capacity or not self.may_take(agent, q):
                continue
            time, lines, choose = self.time, self.lines, self.choose_contact
            deadlines = waiting.deadlines
            if deadlines and deadlines[0][0] <= now:
                lines.purge(q, now)
            while waiting.n and agent.used + slots[q] <= capacity:
                i = choose(agent, q)
                if i is None:
                    break
                lines.take(i, q)
                self._start(agent, i, q, now, now - time[i])

    def serve_waiting(self, q: int) -> None:
        """Agents free for queue ``q`` take its waiting contacts now, as the policy chooses."""
        now, waiting = self.clock, self.waiting[q]
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

    def _advance(self) -> None:
        """Run, in time order, the contacts' steps and the pre-drawn arrivals due before the next SimPy
        event; runs after each. Nothing else can happen before that event, so each meets the state exactly
        as it would at its own time. At the same time: the step before the arrival, the event before both.
        """
        times, n, calendar, queue = self.time, self.n_drawn, self.calendar, self.queue
        self.upcoming = self.env.peek()            # kept up to date by ``at`` meanwhile
        i = self.next_arrival
        arrival = times[i] if i < n else _INF
        while True:
            step = calendar[0][0] if calendar else _INF
            if step <= arrival:
                if step >= self.upcoming:
                    break
                self.clock, _, who, what, where, cut = heappop(calendar)
                if what >= 0:                 # contact ``what`` of queue ``where`` ends, served by ``who``
                    self._end(who, what, where, cut)
                elif what == _WRAPPED:
                    self._release(who, where)
                else:                         # a step: ``who(*where)``
                    who(*where)
            elif arrival < self.upcoming or arrival <= self.clock:
                if arrival > self.clock:
                    self.clock = arrival
                self.arrive(i, queue[i], self.clock)      # a backlog: at the start
                i += 1
                arrival = times[i] if i < n else _INF
            else:
                break
        self.next_arrival = i

    def _interval_tick(self) -> None:
        """At an interval start, before anything else happens then, count the contacts carried over as that
        interval's queue length and backlog.
        """
        now = self.clock
        k = min(int(round(now / self.interval)), self.last_interval)
        row, backlog = self.max_queue_len[k], self.backlog[k]
        for q, waiting in enumerate(self.waiting):
            self.lines.purge(q, now)
            row[q] = backlog[q] = waiting.n

    def _purge_now(self, q: int) -> None:
        self.lines.purge(q, self.clock)

    def _left(self, i: int, q: int, at: float) -> None:
        """Contact ``i`` left queue ``q``'s line at ``at`` (its patience ran out) and calls again."""
        self.later.retry(i, q, at)

    def _overflow_due(self, i: int, q: int) -> None:
        """Contact ``i`` has waited the queue's overflow time: an idle agent of the overflow groups takes it."""
        now = self.clock
        self.lines.purge(q, now)
        if self.outcome[i] != WAITING:
            return
        agent = self.choose_agent(q, self.plan.overflow_groups[q])
        if agent is None:                     # they take it when one is free (choose_contact)
            return
        self.agents.unpark(agent)
        self.lines.take(i, q)
        self._start(agent, i, q, now, now - self.time[i])
        if agent.used <= agent.most_used:
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
        agent.used += self.slots[group][q]
        if self.converses[q]:
            self.conversations.begin(agent, i, q, now)     # rounds of messages and replies, then end()
            return
        done = now + self.work[i] / (self.proficiency[group][q] * agent.speed)
        cut = False
        if self.auto_approves[q]:
            due = self.time[i] + self.patience[i]          # the item's patience is the platform deadline
            if due < done:                                 # the platform approves the item mid-work
                done, cut = due, True
        heappush(self.calendar, (done, next(self.order), agent, i, q, cut))

    def _end(self, agent: Agent, i: int, q: int, cut: bool) -> None:
        """The contact ends now; what follows it is created; its agent wraps up, if it must, then is free."""
        now = self.clock
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
            heappush(self.calendar, (now + wrap, next(self.order), agent, _WRAPPED, q, None))
            return
        agent.load -= 1                       # as _release does, without a call on the common path
        agent.used -= self.slots[agent.group][q]
        self.agents.freed(agent, now)

    def _release(self, agent: Agent, q: int) -> None:
        """The agent's wrap-up after a contact of queue ``q`` ends: it frees that capacity."""
        agent.load -= 1
        agent.used -= self.slots[agent.group][q]
        self.agents.freed(agent, self.clock)

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
            steps=next(self.order),
            messages=self.conversations.messages() if self.conversations is not None else None,
        )


class _Floor:
    """What a routing policy sees of a run (``sim.routing.Floor``)."""

    def __init__(self, model: Model):
        self._model, self._agents, self._lines, self._columns = model, model.agents, model.lines, model.columns
        self.time_of_day_at_0 = model.time_of_day_at_0

    @property
    def now(self) -> float:
        return self._model.clock

    def free(self, group: int) -> list[dict[Agent, None]]:
        return self._agents.buckets[group]

    def line(self, queue: int) -> Lines:
        return self._lines.view(queue)

    def contacts(self, attribute: str) -> Sequence[float]:
        return self._columns[attribute]
