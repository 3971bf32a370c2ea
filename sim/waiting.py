"""Waiting lines: the contacts waiting in each queue, in the order routing reads them, and the contacts
whose patience runs out (the engine's ``WaitingLines`` component).

A queue's line is one first-come-first-served line per customer class (highest class first) and a heap
of (deadline, contact) for those who may leave. Whenever the queue is looked at, contacts past their
deadline leave as abandoned at their deadline (or, past a platform deadline, approved unworked); a
contact taken out of order stays in its line until a reader passes it, and ``WaitingView`` never shows
such a stale entry.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Callable, Iterator

from sim.contacts import ABANDONED, WAITING

_INF = float("inf")


class Waiting:
    """The contacts waiting in one queue: ``lines`` (one per class, highest first; may hold contacts that
    already left), ``deadlines`` (a heap of (deadline, contact)) and ``n``, how many still wait.
    """

    __slots__ = ("lines", "deadlines", "n")

    def __init__(self, classes: int):
        self.lines = [deque() for _ in range(classes)]
        self.deadlines: list[tuple[float, int]] = []
        self.n = 0


class WaitingLines:
    """The waiting contacts of every queue. ``columns``: the contact table (``outcome``, ``wait``,
    ``patience``, ``time``, ``auto``, ``retry`` and ``customer_class`` are read or written);
    ``auto_approves[q]``: whether queue q's deadline approves the item; ``left(i, q, at)``: called for
    each contact that leaves and calls again (``retry``).
    """

    def __init__(self, classes: list[int], columns: dict, auto_approves: list[bool],
                 left: Callable[[int, int, float], None]):
        self.queues = [Waiting(n) for n in classes]
        self.outcome, self.wait, self.patience = columns["outcome"], columns["wait"], columns["patience"]
        self.time, self.auto, self.retry = columns["time"], columns["auto"], columns["retry"]
        self.customer_class = columns["customer_class"]
        self.auto_approves, self.left = auto_approves, left
        self.views = [Lines(waiting, self.outcome) for waiting in self.queues]

    def join(self, i: int, q: int) -> int:
        """Contact ``i`` waits in queue ``q``'s line (with a deadline if its patience is finite); how many
        now wait there.
        """
        waiting = self.queues[q]
        waiting.lines[self.customer_class[i]].append(i)
        patience = self.patience[i]
        if patience < _INF:
            heapq.heappush(waiting.deadlines, (self.time[i] + patience, i))
        waiting.n += 1
        return waiting.n

    def purge(self, q: int, now: float) -> None:
        """Contacts of queue ``q`` whose patience ran out by ``now`` leave: abandoned at their deadline."""
        waiting, state = self.queues[q], self.outcome
        heap = waiting.deadlines
        while heap and heap[0][0] <= now:
            deadline, i = heapq.heappop(heap)
            if state[i] == WAITING:
                state[i] = ABANDONED                 # or, past a platform deadline, approved unworked
                self.wait[i] = self.patience[i]
                waiting.n -= 1
                self.auto[i] = self.auto_approves[q]
                if self.retry[i]:
                    self.left(i, q, deadline)

    def take(self, i: int, q: int) -> None:
        """Contact ``i`` leaves queue ``q``'s line (answered, moved on): it no longer counts as waiting; the
        caller changes its ``outcome``, which marks the entry stale where it is not at the head.
        """
        waiting = self.queues[q]
        waiting.n -= 1
        line = waiting.lines[self.customer_class[i]]
        if line and line[0] == i:
            line.popleft()

    def view(self, q: int) -> Lines:
        """Queue ``q``'s waiting contacts, for a routing policy."""
        return self.views[q]


class Lines:
    """A ``sim.routing.WaitingView`` of one queue: reading it drops the stale entries at the heads of its lines."""

    __slots__ = ("waiting", "outcome")

    def __init__(self, waiting: Waiting, outcome):
        self.waiting, self.outcome = waiting, outcome

    def __len__(self) -> int:
        return self.waiting.n

    def __iter__(self) -> Iterator[int]:
        state = self.outcome
        for line in self.waiting.lines:
            yield from (i for i in list(line) if state[i] == WAITING)

    def first(self, customer_class: int = 0) -> int | None:
        line, state = self.waiting.lines[customer_class], self.outcome
        while line and state[line[0]] != WAITING:
            line.popleft()
        return line[0] if line else None
