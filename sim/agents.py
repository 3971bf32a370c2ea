"""Agents: their state, their shifts, breaks and absences, and the availability buckets by which arriving
contacts find them (``Agents``, the engine's agents component).

At a break an agent takes no new work, goes off once it holds nothing and stays off for the break's
duration; at shift end it takes nothing new and finishes what it holds (overtime). An agent that can take
one more contact sits in its group's bucket for its load, in the order it got there (longest first).
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.attendance import Attendance
from sim.distributions import MIN_CV, busyness
from sim.records import SPAN_KINDS, Spans
from sim.scenario.model import Scenario, ShiftOccurrence
from sim.scenario.staff import MAX_NOT_READY

if TYPE_CHECKING:
    from sim.arrivals import LaterDraws
    from sim.components import Kernel

OFF, ON, BREAK, LEAVING = 0, 1, 2, 3        # an agent's state
PAUSES = ("breaks", "shrinkage", "not_ready")      # the kinds of time off the floor an agent takes


@dataclass(frozen=True)
class NotReadyDraws:
    """An agent's not-ready episodes: its ``stream``, the share (or, ``after_contact``, the probability)
    of each hour of the day, the mean episode (s) and the group's factor per day (``NotReady``).
    """

    stream: np.random.Generator
    by_hour: np.ndarray
    mean: float
    after_contact: bool
    days: np.ndarray

    def value(self, day_and_hour: tuple[int, int]) -> float:
        """The share or probability at that day (from the start's) and hour, under the day's factor."""
        day, hour = day_and_hour
        return min(self.by_hour[hour] * self.days[day], MAX_NOT_READY)


class Agent:
    """One agent on one shift: its state (``OFF``, ``ON``, ``BREAK``, ``LEAVING``), open contacts (``load``)
    and the slots they take (``used``; the kernel keeps these two and ``busy_since``), the most slots it may
    use and still take work (``most_used``), the bucket it waits in and since when (s).
    """

    __slots__ = ("id", "group", "state", "load", "used", "most_used", "bucket", "since", "busy_since",
                 "duty_since", "shift_end", "break_due", "break_from", "speed", "pause", "pause_token", "ready",
                 "defers")

    def __init__(self, agent_id: int, group: int, shift_end: float, speed: float, most_used: int):
        self.id, self.group, self.shift_end, self.speed, self.most_used = agent_id, group, shift_end, speed, most_used
        self.state, self.load, self.used, self.bucket = OFF, 0, 0, None
        self.since = self.duty_since = 0.0
        self.busy_since: float | None = None     # start of the current busy period; None when idle
        self.break_due = self.break_from = 0.0
        self.pause, self.pause_token = "breaks", 0     # the kind of the pause due or taken, and its number
        self.ready: NotReadyDraws | None = None      # when the group has not-ready time
        self.defers = False     # a not-ready episode due waits while contacts wait for it (NotReady.when "idle")


class Agents:
    """The agents of a run: their shifts, breaks and absences, the spans they record, and the
    availability ``buckets`` arriving contacts find them in: ``buckets[g][k]`` holds group g's agents on
    duty using k slots who can take one more contact, in the order they got there (longest first).

    ``kernel`` schedules (``at``), tells the time (``now``) and gives an agent coming on the floor its
    waiting work (``pull``); ``later`` gives the agents' random streams; ``most_used[g]``: the most slots
    one of group g's agents may use and still take work (``sim.routing.Plan.most_used``).
    """

    def __init__(self, sc: Scenario, kernel: Kernel, later: LaterDraws, attendance: Attendance | None,
                 most_used: list[int]):
        self.sc, self.kernel, self.later, self.most_used = sc, kernel, later, most_used
        self.time_of_day_at_0 = sc.start_offset
        self.buckets: list[list[dict[Agent, None]]] = [[{} for _ in range(k + 1)] for k in most_used]
        self.agents: list[Agent] = []
        self.agent_shift: list[tuple[float, float]] = []
        self.spans = {kind: (array("q"), array("d"), array("d")) for kind in SPAN_KINDS}
        self.aux_days: dict[str, np.ndarray] = {}    # each group's not-ready factor per day
        for gi, name in enumerate(sc.groups):
            self._schedule_group(gi, name, attendance)

    def _schedule_group(self, gi: int, name: str, attendance: Attendance | None) -> None:
        windows = [(self.sc.clock(w.start), self.sc.clock(w.end)) for w in self.sc.groups[name].mass_absences]
        for occ in self.sc.shift_occurrences(name):
            key = (name, occ.row, occ.day)
            for k in range(occ.count):
                if attendance is not None and not attendance.present[key][k]:
                    continue                                    # a no-show
                away = [] if attendance is None else [
                    (max(lo, occ.start), min(hi, occ.end) - max(lo, occ.start), "breaks")
                    for (lo, hi), gone in zip(windows, attendance.missing[key][k])
                    if gone and lo < occ.end and hi > occ.start]
                planned = [(at, duration, "shrinkage") for at, duration, share in occ.shrinkage
                           if k < round(share * occ.count)]           # the first of the shift take it
                agent = self._add_agent(gi, occ, sorted([*((at, d, "breaks") for at, d in occ.breaks), *away,
                                                         *planned]))
                aux = self.sc.groups[name].not_ready
                if aux is not None:
                    agent.ready = NotReadyDraws(
                        self.later.agent_stream(name, "not_ready", str(occ.row), str(occ.day), str(k)),
                        aux.by_hour(), aux.mean, aux.after_contact is not None, self._not_ready_days(name))
                    agent.defers = aux.when == "idle"

    def _not_ready_days(self, group: str) -> np.ndarray:
        """The group's not-ready factor per calendar day from the start's (gamma of mean 1 and the group's
        ``day_to_day_cv``; all 1 if 0), from the group's own stream, drawn once per replication.
        """
        if group not in self.aux_days:
            cv = self.sc.groups[group].not_ready.day_to_day_cv
            days = self.sc.n_days + 2                       # shifts that cross the last midnight
            self.aux_days[group] = busyness(
                self.later.agent_stream(group, "not_ready_days") if cv >= MIN_CV else None, cv, days)
        return self.aux_days[group]

    def _add_agent(self, gi: int, occ: ShiftOccurrence, pauses) -> Agent:
        """An agent working ``occ``; ``pauses`` (start, duration, kind): breaks, absences, shrinkage."""
        agent = Agent(len(self.agents), gi, occ.end, occ.proficiency, self.most_used[gi])
        self.agents.append(agent)
        self.agent_shift.append((occ.start, occ.end))
        self.kernel.at(max(occ.start, 0.0), self._on_duty, agent)
        for at, duration, kind in pauses:
            if 0.0 <= at < self.sc.horizon:
                self.kernel.at(at, self._break_due, agent, duration, kind)
        if occ.end < self.sc.horizon:
            self.kernel.at(occ.end, self._shift_end, agent)
        return agent

    def _on_duty(self, agent: Agent) -> None:
        now = self.kernel.now
        agent.state, agent.duty_since = ON, now
        self.kernel.pull(agent, now)
        self.park(agent, now)
        self._next_not_ready(agent)

    def _next_not_ready(self, agent: Agent) -> None:
        """Schedule the agent's next not-ready episode: a ready time from now, exponential at each hour's rate."""
        if agent.ready is not None and not agent.ready.after_contact:
            token = agent.pause_token
            due = self._after_ready(self.kernel.now, agent.ready.stream.standard_exponential(), agent.ready,
                                    min(agent.shift_end, self.sc.horizon))
            if due is not None:
                self.kernel.at(due, self._not_ready_due, agent, token)

    def _after_ready(self, now: float, effort: float, ready: NotReadyDraws, until: float) -> float | None:
        """When a ready time of standard-exponential ``effort`` ends, the rate share / ((1 - share) mean)
        changing with the hour (inversion of the cumulative rate); None if not before ``until``.
        """
        t = now
        while t < until:
            hour_end = (np.floor((self.time_of_day_at_0 + t) / 3600.0) + 1.0) * 3600.0 - self.time_of_day_at_0
            share = ready.value(self._day_and_hour(t))
            rate = share / ((1.0 - share) * ready.mean)
            if effort <= rate * (hour_end - t):
                return t + effort / rate
            effort -= rate * (hour_end - t)
            t = hour_end
        return None

    def _day_and_hour(self, t: float) -> tuple[int, int]:
        """The calendar day (from the start's) and the hour of the day at time ``t`` (s)."""
        since_midnight = self.time_of_day_at_0 + t
        return int(since_midnight // 86400.0), int(since_midnight % 86400.0 // 3600.0)

    def _not_ready_due(self, agent: Agent, token: int) -> None:
        """A not-ready episode falls due, unless the agent paused meanwhile or has a pause due already."""
        if agent.pause_token == token and agent.state == ON and not agent.break_due:
            self._break_due(agent, agent.ready.stream.exponential(agent.ready.mean), "not_ready")

    def _after_contact(self, agent: Agent, now: float) -> None:
        """With ``NotReady.after_contact``, the agent that finished a contact goes not ready with the hour's
        probability (with ``when: idle``, once no contact waits for it).
        """
        ready = agent.ready
        if ready.stream.random() < ready.value(self._day_and_hour(now)):
            self._pause_due(agent, ready.stream.exponential(ready.mean), "not_ready")

    def freed(self, agent: Agent, now: float) -> None:
        """The agent freed the capacity of a contact (the kernel lowered its ``load`` and ``used``): it may go not ready
        after it, takes more work if on duty with no pause due (or a not-ready episode it defers while
        contacts wait), and, holding nothing, ends its busy period and leaves the floor if it must.
        """
        if agent.ready is not None and agent.ready.after_contact and agent.state == ON and not agent.break_due:
            self._after_contact(agent, now)
        if agent.state == ON and (not agent.break_due or (agent.defers and agent.pause == "not_ready")):
            if agent.bucket is not None:
                self.unpark(agent)
            self.kernel.pull(agent, now)            # work taken at once continues the busy period
            if agent.used <= agent.most_used:
                self.park(agent, now)
        if not agent.load:
            self.record("busy", agent, agent.busy_since, now)
            agent.busy_since = None
            if agent.state != ON or agent.break_due:
                self._leave_floor(agent, now)

    def close(self, horizon: float) -> dict[str, Spans]:
        """Every kind of span, those still open at the ``horizon`` ended there."""
        for agent in self.agents:
            if agent.load:
                self.record("busy", agent, agent.busy_since, horizon)
            if agent.state in (ON, LEAVING):
                self.record("staffed", agent, agent.duty_since, horizon)
            if agent.state == LEAVING and horizon > agent.shift_end:
                self.record("overtime", agent, agent.shift_end, horizon)
            if agent.state == BREAK:
                self.record(agent.pause, agent, agent.break_from, horizon)
        return {kind: Spans(np.asarray(ids, dtype=np.int64), np.asarray(s), np.asarray(e))
                for kind, (ids, s, e) in self.spans.items()}

    def _break_due(self, agent: Agent, duration: float, kind: str = "breaks") -> None:
        """A pause of ``kind`` falls due: the agent takes no new work and goes once it holds nothing.

        A planned pause (a break, shrinkage) falling due during a not-ready episode ends that episode.
        """
        now = self.kernel.now
        if agent.state == BREAK and agent.pause == "not_ready" and kind != "not_ready":
            self.record("not_ready", agent, agent.break_from, now)
            agent.state, agent.duty_since = ON, now
        if agent.state != ON:
            return
        self._pause_due(agent, duration, kind)
        if agent.load == 0:
            self._leave_floor(agent, now)

    def _pause_due(self, agent: Agent, duration: float, kind: str) -> None:
        """The agent takes no new work (but what waits for it, if it defers the pause) until it goes on a pause of
        ``kind`` lasting ``duration`` (s), once it holds nothing.
        """
        agent.break_due, agent.break_from, agent.pause = duration, self.kernel.now, kind
        agent.pause_token += 1
        self.unpark(agent)

    def _back_from_break(self, agent: Agent, token: int) -> None:
        if agent.state != BREAK or agent.pause_token != token:
            return
        now = self.kernel.now
        self.record(agent.pause, agent, agent.break_from, now)
        if now >= agent.shift_end:
            agent.state = OFF
            return
        agent.state, agent.duty_since = ON, now
        self.kernel.pull(agent, now)
        self.park(agent, now)
        self._next_not_ready(agent)

    def _shift_end(self, agent: Agent) -> None:
        agent.break_due = 0.0                           # a pause not yet started is not taken
        if agent.state == BREAK:                        # the pause ends with the shift
            self.record(agent.pause, agent, agent.break_from, self.kernel.now)
            agent.state = OFF
        elif agent.state == ON:
            agent.state = LEAVING
            self.unpark(agent)
            if agent.load == 0:
                self._leave_floor(agent, self.kernel.now)

    def _leave_floor(self, agent: Agent, now: float) -> None:
        """The agent holds nothing and must stop: end of shift (with overtime) or start of a break."""
        self.record("staffed", agent, agent.duty_since, now)
        if agent.state == LEAVING:
            if now > agent.shift_end:
                self.record("overtime", agent, agent.shift_end, now)
            agent.state = OFF
        else:                                 # the pause's span starts now, when the agent leaves the floor
            duration, agent.break_due, agent.state, agent.break_from = agent.break_due, 0.0, BREAK, now
            token = agent.pause_token
            self.kernel.at(now + duration, self._back_from_break, agent, token)

    def record(self, kind: str, agent: Agent, start: float, end: float) -> None:
        """A span of ``kind`` (``sim.records.SPAN_KINDS``) of the agent, from ``start`` to ``end`` (s)."""
        ids, starts, ends = self.spans[kind]
        ids.append(agent.id)
        starts.append(start)
        ends.append(end)

    # ------------------------------------------------------------ availability buckets

    def park(self, agent: Agent, now: float) -> None:
        """Make the agent findable by arriving contacts if it can take one more."""
        if agent.state == ON and not agent.break_due and agent.used <= agent.most_used:
            bucket = self.buckets[agent.group][agent.used]
            bucket[agent] = None
            agent.bucket, agent.since = bucket, now

    def unpark(self, agent: Agent) -> None:
        """The agent leaves its bucket: it takes no arriving contact until parked again."""
        if agent.bucket is not None:
            del agent.bucket[agent]
            agent.bucket = None

