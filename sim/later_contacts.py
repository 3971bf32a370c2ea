"""The contacts a run creates (the engine's later-contacts component): retrials of callers who left,
repeats of customers whose problem was not solved, follow-ups of work escalated for a level its agent
lacks or moved on after a wait (``escalate_after``), and, for the call lists, redials and call-backs.
Each is appended to the contact table by one function (``LaterContacts.create``), with what its
attributes declare (``sim.contacts.ATTRIBUTES``), and arrives like any contact.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from sim.contacts import ASIDE, BY_NAME, ENGINE, LATER_KINDS, TRANSFERRED, WAITING, append

if TYPE_CHECKING:
    from sim.arrivals import Demand
    from sim.components import Kernel
    from sim.scenario import Scenario
    from sim.waiting import WaitingLines

_INF = math.inf
# Per kind of contact created during the run: the engine's columns it inherits, the attributes drawn for
# it and those its creation site sets (``Attribute.later``).
_GIVEN = {kind: tuple(frozenset(name for name in (*ENGINE, *ASIDE) if BY_NAME[name].given_to(kind) == rule)
                      for rule in ("inherit", "draw", "set")) for kind in LATER_KINDS}


class LaterContacts:
    """Creates the contacts of a run. ``kernel`` schedules (``at``), tells the time and lets a contact
    arrive (``arrive``); ``lines`` are the waiting lines (a contact moved on leaves its line); ``columns``
    the contact table, to which created contacts are appended; ``demand`` the drawn contacts (their
    retry and repeat delays, and ``later``, the draws of contacts created during the run).
    """

    def __init__(self, sc: Scenario, kernel: Kernel, lines: WaitingLines, columns: dict, demand: Demand):
        self.sc, self.kernel, self.lines, self.columns, self.draws = sc, kernel, lines, columns, demand.later
        self.queues = list(sc.queues.values())
        names = list(sc.queues)
        self.n_drawn = len(demand)
        # Drawn retry and repeat delays, kept only where some queue uses them (8 bytes a contact each).
        self.drawn_delay = demand.retry_delay if any(q.retrial is not None for q in self.queues) else None
        self.drawn_repeat_delay = demand.repeat_delay if any(q.repeat is not None for q in self.queues) else None
        self.later_delay: dict[int, float] = {}          # retry delays of retrials created during the run
        self.later_repeat_delay: dict[int, float] = {}   # repeat delays of contacts created during the run
        self.escalate_to = [{sc.levels.index(lv): names.index(target) for lv, target in q.escalate_to.items()}
                            for q in self.queues]
        self.repeat_to = [names.index(q.repeat.to) if q.repeat is not None and q.repeat.to else k
                          for k, q in enumerate(self.queues)]
        self.move_to = [-1 if q.escalate_after is None else names.index(q.escalate_after.to) for q in self.queues]
        self.time, self.patience, self.outcome = columns["time"], columns["patience"], columns["outcome"]
        self.wait, self.level, self.customer_class = columns["wait"], columns["level"], columns["customer_class"]
        self.attempt, self.first_call, self.origin = columns["attempt"], columns["first_call"], columns["origin"]
        self.escalated, self.repeat_at = columns["escalated"], columns["repeat_at"]

    def release_inputs(self) -> None:
        """Drop the drawn delays once the run is over (the contact table stays)."""
        self.drawn_delay = self.drawn_repeat_delay = None

    def create(self, kind: str, parent: int, drawn: dict[str, float], **values: float) -> int:
        """Append a contact of ``kind`` (``sim.contacts.LATER_KINDS``) created during the run from contact
        ``parent``, with the attributes ``drawn`` for it and the ``values`` its site sets, as each
        attribute declares (``Attribute.later``); its index. A draw or value the declaration does not ask
        for, or one it asks for and is missing, is a programming error.

        Its retry and repeat delays, which are no engine columns, are kept aside when it will need them.
        """
        inherit, draw, given = _GIVEN[kind]
        if drawn.keys() != draw or values.keys() != given:
            raise ValueError(f"a {kind} draws {sorted(draw)} and is given {sorted(given)}; got "
                             f"{sorted(drawn)} and {sorted(values)}")
        j = append(self.columns, {**{name: self.columns[name][parent] for name in inherit}, **drawn, **values})
        if drawn.get("retry"):
            self.later_delay[j] = drawn["retry_delay"]
        if drawn.get("repeats"):
            self.later_repeat_delay[j] = drawn["repeat_delay"]
        return j

    def class_in(self, i: int, q: int, target: int) -> int:
        """Contact ``i``'s class of queue ``q`` in queue ``target``: the same name there, else its last."""
        name = self.queues[q].class_names[self.customer_class[i]]
        names = self.queues[target].class_names
        return names.index(name) if name in names else len(names) - 1

    def retry(self, i: int, q: int, left: float) -> None:
        """Contact ``i`` left at ``left``; its caller calls again after its retry delay (a new contact)."""
        when = left + (float(self.drawn_delay[i]) if i < self.n_drawn else self.later_delay[i])
        if when < self.sc.horizon:
            self.next_attempt("retrial", i, q, when, self.draws.retrial(q))

    def next_attempt(self, kind: str, i: int, q: int, when: float, drawn: dict[str, float], **values: float) -> None:
        """A new attempt of contact ``i``'s customer at queue ``q`` arrives at ``when`` (``kind``: a retrial,
        a redial), with what is ``drawn`` for it and any further ``values``; it counts the earlier attempts
        and points at the first.
        """
        j = self.create(kind, i, drawn, time=when, queue=q, attempt=self.attempt[i] + 1,
                        first_call=self.first_call[i] if self.first_call[i] >= 0 else i, **values)
        self.kernel.due(when, self.kernel.arrive, j, q, when)

    def repeat(self, i: int, q: int, now: float) -> None:
        """Contact ``i`` was resolved at ``now`` but its customer comes back after its repeat delay (a new
        contact in the queue's ``repeat.to``, with the same permission level in the same queue, none in
        another); a repeat due past the horizon is only noted (``repeat_at``).
        """
        when = now + (float(self.drawn_repeat_delay[i]) if i < self.n_drawn else self.later_repeat_delay[i])
        self.repeat_at[i] = when
        if when >= self.sc.horizon:
            return
        target = self.repeat_to[q]
        j = self.create("repeat", i, self.draws.repeat(target), time=when, queue=target, repeat_of=i,
                        level=self.level[i] if target == q else -1, customer_class=self.class_in(i, q, target))
        self.kernel.due(when, self.kernel.arrive, j, target, when)

    def escalate(self, i: int, q: int, now: float) -> None:
        """Contact ``i`` needs a level its agent lacks: a follow-up enters the escalation queue now."""
        self.escalated[i] = 1
        self._follow_up(i, q, self.escalate_to[q][self.level[i]], now)

    def move(self, i: int, q: int) -> None:
        """Contact ``i`` has waited its queue's ``escalate_after``: it leaves unresolved (transferred) and a
        follow-up enters the queue's ``escalate_after.to``.
        """
        now = self.kernel.now
        self.lines.purge(q, now)
        if self.outcome[i] != WAITING:
            return
        self.outcome[i], self.wait[i] = TRANSFERRED, now - self.time[i]
        self.lines.take(i, q)
        self._follow_up(i, q, self.move_to[q], now)

    def _follow_up(self, i: int, q: int, target: int, now: float) -> None:
        """A follow-up of contact ``i`` enters queue ``target`` at ``now``: it keeps the customer's amount,
        level, class (where the queue has it) and any platform deadline (due at the same time).
        """
        due = self.time[i] + self.patience[i] if self.lines.auto_approves[q] else _INF
        j = self.create("follow_up", i, self.draws.followup(target), time=now, queue=target, patience=due - now,
                        customer_class=self.class_in(i, q, target),
                        origin=self.origin[i] if self.origin[i] >= 0 else i)
        self.kernel.arrive(j, target, now)
