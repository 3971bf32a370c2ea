"""Agents: their state, their shifts, breaks and absences, and the availability buckets by which arriving
contacts find them (``AgentSchedules``, the agents' side of ``sim.engine.Model``).

At a break an agent takes no new work, goes off once it holds nothing and stays off for the break's
duration; at shift end it takes nothing new and finishes what it holds (overtime). An agent that can take
one more contact sits in its group's bucket for its load, in the order it got there (longest first).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.attendance import Attendance
from sim.scenario.model import ShiftOccurrence

OFF, ON, BREAK, LEAVING = 0, 1, 2, 3        # an agent's state
SPAN_KINDS = ("staffed", "busy", "overtime", "breaks", "wrap_up")     # the agents' recorded spans


class Agent:
    """One agent on one shift: its state (``OFF``, ``ON``, ``BREAK``, ``LEAVING``), open contacts (``load``;
    ``exclusive`` while it holds a call or an item), the bucket it waits in and since when (s).
    """

    __slots__ = ("id", "group", "state", "load", "exclusive", "bucket", "since", "busy_since",
                 "duty_since", "shift_end", "break_due", "break_from", "speed")

    def __init__(self, agent_id: int, group: int, shift_end: float, speed: float):
        self.id, self.group, self.shift_end, self.speed = agent_id, group, shift_end, speed
        self.state, self.load, self.exclusive, self.bucket = OFF, 0, False, None
        self.since = self.duty_since = 0.0
        self.busy_since: float | None = None     # start of the current busy period; None when idle
        self.break_due = self.break_from = 0.0



@dataclass(frozen=True)
class Spans:
    """Time spans (s) of agents: ``agent[k]`` from ``start[k]`` to ``end[k]``."""

    agent: np.ndarray
    start: np.ndarray
    end: np.ndarray


class AgentSchedules:
    """The agents' side of ``sim.engine.Model``: shifts, breaks and absences, and the availability buckets
    arriving contacts find agents in. The model provides ``sc``, ``env``, ``_at`` (schedule a callback),
    ``_pull`` (take waiting work) and the state these methods keep (``agents``, ``buckets``, ``spans``).
    """

    def _schedule_group(self, gi: int, name: str, attendance: Attendance | None) -> None:
        windows = [(self.sc.clock(w.start), self.sc.clock(w.end)) for w in self.sc.groups[name].mass_absences]
        for occ in self.sc.shift_occurrences(name):
            key = (name, occ.row, occ.day)
            for k in range(occ.count):
                if attendance is not None and not attendance.present[key][k]:
                    continue                                    # a no-show
                away = [] if attendance is None else [
                    (max(lo, occ.start), min(hi, occ.end) - max(lo, occ.start))
                    for (lo, hi), gone in zip(windows, attendance.missing[key][k])
                    if gone and lo < occ.end and hi > occ.start]
                self._add_agent(gi, occ, sorted([*occ.breaks, *away]))

    def _add_agent(self, gi: int, occ: ShiftOccurrence, breaks) -> None:
        """An agent working ``occ``; ``breaks`` (start, duration) include mass-absence windows."""
        agent = Agent(len(self.agents), gi, occ.end, occ.proficiency)
        self.agents.append(agent)
        self.agent_shift.append((occ.start, occ.end))
        self._at(max(occ.start, 0.0), lambda _e: self._on_duty(agent))
        for at, duration in breaks:
            if 0.0 <= at < self.sc.horizon:
                self._at(at, lambda _e, d=duration: self._break_due(agent, d))
        if occ.end < self.sc.horizon:
            self._at(occ.end, lambda _e: self._shift_end(agent))

    def _on_duty(self, agent: Agent) -> None:
        agent.state, agent.duty_since = ON, self.env.now
        self._pull(agent, self.env.now)
        self._park(agent, self.env.now)

    def _break_due(self, agent: Agent, duration: float) -> None:
        if agent.state != ON:
            return
        agent.break_due, agent.break_from = duration, self.env.now
        self._unpark(agent)
        if agent.load == 0:
            self._leave_floor(agent, self.env.now)

    def _back_from_break(self, agent: Agent) -> None:
        if agent.state != BREAK:
            return
        now = self.env.now
        self._record("breaks", agent, agent.break_from, now)
        if now >= agent.shift_end:
            agent.state = OFF
            return
        agent.state, agent.duty_since = ON, now
        self._pull(agent, now)
        self._park(agent, now)

    def _shift_end(self, agent: Agent) -> None:
        if agent.state == BREAK or agent.break_due:     # the break ends with the shift
            self._record("breaks", agent, agent.break_from, self.env.now)
            agent.break_due = 0.0
        if agent.state == BREAK:
            agent.state = OFF
        elif agent.state == ON:
            agent.state = LEAVING
            self._unpark(agent)
            if agent.load == 0:
                self._leave_floor(agent, self.env.now)

    def _leave_floor(self, agent: Agent, now: float) -> None:
        """The agent holds nothing and must stop: end of shift (with overtime) or start of a break."""
        self._record("staffed", agent, agent.duty_since, now)
        if agent.state == LEAVING:
            if now > agent.shift_end:
                self._record("overtime", agent, agent.shift_end, now)
            agent.state = OFF
        else:
            duration, agent.break_due, agent.state = agent.break_due, 0.0, BREAK
            self._at(now + duration, lambda _e: self._back_from_break(agent))

    def _record(self, kind: str, agent: Agent, start: float, end: float) -> None:
        ids, starts, ends = self.spans[kind]
        ids.append(agent.id)
        starts.append(start)
        ends.append(end)

    # ------------------------------------------------------------ availability buckets

    def _park(self, agent: Agent, now: float) -> None:
        """Make the agent findable by arriving contacts if it can take one more."""
        if (agent.state == ON and not agent.break_due and not agent.exclusive
                and agent.load < self.capacity[agent.group]):
            bucket = self.buckets[agent.group][agent.load]
            bucket[agent] = None
            agent.bucket, agent.since = bucket, now

    def _unpark(self, agent: Agent) -> None:
        if agent.bucket is not None:
            del agent.bucket[agent]
            agent.bucket = None

