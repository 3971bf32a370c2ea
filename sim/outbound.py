"""The call lists' side of the model (``channel: outbound`` queues): the dialling hours opening, the
next attempt at an entry that did not reach the customer, and the call-backs that follow resolved work.
When entries are dialled and dropped and what an attempt comes to is demand (``sim.call_lists``).
"""

from __future__ import annotations

import numpy as np

from sim.call_lists import next_open, openings, place
from sim.channels import channel_of
from sim.records import BUSY


class CallLists:
    """The call lists' side of ``sim.engine.Model``: dialling hours, redials and call-backs. The model
    provides ``sc``, ``queues``, ``plan``, ``later`` (streams), the contacts' columns, ``waiting``,
    ``eligible``, ``policy``, ``_at``, ``create``, ``_arrive``, ``next_attempt``, ``class_in``,
    ``_purge``, ``_unpark`` and ``_start``.
    """

    def _set_up_call_lists(self) -> None:
        """Each queue's dialling hours (the plan's), attempts per entry, and the call-backs that follow its
        resolved contacts: (outbound queue, share, delay).
        """
        names = list(self.sc.queues)
        self.dial_hours = self.plan.dial_hours
        self.max_attempts = [q.attempts if channel_of(q).dials else 1 for q in self.queues]
        self.calls_back: list[list[tuple]] = [[] for _ in names]
        for target, q in enumerate(self.queues):
            if q.after_resolution is not None:
                for source in q.after_resolution.queues:
                    self.calls_back[names.index(source)].append(
                        (target, q.after_resolution.share, q.after_resolution.after))

    def _schedule_openings(self) -> None:
        for q, hours in enumerate(self.dial_hours):
            for t in openings(hours, self.sc.horizon, self.time_of_day_at_0):
                self._at(t, lambda _e, q=q: self._dial_hours_open(q))

    def _redial(self, i: int, q: int, now: float) -> None:
        """Attempt ``i`` at an outbound entry did not reach the customer: the next attempt, ``retry_after``
        (or ``retry_after_busy``) later inside the dialling hours, unless the entry is out of attempts or due
        before then.
        """
        if self.attempt[i] + 1 >= self.max_attempts[q]:
            return
        drawn = self.later.redial(q, self.dial[i] == BUSY)
        when = next_open(self.dial_hours[q], now + drawn.pop("after"), self.time_of_day_at_0)
        due = self.time[i] + self.patience[i]
        if when < due and when < self.sc.horizon:
            self.next_attempt("redial", i, q, when, drawn, patience=due - when)

    def _call_back(self, i: int, q: int, now: float) -> None:
        """Contact ``i`` of queue ``q`` was resolved at ``now``: a share of such customers join the call list
        of an outbound queue (``after_resolution``) after its delay.
        """
        for target, share, after in self.calls_back[q]:
            drawn = self.later.call_back(target, share, after)
            if drawn is None:
                continue
            times, due, kept = place(self.sc, self.queues[target], np.array([now + drawn.pop("after")]))
            if not kept[0]:
                continue
            when = float(times[0])
            j = self.create("call_back", i, drawn, time=when, queue=target, patience=float(due[0]) - when,
                            customer_class=self.class_in(i, q, target))
            self._at(when, lambda _e, j=j, target=target, when=when: self._arrive(j, target, when))

    def _dial_hours_open(self, q: int) -> None:
        """Outbound queue ``q``'s dialling hours open: agents free to dial take the entries waiting."""
        now, waiting = self.env.now, self.waiting[q]
        self._purge(q, now)
        while waiting.n:
            agent = self.policy.choose_agent(self, self.eligible[q], q)
            if agent is None:
                return
            i = self.policy.choose_contact(self, agent, q, now)
            if i is None:
                return
            self._unpark(agent)
            waiting.n -= 1
            self._start(agent, i, q, now, now - self.time[i])
