"""The call lists in a run (``channel: outbound`` queues; the engine's call-lists component): the
dialling hours opening, the next attempt at an entry that did not reach the customer, and the call-backs
that follow resolved work. When entries are dialled and dropped and what an attempt comes to is demand
(``sim.call_lists``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.call_lists import next_open, openings, place
from sim.channels import channel_of
from sim.records import BUSY, CONNECTED

if TYPE_CHECKING:
    from sim.components import Kernel
    from sim.later_contacts import LaterContacts
    from sim.scenario import Scenario


class CallLists:
    """The call lists of a run. ``kernel`` schedules (``at``), tells the time and serves a queue's waiting
    contacts (``serve_waiting``); ``later`` creates the next attempts and the call-backs; ``columns`` is
    the contact table.
    """

    def __init__(self, sc: Scenario, kernel: Kernel, later: LaterContacts, columns: dict, dial_hours: list):
        self.sc, self.kernel, self.later, self.dial_hours = sc, kernel, later, dial_hours
        self.queues = list(sc.queues.values())
        names = list(sc.queues)
        self.max_attempts = [q.attempts if channel_of(q).dials else 1 for q in self.queues]
        # Each queue's call-backs after its resolved contacts: (outbound queue, share, delay).
        self.calls_back: list[list[tuple]] = [[] for _ in names]
        for target, q in enumerate(self.queues):
            if q.after_resolution is not None:
                for source in q.after_resolution.queues:
                    self.calls_back[names.index(source)].append(
                        (target, q.after_resolution.share, q.after_resolution.after))
        self.time, self.patience, self.dial = columns["time"], columns["patience"], columns["dial"]
        self.attempt = columns["attempt"]
        for q, hours in enumerate(dial_hours):
            for t in openings(hours, sc.horizon, sc.start_offset):
                kernel.at(t, kernel.serve_waiting, q)

    def follows(self, q: int) -> bool:
        """Whether a contact of queue ``q`` that ends may be followed by a redial or a call-back."""
        return channel_of(self.queues[q]).dials or bool(self.calls_back[q])

    def after_end(self, i: int, q: int, now: float) -> None:
        """Contact ``i`` of queue ``q`` ended (resolved) at ``now``: an attempt that did not reach the
        customer is followed by the next, and a share of resolved contacts by a call-back.
        """
        if self.dial[i] > CONNECTED:
            self._redial(i, q, now)
        if self.calls_back[q]:
            self._call_back(i, q, now)

    def _redial(self, i: int, q: int, now: float) -> None:
        """Attempt ``i`` at an outbound entry did not reach the customer: the next attempt, ``retry_after``
        (or ``retry_after_busy``) later inside the dialling hours, unless the entry is out of attempts or due
        before then.
        """
        if self.attempt[i] + 1 >= self.max_attempts[q]:
            return
        drawn = self.later.draws.redial(q, self.dial[i] == BUSY)
        when = next_open(self.dial_hours[q], now + drawn.pop("after"), self.sc.start_offset)
        due = self.time[i] + self.patience[i]
        if when < due and when < self.sc.horizon:
            self.later.next_attempt("redial", i, q, when, drawn, patience=due - when)

    def _call_back(self, i: int, q: int, now: float) -> None:
        """Contact ``i`` of queue ``q`` was resolved at ``now``: a share of such customers join the call list
        of an outbound queue (``after_resolution``) after its delay.
        """
        for target, share, after in self.calls_back[q]:
            drawn = self.later.draws.call_back(target, share, after)
            if drawn is None:
                continue
            times, due, kept = place(self.sc, self.queues[target], np.array([now + drawn.pop("after")]))
            if not kept[0]:
                continue
            when = float(times[0])
            j = self.later.create("call_back", i, drawn, time=when, queue=target, patience=float(due[0]) - when,
                                  customer_class=self.later.class_in(i, q, target))
            self.kernel.due(when, self.kernel.arrive, j, target, when)
