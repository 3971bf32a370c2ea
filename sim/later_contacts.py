"""The contacts a run creates (the engine's ``LaterContacts`` side of ``sim.engine.Model``): retrials of
callers who left, repeats of customers whose problem was not solved, follow-ups of work escalated for a
level its agent lacks or moved on after a wait (``escalate_after``). Each is appended to the engine's
columns with its draws (``sim.arrivals.LaterDraws``) and arrives like any contact.
"""

from __future__ import annotations

import math

from sim.contacts import TRANSFERRED, WAITING, append

_INF = math.inf


class LaterContacts:
    """The model provides ``sc``, ``queues``, ``columns`` (and each column by name), ``later`` (streams),
    ``n_drawn``, ``env``, ``waiting``, ``auto_approves``, ``_at``, ``_arrive`` and ``_purge``.
    """

    def _set_up_later_contacts(self, demand) -> None:
        """Where each queue sends escalations, repeats and moves, and the drawn retry and repeat delays (kept
        only where some queue uses them: 8 bytes a contact each).
        """
        sc, names = self.sc, list(self.sc.queues)
        self.drawn_delay = demand.retry_delay if any(q.retrial is not None for q in self.queues) else None
        self.drawn_repeat_delay = demand.repeat_delay if any(q.repeat is not None for q in self.queues) else None
        self.later_delay: dict[int, float] = {}          # retry delays of retrials created during the run
        self.later_repeat_delay: dict[int, float] = {}   # repeat delays of contacts created during the run
        self.escalate_to = [{sc.levels.index(lv): names.index(target) for lv, target in q.escalate_to.items()}
                            for q in self.queues]
        self.repeat_to = [names.index(q.repeat.to) if q.repeat is not None and q.repeat.to else k
                          for k, q in enumerate(self.queues)]
        self.move_after = [_INF if q.escalate_after is None else q.escalate_after.after for q in self.queues]
        self.move_to = [-1 if q.escalate_after is None else names.index(q.escalate_after.to) for q in self.queues]

    def _create(self, values: dict[str, float]) -> int:
        """Append a contact created during the run (``values``: its drawn and set attributes); its index.

        Its retry and repeat delays, which are no engine columns, are kept aside when it will need them.
        """
        j = append(self.columns, values)
        if values.get("retry"):
            self.later_delay[j] = values["retry_delay"]
        if values.get("repeats"):
            self.later_repeat_delay[j] = values["repeat_delay"]
        return j

    def _class_in(self, i: int, q: int, target: int) -> int:
        """Contact ``i``'s class of queue ``q`` in queue ``target``: the same name there, else its last."""
        name = self.queues[q].class_names[self.customer_class[i]]
        names = self.queues[target].class_names
        return names.index(name) if name in names else len(names) - 1

    def _retry(self, i: int, q: int, left: float) -> None:
        """Contact ``i`` left at ``left``; its caller calls again after its retry delay (a new contact)."""
        when = left + (float(self.drawn_delay[i]) if i < self.n_drawn else self.later_delay[i])
        if when < self.sc.horizon:
            self._next_attempt(i, q, when, {**self.later.retrial(q), "work": self.work[i], "level": self.level[i]})

    def _next_attempt(self, i: int, q: int, when: float, values: dict[str, float]) -> None:
        """A new attempt of contact ``i``'s customer at queue ``q`` arrives at ``when`` (a retrial, a redial),
        with ``values`` drawn or kept for it; it counts the earlier attempts and points at the first.
        """
        j = self._create({**values, "time": when, "queue": q, "attempt": self.attempt[i] + 1,
                          "customer_class": self.customer_class[i],
                          "first_call": self.first_call[i] if self.first_call[i] >= 0 else i})
        self._at(when, lambda _e: self._arrive(j, q, when))

    def _repeat(self, i: int, q: int, now: float) -> None:
        """Contact ``i`` was resolved at ``now`` but its customer comes back after its repeat delay (a new
        contact in the queue's ``repeat.to``, with the same permission level in the same queue, none in
        another); a repeat due past the horizon is only noted (``repeat_at``).
        """
        when = now + (float(self.drawn_repeat_delay[i]) if i < self.n_drawn else self.later_repeat_delay[i])
        self.repeat_at[i] = when
        if when >= self.sc.horizon:
            return
        target = self.repeat_to[q]
        j = self._create({**self.later.repeat(target), "time": when, "queue": target, "repeat_of": i,
                          "level": self.level[i] if target == q else -1,
                          "customer_class": self._class_in(i, q, target)})
        self._at(when, lambda _e: self._arrive(j, target, when))

    def _escalate(self, i: int, q: int) -> None:
        """Contact ``i`` needs a level its agent lacks: a follow-up enters the escalation queue now."""
        self.escalated[i] = 1
        self._follow_up(i, q, self.escalate_to[q][self.level[i]], self.env.now)

    def _follow_up(self, i: int, q: int, target: int, now: float) -> None:
        """A follow-up of contact ``i`` enters queue ``target`` at ``now``: it keeps the customer's amount,
        level, class (where the queue has it) and any platform deadline (due at the same time).
        """
        due = self.time[i] + self.patience[i] if self.auto_approves[q] else _INF
        j = self._create({**self.later.followup(target), "time": now, "queue": target, "patience": due - now,
                          "level": self.level[i], "customer_class": self._class_in(i, q, target),
                          "origin": self.origin[i] if self.origin[i] >= 0 else i})
        self._arrive(j, target, now)

    def _move_due(self, i: int, q: int) -> None:
        """Contact ``i`` has waited its queue's ``escalate_after``: it leaves unresolved (transferred) and a
        follow-up enters the queue's ``escalate_after.to``.
        """
        now = self.env.now
        self._purge(q, now)
        if self.outcome[i] != WAITING:
            return
        self.outcome[i], self.wait[i] = TRANSFERRED, now - self.time[i]
        self.waiting[q].n -= 1                # it stays in its line, skipped from now on
        self._follow_up(i, q, self.move_to[q], now)

