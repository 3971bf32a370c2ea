"""SimPy model of one replication: contacts, agents, shifts, breaks and skill-based routing.

Few events per contact (docs/engine.md). A service completion is one ``Timeout`` whose callback frees the
agent. Arrivals are pre-drawn; after every event, the contacts arriving before the next scheduled event
are admitted at once (they meet exactly the state they would meet at their own time), so an arrival costs
a SimPy event only when nothing else is pending. Abandonment needs no event: a waiting contact carries a
deadline (arrival + patience) in a heap, and whenever the queue is looked at, contacts past their deadline
are removed as abandoned at their deadline; outcomes are exact because nothing can serve a contact
between two events.

Routing. An arriving contact goes to the eligible agent who has been idle longest (a chat: the eligible
agent with a free slot and the fewest open chats, ties to the longest in that state). An agent with a
freed slot takes the longest-waiting contact of its highest-priority queue it can serve now: calls (and
other exclusive channels) need an agent with nothing open, chats a free slot and no call. Customer
classes, overflow and reserved agents change these choices through a policy (``sim.routing``); without
them the engine keeps this plain path. Agent schedule: at a break an agent takes no
new work, goes off once it holds nothing and stays off for the break's duration; at shift end it takes
nothing new and finishes what it holds (overtime).
"""

from __future__ import annotations

import heapq
from array import array

import numpy as np
import simpy

from sim.agents import BREAK, LEAVING, ON, Agent, AgentSchedules
from sim.arrivals import Demand, draws_amounts
from sim.attendance import Attendance
from sim.channels import channel_of
from sim.contacts import ABANDONED, ANSWERED, BY_NAME, OUTPUT, TRANSFERRED, WAITING, Contacts, engine_columns
from sim.conversations import Conversations
from sim.later_contacts import LaterContacts
from sim.outbound import CallLists
from sim.records import CONNECTED, SPAN_KINDS, EngineOutput, Spans
from sim.routing import Plan, Policy, Rules, Waiting
from sim.scenario.model import Scenario, level_of

__all__ = ["ABANDONED", "ANSWERED", "TRANSFERRED", "WAITING", "EngineOutput", "Model", "Spans"]
_INF = float("inf")


