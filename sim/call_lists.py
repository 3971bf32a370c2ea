"""Call lists (``channel: outbound`` queues) as demand: when an entry may be dialled and when it is
dropped, and what each attempt comes to. ``sim.outbound`` is the model's side (redials, call-backs, the
dialling hours opening).

An entry joins the list at a time (its order's time plus the source's lag, a resolution plus the
call-back's delay, or a typed arrival), no earlier than the campaign window's start (orders placed before
the scenario's start join a list whose window opens after it); it is dialled at
the first moment inside the dialling hours, and dropped at its due time: the window's end, or its
``deadline`` after joining, whichever comes first. Each attempt is one contact of the queue: it reaches
the customer (``CONNECTED``), rings out (``NO_ANSWER``) or finds the line ``BUSY``; an attempt that did
not connect is followed, ``retry_after`` later and inside the hours, by the next (``attempt`` counts
them, ``first_call`` points at the entry's first), up to the queue's ``attempts`` and before its due time.
"""

from __future__ import annotations

import math

import numpy as np

from sim.channels import QueueBase, channel_of
from sim.records import BUSY, CONNECTED, NO_ANSWER
from sim.scenario import Scenario
from sim.scenario.campaigns import DialHours
from sim.scenario.types import DAY


def is_open(hours: DialHours | None, t: float, start_offset: float) -> bool:
    """Whether ``t`` (s from the start) falls inside the dialling hours (always, without hours)."""
    if hours is None:
        return True
    return (start_offset + t - hours.start) % DAY < hours.seconds_open()


def next_open(hours: DialHours | None, t, start_offset: float):
    """The first moment at or after ``t`` (s from the start; a number or an array) inside the hours."""
    if hours is None:
        return t
    since_opening = (start_offset + np.asarray(t, dtype=float) - hours.start) % DAY
    shut = since_opening >= hours.seconds_open()
    moved = np.where(shut, t + DAY - since_opening, t)
    return float(moved) if np.ndim(t) == 0 else moved


def openings(hours: DialHours | None, horizon: float, start_offset: float) -> list[float]:
    """The times (s) the hours open within the horizon (none without hours)."""
    if hours is None:
        return []
    first = (hours.start - start_offset) % DAY
    return list(np.arange(first, horizon, DAY))


def window_bounds(sc: Scenario, q: QueueBase) -> tuple[float, float]:
    """The campaign window of queue ``q`` as (start, end) s from the scenario start (unbounded without)."""
    window = q.campaign.window
    return (-math.inf, math.inf) if window is None else (sc.clock(window.start), sc.clock(window.end))


def due_times(sc: Scenario, q: QueueBase, joined: np.ndarray) -> np.ndarray:
    """When entries that joined the list at ``joined`` (s) are dropped: the window's end, or ``deadline``
    after they joined (no earlier than the window's start), whichever comes first.
    """
    start, end = window_bounds(sc, q)
    return np.minimum(end, np.maximum(joined, start) + (q.campaign.deadline or math.inf))


def place(sc: Scenario, q: QueueBase, joined: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Entries joining the list at ``joined`` (s): their first dialling times, their due times, and which are
    kept (dialled before their due time and the horizon, on the list from the start or later: entries
    already being dialled before it are a ``backlog``).
    """
    joined = np.asarray(joined, dtype=float)
    listed = np.maximum(joined, window_bounds(sc, q)[0])       # the list opens at the window's start
    times = next_open(q.campaign.hours, listed, sc.start_offset)
    due = due_times(sc, q, joined)
    return times, due, (listed >= 0) & (times < due) & (times < sc.horizon)


def call_list(sc: Scenario, q: QueueBase, joined: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The entries kept of those joining at ``joined``: first dialling times and due times, by time."""
    times, due, kept = place(sc, q, joined)
    order = np.argsort(times[kept], kind="stable")
    return times[kept][order], due[kept][order]


def attempts(q: QueueBase, draw, talk: np.ndarray) -> dict[str, np.ndarray]:
    """Each attempt's ``dial`` outcome and the agent's ``work`` (s) for it: the connect time, then the rings
    until the customer picks up and ``talk``, or until the agent gives up; a busy line ends at once.
    Contacts of other channels keep ``talk`` as their work (``dial`` -1). ``draw(purpose)`` gives a stream.
    """
    n = talk.size
    if not channel_of(q).dials:
        return {"dial": np.full(n, -1, dtype=np.int8), "work": talk}
    pickup = q.pickup
    rng = draw("dial")
    busy = rng.random(n) < pickup.busy
    willing = rng.random(n) < pickup.answer
    after = pickup.answers_after.sample(draw("answers_after"), n)
    connected = ~busy & willing & (after <= pickup.gives_up_after)
    dial = np.where(connected, CONNECTED, np.where(busy, BUSY, NO_ANSWER)).astype(np.int8)
    work = pickup.connect + np.where(connected, after + talk, np.where(busy, 0.0, pickup.gives_up_after))
    return {"dial": dial, "work": work}


def mean_attempt_s(q: QueueBase) -> float:
    """The agent's expected seconds on one attempt of outbound queue ``q`` (connect, rings, talk; no wrap-up):
    connect + (1 − busy) × [answer × (E[A; A ≤ G] + F(G) × talk) + (1 − answer × F(G)) × G], with A the
    time to pick up, F its distribution and G the rings before giving up.
    """
    pickup, give_up = q.pickup, q.pickup.gives_up_after
    grid = np.linspace(0.0, give_up, 401)
    cdf = pickup.answers_after.cdf(grid)
    picked = float(cdf[-1])
    partial = give_up * picked - float(np.sum((cdf[1:] + cdf[:-1]) / 2 * np.diff(grid)))   # E[A; A <= G]
    answered = pickup.answer * (partial + picked * q.handle_time.mean)
    return pickup.connect + (1 - pickup.busy) * (answered + (1 - pickup.answer * picked) * give_up)


def working_window(sc: Scenario, q: QueueBase) -> float:
    """The time (s) an outbound entry can wait to be worked: its ``deadline``, the campaign window, or a
    day, whichever is shortest.
    """
    start, end = window_bounds(sc, q)
    return min(q.campaign.deadline or math.inf, end - start, DAY)


def dialling_seconds(q: QueueBase, span: float) -> float:
    """The dialling seconds a span of ``span`` seconds holds at most: all of it, or for a queue with hours
    the open seconds of as many days as it touches.
    """
    hours = q.campaign.hours
    return span if hours is None else min(span, math.ceil(span / DAY) * hours.seconds_open())