class Model(AgentSchedules, Conversations, LaterContacts, CallLists):
    """One replication of a scenario over pre-drawn demand and attendance (None: everyone shows up).

    ``policy`` replaces the scenario's routing (``sim.routing.Rules``) with another ``sim.routing.Policy``.
    Build, then ``run()``.
    """

    def __init__(self, sc: Scenario, demand: Demand, attendance: Attendance | None = None,
                 policy: Policy | None = None):
        self.sc = sc
        # Keep only what the run needs from the demand, so its other columns can be freed meanwhile.
        self.later = demand.later
        # Amounts drawn (refunds, remedies, balances owed), kept only where some queue draws them (8 bytes a contact).
        self.drawn_amount = demand.amount if any(draws_amounts(q) for q in sc.queues.values()) else None
        self.deflected = demand.deflected_time, demand.deflected_queue
        self.aux_days: dict[str, np.ndarray] = {}    # each group's not-ready factor per day (sim.agents)
        self.time_of_day_at_0 = sc.start.hour * 3600.0 + sc.start.minute * 60.0 + sc.start.second   # s after 00:00
        self.env = env = simpy.Environment()
        self._timeout, self._on_finish, self._on_release = env.timeout, self._finish, self._wrapped  # hot path
        # One compact column per run-time attribute (sim.contacts), also bound by name for the hot path.
        self.columns = engine_columns(demand.columns)
        for name, column in self.columns.items():
            setattr(self, name, column)
        self.queues = list(sc.queues.values())
        self.group_level = [level_of(sc, g) for g in sc.groups.values()]
        queue_names = list(sc.queues)
        self.exclusive = [channel_of(q).exclusive for q in sc.queues.values()]     # one contact per agent
        self.auto_approves = [channel_of(q).auto_approves for q in sc.queues.values()]   # patience is a deadline
        self._set_up_later_contacts(demand)
        self.capacity = [g.concurrency for g in sc.groups.values()]
        self._set_up_conversations()
        self.plan = plan = Plan.of(sc)
        self.skills, self.proficiency, self.eligible = plan.pulls, plan.proficiency, plan.eligible
        self.overflow_after = plan.overflow_after
        self._set_up_call_lists()
        # Whether a contact of the queue may be followed when it ends: a repeat, a redial, a call-back.
        self.follows_end = [q.repeat is not None or channel_of(q).dials or bool(self.calls_back[k])
                            for k, q in enumerate(self.queues)]
        self.policy = policy or Rules()
        if policy is not None or not plan.plain:     # routing rules on: ask the policy (sim/routing.py)
            self._find_agent = lambda q: self.policy.choose_agent(self, self.eligible[q], q)
            self._pull = self._pull_routed
        self.buckets = [[{} for _ in range(k)] for k in self.capacity]
        nq = len(queue_names)
        self.waiting = [Waiting(n) for n in plan.classes]
        self.interval, self.last_interval = sc.interval, sc.n_intervals - 1
        self.max_queue_len = [[0] * nq for _ in range(sc.n_intervals)]
        self.backlog = [[0] * nq for _ in range(sc.n_intervals)]        # waiting at each interval start
        self.spans = {kind: (array("q"), array("d"), array("d"))
                      for kind in SPAN_KINDS}

        self.agents: list[Agent] = []
        self.agent_shift: list[tuple[float, float]] = []
        for gi, name in enumerate(sc.groups):
            self._schedule_group(gi, name, attendance)
        self.next_arrival, self.n_drawn = 0, len(demand)     # contacts created later are scheduled one by one
        self.arrival_pending = False     # whether a SimPy event is waiting for the next arrival
        for k in range(sc.n_intervals):         # from the start: a backlog carried in is counted then
            self._at(k * sc.interval, self._interval_tick, first=True)
        self._schedule_openings()
        self._admit_arrivals()

    # ------------------------------------------------------------ scheduling

    def _at(self, when: float, callback, first: bool = False) -> None:
        """Call ``callback(event)`` at absolute time ``when``, then admit the arrivals due before the next event;
        ``first``: before every other event at that time (SimPy's urgent priority, as its own events use).
        """
        if not first:
            self.env.timeout(when - self.env.now).callbacks.extend((callback, self._admit_arrivals))
            return
        event = simpy.Event(self.env)
        event._ok, event._value = True, None        # a triggered event, as a Timeout is
        event.callbacks.extend((callback, self._admit_arrivals))
        self.env.schedule(event, simpy.core.URGENT, when - self.env.now)

    def _find_agent(self, q: int):
        """The plain case of ``routing.choose_agent``: the eligible agent idle longest (chats: fewest open)."""
        best = None
        if self.exclusive[q]:
            for g in self.eligible[q]:
                idle = self.buckets[g][0]
                if idle:
                    agent = next(iter(idle))
                    if best is None or agent.since < best.since:
                        best = agent
            return best
        best_key = None
        for g in self.eligible[q]:
            for load, bucket in enumerate(self.buckets[g]):
                if bucket:
                    agent = next(iter(bucket))
                    if best is None or (load, agent.since) < best_key:
                        best, best_key = agent, (load, agent.since)
                    break
        return best

    # ------------------------------------------------------------ contacts

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
            self._arrive(i, self.queue[i], times[i] if times[i] > now else now)   # a backlog: at the start
            i += 1
            upcoming = env.peek()
        self.next_arrival = i
        if i < n and upcoming > times[i] and not self.arrival_pending:
            env.timeout(times[i] - now).callbacks.append(self._arrival_due)
            self.arrival_pending = True

    def _arrival_due(self, _event) -> None:
        self.arrival_pending = False
        self._admit_arrivals()

    def _interval_tick(self, _event) -> None:
        """At an interval start, before anything else happens then, count the contacts carried over as that
        interval's queue length and backlog.
        """
        now = self.env.now
        k = min(int(round(now / self.interval)), self.last_interval)
        row, backlog = self.max_queue_len[k], self.backlog[k]
        for q, waiting in enumerate(self.waiting):
            self._purge(q, now)
            row[q] = backlog[q] = waiting.n

    def _arrive(self, i: int, q: int, t: float) -> None:
        """Contact ``i`` enters queue ``q`` at ``t``: its arrival, or the start for a backlog item, which
        arrived (``time``) before it.
        """
        waiting = self.waiting[q]
        deadlines = waiting.deadlines
        if deadlines and deadlines[0][0] <= t:
            self._purge(q, t)
        if not waiting.n:
            agent = self._find_agent(q)
            if agent is not None:
                del agent.bucket[agent]                  # found in a bucket: take it out
                agent.bucket = None
                self._start(agent, i, q, t, t - self.time[i])
                if not agent.exclusive:
                    self._park(agent, t)
                return
        if self.balks[i]:                                # finds nobody free and leaves at once
            self.outcome[i], self.wait[i], self.balked[i] = ABANDONED, 0.0, 1
            if self.retry[i]:
                self._retry(i, q, t)
            return
        waiting.lines[self.customer_class[i]].append(i)
        patience, arrived = self.patience[i], self.time[i]
        if patience < _INF:
            heapq.heappush(deadlines, (arrived + patience, i))
            if self.retry[i]:      # a real event at the deadline, so the retrial is created in time
                self._at(max(arrived + patience, t), lambda _e: self._purge(q, self.env.now))
        if self.overflow_after[q] < _INF:
            self._at(max(arrived + self.overflow_after[q], t), lambda _e: self._overflow_due(i, q))
        if self.move_after[q] < _INF:
            self._at(max(arrived + self.move_after[q], t), lambda _e: self._move_due(i, q))
        waiting.n = n = waiting.n + 1
        row = self.max_queue_len[min(int(t // self.interval), self.last_interval)]
        if n > row[q]:
            row[q] = n

    def _overflow_due(self, i: int, q: int) -> None:
        """Contact ``i`` has waited the queue's overflow time: an idle agent of the overflow groups takes it."""
        now = self.env.now
        self._purge(q, now)
        if self.outcome[i] != WAITING:
            return
        agent = self.policy.choose_agent(self, self.plan.overflow_groups[q], q)
        if agent is None:                     # they take it when one is free (choose_contact)
            return
        self._unpark(agent)
        self.waiting[q].n -= 1                # it stays in its line, skipped from now on
        self._start(agent, i, q, now, now - self.time[i])
        if not agent.exclusive:
            self._park(agent, now)

    def _purge(self, q: int, now: float) -> None:
        """Remove contacts whose patience ran out by ``now``: abandoned at their deadline."""
        waiting, state = self.waiting[q], self.outcome
        heap = waiting.deadlines
        while heap and heap[0][0] <= now:
            deadline, i = heapq.heappop(heap)
            if state[i] == WAITING:
                state[i] = ABANDONED                 # or, past a platform deadline, approved unworked
                self.wait[i] = self.patience[i]
                waiting.n -= 1
                self.auto[i] = self.auto_approves[q]
                if self.retry[i]:
                    self._retry(i, q, deadline)

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
        if self.conversation[q] is not None:
            self._converse(agent, i, q, now)                # rounds of messages and replies (sim.conversations)
            return
        done = now + self.work[i] / (self.proficiency[group][q] * agent.speed)   # absolute: ``now`` may lead env.now
        cut = False
        if self.auto_approves[q]:
            due = self.time[i] + self.patience[i]          # the item's patience is the platform deadline
            if due < done:                                 # the platform approves the item mid-work
                done, cut = due, True
        self._timeout(done - self.env.now, (agent, i, q, cut)).callbacks.append(self._on_finish)

    def _finish(self, event: simpy.Timeout) -> None:
        """The contact ends (``end``); its agent follows with its after-contact work, if any, then is free."""
        agent, i, q, cut = event.value
        now = self.env.now
        if cut:
            self.auto[i] = 1
        elif self.level[i] > self.group_level[agent.group]:
            self._escalate(i, q)
        elif self.follows_end[q]:
            if self.repeats[i]:
                self._repeat(i, q, now)
            if self.dial[i] > CONNECTED:
                self._redial(i, q, now)
            if self.calls_back[q]:
                self._call_back(i, q, now)
        self.end[i] = now
        wrap = 0.0 if cut else self.wrap[i]
        if wrap > 0.0:                        # the slot stays taken while the agent wraps up
            self._record("wrap_up", agent, now, now + wrap)
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
        if agent.ready is not None and agent.ready.after_contact and agent.state == ON and not agent.break_due:
            self._after_contact(agent, now)
        # On duty with no pause due, or with a not-ready episode due that it defers while contacts wait.
        if agent.state == ON and (not agent.break_due or (agent.defers and agent.pause == "not_ready")):
            if agent.bucket is not None:
                self._unpark(agent)
            self._pull(agent, now)            # work taken at once continues the busy period
            if not agent.exclusive:
                self._park(agent, now)
        if not agent.load:
            self._record("busy", agent, agent.busy_since, now)
            agent.busy_since = None
            if agent.state != ON or agent.break_due:
                self._leave_floor(agent, now)
        i = self.next_arrival                 # same test as _admit_arrivals, without the call when idle
        if i < self.n_drawn and self.time[i] < self.env.peek():
            self._admit_arrivals()

    def _pull(self, agent: Agent, now: float) -> None:
        """Fill the agent's free capacity from its queues in priority order (longest waiting first): the
        plain case of ``_pull_routed``, with one class per queue and no overflow or reserve.
        """
        capacity, state, time = self.capacity[agent.group], self.outcome, self.time
        for q in self.skills[agent.group]:
            if agent.exclusive or agent.load >= capacity:
                return
            waiting = self.waiting[q]
            if not waiting.n or (agent.load and self.exclusive[q]):
                continue
            deadlines = waiting.deadlines
            if deadlines and deadlines[0][0] <= now:
                self._purge(q, now)
            line = waiting.lines[0]
            while waiting.n and agent.load < capacity and not agent.exclusive:
                i = line.popleft()
                if state[i] != WAITING:
                    continue
                waiting.n -= 1
                self._start(agent, i, q, now, now - time[i])

    def _pull_routed(self, agent: Agent, now: float) -> None:
        """Fill the agent's free capacity from its queues in priority order, each contact chosen by
        the policy (``Rules``: classes, overflow) and only where it may take the queue (reserve).
        """
        capacity, time = self.capacity[agent.group], self.time
        for q in self.skills[agent.group]:
            if agent.exclusive or agent.load >= capacity:
                return
            waiting = self.waiting[q]
            if not waiting.n or (agent.load and self.exclusive[q]) or not self.policy.may_take(self, agent, q):
                continue
            deadlines = waiting.deadlines
            if deadlines and deadlines[0][0] <= now:
                self._purge(q, now)
            while waiting.n and agent.load < capacity and not agent.exclusive:
                i = self.policy.choose_contact(self, agent, q, now)
                if i is None:
                    break
                waiting.n -= 1
                self._start(agent, i, q, now, now - time[i])

    # ------------------------------------------------------------ run

    def run(self) -> EngineOutput:
        horizon = self.sc.horizon
        self.env.run(until=horizon)
        for q in range(len(self.waiting)):
            self._purge(q, horizon)
        # Inputs no longer needed: the Model sits in a reference cycle (SimPy callbacks), so drop them now.
        for name in [name for name in self.columns if name not in OUTPUT]:
            del self.columns[name]
            setattr(self, name, None)
        self.drawn_delay = self.drawn_repeat_delay = None
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
        for agent in self.agents:
            if agent.load:
                self._record("busy", agent, agent.busy_since, horizon)
            if agent.state in (ON, LEAVING):
                self._record("staffed", agent, agent.duty_since, horizon)
            if agent.state == LEAVING and horizon > agent.shift_end:
                self._record("overtime", agent, agent.shift_end, horizon)
            if agent.state == BREAK:
                self._record(agent.pause, agent, agent.break_from, horizon)
        spans = {kind: Spans(np.asarray(ids, dtype=np.int64), np.asarray(s), np.asarray(e))
                 for kind, (ids, s, e) in self.spans.items()}
        return EngineOutput(
            contacts=Contacts.from_engine(self.columns, amount=amount),
            deflected_time=self.deflected[0], deflected_queue=self.deflected[1],
            max_queue_len=np.array(self.max_queue_len, dtype=np.int64).reshape(self.last_interval + 1, -1),
            backlog=np.array(self.backlog, dtype=np.int64).reshape(self.last_interval + 1, -1),
            agent_group=np.array([a.group for a in self.agents], dtype=np.int64),
            agent_shift=np.array(self.agent_shift, dtype=float).reshape(-1, 2),
            **spans,
            events=next(self.env._eid),        # SimPy numbers every scheduled event
            messages=self.messages() if self.talk_draws else None,
        )

